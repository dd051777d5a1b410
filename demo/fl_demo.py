#!/usr/bin/env python3
"""The FL Alliance demo: hospitals train a diabetes model together on a local
regtest chain without sharing a single patient row.

A network of four validators (each proposing in real time on its own fmld)
and an observer starts on 127.0.0.1.  The Pima Indians Diabetes data is cut
into a common held-out test set and three hospitals split by patient age
(young, middle-aged, older: different sizes and diabetes rates, i.e. non-IID).
The hospitals publish only per-feature sums (fml-agent -stats), from which
the creator sets the task's input normalization, then three FL tasks for a
logistic-regression model run side by side on the chain:

  clean           the three hospitals, aggregator fedavg
  attack-fedavg   the three plus a fourth, malicious hospital (fml-agent
                  -malicious=...), fedavg
  attack-median   the same four, aggregator median

Each hospital runs one fml-agent per task.  In every round two proposer
slots are drawn by stake; proposers commit to their updates, then reveal
them; the other participants vote on each revealed update separately.  At the
end the demo prints, per round, the global model's accuracy and ROC AUC on
the held-out set, each update's fate, the stakes and slashes (with the count
of slashes of honest hospitals, honest_slashed), and the FL model against
each hospital training alone and against centralized training on the pooled
data.  The same figures go to fl-demo-results.json, and accuracy per round
to fl-demo-accuracy.svg.

    python3 demo/fl_demo.py [--rounds N] [--malicious flip|noise|scale]
                            [--dp-epsilon X [--dp-clip C]] [--no-market]
                            [--out DIR] [--keep]

With --dp-epsilon every honest hospital releases its updates with
differential privacy (fml-agent -dp-epsilon, -dp-clip).

Then the AI Market phase (demo/market_demo.py, doc/market-demo.md) runs on
the same network: the clean task's model is published (its data providers:
the hospitals), with the median task's model and a composite of the two; a
clinic buys calls from a validator serving as compute provider and runs the
held-out rows through predict; the hospitals claim their share; a wash
trader loses money buying its own calls.  Its figures go to
market-demo-results.json and market-demo-price.svg (--no-market skips it).

No configuration needed.  Every process it starts is stopped at the end,
also on failure or Ctrl-C.
"""

import argparse
import csv
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import market_demo
from network import Network
from test_framework.framework import FMLAGENT, wait_until
from test_framework.rpc import JSONRPCException

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "tests", "data", "pima-indians-diabetes.csv")
DATA_OPTS = ["-positive=pos", "-zeromissing=glucose,pressure,triceps,insulin,mass"]
SEED = 7
HOSPITALS = [("hospital-young", 0, 25), ("hospital-middle", 25, 35), ("hospital-older", 35, 200)]
MALICIOUS = "hospital-rogue"
HONEST_STAKE = 40
# One slash (30%) leaves 9.8 < min_stake 10: a harmful update removes it.
ROGUE_STAKE = 14
PROPOSER_SLOTS = 2
PROVIDER_NODE = 3        # the validator whose node serves the Market's predictions


