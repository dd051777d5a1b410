#!/usr/bin/env python3
"""The handwritten-digits FL demo: ten participants, each holding mostly three
of the ten digits, train a softmax model and a multi-layer perceptron
together on a local regtest chain without sharing an image, with and
without three malicious participants among them.

A network of four validators (each proposing in real time on its own fmld)
and an observer starts on 127.0.0.1.  tests/data/digits.csv (1,797 images of
8x8 pixels) is cut, with a seed, into a common held-out test set (20%) and
ten participants with label skew: the digits are put in a seeded random
cyclic order and participant i holds 80% of its share of the rows of digits
i, i+1 and i+2 of that order (each digit belongs to three participants), the
other 20% of every digit being dealt round-robin to all ten.  The
participants publish only per-feature sums (fml-agent -stats), from which
the creator sets the tasks' input normalization.  Eight FL tasks then run
side by side on the chain, for each model kind (softmax 64-10 and MLP
64-32-10):

  clean-fedavg      the ten participants, honest, aggregator fedavg
  clean-trimmed     the same, aggregator trimmed_mean:1
  attack-fedavg     seven honest and three malicious participants
                    (fml-agent -malicious=flip, noise and scale), fedavg
  attack-trimmed    the same, trimmed_mean:1

The malicious participants are three whose main digits are each also held
by two honest participants, so that the honest data of the attack tasks
still covers every digit.  Each participant runs one fml-agent per task.
At the end the demo prints, per task and round, the global model's accuracy
on the held-out set, what became of every update, the slashes and removals,
and the FL models against each participant training alone and against
centralized training on the pooled rows; checks the final accuracies with
an independent forward pass (demo/fl_digits_ref.py) of flgetmodel's
weights; and says whether each target is met.  The figures go to
fl-digits-results.json, the accuracy per round to fl-digits-accuracy.svg,
and the final models to fl-digits-models.json.

    python3 demo/fl_digits.py [--seed N] [--rounds N] [--dp-epsilon X]
                              [--only clean|attack] [--out DIR] [--keep]

No configuration needed.  Every process it starts is stopped at the end,
also on failure or Ctrl-C.
"""

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from network import Network  # noqa: E402
import fl_demo  # noqa: E402
import fl_digits_ref as ref  # noqa: E402
from test_framework.framework import FMLAGENT, wait_until  # noqa: E402
from test_framework.rpc import JSONRPCException  # noqa: E402

# The digits need no data options (the label is the last column, a class
# index, and no value is missing): the Pima demo's agent helpers are reused
# with none.
fl_demo.DATA_OPTS = []
log = fl_demo.log
Agents = fl_demo.Agents
agent_json = fl_demo.agent_json
local_json = fl_demo.local_json

DATA = os.path.join(HERE, "..", "tests", "data", "digits.csv")
N_PARTS = 10
MAIN_DIGITS = 3          # each participant's main digits
MAIN_SHARE = 0.6         # share of a digit's rows that go to its three holders
# Participants (positions in the cyclic digit order) that are malicious in
# the attack tasks: no three consecutive positions hold two of them, so
# every digit keeps two honest holders.
ATTACKERS = {1: "flip", 4: "noise", 7: "scale"}
HONEST_STAKE = 40
ATTACKER_STAKE = 10      # = min_stake: one slash of slash_bps removes
MIN_STAKE = 10
SLASH_BPS = 3000
STD_FLOOR = 1.0          # pixel units (0..16): rare pixels are not blown up
KINDS = {
    "softmax": {"model": "softmax", "sizes": [64, 10], "epochs": 5, "lr": "0.02"},
    "mlp": {"model": "mlp", "sizes": [64, 32, 10], "epochs": 5, "lr": "0.01"},
}
ROBUST = "trimmed_mean:1"
WINDOWS = (4, 2, 3, 2)   # submit, update reveal, vote commit, vote reveal (blocks)
BASELINE_EPOCHS = 100
INIT_SEED = 12           # the MLP's initial weights (flcreatetask initial_weights)


