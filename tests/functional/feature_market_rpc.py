#!/usr/bin/env python3
"""The AI Market driven through RPC on one regtest node with generateblocks.

The node's wallet registers a compute provider, publishes two uploaded models
(owners A and B) and an averaging composite of both, and buys calls of the
composite: every party's balance moves by exactly what the protocol's
formulas (recomputed here from doc/protocol.md, not the node's code) say:
the burn once, each component's owner its creator share, the provider the
complexity and provider shares, and use-is-mining from the Market pool on
each model's own part.  marketgetmodel's revenue fields, marketgetcalls and
getsupplyinfo's market fields agree with it, and supply is conserved.

Sustained calls above a model's target raise its multiplier block by block
exactly as the EIP-1559-like rule does (and the price with it); without
calls it decays back to 1.  A price change applies; marketsignrequest's
signature verifies over the request hash.  Bad inputs (unknown model or
provider, price above the maximum, a non-owner's price change, a composite
whose shapes do not chain, nothing to claim, malformed options) give a
clear error and send nothing; a raw MARKET_CALL above its max price is
refused by the chain and changes nothing.

A one-round FL task completed through the wallet's FL methods is published
by its creator (the data providers: its accepted proposer, by recorded
contribution); a call accrues their part to the model's bank and the
proposer claims it whole, a voter has nothing to claim.  Likewise a settled
Arena task's winner, published by the task's creator: the winning trainer
claims the data part."""

import json
import math
import struct
from decimal import Decimal

from test_framework.crypto import (G, N, P, Tx, _add, _int, _mul, _sha_tag, address,
                                   address_to_pubkey, pubkey, regtest_secret, tagged_hash)
from test_framework.framework import (FMLTestFramework, assert_equal,
                                      assert_greater_than, assert_raises_rpc_error)

COIN = 100000000
FEE = 20000
ONE = 1 << 32
TX_MARKET_CALL = 51
BURN_BPS = 1000
MINE_BPS = 500
FEE_PER_KMAC = 10
CAP = 16
# The tag of a compute provider's request hash (consensus/hash.h).
REQUEST_TAG = "FML/market-req"


def units(x):
    return int(Decimal(str(x)) * COIN)


# ---- the protocol's formulas (doc/protocol.md, AI Market) ----

def macs(sizes):
    return sum(sizes[i] * sizes[i + 1] for i in range(len(sizes) - 1))


def own_price(base, m, mult):
    own = (base * 1000 + m * FEE_PER_KMAC) * mult // (1000 * ONE)
    cplx = m * FEE_PER_KMAC * mult // (1000 * ONE)
    return own, cplx


def pay_split(gross, cplx_gross, split):
    net = gross * (10000 - BURN_BPS) // 10000
    cplx = cplx_gross * (10000 - BURN_BPS) // 10000
    r = net - cplx
    creator = r * split["creator"] // 10000
    data = r * split["data"] // 10000
    return {"gross": gross, "burn": gross - net, "creator": creator, "data": data,
            "provider": cplx + (r - creator - data)}


