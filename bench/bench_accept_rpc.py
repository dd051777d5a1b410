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
right before and right after the timed step; the better is kept.

    python3 bench/bench_accept_rpc.py [--accounts=1000] [--txs=30000] [--batch=100] [--conns=4]
"""

import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "functional"))

from test_framework.framework import BUILD_DIR, FMLTestFramework, TestFailure  # noqa: E402
from test_framework.rpc import cookie_auth  # noqa: E402

PREP = os.environ.get("FML_BENCH_SYNC_PREP", os.path.join(BUILD_DIR, "bench", "bench_sync_prep"))


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


class AcceptRPCBench(FMLTestFramework):
    def add_options(self, parser):
        parser.add_argument("--accounts", type=int, default=1000)
        parser.add_argument("--txs", type=int, default=30000)
        parser.add_argument("--batch", type=int, default=100)
        parser.add_argument("--conns", type=int, default=4)

    def set_test_params(self):
        self.num_nodes = 0
        self.chain = "benchsync"

    def bound(self):
        """BIP340 verifies/s on two threads over as many signatures, now."""
        o = self.options
        res = subprocess.run([PREP, "-bound-only=1", "-accounts=%d" % o.accounts,
                              "-txs=%d" % o.txs], capture_output=True, text=True)
        if res.returncode != 0:
            raise TestFailure("bench_sync_prep: " + res.stderr)
        return float(res.stdout.split()[1])

    def run_test(self):
        o = self.options
        genesis = os.path.join(self.tmpdir, "genesis.json")
        # -debug=0: a node at work logs no line per transaction.
        node = self.add_node(["-genesis=" + genesis, "-connect=0", "-listen=0", "-debug=0"])
        os.makedirs(node.datadir, exist_ok=True)
        first = min(o.accounts, 1000)
        res = subprocess.run([PREP, "-out=" + self.tmpdir, "-netdir=" + node.netdir,
                              "-accounts=%d" % o.accounts, "-txs=%d" % first,
                              "-block=%d" % first, "-pending=%d" % o.txs],
                             capture_output=True, text=True)
        if res.returncode != 0:
            raise TestFailure("bench_sync_prep: " + res.stderr)
        node.start()
        if node.getblockcount() != 1:
            raise TestFailure("the node has %d blocks, not 1" % node.getblockcount())

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

        bounds = [self.bound()]
        threads = [threading.Thread(target=send, args=(mine,)) for mine in requests]
        t0 = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        secs = time.time() - t0
        bounds.append(self.bound())
        if failures:
            raise TestFailure(failures[0])
        count = node.getmempoolinfo()["size"]
        if count != o.txs:
            raise TestFailure("the mempool holds %d transfers, not %d" % (count, o.txs))
        node.stop()

        bound = max(bounds)
        figure = o.txs / secs
        print("\n| fmld mempool accept: %d transfers from %d accounts | tx/s | bound: BIP340 "
              "verifies/s, 2 threads | ratio |" % (o.txs, o.accounts))
        print("|---|---:|---:|---:|")
        print("| sendrawtransaction, JSON-RPC batches of %d on %d connections (default -par) "
              "| %.0f | %.0f | %.2f |" % (o.batch, o.conns, figure, bound, figure / bound))
        print("\ngoal: ratio >= 0.50 for mempool accept")


if __name__ == "__main__":
    AcceptRPCBench().main()
