#!/usr/bin/env python3
"""-rpcworkernice: the JSON-RPC worker threads run below the rest of the node.

By default the node's -rpcthreads workers run 19 nice levels below the node
(at most nice 19)
(read from /proc/<pid>/task/*/stat), every other thread at the node's own
nice, and a call through a worker (getblockhash) and one answered on the HTTP
thread (getblockcount) both work.  -rpcworkernice=5 with -rpcthreads=2 puts
exactly two threads at +5; -rpcworkernice=0 leaves every thread at the
node's nice.  Values outside 0..19 stop the node at start with a clear
error."""

import os
import subprocess

from test_framework.framework import FMLTestFramework, assert_equal, wait_until


def thread_nices(pid):
    """The nice value of each thread of pid (field 19 of stat: the 17th after
    the command's closing parenthesis)."""
    out = []
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                stat = f.read()
        except FileNotFoundError:
            continue  # a thread that just ended
        out.append(int(stat[stat.rindex(")") + 2:].split()[16]))
    return out


class WorkerNiceTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def count_at(self, node, nice):
        return thread_nices(node.process.pid).count(nice)

    def run_test(self):
        node = self.nodes[0]
        base = os.getpriority(os.PRIO_PROCESS, 0)
        assert base < 19, "the test needs to run below nice 19, not %d" % base
        at19, at5 = min(base + 19, 19), min(base + 5, 19)

        self.log("Default: the 4 workers at +19, the rest at the node's nice")
        node.getblockhash(0)
        assert_equal(node.getblockcount(), node.getblockcount())
        wait_until(lambda: self.count_at(node, at19) == 4, timeout=10, what="4 workers at +19")
        nices = thread_nices(node.process.pid)
        assert_equal(sorted(set(nices)), [base, at19])
        assert nices.count(base) >= 2, nices  # the main thread and the HTTP thread at least

        self.log("-rpcworkernice=5 -rpcthreads=2: exactly two threads at +5")
        node.stop()
        node.start(["-rpcworkernice=5", "-rpcthreads=2"])
        node.getblockhash(0)
        wait_until(lambda: self.count_at(node, at5) == 2, timeout=10, what="2 workers at +5")
        assert_equal(sorted(set(thread_nices(node.process.pid))), [base, at5])

        self.log("-rpcworkernice=0: every thread at the node's nice")
        node.stop()
        node.start(["-rpcworkernice=0"])
        node.getblockhash(0)
        assert_equal(set(thread_nices(node.process.pid)), {base})

        self.log("Out of range or not a number: the node does not start")
        node.stop()
        for bad in ("20", "-1", "x"):
            r = subprocess.run(node.args(["-rpcworkernice=" + bad]), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=60)
            assert r.returncode != 0, (bad, r.returncode)
            err = r.stderr.decode(errors="replace")
            assert "-rpcworkernice" in err, (bad, err)
        node.start()
        node.getblockcount()


if __name__ == "__main__":
    WorkerNiceTest().main()
