#!/usr/bin/env python3
"""-reindex and -reindex-chainstate check every block they connect again,
signatures included.

A node makes a chain whose last blocks carry transfers.  -reindex-chainstate
rebuilds the same tip and state root from the stored blocks, keeping the
block index.  Then, with the node stopped, the last block of the block file
is replaced by a well-formed copy (Merkle root and header signature made
again with its proposer's key) in which one transaction's signature is
wrong: its state transition and state root are those of the real block, so
only a signature check can tell.  -reindex must end at the block below,
saying in debug.log which block failed and why.  The same with the
proposer's header signature damaged.  With the real file back, -reindex (on
one thread) reaches the tip again with its state root.
"""

import os
import shutil

from test_framework.blocks import (HEADER_SIZE, block_file_records, join_block, split_block,
                                   with_bad_sigs)
from test_framework.crypto import address, pubkey, regtest_secret
from test_framework.framework import FMLTestFramework, TestFailure, assert_equal


class ReindexVerifyTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-connect=0", "-listen=0"]]

    @property
    def blockfile(self):
        return os.path.join(self.nodes[0].netdir, "blocks", "blk00000.dat")

    def log_since(self, size):
        with open(self.nodes[0].debug_log, errors="replace") as f:
            f.seek(size)
            return f.read()

    def replace_last_record(self, new):
        (off, size) = block_file_records(self.blockfile)[-1]
        if len(new) != size:
            raise TestFailure("the damaged block changed size")
        with open(self.blockfile, "r+b") as f:
            f.seek(off)
            f.write(new)

    def last_record(self):
        (off, size) = block_file_records(self.blockfile)[-1]
        with open(self.blockfile, "rb") as f:
            f.seek(off)
            return f.read(size)

    def reindex_expect(self, args, height, want_hash, want_root, *log_says):
        node = self.nodes[0]
        mark = os.path.getsize(node.debug_log)
        node.start(args)
        info = node.getblockchaininfo()
        text = self.log_since(mark)
        node.stop()
        assert_equal((info["blocks"], info["bestblockhash"], info["stateroot"]),
                     (height, want_hash, want_root))
        for s in log_says:
            if s not in text:
                raise TestFailure("debug.log does not say %r after %s" % (s, args))
        return text

    def run_test(self):
        node = self.nodes[0]
        genesis = bytes.fromhex(node.getblockchaininfo()["genesis"])
        dest = address("rfml", pubkey(regtest_secret(1)))
        self.log("A chain whose last blocks carry transfers")
        node.generateblocks(2)
        for _ in range(3):
            for k in range(4):
                node.sendtoaddress(dest, k + 1)
            node.generateblocks(1)
        tip = node.getblockcount()
        tip_hash = node.getbestblockhash()
        below = node.getblockheader(node.getblockhash(tip - 1))
        tip_root = node.getblockchaininfo()["stateroot"]
        node.stop()

        self.log("-reindex-chainstate rebuilds the tip and its state root from the stored blocks")
        self.reindex_expect(["-reindex-chainstate", "-par=2"], tip, tip_hash, tip_root,
                            "Rebuilding the chainstate")

        saved = self.blockfile + ".orig"
        shutil.copyfile(self.blockfile, saved)
        raw = self.last_record()
        header, txs = split_block(raw)
        if len(txs) < 4:
            raise TestFailure("the tip holds %d transactions, expected at least 4" % len(txs))

        self.log("The tip's stored copy gets a wrong transaction signature (block sealed again)")
        self.replace_last_record(with_bad_sigs(raw, {2}, genesis))
        text = self.reindex_expect(["-reindex", "-par=2"], tip - 1, below["hash"], below["stateroot"],
                                   "stored block %d" % tip, "bad-txns-sig", "transaction 2",
                                   "the chain stays at height %d" % (tip - 1))
        line = [ln for ln in text.splitlines() if "stored block %d" % tip in ln][0]
        self.log("  -reindex stops at %d: %s" % (tip - 1, line.split("ERROR: ", 1)[-1]))

        self.log("The same with two wrong signatures: the first in block order is named")
        shutil.copyfile(saved, self.blockfile)
        self.replace_last_record(with_bad_sigs(raw, {3, 1}, genesis))
        self.reindex_expect(["-reindex", "-par=2"], tip - 1, below["hash"], below["stateroot"],
                            "bad-txns-sig", "transaction 1")

        self.log("The proposer's header signature damaged")
        shutil.copyfile(saved, self.blockfile)
        h = bytearray(header)
        h[HEADER_SIZE - 10] ^= 0x01
        self.replace_last_record(join_block(bytes(h), txs))
        self.reindex_expect(["-reindex", "-par=2"], tip - 1, below["hash"], below["stateroot"],
                            "stored block %d" % tip, "bad-blk-sig")

        self.log("The real block file: -reindex on one thread reaches the tip again")
        shutil.copyfile(saved, self.blockfile)
        os.remove(saved)
        self.reindex_expect(["-reindex", "-par=1"], tip, tip_hash, tip_root)
        node.start()


if __name__ == "__main__":
    ReindexVerifyTest().main()
