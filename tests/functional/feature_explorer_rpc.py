#!/usr/bin/env python3
"""Fields and methods block explorers read: mediantime, verificationprogress and
initialblockdownload, validateaddress, getblockstats and getchaintxstats, each
checked against a computation in Python from getblockheader and getblock."""

import json
from decimal import Decimal

from test_framework.crypto import address, pubkey, regtest_secret
from test_framework.framework import (FMLTestFramework, assert_equal, assert_raises_rpc_error,
                                      connect_nodes, disconnect_nodes, satoshi, sync_blocks,
                                      wait_until)
from test_framework.p2p import P2PConnection, msg_headers


def median_time(node, blockhash):
    """bitcoind's median time past: the middle of the sorted last 11 times."""
    times = []
    h = blockhash
    while h is not None and len(times) < 11:
        hdr = node.getblockheader(h)
        times.append(hdr["time"])
        h = hdr.get("previousblockhash")
    times.sort()
    return times[len(times) // 2]


class ExplorerRPCTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.extra_args = [["-connect=0", "-listen=1"],
                           ["-connect=0", "-listen=1", "-regtestvalidator=none"]]

    def run_test(self):
        node = self.nodes[0]
        info = node.getblockchaininfo()
        genesis_time = node.getblockheader(info["genesis"])["time"]

        self.log("A fresh node with a genesis far behind the clock is syncing")
        assert_equal(info["initialblockdownload"], True)
        assert_equal(info["mediantime"], genesis_time)

        self.log("mediantime: the middle of the last 11 block times, genesis included")
        hashes = node.generateblocks(14)
        for h in [node.getblockhash(0)] + hashes:
            blk = node.getblock(h)
            assert_equal(blk["mediantime"], median_time(node, h))
            assert_equal(node.getblockheader(h)["mediantime"], blk["mediantime"])
        info = node.getblockchaininfo()
        assert_equal(info["mediantime"], median_time(node, hashes[-1]))
        assert_equal(info["initialblockdownload"], False)

        self.log("verificationprogress: the tip's time since genesis against the clock's")
        tip_time = info["time"]
        assert_equal(info["verificationprogress"], 1)
        for lag in (1, 1000, 10 ** 6, 10 ** 8):
            now = tip_time + lag
            node.setmocktime(now)
            info = node.getblockchaininfo()
            expect = (tip_time - genesis_time) / (now - genesis_time)
            assert abs(float(info["verificationprogress"]) - expect) < 1e-12, (info, expect)
            assert 0 < info["verificationprogress"] < 1
            assert_equal(info["initialblockdownload"], lag > 24 * 3600)
        node.setmocktime(0)

        self.test_validateaddress(node)
        self.test_blockstats(node)
        self.test_chaintxstats(node)
        self.test_headers_ahead()

        self.log("A block off the active chain is refused by getblockstats and getchaintxstats")
        tip = node.getbestblockhash()
        node.invalidateblock(tip)
        assert_raises_rpc_error(-8, "Block is not in the active chain", node.getblockstats, tip)
        assert_raises_rpc_error(-8, "Block is not in main chain", node.getchaintxstats, 1, tip)
        node.reconsiderblock(tip)
        assert_equal(node.getbestblockhash(), tip)
        assert_equal(node.getblockstats(tip, ["blockhash"]), {"blockhash": tip})

    def test_headers_ahead(self):
        self.log("A node that knows headers beyond its tip is syncing; progress is blocks/headers")
        node, other = self.nodes
        genesis_time = node.getblockheader(node.getblockhash(0))["time"]
        connect_nodes(other, node)
        sync_blocks([node, other])
        disconnect_nodes(other, node)
        base = other.getblockcount()
        new = node.generateblocks(4)
        genesis = bytes.fromhex(node.getblockchaininfo()["genesis"])
        # The clock at the last new header, so that none is ahead of it.
        now = node.getblockheader(new[-1])["time"]
        other.setmocktime(now)
        with P2PConnection(other.port, genesis).connect() as f:
            f.handshake()
            f.send("headers", msg_headers([bytes.fromhex(node.getblockheader(h, False))
                                           for h in new]))
            f.sync_with_ping(10)
            # How many of the four headers the node takes at once depends on
            # its clock and load; the rule under test is progress = blocks /
            # headers for whatever headers it holds beyond its tip.
            wait_until(lambda: other.getblockchaininfo()["headers"] > base,
                       what="headers beyond the tip accepted")
            info = other.getblockchaininfo()
            headers = info["headers"]
            assert base < headers <= base + 4, info
            assert_equal(info["blocks"], base)
            assert_equal(info["initialblockdownload"], True)
            by_time = (info["time"] - genesis_time) / (now - genesis_time)
            expect = min(by_time, base / headers)
            assert abs(float(info["verificationprogress"]) - expect) < 1e-12, (info, expect)
            assert_equal(expect, base / headers)
        connect_nodes(other, node)
        sync_blocks([node, other])
        info = other.getblockchaininfo()
        assert_equal(info["initialblockdownload"], False)
        assert_equal(info["verificationprogress"], 1)
        other.setmocktime(0)

    def test_validateaddress(self, node):
        self.log("validateaddress: a valid address gives its key and network")
        pub = pubkey(regtest_secret(3))
        addr = address("rfml", pub)
        r = node.validateaddress(addr)
        assert_equal(r, {"isvalid": True, "address": addr, "pubkey": pub.hex(), "hrp": "rfml",
                         "chain": "regtest"})
        assert_equal(node.validateaddress(addr.upper())["address"], addr)

        self.log("validateaddress: invalid addresses give isvalid false and the reason")
        def bad(a, words):
            r = node.validateaddress(a)
            assert_equal(r["isvalid"], False)
            assert "address" not in r and "pubkey" not in r, r
            assert words in r["error"], (a, r)
        bad("", "Invalid Bech32m")
        bad("notanaddress", "Invalid Bech32m")
        bad(addr[:-1] + ("q" if addr[-1] != "q" else "p"), "Invalid Bech32m")
        bad(addr[:5] + addr[5:].upper(), "Invalid Bech32m")
        bad("r" * 100, "too long")
        bad(address("fml", pub), "network prefix")
        assert_equal(node.validateaddress(address("fml", pub))["hrp"], "fml")
        assert_raises_rpc_error(-3, None, node.validateaddress, 5)
        assert_raises_rpc_error(-1, None, node.validateaddress)

    def test_blockstats(self, node):
        self.log("getblockstats: fees and sizes match getblock's transactions")
        alice = node.getnewaddress("alice")
        node.sendtoaddress(alice, Decimal("1000"))
        node.generateblocks(1)
        for i, rate in enumerate(("0.00002", "0.0001", "0.00005", "0.0003", "0.00001")):
            node.settxfee(Decimal(rate))
            node.sendtoaddress(node.getnewaddress(), Decimal(i + 1), "", "", False, alice)
        node.settxfee(Decimal("0.00003"))
        node.sendtoaddress(alice, Decimal("7"))
        h = node.generateblocks(1)[0]
        blk = node.getblock(h, 2)
        txs = blk["tx"]
        assert_equal(len(txs), 6)
        fees = [satoshi(t["fee"]) for t in txs]
        sizes = [t["size"] for t in txs]
        rates = [f // s for f, s in zip(fees, sizes)]
        assert len(set(rates)) > 3, rates
        types = {}
        for t in txs:
            types[t["type"]] = types.get(t["type"], 0) + 1

        def tmedian(v):
            v = sorted(v)
            n = len(v)
            return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) // 2

        total = sum(sizes)
        pairs = sorted(zip(rates, sizes))
        perc, cum, nxt = [0] * 5, 0, 0
        for r, sz in pairs:
            cum += sz
            while nxt < 5 and cum * 100 >= total * (10, 25, 50, 75, 90)[nxt]:
                perc[nxt] = r
                nxt += 1
        expect = {
            "avgfee": sum(fees) // 6, "avgfeerate": sum(fees) // total,
            "avgtxsize": total // 6, "blockhash": h, "feerate_percentiles": perc,
            "height": blk["height"], "maxfee": max(fees), "maxfeerate": max(rates),
            "maxtxsize": max(sizes), "medianfee": tmedian(fees),
            "mediantime": median_time(node, h), "mediantxsize": tmedian(sizes),
            "minfee": min(fees), "minfeerate": min(rates), "mintxsize": min(sizes),
            "time": blk["time"], "total_size": total, "totalfee": sum(fees), "txs": 6,
            "types": types,
        }
        assert_equal(node.getblockstats(h), expect)
        assert_equal(node.getblockstats(blk["height"]), expect)
        assert_equal(node.getblockstats(h, ["minfee", "txs"]),
                     {"minfee": min(fees), "txs": 6})
        assert_equal(node.getblockstats(h, []), expect)

        self.log("getblockstats: a block without transactions gives zeros")
        empty = node.getblockstats(0)
        assert_equal(empty["txs"], 0)
        assert_equal(empty["minfee"], 0)
        assert_equal(empty["feerate_percentiles"], [0] * 5)
        assert_equal(empty["types"], {})

        self.log("getblockstats: fml-cli passes a height as a number and a hash as JSON text")
        assert_equal(json.loads(node.cli("getblockstats", str(blk["height"]), '["txs"]')),
                     {"txs": 6})
        assert_equal(json.loads(node.cli("getblockstats", '"%s"' % h, '["totalfee"]')),
                     {"totalfee": sum(fees)})

        self.log("getblockstats: bad inputs")
        tip = node.getblockcount()
        assert_raises_rpc_error(-8, "Target block height %d after current tip %d" % (tip + 1, tip),
                                node.getblockstats, tip + 1)
        assert_raises_rpc_error(-8, "Target block height -1 is negative", node.getblockstats, -1)
        assert_raises_rpc_error(-5, "Block not found", node.getblockstats, "00" * 32)
        assert_raises_rpc_error(-8, "must be of length 64", node.getblockstats, "abc")
        assert_raises_rpc_error(-8, "Invalid selected statistic 'nosuch'", node.getblockstats,
                                h, ["txs", "nosuch"])
        assert_raises_rpc_error(-8, "Invalid selected statistic", node.getblockstats, h, [3])
        assert_raises_rpc_error(-3, None, node.getblockstats, h, "txs")
        assert_raises_rpc_error(-3, None, node.getblockstats, [1])

    def test_chaintxstats(self, node):
        self.log("getchaintxstats: counts against the sum of nTx over the chain")
        tip = node.getblockcount()
        ntx = [node.getblock(node.getblockhash(i))["nTx"] for i in range(tip + 1)]
        tiphash = node.getbestblockhash()
        s = node.getchaintxstats()
        assert_equal(s["txcount"], sum(ntx))
        assert_equal(s["window_final_block_hash"], tiphash)
        assert_equal(s["window_final_block_height"], tip)
        assert_equal(s["window_block_count"], tip - 1)
        assert_equal(s["time"], node.getblockheader(tiphash)["time"])
        for nblocks, end in ((1, tip), (3, tip), (tip - 1, tip), (2, tip - 1), (5, tip - 2)):
            bh = node.getblockhash(end)
            s = node.getchaintxstats(nblocks, bh)
            first = end - nblocks
            interval = median_time(node, bh) - median_time(node, node.getblockhash(first))
            assert_equal(s["txcount"], sum(ntx[:end + 1]))
            assert_equal(s["window_block_count"], nblocks)
            assert_equal(s["window_tx_count"], sum(ntx[first + 1:end + 1]))
            assert_equal(s["window_interval"], interval)
            if interval > 0:
                assert abs(float(s["txrate"]) - s["window_tx_count"] / interval) < 1e-9
            else:
                assert "txrate" not in s
        s = node.getchaintxstats(0)
        assert_equal(s["window_block_count"], 0)
        assert "window_tx_count" not in s and "window_interval" not in s and "txrate" not in s
        assert_equal(json.loads(node.cli("getchaintxstats", "2"))["window_block_count"], 2)

        self.log("getchaintxstats: bad inputs")
        assert_raises_rpc_error(-8, "Invalid block count: should be between 0 and the block's "
                                "height - 1", node.getchaintxstats, tip)
        assert_raises_rpc_error(-8, "Invalid block count", node.getchaintxstats, 2,
                                node.getblockhash(2))
        assert_raises_rpc_error(-8, "nblocks must be non-negative", node.getchaintxstats, -1)
        assert_raises_rpc_error(-5, "Block not found", node.getchaintxstats, 1, "00" * 32)
        assert_raises_rpc_error(-8, "must be hexadecimal", node.getchaintxstats, 1, "zz" * 32)


if __name__ == "__main__":
    ExplorerRPCTest().main()
