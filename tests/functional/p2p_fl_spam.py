#!/usr/bin/env python3
"""FL Alliance transactions and calls that cost a node much and their sender
little, on one regtest node with a task of 200,001 weights (an update reveal
of 800 kB):

- an update reveal relayed before its window is refused (bad-fl-window) with
  no ban and not pooled, and the same transaction relayed again once the
  window is open is pooled (the node forgets refusals at a new tip);
- a flood of update reveals from the proposer that do not match its
  commitment (a new salt each, 800 kB each, no fee ever paid): each refused
  (bad-fl-reveal-mismatch), none pooled, and the node's time per reveal is
  printed against the bytes the sender had to send; the proposer's real
  reveal still enters and is mined;
- reveals whose weight count is not the model's (bad-fl-size) are refused
  before any commitment hash, and malformed FL transactions from a peer
  (too many or bad verdicts, counts past the payload, trailing bytes, past
  max_tx_size) before the signature, the peer banned;
- flgetupdate of the 800 kB update (time and size of the answer printed),
  flgetround and flgetupdate with hostile arguments, and the wallet's FL
  methods with hostile arguments (a weight array past the model, verdict
  arrays past FL_MAX_SLOTS, bad addresses): a clear error, nothing sent.
Prints the figures."""

import json
import os
import struct
import time

from test_framework.crypto import Tx, address_to_pubkey, compact_size, pubkey, tagged_hash
from test_framework.framework import (FMLTestFramework, assert_equal, assert_raises_rpc_error,
                                      wait_until)
from test_framework.p2p import P2PConnection

TX_FL_UPDATE_COMMIT = 18
TX_FL_UPDATE_REVEAL = 21
INPUTS = 200000
P = INPUTS + 1
FLOOD = 12


def weights_bytes(seed):
    return b"".join(struct.pack("<i", (seed * 7919 + i * 31) % 65536 - 32768) for i in range(P))