def part_name(i):
    return "participant-%d" % i


# ---------------------------------------------------------------- data

def split_data(workdir, seed):
    """The held-out file and one file per participant.  Returns (files,
    held_path, info)."""
    header, xs, ys = ref.load_csv(DATA)
    held, pool = ref.heldout_indices(len(xs), seed)
    rng = random.Random(seed * 1000 + 17)
    order = list(range(10))
    rng.shuffle(order)
    mains = [[order[(i + j) % 10] for j in range(MAIN_DIGITS)] for i in range(N_PARTS)]
    holders = {d: [i for i in range(N_PARTS) if d in mains[i]] for d in range(10)}
    parts = [[] for _ in range(N_PARTS)]
    for d in range(10):
        rows = [r for r in pool if ys[r] == d]
        rng.shuffle(rows)
        n_main = round(len(rows) * MAIN_SHARE)
        for k, r in enumerate(rows[:n_main]):
            parts[holders[d][k % len(holders[d])]].append(r)
        off = rng.randrange(N_PARTS)
        for k, r in enumerate(rows[n_main:]):
            parts[(off + k) % N_PARTS].append(r)

    def write(name, rows):
        path = os.path.join(workdir, name + ".csv")
        with open(path, "w") as f:
            f.write(",".join(header) + "\n")
            for r in rows:
                f.write(",".join("%d" % v for v in xs[r]) + ",%d\n" % ys[r])
        return path

    files, info = {}, {}
    for i, rows in enumerate(parts):
        rng.shuffle(rows)
        name = part_name(i)
        files[name] = write(name, rows)
        counts = [sum(1 for r in rows if ys[r] == d) for d in range(10)]
        info[name] = {"rows": len(rows), "main_digits": mains[i],
                      "main_share": round(sum(counts[d] for d in mains[i]) / len(rows), 3),
                      "per_digit": counts, "malicious": ATTACKERS.get(i)}
    held_path = write("heldout", held)
    return files, held_path, info, len(held)


# ---------------------------------------------------------------- baselines

def softmax_baselines(files, held):
    """fml-agent -baseline: each participant alone, and the ten pooled."""
    alone = {n: local_json(["-baseline", "-data=" + p, "-eval=" + held]) for n, p in files.items()}
    central = local_json(["-baseline", "-eval=" + held] + ["-data=" + p for p in files.values()])
    return alone, central


class MlpBaselines(threading.Thread):
    """fml-agent -baseline trains logistic and softmax models only: the MLP
    baselines are trained by demo/fl_digits_ref.py (mini-batch Adam as
    ml/train.c, on the same training rows as the agents' private split), in
    a child process while the chain runs."""

    def __init__(self, files, held, lr):
        super().__init__(daemon=True)
        self.files, self.held, self.lr = files, held, lr
        self.result, self.error, self.procs = None, None, []

    def one(self, paths):
        spec = {"sizes": KINDS["mlp"]["sizes"], "files": paths, "heldout": self.held,
                "epochs": BASELINE_EPOCHS, "lr": self.lr, "init_seed": INIT_SEED}
        p = subprocess.Popen([sys.executable, os.path.join(HERE, "fl_digits_ref.py"), "--data", self.held,
                              "--baseline", json.dumps(spec)], stdout=subprocess.PIPE, text=True)
        self.procs.append(p)
        out, _ = p.communicate()
        if p.returncode != 0:
            raise RuntimeError("the MLP baseline failed")
        return json.loads(out)

    def run(self):
        try:
            alone = {n: self.one([p]) for n, p in self.files.items()}
            central = self.one(list(self.files.values()))
            self.result = (alone, central)
        except Exception as e:  # reported by the main thread
            self.error = e

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()


# ---------------------------------------------------------------- the chain

