#!/usr/bin/env python3
"""Hostile and unusual JSON-RPC input: malformed JSON, wrong types, unknown
methods, huge bodies, missing or wrong credentials, batches and JSON-RPC 2.0,
deep nesting and invalid UTF-8.  Each gets bitcoind's error code and HTTP
status, nothing changes, and the node keeps serving."""

import base64
import http.client
import json
import socket
import time

from test_framework.framework import (FMLTestFramework, assert_equal, assert_raises_rpc_error,
                                      TestFailure)


class RPCHostileTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.tried = 0

    def expect_error(self, code, message, fn, *args, **kwargs):
        self.tried += 1
        return assert_raises_rpc_error(code, message, fn, *args, **kwargs)

    def raw(self, body, auth=True, method="POST", path="/", headers=None):
        self.tried += 1
        node = self.nodes[0]
        conn = http.client.HTTPConnection("127.0.0.1", node.rpcport, timeout=30)
        hdrs = dict(headers or {})
        if auth:
            hdrs["Authorization"] = node.rpc.auth if auth is True else auth
        conn.request(method, path, body, hdrs)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        parsed = None
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            pass
        return resp.status, parsed

    def run_test(self):
        node = self.nodes[0]
        node.generateblocks(1)
        tip = node.getbestblockhash()

        self.log("Malformed JSON: -32700, HTTP 500")
        status, reply = self.raw(b'{"method": "getblockcount", ')
        assert_equal(status, 500)
        assert_equal(reply["error"]["code"], -32700)

        self.log("A top-level value that is no request: -32700 (as bitcoind)")
        status, reply = self.raw(b'"getblockcount"')
        assert_equal((status, reply["error"]["code"]), (500, -32700))

        self.log("Method not a string, bad params: -32600")
        status, reply = self.raw(json.dumps({"method": 5, "id": 1}))
        assert_equal(reply["error"]["code"], -32600)
        status, reply = self.raw(json.dumps({"method": "getblockcount", "params": 3, "id": 1}))
        assert_equal(reply["error"]["code"], -32600)

        self.log("Unknown method: -32601, HTTP 404")
        status, reply = self.raw(json.dumps({"method": "rm_rf", "params": [], "id": 1}))
        assert_equal((status, reply["error"]["code"]), (404, -32601))

        self.log("Wrong types and values: -3 / -8 / -1")
        self.expect_error(-3, None, node.getblockhash, "1")
        self.expect_error(-8, "non-negative", node.getblockhash, -1)
        self.expect_error(-3, None, node.getblockhash, 1.5)
        self.expect_error(-3, None, node.getblock, 123)
        self.expect_error(-3, None, node.getrawmempool, "yes")
        self.expect_error(-3, None, node.sendtoaddress, node.getnewaddress(), "1e400")
        self.expect_error(-3, None, node.sendtoaddress, node.getnewaddress(), 10 ** 12)
        self.expect_error(-3, None, node.sendtoaddress, node.getnewaddress(), -5)
        self.expect_error(-1, None, node.getblockhash)  # missing argument: usage
        self.expect_error(-1, None, node.getblockcount, 1, 2)
        self.expect_error(-8, "Unknown named parameter", node.call, "getblockhash", heigth=1)

        self.log("Named arguments and JSON-RPC 2.0 replies")
        assert_equal(node.call("getblockhash", height=1), tip)
        status, reply = self.raw(json.dumps({"jsonrpc": "2.0", "method": "getblockcount", "id": "x"}))
        assert_equal((status, reply), (200, {"jsonrpc": "2.0", "result": 1, "id": "x"}))
        status, reply = self.raw(json.dumps({"jsonrpc": "2.0", "method": "nosuch", "id": 7}))
        assert_equal(status, 200)
        assert_equal(reply["error"]["code"], -32601)
        assert "result" not in reply
        status, reply = self.raw(json.dumps({"jsonrpc": "2.0", "method": "getblockcount"}))
        assert_equal((status, reply), (204, None))

        self.log("Batches answer each request in order")
        batch = [{"method": "getblockcount", "id": 1}, {"method": "nosuch", "id": 2},
                 {"method": "getbestblockhash", "id": 3}]
        status, reply = self.raw(json.dumps(batch))
        assert_equal(status, 200)
        assert_equal([r["id"] for r in reply], [1, 2, 3])
        assert_equal(reply[0]["result"], 1)
        assert_equal(reply[1]["error"]["code"], -32601)
        assert_equal(reply[2]["result"], tip)

        self.log("Deep nesting and invalid UTF-8 are parse errors")
        deep = b'{"method":"getblockcount","params":' + b"[" * 100000 + b"]" * 100000 + b"}"
        status, reply = self.raw(deep)
        assert reply is not None and reply["error"]["code"] in (-32700, -32600), reply
        status, reply = self.raw(b'{"method":"getblockcount","id":"\xff\xfe"}')
        assert_equal(reply["error"]["code"], -32700)

        self.log("A body over the limit gets HTTP 413 without being read")
        self.tried += 1
        s = socket.create_connection(("127.0.0.1", node.rpcport), timeout=30)
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: " + node.rpc.auth.encode() +
                  b"\r\nContent-Length: %d\r\n\r\n" % (17 << 20) + b"[" * 65536)
        answer = b""
        while b"\r\n" not in answer:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
        s.close()
        if not answer.startswith(b"HTTP/1.1 413"):
            raise TestFailure("oversized body answered %r" % answer[:40])

        self.log("No credentials or wrong ones: 401 after a delay, method never run")
        count_before = node.getblockcount()
        t0 = time.time()
        status, _ = self.raw(json.dumps({"method": "generateblocks", "params": [1], "id": 1}), auth=False)
        assert_equal(status, 401)
        wrong = "Basic " + base64.b64encode(b"__cookie__:wrong").decode()
        status, _ = self.raw(json.dumps({"method": "generateblocks", "params": [1], "id": 1}), auth=wrong)
        assert_equal(status, 401)
        if time.time() - t0 < 0.4:
            raise TestFailure("401s came back without a delay")
        assert_equal(node.getblockcount(), count_before)

        self.log("GET is refused with 405")
        status, _ = self.raw(None, method="GET")
        assert_equal(status, 405)

        self.log("Garbage on the socket does not hurt the server")
        s = socket.create_connection(("127.0.0.1", node.rpcport))
        s.sendall(b"\x00\x01\x02 NOT HTTP\r\n\r\n" * 100)
        self.tried += 1
        s.close()

        self.log("After all of it the node answers and nothing changed")
        assert_equal(node.getbestblockhash(), tip)
        assert_equal(node.getblockcount(), 1)
        self.log("hostile or unusual requests sent: %d" % self.tried)


if __name__ == "__main__":
    RPCHostileTest().main()