def log(msg):
    print("%s  %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


# ---------------------------------------------------------------- data

def split_data(workdir):
    """Held-out set (20%, common) and three hospitals by age; the rogue
    hospital gets a random sample of the pool (its labels are what it
    poisons).  Returns {name: path} and the held-out path."""
    with open(DATA) as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    rng = random.Random(SEED)
    rng.shuffle(rows)
    n_held = round(len(rows) * 0.2)
    held, pool = rows[:n_held], rows[n_held:]
    age = header.index("age")
    files = {}

    def write(name, part):
        path = os.path.join(workdir, name + ".csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(part)
        return path

    info = {}
    for name, lo, hi in HOSPITALS:
        part = [r for r in pool if lo <= int(r[age]) < hi]
        files[name] = write(name, part)
        ages = "under %d" % hi if lo == 0 else "%d and over" % lo if hi >= 200 else "%d-%d" % (lo, hi - 1)
        info[name] = {"rows": len(part), "ages": ages,
                      "diabetes_rate": round(sum(r[-1] == "pos" for r in part) / len(part), 3)}
    files[MALICIOUS] = write(MALICIOUS, rng.sample(pool, 150))
    info[MALICIOUS] = {"rows": 150, "ages": "any", "diabetes_rate": None}
    held_path = write("heldout", held)
    return files, held_path, info, len(held)


# ---------------------------------------------------------------- agents

class Agents:
    """fml-agent processes; stop_all() ends every one of them."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.procs = []

    def start(self, label, node, wallet, args):
        logpath = os.path.join(self.workdir, label + ".log")
        cmd = [FMLAGENT, "-regtest", "-datadir=" + node.datadir, "-rpcport=%d" % node.rpcport,
               "-rpcwallet=" + wallet] + DATA_OPTS + args
        out = open(logpath, "w")
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append((label, p, out, logpath))
        return p

    def running(self):
        return [label for label, p, _, _ in self.procs if p.poll() is None]

    def stop_all(self):
        for _, p, _, _ in self.procs:
            if p.poll() is None:
                p.terminate()
        deadline = time.time() + 10
        for _, p, out, _ in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            out.close()


def agent_json(node, args):
    cmd = [FMLAGENT, "-regtest", "-datadir=" + node.datadir, "-rpcport=%d" % node.rpcport] + \
        DATA_OPTS + args
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        raise RuntimeError("fml-agent %s failed: %s" % (" ".join(args), res.stderr.strip()))
    return json.loads(res.stdout)


def local_json(args):
    res = subprocess.run([FMLAGENT] + DATA_OPTS + args, capture_output=True, text=True, timeout=300)
    if res.returncode != 0:
        raise RuntimeError("fml-agent %s failed: %s" % (" ".join(args), res.stderr.strip()))
    return json.loads(res.stdout)


def pooled_normalization(stats):
    """[mean, std] per feature from the hospitals' published sums."""
    norm = []
    for i, feat in enumerate(stats[0]["features"]):
        count = sum(s["features"][i]["count"] for s in stats)
        total = sum(s["features"][i]["sum"] for s in stats)
        sumsq = sum(s["features"][i]["sumsq"] for s in stats)
        mean = total / count
        std = max((sumsq / count - mean * mean) ** 0.5, 1e-3)
        norm.append([round(mean, 4), round(std, 4)])
    return norm


# ---------------------------------------------------------------- the run

def create_task(node, normalization, rounds, aggregator, n_participants):
    res = node.rpc.wallet("default").flcreatetask({
        "model": "logistic", "sizes": [8, 1], "normalization": normalization,
        "rounds": rounds, "min_participants": n_participants,
        "max_participants": n_participants, "min_stake": 10,
        "proposer_slots": PROPOSER_SLOTS, "join_blocks": 20, "submit_blocks": 3,
        "update_reveal_blocks": 2,
        "commit_blocks": 2, "reveal_blocks": 2, "aggregator": aggregator,
        "slash_bps": 3000, "voter_reward_bps": 2000, "budget": 120})
    return res["task"]


def fund(net, wallets):
    """Each hospital's wallet on its node, with one funded address per task."""
    src = net.validators[0].rpc.wallet("default")
    for name, (node, addrs) in wallets.items():
        node.createwallet(name)
        w = node.rpc.wallet(name)
        for key in list(addrs):
            addrs[key] = w.getnewaddress(key)
            src.sendtoaddress(addrs[key], HONEST_STAKE + 5)
    last = [a for _, addrs in wallets.values() for a in addrs.values()]
    obs = net.observer
    wait_until(lambda: all(obs.getaccount(a)["balance"] > 0 for a in last), timeout=90,
               interval=0.5, what="the hospitals' funds to confirm")


def wait_tasks(node, tasks, agents, timeout):
    def done():
        return all(node.flgettask(t)["state"] in ("completed", "cancelled") for t in tasks.values())
    deadline = time.time() + timeout
    last = 0
    while not done():
        if time.time() > deadline:
            raise RuntimeError("the tasks did not end within %ds" % timeout)
        if time.time() - last > 15:
            last = time.time()
            states = ", ".join("%s round %d/%d" % (k, node.flgettask(t)["round"], node.flgettask(t)["rounds"])
                               for k, t in tasks.items())
            log("height %d: %s" % (node.getblockcount(), states))
        time.sleep(1)


def summarize(node, task_id, held_path, rounds):
    t = node.flgettask(task_id)
    per_round = []
    for r in range(0, t["round"] + 1):
        m = agent_json(node, ["-evaluate", "-task=" + task_id, "-round=%d" % r, "-eval=" + held_path])
        row = {"round": r, "accuracy": round(m["accuracy"], 4),
               "auc": round(m["auc"], 4) if m["auc"] is not None else None,
               "log_loss": round(m["log_loss"], 4), "model_round": m["model_round"]}
        if r > 0:
            rd = node.flgetround(task_id, r)
            row["outcome"] = rd["outcome"]
            row["proposers"] = [p["address"] for p in rd["proposers"]]
            row["updates"] = [{"address": p["address"], "slots": p["slots"], "status": p["status"],
                               "tally": str(p["tally"])} for p in rd["proposers"]]
            row["slashed"] = [p["address"] for p in rd["proposers"] + rd["voters"] if p["slashed"] > 0]
        per_round.append(row)
    parts = {p["address"]: {"status": p["status"], "stake": str(p["stake"]),
                            "rewards": str(p["rewards"]), "matched": str(p["matched"]),
                            "slashed": str(p["slashed"]),
                            "accepted_updates": p["accepted_updates"]} for p in t["participants"]}
    final_hash = node.flgetmodel(task_id)["hash"]
    return {"task": task_id, "aggregator": t["aggregator"], "state": t["state"],
            "rounds_run": t["round"], "final_model_hash": final_hash, "per_round": per_round,
            "participants": parts, "final": per_round[-1]}


def voter_measurements(agents, rogue_addrs):
    """What the honest voters measured on each update they judged, from the
    agents' round lines: the candidate's log loss minus the global model's on
    the voter's test split, and the update's step against the voter's own.
    Returns {"honest": [...], "rogue": [...]}, each [(dloss, step, verdict)]."""
    out = {"honest": [], "rogue": []}
    pat = re.compile(r" ([0-9A-Za-z]{1,8}) ([+-]1) \(accuracy [0-9.]+ log loss ([0-9.]+) step x([0-9.]+)\)")
    for label, _, _, logpath in agents.procs:
        if label.endswith("." + MALICIOUS):
            continue
        with open(logpath) as f:
            for ln in f:
                m = re.search(r" round \d+ voter: global accuracy [0-9.]+ log loss ([0-9.]+); verdicts(.*?); updates:", ln)
                if not m:
                    continue
                g = float(m.group(1))
                for tail, verdict, loss, step in pat.findall(m.group(2)):
                    kind = "rogue" if any(a.endswith(tail) for a in rogue_addrs) else "honest"
                    out[kind].append((round(float(loss) - g, 4), float(step), int(verdict)))
    return out


def spread(xs):
    return {"n": len(xs), "min": min(xs), "max": max(xs)} if xs else {"n": 0}


# ---------------------------------------------------------------- output

def name_of(addr, names):
    return names.get(addr, addr[:12] + "…")


def print_scenario(title, s, names):
    print()
    print("== %s (aggregator %s, %s after %d rounds)" % (title, s["aggregator"], s["state"], s["rounds_run"]))
    print("  round  outcome           accuracy   AUC     log loss   updates; slashed")
    for row in s["per_round"]:
        ups = ", ".join("%s x%d %s" % (name_of(u["address"], names), u["slots"], u["status"])
                        for u in row.get("updates", []))
        sl = ", ".join(name_of(a, names) for a in row.get("slashed", []))
        print("  %5d  %-16s  %7.3f   %6.3f   %7.4f    %s%s" %
              (row["round"], row.get("outcome", "initial"), row["accuracy"],
               row["auc"] if row["auc"] is not None else float("nan"), row["log_loss"], ups,
               "; slashed " + sl if sl else ""))
    print("  participants:")
    for addr, p in s["participants"].items():
        print("    %-16s %-8s stake %10s  rewards %12s (+%s matched)  slashed %10s  accepted updates %d" %
              (name_of(addr, names), p["status"], p["stake"], p["rewards"], p["matched"], p["slashed"],
               p["accepted_updates"]))


def write_svg(path, results):
    width, height, left, right, top, bottom = 720, 420, 60, 180, 30, 50
    series = [("clean", "#1f77b4"), ("attack-fedavg", "#d62728"), ("attack-median", "#2ca02c")]
    n = max(len(results["scenarios"][k]["per_round"]) for k, _ in series)
    lo, hi = 0.3, 0.85
    pw, ph = width - left - right, height - top - bottom

    def x(i):
        return left + pw * i / max(1, n - 1)

    def y(v):
        return top + ph * (1 - (v - lo) / (hi - lo))
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="18" font-size="14">FL global model: accuracy on the held-out set per round</text>' % left]
    for v in [0.3, 0.4, 0.5, 0.6, 0.7, 0.8]:
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' % (left, y(v), left + pw, y(v)))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%.1f</text>' % (left - 6, y(v) + 4, v))
    for i in range(n):
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (x(i), top + ph + 16, i))
    out.append('<text x="%d" y="%d" text-anchor="middle">round</text>' % (left + pw // 2, height - 10))
    refs = [("centralized", results["baselines"]["centralized"]["accuracy"], "#555", "6,3"),
            ("mean of hospitals alone", results["baselines"]["mean_alone_accuracy"], "#999", "2,3")]
    ly = top + 10
    for label, v, color, dash in refs:
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-dasharray="%s"/>' %
                   (left, y(v), left + pw, y(v), color, dash))
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-dasharray="%s"/>' %
                   (left + pw + 10, ly, left + pw + 30, ly, color, dash))
        out.append('<text x="%d" y="%d">%s</text>' % (left + pw + 35, ly + 4, label))
        ly += 18
    for key, color in series:
        pts = " ".join("%.1f,%.1f" % (x(r["round"]), y(max(lo, r["accuracy"])))
                       for r in results["scenarios"][key]["per_round"])
        out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (color, pts))
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/>' %
                   (left + pw + 10, ly, left + pw + 30, ly, color))
        out.append('<text x="%d" y="%d">%s</text>' % (left + pw + 35, ly + 4, key))
        ly += 18
    out.append('</svg>')
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


