#!/usr/bin/env python3
"""Who may use the JSON-RPC server, and what hostile clients can do to it.

Requests without credentials or with wrong ones get 401 after a delay and
never run their method (generateblocks, sendtoaddress, encryptwallet and stop
are tried; the chain, the balance, the wallet and the node stay as they
were, and the log shows no call).  The cookie has mode 0600, is new at every
start and is removed at a clean stop (stop or SIGTERM).  The server listens
on 127.0.0.1 only, unless both -rpcbind and -rpcallowip are given; clients
from other addresses get 403 even with the right credentials.  Huge arrays and
batches, out-of-range numbers, bad amounts, NUL bytes and wrong types get
their JSON-RPC error codes and change nothing.  Two hundred slow clients
holding partial requests do not stop the server answering others.  Each
part prints how many hostile inputs it tried."""

import base64
import http.client
import json
import os
import re
import signal
import socket
import stat
import threading
import time

from test_framework.framework import (FMLTestFramework, TIMEOUT_FACTOR, assert_equal,
                                      assert_raises_rpc_error, TestFailure)
from test_framework.rpc import cookie_auth

AUTH_DELAY = 0.2   # the server waits 250 ms before a 401
SLOW_CLIENTS = 200
BATCH = 10000


def listening_addresses(port):
    """The local addresses with a TCP socket listening on port (from /proc)."""
    found = set()
    for path, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        if not os.path.exists(path):
            continue
        with open(path) as f:
            next(f)
            for line in f:
                fields = line.split()
                addr, p = fields[1].split(":")
                if fields[3] != "0A" or int(p, 16) != port:
                    continue
                raw = bytes.fromhex(addr)
                # /proc prints each 32-bit word in host (little-endian) order.
                raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                fam = socket.AF_INET if width == 8 else socket.AF_INET6
                found.add(socket.inet_ntop(fam, raw))
    return found


class RPCAccessTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.tried = {}

    def count(self, area, n=1):
        self.tried[area] = self.tried.get(area, 0) + n

    def request(self, node, body, auth=True, source=None, headers=None, path="/"):
        """One POST on a new connection; (status, headers, parsed body, seconds)."""
        conn = http.client.HTTPConnection("127.0.0.1", node.rpcport, timeout=60 * TIMEOUT_FACTOR,
                                          source_address=(source, 0) if source else None)
        hdrs = dict(headers or {})
        if auth is True:
            hdrs["Authorization"] = node.rpc.auth
        elif auth is not None:
            hdrs["Authorization"] = auth
        t0 = time.time()
        conn.request("POST", path, body, hdrs)
        resp = conn.getresponse()
        data = resp.read()
        took = time.time() - t0
        conn.close()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return resp.status, resp.headers, parsed, took

    def method_calls_logged(self, node, method):
        with open(node.debug_log, errors="replace") as f:
            return len(re.findall(r"ThreadRPCServer method=%s\b" % method, f.read()))

    def run_test(self):
        self.credentials()
        self.cookie()
        self.binding()
        self.hostile_input()
        self.slow_clients()
        total = sum(self.tried.values())
        self.log("hostile inputs tried: %s; total %d" %
                 (", ".join("%s %d" % kv for kv in self.tried.items()), total))

    # ---- credentials ----

    def credentials(self):
        node = self.nodes[0]
        node.generateblocks(2)
        wallet_addr = node.getnewaddress()
        height = node.getblockcount()
        balance = node.getbalance()
        encrypted_before = "unlocked_until" in node.getwalletinfo()
        user, password = cookie_auth(os.path.join(node.netdir, ".cookie"))

        def basic(text):
            return "Basic " + base64.b64encode(text.encode() if isinstance(text, str) else text).decode()

        bad_auths = [
            None,                                           # no header at all
            "",                                             # empty header
            "Basic",                                        # no credentials
            "Basic ",                                       # empty credentials
            "Basic !!!not-base64!!!",                       # undecodable
            basic("%s:" % user),                            # empty password
            basic("%s:wrong" % user),                       # wrong password
            basic("%s:%s" % (user, password[:-1])),         # one character short
            basic("%s:%s0" % (user, password)),             # one character more
            basic("%s:%s" % (user, password.upper())),      # wrong case
            basic("root:%s" % password),                    # wrong user
            basic(password),                                # no colon
            basic("%s:%s\x00" % (user, password)),          # trailing NUL
            "Bearer " + password,                           # another scheme
            "Digest username=\"%s\"" % user,                # another scheme
            "basic " + node.rpc.auth.split()[1],            # lower-case scheme
            "Basic " + "A" * 8192,                          # overlong
        ]
        calls = [
            {"method": "generateblocks", "params": [1], "id": 1},
            {"method": "sendtoaddress", "params": [wallet_addr, 1], "id": 2},
            {"method": "encryptwallet", "params": ["attacker passphrase"], "id": 3},
            {"method": "stop", "params": [], "id": 4},
        ]
        logged_before = {c["method"]: self.method_calls_logged(node, c["method"]) for c in calls}

        self.log("%d kinds of missing or wrong credentials, each on %d methods with side effects: "
                 "401 after a delay" % (len(bad_auths), len(calls)))
        failures = []
        lock = threading.Lock()

        def attempt(auth, call):
            try:
                status, headers, parsed, took = self.request(node, json.dumps(call), auth=auth)
            except (OSError, http.client.HTTPException) as e:
                # An overlong header may be refused by closing the connection.
                if auth and len(auth) > 4096:
                    return
                with lock:
                    failures.append("%r: %s" % (auth, e))
                return
            problem = None
            if auth and len(auth) > 4096 and status in (400, 431):
                return  # refused before it was looked at
            if status != 401:
                problem = "status %d" % status
            elif took < AUTH_DELAY:
                problem = "answered after %.3fs, without the delay" % took
            elif "Basic" not in (headers.get("WWW-Authenticate") or ""):
                problem = "no WWW-Authenticate header"
            elif parsed is not None:
                problem = "a JSON body %r" % parsed
            if problem:
                with lock:
                    failures.append("%r on %s: %s" % (auth, call["method"], problem))

        threads = []
        for auth in bad_auths:
            for call in calls:
                threads.append(threading.Thread(target=attempt, args=(auth, call)))
                self.count("credentials")
        # Four at a time: the delay must hold for every one of them.
        for i in range(0, len(threads), 4):
            for t in threads[i:i + 4]:
                t.start()
            for t in threads[i:i + 4]:
                t.join()
        if failures:
            raise TestFailure("bad credentials were not refused properly:\n  " + "\n  ".join(failures))

        self.log("None of those methods ran: same height, balance and wallet, node up, no call logged")
        assert_equal(node.getblockcount(), height)
        assert_equal(node.getbalance(), balance)
        assert_equal("unlocked_until" in node.getwalletinfo(), encrypted_before)
        for c in calls:
            assert_equal(self.method_calls_logged(node, c["method"]), logged_before[c["method"]])
        with open(node.debug_log, errors="replace") as f:
            log = f.read()
        if "incorrect password attempt from 127.0.0.1" not in log:
            raise TestFailure("wrong passwords were not logged")

        self.log("The right credentials still work at once")
        status, _, parsed, took = self.request(node, json.dumps({"method": "getblockcount", "id": 1}))
        assert_equal((status, parsed["result"]), (200, height))

    # ---- cookie ----

    def cookie(self):
        node = self.nodes[0]
        path = os.path.join(node.netdir, ".cookie")
        self.log("The cookie is a new random secret with mode 0600")
        st = os.stat(path)
        assert_equal(oct(stat.S_IMODE(st.st_mode)), oct(0o600))
        with open(path) as f:
            text = f.read()
        if not re.fullmatch(r"__cookie__:[0-9a-f]{64}", text):
            raise TestFailure("cookie %r is not __cookie__:<64 hex digits>" % text)
        old_auth = node.rpc.auth
        if [n for n in os.listdir(node.netdir) if n.startswith(".cookie") and n != ".cookie"]:
            raise TestFailure("a temporary cookie file was left behind")

        self.log("A clean stop removes the cookie")
        node.stop()
        if os.path.exists(path):
            raise TestFailure("the cookie outlived a clean stop")

        self.log("A restart writes another cookie; the old one is refused")
        node.start()
        with open(path) as f:
            if f.read() == text:
                raise TestFailure("the cookie did not change across a restart")
        assert_equal(oct(stat.S_IMODE(os.stat(path).st_mode)), oct(0o600))
        status, _, _, took = self.request(node, json.dumps({"method": "generateblocks", "params": [1]}),
                                          auth=old_auth)
        self.count("credentials")
        assert_equal(status, 401)
        assert_equal(node.getblockcount(), 2)

        self.log("SIGTERM is a clean stop too: the cookie goes")
        node.process.send_signal(signal.SIGTERM)
        assert_equal(node.process.wait(timeout=60 * TIMEOUT_FACTOR), 0)
        node._closed()
        node.check_log()
        if os.path.exists(path):
            raise TestFailure("the cookie outlived SIGTERM")
        node.start()

    # ---- binding and allowed addresses ----

    def binding(self):
        node = self.nodes[1]
        gen = json.dumps({"method": "generateblocks", "params": [1], "id": 1})

        self.log("By default the server listens on 127.0.0.1 only")
        assert_equal(listening_addresses(node.rpcport), {"127.0.0.1"})

        self.log("-rpcbind without -rpcallowip is ignored, with a warning")
        node.stop()
        node.start(["-rpcbind=127.0.0.2"])
        assert_equal(listening_addresses(node.rpcport), {"127.0.0.1"})
        self.assert_logged(node, "option -rpcbind was ignored because -rpcallowip was not specified")

        self.log("-rpcallowip without -rpcbind keeps 127.0.0.1; other clients get 403 before "
                 "their credentials are looked at (as with -rpcallowip=10.0.0.0/8)")
        node.stop()
        node.start(["-rpcallowip=10.0.0.0/8"])
        assert_equal(listening_addresses(node.rpcport), {"127.0.0.1"})
        self.assert_logged(node, "option -rpcallowip was specified without -rpcbind")
        height = node.getblockcount()
        for source in ("127.0.0.5", "127.0.0.2", "127.1.2.3"):
            for auth in (True, None):
                status, _, parsed, took = self.request(node, gen, auth=auth, source=source)
                self.count("addresses")
                if status != 403 or parsed is not None:
                    raise TestFailure("a request from %s answered %d %r" % (source, status, parsed))
                if took >= AUTH_DELAY * 2 and auth is None:
                    raise TestFailure("the 403 waited for credentials (%.3fs)" % took)
        assert_equal(node.getblockcount(), height)
        self.assert_logged(node, "HTTP request from 127.0.0.5")
        status, _, parsed, _ = self.request(node, json.dumps({"method": "getblockcount", "id": 1}),
                                            source="127.0.0.1")
        assert_equal((status, parsed["result"]), (200, height))

        self.log("With both, the server listens where -rpcbind says and admits the "
                 "-rpcallowip subnets and 127.0.0.1")
        node.stop()
        node.start(["-rpcbind=127.0.0.1", "-rpcbind=127.0.0.2", "-rpcallowip=127.0.0.3/32"])
        assert_equal(listening_addresses(node.rpcport), {"127.0.0.1", "127.0.0.2"})
        call = json.dumps({"method": "getblockcount", "id": 1})
        for source in ("127.0.0.1", "127.0.0.3"):
            status, _, parsed, _ = self.request(node, call, source=source)
            assert_equal((status, parsed["result"]), (200, height))
        status, _, _, _ = self.request(node, gen, source="127.0.0.4")
        self.count("addresses")
        assert_equal(status, 403)
        conn = http.client.HTTPConnection("127.0.0.2", node.rpcport, timeout=30,
                                          source_address=("127.0.0.3", 0))
        conn.request("POST", "/", call, {"Authorization": node.rpc.auth})
        resp = conn.getresponse()
        assert_equal((resp.status, json.loads(resp.read())["result"]), (200, height))
        conn.close()
        assert_equal(node.getblockcount(), height)

        self.log("An -rpcallowip that is no subnet stops the start with a message")
        node.stop()
        node.start(["-rpcbind=127.0.0.1", "-rpcallowip=10.0.0.0/33"], wait=False)
        self.count("addresses")
        node.process.wait(timeout=60 * TIMEOUT_FACTOR)
        node.process_status = node.process.returncode
        status = node.process.returncode
        err = node.read_stderr()
        node._closed()
        if status == 0 or "Invalid -rpcallowip subnet specification: 10.0.0.0/33" not in err:
            raise TestFailure("a bad -rpcallowip gave status %s: %r" % (status, err[-300:]))
        node.start()

    def assert_logged(self, node, text):
        with open(node.debug_log, errors="replace") as f:
            if text not in f.read():
                raise TestFailure("debug.log of node %d lacks %r" % (node.index, text))

    # ---- hostile input ----

    def hostile_input(self):
        node = self.nodes[0]
        addr = node.getnewaddress()
        tip, height, balance = node.getbestblockhash(), node.getblockcount(), node.getbalance()

        def expect(body, code, status=None, what=""):
            st, _, parsed, _ = self.request(node, body)
            self.count("input")
            if parsed is None or not isinstance(parsed, (dict, list)):
                raise TestFailure("%s: no JSON reply (HTTP %d)" % (what, st))
            err = parsed["error"] if isinstance(parsed, dict) else None
            if err is None or err.get("code") != code:
                raise TestFailure("%s: expected error %d, got HTTP %d %.300r" % (what, code, st, parsed))
            if status is not None and st != status:
                raise TestFailure("%s: expected HTTP %d, got %d" % (what, status, st))

        def call(method, params):
            return json.dumps({"method": method, "params": params, "id": 1})

        self.log("Huge arrays: a million parameters, a million-element argument, big batches")
        expect(call("getblockcount", [0] * 1000000), -1, 500, "a million parameters")
        expect(call("getblockhash", [[0] * 1000000]), -3, 500, "a million-element argument")
        expect(call("sendtoaddress", [addr, [1] * 100000]), -3, 500, "an array as amount")
        st, _, parsed, _ = self.request(node, json.dumps([{"method": "getblockcount", "id": i}
                                                          for i in range(BATCH)]))
        self.count("input")
        assert_equal(st, 200)
        assert_equal(len(parsed), BATCH)
        if any(r.get("result") != height or r.get("id") != i for i, r in enumerate(parsed)):
            raise TestFailure("a large batch was not answered request by request")
        st, _, parsed, _ = self.request(node, b"[" + b"1," * (BATCH - 1) + b"1]")
        self.count("input")
        if st != 200 or len(parsed) != BATCH or any(r["error"]["code"] != -32600 for r in parsed):
            raise TestFailure("a batch of numbers answered %d %.300r" % (st, parsed))

        self.log("Deep nesting inside an argument and inside the batch")
        expect(call("getblockhash", json.loads("[" * 500 + "]" * 500)), -3, 500, "nested argument")
        for depth in (1000, 100000):
            st, _, parsed, _ = self.request(node, b"[" * depth + b"]" * depth)
            self.count("input")
            if parsed is None or (isinstance(parsed, dict) and parsed["error"]["code"] not in (-32700, -32600)):
                raise TestFailure("nesting %d answered %d %r" % (depth, st, parsed))

        self.log("Numbers out of range: heights beyond 64 bits, non-finite numbers")
        for h in (2 ** 63, 2 ** 64, -2 ** 63 - 1, 10 ** 30):
            st, _, parsed, _ = self.request(node, '{"method":"getblockhash","params":[%d],"id":1}' % h)
            self.count("input")
            if parsed is None or parsed.get("error") is None or parsed["error"]["code"] not in (-32700, -8, -3):
                raise TestFailure("height %d answered %d %r" % (h, st, parsed))
        for lit in ("NaN", "Infinity", "-Infinity", "1e999", "0x10"):
            expect('{"method":"getblockhash","params":[%s],"id":1}' % lit, -32700, 500, lit)
        expect(call("getblockhash", [height + 1]), -8, 500, "a height above the tip")

        self.log("Amounts: negative, zero, too many decimals, overflowing, not numbers")
        bad_amounts = [-1, -0.00000001, "-1", 0.000000001, "0.000000001", "1e-9", 21e9, 2 ** 64,
                       "18446744073709551616", "1e400", 1e300, "NaN", "inf", "", " 1", "1 ",
                       "1,5", "0x10", True, None, {}, []]
        for amount in bad_amounts:
            st, _, parsed, _ = self.request(node, call("sendtoaddress", [addr, amount]))
            self.count("input")
            code = parsed["error"]["code"] if parsed and parsed.get("error") else None
            # An integer beyond 64 bits does not parse as JSON here at all.
            if code != (-32700 if isinstance(amount, int) and amount >= 2 ** 64 else -3):
                raise TestFailure("amount %r answered %d %r" % (amount, st, parsed))
        # The node's internal form of an exact amount (a key starting with a
        # NUL) cannot be forged: JSON text with a NUL does not parse.
        expect(call("sendtoaddress", [addr, {"\u0000fml:amount": "100000"}]), -32700, 500,
               "a forged internal amount")
        for amount in ("1e400", 10 ** 12, -5, "-0.1"):
            assert_raises_rpc_error(-3, None, node.settxfee, amount)
            self.count("input")
        st, _, parsed, _ = self.request(node, call("sendtoaddress", [addr, 0]))
        self.count("input")
        if not parsed or parsed.get("error") is None:
            raise TestFailure("sending 0 FML was accepted: %r" % parsed)

        self.log("Wrong types for every kind of argument")
        wrong = [
            ("getblockhash", ["1"]), ("getblockhash", [True]), ("getblockhash", [None]),
            ("getblockhash", [{}]), ("getblock", [1]), ("getblock", [["x"]]),
            ("getblock", [tip, "2"]), ("getrawmempool", [1]), ("sendtoaddress", [1, 1]),
            ("sendtoaddress", [[addr], 1]), ("sendtoaddress", [{"a": addr}, 1]),
            ("getnewaddress", [5]), ("setlabel", [addr, 7]), ("walletpassphrase", [1, 1]),
            ("walletpassphrase", ["x", "60"]), ("keypoolrefill", ["100"]), ("keypoolrefill", [-1]),
            ("decoderawtransaction", [12]), ("decoderawtransaction", ["zz"]),
            ("sendrawtransaction", [["00"]]), ("getblockheader", [None]),
        ]
        for method, params in wrong:
            st, _, parsed, _ = self.request(node, call(method, params))
            self.count("input")
            code = parsed["error"]["code"] if parsed and parsed.get("error") else None
            if code not in (-1, -3, -5, -8, -22):
                raise TestFailure("%s%r answered %d %r" % (method, params, st, parsed))

        self.log("NUL bytes, long names, control characters")
        expect(json.dumps({"method": "getblockcount\u0000stop", "id": 1}), -32700, 500, "NUL in method")
        expect(json.dumps({"method": "x" * 1000000, "id": 1}), -32601, 404, "a long method name")
        expect(json.dumps({"method": "\u001b[2J\r\nFAKE LOG LINE", "id": 1}), -32601, 404, "control characters")
        expect(call("getblock", ["00" * 16 + "\u0000" + "00" * 15]), -32700, 500, "NUL in a hash")
        expect(call("getnewaddress", ["\u0000"]), -32700, 500, "NUL in a label")
        st, _, parsed, _ = self.request(node, call("getblockcount", []), path="/wallet/..%2F..%2Fetc")
        self.count("input")
        if st == 200 and parsed and parsed.get("result") is not None and parsed.get("error") is None:
            pass  # a node method does not care about the wallet path
        st, _, parsed, _ = self.request(node, call("getbalance", []), path="/wallet/..%2F..%2Fetc")
        self.count("input")
        if not parsed or parsed.get("error") is None:
            raise TestFailure("a wallet path with ../ was accepted: %r" % parsed)
        with open(node.debug_log, errors="replace") as f:
            if any(line.startswith("FAKE LOG LINE") for line in f):
                raise TestFailure("a method name forged a line of debug.log")

        self.log("Headers: a huge header block and a Content-Length that lies")
        s = socket.create_connection(("127.0.0.1", node.rpcport), timeout=30)
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 100000 + b"\r\n\r\n")
        answer = self.read_answer(s)
        self.count("input")
        if answer and not re.match(rb"HTTP/1\.[01] (400|413|431)", answer):
            raise TestFailure("a 100 kB header answered %r" % answer[:40])
        for length in (b"-1", b"99999999999999999999", b"abc", b"10, 20"):
            s = socket.create_connection(("127.0.0.1", node.rpcport), timeout=30)
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: " + node.rpc.auth.encode() +
                      b"\r\nContent-Length: " + length + b"\r\n\r\n{}")
            answer = self.read_answer(s)
            self.count("input")
            if answer.startswith(b"HTTP/1.1 200"):
                raise TestFailure("Content-Length %r was accepted: %r" % (length, answer[:80]))

        self.log("Nothing changed: same chain, same balance")
        assert_equal((node.getbestblockhash(), node.getblockcount(), node.getbalance()),
                     (tip, height, balance))

    def read_answer(self, s):
        answer = b""
        try:
            while b"\r\n" not in answer:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except OSError:
            pass
        s.close()
        return answer

    # ---- slow clients ----

    def slow_clients(self):
        node = self.nodes[0]
        self.log("%d slow clients hold partial requests; others are still answered" % SLOW_CLIENTS)
        socks = []
        stop = threading.Event()
        try:
            for i in range(SLOW_CLIENTS):
                s = socket.create_connection(("127.0.0.1", node.rpcport), timeout=10)
                kind = i % 4
                if kind == 0:
                    s.sendall(b"PO")                                   # a request line, cut
                elif kind == 1:
                    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")      # headers, never ended
                elif kind == 2:
                    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: " +
                              node.rpc.auth.encode() + b"\r\nContent-Length: 100000\r\n\r\n{\"me")
                # kind 3: connected, says nothing
                socks.append(s)
                self.count("slow clients")

            def trickle():
                while not stop.wait(0.5):
                    for s in socks[1::4]:
                        try:
                            s.send(b"X-Slow: y\r\n")
                        except OSError:
                            pass
            t = threading.Thread(target=trickle)
            t.start()
            try:
                for i in range(20):
                    t0 = time.time()
                    status, _, parsed, _ = self.request(node, json.dumps({"method": "getblockcount", "id": i}))
                    took = time.time() - t0
                    assert_equal(status, 200)
                    if took > 5 * TIMEOUT_FACTOR:
                        raise TestFailure("an honest call took %.1fs among slow clients" % took)
                assert_equal(node.getblockcount(), 2)
            finally:
                stop.set()
                t.join()
        finally:
            for s in socks:
                s.close()
        assert_equal(node.getblockcount(), 2)


if __name__ == "__main__":
    RPCAccessTest().main()
