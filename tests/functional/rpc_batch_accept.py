#!/usr/bin/env python3
"""sendrawtransaction in JSON-RPC batches: the node checks the batch's
signatures on its -par pool before the calls run, then the calls run one by
one in batch order with the answers each gives alone.

One mixed batch: valid transfers, a bad signature (twice), a nonce too high,
a duplicate, a fee below the minimum, a zero amount, bad hex, bytes that do
not decode, a transaction already in a block, named parameters, a
notification, and other methods in between.  Each reply is checked, then the
mempool (exactly the accepted ones), and the debug log's line of the
pre-check (how many signatures it checked and how many passed).  Then four
connections send batches at once, each for its own sender."""

import json
import re
import threading

from test_framework.crypto import address, pubkey, regtest_secret, transfer
from test_framework.framework import FMLTestFramework, TestFailure, assert_equal

COIN = 100000000
FEE = 2000


class BatchAcceptTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        genesis = bytes.fromhex(node.getblockchaininfo()["genesis"])
        keys = [regtest_secret(i) for i in range(4)]
        dest = pubkey(bytes(range(1, 33)))

        self.log("A transfer mined first (its resend answers -27)")
        mined = transfer(keys[0], dest, COIN, 0, FEE, genesis)
        node.sendrawtransaction(mined.hex())
        node.generateblocks(1)
        height = node.getblockcount()

        a = transfer(keys[1], dest, COIN, 0, FEE, genesis)
        b = transfer(keys[1], dest, COIN, 1, FEE, genesis)
        bad = transfer(keys[1], dest, COIN, 2, FEE, genesis)
        bad.sig = bad.sig[:20] + bytes([bad.sig[20] ^ 8]) + bad.sig[21:]
        high = transfer(keys[2], dest, COIN, 5, FEE, genesis)
        cheap = transfer(keys[2], dest, COIN, 0, 10, genesis)
        c = transfer(keys[2], dest, COIN, 0, FEE, genesis)
        d = transfer(keys[1], dest, COIN, 2, FEE, genesis)
        e = transfer(keys[3], dest, COIN, 0, FEE, genesis)
        zero = transfer(keys[3], dest, 0, 1, FEE, genesis)
        f = transfer(keys[3], dest, COIN, 1, FEE, genesis)
        g = transfer(keys[3], dest, COIN, 2, FEE, genesis)  # only in calls that never run

        def call(i, method, params):
            return {"jsonrpc": "2.0", "id": i, "method": method, "params": params}

        def send(i, tx):
            return call(i, "sendrawtransaction", [tx.hex()])

        batch = [
            send(0, a),
            send(1, b),
            send(2, bad),
            send(3, high),
            send(4, a),                                   # duplicate: its txid again
            send(5, cheap),
            send(6, c),
            send(7, bad),                                 # the bad signature again
            call(8, "sendrawtransaction", ["zz"]),
            call(9, "sendrawtransaction", [a.hex()[:-10]]),
            send(10, mined),
            call(11, "getblockcount", []),
            call(12, "sendrawtransaction", {"hexstring": d.hex()}),
            {"jsonrpc": "2.0", "method": "sendrawtransaction", "params": [e.hex()]},
            call(14, "testmempoolaccept", [[bad.hex(), f.hex()]]),
            send(15, zero),
            send(16, f),
            {"version": "1.1", "id": 17, "method": "sendrawtransaction", "params": [high.hex()]},
            # Calls the dispatcher refuses before running them (not pre-checked):
            call(18, "sendrawtransaction", [g.hex(), 1]),                    # too many params
            call(19, "sendrawtransaction", {"hexstring": g.hex(), "maxfeerate": 0}),
            {"jsonrpc": "3.0", "id": 20, "method": "sendrawtransaction", "params": [g.hex()]},
            call(21, "sendrawtransaction", {"args": [g.hex()], "hexstring": g.hex()}),
        ]
        self.log("A mixed batch of %d requests" % len(batch))
        status, replies, raw = node.rpc.post(json.dumps(batch))
        assert_equal(status, 200)
        by_id = {r["id"]: r for r in replies}
        assert_equal(len(replies), len(batch) - 1)  # the notification has none
        assert_equal(sorted(by_id), [i for i in range(22) if i != 13])

        def ok(i, txid):
            assert_equal(by_id[i].get("error"), None)
            assert_equal(by_id[i]["result"], txid)

        def err(i, code, text):
            e = by_id[i]["error"]
            if e is None or e["code"] != code or text not in e["message"]:
                raise TestFailure("reply %d: %r, expected %d %r" % (i, by_id[i], code, text))

        ok(0, a.txid())
        ok(1, b.txid())
        err(2, -26, "bad-txns-sig")
        err(3, -26, "bad-txns-nonce-too-high")
        ok(4, a.txid())
        err(5, -26, "min-fee-not-met")
        ok(6, c.txid())
        err(7, -26, "bad-txns-sig")
        err(8, -8, "hexadecimal")
        err(9, -22, "TX decode failed")
        err(10, -27, "already in block chain")
        assert_equal(by_id[11]["result"], height)
        ok(12, d.txid())
        tma = by_id[14]["result"]
        assert_equal([t["allowed"] for t in tma], [False, True])
        assert_equal(tma[0]["reject-reason"], "bad-txns-sig")
        err(15, -26, "bad-txns-amount")
        ok(16, f.txid())
        # A JSON-RPC 1.1 request in the batch answers in its own shape.
        assert_equal(by_id[17]["result"], None)
        assert_equal(by_id[17]["error"]["code"], -26)
        assert "bad-txns-nonce-too-high" in by_id[17]["error"]["message"]
        err(18, -1, "sendrawtransaction")
        err(19, -8, "Unknown named parameter maxfeerate")
        err(20, -32600, "JSON-RPC version not supported")
        err(21, -8, "specified twice")

        self.log("The mempool holds exactly the accepted ones")
        want = {t.txid() for t in (a, b, c, d, e, f)}
        assert_equal(set(node.getrawmempool()), want)
        assert_equal(node.getblockcount(), height)

        self.log("The pre-check ran once for the batch, before the calls")
        # Decodable sendrawtransaction calls that run: 14 (not "zz" nor the
        # cut one, nor the four the dispatcher refuses); failing: the bad
        # signature twice and the zero amount.
        with open(node.debug_log, errors="replace") as log:
            lines = re.findall(r"batch pre-check: (\d+) signatures on (\d+) threads, (\d+) passed",
                               log.read())
        assert_equal([(n, p) for n, _, p in lines], [("14", "11")])

        self.log("Four connections at once, batches of 6, each its own sender")
        next_nonce = [1, 3, 1, 2]
        failures = []

        def worker(k):
            try:
                proxy = node.new_rpc()
                for round_ in range(2):
                    txs = [transfer(keys[k], dest, COIN, next_nonce[k] + 6 * round_ + j, FEE,
                                    genesis) for j in range(6)]
                    st, rep, _ = proxy.post(json.dumps([send(j, t) for j, t in enumerate(txs)]))
                    if st != 200 or [r.get("result") for r in rep] != [t.txid() for t in txs]:
                        failures.append((k, round_, rep))
                        return
            except Exception as exc:  # noqa: BLE001 (reported below)
                failures.append((k, repr(exc)))

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if failures:
            raise TestFailure("concurrent batches: %r" % (failures[0],))
        assert_equal(len(node.getrawmempool()), 6 + 4 * 12)
        for k in range(4):
            acct = node.getaccount(address("rfml", pubkey(keys[k])))
            assert_equal(acct["nonce"], 1 if k == 0 else 0)

        self.log("The pool's transactions go into a block")
        node.generateblocks(1)
        assert_equal(len(node.getrawmempool()), 0)


if __name__ == "__main__":
    BatchAcceptTest().main()
