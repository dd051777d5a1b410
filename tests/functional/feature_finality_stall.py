#!/usr/bin/env python3
"""Finality after a partition in which only one side justified an epoch.

Four regtest validators, each on its own node, produce blocks on demand
(generateblocks) and vote by a mock clock (-vote=1, setmocktime), so each
step is deterministic:

(Epochs below are counted from the first epoch of the run, E: the mock
clock starts a little ahead of the real one, as the producer never goes back
to a slot it has seen.)

- Warm-up: epochs E+1..E+3 justified by all four; something is finalized.
- Split {0,1} (side A) from {2,3} (side B) in epoch E+4, after its
  checkpoint is common.  Each side votes for E+4 (two votes of four); B's
  votes are handed to A by sendrawtransaction, so A justifies E+4 and B does
  not (its justified epoch stays E+3).
- Epoch E+5: A's validators vote E+4 -> E+5, B's E+3 -> E+5 (neither
  justifies E+5).  B's branch is made longer than A's.
- Heal.  Were the longest branch followed (B), A's validators could only
  vote E+3 -> E+6, which surrounds their E+4 -> E+5: they refuse, and no
  epoch is justified again.  The fork choice by justified checkpoint takes A's branch
  on every node (B's nodes fetch and evaluate it although it is shorter),
  all four vote, and finality resumes.
- No validator ever signed two votes that conflict (double or surround)."""

import time

from test_framework.crypto import address, pubkey, regtest_secret
from test_framework.framework import (FMLTestFramework, assert_equal, connect_nodes,
                                      disconnect_nodes, sync_blocks, wait_until, TestFailure)

GENESIS_TIME = 1767225600
EPOCH = 8


def epoch_of(node):
    return node.getblockchaininfo()["slot"] // EPOCH


def justified(node):
    return node.getfinalityinfo()["justified"]["epoch"]


class FinalityStallTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 4
        self.extra_args = [["-connect=0", "-listen=1", "-produceblocks=0", "-vote=1",
                            "-regtestvalidator=%d" % i] for i in range(4)]

    # ---- helpers ----

    def clock(self, nodes, slot):
        """Sets the nodes' mock clocks to slot (never back: the producer acts
        once per new slot)."""
        for x in nodes:
            self.slot[x.index] = max(slot, self.slot.get(x.index, 0))
            x.setmocktime(GENESIS_TIME + self.slot[x.index])

    def next_slot(self, node):
        """The slot generateblocks on node would use: its validator's first
        from the node's clock on."""
        slots = [x["slot"] for x in node.getvalidator(self.vals[node.index])["next_slots"]
                 if x["slot"] >= self.slot.get(node.index, 0)]
        return slots[0] if slots else float("inf")

    def gen(self, side, k=1):
        """k blocks on side, each by the side's validator leading the earliest
        slot (no epoch is skipped); the side synced."""
        for _ in range(k):
            min(side, key=self.next_slot).generateblocks(1)
            sync_blocks(side, timeout=20)

    def fill_epoch(self, side):
        """Blocks on side in every slot its validators lead until the end of
        the tip's epoch."""
        end = (side[0].getblockchaininfo()["slot"] // EPOCH + 1) * EPOCH
        while min(self.next_slot(x) for x in side) < end:
            self.gen(side)

    def into_epoch(self, side, e):
        while epoch_of(side[0]) < e:
            self.gen(side)

    def seen_votes(self, nodes):
        """Every vote (counted or pending) the nodes show, remembered."""
        for x in nodes:
            info = x.getfinalityinfo()
            for part in ("current", "previous"):
                p = info.get(part, {})
                for v in p.get("votes", []) + p.get("pending", []):
                    self.votes.add((v["validator"], v["source_epoch"], v["source"],
                                    v["target_epoch"], v["target"]))

    def vote(self, side, e, expect):
        """Moves side's clock into epoch e so that its validators vote for e;
        waits until expect votes for e are counted or pending on every node
        of the side (the votes relay), then one block counts them."""
        assert all(epoch_of(x) == e for x in side), [epoch_of(x) - e for x in side]
        self.clock(side, max([e * EPOCH + 1] + [self.slot[x.index] + 1 for x in side]))

        def have():
            for x in side:
                cur = x.getfinalityinfo()["current"]
                if cur["epoch"] != e or len(cur.get("votes", [])) + len(cur.get("pending", [])) < expect:
                    return False
            return True
        wait_until(have, timeout=20, interval=0.1, what="%d votes for epoch %d" % (expect, e))
        self.seen_votes(side)

    def no_conflicting_votes(self):
        by = {}
        for v in self.votes:
            by.setdefault(v[0], []).append(v)
        for val, vs in by.items():
            for i, a in enumerate(vs):
                for b in vs[i + 1:]:
                    double = a[3] == b[3]
                    surround = ((a[1] < b[1] and b[3] < a[3]) or (b[1] < a[1] and a[3] < b[3]))
                    if double or surround:
                        raise TestFailure("validator %s signed %r and %r" % (val, a, b))
        self.log("  %d votes seen, none conflicting" % len(self.votes))

    # ---- the story ----

    def run_test(self):
        n = self.nodes
        self.vals = [address("rfml", pubkey(regtest_secret(i))) for i in range(4)]
        self.votes = set()
        self.slot = {}
        for a, b in ((0, 1), (1, 2), (2, 3), (3, 0)):
            connect_nodes(n[a], n[b])
        E = (int(time.time()) - GENESIS_TIME + 30) // EPOCH + 1
        self.clock(n, E * EPOCH)

        self.log("Warm-up: epochs E+1..E+3 justified by all four (E = %d)" % E)
        for e in (E + 1, E + 2, E + 3):
            self.into_epoch(n, e)
            self.vote(n, e, 4)
            self.gen(n)
            assert_equal([justified(x) for x in n], [e] * 4)
        fin = n[0].getblockchaininfo()["finalized_height"]
        assert fin > 0, fin

        self.log("Split {0,1} | {2,3} in epoch E+4, its checkpoint common")
        self.into_epoch(n, E + 4)
        fork_height = n[0].getblockcount()
        A, B = [n[0], n[1]], [n[2], n[3]]
        disconnect_nodes(n[1], n[2])
        disconnect_nodes(n[3], n[0])
        self.vote(A, E + 4, 2)
        self.vote(B, E + 4, 2)
        self.log("  B's votes for epoch E+4 handed to A: A justifies E+4, B does not")
        for v in n[2].getfinalityinfo()["current"]["pending"]:
            n[0].sendrawtransaction(n[2].getrawtransaction(v["txid"]))
        self.vote(A, E + 4, 4)
        self.gen(A)
        self.fill_epoch(B)
        assert_equal([justified(x) - E for x in n], [4, 4, 3, 3])

        self.log("Epoch E+5: A votes E+4 -> E+5, B votes E+3 -> E+5; B's branch longer")
        # A makes only the blocks its votes need, B every block it leads (but
        # none in E+6, where its validators would vote again).  A's clock
        # skips the rest of E+4.
        self.clock(A, (E + 5) * EPOCH)
        self.into_epoch(A, E + 5)
        self.vote(A, E + 5, 2)
        self.gen(A)
        self.into_epoch(B, E + 5)
        self.vote(B, E + 5, 2)
        self.fill_epoch(B)
        # B goes on into E+6 (its clock at the epoch's first slot: no votes
        # yet), where A's votes for E+4 can no longer be counted: a vote
        # counts in a block of its target epoch or the next.
        self.clock(B, (E + 6) * EPOCH)
        self.into_epoch(B, E + 6)
        if n[2].getblockcount() <= n[0].getblockcount():
            raise TestFailure("B's branch is not longer: %d <= %d" %
                              (n[2].getblockcount(), n[0].getblockcount()))
        a_tip, b_tip = n[0].getbestblockhash(), n[2].getbestblockhash()
        self.log("  A at height %d (justified E+4), B at height %d (justified E+3), fork at %d" %
                 (n[0].getblockcount(), n[2].getblockcount(), fork_height))
        assert_equal([justified(x) - E for x in n], [4, 4, 3, 3])

        self.log("Heal: every node takes A's branch (justified E+4), although shorter")
        connect_nodes(n[1], n[2])
        connect_nodes(n[3], n[0])
        wait_until(lambda: len(set(x.getbestblockhash() for x in n)) == 1, timeout=30,
                   interval=0.2, what="one tip")
        tip = n[0].getbestblockhash()
        self.log("  converged on %s branch" % ("A's" if tip == a_tip else
                                               "B's" if tip == b_tip else "another"))
        # The clocks move on past every slot either side used, the losing
        # branch's too (generateblocks may have taken slots ahead of a clock):
        # a validator never signs a second block for a slot.
        used = max(n[0].getblockheader(h)["slot"] for h in (a_tip, b_tip))
        self.clock(n, max([x.getblockchaininfo()["slot"] for x in n] + [used]) + 1)
        a_height = n[0].getblock(a_tip)["height"]

        self.log("Finality resumes: epochs E+6 and E+7 justified, E+6 finalized")
        for e in (E + 6, E + 7):
            self.into_epoch(n, e)
            self.vote(n, e, 4)
            self.gen(n)
            assert_equal([justified(x) for x in n], [e] * 4)
        fins = [x.getblockchaininfo()["finalized_height"] for x in n]
        self.log("  finalized heights %r (fork at %d)" % (fins, fork_height))
        if min(fins) <= fork_height:
            raise TestFailure("finality did not resume above the partition: %r" % fins)
        assert_equal(len(set(x.getblockhash(min(fins)) for x in n)), 1)
        assert_equal([x.getblockhash(a_height) for x in n], [a_tip] * 4)
        self.seen_votes(n)
        self.no_conflicting_votes()
        # Nor a slashable pair of blocks: every validator is still active.
        for x in n:
            assert_equal([x.getvalidator(v)["status"] for v in self.vals], ["active"] * 4)


if __name__ == "__main__":
    FinalityStallTest().main()
