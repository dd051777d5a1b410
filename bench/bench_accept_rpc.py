#!/usr/bin/env python3
"""Mempool accept of a running fmld fed by sendrawtransaction in JSON-RPC
batches, against the signature bound of the same run.

bench/bench_sync_prep (C) writes a network of its own (genesis file:
regtest's validators and parameters plus --accounts funded accounts), one
small block, and --txs more signed transfers (bench/gen_txs.h), the senders'
next nonces.  fmld starts on that directory (default -par: the core count;
its signature cache empty); --conns keep-alive connections then send the
transfers as JSON-RPC batches of --batch sendrawtransaction calls, each
connection the transfers of its own senders in nonce order, one batch at a
time.  The request bodies are made before the clock starts; the clock runs
from the first request to the last reply.  Every reply must be the txid (no
error) and the mempool must hold every transfer afterwards.

The bound is BIP340 verifies per second on two threads over as many
signatures of the same generator (bench_sync_prep -bound-only=1), measured
right before and right after the timed step.  The machine may be shared:
the whole step runs --reps times, each on a fresh copy of the node's
directory (the signature cache empty again), and the best figure and the
best bound are kept.  Also printed: the CPU time fmld took in that run, per
transfer, next to one verification's time on one of the bound's threads.

    python3 bench/bench_accept_rpc.py [--accounts=1000] [--txs=20000] [--batch=100]
                                      [--conns=4] [--reps=3]
"""

import base64
import json
import os
import shutil
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "functional"))

from test_framework.framework import FMLTestFramework, TestFailure  # noqa: E402
from test_framework.rpc import cookie_auth  # noqa: E402

from sync_prep import run_prep, verify_bound  # noqa: E402


def read_reply(f):
    """(status, body) of one HTTP/1.1 reply (Content-Length or chunked)."""
    status = int(f.readline().split()[1])
    length, chunked = None, False
    while True:
        line = f.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
        elif name.strip().lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if not chunked:
        return status, f.read(length or 0)
    parts = []
    while True:
        size = int(f.readline().split(b";")[0], 16)
        if size == 0:
            f.readline()
            return status, b"".join(parts)
        parts.append(f.read(size))
        f.readline()


def cpu_seconds(pid):
    """User + system CPU seconds of a process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class AcceptRPCBench(FMLTestFramework):
    def add_options(self, parser):
        parser.add_argument("--accounts", type=int, default=1000)
        parser.add_argument("--txs", type=int, default=20000)
        parser.add_argument("--batch", type=int, default=100)
        parser.add_argument("--conns", type=int, default=4)
        parser.add_argument("--reps", type=int, default=3)

    def set_test_params(self):
        self.num_nodes = 0
        self.chain = "benchsync"

    def bound(self):
        return verify_bound(self.options.accounts, self.options.txs)

    def run_test(self):
        o = self.options
        genesis = os.path.join(self.tmpdir, "genesis.json")
        # -debug=0: a node at work logs no line per transaction.
        node = self.add_node(["-genesis=" + genesis, "-connect=0", "-listen=0", "-debug=0"])
        os.makedirs(node.datadir, exist_ok=True)
        first = min(o.accounts, 1000)
        run_prep(["-out=" + self.tmpdir, "-netdir=" + node.netdir, "-accounts=%d" % o.accounts,
                  "-txs=%d" % first, "-block=%d" % first, "-pending=%d" % o.txs])
        pristine = os.path.join(self.tmpdir, "pristine")
        shutil.copytree(node.netdir, pristine)

        # Each connection sends its own senders' transfers, in nonce order.
        shares = [[] for _ in range(o.conns)]
        with open(os.path.join(self.tmpdir, "pending.txt")) as f:
            for line in f:
                sender, hexstr = line.split()
                shares[int(sender) % o.conns].append(hexstr)
        bodies = []
        for share in shares:
            mine = []
            for k in range(0, len(share), o.batch):
                reqs = [{"jsonrpc": "2.0", "id": k + j, "method": "sendrawtransaction",
                         "params": [h]} for j, h in enumerate(share[k:k + o.batch])]
                mine.append((len(reqs), json.dumps(reqs).encode()))
            bodies.append(mine)

        runs, bounds = [], []
        for rep in range(o.reps):
            if rep:
                # The same node from the same start: the directory as the
                # prep wrote it, the signature cache empty.
                shutil.rmtree(node.netdir)
                shutil.copytree(pristine, node.netdir)
            node.start()
            if node.getblockcount() != 1:
                raise TestFailure("the node has %d blocks, not 1" % node.getblockcount())
            bounds.append(self.bound())
            secs, cpu = self.timed(node, bodies)
            bounds.append(self.bound())
            count = node.getmempoolinfo()["size"]
            if count != o.txs:
                raise TestFailure("the mempool holds %d transfers, not %d" % (count, o.txs))
            node.stop()
            runs.append((secs, cpu))
            print("run %d: %.0f tx/s, fmld %.2f CPU s; bounds %.0f, %.0f" %
                  (rep + 1, o.txs / secs, cpu, bounds[-2], bounds[-1]))

        secs, cpu = min(runs)
        bound = max(bounds)
        figure = o.txs / secs
        print("\n| fmld mempool accept: %d transfers from %d accounts (best of %d) | tx/s "
              "| bound: BIP340 verifies/s, 2 threads (best of %d) | ratio |" %
              (o.txs, o.accounts, o.reps, len(bounds)))
        print("|---|---:|---:|---:|")
        print("| sendrawtransaction, JSON-RPC batches of %d on %d connections (default -par) "
              "| %.0f | %.0f | %.2f |" % (o.batch, o.conns, figure, bound, figure / bound))
        print("\nfmld used %.2f CPU seconds in that run (%.0f us a transfer; one verification "
              "on one of the bound's threads: %.0f us)" % (cpu, cpu / o.txs * 1e6, 2e6 / bound))
        print("\ngoal: ratio >= 0.50 for mempool accept")

    def timed(self, node, bodies):
        """Sends every batch; (wall seconds, fmld CPU seconds)."""
        user, password = cookie_auth(os.path.join(node.netdir, ".cookie"))
        auth = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        failures = []

        def request(body):
            return (("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n")
                    % (auth, len(body))).encode() + body

        # The whole requests, made before the clock starts; the client only
        # sends them and counts the results in the replies (a cheap client:
        # it shares the two cores with the node).
        requests = [[(n, request(body)) for n, body in mine] for mine in bodies]

        def send(mine):
            try:
                with socket.create_connection(("127.0.0.1", node.rpcport), timeout=600) as sock:
                    f = sock.makefile("rb")
                    for n, req in mine:
                        sock.sendall(req)
                        status, body = read_reply(f)
                        if status != 200 or body.count(b'"result"') != n or b'"error"' in body:
                            failures.append("HTTP %d: %s" % (status, body[:300]))
                            return
            except Exception as e:  # noqa: BLE001 (reported below)
                failures.append(repr(e))

        threads = [threading.Thread(target=send, args=(mine,)) for mine in requests]
        cpu0 = cpu_seconds(node.process.pid)
        t0 = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        secs = time.time() - t0
        cpu = cpu_seconds(node.process.pid) - cpu0
        if failures:
            raise TestFailure(failures[0])
        return secs, cpu


if __name__ == "__main__":
    AcceptRPCBench().main()
