#!/usr/bin/env python3
"""The FL Alliance vectors of doc/protocol.md section 17.12, computed a second
time from the document alone, in Python's standard library only (integers,
hashlib's BLAKE2b with its person parameter): the slot draw by stake, the
update and vote commitments, the payload bytes, the slot-weighted
aggregators, the verdict thresholds and the pool arithmetic.  The same values
are asserted against the node's C code by tests/unit/test_fl.c.

    python3 tests/fl_vectors.py        check (exit 1 on any difference)
"""
import hashlib
import struct
import sys

COIN = 10**8
FAILURES = []


def H(tag, *parts):
    """BLAKE2b-256 with the tag's ASCII as personalization (zero-padded to 16
    bytes), as consensus/hash.c."""
    h = hashlib.blake2b(digest_size=32, person=tag.encode())
    for p in parts:
        h.update(p)
    return h.digest()


def compact(n):
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + struct.pack("<H", n)
    if n <= 0xFFFFFFFF:
        return b"\xfe" + struct.pack("<I", n)
    return b"\xff" + struct.pack("<Q", n)


def check(what, got, want):
    if got != want:
        FAILURES.append(what)
        print("FAIL %s: got %r, want %r" % (what, got, want))


# ---- section 17.14: slots by stake ----

def slot_count(k, m):
    return 0 if m < 2 else min(k, m - 1)


def draw_slots(stakes, k, task, rnd, mix):
    m = len(stakes)
    k_eff = slot_count(k, m)
    total = sum(stakes)
    slots = [0] * m
    if k_eff == 0 or total == 0:
        return slots
    seed = H("FML/fl-roles", task, struct.pack("<I", rnd), mix)
    counter = 0
    for _ in range(k_eff):
        while True:
            x = struct.unpack("<Q", H("FML/fl-roles", seed, struct.pack("<Q", counter))[:8])[0]
            counter += 1
            if x < 2**64 - (2**64 % total):
                break
        x %= total
        cum = 0
        for i, s in enumerate(stakes):
            cum += s
            if cum > x:
                slots[i] += 1
                break
    return slots


# ---- section 17.3 / 17.15: commitments ----

def model_hash(weights):
    return H("FML/fl-model", b"".join(struct.pack("<i", w) for w in weights))


def update_commitment(task, rnd, proposer, mhash, salt):
    return H("FML/fl-update", task, struct.pack("<I", rnd), proposer, mhash, salt)


def verdict_bytes(verdicts):
    return b"".join(struct.pack("<bi", v, m) for v, m in verdicts)


def vote_commitment(task, rnd, voter, verdicts, salt):
    return H("FML/fl-vote", task, struct.pack("<I", rnd), voter, compact(len(verdicts)),
             verdict_bytes(verdicts), salt)


# ---- section 17.7: aggregators, update i counted j_i times ----

