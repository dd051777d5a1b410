#!/usr/bin/env python3
"""An independent forward pass, in standard-library Python, of the models an
FL task keeps on the chain: softmax regression and the multi-layer perceptron
with ReLU, in the canonical parameter layout of ml/model.h, on inputs
normalized as the task says (flgettask's model.normalization, Q16.16).

It shares no code with the node or fml-agent: it reads flgettask's "model"
and flgetmodel's "weights_q16" (JSON, as the RPC returns them) and a CSV file
of rows, and prints the accuracy of the model on those rows.  The
handwritten-digits demo (demo/fl_digits.py) uses it to check that the
chain's final weights give the accuracy it reports, and writes the final
models to fl-digits-models.json so that the check can be repeated by hand:

    python3 demo/fl_digits_ref.py --models fl-digits-models.json \\
                                  --data tests/data/digits.csv [--seed 1]

(with --seed, the demo's held-out rows for that seed are evaluated; the
models file records the seed it was made with).  Or for one model:

    python3 demo/fl_digits_ref.py --task task.json --model model.json --data rows.csv

It also trains (mini-batch Adam, as ml/train.c does, from the same seeded
shuffle of rows) the models that fml-agent's -baseline mode cannot: the MLP
alone and centralized baselines of the demo.

Layout (ml/model.h): dense layers sizes[0] -> ... -> sizes[L]; per layer
W[o*in + i] (row-major [out][in]) then b[o]; hidden layers ReLU; the output
layer the softmax over its units (or the sigmoid for one unit).
"""

import argparse
import csv
import json
import math
import random
import sys

MASK = (1 << 64) - 1
Q16 = 65536.0


# ---------------------------------------------------------------- the rows

def load_csv(path):
    """(header, rows of float features, int labels): the label is the last
    column, a class index."""
    with open(path) as f:
        reader = csv.reader(f)
        header = next(reader)
        xs, ys = [], []
        for row in reader:
            if not row:
                continue
            xs.append([float(v) for v in row[:-1]])
            ys.append(int(float(row[-1])))
    return header, xs, ys


def heldout_indices(n_rows, seed, fraction=0.2):
    """The demo's held-out rows: the first fraction of the row indices
    shuffled by random.Random(seed) (the rest is the participants' pool)."""
    idx = list(range(n_rows))
    random.Random(seed).shuffle(idx)
    n_held = round(n_rows * fraction)
    return idx[:n_held], idx[n_held:]


# ---------------------------------------------------------------- ml/rng.c

