#!/usr/bin/env python3
"""kill -9 and restart: the node comes back at a valid tip whose state root is
the one in the tip's header, with the same balances, the wallet's keys and its
sent transactions; killed in the middle of block production it loses nothing
that was confirmed; and -reindex rebuilds the same state from the block files.

A second node, following the first over P2P, is killed at random moments
while it imports hundreds of blocks, while it reorganizes to a longer branch
and while its wallet hands out addresses and sends FML: each restart comes back
at a consistent tip that keeps every block seen connected (outside a
reorganization), with every address and transaction the wallet returned, and
ends on the first node's tip and state root."""

import random
import threading
import time
from decimal import Decimal

from test_framework.framework import FMLTestFramework, assert_equal, sync_blocks, TestFailure
from test_framework.rpc import JSONRPCException


class CrashRestartTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.extra_args = [[], ["-regtestvalidator=none", "-listen=0"]]

    def setup_network(self):
        # Node 1 starts later, following node 0.
        self.nodes[1].extra_args.append("-connect=127.0.0.1:%d" % self.nodes[0].port)
        self.nodes[0].start()

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

        self.kills_on_follower(rng)

    def restarted(self, node, seen_tip=None):
        """Restarts a killed node; its tip is consistent and, unless a
        reorganization was under way, still holds seen_tip."""
        node.start()
        info = self.check_consistent(node)
        if seen_tip and node.getblockheader(seen_tip)["confirmations"] < 1:
            raise TestFailure("block %s, connected before the kill, was lost" % seen_tip)
        self.kills += 1
        return info

    def moved_at_startup(self, node):
        """True when the last start connected blocks before it was ready."""
        with open(node.debug_log, errors="replace") as f:
            lines = f.read().splitlines()
        last = max(i for i, l in enumerate(lines) if "starting: chain" in l)
        loaded = next(i for i in range(last, len(lines)) if "Loaded chain" in lines[i])
        return any("UpdateTip" in l for l in lines[last:loaded])

    def kills_on_follower(self, rng):
        src, node = self.nodes
        self.kills = 0
        src_addr = src.getnewaddress()

        self.log("kill -9 while node 1 imports 400 blocks")
        for i in range(40):
            src.sendtoaddress(src_addr, Decimal("0.01"))
            src.generateblocks(10)
        target = src.getbestblockhash()
        node.start()
        import_kills = 0
        while node.getbestblockhash() != target:
            time.sleep(rng.uniform(0.05, 0.6))
            seen = node.getbestblockhash()
            node.kill()
            info = self.restarted(node, seen)
            import_kills += 1
            self.log("  kill %d: restarted at height %d of %d" %
                     (import_kills, info["blocks"], src.getblockcount()))
            if import_kills >= 12:
                break
        sync_blocks([src, node], timeout=120)
        assert_equal(node.getblockchaininfo()["stateroot"], src.getblockchaininfo()["stateroot"])

        self.log("kill -9 while node 1 reorganizes to a longer branch")
        finished_at_start = reorg_kills = 0
        for round_ in range(5):
            # Node 1 is down while node 0 replaces its last blocks with a
            # longer branch; node 1 then reorganizes as soon as it is back,
            # and is killed at random moments until it has.
            depth = rng.randint(8, 18)
            height = src.getblockcount()
            old_tip = src.getbestblockhash()
            node.kill()
            old_tip_time = src.getblockheader(old_tip)["time"]
            fork = src.getblockhash(height - depth)
            src.invalidateblock(src.getblockhash(height - depth + 1))
            src.setmocktime(old_tip_time + 1)  # no second block for one slot
            for _ in range(depth + 1):
                src.sendtoaddress(src_addr, Decimal("0.02"))
                src.generateblocks(1)
            src.setmocktime(0)
            new_tip = src.getbestblockhash()
            node.start()
            # The kill comes soon after node 1 learns the new headers: while
            # it fetches, stores, disconnects and connects blocks.
            deadline = time.time() + 10
            while node.getblockchaininfo()["headers"] <= height and time.time() < deadline:
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.4))
            node.kill()
            reorg_kills += 1
            # Then at random instants of the start-up, which connects the best
            # chain from the stored blocks before anything else.
            for _ in range(2):
                node.start(wait=False)
                time.sleep(rng.uniform(0.02, 0.3))
                node.kill()
                reorg_kills += 1
            info = self.restarted(node, fork)
            if self.moved_at_startup(node):
                finished_at_start += 1
            self.log("  reorganization %d (%d blocks): 3 kills, restarted at height %d" %
                     (round_ + 1, depth, info["blocks"]))
            sync_blocks([src, node], timeout=60)
            assert_equal(node.getblockchaininfo()["stateroot"], src.getblockchaininfo()["stateroot"])

        self.log("kill -9 while node 1's wallet hands out addresses and sends")
        keys, sent = [], []
        mine = node.getnewaddress()
        src.sendtoaddress(mine, 1000)
        src.generateblocks(1)
        sync_blocks([src, node])
        for round_ in range(6):
            stop = threading.Event()
            rpc = node.new_rpc()

            def work():
                try:
                    while not stop.is_set():
                        keys.append(rpc.getnewaddress())
                        sent.append(rpc.sendtoaddress(src_addr, Decimal("0.01")))
                except Exception:
                    pass  # the kill

            worker = threading.Thread(target=work)
            worker.start()
            time.sleep(rng.uniform(0.05, 0.5))
            node.kill()
            stop.set()
            worker.join()
            self.restarted(node)
            for a in keys:
                if not node.getaddressinfo(a)["ismine"]:
                    raise TestFailure("address %s handed out before the kill is lost" % a)
            listed = set(t["txid"] for t in node.listtransactions("*", 100000))
            lost = [t for t in sent if t not in listed]
            if lost:
                raise TestFailure("transactions reported sent before the kill are lost: %r" % lost)
            for t in sent:
                if node.gettransaction(t)["confirmations"] == 0:
                    try:
                        src.sendrawtransaction(node.gettransaction(t)["hex"])
                    except JSONRPCException:
                        pass
            src.generateblocks(1)
            sync_blocks([src, node])
        for _ in range(20):
            if all(node.gettransaction(t)["confirmations"] > 0 for t in sent):
                break
            src.generateblocks(1)
            sync_blocks([src, node])
        else:
            raise TestFailure("transactions reported sent never confirmed")
        assert_equal(node.getblockchaininfo()["stateroot"], src.getblockchaininfo()["stateroot"])
        self.log("Figures: %d kills of node 1 (%d during the import, %d during "
                 "reorganizations, 6 during wallet writes); %d restarts after a reorganization "
                 "kill finished the interrupted work at start; %d addresses and %d sent "
                 "transactions kept; mismatches: 0" %
                 (import_kills + reorg_kills + 6, import_kills, reorg_kills, finished_at_start,
                  len(keys), len(sent)))


if __name__ == "__main__":
    CrashRestartTest().main()
