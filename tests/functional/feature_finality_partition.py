#!/usr/bin/env python3
"""Checkpoint finality across partitions, four validators proposing and voting
in real time, each on its own node.

- 2+2: neither side has more than 2/3 of the stake, so neither finalizes
  beyond what the votes cast before the split allow; healed, the nodes agree
  on one branch and finality resumes.  The split is made as the epoch's votes
  are being cast (its second slot), so votes are in flight: one reaching one
  side only can justify a checkpoint there alone.  The fork choice takes the
  branch that justified more (doc/protocol.md section 20.4), so the
  validators that voted from that checkpoint can vote on the winning branch
  (feature_finality_stall.py makes that case deterministic).  Votes count
  only in a block of their target epoch or the next, so the finalized
  heights are read once both sides are two epochs past the split.
- 3+1: the three finalize on their own; the one, healed, reorganizes onto
  their branch (its own branch forks above the finalized block it had, and
  the three refuse nothing but branches below theirs)."""

import time

from test_framework.framework import (FMLTestFramework, assert_equal, connect_nodes,
                                      disconnect_nodes, sync_blocks, wait_until, TestFailure)

EPOCH = 8  # seconds: 8 one-second slots
GENESIS_TIME = 1767225600  # regtest


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

        self.log("2+2: split into {0,1} and {2,3} as votes are cast")
        wait_until(lambda: (time.time() - GENESIS_TIME) % EPOCH >= 1 and
                   (time.time() - GENESIS_TIME) % EPOCH < 1.5, timeout=2 * EPOCH,
                   interval=0.05, what="an epoch's second slot")
        split_epoch = int(time.time() - GENESIS_TIME) // EPOCH
        disconnect_nodes(n[1], n[2])
        disconnect_nodes(n[3], n[0])
        wait_until(lambda: min(x.getfinalityinfo()["epoch"] for x in n) >= split_epoch + 2,
                   timeout=4 * EPOCH, what="two epochs past the split")
        settled = [fin(x) for x in n]
        time.sleep(EPOCH)
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
