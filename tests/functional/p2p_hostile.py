#!/usr/bin/env python3
"""Hostile peers speaking the wire protocol: garbage and a wrong magic,
oversized lengths, bad checksums, undecodable payloads, an invalid block,
and a flood of headers that do not connect.  Each is disconnected and
banned (or scored up to the ban), the chain is untouched, and an honest
fmld peer keeps syncing from the node the whole time."""

import os
import struct

from test_framework.framework import (FMLTestFramework, assert_equal, connect_nodes, sync_blocks,
                                      wait_until, TestFailure)
from test_framework.p2p import P2PConnection, frame, msg_headers


class P2PHostileTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.extra_args = [["-connect=0", "-listen=1", "-regtestvalidator=0"],
                           ["-connect=0", "-listen=1", "-regtestvalidator=1"]]

    def attacker(self):
        node = self.nodes[0]
        genesis = bytes.fromhex(node.getblockchaininfo()["genesis"])
        return P2PConnection(node.port, genesis).connect()

    def expect_banned(self, what):
        node = self.nodes[0]
        wait_until(lambda: any(b["address"].startswith("127.0.0.1") for b in node.listbanned()),
                   what="ban after " + what)
        node.clearbanned()
        # The honest peer's connection was never dropped by the ban.
        assert any(p["addr"] == "127.0.0.1:%d" % node.port for p in self.nodes[1].getpeerinfo()), \
            "honest peer lost after " + what

    def keep_honest_busy(self):
        node, honest = self.nodes
        node.generateblocks(1)
        sync_blocks([node, honest])

    def run_test(self):
        node, honest = self.nodes
        connect_nodes(honest, node)
        node.generateblocks(3)
        sync_blocks([node, honest])
        tip_before = node.getbestblockhash()

        self.log("Garbage bytes (wrong magic): disconnected and banned")
        with self.attacker() as p:
            p.send_raw(os.urandom(64))
            assert p.wait_for_disconnect(10)
        self.expect_banned("garbage")
        self.keep_honest_busy()

        self.log("An oversized length in a good frame header: banned")
        with self.attacker() as p:
            p.handshake()
            p.send("ping", b"\x00" * 8, length=64 * 1024 * 1024)
            assert p.wait_for_disconnect(10)
        self.expect_banned("oversized length")
        self.keep_honest_busy()

        self.log("Bad checksums, 20 points each: banned at the fifth")
        with self.attacker() as p:
            p.handshake()
            for _ in range(5):
                p.send("ping", b"\x01" * 8, bad_checksum=True)
            assert p.wait_for_disconnect(10)
        self.expect_banned("bad checksums")
        self.keep_honest_busy()

        self.log("Undecodable payloads: banned")
        with self.attacker() as p:
            p.handshake()
            for _ in range(5):
                p.send("headers", b"\xff\xff\xff")
            assert p.wait_for_disconnect(10)
        self.expect_banned("bad payloads")

        self.log("An invalid block (forged proposer signature): banned, chain unchanged")
        raw = bytearray(bytes.fromhex(node.getblock(node.getbestblockhash(), 0)))
        # A block for the next height on top of the tip, with a broken signature.
        hdr = raw[:252]
        height = struct.unpack_from("<Q", hdr, 4)[0]
        struct.pack_into("<Q", hdr, 4, height + 1)
        hdr[12:44] = bytes.fromhex(node.getbestblockhash())
        slot = struct.unpack_from("<Q", hdr, 44)[0] + 1
        struct.pack_into("<Q", hdr, 44, slot)
        struct.pack_into("<Q", hdr, 52, 1767225600 + slot)
        hdr[200] ^= 0xff  # inside the signature
        bad_block = bytes(hdr) + b"\x00"
        with self.attacker() as p:
            p.handshake()
            p.send("block", bad_block)
            assert p.wait_for_disconnect(10)
        self.expect_banned("invalid block")
        self.keep_honest_busy()

        self.log("A flood of headers that do not connect: scored and banned")
        with self.attacker() as p:
            p.handshake()
            for i in range(60):
                fake = bytearray(os.urandom(252))
                struct.pack_into("<I", fake, 0, 1)
                if not p.send("headers", msg_headers([bytes(fake)])):
                    break
            assert p.wait_for_disconnect(15)
        self.expect_banned("header flood")

        self.log("The node kept its chain and keeps serving the honest peer")
        assert node.getblockcount() >= 3
        assert_equal(node.getblockhash(3), honest.getblockhash(3))
        self.keep_honest_busy()
        assert_equal(honest.getbestblockhash(), node.getbestblockhash())
        if tip_before == node.getbestblockhash():
            raise TestFailure("no block was produced during the attacks")


if __name__ == "__main__":
    P2PHostileTest().main()
