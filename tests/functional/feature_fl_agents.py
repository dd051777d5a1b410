#!/usr/bin/env python3
"""An FL task run end to end by fml-agent processes on a network of four
validators proposing in real time.  Three honest hospitals (each with its own
slice of the Pima data, split by age) and one malicious hospital
(-malicious=noise: it submits random weights and votes against its own
measurement) join a logistic-regression task from their own nodes' wallets;
one honest agent funds a new address of its wallet itself, and one releases
its updates with differential privacy (-dp-epsilon).

Checked: every drawn proposer commits and reveals its update, and every voter
commits and reveals one verdict per revealed update, in every round it is
drawn for; the malicious participant's update is voted harmful, slashed and
removed whenever it is drawn as a proposer (a voter is slashed only for not
revealing, so as a voter it is not); no honest participant is ever slashed;
the honest ones get their stakes back with their rewards; the task completes
with at least one accepted update, its budget balances, and the final model
hash is the same on every node; the DP agent prints the calibrated noise and
the epsilon spent after each release; fml-agent -evaluate scores that very
model and -baseline trains locally.  fml-agent also rejects bad options and
files with a clear error."""

import csv
import json
import os
import random
import re
import subprocess
from decimal import Decimal

from test_framework.framework import (FMLAGENT, FMLTestFramework, TestFailure, assert_equal,
                                      connect_nodes, sync_blocks, wait_until)
from test_framework.rpc import JSONRPCException

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "pima-indians-diabetes.csv")
DATA_OPTS = ["-positive=pos", "-zeromissing=glucose,pressure,triceps,insulin,mass"]
MIN_STAKE = 10
HONEST_STAKE = 30
ROGUE_STAKE = 12        # one slash of 30% leaves 8.4 < MIN_STAKE: removed
SLASH_BPS = 3000
ROUNDS = 4
SLOTS = 2               # with four participants: at least two voters a round
DP_EPSILON = 1000       # hospital 2: a light noise (sigma 0.06 over 4 rounds) that keeps its updates useful
FEES = Decimal("0.01")  # more than every fee an agent pays in this test


class FLAgentsTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 4
        self.extra_args = [["-connect=0", "-listen=1", "-produceblocks=1", "-regtestvalidator=%d" % i]
                           for i in range(4)]
        self.agents = []

    def write_data(self):
        with open(DATA) as f:
            reader = csv.reader(f)
            header = next(reader)
            rows = list(reader)
        random.Random(3).shuffle(rows)
        parts = [[r for r in rows if lo <= int(r[7]) < hi] for lo, hi in ((0, 25), (25, 35), (35, 200))]
        parts.append(rows[:150])
        paths = []
        for i, part in enumerate(parts):
            path = os.path.join(self.tmpdir, "hospital%d.csv" % i)
            with open(path, "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(header)
                w.writerows(part)
            paths.append(path)
        return paths

    def agent_cmd(self, node, wallet, args):
        return [FMLAGENT, "-regtest", "-datadir=" + node.datadir, "-rpcport=%d" % node.rpcport,
                "-rpcwallet=" + wallet] + DATA_OPTS + args

    def start_agent(self, i, node, wallet, args):
        logpath = os.path.join(self.tmpdir, "agent%d.log" % i)
        out = open(logpath, "w")
        p = subprocess.Popen(self.agent_cmd(node, wallet, args), stdout=out, stderr=subprocess.STDOUT)
        self.agents.append((p, out, logpath))

    def stop_agents(self):
        for p, out, _ in self.agents:
            if p.poll() is None:
                p.kill()
            p.wait()
            out.close()

    def run_test(self):
        try:
            self.run_agents()
        finally:
            self.stop_agents()

    def check_bad_input(self, csv_path):
        self.log("fml-agent rejects bad options and files with a clear error")
        node = self.nodes[0]
        cases = [
            (["-bogus=1"], "Invalid parameter -bogus"),
            (["-malicious=sneaky", "-data=" + csv_path, "-task=00"], "flip, noise or scale"),
            (["-testfraction=2", "-data=" + csv_path, "-task=00"], "-testfraction=2"),
            (["-dp-clip=1", "-data=" + csv_path, "-task=00"], "-dp-clip needs -dp-epsilon"),
            (["-dp-epsilon=0", "-data=" + csv_path, "-task=00"], "-dp-epsilon=0"),
            (["-stats", "-data=" + os.path.join(self.tmpdir, "missing.csv")], "cannot open"),
            (["-baseline", "-data=" + DATA], "-eval"),
            (["-data=" + csv_path, "-task=" + "ab" * 32], "Task not found"),
        ]
        bad = os.path.join(self.tmpdir, "bad.csv")
        with open(bad, "w") as f:
            f.write("pregnant,glucose,pressure,triceps,insulin,mass,pedigree,age,diabetes\n"
                    "1,2,3,4,5,6,x,8,pos\n")
        cases.append((["-stats", "-data=" + bad], "bad.csv:2"))
        for args, expect in cases:
            res = subprocess.run(self.agent_cmd(node, "default", args), capture_output=True, text=True,
                                 timeout=60)
            if res.returncode != 1 or expect not in res.stderr:
                raise TestFailure("fml-agent %s: status %d, stderr %r (expected %r)" %
                                  (args, res.returncode, res.stderr, expect))

    def run_agents(self):
        n = self.nodes
        for a, b in ((0, 1), (1, 2), (2, 3), (3, 0)):
            connect_nodes(n[a], n[b])
        paths = self.write_data()
        self.check_bad_input(paths[0])

        self.log("Each hospital gets a wallet on its own node, funded by validator 0")
        src = n[0].rpc.wallet("default")
        wallets, addrs = [], []
        for i in range(4):
            name = "hospital%d" % i
            n[i].createwallet(name)
            w = n[i].rpc.wallet(name)
            addr = w.getnewaddress()
            src.sendtoaddress(addr, 50)
            wallets.append(w)
            addrs.append(addr)
        wait_until(lambda: all(n[0].getaccount(a)["balance"] == 50 for a in addrs), timeout=60,
                   interval=0.3, what="funding")

        self.log("Validator 0 creates a %d-round logistic-regression task for four participants" % ROUNDS)
        task = src.flcreatetask({
            "model": "logistic", "sizes": [8, 1],
            "normalization": [[3.8, 3.4], [121, 31], [72, 12], [29, 10], [155, 118], [32.5, 7],
                              [0.47, 0.33], [33, 11.7]],
            "rounds": ROUNDS, "min_participants": 4, "max_participants": 4,
            "min_stake": MIN_STAKE, "proposer_slots": SLOTS, "join_blocks": 15,
            "submit_blocks": 3, "update_reveal_blocks": 2, "commit_blocks": 2,
            "reveal_blocks": 2, "aggregator": "fedavg", "slash_bps": SLASH_BPS,
            "voter_reward_bps": 2000, "budget": 100})["task"]

        def created():
            try:
                return n[0].flgettask(task)["state"] == "open"
            except JSONRPCException:
                return False
        wait_until(created, timeout=30, interval=0.2, what="the task")

        self.log("Four agents join: hospital 0 funds a new address itself, hospital 2 uses "
                 "differential privacy, hospital 3 is malicious")
        self.start_agent(0, n[0], "hospital0", ["-data=" + paths[0], "-task=" + task,
                                                "-stake=%d" % HONEST_STAKE])
        for i in (1, 2):
            dp = ["-dp-epsilon=%d" % DP_EPSILON, "-dp-seed=5"] if i == 2 else []
            self.start_agent(i, n[i], "hospital%d" % i,
                             ["-data=" + paths[i], "-task=" + task, "-address=" + addrs[i],
                              "-stake=%d" % HONEST_STAKE, "-seed=%d" % (i + 1)] + dp)
        self.start_agent(3, n[3], "hospital3", ["-data=" + paths[3], "-task=" + task, "-address=" + addrs[3],
                                                "-stake=%d" % ROGUE_STAKE, "-malicious=noise"])
        wait_until(lambda: n[0].flgettask(task)["state"] != "open", timeout=60, interval=0.5,
                   what="the task to start")
        t = n[0].flgettask(task)
        assert_equal(t["state"], "running")
        members = [p["address"] for p in t["participants"]]
        assert_equal(len(members), 4)
        own = [a for a in members if a not in addrs[1:]]
        assert_equal(len(own), 1)
        assert own[0] != addrs[0], "hospital 0 joined from a new address of its wallet"
        assert wallets[0].getaddressinfo(own[0])["ismine"]
        honest = [own[0], addrs[1], addrs[2]]
        rogue = addrs[3]
        before = {a: n[0].getaccount(a)["balance"] for a in honest + [rogue]}
        who = {a: "hospital%d" % i for i, a in enumerate(honest + [rogue])}

        self.log("The agents run the rounds until the task completes")
        wait_until(lambda: n[0].flgettask(task)["state"] == "completed", timeout=120, interval=0.5,
                   what="the task to complete")
        for p, _, logpath in self.agents:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                raise TestFailure("an agent did not exit after the task completed (%s)" % logpath)
            if p.returncode != 0:
                raise TestFailure("an agent exited with status %d: %s" % (p.returncode, open(logpath).read()))
        sync_blocks(n)
        t = n[0].flgettask(task)
        parts = {p["address"]: p for p in t["participants"]}

        self.log("Every drawn participant acted in every round; no honest one was slashed; the "
                 "malicious one was slashed and removed when drawn as a proposer")
        accepted = 0
        rogue_rounds, rogue_proposer, dp_proposer = [], [], []
        honest_slashed = 0
        for r in range(1, t["round"] + 1):
            rd = n[0].flgetround(task, r)
            roles = {p["address"]: ("proposer", p) for p in rd["proposers"]}
            roles.update({v["address"]: ("voter", v) for v in rd["voters"]})
            self.log("  round %d: %s; updates %s; voters %s" % (
                r, rd["outcome"],
                ["%s x%d %s tally %s" % (who[p["address"]], p["slots"], p["status"], p["tally"])
                 for p in rd["proposers"]],
                [who[v["address"]] for v in rd["voters"]]))
            assert_equal(rd["n_slots"], SLOTS)
            assert_equal(sum(p["slots"] for p in rd["proposers"]), SLOTS)
            # Every active participant has a role: four, three once the
            # rogue is removed; at least m - SLOTS of them vote.
            m = 3 if rogue_proposer else 4
            assert_equal(len(rd["proposers"]) + len(rd["voters"]), m)
            assert len(rd["voters"]) >= m - SLOTS
            assert rd["outcome"] in ("accepted", "rejected"), rd["outcome"]
            assert_equal(rd["revealed_order"], sorted(rd["revealed_order"], key=lambda a: [
                p["address"] for p in rd["proposers"]].index(a)))
            assert_equal(len(rd["revealed_order"]), len(rd["proposers"]))
            for addr, (role, e) in roles.items():
                if role == "proposer":
                    assert e["committed"] and e["revealed"], "round %d: a proposer did not act" % r
                else:
                    assert e["committed"] and e["revealed"], "round %d: a voter did not vote" % r
                if addr != rogue:
                    honest_slashed += e["slashed"] > 0
                    if role == "proposer":
                        assert e["status"] in ("accepted", "excluded"), (r, e)
                        accepted += e["status"] == "accepted"
                        if addr == addrs[2]:
                            dp_proposer.append(r)
            if rogue in roles:
                rogue_rounds.append(r)
                role, e = roles[rogue]
                if role == "proposer":
                    # Its random weights are measured by every honest voter,
                    # who hold all the voting stake: harmful, slashed, removed.
                    rogue_proposer.append(r)
                    assert_equal(e["status"], "harmful")
                    assert_equal(e["slashed"], Decimal(ROGUE_STAKE) * SLASH_BPS / 10000)
                    assert e["removed"]
                else:
                    # A voter is slashed only for not revealing; its verdicts
                    # against the honest updates only cost it its reward.
                    assert_equal(e["slashed"], 0)
        assert_equal(honest_slashed, 0)
        assert rogue_rounds and rogue_rounds == list(range(1, len(rogue_rounds) + 1)), rogue_rounds
        assert accepted >= 1, "no update was accepted"
        assert rogue_proposer in ([], [rogue_rounds[-1]]), rogue_proposer

        self.log("Stakes: the malicious participant removed with 70%% of its stake back if it was "
                 "drawn to propose (rounds %s); the others exited" % rogue_proposer)
        pr = parts[rogue]
        if rogue_proposer:
            assert_equal(pr["status"], "removed")
            assert_equal(pr["slashed"], Decimal("3.6"))
            assert_equal(pr["returned"], Decimal("8.4"))
            bal = n[0].getaccount(rogue)["balance"]
            assert before[rogue] + Decimal("8.4") - FEES <= bal <= before[rogue] + Decimal("8.4"), bal
        else:
            assert_equal(pr["status"], "exited")
            assert_equal(pr["slashed"], 0)
        for a in honest:
            p = parts[a]
            assert_equal(p["status"], "exited")
            assert_equal(p["slashed"], 0)
            assert_equal(p["returned"], HONEST_STAKE)
            expect = before[a] + HONEST_STAKE + p["rewards"] + p.get("matched", 0)
            bal = n[0].getaccount(a)["balance"]
            assert expect - FEES <= bal <= expect, (a, bal, expect)
        assert_equal(t["budget"] - t["burn"] + t["slashed"],
                     t["rewards_paid"] + t["budget_left"] + t["slashed_left"] + t["returned_to_creator"])
        assert_equal(t["slashed"], sum(p["slashed"] for p in parts.values()))

        self.log("The final model is the same on every node and is a trained one")
        hashes = {x.flgetmodel(task)["hash"] for x in n}
        assert_equal(len(hashes), 1)
        assert n[0].flgetmodel(task)["model_round"] >= 1

        self.log("fml-agent -evaluate scores that model; -baseline trains locally")
        res = subprocess.run(self.agent_cmd(n[2], "default", ["-evaluate", "-task=" + task,
                                                              "-eval=" + DATA]),
                             capture_output=True, text=True, timeout=60)
        assert_equal(res.returncode, 0, res.stderr)
        ev = json.loads(res.stdout)
        assert_equal(ev["hash"], hashes.pop())
        assert_equal(ev["rows"], 768)
        assert 0.6 < ev["accuracy"] <= 1 and 0.6 < ev["auc"] <= 1, ev
        res = subprocess.run([FMLAGENT, "-baseline", "-data=" + paths[1], "-data=" + paths[2],
                              "-eval=" + DATA] + DATA_OPTS, capture_output=True, text=True, timeout=60)
        assert_equal(res.returncode, 0, res.stderr)
        base = json.loads(res.stdout)
        assert_equal(base["files"], 2)
        assert 0.6 < base["accuracy"] <= 1, base
        for i, (_, _, logpath) in enumerate(self.agents):
            with open(logpath) as f:
                text = f.read()
            lines = re.findall(r" round \d+ (proposer|voter):", text)
            want = len(rogue_rounds) if i == 3 else ROUNDS
            if len(lines) != want:
                raise TestFailure("agent %d logged %d round lines, expected %d:\n%s" % (i, len(lines), want, text))
            if i == 2:
                # The calibrated noise at the start, the epsilon spent after
                # every release, growing, and never above the budget.
                m = re.search(r"Differential privacy: epsilon %d at delta 1e-05 over at most %d "
                              r"released updates .* sigma ([0-9.]+)" % (DP_EPSILON, ROUNDS), text)
                assert m, text
                spent = [float(x) for x in re.findall(r"released with differential privacy: .* "
                                                      r"epsilon spent ([0-9.]+)", text)]
                assert_equal(len(spent), len(dp_proposer))
                assert spent == sorted(spent) and all(0 < e <= DP_EPSILON for e in spent), spent
            elif "differential privacy" in text.lower():
                raise TestFailure("agent %d applied differential privacy unasked:\n%s" % (i, text))


if __name__ == "__main__":
    FLAgentsTest().main()
