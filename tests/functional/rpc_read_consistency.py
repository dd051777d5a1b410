#!/usr/bin/env python3
"""RPC reads from several threads while blocks connect and a reorganization
happens: getblockcount and getbestblockhash (answered without the node lock,
from the tip published at the end of each activation) only ever name a
whole tip, never one in the middle of a reorganization; every hash they
name is a block at the height they say; reads under the lock (getblock,
getaccount, getrawtransaction) agree with them."""

import threading
import time
from decimal import Decimal

from test_framework.framework import FMLTestFramework, assert_equal


class Hammer:
    """Threads calling getbestblockhash and getblockcount (one batch-free
    call each, on its own connection) until stopped, keeping every answer."""

    def __init__(self, node, threads=4):
        self.node = node
        self.stop = threading.Event()
        self.hashes = []
        self.heights = []
        self.errors = []
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]

    def run(self):
        rpc = self.node.new_rpc()
        hashes, heights = [], []
        try:
            while not self.stop.is_set():
                hashes.append(rpc.getbestblockhash())
                heights.append(rpc.getblockcount())
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.errors.append(repr(e))
        self.hashes.extend(hashes)
        self.heights.extend(heights)

    def __enter__(self):
        for t in self.threads:
            t.start()
        time.sleep(0.2)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(60)
        return False


class RPCReadConsistencyTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-rpcthreads=8"]]

    def run_test(self):
        node = self.nodes[0]
        node.generateblocks(2)
        addrs = [node.getnewaddress() for _ in range(4)]
        node.sendmany("", {a: Decimal("10") for a in addrs})
        node.generateblocks(1)

        self.log("Blocks of transfers connect while readers hammer the published tip")
        chain_a = []
        with Hammer(node) as h:
            for i in range(10):
                for a in addrs:
                    node.sendtoaddress(addrs[(addrs.index(a) + 1) % len(addrs)], Decimal("0.01"),
                                       "", "", False, a)
                chain_a += node.generateblocks(1)
                # Reads under the lock agree with the lock-free tip.
                tip = node.getbestblockhash()
                height = node.getblockcount()
                assert_equal(node.getblock(tip)["height"], height)
                assert_equal(node.getblockhash(height), tip)
                assert_equal(node.getblockchaininfo()["bestblockhash"], tip)
        assert_equal(h.errors, [])
        assert len(h.hashes) > 100, "the readers made too few calls (%d)" % len(h.hashes)
        # Every answer names a block of the active chain at its height, and
        # heights never go back while blocks only connect.
        seen = set(h.hashes)
        for blockhash in seen:
            header = node.getblockheader(blockhash)
            assert_equal(node.getblockhash(header["height"]), blockhash)
        assert min(h.heights) >= 3 and max(h.heights) == node.getblockcount()
        assert set(h.heights) <= set(range(3, node.getblockcount() + 1))

        self.log("A reorganization (3 blocks off, 7 on) is seen whole by lock-free readers")
        height = node.getblockcount()
        fork = chain_a[3]  # invalidate it: the tip falls to its parent
        node.invalidateblock(fork)
        parent_height = node.getblockheader(fork)["height"] - 1
        assert_equal(node.getblockcount(), parent_height)
        # A shorter branch with different transactions.
        for a in addrs:
            node.sendtoaddress(addrs[(addrs.index(a) + 2) % len(addrs)], Decimal("0.02"), "", "",
                               False, a)
        chain_b = node.generateblocks(3)
        b_tip = chain_b[-1]
        assert_equal(node.getbestblockhash(), b_tip)
        with Hammer(node, threads=6) as h:
            node.reconsiderblock(fork)  # back to the longer branch in one activation
            time.sleep(0.2)
        assert_equal(h.errors, [])
        assert_equal(node.getbestblockhash(), chain_a[-1])
        assert_equal(node.getblockcount(), height)
        intermediate = set(h.hashes) - {b_tip, chain_a[-1]}
        assert_equal(sorted(intermediate), [])
        assert set(h.heights) <= {parent_height + 3, height}, set(h.heights)

        self.log("Reads under the lock agree with the tip after the reorganization")
        for blockhash in chain_a[3:]:
            block = node.getblock(blockhash)
            assert_equal(node.getblockhash(block["height"]), blockhash)
            for txid in block["tx"]:
                assert_equal(node.getrawtransaction(txid, True)["blockhash"], blockhash)
        total = sum(node.getaccount(a)["balance"] for a in addrs)
        assert total > 0


if __name__ == "__main__":
    RPCReadConsistencyTest().main()
