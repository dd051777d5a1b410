#!/usr/bin/env python3
"""The AI Arena demo: a staked model-training contest on a local regtest
chain, scored on hidden validation sets, with rewards checked against an
independent implementation of the formulas.

A network of four validators (each proposing in real time on its own fmld)
and an observer starts on 127.0.0.1.  The Pima Indians Diabetes data is cut,
with a fixed seed, into public training rows, K hidden validation sets
(committed by their Merkle roots when the task is created, revealed by the
creator's wallet after the submissions) and held-out rows that no validator
ever sees.  A creator opens a task for a logistic-regression model, then:

  trainers   four honest fml-agent -arena-trainer of distinct quality
             (well trained; one epoch; a tiny learning rate; two strong
             features dropped) and one -malicious=copy that commits blind
             and then tries to reveal another trainer's weights;
  validators three fml-agent -arena-validator, one -malicious=random-scores;
  delegator  delegates to the well-trained trainer, who offers its
             delegators a share (sigma) of its reward.

The chain draws validators to sets by stake, takes the weighted lower median
of their losses, ranks the submissions and pays Reward A at once and Reward
B over the next epochs.  The demo prints the leaderboard, each party's Reward
A and B, what became of the copier and the random scorer, each submission's
accuracy on the held-out rows, the Kendall tau between the chain's ranking of
the honest submissions and that accuracy, the task's conservation, and
whether demo/arena_ref.py (standard-library Python, no code shared with the
node) finds the same rewards to the base unit.  The same figures go to
arena-demo-results.json, and a picture to arena-demo.svg.

    python3 demo/arena_demo.py [--out DIR] [--keep]

No configuration needed.  Every process it starts is stopped at the end,
also on failure or Ctrl-C.
"""

import argparse
import csv
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "functional"))

import arena_ref  # noqa: E402

DATA = os.path.join(HERE, "..", "tests", "data", "pima-indians-diabetes.csv")
DATA_OPTS = ["-positive=pos", "-zeromissing=glucose,pressure,triceps,insulin,mass"]
ZERO_MISSING = ("glucose", "pressure", "triceps", "insulin", "mass")
LABEL, POSITIVE = "diabetes", "pos"
SEED = 13

# The honest trainers, best first by design; each with its fml-agent options.
TRAINERS = [
    ("trainer-well", "well trained (100 epochs)", ["-epochs=100", "-learningrate=0.05"]),
    ("trainer-few-epochs", "one epoch", ["-epochs=1", "-learningrate=0.05"]),
    ("trainer-dropped", "glucose and mass dropped", ["-epochs=100", "-learningrate=0.05",
                                                     "-dropfeatures=glucose,mass"]),
    ("trainer-tiny-lr", "tiny learning rate (1e-9)", ["-epochs=100", "-learningrate=0.000000001"]),
]
COPIER = "trainer-copier"
VALIDATORS = [("validator-a", 50, None), ("validator-b", 50, None),
              ("validator-random", 10, "random-scores")]
DELEGATOR = "delegator"
DELEGATE_TO = "trainer-well"
TRAINER_STAKE = 20
COPIER_STAKE = 20
SMALL_STAKE = 5          # below the task's trainer_min_stake of 10
DELEGATION = 20
SIGMA_BPS = 2000


