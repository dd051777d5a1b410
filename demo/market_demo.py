#!/usr/bin/env python3
"""The AI Market demo: models are published, priced, bought, served and
paid for on chain.

It is the last phase of the FL demo (demo/fl_demo.py calls run_market() on
its running network once its tasks have completed), and it also runs alone
(python3 demo/market_demo.py), on a fresh network with uploaded models in
place of the FL tasks' models.

  1. Models.  The FL task's creator publishes the clean task's final model
     (source fl: its data providers are the hospitals, paid by the
     contribution the chain recorded for each) and a second model (the
     median-aggregated task's; alone: two uploaded logistic models trained
     here in Python); a third party publishes a composite, the average of
     the two.
  2. A compute provider.  One validator's node runs with -provider=1 and
     registers as a provider (registerprovider, a stake).
  3. Demand.  A clinic buys calls of the composite and of the FL model from
     that provider for several blocks, more than their target per block: the
     price per call rises block by block (the demand multiplier); then it
     stops and the price decays back towards the base.
  4. Serving.  The clinic signs requests (marketsignrequest) and runs the
     held-out Pima rows through predict on the provider's node; every output
     is checked against demo/market_ref.py, an independent forward pass of
     the same weights in standard-library Python (predictions_match_local).
     A request beyond the calls paid is refused.
  5. Payments.  The hospitals claim their data-provider share (marketclaim);
     the demo prints who was paid what: the FL model's creator, each hospital
     by its contribution, the provider, the composite's owner, what was
     burned and what was mined from the Market pool.
  6. Wash trading.  A party publishes a model, registers as its provider and
     buys its own calls for a few blocks: its balance change over the loop
     (self_dealing_net) is negative, because the burn at the top of every
     payment is larger than the mining it can earn back.

market-demo-results.json holds the figures, market-demo-price.svg the price
per call of every model block by block.

    python3 demo/market_demo.py [--out DIR] [--keep]

No configuration needed.  Every process it starts is stopped at the end,
also on failure or Ctrl-C.
"""

import argparse
import csv
import json
import math
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "functional"))
os.environ.setdefault("FML_BUILD_DIR", os.path.abspath(os.path.join(HERE, "..")))

from test_framework.framework import TIMEOUT_FACTOR  # noqa: E402
from test_framework.rpc import JSONRPCException  # noqa: E402

DATA = os.path.join(HERE, "..", "tests", "data", "pima-indians-diabetes.csv")
SEED = 7                 # the FL demo's split: the same held-out rows
LABEL, POSITIVE = "diabetes", "pos"
ZERO_MISSING = {"glucose", "pressure", "triceps", "insulin", "mass"}
COIN = 100_000_000


