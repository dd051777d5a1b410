#!/usr/bin/env python3
"""Peers that claim header-only branches and answer every request for their
bodies with notfound.

A fork from below the tip's epoch (within the finality depth) cannot have
its leaders checked before a reorganization, so a branch of such headers
signed with a throwaway key is indexed unchecked once it is higher than the
tip.  Eight fakers each show their own such branch (one trunk, eight
different last headers) and never serve a body:

  1. While the fakers sit on the block requests they got, the synced node
     keeps following the honest chain, whose new blocks are announced by
     headers (the eight taller fake branches must not take every download
     slot).
  2. Fakers answering every getdata with notfound are dropped (a notfound
     for a block a peer claims counts as a stall, like a timeout), and
     their header-only branches are forgotten.
  3. One claimer keeps a short such fork claimed (connecting again when
     dropped) while other connections, one after another, each add a run
     of headers above it and leave: the runs are forgotten (a claim keeps
     only what lies at or below the claimed block), so the unchecked
     headers a node keeps are bounded by its connections, not by how many
     times an attacker connects.

Each step prints what was sent and what the node kept."""

import os
import time

from p2p_fake_headers import EPOCH_SLOTS, Signer, epoch, fake_chain, make_header
from test_framework.framework import (FMLTestFramework, connect_nodes, sync_blocks, wait_until,
                                      TestFailure)
from test_framework.p2p import P2PConnection, header_hash, msg_headers, msg_inv, parse_inv

FAKERS = 8


