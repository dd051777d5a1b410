#!/usr/bin/env python3
"""A node that joins late downloads 2,100 blocks with transactions from two
peers (headers first, bodies in parallel), reaches the identical state root,
and resumes after a restart in the middle of the download."""

import time
from decimal import Decimal

from test_framework.framework import (FMLTestFramework, assert_equal, connect_nodes, sync_blocks,
                                      wait_until)

TARGET = 2100


class SyncLateTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 3
        self.extra_args = [["-connect=0", "-listen=1", "-regtestvalidator=%d" % i] for i in range(2)] + \
                          [["-connect=0", "-listen=1", "-regtestvalidator=none"]]

    def run_test(self):
        a, b, late = self.nodes
        connect_nodes(a, b)
        self.log("Build %d blocks with transfers on two validators" % TARGET)
        addrs = [a.getnewaddress() for _ in range(5)]
        t0 = time.time()
        while a.getblockcount() < TARGET:
            for i, addr in enumerate(addrs):
                a.sendtoaddress(addr, Decimal(i + 1) / 10)
            a.generateblocks(100)
        sync_blocks([a, b], timeout=120)
        self.log("  built in %.1fs; height %d" % (time.time() - t0, a.getblockcount()))
        root = a.getblockchaininfo()["stateroot"]

        self.log("The late node syncs from both")
        t0 = time.time()
        connect_nodes(late, a)
        connect_nodes(late, b)
        wait_until(lambda: late.getblockcount() > TARGET // 3, timeout=120, what="partial sync")
        self.log("Restart it in the middle of the download")
        late.stop()
        late.start()
        connect_nodes(late, a)
        connect_nodes(late, b)
        sync_blocks([a, b, late], timeout=240)
        self.log("  synced %d blocks in %.1fs" % (late.getblockcount(), time.time() - t0))
        assert_equal(late.getblockchaininfo()["stateroot"], root)
        for addr in addrs:
            assert_equal(late.getaccount(addr), a.getaccount(addr))
        info = late.getsupplyinfo()
        assert info["supply_consistent"] and info["rewards_consistent"], info


if __name__ == "__main__":
    SyncLateTest().main()
