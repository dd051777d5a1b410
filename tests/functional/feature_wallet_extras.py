#!/usr/bin/env python3
"""signmessage / verifymessage, testmempoolaccept, sendmany.

signmessage's signature is checked against an independent BIP340 signature
(zero auxiliary randomness, as the node uses) over BLAKE2b-256 of the message
personalized with "FML/message"; verifymessage accepts it and refuses a
changed message, another address, a changed signature; bad addresses and
malformed signatures get clear errors.  testmempoolaccept answers for
transactions built in Python (txid computed here, the reason for each bad
one) and leaves the mempool as it was; sendrawtransaction then agrees.  sendmany sends one transfer per recipient
from one account in consecutive nonces (read back from the transactions) and
each recipient gets its amount; a bad address, amount or total sends nothing."""

import hashlib
from decimal import Decimal
import os

from test_framework.crypto import address, pubkey, regtest_secret, sign, transfer
from test_framework.framework import (FMLTestFramework, assert_equal,
                                      assert_raises_rpc_error)

TAG = b"FML/message"


def message_hash(msg):
    assert len(TAG) <= 16
    return hashlib.blake2b(msg.encode(), digest_size=32, person=TAG).digest()


class WalletExtrasTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-regtestvalidator=0"]]

    def run_test(self):
        node = self.nodes[0]
        node.generateblocks(1)

        self.log("signmessage matches an independent BIP340 signature")
        sec = os.urandom(32)
        addr = address("rfml", pubkey(sec))
        node.importprivkey(sec.hex(), "msg", False)
        for msg in ["hello", "", "ünïcode ✓ message\nwith lines"]:
            sig = node.signmessage(addr, msg)
            assert_equal(sig, sign(message_hash(msg), sec).hex())
            assert_equal(node.verifymessage(addr, sig, msg), True)
            assert_equal(node.verifymessage(addr, sig, msg + "x"), False)
        sig = node.signmessage(addr, "hello")

        self.log("verifymessage refuses another signer and a changed signature")
        other = node.getnewaddress()
        assert_equal(node.verifymessage(other, sig, "hello"), False)
        other_sig = node.signmessage(other, "hello")
        assert_equal(node.verifymessage(other, other_sig, "hello"), True)
        assert_equal(node.verifymessage(addr, other_sig, "hello"), False)
        flipped = bytearray(bytes.fromhex(sig))
        flipped[40] ^= 1
        assert_equal(node.verifymessage(addr, flipped.hex(), "hello"), False)

        self.log("bad inputs get clear errors")
        assert_raises_rpc_error(-5, "Invalid address", node.verifymessage,
                                "rfml1qnotanaddress", sig, "hello")
        assert_raises_rpc_error(-5, "Invalid address", node.signmessage,
                                "fml1qbad", "hello")
        assert_raises_rpc_error(-3, "Malformed signature", node.verifymessage,
                                addr, sig[:-2], "hello")
        assert_raises_rpc_error(-3, "Malformed signature", node.verifymessage,
                                addr, "zz" * 64, "hello")
        stranger = address("rfml", pubkey(os.urandom(32)))
        assert_raises_rpc_error(-4, "is not known", node.signmessage,
                                stranger, "hello")

        self.test_mempoolaccept(node)
        self.test_sendmany(node)

    def test_sendmany(self, node):
        self.log("sendmany: one transfer per recipient, consecutive nonces")
        genesis = bytes.fromhex(node.getblockchaininfo()["genesis"])
        v2 = regtest_secret(2)
        nonce = node.getaccount(address("rfml", pubkey(v2)))["nonce"]
        payer = node.getnewaddress()
        fund = transfer(v2, bytes.fromhex(node.validateaddress(payer)["pubkey"]), 10 * 10**8,
                        nonce, 2000, genesis)
        node.sendrawtransaction(fund.hex())
        node.generateblocks(1)
        dests = [address("rfml", pubkey(os.urandom(32))) for _ in range(3)]
        amounts = {dests[0]: 1, dests[1]: "0.5", dests[2]: 0.25}
        pool_before = set(node.getrawmempool())
        txids = node.sendmany("", amounts)
        assert_equal(len(txids), 3)
        assert_equal(set(node.getrawmempool()) - pool_before, set(txids))
        txs = [node.decoderawtransaction(node.getrawtransaction(t)) for t in txids]
        senders = {t["sender"] for t in txs}
        assert_equal(len(senders), 1)
        base = txs[0]["nonce"]
        assert_equal([t["nonce"] for t in txs], [base, base + 1, base + 2])
        node.generateblocks(1)
        assert_equal([node.getaccount(d)["balance"] for d in dests],
                     [1, Decimal("0.5"), Decimal("0.25")])

        self.log("sendmany: bad inputs send nothing")
        pool = node.getrawmempool()
        good = address("rfml", pubkey(os.urandom(32)))
        assert_raises_rpc_error(-5, "Invalid FML address", node.sendmany, "",
                                {good: 1, "rfml1qbad": 1})
        assert_raises_rpc_error(-3, None, node.sendmany, "", {good: 1, dests[0]: 0})
        assert_raises_rpc_error(-3, None, node.sendmany, "", {good: 1, dests[0]: -1})
        assert_raises_rpc_error(-6, "Insufficient funds", node.sendmany, "",
                                {good: 1, dests[0]: 10**7})
        assert_raises_rpc_error(-8, "Dummy value", node.sendmany, "x", {good: 1})
        assert_raises_rpc_error(-8, "between 1 and 100", node.sendmany, "", {})
        assert_equal(node.getrawmempool(), pool)
        assert_equal(node.getaccount(good)["balance"], 0)

    def test_mempoolaccept(self, node):
        self.log("testmempoolaccept: dry run matches sendrawtransaction")
        genesis = bytes.fromhex(node.getblockchaininfo()["genesis"])
        v1 = regtest_secret(1)
        v1_addr = address("rfml", pubkey(v1))
        dest = pubkey(os.urandom(32))
        nonce = node.getaccount(v1_addr)["nonce"]
        fee = 2000
        good = transfer(v1, dest, 3 * 10**8, nonce, fee, genesis)
        bad_sig = transfer(v1, dest, 1 * 10**8, nonce, fee, genesis)
        bad_sig.sig = bad_sig.sig[:10] + bytes([bad_sig.sig[10] ^ 1]) + bad_sig.sig[11:]
        high = transfer(v1, dest, 1 * 10**8, nonce + 5, fee, genesis)
        low_fee = transfer(v1, dest, 1 * 10**8, nonce, 1, genesis)
        pool_before = node.getrawmempool()
        res = node.testmempoolaccept([good.hex(), bad_sig.hex(), high.hex(), low_fee.hex()])
        assert_equal([r["txid"] for r in res],
                     [good.txid(), bad_sig.txid(), high.txid(), low_fee.txid()])
        assert_equal([r["allowed"] for r in res], [True, False, False, False])
        assert_equal(res[0]["vsize"], len(bytes.fromhex(good.hex())))
        assert_equal(res[0]["fees"]["base"] * 10**8, fee)
        assert "reject-reason" not in res[0]
        assert_equal(res[1]["reject-reason"], "bad-txns-sig")
        assert_equal(res[2]["reject-reason"], "bad-txns-nonce-too-high")
        assert_equal(res[3]["reject-reason"], "min-fee-not-met")
        assert_equal(node.getrawmempool(), pool_before)

        assert_equal(node.sendrawtransaction(good.hex()), good.txid())
        res = node.testmempoolaccept([good.hex()])
        assert_equal(res[0]["allowed"], False)
        assert_equal(res[0]["reject-reason"], "txn-already-in-mempool")
        node.generateblocks(1)
        res = node.testmempoolaccept([good.hex()])
        assert_equal(res[0]["reject-reason"], "txn-already-known")

        self.log("testmempoolaccept: bad inputs")
        assert_raises_rpc_error(-8, "between 1 and 25", node.testmempoolaccept, [])
        assert_raises_rpc_error(-8, "between 1 and 25", node.testmempoolaccept,
                                [good.hex()] * 26)
        assert_raises_rpc_error(-22, "TX decode failed", node.testmempoolaccept, ["zz"])
        assert_raises_rpc_error(-22, "TX decode failed", node.testmempoolaccept, [5])
        assert_raises_rpc_error(-22, "TX decode failed", node.testmempoolaccept,
                                [good.hex()[:-2]])
        assert_raises_rpc_error(-3, None, node.testmempoolaccept, good.hex())


if __name__ == "__main__":
    WalletExtrasTest().main()
