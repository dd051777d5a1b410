#!/usr/bin/env python3
"""The read-only REST interface (-rest=1) on one regtest node.

Checked: every REST path answers what the matching RPC method answers
(chaininfo, block in json/hex/bin, headers, tx from a block and from the
mempool, mempool info, block hash by height, account, validators, FL tasks,
Market models); .hex/.bin are the bytes of getblock verbosity 0; bad input
(malformed hashes, non-numeric or huge counts, unknown formats and paths,
path traversal, non-GET methods) gets its 4xx with a text body and the node
keeps running; REST needs no credentials; a node without -rest answers 404
under /rest/ while its JSON-RPC works."""

import http.client
import json
import urllib.error
import urllib.request
from decimal import Decimal

from test_framework.framework import FMLTestFramework, TestFailure, assert_equal


class RESTTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.extra_args = [["-rest=1"], []]

    def setup_network(self):
        # The two nodes stay apart: node 1 only shows REST being off.
        self.start_nodes()

    def get(self, path, node=0, method="GET", host="127.0.0.1", source=None):
        """(status, content type, body bytes) of a request without credentials."""
        conn = http.client.HTTPConnection(host, self.nodes[node].rpcport, timeout=60,
                                          source_address=(source, 0) if source else None)
        try:
            conn.request(method, path)
            r = conn.getresponse()
            return r.status, r.getheader("Content-Type"), r.read()
        finally:
            conn.close()

    def get_with_host(self, path, host_header, node=0):
        """(status, body) of a GET sending host_header as Host (None: no Host)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.nodes[node].rpcport, timeout=60)
        try:
            conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
            if host_header is not None:
                conn.putheader("Host", host_header)
            conn.endheaders()
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def url(self, path, node=0):
        return "http://127.0.0.1:%d%s" % (self.nodes[node].rpcport, path)

    def rest_json(self, path):
        with urllib.request.urlopen(self.url(path), timeout=60) as r:
            assert_equal(r.status, 200)
            assert_equal(r.headers["Content-Type"], "application/json")
            return json.loads(r.read(), parse_float=Decimal)

    def rest_raw(self, path):
        with urllib.request.urlopen(self.url(path), timeout=60) as r:
            assert_equal(r.status, 200)
            return r.headers["Content-Type"], r.read()

    def expect(self, status, path, node=0, method="GET"):
        st, ctype, body = self.get(path, node, method)
        if st != status:
            raise TestFailure("%s %s: HTTP %d (%r), expected %d" % (method, path, st, body, status))
        if status >= 400:
            if ctype is not None and not ctype.startswith("text/plain"):
                raise TestFailure("%s: error body is %s, not text" % (path, ctype))
            if len(body) > 200:
                raise TestFailure("%s: error body too long (%d bytes)" % (path, len(body)))
        return body

    def run_test(self):
        node = self.nodes[0]
        node.generateblocks(3)
        alice = node.getnewaddress("alice")
        txid = node.sendtoaddress(alice, 25)
        node.generateblocks(1)
        tip = node.getbestblockhash()
        tip_height = node.getblockcount()
        pending = node.sendtoaddress(alice, 3)

        self.log("chaininfo, mempool, validators, account match RPC")
        assert_equal(self.rest_json("/rest/chaininfo.json"), node.getblockchaininfo())
        assert_equal(self.rest_json("/rest/mempool/info.json"), node.getmempoolinfo())
        assert_equal(self.rest_json("/rest/mempool/contents.json"), node.getrawmempool(True))
        assert_equal(self.rest_json("/rest/validators.json"), node.getvalidators())
        assert_equal(self.rest_json("/rest/account/%s.json" % alice), node.getaccount(alice))
        assert_equal(self.rest_json("/rest/account/%s.json" % alice)["balance"], 25)

        self.log("blocks in json, hex and bin")
        for h in range(0, tip_height + 1):
            bh = node.getblockhash(h)
            assert_equal(self.rest_json("/rest/blockhashbyheight/%d.json" % h), {"blockhash": bh})
            assert_equal(self.rest_json("/rest/block/%s.json" % bh), node.getblock(bh, 2))
            assert_equal(self.rest_json("/rest/block/notxdetails/%s.json" % bh), node.getblock(bh, 1))
            raw = node.getblock(bh, 0)
            ctype, body = self.rest_raw("/rest/block/%s.hex" % bh)
            assert_equal((ctype, body), ("text/plain", (raw + "\n").encode()))
            ctype, body = self.rest_raw("/rest/block/%s.bin" % bh)
            assert_equal((ctype, body), ("application/octet-stream", bytes.fromhex(raw)))
        ctype, body = self.rest_raw("/rest/blockhashbyheight/%d.hex" % tip_height)
        assert_equal(body, (tip + "\n").encode())

        self.log("headers")
        genesis = node.getblockhash(0)
        all_headers = [node.getblockheader(node.getblockhash(h)) for h in range(tip_height + 1)]
        assert_equal(self.rest_json("/rest/headers/1/%s.json" % genesis), all_headers[:1])
        assert_equal(self.rest_json("/rest/headers/3/%s.json" % genesis), all_headers[:3])
        assert_equal(self.rest_json("/rest/headers/2000/%s.json" % genesis), all_headers)
        assert_equal(self.rest_json("/rest/headers/5/%s.json" % tip), all_headers[-1:])

        self.log("transactions from a block and from the mempool")
        assert_equal(self.rest_json("/rest/tx/%s.json" % txid), node.getrawtransaction(txid, True))
        assert_equal(self.rest_json("/rest/tx/%s.json" % pending),
                     node.getrawtransaction(pending, True))
        ctype, body = self.rest_raw("/rest/tx/%s.hex" % txid)
        assert_equal(body, (node.getrawtransaction(txid) + "\n").encode())
        ctype, body = self.rest_raw("/rest/tx/%s.bin" % pending)
        assert_equal(body, bytes.fromhex(node.getrawtransaction(pending)))

        self.log("FL tasks and Market models")
        assert_equal(self.rest_json("/rest/fl/tasks.json"), node.fllisttasks())
        assert_equal(self.rest_json("/rest/market/models.json"), node.marketlistmodels())
        assert_equal(self.rest_json("/rest/arena/tasks.json"), node.arenalisttasks())
        creator = node.getnewaddress("creator")
        node.sendtoaddress(creator, 200)
        node.generateblocks(1)
        res = node.flcreatetask({
            "address": creator, "model": "logistic", "sizes": [2, 1], "rounds": 2,
            "min_participants": 4, "max_participants": 4, "min_stake": 5, "proposer_slots": 2,
            "join_blocks": 3, "submit_blocks": 103, "update_reveal_blocks": 2, "commit_blocks": 2,
            "reveal_blocks": 2, "aggregator": "fedavg", "slash_bps": 2000,
            "voter_reward_bps": 2000, "budget": 100})
        task = res["task"]
        spec = {"kind": "softmax", "sizes": [4, 3],
                "normalization": [[0, 1], ["0.5", 2], [1, "0.25"], [0, 1]]}
        weights = [(i * 7919) % 65536 - 32768 for i in range(15)]
        model = node.marketpublish({"name": "iris-a", "source": "upload", "spec": spec,
                                    "weights": weights, "base_price": "0.001", "target": 2,
                                    "address": creator})["model"]
        node.generateblocks(1)
        tasks = self.rest_json("/rest/fl/tasks.json")
        assert_equal(tasks, node.fllisttasks())
        assert_equal(len(tasks), 1)
        assert_equal(self.rest_json("/rest/fl/task/%s.json" % task), node.flgettask(task))
        models = self.rest_json("/rest/market/models.json")
        assert_equal(models, node.marketlistmodels())
        assert_equal(len(models), 1)
        assert_equal(self.rest_json("/rest/market/model/%s.json" % model), node.marketgetmodel(model))

        self.log("bad input gets 400/404 with a short text body")
        tip = node.getbestblockhash()
        unknown = "ab" * 32
        bad = [
            (400, "/rest/block/%s.json" % tip[:63]),
            (400, "/rest/block/%s.json" % (tip + "00")),
            (400, "/rest/block/%sg.json" % tip[:63]),
            (404, "/rest/block/%s.json" % unknown),
            (404, "/rest/block/%s.xml" % tip),
            (404, "/rest/block/%s" % tip),
            (404, "/rest/block/%s.JSON" % tip),
            (404, "/rest/chaininfo.hex"),
            (404, "/rest/chaininfo"),
            (400, "/rest/headers/0/%s.json" % tip),
            (400, "/rest/headers/2001/%s.json" % tip),
            (400, "/rest/headers/99999999999999999999/%s.json" % tip),
            (400, "/rest/headers/-1/%s.json" % tip),
            (400, "/rest/headers/abc/%s.json" % tip),
            (400, "/rest/headers/5/nothex.json"),
            (404, "/rest/headers/5/%s.json" % unknown),
            (400, "/rest/tx/%s.json" % ("zz" * 32)),
            (404, "/rest/tx/%s.json" % unknown),
            (400, "/rest/blockhashbyheight/abc.json"),
            (400, "/rest/blockhashbyheight/-1.json"),
            (400, "/rest/blockhashbyheight/99999999999999999999.json"),
            (404, "/rest/blockhashbyheight/%d.json" % (tip_height + 100)),
            (400, "/rest/account/not-an-address.json"),
            (400, "/rest/account/%s.json" % ("q" * 300)),
            (400, "/rest/account/%sx.json" % alice),
            (400, "/rest/fl/task/1234.json"),
            (404, "/rest/fl/task/%s.json" % unknown),
            (404, "/rest/market/model/%s.json" % unknown),
            (404, "/rest/fl/nothing.json"),
            (404, "/rest/nothing.json"),
            (404, "/rest/"),
            (404, "/rest"),
            (400, "/rest/../wallet/x.json"),
            (400, "/rest/block/../chaininfo.json"),
            (400, "/rest/%2e%2e/chaininfo.json"),
            (400, "/rest//chaininfo.json"),
            (400, "/rest/chaininfo.json%00"),
            (400, "/rest/" + "a/" * 300 + "x.json"),
            (400, "/rest/a/b/c/d/e/f/g/h/i.json"),
        ]
        for status, path in bad:
            self.expect(status, path)
        for method in ("POST", "PUT", "DELETE"):
            self.expect(405, "/rest/chaininfo.json", method=method)
        # urllib's own error path, as a client sees it.
        try:
            urllib.request.urlopen(self.url("/rest/block/%s.json" % unknown), timeout=60)
            raise TestFailure("an unknown block answered 200")
        except urllib.error.HTTPError as e:
            assert_equal(e.code, 404)
        # Still alive and answering after all of it.
        assert_equal(self.rest_json("/rest/chaininfo.json")["blocks"], node.getblockcount())

        self.log("REST is off by default: 404 under /rest/, JSON-RPC unaffected")
        other = self.nodes[1]
        for path in ("/rest/chaininfo.json", "/rest/block/%s.json" % other.getbestblockhash(),
                     "/rest/"):
            self.expect(404, path, node=1)
        self.expect(404, "/rest/chaininfo.json", node=1, method="POST")
        assert_equal(other.getblockcount(), 0)
        # JSON-RPC still wants credentials on the REST node.
        assert_equal(self.get("/", method="POST")[0], 401)

        self.log("-rpcallowip and -rpcbind apply to REST as to JSON-RPC")
        assert_equal(self.get("/rest/chaininfo.json", source="127.0.0.2")[0], 403)
        other.stop()
        other.start(["-rest=1", "-rpcbind=127.0.0.1", "-rpcbind=127.0.0.2",
                     "-rpcallowip=127.0.0.3/32"])
        info = other.getblockchaininfo()
        for host, source, status in (("127.0.0.1", None, 200), ("127.0.0.2", "127.0.0.3", 200),
                                     ("127.0.0.2", "127.0.0.4", 403),
                                     ("127.0.0.1", "127.0.0.5", 403)):
            st, _, body = self.get("/rest/chaininfo.json", node=1, host=host, source=source)
            assert_equal(st, status, "REST from %s to %s" % (source, host))
            if status == 200:
                assert_equal(json.loads(body, parse_float=Decimal), info)

        self.log("DNS rebinding: REST, the explorer and /metrics want an IP, localhost or "
                 "an -rpcallowhost name as Host")
        other.stop()
        other.start(["-rest=1", "-explorer=1", "-metrics=1", "-rpcallowhost=MyNode.lan"])
        port = other.rpcport
        for path in ("/rest/chaininfo.json", "/explorer/", "/metrics"):
            for host, status in (("127.0.0.1:%d" % port, 200), ("127.0.0.1", 200),
                                 ("localhost:%d" % port, 200), ("LOCALHOST", 200),
                                 ("[::1]:%d" % port, 200), ("mynode.lan:%d" % port, 200),
                                 (None, 200),
                                 ("attacker.example:%d" % port, 403), ("attacker.example", 403),
                                 ("127.0.0.1.attacker.example", 403), ("localhost.evil", 403),
                                 ("mynode.lan.evil", 403), ("", 403), ("[::1", 403),
                                 ("127.0.0.1:80x", 403), ("a:b:c", 403)):
                st, body = self.get_with_host(path, host, node=1)
                assert_equal(st, status, "%s with Host %r: %r" % (path, host, body[:80]))
                if status == 403:
                    assert b"-rpcallowhost" in body, body
        # JSON-RPC keeps its credentials and is not affected.
        assert_equal(other.getblockcount(), 0)
        if self.get_with_host("/rest/chaininfo.json", "evil.example", node=1)[0] != 403:
            raise TestFailure("Host check gone after requests")

        self.log("/rest/mempool/contents.json lists at most 1000 transactions, then 413")
        main = node.rpc.wallet(node.listwallets()[0])
        wallets = []
        for i in range(16):  # 63 each: within the 64-transaction run limit of a sender
            node.createwallet("pool%d" % i)
            w = node.rpc.wallet("pool%d" % i)
            main.sendtoaddress(w.getnewaddress(), 10)
            wallets.append(w)
        node.generateblocks(1)
        dest = main.getnewaddress()
        for w in wallets:
            for _ in range(63):
                w.sendtoaddress(dest, "0.001")
        size = node.getmempoolinfo()["size"]
        assert size > 1000, size
        st, ctype, body = self.get("/rest/mempool/contents.json")
        assert_equal(st, 413)
        assert ctype.startswith("text/plain"), ctype
        assert b"getrawmempool" in body and (b"%d transactions" % size) in body, body
        assert_equal(len(node.getrawmempool(True)), size)  # the authenticated call still lists it
        assert_equal(self.rest_json("/rest/mempool/info.json")["size"], size)
        node.generateblocks(1)
        left = node.getmempoolinfo()["size"]
        if left <= 1000:
            assert_equal(self.rest_json("/rest/mempool/contents.json"), node.getrawmempool(True))


if __name__ == "__main__":
    RESTTest().main()
