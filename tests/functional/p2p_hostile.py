#!/usr/bin/env python3
"""Hostile peers speaking the wire protocol: garbage and wrong magics,
oversized lengths, bad checksums, undecodable payloads, truncated messages,
an invalid block, invalid transactions, and floods of headers, inventories
and getdata.  Each is disconnected and banned (or scored up to the ban), or
ignored where it is harmless; the chain and the mempool are untouched, and
an honest fmld peer keeps syncing from the node the whole time.  The test
prints how many hostile messages it sent of each kind.

The attacks here break the plaintext v1 framing (magic, checksum, length,
command bytes), so both nodes run with -v2transport=0 and the attacker speaks
v1; p2p_v2_transport.py attacks the encrypted transport."""

import os
import socket
import struct
import time

from test_framework.crypto import Tx, pubkey, regtest_secret, transfer
from test_framework.framework import (FMLTestFramework, assert_equal, connect_nodes, sync_blocks,
                                      wait_until, TestFailure)
from test_framework.p2p import (INV_BLOCK, INV_TX, MAGIC, MAX_INV, P2PConnection, frame,
                                msg_headers, msg_inv)


class P2PHostileTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.counts = {}
        self.extra_args = [["-connect=0", "-listen=1", "-regtestvalidator=0", "-v2transport=0"],
                           ["-connect=0", "-listen=1", "-regtestvalidator=1", "-v2transport=0"]]

    def sent(self, kind, n=1):
        self.counts[kind] = self.counts.get(kind, 0) + n

    def attacker(self):
        node = self.nodes[0]
        genesis = bytes.fromhex(node.getblockchaininfo()["genesis"])
        return P2PConnection(node.port, genesis, v2=False).connect()

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
            self.sent("garbage")
            assert p.wait_for_disconnect(10)
        self.expect_banned("garbage")
        self.keep_honest_busy()

        self.log("An oversized length in a good frame header: banned")
        with self.attacker() as p:
            p.handshake()
            p.send("ping", b"\x00" * 8, length=64 * 1024 * 1024)
            self.sent("oversized")
            assert p.wait_for_disconnect(10)
        self.expect_banned("oversized length")
        self.keep_honest_busy()

        self.log("Bad checksums, 20 points each: banned at the fifth")
        with self.attacker() as p:
            p.handshake()
            for _ in range(5):
                p.send("ping", b"\x01" * 8, bad_checksum=True)
                self.sent("bad checksum")
            assert p.wait_for_disconnect(10)
        self.expect_banned("bad checksums")
        self.keep_honest_busy()

        self.log("Undecodable payloads: banned")
        with self.attacker() as p:
            p.handshake()
            for _ in range(5):
                p.send("headers", b"\xff\xff\xff")
                self.sent("undecodable")
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
            self.sent("invalid block")
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
                self.sent("header flood")
            assert p.wait_for_disconnect(15)
        self.expect_banned("header flood")

        self.more_attacks()

        self.log("The node kept its chain and keeps serving the honest peer")
        assert node.getblockcount() >= 3
        assert_equal(node.getblockhash(3), honest.getblockhash(3))
        self.keep_honest_busy()
        assert_equal(honest.getbestblockhash(), node.getbestblockhash())
        if tip_before == node.getbestblockhash():
            raise TestFailure("no block was produced during the attacks")
        self.log("hostile messages sent: %s; total %d" %
                 (", ".join("%s %d" % kv for kv in self.counts.items()), sum(self.counts.values())))

    def expect_not_banned(self, what):
        node = self.nodes[0]
        if any(b["address"].startswith("127.0.0.1") for b in node.listbanned()):
            raise TestFailure("banned after " + what)

    def more_attacks(self):
        node, honest = self.nodes
        genesis = bytes.fromhex(node.getblockchaininfo()["genesis"])

        self.log("Well-framed messages with the magic of another network: banned")
        for chain in ("main", "test"):
            p = P2PConnection(node.port, genesis, magic=MAGIC[chain], v2=False).connect()
            with p:
                p.send("version", b"\x00" * 100)
                self.sent("wrong magic")
                assert p.wait_for_disconnect(10)
            self.expect_banned("the %s magic" % chain)
        self.keep_honest_busy()

        self.log("A command name that is not printable: banned")
        with self.attacker() as p:
            p.handshake()
            p.send("", b"", raw_command=b"\xffbad\x00cmd\x00\x00\x00\x00")
            self.sent("bad command")
            assert p.wait_for_disconnect(10)
        self.expect_banned("a bad command")

        self.log("An unknown command is ignored; the connection stays")
        with self.attacker() as p:
            p.handshake()
            for i in range(20):
                p.send("xyzzy%d" % i, os.urandom(100))
                self.sent("unknown command")
            assert p.sync_with_ping(10), "dropped after unknown commands"
        self.expect_not_banned("unknown commands")

        self.log("Truncated messages (a header cut short, a payload cut short) then a hang-up: "
                 "dropped, nothing else happens")
        whole = frame(MAGIC["regtest"], "ping", b"\x02" * 8)
        for cut in (3, 10, 23, 24, 28):
            with self.attacker() as p:
                p.handshake()
                p.send_raw(whole[:cut])
                self.sent("truncated")
            # After the hang-up the node still answers RPC and the honest peer.
        big = frame(MAGIC["regtest"], "tx", os.urandom(5000))
        with self.attacker() as p:
            p.handshake()
            p.send_raw(big[:2000])
            self.sent("truncated")
            # A partial message keeps its connection waiting, nothing more:
            # the node serves the honest peer meanwhile.
            self.keep_honest_busy()
        self.expect_not_banned("truncated messages")
        self.keep_honest_busy()

        self.log("Messages before the handshake: scored and dropped")
        with self.attacker() as p:
            for _ in range(12):
                if not p.send("inv", msg_inv([(INV_TX, os.urandom(32))])):
                    break
                self.sent("before handshake")
            assert p.wait_for_disconnect(15)
        self.expect_banned("messages before the handshake")

        self.log("Inventory floods (%d entries a message, faster than the refill): banned" % MAX_INV)
        with self.attacker() as p:
            p.handshake()
            for i in range(12):
                entries = [(INV_TX, os.urandom(32)) for _ in range(MAX_INV)]
                if not p.send("inv", msg_inv(entries)):
                    break
                self.sent("inventory flood")
            assert p.wait_for_disconnect(30)
        self.expect_banned("an inventory flood")
        self.keep_honest_busy()

        self.log("An inventory over the per-message maximum: banned")
        with self.attacker() as p:
            p.handshake()
            too_many = [(INV_BLOCK, os.urandom(32)) for _ in range(MAX_INV + 1)]
            for _ in range(5):
                if not p.send("inv", msg_inv(too_many)):
                    break
                self.sent("oversized inventory")
            assert p.wait_for_disconnect(30)
        self.expect_banned("an oversized inventory")

        self.log("getdata floods for things the node does not have, from a peer that never reads "
                 "the answers: the node stops reading from it instead of queueing without bound, "
                 "and serves the honest peer meanwhile")
        p = P2PConnection(node.port, genesis, timeout=5, v2=False).connect()
        with p:
            p.handshake()
            for i in range(12):
                entries = [(INV_BLOCK if i % 2 else INV_TX, os.urandom(32)) for _ in range(MAX_INV)]
                if not p.send("getdata", msg_inv(entries)):
                    break  # the node stopped reading: our send timed out
                self.sent("getdata flood")
            self.keep_honest_busy()
            assert_equal(node.getblockcount(), honest.getblockcount())
        node.clearbanned()
        self.keep_honest_busy()

        mempool_before = sorted(node.getrawmempool())
        secret = regtest_secret(3)
        dest = pubkey(regtest_secret(2))

        self.log("Invalid transactions: a forged signature, a signature for another network, "
                 "a zero amount: banned, mempool unchanged")
        good = transfer(secret, dest, 100000000, 0, 100000, genesis)
        forged = bytearray(good.serialize())
        forged[-1] ^= 1
        other_net = transfer(secret, dest, 100000000, 0, 100000, b"\x42" * 32).serialize()
        zero = transfer(secret, dest, 0, 0, 100000, genesis).serialize()
        for what, raw in (("forged signature", bytes(forged)), ("another network", other_net),
                          ("zero amount", zero)):
            with self.attacker() as p:
                p.handshake()
                p.send("tx", raw)
                self.sent("invalid transaction")
                assert p.wait_for_disconnect(10), "not dropped after " + what
            self.expect_banned("a transaction with a " + what)
        self.log("Undecodable transactions: scored 20 each, banned at the fifth")
        with self.attacker() as p:
            p.handshake()
            for i in range(5):
                p.send("tx", os.urandom(10 + i))
                self.sent("undecodable transaction")
            assert p.wait_for_disconnect(10)
        self.expect_banned("undecodable transactions")
        assert_equal(sorted(node.getrawmempool()), mempool_before)
        self.keep_honest_busy()


if __name__ == "__main__":
    P2PHostileTest().main()
