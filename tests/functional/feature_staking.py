#!/usr/bin/env python3
"""Staking through the wallet on one node: register a new validator, add
stake, delegate to validator 0 and collect the rewards to the base unit,
unbond and see the funds return after the unbonding period, follow it all in
getvalidators / getdelegations / getstakinginfo, and check after each step
that getsupplyinfo finds every FML where it should be."""

from decimal import Decimal

from test_framework.framework import (FMLTestFramework, assert_equal, assert_raises_rpc_error,
                                      TestFailure)
from test_framework.crypto import address, pubkey, regtest_secret

COIN = 100000000


def units(x):
    return int(Decimal(x) * COIN)


class StakingTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def audit(self):
        info = self.nodes[0].getsupplyinfo()
        if not (info["supply_consistent"] and info["rewards_consistent"]):
            raise TestFailure("conservation broken: %r" % info)
        return info

    def run_test(self):
        node = self.nodes[0]
        v0 = address("rfml", pubkey(regtest_secret(0)))
        node.generateblocks(2)
        self.audit()

        self.log("The four genesis validators, equal stakes, all active")
        vals = node.getvalidators()
        assert_equal(len(vals), 4)
        assert all(v["status"] == "active" and v["total_stake"] == 100000 for v in vals)
        mine = node.getstakinginfo()["validators"]
        assert_equal([v["address"] for v in mine], [v0])
        assert mine[0]["next_slots"], "validator 0 leads no slot soon"

        self.log("Register a new validator from a fresh wallet address")
        new = node.getnewaddress("newval")
        node.sendtoaddress(new, 60000)
        node.generateblocks(1)
        assert_raises_rpc_error(-26, "bad-txns-stake-too-low", node.registervalidator, new, 500)
        node.registervalidator(new, 50000, 700)
        node.generateblocks(1)
        info = node.getvalidator(new)
        assert_equal((info["status"], info["self_stake"], info["commission_bps"]), ("active", 50000, 700))
        assert_raises_rpc_error(-8, "already a validator", node.registervalidator, new, 1000)
        node.stake(new, 500)
        node.generateblocks(1)
        assert_equal(node.getvalidator(new)["self_stake"], 50500)
        self.audit()

        self.log("Three epochs later the new validator is in the schedule and proposes")
        node.generateblocks(48)
        assert any(v["address"] == new for v in node.getstakinginfo()["validators"])
        proposers = set(node.getblock(node.getblockhash(h))["proposer"]
                        for h in range(node.getblockcount() - 30, node.getblockcount() + 1))
        if new not in proposers:
            raise TestFailure("the new validator never proposed: %r" % proposers)

        self.log("Delegate 1,000 FML to validator 0 and collect its rewards exactly")
        d = node.getnewaddress("delegator")
        node.sendtoaddress(d, 1200)
        node.generateblocks(1)
        node.delegate(v0, 1000, d)
        node.generateblocks(1)
        dl = node.getdelegations(d)
        assert_equal(len(dl), 1)
        assert_equal((dl[0]["validator"], dl[0]["amount"]), (v0, 1000))
        v0info = node.getvalidator(v0)
        unpaid_before = v0info["delegator_rewards_unpaid"]
        # Validator 0 shares the schedule with the new validator: produce until
        # it has proposed a block (each block has about a 1 in 2 chance).
        for _ in range(40):
            node.generateblocks(1)
            if node.getblock(node.getbestblockhash())["proposer"] == v0:
                break
        else:
            raise TestFailure("validator 0 proposed none of 40 blocks")
        v0info = node.getvalidator(v0)
        accrued = v0info["delegator_rewards_unpaid"] - unpaid_before
        if accrued <= 0:
            raise TestFailure("no delegator rewards accrued")
        pending = node.getdelegations(d)[0]["pending_rewards"]
        assert pending <= v0info["delegator_rewards_unpaid"]
        bal = node.getaccount(d)["balance"]
        txid = node.undelegate(v0, 0, d)
        fee = node.getmempoolentry(txid)["fee"]
        # Transactions apply before the block's own reward accrues, so the claim
        # pays exactly what was pending before the block.
        node.generateblocks(1)
        assert_equal(node.getaccount(d)["balance"], bal + pending - fee)
        self.audit()

        self.log("Undelegate everything: it returns after the unbonding period")
        node.undelegate(v0, "all", d)
        node.generateblocks(1)
        bal = node.getaccount(d)["balance"]
        assert_equal(node.getdelegations(d), [])
        node.generateblocks(9)
        assert_equal(node.getaccount(d)["balance"], bal)
        self.audit()
        node.generateblocks(1)
        assert_equal(node.getaccount(d)["balance"], bal + 1000)
        self.audit()

        self.log("Unbond self-stake the same way")
        node.unbond(new, 600)
        node.generateblocks(1)
        assert_equal(node.getvalidator(new)["self_stake"], 49900)
        supply = self.audit()
        assert_equal(supply["unbonding"], 600)
        node.generateblocks(10)
        assert_equal(self.audit()["unbonding"], 0)

        self.log("Chain tips, invalidateblock and reconsiderblock")
        tip = node.getbestblockhash()
        height = node.getblockcount()
        node.invalidateblock(tip)
        assert_equal(node.getblockcount(), height - 1)
        tips = node.getchaintips()
        active = [t for t in tips if t["status"] == "active"]
        assert_equal([(t["height"], t["branchlen"]) for t in active], [(height - 1, 0)])
        assert any(t["hash"] == tip and t["status"] == "invalid" for t in tips)
        self.audit()
        node.reconsiderblock(tip)
        assert_equal(node.getbestblockhash(), tip)
        assert_raises_rpc_error(-5, "Block not found", node.invalidateblock, "11" * 32)


if __name__ == "__main__":
    StakingTest().main()
