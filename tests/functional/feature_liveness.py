#!/usr/bin/env python3
"""Liveness on a network from a genesis file with the downtime jail on
(1-second slots, 8-slot epochs): four validators, each on its own node,
propose in real time.  A commission edit within max_commission_change_bps is
taken and one over it refused.  The node of validator 3 stops: at an epoch
boundary every node jails it for downtime, and it leaves the schedules two
epochs after the epoch it was jailed in.  It restarts, cannot unjail before
its jail is over, unjails after it, and proposes again three epochs later."""

import json
import os
import struct
import time

from test_framework.crypto import address, pubkey, tagged_hash
from test_framework.rpc import JSONRPCException
from test_framework.framework import (FMLTestFramework, assert_equal, assert_raises_rpc_error,
                                      connect_nodes, wait_until, TestFailure)

ONION = 3000
EPOCH = 8
HRP = "lfml"


def onion_commit(sec, n=ONION):
    x = tagged_hash("FML/randao", b"onion" + sec + struct.pack("<Q", 0))
    for _ in range(n):
        x = tagged_hash("FML/randao", x)
    return x


class LivenessTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 0
        self.chain = "livenet"

    def write_genesis(self, keys):
        g = {
            "name": "livenet",
            "hrp": HRP,
            "genesis_time": int(time.time()) - 2,
            "params": {"slot_seconds": 1, "epoch_slots": EPOCH, "min_validator_stake": "100",
                       "downtime_jail_bps": 7500, "downtime_min_slots": 2,
                       "downtime_jail_epochs": 2, "downtime_slash_bps": 100,
                       "max_commission_change_bps": 100},
            "allocations": [{"pubkey": pubkey(k).hex(), "amount": "5000"} for k in keys],
            "validators": [{"pubkey": pubkey(k).hex(), "stake": "1000", "commission_bps": 1000,
                            "randao_commit": onion_commit(k).hex()} for k in keys],
        }
        path = os.path.join(self.tmpdir, "livenet.json")
        with open(path, "w") as f:
            json.dump(g, f)
        return path

    def confirmed(self, node, txid):
        try:
            return node.getrawtransaction(txid, True).get("confirmations", 0) >= 1
        except JSONRPCException as e:
            if e.code != -5:  # not relayed to this node yet
                raise
            return False

    def run_test(self):
        keys = [os.urandom(32) for _ in range(4)]
        vals = [address(HRP, pubkey(k)) for k in keys]
        path = self.write_genesis(keys)
        self.log("Four nodes, one validator each, all connected")
        for i in range(4):
            self.add_node(["-genesis=" + path, "-connect=0", "-listen=1"]).start()
        n = self.nodes
        for node, key in zip(n, keys):
            node.importvalidatorkey(key.hex(), 0, ONION)
        for a in range(4):
            for b in range(a + 1, 4):
                connect_nodes(n[a], n[b])
        wait_until(lambda: min(x.getblockcount() for x in n) >= 3, timeout=30, what="first blocks")

        self.log("Commission: a step of 100 bps is taken, one of 300 refused; no unjail when free")
        txid = n[0].editvalidator(1100, "node zero")
        assert_raises_rpc_error(-26, "bad-txns-commission-change", n[0].editvalidator, 1300)
        assert_raises_rpc_error(-26, "bad-unjail-not-jailed", n[0].unjail)
        assert_raises_rpc_error(-8, "description", n[0].editvalidator, 1100, "x" * 141)
        wait_until(lambda: self.confirmed(n[0], txid), timeout=30, what="edit confirmed")
        v0 = n[1].getvalidator(vals[0])
        assert_equal(v0["commission_bps"], 1100)
        assert_equal(v0["description"], "node zero")
        assert_equal(v0["jail_reason"], None)

        self.log("Validator 3's node stops; every other node jails it for downtime")
        n[3].stop()
        wait_until(lambda: all(x.getvalidator(vals[3])["jail_reason"] == "downtime" for x in n[:3]),
                   timeout=60, what="validator 3 jailed")
        v3 = n[0].getvalidator(vals[3])
        jailed_in = v3["jailed_until_epoch"] - 2
        assert_equal(v3["status"], "jailed")
        assert_equal(v3["can_unjail"], False)
        assert_equal(float(v3["self_stake"]), 990.0)  # 1% slashed
        # Its slots from epoch jailed_in + 2 on are gone (the schedules of
        # jailed_in and jailed_in + 1 were drawn before).
        wait_until(lambda: n[0].getblockchaininfo()["slot"] >= (jailed_in + 1) * EPOCH, timeout=30,
                   what="the epoch after the jail")
        later = [s["slot"] for s in n[0].getvalidator(vals[3])["next_slots"]]
        if any(s >= (jailed_in + 2) * EPOCH for s in later):
            raise TestFailure("a jailed validator still leads slots %r after epoch %d" %
                              (later, jailed_in + 1))

        self.log("It restarts, syncs, and cannot unjail before epoch %d" % (jailed_in + 2))
        n[3].start()
        for i in range(3):
            connect_nodes(n[3], n[i])
        wait_until(lambda: n[3].getvalidator(vals[3])["jail_reason"] == "downtime", timeout=30,
                   what="node 3 sees its jail")
        if n[3].getblockchaininfo()["slot"] < (jailed_in + 2) * EPOCH - 1:
            assert_raises_rpc_error(-26, "bad-unjail-too-early", n[3].unjail)
        wait_until(lambda: n[3].getvalidator(vals[3])["can_unjail"], timeout=30, what="jail over")

        self.log("It unjails and proposes again three epochs later")
        txid = n[3].unjail()
        wait_until(lambda: self.confirmed(n[0], txid), timeout=30, what="unjail confirmed")
        height = n[0].getblockcount()
        unjail_epoch = n[0].getblockheader(n[0].getrawtransaction(txid, True)["blockhash"])["slot"] // EPOCH
        for x in n:
            wait_until(lambda: x.getvalidator(vals[3])["status"] == "active", timeout=30,
                       what="unjailed on node %d" % x.index)

        def proposed_again():
            tip = n[0].getblockcount()
            return any(n[0].getblock(n[0].getblockhash(h))["proposer"] == vals[3]
                       for h in range(height, tip + 1))
        wait_until(proposed_again, timeout=60, interval=0.5, what="validator 3 proposes again")
        first = min(n[0].getblockheader(n[0].getblockhash(h))["slot"] for h in range(height, n[0].getblockcount() + 1)
                    if n[0].getblock(n[0].getblockhash(h))["proposer"] == vals[3])
        self.log("  unjailed in epoch %d, proposed again at slot %d (epoch %d)" %
                 (unjail_epoch, first, first // EPOCH))
        if first < (unjail_epoch + 3) * EPOCH:
            raise TestFailure("validator 3 proposed at slot %d, before epoch %d" % (first, unjail_epoch + 3))
        assert_equal(n[0].getvalidator(vals[3])["jail_reason"], None)


if __name__ == "__main__":
    LivenessTest().main()