def log(msg):
    print("%s  %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def units(x):
    """An RPC amount (FML decimal) in base units; an integer is already in units."""
    if isinstance(x, int) and not isinstance(x, bool):
        return x
    return int((Decimal(str(x)) * COIN).to_integral_value())


def fml(u):
    """Base units as an FML decimal string."""
    sign = "-" if u < 0 else ""
    return sign + "%d.%08d" % divmod(abs(u), COIN)


# ---------------------------------------------------------------- data

def load_pima(path=DATA):
    """(header, held-out rows, the other rows), cut as the FL demo cuts them:
    shuffled with seed 7, the first fifth held out."""
    with open(path) as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    rng = random.Random(SEED)
    rng.shuffle(rows)
    n_held = round(len(rows) * 0.2)
    return header, rows[:n_held], rows[n_held:]


def features_of(header, row):
    """(features with missing values as None, label 0/1)."""
    out = []
    for name, v in zip(header, row):
        if name == LABEL:
            continue
        x = float(v)
        out.append(None if name in ZERO_MISSING and x == 0 else x)
    return out, 1 if row[header.index(LABEL)] == POSITIVE else 0


def normalization(header, rows):
    """[mean, std] per feature: mean of the present values, population std
    of the column with missing values imputed by the mean (1 if constant)."""
    cols = list(zip(*[features_of(header, r)[0] for r in rows]))
    norm = []
    for col in cols:
        present = [x for x in col if x is not None]
        mean = sum(present) / len(present) if present else 0.0
        imputed = [mean if x is None else x for x in col]
        var = sum((x - mean) ** 2 for x in imputed) / len(imputed)
        norm.append([round(mean, 4), round(math.sqrt(var), 4) if var > 0 else 1.0])
    return norm


def model_inputs(header, rows):
    """The rows a buyer sends to predict: raw features, a missing value as
    null (the provider imputes the mean of the model's normalization for it,
    as the FL agents do)."""
    return [features_of(header, r)[0] for r in rows]


def q16(x):
    """A decimal as the chain stores it (Q16.16, round half away from zero)."""
    v = abs(Decimal(str(x))) * 65536
    r = int(v + Decimal("0.5"))
    return r if Decimal(str(x)) >= 0 else -r


def train_logistic(header, rows, norm, epochs=300, rate=0.5, l2=0.001):
    """A logistic model trained here, in plain Python, by full-batch gradient
    descent on the standardized rows: Q16.16 weights in the chain's layout
    (the 8 weights, then the bias)."""
    xs, ys = [], []
    for r in rows:
        x, y = features_of(header, r)
        xs.append([((norm[i][0] if v is None else v) - norm[i][0]) / norm[i][1] for i, v in enumerate(x)])
        ys.append(y)
    n, d = len(xs), len(xs[0])
    w, b = [0.0] * d, 0.0
    for _ in range(epochs):
        gw, gb = [0.0] * d, 0.0
        for x, y in zip(xs, ys):
            z = b + sum(wi * xi for wi, xi in zip(w, x))
            p = 1 / (1 + math.exp(-z)) if z > -700 else 0.0
            e = p - y
            gb += e
            for i in range(d):
                gw[i] += e * x[i]
        w = [wi - rate * (g / n + l2 * wi) for wi, g in zip(w, gw)]
        b -= rate * gb / n
    return [q16(round(v, 4)) for v in w + [b]]


def accuracy(outputs, header, rows):
    """Accuracy of predict's outputs (the positive class's probability is the
    last column) against the rows' labels."""
    right = 0
    for out, r in zip(outputs, rows):
        right += (1 if out[-1] >= 0.5 else 0) == features_of(header, r)[1]
    return right / len(rows) if rows else 0.0


# ---------------------------------------------------------------- blocks

def wait_for(pred, timeout, what, interval=0.2):
    """Polls pred until it holds; timeout in seconds, stretched by
    FML_TIMEOUT_FACTOR for instrumented builds."""
    timeout *= TIMEOUT_FACTOR
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            if pred():
                return
        except JSONRPCException as e:
            last = e
        time.sleep(interval)
    raise RuntimeError("timed out after %ds waiting for %s%s" %
                       (timeout, what, " (last error: %s)" % last.message if last else ""))


class Chain:
    """Where blocks come from.  Real time (miner None): the validators
    propose every second on their own; manual: miner.generateblocks(1)
    whenever the demo moves on.  `view` is the node read from."""

    def __init__(self, nodes, view, miner=None, say=log):
        self.nodes = nodes
        self.view = view
        self.miner = miner
        self.say = say
        self.on_block = []
        self.pending = []
        self._seen = view.getblockcount()

    def height(self):
        return self.view.getblockcount()

    def sent(self, txid):
        self.pending.append(txid)
        return txid

    def tick(self):
        """Tells the block listeners once about the newest block."""
        h = self.height()
        if h > self._seen:
            self._seen = h
            for f in self.on_block:
                f(h)

    def next_block(self):
        """Waits for (or makes) one more block on every node."""
        h = self.height()
        if self.miner is not None:
            if self.pending:
                wait_for(lambda: all(self._known(t) for t in self.pending), 30,
                         "the transactions to reach the block producer")
            self.miner.generateblocks(1)
        wait_for(lambda: min(n.getblockcount() for n in self.nodes) > h, 60, "block %d" % (h + 1),
                 interval=0.1)
        self.tick()

    def _known(self, txid):
        return txid in self.miner.getrawmempool() or self._confirmed(txid, self.miner)

    def _confirmed(self, txid, node=None):
        try:
            return (node or self.view).getrawtransaction(txid, True).get("confirmations", 0) >= 1
        except JSONRPCException:
            return False

    def confirm(self, txids=None, blocks=30):
        """Blocks until every transaction sent (or these) is in a block on
        every node."""
        txids = list(self.pending if txids is None else txids)
        for _ in range(blocks):
            if all(self._confirmed(t) for t in txids):
                top = self.height()
                wait_for(lambda: min(n.getblockcount() for n in self.nodes) >= top, 60,
                         "every node at %d" % top, interval=0.1)
                self.tick()
                self.pending = [t for t in self.pending if t not in txids]
                return
            self.next_block()
        missing = [t for t in txids if not self._confirmed(t)]
        raise RuntimeError("transactions not confirmed after %d blocks: %s" % (blocks, missing))


# ---------------------------------------------------------------- parties

class Party:
    """A wallet on a node and the address it acts from."""

    def __init__(self, name, node, wallet, address):
        self.name, self.node, self.wallet, self.address = name, node, wallet, address

    @property
    def w(self):
        return self.node.rpc.wallet(self.wallet)


def new_party(name, node, funder, amount, chain):
    if name not in node.listwallets():
        node.createwallet(name)
    addr = node.rpc.wallet(name).getnewaddress(name)
    chain.sent(funder.w.sendtoaddress(addr, amount))
    return Party(name, node, name, addr)


def txid_of(res):
    """The txid in a wallet method's answer (a bare txid or an object)."""
    if isinstance(res, str):
        return res
    for k in ("txid", "model"):
        if k in res:
            return res[k]
    raise RuntimeError("no txid in %s" % res)


# ---------------------------------------------------------------- the market

class Market:
    def __init__(self, chain, say=log):
        self.chain = chain
        self.say = say
        self.models = {}        # key -> {id, name, owner (Party), ...}
        self.prices = {}        # key -> [(height, price per call in units)]
        chain.on_block.append(self.sample)

    def sample(self, height):
        for key, m in self.models.items():
            try:
                g = self.chain.view.marketgetmodel(m["id"])
            except JSONRPCException:
                continue
            self._point(key, height + 1, units(g["price"]))

    def _point(self, key, height, price):
        """The price per call of a block (the last reading of it wins)."""
        pts = self.prices[key]
        if pts and pts[-1][0] == height:
            pts[-1] = (height, price)
        else:
            pts.append((height, price))

    def publish(self, key, owner, params):
        if owner.address and "address" not in params:
            params = dict(params, address=owner.address)
        res = owner.w.marketpublish(params)
        mid = res["model"] if isinstance(res, dict) and "model" in res else txid_of(res)
        self.chain.sent(txid_of(res))
        self.models[key] = {"id": mid, "name": params["name"], "owner": owner, "params": params}
        self.prices[key] = []
        return mid

    def get(self, key):
        return self.chain.view.marketgetmodel(self.models[key]["id"])

    def price(self, key):
        return units(self.get(key)["price"])

    def call(self, buyer, key, provider, calls, headroom=4):
        """Buys calls of a model from provider at most at headroom times its
        price now (a call pays the price as of the start of its block)."""
        p = self.price(key)
        res = buyer.w.marketcall(self.models[key]["id"], provider.address, calls,
                                 Decimal(fml(p * headroom)), buyer.address)
        return self.chain.sent(txid_of(res))


def balance(node, addr):
    return units(node.getaccount(addr)["balance"])


def tx_fee(node, txid):
    return units(node.getrawtransaction(txid, True).get("fee", 0))


def predict(market, buyer, provider, key, rows, nonce):
    """Signs a request for len(rows) calls and runs it on the provider's node."""
    mid = market.models[key]["id"]
    sig = buyer.w.marketsignrequest(mid, provider.address, len(rows), nonce, buyer.address)
    return provider.node.predict(mid, provider.address, sig.get("payer", buyer.address), nonce,
                                 sig["signature"], rows)


def local_outputs(view, model_id, rows):
    """The outputs of a published model on rows by demo/market_ref.py (an
    independent forward pass in standard-library Python) from the weights and
    spec the chain holds (marketgetweights); a composite averages or chains
    its components."""
    import market_ref

    def call(method, *params):
        return json.loads(json.dumps(getattr(view.rpc, method)(*params), default=str))
    return market_ref.forward(market_ref.load(call, model_id), rows)


def agent_buy(chain, buyer, provider, model_id, header, rows, say=log, timeout=120 * TIMEOUT_FACTOR):
    """The same purchase and predictions through fml-agent -market-buy: it
    buys one call per row (marketcall), waits for the block, signs and sends
    the rows to the provider's node and writes the outputs as CSV.  Returns
    (outputs, the agent's exit status, its log)."""
    import subprocess
    from test_framework.framework import FMLAGENT
    work = tempfile.mkdtemp(prefix="fml_market_agent_")
    try:
        src = os.path.join(work, "rows.csv")
        with open(src, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            for r in rows:
                x, y = features_of(header, r)
                w.writerow(["" if v is None else r[i] for i, v in enumerate(x)] + [r[header.index(LABEL)]])
        out = os.path.join(work, "predictions.csv")
        pn = provider.node
        cmd = [FMLAGENT, "-regtest", "-datadir=" + buyer.node.datadir,
               "-rpcport=%d" % buyer.node.rpcport, "-rpcwallet=" + buyer.wallet, "-market-buy",
               "-market-model=" + model_id, "-market-provider=" + provider.address,
               "-market-csv=" + src, "-label=" + LABEL, "-address=" + buyer.address,
               "-provider-rpc=127.0.0.1:%d" % pn.rpcport,
               "-provider-rpccookiefile=" + os.path.join(pn.netdir, ".cookie"),
               "-market-out=" + out, "-market-batch=100", "-market-wait=%d" % timeout]
        say("  $ fml-agent -market-buy -market-model=%s… -market-provider=%s… -market-csv=rows.csv "
            "-label=%s -provider-rpc=127.0.0.1:%d ..." % (model_id[:12], provider.address[:16], LABEL,
                                                         pn.rpcport))
        with open(os.path.join(work, "agent.log"), "w") as logf:
            p = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT)
            deadline = time.time() + timeout
            try:
                while p.poll() is None:
                    if time.time() > deadline:
                        raise RuntimeError("fml-agent -market-buy did not finish in %d s" % timeout)
                    if chain.miner is not None and chain.miner.getrawmempool():
                        chain.next_block()
                    time.sleep(0.2)
            finally:
                if p.poll() is None:
                    p.kill()
                p.wait()
        with open(os.path.join(work, "agent.log")) as f:
            text = f.read()
        if p.returncode != 0:
            return None, p.returncode, text
        with open(out) as f:
            rd = csv.reader(f)
            cols = next(rd)
            outs = [[float(v) for c, v in zip(cols, r) if c != "class"] for r in rd]
        chain.tick()
        return outs, 0, text
    finally:
        shutil.rmtree(work, ignore_errors=True)


def outputs_match(a, b, tol=1e-6):
    if len(a) != len(b):
        return False, float("inf")
    worst = 0.0
    for ra, rb in zip(a, b):
        if len(ra) != len(rb):
            return False, float("inf")
        for x, y in zip(ra, rb):
            worst = max(worst, abs(float(x) - float(y)))
    return worst <= tol, worst


def run_market(chain, parties, leaves, header, held, say=log, demand_blocks=6,
               calls_per_block=30, target=10, decay_blocks=16, wash_blocks=4, wash_calls=20):
    """The market phase on a running network.

    parties: {"creator", "composer", "provider", "buyer", "wash", "funder":
    Party; "hospitals": {name: Party} (data providers of the FL model, may be
    empty) and "contributions": {name: the chain's contribution}; "wash_spec",
    "wash_weights": the wash trader's uploaded model}.  leaves: [(key, owner Party, marketpublish params)], the first
    one the model the clinic buys directly (the FL model), the first two the
    composite's components.  held: the Pima rows (CSV rows under header)
    the clinic runs through predict."""
    market = Market(chain, say)
    provider, buyer, wash = parties["provider"], parties["buyer"], parties["wash"]
    hospitals = parties.get("hospitals", {})
    view = chain.view
    started_height = chain.height()

    say("Market: %s registers as a compute provider (stake 10 FML); %s as well (1 FML)" %
        (provider.name, wash.name))
    chain.sent(txid_of(provider.w.registerprovider(10, "http://127.0.0.1:%d/" % provider.node.rpcport,
                                                   provider.address)))
    chain.sent(txid_of(wash.w.registerprovider(1, "", wash.address)))
    for key, owner, params in leaves:
        market.publish(key, owner, params)
        say("Market: %s publishes %s (source %s, base price %s FML a call, split creator/data/"
            "provider %s bps)" % (owner.name, params["name"], params["source"],
                                  fml(units(params["base_price"])),
                                  "/".join(str(params["split"][k]) for k in ("creator", "data", "provider"))))
    chain.confirm()
    comp_key = "composite"
    k1, k2 = leaves[0][0], leaves[1][0]
    composer = parties["composer"]
    market.publish(comp_key, composer, {
        "name": "pima-ensemble", "source": "composite", "mode": "average",
        "components": [market.models[k1]["id"], market.models[k2]["id"]],
        "base_price": fml(200_000), "target": target,
        "split": {"creator": 8000, "data": 0, "provider": 2000}})
    say("Market: %s publishes pima-ensemble, the average of %s and %s (its own base price "
        "0.002 FML a call, on top of its components' prices)" %
        (composer.name, leaves[0][2]["name"], leaves[1][2]["name"]))
    # The wash trader's model, published now so that the loop later only buys.
    wash_key = "wash"
    market.publish(wash_key, wash, {
        "name": "wash-model", "source": "upload", "spec": leaves[0][2].get("spec") or parties["wash_spec"],
        "weights": parties["wash_weights"], "base_price": fml(1_000_000), "target": target,
        "split": {"creator": 9000, "data": 0, "provider": 1000}})
    chain.confirm()
    for key in market.models:
        g = market.get(key)
        market.models[key]["price_start"] = units(g["price"])
        market._point(key, chain.height() + 1, units(g["price"]))
    ids = {k: m["id"] for k, m in market.models.items()}
    say("Market: models %s" % ", ".join("%s %s… (%s FML a call)" %
                                         (m["name"], m["id"][:12], fml(m["price_start"]))
                                         for m in market.models.values()))

    # --- demand: the clinic buys more than the target every block
    bought = {comp_key: 0, k1: 0}
    say("Demand: %s buys %d calls of pima-ensemble and %d of %s every block for %d blocks "
        "(target %d a block)" % (buyer.name, calls_per_block, calls_per_block, leaves[0][2]["name"],
                                 demand_blocks, target))
    buys = []
    for i in range(demand_blocks):
        before = {k: market.price(k) for k in (comp_key, k1)}
        t = [market.call(buyer, comp_key, provider, calls_per_block),
             market.call(buyer, k1, provider, calls_per_block)]
        chain.confirm(t)
        for k in (comp_key, k1):
            bought[k] += calls_per_block
        buys.append({"height": chain.height(), "calls": calls_per_block,
                     "composite_price": before[comp_key], "fl_price": before[k1]})
        say("  block %d: bought at %s (ensemble) and %s (%s) FML a call; next block %s and %s" %
            (chain.height(), fml(before[comp_key]), fml(before[k1]), leaves[0][2]["name"],
             fml(market.price(comp_key)), fml(market.price(k1))))
    peak = {k: market.price(k) for k in market.models}

    # --- serving: predictions on the provider's node, checked locally
    say("Serving: %s runs the %d held-out rows through predict on %s's node (signed requests)" %
        (buyer.name, len(held), provider.name))
    inputs = model_inputs(header, held)
    wait_for(lambda: all(provider.node.getblockcount() >= chain.height() for _ in [0]), 60,
             "the provider's node to catch up")
    served = {}
    nonce = 1
    match = True
    worst = 0.0
    for k in (comp_key, k1):
        outs = []
        for start in range(0, len(inputs), 80):
            part = inputs[start:start + 80]
            r = predict(market, buyer, provider, k, part, nonce)
            nonce += 1
            outs += r["outputs"]
            left = r.get("calls_left")
        ref = local_outputs(view, ids[k], inputs)
        ok, diff = outputs_match(outs, ref)
        match = match and ok
        worst = max(worst, diff)
        served[k] = {"rows": len(outs), "calls_left": left, "max_abs_diff": diff,
                     "accuracy": round(accuracy(outs, header, held), 4)}
        say("  %s: %d rows served, accuracy %.3f on the held-out rows, largest difference from "
            "the local forward pass %.2e, %s calls left" %
            (market.models[k]["name"], len(outs), served[k]["accuracy"], diff, left))
    # The other leaf through fml-agent -market-buy, as a clinic would script it.
    k2_name = market.models[k2]["name"]
    say("Serving: %s buys %d calls of %s and gets their predictions with fml-agent -market-buy" %
        (buyer.name, len(held), k2_name))
    agent_price = market.price(k2)
    outs, status, text = agent_buy(chain, buyer, provider, ids[k2], header, held, say=say)
    agent_height = chain.height()
    if outs is None:
        say("  fml-agent -market-buy failed (status %d): %s" % (status, text.strip()[-400:]))
        agent_ok, diff = False, float("inf")
    else:
        agent_ok, diff = outputs_match(outs, local_outputs(view, ids[k2], inputs))
        served["agent:" + k2] = {"rows": len(outs), "max_abs_diff": diff,
                                 "accuracy": round(accuracy(outs, header, held), 4), "by": "fml-agent -market-buy"}
        say("  %s: %d rows served, accuracy %.3f, largest difference from the local forward pass %.2e" %
            (k2_name, len(outs), served["agent:" + k2]["accuracy"], diff))
    match = match and agent_ok
    worst = max(worst, diff)
    # A request beyond what was paid is refused.
    unpaid = None
    try:
        predict(market, buyer, provider, k1, inputs[:1] * (calls_per_block * demand_blocks), nonce)
    except JSONRPCException as e:
        unpaid = e.message
    nonce += 1
    say("  a request for more rows than paid: %s" % (("refused: " + unpaid) if unpaid else "ACCEPTED (wrong)"))

    # --- claims: the hospitals' data-provider share of the FL model
    claims = {}
    fl_model = market.models[k1]
    if hospitals:
        say("Claims: the hospitals claim their data-provider share of %s" % fl_model["name"])
        contributions = parties.get("contributions", {})
        txs = {}
        for name, h in hospitals.items():
            b0 = balance(view, h.address)
            try:
                res = h.w.marketclaim(fl_model["id"], h.address)
            except JSONRPCException as e:
                claims[name] = {"claimed": 0, "error": e.message, "balance_before": b0}
                continue
            txs[name] = txid_of(res)
            claims[name] = {"balance_before": b0}
            chain.sent(txs[name])
        chain.confirm(list(txs.values()))
        for name, t in txs.items():
            h = hospitals[name]
            fee = tx_fee(view, t)
            claims[name]["claimed"] = balance(view, h.address) - claims[name]["balance_before"] + fee
            claims[name]["fee"] = fee
        for name in hospitals:
            claims[name]["contribution"] = str(contributions.get(name, ""))
            claims[name].pop("balance_before", None)
            say("  %-16s contribution %s: claimed %s FML%s" %
                (name, claims[name]["contribution"] or "?", fml(claims[name].get("claimed", 0)),
                 " (%s)" % claims[name]["error"] if "error" in claims[name] else ""))

    # --- wash trading: own model, own provider, own calls
    say("Wash trading: %s buys %d calls of its own wash-model from itself every block for %d "
        "blocks" % (wash.name, wash_calls, wash_blocks))
    chain.next_block()
    wb0 = balance(view, wash.address)
    wash_heights = []
    wash_fees = 0
    wash_paid = 0
    for i in range(wash_blocks):
        p = market.price(wash_key)
        t = market.call(wash, wash_key, wash, wash_calls)
        chain.confirm([t])
        wash_heights.append(chain.height())
        wash_fees += tx_fee(view, t)
        wash_paid += p * wash_calls
    chain.next_block()
    self_dealing_net = balance(view, wash.address) - wb0
    say("  paid %s FML for its own calls (and %s FML in transaction fees); balance change %s FML" %
        (fml(wash_paid), fml(wash_fees), fml(self_dealing_net)))

    # --- decay: nobody buys; the prices fall back towards the base
    say("Decay: nobody buys for %d blocks" % decay_blocks)
    for _ in range(decay_blocks):
        chain.next_block()

    # --- the figures
    final = {k: market.get(k) for k in market.models}
    prov = view.marketgetprovider(provider.address)
    supply = view.getsupplyinfo()
    models = []
    for k, m in market.models.items():
        g = final[k]
        rev = g.get("revenue", {})
        models.append({
            "key": k, "id": m["id"], "name": m["name"], "owner": m["owner"].name,
            "source": g.get("source"), "components": g.get("components", []),
            "price_start": m["price_start"],
            "price_peak": max([peak.get(k, 0)] + [p for _, p in market.prices[k]]),
            "price_end": units(g["price"]),
            "calls": g.get("usage", {}).get("calls"),
            "revenue": {x: units(v) for x, v in rev.items()},
            "data": {"shares": str(g.get("data", {}).get("shares")),
                     "bank": units(g.get("data", {}).get("bank", 0))},
            "prices": [{"height": h, "price": p} for h, p in market.prices[k]],
        })
    by_key = {m["key"]: m for m in models}

    def rev(k, x):
        return by_key[k]["revenue"].get(x, 0)
    # Who was paid what, each unit once: the owners' fee shares and their
    # part of the mining, each data provider's claim (its share of the fees'
    # data part and of the mining), what the data providers have not claimed,
    # the provider's earnings; plus the burn.
    claimed_of = {k: sum(c.get("claimed", 0) for c in claims.values()) if k == k1 else 0
                  for k in market.models}
    payments = []
    for m in models:
        k, owner = m["key"], m["owner"]
        bank = m["data"]["bank"]
        data_mined = claimed_of[k] + bank - rev(k, "data") if (claimed_of[k] or bank) else 0
        m["mined_owner"], m["mined_data"] = rev(k, "mined") - data_mined, data_mined
        own = " (its own calls)" if k == wash_key else ""
        payments.append({"party": owner, "role": "creator of %s: its share of the fees%s" % (m["name"], own),
                         "amount": rev(k, "creator")})
        payments.append({"party": owner, "role": "owner of %s: its part of the mining%s" % (m["name"], own),
                         "amount": m["mined_owner"]})
        if k == wash_key:
            payments.append({"party": owner, "role": "compute provider of its own calls",
                             "amount": rev(k, "provider")})
        if k == k1:
            total = sum(int(c["contribution"] or 0) for c in claims.values())
            for name, c in claims.items():
                payments.append({"party": name, "role": "data provider of %s (contribution %s of %d): "
                                 "fees and mining" % (m["name"], c["contribution"], total),
                                 "amount": c.get("claimed", 0)})
        if bank:
            payments.append({"party": "data providers of %s" % m["name"],
                             "role": "accrued to them, not claimed yet", "amount": bank})
    payments.append({"party": provider.name, "role": "compute provider (complexity fee and provider "
                     "shares)", "amount": units(prov.get("earned", 0))})
    burned = sum(rev(k, "burned") for k in market.models)
    mined = sum(rev(k, "mined") for k in market.models)
    paid_for_calls = sum(rev(k, "own_fees") for k in market.models)
    paid_out = sum(p["amount"] for p in payments)
    conservation = {"paid_for_calls": paid_for_calls, "mined": mined, "burned": burned,
                    "paid_out": paid_out, "balanced": paid_for_calls + mined == burned + paid_out}
    demo_keys = [k for k in market.models if k != wash_key]
    results = {
        "first_height": started_height,
        "last_height": chain.height(),
        "provider": {"party": provider.name, "address": provider.address,
                     "stake": units(prov.get("stake", 0)), "calls": prov.get("calls"),
                     "earned": units(prov.get("earned", 0))},
        "models": models,
        "payments": payments,
        "claims": claims,
        "burned": burned,
        "mined": mined,
        "conservation": conservation,
        "burned_by_demo_buyer": sum(rev(k, "burned") for k in demo_keys),
        "mined_by_demo_buyer": sum(rev(k, "mined") for k in demo_keys),
        "supply": dict({k: units(v) for k, v in supply.items() if k.startswith("market_")},
                       supply_consistent=supply.get("supply_consistent"),
                       rewards_consistent=supply.get("rewards_consistent")),
        "demand": {"blocks": demand_blocks, "calls_per_block": calls_per_block, "target": target,
                   "buys": buys},
        "served": served,
        "agent_buy": {"model": k2, "calls": len(held), "price_before": agent_price,
                      "exit_status": status, "height": agent_height},
        "predictions_match_local": bool(match),
        "predictions_max_abs_diff": worst,
        "unpaid_request_refused": unpaid is not None,
        "unpaid_request_error": unpaid,
        "self_dealing_net": self_dealing_net,
        "self_dealing": {"party": wash.name, "blocks": wash_blocks, "calls_per_block": wash_calls,
                         "heights": wash_heights,
                         "paid_for_calls": wash_paid, "transaction_fees": wash_fees,
                         "net": self_dealing_net},
    }
    return results


# ---------------------------------------------------------------- output

def print_results(r, say=print):
    print()
    print("== AI Market: models (price per call in FML)")
    print("  %-16s %-10s %-16s %12s %12s %12s %7s" % ("model", "source", "owner", "start", "peak",
                                                        "end", "calls"))
    for m in r["models"]:
        print("  %-16s %-10s %-16s %12s %12s %12s %7s" % (
            m["name"], m["source"], m["owner"], fml(m["price_start"]), fml(m["price_peak"] or 0),
            fml(m["price_end"]), m["calls"]))
    print()
    print("== Who was paid what (FML)")
    for p in r["payments"]:
        print("  %-28s %-66s %12s" % (p["party"], p["role"], fml(p["amount"])))
    print("  %-28s %-66s %12s" % ("", "burned (10% at the top of every payment)", fml(r["burned"])))
    print("  %-28s %-66s %12s" % ("", "mined from the Market pool (in the parts above)", fml(r["mined"])))
    c = r["conservation"]
    print("  paid for calls %s + mined from the Market pool %s = burned %s + paid out %s: %s" % (
        fml(c["paid_for_calls"]), fml(c["mined"]), fml(c["burned"]), fml(c["paid_out"]),
        "balanced" if c["balanced"] else "NOT BALANCED"))
    print()
    print("Predictions served by the provider equal the local forward pass (demo/market_ref.py): %s "
          "(largest difference %.2e); a request beyond the calls paid: %s" % (
              r["predictions_match_local"], r["predictions_max_abs_diff"],
              "refused" if r["unpaid_request_refused"] else "ACCEPTED"))
    s = r["self_dealing"]
    print("Wash trading (%s: own model, own provider, own calls, %d blocks): paid %s FML, balance "
          "change self_dealing_net = %s FML" % (s["party"], s["blocks"], fml(s["paid_for_calls"]),
                                              fml(s["net"])))


def write_svg(path, r):
    """Price per call of every model, block by block (plain SVG)."""
    width, height, left, right, top, bottom = 760, 420, 80, 190, 30, 50
    series = [m for m in r["models"] if m["prices"]]
    colors = ["#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e", "#8c564b"]
    hs = [p["height"] for m in series for p in m["prices"]]
    ps = [p["price"] for m in series for p in m["prices"]]
    h0, h1 = (min(hs), max(hs)) if hs else (0, 1)
    hi = max(ps) * 1.1 if ps else 1
    pw, ph = width - left - right, height - top - bottom

    def X(h):
        return left + pw * (h - h0) / max(1, h1 - h0)

    def Y(v):
        return top + ph * (1 - v / hi)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="18" font-size="14">AI Market: price per call of each model, block by block</text>' % left]
    step = 10 ** max(0, int(math.log10(hi)) - 0) if hi > 0 else 1
    while hi / step < 4:
        step /= 2
    v = 0.0
    while v <= hi:
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' % (left, Y(v), left + pw, Y(v)))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>' % (left - 6, Y(v) + 4, "%.4f" % (v / COIN)))
        v += step
    for hgt in range(h0, h1 + 1, max(1, (h1 - h0) // 10)):
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (X(hgt), top + ph + 16, hgt))
    out.append('<text x="%d" y="%d" text-anchor="middle">block height</text>' % (left + pw // 2, height - 10))
    out.append('<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">FML per call</text>' %
               (top + ph // 2, top + ph // 2))
    # The blocks with purchases, shaded: the clinic's, then the wash loop;
    # the fml-agent purchase as a dashed line.
    spans = [([b["height"] for b in r.get("demand", {}).get("buys", [])], "clinic buying"),
             (r.get("self_dealing", {}).get("heights", []), "wash loop")]
    for hs_, label in spans:
        if hs_:
            a, b = X(hs_[0]), X(hs_[-1])
            out.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="#f3f3f3"/>' %
                       (a, top, max(2, b - a), ph))
            out.append('<text x="%.1f" y="%d" fill="#777">%s</text>' % (a + 3, top + 14, label))
    ab = r.get("agent_buy", {}).get("height")
    if ab:
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#999" stroke-dasharray="4,3"/>' %
                   (X(ab), top + 20, X(ab), top + ph))
        out.append('<text x="%.1f" y="%d" fill="#777">fml-agent buys</text>' % (X(ab) + 3, top + 30))
    ly = top + 10
    for i, m in enumerate(series):
        c = colors[i % len(colors)]
        pts = " ".join("%.1f,%.1f" % (X(p["height"]), Y(p["price"])) for p in m["prices"])
        out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (c, pts))
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/>' %
                   (left + pw + 10, ly, left + pw + 30, ly, c))
        out.append('<text x="%d" y="%d">%s</text>' % (left + pw + 35, ly + 4, m["name"]))
        ly += 18
    out.append('</svg>')
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def write_outputs(r, out_dir, say=log):
    os.makedirs(out_dir, exist_ok=True)
    jpath = os.path.join(out_dir, "market-demo-results.json")
    with open(jpath, "w") as f:
        json.dump(r, f, indent=2, default=str)
    spath = os.path.join(out_dir, "market-demo-price.svg")
    write_svg(spath, r)
    return jpath, spath


def what_to_look_at(r, jpath, spath, header=True):
    if header:
        print()
        print("What to look at:")
    print("  %s: every model's price, calls and revenue, who was paid what" % jpath)
    print("  %s: the price per call rising while the clinic buys, then decaying" % spath)
    hs = [p for p in r["payments"] if p["role"].startswith("data provider")]
    if hs:
        print("  the hospitals, paid from the use of the model they trained: %s" %
              ", ".join("%s %s FML" % (p["party"], fml(p["amount"])) for p in hs))
    print("  the wash trader's loss (self_dealing_net): %s FML" % fml(r["self_dealing_net"]))


# ---------------------------------------------------------------- alone

def leaf_params(name, source, base_price, target, split, source_id=None, spec=None, weights=None):
    p = {"name": name, "source": source, "base_price": fml(base_price), "target": target,
         "split": split}
    if source_id:
        p["source_id"] = source_id
    if spec is not None:
        p["spec"] = spec
        p["weights"] = weights
    return p


def standalone_setup(nodes, chain, header, pool, norm, epochs=300, say=log):
    """Parties and two uploaded leaves on a fresh network: nodes[0] funds
    everyone, nodes[1] is the provider's node."""
    funder = Party("validator-0", nodes[0], "default", None)
    pnode = nodes[1]
    parties = {"funder": funder}
    for name, node, amount in (("lab-a", nodes[0], 50), ("lab-b", nodes[0], 50),
                               ("ensemble-maker", nodes[0], 50), ("clinic", nodes[0], 200),
                               ("wash-trader", pnode, 50), ("provider", pnode, 50)):
        parties[name] = new_party(name, node, funder, amount, chain)
    chain.confirm()
    spec = {"kind": "logistic", "sizes": [8, 1], "normalization": norm}
    young = [r for r in pool if int(r[header.index("age")]) < 30]
    wa = train_logistic(header, pool, norm, epochs=epochs)
    wb = train_logistic(header, young, norm, epochs=max(1, epochs // 2))
    say("Two logistic models trained here in Python: lab-a's on %d rows, lab-b's on the %d under 30" %
        (len(pool), len(young)))
    split = {"creator": 8000, "data": 0, "provider": 2000}
    leaves = [("a", parties["lab-a"], leaf_params("pima-central", "upload", 1_000_000, 10, split,
                                                    spec=spec, weights=wa)),
              ("b", parties["lab-b"], leaf_params("pima-young", "upload", 500_000, 10, split,
                                                    spec=spec, weights=wb))]
    roles = {"creator": parties["lab-a"], "composer": parties["ensemble-maker"],
             "provider": parties["provider"], "buyer": parties["clinic"], "wash": parties["wash-trader"],
             "funder": funder, "hospitals": {}, "wash_spec": spec, "wash_weights": wa}
    return roles, leaves


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=".", help="folder of market-demo-results.json and the SVG (default .)")
    parser.add_argument("--keep", action="store_true", help="keep the data directories")
    args = parser.parse_args()
    from network import Network

    def on_signal(sig, frame):
        raise KeyboardInterrupt
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    started = time.time()
    net = Network(keep=args.keep, log=log, node_args={1: ["-provider=1"]})
    try:
        net.start()
        header, held, pool = load_pima()
        norm = normalization(header, pool)
        chain = Chain(net.nodes, net.observer)
        roles, leaves = standalone_setup(net.nodes, chain, header, pool, norm)
        r = run_market(chain, roles, leaves, header, held)
        r["runtime_seconds"] = round(time.time() - started)
        print_results(r)
        jpath, spath = write_outputs(r, args.out)
        what_to_look_at(r, jpath, spath)
        log("Wrote %s and %s (%d s in all)" % (jpath, spath, r["runtime_seconds"]))
        return 0 if r["predictions_match_local"] and r["self_dealing_net"] < 0 else 1
    except KeyboardInterrupt:
        log("Interrupted.")
        return 130
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        net.stop()
        log("All processes stopped.")


if __name__ == "__main__":
    sys.exit(main())
