#!/usr/bin/env python3
"""Crashes inside the node's own writes, again and again.

A healthy node produces blocks with transfers and staking operations, now and
then reorganizes (invalidateblock, then a longer branch), and a second node
follows it over P2P while its wallet hands out addresses and sends FML.  The
second node runs with -dbcrashratio: at a random one of the crash marks inside
its writes (block file appends, LevelDB batches, wallet appends, file
replacements) it exits on the spot, as a crash would.  After every crash it is
restarted and must come back consistent (the state root of its tip is the one
in the tip's header; no block it had connected is lost unless a
reorganization was under way), keep every address its wallet handed out and
every transaction it reported sent, and, once synced again, hold the same tip
and state root as the healthy node.  Its wallet is then encrypted and its
passphrase changed while crashes hit the whole-file rewrites: the old or the
new passphrase opens it.  A reindex, itself crashed and resumed, then rebuilds
the same state from the stored blocks.  Both nodes keep the address index
(-addressindex=1): after every restart each watched address's history on
node 1 must add up to its balance entry by entry, name only blocks of its
active chain and equal node 0's once synced (the index is written in the
block's own batch, so a crash never leaves it ahead of or behind the tip).
The figures are printed at the end; the test fails on any mismatch.

--crashes N (or FML_DBCRASH_CRASHES) asks for more crashes than the 40 of CI;
--seed replays a run (as far as thread timing allows).
"""

import http.client
import os
import random
import re
import subprocess
import time
from collections import Counter
from decimal import Decimal

from test_framework.crypto import address, pubkey, regtest_secret
from test_framework.framework import FMLD, FMLTestFramework, TestFailure, TIMEOUT_FACTOR
from test_framework.rpc import JSONRPCException

SIMULATED_CRASH_STATUS = 86
CRASH_LINE = re.compile(r"Simulating a crash \(-dbcrashratio\) at (.*)$")


class Crashed(Exception):
    """The crashing node went away during a call."""


