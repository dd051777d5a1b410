#!/usr/bin/env python3
"""Moving FML with the wallet: new addresses, sendtoaddress, confirmations,
exact balances and nonces (fees included), history, restart, and an
encrypted wallet that only unlocks with its passphrase."""

from decimal import Decimal

from test_framework.framework import (FMLTestFramework, assert_equal, assert_raises_rpc_error)


class WalletTransfersTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        node.generateblocks(2)

        self.log("Fund a fresh address from the validator's account")
        alice = node.getnewaddress("alice")
        bob = node.getnewaddress("bob")
        assert_equal(node.getaccount(alice)["balance"], 0)
        txid = node.sendtoaddress(alice, Decimal("100"))
        assert_equal(node.getrawmempool(), [txid])
        entry = node.getmempoolentry(txid)
        node.generateblocks(1)
        assert_equal(node.getrawmempool(), [])
        assert_equal(node.getaccount(alice), {"address": alice, "balance": Decimal("100.00000000"),
                                              "nonce": 0, "next_nonce": 0})
        tx = node.getrawtransaction(txid, True)
        assert_equal(tx["type"], "transfer")
        assert_equal(tx["payload"]["to"], alice)
        assert_equal(tx["payload"]["amount"], Decimal("100"))
        assert_equal(tx["fee"], entry["fee"])
        assert_equal(tx["confirmations"], 1)

        self.log("Alice pays Bob 30.5 FML: her balance falls by amount + fee, her nonce moves")
        txid2 = node.sendtoaddress(bob, Decimal("30.5"), "", "", False, alice)
        fee = node.getmempoolentry(txid2)["fee"]
        assert_equal(node.getaccount(alice)["next_nonce"], 1)
        node.generateblocks(1)
        a = node.getaccount(alice)
        assert_equal(a["balance"], Decimal("100") - Decimal("30.5") - fee)
        assert_equal(a["nonce"], 1)
        assert_equal(node.getaccount(bob)["balance"], Decimal("30.5"))

        self.log("Two transactions from one sender in one block: nonces 1 and 2")
        t3 = node.sendtoaddress(bob, Decimal("1"), "", "", False, alice)
        t4 = node.sendtoaddress(bob, Decimal("2"), "", "", False, alice)
        assert_equal(node.getrawtransaction(t3, True)["nonce"], 1)
        assert_equal(node.getrawtransaction(t4, True)["nonce"], 2)
        blk = node.getblock(node.generateblocks(1)[0])
        assert_equal(sorted(blk["tx"]), sorted([t3, t4]))
        assert_equal(node.getaccount(alice)["nonce"], 3)
        assert_equal(node.getaccount(bob)["balance"], Decimal("33.5"))

        self.log("History shows sends and receives with confirmations")
        hist = node.listtransactions("*", 100)
        sent = [h for h in hist if h["txid"] == txid2 and h["category"] == "send"]
        assert_equal(len(sent), 1)
        assert_equal(sent[0]["amount"], Decimal("-30.5"))
        assert_equal(sent[0]["confirmations"], 2)

        self.log("Insufficient funds and bad addresses are refused")
        assert_raises_rpc_error(-6, None, node.sendtoaddress, bob, Decimal("1000"), "", "", False, alice)
        assert_raises_rpc_error(-5, None, node.sendtoaddress, "rfml1qnotanaddress", 1)
        assert_raises_rpc_error(-3, None, node.sendtoaddress, bob, "-1")
        assert_raises_rpc_error(-3, None, node.sendtoaddress, bob, "0.000000001")

        self.log("A restart keeps the wallet, its keys and its history")
        balance = node.getbalance()
        node.stop()
        node.start()
        assert_equal(node.getbalance(), balance)
        assert_equal(node.getaccount(bob)["balance"], Decimal("33.5"))
        assert any(h["txid"] == txid2 for h in node.listtransactions("*", 100))
        node.sendtoaddress(bob, 1, "", "", False, alice)
        node.generateblocks(1)
        assert_equal(node.getaccount(bob)["balance"], Decimal("34.5"))

        self.log("An encrypted wallet signs only when unlocked with the right passphrase")
        node.createwallet("vault", "correct horse")
        vault = node.rpc.wallet("vault")
        addr = vault.getnewaddress()
        node.rpc.wallet("default").sendtoaddress(addr, 5)
        node.generateblocks(1)
        assert_raises_rpc_error(-13, None, vault.sendtoaddress, bob, 1)
        assert_raises_rpc_error(-14, None, vault.walletpassphrase, "wrong horse", 60)
        assert_raises_rpc_error(-13, None, vault.sendtoaddress, bob, 1)
        vault.walletpassphrase("correct horse", 60)
        vault.sendtoaddress(bob, 1)
        vault.walletlock()
        assert_raises_rpc_error(-13, None, vault.sendtoaddress, bob, 1)
        node.generateblocks(1)
        assert_equal(node.getaccount(bob)["balance"], Decimal("35.5"))
        self.log("With two wallets loaded, a wallet RPC must name its wallet")
        assert_raises_rpc_error(-19, None, node.getbalance)


if __name__ == "__main__":
    WalletTransfersTest().main()