def mult_next(mult, u, t):
    return min(max(mult * (7 * t + u) // (8 * t), ONE), CAP * ONE)


# An Arena task's validation sets: features (x1, x2) and a label 1 when
# x1 + x2 > 0; the winner's weights w1, w2, bias (Q16.16).
ARENA_SETS = [
    [[1.5, 0.5, 1], [-1, -0.25, 0], [0.75, 1, 1], [-2, 0.5, 0], [0.25, 0.5, 1], [-0.5, -1.5, 0]],
    [[2, -0.5, 1], [-0.75, 0.25, 0], [1, 1, 1], [-1.25, -1, 0], [0.5, 0.25, 1]],
]
ARENA_GOOD = [2 * 65536, 2 * 65536, 0]


def logloss(weights, rows):
    """Mean log loss of a logistic model on rows stored as Q16.16, as the
    Q16.16 a validator reveals (probabilities clipped to [1e-7, 1 - 1e-7])."""
    w = [x / 65536 for x in weights]
    total = 0.0
    for x1, x2, y in rows:
        z = w[0] * (round(x1 * 65536) / 65536) + w[1] * (round(x2 * 65536) / 65536) + w[2]
        p = min(max(1 / (1 + math.exp(-z)), 1e-7), 1 - 1e-7)
        total += -math.log(p) if y == 1 else -math.log(1 - p)
    return min(int(round(total / len(rows) * 65536)), 0xFFFFFFFF)


def lift_x(x):
    y = pow((pow(x, 3, P) + 7) % P, (P + 1) // 4, P)
    return (x, y if y % 2 == 0 else P - y)


def verify(msg, pub, sig):
    """BIP340 verification (after the BIP's reference code)."""
    pt = lift_x(_int(pub))
    r, s = _int(sig[:32]), _int(sig[32:])
    if r >= P or s >= N:
        return False
    e = _int(_sha_tag("BIP0340/challenge", sig[:32] + pub + msg)) % N
    rr = _add(_mul(G, s), _mul(pt, N - e))
    return rr is not None and rr[1] % 2 == 0 and rr[0] == r


class MarketRPCTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def mine(self, n=1):
        self.nodes[0].generateblocks(n)

    def bal(self, addr):
        return units(self.nodes[0].getaccount(addr)["balance"])

    def nothing_sent(self, fn, *args, code=None, message=""):
        """fn(*args) fails with code/message and neither the mempool nor the
        wallet's history changes."""
        node = self.nodes[0]
        before = (node.getrawmempool(), len(node.listtransactions("*", 100000)))
        assert_raises_rpc_error(code, message, fn, *args)
        after = (node.getrawmempool(), len(node.listtransactions("*", 100000)))
        assert_equal(after, before, "a refused call sent something")

    def check_supply(self):
        s = self.nodes[0].getsupplyinfo()
        assert s["supply_consistent"] and s["rewards_consistent"], s
        return s

    def run_test(self):
        node = self.nodes[0]
        self.genesis = bytes.fromhex(node.getblockchaininfo()["genesis"])
        node.generateblocks(2)

        self.log("The wallet funds two model owners, a provider and a payer")
        names = ["a", "b", "prov", "payer"]
        a = {n: node.getnewaddress(n) for n in names}
        for n in names:
            node.sendtoaddress(a[n], 100)
        self.mine()
        assert_equal(node.getaccount(a["payer"])["balance"], 100)

        self.log("registerprovider: the minimum stake of a new provider, then the provider")
        self.nothing_sent(node.registerprovider, "0.5", "http://127.0.0.1:1", a["prov"],
                          code=-8, message="market-stake-low")
        self.nothing_sent(node.registerprovider, 1, "bad\nendpoint", a["prov"], code=-8,
                          message="printable")
        self.nothing_sent(node.registerprovider, 1, "", a["prov"] + "x", code=-5,
                          message="Invalid address")
        r = node.registerprovider(1, "http://127.0.0.1:1", a["prov"])
        assert_equal((r["address"], r["stake"], r["new"]), (a["prov"], 1, True))
        raw = node.getrawtransaction(r["txid"], True)
        assert_equal(raw["type"], "market_provider_register")
        assert_equal((raw["payload"]["stake"], raw["payload"]["endpoint"]), (1, "http://127.0.0.1:1"))
        self.mine()
        assert_raises_rpc_error(-5, "Not a compute provider", node.marketgetprovider, a["payer"])
        p = node.marketgetprovider(a["prov"])
        assert_equal((p["stake"], p["endpoint"], p["calls"], p["earned"]), (1, "http://127.0.0.1:1", 0, 0))
        assert_equal(p["registered_height"], node.getblockcount())
        assert_equal([x["address"] for x in node.marketlistproviders()], [a["prov"]])
        # A second registration adds stake and replaces the endpoint.
        r = node.registerprovider("0.5", "http://127.0.0.1:2", a["prov"])
        assert_equal((r["stake"], r["new"]), (Decimal("1.5"), False))
        self.mine()
        p = node.marketgetprovider(a["prov"])
        assert_equal((p["stake"], p["endpoint"]), (Decimal("1.5"), "http://127.0.0.1:2"))
        assert_equal(self.check_supply()["market_stakes"], Decimal("1.5"))

        self.log("marketpublish: two uploads and bad options")
        spec_a = {"kind": "softmax", "sizes": [4, 3],
                  "normalization": [[0, 1], ["0.5", 2], [1, "0.25"], [0, 1]]}
        w_a = [(i * 7919) % 65536 - 32768 for i in range(15)]
        spec_b = {"kind": "mlp", "sizes": [4, 64, 3]}
        w_b = ["%.4f" % ((i % 13) / 13 - 0.5) for i in range(4 * 64 + 64 + 64 * 3 + 3)]
        opt_a = {"name": "iris-a", "source": "upload", "spec": spec_a, "weights": w_a,
                 "base_price": "0.001", "target": 2, "address": a["a"]}
        opt_b = {"name": "iris-b", "spec": spec_b, "weights": w_b, "base_price": "0.0005",
                 "target": 5, "split": {"creator": 8000, "data": 0, "provider": 2000},
                 "address": a["b"]}
        self.check_publish_errors(opt_a)
        pa = node.marketpublish(opt_a)
        assert_equal((pa["model"], pa["owner"]), (pa["txid"], a["a"]))
        ma = pa["model"]
        self.mine()
        h_pub = node.getblockcount()
        pb = json.loads(node.cli("marketpublish", json.dumps(opt_b)))  # through fml-cli
        mb = pb["model"]
        raw = node.getrawtransaction(ma, True)
        assert_equal(raw["type"], "market_publish")
        pl = raw["payload"]
        assert_equal((pl["model"], pl["name"], pl["source"], pl["kind"], pl["sizes"], pl["weights"]),
                     (ma, "iris-a", "upload", "softmax", [4, 3], 15))
        assert_equal((pl["base_price"], pl["target"], pl["mode"], pl["components"]),
                     (Decimal("0.001"), 2, "none", []))
        assert_equal(pl["split"], {"creator_bps": 9000, "data_bps": 0, "provider_bps": 1000})
        self.mine()
        ga = node.marketgetmodel(ma)
        assert_equal((ga["name"], ga["owner"], ga["source"], ga["source_id"], ga["published_height"]),
                     ("iris-a", a["a"], "upload", None, h_pub))
        assert_equal((ga["spec"]["kind"], ga["spec"]["sizes"], ga["spec"]["parameters"]),
                     ("softmax", [4, 3], 15))
        assert_equal([(f["mean"], f["std"]) for f in ga["spec"]["normalization"]],
                     [(0, 1), (Decimal("0.5"), 2), (1, Decimal("0.25")), (0, 1)])
        wbytes = b"".join(struct.pack("<i", x) for x in w_a)
        assert_equal(ga["model_hash"], tagged_hash("FML/fl-model", wbytes).hex())
        assert_equal((ga["macs"], ga["n_inputs"], ga["n_outputs"], ga["depth"], ga["expansion"]),
                     (12, 4, 3, 0, 1))
        assert_equal(ga["split"], {"creator": 9000, "data": 0, "provider": 1000})
        assert_equal((ga["multiplier"], ga["multiplier_q32"]), ("1", ONE))
        assert_equal(units(ga["price"]), own_price(units("0.001"), 12, ONE)[0])
        assert_equal(ga["lineage"], {"source": "upload"})
        assert_equal((ga["data"]["shares"], ga["data"]["bank"]), (0, 0))
        gb = node.marketgetmodel(mb)
        assert_equal((gb["macs"], gb["spec"]["sizes"]), (macs([4, 64, 3]), [4, 64, 3]))
        lst = node.marketlistmodels()
        assert_equal([x["model"] for x in lst], [ma, mb])
        assert_equal([x["seq"] for x in lst], [0, 1])
        assert_equal(lst[0]["mult"], "1")
        assert_equal([x["model"] for x in node.marketlistmodels(1, 5)], [mb])
        assert_equal(node.marketlistmodels(2), [])

        self.log("A composite: the average of both; a pipeline whose shapes do not chain is refused")
        self.nothing_sent(node.marketpublish, {"name": "bad", "mode": "pipeline", "components": [ma, mb],
                                               "base_price": 0, "address": a["a"]},
                          code=-8, message="pipeline: components[0] has 3 outputs")
        self.nothing_sent(node.marketpublish, {"name": "bad", "mode": "average", "components": [ma, "00" * 32],
                                               "base_price": 0, "address": a["a"]},
                          code=-5, message="components[1]: model not found")
        self.nothing_sent(node.marketpublish, {"name": "bad", "mode": "average", "components": [],
                                               "base_price": 0, "address": a["a"]},
                          code=-8, message="1..8 model ids")
        self.nothing_sent(node.marketpublish, {"name": "bad", "mode": "average",
                                               "components": [ma] * 9,
                                               "base_price": 0, "address": a["a"]},
                          code=-8, message="1..8 model ids")
        pc = node.marketpublish({"name": "ensemble", "mode": "average", "components": [ma, mb],
                                 "base_price": "0.0002", "target": 3, "address": a["a"]})
        mc = pc["model"]
        self.mine()
        gc = node.marketgetmodel(mc)
        assert_equal((gc["source"], gc["mode"], gc["components"], gc["depth"], gc["expansion"]),
                     ("composite", "average", [ma, mb], 1, 3))
        assert_equal((gc["spec"], gc["model_hash"], gc["macs"], gc["n_inputs"], gc["n_outputs"]),
                     (None, None, 0, 4, 3))
        lin = gc["lineage"]
        assert_equal((lin["source"], lin["mode"]), ("composite", "average"))
        assert_equal([(x["model"], x["owner"], x["lineage"]["source"]) for x in lin["components"]],
                     [(ma, a["a"], "upload"), (mb, a["b"], "upload")])

        self.log("marketgetprice: the parts of the composite in expansion order, recomputed")
        models = {ma: (units("0.001"), 12, ga["split"], a["a"]),
                  mb: (units("0.0005"), macs([4, 64, 3]), gb["split"], a["b"]),
                  mc: (units("0.0002"), 0, gc["split"], a["a"])}
        q = node.marketgetprice(mc, 10)
        assert_equal((q["height"], q["calls"], q["burn_bps"]), (node.getblockcount() + 1, 10, BURN_BPS))
        assert_equal([x["model"] for x in q["parts"]], [mc, ma, mb])
        assert_equal([x["depth"] for x in q["parts"]], [0, 1, 1])
        want = {}
        for x in q["parts"]:
            base, m, split, _ = models[x["model"]]
            own, cplx = own_price(base, m, ONE)
            assert_equal((units(x["own"]), units(x["complexity"])), (own, cplx))
            pays = pay_split(10 * own, 10 * cplx, split)
            assert_equal({k: units(v) for k, v in x["pays"].items()}, pays)
            want[x["model"]] = pays
        assert_greater_than(units(q["parts"][2]["complexity"]), 0)  # the mlp's compute part
        price = sum(units(x["own"]) for x in q["parts"])
        assert_equal((units(q["price_per_call"]), units(q["total"])), (price, 10 * price))
        assert_equal(units(node.marketgetmodel(mc)["price"]), price)
        assert_raises_rpc_error(-8, "calls must be 1..1000000", node.marketgetprice, mc, 0)
        assert_raises_rpc_error(-5, "Model not found", node.marketgetprice, "11" * 32)

        self.log("marketcall: ten calls of the composite pay every party exactly")
        self.check_call_errors(ma, mc, a)
        before = {n: self.bal(a[n]) for n in names}
        s0 = self.check_supply()
        c = node.marketcall(mc, a["prov"], 10, None, a["payer"])
        assert_equal((c["payer"], c["calls"], units(c["price"]), units(c["total"])),
                     (a["payer"], 10, price, 10 * price))
        assert_equal(units(c["max_price"]), price)  # the default: the price for the next block
        raw = node.getrawtransaction(c["txid"], True)
        assert_equal(raw["type"], "market_call")
        assert_equal((raw["payload"]["model"], raw["payload"]["provider"], raw["payload"]["calls"]),
                     (mc, a["prov"], 10))
        fee = units(raw["fee"])
        # The payer's history shows the call as a payment to the provider.
        sends = [t for t in node.listtransactions("*", 1000) if t.get("txid") == c["txid"]]
        assert_equal(sorted((t["category"], t["address"], t["amount"]) for t in sends),
                     [("receive", a["prov"], 0), ("send", a["prov"], 0)])
        self.mine()
        s1 = self.check_supply()
        g = {m: node.marketgetmodel(m) for m in (ma, mb, mc)}
        for m in (ma, mb, mc):
            rev = {k: units(v) for k, v in g[m]["revenue"].items()}
            w = want[m]
            assert_equal((rev["own_fees"], rev["creator"], rev["data"], rev["provider"], rev["burned"]),
                         (w["gross"], w["creator"], w["data"], w["provider"], w["burn"]), m)
            assert_equal(g[m]["usage"]["calls"], 10)
            assert_equal(g[m]["usage"]["block_calls"], 10)
        # Use is mining: each model's own part, capped at kappa of it, from the pool.
        # The pool B read once at the end of the block: what it held plus this
        # block's emission into it.
        mined = {m: units(g[m]["revenue"]["mined"]) for m in g}
        pool = units(s0["market_pool"]) + units(s1["market_pool_in"]) - units(s0["market_pool_in"])
        total_e = sum(want[m]["gross"] for m in want)
        for m in mined:
            e = want[m]["gross"]
            assert_greater_than(mined[m], 0)
            assert_equal(mined[m], min(pool * e // total_e, e * MINE_BPS // 10000), m)
        burned = sum(w["burn"] for w in want.values())
        assert_equal(units(s1["market_call_burned"]) - units(s0["market_call_burned"]), burned)
        assert_equal(units(s1["market_mined"]) - units(s0["market_mined"]), sum(mined.values()))
        after = {n: self.bal(a[n]) for n in names}
        assert_equal(before["payer"] - after["payer"], 10 * price + fee)
        assert_equal(after["a"] - before["a"],
                     want[ma]["creator"] + want[mc]["creator"] + mined[ma] + mined[mc])
        assert_equal(after["b"] - before["b"], want[mb]["creator"] + mined[mb])
        assert_equal(after["prov"] - before["prov"], sum(w["provider"] for w in want.values()))
        p = node.marketgetprovider(a["prov"])
        assert_equal((p["calls"], units(p["earned"])), (10, sum(w["provider"] for w in want.values())))
        # Paid calls count under the model bought, not its components.
        assert_equal(node.marketgetcalls(mc, a["prov"], a["payer"])["paid_calls"], 10)
        assert_equal(node.marketgetcalls(ma, a["prov"], a["payer"])["paid_calls"], 0)
        assert_raises_rpc_error(-5, "Not a compute provider", node.marketgetcalls, mc, a["payer"], a["payer"])
        assert_raises_rpc_error(-5, "Model not found", node.marketgetcalls, "22" * 32, a["prov"], a["payer"])
        assert_raises_rpc_error(-5, "Invalid address", node.marketgetcalls, mc, a["prov"], "nope")
        # The multipliers moved at the end of the block: 10 calls against targets 2, 5, 3.
        for m, t in ((ma, 2), (mb, 5), (mc, 3)):
            assert_equal(g[m]["multiplier_q32"], mult_next(ONE, 10, t), m)

        self.log("Sustained demand raises the price block by block; then it decays back")
        self.mine(40)  # back to the floor
        assert_equal(node.marketgetmodel(ma)["multiplier_q32"], ONE)
        mult, prices = ONE, []
        for _ in range(4):
            q = node.marketgetprice(ma)
            assert_equal(units(q["price_per_call"]), own_price(units("0.001"), 12, mult)[0])
            prices.append(units(q["price_per_call"]))
            node.marketcall(ma, a["prov"], 6, None, a["payer"])
            self.mine()
            mult = mult_next(mult, 6, 2)
            assert_equal(node.marketgetmodel(ma)["multiplier_q32"], mult)
        assert all(x < y for x, y in zip(prices, prices[1:])), prices
        frac = str((mult % ONE) * 5 ** 32).rjust(32, "0").rstrip("0")
        assert_equal(node.marketgetmodel(ma)["multiplier"], "%d.%s" % (mult // ONE, frac))
        assert_equal(node.marketgetcalls(ma, a["prov"], a["payer"])["paid_calls"], 24)
        high = mult
        for _ in range(3):
            self.mine()
            mult = mult_next(mult, 0, 2)
            assert_equal(node.marketgetmodel(ma)["multiplier_q32"], mult)
        assert mult < high
        self.mine(40)
        g = node.marketgetmodel(ma)
        assert_equal((g["multiplier"], units(g["price"])), ("1", own_price(units("0.001"), 12, ONE)[0]))

        self.log("marketsetprice: the owner only; the new base applies")
        self.nothing_sent(node.marketsetprice, ma, "0.002", 4, a["b"], code=-4, message="market-not-owner")
        self.nothing_sent(node.marketsetprice, "33" * 32, "0.002", code=-5, message="Model not found")
        self.nothing_sent(node.marketsetprice, ma, 1000, code=-8, message="market-price-too-high")
        self.nothing_sent(node.marketsetprice, ma, "0.002", 0, code=-8, message="target")
        r = node.marketsetprice(ma, "0.002", 4)
        assert_equal((r["base_price"], r["target"]), (Decimal("0.002"), 4))
        raw = node.getrawtransaction(r["txid"], True)
        assert_equal((raw["type"], raw["payload"]),
                     ("market_set_price", {"model": ma, "base_price": Decimal("0.002"), "target": 4}))
        self.mine()
        g = node.marketgetmodel(ma)
        assert_equal((g["base_price"], g["target"]), (Decimal("0.002"), 4))
        assert_equal(units(g["price"]), own_price(units("0.002"), 12, ONE)[0])

        self.log("A leaf priced under one unit at multiplier 1 is refused (market-price-zero)")
        self.nothing_sent(node.marketpublish, dict(opt_a, name="free", base_price=0),
                          code=-8, message="market-price-zero")
        self.nothing_sent(node.marketsetprice, ma, 0,
                          code=-8, message="market-price-zero")
        cheap = node.marketpublish(dict(opt_a, name="cheap", base_price=Decimal("0.00000001")))["model"]
        self.mine()
        assert_equal(units(node.marketgetmodel(cheap)["price"]), own_price(1, 12, ONE)[0])
        c = node.marketcall(cheap, a["prov"], 3, None, a["payer"])
        assert c["total"] > 0, c
        self.mine()
        assert_equal(node.marketgetcalls(cheap, a["prov"], a["payer"])["paid_calls"], 3)

        self.log("marketsignrequest: the payer's BIP340 signature over the request hash")
        s = node.marketsignrequest(ma, a["prov"], 5, 7)
        assert_equal((s["payer"], s["pubkey"], s["calls"], s["nonce"], s["paid_calls"]),
                     (a["payer"], address_to_pubkey(a["payer"]).hex(), 5, 7, 24))
        msg = tagged_hash(REQUEST_TAG, bytes.fromhex(ma) + address_to_pubkey(a["prov"]) +
                          struct.pack("<IQ", 5, 7))
        assert_equal(s["request_hash"], msg.hex())
        assert verify(msg, address_to_pubkey(a["payer"]), bytes.fromhex(s["signature"]))
        assert not verify(tagged_hash(REQUEST_TAG, bytes.fromhex(ma) + address_to_pubkey(a["prov"]) +
                                      struct.pack("<IQ", 6, 7)),
                          address_to_pubkey(a["payer"]), bytes.fromhex(s["signature"]))
        s = node.marketsignrequest(ma, a["prov"], 5, 8, a["b"])
        assert_equal(s["payer"], a["b"])
        assert verify(bytes.fromhex(s["request_hash"]), address_to_pubkey(a["b"]), bytes.fromhex(s["signature"]))
        assert_raises_rpc_error(-5, "Model not found", node.marketsignrequest, "44" * 32, a["prov"], 1, 1)
        assert_raises_rpc_error(-8, "calls must be", node.marketsignrequest, ma, a["prov"], 0, 1)

        self.log("marketclaim: an upload has no data providers")
        self.nothing_sent(node.marketclaim, ma, code=-8, message="market-nothing-to-claim")
        self.nothing_sent(node.marketclaim, "55" * 32, code=-5, message="Model not found")

        self.log("A raw MARKET_CALL above its max price is refused by the chain and changes nothing")
        sec = regtest_secret(2)
        outsider = address("rfml", pubkey(sec))
        node.sendtoaddress(outsider, 10)
        self.mine()
        g0, s0 = node.marketgetmodel(ma), self.check_supply()
        payload = bytes.fromhex(ma) + address_to_pubkey(a["prov"]) + struct.pack("<IQ", 3, 1)
        tx = Tx(pubkey(sec), node.getaccount(outsider)["nonce"], FEE, TX_MARKET_CALL, payload)
        assert_raises_rpc_error(-26, "market-price-above-max", node.sendrawtransaction,
                                tx.sign(sec, self.genesis).hex())
        payload = bytes.fromhex(ma) + bytes(32) + struct.pack("<IQ", 3, 10 ** 9)
        tx = Tx(pubkey(sec), node.getaccount(outsider)["nonce"], FEE, TX_MARKET_CALL, payload)
        assert_raises_rpc_error(-26, "market-unknown-provider", node.sendrawtransaction,
                                tx.sign(sec, self.genesis).hex())
        self.mine()
        g1 = node.marketgetmodel(ma)
        assert_equal((g1["usage"]["calls"], g1["revenue"]), (g0["usage"]["calls"], g0["revenue"]))
        assert_equal(node.marketgetcalls(ma, a["prov"], outsider)["paid_calls"], 0)
        s1 = self.check_supply()
        assert_equal(s1["market_call_burned"], s0["market_call_burned"])
        assert_greater_than(units(s1["market_pool_in"]), 0)
        assert_equal(units(s1["market_pool"]),
                     units(s1["market_pool_in"]) - units(s1["market_mined"]) - units(s1["market_pool_burned"]))

        self.fl_model(a)
        self.arena_model(a)

    def mine_to(self, height):
        node = self.nodes[0]
        if height > node.getblockcount():
            self.mine(height - node.getblockcount())
        assert_equal(node.getblockcount(), height)

    def fl_model(self, a):
        """A one-round FL task of three participants with one proposer slot:
        the accepted proposer is the only data provider (its contribution, the
        task's total, is the model's shares).  Its creator publishes the
        final model; a call accrues the data part (and the data part of the
        mining) to the bank, which the proposer claims whole."""
        node = self.nodes[0]
        self.log("An FL model: a one-round task of three participants, completed through RPC")
        parts = ["p1", "p2", "p3"]
        for n in ["creator"] + parts:
            a[n] = node.getnewaddress(n)
            node.sendtoaddress(a[n], 50)
        self.mine()
        task = node.flcreatetask({
            "address": a["creator"], "model": "logistic", "sizes": [2, 1], "rounds": 1,
            "min_participants": 3, "max_participants": 3, "min_stake": 5, "proposer_slots": 1,
            "join_blocks": 2, "submit_blocks": 2, "update_reveal_blocks": 2, "commit_blocks": 2,
            "reveal_blocks": 2, "budget": 10})["task"]
        self.mine()
        self.nothing_sent(node.marketpublish, {"name": "early", "source": "fl", "source_id": task,
                                               "base_price": "0.001"},
                          code=-8, message="only a completed task's model")
        for n in parts:
            node.fljoin(task, 5, a[n])
        self.mine()
        t = node.flgettask(task)
        self.mine_to(t["join_end"])
        w = node.flgettask(task)["windows"]
        r = node.flgetround(task, 1)
        prop = r["proposers"][0]["address"]
        voters = [v["address"] for v in r["voters"]]
        node.flsubmitupdate(task, 1, [65536, -32768, 1000], prop)
        self.mine_to(w["submit_end"])
        node.flrevealupdate(task, 1, prop)
        self.mine_to(w["update_reveal_end"])
        for v in voters + [prop]:
            node.flcommitvote(task, 1, [1], v)
        self.mine_to(w["commit_end"])
        for v in voters + [prop]:
            node.flrevealvote(task, 1, v)
        self.mine_to(w["reveal_end"])
        t = node.flgettask(task)
        assert_equal((t["state"], t["model_round"]), ("completed", 1))
        contrib = {x["address"]: x["contribution"] for x in t["participants"]}
        assert_greater_than(contrib[prop], 0)
        assert all(contrib[v] == 0 for v in voters), contrib

        self.log("marketpublish of the FL model: by its creator only; data providers' split")
        self.nothing_sent(node.marketpublish, {"name": "fl", "source": "fl", "source_id": task,
                                               "base_price": "0.001", "address": a["p1"]},
                          code=-4, message="creator")
        pub = node.marketpublish({"name": "hospitals", "source": "fl", "source_id": task,
                                  "base_price": "0.001", "target": 100})
        mf = pub["model"]
        assert_equal(pub["owner"], a["creator"])
        raw = node.getrawtransaction(mf, True)
        assert_equal((raw["payload"]["source"], raw["payload"]["source_id"]), ("fl", task))
        assert "sizes" not in raw["payload"]
        self.mine()
        g = node.marketgetmodel(mf)
        assert_equal((g["source"], g["source_id"], g["owner"]), ("fl", task, a["creator"]))
        assert_equal(g["lineage"], {"source": "fl", "fl_task": task, "model_round": 1,
                                    "contribution": contrib[prop]})
        assert_equal((g["model_hash"], g["spec"]["sizes"], g["macs"]), (t["model_hash"], [2, 1], 2))
        assert_equal(g["split"], {"creator": 3000, "data": 6000, "provider": 1000})
        assert_equal((g["data"]["shares"], g["data"]["bank"]), (contrib[prop], 0))
        self.nothing_sent(node.marketclaim, mf, code=-4, message="market-nothing-to-claim")

        self.log("A call accrues the data providers' part; the proposer claims it, the voters cannot")
        q = node.marketgetprice(mf, 50)
        pays = {k: units(v) for k, v in q["parts"][0]["pays"].items()}
        own, cplx = own_price(units("0.001"), 2, ONE)
        assert_equal(pays, pay_split(50 * own, 50 * cplx, g["split"]))
        assert_greater_than(pays["data"], 0)
        node.marketcall(mf, a["prov"], 50, None, a["payer"])
        self.mine()
        g = node.marketgetmodel(mf)
        mined = units(g["revenue"]["mined"])
        data_mined = mined * 6000 // 9000
        bank = units(g["data"]["bank"])
        assert_equal((units(g["revenue"]["data"]), bank), (pays["data"], pays["data"] + data_mined))
        assert_equal(units(self.check_supply()["market_banks"]), bank)
        self.nothing_sent(node.marketclaim, mf, voters[0], code=-4, message="market-nothing-to-claim")
        before = self.bal(prop)
        c = node.marketclaim(mf)
        assert_equal((c["address"], units(c["amount"])), (prop, bank))
        raw = node.getrawtransaction(c["txid"], True)
        assert_equal((raw["type"], raw["payload"]), ("market_claim", {"model": mf}))
        fee = units(raw["fee"])
        self.mine()
        assert_equal(self.bal(prop) - before, bank - fee)
        g = node.marketgetmodel(mf)
        assert_equal(units(g["data"]["bank"]), 0)
        s = self.check_supply()
        assert_equal(units(s["market_banks"]), 0)
        self.nothing_sent(node.marketclaim, mf, prop, code=-4, message="market-nothing-to-claim")

    def arena_model(self, a):
        """A settled Arena task with one trainer and one validator: its creator
        publishes the winner's weights; the winner is the only data provider
        (one share) and claims the data part of a call."""
        node = self.nodes[0]
        self.log("An Arena model: a settled task of one trainer and one validator")
        for n in ("acreator", "t1", "v1"):
            a[n] = node.getnewaddress(n)
            node.sendtoaddress(a[n], 50)
        self.mine()
        res = node.arenacreatetask({
            "address": a["acreator"], "model": "logistic", "sizes": [2, 1], "loss": "logloss",
            "valsets": ARENA_SETS, "chunk_rows": 6,
            "windows": {"submit_blocks": 3, "reveal_blocks": 3, "score_commit_blocks": 3,
                        "score_reveal_blocks": 3},
            "budget": 10, "draws_per_set": 2, "max_trainers": 2, "max_validators": 2,
            "trainer_min_stake": 5, "validator_min_stake": 5, "vest_epochs": 0})
        task = res["task"]
        self.mine()
        w = node.arenagettask(task)["windows"]
        node.arenastake(task, "trainer", 5, a["t1"])
        node.arenastake(task, "validator", 5, a["v1"])
        self.mine()
        sub = node.arenasubmit(task, ARENA_GOOD, a["t1"])
        self.mine_to(w["submit_end"] + 1)   # the wallet reveals the submission
        self.mine_to(w["sets_end"] + 1)      # and the sets
        v1 = node.arenagetscores(task, a["v1"])
        losses = [logloss(ARENA_GOOD, ARENA_SETS[k]) for k in range(2) if v1["assignment"][k]]
        node.arenascore(task, losses, a["v1"])
        self.mine_to(w["settle_height"])
        t = node.arenagettask(task)
        assert_equal(t["state"], "settled")
        self.nothing_sent(node.marketpublish, {"name": "arena", "source": "arena", "source_id": task,
                                               "base_price": "0.001", "address": a["t1"]},
                          code=-4, message="creator")
        pub = node.marketpublish({"name": "winner", "source": "arena", "source_id": task,
                                  "base_price": "0.001", "split": {"creator": 4000, "data": 5000,
                                                                   "provider": 1000}})
        ma = pub["model"]
        assert_equal(pub["owner"], a["acreator"])
        self.mine()
        g = node.marketgetmodel(ma)
        assert_equal(g["lineage"], {"source": "arena", "arena_task": task, "winner": a["t1"]})
        assert_equal((g["model_hash"], g["data"]["shares"]), (sub["model_hash"], 1))
        node.marketcall(ma, a["prov"], 20, None, a["payer"])
        self.mine()
        g = node.marketgetmodel(ma)
        bank = units(g["data"]["bank"])
        assert_equal(bank, units(g["revenue"]["data"]) + units(g["revenue"]["mined"]) * 5000 // 9000)
        self.nothing_sent(node.marketclaim, ma, a["acreator"], code=-4, message="market-nothing-to-claim")
        c = node.marketclaim(ma)
        assert_equal((c["address"], units(c["amount"])), (a["t1"], bank))
        self.mine()
        assert_equal(units(node.marketgetmodel(ma)["data"]["bank"]), 0)
        self.check_supply()

    def check_publish_errors(self, good):
        node = self.nodes[0]

        def bad(change, code, message):
            o = dict(good)
            o.update(change)
            o = {k: v for k, v in o.items() if v is not None}
            self.nothing_sent(node.marketpublish, o, code=code, message=message)
        bad({"name": ""}, -8, "name")
        bad({"name": "x" * 33}, -8, "name")
        bad({"name": "tab\there"}, -8, "printable")
        bad({"base_price": None}, -8, "base_price")
        bad({"base_price": "-1"}, -3, "base_price")
        bad({"weights": good["weights"][:-1]}, -8, "15 parameters, 14 weights given")
        bad({"weights": ["x"] * 15}, -8, "weights[0]")
        bad({"spec": {"kind": "softmax", "sizes": [4]}}, -8, "spec.sizes")
        bad({"spec": {"kind": "nope", "sizes": [4, 3]}}, -8, "spec.kind")
        bad({"split": {"creator": 5000, "data": 4000, "provider": 1000}}, -8, "no data providers")
        bad({"split": {"creator": 5000, "provider": 1000}}, -8, "must be 10000")
        bad({"target": 0}, -8, "target")
        bad({"source": "fl"}, -8, "source_id")
        bad({"source": "nope"}, -8, "source must be")
        bad({"source": "fl", "source_id": "66" * 32, "spec": None, "weights": None}, -5, "FL task not found")
        bad({"source": "arena", "source_id": "66" * 32, "spec": None, "weights": None}, -5,
            "Arena task not found")
        bad({"mode": "average"}, -8, "only for \"composite\"")
        bad({"colour": "red"}, -8, "Unknown option")
        bad({"address": "nope"}, -5, "Invalid address")
        bad({"base_price": 1000}, -8, "market-price-too-high")

    def check_call_errors(self, ma, mc, a):
        node = self.nodes[0]
        self.nothing_sent(node.marketcall, "77" * 32, a["prov"], 1, code=-5, message="Model not found")
        self.nothing_sent(node.marketcall, mc, a["payer"], 1, code=-5, message="market-unknown-provider")
        self.nothing_sent(node.marketcall, mc, a["prov"], 0, code=-8, message="calls must be")
        self.nothing_sent(node.marketcall, mc, a["prov"], 1000001, code=-8, message="calls must be")
        self.nothing_sent(node.marketcall, mc, a["prov"], 1, "0.00000001", code=-8,
                          message="market-price-above-max")
        self.nothing_sent(node.marketcall, mc, a["prov"], 1000000, None, a["payer"], code=-6,
                          message="Insufficient funds")
        self.nothing_sent(node.marketcall, mc, a["prov"], 1, None, "nope", code=-5,
                          message="Invalid address")


if __name__ == "__main__":
    MarketRPCTest().main()
