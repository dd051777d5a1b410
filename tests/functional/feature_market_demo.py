#!/usr/bin/env python3
"""The AI Market demo's market phase (demo/market_demo.py) in a reduced form,
on two nodes with generateblocks: validator 0 makes the blocks, the other
node runs with -provider=1 and holds the provider's and the wash trader's
wallets.

Two logistic models are uploaded (trained in Python), a third party
publishes their average, a provider registers, a clinic buys calls of the
composite and of the first model above their target for three blocks, runs
held-out Pima rows through predict with signed requests, buys and predicts
the second model with fml-agent -market-buy, and a wash trader buys its own
model's calls from itself.

Checked: the price per call rises every block of demand and decays once it
stops; the composite's payments reach both component owners and its own
owner; every output predict served, to the RPC and to fml-agent, equals
demo/market_ref.py's independent forward pass to 1e-6; a request beyond the
calls paid is refused; every model's own fees equal burned + creator + data +
provider, and what the clinic paid equals the own fees of the models its
calls walked; the phase's payments balance; getsupplyinfo balances and its
Market burn and mining equal the models' sums; the wash trader ends poorer
(self_dealing_net < 0, by at least the burn less the mining cap);
market-demo-results.json has every field the demo promises and
market-demo-price.svg a line per model."""

import json
import os
import sys

from test_framework.framework import (FMLTestFramework, TestFailure, assert_equal,
                                      assert_greater_than, connect_nodes)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "demo"))

import market_demo  # noqa: E402

HELD_ROWS = 40
DEMAND_BLOCKS = 3
CALLS = 20           # per block, target 5: the multiplier rises by 15/8... per block
TARGET = 5


class MarketDemoTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.extra_args = [["-connect=0", "-listen=1"],
                           ["-connect=0", "-listen=1", "-regtestvalidator=none", "-provider=1"]]

    def run_test(self):
        n = self.nodes
        connect_nodes(n[1], n[0])
        n[0].generateblocks(2)
        chain = market_demo.Chain(n, n[0], miner=n[0], say=self.log)
        header, held, pool = market_demo.load_pima()
        held = held[:HELD_ROWS]
        norm = market_demo.normalization(header, pool)
        roles, leaves = market_demo.standalone_setup(n, chain, header, pool, norm, epochs=60,
                                                     say=self.log)
        for _, _, p in leaves:
            p["target"] = TARGET
        r = market_demo.run_market(chain, roles, leaves, header, held, say=self.log,
                                   demand_blocks=DEMAND_BLOCKS, calls_per_block=CALLS, target=TARGET,
                                   decay_blocks=6, wash_blocks=3, wash_calls=10)
        market_demo.print_results(r)
        models = {m["key"]: m for m in r["models"]}

        self.log("The price rises every block of demand, then decays")
        for k in ("composite", "a"):
            m = models[k]
            during = [b["composite_price" if k == "composite" else "fl_price"] for b in r["demand"]["buys"]]
            for x, y in zip(during, during[1:]):
                assert_greater_than(y, x)
            assert_greater_than(m["price_peak"], m["price_start"])
            assert_greater_than(m["price_peak"], m["price_end"])
        # a is bought directly and as a component of the composite, b only as a component.
        assert_equal(models["composite"]["calls"], CALLS * DEMAND_BLOCKS)
        assert_equal(models["a"]["calls"], 2 * CALLS * DEMAND_BLOCKS)
        # b also sold one call per row to fml-agent -market-buy.
        assert_equal(models["b"]["calls"], CALLS * DEMAND_BLOCKS + HELD_ROWS)
        assert_greater_than(models["b"]["price_peak"], models["b"]["price_start"])

        self.log("The composite's payments reach its owner and both component owners")
        def paid(party, role):
            rows = [p["amount"] for p in r["payments"] if p["party"] == party and p["role"].startswith(role)]
            assert_equal(len(rows), 1, "%s %s" % (party, role))
            return rows[0]
        for party, role in (("lab-a", "creator of pima-central"), ("lab-b", "creator of pima-young"),
                            ("ensemble-maker", "creator of pima-ensemble"),
                            ("lab-a", "owner of pima-central"), ("lab-b", "owner of pima-young"),
                            ("ensemble-maker", "owner of pima-ensemble"),
                            ("provider", "compute provider")):
            assert_greater_than(paid(party, role), 0)
        # Every unit paid for calls or mined is burned or paid to someone, once.
        assert_equal(r["conservation"]["balanced"], True, str(r["conservation"]))
        for m in r["models"]:
            rev = m["revenue"]
            if m["calls"]:
                assert_equal(rev["own_fees"], rev["burned"] + rev["creator"] + rev["data"] + rev["provider"],
                             m["name"])
                assert_greater_than(rev["burned"], 0)
        assert_greater_than(r["burned"], 0)

        self.log("What the clinic paid is what the models' own parts received; the supply balances")
        paid = sum(b["calls"] * (b["composite_price"] + b["fl_price"]) for b in r["demand"]["buys"])
        paid += r["agent_buy"]["calls"] * r["agent_buy"]["price_before"]
        assert_equal(paid, sum(models[k]["revenue"]["own_fees"] for k in ("composite", "a", "b")))
        sup = r["supply"]
        assert_equal(sup["supply_consistent"], True)
        assert_equal(sup["rewards_consistent"], True)
        assert_equal(sup["market_call_burned"], r["burned"])
        assert_equal(sup["market_mined"], r["mined"])

        self.log("Predictions equal the independent forward pass; unpaid calls are refused")
        assert_equal(r["predictions_match_local"], True)
        for k in ("composite", "a"):
            assert_equal(r["served"][k]["rows"], HELD_ROWS)
            assert_equal(r["served"][k]["calls_left"], CALLS * DEMAND_BLOCKS - HELD_ROWS)
        assert_equal(r["agent_buy"]["exit_status"], 0)
        assert_equal(r["served"]["agent:b"]["rows"], HELD_ROWS)
        assert_equal(r["unpaid_request_refused"], True)
        if "unpaid" not in r["unpaid_request_error"]:
            raise TestFailure("unexpected refusal: %s" % r["unpaid_request_error"])

        self.log("The wash trader must lose money: self_dealing_net %d units" % r["self_dealing_net"])
        if r["self_dealing_net"] >= 0:
            raise TestFailure("self-dealing did not lose: %s" % r["self_dealing"])
        s = r["self_dealing"]
        # It gets back at most what it paid less the burn plus the mining cap (5%).
        assert_greater_than(-r["self_dealing_net"], s["paid_for_calls"] * 5 // 100 - 1)

        self.log("market-demo-results.json and the picture")
        jpath, spath = market_demo.write_outputs(r, self.tmpdir)
        with open(jpath) as f:
            saved = json.load(f)
        for k in ("models", "payments", "burned", "mined", "predictions_match_local", "self_dealing_net"):
            if k not in saved:
                raise TestFailure("market-demo-results.json has no %s" % k)
        for m in saved["models"]:
            for k in ("id", "name", "price_start", "price_end", "calls"):
                if k not in m:
                    raise TestFailure("a model has no %s: %s" % (k, m))
        for p in saved["payments"]:
            assert_equal(sorted(p), ["amount", "party", "role"])
        with open(spath) as f:
            svg = f.read()
        assert_equal(svg.count("<polyline"), len(saved["models"]))


if __name__ == "__main__":
    MarketDemoTest().main()
