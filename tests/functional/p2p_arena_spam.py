#!/usr/bin/env python3
"""Malformed and oversize AI Arena transactions from a peer: each of the ten
types with a count past its bound, a length past the payload, a trailing
byte or a field out of range, and an ARENA_SUBMIT_REVEAL past the
transaction size limit.  Each is refused before its signature is checked
and the peer is banned; the mempool is unchanged and the node keeps
producing blocks.  Prints how many it sent and how long the node took for
each."""

import struct
import time

from test_framework.crypto import Tx, compact_size, pubkey, regtest_secret
from test_framework.framework import FMLTestFramework, assert_equal, wait_until
from test_framework.p2p import P2PConnection

TASK = b"\x11" * 32
KEY = b"\x22" * 32


def cases():
    """(what, type, payload): every one malformed."""
    u16, u32, u64 = (lambda x: struct.pack("<H", x)), (lambda x: struct.pack("<I", x)), \
        (lambda x: struct.pack("<Q", x))
    return [
        ("task create cut short", 32, b"\x01\x02"),
        ("stake of role 3", 33, TASK + b"\x03" + u64(1)),
        ("stake of 2^64-1 units", 33, TASK + b"\x01" + u64(2**64 - 1)),
        ("stake with a trailing byte", 33, TASK + b"\x01" + u64(1) + b"\x00"),
        ("delegation to the sender itself", 34, TASK + pubkey(regtest_secret(3)) + u64(10**8)),
        ("undelegation cut short", 35, TASK + KEY[:31]),
        ("share of 10,001 bps", 36, TASK + u16(10001)),
        ("submission commit with a trailing byte", 37, TASK + KEY + b"\x00"),
        ("submission reveal claiming 1,000,001 weights", 38,
         TASK + KEY + compact_size(1000001) + b"\x00" * 64),
        ("submission reveal of 0 weights", 38, TASK + KEY + compact_size(0)),
        ("set reveal of set 8", 39, TASK + b"\x08" + u16(0) + KEY + compact_size(0) +
         compact_size(4) + b"\x00" * 4),
        ("set reveal with a path of 7", 39, TASK + b"\x00" + u16(0) + KEY + compact_size(7) +
         b"\x00" * (7 * 32) + compact_size(4) + b"\x00" * 4),
        ("set reveal claiming 65,537 bytes", 39, TASK + b"\x00" + u16(0) + KEY + compact_size(0) +
         compact_size(65537) + b"\x00" * 16),
        ("score commit cut short", 40, TASK),
        ("score reveal of 513 losses", 41, TASK + KEY + compact_size(513) + b"\x00" * (4 * 513)),
        ("score reveal with a non-canonical count", 41,
         TASK + KEY + b"\xfd\x01\x00" + b"\x00" * 4),
        ("submission reveal past max_tx_size", 38,
         TASK + KEY + compact_size(250010) + b"\x00" * (4 * 250010)),
    ]


class P2PArenaSpamTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-connect=0", "-listen=1", "-regtestvalidator=0"]]

    def run_test(self):
        node = self.nodes[0]
        node.generateblocks(2)
        genesis = bytes.fromhex(node.getblockchaininfo()["genesis"])
        secret = regtest_secret(3)
        sender = pubkey(secret)
        mempool_before = sorted(node.getrawmempool())
        sent = 0
        for what, tx_type, payload in cases():
            raw = Tx(sender, 0, 10**7, tx_type, payload).sign(secret, genesis).serialize()
            start = time.time()
            with P2PConnection(node.port, genesis).connect() as p:
                p.handshake()
                p.send("tx", raw)
                sent += 1
                assert p.wait_for_disconnect(10), "not dropped after a " + what
            wait_until(lambda: any(b["address"].startswith("127.0.0.1") for b in node.listbanned()),
                       what="ban after a " + what)
            self.log("hostile Arena tx: %s (%d bytes): banned in %.0f ms" %
                     (what, len(raw), 1000 * (time.time() - start)))
            node.clearbanned()
            assert_equal(sorted(node.getrawmempool()), mempool_before)
        node.generateblocks(1)
        self.log("hostile Arena txs sent: %d, all banned, mempool unchanged" % sent)


if __name__ == "__main__":
    P2PArenaSpamTest().main()
