#!/usr/bin/env python3
"""Wallet secrets stay secret.

A wallet with new, imported and validator keys is encrypted.  Wrong
passphrases (near misses, repeated many times, through walletpassphrase and
walletpassphrasechange) never unlock it: keys cannot be dumped and nothing
can be signed or sent, and the right passphrase still works afterwards.
Then the private keys and the passphrases are looked for, in every form a
program could print them, in debug.log, the node's stdout and stderr, every
RPC error message the test received, and (the keys) in wallet.dat: none may
appear.  The test prints how many wrong passphrases and hostile key inputs
it tried."""

import base64
import os

from test_framework.crypto import address, pubkey, regtest_secret
from test_framework.framework import (FMLTestFramework, assert_equal,
                                      TestFailure)
from test_framework.rpc import JSONRPCException

PASSPHRASE = "correct horse battery staple 7"
NEW_PASSPHRASE = "a different passphrase 9"


class WalletSecretsTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-regtestvalidator=0"]]
        self.errors = []
        self.tried = {"wrong passphrase": 0, "bad key input": 0, "locked use": 0}

    def expect_error(self, code, fn, *args):
        """Calls fn, which must fail with code; keeps the message for the
        search at the end."""
        try:
            fn(*args)
        except JSONRPCException as e:
            self.errors.append(e.message)
            if code is not None and e.code != code:
                raise TestFailure("%s%r: expected error %d, got %d %s" %
                                  (getattr(fn, "__name__", fn), args[:1], code, e.code, e.message))
            return e
        raise TestFailure("%r succeeded" % (args[:1],))

    def run_test(self):
        node = self.nodes[0]
        node.generateblocks(2)

        self.log("Keys: three new addresses, an imported key and validator key 0")
        addrs = [node.getnewaddress() for _ in range(3)]
        keys = [node.dumpprivkey(a) for a in addrs]
        imported = os.urandom(32)
        imported_addr = address("rfml", pubkey(imported))
        node.importprivkey(imported.hex(), "imported", False)
        assert_equal(node.dumpprivkey(imported_addr), imported.hex())
        validator = regtest_secret(0)
        secrets = [bytes.fromhex(k) for k in keys] + [imported, validator]

        self.log("Malformed private keys are refused without echoing them")
        for k in keys[:1] + [imported.hex()]:
            for bad in (k[:-1], k + "0", k + "00", "0x" + k, k[:-1] + "g", k.upper() + " ",
                        k[:32], "%s,%s" % (k, k), k[::-1][:63]):
                self.expect_error(None, node.importprivkey, bad, "", False)
                self.tried["bad key input"] += 1
            for bad in (k[:-1], k + "00", k[:-1] + "z"):
                self.expect_error(None, node.importvalidatorkey, bad)
                self.tried["bad key input"] += 1
        self.expect_error(None, node.importprivkey, "00" * 32, "", False)  # not a valid secret
        self.expect_error(None, node.dumpprivkey, "rfml1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq")
        self.expect_error(None, node.dumpprivkey, address("rfml", pubkey(os.urandom(32))))
        self.tried["bad key input"] += 3

        self.log("Encrypt the wallet")
        node.encryptwallet(PASSPHRASE)
        if "unlocked_until" not in node.getwalletinfo():
            node.stop()
            node.start()
        assert_equal(node.getwalletinfo()["unlocked_until"], 0)

        self.log("Wrong passphrases never unlock, also when repeated")
        near_misses = [
            "", " ", "wrong", PASSPHRASE[:-1], PASSPHRASE + " ", " " + PASSPHRASE, PASSPHRASE.upper(),
            PASSPHRASE.replace("7", "8"), PASSPHRASE[1:], PASSPHRASE * 2, "x" * 10000,
            PASSPHRASE.encode().hex(), base64.b64encode(PASSPHRASE.encode()).decode(),
            NEW_PASSPHRASE, PASSPHRASE + "\u00e9",
        ]
        # Each attempt costs an Argon2id derivation: every near miss once,
        # the closest ones three times.
        for wrong in near_misses + near_misses[3:8] * 2:
            e = self.expect_error(None, node.walletpassphrase, wrong, 600)
            if wrong and e.code != -14:
                raise TestFailure("wrong passphrase %r: error %d %s" % (wrong[:40], e.code, e.message))
            self.tried["wrong passphrase"] += 1
            assert_equal(node.getwalletinfo()["unlocked_until"], 0)
        for wrong in near_misses[1:6]:
            e = self.expect_error(-14, node.walletpassphrasechange, wrong, "taken over")
            self.tried["wrong passphrase"] += 1

        self.log("While locked, nothing secret comes out and nothing is signed or sent")
        for a in addrs + [imported_addr]:
            self.expect_error(-13, node.dumpprivkey, a)
            self.tried["locked use"] += 1
        self.expect_error(-13, node.sendtoaddress, addrs[0], 1)
        self.expect_error(-13, node.importprivkey, os.urandom(32).hex(), "", False)
        self.tried["locked use"] += 2
        assert_equal(node.getrawmempool(), [])

        self.log("The right passphrase still unlocks after all those failures")
        node.walletpassphrase(PASSPHRASE, 600)
        if node.getwalletinfo()["unlocked_until"] == 0:
            raise TestFailure("the right passphrase did not unlock")
        assert_equal([node.dumpprivkey(a) for a in addrs], keys)
        node.walletlock()
        assert_equal(node.getwalletinfo()["unlocked_until"], 0)
        self.expect_error(-13, node.dumpprivkey, addrs[0])

        self.log("A changed passphrase: the old one no longer unlocks")
        node.walletpassphrasechange(PASSPHRASE, NEW_PASSPHRASE)
        self.expect_error(-14, node.walletpassphrase, PASSPHRASE, 600)
        self.tried["wrong passphrase"] += 1
        assert_equal(node.getwalletinfo()["unlocked_until"], 0)
        node.walletpassphrase(NEW_PASSPHRASE, 600)
        txid = node.sendtoaddress(addrs[1], 1)
        node.walletlock()

        self.log("After a restart the wallet is locked and the wrong passphrase still fails")
        node.stop()
        node.start()
        assert_equal(node.getwalletinfo()["unlocked_until"], 0)
        self.expect_error(-14, node.walletpassphrase, PASSPHRASE, 600)
        self.tried["wrong passphrase"] += 1
        assert_equal(node.getwalletinfo()["unlocked_until"], 0)
        if txid not in node.getrawmempool():
            node.generateblocks(1)
        node.stop()

        self.log("No key and no passphrase in debug.log, stdout, stderr or an RPC error; "
                 "no key in wallet.dat")
        needles = {}
        for i, s in enumerate(secrets):
            for form, text in (("hex", s.hex()), ("HEX", s.hex().upper()),
                               ("base64", base64.b64encode(s).decode()),
                               ("first half", s.hex()[:32]), ("second half", s.hex()[32:])):
                needles["key %d %s" % (i, form)] = text
        for p in (PASSPHRASE, NEW_PASSPHRASE):
            needles["passphrase %r" % p] = p
        files = [node.debug_log, os.path.join(node.datadir, "stdout.txt"),
                 os.path.join(node.datadir, "stderr.txt")]
        for path in files:
            if not os.path.exists(path):
                continue
            with open(path, errors="replace") as f:
                text = f.read()
            for what, needle in needles.items():
                if needle in text:
                    raise TestFailure("%s found in %s" % (what, path))
        for msg in self.errors:
            for what, needle in needles.items():
                if needle.lower() in msg.lower():
                    raise TestFailure("%s found in the RPC error %r" % (what, msg[:200]))
        wallet_files = []
        for root, _, names in os.walk(os.path.join(node.netdir, "wallets")):
            wallet_files += [os.path.join(root, n) for n in names]
        if not wallet_files:
            raise TestFailure("no wallet file found")
        for path in wallet_files:
            with open(path, "rb") as f:
                data = f.read()
            for i, s in enumerate(secrets):
                if s in data or s.hex().encode() in data:
                    raise TestFailure("key %d in the clear in %s" % (i, path))
        self.log("searched %d files, %d RPC error messages for %d forms of %d keys and 2 passphrases" %
                 (len(files) + len(wallet_files), len(self.errors), len(needles) - 2, len(secrets)))
        self.log("hostile inputs tried: %s; total %d" %
                 (", ".join("%s %d" % kv for kv in self.tried.items()), sum(self.tried.values())))


if __name__ == "__main__":
    WalletSecretsTest().main()
