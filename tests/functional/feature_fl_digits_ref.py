#!/usr/bin/env python3
"""demo/fl_digits_ref.py, the digits demo's independent check, against the
node and fml-agent:

- its forward pass (softmax and MLP with ReLU, ml/model.h's layout, the
  task's Q16.16 normalization) gives, from flgettask's model and
  flgetmodel's weights_q16 alone, the accuracy fml-agent -evaluate measures
  on the same rows, for trained weights of both kinds;
- its trainer (mini-batch Adam as ml/train.c, the agent's private split
  reproduced with ml/rng.c's generator) gives fml-agent -baseline's
  accuracy for a softmax model, so its MLP baselines are trained the way
  the agent would train them.

One regtest node with generateblocks; the tasks are only created (their
initial weights are the models checked)."""

import json
import os
import subprocess
import sys

from test_framework.framework import FMLAGENT, FMLTestFramework, assert_equal

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "..", "..", "demo")
sys.path.insert(0, DEMO)
DIGITS = os.path.join(HERE, "..", "data", "digits.csv")

import fl_digits_ref as ref  # noqa: E402


class FLDigitsRefTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def write(self, name, header, xs, ys):
        path = os.path.join(self.tmpdir, name)
        with open(path, "w") as f:
            f.write(",".join(header) + "\n")
            for x, y in zip(xs, ys):
                f.write(",".join("%d" % v for v in x) + ",%d\n" % y)
        return path

    def agent(self, args, node=None):
        cmd = [FMLAGENT] + (["-regtest", "-datadir=" + node.datadir, "-rpcport=%d" % node.rpcport]
                            if node else []) + args
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert_equal(res.returncode, 0, res.stderr)
        return json.loads(res.stdout)

    def run_test(self):
        node = self.nodes[0]
        node.generateblocks(2)
        header, xs, ys = ref.load_csv(DIGITS)
        held, pool = ref.heldout_indices(len(xs), 1)
        held_path = self.write("held.csv", header, [xs[i] for i in held], [ys[i] for i in held])
        train_idx = pool[:600]
        a_path = self.write("a.csv", header, [xs[i] for i in train_idx[:300]], [ys[i] for i in train_idx[:300]])
        b_path = self.write("b.csv", header, [xs[i] for i in train_idx[300:]], [ys[i] for i in train_idx[300:]])

        self.log("The trainer against fml-agent -baseline (softmax, two files pooled, 5 epochs)")
        base = self.agent(["-baseline", "-data=" + a_path, "-data=" + b_path, "-eval=" + held_path,
                           "-epochs=5"])
        mine = ref.baseline([64, 10], [a_path, b_path], held_path, epochs=5, lr=0.05)
        assert_equal(mine["train_rows"], base["train_rows"])
        assert abs(mine["accuracy"] - base["accuracy"]) < 1e-9, (mine, base)
        assert base["accuracy"] > 0.8, base

        self.log("Trained weights of both kinds as tasks' initial models")
        fit = [xs[i] for i in train_idx]
        norm = [(round(m, 4), round(max(s, 1.0), 4)) for m, s in ref.fit_normalization(fit)]
        xn = ref.normalize(fit, norm)
        addr = node.getnewaddress("creator")
        node.sendtoaddress(addr, 500)
        node.generateblocks(1)
        tasks = {}
        for kind, sizes, start in (("softmax", [64, 10], None), ("mlp", [64, 32, 10], 12)):
            init = ref.init_params(sizes, start) if start is not None else [0.0] * ref.param_count(sizes)
            w = ref.train(sizes, init, xn, [ys[i] for i in train_idx], 2, lr=0.01)
            tasks[kind] = node.flcreatetask({
                "address": addr, "model": kind, "sizes": sizes, "normalization": [list(p) for p in norm],
                "initial_weights": [int(round(v * 65536)) for v in w], "rounds": 1,
                "min_participants": 2, "max_participants": 2, "min_stake": 1, "proposer_slots": 1,
                "join_blocks": 5, "submit_blocks": 2, "update_reveal_blocks": 2, "commit_blocks": 2,
                "reveal_blocks": 2, "budget": 10})["task"]
        node.generateblocks(1)

        self.log("The forward pass against fml-agent -evaluate, on the held-out rows")
        hx, hy = [xs[i] for i in held], [ys[i] for i in held]
        for kind, task in tasks.items():
            ev = self.agent(["-evaluate", "-task=" + task, "-round=0", "-eval=" + held_path], node)
            t = node.flgettask(task)
            m = node.flgetmodel(task, 0)
            acc = ref.chain_accuracy(t["model"], m["weights_q16"], hx, hy)
            self.log("  %s: fml-agent %.4f, fl_digits_ref %.4f" % (kind, ev["accuracy"], acc))
            assert_equal(ev["rows"], len(hy))
            assert abs(acc - ev["accuracy"]) < 1e-9, (kind, acc, ev)
            assert ev["accuracy"] > 0.8, (kind, ev)


if __name__ == "__main__":
    FLDigitsRefTest().main()
