#!/usr/bin/env python3
"""Damaged storage is found at start, named, and never used; -reindex recovers.

A node follows a producer over P2P.  Then, one case at a time, with the node
stopped, its files are damaged: the block file cut short inside its last
block, a byte flipped in a recent block (inside a transaction, which the block
header's hash alone does not cover), a byte flipped in an old block, a
chainstate table deleted, a byte flipped in a chainstate table, the chainstate
removed, a block index table deleted, the block index's CURRENT file removed.  Each time the node refuses to start
with a message that says what is damaged and names -reindex (or, for the old
block, refuses to hand out the damaged block and is caught at start with
-checkblocks=0), and -reindex without peers rebuilds from the stored blocks
that remain: the tip before the damage, with the state root in its header;
once reconnected the node is back at the producer's tip and state root.
"""

import os
import struct
from decimal import Decimal

from test_framework.crypto import address, pubkey, regtest_secret
from test_framework.framework import (FMLTestFramework, TestFailure, assert_equal,
                                      assert_raises_rpc_error, sync_blocks)


class CorruptionTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.extra_args = [["-connect=0", "-listen=1"], ["-regtestvalidator=none", "-listen=0"]]

    def setup_network(self):
        self.producer, self.node = self.nodes
        self.node.extra_args.append("-connect=127.0.0.1:%d" % self.producer.port)
        self.start_nodes()

    # ---- files ----

    @property
    def blockfile(self):
        return os.path.join(self.node.netdir, "blocks", "blk00000.dat")

    def records(self):
        """(offset of the data, size) of every record of the block file."""
        out = []
        with open(self.blockfile, "rb") as f:
            data = f.read()
        off = 0
        while off + 8 <= len(data):
            size = struct.unpack_from("<I", data, off + 4)[0]
            out.append((off + 8, size))
            off += 8 + size
        return out

    def flip(self, path, offset):
        with open(path, "r+b") as f:
            f.seek(offset)
            b = f.read(1)
            f.seek(offset)
            f.write(bytes([b[0] ^ 0x20]))

    def newest_table(self, sub):
        """The LevelDB table written last: live (older ones may be left
        over from a compaction until the next open)."""
        d = os.path.join(self.node.netdir, sub)
        names = [n for n in os.listdir(d) if n.endswith(".ldb")]
        if not names:
            raise TestFailure("no table in %s" % d)
        return os.path.join(d, max(names, key=lambda n: int(n.split(".")[0])))

    # ---- the node ----

    def start_fails(self, args, *expected):
        """The node refuses to start, saying each of expected on stderr."""
        node = self.node
        size = os.path.getsize(os.path.join(node.datadir, "stderr.txt"))
        try:
            node.start(args)
        except TestFailure:
            pass
        else:
            node.stop()
            raise TestFailure("the node started on damaged storage (%s)" % (args,))
        if node.process_status != 1:
            raise TestFailure("the node ended with status %s, not a refusal" % node.process_status)
        with open(os.path.join(node.datadir, "stderr.txt"), errors="replace") as f:
            f.seek(size)
            msg = f.read().strip()
        for e in expected:
            if e not in msg:
                raise TestFailure("start-up message %r does not say %r" % (msg, e))
        self.log("  refused: %s" % msg)

    def recover(self, expect_height):
        """-reindex without peers gives the producer's block at expect_height
        with its state root; reconnected, the node is back at the tip."""
        node, prod = self.node, self.producer
        node.start(["-reindex", "-connect=0"])
        info = node.getblockchaininfo()
        want = prod.getblockheader(prod.getblockhash(expect_height))
        assert_equal((info["blocks"], info["bestblockhash"], info["stateroot"]),
                     (expect_height, want["hash"], want["stateroot"]))
        node.stop()
        node.start()
        sync_blocks([prod, node])
        assert_equal(node.getblockchaininfo()["stateroot"], prod.getblockchaininfo()["stateroot"])
        node.stop()
        node.start(["-connect=0"])  # a clean start takes it as it is
        node.stop()
        self.recovered += 1
        self.log("  -reindex: height %d from the stored blocks, then %d and the producer's "
                 "state root from the network" % (expect_height, prod.getblockcount()))

    def run_test(self):
        prod, node = self.producer, self.node
        self.recovered = 0
        v0 = address("rfml", pubkey(regtest_secret(0)))
        self.log("A chain of 30 blocks with transfers and staking, synced to the node")
        dests = [node.getnewaddress() for _ in range(3)]
        delegator = prod.getnewaddress()
        prod.sendtoaddress(delegator, 100)
        prod.generateblocks(1)
        for i in range(29):
            prod.sendtoaddress(dests[i % 3], Decimal(i + 1) / 10)
            if i % 7 == 0:
                prod.delegate(v0, 5, delegator)
            prod.generateblocks(1)
        sync_blocks([prod, node])
        height = prod.getblockcount()
        node.stop()

        self.log("Block file cut short inside its last block")
        off, size = self.records()[-1]
        with open(self.blockfile, "r+b") as f:
            f.truncate(off + size // 2)
        self.start_fails([], "blk00000.dat", "shorter", "-reindex")
        self.recover(height - 1)

        self.log("A byte flipped inside a transaction of a recent block")
        recs = self.records()
        off, size = recs[-3]
        self.flip(self.blockfile, off + size - 10)
        self.start_fails([], "cannot be read back intact", "-reindex")
        self.recover(len(recs) - 4)

        self.log("A byte flipped in an old block: never handed out, and caught by "
                 "-checkblocks=0")
        node.start(["-connect=0"])
        old = node.getblockhash(5)
        node.stop()
        off, size = self.records()[5]
        self.flip(self.blockfile, off + size - 10)
        node.start(["-connect=0"])  # only the last 6 blocks are read at start
        assert_raises_rpc_error(None, "Block not available", node.getblock, old)
        node.stop()
        self.start_fails(["-checkblocks=0"], "block 5 of the active chain", "-reindex")
        self.recover(4)

        self.log("A chainstate table deleted")
        node.start(["-connect=0"])  # LevelDB writes its log out as a table
        node.stop()
        os.remove(self.newest_table("chainstate"))
        self.start_fails([], "chainstate", "-reindex")
        self.recover(height)

        self.log("A byte flipped in a chainstate table")
        node.start(["-connect=0"])
        node.stop()
        # Inside the table's first data block (data blocks start the file).
        self.flip(self.newest_table("chainstate"), 64)
        self.start_fails([], "chainstate", "-reindex")
        self.recover(height)

        self.log("The chainstate removed")
        for n in os.listdir(os.path.join(node.netdir, "chainstate")):
            os.remove(os.path.join(node.netdir, "chainstate", n))
        self.start_fails([], "chainstate", "missing", "-reindex")
        self.recover(height)

        self.log("A block index table deleted")
        node.start(["-connect=0"])
        node.stop()
        os.remove(self.newest_table(os.path.join("blocks", "index")))
        self.start_fails([], "index", "-reindex")
        self.recover(height)

        self.log("The block index's CURRENT file removed")
        os.remove(os.path.join(node.netdir, "blocks", "index", "CURRENT"))
        self.start_fails([], "index", "CURRENT", "-reindex")
        self.recover(height)

        self.log("Figures: %d kinds of damage refused at start, %d recoveries by -reindex to "
                 "the producer's state root" % (self.recovered, self.recovered))


if __name__ == "__main__":
    CorruptionTest().main()