def rss_kb(node):
    with open("/proc/%d/status" % node.process.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def dir_bytes(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


class BranchClaimsTest(FMLTestFramework):
    RUNS, RUN_LEN = 3, 120  # part 3

    def set_test_params(self):
        self.num_nodes = 2
        self.extra_args = [["-connect=0", "-listen=1", "-regtestvalidator=0"],
                           ["-connect=0", "-listen=1", "-regtestvalidator=none"]]

    def header_of(self, node, height):
        bh = node.getblockhash(height)
        return bytes.fromhex(bh), node.getblockheader(bh)

    def run_test(self):
        honest, node = self.nodes
        genesis = bytes.fromhex(honest.getblockchaininfo()["genesis"])
        signer = Signer(os.urandom(32))
        honest.generateblocks(20)
        connect_nodes(node, honest)
        sync_blocks([honest, node])

        self.claims_hold_no_slot(genesis, signer)
        self.claim_keeps_nothing_above_it(genesis, signer)

    def fork_point(self):
        """The highest block within the finality depth whose successor slot
        lies in an epoch before the tip's."""
        node = self.nodes[1]
        height = node.getblockcount()
        tip_slot = self.header_of(node, height)[1]["slot"]
        for h in range(height - 1, max(0, height - 20) - 1, -1):
            fh, fhdr = self.header_of(node, h)
            if epoch(fhdr["slot"] + 1) < epoch(tip_slot):
                return height, fh, fhdr
        raise AssertionError("no fork point below the tip's epoch")

    def claims_hold_no_slot(self, genesis, signer):
        honest, node = self.nodes
        height, fh, fhdr = self.fork_point()
        n = height - fhdr["height"] + 10  # higher than the honest chain will grow
        trunk = fake_chain(signer, genesis, fh, fhdr["height"], fhdr["slot"], n - 1,
                           jump=2 * EPOCH_SLOTS)
        top = trunk[-1]
        top_height = fhdr["height"] + n - 1
        top_slot = int.from_bytes(top[44:52], "little")
        leaves = [make_header(signer, genesis, top_height + 1, header_hash(top), top_slot + 1 + i)
                  for i in range(FAKERS)]
        self.log("1. %d fakers, each claiming its own %d-header branch from height %d (tip %d), "
                 "serving no bodies" % (FAKERS, n, fhdr["height"], height))

        fakers, sent, notfounds = [], 0, 0
        try:
            for leaf in leaves:
                f = P2PConnection(node.port, genesis).connect()
                fakers.append(f)
                f.handshake()
                payload = msg_headers(trunk + [leaf])
                f.send("headers", payload)
                sent += len(payload)
                f.sync_with_ping(10)
            known = node.getblockchaininfo()["headers"]
            tips = len(node.getchaintips())
            self.log("  headers known: %d, chain tips: %d, bytes sent: %d" % (known, tips, sent))
            if known < top_height + 1:
                raise TestFailure("the fake branches were not indexed (%d headers)" % known)

            def answer():
                nonlocal notfounds
                for f in fakers:
                    if f.closed:
                        continue
                    while True:
                        payload = f.wait_for("getdata", 0.01)
                        if payload is None:
                            break
                        inv = parse_inv(payload)
                        if f.send("notfound", msg_inv(inv)):
                            notfounds += len(inv)

            # The fakers hold the requests they got (a block request times
            # out after 10 s): the honest blocks must come meanwhile.
            for _ in range(2):
                honest.generateblocks(2)
                deadline = time.time() + 8
                while time.time() < deadline and node.getbestblockhash() != honest.getbestblockhash():
                    time.sleep(0.05)
                if node.getbestblockhash() != honest.getbestblockhash():
                    raise TestFailure("the node stopped following the honest chain: at %d, "
                                      "honest at %d, %d fakers connected" %
                                      (node.getblockcount(), honest.getblockcount(),
                                       sum(not f.closed for f in fakers)))
            self.log("  the node followed the honest chain to %d while the fakers held their "
                     "requests" % node.getblockcount())

            self.log("2. The fakers answer every getdata with notfound")
            honest.generateblocks(2)
            deadline = time.time() + 30
            while time.time() < deadline and not all(f.closed for f in fakers):
                answer()
                for f in fakers:
                    if not f.closed:
                        f.wait_for_disconnect(0.01)
                time.sleep(0.05)
            left = sum(not f.closed for f in fakers)
            self.log("  fakers still connected: %d (%d notfound sent)" % (left, notfounds))
            if left:
                raise TestFailure("%d fakers answering notfound for the branches they claim were "
                                  "not dropped in 30 s (%d notfound sent)" % (left, notfounds))
            sync_blocks([honest, node], timeout=30)
            wait_until(lambda: node.getblockchaininfo()["headers"] == node.getblockcount(),
                       timeout=30, what="the unserved header-only branches forgotten")
            self.log("  their header-only branches were forgotten (headers %d, chain tips %d)" %
                     (node.getblockchaininfo()["headers"], len(node.getchaintips())))
        finally:
            for f in fakers:
                f.close()
        honest.generateblocks(2)
        sync_blocks([honest, node], timeout=30)

    def claim_keeps_nothing_above_it(self, genesis, signer):
        """A claimer keeps a short fork below the tip's epoch claimed (it
        connects again whenever it is dropped); other connections, one after
        another, each extend that fork by a run of headers and leave."""
        honest, node = self.nodes
        height, fh, fhdr = self.fork_point()
        n = height - fhdr["height"] + 2
        trunk = fake_chain(signer, genesis, fh, fhdr["height"], fhdr["slot"], n,
                           jump=2 * EPOCH_SLOTS)
        top_height = fhdr["height"] + n
        top_slot = int.from_bytes(trunk[-1][44:52], "little")
        runs, run_len = self.RUNS, self.RUN_LEN
        self.log("3. A claimer keeps a %d-header fork from height %d (tip %d, fork top %d) "
                 "claimed; %d connections each add %d headers above it and leave" %
                 (n, fhdr["height"], height, top_height, runs, run_len))
        claimer, reconnects, sent = None, 0, 0

        def keep_claim():
            nonlocal claimer, reconnects, sent
            if claimer is not None and not claimer.closed:
                claimer.wait_for_disconnect(0.01)
                if not claimer.closed:
                    return
                reconnects += 1
            claimer = P2PConnection(node.port, genesis).connect()
            claimer.handshake()
            payload = msg_headers(trunk)
            claimer.send("headers", payload)
            sent += len(payload)
            claimer.sync_with_ping(10)

        rss0, disk0 = rss_kb(node), dir_bytes(node.netdir)
        try:
            keep_claim()
            prev, slot = header_hash(trunk[-1]), top_slot
            for r in range(runs):
                run = fake_chain(signer, genesis, prev, top_height, slot + 1000 * r, run_len)
                with P2PConnection(node.port, genesis).connect() as f:
                    f.handshake()
                    payload = msg_headers(run)
                    f.send("headers", payload)
                    sent += len(payload)
                    f.sync_with_ping(10)
                keep_claim()
            known = node.getblockchaininfo()["headers"]
            self.log("  headers known: %d (the fork's top is %d); %d bytes sent; node RSS "
                     "+%d kB, data directory +%d bytes" %
                     (known, top_height, sent, rss_kb(node) - rss0, dir_bytes(node.netdir) - disk0))
            if known < top_height + run_len:
                raise TestFailure("the runs above the claimed fork were not indexed (%d headers)"
                                  % known)
            # Three sweeps (5 s apart on regtest) with the claimer connected.
            deadline = time.time() + 16
            while time.time() < deadline:
                keep_claim()
                time.sleep(0.05)
            known = node.getblockchaininfo()["headers"]
            self.log("  after three sweeps: headers known %d, chain tips %d, claimer "
                     "reconnected %d times" % (known, len(node.getchaintips()), reconnects))
            if known > top_height:
                raise TestFailure("%d headers above the claimed fork kept after their senders "
                                  "left (%d runs of %d)" % (known - top_height, runs, run_len))
        finally:
            if claimer is not None:
                claimer.close()
        wait_until(lambda: node.getblockchaininfo()["headers"] == node.getblockcount(),
                   timeout=30, what="the fork forgotten once nobody claims it")
        honest.generateblocks(2)
        sync_blocks([honest, node], timeout=30)


if __name__ == "__main__":
    BranchClaimsTest().main()
