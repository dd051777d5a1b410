#!/usr/bin/env python3
"""The AI Market vectors of doc/protocol.md section 19.4, computed a second
time from the document alone, in Python's standard library only (integers,
hashlib's BLAKE2b with its person parameter): the complexity and own price,
the price of a composite, the demand multiplier's steps and decay, the split
of a payment, the mining share, the per-share accrual, the pool cap, the
serving request hash and two payloads.  Every line of section 19.4 of the form

    name key=value ... -> key=value ...

is read from the document and recomputed here; the same values are asserted
against the node's C code by tests/unit/test_market.c.

    python3 tests/market_vectors.py [doc/protocol.md]   check (exit 1 on any difference)
"""
import hashlib
import os
import re
import struct
import sys

ONE = 1 << 32
FAILURES = []


# ---- section 19.3 ----

def macs(sizes):
    return sum(sizes[i] * sizes[i - 1] for i in range(1, len(sizes)))


def own_price(base, m, fee, mult):
    own = (base * 1000 + m * fee) * mult // (1000 << 32)
    cplx = m * fee * mult // (1000 << 32)
    return own, cplx


def mult_next(mult, u, t, cap):
    u = min(u, 1 << 63)
    return max(ONE, min(cap * ONE, mult * (7 * t + u) // (8 * t)))


def mult_decay(mult, blocks, cap):
    # next(M, 0) = floor(7M/8) clamped, whatever t: stop at the floor.
    for _ in range(min(blocks, 10000)):
        nxt = mult_next(mult, 0, 1, cap)
        if nxt == mult:
            break
        mult = nxt
    return mult


def pay_split(gross, cgross, c, d, burn):
    net = gross * (10000 - burn) // 10000
    cx = cgross * (10000 - burn) // 10000
    r = net - cx
    creator = r * c // 10000
    data = r * d // 10000
    return {"burn": gross - net, "creator": creator, "data": data,
            "provider": cx + (r - creator - data)}


def mined(pool, e, total, kappa):
    if total == 0:
        return 0
    return min(pool * e // total, e * kappa // 10000)


def accrue(shares, amounts):
    acc = carry = 0
    for a in amounts:
        num = (a << 64) + carry
        acc += num // shares
        carry = min(num % shares, (1 << 64) - 1)
    return acc, carry


def owed(acc, s, snap=0):
    return 0 if acc <= snap else min(s * (acc - snap) >> 64, (1 << 64) - 1)


def pool_cap(blocks, emission, bps):
    return min(blocks * (emission * bps // 10000), (1 << 64) - 1)


def H(tag, data):
    return hashlib.blake2b(data, digest_size=32, person=tag.encode()).digest()


def compact(n):
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + struct.pack("<H", n)
    if n <= 0xFFFFFFFF:
        return b"\xfe" + struct.pack("<I", n)
    return b"\xff" + struct.pack("<Q", n)


# ---- section 19.2 ----

def publish_upload(name, kind, sizes, weights, base, target, split):
    spec = bytes([kind]) + compact(len(sizes)) + b"".join(struct.pack("<I", x) for x in sizes)
    spec += compact(0)  # no normalization
    return (compact(len(name)) + name + bytes([0]) + bytes(32) + spec +
            compact(len(weights)) + b"".join(struct.pack("<i", w) for w in weights) +
            struct.pack("<QIHHH", base, target, *split) + bytes([0]) + compact(0))


def call_payload(model, provider, calls, max_price):
    return model + provider + struct.pack("<IQ", calls, max_price)


# ---- the document ----

def ints(v):
    return [int(x) for x in v.split(",")]


def compute(name, a):
    if name == "macs":
        return {"macs": macs(ints(a["sizes"]))}
    if name == "own":
        o, c = own_price(int(a["base"]), int(a["macs"]), int(a["fee"]), int(a["mult"]))
        return {"own": o, "complexity": c}
    if name == "price":
        return {"price": sum(ints(a["owns"]))}
    if name == "mult_sequence":
        m, out = int(a["start"]), []
        for u in ints(a["calls"]):
            m = mult_next(m, u, int(a["t"]), int(a["cap"]))
            out.append(m)
        return {"mults": ",".join(str(x) for x in out)}
    if name == "mult_blocks_to_cap":
        m, n, cap = int(a["start"]), 0, int(a["cap"])
        while m < cap * ONE:
            m, n = mult_next(m, int(a["u"]), int(a["t"]), cap), n + 1
        return {"blocks": n}
    if name == "mult_blocks_to_floor":
        m, n = int(a["start"]), 0
        while m > ONE:
            m, n = mult_next(m, 0, int(a["t"]), int(a["cap"])), n + 1
        return {"blocks": n}
    if name == "mult_decay":
        return {"mult": mult_decay(int(a["mult"]), int(a["blocks"]), int(a["cap"]))}
    if name == "pay_split":
        c, d, _ = ints(a["split"])
        return pay_split(int(a["gross"]), int(a["complexity"]), c, d, int(a["burn_bps"]))
    if name == "mined":
        return {"mined": mined(int(a["pool"]), int(a["e"]), int(a["total"]), int(a["mine_bps"]))}
    if name == "accrue":
        s = int(a["shares"])
        acc, carry = accrue(s, ints(a["amounts"]))
        out = {"acc": acc, "carry": carry}
        for k in range(1, s + 1):
            out["owed%d" % k] = owed(acc, k)
        return out
    if name == "pool_cap":
        return {"cap": pool_cap(int(a["blocks"]), int(a["emission"]), int(a["split_bps"]))}
    if name == "request_hash":
        msg = (bytes([int(a["model"], 16)]) * 32 + bytes([int(a["provider"], 16)]) * 32 +
               struct.pack("<IQ", int(a["calls"]), int(a["nonce"])))
        return {"hash": H("FML/market-req", msg).hex()}
    if name == "publish_upload":
        b = publish_upload(a["name"].encode(), int(a["kind"]), ints(a["sizes"]),
                           ints(a["weights"]), int(a["base"]), int(a["target"]),
                           ints(a["split"]))
        return {"hex": b.hex()}
    if name == "call":
        b = call_payload(bytes([int(a["model"], 16)]) * 32, bytes([int(a["provider"], 16)]) * 32,
                         int(a["calls"]), int(a["max_price"]))
        return {"hex": b.hex()}
    raise KeyError(name)


def kv(text):
    return dict(item.split("=", 1) for item in text.split())


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "doc", "protocol.md")
    doc = open(path, encoding="utf-8").read()
    m = re.search(r"^### 19\.4 Vectors\n(.*?)^#{2,3} ", doc, re.S | re.M)
    if not m:
        print("FAIL: no section 19.4 in %s" % path)
        return 1
    lines = re.findall(r"^    ([a-z_]+) (.*?) -> (.*)$", m.group(1), re.M)
    names = set()
    for name, args, want in lines:
        names.add(name)
        got = compute(name, kv(args))
        for k, v in kv(want).items():
            if str(got.get(k)) != v:
                FAILURES.append(name)
                print("FAIL %s %s: %s = %s, the document says %s" % (name, args, k, got.get(k), v))
    expected = {"macs", "own", "price", "mult_sequence", "mult_blocks_to_cap",
                "mult_blocks_to_floor", "mult_decay", "pay_split", "mined", "accrue",
                "pool_cap", "request_hash", "publish_upload", "call"}
    if names != expected:
        FAILURES.append("coverage")
        print("FAIL: vectors found %s, expected %s" % (sorted(names), sorted(expected)))
    if FAILURES:
        print("%d of %d vectors differ" % (len(FAILURES), len(lines)))
        return 1
    print("market vectors: %d lines of section 19.4 recomputed" % len(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