class Xoshiro:
    """splitmix64-seeded xoshiro256**, as ml/rng.c: gives the same shuffles
    as fml-agent for the same seed."""

    def __init__(self, seed):
        x = seed & MASK
        self.s = []
        for _ in range(4):
            x = (x + 0x9e3779b97f4a7c15) & MASK
            z = x
            z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & MASK
            z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & MASK
            self.s.append(z ^ (z >> 31))

    @staticmethod
    def _rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK

    def next(self):
        s = self.s
        result = (self._rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self._rotl(s[3], 45)
        return result

    def below(self, n):
        limit = MASK - MASK % n
        while True:
            v = self.next()
            if v < limit:
                return v % n

    def shuffle(self, idx):
        for i in range(len(idx), 1, -1):
            j = self.below(i)
            idx[i - 1], idx[j] = idx[j], idx[i - 1]


def agent_split(n_rows, test_fraction=0.2, seed=1):
    """The (train, test) row indices of fml-agent's private split of a file
    of n_rows rows (ml_dataset_split: the first round(n x fraction) of a
    seeded shuffle are the test rows)."""
    idx = list(range(n_rows))
    Xoshiro(seed).shuffle(idx)
    n_test = int(math.floor(n_rows * test_fraction + 0.5))
    return idx[n_test:], idx[:n_test]


# ---------------------------------------------------------------- normalization

def task_normalization(model_spec):
    """[(mean, std)] per input from flgettask's model object (Q16.16
    integers mean_q16 and std_q16; decimals mean and std otherwise)."""
    out = []
    for e in model_spec.get("normalization") or []:
        if isinstance(e, dict) and "mean_q16" in e:
            out.append((e["mean_q16"] / Q16, e["std_q16"] / Q16))
        elif isinstance(e, dict):
            out.append((float(e["mean"]), float(e["std"])))
        else:
            out.append((float(e[0]), float(e[1])))
    return out


def fit_normalization(xs, min_std=1e-12):
    """Column means and population std (1 for a constant column), as
    ml/scaler.c fits them on training rows."""
    n = len(xs)
    out = []
    for col in zip(*xs):
        mean = sum(col) / n
        sd = math.sqrt(sum((v - mean) ** 2 for v in col) / n)
        out.append((mean, sd if sd > min_std else 1.0))
    return out


def normalize(xs, norm):
    if not norm:
        return [list(r) for r in xs]
    return [[(v - m) / s for v, (m, s) in zip(r, norm)] for r in xs]


# ---------------------------------------------------------------- the models

def param_count(sizes):
    return sum(sizes[i + 1] * sizes[i] + sizes[i + 1] for i in range(len(sizes) - 1))


def unpack(sizes, params):
    """[(W as rows [out][in], b)] per layer from the flat canonical vector."""
    if len(params) != param_count(sizes):
        raise ValueError("%d weights for sizes %s (%d expected)" % (len(params), sizes, param_count(sizes)))
    layers, p = [], 0
    for i in range(len(sizes) - 1):
        n_in, n_out = sizes[i], sizes[i + 1]
        w = [params[p + o * n_in: p + (o + 1) * n_in] for o in range(n_out)]
        p += n_in * n_out
        b = params[p: p + n_out]
        p += n_out
        layers.append((w, b))
    return layers


def forward(layers, x):
    """The output layer's pre-activations z for one input row x."""
    a = x
    last = len(layers) - 1
    for li, (w, b) in enumerate(layers):
        z = [bo + math.fsum(map(float.__mul__, wo, a)) for wo, bo in zip(w, b)]
        a = z if li == last else [v if v > 0.0 else 0.0 for v in z]
    return a


def predict(layers, x):
    """The most probable class (ties to the lower class; one output unit:
    class 1 when P >= 0.5, i.e. z >= 0)."""
    z = forward(layers, x)
    if len(z) == 1:
        return 1 if z[0] >= 0.0 else 0
    best = 0
    for k in range(1, len(z)):
        if z[k] > z[best]:
            best = k
    return best


def accuracy(sizes, params, xs_norm, ys):
    layers = unpack(sizes, [float(v) for v in params])
    right = sum(1 for x, y in zip(xs_norm, ys) if predict(layers, x) == y)
    return right / len(ys)


def chain_accuracy(task_model, weights_q16, xs, ys):
    """Accuracy on raw rows xs of a task's model (flgettask's "model") with
    the chain's weights (flgetmodel's "weights_q16")."""
    sizes = [int(s) for s in task_model["sizes"]]
    xn = normalize(xs, task_normalization(task_model))
    return accuracy(sizes, [q / Q16 for q in weights_q16], xn, ys)


# ---------------------------------------------------------------- training

def init_params(sizes, seed):
    """Weights uniform in +-sqrt(6 / in) for ReLU layers (He) and
    +-sqrt(6 / (in + out)) for the output layer (Glorot), biases 0, in
    layout order, from random.Random(seed)."""
    rng = random.Random(seed)
    out = []
    for i in range(len(sizes) - 1):
        n_in, n_out = sizes[i], sizes[i + 1]
        lim = math.sqrt(6.0 / n_in) if i < len(sizes) - 2 else math.sqrt(6.0 / (n_in + n_out))
        out += [rng.uniform(-lim, lim) for _ in range(n_in * n_out)]
        out += [0.0] * n_out
    return out


def train(sizes, params, xs_norm, ys, epochs, lr=0.05, batch=32, seed=1,
          beta1=0.9, beta2=0.999, eps=1e-8):
    """Mini-batch Adam on the mean cross-entropy, as ml/train.c (one
    xoshiro generator reshuffles the rows every epoch).  Returns the new
    flat parameter vector."""
    n_layers = len(sizes) - 1
    layers = [[list(r) for r in w] for w, _ in unpack(sizes, list(params))]
    biases = [list(b) for _, b in unpack(sizes, list(params))]
    m1 = [[[0.0] * sizes[i] for _ in range(sizes[i + 1])] for i in range(n_layers)]
    m2 = [[[0.0] * sizes[i] for _ in range(sizes[i + 1])] for i in range(n_layers)]
    mb1 = [[0.0] * sizes[i + 1] for i in range(n_layers)]
    mb2 = [[0.0] * sizes[i + 1] for i in range(n_layers)]
    rng = Xoshiro(seed)
    order = list(range(len(xs_norm)))
    b1t = b2t = 1.0
    for _ in range(epochs):
        rng.shuffle(order)
        for start in range(0, len(order), batch):
            rows = order[start: start + batch]
            n = len(rows)
            gw = [[[0.0] * sizes[i] for _ in range(sizes[i + 1])] for i in range(n_layers)]
            gb = [[0.0] * sizes[i + 1] for i in range(n_layers)]
            for r in rows:
                acts = [xs_norm[r]]
                a = xs_norm[r]
                for li in range(n_layers):
                    z = [bo + sum(map(float.__mul__, wo, a)) for wo, bo in zip(layers[li], biases[li])]
                    a = z if li == n_layers - 1 else [v if v > 0.0 else 0.0 for v in z]
                    acts.append(a)
                z = acts[-1]
                if len(z) == 1:
                    p = 1.0 / (1.0 + math.exp(-z[0])) if z[0] > -700 else 0.0
                    delta = [p - ys[r]]
                else:
                    mx = max(z)
                    e = [math.exp(v - mx) for v in z]
                    s = sum(e)
                    delta = [v / s for v in e]
                    delta[ys[r]] -= 1.0
                for li in range(n_layers - 1, -1, -1):
                    inp = acts[li]
                    gwl, gbl = gw[li], gb[li]
                    for o, d in enumerate(delta):
                        if d != 0.0:
                            row = gwl[o]
                            gwl[o] = [g + d * v for g, v in zip(row, inp)]
                            gbl[o] += d
                    if li > 0:
                        w = layers[li]
                        back = [0.0] * sizes[li]
                        for o, d in enumerate(delta):
                            if d != 0.0:
                                back = [bk + d * wv for bk, wv in zip(back, w[o])]
                        delta = [bk if av > 0.0 else 0.0 for bk, av in zip(back, inp)]
            b1t *= beta1
            b2t *= beta2
            c1, c2 = 1.0 / (1.0 - b1t), 1.0 / (1.0 - b2t)
            inv = 1.0 / n
            for li in range(n_layers):
                for o in range(sizes[li + 1]):
                    w, g, ma, mb = layers[li][o], gw[li][o], m1[li][o], m2[li][o]
                    for i in range(sizes[li]):
                        gi = g[i] * inv
                        ma[i] = beta1 * ma[i] + (1 - beta1) * gi
                        mb[i] = beta2 * mb[i] + (1 - beta2) * gi * gi
                        w[i] -= lr * (ma[i] * c1) / (math.sqrt(mb[i] * c2) + eps)
                    gi = gb[li][o] * inv
                    mb1[li][o] = beta1 * mb1[li][o] + (1 - beta1) * gi
                    mb2[li][o] = beta2 * mb2[li][o] + (1 - beta2) * gi * gi
                    biases[li][o] -= lr * (mb1[li][o] * c1) / (math.sqrt(mb2[li][o] * c2) + eps)
    flat = []
    for li in range(n_layers):
        for row in layers[li]:
            flat += row
        flat += biases[li]
    return flat


def baseline(sizes, files, heldout, epochs, lr, seed=1, init_seed=None, test_fraction=0.2):
    """Trains on the training part of each file (fml-agent's private split
    of it, pooled), standardized on those rows, and returns the accuracy on
    the held-out file: what fml-agent -baseline does, for any model."""
    xs, ys = [], []
    for path in files:
        _, fx, fy = load_csv(path)
        train_idx, _ = agent_split(len(fx), test_fraction, seed)
        xs += [fx[i] for i in train_idx]
        ys += [fy[i] for i in train_idx]
    norm = fit_normalization(xs)
    xn = normalize(xs, norm)
    start = init_params(sizes, init_seed) if init_seed is not None else [0.0] * param_count(sizes)
    params = train(sizes, start, xn, ys, epochs, lr=lr, seed=seed)
    _, hx, hy = load_csv(heldout)
    return {"accuracy": accuracy(sizes, params, normalize(hx, norm), hy), "train_rows": len(xs)}


# ---------------------------------------------------------------- command line

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", help="fl-digits-models.json written by demo/fl_digits.py")
    ap.add_argument("--task", help="a JSON file: flgettask's result (or its \"model\" object)")
    ap.add_argument("--model", help="a JSON file: flgetmodel's result")
    ap.add_argument("--data", required=True, help="a CSV file of rows (label last)")
    ap.add_argument("--seed", type=int, help="evaluate only the demo's held-out rows for this split seed "
                    "(default with --models: the seed recorded in it)")
    ap.add_argument("--baseline", help="JSON: {sizes, files, heldout, epochs, lr, seed, init_seed}: "
                    "train and print the held-out accuracy")
    a = ap.parse_args()
    if a.baseline:
        spec = json.loads(a.baseline)
        res = baseline(spec["sizes"], spec["files"], spec["heldout"], spec["epochs"], spec["lr"],
                       spec.get("seed", 1), spec.get("init_seed"))
        print(json.dumps(res))
        return 0
    _, xs, ys = load_csv(a.data)
    seed = a.seed
    if a.models:
        with open(a.models) as f:
            doc = json.load(f)
        if seed is None:
            seed = doc.get("split_seed")
        if seed is not None:
            held, _ = heldout_indices(len(xs), seed)
            xs, ys = [xs[i] for i in held], [ys[i] for i in held]
        ok = True
        for key, m in doc["models"].items():
            acc = chain_accuracy(m["task_model"], m["weights_q16"], xs, ys)
            same = m.get("accuracy") is None or abs(acc - m["accuracy"]) < 1e-4   # the demo rounds to 4 places
            ok = ok and same
            print("%-28s accuracy %.4f on %d rows%s" % (key, acc, len(ys),
                  "" if m.get("accuracy") is None else
                  ("  (the demo: %.4f, %s)" % (m["accuracy"], "same" if same else "DIFFERENT"))))
        return 0 if ok else 1
    if not (a.task and a.model):
        ap.error("give --models, or --task and --model")
    with open(a.task) as f:
        task = json.load(f)
    with open(a.model) as f:
        model = json.load(f)
    if seed is not None:
        held, _ = heldout_indices(len(xs), seed)
        xs, ys = [xs[i] for i in held], [ys[i] for i in held]
    print("%.4f" % chain_accuracy(task.get("model", task), model["weights_q16"], xs, ys))
    return 0


if __name__ == "__main__":
    sys.exit(main())