class P2PFLSpamTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-listen=1"]]

    def nothing_sent(self, fn, *args, code=None, message=""):
        node = self.nodes[0]
        before = (sorted(node.getrawmempool()), len(node.listtransactions("*", 100000)))
        start = time.time()
        assert_raises_rpc_error(code, message, fn, *args)
        took = time.time() - start
        after = (sorted(node.getrawmempool()), len(node.listtransactions("*", 100000)))
        assert_equal(after, before, "a refused call sent something")
        return took

    def not_banned(self):
        assert not any(b["address"].startswith("127.0.0.1") for b in self.nodes[0].listbanned())

    def relay(self, raw, genesis):
        """Sends raw as a peer; the peer stays connected (a state refusal is
        not misbehaviour); returns the seconds until the node answered a ping."""
        node = self.nodes[0]
        start = time.time()
        with P2PConnection(node.port, genesis).connect() as p:
            p.handshake()
            p.send("tx", raw)
            p.sync_with_ping(timeout=60)
        took = time.time() - start
        self.not_banned()
        return took

    def run_test(self):
        node = self.nodes[0]
        node.generateblocks(2)
        genesis = bytes.fromhex(node.getblockchaininfo()["genesis"])
        a = {n: node.getnewaddress(n) for n in ("creator", "p1", "p2")}
        for n in a:
            node.sendtoaddress(a[n], 200 if n == "creator" else 50)
        node.generateblocks(1)

        self.log("A task of %d weights: update reveals of %d bytes" % (P, 4 * P))
        task = node.flcreatetask({
            "address": a["creator"], "model": "logistic", "sizes": [INPUTS, 1], "rounds": 1,
            "min_participants": 2, "max_participants": 2, "min_stake": 5, "proposer_slots": 1,
            "join_blocks": 2, "submit_blocks": 4, "update_reveal_blocks": 3,
            "commit_blocks": 2, "reveal_blocks": 2, "aggregator": "fedavg", "slash_bps": 2000,
            "voter_reward_bps": 2000, "budget": 10})["task"]
        node.generateblocks(1)
        for n in ("p1", "p2"):
            node.fljoin(task, 10, a[n])
        node.generateblocks(1)
        t = node.flgettask(task)
        node.generateblocks(t["join_end"] - node.getblockcount())
        t = node.flgettask(task)
        assert_equal((t["state"], t["phase"], t["round"]), ("running", "submit", 1))
        win = t["windows"]
        r = node.flgetround(task, 1)
        prop = r["proposers"][0]["address"]
        voter = r["voters"][0]["address"]
        sec = bytes.fromhex(node.dumpprivkey(prop))
        pub = address_to_pubkey(prop)
        assert_equal(pubkey(sec), pub)
        tid = bytes.fromhex(task)

        weights = weights_bytes(1)
        salt = os.urandom(32)
        mh = tagged_hash("FML/fl-model", weights)
        commitment = tagged_hash("FML/fl-update", tid + struct.pack("<I", 1) + pub + mh + salt)
        nonce = node.getaccount(prop)["nonce"]
        commit = Tx(pub, nonce, 10**6, TX_FL_UPDATE_COMMIT, tid + struct.pack("<I", 1) + commitment)
        node.sendrawtransaction(commit.sign(sec, genesis).hex())
        node.generateblocks(1)
        assert_equal(node.flgetround(task, 1)["update_commits"], 1)
        nonce += 1

        def reveal(w, s, fee=2 * 10**6):
            payload = tid + struct.pack("<I", 1) + s + compact_size(len(w) // 4) + w
            return Tx(pub, nonce, fee, TX_FL_UPDATE_REVEAL, payload).sign(sec, genesis)

        good = reveal(weights, salt)
        good_raw = good.serialize()

        self.log("An update reveal before its window: refused, not pooled, no ban")
        assert node.getblockcount() + 1 < win["update_reveal_start"]
        assert_raises_rpc_error(None, "bad-fl-window", node.sendrawtransaction, good.hex())
        took = self.relay(good_raw, genesis)
        assert good.txid() not in node.getrawmempool()
        self.log("  relayed early: refused in %.0f ms" % (1000 * took))

        node.generateblocks(win["update_reveal_start"] - 1 - node.getblockcount())
        assert_equal(node.flgettask(task)["phase"], "update_reveal")

        self.log("A flood of %d reveals that do not match the commitment (%d bytes each)" %
                 (FLOOD, len(good_raw)))
        raws = [reveal(weights, os.urandom(32)).serialize() for _ in range(FLOOD)]
        assert_raises_rpc_error(None, "bad-fl-reveal-mismatch", node.sendrawtransaction,
                                raws[0].hex())
        start = time.time()
        with P2PConnection(node.port, genesis).connect() as p:
            p.handshake()
            for raw in raws[1:]:
                p.send("tx", raw)
            p.sync_with_ping(timeout=120)
        took = time.time() - start
        self.not_banned()
        assert_equal(node.getrawmempool(), [])
        self.log("  %d mismatching reveals (%.1f MB) refused in %.0f ms, %.1f ms each "
                 "(the sender sent %.0f kB for each)" %
                 (FLOOD - 1, (FLOOD - 1) * len(good_raw) / 1e6, 1000 * took,
                  1000 * took / (FLOOD - 1), len(good_raw) / 1000))

        self.log("Reveals with a weight count not the model's: refused")
        for n in (P - 1, P + 1):
            w = weights[:4 * n] if n < P else weights + b"\x00" * 4
            assert_raises_rpc_error(None, "bad-fl-size", node.sendrawtransaction,
                                    reveal(w, salt).hex())

        self.log("Malformed FL transactions from a peer: refused before the signature, banned")
        u32 = lambda x: struct.pack("<I", x)
        for what, tx_type, payload in (
                ("vote reveal of 65 verdicts", 20,
                 tid + u32(1) + salt + compact_size(65) + (b"\x01" + u32(0)) * 65),
                ("vote reveal with a verdict of 0", 20,
                 tid + u32(1) + salt + compact_size(1) + b"\x00" + u32(0)),
                ("vote reveal of round 0", 20, tid + u32(0) + salt + compact_size(0)),
                ("update reveal claiming more weights than it carries", TX_FL_UPDATE_REVEAL,
                 tid + u32(1) + salt + compact_size(P) + weights[:4 * (P - 1)]),
                ("update reveal with a trailing byte", TX_FL_UPDATE_REVEAL,
                 tid + u32(1) + salt + compact_size(P) + weights + b"\x00"),
                ("update reveal past max_tx_size", TX_FL_UPDATE_REVEAL,
                 tid + u32(1) + salt + compact_size(250010) + b"\x00" * (4 * 250010)),
                ("update commit cut short", TX_FL_UPDATE_COMMIT, tid + u32(1) + commitment[:31])):
            raw = Tx(pub, nonce, 10**7, tx_type, payload).serialize()  # never signed
            start = time.time()
            with P2PConnection(node.port, genesis).connect() as p:
                p.handshake()
                p.send("tx", raw)
                assert p.wait_for_disconnect(10), "not dropped after a " + what
            wait_until(lambda: any(b["address"].startswith("127.0.0.1")
                                   for b in node.listbanned()), what="ban after a " + what)
            self.log("  %s (%d bytes): banned in %.0f ms" % (what, len(raw),
                                                            1000 * (time.time() - start)))
            node.clearbanned()
            assert_equal(node.getrawmempool(), [])

        self.log("The refused early reveal, relayed again in its window, is pooled and mined")
        self.relay(good_raw, genesis)
        wait_until(lambda: good.txid() in node.getrawmempool(), what="the reveal pooled")
        node.generateblocks(1)
        r = node.flgetround(task, 1)
        assert_equal(r["update_reveals"], 1)
        assert_equal(r["revealed_order"], [prop])

        self.log("flgetupdate of the %d-byte update" % (4 * P))
        start = time.time()
        u = node.flgetupdate(task, 1, prop)
        took = time.time() - start
        assert_equal(len(u["weights_q16"]), P)
        assert_equal(u["hash"], mh.hex())
        size = len(json.dumps(u, default=str))
        self.log("  answered in %.0f ms, %.1f MB of JSON" % (1000 * took, size / 1e6))

        self.log("flgetround and flgetupdate with hostile arguments")
        for rnd in (0, 2, 2**32, 2**32 + 1, 2**63 - 1):
            assert_raises_rpc_error(-8, "not found", node.flgetround, task, rnd)
            assert_raises_rpc_error(-8, "not found", node.flgetupdate, task, rnd, prop)
        assert_raises_rpc_error(None, None, node.flgetround, task, -1)
        assert_raises_rpc_error(None, None, node.flgetround, task, "1x")
        assert_raises_rpc_error(-5, "Task not found", node.flgetround, "ab" * 32, 1)
        assert_raises_rpc_error(None, None, node.flgetround, "zz" * 32, 1)
        assert_raises_rpc_error(None, None, node.flgetupdate, task, 1, "rfml1notanaddress")
        assert_raises_rpc_error(-5, "not a proposer", node.flgetupdate, task, 1, voter)
        assert_raises_rpc_error(-5, "not a proposer", node.flgetupdate, task, 1, a["creator"])

        self.log("Wallet FL methods with hostile arguments: a clear error, nothing sent")
        big = [1] * (P + 1)
        took = self.nothing_sent(node.flsubmitupdate, task, 1, big, prop, code=-8)
        self.log("  flsubmitupdate with %d weights: refused in %.0f ms" % (len(big), 1000 * took))
        self.nothing_sent(node.flsubmitupdate, task, 1, "0" * 7, prop, code=-8)
        self.nothing_sent(node.flsubmitupdate, task, 1, "[1, [2]]", prop, code=-8)
        self.nothing_sent(node.flsubmitupdate, task, 1, {"a": 1}, prop, code=None)
        self.nothing_sent(node.flrevealupdate, task, 1, voter, code=None)
        self.nothing_sent(node.flrevealupdate, task, 1, "rfml1notanaddress", code=None)
        node.generateblocks(win["commit_start"] - 1 - node.getblockcount())
        assert_equal(node.flgettask(task)["phase"], "commit")
        for verdicts in ([1] * 65, [1] * 100000, [], [2], [0], [{"verdict": 1, "proposer": voter}],
                         [{"verdict": 1, "metric": "1e308"}], [{"verdict": 1, "x": 1}],
                         [{"verdict": 1, "proposer": "rfml1bad"}], "[1,", [[1]]):
            took = self.nothing_sent(node.flcommitvote, task, 1, verdicts, voter, code=None)
            self.log("  flcommitvote with %.40s (%d items): refused in %.0f ms" %
                     (json.dumps(verdicts), len(verdicts), 1000 * took))
            assert took < 10
        # A proposer votes too; a wallet address with no entry in the round does not.
        self.nothing_sent(node.flcommitvote, task, 1, [1], node.getnewaddress(), code=None)
        self.nothing_sent(node.flcommitvote, task, 1, [1], "rfml1notanaddress", code=None)
        node.flcommitvote(task, 1, [1], voter)
        node.generateblocks(1)
        assert_equal(node.flgetround(task, 1)["vote_commits"], 1)
        node.generateblocks(win["reveal_start"] - 1 - node.getblockcount())
        node.flrevealvote(task, 1, voter)
        node.generateblocks(win["reveal_end"] - node.getblockcount())
        r = node.flgetround(task, 1)
        assert_equal((r["vote_reveals"], r["outcome"]), (1, "accepted"))
        self.not_banned()


if __name__ == "__main__":
    P2PFLSpamTest().main()