# ---------------------------------------------------------------- the market

def market_phase(net, creator, tasks, wallets, norm, say):
    """The AI Market on the same network (demo/market_demo.py): the clean
    task's model (data providers: the three hospitals) and the median task's
    model published by their creator, a composite of the two by a third
    party, validator 3 as compute provider, a clinic buying and predicting,
    the hospitals' claims and a wash trader."""
    print()
    say("== AI Market: the FL model goes on sale")
    chain = market_demo.Chain(net.nodes, net.observer, say=say)
    funder = market_demo.Party("validator-0", creator, "default", None)
    pnode = net.nodes[PROVIDER_NODE]
    parties = {"funder": funder}
    for name, node, amount in (("ensemble-maker", net.nodes[1], 20), ("clinic", net.nodes[2], 300),
                               ("validator-3", pnode, 20), ("wash-trader", pnode, 50)):
        parties[name] = market_demo.new_party(name, node, funder, amount, chain)
    chain.confirm()
    task = creator.flgettask(tasks["clean"])
    creator_party = market_demo.Party("fl-task-creator", creator, "default", task["creator"])
    split = {"creator": 2000, "data": 6000, "provider": 2000}
    leaves = []
    for key, name, price in (("clean", "pima-fl", 1_000_000), ("attack-median", "pima-fl-median", 500_000)):
        p = market_demo.leaf_params(name, "fl", price, 10, split, source_id=tasks[key])
        p["address"] = task["creator"]
        leaves.append((key, creator_party, p))
    hospitals, contributions = {}, {}
    by_addr = {p["address"]: p for p in task["participants"]}
    for h, (node, addrs) in wallets.items():
        if "clean" in addrs and addrs["clean"] in by_addr:
            hospitals[h] = market_demo.Party(h, node, h, addrs["clean"])
            contributions[h] = by_addr[addrs["clean"]].get("contribution", "")
    header, held, pool = market_demo.load_pima()
    spec = {"kind": "logistic", "sizes": [8, 1], "normalization": norm}
    roles = {"creator": creator_party, "composer": parties["ensemble-maker"],
             "provider": parties["validator-3"], "buyer": parties["clinic"],
             "wash": parties["wash-trader"], "funder": funder, "hospitals": hospitals,
             "contributions": contributions, "wash_spec": spec,
             "wash_weights": market_demo.train_logistic(header, pool, norm)}
    return market_demo.run_market(chain, roles, leaves, header, held, say=say)


