#!/usr/bin/env python3
"""Running fmld as an operator would: options from fml.conf with a [regtest]
section (here RPC credentials instead of the cookie, read by fml-cli too),
-daemon returning once the node serves, SIGTERM shutting it down cleanly,
a second instance refused on the same data directory, and bad options refused
with a clear message."""

import os
import signal
import subprocess
import time

from test_framework.framework import (FMLD, FMLTestFramework, TestFailure, assert_equal,
                                      wait_until)
from test_framework.rpc import RPCProxy


class ConfigDaemonTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        node.stop()

        self.log("fml.conf: [regtest] credentials replace the cookie")
        with open(os.path.join(node.datadir, "fml.conf"), "w") as f:
            f.write("# operator settings\nprinttoconsole=0\n[regtest]\nrpcuser=alice\nrpcpassword=s3cret\n"
                    "[test]\nrpcuser=nobody\n")
        node.start(wait=False)
        rpc = RPCProxy("127.0.0.1", node.rpcport, "alice", "s3cret")
        wait_until(lambda: self.try_call(rpc), what="RPC with the configured credentials")
        assert not os.path.exists(os.path.join(node.netdir, ".cookie"))
        assert_equal(node.cli("getblockcount"), "0")  # fml-cli read the same file
        res = node.cli("-rpcpassword=wrong", "getblockcount", check=False)
        assert_equal(res.returncode, 1)
        assert "Authorization failed" in res.stderr

        self.log("A second instance on the same data directory is refused")
        res = subprocess.run(node.args([]), capture_output=True, text=True, timeout=60)
        assert_equal(res.returncode, 1)
        assert "Cannot obtain a lock" in res.stderr, res.stderr

        self.log("SIGTERM: a clean shutdown")
        node.process.send_signal(signal.SIGTERM)
        assert_equal(node.process.wait(timeout=60), 0)
        node._closed()
        with open(node.debug_log) as f:
            assert "Shutdown: done" in f.read()
        os.remove(os.path.join(node.datadir, "fml.conf"))

        self.log("-daemon returns once the node serves; stop via fml-cli")
        t0 = time.time()
        res = subprocess.run(node.args(["-daemon"]), capture_output=True, text=True, timeout=60)
        assert_equal(res.returncode, 0)
        assert_equal(node.cli("getblockcount"), "0")
        self.log("  daemon up in %.2fs" % (time.time() - t0))
        assert_equal(node.cli("stop"), "fmld stopping")
        wait_until(lambda: not os.path.exists(os.path.join(node.netdir, ".cookie")), what="cookie removed")
        wait_until(lambda: subprocess.run(node.args(["-daemon"]), capture_output=True).returncode == 0 and
                   node.cli("stop", check=False).returncode == 0, timeout=30, what="lock released")
        wait_until(lambda: not os.path.exists(os.path.join(node.netdir, ".cookie")), what="stopped")
        time.sleep(1)

        self.log("Bad options are refused with a message")
        for args, msg in ((["-nosuchoption"], "Invalid parameter"),
                          (["-regtestvalidator=7"], "-regtestvalidator"),
                          (["-maxmempool=abc"], "maxmempool"),
                          (["-datadir=/nonexistent/dir"], "does not exist")):
            cmd = node.args(args)
            if "-datadir=/nonexistent/dir" in args:
                cmd = [a for a in cmd if a != "-datadir=" + node.datadir]
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            if res.returncode == 0 or msg not in res.stderr:
                raise TestFailure("%r: status %d, %r" % (args, res.returncode, res.stderr))
        node.start()

    @staticmethod
    def try_call(rpc):
        try:
            rpc.getblockcount()
            return True
        except Exception:
            return False


if __name__ == "__main__":
    ConfigDaemonTest().main()
