#!/usr/bin/env python3
"""Raw transactions built outside the node (in Python, from the protocol
document): a valid one is accepted with the txid Python computes; a bad
signature, a wrong nonce, too little balance, another network's signature and
malformed bytes are each refused with their reason, and change nothing."""

import os

from test_framework.crypto import (Tx, address, pubkey, regtest_secret, tagged_hash, transfer,
                                   address_to_pubkey)
from test_framework.framework import (FMLTestFramework, assert_equal, assert_raises_rpc_error)

COIN = 100000000
FEE = 2000  # units; the minimum relay fee is 1 unit per byte and a transfer is 155 bytes


class RawTxRejectsTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        genesis = bytes.fromhex(node.getblockchaininfo()["genesis"])
        v1 = regtest_secret(1)
        v1_addr = address("rfml", pubkey(v1))
        stranger = os.urandom(32)
        dest = pubkey(stranger)
        dest_addr = address("rfml", dest)
        assert_equal(address_to_pubkey(dest_addr), dest)

        def state():
            return (node.getbestblockhash(), node.getblockchaininfo()["stateroot"],
                    node.getaccount(v1_addr), node.getrawmempool())

        self.log("A transfer signed in Python is accepted; its txid matches")
        tx = transfer(v1, dest, 7 * COIN, 0, FEE, genesis)
        assert_equal(node.decoderawtransaction(tx.hex())["txid"], tx.txid())
        assert_equal(node.sendrawtransaction(tx.hex()), tx.txid())
        assert_equal(node.sendrawtransaction(tx.hex()), tx.txid())  # already pooled: same answer
        node.generateblocks(1)
        assert_equal(node.getaccount(dest_addr)["balance"], 7)
        assert_equal(node.getaccount(v1_addr)["nonce"], 1)
        assert_raises_rpc_error(-27, "already in block chain", node.sendrawtransaction, tx.hex())

        before = state()
        self.log("Bad signature: bad-txns-sig")
        bad = transfer(v1, dest, 1 * COIN, 1, FEE, genesis)
        bad.sig = bad.sig[:10] + bytes([bad.sig[10] ^ 1]) + bad.sig[11:]
        assert_raises_rpc_error(-26, "bad-txns-sig", node.sendrawtransaction, bad.hex())

        self.log("Signed for another network (its genesis hash): bad-txns-sig")
        other = transfer(v1, dest, 1 * COIN, 1, FEE, tagged_hash("FML/block", b"another network"))
        assert_raises_rpc_error(-26, "bad-txns-sig", node.sendrawtransaction, other.hex())

        self.log("Wrong nonce: too low, too high")
        low = transfer(v1, dest, 1 * COIN, 0, FEE, genesis)
        assert_raises_rpc_error(-26, "bad-txns-nonce-too-low", node.sendrawtransaction, low.hex())
        high = transfer(v1, dest, 1 * COIN, 5, FEE, genesis)
        assert_raises_rpc_error(-26, "bad-txns-nonce-too-high", node.sendrawtransaction, high.hex())

        self.log("More than the balance: bad-txns-insufficient-funds")
        poor = transfer(stranger, pubkey(v1), 8 * COIN, 0, FEE, genesis)
        assert_raises_rpc_error(-26, "bad-txns-insufficient-funds", node.sendrawtransaction, poor.hex())
        empty = transfer(os.urandom(32), dest, 1, 0, FEE, genesis)
        assert_raises_rpc_error(-26, "bad-txns-insufficient-funds", node.sendrawtransaction, empty.hex())

        self.log("Fee below the relay minimum: min-fee-not-met")
        cheap = transfer(v1, dest, 1 * COIN, 1, 10, genesis)
        assert_raises_rpc_error(-26, "min-fee-not-met", node.sendrawtransaction, cheap.hex())

        self.log("Zero amount, unknown type, wrong version: consensus reasons")
        zero = transfer(v1, dest, 0, 1, FEE, genesis)
        assert_raises_rpc_error(-26, "bad-txns-amount", node.sendrawtransaction, zero.hex())
        unknown = Tx(pubkey(v1), 1, FEE, 200, b"x").sign(v1, genesis)
        assert_raises_rpc_error(-26, "bad-txns-type", node.sendrawtransaction, unknown.hex())
        v2 = Tx(pubkey(v1), 1, FEE, 1, dest + bytes(8), version=2).sign(v1, genesis)
        assert_raises_rpc_error(-26, "bad-txns-version", node.sendrawtransaction, v2.hex())

        self.log("Malformed bytes: TX decode failed")
        good = transfer(v1, dest, 1 * COIN, 1, FEE, genesis).hex()
        assert_raises_rpc_error(-22, "TX decode failed", node.sendrawtransaction, good[:-2])
        assert_raises_rpc_error(-22, "TX decode failed", node.sendrawtransaction, good + "00")
        assert_raises_rpc_error(-22, None, node.decoderawtransaction, "00")
        assert_raises_rpc_error(None, None, node.sendrawtransaction, "zz")

        self.log("None of that changed the chain, the state or the mempool")
        assert_equal(state(), before)

        self.log("A replacement needs a higher fee; the higher-fee one wins")
        first = transfer(v1, dest, 1 * COIN, 1, FEE, genesis)
        node.sendrawtransaction(first.hex())
        same = transfer(v1, dest, 2 * COIN, 1, FEE, genesis)
        assert_raises_rpc_error(-26, "insufficient-fee", node.sendrawtransaction, same.hex())
        better = transfer(v1, dest, 2 * COIN, 1, FEE * 3, genesis)
        node.sendrawtransaction(better.hex())
        assert_equal(node.getrawmempool(), [better.txid()])
        node.generateblocks(1)
        assert_equal(node.getaccount(dest_addr)["balance"], 9)


if __name__ == "__main__":
    RawTxRejectsTest().main()
