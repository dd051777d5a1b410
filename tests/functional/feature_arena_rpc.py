#!/usr/bin/env python3
"""An AI Arena task driven end to end through RPC on one regtest node with
generateblocks.  The node's wallet creates a logistic-regression task with two
hidden validation sets (cut into chunks), holds two trainers, one honest
validator and one delegator; two outside keys, signed here in Python, are a
copier (a trainer that commits junk, then tries to pass off another trainer's
revealed weights) and a lazy validator (commits scores, never reveals).

Checked: create -> stake -> delegate -> set share -> submit (the wallet reveals
by itself) -> the sets revealed chunk by chunk by the wallet -> score (revealed
by itself) -> settle -> leaderboard and rewards -> vesting tranches ->
the delegator's claim; the copy attempt refused with arena-commit-mismatch
and a late commit with arena-window, and the copier slashed for its missing
reveal; the lazy validator slashed; the pool balances; the rewards equal the
formulas recomputed here to the base unit; a task whose creator's wallet stays
locked through the reveal window fails with its budget slashed; every wallet method
answers bad input (wrong types, unknown task, bad amounts, wrong sizes, the
wrong window) with a clear error and sends nothing."""

import json
import math
import os
import struct
from decimal import Decimal

from test_framework.crypto import Tx, address, compact_size, pubkey, regtest_secret
from test_framework.framework import (FMLTestFramework, TestFailure, assert_equal,
                                      assert_raises_rpc_error)

COIN = 100000000
FEE = 20000
TX_ARENA_STAKE = 33
TX_ARENA_SUBMIT_COMMIT = 37
TX_ARENA_SUBMIT_REVEAL = 38
TX_ARENA_SCORE_COMMIT = 40
EPOCH_SLOTS = 8
VEST_EPOCHS = 2

# Features (x1, x2) and a label 1 when x1 + x2 > 0.
SETS = [
    [[1.5, 0.5, 1], [-1, -0.25, 0], [0.75, 1, 1], [-2, 0.5, 0], [0.25, 0.5, 1], [-0.5, -1.5, 0]],
    [[2, -0.5, 1], [-0.75, 0.25, 0], [1, 1, 1], [-1.25, -1, 0], [0.5, 0.25, 1]],
]
GOOD = [2 * 65536, 2 * 65536, 0]   # w1, w2, bias (Q16.16)
WEAK = [32768, 0, 0]


def units(x):
    return int(Decimal(x) * COIN)


