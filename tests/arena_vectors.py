#!/usr/bin/env python3
"""The AI Arena formulas of doc/protocol.md section 18.3, computed a second
time from the document alone, in Python's standard library only (integers,
hashlib's BLAKE2b with its person parameter), and compared with the vectors
in tests/data/arena_vectors.json that tests/unit/test_arenamath.c checks the
node's C code against.

    python3 tests/arena_vectors.py            check the file (exit 1 on any difference)
    python3 tests/arena_vectors.py --write    rewrite the file from this code
    python3 tests/arena_vectors.py --markdown print the vector tables of section 18.3
"""
import hashlib
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "data", "arena_vectors.json")
BPS = 10000


def H(tag, *parts):
    """BLAKE2b-256 with the tag's ASCII as personalization (zero-padded to 16
    bytes, zero salt, no key), as libsodium's
    crypto_generichash_blake2b_salt_personal in consensus/hash.c."""
    h = hashlib.blake2b(digest_size=32, person=tag.encode())
    for p in parts:
        h.update(p)
    return h.digest()


# ---- formulas (doc/protocol.md 18.3) ----

def muldiv(a, b, c):
    if c == 0:
        return 0
    return min(a * b // c, 2**64 - 1)


def weighted_median(votes):
    """votes: [(validator bytes, loss, weight)]."""
    v = sorted(votes, key=lambda x: (x[1], x[0]))
    total = sum(x[2] for x in v)
    if not v or total == 0:
        return 0
    cum = 0
    for pub, loss, w in v:
        cum += w
        if 2 * cum >= total:
            return loss
    return v[-1][1]


def submission_loss(set_loss, mask):
    got = [l for k, l in enumerate(set_loss) if mask >> k & 1]
    return sum(got) // len(got) if got else 0


def dense_ranks(losses, eps):
    order = sorted(range(len(losses)), key=lambda i: (losses[i], i))
    rank = [0] * len(losses)
    r, leader = 0, None
    for i in order:
        if leader is None or losses[i] > leader + eps:
            r += 1
            leader = losses[i]
        rank[i] = r
    return rank


def rank_weight(rank, q):
    if rank == 0:
        return 0
    p = 2**32
    for _ in range(rank - 1):
        p = p * q // BPS
    return p


def validator_group(r, gamma, t, sv):
    if t + sv == 0:
        return 0
    return muldiv(r, gamma * (t + sv) + (BPS - 2 * gamma) * sv, BPS * (t + sv))


def split(total, w):
    s = sum(w)
    return [muldiv(total, x, s) if s else 0 for x in w]


def trainer_shares(g_t, ranks, stakes, q):
    return split(g_t, [rank_weight(r, q) * s for r, s in zip(ranks, stakes)])


def deviation(l, L):
    return min(BPS * abs(l - L) // max(L, 1), 10**8)


def mean_deviation(sum_dev, pairs, D):
    return D if pairs == 0 else sum_dev // pairs


def closeness(d, D):
    return BPS - min(BPS, d * BPS // D)


def validator_shares(g_v, c, stakes):
    return split(g_v, [ci * s for ci, s in zip(c, stakes)])


def delegators_part(f, sigma, del_total, own):
    s = own + del_total
    return muldiv(f, sigma * del_total, BPS * s) if s else 0


def reward_a(a, delta, V):
    return a if V == 0 else a * delta // BPS


def tranche(b, i, V):
    if V == 0 or i == 0 or i > V:
        return 0
    return b * i // V - b * (i - 1) // V


def pro_rata(credit, x, total):
    return muldiv(credit, x, total) if total else 0


def match(pool, budget_left, kappa):
    return min(pool, budget_left * kappa // BPS)


def burn(budget, beta):
    return budget * beta // BPS


def pool_cap(cap_blocks, emission, split_bps):
    return min(cap_blocks * (emission * split_bps // BPS), 2**64 - 1)


def draw(task, mix, k, j, stakes):
    total = sum(stakes)
    seed = H("FML/arena-assign", task, mix, bytes([k, j]))
    limit = (2**64 // total) * total
    ctr = 0
    while True:
        x = int.from_bytes(H("FML/arena-assign", seed, struct.pack("<Q", ctr))[:8], "little")
        ctr += 1
        if x < limit:
            break
    target, cum = x % total, 0
    for i, s in enumerate(stakes):
        cum += s
        if target < cum:
            return i
    raise AssertionError("unreachable")


def leaf(salt, s, i, data):
    return H("FML/arena-leaf", salt, bytes([s]), struct.pack("<HI", i, len(data)), data)


def node(a, b):
    return H("FML/arena-node", a, b)


def merkle_levels(leaves):
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        cur, nxt = levels[-1], []
        for i in range(0, len(cur) - 1, 2):
            nxt.append(node(cur[i], cur[i + 1]))
        if len(cur) % 2:
            nxt.append(cur[-1])
        levels.append(nxt)
    return levels


def merkle_path(leaves, i):
    path = []
    for lvl in merkle_levels(leaves)[:-1]:
        if i ^ 1 < len(lvl):
            path.append(lvl[i ^ 1])
        i >>= 1
    return path


def sub_commitment(task, trainer, model_hash, salt):
    return H("FML/arena-sub", task, trainer, model_hash, salt)


def score_commitment(task, validator, losses, salt):
    return H("FML/arena-score", task, validator, struct.pack("<I", len(losses)),
             b"".join(struct.pack("<I", l) for l in losses), salt)


def model_hash(weights):
    return H("FML/fl-model", b"".join(struct.pack("<i", w) for w in weights))


# ---- the vector set ----

def pub(i):
    return bytes([i]) * 32


def det_bytes(label, n):
    """n deterministic bytes named by label."""
    out, ctr = b"", 0
    while len(out) < n:
        out += H("FML/arena-leaf", label.encode(), struct.pack("<Q", ctr))
        ctr += 1
    return out[:n]


U64 = 2**64 - 1


def build():
    v = {}
    v["muldiv"] = [[str(a), str(b), str(c), str(muldiv(a, b, c))] for a, b, c in [
        (0, 5, 7), (7, 5, 0), (10, 3, 4), (U64, U64, U64), (U64, 2**64, 2**64 + 1),
        (U64, 2**127 + 12345, 2**127 + 1), (U64, 2**128 - 1, 2**128 - 1),
        (U64, 2**128 - 1, 2**65), (123456789012345678, 10**30 + 7, 10**29 + 3),
        (10**18, 10**25, 10**25 + 1), (U64, 2**100, 2**37), (5, 2**64, 1),
        (3 * 10**17, 2**96 - 1, 2**102 - 5),
    ]]
    medians = [
        [(1, 100, 1), (2, 200, 1), (3, 300, 1)],
        [(1, 100, 1), (2, 200, 1)],
        [(1, 100, 1), (2, 200, 3)],
        [(3, 50, 2), (1, 50, 2), (2, 10, 1)],
        [(1, 7, 16)],
        [(1, 900, 5), (2, 100, 1), (3, 500, 1), (4, 300, 1), (5, 100, 2)],
        [(9, 65536, 4), (8, 70000, 4)],
    ]
    v["median"] = [{"votes": [[i, l, w] for i, l, w in m],
                    "median": weighted_median([(pub(i), l, w) for i, l, w in m])}
                   for m in medians]
    v["submission_loss"] = [{"set_loss": sl, "mask": mk, "loss": submission_loss(sl, mk)}
                            for sl, mk in [([10, 20, 31], 7), ([10, 20, 31], 5), ([10, 20], 0),
                                           ([4294967295] * 8, 255), ([5, 6, 7, 8], 10)]]
    v["ranks"] = [{"losses": ls, "epsilon": e, "ranks": dense_ranks(ls, e)}
                  for ls, e in [([300, 100, 200], 0), ([100, 100, 150, 160, 400], 50),
                                ([100, 140, 180, 220], 50), ([5], 0),
                                ([4294967295, 4294967295, 0], 4294967295),
                                ([65536, 65600, 65536, 70000, 65601], 64), ([], 0)]]
    v["rank_weight"] = [[r, q, rank_weight(r, q)] for r, q in
                        [(0, 5000), (1, 5000), (2, 5000), (3, 5000), (2, 10000), (64, 9999),
                         (5, 1), (33, 5000), (4, 7071)]]
    v["validator_group"] = [[str(r), g, str(t), str(sv), str(validator_group(r, g, t, sv))]
                            for r, g, t, sv in [
        (1000, 0, 100, 100), (1000, 5000, 7, 3), (1000, 2000, 300, 100),
        (9 * 10**16, 2500, 64 * 10**17, 64 * 10**17), (12345, 1000, 0, 50),
        (12345, 1000, 50, 0), (1, 1, 0, 0), (U64, 4999, 2**70 - 1, 2**69 + 3)]]
    ts = [(10**6, [1, 2, 3], [100, 100, 100], 5000), (10**6, [1, 1, 2], [100, 300, 100], 5000),
          (999, [1, 2], [1, 1], 10000), (U64, [1, 2, 3, 4], [10**17] * 4, 2500),
          (0, [1], [5], 5000), (10**9, [1, 64], [10**17, 10**17], 1)]
    v["trainer_shares"] = [{"g_t": str(g), "ranks": r, "stakes": [str(x) for x in s], "q": q,
                            "shares": [str(x) for x in trainer_shares(g, r, s, q)]}
                           for g, r, s, q in ts]
    v["deviation"] = [[l, L, deviation(l, L)] for l, L in
                      [(100, 100), (110, 100), (90, 100), (0, 0), (5, 0), (4294967295, 1),
                       (1, 4294967295), (65536, 65535), (20000, 10000)]]
    v["mean_deviation"] = [[str(s), p, d, mean_deviation(s, p, d)] for s, p, d in
                           [(0, 0, 500), (1000, 3, 500), (51200000000, 512, 10**8)]]
    v["closeness"] = [[d, D, closeness(d, D)] for d, D in
                      [(0, 1000), (500, 1000), (999, 1000), (1000, 1000), (10**8, 1),
                       (333, 1000), (1, 3)]]
    vs = [(10**6, [10000, 5000, 0], [100, 100, 100]), (7, [1, 1, 1], [1, 1, 1]),
          (U64, [10000, 9999], [10**17, 3]), (1000, [0, 0], [5, 5])]
    v["validator_shares"] = [{"g_v": str(g), "c": c, "stakes": [str(x) for x in s],
                              "shares": [str(x) for x in validator_shares(g, c, s)]}
                             for g, c, s in vs]
    v["delegators_part"] = [[str(f), sg, str(dt), str(own), str(delegators_part(f, sg, dt, own))]
                            for f, sg, dt, own in [
        (1000, 5000, 100, 100), (1000, 10000, 100, 0), (1000, 0, 100, 100), (0, 0, 0, 0),
        (U64, 9999, 10**17, 1), (12345, 3333, 7, 11)]]
    v["vesting"] = []
    for a, delta, V in [(1000, 5000, 4), (1001, 3000, 3), (7, 0, 52), (10**17, 10000, 5),
                        (999, 2500, 0), (1, 5000, 2)]:
        A = reward_a(a, delta, V)
        B = a - A
        v["vesting"].append({"a": str(a), "delta": delta, "V": V, "A": str(A), "B": str(B),
                             "tranches": [str(tranche(B, i, V)) for i in range(1, V + 1)]})
    v["pro_rata"] = [[str(c), str(x), str(t), str(pro_rata(c, x, t))] for c, x, t in
                     [(1000, 1, 3), (1000, 2, 3), (0, 5, 5), (5, 5, 0), (U64, 10**17, 10**17 + 1)]]
    v["match"] = [[str(p), str(b), k, str(match(p, b, k))] for p, b, k in
                  [(10**12, 9 * 10**8, 500), (10, 9 * 10**8, 500), (0, 10**9, 500),
                   (U64, U64, 9999)]]
    v["burn"] = [[str(b), k, str(burn(b, k))] for b, k in
                 [(10**8, 1000), (123456789, 1000), (U64, 10000), (99999, 1)]]
    v["pool_cap"] = [[c, str(e), s, str(pool_cap(c, e, s))] for c, e, s in
                     [(518400, 20 * 10**8, 1000), (1000, 50 * 10**8, 1000), (0, 10**9, 1000),
                      (4294967295, U64, 10000)]]

    task, mix = det_bytes("task", 32), det_bytes("mix", 32)
    draws = []
    for stakes, K, J in [([1], 2, 2), ([100, 300], 3, 4), ([10**17, 1, 5 * 10**16, 7], 8, 16),
                         ([3, 3, 3], 2, 5)]:
        draws.append({"stakes": [str(s) for s in stakes], "sets": K, "draws": J,
                      "picks": [[draw(task, mix, k, j, stakes) for j in range(J)]
                                for k in range(K)]})
    v["draw"] = {"task": task.hex(), "mix": mix.hex(), "cases": draws}

    salt = det_bytes("salt", 32)
    merkle = []
    for n in [1, 2, 3, 5, 7, 8, 64]:
        chunks = [det_bytes("chunk%d" % i, 8 * (1 + i % 3)) for i in range(n)]
        leaves = [leaf(salt, 1, i, c) for i, c in enumerate(chunks)]
        entry = {"set": 1, "chunks": [c.hex() for c in chunks],
                 "leaves": [l.hex() for l in leaves],
                 "root": merkle_levels(leaves)[-1][0].hex()}
        if n <= 8:
            entry["paths"] = [[p.hex() for p in merkle_path(leaves, i)] for i in range(n)]
        merkle.append(entry)
    v["merkle"] = {"salt": salt.hex(), "cases": merkle}

    weights = [65536, -32768, 0, 123456789, -1]
    mh = model_hash(weights)
    losses = [65536, 0, 4294967295, 12345]
    v["commitments"] = {
        "task": task.hex(), "trainer": pub(7).hex(), "weights": weights,
        "model_hash": mh.hex(), "salt": salt.hex(),
        "submission": sub_commitment(task, pub(7), mh, salt).hex(),
        "validator": pub(9).hex(), "losses": losses,
        "scores": score_commitment(task, pub(9), losses, salt).hex(),
        "scores_empty": score_commitment(task, pub(9), [], salt).hex(),
    }
    v["tags_abc"] = {t: H(t, b"abc").hex() for t in
                     ["FML/arena-sub", "FML/arena-score", "FML/arena-leaf", "FML/arena-node",
                      "FML/arena-assign"]}
    return v


def markdown(v):
    out = []
    out.append("Weighted lower median (validator i is the key of 32 bytes i):\n")
    out.append("| votes (validator, loss, weight) | median |\n|---|---|")
    for m in v["median"]:
        out.append("| %s | %d |" % (", ".join("(%d, %d, %d)" % tuple(x) for x in m["votes"]),
                                    m["median"]))
    out.append("\nDense ranks (losses in commit order):\n")
    out.append("| losses | epsilon | ranks |\n|---|---|---|")
    for r in v["ranks"]:
        out.append("| %s | %d | %s |" % (r["losses"], r["epsilon"], r["ranks"]))
    out.append("\nRank weights P_r:\n")
    out.append("| rank | q_bps | P_r |\n|---|---|---|")
    for r, q, p in v["rank_weight"]:
        out.append("| %d | %d | %d |" % (r, q, p))
    out.append("\nValidator group G_v:\n")
    out.append("| R | gamma_bps | T | Sv | G_v |\n|---|---|---|---|---|")
    for row in v["validator_group"]:
        out.append("| %s | %s | %s | %s | %s |" % tuple(row))
    out.append("\nTrainer shares:\n")
    out.append("| G_t | ranks | stakes | q_bps | shares |\n|---|---|---|---|---|")
    for t in v["trainer_shares"]:
        out.append("| %s | %s | %s | %d | %s |" % (t["g_t"], t["ranks"], ", ".join(t["stakes"]),
                                                    t["q"], ", ".join(t["shares"])))
    out.append("\nDeviation and closeness:\n")
    out.append("| l | L | dev_bps |\n|---|---|---|")
    for row in v["deviation"]:
        out.append("| %d | %d | %d |" % tuple(row))
    out.append("\n| d_v | D_bps | c_v |\n|---|---|---|")
    for row in v["closeness"]:
        out.append("| %d | %d | %d |" % tuple(row))
    out.append("\nValidator shares:\n")
    out.append("| G_v | c_v | stakes | shares |\n|---|---|---|---|")
    for t in v["validator_shares"]:
        out.append("| %s | %s | %s | %s |" % (t["g_v"], t["c"], ", ".join(t["stakes"]),
                                              ", ".join(t["shares"])))
    out.append("\nDelegators' part:\n")
    out.append("| f | sigma_bps | del_total | own | f_del |\n|---|---|---|---|---|")
    for row in v["delegators_part"]:
        out.append("| %s | %d | %s | %s | %s |" % tuple(row))
    out.append("\nReward A and tranches of B:\n")
    out.append("| a | delta_bps | V | A | B | tranches |\n|---|---|---|---|---|---|")
    for t in v["vesting"]:
        out.append("| %s | %d | %d | %s | %s | %s |" % (t["a"], t["delta"], t["V"], t["A"], t["B"],
                                                      ", ".join(t["tranches"]) or "-"))
    out.append("\nExact multiply-divide floor(a x b / c):\n")
    out.append("| a | b | c | result |\n|---|---|---|---|")
    for row in v["muldiv"]:
        out.append("| %s | %s | %s | %s |" % tuple(row))
    out.append("\nMatch, burn, pool cap:\n")
    out.append("| pool | budget_left | kappa | match |\n|---|---|---|---|")
    for row in v["match"]:
        out.append("| %s | %s | %d | %s |" % tuple(row))
    out.append("\n| budget | beta | burn |\n|---|---|---|")
    for row in v["burn"]:
        out.append("| %s | %d | %s |" % tuple(row))
    out.append("\n| cap_blocks | emission | split_arena_bps | cap |\n|---|---|---|---|")
    for row in v["pool_cap"]:
        out.append("| %d | %s | %d | %s |" % tuple(row))
    d = v["draw"]
    out.append("\nAssignment draw, task = %s, mix = %s (picks[k][j]):\n" % (d["task"], d["mix"]))
    out.append("| stakes | sets x draws | picks |\n|---|---|---|")
    for c in d["cases"][:3]:
        out.append("| %s | %d x %d | %s |" % (", ".join(c["stakes"]), c["sets"], c["draws"],
                                              " / ".join("".join(str(x) for x in row)
                                                         for row in c["picks"])))
    m = v["merkle"]
    out.append("\nChunk Merkle roots, salt = %s, set 1, chunk i of n = the file's bytes:\n" % m["salt"])
    out.append("| n | root |\n|---|---|")
    for c in m["cases"]:
        out.append("| %d | `%s` |" % (len(c["chunks"]), c["root"]))
    c = v["commitments"]
    out.append("\nCommitments: task = %s, salt = %s" % (c["task"], c["salt"]))
    out.append("\n    weights %s -> model_hash %s" % (c["weights"], c["model_hash"]))
    out.append("    submission (trainer 07..07)  %s" % c["submission"])
    out.append("    scores %s (validator 09..09)  %s" % (c["losses"], c["scores"]))
    out.append("\nTagged hashes of \"abc\":\n")
    for t, h in v["tags_abc"].items():
        out.append("    %-17s%s" % (t, h))
    return "\n".join(out)


def main():
    v = build()
    if "--write" in sys.argv:
        with open(VECTORS, "w") as f:
            json.dump(v, f, indent=1, sort_keys=True)
            f.write("\n")
        print("wrote", VECTORS)
        return 0
    if "--markdown" in sys.argv:
        print(markdown(v))
        return 0
    with open(VECTORS) as f:
        stored = json.load(f)
    bad = [k for k in sorted(set(v) | set(stored)) if v.get(k) != stored.get(k)]
    for k in bad:
        print("arena vectors differ in", k)
    if bad:
        return 1
    print("arena vectors: %d groups agree" % len(v))
    return 0


if __name__ == "__main__":
    sys.exit(main())
