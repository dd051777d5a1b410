#!/usr/bin/env python3
"""createrawtransaction builds every transaction type from the JSON fields
decoderawtransaction prints, and signrawtransactionwithkey signs it.

For every type a transaction is built from JSON (payload fields beside
"type" or under "payload"), decoded, and every field given is found again in
the decoded transaction (bulk data given as hex shows as its count and hash,
which are checked against values computed here).  A transfer, a stake_add, an
fl_task_create and a market_provider_register are signed with the sender's
key and sent, and confirm.  Omitted nonce and fee are the sender's next nonce
(after the pool) and at least the minimum fee rate times the size.  For every
type, a missing field, an unknown field and a value of the wrong type are
refused with an error naming the field; bad keys sign nothing; nothing
reaches the mempool."""

from decimal import Decimal
import hashlib
import os
import struct

from test_framework.crypto import address, pubkey, regtest_secret
from test_framework.framework import (FMLTestFramework, assert_equal,
                                      assert_raises_rpc_error, assert_greater_than)

MODEL_TAG = b"FML/fl-model"
AMOUNT_KEYS = {"amount", "stake", "min_stake", "budget", "trainer_min_stake",
               "validator_min_stake", "base_price", "max_price"}
DATA_KEYS = {"weights_hex", "initial_weights_hex", "normalization_hex", "path_hex", "data_hex",
             "header_a", "header_b"}


def h32(label):
    return hashlib.blake2b(label.encode(), digest_size=32).hexdigest()


def model_hash(weights_le):
    """fl_model_hash: BLAKE2b-256 personalized with the model tag over the
    int32 LE weights."""
    return hashlib.blake2b(weights_le, digest_size=32, person=MODEL_TAG).hexdigest()


def i32s(values):
    return b"".join(struct.pack("<i", v) for v in values)


class CreateRawTxTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-regtestvalidator=0"]]

    def addr(self, i):
        return address("rfml", pubkey(regtest_secret(i)))

    def examples(self):
        """(type, payload fields, derived fields to expect) for every type."""
        v2, v3 = self.addr(2), self.addr(3)
        task, model = h32("task"), h32("model")
        w3 = i32s([65536, -32768, 12345])
        norm2 = i32s([0, 65536, 32768, 131072])  # (mean, std) x 2 inputs
        allow = [address("rfml", k) for k in sorted(pubkey(regtest_secret(i)) for i in (2, 3))]
        return [
            ("transfer", {"to": v2, "amount": "1.25"}, {}),
            ("validator_register", {"stake": 1000, "commission_bps": 500,
                                    "randao_commit": h32("randao")}, {}),
            ("stake_add", {"amount": "2.5"}, {}),
            ("unbond", {"amount": 3}, {}),
            ("delegate", {"validator": v3, "amount": "10"}, {}),
            ("undelegate", {"validator": v3, "amount": "all"}, {}),
            ("undelegate", {"validator": v3, "amount": "0.5"}, {}),
            ("fl_task_create", {
                "model": "logistic", "sizes": [2, 1], "normalization_hex": norm2.hex(),
                "initial_weights_hex": w3.hex(), "rounds": 2, "min_participants": 2,
                "max_participants": 4, "min_stake": 1, "proposer_slots": 1, "join_blocks": 5,
                "submit_blocks": 5, "update_reveal_blocks": 3, "commit_blocks": 3,
                "reveal_blocks": 3, "aggregator": "trimmed_mean", "trim_k": 1,
                "slash_bps": 1000, "voter_reward_bps": 500, "budget": "10",
                "allowlist": allow}, {"normalized_inputs": 2, "initial_weights": 3}),
            ("fl_join", {"task": task, "stake": 2}, {}),
            ("fl_update_commit", {"task": task, "round": 1, "commitment": h32("c")}, {}),
            ("fl_vote_commit", {"task": task, "round": 2, "commitment": h32("v")}, {}),
            ("fl_vote_reveal", {"task": task, "round": 1, "salt": h32("s"),
                                "verdicts": [{"verdict": 1, "metric_q16": 65536},
                                             {"verdict": -1, "metric_q16": -32768}]}, {}),
            ("fl_update_reveal", {"task": task, "round": 1, "salt": h32("s"),
                                  "weights_hex": w3.hex()},
             {"weights": 3, "model_hash": model_hash(w3)}),
            ("arena_task_create", {
                "model": "logistic", "sizes": [2, 1], "loss": "logloss",
                "data_hash": h32("data"), "uri": "https://example.org/pima.csv",
                "sets": [{"root": h32("r1"), "n_chunks": 3, "n_rows": 6},
                         {"root": h32("r2"), "n_chunks": 3, "n_rows": 5}],
                "submit_blocks": 6, "reveal_blocks": 4, "score_commit_blocks": 4,
                "score_reveal_blocks": 4, "budget": 100, "gamma_bps": 2000, "q_bps": 5000,
                "delta_bps": 5000, "D_bps": 5000, "epsilon": 0, "vest_epochs": 2,
                "draws_per_set": 8, "max_trainers": 4, "max_validators": 4,
                "trainer_min_stake": 5, "validator_min_stake": 5, "slash_bps": 2000},
             {"normalized_inputs": 0}),
            ("arena_stake", {"task": task, "role": "trainer", "amount": 5}, {}),
            ("arena_delegate", {"task": task, "operator": v2, "amount": "1.5"}, {}),
            ("arena_undelegate", {"task": task, "operator": v2}, {}),
            ("arena_set_share", {"task": task, "sigma_bps": 2500}, {}),
            ("arena_submit_commit", {"task": task, "commitment": h32("sc")}, {}),
            ("arena_submit_reveal", {"task": task, "salt": h32("ss"), "weights_hex": w3.hex()},
             {"weights": 3, "model_hash": model_hash(w3)}),
            ("arena_reveal_valset", {"task": task, "set": 1, "chunk": 2, "salt": h32("vs"),
                                     "path_hex": (bytes(32) + bytes([1]) * 32).hex(),
                                     "data_hex": b"1,2,0\n3,4,1\n".hex()},
             {"path_length": 2, "bytes": 12}),
            ("arena_score_commit", {"task": task, "commitment": h32("scc")}, {}),
            ("arena_score_reveal", {"task": task, "salt": h32("sr"),
                                    "losses_raw": [65536, 98304, 1]},
             {"losses": ["1.0", "1.5", "0.0000152587890625"]}),
            ("market_publish", {
                "name": "iris-a", "source": "upload", "kind": "logistic", "sizes": [2, 1],
                "normalization_hex": norm2.hex(), "weights_hex": w3.hex(),
                "base_price": "0.001", "target": 2,
                "split": {"creator_bps": 8000, "data_bps": 0, "provider_bps": 2000},
                "mode": "none", "components": []},
             {"normalized_inputs": 2, "weights": 3, "model_hash": model_hash(w3)}),
            ("market_publish", {
                "name": "combo", "source": "composite", "base_price": "0.002", "target": 1,
                "split": {"creator_bps": 5000, "data_bps": 0, "provider_bps": 5000},
                "mode": "average", "components": [model, h32("model2")]}, {}),
            ("market_set_price", {"model": model, "base_price": "0.003", "target": 4}, {}),
            ("market_provider_register", {"stake": 1, "endpoint": "http://127.0.0.1:1"}, {}),
            ("market_call", {"model": model, "provider": v2, "calls": 3,
                             "max_price": "0.01"}, {}),
            ("market_claim", {"model": model}, {}),
            ("unjail", {}, {}),
            ("validator_edit", {"commission_bps": 1100, "description": "n\u00f8de one"}, {}),
            ("finality_vote", {"source_epoch": 1, "source": h32("cp1"), "target_epoch": 2,
                               "target": h32("cp2")}, {}),
        ]

    def check_fields(self, given, decoded, where):
        for k, v in given.items():
            if k in DATA_KEYS:
                continue
            assert k in decoded, "%s: %s not decoded (%s)" % (where, k, decoded)
            if isinstance(v, list) and v and isinstance(v[0], dict):
                assert_equal(len(decoded[k]), len(v), "%s.%s" % (where, k))
                for j, (gv, dv) in enumerate(zip(v, decoded[k])):
                    self.check_fields(gv, dv, "%s.%s[%d]" % (where, k, j))
            elif k in AMOUNT_KEYS and v != "all":
                assert_equal(Decimal(str(decoded[k])), Decimal(str(v)), "%s.%s" % (where, k))
            else:
                assert_equal(decoded[k], v, "%s.%s" % (where, k))

    def run_test(self):
        node = self.nodes[0]
        node.generateblocks(2)
        sender = self.addr(1)
        pool_before = node.getrawmempool()
        minfee = node.getmempoolinfo()["mempoolminfee"]
        account_nonce = node.getaccount(sender)["nonce"]

        self.log("Every type: built from JSON, decoded, every field found again")
        examples = self.examples()
        seen_types = set()
        for i, (typ, fields, derived) in enumerate(examples):
            seen_types.add(typ)
            nonce = 0 if typ == "finality_vote" else 7 + i  # a vote's nonce is 0
            flat = dict(fields, type=typ, sender=sender, nonce=nonce, fee="0.0001")
            nested = {"type": typ, "sender": pubkey(regtest_secret(1)).hex(), "nonce": nonce,
                      "fee": "0.0001", "payload": fields}
            hexes = [node.createrawtransaction(flat), node.createrawtransaction(nested)]
            assert_equal(hexes[0], hexes[1])
            d = node.decoderawtransaction(hexes[0])
            assert_equal((d["type"], d["sender"], d["nonce"], d["fee"], d["version"]),
                         (typ, sender, nonce, Decimal("0.0001"), 1))
            assert_equal(d["signature"], "00" * 64)
            self.check_fields(fields, d["payload"], typ)
            self.check_fields(derived, d["payload"], typ + " (derived)")
            # The decoded payload itself, with the data fields, builds the same bytes.
            again = dict(d["payload"])
            again.update({k: v for k, v in fields.items() if k in DATA_KEYS})
            assert_equal(node.createrawtransaction({"type": typ, "sender": sender,
                                                    "nonce": nonce, "fee": "0.0001",
                                                    "payload": again}), hexes[0])
        all_types = {t for t in self.type_names(node)}
        assert_equal(seen_types | {"evidence", "finality_evidence"}, all_types)

        self.log("Omitted nonce and fee: the sender's next nonce, at least the minimum fee")
        d = node.decoderawtransaction(node.createrawtransaction(
            {"type": "transfer", "sender": sender, "to": self.addr(2), "amount": 1}))
        assert_equal(d["nonce"], account_nonce)
        assert d["fee"] >= minfee * d["size"] / 1000, d

        self.log("Malformed JSON for each type: refused, naming the field")
        for typ, fields, _ in examples:
            base = dict(fields, type=typ, sender=sender)
            for k in [k for k in fields if k not in ("normalization_hex", "initial_weights_hex",
                                                     "path_hex", "components", "allowlist",
                                                     "description")]:
                if typ == "market_publish" and k == "mode":
                    continue
                missing = dict(base)
                del missing[k]
                assert_raises_rpc_error(-8, k, node.createrawtransaction, missing)
            assert_raises_rpc_error(-8, "bogus: unknown field for type " + typ,
                                    node.createrawtransaction, dict(base, bogus=1))
            if not fields:  # unjail: nothing to get wrong but an extra field
                continue
            k0 = next(iter(fields))
            assert_raises_rpc_error(-8, k0, node.createrawtransaction, dict(base, **{k0: {"x": 1}}))
        assert_raises_rpc_error(-8, "type:", node.createrawtransaction,
                                {"type": "teleport", "sender": sender})
        assert_raises_rpc_error(-8, "sender:", node.createrawtransaction,
                                {"type": "transfer", "sender": "rfml1qbad", "to": sender,
                                 "amount": 1})
        assert_raises_rpc_error(-8, "amount: Amount out of range", node.createrawtransaction,
                                {"type": "transfer", "sender": sender, "to": sender,
                                 "amount": -1})
        assert_raises_rpc_error(-8, "fee:", node.createrawtransaction,
                                {"type": "transfer", "sender": sender, "to": sender,
                                 "amount": 1, "fee": "0.000000001"})
        assert_raises_rpc_error(-8, "nonce:", node.createrawtransaction,
                                {"type": "transfer", "sender": sender, "to": sender,
                                 "amount": 1, "nonce": -1})
        assert_raises_rpc_error(-8, "commission_bps: expected an integer from 0 to 65535",
                                node.createrawtransaction,
                                {"type": "validator_register", "sender": sender, "stake": 1,
                                 "commission_bps": 70000, "randao_commit": h32("x")})
        assert_raises_rpc_error(-8, "payload.amount", node.createrawtransaction,
                                {"type": "transfer", "sender": sender,
                                 "payload": {"to": sender}})
        assert_raises_rpc_error(-8, "not both", node.createrawtransaction,
                                {"type": "transfer", "sender": sender, "to": sender,
                                 "payload": {"to": sender, "amount": 1}})
        assert_raises_rpc_error(-8, "weights: the data given has 3", node.createrawtransaction,
                                {"type": "arena_submit_reveal", "sender": sender,
                                 "task": h32("t"), "salt": h32("s"),
                                 "weights_hex": i32s([1, 2, 3]).hex(), "weights": 4})
        assert_raises_rpc_error(-8, "weights_hex: expected a multiple of 4 bytes",
                                node.createrawtransaction,
                                {"type": "arena_submit_reveal", "sender": sender,
                                 "task": h32("t"), "salt": h32("s"), "weights_hex": "0102"})
        assert_raises_rpc_error(-8, "refused by the fl_vote_reveal rules", node.createrawtransaction,
                                {"type": "fl_vote_reveal", "sender": sender, "task": h32("t"),
                                 "round": 1, "salt": h32("s"),
                                 "verdicts": [{"verdict": 0, "metric_q16": 0}]})
        assert_raises_rpc_error(-8, "aggregator: expected one of", node.createrawtransaction,
                                dict(examples[7][1], type="fl_task_create", sender=sender,
                                     aggregator="mode"))
        assert_raises_rpc_error(-3, None, node.createrawtransaction, "transfer")
        assert_equal(node.getrawmempool(), pool_before)

        self.test_sign_and_send(node, sender)
        self.test_evidence(node, sender)
        self.test_finality_evidence(node, sender)

    def type_names(self, node):
        """Every type name the node knows: the createrawtransaction help lists them."""
        text = node.help("createrawtransaction")
        part = text.split("Fields per type:")[1]
        names = set()
        for line in part.splitlines()[1:]:
            if not line.startswith("  ") or ":" not in line:
                break
            line = line.strip()
            for chunk in line.split(";"):
                head = chunk.strip().split(":")[0]
                for n in head.split(","):
                    n = n.strip()
                    if n and n.replace("_", "").isalpha():
                        names.add(n)
        return names

    def test_sign_and_send(self, node, sender):
        self.log("signrawtransactionwithkey: bad keys sign nothing")
        sec = regtest_secret(1)
        unsigned = node.createrawtransaction({"type": "transfer", "sender": sender,
                                              "to": self.addr(2), "amount": 1})
        assert_raises_rpc_error(-5, "Invalid private key at position 1",
                                node.signrawtransactionwithkey, unsigned, [sec.hex(), "zz"])
        assert_raises_rpc_error(-5, "Invalid private key at position 0",
                                node.signrawtransactionwithkey, unsigned, [sec.hex()[:-2]])
        res = node.signrawtransactionwithkey(unsigned, [os.urandom(32).hex()])
        assert_equal((res["complete"], res["hex"]), (False, unsigned))
        assert "no key given is the sender's" in res["errors"][0]["error"]
        assert_raises_rpc_error(-22, "TX decode failed", node.signrawtransactionwithkey,
                                "00", [sec.hex()])

        self.log("Signed and sent: transfer, stake_add, fl_task_create, "
                 "market_provider_register; all confirm")
        other = os.urandom(32).hex()
        examples = {t: f for t, f, _ in self.examples()}
        specs = [
            {"type": "transfer", "to": self.addr(3), "amount": "1.5"},
            {"type": "stake_add", "amount": 2},
            dict(examples["fl_task_create"], type="fl_task_create", allowlist=[]),
            {"type": "market_provider_register", "stake": 1, "endpoint": "http://127.0.0.1:9"},
        ]
        txids = []
        before = node.getaccount(self.addr(3))["balance"]
        for i, spec in enumerate(specs):
            raw = node.createrawtransaction(dict(spec, sender=sender))
            d = node.decoderawtransaction(raw)
            assert_equal(d["nonce"], node.getaccount(sender)["nonce"] + i)
            res = node.signrawtransactionwithkey(raw, [other, sec.hex()])
            assert_equal(res["complete"], True)
            assert "errors" not in res
            txids.append(node.sendrawtransaction(res["hex"]))
        assert_equal(sorted(node.getrawmempool()), sorted(txids))
        node.generateblocks(1)
        assert_equal(node.getrawmempool(), [])
        for txid, spec in zip(txids, specs):
            tx = node.getrawtransaction(txid, True)
            assert_equal((tx["type"], tx["confirmations"]), (spec["type"], 1))
        assert_equal(node.getaccount(self.addr(3))["balance"], before + Decimal("1.5"))
        assert_equal(node.marketgetprovider(sender)["endpoint"], "http://127.0.0.1:9")

    def test_evidence(self, node, sender):
        self.log("evidence: built from two conflicting headers")
        node.generateblocks(1)
        res = node.generateconflict()
        ha = node.getblockheader(res["tip"], False)
        hb = node.getblockheader(res["conflict"], False)
        d = node.decoderawtransaction(node.createrawtransaction(
            {"type": "evidence", "sender": sender, "nonce": 1, "fee": 1,
             "header_a": ha, "header_b": hb, "block_a": res["tip"], "slot": res["slot"]}))
        proposer = node.getblockheader(res["tip"])["proposer"]
        assert_equal(d["payload"], {"proposer": proposer, "slot": res["slot"],
                                    "block_a": res["tip"], "block_b": res["conflict"]})
        assert_raises_rpc_error(-8, "block_a: does not match", node.createrawtransaction,
                                {"type": "evidence", "sender": sender, "header_a": ha,
                                 "header_b": hb, "block_a": res["conflict"]})
        assert_raises_rpc_error(-8, "header_b: expected a block header",
                                node.createrawtransaction,
                                {"type": "evidence", "sender": sender, "header_a": ha,
                                 "header_b": hb[:-2]})
        assert_raises_rpc_error(-8, "refused by the evidence rules", node.createrawtransaction,
                                {"type": "evidence", "sender": sender, "header_a": ha,
                                 "header_b": ha})

    def test_finality_evidence(self, node, sender):
        self.log("finality_evidence: built from two signed votes for one target epoch")
        sec = regtest_secret(2)
        votes = []
        for target in ("cp2", "cp2b"):
            unsigned = node.createrawtransaction(
                {"type": "finality_vote", "sender": self.addr(2), "nonce": 0, "fee": 0,
                 "source_epoch": 1, "source": h32("cp1"), "target_epoch": 2,
                 "target": h32(target)})
            votes.append(node.signrawtransactionwithkey(unsigned, [sec.hex()])["hex"])
        txids = [node.decoderawtransaction(v)["txid"] for v in votes]
        d = node.decoderawtransaction(node.createrawtransaction(
            {"type": "finality_evidence", "sender": sender, "nonce": 1, "fee": 1,
             "vote_a_hex": votes[0], "vote_b_hex": votes[1], "voter": self.addr(2)}))
        assert_equal(d["payload"]["voter"], self.addr(2))
        assert_equal([d["payload"]["vote_a"]["txid"], d["payload"]["vote_b"]["txid"]], txids)
        assert_equal(d["payload"]["vote_b"]["target"], h32("cp2b"))
        assert_raises_rpc_error(-8, "vote_a: does not match", node.createrawtransaction,
                                {"type": "finality_evidence", "sender": sender,
                                 "vote_a_hex": votes[0], "vote_b_hex": votes[1],
                                 "vote_a": {"txid": txids[1]}})
        assert_raises_rpc_error(-8, "refused by the finality_evidence rules",
                                node.createrawtransaction,
                                {"type": "finality_evidence", "sender": sender,
                                 "vote_a_hex": votes[0], "vote_b_hex": votes[0]})


if __name__ == "__main__":
    CreateRawTxTest().main()
