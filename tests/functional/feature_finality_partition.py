#!/usr/bin/env python3
"""Checkpoint finality across partitions, four validators proposing and voting
in real time, each on its own node.

- 2+2: neither side has more than 2/3 of the stake, so neither finalizes
  beyond what was finalized before the split; healed, the nodes agree on one
  branch and finality resumes.  The split is made when no vote is in flight
  (every vote of the epoch counted on every node, early in the epoch): a vote
  reaching one side only could justify a checkpoint there alone, and if the
  other side's branch won, the validators that voted from that checkpoint
  could not vote again without a surround vote (doc/security.md, known
  limits of finality).
- 3+1: the three finalize on their own; the one, healed, reorganizes onto
  their branch (its own branch forks above the finalized block it had, and
  the three refuse nothing but branches below theirs)."""

import time

from test_framework.framework import (FMLTestFramework, assert_equal, connect_nodes,
                                      disconnect_nodes, sync_blocks, wait_until, TestFailure)

EPOCH = 8  # seconds: 8 one-second slots


def fin(node):
    return node.getblockchaininfo()["finalized_height"]


def quiet(nodes):
    """Every vote of the tip's epoch counted everywhere, none pending, and
    at least 3 slots left in the epoch."""
    infos = [x.getfinalityinfo() for x in nodes]
    slot = nodes[0].getblockchaininfo()["slot"]
    return (len(set(i["epoch"] for i in infos)) == 1 and slot % EPOCH <= EPOCH - 4 and
            all(len(i["current"].get("votes", [])) == 4 and not i["current"]["pending"] and
                not i.get("previous", {}).get("pending") for i in infos))


class FinalityPartitionTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 4
        self.extra_args = [["-connect=0", "-listen=1", "-produceblocks=1", "-regtestvalidator=%d" % i]
                           for i in range(4)]

    def run_test(self):
        n = self.nodes
        ring = ((0, 1), (1, 2), (2, 3), (3, 0))
        for a, b in ring:
            connect_nodes(n[a], n[b])
        wait_until(lambda: min(fin(x) for x in n) > 0, timeout=60, what="a finalized block")

        self.log("2+2: split into {0,1} and {2,3}, no vote in flight")
        wait_until(lambda: quiet(n), timeout=6 * EPOCH, interval=0.2, what="no vote in flight")
        disconnect_nodes(n[1], n[2])
        disconnect_nodes(n[3], n[0])
        time.sleep(2)  # blocks in flight may still land
        settled = [fin(x) for x in n]
        time.sleep(3 * EPOCH)
        now = [fin(x) for x in n]
        self.log("  finalized heights %r, then %r; tips %d and %d" %
                 (settled, now, n[0].getblockcount(), n[2].getblockcount()))
        if now != settled:
            raise TestFailure("a side of a 2+2 split finalized: %r -> %r" % (settled, now))
        assert n[0].getbestblockhash() != n[2].getbestblockhash()

        self.log("Heal: one branch, finality resumes")
        connect_nodes(n[1], n[2])
        connect_nodes(n[3], n[0])
        top = max(now)
        wait_until(lambda: min(fin(x) for x in n) > top, timeout=6 * EPOCH, what="finality resumes")
        sync_blocks(n, timeout=30)
        f = min(fin(x) for x in n)
        assert_equal(len(set(x.getblockhash(f) for x in n)), 1)

        self.log("3+1: split {0,1,2} from {3}")
        wait_until(lambda: quiet(n), timeout=6 * EPOCH, interval=0.2, what="no vote in flight")
        disconnect_nodes(n[2], n[3])
        disconnect_nodes(n[3], n[0])
        base = fin(n[3])
        time.sleep(2)
        lone = fin(n[3])
        wait_until(lambda: fin(n[0]) > lone + EPOCH and fin(n[0]) > base, timeout=6 * EPOCH,
                   what="the three finalize")
        time.sleep(EPOCH)
        if fin(n[3]) != lone:
            raise TestFailure("the lone validator finalized alone: %d -> %d" % (lone, fin(n[3])))
        three_fin = fin(n[0])
        three_hash = n[0].getblockhash(three_fin)
        assert n[3].getbestblockhash() != n[0].getbestblockhash()

        self.log("Heal: the one follows the three")
        connect_nodes(n[2], n[3])
        connect_nodes(n[3], n[0])
        wait_until(lambda: fin(n[3]) >= three_fin, timeout=6 * EPOCH, what="node 3 follows")
        assert_equal(n[3].getblockhash(three_fin), three_hash)
        sync_blocks(n, timeout=30)
        assert_equal(len(set(x.getblockchaininfo()["stateroot"] for x in n)), 1)
        for x in n:
            s = x.getsupplyinfo()
            assert s["supply_consistent"] and s["rewards_consistent"], s


if __name__ == "__main__":
    FinalityPartitionTest().main()
