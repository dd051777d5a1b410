#!/usr/bin/env python3
"""Four validators split 2+2: each side builds its own branch, one of them
longer.  When the network heals every node moves to the longer branch with
the same state root; a transfer confirmed only on the losing branch goes back
to the mempool and confirms again on the winning one."""

from decimal import Decimal

from test_framework.framework import (FMLTestFramework, assert_equal, connect_nodes,
                                      disconnect_nodes, sync_blocks, sync_mempools, wait_until,
                                      TestFailure)


class PartitionTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 4
        self.extra_args = [["-connect=0", "-listen=1", "-regtestvalidator=%d" % i] for i in range(4)]

    def state(self, node):
        info = node.getblockchaininfo()
        return info["bestblockhash"], info["stateroot"]

    def run_test(self):
        n = self.nodes
        for a, b in ((0, 1), (1, 2), (2, 3), (3, 0)):
            connect_nodes(n[a], n[b])
        n[0].generateblocks(3)
        sync_blocks(n)
        fork_height = n[0].getblockcount()

        self.log("Split into {0,1} and {2,3}")
        disconnect_nodes(n[1], n[2])
        disconnect_nodes(n[3], n[0])

        self.log("Side A confirms a transfer in a 4-block branch")
        dest = n[1].getnewaddress()
        txid = n[0].sendtoaddress(dest, Decimal("12.5"))
        wait_until(lambda: txid in n[1].getrawmempool(), what="relay on side A")
        n[0].generateblocks(2)
        sync_blocks(n[0:2])
        n[1].generateblocks(2)
        sync_blocks(n[0:2])
        assert_equal(n[1].getrawtransaction(txid, True)["confirmations"] >= 1, True)
        assert_equal(n[1].getaccount(dest)["balance"], Decimal("12.5"))
        if txid in n[2].getrawmempool():
            raise TestFailure("the transfer crossed the partition")

        self.log("Side B builds a longer branch (6 blocks) without it")
        n[2].generateblocks(3)
        sync_blocks(n[2:4])
        n[3].generateblocks(3)
        sync_blocks(n[2:4])
        a_tip, b_tip = n[0].getbestblockhash(), n[2].getbestblockhash()
        assert a_tip != b_tip
        assert_equal(n[0].getblockcount(), fork_height + 4)
        assert_equal(n[2].getblockcount(), fork_height + 6)

        self.log("Heal: everyone ends on side B's branch, same state root")
        connect_nodes(n[1], n[2])
        connect_nodes(n[3], n[0])
        sync_blocks(n)
        assert_equal(n[0].getbestblockhash(), b_tip)
        assert_equal(len(set(self.state(x) for x in n)), 1)
        tips = n[0].getchaintips()
        assert any(t["hash"] == a_tip and t["status"] in ("valid-fork", "valid-headers") for t in tips)

        self.log("The transfer of the losing branch is back in the mempools")
        assert_equal(n[1].getaccount(dest)["balance"], 0)
        wait_until(lambda: all(txid in x.getrawmempool() for x in n), what="transfer back in mempools")
        n[3].generateblocks(1)
        sync_blocks(n)
        for x in n:
            assert_equal(x.getrawtransaction(txid, True)["confirmations"], 1)
            assert_equal(x.getaccount(dest)["balance"], Decimal("12.5"))
        assert_equal(len(set(self.state(x) for x in n)), 1)
        for x in n:
            info = x.getsupplyinfo()
            assert info["supply_consistent"] and info["rewards_consistent"], info


if __name__ == "__main__":
    PartitionTest().main()
