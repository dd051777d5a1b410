#!/usr/bin/env python3
"""A regtest node dials only loopback addresses it learns from peers.

The node runs without -connect, so it fills its outbound slots from its
address book.  A peer sends it an `addr` message naming addresses outside the
machine (documentation and private ranges, IPv6 included) and one loopback
address where this test listens.  The node dials the loopback address (so
the address book and the dialer are at work), and the others are neither
kept (getaddr, peers.dat), nor relayed to another peer, nor dialed (the
node's log of connection attempts).  With -dialnonlocal they are kept (that
node runs with -connect=0, so it dials nothing at all).

Run against a build that dials what it learns, this test must only ever run
where outbound connections cannot leave the machine, e.g.
`unshare -n sh -c 'ip link set lo up; python3 p2p_addr_regtest.py'`.
"""

import os
import re
import socket
import struct
import threading
import time

from test_framework.framework import (FMLTestFramework, assert_equal, free_port, wait_until,
                                      TestFailure)
from test_framework.p2p import MAGIC, P2PConnection, msg_addr, parse_addr

OUTSIDE = [("203.0.113.7", 28733), ("198.51.100.9", 28733), ("2001:db8::5", 28733),
           ("10.1.2.3", 28733), ("192.168.1.20", 28733)]
PEERS_FILE_ENTRY = 16 + 2 + 8 + 8 + 8 + 8 + 4


def is_loopback(host):
    return host == "::1" or host.startswith("127.")


def read_peers_dat(path):
    """(host, port) of every entry of a peers.dat (doc/protocol.md, Files)."""
    data = open(path, "rb").read()
    assert data[:4] == b"FMLA" and data[4:8] == MAGIC["regtest"], data[:8]
    pos = 12
    n = data[pos]
    assert n < 0xfd, "more entries than this test makes"
    pos += 1
    out = []
    for _ in range(n):
        ip = data[pos:pos + 16]
        port = struct.unpack_from("<H", data, pos + 16)[0]
        if ip[:12] == b"\x00" * 10 + b"\xff\xff":
            host = socket.inet_ntop(socket.AF_INET, ip[12:])
        else:
            host = socket.inet_ntop(socket.AF_INET6, ip)
        out.append((host, port))
        pos += PEERS_FILE_ENTRY
    return out


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it gets."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", free_port()))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self.stopping = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted.append(conn)

    def close(self):
        self.stopping = True
        self.thread.join(5)
        for c in self.accepted:
            c.close()
        self.sock.close()


class AddrRegtestTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        # Node 0 fills its outbound slots from its address book; node 1 has
        # -dialnonlocal and -connect=0 (keeps everything, dials nothing).
        self.extra_args = [["-listen=1"], ["-connect=0", "-listen=1", "-dialnonlocal=1"]]

    def run_test(self):
        node = self.nodes[0]
        genesis = bytes.fromhex(node.getblockchaininfo()["genesis"])
        listener = Listener()
        try:
            self.main_case(node, genesis, listener)
        finally:
            listener.close()
        self.option_case(self.nodes[1], genesis)

    def addr_entries(self, listener_port):
        now = int(time.time())
        return [(now - 60, 1, h, p) for h, p in OUTSIDE] + [(now - 60, 1, "127.0.0.1", listener_port)]

    def main_case(self, node, genesis, listener):
        self.log("A peer names %d addresses outside the machine and one loopback address" % len(OUTSIDE))
        watcher = P2PConnection(node.port, genesis).connect()
        watcher.handshake()
        with P2PConnection(node.port, genesis).connect() as p:
            p.handshake()
            p.send("addr", msg_addr(self.addr_entries(listener.port)))
            assert p.sync_with_ping(10)

        self.log("The node dials the loopback address it learned")
        wait_until(lambda: listener.accepted, timeout=60, what="a connection to the learned loopback address")

        self.log("What the node relays to another peer: loopback only")
        relayed = []
        deadline = time.time() + 3
        while time.time() < deadline:
            payload = watcher.wait_for("addr", timeout=max(0.1, deadline - time.time()))
            if payload is None:
                break
            relayed += [(a["host"], a["port"]) for a in parse_addr(payload)]
        watcher.close()
        self.log("  relayed: %s" % relayed)
        bad = [a for a in relayed if not is_loopback(a[0])]
        if bad:
            raise TestFailure("relayed addresses outside the machine: %s" % bad)

        self.log("What the node hands out to getaddr: loopback only")
        with P2PConnection(node.port, genesis).connect() as p:
            p.handshake()
            p.send("getaddr")
            payload = p.wait_for("addr", 10)
        book = [(a["host"], a["port"]) for a in parse_addr(payload)] if payload else []
        self.log("  address book: %s" % book)
        bad = [a for a in book if not is_loopback(a[0])]
        if bad:
            raise TestFailure("kept addresses outside the machine: %s" % bad)
        assert ("127.0.0.1", listener.port) in book, book

        self.log("What the node tried to connect to (debug.log): loopback only")
        time.sleep(1)  # a few more rounds of the dialer
        tried = []
        with open(node.debug_log, errors="replace") as f:
            for line in f:
                m = re.search(r"trying connection to (\S+)", line)
                if m:
                    tried.append(m.group(1))
        self.log("  connection attempts: %s" % sorted(set(tried)))
        for host, _ in OUTSIDE:
            if any(host in t for t in tried):
                raise TestFailure("the node dialed %s" % host)
        assert tried, "no connection attempt logged"

        self.log("peers.dat after a restart holds loopback addresses only")
        node.stop()
        entries = read_peers_dat(os.path.join(node.netdir, "peers.dat"))
        self.log("  peers.dat: %s" % entries)
        bad = [a for a in entries if not is_loopback(a[0])]
        if bad:
            raise TestFailure("peers.dat holds addresses outside the machine: %s" % bad)

    def option_case(self, node, genesis):
        self.log("With -dialnonlocal (and -connect=0: nothing is dialed) they are kept")
        with P2PConnection(node.port, genesis).connect() as p:
            p.handshake()
            p.send("addr", msg_addr(self.addr_entries(free_port())))
            assert p.sync_with_ping(10)
        with P2PConnection(node.port, genesis).connect() as p:
            p.handshake()
            p.send("getaddr")
            payload = p.wait_for("addr", 10)
        book = [(a["host"], a["port"]) for a in parse_addr(payload)] if payload else []
        for a in OUTSIDE:
            assert a in book, (a, book)
        assert_equal(len(book), len(OUTSIDE) + 1)


if __name__ == "__main__":
    AddrRegtestTest().main()
