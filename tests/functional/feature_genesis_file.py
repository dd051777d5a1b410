#!/usr/bin/env python3
"""A private network from a genesis file (-genesis=FILE): two nodes given the
same file compute the same genesis hash, their validators (keys imported with
importvalidatorkey) produce blocks in real time and both nodes agree; a node
given a different file is another network and cannot join."""

import json
import os
import struct
import time

from test_framework.crypto import address, pubkey, tagged_hash
from test_framework.framework import (FMLTestFramework, TestNode, assert_equal, connect_nodes,
                                      sync_blocks, wait_until, TestFailure)

ONION = 2000


def onion_commit(sec, n=ONION):
    x = tagged_hash("FML/randao", b"onion" + sec + struct.pack("<Q", 0))
    for _ in range(n):
        x = tagged_hash("FML/randao", x)
    return x


class GenesisFileTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 0
        self.chain = "consortium"

    def write_genesis(self, name, keys):
        g = {
            "name": name,
            "hrp": "cfml",
            "genesis_time": int(time.time()) - 5,
            "params": {"slot_seconds": 1, "epoch_slots": 8, "min_validator_stake": "100"},
            "allocations": [{"pubkey": pubkey(k).hex(), "amount": "5000.5"} for k in keys],
            "validators": [{"pubkey": pubkey(k).hex(), "stake": "1000", "commission_bps": 500,
                            "randao_commit": onion_commit(k).hex()} for k in keys],
        }
        path = os.path.join(self.tmpdir, name + ".json")
        with open(path, "w") as f:
            json.dump(g, f)
        return path

    def run_test(self):
        keys = [os.urandom(32) for _ in range(2)]
        path = self.write_genesis("consortium", keys)
        self.log("Two nodes start from the same genesis file")
        for i in range(2):
            node = self.add_node(["-genesis=" + path, "-connect=0", "-listen=1"])
            node.start()
        a, b = self.nodes
        ga, gb = a.getblockchaininfo(), b.getblockchaininfo()
        assert_equal(ga["chain"], "consortium")
        assert_equal(ga["genesis"], gb["genesis"])
        assert_equal(ga["supply"], 2 * 5000.5 + 2 * 1000)

        self.log("Each imports its validator key; blocks come in real time on both")
        for node, key in zip((a, b), keys):
            res = node.importvalidatorkey(key.hex(), 0, ONION)
            assert_equal(res["randao_commit"], onion_commit(key).hex())
            assert_equal(res["address"], address("cfml", pubkey(key)))
        connect_nodes(a, b)
        wait_until(lambda: b.getblockcount() >= 8, timeout=60, what="blocks on the private network")
        sync_blocks([a, b], timeout=30)
        proposers = set(a.getblock(a.getblockhash(h))["proposer"] for h in range(1, 8))
        assert_equal(proposers <= {address("cfml", pubkey(k)) for k in keys}, True)

        self.log("A node with another genesis is another network: it cannot join")
        other = self.write_genesis("othernet", [os.urandom(32)])
        c = self.add_node(["-genesis=" + other, "-connect=0", "-listen=1"])
        c.chain = "othernet"
        c.start()
        if c.getblockchaininfo()["genesis"] == ga["genesis"]:
            raise TestFailure("different genesis files gave the same genesis")
        try:
            c.addnode("127.0.0.1:%d" % a.port, "onetry")
        except Exception:
            pass
        time.sleep(2)
        assert_equal([p for p in c.getpeerinfo() if p.get("version")], [])

        self.log("A malformed genesis file is refused with a clear message")
        self.assert_refused("x", '{"name": "x", "hrp": "cfml", "genesis_time": 1, "validators": []}',
                            "validators")
        self.log("A genesis file over 8 MiB is refused before it is parsed")
        self.assert_refused("big", '{"name": "big", "pad": "%s"}' % ("x" * (8 << 20)),
                            "larger than 8 MiB")

    def assert_refused(self, name, text, needle):
        """A node given this genesis file must refuse to start, saying needle."""
        path = os.path.join(self.tmpdir, name + "-refused.json")
        with open(path, "w") as f:
            f.write(text)
        node = self.add_node(["-genesis=" + path])
        node.chain = name
        try:
            node.start()
        except TestFailure as e:
            if needle not in str(e):
                raise
            return
        raise TestFailure("genesis file %s was accepted" % path)

if __name__ == "__main__":
    GenesisFileTest().main()
