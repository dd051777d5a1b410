#!/usr/bin/env python3
"""RPC read latency on a node while it syncs blocks of transfers from a peer,
against the same reads on the same node idle.

bench/bench_sync_prep writes a source node with --txs signed transfers in
blocks of --block (as bench/bench_sync.py).  A fresh fmld connects to it on
127.0.0.1 and syncs.  Once it has the first block, --threads client threads
for each of these calls (each thread its own connection, calling in a loop):

  getaccount "sender"           the sender of a transfer of block 1 (with
                                next_nonce: the mempool, under its own lock)
  getaccount "sender" false     the same without the mempool part
  getrawtransaction txid true   a transfer of block 1 (confirmed)
  getblock genesis 1            a small block: the lookup and the read, not
                                the encoding of 10,000 txids

until the last block is connected ("sync"); then the same calls for as long
on the synced node ("idle").  Each line: calls, p50 and p99 in ms, and
p99(sync) / p99(idle).  Blocks connect under the node lock: a read that
takes it waits for the connection in progress, one that reads the published
view (state/readview.h) does not.

    python3 bench/bench_rpc_sync.py [--accounts=1000] [--txs=60000] [--block=5000]
                                    [--threads=1]

FMLD=/path/to/fmld measures another build (the "before" figures); a method
that build does not know is shown as n/a.
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "functional"))

from test_framework.framework import (FMLTestFramework, TestFailure,  # noqa: E402
                                      connect_nodes, wait_until)
from test_framework.rpc import JSONRPCException  # noqa: E402

from sync_prep import run_prep  # noqa: E402


def pct(times, q):
    return times[min(len(times) - 1, int(len(times) * q))] * 1e3


class RPCSyncBench(FMLTestFramework):
    def add_options(self, parser):
        parser.add_argument("--accounts", type=int, default=1000)
        parser.add_argument("--txs", type=int, default=60000)
        parser.add_argument("--block", type=int, default=5000)
        parser.add_argument("--threads", type=int, default=1)

    def set_test_params(self):
        self.num_nodes = 0
        self.chain = "benchsync"

    def hammer(self, node, call, stop, out, errors):
        rpc = node.new_rpc()
        name, method, args = call
        try:
            while not stop.is_set():
                t0 = time.perf_counter()
                try:
                    getattr(rpc, method)(*args)
                except JSONRPCException:
                    out.setdefault(name + " (error)", []).append(0)
                    continue
                out.setdefault(name, []).append(time.perf_counter() - t0)
        except Exception as e:  # noqa: BLE001 - reported by the bench
            errors.append(repr(e))

    def measure(self, node, calls, until):
        """Runs the threads until until() is true; the times per call name."""
        stop = threading.Event()
        jobs = [call for call in calls for _ in range(self.options.threads)]
        outs = [{} for _ in jobs]
        errors = []
        threads = [threading.Thread(target=self.hammer, args=(node, job, stop, out, errors),
                                    daemon=True) for job, out in zip(jobs, outs)]
        for t in threads:
            t.start()
        try:
            until()
        finally:
            stop.set()
            for t in threads:
                t.join(120)
        if errors:
            raise TestFailure("RPC client: %s" % errors[0])
        times = {}
        for o in outs:
            for name, ts in o.items():
                times.setdefault(name, []).extend(ts)
        return {name: sorted(ts) for name, ts in times.items()}

    def run_test(self):
        o = self.options
        genesis = os.path.join(self.tmpdir, "genesis.json")
        args = ["-genesis=" + genesis, "-connect=0", "-listen=1", "-rpcthreads=8"]
        src = self.add_node(args)
        os.makedirs(src.datadir, exist_ok=True)
        run_prep(["-out=" + self.tmpdir, "-netdir=" + src.netdir, "-accounts=%d" % o.accounts,
                  "-txs=%d" % o.txs, "-block=%d" % o.block])
        nblocks = (o.txs + o.block - 1) // o.block
        if nblocks < 2:
            raise TestFailure("needs at least 2 blocks (--txs > --block)")
        src.start()
        dst = self.add_node(args)
        dst.start()

        # The first block, then the reads' targets from it.
        connect_nodes(dst, src)
        wait_until(lambda: dst.getblockcount() >= 1, timeout=3600, interval=0.005,
                   what="the first block")
        first = src.getblock(src.getblockhash(1), 2)
        tx = first["tx"][len(first["tx"]) // 2]
        sender = tx["sender"]
        calls = [
            ("getaccount", "getaccount", [sender]),
            ("getaccount include_mempool=false", "getaccount", [sender, False]),
            ("getrawtransaction (confirmed)", "getrawtransaction", [tx["txid"], True]),
            ("getblock (genesis, verbosity 1)", "getblock", [src.getblockhash(0), 1]),
        ]
        t0 = time.time()
        during = self.measure(dst, calls, lambda: wait_until(
            lambda: dst.getblockcount() == nblocks, timeout=3600, interval=0.01, what="sync"))
        sync_s = time.time() - t0
        if dst.getbestblockhash() != src.getbestblockhash():
            raise TestFailure("the synced node's tip differs")
        src.stop()
        idle = self.measure(dst, calls, lambda: time.sleep(max(sync_s, 2.0)))
        dst.stop()

        print("\n%s: %d transfers in blocks of %d, blocks 2..%d connected in %.1f s, %d client "
              "thread(s) per call" % (os.path.basename(os.environ.get("FMLD", "fmld")), o.txs,
                                      o.block, nblocks, sync_s, o.threads))
        print("| call | calls sync / idle | p50 sync | p99 sync | p50 idle | p99 idle | "
              "p99 sync / idle |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, _, _ in calls:
            s, i = during.get(name), idle.get(name)
            if not s or not i:
                print("| %s | n/a | | | | | |" % name)
                continue
            print("| %s | %d / %d | %.1f | %.1f | %.1f | %.1f | %.1f |" % (
                name, len(s), len(i), pct(s, 0.5), pct(s, 0.99), pct(i, 0.5), pct(i, 0.99),
                pct(s, 0.99) / max(pct(i, 0.99), 1e-3)))
        print("\ngoal: p99 while syncing within 2x of idle for the reads from the published view")


if __name__ == "__main__":
    RPCSyncBench().main()
