#!/usr/bin/env python3
"""Peers that sign headers and blocks with a throwaway key (a key that leads
no slot) try to stall a node's sync and to fill its disk with side branches.

  1. A fake header chain from genesis, longer than the honest chain, shown
     to a fresh node before its honest peer: the node syncs the honest
     chain, and the faker is banned (the first header names the wrong
     leader); also after a restart.
  2. A 60-header fork at a synced node's tip: the faker is banned and the
     node keeps following the honest chain.
  3. A 60-header fork below the tip's epoch, whose leaders the tip's state
     cannot tell: the node keeps following the honest chain meanwhile, and
     the faker, who never sends the bodies, is dropped.
  4. Sibling blocks and sibling headers of the tip from throwaway keys: no
     body is stored, the chain tips stay bounded, the sender is banned.

Each attack prints what it sent and what the node kept."""

import os
import struct
import time

from test_framework.crypto import G, N, P, _b32, _int, _mul, _sha_tag, tagged_hash
from test_framework.framework import (FMLTestFramework, assert_equal, connect_nodes, sync_blocks,
                                      wait_until, TestFailure)
from test_framework.p2p import P2PConnection, header_hash, msg_headers, parse_inv

GENESIS_TIME = 1767225600  # regtest
EPOCH_SLOTS = 8            # regtest


class Signer:
    """BIP340 with the public point computed once (pure Python is slow)."""

    def __init__(self, sec):
        self.d0 = _int(sec)
        pt = _mul(G, self.d0)
        self.d = self.d0 if pt[1] % 2 == 0 else N - self.d0
        self.pub = _b32(pt[0])

    def sign(self, msg):
        t = bytes(a ^ b for a, b in zip(_b32(self.d), _sha_tag("BIP0340/aux", bytes(32))))
        k0 = _int(_sha_tag("BIP0340/nonce", t + self.pub + msg)) % N
        r = _mul(G, k0)
        k = k0 if r[1] % 2 == 0 else N - k0
        e = _int(_sha_tag("BIP0340/challenge", _b32(r[0]) + self.pub + msg)) % N
        return _b32(r[0]) + _b32((k + e * self.d) % N)


def make_header(signer, genesis, height, prev, slot, tx_root=None):
    unsigned = (struct.pack("<IQ", 1, height) + prev + struct.pack("<QQ", slot, GENESIS_TIME + slot) +
                (tx_root or os.urandom(32)) + os.urandom(32) + signer.pub + os.urandom(32))
    sig = signer.sign(tagged_hash("FML/blocksig", genesis + unsigned))
    return unsigned + sig


def fake_chain(signer, genesis, prev, height, slot, n, jump=0, tx_root=None):
    """n headers, each the parent of the next, from the block (prev, height,
    slot); the second one jump slots further."""
    out = []
    for i in range(n):
        height += 1
        slot += 1 + (jump if i == 1 else 0)
        raw = make_header(signer, genesis, height, prev, slot, tx_root)
        out.append(raw)
        prev = header_hash(raw)
    return out


def epoch(slot):
    return slot // EPOCH_SLOTS


class FakeHeadersTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.extra_args = [["-connect=0", "-listen=1", "-regtestvalidator=0"],
                           ["-connect=0", "-listen=1", "-regtestvalidator=none"]]

    def faker(self, node):
        return P2PConnection(node.port, self.genesis).connect()

    def banned(self, node):
        return any(b["address"].startswith("127.0.0.1") for b in node.listbanned())

    def header_of(self, node, height):
        bh = node.getblockhash(height)
        return bytes.fromhex(bh), node.getblockheader(bh)

    def blocks_bytes(self, node):
        d = os.path.join(node.netdir, "blocks")
        return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d) if f.startswith("blk"))

    def run_test(self):
        honest, node = self.nodes
        self.genesis = bytes.fromhex(honest.getblockchaininfo()["genesis"])
        self.signer = Signer(os.urandom(32))
        honest.generateblocks(20)

        # FML_FAKE_PARTS=2,4 runs only those attacks (to show each one on
        # an older node).
        parts = os.environ.get("FML_FAKE_PARTS", "1,2,3,4,5").split(",")
        if "1" in parts:
            self.fake_chain_from_genesis()
        else:
            connect_nodes(node, honest)
            sync_blocks([honest, node])
        if "2" in parts:
            self.fork_at_tip()
        if "3" in parts:
            self.fork_below_tip_epoch()
        if "4" in parts:
            self.fork_below_tip_epoch(serve_bodies=True)
        if "5" in parts:
            self.sibling_blocks_and_headers()

    def fake_chain_from_genesis(self):
        honest, node = self.nodes
        n = 300
        self.log("1. A fake chain of %d headers from genesis (the honest chain has %d blocks), "
                 "shown to a fresh node before its honest peer" % (n, honest.getblockcount()))
        t0 = time.time()
        hdrs = fake_chain(self.signer, self.genesis, self.genesis, 0, 0, n)
        self.log("  signed in %.1fs" % (time.time() - t0))
        with self.faker(node) as f:
            f.handshake()
            f.wait_for("getheaders", 10)
            f.send("headers", msg_headers(hdrs))
            f.sync_with_ping(10)
            was_banned = self.banned(node)
            node.clearbanned()
            connect_nodes(node, honest)
            self.log("  the faker stays connected, sending no bodies; the honest peer connects")
            wait_until(lambda: node.getblockcount() == honest.getblockcount(), timeout=30,
                       what="the fresh node syncing the honest chain (at %d of %d)" %
                       (node.getblockcount(), honest.getblockcount()))
        self.log("  synced to %d; headers known: %d" % (node.getblockcount(),
                                                       node.getblockchaininfo()["headers"]))
        if not was_banned:
            raise TestFailure("the faker was not banned")
        assert node.getblockchaininfo()["headers"] < n, "fake headers indexed"

        self.log("  after a restart the node still follows the honest chain")
        node.stop()
        node.start()
        connect_nodes(node, honest)
        honest.generateblocks(3)
        sync_blocks([honest, node], timeout=30)

    def fork_at_tip(self):
        honest, node = self.nodes
        tip_hash, tip = self.header_of(node, node.getblockcount())
        self.log("2. A 60-header fork on the synced node's tip (height %d)" % tip["height"])
        hdrs = fake_chain(self.signer, self.genesis, tip_hash, tip["height"], tip["slot"], 60)
        with self.faker(node) as f:
            f.handshake()
            f.send("headers", msg_headers(hdrs))
            f.sync_with_ping(10)
            honest.generateblocks(5)
            sync_blocks([honest, node], timeout=30)
            banned = self.banned(node)
        node.clearbanned()
        self.log("  the node followed the honest chain to %d; faker banned: %s" %
                 (node.getblockcount(), banned))
        if not banned:
            raise TestFailure("the faker of a fork at the tip was not banned")
        if node.getblockchaininfo()["headers"] != node.getblockcount():
            raise TestFailure("fake headers indexed")

    def empty_root(self):
        node = self.nodes[1]
        raw = bytes.fromhex(node.getblock(node.getbestblockhash(), 0))
        assert raw[252:] == b"\x00", "the tip is not an empty block"
        return raw[60:92]

    def fork_below_tip_epoch(self, serve_bodies=False):
        honest, node = self.nodes
        height = node.getblockcount()
        tip_slot = self.header_of(node, height)[1]["slot"]
        # The highest block within the finality depth whose successor slot
        # lies in an epoch before the tip's.
        fork = None
        for h in range(height - 1, max(0, height - 20) - 1, -1):
            fh, fhdr = self.header_of(node, h)
            if epoch(fhdr["slot"] + 1) < epoch(tip_slot):
                fork = (fh, fhdr)
                break
        assert fork, "no fork point below the tip's epoch"
        fh, fhdr = fork
        n = height - fhdr["height"] + 60
        self.log("%s. A %d-header fork from height %d (slot %d; tip slot %d), below the tip's "
                 "epoch%s" % ("4" if serve_bodies else "3", n, fhdr["height"], fhdr["slot"],
                              tip_slot, ", with bodies" if serve_bodies else ""))
        # From the second header on, two epochs later: no header of the
        # branch is in an epoch whose leaders the tip's state fixes.
        hdrs = fake_chain(self.signer, self.genesis, fh, fhdr["height"], fhdr["slot"], n,
                          jump=2 * EPOCH_SLOTS, tx_root=self.empty_root())
        if serve_bodies:
            self.serve_fake_bodies(node, hdrs, height - fhdr["height"] + 1)
            return
        f = self.faker(node)
        with f:
            f.handshake()
            f.send("headers", msg_headers(hdrs))
            f.sync_with_ping(10)
            known = node.getblockchaininfo()["headers"]
            self.log("  headers known: %d; the faker sends no bodies; honest blocks keep coming" %
                     known)
            if known <= height:
                raise TestFailure("the unchecked branch higher than the tip was not taken")
            for _ in range(3):
                honest.generateblocks(2)
                sync_blocks([honest, node], timeout=20)
            self.log("  the node followed the honest chain to %d" % node.getblockcount())
            if not f.wait_for_disconnect(60):
                raise TestFailure("the faker holding up its branch was not dropped")
        self.log("  the faker was dropped for stalling")
        wait_until(lambda: node.getblockchaininfo()["headers"] == node.getblockcount(), timeout=30,
                   what="the stalled header-only branch forgotten")
        self.log("  its header-only branch was forgotten (headers %d)" %
                 node.getblockchaininfo()["headers"])
        tips = node.getchaintips()
        self.log("  chain tips: %d" % len(tips))
        assert len(tips) <= 3, tips
        node.clearbanned()

    def serve_fake_bodies(self, node, hdrs, upto):
        """The faker answers getdata with empty bodies matching its headers:
        they are stored only because the branch is higher than the tip, and
        the branch fails when it overtakes the tip (wrong leaders)."""
        honest = self.nodes[0]
        bodies = {header_hash(h): h + b"\x00" for h in hdrs}
        bytes_before = self.blocks_bytes(node)
        served = 0
        with self.faker(node) as f:
            f.handshake()
            f.send("headers", msg_headers(hdrs))
            deadline = time.time() + 30
            while time.time() < deadline:
                payload = f.wait_for("getdata", 2)
                if payload is None:
                    if f.wait_for_disconnect(0.1):
                        break
                    continue
                for _, h in parse_inv(payload):
                    if h in bodies and f.send("block", bodies[h]):
                        served += 1
            gone = f.wait_for_disconnect(10)
        growth = self.blocks_bytes(node) - bytes_before
        self.log("  bodies served %d, blocks/ +%d bytes, faker banned: %s" %
                 (served, growth, self.banned(node)))
        if not gone or not self.banned(node):
            raise TestFailure("the faker serving an invalid branch was not banned")
        # At most the branch up to one block above the tip was stored (a
        # record is the 253-byte body and a few bytes of framing).
        if growth > upto * 300:
            raise TestFailure("%d bytes of the invalid branch stored (%d blocks to the tip)" %
                              (growth, upto))
        node.clearbanned()
        honest.generateblocks(2)
        sync_blocks([honest, node], timeout=30)

    def sibling_blocks_and_headers(self):
        honest, node = self.nodes
        height = node.getblockcount()
        prev_hash, prev = self.header_of(node, height - 1)
        tip_hash, tip = self.header_of(node, height)
        raw_tip = bytes.fromhex(node.getblock(tip_hash.hex(), 0))
        empty_root = raw_tip[60:92] if raw_tip[252:] == b"\x00" else None
        tips_before, bytes_before = len(node.getchaintips()), self.blocks_bytes(node)
        self.log("5. Sibling blocks of the tip (height %d) from throwaway keys" % height)
        kinds = (("at the tip's slot", lambda i: tip["slot"]),
                 ("in a far epoch", lambda i: tip["slot"] + 1000 + i))
        for what, slot_of in kinds:
            sent = 0
            with self.faker(node) as f:
                f.handshake()
                for i in range(60):
                    signer = Signer(os.urandom(32))
                    hdr = make_header(signer, self.genesis, height, prev_hash, slot_of(i), empty_root)
                    if not f.send("block", hdr + b"\x00"):
                        break
                    sent += 1
                f.wait_for_disconnect(10)
            tips, size = len(node.getchaintips()), self.blocks_bytes(node)
            self.log("  %s: sent %d, chain tips %d -> %d, blocks/ +%d bytes, banned: %s" %
                     (what, sent, tips_before, tips, size - bytes_before, self.banned(node)))
            if tips > tips_before + 1 or size > bytes_before:
                raise TestFailure("sibling blocks stored (%d tips, +%d bytes)" %
                                  (tips, size - bytes_before))
            if not self.banned(node):
                raise TestFailure("the sender of sibling blocks was not banned")
            node.clearbanned()

        self.log("  sibling headers, one per message, 200 of them")
        for what, slot_of in kinds:
            with self.faker(node) as f:
                f.handshake()
                for i in range(200):
                    signer = Signer(os.urandom(32))
                    if not f.send("headers", msg_headers(
                            [make_header(signer, self.genesis, height, prev_hash, slot_of(i))])):
                        break
                f.sync_with_ping(10)
            tips = len(node.getchaintips())
            self.log("  %s: chain tips %d -> %d, headers %d" %
                     (what, tips_before, tips, node.getblockchaininfo()["headers"]))
            if tips > tips_before + 1:
                raise TestFailure("sibling headers indexed (%d tips)" % tips)
            node.clearbanned()

        self.log("The node still follows the honest chain")
        honest.generateblocks(2)
        sync_blocks([honest, node], timeout=30)
        assert_equal(node.getbestblockhash(), honest.getbestblockhash())


if __name__ == "__main__":
    FakeHeadersTest().main()
