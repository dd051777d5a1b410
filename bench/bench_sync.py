#!/usr/bin/env python3
"""Sync from a peer over loopback, and -reindex, of two real fmld processes,
against the signature bound of the same run.

bench/bench_sync_prep (C) writes a network of its own (genesis file:
regtest's validators and parameters plus --accounts funded accounts) and the
source node's data directory: --txs signed transfers (bench/gen_txs.h) in
blocks of --block, built from a full mempool and connected (its build +
connect figure is printed first).  Then:

  sync     the source fmld starts on that directory; a fresh fmld (default
           -par: the core count, its own empty signature cache) connects
           to it on 127.0.0.1 and syncs every block with every check;
           timed from the connection to the last block connected;
  reindex  the synced node restarts with -reindex (block index rebuilt
           from its block files, every block checked again in full,
           signatures included); timed from the start of the process to
           its chain back at the tip;

each as transfers per second next to BIP340 verifies per second on two
threads over as many signatures of the same generator, measured right before
the step (bench_sync_prep -bound-only=1), and the ratio.

    python3 bench/bench_sync.py [--accounts=1000] [--txs=60000] [--block=20000]
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "functional"))

from test_framework.framework import (FMLTestFramework, TestFailure,  # noqa: E402
                                      connect_nodes, wait_until)

from sync_prep import run_prep, verify_bound  # noqa: E402


class SyncBench(FMLTestFramework):
    def add_options(self, parser):
        parser.add_argument("--accounts", type=int, default=1000)
        parser.add_argument("--txs", type=int, default=60000)
        parser.add_argument("--block", type=int, default=20000)

    def set_test_params(self):
        self.num_nodes = 0
        self.chain = "benchsync"

    def bound(self):
        return verify_bound(self.options.accounts, self.options.txs)

    def run_test(self):
        o = self.options
        genesis = os.path.join(self.tmpdir, "genesis.json")
        args = ["-genesis=" + genesis, "-connect=0", "-listen=1"]
        src = self.add_node(args)
        os.makedirs(src.datadir, exist_ok=True)
        out = run_prep(["-out=" + self.tmpdir, "-netdir=" + src.netdir,
                        "-accounts=%d" % o.accounts, "-txs=%d" % o.txs, "-block=%d" % o.block])
        lines = out.strip().splitlines()
        nblocks = (o.txs + o.block - 1) // o.block
        src.start()
        if src.getblockcount() != nblocks:
            raise TestFailure("the source node has %d blocks, not %d" %
                              (src.getblockcount(), nblocks))

        dst = self.add_node(args)
        dst.start()
        bounds = [self.bound()]
        t0 = time.time()
        connect_nodes(dst, src)
        wait_until(lambda: dst.getblockcount() == nblocks, timeout=3600, interval=0.01,
                   what="sync")
        sync_s = time.time() - t0
        if dst.getbestblockhash() != src.getbestblockhash():
            raise TestFailure("the synced node's tip differs")
        src.stop()
        dst.stop()

        bounds.append(self.bound())
        t0 = time.time()
        dst.start(["-reindex"])
        wait_until(lambda: dst.getblockcount() == nblocks, timeout=3600, interval=0.01,
                   what="reindex")
        reindex_s = time.time() - t0
        dst.stop()

        print("\n| %d transfers, %d accounts, blocks of %d | tx/s | bound: BIP340 "
              "verifies/s, 2 threads | ratio |" % (o.txs, o.accounts, o.block))
        print("|---|---:|---:|---:|")
        print(lines[0])
        for what, secs, bound in (
                ("sync from a peer over loopback (two fmld, default -par)", sync_s, bounds[0]),
                ("fmld -reindex (every signature verified; process start to tip)", reindex_s,
                 bounds[1])):
            print("| %s | %.0f | %.0f | %.2f |" % (what, o.txs / secs, bound,
                                                   o.txs / secs / bound))
        print("\ngoal: ratio >= 0.70 for sync, build + connect and -reindex")


if __name__ == "__main__":
    SyncBench().main()