def create_task(node, kind, normalization, aggregator, args):
    k = KINDS[kind]
    params = {
        "model": k["model"], "sizes": k["sizes"], "normalization": normalization,
        "rounds": args.rounds, "min_participants": N_PARTS, "max_participants": N_PARTS,
        "min_stake": MIN_STAKE, "proposer_slots": args.slots, "join_blocks": args.join_blocks,
        "submit_blocks": WINDOWS[0], "update_reveal_blocks": WINDOWS[1],
        "commit_blocks": WINDOWS[2], "reveal_blocks": WINDOWS[3],
        "aggregator": aggregator, "slash_bps": SLASH_BPS, "voter_reward_bps": 2000, "budget": 100}
    if kind == "mlp":
        init = ref.init_params(k["sizes"], INIT_SEED)
        params["initial_weights"] = [int(round(w * 65536)) for w in init]
    return node.rpc.wallet("default").flcreatetask(params)["task"]


def fund(net, wallets):
    """Each participant's wallet on its node, with one funded address per
    task, paid by the four validators in turn (a sender may have at most 64
    transactions in the mempool)."""
    last = []
    for i, (name, (node, addrs)) in enumerate(wallets.items()):
        src = net.validators[i % len(net.validators)].rpc.wallet("default")
        node.createwallet(name)
        w = node.rpc.wallet(name)
        for key in list(addrs):
            addrs[key] = w.getnewaddress(key)
            src.sendtoaddress(addrs[key], HONEST_STAKE + 5)
            last.append(addrs[key])
    obs = net.observer
    wait_until(lambda: all(obs.getaccount(a)["balance"] > 0 for a in last), timeout=120,
               interval=0.5, what="the participants' funds to confirm")


def wait_tasks(node, tasks, timeout):
    def states():
        return {k: node.flgettask(t) for k, t in tasks.items()}
    deadline = time.time() + timeout
    last = 0
    while True:
        st = states()
        if all(s["state"] in ("completed", "cancelled") for s in st.values()):
            return
        if time.time() > deadline:
            raise RuntimeError("the tasks did not end within %ds" % timeout)
        if time.time() - last > 20:
            last = time.time()
            phases = sorted({"%s round %d/%d" % (s.get("phase", s["state"]), s["round"], s["rounds"])
                             for s in st.values()})
            log("height %d: %s (%d tasks)" % (node.getblockcount(), "; ".join(phases), len(st)))
        time.sleep(2)


