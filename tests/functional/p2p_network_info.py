#!/usr/bin/env python3
"""getnetworkinfo's timeoffset and localaddresses are measured.

Two listening nodes on 127.0.0.1: before any peer, each lists the address it
listens on (127.0.0.1 and its port, score 2) and a time offset of 0.  Node 1's
clock is set an hour ahead (setmocktime); node 0 connects to it.  Node 0's
per-peer timeoffset and its median timeoffset read about +3600, node 1's view
of node 0 about -3600 while its own median stays 0 (inbound peers do not
count).  Each peer's version showed the other at 127.0.0.1, so both scores
rose to 3.  A node that does not listen lists no local address."""

import time

from test_framework.framework import (FMLTestFramework, assert_equal, connect_nodes,
                                      wait_until)

SHIFT = 3600


def near(x, target, slack=15):
    return isinstance(x, int) and abs(x - target) <= slack


class NetworkInfoTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 3
        self.extra_args = [["-connect=0", "-listen=1"], ["-connect=0", "-listen=1"],
                           ["-connect=0", "-listen=0"]]

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


if __name__ == "__main__":
    NetworkInfoTest().main()
