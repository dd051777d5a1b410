#!/usr/bin/env python3
"""An independent implementation of the AI Arena's settlement (doc/protocol.md,
"AI Arena"), in standard-library Python, to check the node's C code.

It takes the raw inputs the chain shows (arenagettask: the stakes, delegated
totals and sigma snapshotted at the submission deadline, each validator's
draws per set, the scoreable submissions in commit order, the budget left
and the match taken from the Arena pool; arenagetscores: each revealed
validator's losses) and recomputes everything settlement decides: consensus
loss per (submission, set) as the weighted lower median, a submission's loss,
dense ranks with epsilon, the validators' and trainers' groups G_v and G_t,
each trainer's share by q^(rank-1) x stake, each validator's closeness c_v and
share, the operator/delegator split by sigma, Reward A and the Reward B
tranches, and the dust.  All integer arithmetic (Python ints are exact), floor
unless said.

    python3 demo/arena_ref.py             # the checks on hand-made inputs
    from arena_ref import settle, from_chain, compare_with_chain

Nothing here imports from the node or shares code with it.
"""

import unittest
from decimal import Decimal

BPS = 10_000
COIN = 100_000_000
DEV_CAP = 100_000_000          # a pair's deviation is capped at 10^8 bps
P1 = 1 << 32                   # the weight of rank 1


# ---------------------------------------------------------------- formulas

def weighted_lower_median(entries):
    """entries: [(loss, weight, tiebreak)]; the first loss, in (loss,
    tiebreak) order, whose cumulative weight x 2 reaches the total."""
    entries = sorted(entries, key=lambda e: (e[0], e[2]))
    total = sum(w for _, w, _ in entries)
    acc = 0
    for loss, w, _ in entries:
        acc += w
        if 2 * acc >= total:
            return loss
    raise ValueError("no weight")


def score_index(counts, k, s_idx, m):
    """Position of (set k, submission s_idx) in a validator's loss list:
    its drawn sets ascending, then submissions in commit order."""
    pos = sum(1 for j in range(k) if counts[j] > 0)
    return pos * m + s_idx


def consensus_losses(K, m, validators):
    """L[s][k] (None: set k has no consensus) from the revealed validators."""
    L = [[None] * K for _ in range(m)]
    for k in range(K):
        voters = [v for v in validators if v["revealed"] and v["count"][k] > 0]
        if not voters:
            continue
        for s in range(m):
            L[s][k] = weighted_lower_median(
                [(v["losses"][score_index(v["count"], k, s, m)], v["count"][k], v["key"])
                 for v in voters])
    return L