def log(msg):
    print("%s  %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


# ---------------------------------------------------------------- data

def load_rows(path=DATA):
    with open(path) as f:
        reader = csv.reader(f)
        header = next(reader)
        return header, list(reader)


def split_rows(rows, n_sets, set_rows, heldout_rows, seed=SEED, train_rows=None):
    """Shuffled with seed: held-out rows first, then n_sets validation sets,
    then the public training rows (all the rest, or train_rows of them)."""
    rows = list(rows)
    random.Random(seed).shuffle(rows)
    held = rows[:heldout_rows]
    sets = [rows[heldout_rows + i * set_rows: heldout_rows + (i + 1) * set_rows] for i in range(n_sets)]
    train = rows[heldout_rows + n_sets * set_rows:]
    if train_rows is not None:
        train = train[:train_rows]
    return held, sets, train


def features_of(header, row):
    """(features with missing values as None, label 0/1)."""
    out = []
    for name, v in zip(header, row):
        if name == LABEL:
            continue
        x = float(v)
        out.append(None if name in ZERO_MISSING and x == 0 else x)
    return out, 1 if row[header.index(LABEL)] == POSITIVE else 0


def normalization(header, train):
    """[mean, std] per feature as ml/'s scaler fits it: missing values
    imputed with the mean of the present ones, then the population std of
    the imputed column (1 for a constant column)."""
    cols = list(zip(*[features_of(header, r)[0] for r in train]))
    norm = []
    for col in cols:
        present = [x for x in col if x is not None]
        mean = sum(present) / len(present) if present else 0.0
        imputed = [mean if x is None else x for x in col]
        var = sum((x - mean) ** 2 for x in imputed) / len(imputed)
        std = math.sqrt(var) if var > 0 else 1.0
        norm.append([round(mean, 4), round(std, 4)])
    return norm


def valset_rows(header, rows, norm):
    """A validation set for arenacreatetask: [features..., label] with a
    missing value replaced by the task's mean for it (what a trainer's
    agent imputes)."""
    out = []
    for r in rows:
        x, y = features_of(header, r)
        out.append([round(norm[i][0] if v is None else v, 4) for i, v in enumerate(x)] + [y])
    return out


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def q16(x):
    """A decimal as the chain stores it (Q16.16, round half away from zero)."""
    v = abs(Decimal(str(x))) * 65536
    r = int(v + Decimal("0.5"))
    return r if Decimal(str(x)) >= 0 else -r


def holdout_accuracy(header, held, norm, weights_q16):
    """Accuracy of a logistic model (Q16.16 weights, ml/'s canonical layout:
    w[0..n) then the bias) on the held-out rows, normalized with the task's
    Q16.16 normalization, P >= 0.5 predicting the positive class."""
    mean = [q16(m) / 65536 for m, _ in norm]
    std = [q16(s) / 65536 for _, s in norm]
    w = [q / 65536 for q in weights_q16]
    right = 0
    for r in held:
        x, y = features_of(header, r)
        z = w[-1]
        for i, v in enumerate(x):
            z += w[i] * (((mean[i] if v is None else v) - mean[i]) / std[i])
        p = 1 / (1 + math.exp(-z)) if z > -700 else 0.0
        right += (1 if p >= 0.5 else 0) == y
    return right / len(held)


def kendall_tau(xs, ys):
    """Kendall's tau-b of two equally long sequences (ties allowed)."""
    n = len(xs)
    conc = disc = tx = ty = 0
    for i in range(n):
        for j in range(i + 1, n):
            dx, dy = xs[i] - xs[j], ys[i] - ys[j]
            if dx == 0 and dy == 0:
                continue
            if dx == 0:
                tx += 1
            elif dy == 0:
                ty += 1
            elif (dx > 0) == (dy > 0):
                conc += 1
            else:
                disc += 1
    den = math.sqrt((conc + disc + tx) * (conc + disc + ty))
    return (conc - disc) / den if den else 0.0


# ---------------------------------------------------------------- processes

class Agents:
    """fml-agent processes; stop_all() ends every one of them."""

    def __init__(self, workdir, fmlagent):
        self.workdir = workdir
        self.fmlagent = fmlagent
        self.procs = {}

    def start(self, label, node, wallet, args):
        logpath = os.path.join(self.workdir, label + ".log")
        cmd = [self.fmlagent, "-regtest", "-datadir=" + node.datadir, "-rpcport=%d" % node.rpcport,
               "-rpcwallet=" + wallet, "-pollms=200"] + DATA_OPTS + args
        out = open(logpath, "w")
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        self.procs[label] = (p, out, logpath)
        return p

    def log_of(self, label):
        with open(self.procs[label][2]) as f:
            return f.read()

    def exit_codes(self):
        """{label: exit status, None while running}."""
        return {label: p.poll() for label, (p, _, _) in self.procs.items()}

    def wait_all(self, timeout):
        deadline = time.time() + timeout
        for p, _, _ in self.procs.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                pass

    def stop_all(self):
        for p, _, _ in self.procs.values():
            if p.poll() is None:
                p.terminate()
        deadline = time.time() + 10
        for p, out, _ in self.procs.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            out.close()


def wait_for(pred, timeout, what, interval=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if pred():
                return
        except Exception:
            pass
        time.sleep(interval)
    raise RuntimeError("timed out after %ds waiting for %s" % (timeout, what))


def units(x):
    return arena_ref.units(x)


def fml(u):
    """Base units as an FML decimal string."""
    return "%d.%08d" % divmod(u, arena_ref.COIN)


# ---------------------------------------------------------------- the run

class Scenario:
    """Everything one Arena run needs; the demo and the functional test
    differ only in these numbers."""
    n_sets = 3
    set_rows = 60
    heldout_rows = 268
    train_rows = None
    chunk_rows = 25
    windows = {"submit_blocks": 25, "reveal_blocks": 8, "score_commit_blocks": 8,
               "score_reveal_blocks": 6}
    budget = 500
    vest_epochs = 3
    draws_per_set = 16
    epsilon = 328            # 0.005 in Q16.16 loss units
    trainers = TRAINERS
    validators = VALIDATORS
    copier = True
    lazy_trainers = []       # names of trainers that commit and never reveal
    small_trainers = []      # names of honest trainers staking below the minimum
    self_funded = []         # validators whose agent funds a new address itself
    delegator = True
    wait_vesting = True


def run_arena(nodes, creator, workdir, fmlagent, sc=Scenario, say=log):
    """Runs one Arena task on running, connected nodes (creator: the node
    whose "default" wallet holds the funds).  Returns the results dict."""
    header, rows = load_rows()
    held, sets, train = split_rows(rows, sc.n_sets, sc.set_rows, sc.heldout_rows,
                                   train_rows=sc.train_rows)
    train_path = os.path.join(workdir, "train.csv")
    write_csv(train_path, header, train)
    norm = normalization(header, train)
    say("Data (seed %d): %d public training rows, %d hidden validation sets of %d rows, "
        "%d held-out rows" % (SEED, len(train), len(sets), sc.set_rows, len(held)))

    # One wallet per party, each on one of the nodes, funded by the creator.
    parties = [t[0] for t in sc.trainers] + ([COPIER] if sc.copier else []) + list(sc.lazy_trainers) + \
        list(sc.small_trainers) + \
        [v[0] for v in sc.validators] + ([DELEGATOR] if sc.delegator else [])
    src = creator.rpc.wallet("default")
    home, addr = {}, {}
    for i, name in enumerate(parties):
        node = nodes[(i + 1) % len(nodes)]
        node.createwallet(name)
        addr[name] = node.rpc.wallet(name).getnewaddress(name)
        home[name] = node
        src.sendtoaddress(addr[name], 60)
    wait_for(lambda: all(Decimal(str(creator.getaccount(a)["balance"])) > 0 for a in addr.values()),
             90, "the parties' funds to confirm")
    names = {a: n for n, a in addr.items()}

    opts = {"model": "logistic", "sizes": [len(norm), 1], "normalization": norm,
            "loss": "logloss", "uri": "file:pima-train.csv",
            "valsets": [valset_rows(header, s, norm) for s in sets], "chunk_rows": sc.chunk_rows,
            "budget": sc.budget, "gamma_bps": 2000, "q_bps": 5000, "delta_bps": 5000,
            "D_bps": 5000, "epsilon": sc.epsilon, "vest_epochs": sc.vest_epochs,
            "draws_per_set": sc.draws_per_set, "max_trainers": 8, "max_validators": 8,
            "trainer_min_stake": 10, "validator_min_stake": 10, "slash_bps": 5000}
    opts.update(sc.windows)
    res = src.arenacreatetask(opts)
    task = res["task"]
    wait_for(lambda: creator.arenagettask(task)["state"] == "open", 60, "the task to be created")
    t = creator.arenagettask(task)
    w = t["windows"]
    say("Task %s…: %d validation sets committed (roots %s…), budget %s FML (burn %s), "
        "submissions until block %d, their reveals until %d, the sets' until %d, scores until "
        "%d, settlement at %d" %
        (task[:16], len(t["sets"]), ", ".join(s["root"][:8] for s in t["sets"]),
         t["pool"]["budget"], t["pool"]["burn"], w["submit_end"], w["reveal_end"], w["sets_end"],
         w["score_commit_end"], w["settle_height"]))

    agents = Agents(workdir, fmlagent)
    try:
        return _follow(nodes, creator, sc, agents, task, header, held, norm, train_path,
                       home, addr, names, say)
    finally:
        agents.stop_all()


def _follow(nodes, creator, sc, agents, task, header, held, norm, train_path, home, addr, names,
            say):
    for name, what, extra in sc.trainers:
        agents.start(name, home[name], name, ["-arena-trainer", "-task=" + task, "-data=" + train_path,
                                              "-address=" + addr[name],
                                              "-stake=%d" % TRAINER_STAKE, "-seed=1"] + extra)
    if sc.copier:
        agents.start(COPIER, home[COPIER], COPIER, ["-arena-trainer", "-task=" + task,
                                                   "-data=" + train_path, "-address=" + addr[COPIER],
                                                   "-stake=%d" % COPIER_STAKE, "-seed=1",
                                                   "-malicious=copy"])
    for name in sc.small_trainers:
        # Trains well (with another seed than trainer-well, so its weights
        # differ) but stakes less than the minimum: it takes no part.
        agents.start(name, home[name], name, ["-arena-trainer", "-task=" + task, "-data=" + train_path,
                                              "-address=" + addr[name], "-stake=%d" % SMALL_STAKE,
                                              "-seed=2"])
    for name in sc.lazy_trainers:
        agents.start(name, home[name], name, ["-arena-trainer", "-task=" + task, "-data=" + train_path,
                                              "-address=" + addr[name], "-stake=%d" % TRAINER_STAKE,
                                              "-seed=1", "-malicious=lazy"])
    for name, stake, malice in sc.validators:
        # A self-funded agent stakes from a new address of its wallet, which
        # it funds itself from the wallet's funds.
        own = [] if name in sc.self_funded else ["-address=" + addr[name]]
        agents.start(name, home[name], name, ["-arena-validator", "-task=" + task,
                                              "-stake=%d" % stake] + own +
                     (["-malicious=" + malice] if malice else []))
    say("Started %d fml-agent processes" % len(agents.procs))
    for name in sc.self_funded:
        wait_for(lambda: "Staking " in agents.log_of(name), 60, "%s to stake" % name)
        line = [ln for ln in agents.log_of(name).splitlines() if "Staking " in ln][0]
        new = line.split(" from ", 1)[1].split()[0]
        say("%s funded a new address of its wallet and staked from it: %s" % (name, new))
        del names[addr[name]]
        addr[name] = new
        names[new] = name

    t = creator.arenagettask(task)
    w = t["windows"]
    if sc.delegator:
        op = addr[DELEGATE_TO]
        wait_for(lambda: any(o["address"] == op for o in creator.arenagettask(task)["operators"]),
                 60, "the trainer %s to stake" % DELEGATE_TO)
        home[DELEGATE_TO].rpc.wallet(DELEGATE_TO).arenasetshare(task, SIGMA_BPS, op)
        home[DELEGATOR].rpc.wallet(DELEGATOR).arenadelegate(task, op, DELEGATION, addr[DELEGATOR])
        say("%s offers its delegators %d bps of its reward; %s delegates %d FML to it" %
            (DELEGATE_TO, SIGMA_BPS, DELEGATOR, DELEGATION))

    # The weights, while the chain still holds them (non-winning ones are
    # deleted at settlement), for the held-out accuracy.
    wait_for(lambda: creator.getblockcount() >= w["sets_end"], 300, "the set window to close")
    t = creator.arenagettask(task)
    for s in t["sets"]:
        if not s["complete"]:
            say("set %d: %d of %d chunks revealed" % (s["set"], s["revealed_chunks"], s["n_chunks"]))
    stakes = arena_ref.snapshot_stakes(creator, task)
    weights = {}
    for s in t["submissions"]:
        weights[s["address"]] = creator.arenagetsubmission(task, s["address"])["weights_q16"]
    say("Submissions revealed by block %d, then the sets by block %d: %d scoreable "
        "submissions, sets complete: %s" %
        (w["reveal_end"], w["sets_end"], len(weights), all(s["complete"] for s in t["sets"])))

    wait_for(lambda: creator.arenagettask(task)["state"] in ("settled", "refunded", "failed"), 300,
             "the settlement")
    settled = creator.arenagettask(task)
    say("Task %s at block %d" % (settled["state"], settled["windows"]["settle_height"]))
    delegators = [addr[DELEGATOR]] if sc.delegator else []
    kappa_bps = settled["pool"]["match_bps"]  # the chain's arena_match_bps
    # Once at settlement (Reward A paid, Reward B vesting), once after the
    # last tranche.
    ok_at_settle, diffs_at_settle, _ = arena_ref.compare_with_chain(
        creator, task, delegators=delegators, kappa_bps=kappa_bps, stakes=stakes)
    at_settle = reward_rows(creator, task, addr)
    if sc.wait_vesting and settled["windows"]["vest_heights"]:
        last = settled["windows"]["vest_heights"][-1]
        wait_for(lambda: creator.getblockcount() >= last, 300, "the last Reward B tranche")
        wait_for(lambda: min(n.getblockcount() for n in nodes) >= last, 60, "every node at the tip")
    agents.wait_all(15)
    final = creator.arenagettask(task)
    ref_ok, ref_diffs, ref = arena_ref.compare_with_chain(
        creator, task, delegators=delegators, kappa_bps=kappa_bps, stakes=stakes)
    ref_ok = ref_ok and ok_at_settle
    ref_diffs = ["at settlement: " + d for d in diffs_at_settle] + \
        ["after vesting: " + d for d in ref_diffs]
    return summarize(creator, nodes, sc, agents, task, settled, final, header, held, norm, weights,
                     addr, names, ref_ok, ref_diffs, ref, at_settle)


def summarize(creator, nodes, sc, agents, task, settled, final, header, held, norm, weights, addr,
              names, ref_ok, ref_diffs, ref, at_settle):
    honest = [t[0] for t in sc.trainers]
    board = creator.arenaleaderboard(task)
    leaderboard = [{"address": r["address"], "party": names.get(r["address"], "?"), "role": "trainer",
                    "rank": r["rank"], "consensus_loss": str(r["consensus_loss"]),
                    "consensus_loss_raw": r["consensus_loss_raw"], "seq": r["seq"]} for r in board]
    acc = {a: round(holdout_accuracy(header, held, norm, wq), 4) for a, wq in weights.items()}
    holdout = [{"address": a, "party": names.get(a, "?"), "accuracy": acc[a]} for a in weights]
    ranked = {r["address"]: r for r in leaderboard}
    hon = [addr[n] for n in honest if addr[n] in ranked and addr[n] in acc]
    tau = kendall_tau([-ranked[a]["rank"] for a in hon], [acc[a] for a in hon]) if len(hon) >= 2 else None

    rewards = reward_rows(creator, task, addr)
    summary_extra = {"rewards_at_settlement": at_settle}
    return _summary(creator, nodes, sc, agents, task, settled, final, header, held, norm, weights,
                    addr, names, ref_ok, ref_diffs, ref, leaderboard, holdout, tau, rewards,
                    summary_extra)


def reward_rows(creator, task, addr):
    """arenagetrewards of every party for the task, amounts as FML text."""
    rewards = []
    for name, a in addr.items():
        for e in creator.arenagetrewards(a)["entries"]:
            if e["task"] != task:
                continue
            row = {"address": a, "party": name, "role": e["role"]}
            for k in ("reward", "reward_a", "reward_b_vesting", "reward_b_paid", "forfeited",
                      "slashed", "returned"):
                row[k] = fml(units(e[k]))
            row["reward_b"] = fml(units(e["reward_b_vesting"]) + units(e["reward_b_paid"]))
            rewards.append(row)
    return rewards


def _summary(creator, nodes, sc, agents, task, settled, final, header, held, norm, weights, addr,
             names, ref_ok, ref_diffs, ref, leaderboard, holdout, tau, rewards, extra):
    ranked = {r["address"]: r for r in leaderboard}
    p = final["pool"]
    paid_units = units(p["paid"]) + units(p["vest_paid"])
    total_out = units(p["burn"]) + units(p["paid"]) + units(p["vest_paid"]) + units(p["vest_pending"]) + \
        units(p["forfeited"]) + units(p["dust"]) + units(p["returned"]) + units(p["slashed_budget"])
    distributed = units(p["paid"]) + units(p["vest_paid"]) + units(p["vest_pending"]) + \
        units(p["forfeited"])
    sup = creator.getsupplyinfo()
    left = units(p["budget"]) - units(p["burn"])
    conservation = {
        "budget": fml(units(p["budget"])), "burn": fml(units(p["burn"])), "budget_left": fml(left),
        "match": fml(units(p["match"])), "paid": fml(paid_units),
        "reward_a_paid": fml(units(p["paid"])), "reward_b_paid": fml(units(p["vest_paid"])),
        "vesting": fml(units(p["vest_pending"])), "forfeited": fml(units(p["forfeited"])),
        "dust": fml(units(p["dust"])), "returned": fml(units(p["returned"])),
        "slashed_stakes": fml(units(p["slashed"])),
        "budget_plus_match_equals_outflows": total_out == units(p["budget"]) + units(p["match"]),
        "distributed_plus_dust_equals_R": settled["state"] != "settled" or
        distributed + units(p["dust"]) == left + units(p["match"]),
        "chain_says_balanced": bool(p["balanced"]),
        "supply_consistent": bool(sup.get("supply_consistent")),
        "rewards_consistent": bool(sup.get("rewards_consistent")),
    }
    conservation["balanced"] = all(conservation[k] for k in (
        "budget_plus_match_equals_outflows", "distributed_plus_dust_equals_R", "chain_says_balanced",
        "supply_consistent", "rewards_consistent"))

    ops = {o["address"]: o for o in final["operators"]}
    outcomes = {}
    if sc.copier:
        c = ops.get(addr[COPIER], {})
        lines = [ln.split(" ", 1)[1] for ln in agents.log_of(COPIER).splitlines()
                 if "weights of" in ln or "blind" in ln]
        outcomes["copier"] = {"address": addr[COPIER], "committed": c.get("committed"),
                              "revealed": c.get("revealed"), "slashed": fml(units(c.get("slashed", 0))),
                              "returned": fml(units(c.get("returned", 0))), "log": lines,
                              "in_leaderboard": addr[COPIER] in ranked}
    rnd = [v for v in sc.validators if v[2] == "random-scores"]
    if rnd:
        vals = {v[0]: ops.get(addr[v[0]], {}) for v in sc.validators}
        outcomes["random_scorer"] = {
            "address": addr[rnd[0][0]],
            "assignment": vals[rnd[0][0]].get("assignment"),
            "closeness_bps": {n: o.get("closeness_bps") for n, o in vals.items()},
            "reward": {n: fml(units(o.get("reward", 0))) for n, o in vals.items()},
            "earns_least": all(units(vals[rnd[0][0]].get("reward", 0)) <= units(o.get("reward", 0))
                               for n, o in vals.items()),
        }
    same_state = len({json.dumps(n.arenagettask(task)["pool"], sort_keys=True, default=str)
                      for n in nodes}) == 1
    return {
        "task": task,
        "state": settled["state"],
        "leaderboard": leaderboard,
        "rewards": rewards,
        "conservation": conservation,
        "holdout_accuracy": holdout,
        "kendall_tau": round(tau, 4) if tau is not None else None,
        "reference_implementation_matches": ref_ok,
        "reference_differences": ref_diffs,
        "outcomes": outcomes,
        "parties": {n: a for n, a in addr.items()},
        "descriptions": {t[0]: t[1] for t in sc.trainers},
        "validators_group": fml(units(settled["pool"]["validators_group"])),
        "trainers_group": fml(units(settled["pool"]["trainers_group"])),
        "same_pool_on_every_node": same_state,
        "agents_exit_codes": agents.exit_codes(),
        "rewards_at_settlement": extra["rewards_at_settlement"],
        "data": {"seed": SEED, "heldout_rows": len(held), "sets": sc.n_sets, "set_rows": sc.set_rows},
        "ref": {"G_v": ref["G_v"], "G_t": ref["G_t"], "dust": ref["dust"]},
    }


# ---------------------------------------------------------------- output

def print_results(r):
    acc = {h["address"]: h["accuracy"] for h in r["holdout_accuracy"]}
    print()
    print("== Leaderboard (consensus loss = mean over sets of the stake-weighted lower median)")
    print("  rank  %-20s %-28s %14s  %s" % ("trainer", "how it trained", "consensus loss", "held-out accuracy"))
    for row in r["leaderboard"]:
        print("  %4d  %-20s %-28s %14s  %.3f" % (row["rank"], row["party"], r["descriptions"].get(row["party"], ""),
                                                row["consensus_loss"][:8], acc.get(row["address"], float("nan"))))
    print()
    print("== Rewards (FML)")
    settle = {(e["address"], e["role"]): e for e in r.get("rewards_at_settlement", [])}
    print("  %-20s %-10s %13s %13s %13s %12s %12s" % ("party", "role", "Reward A", "B vesting",
                                                       "B paid by end", "forfeited", "slashed"))
    print("  %-20s %-10s %13s %13s %13s" % ("", "", "(settlement)", "(settlement)", ""))
    for e in r["rewards"]:
        at = settle.get((e["address"], e["role"]), e)
        print("  %-20s %-10s %13s %13s %13s %12s %12s" % (e["party"], e["role"], e["reward_a"],
                                                         at["reward_b_vesting"], e["reward_b_paid"],
                                                         e["forfeited"], e["slashed"]))
    o = r["outcomes"]
    if "copier" in o:
        c = o["copier"]
        print()
        print("== The copier: committed %s, revealed %s, slashed %s FML, in the leaderboard: %s" %
              (c["committed"], c["revealed"], c["slashed"], c["in_leaderboard"]))
        for ln in c["log"]:
            print("   " + ln)
    if "random_scorer" in o:
        rs = o["random_scorer"]
        print("== The random scorer: drawn %s; closeness (bps) %s; rewards %s; earns least: %s" %
              (rs["assignment"], rs["closeness_bps"], rs["reward"], "yes" if rs["earns_least"] else "NO"))
    c = r["conservation"]
    print()
    print("== Conservation: budget %s = burn %s + paid %s + vesting %s + forfeited %s + dust %s + "
          "returned %s - match %s: %s; getsupplyinfo consistent: %s" %
          (c["budget"], c["burn"], c["paid"], c["vesting"], c["forfeited"], c["dust"], c["returned"],
           c["match"], "balanced" if c["balanced"] else "NOT BALANCED", c["supply_consistent"]))
    print("Kendall tau between the chain's ranking of the honest submissions and their held-out "
          "accuracy: %s (target >= 0.67: %s)" % (r["kendall_tau"], "met" if (r["kendall_tau"] or 0) >= 0.67 else "MISSED"))
    print("rewards match the independent implementation: %s" % ("yes" if r["reference_implementation_matches"] else "no"))
    for d in r["reference_differences"]:
        print("   " + d)


def write_svg(path, r):
    """Left: consensus loss against held-out accuracy per submission.  Right:
    each party's Reward A, Reward B and slash."""
    width, height = 950, 420
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>']
    # left panel
    L, T, W, H = 60, 40, 330, 300
    acc = {h["address"]: h["accuracy"] for h in r["holdout_accuracy"]}
    pts = [(int(row["consensus_loss_raw"]) / 65536, acc[row["address"]], row["party"], row["rank"])
           for row in r["leaderboard"] if row["address"] in acc]
    if pts:
        x0, x1 = min(p[0] for p in pts) - 0.02, max(p[0] for p in pts) + 0.02
        y0, y1 = min(p[1] for p in pts) - 0.03, max(p[1] for p in pts) + 0.03

        def X(v):
            return L + W * (v - x0) / (x1 - x0)

        def Y(v):
            return T + H * (1 - (v - y0) / (y1 - y0))
        out.append('<text x="%d" y="22" font-size="14">Consensus loss vs held-out accuracy</text>' % L)
        out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>' % (L, T, W, H))
        for i in range(5):
            xv = x0 + (x1 - x0) * i / 4
            yv = y0 + (y1 - y0) * i / 4
            out.append('<text x="%.1f" y="%d" text-anchor="middle">%.3f</text>' % (X(xv), T + H + 16, xv))
            out.append('<text x="%d" y="%.1f" text-anchor="end">%.2f</text>' % (L - 5, Y(yv) + 4, yv))
        out.append('<text x="%d" y="%d" text-anchor="middle">consensus loss (log loss on the hidden sets; lower is better)</text>' % (L + W // 2, T + H + 34))
        out.append('<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">accuracy on held-out rows</text>' % (T + H // 2, T + H // 2))
        for x, y, name, rank in pts:
            out.append('<circle cx="%.1f" cy="%.1f" r="5" fill="#1f77b4"/>' % (X(x), Y(y)))
            right = X(x) > L + W / 2
            out.append('<text x="%.1f" y="%.1f" text-anchor="%s">#%d %s</text>' %
                       (X(x) + (-7 if right else 7), Y(y) - 6, "end" if right else "start", rank,
                        name.replace("trainer-", "")))
        out.append('<text x="%d" y="%d">Kendall tau (honest) = %s</text>' % (L + 6, T + H - 8, r["kendall_tau"]))
    # right panel
    L2, T2, W2 = 560, 40, 300
    rows = r["rewards"]
    vals = [(e["party"], float(e["reward_a"]), float(e["reward_b_vesting"]) + float(e["reward_b_paid"]),
             float(e["slashed"])) for e in rows if e["role"] != "creator"]
    top = max([a + b for _, a, b, _ in vals] + [s for *_, s in vals] + [1])
    out.append('<text x="%d" y="22" font-size="14">Rewards by party (FML)</text>' % (L2 - 110))
    bh = 22
    for i, (name, a, b, s) in enumerate(vals):
        y = T2 + i * (bh + 6)
        out.append('<text x="%d" y="%d" text-anchor="end">%s</text>' % (L2 - 6, y + 15, name))
        wa, wb, ws = W2 * a / top, W2 * b / top, W2 * s / top
        out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="#2ca02c"/>' % (L2, y, wa, bh))
        out.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="#98df8a"/>' % (L2 + wa, y, wb, bh))
        if s > 0:
            out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="#d62728" opacity="0.8"/>' % (L2, y + bh // 2, ws, bh // 2))
        out.append('<text x="%.1f" y="%d">%.2f</text>' % (L2 + max(wa + wb, ws) + 4, y + 15, a + b if s == 0 else -s))
    ly = T2 + len(vals) * (bh + 6) + 12
    for color, label in (("#2ca02c", "Reward A (paid at settlement)"), ("#98df8a", "Reward B (vesting per epoch)"),
                         ("#d62728", "slashed (shown negative)")):
        out.append('<rect x="%d" y="%d" width="14" height="10" fill="%s"/>' % (L2 - 100, ly, color))
        out.append('<text x="%d" y="%d">%s</text>' % (L2 - 80, ly + 10, label))
        ly += 16
    out.append('</svg>')
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


# ---------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=".", help="folder of arena-demo-results.json and arena-demo.svg (default .)")
    parser.add_argument("--keep", action="store_true", help="keep the data directories and agent logs")
    args = parser.parse_args()
    os.environ.setdefault("FML_BUILD_DIR", os.path.abspath(os.path.join(HERE, "..")))
    from network import Network
    from test_framework.framework import FMLAGENT
    if not os.access(FMLAGENT, os.X_OK):
        sys.exit("fml-agent not found at %s: build first (scripts/build.sh)" % FMLAGENT)

    def on_signal(sig, frame):
        raise KeyboardInterrupt
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    started = time.time()
    workdir = tempfile.mkdtemp(prefix="fml_arena_demo_")
    net = Network(keep=args.keep, log=log)
    try:
        net.start()
        creator = net.validators[0]
        results = run_arena(net.nodes, creator, workdir, FMLAGENT)
        results["runtime_seconds"] = round(time.time() - started)
        print_results(results)
        os.makedirs(args.out, exist_ok=True)
        jpath = os.path.join(args.out, "arena-demo-results.json")
        with open(jpath, "w") as f:
            json.dump(results, f, indent=2, default=str)
        spath = os.path.join(args.out, "arena-demo.svg")
        write_svg(spath, results)
        log("Wrote %s and %s (%d s in all)" % (jpath, spath, results["runtime_seconds"]))
        ok = results["reference_implementation_matches"] and results["conservation"]["balanced"]
        return 0 if ok else 1
    except KeyboardInterrupt:
        log("Interrupted.")
        return 130
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        net.stop()
        if args.keep:
            log("Agent logs and data kept in %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        log("All processes stopped.")


if __name__ == "__main__":
    sys.exit(main())
