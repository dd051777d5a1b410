#!/usr/bin/env python3
"""Four validators proposing in real time (1-second regtest slots), each on
its own node, connected in a ring.  Validator 0 first triples its
stake; three epochs later the schedule follows the new stakes.  Over the
measured run every node agrees on the chain and the state root, and each
validator proposes in proportion to its stake: within 4 standard deviations
of the binomial expectation (a false alarm has odds below 1 in 10,000)."""

import math
import time

from test_framework.crypto import address, pubkey, regtest_secret
from test_framework.framework import (FMLTestFramework, assert_equal, connect_nodes, sync_blocks,
                                      wait_until, TestFailure)

MEASURE_SECONDS = 70


class RealtimeValidatorsTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 4
        self.extra_args = [["-connect=0", "-listen=1", "-produceblocks=1", "-regtestvalidator=%d" % i]
                           for i in range(4)]

    def run_test(self):
        n = self.nodes
        for a, b in ((0, 1), (1, 2), (2, 3), (3, 0)):
            connect_nodes(n[a], n[b])
        vals = [address("rfml", pubkey(regtest_secret(i))) for i in range(4)]

        self.log("Blocks appear in real time on every node")
        wait_until(lambda: min(x.getblockcount() for x in n) >= 3, timeout=60, what="first blocks")

        self.log("Validator 0 adds 200,000 FML of stake (now 300,000 of 600,000)")
        txid = n[0].stake(vals[0], 200000)
        wait_until(lambda: n[0].getrawtransaction(txid, True).get("confirmations", 0) >= 1, timeout=60,
                   what="stake confirmed")
        # The schedule takes stakes from three epochs back: wait four epochs of slots.
        slot0 = n[0].getblockchaininfo()["slot"]
        wait_until(lambda: n[0].getblockchaininfo()["slot"] >= slot0 + 4 * 8, timeout=60, what="4 epochs")
        start = n[0].getblockcount()

        self.log("Measure for %ds" % MEASURE_SECONDS)
        time.sleep(MEASURE_SECONDS)
        end = min(x.getblockcount() for x in n) - 2

        self.log("All nodes agree on the chain and state up to height %d" % end)
        for h in (start, end):
            hashes = set(x.getblockhash(h) for x in n)
            assert_equal(len(hashes), 1)
            roots = set(x.getblockheader(x.getblockhash(h))["stateroot"] for x in n)
            assert_equal(len(roots), 1)
        sync_blocks(n, timeout=30)

        counts = [0, 0, 0, 0]
        for h in range(start + 1, end + 1):
            counts[vals.index(n[1].getblock(n[1].getblockhash(h))["proposer"])] += 1
        total = sum(counts)
        shares = [0.5, 1 / 6, 1 / 6, 1 / 6]
        self.log("  %d blocks: proposers %r (expected %r)" %
                 (total, counts, [round(total * s, 1) for s in shares]))
        if total < 40:
            raise TestFailure("only %d blocks in %ds" % (total, MEASURE_SECONDS))
        for c, s in zip(counts, shares):
            exp = total * s
            sd = math.sqrt(total * s * (1 - s))
            if abs(c - exp) > 4 * sd + 1:
                raise TestFailure("proposer counts %r not in proportion to stakes %r" % (counts, shares))


if __name__ == "__main__":
    RealtimeValidatorsTest().main()
