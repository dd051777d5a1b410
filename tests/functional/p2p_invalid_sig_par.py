#!/usr/bin/env python3
"""Nodes checking signatures on one thread (-par=1) and on two (-par=2)
judge a block the same way.

A producer makes a block of transfers while two followers are cut off.  A
test peer sends each follower copies of that block, sealed again by its
proposer (so well-formed, with a good header signature) but with wrong
transaction signatures: one at position 1; two, at positions 4 and 2; and the
last transaction's.  Each follower refuses each copy, stays at its tip and
names the same first failing transaction, whatever its thread count.  Then
the followers reconnect to the producer, take the real block and agree with
it on the tip and state root.
"""

import os

from test_framework.blocks import split_block, with_bad_sigs
from test_framework.crypto import address, pubkey, regtest_secret
from test_framework.framework import (FMLTestFramework, TestFailure, assert_equal, connect_nodes,
                                      disconnect_nodes, sync_blocks, wait_until)
from test_framework.p2p import P2PConnection


class InvalidSigParTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 3
        self.extra_args = [["-connect=0", "-listen=1"],
                           ["-connect=0", "-listen=1", "-regtestvalidator=none", "-par=1"],
                           ["-connect=0", "-listen=1", "-regtestvalidator=none", "-par=2"]]

    def log_text(self, node, since):
        with open(node.debug_log, errors="replace") as f:
            f.seek(since)
            return f.read()

    def run_test(self):
        prod, one, two = self.nodes
        followers = (one, two)
        for f in followers:
            connect_nodes(f, prod)
        prod.generateblocks(2)
        sync_blocks(self.nodes)
        for f in followers:
            disconnect_nodes(f, prod)
        for f, n in ((one, 1), (two, 2)):
            with open(f.debug_log, errors="replace") as log:
                if "Using %d threads for signature verification" % n not in log.read():
                    raise TestFailure("node %d does not say it verifies on %d threads" % (f.index, n))

        self.log("The producer makes a block of transfers the followers do not see")
        dest = address("rfml", pubkey(regtest_secret(1)))
        for k in range(6):
            prod.sendtoaddress(dest, k + 1)
        prod.generateblocks(1)
        tip = prod.getbestblockhash()
        raw = bytes.fromhex(prod.getblock(tip, 0))
        ntx = len(split_block(raw)[1])
        if ntx < 6:
            raise TestFailure("the block holds %d transactions, expected at least 6" % ntx)
        genesis = bytes.fromhex(prod.getblockchaininfo()["genesis"])
        below = one.getbestblockhash()

        cases = [({1}, 1), ({4, 2}, 2), ({ntx - 1}, ntx - 1)]
        for bad, first in cases:
            block = with_bad_sigs(raw, bad, genesis)
            verdicts = []
            for f in followers:
                mark = os.path.getsize(f.debug_log)
                with P2PConnection(f.port, genesis).connect() as peer:
                    peer.handshake()
                    peer.send("block", block)
                    peer.wait_for_disconnect(10)
                wait_until(lambda: "bad-txns-sig" in self.log_text(f, mark),
                           what="node %d refusing the block" % f.index)
                text = self.log_text(f, mark)
                said = [ln for ln in text.splitlines() if "bad-txns-sig" in ln][0]
                if "transaction %d" % first not in said:
                    raise TestFailure("node %d names another transaction than %d: %s" %
                                      (f.index, first, said))
                assert_equal(f.getbestblockhash(), below)
                f.clearbanned()
                verdicts.append(said.split("refused: ", 1)[-1].strip())
            self.log("  bad signatures at %s: both refuse it, naming transaction %d (%s)" %
                     (sorted(bad), first, verdicts[0]))
            assert_equal(verdicts[0], verdicts[1])

        self.log("Reconnected, both followers take the real block")
        for f in followers:
            connect_nodes(f, prod)
        sync_blocks(self.nodes)
        assert_equal(one.getbestblockhash(), tip)
        roots = {n.getblockchaininfo()["stateroot"] for n in self.nodes}
        assert_equal(len(roots), 1)


if __name__ == "__main__":
    InvalidSigParTest().main()