def amount(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return 0.0


def summarize(node, task_id, held, names, malicious):
    """Per round: accuracy (fml-agent -evaluate), outcome, every update's
    status and tally, slashes, removals."""
    t = node.flgettask(task_id)
    per_round = []
    for r in range(0, t["round"] + 1):
        m = agent_json(node, ["-evaluate", "-task=" + task_id, "-round=%d" % r, "-eval=" + held])
        row = {"round": r, "accuracy": round(m["accuracy"], 4), "log_loss": round(m["log_loss"], 4),
               "model_round": m["model_round"]}
        if r > 0:
            rd = node.flgetround(task_id, r)
            row["outcome"] = rd.get("outcome")
            row["updates"] = [{"who": names.get(p["address"], p["address"]), "slots": p.get("slots"),
                               "status": p.get("status"), "tally": p.get("tally"),
                               "malicious": p["address"] in malicious}
                              for p in rd.get("proposers", [])]
            row["voters"] = len(rd.get("voters", []))
            row["slashed"] = sorted({names.get(p["address"], p["address"])
                                     for p in rd.get("proposers", []) + rd.get("voters", [])
                                     if amount(p.get("slashed")) > 0})
            row["removed"] = sorted({names.get(p["address"], p["address"])
                                     for p in rd.get("proposers", []) + rd.get("voters", []) if p.get("removed")})
        per_round.append(row)
    parts = {}
    for p in t["participants"]:
        parts[names.get(p["address"], p["address"])] = {
            "address": p["address"], "status": p.get("status"), "stake": str(p.get("stake")),
            "rewards": str(p.get("rewards")), "slashed": str(p.get("slashed")),
            "contribution": p.get("contribution"), "malicious": p["address"] in malicious}
    return {"task": task_id, "aggregator": t["aggregator"], "state": t["state"], "rounds_run": t["round"],
            "final_model_hash": node.flgetmodel(task_id)["hash"], "per_round": per_round,
            "participants": parts, "final": per_round[-1]}


# ---------------------------------------------------------------- output

def print_task(key, s):
    print()
    print("== %s (aggregator %s, %s after %d rounds)" % (key, s["aggregator"], s["state"], s["rounds_run"]))
    print("  round  outcome          accuracy  updates (participant:status; * malicious)   slashed / removed")
    for row in s["per_round"]:
        ups = " ".join("%s%s:%s" % (u["who"].replace("participant-", "p"), "*" if u["malicious"] else "",
                                    (u["status"] or "?")[:8]) for u in row.get("updates", []))
        sl = ", ".join(x.replace("participant-", "p") for x in row.get("slashed", []))
        rm = ", ".join(x.replace("participant-", "p") for x in row.get("removed", []))
        print("  %5d  %-15s  %7.3f   %-44s %s%s" % (row["round"], row.get("outcome") or "initial",
                                                    row["accuracy"], ups, sl, (" / " + rm) if rm else ""))


def write_svg(path, results, keys):
    pw, ph, left, top, gap = 360, 300, 55, 40, 70
    width, height = left + 2 * pw + gap + 190, top + ph + 60
    lo, hi = 0.5, 1.0        # lower values (round 0: about 0.1) are drawn at 0.5
    colors = {"clean-fedavg": "#1f77b4", "clean-trimmed": "#17becf",
              "attack-fedavg": "#d62728", "attack-trimmed": "#2ca02c"}
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
           'font-size="12">' % (width, height), '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="18" font-size="14">Handwritten digits, 10 participants with label skew: '
           'accuracy of the chain\'s model on the held-out set per round</text>' % left]
    for pi, kind in enumerate(KINDS):
        x0 = left + pi * (pw + gap)
        tasks = [k for k in keys if k.startswith(kind + "-")]
        n = max([len(results["tasks"][k]["per_round"]) for k in tasks] + [2])

        def x(i):
            return x0 + pw * i / max(1, n - 1)

        def y(v):
            return top + ph * (1 - (v - lo) / (hi - lo))
        out.append('<text x="%d" y="%d" font-size="13">%s %s</text>' %
                   (x0, top - 8, kind, "x".join(str(s) for s in KINDS[kind]["sizes"])))
        for v in [0.5, 0.6, 0.7, 0.8, 0.9, 1.0]:
            out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' % (x0, y(v), x0 + pw, y(v)))
            out.append('<text x="%d" y="%.1f" text-anchor="end">%.1f</text>' % (x0 - 6, y(v) + 4, v))
        for i in range(0, n, max(1, n // 8)):
            out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (x(i), top + ph + 16, i))
        out.append('<text x="%d" y="%d" text-anchor="middle">round</text>' % (x0 + pw // 2, top + ph + 34))
        for label, v, color, dash in [("centralized", results["centralized"][kind]["accuracy"], "#555", "6,3"),
                                      ("alone (mean)", results["alone_mean"][kind]["accuracy"], "#999", "2,3")]:
            out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-dasharray="%s"/>' %
                       (x0, y(v), x0 + pw, y(v), color, dash))
        for k in tasks:
            pts = " ".join("%.1f,%.1f" % (x(r["round"]), y(max(lo, r["accuracy"])))
                           for r in results["tasks"][k]["per_round"])
            out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' %
                       (colors[k[len(kind) + 1:]], pts))
    lx, ly = left + 2 * pw + gap + 15, top + 10
    legend = [("centralized", "#555", "6,3", 1), ("alone (mean)", "#999", "2,3", 1)] + \
        [(k, c, "", 2) for k, c in colors.items() if any(t.endswith(k) for t in keys)]
    for label, color, dash, wd in legend:
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="%d"%s/>' %
                   (lx, ly, lx + 20, ly, color, wd, ' stroke-dasharray="%s"' % dash if dash else ""))
        out.append('<text x="%d" y="%d">%s</text>' % (lx + 25, ly + 4, label))
        ly += 18
    out.append('</svg>')
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


