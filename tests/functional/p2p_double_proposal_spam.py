#!/usr/bin/env python3
"""Double proposals from keys that are not validators cost the node nothing.

A peer signs many different headers for one slot with a throwaway key (any
header with a good signature that connects reaches the chain) and sends them
one by one.  Before, the node took every second header as a double proposal,
had its wallet record and fsync an EVIDENCE transaction, and only then saw the
mempool refuse it (bad-evidence-validator): one wallet record per header.  Now
the node reports only validators: the wallet gains no record, wallet.dat does
not grow and no evidence enters the mempool.

A real validator's double proposal, sent the same way (its block, and a second
header for the same slot and parent signed with its key), is still reported,
once however many variants come, mined and slashed.

And a wallet send the mempool refuses (the 65th pooled transaction of one
sender: too-long-mempool-chain) leaves no record, not even an abandoned one.
"""

import os
import struct
import time

from test_framework.crypto import N, address, pubkey, regtest_secret, sign, tagged_hash
from test_framework.framework import (FMLTestFramework, assert_equal, assert_raises_rpc_error,
                                      connect_nodes, sync_blocks, wait_until, TestFailure)
from test_framework.p2p import P2PConnection, msg_headers

HEADER_SIZE = 252
SIGNED_SIZE = 188
# Throwaway-key headers for one slot (pure-Python signatures: ~0.08 s each).
FAKE_HEADERS = 120
# What wallet.dat may grow by while they come: the node writes no record for
# them (a best-block record is about 100 bytes).
MAX_WALLET_GROWTH = 1024
MEMPOOL_MAX_RUN = 64


def header_fields(raw):
    version, height = struct.unpack_from("<IQ", raw, 0)
    slot, slot_time = struct.unpack_from("<QQ", raw, 44)
    return version, height, slot, slot_time


def make_header(genesis, sec, height, prev, slot, slot_time, salt, template=None):
    """A header signed with sec; salt goes into tx_root and state_root so that
    each one differs."""
    if template is not None:
        hdr = bytearray(template[:HEADER_SIZE])
    else:
        hdr = bytearray(HEADER_SIZE)
        struct.pack_into("<IQ", hdr, 0, 1, height)
        hdr[12:44] = prev
        struct.pack_into("<QQ", hdr, 44, slot, slot_time)
        hdr[124:156] = pubkey(sec)
        hdr[156:188] = os.urandom(32)
    hdr[60:92] = tagged_hash("test/salt", salt)
    hdr[92:124] = tagged_hash("test/salt2", salt)
    msg = tagged_hash("FML/blocksig", genesis + bytes(hdr[:SIGNED_SIZE]))
    hdr[188:252] = sign(msg, sec)
    return bytes(hdr)


class DoubleProposalSpamTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.extra_args = [["-connect=0", "-listen=1", "-regtestvalidator=0"],
                           ["-connect=0", "-listen=1", "-regtestvalidator=2"]]

    def wallet_dat_size(self, node):
        total = 0
        for root, _, files in os.walk(os.path.join(node.netdir, "wallets")):
            total += sum(os.path.getsize(os.path.join(root, f)) for f in files if f == "wallet.dat")
        return total

    def log_count(self, node, text):
        with open(node.debug_log, errors="replace") as f:
            return sum(1 for line in f if text in line)

    def run_test(self):
        node, other = self.nodes
        connect_nodes(other, node)
        node.generateblocks(2)
        sync_blocks([node, other])
        genesis = bytes.fromhex(node.getblockchaininfo()["genesis"])

        self.real_double_proposal(node, other, genesis)
        self.rejected_send(node)
        # Last: the fake headers leave a header-only branch behind.
        self.fake_flood(node, genesis)

    def fake_flood(self, node, genesis):
        self.log("A throwaway key signs %d different headers for one slot" % FAKE_HEADERS)
        tip = bytes.fromhex(node.getbestblockhash())
        raw_tip = bytes.fromhex(node.getblock(tip.hex(), 0))[:HEADER_SIZE]
        _, height, slot, tip_time = header_fields(raw_tip)
        while True:
            sec = os.urandom(32)
            if 0 < int.from_bytes(sec, "big") < N:
                break
        headers = [make_header(genesis, sec, height + 1, tip, slot + 1, tip_time + 1, b"%d" % i)
                   for i in range(FAKE_HEADERS)]
        records = node.getwalletinfo()["txcount"]
        size = self.wallet_dat_size(node)
        mempool = node.getrawmempool()

        self.log("... sent one by one over P2P")
        sent = 0
        with P2PConnection(node.port, genesis).connect() as p:
            p.handshake()
            start = time.time()
            for h in headers:
                if not p.send("headers", msg_headers([h])):
                    break
                sent += 1
            alive = p.sync_with_ping(30)
            elapsed = time.time() - start
        self.log("  %d headers sent and handled in %.2f s (connection %s)" %
                 (sent, elapsed, "kept" if alive else "closed by the node"))

        self.log("No wallet record, no wallet.dat growth, no evidence in the mempool")
        node.getblockcount()  # still answering
        new_records = node.getwalletinfo()["txcount"] - records
        growth = self.wallet_dat_size(node) - size
        reports = self.log_count(node, "Could not report a double proposal")
        self.log("  wallet records +%d, wallet.dat +%d bytes, failed reports logged: %d" %
                 (new_records, growth, reports))
        if new_records:
            raise TestFailure("%d wallet records written for double proposals of a non-validator"
                              % new_records)
        if growth > MAX_WALLET_GROWTH:
            raise TestFailure("wallet.dat grew by %d bytes" % growth)
        assert_equal(node.getrawmempool(), mempool)
        assert_equal(reports, 0)

    def real_double_proposal(self, node, other, genesis):
        self.log("Validator 2 proposes a block; a peer shows the node other headers it signed "
                 "for the same slot and parent")
        v2 = address("rfml", pubkey(regtest_secret(2)))
        other.generateblocks(1)
        sync_blocks([node, other])
        raw = bytes.fromhex(node.getblock(node.getbestblockhash(), 0))[:HEADER_SIZE]
        assert_equal(raw[124:156], pubkey(regtest_secret(2)))
        before = node.getvalidator(v2)
        assert_equal(before["status"], "active")
        records = node.getwalletinfo()["txcount"]
        variants = [make_header(genesis, regtest_secret(2), 0, b"", 0, 0, b"real %d" % i, template=raw)
                    for i in range(4)]
        with P2PConnection(node.port, genesis).connect() as p:
            p.handshake()
            for h in variants:
                p.send("headers", msg_headers([h]))
            assert p.sync_with_ping(30)

        self.log("Reported once (one evidence transaction, one wallet record), mined, slashed")
        wait_until(lambda: node.getrawmempool(), what="evidence in the mempool")
        pool = node.getrawmempool(True)
        ev = [t for t in pool.values() if t["type"] == "evidence"]
        assert_equal(len(ev), 1)
        assert_equal(self.log_count(node, "Reported a double proposal"), 1)
        assert_equal(node.getwalletinfo()["txcount"], records + 1)
        node.generateblocks(1)
        after = node.getvalidator(v2)
        assert_equal(after["status"], "jailed")
        assert float(after["self_stake"]) < float(before["self_stake"]), (before, after)
        assert_equal(node.getrawmempool(), [])
        sync_blocks([node, other])

    def rejected_send(self, node):
        self.log("A wallet send the mempool refuses leaves no record")
        dest = node.getnewaddress()
        records = node.getwalletinfo()["txcount"]
        for _ in range(MEMPOOL_MAX_RUN):
            node.sendtoaddress(dest, 1)
        assert_equal(node.getwalletinfo()["txcount"], records + MEMPOOL_MAX_RUN)
        size = self.wallet_dat_size(node)
        assert_raises_rpc_error(None, "too-long-mempool-chain", node.sendtoaddress, dest, 1)
        abandoned = [t for t in node.listtransactions("*", 1000) if t.get("abandoned")]
        self.log("  wallet records after the refused send: %d (%d abandoned), wallet.dat +%d bytes"
                 % (node.getwalletinfo()["txcount"] - records, len(abandoned),
                    self.wallet_dat_size(node) - size))
        assert_equal(node.getwalletinfo()["txcount"], records + MEMPOOL_MAX_RUN)
        assert_equal(abandoned, [])
        assert_equal(self.wallet_dat_size(node), size)
        node.generateblocks(1)
        assert_equal(node.getrawmempool(), [])


if __name__ == "__main__":
    DoubleProposalSpamTest().main()
