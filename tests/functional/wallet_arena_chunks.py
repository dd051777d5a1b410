#!/usr/bin/env python3
"""A creator's wallet must be able to reveal the sets of a task it creates.
The mempool holds at most MEMPOOL_MAX_RUN (64) transactions of one sender, so
the wallet gets at most 64 chunks into each block of the set window: a task cut
into more chunks than 64 x reveal_blocks (chunk_rows small, a short window)
passes the consensus window-carry rule, which counts bytes, yet fails at CLOSE
with the creator's budget slashed.  arenacreatetask refuses it; the largest
task it accepts in that window has every chunk on chain by sets_end."""

from test_framework.framework import FMLTestFramework, assert_equal, assert_raises_rpc_error


def rows(n, seed):
    return [[(i * 7 + seed) % 5 - 2, (i * 3 + seed) % 7 - 3, i % 2] for i in range(n)]


class ArenaChunksTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        node.generateblocks(2)
        creator = node.getnewaddress()
        node.sendtoaddress(creator, 60)
        node.generateblocks(1)
        opts = {"address": creator, "sizes": [2, 1], "chunk_rows": 1, "budget": 20,
                "submit_blocks": 2, "reveal_blocks": 1, "score_commit_blocks": 1,
                "score_reveal_blocks": 1}

        self.log("80 chunks of one row for a set window of one block: refused")
        assert_raises_rpc_error(-8, "reveal_blocks", node.arenacreatetask,
                                dict(opts, valsets=[rows(40, 1), rows(40, 2)]))
        assert_equal(node.getrawmempool(), [])

        self.log("64 chunks in one block: accepted, and every chunk lands by sets_end")
        task = node.arenacreatetask(dict(opts, valsets=[rows(32, 1), rows(32, 2)]))["task"]
        node.generateblocks(1)
        t = node.arenagettask(task)
        end = t["windows"]["sets_end"]
        node.generateblocks(end - node.getblockcount())
        t = node.arenagettask(task)
        assert all(s["complete"] for s in t["sets"]), t["sets"]
        assert t["state"] != "failed", t["state"]


if __name__ == "__main__":
    ArenaChunksTest().main()
