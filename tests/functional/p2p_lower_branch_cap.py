#!/usr/bin/env python3
"""Lower side branches (doc/protocol.md section 20.4): a header forking below
the tip's epoch whose leader the tip's state cannot tell is indexed and its
body fetched only when its proposer stakes at the tip (a throwaway key's is
not), and at most 2 * finality_depth bodies of such branches not evaluated
yet are fetched: one sibling per connection, signed by validator keys at
distinct slots, the ones past the cap are not requested."""

import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_framework.blocks import compact, merkle_root  # noqa: E402
from test_framework.crypto import Tx, regtest_secret, tagged_hash  # noqa: E402
from test_framework.framework import FMLTestFramework, TestFailure  # noqa: E402
from test_framework.p2p import P2PConnection, header_hash, msg_headers, parse_inv  # noqa: E402
from p2p_fake_headers import Signer, make_header  # noqa: E402

EPOCH_SLOTS = 8
FINALITY_DEPTH = 20
CAP = 2 * FINALITY_DEPTH


def epoch(slot):
    return slot // EPOCH_SLOTS


class LowerBranchCap(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-connect=0", "-listen=1", "-regtestvalidator=0"]]

    def offer(self, node, genesis, signer, fork, slot, body, wait):
        """Announces one sibling on a new connection; serves its body when
        asked.  Returns whether it was asked for."""
        fh, fhdr = fork
        # A body: one vote of a throwaway key (stateless-valid, no weight).
        root = merkle_root([tagged_hash("FML/txid", body)])
        hdr = make_header(signer, genesis, fhdr["height"] + 1, fh, slot, root)
        with P2PConnection(node.port, genesis).connect() as f:
            f.handshake()
            f.send("headers", msg_headers([hdr]))
            payload = f.wait_for("getdata", wait)
            asked = False
            if payload is not None:
                for _, hh in parse_inv(payload):
                    if hh == header_hash(hdr):
                        f.send("block", hdr + compact(1) + body)
                        asked = True
            f.sync_with_ping(30)
        return asked

    def run_test(self):
        node = self.nodes[0]
        genesis = bytes.fromhex(node.getblockchaininfo()["genesis"])
        node.generateblocks(50)
        height = node.getblockcount()
        tip_slot = node.getblockheader(node.getblockhash(height))["slot"]
        fork = None
        for h in range(height - FINALITY_DEPTH, height):
            bh = node.getblockhash(h)
            hdr = node.getblockheader(bh)
            if epoch(hdr["slot"] + 1) < epoch(tip_slot):
                fork = (bytes.fromhex(bh), hdr)
                break
        if not fork:
            raise TestFailure("no fork point below the tip's epoch")
        fslot = fork[1]["slot"]
        throwaway = Signer(os.urandom(32))
        payload = struct.pack("<Q", 1) + os.urandom(32) + struct.pack("<Q", 2) + os.urandom(32)
        vote = Tx(throwaway.pub, 0, 0, 64, payload)
        vote.sig = throwaway.sign(vote.sighash(genesis))
        body = vote.serialize()
        tips0 = len(node.getchaintips())

        self.log("a throwaway proposer's lower sibling: not indexed, not fetched")
        if self.offer(node, genesis, throwaway, fork, fslot + 1, body, 3):
            raise TestFailure("the body of a throwaway proposer's lower branch was requested")
        if len(node.getchaintips()) != tips0:
            raise TestFailure("a throwaway proposer's lower header was indexed")

        self.log("validators' lower siblings: %d bodies fetched, then none" % CAP)
        signers = [Signer(regtest_secret(i)) for i in (1, 2, 3)]
        asked = 0
        for i in range(CAP + 3):
            slot = fslot + 1 + i // len(signers)
            if epoch(slot) >= epoch(tip_slot):
                raise TestFailure("out of slots below the tip's epoch")
            got = self.offer(node, genesis, signers[i % len(signers)], fork, slot, body,
                             10 if i < CAP else 3)
            if got:
                asked += 1
            elif i < CAP:
                raise TestFailure("sibling %d (below the cap) was not requested" % i)
        if asked != CAP:
            raise TestFailure("%d lower bodies requested, the cap is %d" % (asked, CAP))
        time.sleep(0.5)
        tips = node.getchaintips()
        self.log("  %d requested, chain tips %d -> %d" % (asked, tips0, len(tips)))
        if node.getblockcount() != height:
            raise TestFailure("the tip moved")


if __name__ == "__main__":
    LowerBranchCap().main()
