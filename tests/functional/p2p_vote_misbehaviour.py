#!/usr/bin/env python3
"""A peer relaying refused finality votes gets misbehaviour points.

Votes pay no fee.  One signed by a key with no vote weight
(bad-vote-not-validator) earns its relaying peer 10 points, so ten distinct
ones ban it; one with a bad signature (a consensus failure, like any invalid
transaction) bans at once."""
import os
import struct
from test_framework.crypto import Tx, pubkey
from test_framework.framework import FMLTestFramework, assert_equal, wait_until
from test_framework.p2p import P2PConnection


def vote(sec, s_ep, s_hash, t_ep, t_hash, genesis):
    pl = struct.pack("<Q", s_ep) + s_hash + struct.pack("<Q", t_ep) + t_hash
    return Tx(pubkey(sec), 0, 0, 64, pl).sign(sec, genesis)


class VoteMisbehaviour(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-connect=0", "-listen=1", "-regtestvalidator=0"]]

    def peer_score(self, node):
        peers = node.getpeerinfo()
        return peers[0]["banscore"] if peers else None

    def run_test(self):
        node = self.nodes[0]
        node.generateblocks(2)
        genesis = bytes.fromhex(node.getblockchaininfo()["genesis"])
        fi = node.getfinalityinfo()
        e = fi["epoch"]
        tgt = bytes.fromhex(fi["current"]["checkpoint"]["hash"])
        with P2PConnection(node.port, genesis).connect() as p:
            p.handshake()
            for i in range(9):
                sec = os.urandom(32)
                p.send("tx", vote(sec, 0, genesis, e, tgt, genesis).serialize())
                p.sync_with_ping()
                assert_equal(self.peer_score(node), 10 * (i + 1))
            self.log("nine votes of keys with no weight: banscore %d, still connected" % self.peer_score(node))
            p.send("tx", vote(os.urandom(32), 0, genesis, e, tgt, genesis).serialize())
            assert p.wait_for_disconnect(10), "not dropped after ten such votes"
        wait_until(lambda: len(node.listbanned()) == 1, what="ban after ten votes")
        node.clearbanned()
        self.log("the tenth: disconnected and banned")
        with P2PConnection(node.port, genesis).connect() as p:
            p.handshake()
            raw = bytearray(vote(os.urandom(32), 0, genesis, e, tgt, genesis).serialize())
            raw[-1] ^= 1
            p.send("tx", bytes(raw))
            assert p.wait_for_disconnect(10), "not dropped after a vote with a bad signature"
        wait_until(lambda: len(node.listbanned()) == 1, what="ban after a bad signature")
        self.log("a vote with a bad signature: banned at once")
        assert_equal(node.getrawmempool(), [])


if __name__ == "__main__":
    VoteMisbehaviour().main()
