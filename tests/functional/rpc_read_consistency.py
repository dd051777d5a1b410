#!/usr/bin/env python3
"""RPC reads from several threads while blocks connect and a reorganization
happens: getblockcount and getbestblockhash (answered without the node lock,
from the tip published at the end of each activation) only ever name a
whole tip, never one in the middle of a reorganization; every hash they
name is a block at the height they say.

Then, with every block connection slowed down under the node lock
(-connectdelay, after the block's state is written and before the new tip
is published), getaccount, getrawtransaction and getblock are hammered from
threads while blocks connect and through a reorganization: each answer
describes one whole published tip (its nonce, balance, confirmations and
next block agree with a tip between the getblockcount answers just before
and just after it, never the block in the middle of its connection;
getaccount's next_nonce counts every transfer sent so far, mined or
pooled, also while the block taking one is connected), and they do not
wait for the connection (most answer in a fraction of the delay, as
getblockcount does): getaccount with its mempool part (next_nonce, read
under the mempool's own lock) and getrawtransaction of a pooled
transaction included."""

import random
import threading
import time
from decimal import Decimal

from test_framework.framework import FMLTestFramework, assert_equal
from test_framework.rpc import JSONRPCException


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

        self.views_during_connects(node, addrs)

    def views_during_connects(self, node, addrs):
        delay_ms = 400
        node.stop()
        node.start(["-connectdelay=%d" % delay_ms])
        sender, receiver = addrs[0], addrs[1]
        node.generateblocks(1)  # what the wallet resubmitted after the reorganization
        self.log("getaccount, getrawtransaction, getblock hammered while blocks connect slowly")

        # The producer: one transfer from sender per block, so sender's
        # nonce at height h is n0 + (h - h0); its balance per nonce is what
        # the producer reads between blocks (no connection in progress).
        h0 = node.getblockcount()
        acct = node.getaccount(sender)
        n0 = acct["nonce"]
        assert_equal(acct["next_nonce"], n0)
        balance_at_nonce = {n0: acct["balance"]}
        txids = []  # (txid, sent while the tip was at this height)
        blocks = []
        # Transfers from sender whose sendtoaddress call started / returned.
        sends = {"started": 0, "done": 0}
        stop = threading.Event()
        samples = []  # (method, args, height before, answer or error, seconds, height after)
        errors = []

        def hammer(seed):
            rpc = node.new_rpc()
            rng = random.Random(seed)
            out = []
            try:
                while not stop.is_set():
                    choice = rng.randrange(10)
                    if choice < 3:
                        method, args = "getaccount", [sender, False]
                    elif choice < 5:
                        method, args = "getaccount", [sender]
                    elif choice < 7 and txids:
                        method, args = "getrawtransaction", [rng.choice(txids[-3:])[0], True]
                    elif blocks:
                        method, args = "getblock", [rng.choice(blocks[-3:]), 1]
                    else:
                        continue
                    before = rpc.getblockcount()
                    done = sends["done"]
                    t0 = time.time()
                    try:
                        answer = getattr(rpc, method)(*args)
                    except JSONRPCException as e:
                        answer = e
                    dt = time.time() - t0
                    if method == "getaccount" and len(args) == 1:
                        # next_nonce: every transfer sent before the call, at
                        # most those started before it returned.
                        answer = dict(answer, sent=(done, sends["started"]))
                    out.append((method, args, before, answer, dt, rpc.getblockcount()))
            except Exception as e:  # noqa: BLE001 - reported by the test
                errors.append(repr(e))
            samples.extend(out)

        threads = [threading.Thread(target=hammer, args=(i,), daemon=True) for i in range(4)]
        for t in threads:
            t.start()
        try:
            for _ in range(8):
                sends["started"] += 1
                txids.append((node.sendtoaddress(receiver, Decimal("0.01"), "", "", False, sender),
                              node.getblockcount()))
                sends["done"] += 1
                blocks += node.generateblocks(1)
                acct = node.getaccount(sender)
                balance_at_nonce[acct["nonce"]] = acct["balance"]
        finally:
            stop.set()
            for t in threads:
                t.join(60)
        assert_equal(errors, [])
        h1 = node.getblockcount()
        assert_equal(h1, h0 + 8)
        assert_equal(node.getaccount(sender)["nonce"], n0 + 8)
        heights = {b: node.getblockheader(b)["height"] for b in blocks}
        tx_height = {}
        for txid, _ in txids:
            tx = node.getrawtransaction(txid, True)
            tx_height[txid] = heights[tx["blockhash"]]
        self.check_samples(node, samples, h0, n0, balance_at_nonce, heights, tx_height)
        self.check_latency(samples, delay_ms, tx_height)

        self.log("A reorganization under slow connections: each answer names one whole tip")
        fork_height = h1 - 2
        fork = node.getblockhash(fork_height + 1)
        old_tip = node.getbestblockhash()
        node.invalidateblock(fork)  # 2 blocks off: their transfers return to the mempool
        assert_equal(node.getblockcount(), fork_height)
        # Readers now ask about the old branch's blocks while it comes back
        # (2 blocks connected in one activation, each slowed).
        stop.clear()
        samples.clear()
        blocks[:] = [fork, old_tip]
        txids[:] = []
        threads = [threading.Thread(target=hammer, args=(10 + i,), daemon=True) for i in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.3)
        try:
            node.reconsiderblock(fork)
            time.sleep(0.3)
        finally:
            stop.set()
            for t in threads:
                t.join(60)
        assert_equal(errors, [])
        assert_equal(node.getbestblockhash(), old_tip)
        seen_tips = set()
        for method, args, before, answer, dt, after in samples:
            assert not isinstance(answer, Exception), (method, args, answer)
            if method == "getblock":
                # Either the short chain (not on it: -1) or the whole old
                # branch again, never the block in between.
                height = heights[args[0]]
                if answer["confirmations"] == -1:
                    assert "nextblockhash" not in answer
                    seen_tips.add(fork_height)
                else:
                    assert_equal(height + answer["confirmations"] - 1, h1)
                    assert_equal("nextblockhash" in answer, height < h1)
                    seen_tips.add(h1)
            elif method == "getaccount":
                # The nonce of the short chain or of the whole old branch.
                assert answer["nonce"] in (n0 + fork_height - h0, n0 + 8), answer
                assert_equal(answer["balance"], balance_at_nonce[answer["nonce"]])
                if len(args) == 1:
                    # The 2 transfers are pooled again, or mined again: 8
                    # sent either way (a mined one counts before the tip
                    # that holds it is published).
                    assert_equal(answer["next_nonce"], n0 + 8)
        assert_equal(seen_tips, {fork_height, h1})

    def check_samples(self, node, samples, h0, n0, balance_at_nonce, heights, tx_height):
        counts = {}
        for method, args, before, answer, dt, after in samples:
            counts[method] = counts.get(method, 0) + 1
            assert not isinstance(answer, Exception), (method, args, answer)
            if method == "getaccount":
                # The nonce of a tip between the two getblockcount answers,
                # and the balance that goes with that nonce.
                assert n0 + before - h0 <= answer["nonce"] <= n0 + after - h0, \
                    (answer, before, after)
                assert_equal(answer["balance"], balance_at_nonce[answer["nonce"]])
                assert_equal("next_nonce" in answer, len(args) == 1)
                if len(args) == 1:
                    done, started = answer["sent"]
                    assert n0 + done <= answer["next_nonce"] <= n0 + started, answer
            elif method == "getblock":
                height = heights[args[0]]
                assert_equal(answer["height"], height)
                tip = height + answer["confirmations"] - 1
                assert before <= tip <= after, (answer["confirmations"], height, before, after)
                assert_equal("nextblockhash" in answer, tip > height)
                if tip > height:
                    assert_equal(answer["nextblockhash"], node.getblockhash(height + 1))
            else:
                height = tx_height[args[0]]
                if "blockhash" in answer:
                    assert_equal(heights[answer["blockhash"]], height)
                    tip = height + answer["confirmations"] - 1
                    assert before <= tip <= after, (answer["confirmations"], height, before, after)
                else:
                    # Not yet confirmed at the tip the call saw.
                    assert_equal(answer["confirmations"], 0)
                    assert height > before, (height, before)
        for method in ("getaccount", "getblock", "getrawtransaction"):
            assert counts.get(method, 0) >= 10, counts

    def check_latency(self, samples, delay_ms, tx_height):
        """The node lock is held for delay_ms in every connection: calls that
        waited for it would take up to that long, so most would be slow.
        Each form on its own: getaccount without and with the mempool part
        (next_nonce, under the mempool's own lock), getrawtransaction of a
        transaction confirmed at the tip published when the call came (the
        read view) and of one not confirmed there (the mempool)."""
        for method, lockfree in (("getaccount", lambda a, h: len(a) == 2),
                                 ("getaccount", lambda a, h: len(a) == 1),
                                 ("getblock", lambda a, h: True),
                                 ("getrawtransaction", lambda a, h: tx_height[a[0]] <= h),
                                 ("getrawtransaction", lambda a, h: tx_height[a[0]] > h)):
            times = sorted(dt for m, a, h, _, dt, _ in samples if m == method and lockfree(a, h))
            assert len(times) >= 10, (method, len(times))
            p90 = times[int(len(times) * 0.9)]
            self.log("%s during connects: %d calls, p50 %.1f ms, p90 %.1f ms, max %.1f ms" %
                     (method, len(times), times[len(times) // 2] * 1e3, p90 * 1e3,
                      times[-1] * 1e3))
            assert p90 < delay_ms / 2e3, \
                "%s waits for block connections (p90 %.0f ms)" % (method, p90 * 1e3)


if __name__ == "__main__":
    RPCReadConsistencyTest().main()
