#!/usr/bin/env python3
"""A four-operator launch on the loopback (doc/launch.md): each operator makes
a validator key in its own data directory with `fml-cli genvalidatorkey` and
hands over only the public fragment; the coordinator gathers the fragments
with `fml-cli creategenesis` (the same file whatever the order) and every
operator checks the genesis hash with `fml-cli checkgenesis`.  The four nodes
start from the file with -validatorkey before genesis_time, connect on
127.0.0.1 and produce blocks in real time, each with its own key; all agree on
the genesis and the tip, and a fifth node without keys syncs.  A fragment
with a bad key, a validator already given, or a stake below the minimum is
refused naming the fragment; so are a key file others can read and main
without a genesis."""

import json
import os
import stat
import subprocess
import time

from test_framework.crypto import address
from test_framework.framework import (FMLCLI, FMLD, FMLTestFramework, assert_equal, connect_nodes,
                                      free_port, sync_blocks, wait_until, TestFailure)

NETWORK = "launch4"
HRP = "lfml"
ONION = 500
START_DELAY = 12          # seconds from the genesis file to genesis_time


def fml_cli(*args, check=True):
    res = subprocess.run([FMLCLI] + [str(a) for a in args], capture_output=True, text=True,
                         timeout=120)
    if check and res.returncode != 0:
        raise TestFailure("fml-cli %s failed (%d): %s" % (" ".join(map(str, args)),
                                                          res.returncode, res.stderr))
    return res


class LaunchTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 0
        self.chain = NETWORK

    def write(self, name, text):
        path = os.path.join(self.tmpdir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def run_test(self):
        self.log("Each of four operators makes a key in its own data directory")
        operators = []
        for i in range(4):
            node = self.add_node(["-connect=0", "-listen=1"])
            keyfile = os.path.join(node.datadir, "validator.key")
            res = fml_cli("genvalidatorkey", keyfile, 2000 + 1000 * i, 100 * i, ONION)
            fragment = json.loads(res.stdout)
            assert_equal(sorted(fragment), ["commission_bps", "pubkey", "randao_commit", "stake"])
            assert_equal(fragment["stake"], str(2000 + 1000 * i))
            assert_equal(stat.S_IMODE(os.stat(keyfile).st_mode), 0o600)
            with open(keyfile) as f:
                secret = json.load(f)
            assert_equal(secret["pubkey"], fragment["pubkey"])
            assert_equal(secret["privkey"] in res.stdout, False)
            # A key file is never overwritten.
            again = fml_cli("genvalidatorkey", keyfile, 2000, check=False)
            if again.returncode == 0 or "already exists" not in again.stderr:
                raise TestFailure("genvalidatorkey overwrote %s: %s" % (keyfile, again.stderr))
            path = self.write("operator%d.fragment.json" % i, res.stdout)
            operators.append((node, keyfile, fragment, path))
        frags = [op[3] for op in operators]

        self.log("The coordinator's base: chain parameters, an allocation, a start time")
        spare = operators[0][2]["pubkey"]
        genesis_time = int(time.time()) + START_DELAY
        base = self.write("base.json", json.dumps({
            "name": NETWORK, "hrp": HRP, "genesis_time": genesis_time,
            "params": {"slot_seconds": 1, "epoch_slots": 8, "min_validator_stake": "1000"},
            "allocations": [{"pubkey": spare, "amount": "100"}]}))

        self.log("Bad fragments are refused, naming the fragment")
        bad_key = self.write("badkey.fragment.json", json.dumps(
            dict(operators[1][2], pubkey="ff" * 32)))
        low = self.write("low.fragment.json", json.dumps(dict(operators[1][2], stake="999.5")))
        for extra, needle in (
                ([bad_key], "fragment %s: \"pubkey\" is not a valid public key" % bad_key),
                ([frags[2]], "fragment %s: validator %s is already in fragment %s"
                 % (frags[2], operators[2][2]["pubkey"], frags[2])),
                ([low], "fragment %s: stake 999.5 FML is below min_validator_stake 1000 FML" % low),
                ([operators[3][1]], "fragment %s: holds a secret key" % operators[3][1])):
            res = fml_cli("creategenesis", base, *(frags + extra), check=False)
            if res.returncode == 0 or needle not in res.stderr or res.stdout:
                raise TestFailure("creategenesis with %s: status %d, %r (wanted %r)" %
                                  (extra, res.returncode, res.stderr, needle))

        self.log("creategenesis gives the same bytes whatever the order of the fragments")
        text = fml_cli("creategenesis", base, *frags).stdout
        assert_equal(fml_cli("creategenesis", base, *reversed(frags)).stdout, text)
        genesis = self.write("genesis.json", text)

        self.log("Every operator checks the genesis hash and finds its validator")
        hashes = set()
        for node, keyfile, fragment, _ in operators:
            info = json.loads(fml_cli("checkgenesis", genesis).stdout)
            hashes.add(info["genesis_hash"])
            mine = [v for v in info["validators"] if v["pubkey"] == fragment["pubkey"]]
            assert_equal(len(mine), 1)
            assert_equal(mine[0]["stake"], fragment["stake"])
        assert_equal(len(hashes), 1)
        ghash = hashes.pop()

        self.log("A key file others can read is refused")
        loose = os.path.join(self.tmpdir, "loose.key")
        fml_cli("genvalidatorkey", loose, 1000, 0, 10)
        os.chmod(loose, 0o644)
        self.assert_start_refused(["-genesis=" + genesis, "-validatorkey=" + loose],
                                  "readable by others")

        self.log("The four nodes start from the file before genesis_time, each with its key")
        for node, keyfile, _, _ in operators:
            node.start(["-genesis=" + genesis, "-validatorkey=" + keyfile])
        nodes = [op[0] for op in operators]
        for a in range(4):
            for b in range(a + 1, 4):
                connect_nodes(nodes[a], nodes[b])
        for node in nodes:
            info = node.getblockchaininfo()
            assert_equal(info["chain"], NETWORK)
            assert_equal(info["genesis"], ghash)
        if time.time() < genesis_time - 1:
            assert_equal([n.getblockcount() for n in nodes], [0, 0, 0, 0])

        self.log("Blocks come in real time; each operator proposes with its own key")
        addrs = {address(HRP, bytes.fromhex(op[2]["pubkey"])) for op in operators}

        def proposers():
            tip = nodes[0].getblockcount()
            return {nodes[0].getblock(nodes[0].getblockhash(h))["proposer"]
                    for h in range(1, tip + 1)}
        wait_until(lambda: proposers() == addrs, timeout=START_DELAY + 90,
                   interval=0.5, what="a block of every operator")
        first = nodes[0].getblock(nodes[0].getblockhash(1))
        if first["time"] < genesis_time:
            raise TestFailure("block 1 before genesis_time")
        sync_blocks(nodes, timeout=30)
        assert_equal(len({n.getbestblockhash() for n in nodes}), 1)

        self.log("A fifth node without keys syncs from the file")
        fifth = self.add_node(["-connect=0", "-listen=1", "-genesis=" + genesis])
        fifth.start()
        assert_equal(fifth.getblockchaininfo()["genesis"], ghash)
        connect_nodes(fifth, nodes[0])
        wait_until(lambda: fifth.getblockcount() >= nodes[0].getblockcount() - 1 and
                   fifth.getblockcount() > 0, timeout=30, what="the fifth node syncs")
        sync_blocks(nodes + [fifth], timeout=30)
        tip = fifth.getblockcount()
        props = {fifth.getblock(fifth.getblockhash(h))["proposer"] for h in range(1, tip + 1)}
        assert_equal(props <= addrs, True)
        self.log("  %d blocks, genesis %s" % (tip, ghash))

        self.log("The wallet keeps the key: restarted without -validatorkey, operator 0 proposes")
        node0 = nodes[0]
        mine = address(HRP, bytes.fromhex(operators[0][2]["pubkey"]))
        node0.stop()
        node0.start(["-genesis=" + genesis])
        connect_nodes(node0, nodes[1])
        since = node0.getblockcount()

        def proposed_again():
            tip = node0.getblockcount()
            return any(node0.getblock(node0.getblockhash(h))["proposer"] == mine
                       for h in range(since + 1, tip + 1))
        wait_until(proposed_again, timeout=90, interval=0.5, what="operator 0 proposes again")

        self.log("Main has no genesis: the node says where the ceremony is described")
        self.assert_start_refused(["-chain=main"], "doc/launch.md", chain_args=False)

    def assert_start_refused(self, args, needle, chain_args=True):
        datadir = os.path.join(self.tmpdir, "refused%d" % free_port())
        os.makedirs(datadir)
        cmd = [FMLD, "-datadir=" + datadir, "-bind=127.0.0.1", "-port=%d" % free_port(),
               "-rpcport=%d" % free_port(), "-connect=0", "-listen=0"] + args
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if res.returncode == 0 or needle not in res.stderr:
            raise TestFailure("fmld %s: status %d, %r (wanted %r)" %
                              (" ".join(args), res.returncode, res.stderr, needle))


if __name__ == "__main__":
    LaunchTest().main()
