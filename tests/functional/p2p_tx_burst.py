#!/usr/bin/env python3
"""A burst of transactions from a peer has its signatures checked on the
signature pool before the node lock, then each is accepted as before.

A second node, cut off from the first, gets 30 transfers the first made (29
with good signatures, then one whose signature was altered) from a test
peer in one write.  The read callback holds the tx messages back, checks
their signatures with the node lock released (-debug=mempool: "p2p
pre-check: N transactions ... M passed"), then handles each: the 29 enter
the mempool, the altered one does not and the peer is disconnected for it,
as without the pre-check.  Every transaction of the burst went through the
pre-check.
"""

import re

from test_framework.framework import (FMLTestFramework, assert_equal, connect_nodes,
                                      disconnect_nodes, sync_blocks, wait_until)
from test_framework.p2p import P2PConnection, frame


class P2PTxBurstTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.extra_args = [["-connect=0", "-listen=1"],
                           ["-connect=0", "-listen=1", "-regtestvalidator=none",
                            "-debug=mempool"]]

    def run_test(self):
        prod, node = self.nodes
        connect_nodes(node, prod)
        prod.generateblocks(2)
        sync_blocks(self.nodes)
        disconnect_nodes(node, prod)
        genesis = bytes.fromhex(node.getblockchaininfo()["genesis"])

        self.log("The first node makes 30 transfers the second does not see")
        dest = prod.getnewaddress()
        txids = [prod.sendtoaddress(dest, 1) for _ in range(30)]
        raws = [bytes.fromhex(prod.getrawtransaction(t)) for t in txids]
        bad = bytearray(raws[-1])
        bad[-1] ^= 0x01  # the signature's last byte
        raws[-1] = bytes(bad)
        assert_equal(node.getrawmempool(), [])

        self.log("A peer sends them in one write")
        with open(node.debug_log, errors="replace") as f:
            f.seek(0, 2)
            since = f.tell()
        with P2PConnection(node.port, genesis).connect() as p:
            p.handshake()
            if p.v2:
                from test_framework import v2transport
                data = b"".join(p.cipher.encrypt(v2transport.encode_message("tx", raw))
                                for raw in raws)
            else:
                data = b"".join(frame(p.magic, "tx", raw) for raw in raws)
            p.send_raw(data)
            wait_until(lambda: len(node.getrawmempool()) == 29, timeout=60)
            p.wait_for_disconnect(timeout=30)
        assert_equal(sorted(node.getrawmempool()), sorted(txids[:29]))

        with open(node.debug_log, errors="replace") as f:
            f.seek(since)
            log = f.read()
        checks = [(int(n), int(ok)) for n, ok in
                  re.findall(r"p2p pre-check: (\d+) transactions from peer=\d+ on \d+ threads, "
                             r"(\d+) passed", log)]
        self.log("pre-checks: %s" % checks)
        assert_equal(sum(n for n, _ in checks), 30)
        assert_equal(sum(ok for _, ok in checks), 29)
        assert max(n for n, _ in checks) >= 2, checks
        refused = re.findall(r"transaction from peer=\d+ refused: (\S+)", log)
        assert_equal(len(refused), 1)
        assert "sig" in refused[0], refused


if __name__ == "__main__":
    P2PTxBurstTest().main()
