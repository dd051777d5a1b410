#!/usr/bin/env python3
"""Sync throughput over the plaintext v1 and the encrypted v2 transport, in
one run: a source node mines N regtest blocks, then fresh nodes sync them
from it, alternating v1 (both nodes -v2transport=0) and v2, and the time
from the connection to the last block is printed per round with the bytes
received.  Needs the build tree's fmld; run with /usr/bin/python3:

    /usr/bin/python3 bench/sync_transport.py --blocks=1000 --rounds=3
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "functional"))

from test_framework.framework import FMLTestFramework, connect_nodes, wait_until  # noqa: E402


class SyncTransportBench(FMLTestFramework):
    def add_options(self, parser):
        parser.add_argument("--blocks", type=int, default=1000)
        parser.add_argument("--rounds", type=int, default=3)

    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-connect=0", "-listen=1", "-regtestvalidator=0"]]

    def run_test(self):
        src = self.nodes[0]
        n = self.options.blocks
        while src.getblockcount() < n:
            src.generateblocks(min(100, n - src.getblockcount()))
        times = {"v1": [], "v2": []}
        for r in range(self.options.rounds):
            for transport in ("v1", "v2") if r % 2 == 0 else ("v2", "v1"):
                flag = ["-v2transport=0"] if transport == "v1" else []
                src.stop()
                src.start(flag)
                node = self.add_node(["-connect=0", "-listen=1", "-regtestvalidator=none"] + flag)
                node.start()
                t0 = time.time()
                connect_nodes(node, src)
                wait_until(lambda: node.getblockcount() == n, timeout=600, interval=0.02,
                           what="sync")
                dt = time.time() - t0
                peers = node.getpeerinfo()
                assert peers[0]["transport_protocol_type"] == transport
                recv = sum(p["bytesrecv"] for p in peers)
                node.stop()
                times[transport].append(dt)
                self.log("round %d %s: %d blocks in %.2f s (%.0f blocks/s, %d bytes received)" %
                         (r, transport, n, dt, n / dt, recv))
        b1, b2 = min(times["v1"]), min(times["v2"])
        self.log("best of %d: v1 %.2f s, v2 %.2f s, v2/v1 time ratio %.3f" %
                 (self.options.rounds, b1, b2, b2 / b1))


if __name__ == "__main__":
    SyncTransportBench().main()
