#!/usr/bin/env python3
"""The built-in explorer (-explorer=1) in a real browser.

Two regtest nodes with -rest=1 -explorer=1; node 0 makes blocks with real
activity (transfers, a delegation, an FL task with two rounds whose votes
carry an accuracy metric) and node 1 serves the explorer to Debian's
headless Chromium, driven through the DevTools protocol over a pipe
(test_framework/browser.py: no network, only 127.0.0.1).

Checked against RPC: the overview (height, best block, latest blocks and
transactions, validators) and that it follows the mempool and a new block
without a reload;
a block (hash, height, transaction count and txids); transactions of
several types (type, amount, decoded payload); an address (balance, nonce,
history length or the "address index disabled" notice); the validators'
stakes; the FL task (id, round, rounds, one accuracy point per round with
the voters' metric); Arena list; a Market model (price, owner) whose name is
markup, shown as text; the search box (height, block hash, txid, address).  No page throws, logs an error or trips the
Content-Security-Policy.  Over plain HTTP: the files' types and headers,
and 400/404/405 for traversal, escapes, queries, unknown files and other
methods; a node without -explorer answers 404 there; -explorer=1 with
-rest=0 refuses to start.

A PNG of each page is written to a directory that outlives the test (its
path is printed; FML_TEST_OUTPUT chooses it)."""

import http.client
import json
import os
import re
import subprocess
import tempfile
import time
from decimal import Decimal

from test_framework.browser import Browser, chromium_path
from test_framework.framework import (FMLD, FMLTestFramework, TestFailure, assert_equal,
                                      connect_nodes, free_port, sync_blocks,
                                      sync_mempools)

METRICS = {1: "0.75", 2: "0.875"}   # exact in Q16.16


def fmt_amount(x):
    """The explorer's amount text (explorer.js fmtAmount)."""
    d = Decimal(str(x)).quantize(Decimal("0.00000001"))
    s = format(d, "f").rstrip("0").rstrip(".")
    neg = s.startswith("-")
    s = s.lstrip("-")
    whole, _, frac = s.partition(".")
    whole = "{:,}".format(int(whole))
    return ("-" if neg else "") + whole + ("." + frac if frac else "") + " FML"


class ExplorerBrowserTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        # Node 1 (the browser's) keeps the address index when the node has
        # one; node 0 does not, to show the notice.
        args = ["-rest=1", "-explorer=1"]
        self.addressindex = self.has_option("-addressindex")
        self.extra_args = [args, args + (["-addressindex=1"] if self.addressindex else [])]

    @staticmethod
    def has_option(name):
        out = subprocess.run([FMLD, "-help"], capture_output=True, text=True, timeout=30).stdout
        return re.search(r"^\s*%s[\s=]" % re.escape(name), out, re.M) is not None

    def setup_network(self):
        # Fail early and clearly without the browser.
        chromium_path()
        self.start_nodes()
        connect_nodes(self.nodes[1], self.nodes[0])

    # -- helpers --

    def http(self, path, method="GET"):
        conn = http.client.HTTPConnection("127.0.0.1", self.nodes[1].rpcport, timeout=30)
        try:
            conn.request(method, path)
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def url(self, route, node=1):
        return "http://127.0.0.1:%d/explorer/%s" % (self.nodes[node].rpcport, route)

    def open(self, route, ready, what, node=1):
        """Loads route (a #fragment) and waits for the JS expression ready."""
        self.page.goto(self.url(route, node))
        self.page.wait_for(ready, timeout=30, what=what)

    def text(self, selector):
        t = self.page.text(selector)
        if t is None:
            raise TestFailure("no %s on %s" % (selector, self.page.evaluate("location.hash")))
        return t.strip()

    def wait_text(self, selector, want, timeout=30):
        expr = ("(() => { const e = document.querySelector(%s); return !!e && e.textContent.trim() === %s; })()"
                % (json.dumps(selector), json.dumps(want)))
        try:
            self.page.wait_for(expr, timeout=timeout, what="%s = %r" % (selector, want))
        except Exception:
            raise TestFailure("%s shows %r, expected %r" % (selector, self.page.text(selector), want))

    def rows(self, selector):
        return self.page.evaluate("Array.from(document.querySelectorAll(%s)).map((tr) => tr.textContent)"
                                  % json.dumps(selector + " tbody tr"))

    def shot(self, name):
        path = os.path.join(self.shots, name + ".png")
        self.page.screenshot(path)
        self.shots_taken.append(path)

    def mine(self, n=1):
        self.nodes[0].generateblocks(n)

    def mine_to(self, height):
        h = self.nodes[0].getblockcount()
        if height > h:
            self.mine(height - h)

    # -- activity --

    def make_activity(self):
        node = self.nodes[0]
        node.generateblocks(2)
        names = ["alice", "bob", "creator", "p1", "p2", "p3", "p4", "delegator"]
        self.addr = {n: node.getnewaddress(n) for n in names}
        self.transfer = node.sendtoaddress(self.addr["alice"], 25)
        for n in names[1:]:
            node.sendtoaddress(self.addr[n], 200 if n == "creator" else 50)
        self.mine()
        self.validator = node.getvalidators()[0]["address"]
        self.delegation = node.delegate(self.validator, 10, self.addr["delegator"])
        self.mine()

        self.log("An FL task with two rounds whose votes carry a metric")
        opts = {"address": self.addr["creator"], "model": "logistic", "sizes": [2, 1], "rounds": 2,
                "min_participants": 4, "max_participants": 4, "min_stake": 5, "proposer_slots": 2,
                "join_blocks": 2, "submit_blocks": 2, "update_reveal_blocks": 1, "commit_blocks": 1,
                "reveal_blocks": 1, "aggregator": "fedavg", "slash_bps": 2000,
                "voter_reward_bps": 2000, "budget": 100}
        self.task = node.flcreatetask(opts)["task"]
        self.mine()
        for n in ("p1", "p2", "p3", "p4"):
            node.fljoin(self.task, 10, self.addr[n])
        self.mine()
        self.mine_to(node.flgettask(self.task)["join_end"])
        self.vote_reveal = None
        for rnd in (1, 2):
            r = node.flgetround(self.task, rnd)
            w = r["windows"]
            props = [p["address"] for p in r["proposers"]]
            voters = [v["address"] for v in r["voters"]]
            for i, a in enumerate(props):
                node.flsubmitupdate(self.task, rnd, [(i + 1) * 65536 * rnd, -(i + 1) * 32768, 1000], a)
            self.mine()
            self.mine_to(w["submit_end"])
            for a in props:
                node.flrevealupdate(self.task, rnd, a)
            self.mine()
            self.mine_to(w["update_reveal_end"])
            order = node.flgetround(self.task, rnd)["revealed_order"]
            for v in voters + props:
                node.flcommitvote(self.task, rnd, [{"proposer": o, "verdict": 1, "metric": METRICS[rnd]}
                                                   for o in order], v)
            self.mine()
            self.mine_to(w["commit_end"])
            for v in voters + props:
                txid = node.flrevealvote(self.task, rnd, v)
                self.vote_reveal = self.vote_reveal or txid
            self.mine()
            self.mine_to(w["reveal_end"])
            assert_equal(node.flgetround(self.task, rnd)["outcome"], "accepted")
        self.log("A Market model whose name is markup: the pages must show it as text")
        self.model_name = '<img src=x onerror=__x=1><b>&lt;'  # 32 printable bytes
        self.model = node.marketpublish({
            "name": self.model_name, "source": "upload", "spec": {"kind": "logistic", "sizes": [2, 1]},
            "weights": [65536, -32768, 1000], "base_price": "0.001", "target": 2,
            "address": self.addr["bob"]})["model"]
        self.mine()
        self.transfer2 = node.sendtoaddress(self.addr["bob"], Decimal("1.5"))
        self.mine()
        sync_blocks(self.nodes)

    # -- the test --

    def run_test(self):
        self.make_activity()
        self.check_http()
        out = os.environ.get("FML_TEST_OUTPUT")
        if out:
            os.makedirs(out, exist_ok=True)
        self.shots = tempfile.mkdtemp(prefix="fml_explorer_screens_", dir=out or None)
        self.shots_taken = []
        with Browser(self.tmpdir, self.log) as browser:
            self.page = browser.new_page(1280, 900)
            self.check_overview()
            self.check_block()
            self.check_txs()
            self.check_address()
            self.check_validators()
            self.check_fl()
            self.check_arena_market()
            # Node 0 has no address index: its history path answers 404.
            self.check_problems(lambda p: "status of 404" in p and "/history.json" in p)
            self.check_search()
            # The search probes block, tx, task and model paths in turn: its
            # 404s are the answers it reads.
            self.check_problems(lambda p: "status of 404" in p and "/rest/" in p)
        self.log("screenshots (%d) in %s" % (len(self.shots_taken), self.shots))
        self.check_rest_refused()

    def check_problems(self, expected):
        problems = [p for p in self.page.problems() if not expected(p)]
        if problems:
            raise TestFailure("the pages reported errors:\n  " + "\n  ".join(problems))

    def check_http(self):
        self.log("HTTP: the files with their types and headers, bad paths refused")
        st, h, body = self.http("/explorer/")
        assert_equal(st, 200)
        assert_equal(h["content-type"], "text/html; charset=utf-8")
        assert h["content-security-policy"].startswith("default-src 'self'"), h
        assert_equal(h["cache-control"], "no-cache")
        assert_equal(h["x-content-type-options"], "nosniff")
        assert b"explorer.js" in body
        for name, ctype in (("index.html", "text/html; charset=utf-8"),
                            ("explorer.css", "text/css; charset=utf-8"),
                            ("explorer.js", "text/javascript; charset=utf-8"),
                            ("favicon.svg", "image/svg+xml")):
            st, h, body = self.http("/explorer/" + name)
            assert_equal((st, h["content-type"]), (200, ctype))
            src = os.path.join(os.path.dirname(__file__), "..", "..", "explorer", name)
            with open(src, "rb") as f:
                assert_equal(body, f.read(), "%s differs from the source tree" % name)
        st, h, _ = self.http("/explorer")
        assert_equal((st, h.get("location")), (301, "/explorer/"))
        for path, want in (("/explorer/../rest/chaininfo.json", 400), ("/explorer/..", 400),
                           ("/explorer/%2e%2e/%2e%2e/etc/passwd", 400), ("/explorer/%69ndex.html", 400),
                           ("/explorer/./index.html", 400), ("/explorer//index.html", 400),
                           ("/explorer/.index.html", 400), ("/explorer/sub/index.html", 400),
                           ("/explorer/index.html?x=1", 400), ("/explorer/?" + "a" * 3000, 400),
                           ("/explorer/" + "a" * 200, 400), ("/explorer/missing.js", 404),
                           ("/explorer/Index.html", 404), ("/explorerx", 404),
                           ("/explorer/fmld", 404), ("/explorer/explorer_files.c", 404)):
            st, h, body = self.http(path)
            if st != want:
                raise TestFailure("GET %s: %d, expected %d" % (path[:60], st, want))
            if path.startswith("/explorer/"):
                assert_equal(h["content-type"], "text/plain")
                assert len(body) < 100, body
        for method in ("POST", "PUT", "DELETE", "HEAD"):
            st, h, _ = self.http("/explorer/", method)
            assert_equal((st, h.get("allow")), (405, "GET"))
        # The round path the FL page reads.
        r = json.loads(self.http("/rest/fl/round/%s/1.json" % self.task)[2], parse_float=Decimal)
        assert_equal(r, self.nodes[1].flgetround(self.task, 1))
        for path, want in (("/rest/fl/round/%s/0.json" % self.task, 400),
                           ("/rest/fl/round/%s/01.json" % self.task, 400),
                           ("/rest/fl/round/xyz/1.json", 400),
                           ("/rest/fl/round/%s/1.hex" % self.task, 404),
                           ("/rest/fl/round/%s/3.json" % self.task, 404),
                           ("/rest/fl/round/%s/1.json" % ("ab" * 32), 404)):
            assert_equal(self.http(path)[0], want, path)

    def check_overview(self):
        node = self.nodes[1]
        self.log("Overview: height, best block, latest blocks and transactions")
        height = node.getblockcount()
        best = node.getbestblockhash()
        self.open("#/", "document.querySelector('#latest-blocks') !== null", "the overview")
        self.wait_text("[data-k=height]", "{:,}".format(height))
        href = self.page.evaluate("document.querySelector('[data-k=bestblockhash] a').getAttribute('href')")
        assert_equal(href, "#/block/" + best)
        first = self.rows("#latest-blocks")[0]
        assert first.startswith("{:,}".format(height)), first
        assert_equal(len(self.rows("#latest-blocks")), 10)
        txs = " ".join(self.rows("#latest-txs"))
        assert self.transfer2[:10] in txs, txs
        active = sum(1 for v in node.getvalidators() if v["status"] == "active")
        assert self.text("[data-k=validators]").startswith("%d active" % active)
        self.shot("overview")

        self.log("The overview follows a new block without a reload")
        self.page.evaluate("window.__notReloaded = true")
        txid = self.nodes[0].sendtoaddress(self.addr["alice"], 2)
        sync_mempools(self.nodes)
        self.page.wait_for("document.querySelector('#mempool-txs') !== null && "
                           "document.querySelector('#mempool-txs').textContent.includes(%s)"
                           % json.dumps(txid[:10]), timeout=10, what="the transaction in the mempool")
        self.wait_text("[data-k=mempool]", "1 tx")
        self.mine()
        sync_blocks(self.nodes)
        self.wait_text("[data-k=height]", "{:,}".format(height + 1), timeout=15)
        assert_equal(self.page.evaluate("window.__notReloaded === true"), True)
        self.page.wait_for("document.querySelector('#latest-txs').textContent.includes(%s)"
                           % json.dumps(txid[:10]), timeout=10, what="the new transaction")
        self.wait_text("[data-k=mempool]", "0 tx")
        assert self.text("[data-k=bestblockhash]") == node.getbestblockhash()[:8] + "…" + node.getbestblockhash()[-6:]
        self.shot("overview-live")

    def check_block(self):
        node = self.nodes[1]
        self.log("Block: header and transactions")
        h = node.getrawtransaction(self.transfer, True)["blockhash"]
        b = node.getblock(h)
        self.open("#/block/" + h, "document.querySelector('#block-txs, [data-k=hash]') !== null", "a block")
        self.wait_text("[data-k=hash]", h)
        assert_equal(self.text("[data-k=height]"), "{:,}".format(b["height"]))
        assert_equal(self.text("[data-k=nTx]"), str(b["nTx"]))
        rows = self.rows("#block-txs")
        assert_equal(len(rows), b["nTx"])
        for tx, row in zip(b["tx"], rows):
            assert tx[:10] in row, (tx, row)
        assert_equal(self.text("[data-k=proposer]"), b["proposer"])
        self.shot("block")

    def check_txs(self):
        node = self.nodes[1]
        self.log("Transactions: type, amount and decoded payload of each type")
        raw = node.getrawtransaction(self.transfer, True)
        self.open("#/tx/" + self.transfer, "document.querySelector('#payload') !== null", "a transaction")
        assert_equal(self.text("[data-k=txid]"), self.transfer)
        assert_equal(self.text("[data-k=type]"), "transfer")
        assert_equal(self.text('[data-k="payload.amount"]'), fmt_amount(raw["payload"]["amount"]))
        assert_equal(self.text('[data-k="payload.to"]'), raw["payload"]["to"])
        assert_equal(self.text("[data-k=fee]"), fmt_amount(raw["fee"]))
        assert_equal(self.text("[data-k=sender]"), raw["sender"])
        self.shot("tx-transfer")
        for txid, name in ((self.delegation, "tx-delegate"), (self.vote_reveal, "tx-fl-vote-reveal"),
                           (self.task, "tx-fl-task-create")):
            raw = node.getrawtransaction(txid, True)
            self.open("#/tx/" + txid, "document.querySelector('#payload') !== null", name)
            self.wait_text("[data-k=txid]", txid)
            assert_equal(self.text("[data-k=type]"), raw["type"].replace("_", " "))
            for k, v in raw["payload"].items():
                shown = self.text('[data-k="payload.%s"]' % k)
                if isinstance(v, str):
                    assert_equal(shown, v, "%s payload.%s" % (raw["type"], k))
                elif isinstance(v, list) and v and isinstance(v[0], dict):
                    assert_equal(self.page.evaluate(
                        "document.querySelectorAll('[data-k=\"payload.%s\"] tbody tr').length" % k), len(v))
            self.shot(name)

    def check_address(self):
        node = self.nodes[1]
        a = self.addr["alice"]
        self.log("Address: balance, nonce and history")
        acct = node.getaccount(a)
        self.open("#/address/" + a, "document.querySelector('#history, #history-disabled') !== null", "an address")
        assert_equal(self.text("[data-k=address]"), a)
        assert_equal(self.text("[data-k=balance]"), fmt_amount(acct["balance"]))
        assert self.text("[data-k=nonce]").startswith(str(acct["nonce"]))
        if self.addressindex:
            hist = node.getaddresshistory(a)
            assert_equal(self.text("[data-k=history-total]"), "{:,}".format(hist["total"]))
            rows = self.rows("#history")
            assert_equal(len(rows), min(hist["total"], 25))
            for e, row in zip(hist["entries"], rows):
                assert e["txid"][:10] in row and fmt_amount(e["balance"]) in row, (e, row)
        else:
            assert_equal(self.text("#history-disabled"), "address index disabled (-addressindex=1)")
        self.shot("address")
        self.log("Without the index, the address page says so")
        self.open("#/address/" + a, "document.querySelector('#history, #history-disabled') !== null",
                  "an address on node 0", node=0)
        assert_equal(self.text("#history-disabled"), "address index disabled (-addressindex=1)")
        assert_equal(self.text("[data-k=balance]"), fmt_amount(acct["balance"]))
        self.log("A validator's address shows its stake")
        v = [x for x in node.getvalidators() if x["address"] == self.validator][0]
        self.open("#/address/" + self.validator, "document.querySelector('[data-k=stake]') !== null", "a validator")
        self.wait_text("[data-k=address]", self.validator)
        assert_equal(self.text("[data-k=stake]"), fmt_amount(v["total_stake"]))

    def check_validators(self):
        node = self.nodes[1]
        self.log("Validators: stake, commission, schedule share")
        vs = node.getvalidators()
        self.open("#/validators", "document.querySelector('#validators') !== null", "validators")
        rows = self.rows("#validators")
        assert_equal(len(rows), len(vs))
        total = sum(Decimal(str(v["total_stake"])) for v in vs if v["eligible"])
        for v in vs:
            row = [r for r in rows if v["address"][:12] in r]
            assert_equal(len(row), 1)
            assert fmt_amount(v["total_stake"]) in row[0], (v, row)
            if v["eligible"]:
                share = "%.2f %%" % (Decimal(str(v["total_stake"])) / total * 100)
                assert share in row[0], (share, row)
        assert_equal(self.text("[data-k=eligible-stake]"), fmt_amount(total))
        self.shot("validators")

    def check_fl(self):
        node = self.nodes[1]
        self.log("FL: the task list, the task with its rounds, votes and accuracy chart")
        self.open("#/fl", "document.querySelector('#fl-tasks') !== null", "FL tasks")
        assert self.task[:10] in " ".join(self.rows("#fl-tasks"))
        self.shot("fl-tasks")
        t = node.flgettask(self.task)
        self.open("#/fl/" + self.task, "document.querySelector('#fl-rounds') !== null", "an FL task")
        self.page.wait_for("document.querySelector('#accuracy, #no-accuracy') !== null", what="the chart")
        assert_equal(self.text("[data-k=task]"), self.task)
        assert_equal(self.text("[data-k=round]"), "%d of %d" % (t["round"], t["rounds"]))
        rows = self.rows("#fl-rounds")
        assert_equal(len(rows), min(t["round"], t["rounds"]))
        points = self.page.evaluate(
            "Array.from(document.querySelectorAll('#accuracy circle.dot')).map((c) => "
            "[Number(c.getAttribute('data-round')), Number(c.getAttribute('data-value'))])")
        assert_equal(points, [[1, 0.75], [2, 0.875]])
        assert_equal(len(self.rows("#fl-participants")), len(t["participants"]))
        self.shot("fl-task")

    def check_arena_market(self):
        self.log("Arena and Market lists show what the chain has")
        node = self.nodes[1]
        self.open("#/arena", "document.querySelector('h1') !== null && document.querySelector('h1').textContent === 'Arena tasks'", "Arena")
        self.page.wait_for("document.querySelector('main .card') !== null", what="Arena list")
        n = len(node.arenalisttasks())
        if n:
            assert_equal(len(self.rows("#arena-tasks")), n)
        else:
            assert "No Arena task yet." in self.text("main")
        self.shot("arena")
        self.open("#/market", "document.querySelector('#market-models') !== null", "Market")
        models = node.marketlistmodels()
        rows = self.rows("#market-models")
        assert_equal(len(rows), len(models))
        assert self.model_name in rows[0], rows
        assert fmt_amount(models[0]["price"]) in rows[0], (models[0], rows)
        self.shot("market")
        m = node.marketgetmodel(self.model)
        self.open("#/market/" + self.model, "document.querySelector('[data-k=name]') !== null", "a model")
        assert_equal(self.text("[data-k=name]"), self.model_name)
        assert self.text("[data-k=price]").startswith(fmt_amount(m["price"]))
        assert_equal(self.text("[data-k=owner]"), self.addr["bob"])
        self.shot("market-model")
        self.log("Markup from the node stays text")
        assert_equal(self.page.evaluate("document.querySelectorAll('main img, main b').length"), 0)
        assert_equal(self.page.evaluate("typeof window.__x"), "undefined")

    def search(self, q):
        self.page.evaluate("document.getElementById('q').value = %s; "
                           "document.getElementById('search').requestSubmit(); true" % json.dumps(q))

    def check_search(self):
        node = self.nodes[1]
        self.log("Search: height, block hash, txid, address")
        self.open("#/", "document.querySelector('#latest-blocks') !== null", "the overview")
        self.search("3")
        self.page.wait_for("location.hash === %s" % json.dumps("#/block/" + node.getblockhash(3)), what="height search")
        self.wait_text("[data-k=height]", "3")
        h = node.getblockhash(5)
        self.search(h.upper())
        self.page.wait_for("location.hash === %s" % json.dumps("#/block/" + h), what="hash search")
        self.search(self.transfer)
        self.page.wait_for("location.hash === %s" % json.dumps("#/tx/" + self.transfer), what="txid search")
        self.wait_text("[data-k=txid]", self.transfer)
        self.search(self.addr["bob"])
        self.page.wait_for("location.hash === %s" % json.dumps("#/address/" + self.addr["bob"]), what="address search")
        self.wait_text("[data-k=address]", self.addr["bob"])
        self.search("ab" * 32)
        self.page.wait_for("document.body.textContent.includes('is known to this node')", what="nothing found")
        self.search("999999")
        self.page.wait_for("document.querySelector('.error') !== null", what="a height above the tip")
        self.shot("search-not-found")

    def check_rest_refused(self):
        self.log("Without -explorer, /explorer/ is 404 and REST unaffected")
        node = self.add_node(["-rest=1"])
        node.start()
        try:
            for path in ("/explorer/", "/explorer", "/explorer/explorer.js"):
                conn = http.client.HTTPConnection("127.0.0.1", node.rpcport, timeout=30)
                conn.request("GET", path)
                assert_equal(conn.getresponse().status, 404, path)
                conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", node.rpcport, timeout=30)
            conn.request("GET", "/rest/chaininfo.json")
            assert_equal(conn.getresponse().status, 200)
            conn.close()
        finally:
            node.stop()
        self.log("-explorer=1 with -rest=0 does not start")
        datadir = os.path.join(self.tmpdir, "refused")
        os.makedirs(datadir)
        res = subprocess.run([FMLD, "-regtest", "-datadir=" + datadir, "-explorer=1", "-rest=0",
                              "-rpcport=%d" % free_port(), "-port=%d" % free_port(), "-listen=0"], capture_output=True, text=True,
                             timeout=60)
        if res.returncode == 0 or "-explorer=1 needs REST" not in res.stderr + res.stdout:
            raise TestFailure("fmld -explorer=1 -rest=0: status %d, %r" % (res.returncode, res.stderr))


if __name__ == "__main__":
    ExplorerBrowserTest().main()