def div_round(num, den):
    """Nearest, ties away from zero."""
    q = (abs(num) + den // 2) // den
    return -q if num < 0 else q


def aggregate(kind, trim, updates, slots):
    n = len(updates[0])
    out = []
    for c in range(n):
        if kind == "fedavg":
            out.append(div_round(sum(j * u[c] for u, j in zip(updates, slots)), sum(slots)))
            continue
        vals = sorted(v for u, j in zip(updates, slots) for v in [u[c]] * j)
        J = len(vals)
        if kind == "median" or J < 2 * trim + 1:
            out.append(vals[J // 2] if J % 2 else (vals[J // 2 - 1] + vals[J // 2]) // 2)
        else:
            kept = vals[trim:J - trim]
            out.append(div_round(sum(kept), len(kept)))
    return out


# ---- section 17.15 / 17.16 ----

def harmful(tally, V):
    return V > 0 and 3 * tally <= -2 * V


def bps(amount, b):
    return amount * b // 10000


def match(pool, x_b, kappa):
    return min(pool, bps(x_b, kappa))


def pool_cap(blocks, emission, split_fl_bps):
    return min(blocks * bps(emission, split_fl_bps), 2**64 - 1)


def main():
    task_a, zero = b"\xaa" * 32, b"\x00" * 32
    task_b, mix_b = bytes(range(32)), b"\x5c" * 32
    five = [5 * COIN, 1 * COIN, 3 * COIN, 1 * COIN, 10 * COIN]
    check("seed round 1", H("FML/fl-roles", task_a, struct.pack("<I", 1), zero).hex(),
          "02a8a3a9a6850c41fcfe4028a848cddaae1d4eef806e5437cba3e28aa0ee3412")
    check("seed round 9", H("FML/fl-roles", task_b, struct.pack("<I", 9), mix_b).hex(),
          "684b0586ce6a4b4dd51326511b031d9a4a53db05171d6ac5c0ed38f66a359391")
    check("draw 1", draw_slots(five, 8, task_a, 1, zero), [1, 0, 0, 1, 2])
    check("draw 2", draw_slots(five, 3, task_a, 2, zero), [1, 0, 1, 0, 1])
    check("draw 3", draw_slots([1, 1, 1], 64, task_b, 3, mix_b), [1, 0, 1])
    check("draw 4", draw_slots([7, 0, 9, 100, 3, 50, 1], 64, task_b, 9, mix_b),
          [0, 0, 0, 2, 1, 3, 0])
    for k, m, want in [(1, 2, 1), (5, 3, 2), (64, 10, 9), (64, 1000, 64), (1, 1, 0)]:
        check("k_eff %d %d" % (k, m), slot_count(k, m), want)

    task, who, salt = b"\x11" * 32, b"\x22" * 32, b"\x33" * 32
    w = [65536, -32768, 0, 1]
    mh = model_hash(w)
    check("model hash", mh.hex(), "98132c875ff5bdce2ebd1060d5d6418a5564d76c3d5ba2dccc610b195fb8a23f")
    check("model hash zeros", model_hash([0] * 4).hex(),
          "644ac8f6ab6ea17aac40982d5bfcd27d7ae1de10eaf4554137e457f48d398623")
    uc = update_commitment(task, 7, who, mh, salt)
    check("update commitment", uc.hex(),
          "c575868f09399c6aa614833924a78466ff868ee387021eb9d13b55ef32a0e7bf")
    verdicts = [(1, 52429), (-1, -65536)]
    check("vote commitment", vote_commitment(task, 7, who, verdicts, salt).hex(),
          "05069a79c0253d737fec3ab5aa8a956965879860558dad7b9a13b868485e5b30")
    check("vote commitment, none", vote_commitment(task, 7, who, [], salt).hex(),
          "f2bbb834e054f475bc80e8eb33554c51bb894d2313e1015803a5f2da607a9b29")
    rnd = struct.pack("<I", 7)
    check("update commit payload", (task + rnd + uc).hex(),
          "11" * 32 + "07000000" + uc.hex())
    reveal = task + rnd + salt + compact(4) + b"".join(struct.pack("<i", x) for x in w)
    check("update reveal payload", (len(reveal), reveal.hex()),
          (85, "11" * 32 + "07000000" + "33" * 32 + "04000001000080ffff0000000001000000"))
    vote = task + rnd + salt + compact(2) + verdict_bytes(verdicts)
    check("vote reveal payload", (len(vote), vote.hex()),
          (79, "11" * 32 + "07000000" + "33" * 32 + "0201cdcc0000ff0000ffff"))

    spec = bytes([0, 2]) + struct.pack("<II", 3, 1) + bytes([0])
    init = compact(4) + b"".join(struct.pack("<i", x) for x in w)
    create = (spec + init + struct.pack("<IHHQH", 5, 3, 10, 10 * COIN, 4) +
              struct.pack("<IIIII", 5, 3, 2, 2, 2) +
              struct.pack("<BHHHQ", 0, 0, 1000, 2000, 1000 * COIN) + compact(0))
    check("task create payload", (len(create), create.hex()),
          (82, "000203000000010000000004000001000080ffff00000000010000000500000003000a0000"
               "ca9a3b0000000004000500000003000000020000000200000002000000000000e803d007"
               "00e876481700000000"))

    u = [[10, -10, 3, 1], [20, -20, 4, 2], [30, -30, 4, 0]]
    check("fedavg", aggregate("fedavg", 0, u, [1, 1, 2]), [23, -23, 4, 1])
    check("fedavg weighted", aggregate("fedavg", 0, [[0], [100]], [3, 1]), [25])
    check("median weighted", aggregate("median", 0, [[0], [100]], [3, 1]), [0])
    check("median 1 2 1", aggregate("median", 0, [[0], [10], [20]], [1, 2, 1]), [10])
    check("median even", aggregate("median", 0, [[1, -1, -3], [2, -2, -2], [3, -3, 1], [4, -4, 5]],
                                   [1] * 4), [2, -3, -1])
    check("trimmed 1 3 1", aggregate("trimmed", 1, [[0], [10], [1000]], [1, 3, 1]), [10])
    check("trimmed 2 1 1", aggregate("trimmed", 1, [[0], [6], [9]], [2, 1, 1]), [3])
    check("trimmed few", aggregate("trimmed", 2, [[-5], [1], [2], [9]], [1] * 4), [1])
    # An update of weight j is j copies of weight 1.
    for kind, t in [("fedavg", 0), ("median", 0), ("trimmed", 1)]:
        ups, sl = [[7, -3], [1, 9], [-4, 4]], [3, 1, 2]
        copies = [x for x, j in zip(ups, sl) for _ in range(j)]
        check("copies " + kind, aggregate(kind, t, ups, sl), aggregate(kind, t, copies, [1] * 6))

    check("harmful -200/300", harmful(-200, 300), True)
    check("harmful -199/300", harmful(-199, 300), False)
    check("harmful -67/100", harmful(-67, 100), True)
    check("harmful -66/100", harmful(-66, 100), False)
    check("harmful no votes", harmful(-5, 0), False)

    check("burn", bps(1000 * COIN, 1000), 100 * COIN)
    check("match", match(1000 * COIN, 200 * COIN, 500), 10 * COIN)
    check("match, dry pool", match(3 * COIN, 200 * COIN, 500), 3 * COIN)
    check("regtest cap", pool_cap(1000, 50 * COIN, 1500), 7500 * COIN)
    budget = 1000 * COIN
    back = budget - bps(budget, 1000)
    loss = budget - back - match(2**64 - 1, back, 500)
    check("self-dealing loss", loss, 55 * COIN)
    check("self-dealing bound", loss >= bps(budget, 1000 - 500), True)

    if FAILURES:
        print("%d FL vectors differ" % len(FAILURES))
        return 1
    print("FL vectors: all agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
