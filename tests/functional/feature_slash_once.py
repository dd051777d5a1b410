#!/usr/bin/env python3
"""One slash per validator key; evidence only of what happened.

900,000 FML are delegated to validator 3 (self 100,000).  Fabricated double
votes for epochs never reached (FINALITY_EVIDENCE, type 65) and double
proposals for slots never led (EVIDENCE, type 7) are refused
(bad-evidence-future), and so is any evidence sent by the offender's own key
(bad-evidence-self-report).  A real double vote reported by another key
slashes 5 % once; a second offence of the tombstone is refused
(bad-evidence-tombstoned), by either evidence type: delegators lose 5 %,
never more."""
import struct
from decimal import Decimal
from test_framework.crypto import Tx, address, pubkey, regtest_secret, compact_size, sign, tagged_hash
from test_framework.framework import FMLTestFramework, TestFailure, assert_raises_rpc_error

COIN = 100000000
FEE = 100000
K = 10


def units(x):
    return int(Decimal(str(x)) * COIN)


def vote(sec, s_ep, s_hash, t_ep, t_hash, genesis):
    pl = struct.pack("<Q", s_ep) + s_hash + struct.pack("<Q", t_ep) + t_hash
    return Tx(pubkey(sec), 0, 0, 64, pl).sign(sec, genesis)


def vote_evidence(reporter, nonce, offender, t, genesis):
    a = vote(offender, 0, genesis, t, b"\x11" * 32, genesis).serialize()
    b = vote(offender, 0, genesis, t, b"\x22" * 32, genesis).serialize()
    return Tx(pubkey(reporter), nonce, FEE, 65,
              compact_size(len(a)) + a + compact_size(len(b)) + b).sign(reporter, genesis)


def block_evidence(reporter, nonce, offender, slot, genesis):
    hs = []
    for root in (b"\x11" * 32, b"\x22" * 32):
        h = (struct.pack("<IQ", 1, 5) + b"\x00" * 32 + struct.pack("<QQ", slot, 0) + root +
             b"\x00" * 32 + pubkey(offender) + b"\x00" * 32)
        hs.append(h + sign(tagged_hash("FML/blocksig", genesis + h), offender))
    return Tx(pubkey(reporter), nonce, FEE, 7, hs[0] + hs[1]).sign(reporter, genesis)


class SlashOnce(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-regtestvalidator=0"]]

    def run_test(self):
        n = self.nodes[0]
        genesis = bytes.fromhex(n.getblockchaininfo()["genesis"])
        n.generateblocks(2)
        sec3, sec1 = regtest_secret(3), regtest_secret(1)
        v3, v1 = address("rfml", pubkey(sec3)), address("rfml", pubkey(sec1))
        d = n.getnewaddress()
        n.sendtoaddress(d, 900010)
        n.generateblocks(1)
        n.delegate(v3, 900000, d)
        n.generateblocks(1)
        deleg_before = units(n.getdelegations(d)[0]["amount"])
        nonce3 = n.getaccount(v3)["nonce"]
        e = n.getfinalityinfo()["epoch"]
        slot = n.getblockheader(n.getblockchaininfo()["bestblockhash"])["slot"]
        # The attack as found: k offences, reported by the offender itself.
        for k in range(K):
            assert_raises_rpc_error(None, "bad-evidence-self-report", n.sendrawtransaction,
                                    vote_evidence(sec3, nonce3, sec3, e - k, genesis).hex())
            assert_raises_rpc_error(None, "bad-evidence-self-report", n.sendrawtransaction,
                                    block_evidence(sec3, nonce3, sec3, slot - k, genesis).hex())
        nonce1 = n.getaccount(v1)["nonce"]
        for k in range(K):
            assert_raises_rpc_error(None, "bad-evidence-future", n.sendrawtransaction,
                                    vote_evidence(sec1, nonce1, sec3, e + 1000 + k, genesis).hex())
            assert_raises_rpc_error(None, "bad-evidence-future", n.sendrawtransaction,
                                    block_evidence(sec1, nonce1, sec3, slot + 10**6 + k, genesis).hex())
        self.log("fabricated future offences and self-reports refused (%d of each type)" % (2 * K))
        # One real offence (a double vote for the current epoch): one slash.
        n.generateblocks(1)
        e = n.getfinalityinfo()["epoch"]
        n.sendrawtransaction(vote_evidence(sec1, nonce1, sec3, e, genesis).hex())
        n.generateblocks(1)
        if n.getvalidator(v3)["status"] != "jailed":
            raise TestFailure("not jailed")
        deleg_after = units(n.getdelegations(d)[0]["amount"])
        # Further offences of the tombstone, past ones, both types.
        slot = n.getblockheader(n.getblockchaininfo()["bestblockhash"])["slot"]
        assert_raises_rpc_error(None, "bad-evidence-tombstoned", n.sendrawtransaction,
                                vote_evidence(sec1, nonce1 + 1, sec3, e - 1, genesis).hex())
        assert_raises_rpc_error(None, "bad-evidence-tombstoned", n.sendrawtransaction,
                                block_evidence(sec1, nonce1 + 1, sec3, slot, genesis).hex())
        n.generateblocks(1)
        deleg_end = units(n.getdelegations(d)[0]["amount"])
        lost = deleg_before - deleg_end
        self.log("delegators lost %s FML of %s (%.2f%%)" % (Decimal(lost) / COIN, Decimal(deleg_before) / COIN,
                                                          100.0 * lost / deleg_before))
        if deleg_end != deleg_after or lost > deleg_before * 500 // 10000 + 1:
            raise TestFailure("slashed more than once")
        if not n.getsupplyinfo()["supply_consistent"]:
            raise TestFailure("supply inconsistent")


if __name__ == "__main__":
    SlashOnce().main()
