#!/usr/bin/env python3
"""A lone regtest node: it starts on a fresh data directory, produces blocks on
demand, and shows every block and header over JSON-RPC and fml-cli, with the
hashes checked independently in Python."""

import json
import struct

from test_framework.crypto import tagged_hash, address, pubkey, regtest_secret
from test_framework.framework import (FMLTestFramework, assert_equal, assert_greater_than,
                                      assert_raises_rpc_error, TestFailure)


class NodeBasicsTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]

        self.log("The genesis block is the only block")
        info = node.getblockchaininfo()
        assert_equal(info["chain"], "regtest")
        assert_equal(info["blocks"], 0)
        assert_equal(info["bestblockhash"], info["genesis"])
        genesis = node.getblock(info["genesis"])
        assert_equal(genesis["height"], 0)
        assert_equal(genesis["tx"], [])

        self.log("generateblocks produces blocks proposed by validator 0, in slots it leads")
        hashes = node.generateblocks(5)
        assert_equal(len(hashes), 5)
        assert_equal(node.getblockcount(), 5)
        assert_equal(node.getbestblockhash(), hashes[-1])
        v0 = address("rfml", pubkey(regtest_secret(0)))
        slots = []
        for h, bh in enumerate(hashes, start=1):
            assert_equal(node.getblockhash(h), bh)
            blk = node.getblock(bh)
            assert_equal(blk["proposer"], v0)
            assert_equal(blk["height"], h)
            slots.append(blk["slot"])
        assert_equal(slots, sorted(set(slots)))

        self.log("A header's hash is BLAKE2b 'FML/block' of its 252 bytes")
        for bh in hashes:
            raw = bytes.fromhex(node.getblockheader(bh, False))
            assert_equal(len(raw), 252)
            assert_equal(tagged_hash("FML/block", raw).hex(), bh)
            height, = struct.unpack_from("<Q", raw, 4)
            assert_equal(height, node.getblockheader(bh)["height"])

        self.log("getblock verbosity 0 is the header followed by the transaction count")
        raw = bytes.fromhex(node.getblock(hashes[0], 0))
        assert_equal(raw[:252].hex(), node.getblockheader(hashes[0], False))
        assert_equal(raw[252:], b"\x00")

        self.log("Confirmations and links between blocks")
        top = node.getblock(hashes[-1])
        assert_equal(top["confirmations"], 1)
        assert_equal(top["previousblockhash"], hashes[-2])
        assert_equal(node.getblock(hashes[0])["confirmations"], 5)
        assert_equal(node.getblock(hashes[0])["nextblockhash"], hashes[1])

        self.log("Minting: each block adds 50 FML to the supply")
        assert_equal(node.getblockchaininfo()["supply"] - info["supply"], 5 * 50)

        self.log("Errors come with bitcoind's codes")
        assert_raises_rpc_error(-8, "Block height out of range", node.getblockhash, 6)
        assert_raises_rpc_error(-5, "Block not found", node.getblock, "00" * 32)
        assert_raises_rpc_error(-8, "must be of length 64", node.getblock, "abc")
        assert_raises_rpc_error(-8, "must be hexadecimal", node.getblock, "zz" * 32)
        assert_raises_rpc_error(-3, None, node.getblockhash, "one")
        assert_raises_rpc_error(-32601, "Method not found", node.call, "nosuchmethod")
        assert_raises_rpc_error(-5, "Invalid address", node.getaccount, "fml1qqqq")

        self.log("fml-cli prints results like bitcoin-cli")
        assert_equal(node.cli("getblockcount"), "5")
        assert_equal(node.cli("getbestblockhash"), hashes[-1])
        assert_equal(json.loads(node.cli("getblock", hashes[-1], 1))["hash"], hashes[-1])
        assert_equal(json.loads(node.cli("-named", "getblock", "blockhash=" + hashes[-1], "verbosity=2"))["hash"], hashes[-1])
        res = node.cli("getblockhash", "99", check=False)
        assert_equal(res.returncode, 1)
        if "error code: -8" not in res.stderr or "Block height out of range" not in res.stderr:
            raise TestFailure("unexpected fml-cli error output: %r" % res.stderr)
        assert "getblock" in node.cli("help")
        assert "Arguments:" in node.cli("help", "getblock")
        assert_greater_than(node.uptime() + 1, 0)


if __name__ == "__main__":
    NodeBasicsTest().main()