class DBCrashTest(FMLTestFramework):
    def add_options(self, parser):
        parser.add_argument("--crashes", type=int,
                            default=int(os.environ.get("FML_DBCRASH_CRASHES", "40")),
                            help="crashes to survive before the reindex (default 40)")
        parser.add_argument("--ratio", type=int, default=100,
                            help="-dbcrashratio of the crashing node (default 100)")

    def set_test_params(self):
        self.num_nodes = 2
        # Node 0 is healthy and holds validator 0; node 1 crashes and holds no
        # validator key.  Node 1 connects only to node 0.
        self.extra_args = [["-connect=0", "-listen=1", "-addressindex=1"],
                           ["-regtestvalidator=none", "-listen=0", "-addressindex=1"]]

    def setup_network(self):
        self.healthy, self.crasher = self.nodes
        self.crasher.extra_args.append("-connect=127.0.0.1:%d" % self.healthy.port)
        self.healthy.start()
        self.crashes = 0
        self.starts = 0
        self.sites = Counter()
        self.log_read = 0           # bytes of node 1's debug.log already read
        self.mismatches = []
        self.consistency_checks = 0
        self.root_comparisons = 0
        self.index_checks = 0
        self.index_redone = 0       # index checks made again: the tip moved
        self.handed_out = []        # addresses the crasher's wallet returned
        self.sent = []              # txids the crasher's wallet reported sent
        self.confirmed = set()      # of them, seen confirmed (no more relaying)
        self.last_tip = None        # the crasher's tip when last seen
        self.reorg_since_seen = False
        self.once_args = []         # arguments of the next start only
        self.ratio = self.options.ratio
        self.start_crasher()

    # ---- the crashing node ----

    def start_crasher(self):
        """Starts node 1 until it answers; a crash during start-up counts."""
        while True:
            self.starts += 1
            args = ["-dbcrashratio=%d" % self.ratio,
                    "-dbcrashseed=%d" % (self.seed * 100003 + self.starts)] + self.once_args
            self.once_args = []
            try:
                self.crasher.start(args)
            except TestFailure:
                if self.crasher.process is not None or not self.crash_seen():
                    raise
                continue
            if self.check_restarted():
                return

    def crash_seen(self):
        """Node 1 has exited: a simulated crash, or a failure of the test."""
        node = self.crasher
        if node.process is not None:
            try:
                node.process.wait(timeout=20 * TIMEOUT_FACTOR)
            except subprocess.TimeoutExpired:
                return False
            node._closed()
        if node.process_status != SIMULATED_CRASH_STATUS:
            raise TestFailure("node 1 exited with status %s (not a simulated crash): %s" %
                              (node.process_status, node.read_stderr()[-2000:]))
        self.crashes += 1
        with open(node.debug_log, "rb") as f:
            f.seek(self.log_read)
            tail = f.read()
        self.log_read += len(tail)
        for line in tail.decode(errors="replace").splitlines():
            m = CRASH_LINE.search(line)
            if m:
                self.sites[m.group(1)] += 1
        return True

    def stop_crasher(self):
        """Stops node 1 politely; a crash while it shuts down counts."""
        try:
            self.crasher.stop()
        except TestFailure:
            if self.crasher.process is not None or not self.crash_seen():
                raise

    def on_crasher(self, fn):
        """fn(rpc) on node 1; raises Crashed when node 1 crashed meanwhile
        (after restarting and checking it)."""
        try:
            return fn(self.crasher.rpc)
        except JSONRPCException as e:
            if e.code != -342:
                raise
            failure = e
        except (OSError, http.client.HTTPException) as e:
            failure = e
        if self.crasher.process is None or not self.crash_seen():
            raise failure
        self.start_crasher()
        raise Crashed()

    def retry(self, fn):
        """fn(rpc) on node 1 until it completes without a crash."""
        while True:
            try:
                return self.on_crasher(fn)
            except Crashed:
                continue

    def check_restarted(self):
        """Node 1 just started: its tip and state agree, nothing confirmed is
        lost, and the wallet kept every key and sent transaction.  False when
        it crashed during the checks (it is then down, the crash counted)."""
        rpc = self.crasher.rpc
        try:
            info = rpc.getblockchaininfo()
            hdr = rpc.getblockheader(info["bestblockhash"])
            self.consistency_checks += 1
            if info["stateroot"] != hdr["stateroot"] or hdr["height"] != info["blocks"]:
                self.mismatch("restart %d: state root %s at height %d, the tip's header says %s" %
                              (self.starts, info["stateroot"], info["blocks"], hdr["stateroot"]))
            supply = rpc.getsupplyinfo()
            if not (supply["supply_consistent"] and supply["rewards_consistent"]):
                self.mismatch("restart %d: supply not conserved: %r" % (self.starts, supply))
            if self.last_tip and not self.reorg_since_seen:
                seen = rpc.getblockheader(self.last_tip)
                if seen["confirmations"] < 1:
                    self.mismatch("restart %d: block %s (height %d), connected before the crash, "
                                  "left the active chain" % (self.starts, self.last_tip,
                                                             seen["height"]))
            self.check_index(rpc, "restart %d" % self.starts)
            for addr in self.handed_out:
                if not rpc.getaddressinfo(addr)["ismine"]:
                    raise TestFailure("the wallet lost address %s it handed out" % addr)
            kept = set(t["txid"] for t in rpc.listtransactions("*", 1000000)
                       if t["category"] == "send" and not t.get("abandoned"))
            for txid in self.sent:
                if txid not in kept:
                    tx = rpc.gettransaction(txid)  # -5 when the wallet lost it
                    raise TestFailure("the wallet no longer counts %s it reported sent: %r" %
                                      (txid, tx))
            return True
        except JSONRPCException as e:
            if e.code != -342 and e.code != -5:
                raise
            if e.code == -5:
                raise TestFailure("node 1 lost something it had: %s" % e.message)
            failure = e
        except (OSError, http.client.HTTPException) as e:
            failure = e
        if not self.crash_seen():
            raise failure
        return False

    def watched(self):
        """Addresses whose index entries are checked: validator 0, node 0's
        payee and delegator, the first addresses of node 1's wallet."""
        fixed = [getattr(self, a) for a in ("v0", "h_addr", "delegator") if hasattr(self, a)]
        return fixed + self.handed_out[:4]

    def history(self, rpc, addr, found=None):
        out = []
        while True:
            page = rpc.getaddresshistory(addr, len(out), 1000)
            out += page["entries"]
            if len(out) >= page["total"] or not page["entries"]:
                if len(out) != page["total"]:
                    what = "%s: %d entries read, total %d" % (addr, len(out), page["total"])
                    if found is None:
                        self.mismatch(what)
                    else:
                        found.append(what)
                return out

    def check_index(self, rpc, label):
        """Each watched address's history adds up to its balance, entry by
        entry, and names blocks of the active chain only.  The history, the
        block hashes and the balance come from separate calls while node 1
        may still be syncing: the check counts only when the tip was the same
        before and after all of them (else it is made again)."""
        for _ in range(200):
            before = rpc.getbestblockhash()
            found = self.index_mismatches(rpc, label)
            if rpc.getbestblockhash() == before:
                for what in found:
                    self.mismatch(what)
                self.index_checks += 1
                return
            self.index_redone += 1
            time.sleep(0.05)
        self.mismatch("%s: the tip kept moving during 200 address index checks" % label)

    def index_mismatches(self, rpc, label):
        """The mismatches check_index finds at one reading."""
        found = []
        tip = rpc.getblockcount()
        for addr in self.watched():
            hist = self.history(rpc, addr, found)
            running = 0
            for e in reversed(hist):
                running += int(Decimal(e["balance_change"]) * 100000000)
                if int(Decimal(e["balance"]) * 100000000) != running:
                    found.append("%s: %s at height %d: balance %s, sum of changes %d" %
                                 (label, addr, e["height"], e["balance"], running))
                    break
                if e["height"] > tip or rpc.getblockhash(e["height"]) != e["blockhash"]:
                    found.append("%s: %s has an entry of block %s (height %d) off the active "
                                 "chain" % (label, addr, e["blockhash"], e["height"]))
                    break
            bal = int(Decimal(rpc.getaccount(addr)["balance"]) * 100000000)
            if running != bal:
                found.append("%s: %s history sums to %d, balance %d" % (label, addr, running, bal))
        return found

    def mismatch(self, what):
        self.log("MISMATCH: " + what)
        self.mismatches.append(what)

    def note_tip(self):
        self.last_tip = self.retry(lambda r: r.getbestblockhash())
        self.reorg_since_seen = False

    def sync(self, timeout=120):
        """Waits (through crashes) until node 1 has node 0's tip, then
        compares their state roots."""
        target = self.healthy.getbestblockhash()
        deadline = time.time() + timeout * TIMEOUT_FACTOR
        while True:
            tip = self.retry(lambda r: r.getbestblockhash())
            if tip == target:
                break
            if time.time() > deadline:
                raise TestFailure("node 1 did not reach node 0's tip %s (at %s)" % (target, tip))
            time.sleep(0.05)
        want = self.healthy.getblockchaininfo()["stateroot"]
        got = self.retry(lambda r: r.getblockchaininfo())
        self.root_comparisons += 1
        if got["bestblockhash"] == target and got["stateroot"] != want:
            self.mismatch("at tip %s node 1 has state root %s, node 0 %s" %
                          (target, got["stateroot"], want))
        if got["bestblockhash"] == target:
            for addr in self.watched():
                mine = self.retry(lambda r: self.history(r, addr))
                theirs = self.history(self.healthy.rpc, addr)
                if mine != theirs and self.retry(lambda r: r.getbestblockhash()) == target:
                    self.mismatch("at tip %s node 1's history of %s differs from node 0's "
                                  "(%d entries, %d)" % (target, addr, len(mine), len(theirs)))
            self.index_checks += 1
        self.last_tip = target
        self.reorg_since_seen = False

    def relay_sent(self):
        """Hands node 1's unconfirmed sent transactions to node 0 (a crash may
        have come between the wallet's record and the relay)."""
        for txid in self.sent:
            if txid in self.confirmed:
                continue
            try:
                tx = self.on_crasher(lambda r: r.gettransaction(txid))
            except Crashed:
                return
            if tx["confirmations"] > 0:
                self.confirmed.add(txid)  # a reorganization hands it back to node 0
            else:
                try:
                    self.healthy.sendrawtransaction(tx["hex"])
                except JSONRPCException:
                    pass  # already there, or its nonce not yet reached

    # ---- the healthy node's traffic ----

    def transfers(self, rng):
        h = self.healthy
        for _ in range(rng.randint(1, 3)):
            to = rng.choice(self.handed_out + [self.h_addr])
            h.sendtoaddress(to, Decimal(rng.randint(1, 500)) / 100)
        h.generateblocks(rng.randint(1, 3))

    def staking(self, rng):
        h = self.healthy
        op = rng.choice(["delegate", "undelegate", "stake", "unbond"])
        try:
            if op == "delegate":
                h.delegate(self.v0, rng.randint(1, 20), self.delegator)
            elif op == "undelegate":
                h.undelegate(self.v0, rng.randint(0, 5), self.delegator)
            elif op == "stake":
                h.stake(self.v0, rng.randint(1, 20))
            else:
                h.unbond(self.v0, rng.randint(1, 5))
        except JSONRPCException as e:
            self.log("  (%s refused: %s)" % (op, e.message))
        h.generateblocks(rng.randint(1, 2))

    def reorg(self, rng):
        h = self.healthy
        depth = rng.randint(1, 3)
        height = h.getblockcount()
        if height - depth < 2:
            return self.transfers(rng)
        old = h.getblockhash(height - depth + 1)
        old_tip_time = h.getblockheader(h.getbestblockhash())["time"]
        h.invalidateblock(old)
        h.sendtoaddress(self.h_addr, Decimal("0.5"))
        # The new branch takes slots after the old one's: validator 0 never
        # signs two blocks for one slot.
        h.setmocktime(old_tip_time + 1)
        h.generateblocks(depth + 1)
        h.setmocktime(0)
        self.reorg_since_seen = True
        if rng.random() < 0.5:
            h.reconsiderblock(old)  # the old branch is shorter: no switch back
        self.reorgs += 1

    def wallet_ops(self, rng):
        for _ in range(rng.randint(1, 2)):
            try:
                self.handed_out.append(self.on_crasher(lambda r: r.getnewaddress()))
            except Crashed:
                pass
        try:
            txid = self.on_crasher(lambda r: r.sendtoaddress(
                self.h_addr, Decimal(rng.randint(1, 100)) / 100))
            self.sent.append(txid)
        except Crashed:
            pass
        except JSONRPCException as e:
            self.log("  (send refused: %s)" % e.message)

    def unlock(self, candidates):
        """The passphrase of node 1's wallet among candidates (None: not
        encrypted); one of them must open it."""
        while True:
            try:
                return self.try_unlock(candidates)
            except Crashed:
                continue

    def try_unlock(self, candidates):
        try:
            self.on_crasher(lambda r: r.walletlock())
        except JSONRPCException as e:
            if e.code != -15:  # wrong encryption state: not encrypted
                raise
            if None not in candidates:
                raise TestFailure("the wallet is no longer encrypted")
            return None
        for p in candidates:
            if p is None:
                continue
            try:
                self.on_crasher(lambda r: r.walletpassphrase(p, 100000))
                return p
            except JSONRPCException as e:
                if e.code != -14:  # wrong passphrase
                    raise
        raise TestFailure("no passphrase among %r opens the wallet" % (candidates,))

    def wallet_rewrites(self):
        """Crashes while the wallet file is rewritten whole (encryptwallet,
        walletpassphrasechange): it is the old file or the new one, with every
        key and sent transaction, and the old or the new passphrase opens it."""
        self.log("Wallet rewrites (encryption, passphrase changes) crashed at 1 in 8 marks")
        self.stop_crasher()
        self.ratio = 8
        self.start_crasher()
        before, sites_before = self.crashes, Counter(self.sites)
        current, changes = None, 0
        for i in range(40):
            if self.crashes - before >= 6 and i >= 10:
                break
            new = "pass-%d" % i
            try:
                if current is None:
                    self.on_crasher(lambda r: r.encryptwallet(new))
                else:
                    self.on_crasher(lambda r: r.walletpassphrasechange(current, new))
                current = new
                changes += 1
            except Crashed:
                current = self.unlock([current, new])
            except JSONRPCException as e:
                raise TestFailure("rewrite %d refused: %s" % (i, e.message))
        self.rewrite_crashes = self.crashes - before
        self.rewrites = changes
        self.log("  %d rewrites done, %d crashes (%s); the wallet opens with %r" %
                 (changes, self.rewrite_crashes,
                  ", ".join("%s: %d" % kv for kv in sorted((self.sites - sites_before).items())),
                  current))
        self.stop_crasher()
        self.ratio = self.options.ratio
        self.start_crasher()
        self.unlock([current])

    # ---- the story ----

    def run_test(self):
        rng = random.Random(self.seed)
        h = self.healthy
        start = time.time()
        self.reorgs = 0
        self.v0 = address("rfml", pubkey(regtest_secret(0)))
        self.h_addr = h.getnewaddress()
        self.delegator = h.getnewaddress()

        self.log("-dbcrashratio is refused outside regtest, before anything is written")
        empty = os.path.join(self.tmpdir, "testnet")
        os.makedirs(empty)
        for opt in ("-dbcrashratio=10", "-dbcrashseed=1"):
            res = subprocess.run([FMLD, "-testnet", "-datadir=" + empty, opt],
                                 capture_output=True, text=True, timeout=60)
            if res.returncode != 1 or "only allowed on regtest" not in res.stderr:
                raise TestFailure("-testnet %s: status %d, %r" % (opt, res.returncode, res.stderr))
        if os.listdir(empty):
            raise TestFailure("a refused start wrote %r" % os.listdir(empty))

        self.log("Fund node 1's wallet and a delegator of node 0 (node 1 crashing throughout)")
        first = self.retry(lambda r: r.getnewaddress())
        self.handed_out.append(first)
        h.sendtoaddress(first, 1000)
        h.sendtoaddress(self.delegator, 500)
        h.generateblocks(2)
        self.sync()

        self.log("Blocks, reorganizations and wallet writes until %d crashes" %
                 self.options.crashes)
        rounds = 0
        while self.crashes < self.options.crashes:
            rounds += 1
            if rounds > 40 * self.options.crashes + 100:
                raise TestFailure("too few crashes: %d in %d rounds" % (self.crashes, rounds))
            self.wallet_ops(rng)
            self.relay_sent()
            r = rng.random()
            if r < 0.2:
                self.reorg(rng)
            elif r < 0.4:
                self.staking(rng)
            else:
                self.transfers(rng)
            before = self.crashes
            self.sync()
            if self.crashes != before or rounds % 5 == 0:
                self.log("  round %d: height %d, %d crashes so far" %
                         (rounds, h.getblockcount(), self.crashes))

        self.log("Every transaction node 1 reported sent confirms")
        deadline = time.time() + 120 * TIMEOUT_FACTOR
        while True:
            self.relay_sent()
            h.generateblocks(1)
            self.sync()
            pending = [t for t in self.sent
                       if self.retry(lambda r: r.gettransaction(t))["confirmations"] < 1]
            if not pending:
                break
            if time.time() > deadline:
                raise TestFailure("sent transactions never confirmed: %r" % pending)

        self.wallet_rewrites()

        self.log("A reindex, crashed and resumed, rebuilds the same tip and state root")
        want = h.getblockchaininfo()
        self.retry(lambda r: r.getblockcount())
        self.stop_crasher()
        # From here node 1 has no peer: all it has is its stored blocks.
        self.crasher.extra_args = [a for a in self.crasher.extra_args
                                   if not a.startswith("-connect=")] + ["-connect=0"]
        reindex_crashes = self.crashes
        self.last_tip = None
        # Once started, an interrupted reindex resumes at the next start
        # without -reindex.
        while self.crashes == reindex_crashes:
            self.once_args = ["-reindex"]
            self.start_crasher()
            self.stop_crasher()
        self.start_crasher()
        self.stop_crasher()
        self.crasher.start()
        got = self.crasher.getblockchaininfo()
        self.check_index(self.crasher.rpc, "after the reindex")
        for addr in self.watched():
            if self.history(self.crasher.rpc, addr) != self.history(self.healthy.rpc, addr):
                self.mismatch("after the reindex node 1's history of %s differs" % addr)
        self.root_comparisons += 1
        if (got["bestblockhash"], got["stateroot"]) != (want["bestblockhash"], want["stateroot"]):
            self.mismatch("after -reindex node 1 is at %s root %s; node 0 at %s root %s" %
                          (got["bestblockhash"], got["stateroot"], want["bestblockhash"],
                           want["stateroot"]))
        self.crasher.stop()
        with open(self.crasher.debug_log, errors="replace") as f:
            resumed = f.read().count("Continuing an interrupted reindex")
        self.log("  the reindex was interrupted by %d crashes and resumed %d times" %
                 (self.crashes - reindex_crashes, resumed))

        elapsed = time.time() - start
        self.log("Crash sites: " + ", ".join("%s: %d" % kv for kv in sorted(self.sites.items())))
        self.log("Figures: %d crashes survived (%d during %d wallet rewrites, %d during the "
                 "reindex), %d rounds, %d reorganizations, %d restarts checked, %d state root "
                 "comparisons, %d address index checks (%d made again on a moving tip), %d addresses and %d sent transactions kept, mismatches: %d "
                 "(%.0f s)" %
                 (self.crashes, self.rewrite_crashes, self.rewrites,
                  self.crashes - reindex_crashes, rounds, self.reorgs,
                  self.consistency_checks, self.root_comparisons, self.index_checks,
                  self.index_redone,
                  len(self.handed_out),
                  len(self.sent), len(self.mismatches), elapsed))
        if self.mismatches:
            raise TestFailure("%d mismatches: %s" % (len(self.mismatches), self.mismatches[:5]))


if __name__ == "__main__":
    DBCrashTest().main()