# ---------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=12, help="rounds per task (default 12)")
    parser.add_argument("--malicious", default="noise", choices=["flip", "noise", "scale"],
                        help="the rogue hospital's misbehaviour (fml-agent -malicious; default noise)")
    parser.add_argument("--epochs", type=int, default=1, help="local epochs per round (default 1)")
    parser.add_argument("--learningrate", default="0.05", help="local Adam learning rate (default 0.05)")
    parser.add_argument("--tolerance", default="0.05",
                        help="log loss an update's candidate G + (W - G)/k may lose against G on a voter's test split and still pass (default 0.05)")
    parser.add_argument("--maxstep", default="3",
                        help="a voter rejects a candidate that moved more than this many times its own "
                             "one-round step (0: no bound; default 3)")
    parser.add_argument("--dp-epsilon", default=None,
                        help="honest hospitals release their updates with differential privacy at "
                             "this epsilon over the task's rounds (fml-agent -dp-epsilon; default off)")
    parser.add_argument("--dp-clip", default=None,
                        help="the L2 bound of a released change with --dp-epsilon (fml-agent -dp-clip; "
                             "default the agent's, 1)")
    parser.add_argument("--no-market", action="store_true",
                        help="stop after the FL tasks: no AI Market phase (demo/market_demo.py)")
    parser.add_argument("--out", default=".", help="folder of fl-demo-results.json, "
                        "market-demo-results.json and the SVGs (default .)")
    parser.add_argument("--keep", action="store_true", help="keep the data directories and agent logs")
    args = parser.parse_args()
    if not os.access(FMLAGENT, os.X_OK):
        sys.exit("fml-agent not found at %s: build first (scripts/build.sh)" % FMLAGENT)

    # SIGINT (also when inherited as ignored), SIGTERM and SIGHUP end the
    # run through the finally below, which stops every process started.
    def on_signal(sig, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    started = time.time()
    workdir = tempfile.mkdtemp(prefix="fml_fl_demo_")
    # Validator 3's node serves predictions as a compute provider.
    net = Network(keep=args.keep, log=log, node_args={PROVIDER_NODE: ["-provider=1"]})
    agents = Agents(workdir)
    try:
        results = run(net, agents, workdir, args)
        market = results.pop("_market", None)
        results["runtime_seconds"] = round(time.time() - started)
        os.makedirs(args.out, exist_ok=True)
        jpath = os.path.join(args.out, "fl-demo-results.json")
        with open(jpath, "w") as f:
            json.dump(results, f, indent=2)
        spath = os.path.join(args.out, "fl-demo-accuracy.svg")
        write_svg(spath, results)
        log("Wrote %s and %s (%d s in all)" % (jpath, spath, results["runtime_seconds"]))
        if market is not None and "error" in market:
            log("No market-demo-results.json: the market phase failed (%s)" % market["error"])
            return 1
        if market is not None:
            market_demo.print_results(market)
            mj, ms = market_demo.write_outputs(market, args.out)
            log("Wrote %s and %s" % (mj, ms))
            print()
            print("What to look at:")
            print("  %s: accuracy per round of the three tasks" % spath)
            print("  %s: the FL figures (per round, slashes, baselines, targets)" % jpath)
            market_demo.what_to_look_at(market, mj, ms, header=False)
        return 0
    except KeyboardInterrupt:
        log("Interrupted.")
        return 130
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        agents.stop_all()
        net.stop()
        if args.keep:
            log("Agent logs and data kept in %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        log("All processes stopped.")


def run(net, agents, workdir, args):
    files, held, info, n_held = split_data(workdir)
    log("Data: %d held-out rows (common test set); hospitals: %s" % (
        n_held, ", ".join("%s %d rows ages %s diabetes %.0f%%" % (k, v["rows"], v["ages"], 100 * v["diabetes_rate"])
                          for k, v in info.items() if v["diabetes_rate"] is not None)))

    log("Baselines: each hospital alone, and centralized training on the pooled rows")
    honest = [h for h, _, _ in HOSPITALS]
    alone = {h: local_json(["-baseline", "-data=" + files[h], "-eval=" + held]) for h in honest}
    central = local_json(["-baseline", "-eval=" + held] + ["-data=" + files[h] for h in honest])
    mean_alone = statistics.mean(a["accuracy"] for a in alone.values())
    mean_alone_auc = statistics.mean(a["auc"] for a in alone.values())

    net.start()
    creator = net.validators[0]
    stats = [local_json(["-stats", "-data=" + files[h]]) for h in honest]
    norm = pooled_normalization(stats)
    log("Normalization from the hospitals' published sums: %s" % norm)

    scenarios = {"clean": ("fedavg", honest), "attack-fedavg": ("fedavg", honest + [MALICIOUS]),
                 "attack-median": ("median", honest + [MALICIOUS])}
    nodes = {h: net.nodes[i % len(net.nodes)] for i, h in enumerate(honest + [MALICIOUS])}
    wallets = {h: (nodes[h], {k: None for k, (_, members) in scenarios.items() if h in members})
               for h in honest + [MALICIOUS]}
    fund(net, wallets)
    names = {}
    for h, (_, addrs) in wallets.items():
        for a in addrs.values():
            names[a] = h

    tasks = {}
    for key, (agg, members) in scenarios.items():
        tasks[key] = create_task(creator, norm, args.rounds, agg, len(members))
        log("Task %s: %s…, aggregator %s, %d participants, %d rounds" %
            (key, tasks[key][:16], agg, len(members), args.rounds))
    def created():
        try:
            return all(creator.flgettask(t)["state"] == "open" for t in tasks.values())
        except JSONRPCException:
            return False
    wait_until(created, timeout=60, interval=0.3, what="the tasks to be created")

    for key, (agg, members) in scenarios.items():
        for h in members:
            node, addrs = wallets[h]
            extra = ["-data=" + files[h], "-task=" + tasks[key], "-address=" + addrs[key],
                     "-epochs=%d" % args.epochs, "-learningrate=%s" % args.learningrate,
                     "-tolerance=%s" % args.tolerance, "-maxstep=%s" % args.maxstep]
            if h == MALICIOUS:
                extra += ["-stake=%d" % ROGUE_STAKE, "-malicious=" + args.malicious]
            else:
                extra += ["-stake=%d" % HONEST_STAKE]
                if args.dp_epsilon:
                    extra += ["-dp-epsilon=" + args.dp_epsilon]
                    if args.dp_clip:
                        extra += ["-dp-clip=" + args.dp_clip]
            agents.start("%s.%s" % (key, h), node, h, extra)
    log("Started %d fml-agent processes (one per hospital and task); logs in %s" %
        (len(agents.procs), workdir))

    per_round = 20 + 9   # join window, then 3 + 2 + 2 + 2 blocks per round
    wait_tasks(creator, tasks, agents, timeout=90 + per_round * args.rounds * 3)
    net.wait_for_height(creator.getblockcount())
    for label, p, _, logpath in agents.procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    print()
    for label, _, _, logpath in agents.procs:
        if label.startswith("attack-fedavg.") or label.startswith("clean."):
            with open(logpath) as f:
                lines = [ln.rstrip() for ln in f if " round " in ln or "Removed" in ln]
            print("-- %s" % label)
            for ln in lines:
                print("   " + ln)

    summary = {k: summarize(creator, t, held, args.rounds) for k, t in tasks.items()}
    hashes = {k: {n.flgetmodel(t)["hash"] for n in net.nodes} for k, t in tasks.items()}
    for key, s in summary.items():
        print_scenario(key, s, names)
        s["same_model_on_every_node"] = len(hashes[key]) == 1

    fl = summary["clean"]["final"]
    rogue_addrs = {wallets[MALICIOUS][1][k] for k in ("attack-fedavg", "attack-median")}
    # Slashes of honest hospitals: one per honest participant slashed in a round.
    for s in summary.values():
        s["honest_slashed"] = sum(1 for row in s["per_round"] for a in row.get("slashed", [])
                                  if a not in rogue_addrs)
        s["rogue_harmful_rounds"] = [row["round"] for row in s["per_round"]
                                     for u in row.get("updates", [])
                                     if u["address"] in rogue_addrs and u["status"] == "harmful"]
        s["rogue_accepted_rounds"] = [row["round"] for row in s["per_round"]
                                      for u in row.get("updates", [])
                                      if u["address"] in rogue_addrs and u["status"] == "accepted"]
    honest_slashed = sum(s["honest_slashed"] for s in summary.values())
    meas = voter_measurements(agents, rogue_addrs)
    measured = {k: {"log_loss_change": spread([d for d, _, _ in v]), "step": spread([x for _, x, _ in v]),
                    "votes_against": sum(1 for _, _, vt in v if vt < 0)} for k, v in meas.items()}
    print()
    print("== The FL model against training without the alliance (held-out set, %d rows)" % n_held)
    print("  %-34s %8s  %6s" % ("model", "accuracy", "AUC"))
    for h in honest:
        print("  %-34s %8.3f  %6.3f" % (h + " alone (%d rows)" % alone[h]["train_rows"], alone[h]["accuracy"], alone[h]["auc"]))
    print("  %-34s %8.3f  %6.3f" % ("mean of hospitals alone", mean_alone, mean_alone_auc))
    print("  %-34s %8.3f  %6.3f" % ("centralized (%d rows pooled)" % central["train_rows"], central["accuracy"], central["auc"]))
    for key in scenarios:
        f = summary[key]["final"]
        print("  %-34s %8.3f  %6.3f" % ("FL " + key, f["accuracy"], f["auc"]))

    gain = fl["accuracy"] - mean_alone
    targets = {
        "fl_within_2_points_of_centralized": abs(fl["accuracy"] - central["accuracy"]) <= 0.02,
        "fl_above_mean_alone": fl["accuracy"] > mean_alone,
        "attack_fedavg_within_3_points_of_clean": abs(summary["attack-fedavg"]["final"]["accuracy"] - fl["accuracy"]) <= 0.03,
        "attack_median_within_3_points_of_clean": abs(summary["attack-median"]["final"]["accuracy"] - fl["accuracy"]) <= 0.03,
        "rogue_slashed_and_removed_fedavg": summary["attack-fedavg"]["participants"][wallets[MALICIOUS][1]["attack-fedavg"]]["status"] == "removed",
        "rogue_slashed_and_removed_median": summary["attack-median"]["participants"][wallets[MALICIOUS][1]["attack-median"]]["status"] == "removed",
        "no_rogue_update_accepted": not any(s["rogue_accepted_rounds"] for s in summary.values()),
        "no_honest_slashed": honest_slashed == 0,
        "same_model_on_every_node": all(s["same_model_on_every_node"] for s in summary.values()),
    }
    targets["all_met"] = all(targets.values())
    print()
    print("FL (clean) minus centralized: %+.1f points of accuracy; FL minus mean of hospitals alone: "
          "%+.1f points (%+.1f%% relative), AUC %+.3f" % (
              100 * (fl["accuracy"] - central["accuracy"]), 100 * gain, 100 * gain / mean_alone,
              fl["auc"] - mean_alone_auc))
    print("Slashes of honest hospitals (honest_slashed): %d (clean %d, attack-fedavg %d, attack-median %d); "
          "the rogue's updates voted harmful in rounds %s (fedavg) and %s (median), accepted in %s and %s" % (
              honest_slashed, summary["clean"]["honest_slashed"], summary["attack-fedavg"]["honest_slashed"],
              summary["attack-median"]["honest_slashed"], summary["attack-fedavg"]["rogue_harmful_rounds"],
              summary["attack-median"]["rogue_harmful_rounds"], summary["attack-fedavg"]["rogue_accepted_rounds"],
              summary["attack-median"]["rogue_accepted_rounds"]))
    for k, m in measured.items():
        if m["log_loss_change"]["n"]:
            print("Honest voters on %s updates (%d verdicts, %d against): log loss change %+.4f to %+.4f, "
                  "step x%.1f to x%.1f" % (k, m["log_loss_change"]["n"], m["votes_against"],
                                           m["log_loss_change"]["min"], m["log_loss_change"]["max"],
                                           m["step"]["min"], m["step"]["max"]))
    for k, v in targets.items():
        if k != "all_met":
            print("  %-44s %s" % (k, "met" if v else "MISSED"))
    for s in summary.values():
        for addr in list(s["participants"]):
            s["participants"][addr]["hospital"] = names.get(addr, "?")
            s["participants"][addr]["malicious"] = addr in rogue_addrs
    market = None
    if not args.no_market:
        try:
            market = market_phase(net, creator, tasks, wallets, norm, log)
        except Exception as e:   # noqa: BLE001 (Ctrl-C is not an Exception)
            # The FL figures are still written; the exit status says it failed.
            log("The market phase failed: %s" % e)
            market = {"error": str(e)}
    return {
        "_market": market,
        "command": "scripts/demo.sh" + (" --rounds %d" % args.rounds if args.rounds != 12 else "") +
                   (" --maxstep %s" % args.maxstep if args.maxstep != "3" else "") +
                   (" --malicious %s" % args.malicious if args.malicious != "noise" else "") +
                   (" --dp-epsilon %s" % args.dp_epsilon if args.dp_epsilon else "") +
                   (" --dp-clip %s" % args.dp_clip if args.dp_clip else ""),
        "data": {"heldout_rows": n_held, "hospitals": info, "split_seed": SEED},
        "malicious": args.malicious,
        "dp": {"epsilon": float(args.dp_epsilon), "delta": 1e-5,
               "clip": float(args.dp_clip) if args.dp_clip else 1.0} if args.dp_epsilon else None,
        "honest_slashed": honest_slashed,
        "honest_voters_measured": measured,
        "baselines": {"alone": alone, "mean_alone_accuracy": round(mean_alone, 4),
                      "mean_alone_auc": round(mean_alone_auc, 4),
                      "centralized": central},
        "scenarios": summary,
        "gain_over_mean_alone_points": round(100 * gain, 2),
        "gap_to_centralized_points": round(100 * (fl["accuracy"] - central["accuracy"]), 2),
        "targets": targets,
    }


if __name__ == "__main__":
    sys.exit(main())
