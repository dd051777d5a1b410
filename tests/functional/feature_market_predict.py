#!/usr/bin/env python3
"""AI Market serving: a compute provider node (-provider=1) answers `predict`
for calls a payer bought on chain.

Node 0 produces the blocks and holds the payer's and the owner's keys; node
1 is the compute provider (-provider=1, its provider key in its wallet).  The
provider registers; the owner publishes two uploaded MLPs, a softmax model,
an average of the two MLPs and a pipeline (MLP then the logistic model); the
payer buys calls of three of them from the provider.

Checked: predict on a batch of rows signed by the payer equals an
independent standard-library forward pass (demo/market_ref.py) to 1e-6 for
a leaf, an average and a pipeline; calls_left counts down; a request before
the calls confirmed is refused as unpaid, and so is one asking more than is
left (exhausted); a replayed nonce, a request signed by another key, an
unknown model, a provider not served here, malformed rows and too many rows
are refused and spend nothing; rows of the wrong width and a reply above
2^20 output values are refused from the model's record before the signature
is checked; the second predict of a JSON-RPC batch is refused as busy while
the first one's reply is unsent; marketgetweights pages (offset, count at
most 65536) with the hash of all the weights; fml-agent -market-buy buys a call per row of a
CSV, waits for the purchase, gets the predictions in signed batches and
writes them (equal to market_ref.py, every paid call used); the ledger survives a restart (a replay is
still refused) and -provideraddress serves a named address; predict on a
node without -provider=1 is refused."""

import csv
import json
import os
import random
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "demo"))
import market_ref  # noqa: E402

from test_framework.crypto import (Tx, address, compact_size, pubkey, sign,  # noqa: E402
                                   tagged_hash)
from test_framework.framework import (FMLAGENT, FMLTestFramework, TestFailure,  # noqa: E402
                                      assert_equal, assert_raises_rpc_error, connect_nodes,
                                      sync_blocks)

COIN = 100000000
FEE = 100000
TX_MARKET_PUBLISH = 48
TX_MARKET_PROVIDER_REGISTER = 50
KIND_LOGREG, KIND_SOFTMAX, KIND_MLP = 0, 1, 2
MODE_NONE, MODE_AVERAGE, MODE_PIPELINE = 0, 1, 2


def q16(x):
    return int(round(x * 65536))


def spec_bytes(kind, sizes, norm):
    b = struct.pack("<B", kind) + compact_size(len(sizes))
    b += b"".join(struct.pack("<I", s) for s in sizes)
    b += compact_size(len(norm))
    b += b"".join(struct.pack("<ii", q16(m), q16(s)) for m, s in norm)
    return b


def publish_payload(name, base_price, target=10, split=(6000, 0, 4000), kind=None, sizes=None,
                    norm=(), weights=None, mode=MODE_NONE, comps=()):
    b = compact_size(len(name)) + name.encode()
    source = 3 if comps else 0
    b += struct.pack("<B", source) + bytes(32)
    if source == 0:
        b += spec_bytes(kind, sizes, norm) + compact_size(len(weights))
        b += b"".join(struct.pack("<i", w) for w in weights)
    b += struct.pack("<QI", base_price, target) + struct.pack("<HHH", *split)
    b += struct.pack("<B", mode) + compact_size(len(comps))
    b += b"".join(bytes.fromhex(c) for c in comps)
    return b


def request_hash(model, provider_pub, calls, nonce):
    # H_FML/market-req (doc/protocol.md A.1).
    msg = bytes.fromhex(model) + provider_pub + struct.pack("<IQ", calls, nonce)
    return tagged_hash("FML/market-req", msg)


def param_count(sizes):
    return sum(sizes[i] * sizes[i + 1] + sizes[i + 1] for i in range(len(sizes) - 1))


class MarketPredictTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.extra_args = [[], ["-regtestvalidator=none", "-provider=1"]]

    def setup_network(self):
        self.start_nodes()
        connect_nodes(self.nodes[1], self.nodes[0])

    def raw(self, sec, tx_type, payload):
        node = self.nodes[0]
        addr = address("rfml", pubkey(sec))
        nonce = node.getaccount(addr)["nonce"] + self.pending.get(addr, 0)
        tx = Tx(pubkey(sec), nonce, FEE, tx_type, payload).sign(sec, self.genesis)
        txid = node.sendrawtransaction(tx.hex())
        assert_equal(txid, tx.txid())
        self.pending[addr] = self.pending.get(addr, 0) + 1
        return txid

    def mine(self, n=1):
        self.nodes[0].generateblocks(n)
        self.pending = {}
        sync_blocks(self.nodes)

    def request(self, model, rows, nonce, sec=None, provider=None, payer=None):
        sec = sec or self.payer_sec
        provider = provider or self.provider
        sig = sign(request_hash(model, pubkey(provider), len(rows), nonce), sec)
        return {"model": model, "provider": address("rfml", pubkey(provider)),
                "payer": payer or self.payer, "nonce": nonce, "signature": sig.hex(),
                "inputs": rows}

    def signed(self, model, rows, nonce):
        """A request the payer's wallet signs (marketsignrequest on node 0)."""
        prov = address("rfml", pubkey(self.provider))
        s = self.nodes[0].marketsignrequest(model, prov, len(rows), nonce, self.payer)
        assert_equal((s["payer"], s["calls"], s["nonce"]), (self.payer, len(rows), nonce))
        assert_equal(s["request_hash"], request_hash(model, pubkey(self.provider), len(rows),
                                                     nonce).hex())
        return {"model": model, "provider": prov, "payer": s["payer"], "nonce": nonce,
                "signature": s["signature"], "inputs": rows}

    def predict(self, node, req):
        return node.predict(req["model"], req["provider"], req["payer"], req["nonce"],
                            req["signature"], req["inputs"])

    def refused(self, node, req, code, message):
        """predict(req) fails with code/message and spends nothing."""
        assert_raises_rpc_error(code, message, self.predict, node, req)

    def check_equal(self, model, rows, res):
        tree = market_ref.load(lambda m, *p: getattr(self.nodes[1].rpc, m)(*p), model)
        ref = market_ref.forward(tree, rows)
        assert_equal(len(res["outputs"]), len(rows))
        worst = 0.0
        for got, want in zip(res["outputs"], ref):
            assert_equal(len(got), len(want))
            worst = max([worst] + [abs(float(a) - b) for a, b in zip(got, want)])
        assert worst <= 1e-6, "predict differs from market_ref.py by %g" % worst
        assert_equal(res["classes"], market_ref.classes(ref))
        self.log("  %d rows equal market_ref.py (largest difference %.2e)" % (len(rows), worst))

    def run_test(self):
        n0, n1 = self.nodes
        self.genesis = bytes.fromhex(n0.getblockchaininfo()["genesis"])
        self.pending = {}
        rng = random.Random(self.seed)
        self.mine(2)

        self.log("Keys: payer and owner in node 0's wallet, the provider in node 1's")
        self.payer = n0.getnewaddress("payer")
        self.payer_sec = bytes.fromhex(n0.dumpprivkey(self.payer))
        owner = n0.getnewaddress("owner")
        owner_sec = bytes.fromhex(n0.dumpprivkey(owner))
        prov_addr = n1.getnewaddress("provider")
        self.provider = bytes.fromhex(n1.dumpprivkey(prov_addr))
        other_sec = tagged_hash("FML/keyseed", b"someone else")
        for a in (self.payer, owner, prov_addr):
            n0.sendtoaddress(a, 100)
        self.mine()

        self.log("predict on a node without -provider=1 is refused")
        assert_raises_rpc_error(-1, "start fmld with -provider=1", n0.predict, "00" * 32,
                                prov_addr, self.payer, 1, "00" * 64, [[0]])

        self.log("The provider registers; the owner publishes 3 leaves, an average, a pipeline")
        self.raw(self.provider, TX_MARKET_PROVIDER_REGISTER,
                 struct.pack("<Q", 2 * COIN) + compact_size(14) + b"127.0.0.1:8732")
        norm = [(rng.uniform(-2, 2), rng.uniform(0.5, 3)) for _ in range(4)]

        def weights(sizes):
            return [q16(rng.uniform(-1.5, 1.5)) for _ in range(param_count(sizes))]
        a = self.raw(owner_sec, TX_MARKET_PUBLISH, publish_payload(
            "mlp-a", 1000, kind=KIND_MLP, sizes=[4, 6, 3], norm=norm, weights=weights([4, 6, 3])))
        b = self.raw(owner_sec, TX_MARKET_PUBLISH, publish_payload(
            "mlp-b", 2000, kind=KIND_MLP, sizes=[4, 5, 3], norm=norm[::-1],
            weights=weights([4, 5, 3])))
        c = self.raw(owner_sec, TX_MARKET_PUBLISH, publish_payload(
            "logit-c", 500, kind=KIND_SOFTMAX, sizes=[3, 2], weights=weights([3, 2])))
        wide = self.raw(owner_sec, TX_MARKET_PUBLISH, publish_payload(
            "wide", 1, kind=KIND_SOFTMAX, sizes=[1, 200], weights=weights([1, 200])))
        self.mine()
        avg = self.raw(owner_sec, TX_MARKET_PUBLISH, publish_payload(
            "avg-ab", 100, mode=MODE_AVERAGE, comps=(a, b)))
        pipe = self.raw(owner_sec, TX_MARKET_PUBLISH, publish_payload(
            "pipe-ac", 100, mode=MODE_PIPELINE, comps=(a, c)))
        self.mine()
        for m, mode, comps in ((a, "none", []), (avg, "average", [a, b]),
                               (pipe, "pipeline", [a, c])):
            info = n1.marketgetmodel(m)
            assert_equal((info["model"], info["mode"], info["components"]), (m, mode, comps))
        w = n1.marketgetweights(a)
        assert_equal(len(w["weights_q16"]), param_count([4, 6, 3]))
        assert_equal((w["total"], w["offset"]), (param_count([4, 6, 3]), 0))
        assert_raises_rpc_error(-8, "composite", n1.marketgetweights, avg)
        # Pages: at most 65536 weights a call, the hash always of them all.
        page = n1.marketgetweights(a, 5, 10)
        assert_equal((page["weights_q16"], page["offset"], page["hash"]),
                     (w["weights_q16"][5:15], 5, w["hash"]))
        assert_equal(n1.marketgetweights(a, w["total"] - 2)["weights_q16"],
                     w["weights_q16"][-2:])
        assert_equal(n1.marketgetweights(a, w["total"])["weights_q16"], [])
        assert_raises_rpc_error(-8, "offset 52 is past", n1.marketgetweights, a, 52)
        assert_raises_rpc_error(-8, "count must be 1..65536", n1.marketgetweights, a, 0, 65537)
        assert_raises_rpc_error(-8, "count must be 1..65536", n1.marketgetweights, a, 0, 0)

        rows = [[rng.uniform(-5, 5) for _ in range(4)] for _ in range(7)]
        rows[2][1] = None   # a missing value: the feature's mean
        self.log("Unpaid: a signed request before any call is bought")
        self.refused(n1, self.request(a, rows[:2], 1), -26, "unpaid: paid 0, used 0, asked 2")

        self.log("The payer buys 10 calls of mlp-a, 12 of the average, 8 of the pipeline")
        for m, k in ((a, 10), (avg, 12), (pipe, 8)):
            res = n0.marketcall(m, prov_addr, k, None, self.payer)
            assert_equal((res["payer"], res["calls"]), (self.payer, k))
        self.refused(n1, self.signed(a, rows[:2], 1), -26, "unpaid: paid 0, used 0, asked 2")
        self.mine()
        assert_equal(n1.marketgetcalls(a, prov_addr, self.payer)["paid_calls"], 10)

        self.log("A leaf: 7 rows in one request signed by the wallet (marketsignrequest)")
        res = self.predict(n1, self.signed(a, rows, 1))
        assert_equal(res["calls_left"], 3)
        self.check_equal(a, rows, res)

        self.log("Refused, spending nothing: replayed nonce, another signer, another payer's "
                 "claim, unknown model, provider not served here, bad rows, too many rows")
        self.refused(n1, self.request(a, rows[:1], 1), -26, "replayed nonce")
        self.refused(n1, self.request(a, rows[:1], 0), -26, "replayed nonce")
        self.refused(n1, self.request(a, rows[:1], 5, sec=other_sec), -25, "bad signature")
        self.refused(n1, self.request(b, rows[:1], 5), -26, "unpaid: paid 0, used 0, asked 1")
        self.refused(n1, self.request("ab" * 32, rows[:1], 5), -5, "unknown model")
        self.refused(n1, self.request(a, rows[:1], 5, provider=owner_sec), -8,
                     "not a provider here")
        self.refused(n1, self.request(a, [[1, 2, 3]], 5), -8, "inputs[0] must be an array of 4")
        self.refused(n1, self.request(a, [[1, 2, "x", 4]], 5), -8, "inputs[0][2]")
        self.refused(n1, self.request(a, [[0] * 4] * 10001, 5), -8, "1..10000 rows")
        # Checked against the model's record before the signature and before
        # the model is loaded: the rows' width, and rows x n_outputs <= 2^20.
        self.refused(n1, self.request(a, [[1, 2, 3]], 5, sec=other_sec), -8,
                     "inputs[0] must be an array of 4")
        self.refused(n1, self.request(wide, [[0]] * 5243, 5), -8,
                     "5243 rows of this model give 1048600 output values, above the limit "
                     "of 1048576")
        # A signature of 2 rows does not cover 3.
        req = self.request(a, rows[:2], 5)
        req["inputs"] = rows[:3]
        self.refused(n1, req, -25, "bad signature")

        self.log("Exhausted: 3 calls left, 4 asked; then the last 3")
        self.refused(n1, self.request(a, rows[:4], 6), -26, "unpaid: paid 10, used 7, asked 4")
        res = self.predict(n1, self.signed(a, rows[:3], 7))
        assert_equal(res["calls_left"], 0)
        self.check_equal(a, rows[:3], res)
        self.refused(n1, self.request(a, rows[:1], 8), -26, "unpaid: paid 10, used 10, asked 1")

        self.log("An average of two MLPs and a pipeline")
        res = self.predict(n1, self.signed(avg, rows, 1))
        assert_equal(res["calls_left"], 5)
        self.check_equal(avg, rows, res)
        res = self.predict(n1, self.signed(pipe, rows[:5], 3))
        assert_equal(res["calls_left"], 3)
        self.check_equal(pipe, rows[:5], res)
        # The wallet's signature and this test's own (Python BIP340) are both
        # the payer's: either is served.  Named arguments, as the object
        # {model, provider, payer, nonce, signature, inputs}.
        res = n1.predict(**self.request(pipe, rows[:2], 4))
        assert_equal(res["calls_left"], 1)
        self.check_equal(pipe, rows[:2], res)

        self.log("One predict reply in flight: the second of a batch is refused (busy)")
        batch = []
        for i, nonce in enumerate((5, 6)):
            r = self.request(pipe, rows[:1], nonce)
            batch.append({"method": "predict", "id": i, "params": [
                r["model"], r["provider"], r["payer"], r["nonce"], r["signature"], r["inputs"]]})
        st, replies, _ = n1.rpc.post(json.dumps(batch))
        assert_equal((st, len(replies)), (200, 2))
        assert_equal(replies[0]["error"], None)
        assert_equal(replies[0]["result"]["calls_left"], 0)
        assert_equal(replies[1]["error"]["code"], -1)
        assert "busy" in replies[1]["error"]["message"], replies[1]
        # Once that reply is sent the next request is served again (spending nothing).
        self.refused(n1, self.request(pipe, rows[:1], 6), -26, "unpaid: paid 8, used 8, asked 1")

        self.market_buy(b, rows[:5], prov_addr)

        self.log("The ledger survives a restart; -provideraddress serves a named address")
        n1.stop()
        n1.start(["-provideraddress=" + prov_addr])
        connect_nodes(n1, n0)
        self.refused(n1, self.request(avg, rows[:1], 1), -26, "replayed nonce")
        res = self.predict(n1, self.signed(avg, rows[:5], 2))
        assert_equal(res["calls_left"], 0)
        self.check_equal(avg, rows[:5], res)
        n1.stop()
        n1.start(["-provideraddress=" + owner])
        self.refused(n1, self.request(avg, rows[:1], 3), -8, "not a provider here")
        n1.stop()
        try:
            n1.start(["-provideraddress=rfml1bogus"])
            raise AssertionError("a bad -provideraddress was accepted")
        except TestFailure as e:
            assert "-provideraddress: invalid address rfml1bogus" in str(e), str(e)

    def market_buy(self, model, rows, prov_addr):
        """fml-agent -market-buy: buys a call per row through node 0's wallet,
        waits for the confirmation (blocks made here meanwhile), sends the
        rows to node 1 in batches of 2 and writes the predictions."""
        self.log("fml-agent -market-buy: %d rows of a CSV, batches of 2" % len(rows))
        n0, n1 = self.nodes
        path = os.path.join(self.tmpdir, "rows.csv")
        out = os.path.join(self.tmpdir, "predictions.csv")
        with open(path, "w") as f:
            f.write("a,b,label,c,d\n")
            for r in rows:
                cells = ["" if v is None else repr(v) for v in r]
                f.write(",".join(cells[:2] + ["1"] + cells[2:]) + "\n")
        cmd = [FMLAGENT, "-regtest", "-datadir=" + n0.datadir, "-rpcport=%d" % n0.rpcport,
               "-market-buy", "-market-model=" + model, "-market-provider=" + prov_addr,
               "-market-csv=" + path, "-label=label", "-market-out=" + out,
               "-market-batch=2", "-market-wait=120", "-address=" + self.payer,
               "-provider-rpc=127.0.0.1:%d" % n1.rpcport,
               "-provider-rpccookiefile=" + os.path.join(n1.netdir, ".cookie"), "-pollms=50"]
        agent = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.time() + 120
            while agent.poll() is None and time.time() < deadline:
                if n0.getrawmempool():
                    self.mine()
                time.sleep(0.2)
        finally:
            if agent.poll() is None:
                agent.kill()
            log = agent.communicate()[0]
        if agent.returncode != 0:
            raise TestFailure("fml-agent -market-buy failed (%s): %s" % (agent.returncode, log))
        self.log("  " + log.strip().replace("\n", "\n  "))
        with open(out) as f:
            got = list(csv.DictReader(f))
        assert_equal(len(got), len(rows))
        k = len(got[0]) - 1
        res = {"outputs": [[float(g["p%d" % j]) for j in range(k)] for g in got],
               "classes": [int(g["class"]) for g in got]}
        self.check_equal(model, rows, res)
        assert_equal(n1.marketgetcalls(model, prov_addr, self.payer)["paid_calls"], len(rows))
        assert_raises_rpc_error(-26, "unpaid: paid %d, used %d, asked 1" % (len(rows), len(rows)),
                                self.predict, n1, self.signed(model, rows[:1], 1 << 62))


if __name__ == "__main__":
    MarketPredictTest().main()