def expected_rewards(t, a):
    """The settlement of this test's task recomputed from the formulas of the
    protocol (not the node's code), from the stakes snapshot, the losses'
    ranks and the pool's match: every operator's f, f_del and Reward A, and
    the dust, to the base unit."""
    p = t["params"]
    ops = {o["address"]: o for o in t["operators"]}
    gamma, q, delta, vest = p["gamma_bps"], p["q_bps"], p["delta_bps"], p["vest_epochs"]
    budget = units(p["budget"])
    burn = budget * 1000 // 10000                      # arena_burn_bps
    left = budget - burn
    match = units(t["pool"]["match"])
    assert match == min(match, left * 500 // 10000)    # arena_match_bps caps it
    r = left + match
    ranked = [(o["address"], o["rank"]) for o in t["operators"]
              if o["role"] == "trainer" and o["rank"]]
    vals = [o["address"] for o in t["operators"]
            if o["role"] == "validator" and o["scores_revealed"]]
    stake = {x: units(ops[x]["stake_snapshot"]) for x in ops}
    big_t = sum(stake[x] for x, _ in ranked)
    sv = sum(stake[x] for x in vals)
    g_v = r * (gamma * (big_t + sv) + (10000 - 2 * gamma) * sv) // (10000 * (big_t + sv))
    g_t = r - g_v

    def rank_weight(rank):
        w = 1 << 32
        for _ in range(rank - 1):
            w = w * q // 10000
        return w
    weights = {x: rank_weight(rk) * stake[x] for x, rk in ranked}
    f = {x: g_t * weights[x] // sum(weights.values()) for x in weights}
    # The only revealed validator is the consensus: deviation 0, closeness 1.
    cs = {x: 10000 * stake[x] for x in vals}
    f.update({x: g_v * cs[x] // sum(cs.values()) for x in vals})
    out = {}
    for x, fx in f.items():
        o = ops[x]
        dl = units(o["delegated"])
        f_del = fx * o["sigma_bps"] * dl // (10000 * stake[x]) if stake[x] else 0
        f_op = fx - f_del
        out[x] = {"f": fx, "f_del": f_del, "f_op": f_op,
                  "a_op": f_op * delta // 10000 if vest else f_op,
                  "a_del": f_del * delta // 10000 if vest else f_del}
    return out, g_v, g_t, r, r - sum(f.values())


def q16(x):
    return int(round(x * 65536))


def logloss(weights, rows):
    """Mean log loss of a logistic model, probabilities clipped to [1e-7, 1-1e-7],
    as Q16.16 rounded to nearest (what a validator reveals)."""
    w = [x / 65536 for x in weights]
    total = 0.0
    for x1, x2, y in rows:
        # The features as the chain stores them (Q16.16).
        z = w[0] * (q16(x1) / 65536) + w[1] * (q16(x2) / 65536) + w[2]
        p = 1 / (1 + math.exp(-z))
        p = min(max(p, 1e-7), 1 - 1e-7)
        total += -math.log(p) if y == 1 else -math.log(1 - p)
    loss = total / len(rows)
    return min(int(round(loss * 65536)), 0xFFFFFFFF) if loss <= 65535 else 0xFFFFFFFF


class ArenaRPCTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    # ---- raw transactions of the outside keys ----

    def send_raw(self, sec, tx_type, payload):
        node = self.nodes[0]
        addr = address("rfml", pubkey(sec))
        nonce = node.getaccount(addr)["nonce"] + sum(
            1 for t in self.raw_pending if t == addr)
        tx = Tx(pubkey(sec), nonce, FEE, tx_type, payload).sign(sec, self.genesis)
        return node.sendrawtransaction(tx.hex())

    def raw(self, sec, tx_type, payload):
        txid = self.send_raw(sec, tx_type, payload)
        self.raw_pending.append(address("rfml", pubkey(sec)))
        return txid

    def mine(self, n=1):
        self.nodes[0].generateblocks(n)
        self.raw_pending = []

    def mine_to(self, height):
        node = self.nodes[0]
        h = node.getblockcount()
        if height > h:
            self.mine(height - h)
        assert_equal(node.getblockcount(), height)

    def nothing_sent(self, fn, *args, code=None, message=""):
        """fn(*args) fails with code/message and neither the mempool nor the
        wallet's history changes."""
        node = self.nodes[0]
        before = (node.getrawmempool(), len(node.listtransactions("*", 100000)))
        assert_raises_rpc_error(code, message, fn, *args)
        after = (node.getrawmempool(), len(node.listtransactions("*", 100000)))
        assert_equal(after, before, "a refused call sent something")

    def run_test(self):
        node = self.nodes[0]
        self.genesis = bytes.fromhex(node.getblockchaininfo()["genesis"])
        self.raw_pending = []
        node.generateblocks(2)

        self.log("The wallet funds a creator, two trainers, a validator and a delegator")
        names = ["creator", "t1", "t2", "v1", "d"]
        a = {n: node.getnewaddress(n) for n in names}
        for n in names:
            node.sendtoaddress(a[n], 200 if n == "creator" else 50)
        self.mine()
        for n in names:
            assert_equal(node.getaccount(a[n])["balance"], 200 if n == "creator" else 50)
        copier, lazy = regtest_secret(2), regtest_secret(3)
        a["copier"], a["lazy"] = address("rfml", pubkey(copier)), address("rfml", pubkey(lazy))

        self.log("arenacreatetask: two sets of 6 and 5 rows in chunks of 2 rows")
        opts = {
            "address": a["creator"], "model": "logistic", "sizes": [2, 1], "loss": "logloss",
            "data_hash": "ab" * 32, "uri": "https://example.org/pima.csv", "valsets": SETS,
            "chunk_rows": 2, "windows": {"submit_blocks": 6, "reveal_blocks": 4,
                                         "score_commit_blocks": 4, "score_reveal_blocks": 4},
            "budget": 100, "gamma_bps": 2000, "q_bps": 5000, "delta_bps": 5000,
            "D_bps": 5000, "epsilon": 0, "vest_epochs": VEST_EPOCHS, "draws_per_set": 8,
            "max_trainers": 4, "max_validators": 4, "trainer_min_stake": 5,
            "validator_min_stake": 5, "slash_bps": 2000,
        }
        self.check_create_errors(opts)
        res = node.arenacreatetask(opts)
        task = res["task"]
        assert_equal(res["txid"], task)
        assert_equal(len(res["salts"]), 2)
        assert_equal(len(res["roots"]), 2)
        raw = node.getrawtransaction(task, True)
        assert_equal(raw["type"], "arena_task_create")
        assert_equal(raw["payload"]["task"], task)
        assert_equal([s["root"] for s in raw["payload"]["sets"]], res["roots"])
        assert_equal((raw["payload"]["budget"], raw["payload"]["loss"]), (100, "logloss"))
        self.mine()
        c = node.getblockcount()
        t = node.arenagettask(task)
        assert_equal(t["state"], "open")
        assert_equal(t["created_height"], c)
        assert_equal([s["root"] for s in t["sets"]], res["roots"])
        assert_equal([(s["n_chunks"], s["n_rows"]) for s in t["sets"]], [(3, 6), (3, 5)])
        w = t["windows"]
        assert_equal((w["submit_end"], w["reveal_end"], w["sets_end"], w["score_commit_end"],
                      w["settle_height"]), (c + 6, c + 10, c + 14, c + 18, c + 22))
        assert_equal(w["vest_heights"], [c + 22 + EPOCH_SLOTS * i for i in range(1, VEST_EPOCHS + 1)])
        assert t["pool"]["balanced"], t["pool"]
        assert any(x["task"] == task for x in node.arenalisttasks())

        self.log("Stakes, a delegation to trainer 1 and its delegators' share")
        self.check_stake_errors(task, a)
        for n, role in (("t1", "trainer"), ("t2", "trainer"), ("v1", "validator")):
            assert "txid" in node.arenastake(task, role, 10, a[n])
        task_b = bytes.fromhex(task)
        self.raw(copier, TX_ARENA_STAKE, task_b + bytes([1]) + struct.pack("<Q", 10 * COIN))
        self.raw(lazy, TX_ARENA_STAKE, task_b + bytes([2]) + struct.pack("<Q", 10 * COIN))
        self.mine()
        assert "txid" in node.arenadelegate(task, a["t1"], 5, a["d"])
        assert "txid" in node.arenasetshare(task, 3000, a["t1"])
        self.check_delegate_errors(task, a)
        self.mine()
        ops = {o["address"]: o for o in node.arenagettask(task)["operators"]}
        assert_equal(ops[a["t1"]]["delegated"], 5)
        assert_equal(ops[a["t1"]]["sigma_bps"], 3000)
        assert_equal(ops[a["v1"]]["role"], "validator")
        assert_equal(ops[a["copier"]]["role"], "trainer")

        self.log("Submissions: two honest commits through the wallet, junk from the copier")
        self.check_submit_errors(task, a)
        s1 = node.arenasubmit(task, GOOD, a["t1"])
        self.nothing_sent(node.arenasubmit, task, GOOD, a["t1"], code=-4, message="does not qualify")
        self.mine()  # commit order: trainer 1, trainer 2, the copier
        # Through fml-cli: the weights go as the text of a JSON array.
        s2 = json.loads(node.cli("arenasubmit", task, json.dumps(WEAK), a["t2"]))
        assert s1["commitment"] != s2["commitment"]
        self.mine()
        self.raw(copier, TX_ARENA_SUBMIT_COMMIT, task_b + os.urandom(32))
        self.mine()
        ops = {o["address"]: o for o in node.arenagettask(task)["operators"]}
        assert ops[a["t1"]]["committed"] and ops[a["t2"]]["committed"]
        assert_equal(ops[a["t1"]]["commitment"], s1["commitment"])
        assert not ops[a["t1"]]["revealed"]
        assert_equal(node.arenareveal(task)["txids"], [])  # nothing due yet
        self.nothing_sent(node.arenarevealsets, task, code=-8, message="only accepted at heights")

        self.log("A restart: the wallet keeps its secrets in wallet.dat")
        node.stop()
        node.start()

        self.log("Reveal window: the wallet reveals both submissions by itself, not the sets yet")
        self.mine_to(c + 6)
        pool = node.getrawmempool()
        txs = [node.getrawtransaction(x, True) for x in pool]
        kinds = sorted(x["type"] for x in txs)
        assert_equal(kinds, ["arena_submit_reveal"] * 2)
        assert_equal(sorted(x["payload"]["model_hash"] for x in txs if x["type"] == "arena_submit_reveal"),
                     sorted([s1["model_hash"], s2["model_hash"]]))
        self.mine()
        t = node.arenagettask(task)
        assert not any(s["complete"] for s in t["sets"]), t["sets"]
        ops = {o["address"]: o for o in t["operators"]}
        assert ops[a["t1"]]["revealed"] and ops[a["t2"]]["revealed"]
        assert_equal(ops[a["t1"]]["model_hash"], s1["model_hash"])
        sub = node.arenagetsubmission(task, a["t1"])
        assert_equal(sub["weights_q16"], GOOD)
        self.nothing_sent(node.arenarevealsets, task, code=-8, message="only accepted at heights")

        self.log("The copier's attempt: T1's weights under its own commitment, and a late commit")
        reveal = task_b + os.urandom(32) + compact_size(len(GOOD)) + b"".join(
            struct.pack("<i", x) for x in GOOD)
        assert_raises_rpc_error(-26, "arena-commit-mismatch", self.send_raw, copier,
                                TX_ARENA_SUBMIT_REVEAL, reveal)
        assert_raises_rpc_error(-26, "arena-window", self.send_raw, copier, TX_ARENA_SUBMIT_COMMIT,
                                task_b + os.urandom(32))
        self.nothing_sent(node.arenaundelegate, task, a["t1"], a["d"], code=-8, message="locked")

        self.log("Set window: every chunk revealed by the wallet once the submissions are fixed")
        self.mine_to(c + 10)
        txs = [node.getrawtransaction(x, True) for x in node.getrawmempool()]
        assert_equal([x["type"] for x in txs], ["arena_reveal_valset"] * 6)
        chunks = sorted((x["payload"]["set"], x["payload"]["chunk"]) for x in txs)
        assert_equal(chunks, [(k, i) for k in range(2) for i in range(3)])
        self.mine()
        t = node.arenagettask(task)
        assert all(s["complete"] for s in t["sets"]), t["sets"]
        vs = json.loads(node.cli("arenagetvalset", task, 1))
        assert vs["complete"]
        assert_equal(len(vs["rows"]), 5)
        assert_equal(vs["rows"][0], [2.0, -0.5, 1])
        self.nothing_sent(node.arenareveal, task, code=-4, message="nothing left to reveal")
        self.nothing_sent(node.arenarevealsets, task, code=-4, message="no validation sets")

        self.log("End of the set window: the copier is slashed for its missing reveal")
        self.mine_to(c + 14)
        t = node.arenagettask(task)
        assert_equal(t["state"], "scoring")
        assert_equal([x["address"] for x in t["submissions"]], [a["t1"], a["t2"]])
        ops = {o["address"]: o for o in t["operators"]}
        assert ops[a["copier"]]["was_slashed"], ops[a["copier"]]
        assert_equal(ops[a["copier"]]["slashed"], 2)  # 20% of 10

        self.log("Scores: the validator's honest losses; the lazy one commits and never reveals")
        v1 = node.arenagetscores(task, a["v1"])
        lz = node.arenagetscores(task, a["lazy"])
        assert sum(v1["assignment"]) + sum(lz["assignment"]) == 2 * 8
        assert sum(lz["assignment"]) > 0, "the lazy validator drew nothing (p = 2^-16)"
        losses = []
        for k in range(2):
            if v1["assignment"][k]:
                losses += [logloss(GOOD, SETS[k]), logloss(WEAK, SETS[k])]
        self.check_score_errors(task, a, len(losses))
        if losses:
            sc = node.arenascore(task, losses, a["v1"])
            assert "commitment" in sc
        self.raw(lazy, TX_ARENA_SCORE_COMMIT, task_b + os.urandom(32))
        self.mine()
        self.mine_to(c + 18)
        txs = [node.getrawtransaction(x, True) for x in node.getrawmempool()]
        assert_equal([x["type"] for x in txs], ["arena_score_reveal"] if losses else [])
        if losses:
            assert_equal(txs[0]["payload"]["losses_raw"], losses)
        self.mine()
        if losses:
            assert_equal(node.arenagetscores(task, a["v1"])["losses"], losses)

        self.log("Settlement")
        bal = {n: node.getaccount(a[n])["balance"] for n in ("t1", "t2", "v1", "creator", "d")}
        self.mine_to(c + 22)
        t = node.arenagettask(task)
        assert t["state"] in ("settled", "refunded"), t["state"]
        assert t["pool"]["balanced"], t["pool"]
        ops = {o["address"]: o for o in t["operators"]}
        assert ops[a["lazy"]]["was_slashed"], ops[a["lazy"]]
        assert_equal(ops[a["lazy"]]["slashed"], 2)
        assert not ops[a["v1"]]["was_slashed"]
        if not losses:
            assert_equal(t["state"], "refunded")
            return
        assert_equal(t["state"], "settled")
        board = node.arenaleaderboard(task)
        assert_equal([(r["address"], r["rank"]) for r in board], [(a["t1"], 1), (a["t2"], 2)])
        want = [sum(l for i, l in enumerate(losses) if i % 2 == j) // (len(losses) // 2)
                for j in range(2)]
        assert_equal([r["consensus_loss_raw"] for r in board], want)
        assert_equal(Decimal(board[0]["consensus_loss"]), Decimal(want[0]) / 65536)
        assert_equal(node.arenagettask(task)["results"][0]["rank"], 1)

        self.log("The rewards are those of the formulas, to the base unit")
        want, g_v, g_t, r, dust = expected_rewards(t, a)
        assert_equal(sorted(want), sorted([a["t1"], a["t2"], a["v1"]]))
        assert_equal(units(t["pool"]["distributed"]), r)
        assert_equal(units(t["pool"]["validators_group"]), g_v)
        assert_equal(units(t["pool"]["trainers_group"]), g_t)
        assert_equal(units(t["pool"]["dust"]), dust)
        for x, e in want.items():
            assert_equal((units(ops[x]["reward"]), units(ops[x]["reward_delegators"]),
                          units(ops[x]["reward_operator"]), units(ops[x]["reward_a"])),
                         (e["f"], e["f_del"], e["f_op"], e["a_op"]))
        assert want[a["t1"]]["f"] > want[a["t2"]]["f"]
        supply = node.getsupplyinfo()
        assert supply["supply_consistent"] and supply["rewards_consistent"], supply

        self.log("Rewards: A paid at settlement with the stakes, B vesting")
        r1 = node.arenagetrewards(a["t1"])
        e1 = [e for e in r1["entries"] if e["task"] == task and e["role"] == "trainer"][0]
        assert e1["reward"] > 0 and e1["reward_a"] > 0 and e1["reward_b_vesting"] > 0, e1
        assert_equal(e1["reward_b_paid"], 0)
        assert_equal(e1["returned"], 10)
        after = node.getaccount(a["t1"])["balance"]
        assert_equal(after - bal["t1"], e1["reward_a"] + 10)
        rv = node.arenagetrewards(a["v1"])
        ev = [e for e in rv["entries"] if e["task"] == task][0]
        assert_equal(ev["role"], "validator")
        assert ev["reward"] > 0
        rc = [e for e in node.arenagetrewards(a["creator"])["entries"] if e["task"] == task][0]
        assert_equal(rc["role"], "creator")
        rd = [e for e in node.arenagetrewards(a["d"])["entries"] if e["task"] == task][0]
        assert_equal(rd["role"], "delegator")
        assert_equal(rd["operator"], a["t1"])
        assert rd["reward"] > 0 and rd["claimable"] > 0, rd
        assert_equal(ops[a["t1"]]["reward_delegators"], rd["reward"])

        self.log("Vesting: each tranche paid at its height")
        for i in range(1, VEST_EPOCHS + 1):
            self.mine_to(c + 22 + EPOCH_SLOTS * i)
            e = [x for x in node.arenagetrewards(a["t1"])["entries"]
                 if x["task"] == task and x["role"] == "trainer"][0]
            assert e["reward_b_paid"] > 0
            if i == VEST_EPOCHS:
                assert_equal(e["reward_b_vesting"], 0)
                assert_equal(e["reward_b_paid"] + e["reward_a"], e["reward"])
        t = node.arenagettask(task)
        assert_equal(t["pool"]["vest_pending"], 0)
        assert t["pool"]["balanced"], t["pool"]

        self.log("The delegator claims its principal and rewards")
        rd = [e for e in node.arenagetrewards(a["d"])["entries"] if e["task"] == task][0]
        before = node.getaccount(a["d"])["balance"]
        claim = node.arenaundelegate(task, a["t1"], a["d"])
        assert_equal(claim["kind"], "claim")
        fee = -node.gettransaction(claim["txid"])["fee"]
        self.mine()
        got = node.getaccount(a["d"])["balance"] - before + fee
        assert_equal(got, 5 + rd["claimable"])
        assert_equal(units(rd["claimable"]), want[a["t1"]]["f_del"])  # A and both tranches
        supply = node.getsupplyinfo()
        assert supply["supply_consistent"] and supply["rewards_consistent"], supply
        left = [e for e in node.arenagetrewards(a["d"])["entries"] if e["task"] == task]
        assert not left or left[0]["claimable"] == 0, left
        self.nothing_sent(node.arenaundelegate, task, a["t1"], a["d"], code=-4,
                          message="no delegation")
        self.failed_task()

    def failed_task(self):
        """A creator whose wallet stays locked through the reveal window cannot
        reveal its sets: the task fails, its budget is slashed, and the RPCs
        show it."""
        node = self.nodes[0]
        self.log("A locked wallet cannot reveal its sets: the task fails")
        node.createwallet("locked", "secret words")
        lw = node.rpc.wallet("locked")
        dw = node.rpc.wallet("default")
        creator = lw.getnewaddress()
        dw.sendtoaddress(creator, 30)
        self.mine()
        lw.walletpassphrase("secret words", 60)
        task = lw.arenacreatetask({"sizes": [2, 1], "valsets": SETS, "budget": 20,
                                   "submit_blocks": 2, "reveal_blocks": 2,
                                   "score_commit_blocks": 1, "score_reveal_blocks": 1})["task"]
        lw.walletlock()
        self.mine()
        t = node.arenagettask(task)
        assert_equal(t["creator"], creator)
        c = t["created_height"]
        self.mine_to(c + 4)  # the set window opens at c + 5
        assert_equal(node.getrawmempool(), [])  # locked: nothing revealed
        assert_raises_rpc_error(-13, "walletpassphrase", lw.arenarevealsets, task)
        self.mine_to(c + 6)
        t = node.arenagettask(task)
        assert_equal(t["state"], "failed")
        assert not any(s["complete"] for s in t["sets"])
        assert t["pool"]["balanced"], t["pool"]
        assert_equal(units(t["pool"]["slashed_budget"]), 18 * COIN)  # the budget after its 10% burn
        row = [e for e in node.arenagetrewards(creator)["entries"] if e["task"] == task][0]
        assert_equal((row["role"], row["state"], units(row["slashed"])), ("creator", "failed", 18 * COIN))
        assert_raises_rpc_error(-8, "no results yet", node.arenaleaderboard, task)
        lw.walletpassphrase("secret words", 60)
        assert_raises_rpc_error(-4, "no validation sets", lw.arenarevealsets, task)
        supply = node.getsupplyinfo()
        assert supply["supply_consistent"] and supply["rewards_consistent"], supply

    # ---- bad input: a clear error and nothing sent ----

    def check_create_errors(self, good):
        node = self.nodes[0]
        self.log("arenacreatetask refuses bad input")

        def bad(change, code, message):
            o = dict(good)
            o.update(change)
            for k, v in change.items():
                if v is None:
                    del o[k]
            self.nothing_sent(node.arenacreatetask, o, code=code, message=message)

        self.nothing_sent(node.arenacreatetask, "x", code=-3, message="")
        bad({"bogus": 1}, -8, "Unknown option: bogus")
        bad({"budget": None}, -8, "budget (FML) is required")
        bad({"budget": "lots"}, -3, "budget")
        bad({"budget": 0.5}, -8, "Invalid task")
        bad({"valsets": SETS[:1]}, -8, "valsets: an array of 2..8")
        bad({"valsets": [SETS[0], [[1, 2]]]}, -8, "a row of 2 features and a label")
        bad({"valsets": [SETS[0], [[1, 2, 5]]]}, -8, "the label must be a class 0..1")
        bad({"loss": "hinge"}, -8, "loss must be")
        bad({"gamma_bps": 6000}, -8, "Invalid task")
        bad({"gamma_bps": -1}, -8, "gamma_bps must be an integer")
        bad({"data_hash": "zz"}, -8, "data_hash")
        bad({"uri": "bad\nuri"}, -8, "printable")
        bad({"chunk_rows": 0}, -8, "chunk_rows")
        bad({"address": "rfml1notanaddress"}, -5, "Invalid address")
        bad({"sizes": [2]}, -8, "sizes")

    def check_stake_errors(self, task, a):
        node = self.nodes[0]
        self.log("arenastake refuses bad input")
        unknown = "00" * 32
        self.nothing_sent(node.arenastake, unknown, "trainer", 10, a["t1"], code=-5,
                          message="Arena task not found")
        self.nothing_sent(node.arenastake, "nothex", "trainer", 10, code=-8, message="task")
        self.nothing_sent(node.arenastake, task, "referee", 10, code=-8, message="role must be")
        self.nothing_sent(node.arenastake, task, "trainer", 0, code=-8, message="more than 0")
        self.nothing_sent(node.arenastake, task, "trainer", -1, code=-3, message="")
        self.nothing_sent(node.arenastake, task, "trainer", "ten", code=-3, message="")
        self.nothing_sent(node.arenastake, task, "trainer", 10, a["copier"], code=-4,
                          message="")
        self.nothing_sent(node.arenastake, task, 7, 10, code=-3, message="")

    def check_delegate_errors(self, task, a):
        node = self.nodes[0]
        self.log("arenadelegate, arenaundelegate and arenasetshare refuse bad input")
        self.nothing_sent(node.arenadelegate, "00" * 32, a["t1"], 5, code=-5, message="not found")
        self.nothing_sent(node.arenadelegate, task, a["d"], 5, code=-5,
                          message="no stake in the task")
        self.nothing_sent(node.arenadelegate, task, "rfml1xyz", 5, code=-5, message="Invalid operator")
        self.nothing_sent(node.arenadelegate, task, a["t1"], Decimal("0.001"), code=-8,
                          message="at least")
        self.nothing_sent(node.arenadelegate, task, a["t1"], 100000, a["d"], code=-26, message="")
        self.nothing_sent(node.arenaundelegate, task, a["t2"], code=-4, message="No key of this wallet")
        self.nothing_sent(node.arenaundelegate, "00" * 32, a["t1"], code=-5, message="not found")
        self.nothing_sent(node.arenasetshare, task, 10001, a["t1"], code=-8, message="sigma_bps")
        self.nothing_sent(node.arenasetshare, task, -5, code=-8, message="non-negative")
        self.nothing_sent(node.arenasetshare, task, 100, a["d"], code=-4, message="no stake")

    def check_submit_errors(self, task, a):
        node = self.nodes[0]
        self.log("arenasubmit refuses bad input")
        self.nothing_sent(node.arenasubmit, "00" * 32, GOOD, code=-5, message="not found")
        self.nothing_sent(node.arenasubmit, task, GOOD[:2], a["t1"], code=-8,
                          message="The model has 3 parameters, not 2")
        self.nothing_sent(node.arenasubmit, task, [1, "x", 3], a["t1"], code=-8, message="weights[1]")
        self.nothing_sent(node.arenasubmit, task, 12, a["t1"], code=-3, message="weights")
        self.nothing_sent(node.arenasubmit, task, "abc", a["t1"], code=-8, message="hex")
        self.nothing_sent(node.arenasubmit, task, GOOD, a["v1"], code=-4, message="does not qualify")
        self.nothing_sent(node.arenascore, task, [1, 2], a["v1"], code=-8,
                          message="only accepted at heights")

    def check_score_errors(self, task, a, n):
        node = self.nodes[0]
        self.log("arenascore refuses bad input")
        self.nothing_sent(node.arenascore, "00" * 32, [1], code=-5, message="not found")
        self.nothing_sent(node.arenascore, task, [1] * (n + 1), a["v1"], code=-8,
                          message="losses expected")
        self.nothing_sent(node.arenascore, task, [-1] * n, a["v1"], code=-8, message="losses[0]")
        self.nothing_sent(node.arenascore, task, [1] * n, a["t1"], code=-4, message="does not qualify")
        self.nothing_sent(node.arenasubmit, task, GOOD, a["t1"], code=-8,
                          message="only accepted at heights")
        self.nothing_sent(node.arenastake, task, "validator", 10, a["v1"], code=-8,
                          message="only accepted at heights")


if __name__ == "__main__":
    ArenaRPCTest().main()
