#!/usr/bin/env python3
"""The network demo: four regtest validators proposing in real time on their
own nodes, plus an observer.  A wallet moves FML between fresh addresses, a
holder delegates to a validator and collects rewards, the network is cut in
two and healed, and every node ends on the same chain and state root.
Prints what happens.  No configuration needed.

    python3 demo/regtest_demo.py [--duration SECONDS] [--keep]
"""

import argparse
import random
import sys
import time
from decimal import Decimal

from network import Network, wait
from test_framework.crypto import address, pubkey, regtest_secret
from test_framework.framework import connect_nodes, disconnect_nodes, sync_blocks


def short(s, n=12):
    return s[:n] + "…"


def fml(amount):
    return format(Decimal(amount), "f")


class Printer:
    """Prints each new block of the observer once."""

    def __init__(self, node):
        self.node = node
        self.seen = node.getblockcount()

    def blocks(self):
        height = self.node.getblockcount()
        while self.seen < height:
            self.seen += 1
            blk = self.node.getblock(self.node.getblockhash(self.seen))
            print("  block %4d  slot %d  proposer %s  %d tx  stateroot %s" %
                  (self.seen, blk["slot"], short(blk["proposer"], 16), len(blk["tx"]), short(blk["stateroot"])))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=30, help="seconds of transfers (default 30)")
    parser.add_argument("--keep", action="store_true", help="keep the data directories")
    args = parser.parse_args()
    net = Network(keep=args.keep)
    try:
        net.start()
        run(net, args.duration)
    finally:
        net.stop()
        print("All nodes stopped.")


def run(net, duration):
    v = net.validators
    obs = net.observer
    out = Printer(obs)
    info = obs.getblockchaininfo()
    print("Chain %s, genesis %s, supply %s FML" % (info["chain"], short(info["genesis"]), fml(info["supply"])))
    for val in obs.getvalidators():
        print("  validator %s  stake %s FML" % (short(val["address"], 20), fml(val["total_stake"])))
    net.wait_for_height(2)
    out.blocks()

    print("\nTransfers between fresh addresses of validator 0's wallet")
    wallet = v[0]
    people = {name: wallet.getnewaddress(name) for name in ("alice", "bob", "carol")}
    rng = random.Random(2026)
    for name, addr in people.items():
        txid = wallet.sendtoaddress(addr, Decimal(rng.randrange(100, 500)))
        print("  tx %s  validator0 -> %s" % (short(txid), name))
    deadline = time.time() + duration
    while time.time() < deadline:
        sender, to = rng.sample(list(people), 2)
        amount = Decimal(rng.randrange(1, 2000)) / 100
        if wallet.getaccount(people[sender])["balance"] > amount + 1:
            txid = wallet.sendtoaddress(people[to], amount, "", "", False, people[sender])
            print("  tx %s  %-5s -> %-5s %8s FML" % (short(txid), sender, to, amount))
        wait(1)
        out.blocks()

    print("\nCarol delegates 100 FML to validator 1 and collects its rewards")
    v1 = address("rfml", pubkey(regtest_secret(1)))
    wallet.delegate(v1, 100, people["carol"])
    wait(8)
    out.blocks()
    d = obs.getdelegations(people["carol"])
    if d:
        print("  delegation %s FML, rewards pending %s FML" % (fml(d[0]["amount"]), fml(d[0]["pending_rewards"])))
    wallet.undelegate(v1, 0, people["carol"])

    print("\nCut the network in two ({v0, v1} | {v2, v3, observer}) for 12 s")
    disconnect_nodes(net.nodes[1], net.nodes[2])
    disconnect_nodes(net.nodes[4], net.nodes[0])
    wait(12)
    heights = [n.getblockcount() for n in net.nodes]
    tips = [short(n.getbestblockhash(), 8) for n in net.nodes]
    print("  heights %s, tips %s" % (heights, tips))
    print("Heal")
    connect_nodes(net.nodes[1], net.nodes[2])
    connect_nodes(net.nodes[4], net.nodes[0])
    sync_blocks(net.nodes, timeout=60)
    roots = set(n.getblockchaininfo()["stateroot"] for n in net.nodes)
    print("  every node at height %d, tip %s, %d distinct state root(s)" %
          (obs.getblockcount(), short(obs.getbestblockhash()), len(roots)))
    out.blocks()

    print("\nSummary")
    supply = obs.getsupplyinfo()
    print("  supply %s FML (minted %s, fees %s), conservation %s" %
          (fml(supply["supply"]), fml(supply["minted"]), fml(supply["fees"]),
           "holds" if supply["supply_consistent"] and supply["rewards_consistent"] else "BROKEN"))
    for val in obs.getvalidators():
        print("  validator %s  proposed %3d blocks, earned %s FML" %
              (short(val["address"], 20), val["blocks_proposed"], fml(val["earned"])))
    for name, addr in people.items():
        acct = obs.getaccount(addr)
        print("  %-5s balance %12s FML  nonce %d" % (name, fml(acct["balance"]), acct["nonce"]))


if __name__ == "__main__":
    main()
