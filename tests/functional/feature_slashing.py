#!/usr/bin/env python3
"""A validator that signs two blocks for one slot is reported by the nodes
that see both, slashed by 5% (its delegators pro rata), jailed, and the
reporter paid its bounty: on every node, to the base unit."""

from decimal import Decimal

from test_framework.crypto import address, pubkey, regtest_secret
from test_framework.framework import (FMLTestFramework, assert_equal, connect_nodes, sync_blocks,
                                      sync_mempools, wait_until, TestFailure)

COIN = 100000000


def units(x):
    return int(Decimal(x) * COIN)


class SlashingTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 4
        self.extra_args = [["-connect=0", "-listen=1", "-regtestvalidator=%d" % i] for i in range(4)]

    def run_test(self):
        n = self.nodes
        for a, b in ((0, 1), (1, 2), (2, 3), (3, 0)):
            connect_nodes(n[a], n[b])
        v0 = address("rfml", pubkey(regtest_secret(0)))

        self.log("A delegator stakes 10,000 FML with validator 0")
        d = n[1].getnewaddress()
        n[1].sendtoaddress(d, 10010)
        n[1].generateblocks(1)
        n[1].delegate(v0, 10000, d)
        n[1].generateblocks(1)
        sync_blocks(n)
        n[0].generateblocks(1)  # the tip is validator 0's
        sync_blocks(n)
        before = n[2].getvalidator(v0)
        deleg_before = n[2].getdelegations(d)[0]["amount"]
        assert_equal(before["status"], "active")

        self.log("Validator 0 signs a second, different block for its slot")
        res = n[0].generateconflict()
        self.log("  tip %s, conflicting %s, slot %d" % (res["tip"][:16], res["conflict"][:16], res["slot"]))

        self.log("The other nodes see both blocks and report the evidence")
        wait_until(lambda: any(n[k].getrawmempool() for k in (1, 2, 3)), what="evidence in a mempool")
        sync_mempools(n[1:])
        ev = [t for t in n[2].getrawmempool(True).items() if t[1]["type"] == "evidence"]
        if not ev:
            raise TestFailure("no evidence transaction in the mempool")
        reporter = ev[0][1]["sender"]
        fee = ev[0][1]["fee"]
        reporter_before = n[2].getaccount(reporter)["balance"]

        self.log("Another validator mines it: slashed, jailed, bounty paid, everywhere")
        n[2].generateblocks(1)
        sync_blocks(n)
        self_cut = units(before["self_stake"]) * 500 // 10000
        del_cut = units(before["delegated"]) * 500 // 10000
        bounty = min((self_cut + del_cut) * 1000 // 10000, self_cut)
        for x in n:
            v = x.getvalidator(v0)
            assert_equal(v["status"], "jailed")
            assert_equal(units(v["self_stake"]), units(before["self_stake"]) - self_cut)
            assert_equal(units(v["delegated"]), units(before["delegated"]) - del_cut)
            assert_equal(units(x.getdelegations(d)[0]["amount"]),
                         units(deleg_before) - units(deleg_before) * 500 // 10000)
            info = x.getsupplyinfo()
            assert info["supply_consistent"] and info["rewards_consistent"], info
        gain = units(n[3].getaccount(reporter)["balance"]) - units(reporter_before) + units(fee)
        # The reporter may also have proposed the block (reward and fees): only check when not.
        proposer = n[3].getblock(n[3].getbestblockhash())["proposer"]
        if proposer != reporter:
            assert_equal(gain, bounty)
        self.log("  slashed %s FML, bounty %s FML" % (Decimal(self_cut + del_cut) / COIN, Decimal(bounty) / COIN))

        self.log("The jailed validator proposes no more; the others carry on")
        h = n[1].getblockcount()
        for k in (1, 2, 3):
            n[k].generateblocks(2)
            sync_blocks(n)
        assert_equal(n[0].getblockcount(), h + 6)
        for height in range(h + 1, h + 7):
            assert n[0].getblock(n[0].getblockhash(height))["proposer"] != v0
        try:
            n[0].generateblocks(1)
            raise TestFailure("a jailed validator produced a block")
        except Exception as e:
            if "No slot" not in str(e):
                raise


if __name__ == "__main__":
    SlashingTest().main()
