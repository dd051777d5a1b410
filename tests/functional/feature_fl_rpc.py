#!/usr/bin/env python3
"""An FL Alliance task driven end to end through the wallet's RPC methods on
one regtest node with generateblocks: create (the budget's burn shown),
four joins with different stakes, the proposer slots drawn by stake, update
commitments (only a hash on chain) and their reveals from what the wallet
kept in wallet.dat across restarts, the revealed updates read back with
flgetupdate, one verdict per revealed update committed and revealed by each
voter, and the finalization: the accepted update is the global model in
flgetmodel, a harmful update's proposer slashed, rewards, pool matches and
slashes in flgetround and flgettask, the task's funds balanced; a second
round where no proposer commits is void and slashes them; the task then
completes and returns what is left to its creator.

Every wallet and read method answers bad input (unknown task, a call
before or after its window, the wrong number or order of verdicts, bad
verdicts, a key without the role, wrong weights) with a clear error and
sends nothing."""

import json
import struct

from test_framework.crypto import address_to_pubkey, tagged_hash
from test_framework.framework import (FMLTestFramework, TestFailure, assert_equal,
                                      assert_raises_rpc_error)

COIN = 100000000
BURN_BPS = 1000      # regtest fl_burn_bps
MATCH_BPS = 500      # regtest fl_match_bps
BUDGET = 100
SLASH_BPS = 2000
VOTER_BPS = 2000
STAKES = {"p1": 10, "p2": 20, "p3": 15, "p4": 10}
P = 3                # logistic [2, 1]: two weights and a bias
SUBMIT = 103         # a submit window longer than the Arena records' orphan age (100)


def units(x):
    return int(round(float(x) * COIN))


def model_hash(weights):
    return tagged_hash("FML/fl-model", b"".join(struct.pack("<i", w) for w in weights)).hex()


class FLRPCTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def mine(self, n=1):
        self.nodes[0].generateblocks(n)

    def mine_to(self, height):
        node = self.nodes[0]
        h = node.getblockcount()
        if height > h:
            self.mine(height - h)
        assert_equal(node.getblockcount(), height)

    def nothing_sent(self, fn, *args, code=None, message=""):
        """fn(*args) fails with code/message and neither the mempool nor the
        wallet's history changes."""
        node = self.nodes[0]
        before = (node.getrawmempool(), len(node.listtransactions("*", 100000)))
        assert_raises_rpc_error(code, message, fn, *args)
        after = (node.getrawmempool(), len(node.listtransactions("*", 100000)))
        assert_equal(after, before, "a refused call sent something")

    def restart(self):
        node = self.nodes[0]
        node.stop()
        node.start()

    def run_test(self):
        node = self.nodes[0]
        node.generateblocks(2)

        self.log("The wallet funds a creator and four participants")
        names = ["creator"] + sorted(STAKES)
        a = {n: node.getnewaddress(n) for n in names}
        for n in names:
            node.sendtoaddress(a[n], 200 if n == "creator" else 50)
        self.mine()
        unknown = "ab" * 32

        opts = {
            "address": a["creator"], "model": "logistic", "sizes": [2, 1], "rounds": 2,
            "min_participants": 4, "max_participants": 4, "min_stake": 5, "proposer_slots": 2,
            "join_blocks": 3, "submit_blocks": SUBMIT, "update_reveal_blocks": 2, "commit_blocks": 2,
            "reveal_blocks": 2, "aggregator": "fedavg", "slash_bps": SLASH_BPS,
            "voter_reward_bps": VOTER_BPS, "budget": BUDGET,
        }
        self.check_create_errors(opts)

        self.log("flcreatetask: a two-round task with two proposer slots")
        res = node.flcreatetask(opts)
        task = res["task"]
        assert_equal(res["txid"], task)
        raw = node.getrawtransaction(task, True)
        assert_equal(raw["type"], "fl_task_create")
        pl = raw["payload"]
        assert_equal((pl["task"], pl["proposer_slots"], pl["update_reveal_blocks"], pl["budget"]),
                     (task, 2, 2, BUDGET))
        assert "proposer_fraction_bps" not in pl and "reward_pool" not in pl
        self.mine()
        c = node.getblockcount()
        t = node.flgettask(task)
        assert_equal((t["state"], t["phase"], t["round"]), ("open", "joining", 0))
        assert_equal((t["proposer_slots"], t["update_reveal_blocks"]), (2, 2))
        assert_equal((t["burn_bps"], t["match_bps"]), (BURN_BPS, MATCH_BPS))
        burn = BUDGET * BURN_BPS // 10000
        assert_equal((t["budget"], t["burn"], t["budget_left"]), (BUDGET, burn, BUDGET - burn))
        assert_equal(t["model_hash"], model_hash([0] * P))
        assert any(x["task"] == task for x in node.fllisttasks())
        self.nothing_sent(node.flsubmitupdate, task, 1, [0] * P, a["p1"], code=-8,
                          message="join window")

        self.log("Four joins with different stakes")
        for n in sorted(STAKES):
            node.fljoin(task, STAKES[n], a[n])
        self.mine()
        self.mine_to(t["join_end"])
        t = node.flgettask(task)
        assert_equal((t["state"], t["phase"], t["round"]), ("running", "submit", 1))
        w = t["windows"]
        assert_equal(w["submit_end"] - w["submit_start"], SUBMIT - 1)
        assert_equal((w["update_reveal_start"], w["update_reveal_end"]),
                     (w["submit_end"] + 1, w["submit_end"] + 2))
        assert_equal((w["commit_start"], w["reveal_start"], w["reveal_end"]),
                     (w["update_reveal_end"] + 1, w["commit_end"] + 1, w["commit_end"] + 2))
        assert_equal(w["submit_start"], node.getblockcount() + 1)
        assert c + 3 == t["join_end"]

        self.log("Round 1: the slots drawn by stake are visible")
        r = node.flgetround(task, 1)
        assert_equal((r["phase"], r["outcome"], r["n_slots"]), ("submit", "pending", 2))
        props = [p["address"] for p in r["proposers"]]
        voters = [v["address"] for v in r["voters"]]
        assert_equal(sorted(props + voters), sorted(a[n] for n in STAKES))
        assert_equal(sum(p["slots"] for p in r["proposers"]), 2)
        assert all(p["slots"] >= 1 and p["status"] == "pending" and not p["committed"]
                   for p in r["proposers"]), r["proposers"]
        assert_equal((r["n_proposers"], r["n_voters"]), (len(props), len(voters)))
        assert len(voters) >= 2
        for lst in (props, voters):
            assert_equal(lst, sorted(lst, key=address_to_pubkey))
        assert_equal(r["revealed_order"], [])
        for p in r["proposers"]:
            assert_equal(units(p["stake"]), STAKES[self.name_of(a, p["address"])] * COIN)

        self.check_round_errors(task, a, props, voters, unknown)

        self.log("Update commitments: only a hash on chain, the wallet keeps weights and salt")
        weights = {}
        for i, addr in enumerate(props):
            weights[addr] = [(i + 1) * 65536, -(i + 1) * 32768, 1000 * (i + 1)]
            txid = node.flsubmitupdate(task, 1, weights[addr], addr)
            raw = node.getrawtransaction(txid, True)
            assert_equal(raw["type"], "fl_update_commit")
            assert_equal((raw["payload"]["task"], raw["payload"]["round"]), (task, 1))
            assert "weights" not in raw["payload"]
            dec = node.decoderawtransaction(raw["hex"])
            assert_equal(dec["payload"]["commitment"], raw["payload"]["commitment"])
            self.nothing_sent(node.flsubmitupdate, task, 1, weights[addr], addr, code=-4,
                              message="does not qualify")
        self.mine()
        r = node.flgetround(task, 1)
        assert_equal(r["update_commits"], len(props))
        assert all(p["committed"] and p["commitment"] and not p["revealed"] and p["model_hash"] is None
                   for p in r["proposers"]), r["proposers"]
        self.nothing_sent(node.flgetupdate, task, 1, props[0], code=-8, message="has not revealed")
        self.nothing_sent(node.flrevealupdate, task, 1, code=-8, message="only accepted at heights")

        self.log("A restart: the commitments' secrets are in wallet.dat, kept through a long window")
        self.restart()
        self.mine_to(w["submit_end"] - 1)
        assert_equal(node.flgettask(task)["phase"], "submit")

        self.log("Update reveal window: flrevealupdate sends each proposer's weights")
        self.mine_to(w["submit_end"])
        assert_equal(node.flgettask(task)["phase"], "update_reveal")
        for addr in props:
            txid = node.flrevealupdate(task, 1, addr)
            raw = node.getrawtransaction(txid, True)
            assert_equal(raw["type"], "fl_update_reveal")
            assert_equal((raw["payload"]["weights"], raw["payload"]["model_hash"]),
                         (P, model_hash(weights[addr])))
            self.nothing_sent(node.flrevealupdate, task, 1, addr, code=-4, message="No update")
        self.mine()
        r = node.flgetround(task, 1)
        assert_equal(r["update_reveals"], len(props))
        assert_equal(r["revealed_order"], props)
        for p in r["proposers"]:
            assert p["revealed"], p
            assert_equal((p["model_hash"], p["size"]), (model_hash(weights[p["address"]]), P))
            u = node.flgetupdate(task, 1, p["address"])
            assert_equal((u["weights_q16"], u["hash"], u["slots"]),
                         (weights[p["address"]], p["model_hash"], p["slots"]))
        # Through fml-cli too.
        u = json.loads(node.cli("flgetupdate", task, "1", props[0]))
        assert_equal(u["weights_q16"], weights[props[0]])
        self.nothing_sent(node.flgetupdate, task, 1, voters[0], code=-5, message="not a proposer")

        self.log("Vote commitments: one verdict per revealed update, in revealed_order")
        self.mine_to(w["update_reveal_end"])
        assert_equal(node.flgettask(task)["phase"], "commit")
        order = r["revealed_order"]
        self.check_verdict_errors(task, a, order, voters, props)
        # Every voter accepts the first update; with two, every voter rejects
        # the last (its tally is -V: harmful, slashed).
        want = [1] + [-1] * (len(order) - 1)
        sent = {}
        for k, v in enumerate(voters):
            if k == 0:
                verdicts = [{"proposer": order[i], "verdict": want[i], "metric": "0.8125"}
                            for i in range(len(order))]
                txid = node.flcommitvote(task, 1, verdicts, v)
            else:
                # Plain verdicts through fml-cli (the array goes as JSON).
                txid = node.cli("flcommitvote", task, "1", json.dumps(want), v).strip()
            raw = node.getrawtransaction(txid, True)
            assert_equal(raw["type"], "fl_vote_commit")
            sent[v] = raw["payload"]["commitment"]
        self.nothing_sent(node.flcommitvote, task, 1, want, voters[0], code=-4,
                          message="does not qualify")
        self.mine()
        r = node.flgetround(task, 1)
        for v in r["voters"]:
            assert_equal((v["committed"], v["commitment"], v["revealed"], v["verdicts"]),
                         (True, sent[v["address"]], False, None))
        self.nothing_sent(node.flrevealvote, task, 1, code=-8, message="only accepted at heights")

        self.log("A restart: the verdicts and salts are in wallet.dat")
        self.restart()

        self.log("Vote reveals")
        self.mine_to(w["commit_end"])
        assert_equal(node.flgettask(task)["phase"], "reveal")
        for v in voters:
            txid = node.flrevealvote(task, 1, v)
            raw = node.getrawtransaction(txid, True)
            assert_equal(raw["type"], "fl_vote_reveal")
            assert_equal([x["verdict"] for x in raw["payload"]["verdicts"]], want)
        self.nothing_sent(node.flrevealvote, task, 1, code=-4, message="No vote")
        self.mine()
        r = node.flgetround(task, 1)
        assert_equal(r["vote_reveals"], len(voters))
        vstake = sum(STAKES[self.name_of(a, v)] for v in voters)
        assert_equal(units(r["voting_stake"]), vstake * COIN)
        for v in r["voters"]:
            assert_equal([(x["proposer"], x["verdict"]) for x in v["verdicts"]],
                         list(zip(order, want)))
            if v["address"] == voters[0]:
                assert_equal([x["metric"] for x in v["verdicts"]], ["0.8125"] * len(order))
                assert_equal(v["verdicts"][0]["metric_q16"], 53248)
        for p in r["proposers"]:
            assert_equal(units(p["tally"]), (1 if p["address"] == order[0] else -1) * vstake * COIN)

        self.log("Finalization at the end of the reveal window")
        bal = {n: node.getaccount(a[n])["balance"] for n in names}
        supply = node.getsupplyinfo()
        self.mine_to(w["reveal_end"])
        r = node.flgetround(task, 1)
        assert_equal((r["phase"], r["outcome"], r["accepted"]), ("closed", "accepted", 1))
        assert_equal(r["end_height"], w["reveal_end"])
        status = {p["address"]: p["status"] for p in r["proposers"]}
        assert_equal(status[order[0]], "accepted")
        for addr in order[1:]:
            assert_equal(status[addr], "harmful")
        acc = [p for p in r["proposers"] if p["status"] == "accepted"][0]
        assert_equal(r["accepted_slots"], acc["slots"])
        self.check_payouts(r, a, units(supply["fl_pool"]))
        after = node.getsupplyinfo()
        assert_equal(units(after["fl_pool_matched"]) - units(supply["fl_pool_matched"]),
                     units(r["matched"]))
        for v in r["voters"]:
            assert_equal((v["verdicts"], v["agree"], v["n_verdicts"]), (None, len(order), len(order)))
        self.nothing_sent(node.flgetupdate, task, 1, order[0], code=-8, message="no longer stored")

        self.log("flgetmodel: the accepted update is the global model")
        m = node.flgetmodel(task)
        assert_equal((m["round"], m["model_round"]), (1, 1))
        assert_equal(m["weights_q16"], weights[order[0]])
        assert_equal(m["hash"], model_hash(weights[order[0]]))
        assert_equal(r["model_hash"], m["hash"])
        assert "candidate" not in m
        assert_equal(node.flgetmodel(task, 0)["weights_q16"], [0] * P)
        t = node.flgettask(task)
        assert_equal((t["model_round"], t["model_hash"]), (1, m["hash"]))
        self.check_funds(t)
        part = {x["address"]: x for x in t["participants"]}
        assert_equal((part[order[0]]["contribution"], part[order[0]]["accepted_updates"]),
                     (acc["slots"], 1))
        for p in r["proposers"] + r["voters"]:
            x = part[p["address"]]
            assert_equal((x["rewards"], x["matched"], x["slashed"]),
                         (p["reward"], p["matched"], p["slashed"]))
            got = units(node.getaccount(p["address"])["balance"]) - units(bal[self.name_of(a, p["address"])])
            # Rewards and matches are paid to the balance; slashes come out of the stake.
            if not x["status"] == "removed":
                assert_equal(got, units(p["reward"]) + units(p["matched"]))
        assert_equal(units(t["matched"]), units(r["matched"]))

        self.log("Round 2: one proposer commits and never reveals; the round is void, the "
                 "proposers slashed")
        assert_equal((t["round"], t["phase"]), (2, "submit"))
        w2 = t["windows"]
        self.nothing_sent(node.flgetmodel, task, 2, code=-8, message="has not ended")
        props2 = [p["address"] for p in node.flgetround(task, 2)["proposers"]]
        # No address: the wallet's first key (in creation order) that is a
        # proposer yet to commit.
        lazy = [a[n] for n in names if a[n] in props2][0]
        txid = node.flsubmitupdate(task, 2, [7, 7, 7])
        assert_equal(node.getrawtransaction(txid, True)["sender"], lazy)
        self.mine()
        self.mine_to(w2["reveal_end"])
        r2 = node.flgetround(task, 2)
        assert_equal((r2["phase"], r2["outcome"], r2["paid"]), ("closed", "void_no_updates", 0))
        for p in r2["proposers"]:
            assert_equal(p["status"], "not_revealed" if p["address"] == lazy else "not_committed")
            assert units(p["slashed"]) > 0, p
        for v in r2["voters"]:
            assert_equal(units(v["slashed"]), 0)
        assert_equal(node.flgetmodel(task)["model_round"], 1)

        self.log("The task completes and returns what is left to its creator")
        t = node.flgettask(task)
        assert_equal((t["state"], t["phase"]), ("completed", "completed"))
        assert units(t["returned_to_creator"]) > 0
        assert_equal((units(t["budget_left"]), units(t["slashed_left"])), (0, 0))
        self.check_funds(t)
        self.nothing_sent(node.flsubmitupdate, task, 3, [0] * P, code=-8, message="completed")

    # ---- helpers ----

    @staticmethod
    def name_of(a, addr):
        return [n for n in a if a[n] == addr][0]

    def check_funds(self, t):
        """budget - burn + slashed = paid + budget_left + slashed_left + returned."""
        lhs = units(t["budget"]) - units(t["burn"]) + units(t["slashed"])
        rhs = (units(t["rewards_paid"]) + units(t["budget_left"]) + units(t["slashed_left"]) +
               units(t["returned_to_creator"]))
        assert_equal(lhs, rhs, "the task's funds do not balance: %r" % t)

    def check_payouts(self, r, a, pool):
        """The round's payouts against the formulas: the proposer part to the
        accepted update by slots, the voter part by stake x agreement, the
        pool's match in proportion, the harmful proposers slashed."""
        reward = units(r["reward"])
        assert reward > 0, r
        vpart = reward * VOTER_BPS // 10000
        assert_equal(units(r["voter_reward"]), vpart)
        ppart = reward - vpart
        paid = 0
        for p in r["proposers"]:
            stake = STAKES[self.name_of(a, p["address"])] * COIN
            if p["status"] == "accepted":
                assert_equal(units(p["reward"]), ppart * p["slots"] // r["accepted_slots"])
                assert_equal(units(p["slashed"]), 0)
            else:
                assert_equal(units(p["reward"]), 0)
                assert_equal(units(p["slashed"]), stake * SLASH_BPS // 10000)
            paid += units(p["reward"])
        agree_total = sum(STAKES[self.name_of(a, v["address"])] * v["agree"] for v in r["voters"])
        for v in r["voters"]:
            s = STAKES[self.name_of(a, v["address"])]
            assert_equal(units(v["reward"]), vpart * s * v["agree"] // agree_total)
            assert_equal(units(v["slashed"]), 0)
            paid += units(v["reward"])
        assert_equal(units(r["paid"]), paid)
        assert_equal(units(r["slashed"]), sum(units(p["slashed"]) for p in r["proposers"]))
        # The match: M = min(pool, fl_match_bps of what the budget paid (all
        # of it: nothing was slashed before)), shared in proportion to the
        # payouts, each share rounded down.
        m = min(pool, paid * MATCH_BPS // 10000)
        assert m > 0, (pool, paid)
        recips = [x for x in r["proposers"] + r["voters"] if units(x["reward"]) > 0]
        for x in recips:
            assert_equal(units(x["matched"]), m * units(x["reward"]) // paid, x)
        assert_equal(units(r["matched"]), sum(units(x["matched"]) for x in recips))

    def check_create_errors(self, good):
        node = self.nodes[0]
        self.log("flcreatetask refuses bad input")

        def bad(change, code, message):
            o = dict(good)
            o.update(change)
            for k, v in change.items():
                if v is None:
                    del o[k]
            self.nothing_sent(node.flcreatetask, o, code=code, message=message)

        bad({"bogus": 1}, -8, "Unknown option: bogus")
        bad({"proposer_fraction_bps": 5000}, -8, "Unknown option: proposer_fraction_bps")
        bad({"reward_pool": 100}, -8, "Unknown option: reward_pool")
        bad({"budget": None}, -8, "budget (FML) is required")
        bad({"budget": "x"}, -3, "budget")
        bad({"proposer_slots": 0}, -8, "bad-fl-slots")
        bad({"proposer_slots": 65}, -8, "bad-fl-slots")
        bad({"update_reveal_blocks": 0}, -8, "bad-fl-window-length")
        bad({"proposer_slots": -1}, -8, "proposer_slots must be an integer")

    def check_round_errors(self, task, a, props, voters, unknown):
        node = self.nodes[0]
        self.log("Wrong calls in the submit window send nothing")
        for fn, args in ((node.flgettask, ()), (node.flgetround, (1,)), (node.flgetmodel, ()),
                         (node.flgetupdate, (1, props[0])), (node.flsubmitupdate, (1, [0] * P)),
                         (node.flrevealupdate, (1,)), (node.flcommitvote, (1, [])),
                         (node.flrevealvote, (1,))):
            self.nothing_sent(fn, unknown, *args, code=-5, message="Task not found")
        self.nothing_sent(node.flgetround, task, 2, code=-8, message="Round 2 not found")
        self.nothing_sent(node.flsubmitupdate, task, 1, [0] * (P + 1), props[0], code=-8,
                          message="The model has 3 parameters, not 4")
        self.nothing_sent(node.flsubmitupdate, task, 1, "zz", props[0], code=-8, message="weights")
        self.nothing_sent(node.flsubmitupdate, task, 2, [0] * P, props[0], code=-8,
                          message="not the task's current round")
        self.nothing_sent(node.flsubmitupdate, task, 1, [0] * P, voters[0], code=-4,
                          message="does not qualify")
        self.nothing_sent(node.flrevealupdate, task, 1, props[0], code=-8,
                          message="only accepted at heights")
        self.nothing_sent(node.flcommitvote, task, 1, [], voters[0], code=-8,
                          message="only accepted at heights")
        self.nothing_sent(node.flrevealvote, task, 1, voters[0], code=-8,
                          message="only accepted at heights")

    def check_verdict_errors(self, task, a, order, voters, props):
        node = self.nodes[0]
        self.log("flcommitvote refuses verdicts that do not fit the revealed updates")
        n = len(order)
        self.nothing_sent(node.flcommitvote, task, 1, [1] * (n + 1), voters[0], code=-8,
                          message="verdicts: %d given, but round 1 has %d revealed updates" % (n + 1, n))
        self.nothing_sent(node.flcommitvote, task, 1, [], voters[0], code=-8,
                          message="verdicts: 0 given")
        self.nothing_sent(node.flcommitvote, task, 1, [0] + [1] * (n - 1), voters[0], code=-8,
                          message="verdicts[0]: the verdict must be 1")
        self.nothing_sent(node.flcommitvote, task, 1, [{"verdict": 1, "metric": "x"}] + [1] * (n - 1),
                          voters[0], code=-8, message="verdicts[0]: metric")
        self.nothing_sent(node.flcommitvote, task, 1, [{"verdict": 1, "bogus": 1}] + [1] * (n - 1),
                          voters[0], code=-8, message="verdicts[0]: unknown key bogus")
        self.nothing_sent(node.flcommitvote, task, 1, [{"proposer": voters[1], "verdict": 1}] + [1] * (n - 1),
                          voters[0], code=-8, message="revealed_order")
        if n >= 2:
            swapped = [{"proposer": order[1], "verdict": 1}, {"proposer": order[0], "verdict": 1}]
            self.nothing_sent(node.flcommitvote, task, 1, swapped, voters[0], code=-8,
                              message="revealed_order")
        self.nothing_sent(node.flcommitvote, task, 1, "nope", voters[0], code=-3, message="verdicts")
        self.nothing_sent(node.flcommitvote, task, 1, [1] * n, props[0], code=-4,
                          message="does not qualify")
        self.nothing_sent(node.flsubmitupdate, task, 1, [0] * P, props[0], code=-8,
                          message="only accepted at heights")


if __name__ == "__main__":
    FLRPCTest().main()
