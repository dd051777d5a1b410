#!/usr/bin/env python3
"""Checkpoint finality with four validators proposing and voting in real time
(1-second regtest slots, 8-slot epochs), each on its own node, in a ring.

- Blocks finalize: every node reports the same finalized block, and the
  finality time of each block (from its arrival at node 0 to the first poll
  where node 0's finalized_height is at or above it) is measured over the
  run; its median and max are printed and the max stays within three epochs
  (a block early in epoch e is below checkpoint(e+1), finalized by the votes
  of epoch e+2).
- getfinalityinfo shows the votes counted by stake.
- An equivocating voter: the test signs two different votes for one target
  epoch with validator 3's well-known key (BIP340 in Python) and sends them to
  node 0, which reports the double vote; validator 3 is slashed and jailed on
  every node, and finality goes on with the other three."""

import statistics
import struct
import time

from test_framework.crypto import Tx, address, pubkey, regtest_secret
from test_framework.framework import (FMLTestFramework, assert_equal, connect_nodes, sync_blocks,
                                      wait_until, TestFailure)

TX_FINALITY_VOTE = 64
EPOCH_SLOTS = 8
MEASURE_SECONDS = 40


def vote_tx(sec, source_epoch, source_hash, target_epoch, target_hash, genesis):
    payload = (struct.pack("<Q", source_epoch) + bytes.fromhex(source_hash) +
               struct.pack("<Q", target_epoch) + bytes.fromhex(target_hash))
    return Tx(pubkey(sec), 0, 0, TX_FINALITY_VOTE, payload).sign(sec, genesis)


class FinalityTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 4
        self.extra_args = [["-connect=0", "-listen=1", "-produceblocks=1", "-regtestvalidator=%d" % i]
                           for i in range(4)]

    def run_test(self):
        n = self.nodes
        for a, b in ((0, 1), (1, 2), (2, 3), (3, 0)):
            connect_nodes(n[a], n[b])
        vals = [address("rfml", pubkey(regtest_secret(i))) for i in range(4)]

        self.log("Blocks finalize on every node")
        wait_until(lambda: min(x.getblockchaininfo()["finalized_height"] for x in n) > 0,
                   timeout=60, what="a finalized block")

        self.log("Measure finality times for %ds" % MEASURE_SECONDS)
        arrival, final_at = {}, {}
        end = time.time() + MEASURE_SECONDS
        start_height = n[0].getblockcount()
        while time.time() < end:
            info = n[0].getblockchaininfo()
            now = time.time()
            for h in range(start_height + 1, info["blocks"] + 1):
                arrival.setdefault(h, now)
            for h in list(arrival):
                if h not in final_at and info["finalized_height"] >= h:
                    final_at[h] = now
            time.sleep(0.2)
        times = [final_at[h] - arrival[h] for h in final_at]
        pending = [h for h in arrival if h not in final_at and time.time() - arrival[h] > 3 * EPOCH_SLOTS]
        if len(times) < 10:
            raise TestFailure("only %d blocks finalized in %ds" % (len(times), MEASURE_SECONDS))
        median, worst = statistics.median(times), max(times)
        self.log("  finality time over %d blocks: median %.1fs, max %.1fs (epoch %ds)" %
                 (len(times), median, worst, EPOCH_SLOTS))
        print("finality_time_median=%.1f finality_time_max=%.1f blocks=%d" % (median, worst, len(times)))
        if worst > 3 * EPOCH_SLOTS + 3 or pending:
            raise TestFailure("blocks took too long to finalize: max %.1fs, unfinalized %r" %
                              (worst, pending))

        self.log("Every node agrees on the finalized block")
        sync_blocks(n, timeout=30)
        fin = n[0].getblockchaininfo()["finalized_height"]
        wait_until(lambda: all(x.getblockchaininfo()["finalized_height"] >= fin for x in n), timeout=30)
        h = fin
        assert_equal(len(set(x.getblockhash(h) for x in n)), 1)
        info = n[1].getblockchaininfo()
        assert info["justified_height"] >= info["finalized_height"]
        assert_equal(info["finalizedblockhash"], n[1].getblockhash(info["finalized_height"]))

        fi = n[2].getfinalityinfo()
        assert fi["finalized"]["height"] >= fin
        prev = fi["previous"]
        assert prev["voted_stake"] * 3 > prev["total_stake"] * 2, prev
        assert {v["validator"] for v in prev["votes"]} <= set(vals)
        assert len(prev["votes"]) >= 3, prev

        self.log("Validator 3 signs two votes for one target epoch: slashed on every node")
        genesis = bytes.fromhex(n[0].getblockchaininfo()["genesis"])
        before = n[0].getvalidator(vals[3])
        cur = n[0].getfinalityinfo()
        e = cur["epoch"]
        target = cur["current"]["checkpoint"]["hash"]
        src = cur["finalized"]  # any source below the target: the evidence needs no more
        sec = regtest_secret(3)
        good = vote_tx(sec, src["epoch"], src["hash"], e, target, genesis)
        bad = vote_tx(sec, src["epoch"], src["hash"], e, "ab" * 32, genesis)
        for t in (good, bad):
            try:
                n[0].sendrawtransaction(t.hex())
            except Exception as ex:  # a duplicate of node 3's own vote, or the conflict
                self.log("  %s" % str(ex)[:80])

        def jailed_everywhere():
            return all(x.getvalidator(vals[3])["status"] == "jailed" for x in n)
        wait_until(jailed_everywhere, timeout=40, what="validator 3 jailed on every node")
        after = n[0].getvalidator(vals[3])
        if not after["self_stake"] < before["self_stake"]:
            raise TestFailure("no slash: %r -> %r" % (before, after))
        sync_blocks(n, timeout=30)
        for x in n:
            assert_equal(x.getvalidator(vals[3])["self_stake"], after["self_stake"])

        self.log("Finality goes on with the other three")
        fin = n[0].getblockchaininfo()["finalized_height"]
        wait_until(lambda: n[0].getblockchaininfo()["finalized_height"] > fin, timeout=40,
                   what="finality after the slash")
        for x in n:
            s = x.getsupplyinfo()
            assert s["supply_consistent"] and s["rewards_consistent"], s


if __name__ == "__main__":
    FinalityTest().main()
