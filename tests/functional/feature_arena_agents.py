#!/usr/bin/env python3
"""An AI Arena task run end to end by fml-agent processes on four validators
proposing in real time: a small, fast version of demo/arena_demo.py.

A creator commits two hidden validation sets cut from the Pima data; three
honest trainers of clearly different quality (well trained; two strong
features dropped; a learning rate too small to move a weight), a copier
(-malicious=copy: commits blind, then tries to reveal another trainer's
weights), a lazy trainer (commits, never reveals), two honest validators, one scoring at random and one lazy (commits
its scores, never reveals them) take part from their own nodes' wallets; a
delegator delegates to the best trainer, who offers it a share.  One
validator's agent funds a new address of its wallet and stakes from it.

Checked: the chain's ranking of the honest trainers follows their accuracy
on held-out rows no validator saw (Kendall tau 1); the copier's reveal is
refused (arena-commit-mismatch), it is slashed and never ranked, and so is
the lazy trainer; the random
scorer earns least among the validators; a lazy validator that was drawn is
slashed; the task's funds balance and getsupplyinfo stays consistent; every
reward, group, consensus loss and rank equals demo/arena_ref.py, an
independent implementation of the formulas, to the base unit, at settlement
and again after the last Reward B tranche; every node shows the same pool;
every agent exits with status 0; the delegator's claim pays its principal
and its whole share of the operator's reward.
Before the network starts, arena_ref's own checks on hand-made inputs
run.  At the end, accounts whose keys begin with the bytes of the Arena's
record kinds ('S', 'D': an account's state key is 'a' | key, an Arena
record's 'a' | kind | ...) must not disturb arenalisttasks and
arenagetrewards, which scan those prefixes."""

import os
import sys
import time
import unittest

from test_framework.framework import (FMLAGENT, TIMEOUT_FACTOR, FMLTestFramework, TestFailure,
                                      assert_equal, connect_nodes)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "demo"))

import arena_demo  # noqa: E402
import arena_ref  # noqa: E402


class Small(arena_demo.Scenario):
    n_sets = 2
    set_rows = 40
    chunk_rows = 15
    # Blocks come every second whatever the build: an instrumented one
    # (FML_TIMEOUT_FACTOR) gets longer windows.
    windows = {k: int(v * TIMEOUT_FACTOR) for k, v in
               (("submit_blocks", 16), ("reveal_blocks", 6), ("score_commit_blocks", 6),
                ("score_reveal_blocks", 5))}
    budget = 200
    vest_epochs = 2
    trainers = [t for t in arena_demo.TRAINERS if t[0] != "trainer-few-epochs"]
    validators = arena_demo.VALIDATORS + [("validator-lazy", 20, "lazy")]
    lazy_trainers = ["trainer-lazy"]
    small_trainers = ["trainer-small-stake"]
    self_funded = ["validator-b"]


class ArenaAgentsTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 4
        self.extra_args = [["-connect=0", "-listen=1", "-produceblocks=1", "-regtestvalidator=%d" % i]
                           for i in range(4)]

    def run_test(self):
        self.log("arena_ref's checks on hand-made inputs")
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(arena_ref.Checks)
        res = unittest.TextTestRunner(stream=open(os.devnull, "w")).run(suite)
        if not res.wasSuccessful():
            raise TestFailure("arena_ref's own checks fail: %s" % (res.failures + res.errors))

        n = self.nodes
        for a, b in ((0, 1), (1, 2), (2, 3), (3, 0)):
            connect_nodes(n[a], n[b])
        r = arena_demo.run_arena(n, n[0], self.tmpdir, FMLAGENT, sc=Small, say=self.log)
        parties = r["parties"]
        assert_equal(r["state"], "settled")

        self.log("The ranking of the honest trainers follows their held-out accuracy")
        acc = {h["party"]: h["accuracy"] for h in r["holdout_accuracy"]}
        rank = {row["party"]: row["rank"] for row in r["leaderboard"]}
        honest = [t[0] for t in Small.trainers]
        for name in honest:
            if name not in rank:
                raise TestFailure("%s is not ranked: %s" % (name, r["leaderboard"]))
        by_rank = sorted(honest, key=lambda x: rank[x])
        by_acc = sorted(honest, key=lambda x: -acc[x])
        self.log("ranks %s, held-out accuracy %s, Kendall tau %s" %
                 ([rank[x] for x in honest], [acc[x] for x in honest], r["kendall_tau"]))
        assert_equal(by_rank, by_acc)
        assert_equal(by_rank, honest)   # the designed order: well, dropped features, tiny rate
        assert_equal(r["kendall_tau"], 1.0)
        if len(set(rank[x] for x in honest)) != len(honest):
            raise TestFailure("honest trainers share a rank: %s" % rank)

        self.log("The copier is refused, slashed and never ranked")
        c = r["outcomes"]["copier"]
        assert_equal(c["committed"], True)
        assert_equal(c["revealed"], False)
        assert_equal(c["in_leaderboard"], False)
        if not any("arena-commit-mismatch" in ln for ln in c["log"]):
            raise TestFailure("the copier's reveal was not refused for its commitment: %s" % c["log"])
        stake = arena_demo.COPIER_STAKE * arena_ref.COIN
        assert_equal(arena_ref.units(c["slashed"]), stake * 5000 // 10000)
        copier_row = [e for e in r["rewards"] if e["party"] == arena_demo.COPIER][0]
        assert_equal(arena_ref.units(copier_row["reward"]), 0)

        t = n[0].arenagettask(r["task"])
        lazy_t = [o for o in t["operators"] if o["address"] == parties["trainer-lazy"]][0]
        assert_equal((lazy_t["committed"], lazy_t["revealed"], lazy_t["was_slashed"]), (True, False, True))
        assert_equal(arena_ref.units(lazy_t["slashed"]), arena_demo.TRAINER_STAKE * arena_ref.COIN // 2)
        if "trainer-lazy" in rank:
            raise TestFailure("the lazy trainer is ranked")

        self.log("A trainer below the minimum stake takes no seat: its stake is refused")
        small = [o for o in t["operators"] if o["address"] == parties["trainer-small-stake"]]
        assert_equal(small, [])
        if "trainer-small-stake" in rank:
            raise TestFailure("the trainer below the minimum stake is ranked")
        assert_equal(t["n_scoreable"], len(honest))

        self.log("The random scorer earns least among the validators")
        rs = r["outcomes"]["random_scorer"]
        rewards = {name: arena_ref.units(x) for name, x in rs["reward"].items()}
        honest_v = ["validator-a", "validator-b"]
        assert rs["earns_least"], rs
        for name in honest_v:
            if rewards["validator-random"] >= rewards[name] and sum(rs["assignment"]) > 0:
                raise TestFailure("the random scorer earns %d, %s %d" %
                                  (rewards["validator-random"], name, rewards[name]))
            if rewards[name] == 0:
                raise TestFailure("%s earned nothing: %s" % (name, rs))
        self.log("random scorer drawn %s, closeness %s, rewards %s" %
                 (rs["assignment"], rs["closeness_bps"], rewards))

        self.log("A lazy validator that was drawn is slashed for its missing reveal")
        t = n[0].arenagettask(r["task"])
        lazy = [o for o in t["operators"] if o["address"] == parties["validator-lazy"]][0]
        if sum(lazy["assignment"]) > 0:
            assert_equal(lazy["scores_revealed"], False)
            assert_equal(lazy["was_slashed"], True)
            assert_equal(arena_ref.units(lazy["slashed"]), 20 * arena_ref.COIN * 5000 // 10000)
        else:
            self.log("(the lazy validator was not drawn: nothing to slash)")
            assert_equal(lazy["was_slashed"], False)
        assert_equal(arena_ref.units(lazy["reward"]), 0)

        self.log("Conservation, and the same pool on every node")
        cons = r["conservation"]
        for k in ("budget_plus_match_equals_outflows", "distributed_plus_dust_equals_R",
                  "chain_says_balanced", "supply_consistent", "balanced"):
            assert_equal(cons[k], True, k)
        assert_equal(arena_ref.units(cons["vesting"]), 0)
        assert_equal(r["same_pool_on_every_node"], True)

        self.log("Every reward equals the independent implementation to the base unit")
        if not r["reference_implementation_matches"]:
            raise TestFailure("arena_ref differs from the chain: %s" % r["reference_differences"])
        self.log("G_v %s, G_t %s, dust %s units" % (r["validators_group"], r["trainers_group"],
                                                    r["ref"]["dust"]))
        self.log("Every agent reported the end of the task and exited with status 0")
        assert_equal({k: v for k, v in r["agents_exit_codes"].items() if v != 0}, {})
        self.check_prefix_accounts(r)
        self.check_delegator_claim(r)

    def check_delegator_claim(self, r):
        self.log("The delegator claims its principal and its share of the operator's reward")
        node = self.nodes[0]
        d, op = r["parties"][arena_demo.DELEGATOR], r["parties"][arena_demo.DELEGATE_TO]
        home = [n for n in self.nodes if arena_demo.DELEGATOR in n.listwallets()][0]
        w = home.rpc.wallet(arena_demo.DELEGATOR)

        def row():
            rows = [e for e in node.arenagetrewards(d)["entries"]
                    if e["task"] == r["task"] and e["role"] == "delegator"]
            if len(rows) > 1:
                raise TestFailure("%d delegator rows: %s" % (len(rows), rows))
            return rows[0] if rows else None
        before = row()
        claimable, principal = arena_ref.units(before["claimable"]), arena_ref.units(before["delegated"])
        # Everything vested and nothing slashed: the whole delegators' part is claimable.
        assert_equal(claimable, arena_ref.units(before["reward"]))
        if claimable == 0:
            raise TestFailure("the delegator has nothing to claim: %s" % before)
        bal = arena_ref.units(node.getaccount(d)["balance"])
        res = w.arenaundelegate(r["task"], op, d)
        assert_equal(res["kind"], "claim")
        deadline = time.time() + 60
        while row() is not None and not row()["principal_paid"]:
            if time.time() > deadline:
                raise TestFailure("the claim did not confirm: %s" % row())
            time.sleep(0.2)
        after = row()
        if after is not None:   # else: the record is gone, everything paid
            assert_equal(arena_ref.units(after["claimed"]), claimable)
            assert_equal(arena_ref.units(after["claimable"]), 0)
        fee = abs(arena_ref.units(w.gettransaction(res["txid"])["fee"]))
        got = arena_ref.units(node.getaccount(d)["balance"]) - bal
        self.log("claimed %d units of reward and %d of principal (fee %d)" % (claimable, principal, fee))
        assert_equal(got + fee, principal + claimable)

    def check_prefix_accounts(self, r):
        self.log("Accounts whose keys begin with 'S' and 'D' do not disturb the Arena's scans")
        node = self.nodes[0]
        w = node.rpc.wallet("default")
        found = {}
        for _ in range(5000):
            a = w.getnewaddress()
            first = chr(bytes.fromhex(w.getaddressinfo(a)["pubkey"])[0])
            if first in "SD" and first not in found:
                found[first] = a
                w.sendtoaddress(a, 1)
            if len(found) == 2:
                break
        if len(found) != 2:
            raise TestFailure("no address with a key starting with S and D in 5000 tries")
        deadline = time.time() + 60
        while any(node.getaccount(a)["balance"] == 0 for a in found.values()):
            if time.time() > deadline:
                raise TestFailure("the funding of %s did not confirm" % found)
            time.sleep(0.2)
        assert_equal([t["task"] for t in node.arenalisttasks()], [r["task"]])
        for name, addr in r["parties"].items():
            rows = [e for e in node.arenagetrewards(addr)["entries"] if e["task"] == r["task"]]
            if name == "trainer-small-stake":  # no seat: nothing to list
                assert_equal(rows, [])
                continue
            if not rows:
                raise TestFailure("arenagetrewards %s (%s) lists nothing" % (addr, name))
        for addr in found.values():
            assert_equal(node.arenagetrewards(addr)["entries"], [])


if __name__ == "__main__":
    ArenaAgentsTest().main()
