#!/usr/bin/env python3
"""The address index (-addressindex=1) on one regtest node.

Checked for every address touched (the four genesis validators, a payee, a
new validator, a delegator): the sum of balance_change over its history is
its getaccount balance, each entry's balance is the running sum (oldest
first), the sum of stake_change is its self-stake plus delegations, each
entry names a block of the active chain (and the transaction at the given
position of it), and the entries come newest first.  Transfers in and out,
register/stake/unbond, delegate/undelegate (rewards claimed), unbonding
returns and block rewards each make their entry.  Paging (skip, count,
bounds), bad input, REST equal to RPC; invalidateblock removes the entries
of the blocks it disconnects and reconsiderblock brings them back; without
-addressindex the RPC and REST say the index is disabled, and turning it on
again rebuilds it (the blocks made meanwhile included).  Finally a second
node reports a double proposal: the slashed validator's entry shows its
self-stake cut, the reporter's its bounty."""

import http.client
import json
from decimal import Decimal

from test_framework.crypto import address, pubkey, regtest_secret
from test_framework.framework import (FMLTestFramework, TestFailure, assert_equal,
                                      assert_raises_rpc_error, connect_nodes, sync_blocks,
                                      wait_until)

COIN = 100000000


def units(x):
    return int(Decimal(x) * COIN)


