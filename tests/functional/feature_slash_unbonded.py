#!/usr/bin/env python3
"""Stake that is unbonding neither votes nor escapes a slash.

Validator 3 UNBONDs its whole self-stake: its vote for the current epoch is
refused although the epoch's vote weights (drawn before) still list it
(bad-vote-not-validator).  It then signs a double vote for that epoch; the
evidence (reported by another key) jails it and cuts slash_bps of the
pending unbonding entry queued after the offence: after the unbonding period
it gets back 95 % of the stake, not all of it.  The same double vote reported
by its own key, or for an epoch not reached yet, is refused."""
import struct
from decimal import Decimal
from test_framework.crypto import Tx, address, pubkey, regtest_secret, compact_size
from test_framework.framework import FMLTestFramework, TestFailure, assert_raises_rpc_error

COIN = 100000000
FEE = 100000


def vote(sec, s_ep, s_hash, t_ep, t_hash, genesis):
    pl = struct.pack("<Q", s_ep) + s_hash + struct.pack("<Q", t_ep) + t_hash
    return Tx(pubkey(sec), 0, 0, 64, pl).sign(sec, genesis)


def evidence(reporter, nonce, a, b, genesis):
    a, b = a.serialize(), b.serialize()
    return Tx(pubkey(reporter), nonce, FEE, 65,
              compact_size(len(a)) + a + compact_size(len(b)) + b).sign(reporter, genesis)


class SlashUnbonded(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-regtestvalidator=0"]]

    def run_test(self):
        n = self.nodes[0]
        genesis = bytes.fromhex(n.getblockchaininfo()["genesis"])
        n.generateblocks(2)
        sec3, sec1 = regtest_secret(3), regtest_secret(1)
        v3, v1 = address("rfml", pubkey(sec3)), address("rfml", pubkey(sec1))
        b0, a0 = n.getvalidator(v3), n.getaccount(v3)
        stake = int(Decimal(str(b0["self_stake"])) * COIN)
        ub = Tx(pubkey(sec3), a0["nonce"], FEE, 4, struct.pack("<Q", stake)).sign(sec3, genesis)
        n.sendrawtransaction(ub.hex())
        n.generateblocks(1)
        fi = n.getfinalityinfo()
        e = fi["epoch"]
        if fi["current"]["total_stake"] != 400000:
            raise TestFailure("expected the unbonded stake still in the drawn weights")
        tgt = fi["current"]["checkpoint"]
        src = fi.get("justified") or {"epoch": 0, "hash": genesis.hex()}
        gv = vote(sec3, src["epoch"], bytes.fromhex(src["hash"]), e, bytes.fromhex(tgt["hash"]), genesis)
        assert_raises_rpc_error(None, "bad-vote-not-validator", n.sendrawtransaction, gv.hex())
        self.log("vote of the fully unbonded validator refused (bad-vote-not-validator)")

        a = vote(sec3, 0, genesis, e, b"\x11" * 32, genesis)
        b = vote(sec3, 0, genesis, e, b"\x22" * 32, genesis)
        own = evidence(sec3, a0["nonce"] + 1, a, b, genesis)
        assert_raises_rpc_error(None, "bad-evidence-self-report", n.sendrawtransaction, own.hex())
        fa = vote(sec3, 0, genesis, e + 5, b"\x11" * 32, genesis)
        fb = vote(sec3, 0, genesis, e + 5, b"\x22" * 32, genesis)
        n1 = n.getaccount(v1)["nonce"]
        fut = evidence(sec1, n1, fa, fb, genesis)
        assert_raises_rpc_error(None, "bad-evidence-future", n.sendrawtransaction, fut.hex())
        self.log("self-reported and future evidence refused")
        n.sendrawtransaction(evidence(sec1, n1, a, b, genesis).hex())
        n.generateblocks(1)
        b1 = n.getvalidator(v3)
        if b1["status"] != "jailed":
            raise TestFailure("not jailed: %r" % b1)
        n.generateblocks(15)
        got = int(Decimal(str(n.getaccount(v3)["balance"])) * COIN) - int(Decimal(str(a0["balance"])) * COIN)
        want = stake - stake * 500 // 10000 - FEE
        self.log("v3 got back %s FML of %s after the unbonding period" %
                 (Decimal(got) / COIN, Decimal(stake) / COIN))
        if got != want:
            raise TestFailure("unbonding entry not cut: got %d, want %d" % (got, want))
        if not n.getsupplyinfo()["supply_consistent"]:
            raise TestFailure("supply inconsistent")


if __name__ == "__main__":
    SlashUnbonded().main()
