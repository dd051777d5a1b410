#!/usr/bin/env python3
"""estimatesmartfee from measured waits.

A node that has seen no block since it started answers "errors".  Five
wallets each pay their own fee rate (settxfee).  First a quiet block: two
transfers per wallet, all in the next block; blocks are not full, so the
estimate is the mempool's minimum.  Then each wallet pools 11 transfers, far
more than a block of the producer's -blockmaxsize takes (11 transfers, and
every block is checked to stay within 2000 bytes), and three blocks are
made: each takes the best paying wallet left, so the best rate waited 1
block, the next 2, the next 3, and the two lowest stay pooled.  The estimate
for target 1 is the best rate, for 2 the second, for 3 the third (the two
lowest rates confirmed at once in the quiet block, but their pooled
transactions have now waited 3 blocks and count as failures); estimates
never rise with the target, are never below the minimum, and conservative is
never below economical.  Once the pool drained, the estimate is the minimum
again.  Bad arguments get clear errors."""

from decimal import Decimal

from test_framework.crypto import address, pubkey, regtest_secret, transfer
from test_framework.framework import (FMLTestFramework, assert_equal,
                                      assert_raises_rpc_error, assert_greater_than,
                                      TestFailure)

RATES = [Decimal("0.00002"), Decimal("0.00004"), Decimal("0.00008"),
         Decimal("0.00016"), Decimal("0.00032")]  # FML per 1000 bytes
PER_WALLET = 11


class FeeEstimateTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-regtestvalidator=0", "-blockmaxsize=2000"]]

    def mine_one(self, node, ntx):
        """One block: ntx transactions, within -blockmaxsize."""
        node.generateblocks(1)
        block = node.getblock(node.getbestblockhash())
        assert_equal(len(block["tx"]), ntx)
        assert block["size"] <= 2000, block["size"]

    def run_test(self):
        node = self.nodes[0]

        self.log("No block seen since start: errors, with the target echoed")
        res = node.estimatesmartfee(3)
        assert_equal(res, {"errors": ["Insufficient data or no feerate found"], "blocks": 3})

        self.log("Bad arguments get clear errors")
        assert_raises_rpc_error(-8, "Invalid conf_target, must be between 1 and 1008",
                                node.estimatesmartfee, 0)
        assert_raises_rpc_error(-8, "Invalid conf_target, must be between 1 and 1008",
                                node.estimatesmartfee, 1009)
        assert_raises_rpc_error(-8, "Invalid conf_target", node.estimatesmartfee, -5)
        assert_raises_rpc_error(-3, None, node.estimatesmartfee, "six")
        assert_raises_rpc_error(-8, "Invalid estimate_mode parameter", node.estimatesmartfee,
                                2, "fast")
        assert_raises_rpc_error(-3, None, node.estimatesmartfee, 2, 7)

        self.log("Fund five wallets, one per fee rate")
        genesis = bytes.fromhex(node.getblockchaininfo()["genesis"])
        v2 = regtest_secret(2)
        nonce = node.getaccount(address("rfml", pubkey(v2)))["nonce"]
        wallets = []
        for i, rate in enumerate(RATES):
            node.createwallet("w%d" % i)
            w = node.rpc.wallet("w%d" % i)
            addr = w.getnewaddress()
            pub = bytes.fromhex(node.validateaddress(addr)["pubkey"])
            node.sendrawtransaction(transfer(v2, pub, 50 * 10**8, nonce + i, 100000, genesis).hex())
            w.settxfee(rate)
            wallets.append(w)
        node.generateblocks(1)
        res = node.estimatesmartfee(1)
        assert_equal(res["blocks"], 1)
        minfee = node.getmempoolinfo()["mempoolminfee"]
        assert_equal(res["feerate"], minfee)  # blocks not full: the minimum

        self.log("Quiet blocks first: two transfers per wallet, all in the next block")
        dest = address("rfml", pubkey(bytes(31) + b"\x07"))
        for w in wallets:
            for _ in range(2):
                w.sendtoaddress(dest, "0.001")
        self.mine_one(node, 10)
        assert_equal(node.estimatesmartfee(2)["feerate"], minfee)

        self.log("A pool five blocks deep at five fee rates; three blocks")
        for w in wallets:
            for _ in range(PER_WALLET):
                w.sendtoaddress(dest, "0.001")
        assert_equal(len(node.getrawmempool()), 5 * PER_WALLET)
        by_rate = {}
        for txid in node.getrawmempool():
            tx = node.decoderawtransaction(node.getrawtransaction(txid))
            by_rate.setdefault(tx["sender"], []).append(Decimal(str(tx["fee"])) * 1000 / tx["size"])
        assert_equal(len(by_rate), 5)
        for _ in range(3):
            self.mine_one(node, PER_WALLET)
        assert_equal(len(node.getrawmempool()), 2 * PER_WALLET)

        rates = sorted(min(v) for v in by_rate.values())  # each wallet's lowest paid rate
        est = {t: node.estimatesmartfee(t) for t in (1, 2, 3, 4, 6, 25)}
        for t, r in est.items():
            assert_equal(r["blocks"], t)
            assert "errors" not in r, r
            assert r["feerate"] >= minfee, (t, r)
        self.log("estimates: %s" % {t: str(r["feerate"]) for t, r in est.items()})
        # Target 1: only the best rate confirmed in the next block.
        assert_equal(est[1]["feerate"], rates[4].quantize(Decimal("1e-8"), "ROUND_DOWN"))
        assert_equal(est[2]["feerate"], rates[3].quantize(Decimal("1e-8"), "ROUND_DOWN"))
        # Target 3: the two lowest rates confirmed at once in the quiet block,
        # but their 22 pooled transactions have waited 3 blocks: failures.
        assert_equal(est[3]["feerate"], rates[2].quantize(Decimal("1e-8"), "ROUND_DOWN"))
        assert_greater_than(est[1]["feerate"], est[6]["feerate"])
        for a, b in ((1, 2), (2, 3), (3, 4), (4, 6), (6, 25)):
            assert est[a]["feerate"] >= est[b]["feerate"], (a, b, est)
        for t in (1, 2, 6):
            cons = node.estimatesmartfee(t, "CONSERVATIVE")
            assert cons["feerate"] >= est[t]["feerate"], (t, cons, est[t])
        assert_equal(node.estimatesmartfee(2, "economical"), est[2])

        for _ in range(2):
            self.mine_one(node, PER_WALLET)
        assert_equal(len(node.getrawmempool()), 0)
        self.log("Pool drained, blocks not full again: the minimum")
        for t in (1, 6):
            assert_equal(node.estimatesmartfee(t)["feerate"], minfee)

        self.log("-blockmaxsize out of range is refused at start")
        node.stop()
        bad = self.add_node(["-blockmaxsize=999"])
        try:
            bad.start()
        except TestFailure as e:
            assert "blockmaxsize" in str(e), e
        else:
            raise TestFailure("-blockmaxsize=999 was accepted")


if __name__ == "__main__":
    FeeEstimateTest().main()