class AddressIndexTest(FMLTestFramework):
    def set_test_params(self):
        # Node 1 (validator 1 only) joins at the end to report a double
        # proposal of one of node 0's keys.
        self.num_nodes = 2
        self.extra_args = [["-addressindex=1", "-rest=1"], ["-regtestvalidator=1"]]

    def setup_network(self):
        self.nodes[0].start()

    def rest(self, path):
        conn = http.client.HTTPConnection("127.0.0.1", self.nodes[0].rpcport, timeout=60)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def history(self, addr):
        """The whole history, newest first, fetched in pages of 7."""
        node = self.nodes[0]
        out, skip = [], 0
        while True:
            page = node.getaddresshistory(addr, skip, 7)
            assert_equal((page["address"], page["skip"]), (addr, skip))
            assert_equal(page["count"], len(page["entries"]))
            out += page["entries"]
            skip += 7
            if skip >= page["total"]:
                assert_equal(len(out), page["total"])
                return out

    def check(self, addr, stake=None):
        """The sums and running balances of addr's history against the state."""
        node = self.nodes[0]
        hist = self.history(addr)
        if not hist:
            raise TestFailure("no history for %s" % addr)
        running = 0
        stake_sum = 0
        for e in reversed(hist):
            running += units(e["balance_change"])
            stake_sum += units(e["stake_change"])
            if units(e["balance"]) != running:
                raise TestFailure("%s at height %d: balance %s, running sum %s" %
                                  (addr, e["height"], e["balance"], Decimal(running) / COIN))
            assert_equal(node.getblockhash(e["height"]), e["blockhash"])
            assert_equal(node.getblockheader(e["blockhash"])["time"], e["time"])
            if e["txid"] is None:
                assert_equal((e["index"], e["type"]), (None, "block"))
            else:
                blk = node.getblock(e["blockhash"], 2)
                tx = blk["tx"][e["index"]]
                assert_equal(tx["txid"], e["txid"])
                assert_equal(tx["type"], e["type"])
        heights = [e["height"] for e in hist]
        assert_equal(heights, sorted(heights, reverse=True))
        assert_equal(running, units(node.getaccount(addr)["balance"]))
        if stake is not None:
            assert_equal(stake_sum, units(stake))
        return hist

    def check_all(self, extra=()):
        node = self.nodes[0]
        for a in self.validators + list(extra):
            v = None
            try:
                v = node.getvalidator(a)
            except Exception:
                pass
            own = Decimal(v["self_stake"]) if v else Decimal(0)
            dels = sum((Decimal(d["amount"]) for d in node.getdelegations(a)), Decimal(0))
            # Delegations are journaled at the amounts moved; rewards change
            # none of them, so the sum is exact while no slash happened.
            self.check(a, own + dels)

    def run_test(self):
        node = self.nodes[0]
        self.validators = [address("rfml", pubkey(regtest_secret(i))) for i in range(4)]
        v0 = self.validators[0]
        node.generateblocks(2)

        self.log("Genesis allocation and block rewards are in the validators' histories")
        h0 = self.check(v0)
        assert_equal(h0[-1]["height"], 0)
        assert any(e["height"] > 0 and e["type"] == "block" and units(e["balance_change"]) > 0
                   for e in h0), "no reward entry"
        self.check_all()

        self.log("Transfers in and out")
        alice = node.getnewaddress("alice")
        bob = node.getnewaddress("bob")
        t1 = node.sendtoaddress(alice, 100)
        node.generateblocks(1)
        ha = self.check(alice)
        assert_equal((len(ha), ha[0]["txid"], ha[0]["type"], units(ha[0]["balance_change"])),
                     (1, t1, "transfer", units(100)))
        t2 = node.sendtoaddress(bob, 30)
        node.generateblocks(1)
        hb = self.check(bob)
        assert_equal(hb[0]["txid"], t2)

        self.log("Register, stake, unbond; delegate, undelegate; unbonding returns")
        new = node.getnewaddress("newval")
        node.sendtoaddress(new, 60000)
        node.generateblocks(1)
        reg = node.registervalidator(new, 50000, 700)
        node.generateblocks(1)
        hn = self.check(new, 50000)
        assert_equal((hn[0]["txid"], hn[0]["type"]), (reg, "validator_register"))
        assert_equal(units(hn[0]["stake_change"]), units(50000))
        assert units(hn[0]["balance_change"]) < -units(50000)  # stake and fee
        node.stake(new, 500)
        node.generateblocks(1)
        node.unbond(new, 600)
        node.generateblocks(1)
        hn = self.check(new, 49900)
        ub = [e for e in hn if e["type"] == "unbond"]
        assert_equal((len(ub), units(ub[0]["stake_change"])), (1, -units(600)))
        d = node.getnewaddress("delegator")
        node.sendtoaddress(d, 1200)
        node.generateblocks(1)
        node.delegate(v0, 1000, d)
        node.generateblocks(1)
        hd = self.check(d, 1000)
        dl = [e for e in hd if e["type"] == "delegate"]
        assert_equal((len(dl), units(dl[0]["stake_change"])), (1, units(1000)))
        node.generateblocks(3)
        node.undelegate(v0, "all", d)
        node.generateblocks(1)
        hd = self.check(d, 0)
        ud = [e for e in hd if e["type"] == "undelegate"]
        assert_equal((len(ud), units(ud[0]["stake_change"])), (1, -units(1000)))
        node.generateblocks(11)
        hd = self.check(d, 0)
        ret = [e for e in hd if e["type"] == "block" and units(e["balance_change"]) == units(1000)]
        if not ret:
            raise TestFailure("the unbonded 1000 FML came back without an entry: %r" % hd[:3])
        hn = self.check(new, 49900)
        assert any(e["type"] == "block" and units(e["balance_change"]) >= units(600) for e in hn)
        self.check_all([alice, bob, new, d])

        self.log("Paging and bad input")
        full = node.getaddresshistory(v0, 0, 1000)
        total = full["total"]
        assert total > 10, total
        assert_equal(node.getaddresshistory(v0)["count"], min(total, 100))
        assert_equal(node.getaddresshistory(v0, 3, 4)["entries"], full["entries"][3:7])
        assert_equal(node.getaddresshistory(v0, total - 2, 10)["entries"], full["entries"][-2:])
        past = node.getaddresshistory(v0, total + 5, 10)
        assert_equal((past["total"], past["count"], past["entries"]), (total, 0, []))
        assert_raises_rpc_error(-8, "count", node.getaddresshistory, v0, 0, 0)
        assert_raises_rpc_error(-8, "count", node.getaddresshistory, v0, 0, 1001)
        assert_raises_rpc_error(-8, "skip", node.getaddresshistory, v0, -1, 10)
        assert_raises_rpc_error(-5, "Invalid address", node.getaddresshistory, "rfml1qqqq")
        unknown = address("rfml", pubkey(regtest_secret(77)))
        assert_equal(node.getaddresshistory(unknown),
                     {"address": unknown, "total": 0, "skip": 0, "count": 0, "entries": []})
        assert_equal([e["blockhash"] for e in
                      json.loads(node.cli("getaddresshistory", v0, 1, 2))["entries"]],
                     [e["blockhash"] for e in full["entries"][1:3]])

        self.log("REST equals RPC")
        st, body = self.rest("/rest/address/%s/history.json" % v0)
        assert_equal(st, 200)
        assert_equal(json.loads(body, parse_float=Decimal), node.getaddresshistory(v0))
        st, body = self.rest("/rest/address/%s/history.json?skip=2&count=3" % v0)
        assert_equal(st, 200)
        assert_equal([e["blockhash"] for e in json.loads(body)["entries"]],
                     [e["blockhash"] for e in full["entries"][2:5]])
        st, body = self.rest("/rest/address/%s/history.json?count=1000&skip=0" % v0)
        assert_equal((st, json.loads(body)["count"]), (200, min(total, 1000)))
        for q in ("?foo=1", "?skip=1&skip=2", "?count=0", "?count=1001", "?skip=-1", "?count=x",
                  "?count", "?skip=1;count=2"):
            st, body = self.rest("/rest/address/%s/history.json%s" % (v0, q))
            assert_equal(st, 400, "query %s: %r" % (q, body))
        for p in ("/rest/address/%s/history.bin" % v0, "/rest/address/%s/other.json" % v0):
            assert_equal(self.rest(p)[0], 404)
        assert_equal(self.rest("/rest/address/rfml1qqqq/history.json")[0], 400)
        assert_equal(self.rest("/rest/address/../history.json")[0], 400)

        self.log("A reorganization removes and restores entries")
        tip_height = node.getblockcount()
        t3 = node.sendtoaddress(alice, 7)
        node.generateblocks(2)
        before = node.getaddresshistory(alice)
        assert_equal(before["entries"][0]["txid"], t3)
        v0_before = node.getaddresshistory(v0, 0, 1000)
        fork = node.getblockhash(tip_height + 1)
        node.invalidateblock(fork)
        assert_equal(node.getblockcount(), tip_height)
        after = node.getaddresshistory(alice)
        assert_equal(after["total"], before["total"] - 1)
        assert all(e["height"] <= tip_height for e in after["entries"])
        assert all(e["height"] <= tip_height
                   for e in node.getaddresshistory(v0, 0, 1000)["entries"])
        self.check_all([alice, bob, new, d])
        node.reconsiderblock(fork)
        assert_equal(node.getaddresshistory(alice), before)
        assert_equal(node.getaddresshistory(v0, 0, 1000), v0_before)
        self.check_all([alice, bob, new, d])

        self.log("Turned off: a clear error; the index is marked stale")
        node.stop()
        node.start(["-addressindex=0"])
        assert_raises_rpc_error(-1, "address index disabled (start with -addressindex=1)",
                                node.getaddresshistory, v0)
        assert_equal(self.rest("/rest/address/%s/history.json" % v0),
                     (404, b"address index disabled\n"))
        node.sendtoaddress(bob, 2)
        node.generateblocks(1)
        node.stop()

        self.log("Turned on again: rebuilt from the block files, the gap included")
        node.start()
        with open(node.debug_log) as f:
            if "rebuilding the chainstate from the block files" not in f.read():
                raise TestFailure("no rebuild log line")
        hb = self.check(bob)
        assert_equal((units(hb[0]["balance_change"]), hb[0]["height"]), (units(2), node.getblockcount()))
        self.check_all([alice, bob, new, d])

        self.log("A slash: the double proposer's stake cut and the reporter's bounty")
        other = self.nodes[1]
        other.start()
        connect_nodes(other, node)
        v1 = self.validators[1]
        node.generateblocks(1)
        while node.getblock(node.getbestblockhash())["proposer"] == v1:
            node.generateblocks(1)
        sync_blocks([node, other])
        culprit = node.getblock(node.getbestblockhash())["proposer"]
        before = node.getvalidator(culprit)
        node.generateconflict()
        wait_until(lambda: any(t["type"] == "evidence" for t in other.getrawmempool(True).values()),
                   what="evidence in node 1's mempool")
        reporter = [t for t in other.getrawmempool(True).values() if t["type"] == "evidence"][0]["sender"]
        other.generateblocks(1)
        sync_blocks([node, other])
        self_cut = units(before["self_stake"]) * 500 // 10000
        hc = self.check(culprit)
        ev = [e for e in hc if e["type"] == "evidence"]
        assert_equal((len(ev), units(ev[0]["stake_change"]), units(ev[0]["balance_change"])),
                     (1, -self_cut, 0))
        hr = self.check(reporter)
        ev = [e for e in hr if e["type"] == "evidence"]
        assert_equal(len(ev), 1)
        assert units(ev[0]["balance_change"]) > 0, ev  # bounty minus fee
        self.check_all([alice, bob, new, d, reporter])


if __name__ == "__main__":
    AddressIndexTest().main()
