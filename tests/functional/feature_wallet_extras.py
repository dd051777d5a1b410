#!/usr/bin/env python3
"""signmessage / verifymessage.

signmessage's signature is checked against an independent BIP340 signature
(zero auxiliary randomness, as the node uses) over BLAKE2b-256 of the message
personalized with "FML/message"; verifymessage accepts it and refuses a
changed message, another address, a changed signature; bad addresses and
malformed signatures get clear errors."""

import hashlib
import os

from test_framework.crypto import address, pubkey, sign
from test_framework.framework import (FMLTestFramework, assert_equal,
                                      assert_raises_rpc_error)

TAG = b"FML/message"


def message_hash(msg):
    assert len(TAG) <= 16
    return hashlib.blake2b(msg.encode(), digest_size=32, person=TAG).digest()


class WalletExtrasTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-regtestvalidator=0"]]

    def run_test(self):
        node = self.nodes[0]
        node.generateblocks(1)

        self.log("signmessage matches an independent BIP340 signature")
        sec = os.urandom(32)
        addr = address("rfml", pubkey(sec))
        node.importprivkey(sec.hex(), "msg", False)
        for msg in ["hello", "", "ünïcode ✓ message\nwith lines"]:
            sig = node.signmessage(addr, msg)
            assert_equal(sig, sign(message_hash(msg), sec).hex())
            assert_equal(node.verifymessage(addr, sig, msg), True)
            assert_equal(node.verifymessage(addr, sig, msg + "x"), False)
        sig = node.signmessage(addr, "hello")

        self.log("verifymessage refuses another signer and a changed signature")
        other = node.getnewaddress()
        assert_equal(node.verifymessage(other, sig, "hello"), False)
        other_sig = node.signmessage(other, "hello")
        assert_equal(node.verifymessage(other, other_sig, "hello"), True)
        assert_equal(node.verifymessage(addr, other_sig, "hello"), False)
        flipped = bytearray(bytes.fromhex(sig))
        flipped[40] ^= 1
        assert_equal(node.verifymessage(addr, flipped.hex(), "hello"), False)

        self.log("bad inputs get clear errors")
        assert_raises_rpc_error(-5, "Invalid address", node.verifymessage,
                                "rfml1qnotanaddress", sig, "hello")
        assert_raises_rpc_error(-5, "Invalid address", node.signmessage,
                                "fml1qbad", "hello")
        assert_raises_rpc_error(-3, "Malformed signature", node.verifymessage,
                                addr, sig[:-2], "hello")
        assert_raises_rpc_error(-3, "Malformed signature", node.verifymessage,
                                addr, "zz" * 64, "hello")
        stranger = address("rfml", pubkey(os.urandom(32)))
        assert_raises_rpc_error(-4, "is not known", node.signmessage,
                                stranger, "hello")


if __name__ == "__main__":
    WalletExtrasTest().main()
