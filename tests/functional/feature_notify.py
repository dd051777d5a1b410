#!/usr/bin/env python3
"""-blocknotify and -walletnotify commands.

Checked: -blocknotify runs on every new tip with %s = the hash getblockhash
prints (generated blocks, and the new tip after invalidateblock);
-walletnotify runs once when a wallet first sees a transaction in the
mempool (not when it returns there in a reorganization) and once each time
a connected block confirms it, for each wallet it concerns (sender's and
receiver's), with %s = txid, %w = wallet name, %b = block hash or
"unconfirmed", %h = height or -1; a wallet that is not loaded hears nothing;
a failing command is logged and the node goes on; commands run in the
background (a slow command does not slow block production), at most 16 at
once (the excess is not run and logged), and are reaped when they end."""

import os
import shlex
import signal
import time

from test_framework.framework import FMLTestFramework, TestFailure, assert_equal, wait_until


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.split() for line in f.read().splitlines() if line.strip()]


class NotifyTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def setup_network(self):
        self.blocks = os.path.join(self.tmpdir, "blocks.txt")
        self.wallets = os.path.join(self.tmpdir, "wallets.txt")
        self.nodes[0].extra_args = [
            "-blocknotify=echo %%s >> %s" % shlex.quote(self.blocks),
            "-walletnotify=echo %%s %%w %%b %%h >> %s" % shlex.quote(self.wallets),
        ]
        self.start_nodes()

    def wait_lines(self, path, count, what):
        wait_until(lambda: len(read_lines(path)) >= count, timeout=30, what=what)
        time.sleep(0.3)  # anything beyond count would show now
        return read_lines(path)

    def run_test(self):
        node = self.nodes[0]
        self.log("-blocknotify: one run per new tip, %s = block hash")
        hashes = node.generateblocks(3)
        assert_equal(len(hashes), 3)
        lines = self.wait_lines(self.blocks, 3, "three -blocknotify runs")
        assert_equal(sorted(l[0] for l in lines), sorted(hashes))
        for l in lines:
            assert_equal(l, [l[0]])
            assert_equal(node.getblockheader(l[0])["hash"], l[0])

        self.log("after invalidateblock the new tip runs it too")
        node.invalidateblock(hashes[-1])
        lines = self.wait_lines(self.blocks, 4, "-blocknotify after invalidateblock")
        assert_equal(len(lines), 4)
        assert_equal(lines[-1], [hashes[-2]])
        assert_equal(node.getbestblockhash(), hashes[-2])
        new = node.generateblocks(1)
        lines = self.wait_lines(self.blocks, 5, "-blocknotify for the new branch")
        assert_equal(lines[-1], new)

        self.log("-walletnotify: in the mempool and at confirmation, per wallet")
        node.createwallet("second")
        first = node.rpc.wallet("default")
        second = node.rpc.wallet("second")
        assert_equal(read_lines(self.wallets), [])
        to_second = second.getnewaddress()
        txid = first.sendtoaddress(to_second, 3)
        lines = self.wait_lines(self.wallets, 2, "-walletnotify for the mempool")
        assert_equal(sorted(lines), sorted([[txid, "default", "unconfirmed", "-1"],
                                            [txid, "second", "unconfirmed", "-1"]]))
        block = node.generateblocks(1)[0]
        height = node.getblockcount()
        lines = self.wait_lines(self.wallets, 4, "-walletnotify at confirmation")
        assert_equal(len(lines), 4)
        assert_equal(sorted(lines[2:]), sorted([[txid, "default", block, str(height)],
                                                [txid, "second", block, str(height)]]))

        self.log("back in the mempool after a reorganization: only the new confirmation")
        node.invalidateblock(block)
        assert txid in node.getrawmempool(), "the transaction is back in the mempool"
        time.sleep(1)
        assert_equal(len(read_lines(self.wallets)), 4)
        block = node.generateblocks(1)[0]
        assert_equal(node.getblockcount(), height)
        lines = self.wait_lines(self.wallets, 6, "-walletnotify at the new confirmation")
        assert_equal(len(lines), 6)
        assert_equal(sorted(lines[4:]), sorted([[txid, "default", block, str(height)],
                                                [txid, "second", block, str(height)]]))

        self.log("a wallet that is not loaded hears nothing")
        node.unloadwallet("second")
        txid2 = first.sendtoaddress(to_second, 1)  # now only the sender's wallet is loaded
        lines = self.wait_lines(self.wallets, 7, "-walletnotify for the sender only")
        assert_equal(lines[6], [txid2, "default", "unconfirmed", "-1"])
        node.generateblocks(1)
        lines = self.wait_lines(self.wallets, 8, "-walletnotify at confirmation")
        assert_equal(len(lines), 8)
        node.stop()

        self.log("a failing command is logged and the node goes on")
        node.extra_args = ["-blocknotify=exit 3", "-walletnotify=/nonexistent/command %s"]
        node.start()
        node.generateblocks(2)
        node.sendtoaddress(node.getnewaddress(), 1)
        node.generateblocks(1)
        wait_until(lambda: self.log_count("Notification command failed (exit status 3): exit 3") >= 3,
                   timeout=30, what="failed -blocknotify logged")
        wait_until(lambda: self.log_count("Notification command failed (exit status 127): /nonexistent/command") >= 2,
                   timeout=30, what="failed -walletnotify logged")
        assert_equal(node.getblockcount(), height + 4)
        node.stop()

        self.log("slow commands: never waited for, at most 16 at once")
        node.extra_args = ["-blocknotify=exec sleep 60"]
        node.start()
        pid = node.process.pid
        try:
            started = time.time()
            node.generateblocks(30)
            took = time.time() - started
            # Waiting for even one command would take 60 s.
            if took > 30:
                raise TestFailure("30 blocks took %.1fs with a 60 s -blocknotify" % took)
            wait_until(lambda: len(children(pid, "sleep 60")) == 16, timeout=30,
                       what="16 -blocknotify commands running")
            wait_until(lambda: self.log_count("-blocknotify command not run: 16 commands still "
                                              "running") >= 1,
                       timeout=10, what="the 17th command not run")
            running = len(children(pid, "sleep 60"))
            self.log("30 blocks in %.2fs; %d commands running" % (took, running))
            if running > 16:
                raise TestFailure("%d commands running at once" % running)
        finally:
            for child in children(pid, "sleep 60"):
                os.kill(child, signal.SIGKILL)
        node.generateblocks(1)  # the node reaped them: room for a new one
        wait_until(lambda: len(children(pid, "sleep 60")) == 1, timeout=30,
                   what="a command runs again")
        for child in children(pid, "sleep 60"):
            os.kill(child, signal.SIGKILL)
        wait_until(lambda: not children(pid, "sleep 60") and not zombies(pid), timeout=30,
                   what="the commands reaped")

    def log_count(self, text):
        with open(self.nodes[0].debug_log, errors="replace") as f:
            return sum(1 for line in f if text in line)


def proc_children(parent):
    """(pid, argv, state) of the processes whose parent is parent (from /proc)."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                stat = f.read()
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = [a.decode() for a in f.read().split(b"\0") if a]
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == parent:
            out.append((int(pid), argv, fields[0]))
    return out


def children(parent, cmdline):
    """Live children of parent running cmdline."""
    return [pid for pid, argv, state in proc_children(parent)
            if argv == cmdline.split() and state != "Z"]


def zombies(parent):
    return [pid for pid, _, state in proc_children(parent) if state == "Z"]


if __name__ == "__main__":
    NotifyTest().main()
