#!/usr/bin/env python3
"""An independent forward pass of an AI Market model, standard library only.

It reads the model as the chain holds it -- marketgetmodel for the tree
(source, mode, components) and marketgetweights for each leaf's spec,
normalization and Q16.16 weights -- and evaluates rows the way a compute
provider's `predict` is specified to (doc/rpc.md, predict):

  leaf      x -> (x - mean) / std per feature with the spec's normalization
            (a missing value, None, is the mean; without a normalization the
            identity and a missing value 0), then the dense layers in the
            canonical layout of ml/model.h: W[o*in + i] then b[o] per layer,
            ReLU on hidden layers, the sigmoid on a one-unit output (P(class
            1)), the softmax otherwise;
  average   the mean of the components' outputs;
  pipeline  each component's outputs are the next one's inputs.

Nothing here shares code with ml/ or OpenBLAS: the test compares the two to
1e-6.

As a program:  market_ref.py URL MODEL ROWS.json
  URL is http://user:password@127.0.0.1:PORT (or give -cookie=FILE);
  ROWS.json a list of rows; prints the outputs as JSON.
"""
import base64
import json
import math
import sys
import urllib.request

Q16 = 65536.0


def load(call, model_id, _cache=None):
    """The model tree of model_id; call(method, *params) is a JSON-RPC call."""
    cache = {} if _cache is None else _cache
    if model_id in cache:
        return cache[model_id]
    info = call("marketgetmodel", model_id)
    if info["source"] == "composite":
        node = {"model": model_id, "mode": info["mode"],
                "components": [load(call, c, cache) for c in info["components"]]}
    else:
        # marketgetweights returns a page of at most 65,536 weights a call
        w = call("marketgetweights", model_id)
        spec, q = w["spec"], list(w["weights_q16"])
        while len(q) < w["total"]:
            page = call("marketgetweights", model_id, len(q))["weights_q16"]
            if not page:
                break
            q.extend(page)
        node = {"model": model_id, "mode": "none", "sizes": list(spec["sizes"]),
                "norm": [(n["mean_q16"] / Q16, n["std_q16"] / Q16)
                         for n in spec["normalization"]],
                "params": [x / Q16 for x in q]}
        expected = sum(spec["sizes"][i] * spec["sizes"][i + 1] + spec["sizes"][i + 1]
                       for i in range(len(spec["sizes"]) - 1))
        if len(node["params"]) != expected:
            raise ValueError("model %s: %d weights, its spec has %d"
                             % (model_id, len(node["params"]), expected))
    cache[model_id] = node
    return node


def _sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _leaf_row(node, row):
    sizes, p = node["sizes"], node["params"]
    if len(row) != sizes[0]:
        raise ValueError("a row has %d values, the model %d inputs" % (len(row), sizes[0]))
    if node["norm"]:
        a = [0.0 if v is None else (float(v) - m) / s
             for v, (m, s) in zip(row, node["norm"])]
    else:
        a = [0.0 if v is None else float(v) for v in row]
    off = 0
    layers = len(sizes) - 1
    for l in range(layers):
        n_in, n_out = sizes[l], sizes[l + 1]
        w, b = p[off:off + n_out * n_in], p[off + n_out * n_in:off + n_out * n_in + n_out]
        off += n_out * n_in + n_out
        z = [b[o] + math.fsum(w[o * n_in + i] * a[i] for i in range(n_in))
             for o in range(n_out)]
        a = [max(0.0, v) for v in z] if l + 1 < layers else z
    if len(a) == 1:
        return [_sigmoid(a[0])]
    top = max(a)
    e = [math.exp(v - top) for v in a]
    s = math.fsum(e)
    return [v / s for v in e]


def forward(node, rows):
    """Outputs (a list per row) of the model tree on rows."""
    mode = node["mode"]
    if mode == "none":
        return [_leaf_row(node, r) for r in rows]
    if mode == "average":
        parts = [forward(c, rows) for c in node["components"]]
        k = len(parts)
        return [[math.fsum(p[r][j] for p in parts) / k for j in range(len(parts[0][r]))]
                for r in range(len(rows))]
    if mode == "pipeline":
        out = rows
        for c in node["components"]:
            out = forward(c, out)
        return out
    raise ValueError("unknown mode %r" % mode)


def classes(outputs):
    """The most probable class per row (P >= 0.5 is class 1; ties: the lower)."""
    res = []
    for o in outputs:
        if len(o) == 1:
            res.append(1 if o[0] >= 0.5 else 0)
        else:
            res.append(max(range(len(o)), key=lambda k: (o[k], -k)))
    return res


def _rpc_caller(url, cookie=None):
    auth = None
    if cookie:
        with open(cookie) as f:
            auth = f.read().strip()
    elif "@" in url:
        scheme, rest = url.split("://", 1)
        auth, host = rest.rsplit("@", 1)
        url = scheme + "://" + host

    def call(method, *params):
        req = urllib.request.Request(url, json.dumps(
            {"jsonrpc": "1.0", "id": 1, "method": method, "params": list(params)}).encode())
        req.add_header("Content-Type", "application/json")
        if auth:
            req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                reply = json.load(r)
        except urllib.error.HTTPError as e:
            reply = json.load(e)
        if reply.get("error"):
            raise RuntimeError("%s: %s" % (method, reply["error"]["message"]))
        return reply["result"]
    return call


def main(argv):
    cookie = None
    args = []
    for a in argv[1:]:
        if a.startswith("-cookie="):
            cookie = a.split("=", 1)[1]
        else:
            args.append(a)
    if len(args) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    url, model_id, rows_path = args
    with open(rows_path) as f:
        rows = json.load(f)
    tree = load(_rpc_caller(url, cookie), model_id)
    out = forward(tree, rows)
    print(json.dumps({"outputs": out, "classes": classes(out)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
