#!/usr/bin/env python3
"""getnetworkinfo's timeoffset and localaddresses are measured.

Two listening nodes on 127.0.0.1: before any peer, each lists the address it
listens on (127.0.0.1 and its port, score 2) and a time offset of 0.  Node 1's
clock is set an hour ahead (setmocktime); node 0 connects to it.  Node 0's
per-peer timeoffset and its median timeoffset read about +3600, node 1's view
of node 0 about -3600 while its own median stays 0 (inbound peers do not
count).  Each peer's version showed the other at 127.0.0.1, so both scores
rose to 3.  A node that does not listen lists no local address.

Lying outbound peers: node 0 dials 20 fake peers on 127.0.0.1 (one network
group), each claiming to see it at a made-up 10.66.i.i and sending a
timestamp of 0, 2^63 or 2^64-1.  Its localaddresses and timeoffset do not
move (offsets beyond 70 minutes are not counted, a new address needs
outbound peers of two network groups) and it logs bitcoind's warning to
check the clock.  Two fake peers of different groups (127.0.0.1 and
127.1.0.1) agreeing on 10.77.0.1 do list it, with score 2."""

import socket
import threading
import time

from test_framework import p2p as P

from test_framework.framework import (FMLTestFramework, assert_equal, connect_nodes,
                                      wait_until)

SHIFT = 3600


def near(x, target, slack=15):
    return isinstance(x, int) and abs(x - target) <= slack


class NetworkInfoTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 3
        # v1 transport: the fake peers below speak the plaintext protocol.
        self.extra_args = [["-connect=0", "-listen=1", "-v2transport=0"],
                           ["-connect=0", "-listen=1", "-v2transport=0"],
                           ["-connect=0", "-listen=0", "-v2transport=0"]]

    def fake_peer(self, node, bind_ip, ts, recv_ip):
        """A peer at bind_ip that node dials (addnode onetry) and that answers
        version (timestamp ts, addr_recv recv_ip) and verack, then hangs up."""
        genesis = bytes.fromhex(node.getblockchaininfo()["genesis"])
        magic = P.MAGIC["regtest"]
        srv = socket.socket()
        srv.bind((bind_ip, 0))
        srv.listen(1)
        srv.settimeout(15)
        port = srv.getsockname()[1]

        def run():
            try:
                c, _ = srv.accept()
            except OSError:
                srv.close()
                return
            try:
                c.settimeout(5)
                c.sendall(P.frame(magic, "version", P.msg_version(genesis, timestamp=ts,
                                                                 recv=(recv_ip, 1)))
                          + P.frame(magic, "verack"))
                time.sleep(1.0)
            except OSError:
                pass
            finally:
                c.close()
                srv.close()

        th = threading.Thread(target=run)
        th.start()
        node.addnode("%s:%d" % (bind_ip, port), "onetry")
        th.join()

    def run_test(self):
        a, b, c = self.nodes

        self.log("Before any peer: the listening address, no offset")
        for n in (a, b):
            info = n.getnetworkinfo()
            assert_equal(info["localaddresses"],
                         [{"address": "127.0.0.1", "port": n.port, "score": 2}])
            assert_equal(info["timeoffset"], 0)
        assert_equal(c.getnetworkinfo()["localaddresses"], [])

        self.log("Node 1's clock an hour ahead; node 0 connects to it")
        b.setmocktime(int(time.time()) + SHIFT)
        connect_nodes(a, b)
        wait_until(lambda: any(p.get("version") for p in b.getpeerinfo()), what="inbound peer")

        peer_ab = [p for p in a.getpeerinfo() if p["addr"] == "127.0.0.1:%d" % b.port][0]
        assert near(peer_ab["timeoffset"], SHIFT), peer_ab["timeoffset"]
        info_a = a.getnetworkinfo()
        assert near(info_a["timeoffset"], SHIFT), info_a["timeoffset"]
        assert_equal(info_a["timeoffset"], peer_ab["timeoffset"])

        peer_ba = [p for p in b.getpeerinfo() if p["inbound"]][0]
        assert near(peer_ba["timeoffset"], -SHIFT), peer_ba["timeoffset"]
        assert_equal(b.getnetworkinfo()["timeoffset"], 0)

        self.log("Each version showed the other at 127.0.0.1: scores 3")
        for n in (a, b):
            assert_equal(n.getnetworkinfo()["localaddresses"],
                         [{"address": "127.0.0.1", "port": n.port, "score": 3}])

        self.log("A node that does not listen: no local address, even with peers")
        connect_nodes(c, a)
        info_c = c.getnetworkinfo()
        assert_equal(info_c["localaddresses"], [])
        assert near(info_c["timeoffset"], 0), info_c["timeoffset"]

        self.log("20 lying outbound peers of one network group move nothing")
        before = a.getnetworkinfo()
        for i in range(20):
            self.fake_peer(a, "127.0.0.1", [2**63, 0, 2**64 - 1][i % 3], "10.66.%d.%d" % (i, i))
        wait_until(lambda: len(a.getpeerinfo()) <= 2, what="fake peers gone")
        after = a.getnetworkinfo()
        assert_equal(after["localaddresses"], before["localaddresses"])
        assert near(after["timeoffset"], SHIFT), after["timeoffset"]
        with open(a.debug_log, encoding="utf-8", errors="replace") as f:
            log = f.read()
        assert "Please check that your computer's date and time are correct" in log

        self.log("Two outbound peers of different network groups agreeing list the address")
        self.fake_peer(a, "127.0.0.1", int(time.time()), "10.77.0.1")
        assert_equal(a.getnetworkinfo()["localaddresses"], before["localaddresses"])
        self.fake_peer(a, "127.1.0.1", int(time.time()), "10.77.0.1")
        wait_until(lambda: len(a.getnetworkinfo()["localaddresses"]) == 2, what="agreed address")
        assert_equal(a.getnetworkinfo()["localaddresses"][1],
                     {"address": "10.77.0.1", "port": a.port, "score": 2})
        # Their offsets (about 0) are counted: two of the three samples now.
        assert near(a.getnetworkinfo()["timeoffset"], 0), a.getnetworkinfo()["timeoffset"]


if __name__ == "__main__":
    NetworkInfoTest().main()
