#!/usr/bin/env python3
"""kill -9 and restart: the node comes back at a valid tip whose state root is
the one in the tip's header, with the same balances, the wallet's keys and its
sent transactions; killed in the middle of block production it loses nothing
that was confirmed; and -reindex rebuilds the same state from the block files."""

import random
import threading
import time
from decimal import Decimal

from test_framework.framework import FMLTestFramework, assert_equal, TestFailure
from test_framework.rpc import JSONRPCException


class CrashRestartTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def snapshot(self, node, addrs):
        info = node.getblockchaininfo()
        return (info["bestblockhash"], info["blocks"], info["stateroot"],
                [node.getaccount(a)["balance"] for a in addrs])

    def check_consistent(self, node):
        info = node.getblockchaininfo()
        hdr = node.getblockheader(info["bestblockhash"])
        assert_equal(info["stateroot"], hdr["stateroot"])
        assert_equal(hdr["height"], info["blocks"])
        return info

    def run_test(self):
        node = self.nodes[0]
        addrs = [node.getnewaddress() for _ in range(3)]
        node.generateblocks(3)
        for a in addrs:
            node.sendtoaddress(a, Decimal("10"))
        node.generateblocks(2)

        self.log("kill -9 after confirmed work: same tip, state root and balances")
        before = self.snapshot(node, addrs)
        node.kill()
        node.start()
        assert_equal(self.snapshot(node, addrs), before)
        self.check_consistent(node)

        self.log("A key handed out just before the crash is still the wallet's")
        fresh = node.getnewaddress()
        node.kill()
        node.start()
        assert_equal(node.getaddressinfo(fresh)["ismine"], True)

        self.log("A sent transaction survives a crash before it is mined")
        txid = node.sendtoaddress(addrs[0], Decimal("1.5"))
        node.kill()
        node.start()
        assert any(t["txid"] == txid for t in node.listtransactions("*", 1000))
        node.generateblocks(1)
        assert_equal(node.getrawtransaction(txid, True)["confirmations"], 1)

        self.log("Crashes in the middle of block production and transfers")
        rng = random.Random(self.seed)
        for round_ in range(6):
            stop = threading.Event()

            rpc = node.new_rpc()

            def work():
                try:
                    while not stop.is_set():
                        rpc.sendtoaddress(addrs[rng.randrange(3)], Decimal("0.01"))
                        rpc.generateblocks(2)
                except (JSONRPCException, OSError, ConnectionError):
                    pass
                except Exception:
                    pass

            node_rpc_height = node.getblockcount()
            worker = threading.Thread(target=work)
            worker.start()
            time.sleep(rng.uniform(0.2, 1.0))
            confirmed = node.getblockcount()
            node.kill()
            stop.set()
            worker.join()
            node.start()
            info = self.check_consistent(node)
            if info["blocks"] < confirmed:
                raise TestFailure("lost confirmed blocks: %d < %d" % (info["blocks"], confirmed))
            if info["blocks"] < node_rpc_height:
                raise TestFailure("went backwards")
            self.log("  crash %d: restarted at height %d (seen %d before the kill)" %
                     (round_ + 1, info["blocks"], confirmed))

        self.log("-reindex replays the block files to the same tip and state root")
        before = self.snapshot(node, addrs)
        node.stop()
        node.start(["-reindex"])
        assert_equal(self.snapshot(node, addrs), before)
        node.stop()
        node.start()
        assert_equal(self.snapshot(node, addrs), before)


if __name__ == "__main__":
    CrashRestartTest().main()
