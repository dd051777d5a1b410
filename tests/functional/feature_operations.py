#!/usr/bin/env python3
"""What an operator uses to watch and steer a running node.

Checked on two regtest nodes:
- fml-cli -getinfo (human text and "-getinfo 1" JSON) against the RPC
  methods it summarizes, with the one wallet loaded, with two (a balance
  each), with -rpcwallet, and its errors (unknown wallet, stray argument);
  the bash completion of contrib/ completes the node's commands;
- GET /metrics with -metrics=1: valid Prometheus text (HELP and TYPE before
  every family, cumulative histogram buckets ending in +Inf = _count), the
  gauges equal to what RPC says (height, headers, peers, mempool), the RPC
  call counters and latency histogram rising by exactly the calls made, the
  block connect histogram by the blocks connected; no credentials needed;
  -rpcallowip applies (403 from elsewhere); only GET (405); a node without
  -metrics answers 404 there;
- the logging RPC and -debugexclude: categories read and changed at run
  time, an unknown category refused with nothing changed, and an excluded
  category writes nothing to debug.log;
- SIGHUP: with debug.log renamed away, the node writes its next lines to a
  new debug.log and none to the old file;
- a second node that syncs 600 blocks from the first writes its progress
  (height, headers, percentage, blocks/s, ETA) to debug.log and, with
  -printtoconsole, to standard output; the first node, which made the
  blocks, writes none; bad -progressinterval and -debugexclude values stop
  the start;
- fmld starts with the example contrib/fml.conf as its configuration file
  and the systemd unit's -daemon=0 -printtoconsole=0."""

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import time
from decimal import Decimal

from test_framework.framework import (FMLCLI, TIMEOUT_FACTOR, FMLTestFramework, TestFailure, assert_equal,
                                      assert_raises_rpc_error, connect_nodes, sync_blocks,
                                      wait_until)

SRC_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SYNC_HEIGHT = 600
# -progressinterval of the syncing node (regtest; 5000 by default), ms
INTERVAL_MS = 100

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
PROGRESS = re.compile(r'Sync (progress|done): height=(\d+) headers=(\d+) \((\d+\.\d\d)%\) '
                      r'blocks/s=(\d+\.\d) eta=(\d+s|unknown)')


def parse_metrics(text):
    """{(name, frozenset(labels)): value}; fails on anything that is not
    Prometheus text format 0.0.4 as the node writes it."""
    helps, types, samples = {}, {}, {}
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# HELP "):
            name, _, doc = line[7:].partition(" ")
            if not doc or name in helps:
                raise TestFailure("bad or repeated HELP line: %r" % line)
            helps[name] = doc
            continue
        if line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            if kind not in ("gauge", "counter", "histogram") or name in types:
                raise TestFailure("bad or repeated TYPE line: %r" % line)
            if name not in helps:
                raise TestFailure("TYPE before HELP: %r" % line)
            types[name] = kind
            continue
        if line.startswith("#"):
            raise TestFailure("unexpected comment %r" % line)
        m = SAMPLE.match(line)
        if not m:
            raise TestFailure("not a sample line: %r" % line)
        name, labels, value = m.group(1), m.group(2), m.group(3)
        family = name
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and types.get(name[:-len(suffix)]) == "histogram":
                family = name[:-len(suffix)]
        if family not in types:
            raise TestFailure("sample before its TYPE line: %r" % line)
        pairs = LABEL.findall(labels or "")
        if labels and "".join('%s="%s"' % p for p in pairs) != labels[1:-1].replace(",", ""):
            raise TestFailure("bad labels: %r" % line)
        key = (name, frozenset(pairs))
        if key in samples:
            raise TestFailure("repeated sample %r" % line)
        samples[key] = float(value)
    # Histograms: cumulative buckets, the last +Inf, equal to _count.
    for family, kind in types.items():
        if kind != "histogram":
            continue
        series = {}
        for (name, labels), v in samples.items():
            if name == family + "_bucket":
                rest = frozenset(p for p in labels if p[0] != "le")
                le = dict(labels)["le"]
                series.setdefault(rest, []).append((float(le), v))
        for rest, buckets in series.items():
            buckets.sort()
            counts = [v for _, v in buckets]
            if counts != sorted(counts) or buckets[-1][0] != float("inf"):
                raise TestFailure("%s%s: buckets not cumulative or no +Inf" % (family, set(rest)))
            if samples.get((family + "_count", rest)) != counts[-1]:
                raise TestFailure("%s%s: +Inf bucket != _count" % (family, set(rest)))
            if (family + "_sum", rest) not in samples:
                raise TestFailure("%s%s: no _sum" % (family, set(rest)))
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


class OperationsTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.extra_args = [["-metrics=1", "-debugexclude=http", "-connect=0", "-listen=1"],
                           ["-regtestvalidator=none", "-connect=0", "-listen=1",
                            "-printtoconsole=1", "-logtimemicros=1",
                            "-progressinterval=%d" % INTERVAL_MS]]

    def http(self, path, node=0, method="GET", source=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.nodes[node].rpcport, timeout=60,
                                          source_address=(source, 0) if source else None)
        try:
            conn.request(method, path)
            r = conn.getresponse()
            return r.status, r.getheader("Content-Type"), r.read()
        finally:
            conn.close()

    def scrape(self):
        st, ctype, body = self.http("/metrics")
        assert_equal(st, 200)
        assert_equal(ctype, "text/plain; version=0.0.4; charset=utf-8")
        return parse_metrics(body.decode())

    def run_test(self):
        node, other = self.nodes
        self.test_getinfo(node)
        self.test_metrics(node, other)
        self.test_logging(node, other)
        self.test_sighup(node)
        self.test_progress(node, other)

    def test_getinfo(self, node):
        self.log("fml-cli -getinfo agrees with the RPC methods it summarizes")
        node.generateblocks(5)
        alice = node.getnewaddress()
        node.sendtoaddress(alice, 3)
        info = json.loads(node.cli("-getinfo", "1"), parse_float=Decimal)
        chain, net = node.getblockchaininfo(), node.getnetworkinfo()
        mempool, wallet = node.getmempoolinfo(), node.getwalletinfo()
        for key in ("chain", "blocks", "headers", "verificationprogress"):
            assert_equal(info[key], chain[key], key)
        for key in ("version", "timeoffset", "relayfee", "warnings"):
            assert_equal(info[key], net[key], key)
        assert_equal(info["connections"], {"in": net["connections_in"],
                                           "out": net["connections_out"],
                                           "total": net["connections"]})
        assert_equal(info["mempool"], {"size": mempool["size"], "bytes": mempool["bytes"]})
        assert_equal(mempool["size"], 1)
        assert_equal(info["has_wallet"], True)
        for key in ("walletname", "keypoolsize", "paytxfee"):
            assert_equal(info[key], wallet[key], key)
        assert_equal(info["balance"], node.getbalances()["mine"]["trusted"])
        assert "balances" not in info

        text = node.cli("-getinfo")
        for line in ("Chain: regtest", "Blocks: %d" % chain["blocks"],
                     "Headers: %d" % chain["headers"],
                     "Network: in %d, out %d, total %d" % (net["connections_in"],
                                                          net["connections_out"],
                                                          net["connections"]),
                     "Mempool: 1 transactions, %d bytes" % mempool["bytes"],
                     'Wallet: "%s"' % wallet["walletname"],
                     "Balance: %s" % format(info["balance"], "f"), "Warnings: (none)"):
            if line not in text.splitlines():
                raise TestFailure("-getinfo lacks %r:\n%s" % (line, text))

        self.log("-getinfo with two wallets: each one's balance; -rpcwallet: that wallet")
        node.createwallet("second")
        second = node.new_rpc()
        second.path = "/wallet/second"
        both = json.loads(node.cli("-getinfo", "1"), parse_float=Decimal)
        default = node.new_rpc()
        default.path = "/wallet/default"
        assert_equal(both["balances"], {
            "default": default.getbalances()["mine"]["trusted"],
            "second": second.getbalances()["mine"]["trusted"]})
        assert "balance" not in both and "walletname" not in both
        text = node.cli("-getinfo")
        assert "Balances" in text.splitlines(), text
        assert "%s second" % format(both["balances"]["second"], "f") in text.splitlines(), text
        one = json.loads(node.cli("-rpcwallet=second", "-getinfo", "1"), parse_float=Decimal)
        assert_equal(one["walletname"], "second")
        assert_equal(one["balance"], second.getbalances()["mine"]["trusted"])

        self.log("bash completion of fml-cli offers the node's commands")
        if shutil.which("bash"):
            script = ('. "$1"; COMP_WORDS=(fml-cli -regtest "-datadir=$2" "-rpcport=$3" %s); '
                      'COMP_CWORD=4; _fml_cli; echo "${COMPREPLY[@]}"')
            comp = os.path.join(SRC_DIR, "contrib", "completion", "fml-cli.bash")
            env = dict(os.environ, PATH=os.path.dirname(FMLCLI) + os.pathsep + os.environ["PATH"])
            for word, want in (("getblockco", "getblockcount"), ("loggi", "logging"),
                               ("creategen", "creategenesis"),
                               ("getbalan", "getbalance getbalances")):
                out = subprocess.run(["bash", "-c", script % word, "_", comp, node.datadir,
                                      str(node.rpcport)], capture_output=True, text=True,
                                     env=env, timeout=60)
                assert_equal(out.stdout.strip(), want, "completion of %s" % word)

        res = node.cli("-rpcwallet=nosuch", "-getinfo", check=False)
        assert res.returncode == 1 and "-18" in res.stderr, res
        res = node.cli("-getinfo", "verbose", check=False)
        assert res.returncode == 1 and "-getinfo takes no arguments" in res.stderr, res
        node.unloadwallet("second")

    def test_metrics(self, node, other):
        self.log("/metrics: Prometheus text equal to what RPC says")
        m = self.scrape()
        chain, net, mempool = node.getblockchaininfo(), node.getnetworkinfo(), node.getmempoolinfo()
        assert_equal(value(m, "fml_block_height"), chain["blocks"])
        assert_equal(value(m, "fml_headers"), chain["headers"])
        assert abs(value(m, "fml_verification_progress") - float(chain["verificationprogress"])) < 0.01
        assert_equal(value(m, "fml_peers", direction="in"), net["connections_in"])
        assert_equal(value(m, "fml_peers", direction="out"), net["connections_out"])
        assert_equal(value(m, "fml_mempool_transactions"), mempool["size"])
        assert_equal(value(m, "fml_mempool_bytes"), mempool["bytes"])
        assert_equal(value(m, "fml_mempool_transactions"), 1)
        assert_equal(sum(value(m, "fml_fl_tasks", state=s)
                         for s in ("open", "running", "completed", "cancelled")),
                     len(node.fllisttasks()))
        assert value(m, "process_resident_memory_bytes") > 1 << 20
        assert value(m, "fml_uptime_seconds") >= 0
        assert value(m, "fml_rpc_requests_total", method="sendtoaddress") >= 1

        self.log("Counters rise by the calls made and the blocks connected")
        before = self.scrape()
        for _ in range(3):
            node.getblockcount()
        assert_raises_rpc_error(-32601, "Method not found", node.rpc.nosuchmethod)
        node.generateblocks(2)
        after = self.scrape()
        for method, calls in (("getblockcount", 3), ("unknown", 1), ("generateblocks", 1)):
            for name in ("fml_rpc_requests_total", "fml_rpc_request_duration_seconds_count"):
                assert_equal(value(after, name, method=method) - value(before, name, method=method),
                             calls, "%s %s" % (name, method))
            assert (value(after, "fml_rpc_request_duration_seconds_sum", method=method) >
                    value(before, "fml_rpc_request_duration_seconds_sum", method=method))
        assert_equal(value(after, "fml_block_connect_seconds_count") -
                     value(before, "fml_block_connect_seconds_count"), 2)
        assert_equal(value(after, "fml_block_height"), value(before, "fml_block_height") + 2)
        assert_equal(value(after, "fml_mempool_transactions"), 0)

        self.log("Only GET; -rpcallowip applies; off without -metrics")
        assert_equal(self.http("/metrics", method="POST")[0], 405)
        assert_equal(self.http("/metrics", source="127.0.0.2")[0], 403)
        assert_equal(self.http("/metrics", node=1)[0], 404)
        assert_equal(self.http("/metrics/x")[0], 404)

    def test_logging(self, node, other):
        self.log("logging RPC and -debugexclude")
        cats = node.logging()
        assert_equal(sorted(cats), sorted(["net", "rpc", "mempool", "validation", "wallet",
                                           "producer", "db", "fl", "http"]))
        assert_equal(cats["http"], False)  # -debugexclude=http after -debug=1
        assert_equal(cats["net"], True)
        assert_equal(other.logging()["http"], True)
        with open(node.debug_log) as f:
            assert "[http]" not in f.read()
        with open(other.debug_log) as f:
            assert "[http]" in f.read()
        assert_raises_rpc_error(-8, "unknown logging category bogus", node.logging,
                                ["wallet"], ["bogus"])
        assert_equal(node.logging(), cats)
        changed = node.logging(["http"], ["net", "db"])
        assert_equal(changed["http"], True)
        assert_equal(changed["net"], False)
        assert_equal(changed["db"], False)
        assert_equal(changed["rpc"], True)
        assert_equal(node.logging([], ["none"]), changed)
        node.logging(["all"])

    def test_sighup(self, node):
        self.log("SIGHUP reopens debug.log after it was moved away")
        old = node.debug_log + ".1"
        os.rename(node.debug_log, old)
        node.rpc.getblockcount()
        node.process.send_signal(signal.SIGHUP)
        wait_until(lambda: os.path.exists(node.debug_log), what="a new debug.log")
        assert_raises_rpc_error(-32601, None, node.rpc.opsmarkerafterhup)
        wait_until(lambda: "opsmarkerafterhup" in open(node.debug_log).read(),
                   what="the next lines in the new debug.log")
        with open(old) as f:
            assert "opsmarkerafterhup" not in f.read()

    def test_progress(self, node, other):
        self.log("A node syncing %d blocks logs its progress" % SYNC_HEIGHT)
        node.generateblocks(SYNC_HEIGHT - node.getblockcount())
        assert_equal(other.getblockcount(), 0)
        connect_nodes(other, node)
        sync_blocks([node, other], timeout=120)
        # The last line comes once nothing arrived for a moment.
        wait_until(lambda: "Sync done" in open(other.debug_log).read(), timeout=30,
                   what="the final sync line")
        with open(other.debug_log) as f:
            lines = [PROGRESS.search(l) for l in f]
        lines = [l for l in lines if l]
        if not lines or lines[-1].group(1) != "done":
            raise TestFailure("no final sync line in node 1's debug.log: %r" % lines)
        for l in lines:
            height, headers, pct = int(l.group(2)), int(l.group(3)), Decimal(l.group(4))
            assert 0 < height <= headers <= SYNC_HEIGHT, l.group(0)
            assert 0 <= pct <= 100, l.group(0)
        # At most one progress line per interval, and some in a sync that
        # lasted several (by the node's own count on its last line).
        stamps = []
        with open(other.debug_log) as f:
            for line in f:
                if "Sync progress:" in line:
                    stamps.append(time.mktime(time.strptime(line[:19], "%Y-%m-%dT%H:%M:%S")) +
                                  float(line[19:26]))
        for a, b in zip(stamps, stamps[1:]):
            assert b - a >= INTERVAL_MS / 1000 - 0.002, "progress lines %.3fs apart" % (b - a)
        took = float(re.search(r"blocks in (\d+\.\d)s", open(other.debug_log).read()).group(1))
        self.log("  synced in %.1fs with %d progress lines" % (took, len(stamps)))
        if took >= 3 * INTERVAL_MS / 1000:
            assert len(stamps) >= 2, "%d progress lines in a %.1fs sync" % (len(stamps), took)
        heights = [int(l.group(2)) for l in lines]
        assert heights == sorted(heights), heights
        done = lines[-1]
        assert_equal((int(done.group(2)), int(done.group(3))), (SYNC_HEIGHT, SYNC_HEIGHT))
        assert Decimal(done.group(5)) > 0, done.group(0)
        progress = other.getblockchaininfo()["verificationprogress"]
        assert abs(Decimal(done.group(4)) - Decimal(progress) * 100) < 1, (done.group(0), progress)
        self.log("  %s" % done.group(0))
        with open(os.path.join(other.datadir, "stdout.txt")) as f:
            assert done.group(0) in f.read()
        for path in (node.debug_log, node.debug_log + ".1"):
            with open(path) as f:
                assert "Sync " not in f.read(), "the producing node logged sync progress"

        self.log("Bad -progressinterval and -debugexclude values stop the start with a message")
        other.stop()
        for arg, msg in (("-progressinterval=0", "progressinterval"),
                         ("-debugexclude=nosuch", "Unknown -debugexclude category nosuch")):
            other.start([arg], wait=False)
            other.process.wait(timeout=60 * TIMEOUT_FACTOR)
            status = other.process.returncode
            err = other.read_stderr()
            other._closed()
            if status == 0 or msg not in err:
                raise TestFailure("%s gave status %s: %r" % (arg, status, err[-300:]))

        self.log("fmld reads the example contrib/fml.conf as is, with the unit's flags")
        conf = os.path.join(SRC_DIR, "contrib", "fml.conf")
        other.start(["-conf=" + conf, "-daemon=0", "-printtoconsole=0", "-disablewallet"])
        assert_equal(other.getblockcount(), SYNC_HEIGHT)
        self.log("-getinfo of a node without wallets has no wallet part")
        info = json.loads(other.cli("-getinfo", "1"), parse_float=Decimal)
        assert_equal(info["has_wallet"], False)
        assert_equal(info["blocks"], SYNC_HEIGHT)
        assert "balance" not in info and "balances" not in info and "walletname" not in info
        text = other.cli("-getinfo")
        assert "Blocks: %d" % SYNC_HEIGHT in text.splitlines() and "Wallet:" not in text, text
        with open(other.debug_log) as f:
            assert "Error" not in f.read().split("starting: chain regtest")[-1]


if __name__ == "__main__":
    OperationsTest().main()
