#!/usr/bin/env python3
"""-rpcmaxconnections and the file descriptor limit.

Node 0 runs with -rpcmaxconnections=20 and was started with a soft
RLIMIT_NOFILE of 256: it raised it to what it needs (-maxconnections 125 +
20 + 164).  70 idle sockets (the cap + 50) are opened to its RPC port: at
the cap each new one closes the connection idle longest (no request byte
needed), so the 50 oldest go, the node's descriptors stay within its
budget, a P2P peer still completes its handshake, and new RPC connections
are served (each closing another idle one).  After idle sockets are closed,
RPC keeps working.  A hard limit below the need stops the node at start with
a clear error."""

import os
import resource
import select
import socket
import subprocess
import time

from test_framework import p2p as P
from test_framework.framework import FMLTestFramework, TestFailure, assert_equal, wait_until

CAP = 20
NEED = 125 + CAP + 64 + 100


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def soft_nofile(pid):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    raise TestFailure("no Max open files line")


def closed_by_peer(s):
    r, _, _ = select.select([s], [], [], 0)
    if not r:
        return False
    try:
        return s.recv(1) == b""
    except OSError:
        return True


class MaxConnectionsTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-rpcmaxconnections=%d" % CAP, "-listen=1", "-connect=0"]]

    def setup_network(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(256, hard), hard))
        try:
            self.start_nodes()
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    def run_test(self):
        node = self.nodes[0]
        pid = node.process.pid
        self.log("The soft descriptor limit was raised from 256 to what the node needs")
        assert soft_nofile(pid) >= NEED, soft_nofile(pid)
        node.getblockcount()
        base = open_fds(pid)

        self.log("%d idle sockets against a cap of %d: the 50 oldest are closed" % (CAP + 50, CAP))
        socks = []
        try:
            for _ in range(CAP + 50):
                socks.append(socket.create_connection(("127.0.0.1", node.rpcport), timeout=10))
            wait_until(lambda: sum(closed_by_peer(s) for s in socks) >= 50,
                       what="connections over the cap closed", timeout=20)
            time.sleep(0.5)
            closed = [s for s in socks if closed_by_peer(s)]
            # The framework's keep-alive RPC connection holds one slot too.
            assert len(socks) - len(closed) <= CAP, len(socks) - len(closed)
            fds = open_fds(pid)
            assert fds <= base + CAP, (base, fds)
            assert fds < soft_nofile(pid)

            self.log("P2P is not touched: a peer completes its handshake")
            genesis = bytes.fromhex(node.getblockchaininfo()["genesis"])
            peer = P.P2PConnection(node.port, genesis).connect()
            try:
                peer.handshake()
                wait_until(lambda: len(node.getpeerinfo()) == 1, what="the peer listed")
            finally:
                peer.close()

            self.log("The 50 oldest idle sockets went; new RPC connections are served")
            assert all(closed_by_peer(s) for s in socks[:50])
            for i in range(5):
                probe = socket.create_connection(("127.0.0.1", node.rpcport), timeout=10)
                probe.sendall(b"GET /rest/chaininfo.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                probe.settimeout(10)
                got = probe.recv(100)
                probe.close()
                assert got.startswith(b"HTTP/1.1 404"), got  # REST is off: 404, but served
            assert open_fds(pid) <= base + CAP + 1, (base, open_fds(pid))

            self.log("After idle sockets close, new connections are served")
            for s in socks[50:60]:
                s.close()
            probe_ok = False
            for _ in range(50):
                c = socket.create_connection(("127.0.0.1", node.rpcport), timeout=10)
                c.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}")
                c.settimeout(10)
                try:
                    data = c.recv(100)
                except OSError:
                    data = b""
                c.close()
                if data.startswith(b"HTTP/1.1 401"):
                    probe_ok = True
                    break
                time.sleep(0.1)
            assert probe_ok, "no HTTP answer after closing idle sockets"
        finally:
            for s in socks:
                s.close()
        node.getblockcount()

        self.log("A hard limit below the need stops the node at start")
        node.stop()

        def low_limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (200, 200))

        r = subprocess.run(node.args(["-rpcmaxconnections=%d" % CAP]), preexec_fn=low_limit,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        assert r.returncode != 0, r.returncode
        err = r.stderr.decode(errors="replace")
        assert "Not enough file descriptors available" in err and "hard limit is 200" in err, err
        node.start(["-rpcmaxconnections=%d" % CAP])
        node.getblockcount()


if __name__ == "__main__":
    MaxConnectionsTest().main()
