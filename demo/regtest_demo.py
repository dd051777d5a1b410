#!/usr/bin/env python3
"""The fmld demo: a local regtest node that produces blocks in real time (it
holds the key of genesis validator 0 and proposes in the slots it leads) while
a wallet moves FML between fresh addresses.  Prints what happens, then stops
the node and prints a summary.  No configuration needed.

    python3 demo/regtest_demo.py [--duration SECONDS] [--keep]
"""

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "functional"))
os.environ.setdefault("FML_BUILD_DIR", os.path.abspath(os.path.join(HERE, "..")))

from test_framework.framework import TestNode  # noqa: E402


def short(s, n=12):
    return s[:n] + "…"


def fml(amount):
    return format(Decimal(amount), "f")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=40, help="seconds to run (default 40)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="fml_demo_")
    node = TestNode(0, tmp, "regtest", ["-produceblocks=1", "-printtoconsole=0"], print)
    print("Starting fmld -regtest in %s (RPC port %d)" % (node.datadir, node.rpcport))
    node.start()
    try:
        run(node, args.duration)
    finally:
        node.stop()
        print("Node stopped.")
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("Data kept in", tmp)


def run(node, duration):
    info = node.getblockchaininfo()
    print("Chain %s, genesis %s, supply %s FML" % (info["chain"], short(info["genesis"]), fml(info["supply"])))
    wallet_balance = node.getbalance()
    print("The node's wallet holds validator 0's key: %s FML\n" % fml(wallet_balance))

    people = {}
    for name in ("alice", "bob", "carol", "dave"):
        people[name] = node.getnewaddress(name)
        print("New address for %-5s %s" % (name, people[name]))
    print()

    rng = random.Random(2026)
    seen = node.getblockcount()
    deadline = time.time() + duration
    sent = 0
    funded = set()
    while time.time() < deadline:
        # Move some FML: fund people from the validator, then let them pay each other.
        name = rng.choice(list(people))
        if name not in funded:
            amount = Decimal(rng.randrange(50, 500))
            txid = node.sendtoaddress(people[name], amount)
            funded.add(name)
            print("  tx %s  validator0 -> %-5s %12s FML" % (short(txid), name, amount))
            sent += 1
        else:
            to = rng.choice([p for p in people if p != name])
            amount = Decimal(rng.randrange(1, 2000)) / 100
            bal = node.getaccount(people[name])["balance"]
            if bal > amount + 1:
                txid = node.sendtoaddress(people[to], amount, "", "", False, people[name])
                print("  tx %s  %-5s -> %-5s %12s FML" % (short(txid), name, to, amount))
                sent += 1
        time.sleep(0.5)
        height = node.getblockcount()
        while seen < height:
            seen += 1
            blk = node.getblock(node.getblockhash(seen))
            print("block %4d  slot %d  proposer %s  %d tx  stateroot %s" %
                  (seen, blk["slot"], short(blk["proposer"], 16), len(blk["tx"]), short(blk["stateroot"])))

    print("\nSummary after %ds:" % duration)
    info = node.getblockchaininfo()
    print("  height %d, tip %s, supply %s FML, %d transfers sent, %d in the mempool" %
          (info["blocks"], short(info["bestblockhash"]), fml(info["supply"]), sent, len(node.getrawmempool())))
    for name, addr in people.items():
        acct = node.getaccount(addr)
        print("  %-5s %s  balance %14s FML  nonce %d" % (name, short(addr, 20), fml(acct["balance"]), acct["nonce"]))


if __name__ == "__main__":
    main()