# ---------------------------------------------------------------- main

def to_json(o):
    """The RPC client's Decimals as JSON numbers."""
    if isinstance(o, Decimal):
        return float(o)
    raise TypeError("%r is not JSON" % (o,))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1, help="seed of the data split (default 1)")
    parser.add_argument("--rounds", type=int, default=20, help="rounds per task (default 20)")
    parser.add_argument("--slots", type=int, default=9, help="proposer slots per round (default 9)")
    parser.add_argument("--join-blocks", type=int, default=30, help="the tasks' join window (default 30)")
    parser.add_argument("--only", choices=["clean", "attack"], help="run only the clean or the attack tasks")
    parser.add_argument("--tolerance", default="0.1",
                        help="log loss a candidate may lose on a voter's test split and still pass (default 0.1)")
    parser.add_argument("--maxstep", default="2",
                        help="fml-agent -maxstep of every voter: -1 for an update that moved the model more "
                             "than this many times the voter's own training (default 2)")
    parser.add_argument("--maxloss", default="1.0",
                        help="fml-agent -maxloss of every voter: -1 for an update whose own weights raise the "
                             "log loss of the voter's whole file by more than this (default 1.0)")
    parser.add_argument("--dp-epsilon", help="differential privacy: fml-agent -dp-epsilon of the honest "
                        "participants (default: none)")
    parser.add_argument("--dp-delta", help="fml-agent -dp-delta (with --dp-epsilon)")
    parser.add_argument("--dp-clip", help="fml-agent -dp-clip (with --dp-epsilon)")
    parser.add_argument("--out", default=".", help="folder of fl-digits-results.json and the SVG (default .)")
    parser.add_argument("--keep", action="store_true", help="keep the data directories and agent logs")
    args = parser.parse_args()
    if not os.access(FMLAGENT, os.X_OK):
        sys.exit("fml-agent not found at %s: build first (scripts/build.sh)" % FMLAGENT)

    def on_signal(sig, frame):
        raise KeyboardInterrupt
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    started = time.time()
    workdir = tempfile.mkdtemp(prefix="fml_fl_digits_")
    net = Network(keep=args.keep, log=log)
    agents = Agents(workdir)
    mlp = None
    try:
        files, held, info, n_held = split_data(workdir, args.seed)
        mlp = MlpBaselines(files, held, float(KINDS["mlp"]["lr"]))
        mlp.start()
        results = run(net, agents, workdir, args, files, held, info, n_held, mlp)
        results["runtime_seconds"] = round(time.time() - started)
        os.makedirs(args.out, exist_ok=True)
        models = results.pop("_models")
        paths = [os.path.join(args.out, n) for n in
                 ("fl-digits-results.json", "fl-digits-accuracy.svg", "fl-digits-models.json")]
        with open(paths[0], "w") as f:
            json.dump(results, f, indent=2, default=to_json)
        write_svg(paths[1], results, list(results["tasks"]))
        with open(paths[2], "w") as f:
            json.dump({"split_seed": args.seed, "data": "tests/data/digits.csv", "models": models}, f,
                      default=to_json)
        log("Wrote %s (%d s in all)" % (", ".join(paths), results["runtime_seconds"]))
        return 0 if results["targets"]["all_met"] else 2
    except KeyboardInterrupt:
        log("Interrupted.")
        return 130
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        if mlp is not None:
            mlp.stop()
        agents.stop_all()
        net.stop()
        if args.keep:
            log("Agent logs and data kept in %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        log("All processes stopped.")


def run(net, agents, workdir, args, files, held, info, n_held, mlp):
    log("Data: %d held-out images (common test set); %d participants with label skew:" % (n_held, N_PARTS))
    for n, v in info.items():
        log("  %s: %d images, main digits %s (%.0f%% of its images)%s" % (
            n, v["rows"], "/".join(map(str, v["main_digits"])), 100 * v["main_share"],
            ", malicious in the attack tasks (%s)" % v["malicious"] if v["malicious"] else ""))
    log("Baselines: each participant alone and centralized (softmax: fml-agent -baseline; "
        "MLP: demo/fl_digits_ref.py, in the background)")
    soft_alone, soft_central = softmax_baselines(files, held)

    net.start()
    creator = net.validators[0]
    stats = [local_json(["-stats", "-data=" + files[n]]) for n in files]
    norm = [[m, max(s, STD_FLOOR)] for m, s in fl_demo.pooled_normalization(stats)]
    log("Normalization from the participants' published sums (std floored at %.1f)" % STD_FLOOR)

    scen = ["clean", "attack"] if not args.only else [args.only]
    keys = ["%s-%s-%s" % (kind, sc, agg) for kind in KINDS for sc in scen for agg in ("fedavg", "trimmed")]
    names_list = [part_name(i) for i in range(N_PARTS)]
    nodes = {n: net.nodes[i % len(net.nodes)] for i, n in enumerate(names_list)}
    wallets = {n: (nodes[n], {k: None for k in keys}) for n in names_list}
    fund(net, wallets)
    names, malicious = {}, set()
    for n, (_, addrs) in wallets.items():
        for k, a in addrs.items():
            names[a] = n
    for i in ATTACKERS:
        for k, a in wallets[part_name(i)][1].items():
            if "-attack-" in k:
                malicious.add(a)

    tasks = {}
    for k in keys:
        kind, sc, agg = k.split("-")
        tasks[k] = create_task(creator, kind, norm, "fedavg" if agg == "fedavg" else ROBUST, args)
        log("Task %s: %s…" % (k, tasks[k][:16]))

    def created():
        try:
            return all(creator.flgettask(t)["state"] == "open" for t in tasks.values())
        except JSONRPCException:
            return False
    wait_until(created, timeout=60, interval=0.5, what="the tasks to be created")

    for k in keys:
        kind, sc, agg = k.split("-")
        for i, n in enumerate(names_list):
            node, addrs = wallets[n]
            extra = ["-data=" + files[n], "-task=" + tasks[k], "-address=" + addrs[k],
                     "-epochs=%d" % KINDS[kind]["epochs"], "-learningrate=" + KINDS[kind]["lr"],
                     "-tolerance=" + args.tolerance, "-maxstep=" + args.maxstep,
                     "-maxloss=" + args.maxloss, "-pollms=500"]
            if sc == "attack" and i in ATTACKERS:
                extra += ["-stake=%d" % ATTACKER_STAKE, "-malicious=" + ATTACKERS[i]]
            else:
                extra += ["-stake=%d" % HONEST_STAKE]
                if args.dp_epsilon:
                    extra += ["-dp-epsilon=" + args.dp_epsilon]
                    extra += ["-dp-delta=" + args.dp_delta] if args.dp_delta else []
                    extra += ["-dp-clip=" + args.dp_clip] if args.dp_clip else []
            agents.start("%s.%s" % (k, n), node, n, extra)
    log("Started %d fml-agent processes (one per participant and task); logs in %s" % (len(agents.procs), workdir))

    per_round = sum(WINDOWS)
    wait_tasks(creator, tasks, timeout=120 + (args.join_blocks + per_round * args.rounds) * 3)
    net.wait_for_height(creator.getblockcount())
    for _, p, _, _ in agents.procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass

    summary = {k: summarize(creator, t, held, names, malicious) for k, t in tasks.items()}
    hashes = {k: {n.flgetmodel(t)["hash"] for n in net.nodes} for k, t in tasks.items()}
    for k, s in summary.items():
        s["same_model_on_every_node"] = len(hashes[k]) == 1
        print_task(k, s)

    # The independent check: the chain's final weights through fl_digits_ref.
    _, hx, hy = ref.load_csv(held)
    models = {}
    for k, t in tasks.items():
        spec = creator.flgettask(t)["model"]
        weights = creator.flgetmodel(t)["weights_q16"]
        acc = ref.chain_accuracy(spec, weights, hx, hy)
        summary[k]["ref_accuracy"] = round(acc, 4)
        models[k] = {"task": t, "task_model": spec, "weights_q16": weights,
                     "accuracy": summary[k]["final"]["accuracy"]}

    log("Waiting for the MLP baselines")
    mlp.join()
    if mlp.error:
        raise mlp.error
    mlp_alone, mlp_central = mlp.result
    alone = {"softmax": soft_alone, "mlp": mlp_alone}
    central = {"softmax": soft_central, "mlp": mlp_central}
    alone_mean = {kind: {"accuracy": round(statistics.mean(a["accuracy"] for a in alone[kind].values()), 4)}
                  for kind in KINDS}
    centralized = {kind: {"accuracy": round(central[kind]["accuracy"], 4), "train_rows": central[kind]["train_rows"]}
                   for kind in KINDS}

    def fl_of(sc):
        out = {}
        for kind in KINDS:
            fed, rob = summary.get("%s-%s-fedavg" % (kind, sc)), summary.get("%s-%s-trimmed" % (kind, sc))
            if fed:
                out[kind] = {"accuracy": fed["final"]["accuracy"], "fedavg": fed["final"]["accuracy"],
                             ROBUST: rob["final"]["accuracy"]}
        return out
    fl_clean, fl_attack = fl_of("clean"), fl_of("attack")

    honest_slashed = sum(1 for s in summary.values() for row in s["per_round"]
                         for who in row.get("slashed", [])
                         if not (s["participants"].get(who, {}).get("malicious")))
    attacker_accepted = sum(1 for s in summary.values() for row in s["per_round"]
                            for u in row.get("updates", []) if u["malicious"] and u["status"] == "accepted")
    attackers_removed = {k: sorted(n for n, p in s["participants"].items() if p["malicious"] and p["status"] == "removed")
                         for k, s in summary.items() if "-attack-" in k}
    attacker_rounds = {}
    for k, s in summary.items():
        if "-attack-" not in k:
            continue
        for i, how in ATTACKERS.items():
            n = part_name(i)
            ups = [(row["round"], u["status"]) for row in s["per_round"] for u in row.get("updates", [])
                   if u["who"] == n]
            attacker_rounds.setdefault(n, {"malice": how})[k] = {
                "proposed_in": [r for r, _ in ups], "accepted_in": [r for r, st in ups if st == "accepted"],
                "harmful_in": [r for r, st in ups if st == "harmful"],
                "removed": s["participants"][n]["status"] == "removed"}
    removal_round = {}
    for k, s in summary.items():
        if "-attack-" in k:
            removal_round[k] = {}
            for row in s["per_round"]:
                for who in row.get("removed", []):
                    removal_round[k].setdefault(who, row["round"])

    print()
    print("== The FL models against training without the alliance (held-out set, %d images)" % n_held)
    print("  %-40s %8s %8s" % ("model", "softmax", "MLP"))
    for n in files:
        print("  %-40s %8.3f %8.3f" % ("%s alone (%d images)" % (n, alone["softmax"][n]["train_rows"]),
                                       alone["softmax"][n]["accuracy"], alone["mlp"][n]["accuracy"]))
    print("  %-40s %8.3f %8.3f" % ("mean of participants alone", alone_mean["softmax"]["accuracy"], alone_mean["mlp"]["accuracy"]))
    print("  %-40s %8.3f %8.3f" % ("centralized (%d images pooled)" % centralized["softmax"]["train_rows"],
                                   centralized["softmax"]["accuracy"], centralized["mlp"]["accuracy"]))
    for sc in scen:
        for agg in ("fedavg", "trimmed"):
            vals = [summary["%s-%s-%s" % (kind, sc, agg)]["final"]["accuracy"] for kind in KINDS]
            refs = [summary["%s-%s-%s" % (kind, sc, agg)]["ref_accuracy"] for kind in KINDS]
            print("  %-40s %8.3f %8.3f   (independent forward pass: %.3f %.3f)" %
                  ("FL %s, %s" % (sc, "fedavg" if agg == "fedavg" else ROBUST), vals[0], vals[1], refs[0], refs[1]))

    targets = {}
    for kind in KINDS:
        if fl_clean:
            targets["%s: FL clean within 2 points of centralized" % kind] = \
                centralized[kind]["accuracy"] - fl_clean[kind]["accuracy"] <= 0.02
        if fl_clean and fl_attack:
            for agg in ("fedavg", ROBUST):
                targets["%s: FL with 3 of 10 malicious (%s) within 3 points of clean" % (kind, agg)] = \
                    fl_clean[kind][agg] - fl_attack[kind][agg] <= 0.03
    if fl_attack:
        targets["no attacker update ever accepted"] = attacker_accepted == 0
        targets["every attacker removed"] = all(len(v) == len(ATTACKERS) for v in attackers_removed.values())
    targets["no honest participant slashed"] = honest_slashed == 0
    targets["the independent forward pass gives the same accuracy"] = all(
        abs(s["ref_accuracy"] - s["final"]["accuracy"]) < 1e-4 for s in summary.values())
    targets["the same model on every node"] = all(s["same_model_on_every_node"] for s in summary.values())
    targets["all_met"] = all(targets.values())

    print()
    print("What to look at: the gap of 'FL clean' to 'centralized' and to 'mean of participants alone' above;")
    print("in the attack tasks, the status of the starred (malicious) updates per round, the removals, and")
    print("that the slashed column names no honest participant.  Targets:")
    for k, v in targets.items():
        if k != "all_met":
            print("  %-66s %s" % (k, "met" if v else "MISSED"))
    for n, rec in attacker_rounds.items():
        print("  %s (%s): %s" % (n, rec["malice"], "; ".join(
            "%s: proposed in rounds %s, accepted in %s, harmful in %s%s" % (
                k, rec[k]["proposed_in"] or "-", rec[k]["accepted_in"] or "-", rec[k]["harmful_in"] or "-",
                ", removed" if rec[k]["removed"] else "")
            for k in rec if k != "malice")))
    print("  honest slashes: %d; attacker updates accepted: %d; attackers removed: %s" % (
        honest_slashed, attacker_accepted,
        ", ".join("%s %d/3" % (k, len(v)) for k, v in attackers_removed.items()) or "-"))

    cmd = "scripts/demo.sh --digits" + "".join(
        " --%s %s" % (o.replace("_", "-"), getattr(args, o)) for o, d in
        [("seed", 1), ("rounds", 20), ("slots", 9), ("only", None), ("tolerance", "0.1"), ("maxstep", "2"), ("maxloss", "1.0"),
         ("dp_epsilon", None), ("dp_delta", None), ("dp_clip", None)] if getattr(args, o) != d)
    return {
        "command": cmd,
        "data": {"file": "tests/data/digits.csv", "heldout_rows": n_held, "split_seed": args.seed,
                 "participants": info, "main_share": MAIN_SHARE, "attackers": {part_name(i): m for i, m in ATTACKERS.items()}},
        "settings": {"rounds": args.rounds, "proposer_slots": args.slots, "min_stake": MIN_STAKE,
                     "honest_stake": HONEST_STAKE, "attacker_stake": ATTACKER_STAKE, "slash_bps": SLASH_BPS,
                     "tolerance": args.tolerance, "maxstep": args.maxstep, "maxloss": args.maxloss, "robust_aggregator": ROBUST,
                     "dp_epsilon": args.dp_epsilon, "models": KINDS},
        "alone": alone, "alone_mean": alone_mean, "centralized": centralized,
        "fl_clean": fl_clean, "fl_attack": fl_attack,
        "honest_slashed": honest_slashed, "attacker_updates_accepted": attacker_accepted,
        "attackers_removed": {k: len(v) for k, v in attackers_removed.items()},
        "attackers_removed_in_round": removal_round,
        "attackers": attacker_rounds,
        "accuracy_per_round": {k: [r["accuracy"] for r in s["per_round"]] for k, s in summary.items()},
        "tasks": summary, "targets": targets, "_models": models,
    }


if __name__ == "__main__":
    sys.exit(main())
