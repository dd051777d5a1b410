#!/usr/bin/env python3
"""Reorgs across an AI Arena task's windows, with the wallet's automatic
reveals.  The blocks that carry a trainer's submission reveal, and then the
creator's set chunks, are taken back together with the block that opened
their window (invalidateblock on the window's first height - 1), so the chain
goes back before the window and the mempool refuses the reveals it takes back
(arena-window).  When a new branch reaches the window again, the wallet must
send them again by itself: the trainer is not slashed, the task does not fail,
and the node's state matches a fresh audit (getsupplyinfo).  A second node
that followed the first branch up to the reveal, then reconnects, reorgs onto
the final chain and ends with the same state root."""

from test_framework.framework import (FMLTestFramework, assert_equal, assert_raises_rpc_error,
                                      connect_nodes, disconnect_nodes, sync_blocks)

SETS = [
    [[1.5, 0.5, 1], [-1, -0.25, 0], [0.75, 1, 1], [-2, 0.5, 0]],
    [[2, -0.5, 1], [-0.75, 0.25, 0], [1, 1, 1]],
]
GOOD = [2 * 65536, 2 * 65536, 0]


class ArenaReorgTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        # No automatic connections: node 1 must stay on the first branch
        # until the test reconnects it (the address book would redial).
        self.extra_args = [["-connect=0"], ["-connect=0"]]

    def mine(self, n=1):
        self.nodes[0].generateblocks(n)

    def mine_to(self, height):
        node = self.nodes[0]
        if height > node.getblockcount():
            self.mine(height - node.getblockcount())
        assert_equal(node.getblockcount(), height)

    def reorg_back_to(self, height, spare):
        """Invalidates the block at height + 1 (and so everything above), then
        mines one block of different content at height + 1 (a transfer)."""
        node = self.nodes[0]
        node.invalidateblock(node.getblockhash(height + 1))
        assert_equal(node.getblockcount(), height)
        node.sendtoaddress(spare, 1)
        self.mine()
        assert_equal(node.getblockcount(), height + 1)

    def kinds(self):
        node = self.nodes[0]
        return sorted(node.getrawtransaction(x, True)["type"] for x in node.getrawmempool())

    def run_test(self):
        node = self.nodes[0]
        node.generateblocks(2)
        connect_nodes(self.nodes[1], node)
        a = {n: node.getnewaddress(n) for n in ("creator", "t1", "v1", "spare")}
        for n in ("creator", "t1", "v1"):
            node.sendtoaddress(a[n], 60)
        self.mine()

        self.log("A task: submit c+1..c+6, reveals ..c+10, sets ..c+14")
        task = node.arenacreatetask({"address": a["creator"], "sizes": [2, 1], "valsets": SETS,
                                     "chunk_rows": 2, "budget": 20, "submit_blocks": 6,
                                     "reveal_blocks": 4, "score_commit_blocks": 2,
                                     "score_reveal_blocks": 2, "trainer_min_stake": 5,
                                     "validator_min_stake": 5})["task"]
        self.mine()
        c = node.arenagettask(task)["created_height"]
        node.arenastake(task, "trainer", 10, a["t1"])
        node.arenastake(task, "validator", 10, a["v1"])
        self.mine()
        node.arenasubmit(task, GOOD, a["t1"])
        self.mine()

        self.log("The reveal is sent at the window and confirmed")
        self.mine_to(c + 6)
        assert_equal(self.kinds(), ["arena_submit_reveal"])
        self.mine()
        ops = {o["address"]: o for o in node.arenagettask(task)["operators"]}
        assert ops[a["t1"]]["revealed"]
        sync_blocks(self.nodes)
        old_tip = node.getbestblockhash()
        disconnect_nodes(self.nodes[1], node)

        self.log("A reorg back before the reveal window: the pool refuses the reveal")
        self.reorg_back_to(c + 5, a["spare"])   # new block c+6 = submit_end: ASSIGN again
        ops = {o["address"]: o for o in node.arenagettask(task)["operators"]}
        assert not ops[a["t1"]]["revealed"]
        self.log("... and the wallet sends it again at the window's first block")
        assert_equal(self.kinds(), ["arena_submit_reveal"])
        self.mine()
        ops = {o["address"]: o for o in node.arenagettask(task)["operators"]}
        assert ops[a["t1"]]["revealed"], "the reveal taken back by the reorg was never sent again"

        self.log("The chunks are sent at the set window and confirmed")
        self.mine_to(c + 10)
        assert_equal(self.kinds(), ["arena_reveal_valset"] * 4)
        self.mine()
        assert all(s["complete"] for s in node.arenagettask(task)["sets"])
        assert_raises_rpc_error(-4, "no validation sets", node.arenarevealsets, task)

        self.log("A reorg back to reveal_end: the pool refuses every chunk")
        self.reorg_back_to(c + 9, a["spare"])
        assert not any(s["complete"] for s in node.arenagettask(task)["sets"])
        self.log("... and the wallet sends them all again when the set window opens")
        assert_equal(self.kinds(), ["arena_reveal_valset"] * 4)
        self.mine()
        assert all(s["complete"] for s in node.arenagettask(task)["sets"]), \
            "the chunks taken back by the reorg were never sent again"

        self.log("CLOSE: the task is scoring, nobody slashed, the audit balances")
        self.mine_to(c + 14)
        t = node.arenagettask(task)
        assert_equal(t["state"], "scoring")
        assert not any(o["was_slashed"] for o in t["operators"]), t["operators"]
        assert t["pool"]["balanced"], t["pool"]
        supply = node.getsupplyinfo()
        assert supply["supply_consistent"] and supply["rewards_consistent"], supply

        self.log("The second node, still on the first branch, reorgs onto this chain")
        other = self.nodes[1]
        assert_equal(other.getbestblockhash(), old_tip)
        connect_nodes(other, node)
        sync_blocks(self.nodes)
        assert_equal(other.getblockchaininfo()["stateroot"], node.getblockchaininfo()["stateroot"])
        assert_equal(other.arenagettask(task)["state"], "scoring")
        supply = other.getsupplyinfo()
        assert supply["supply_consistent"] and supply["rewards_consistent"], supply


if __name__ == "__main__":
    ArenaReorgTest().main()