def submission_losses(L):
    """floor(mean over the sets with consensus); None when no set has one."""
    out = []
    for row in L:
        vals = [x for x in row if x is not None]
        out.append(sum(vals) // len(vals) if vals else None)
    return out


def dense_ranks(losses, seqs, epsilon):
    """Ranks by (loss, seq): a submission within epsilon of the current
    leader's loss shares its rank, else it leads the next rank."""
    order = sorted(range(len(losses)), key=lambda i: (losses[i], seqs[i]))
    ranks = [0] * len(losses)
    leader, rank = None, 0
    for i in order:
        if leader is None or losses[i] > leader + epsilon:
            leader, rank = losses[i], rank + 1
        ranks[i] = rank
    return ranks


def groups(R, gamma, T, Sv):
    """G_v = floor(R (gamma (T + Sv) + (10^4 - 2 gamma) Sv) / (10^4 (T + Sv))), G_t = R - G_v."""
    den = BPS * (T + Sv)
    G_v = R * (gamma * (T + Sv) + (BPS - 2 * gamma) * Sv) // den if den else 0
    return G_v, R - G_v


def rank_weight(rank, q):
    p = P1
    for _ in range(rank - 1):
        p = p * q // BPS
    return p


def trainer_shares(G_t, ranks, stakes, q):
    w = [rank_weight(r, q) * s for r, s in zip(ranks, stakes)]
    total = sum(w)
    if total == 0:
        return [0] * len(w)
    return [G_t * x // total for x in w]


def closeness(v, L, m, D):
    """c_v in bps: 10^4 - min(10^4, floor(10^4 d_v / D)), d_v the mean
    capped relative deviation over v's (submission, drawn set with consensus)
    pairs (no pair: c_v = 0)."""
    devs = []
    for k, c in enumerate(v["count"]):
        if c == 0:
            continue
        for s in range(m):
            cons = L[s][k]
            if cons is None:
                continue
            mine = v["losses"][score_index(v["count"], k, s, m)]
            devs.append(min(BPS * abs(mine - cons) // max(cons, 1), DEV_CAP))
    d = sum(devs) // len(devs) if devs else D
    return BPS - min(BPS, BPS * d // D)


def validator_shares(G_v, cs, stakes):
    total = sum(c * s for c, s in zip(cs, stakes))
    if total == 0:
        return [0] * len(cs)
    return [G_v * c * s // total for c, s in zip(cs, stakes)]


def operator_split(f, sigma, del_total, S):
    """(f_op, f_del): the delegators together get floor(f sigma del_total / (10^4 S))."""
    f_del = f * sigma * del_total // (BPS * S) if S else 0
    return f - f_del, f_del


def vest(a, delta, V):
    """(A now, [tranche 1..V]) of an amount a."""
    if V == 0:
        return a, []
    A = a * delta // BPS
    B = a - A
    return A, [B * i // V - B * (i - 1) // V for i in range(1, V + 1)]


def settle(inp):
    """inp: {budget_left, match, K, gamma_bps, q_bps, delta_bps, D_bps,
    epsilon, vest_epochs, submissions: [{address, seq, own, del_total,
    sigma_bps}] (scoreable, commit order), validators: [{address, key, own,
    del_total, sigma_bps, count[K], revealed, losses}]}.  Returns the whole
    settlement (see the keys below)."""
    K, subs = inp["K"], inp["submissions"]
    m = len(subs)
    vals = [v for v in inp["validators"] if sum(v["count"]) > 0]
    revealed = [v for v in vals if v["revealed"]]
    L = consensus_losses(K, m, revealed)
    losses = submission_losses(L)
    out = {"L": L, "losses": losses, "ranks": [], "refunded": False, "trainers": {},
           "validators": {}, "G_v": 0, "G_t": 0, "dust": 0, "R": 0}
    if m == 0 or not revealed or any(x is None for x in losses):
        out["refunded"] = True
        return out
    R = inp["budget_left"] + inp["match"]
    out["R"] = R
    ranks = dense_ranks(losses, [s["seq"] for s in subs], inp["epsilon"])
    out["ranks"] = ranks
    S_t = [s["own"] + s["del_total"] for s in subs]
    S_v = [v["own"] + v["del_total"] for v in revealed]
    G_v, G_t = groups(R, inp["gamma_bps"], sum(S_t), sum(S_v))
    out["G_v"], out["G_t"] = G_v, G_t
    f_t = trainer_shares(G_t, ranks, S_t, inp["q_bps"])
    cs = [closeness(v, L, m, inp["D_bps"]) for v in revealed]
    f_v = validator_shares(G_v, cs, S_v)
    out["dust"] = R - sum(f_t) - sum(f_v)
    delta, V = inp["delta_bps"], inp["vest_epochs"]

    def entry(op, f, S, extra):
        f_op, f_del = operator_split(f, op["sigma_bps"], op["del_total"], S)
        a_op, tr_op = vest(f_op, delta, V)
        a_del, tr_del = vest(f_del, delta, V)
        e = {"f": f, "f_op": f_op, "f_del": f_del, "reward_a": a_op, "tranches": tr_op,
             "reward_b": f_op - a_op, "del_reward_a": a_del, "del_tranches": tr_del,
             "del_reward_b": f_del - a_del, "stake": S, "del_total": op["del_total"]}
        e.update(extra)
        return e

    for s, f, S, r, loss in zip(subs, f_t, S_t, ranks, losses):
        out["trainers"][s["address"]] = entry(s, f, S, {"rank": r, "loss": loss})
    for v, f, S, c in zip(revealed, f_v, S_v, cs):
        out["validators"][v["address"]] = entry(v, f, S, {"closeness_bps": c})
    return out


def delegator_entitlement(d_credit, x_d, del_total):
    return d_credit * x_d // del_total if del_total else 0


# ---------------------------------------------------------------- the chain

def units(x):
    """An RPC amount (FML decimal) in base units; integers pass as they are
    when the field is already in units."""
    if isinstance(x, int) and not isinstance(x, bool):
        return x
    d = Decimal(str(x)) * COIN
    if d != d.to_integral_value():
        raise ValueError("not a whole number of units: %s" % x)
    return int(d)


def _num(x):
    if isinstance(x, str):
        return int(x)
    return int(x)


def snapshot_stakes(node, task_id):
    """{address: (own, del_total, sigma_bps)} as the chain snapshotted them
    at the submission deadline.  Read between that deadline and the
    settlement: stakes are returned at settlement, after which the records
    show 0 own stake."""
    return {o["address"]: (units(o["own_stake"]), units(o["delegated"]), _num(o["sigma_bps"]))
            for o in node.arenagettask(task_id)["operators"]}


def from_chain(node, task_id, stakes=None):
    """settle()'s input from a node's arenagettask and arenagetscores
    (stakes: snapshot_stakes() read before the settlement; without it, own
    stake = stake_snapshot - delegated)."""
    t = node.arenagettask(task_id)
    p, pool = t["params"], t["pool"]
    ops = {o["address"]: o for o in t["operators"]}

    def snap(o):
        total = units(o["stake_snapshot"])
        if stakes and o["address"] in stakes:
            own, dt, _ = stakes[o["address"]]
            if own + dt != total:
                raise ValueError("%s: stake %d + %d read before settlement, snapshot %d" %
                                 (o["address"], own, dt, total))
            return own, dt
        dt = units(o["delegated"])
        return total - dt, dt

    subs = []
    for s in t["submissions"]:
        o = ops[s["address"]]
        if o.get("eligible") is False:
            continue   # below the minimum stake at the snapshot: no part
        own, dt = snap(o)
        subs.append({"address": s["address"], "seq": _num(s["seq"]), "own": own, "del_total": dt,
                     "sigma_bps": _num(o["sigma_bps"])})
    vals = []
    for o in t["operators"]:
        if o["role"] != "validator":
            continue
        own, dt = snap(o)
        count = [_num(c) for c in o.get("assignment") or [0] * len(t["sets"])]
        revealed = bool(o.get("scores_revealed"))
        losses = []
        if revealed and sum(count) > 0:
            losses = [_num(x) for x in node.arenagetscores(task_id, o["address"])["losses"]]
        vals.append({"address": o["address"], "key": o["address"], "own": own, "del_total": dt,
                     "sigma_bps": _num(o["sigma_bps"]), "count": count, "revealed": revealed,
                     "losses": losses})
    # budget_left is moved out of the pool at settlement: what was left to
    # distribute is then the budget less its burn.
    left = units(pool["budget_left"])
    if t["state"] in ("settled", "refunded"):
        left = units(pool["budget"]) - units(pool["burn"])
    return {"budget_left": left, "match": units(pool["match"]),
            "K": len(t["sets"]), "gamma_bps": _num(p["gamma_bps"]), "q_bps": _num(p["q_bps"]),
            "delta_bps": _num(p["delta_bps"]), "D_bps": _num(p["D_bps"]),
            "epsilon": _num(p["epsilon"]), "vest_epochs": _num(p["vest_epochs"]),
            "submissions": subs, "validators": vals, "task": t}


def compare_with_chain(node, task_id, delegators=(), kappa_bps=None, pool_before=None, stakes=None):
    """Recomputes the settlement of a settled task and compares it, to the
    base unit, with what the chain shows: arenagettask's pool (groups, dust,
    match), results (per-set consensus losses, loss, rank) and operator
    records (f, f_op, f_del, Reward A, closeness), and arenagetrewards of
    every operator and of the given delegators.  kappa_bps / pool_before
    (the Arena pool at the end of the block before settlement), when given,
    check the match too.  Returns (ok, [differences], settlement)."""
    inp = from_chain(node, task_id, stakes)
    t = inp["task"]
    ref = settle(inp)
    diffs = []

    def check(what, mine, chain):
        if mine != chain:
            diffs.append("%s: reference %s, chain %s" % (what, mine, chain))

    pool = t["pool"]
    if kappa_bps is not None and not ref["refunded"]:
        cap = inp["budget_left"] * kappa_bps // BPS
        if pool_before is not None:
            check("match", min(units(pool_before), cap), units(pool["match"]))
        elif units(pool["match"]) > cap:
            diffs.append("match %d above floor(budget_left x kappa / 10^4) = %d" % (units(pool["match"]), cap))
    check("state", "refunded" if ref["refunded"] else "settled", t["state"])
    if ref["refunded"]:
        return not diffs, diffs, ref
    check("validators' group G_v", ref["G_v"], units(pool["validators_group"]))
    check("trainers' group G_t", ref["G_t"], units(pool["trainers_group"]))
    check("dust", ref["dust"], units(pool["dust"]))
    results = {r["address"]: r for r in t.get("results") or []}
    ops = {o["address"]: o for o in t["operators"]}
    for i, (addr, e) in enumerate(ref["trainers"].items()):
        r = results.get(addr)
        if r is None:
            diffs.append("%s: no result on the chain" % addr)
            continue
        check("%s set losses" % addr[:14], ref["L"][i], [None if x is None else _num(x) for x in r["set_losses"]])
        check("%s loss" % addr[:14], e["loss"], _num(r["loss_raw"]))
        check("%s rank" % addr[:14], e["rank"], _num(r["rank"]))
    for addr, e in list(ref["trainers"].items()) + list(ref["validators"].items()):
        o = ops.get(addr)
        if o is None:
            diffs.append("%s: no operator record" % addr)
            continue
        check("%s f" % addr[:14], e["f"], units(o["reward"]))
        check("%s f_op" % addr[:14], e["f_op"], units(o["reward_operator"]))
        check("%s f_del" % addr[:14], e["f_del"], units(o["reward_delegators"]))
        check("%s Reward A" % addr[:14], e["reward_a"], units(o["reward_a"]))
        if "closeness_bps" in e:
            check("%s closeness" % addr[:14], e["closeness_bps"], _num(o["closeness_bps"]))
        rows = [x for x in node.arenagetrewards(addr)["entries"]
                if x["task"] == task_id and x["role"] in ("trainer", "validator")]
        if len(rows) != 1:
            diffs.append("%s: %d reward rows on the chain" % (addr, len(rows)))
            continue
        row = rows[0]
        check("%s reward row" % addr[:14], e["f_op"], units(row["reward"]))
        check("%s reward_a row" % addr[:14], e["reward_a"], units(row["reward_a"]))
        check("%s Reward B" % addr[:14], e["reward_b"],
              units(row["reward_b_vesting"]) + units(row["reward_b_paid"]) + units(row["forfeited"]))
        if units(row["forfeited"]) == 0:
            paid = sum(1 for h in t["windows"]["vest_heights"] if h <= node.getblockcount())
            check("%s Reward B paid" % addr[:14], sum(e["tranches"][:paid]), units(row["reward_b_paid"]))
    # Every validator that did not reveal (or was never drawn) earns nothing.
    for o in t["operators"]:
        if o["role"] == "validator" and o["address"] not in ref["validators"]:
            check("%s f (no part)" % o["address"][:14], 0, units(o["reward"]))
    everyone = dict(ref["trainers"])
    everyone.update(ref["validators"])
    for d in delegators:
        for row in node.arenagetrewards(d)["entries"]:
            if row["task"] != task_id or row["role"] != "delegator":
                continue
            e = everyone.get(row["operator"])
            if e is None:
                check("%s reward (operator without reward)" % d[:14], 0, units(row["reward"]))
                continue
            x = units(row["delegated"])
            check("%s delegator reward" % d[:14], delegator_entitlement(e["f_del"], x, e["del_total"]),
                  units(row["reward"]))
            if units(row["forfeited"]) == 0 and units(row["claimed"]) == 0:
                paid = sum(1 for h in t["windows"]["vest_heights"] if h <= node.getblockcount())
                credit = e["del_reward_a"] + sum(e["del_tranches"][:paid])
                check("%s delegator claimable" % d[:14], delegator_entitlement(credit, x, e["del_total"]),
                      units(row["claimable"]))
    return not diffs, diffs, ref


# ---------------------------------------------------------------- checks

def _v(addr, own, count, losses, revealed=True, del_total=0, sigma=0):
    return {"address": addr, "key": addr, "own": own, "del_total": del_total, "sigma_bps": sigma,
            "count": count, "revealed": revealed, "losses": losses}


def _s(addr, seq, own, del_total=0, sigma=0):
    return {"address": addr, "seq": seq, "own": own, "del_total": del_total, "sigma_bps": sigma}


class Checks(unittest.TestCase):
    def test_weighted_lower_median(self):
        self.assertEqual(weighted_lower_median([(5, 1, "a"), (1, 1, "b"), (3, 1, "c")]), 3)
        # an even total weight takes the lower of the two middle values
        self.assertEqual(weighted_lower_median([(5, 1, "a"), (1, 1, "b")]), 1)
        self.assertEqual(weighted_lower_median([(10, 1, "a"), (20, 1, "b"), (30, 1, "c"), (40, 1, "d")]), 20)
        # weight counts: one validator drawn three times outweighs two drawn once
        self.assertEqual(weighted_lower_median([(9, 3, "a"), (1, 1, "b"), (2, 1, "c")]), 9)
        self.assertEqual(weighted_lower_median([(9, 2, "a"), (1, 1, "b"), (2, 1, "c")]), 2)
        with self.assertRaises(ValueError):
            weighted_lower_median([])

    def test_score_index(self):
        # drawn for sets 0 and 2 of 3, two submissions: (0,s0) (0,s1) (2,s0) (2,s1)
        self.assertEqual([score_index([1, 0, 2], k, s, 2) for k in (0, 2) for s in (0, 1)], [0, 1, 2, 3])

    def test_dense_ranks_epsilon(self):
        # losses 100, 103, 104, 110 with epsilon 3: 103 shares the leader's rank;
        # 104 is more than 3 above the leader 100, so it leads rank 2; 110 rank 3
        self.assertEqual(dense_ranks([100, 103, 104, 110], [0, 1, 2, 3], 3), [1, 1, 2, 3])
        # clones (equal losses) share a rank whatever epsilon
        self.assertEqual(dense_ranks([7, 7, 9], [2, 1, 0], 0), [1, 1, 2])
        # order by (loss, seq), not by position
        self.assertEqual(dense_ranks([50, 10, 30], [0, 1, 2], 0), [3, 1, 2])
        # the leader does not move within a rank: 0, 3, 6 with epsilon 3
        self.assertEqual(dense_ranks([0, 3, 6], [0, 1, 2], 3), [1, 1, 2])

    def test_groups(self):
        # gamma 2000, T 300, Sv 100, R 1000:
        # G_v = floor(1000 (2000 x 400 + 6000 x 100) / (10^4 x 400)) = floor(1400000000 / 4000000) = 350
        self.assertEqual(groups(1000, 2000, 300, 100), (350, 650))
        # gamma 5000: half each whatever the stakes
        self.assertEqual(groups(1001, 5000, 7, 3), (500, 501))
        # gamma 0: by stake
        self.assertEqual(groups(1000, 0, 300, 100), (250, 750))

    def test_trainer_shares(self):
        # q 5000: rank 2 weighs half of rank 1; stakes 100 and 300
        # w = 2^32 x 100, 2^31 x 300 -> 200 : 300 of G_t 1000 = 400, 600
        self.assertEqual(trainer_shares(1000, [1, 2], [100, 300], 5000), [400, 600])
        self.assertEqual(rank_weight(3, 5000), 1 << 30)
        self.assertEqual(rank_weight(2, 3333), (1 << 32) * 3333 // 10000)
        # floors: 3 equal trainers of 100 units
        self.assertEqual(trainer_shares(100, [1, 1, 1], [1, 1, 1], 5000), [33, 33, 33])
        self.assertEqual(trainer_shares(100, [1], [0], 5000), [0])

    def test_closeness(self):
        L = [[100, None], [200, None]]
        v = _v("a", 10, [1, 1], [110, 180, 5, 5])   # set 1 has no consensus: skipped
        # devs 1000 and 1000 bps; d 1000; D 5000 -> c = 10^4 - 2000 = 8000
        self.assertEqual(closeness(v, L, 2, 5000), 8000)
        # deviations beyond D: c 0
        self.assertEqual(closeness(_v("b", 10, [1, 0], [300, 600]), L, 2, 5000), 0)
        # exact: c 10^4
        self.assertEqual(closeness(_v("c", 10, [2, 0], [100, 200]), L, 2, 5000), 10000)
        # a consensus of 0 divides by 1: |5 - 0| x 10^4 = 50000 bps
        self.assertEqual(closeness(_v("d", 10, [1, 0], [5, 0]), [[0, None], [0, None]], 2, 100000), 7500)
        # the cap of 10^8 bps per pair
        big = closeness(_v("e", 10, [1, 0], [2**32 - 1, 0]), [[0, None], [0, None]], 2, 10**8)
        self.assertEqual(big, 10000 - (10**8 + 0) // 2 * 10000 // 10**8)
        # no pair at all: c 0
        self.assertEqual(closeness(_v("f", 10, [0, 1], [1, 2]), L, 2, 5000), 0)

    def test_operator_split_and_vesting(self):
        # f 1000, sigma 2500, del 300 of S 400: floor(1000 x 2500 x 300 / (10^4 x 400)) = 187
        self.assertEqual(operator_split(1000, 2500, 300, 400), (813, 187))
        self.assertEqual(operator_split(1000, 0, 300, 400), (1000, 0))
        self.assertEqual(vest(1000, 3000, 3), (300, [233, 233, 234]))
        self.assertEqual(vest(10, 5000, 4), (5, [1, 1, 1, 2]))
        self.assertEqual(vest(999, 3000, 0), (999, []))
        self.assertEqual(sum(vest(12345, 1234, 7)[1]) + vest(12345, 1234, 7)[0], 12345)
        self.assertEqual(delegator_entitlement(187, 100, 300), 62)

    def test_settle_by_hand(self):
        """Two trainers, two validators, K = 2; every number by hand."""
        inp = {"budget_left": 9_000, "match": 450, "K": 2, "gamma_bps": 2000, "q_bps": 5000,
               "delta_bps": 5000, "D_bps": 5000, "epsilon": 0, "vest_epochs": 2,
               "submissions": [_s("t1", 0, 100), _s("t2", 1, 100, del_total=100, sigma=5000)],
               "validators": [
                   # drawn: va set 0 twice, set 1 once; vb set 0 once
                   _v("va", 100, [2, 1], [1000, 2000, 1100, 2100]),
                   _v("vb", 100, [1, 0], [1000, 3000]),
                   _v("vc", 100, [0, 0], [], revealed=False),   # never drawn: no part
               ]}
        r = settle(inp)
        # set 0: va (w 2) 1000 / vb (w 1) 1000 -> 1000; t2: va 2000 (w 2), vb 3000 -> 2000
        # set 1: only va: 1100, 2100
        self.assertEqual(r["L"], [[1000, 1100], [2000, 2100]])
        self.assertEqual(r["losses"], [1050, 2050])
        self.assertEqual(r["ranks"], [1, 2])
        # R 9450, T = 100 + 200 = 300, Sv = 200:
        # G_v = floor(9450 (2000 x 500 + 6000 x 200) / (10^4 x 500)) = floor(9450 x 2200000 / 5000000) = 4158
        self.assertEqual((r["G_v"], r["G_t"]), (4158, 5292))
        # w: 2^32 x 100, 2^31 x 200: equal -> 2646 each
        self.assertEqual(r["trainers"]["t1"]["f"], 2646)
        self.assertEqual(r["trainers"]["t2"]["f"], 2646)
        # t2: f_del = floor(2646 x 5000 x 100 / (10^4 x 200)) = 661, f_op 1985
        self.assertEqual((r["trainers"]["t2"]["f_op"], r["trainers"]["t2"]["f_del"]), (1985, 661))
        # A = floor(1985 / 2) = 992, B 993 -> 496, 497
        self.assertEqual(r["trainers"]["t2"]["reward_a"], 992)
        self.assertEqual(r["trainers"]["t2"]["tranches"], [496, 497])
        # va: pairs all exact (it is the consensus) -> c 10^4; vb: set 0, t1 exact, t2 |3000 - 2000| /
        # 2000 = 5000 bps -> d 2500 -> c = 10^4 - 5000 = 5000
        self.assertEqual(r["validators"]["va"]["closeness_bps"], 10000)
        self.assertEqual(r["validators"]["vb"]["closeness_bps"], 5000)
        # f_v = 4158 x 10^4 x 100 / (1.5 x 10^6) = 2772, 1386
        self.assertEqual(r["validators"]["va"]["f"], 2772)
        self.assertEqual(r["validators"]["vb"]["f"], 1386)
        self.assertEqual(r["dust"], 9450 - 2646 * 2 - 2772 - 1386)
        self.assertEqual(r["dust"], 0)
        self.assertNotIn("vc", r["validators"])

    def test_refunds(self):
        base = {"budget_left": 100, "match": 0, "K": 2, "gamma_bps": 0, "q_bps": 5000,
                "delta_bps": 0, "D_bps": 1, "epsilon": 0, "vest_epochs": 0}
        # no submission
        self.assertTrue(settle(dict(base, submissions=[], validators=[_v("v", 1, [1, 1], [])]))["refunded"])
        # no revealed validator
        self.assertTrue(settle(dict(base, submissions=[_s("t", 0, 1)],
                                    validators=[_v("v", 1, [1, 1], [], revealed=False)]))["refunded"])
        # one revealed validator is enough
        r = settle(dict(base, submissions=[_s("t", 0, 1)], validators=[_v("v", 1, [0, 1], [7])]))
        self.assertFalse(r["refunded"])
        self.assertEqual(r["L"], [[None, 7]])
        self.assertEqual(r["losses"], [7])

    def test_random_scorer_earns_least(self):
        subs = [_s("t%d" % i, i, 100) for i in range(3)]
        honest = [1000, 2000, 3000]
        vals = [_v("h1", 100, [1, 1], honest * 2), _v("h2", 100, [1, 1], [1001, 2002, 2999] * 2),
                _v("rnd", 100, [1, 1], [50000, 7, 123456, 9, 60000, 3])]
        r = settle({"budget_left": 10**6, "match": 0, "K": 2, "gamma_bps": 2000, "q_bps": 5000,
                    "delta_bps": 5000, "D_bps": 5000, "epsilon": 0, "vest_epochs": 0,
                    "submissions": subs, "validators": vals})
        f = {a: e["f"] for a, e in r["validators"].items()}
        # the honest two are within a few bps of the median, the random one far off
        self.assertEqual(f["rnd"], 0)
        self.assertEqual(f["h1"], f["h2"])
        self.assertEqual(f["h1"], r["G_v"] // 2)


if __name__ == "__main__":
    unittest.main()
