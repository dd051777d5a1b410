"""Functional test framework: real fmld processes on 127.0.0.1.

A test subclasses FMLTestFramework, sets self.num_nodes (and extra_args) in
set_test_params(), and tells its story in run_test() with self.log() before
each step.  Every node started is stopped when the test ends, also on failure
(first politely with the stop RPC, then SIGKILL).  A node's debug.log is
checked for sanitizer reports and internal errors at the end; finding one
fails the test.

Standard library only.
"""

import argparse
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from decimal import Decimal

from .rpc import JSONRPCException, RPCProxy, cookie_auth

# automake's exit statuses
EXIT_PASS = 0
EXIT_FAIL = 1

BUILD_DIR = os.environ.get("FML_BUILD_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))
FMLD = os.environ.get("FMLD", os.path.join(BUILD_DIR, "fmld"))
FMLCLI = os.environ.get("FMLCLI", os.path.join(BUILD_DIR, "fml-cli"))
FMLAGENT = os.environ.get("FMLAGENT", os.path.join(BUILD_DIR, "fml-agent"))

# Lines in a node's stderr or debug.log that mean something went wrong inside
# the node: a sanitizer report, the node's own marker for a broken invariant
# (util/log.h, log_internal_error) or a failed assert().
BAD_LOG_LINES = re.compile(r"(ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
                           r"ERROR: UndefinedBehaviorSanitizer|INTERNAL ERROR|Assertion .* failed)")
# Lines of a report shown with the first bad line.
BAD_LOG_EXCERPT_LINES = 40

# Waits are multiplied by this factor (FML_TIMEOUT_FACTOR): instrumented
# builds (sanitizers, valgrind) run several times slower.
TIMEOUT_FACTOR = float(os.environ.get("FML_TIMEOUT_FACTOR", "1") or 1)
if TIMEOUT_FACTOR < 1:
    TIMEOUT_FACTOR = 1.0


class TestFailure(Exception):
    pass


def assert_equal(a, b, msg=""):
    if a != b:
        raise TestFailure("%r != %r %s" % (a, b, msg))


def assert_greater_than(a, b):
    if not a > b:
        raise TestFailure("%r is not greater than %r" % (a, b))


def assert_raises_rpc_error(code, message, fn, *args, **kwargs):
    """Calls fn and checks it raises a JSON-RPC error with this code and a
    message containing `message` (None: any message)."""
    try:
        fn(*args, **kwargs)
    except JSONRPCException as e:
        if code is not None and e.code != code:
            raise TestFailure("expected error code %r, got %r (%s)" % (code, e.code, e.message))
        if message is not None and message not in e.message:
            raise TestFailure("expected error message containing %r, got %r" % (message, e.message))
        return e
    raise TestFailure("no JSON-RPC error raised")


def wait_until(predicate, timeout=30, interval=0.05, what="condition"):
    timeout *= TIMEOUT_FACTOR
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TestFailure("timed out after %ss waiting for %s" % (timeout, what))


_used_ports = set()


def free_port():
    """A loopback port that is free now (bound and released), never handed
    out twice in this process."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _used_ports:
            _used_ports.add(port)
            return port
    raise TestFailure("no free port")


class TestNode:
    """One fmld process with its own data directory and ports."""

    def __init__(self, index, basedir, chain="regtest", extra_args=None, log=print):
        self.index = index
        self.datadir = os.path.join(basedir, "node%d" % index)
        os.makedirs(self.datadir, exist_ok=True)
        self.chain = chain
        self.port = free_port()
        self.rpcport = free_port()
        self.extra_args = list(extra_args or [])
        self.process = None
        self.stdout = None
        self.stderr = None
        self.log = log
        self._rpc = None

    @property
    def netdir(self):
        sub = {"main": "", "test": "testnet", "regtest": "regtest"}.get(self.chain, self.chain)
        return os.path.join(self.datadir, sub) if sub else self.datadir

    @property
    def debug_log(self):
        return os.path.join(self.netdir, "debug.log")

    def args(self, extra):
        chain_arg = {"regtest": ["-regtest"], "test": ["-testnet"]}.get(self.chain, [])
        return [FMLD] + chain_arg + ["-datadir=" + self.datadir, "-port=%d" % self.port,
                                     "-bind=127.0.0.1", "-rpcport=%d" % self.rpcport,
                                     "-debug=1"] + self.extra_args + list(extra)

    def start(self, extra_args=(), wait=True):
        assert self.process is None, "node %d already running" % self.index
        self.stdout = open(os.path.join(self.datadir, "stdout.txt"), "a")
        self.stderr = open(os.path.join(self.datadir, "stderr.txt"), "a+")
        self.process = subprocess.Popen(self.args(extra_args), stdout=self.stdout, stderr=self.stderr)
        self._rpc = None
        if wait:
            self.wait_for_rpc()

    def wait_for_rpc(self, timeout=60):
        timeout *= TIMEOUT_FACTOR
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                self._closed()
                raise TestFailure("node %d exited during start-up (status %s): %s" %
                                  (self.index, self.process_status, self.read_stderr()))
            try:
                rpc = self.rpc
                rpc.getblockcount()
                return
            except (OSError, JSONRPCException, FileNotFoundError):
                self._rpc = None
                time.sleep(0.05)
        raise TestFailure("node %d did not answer RPC within %ss" % (self.index, timeout))

    @property
    def rpc(self):
        if self._rpc is None:
            self._rpc = self.new_rpc()
        return self._rpc

    def new_rpc(self):
        """A proxy with its own connection (one per thread)."""
        user, password = cookie_auth(os.path.join(self.netdir, ".cookie"))
        return RPCProxy("127.0.0.1", self.rpcport, user, password, timeout=120 * TIMEOUT_FACTOR)

    def __getattr__(self, name):
        # node.getblockcount() as a shortcut for node.rpc.getblockcount()
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.rpc, name)

    def read_stderr(self):
        if not self.stderr:
            return ""
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read()

    def cli(self, *args, input=None, check=True):
        """Runs fml-cli against this node; returns its stdout (stripped)."""
        cmd = [FMLCLI, "-datadir=" + self.datadir, "-rpcport=%d" % self.rpcport]
        if self.chain == "regtest":
            cmd.append("-regtest")
        cmd += [str(a) for a in args]
        res = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=120 * TIMEOUT_FACTOR)
        if check and res.returncode != 0:
            raise TestFailure("fml-cli %s failed (%d): %s" % (" ".join(map(str, args)), res.returncode, res.stderr))
        return res if not check else res.stdout.strip()

    def stop(self, timeout=60):
        """Stops via RPC and waits; SIGKILL when it does not exit in time.
        Fails when the node exits with an error or its logs show a
        sanitizer report or an internal error."""
        if self.process is None:
            return
        timeout *= TIMEOUT_FACTOR
        try:
            self.rpc.stop()
        except Exception:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise TestFailure("node %d did not stop within %ss" % (self.index, timeout))
        finally:
            self._closed()
        self.check_log()
        if self.process_status != 0:
            raise TestFailure("node %d exited with status %d: %s" % (self.index, self.process_status, self.read_stderr()))

    def kill(self):
        """kill -9: the crash the node must survive.  What it logged before
        is checked all the same."""
        if self.process is None:
            return
        self.process.kill()
        self.process.wait()
        self._closed()
        self.check_log()

    def _closed(self):
        self.process_status = self.process.returncode
        self.process = None
        self._rpc = None
        for f in (self.stdout,):
            if f:
                f.close()
        self.stdout = None

    def log_problems(self):
        """The first sanitizer report or internal error in the node's stderr
        and debug.log, as an excerpt (None when there is none)."""
        for path in (os.path.join(self.datadir, "stderr.txt"), self.debug_log):
            if not os.path.exists(path):
                continue
            with open(path, errors="replace") as f:
                lines = f.readlines()
            for i, line in enumerate(lines):
                if BAD_LOG_LINES.search(line):
                    excerpt = "".join(lines[i:i + BAD_LOG_EXCERPT_LINES])
                    return "%s line %d:\n%s" % (path, i + 1, excerpt)
        return None

    def check_log(self):
        """Raises when the node's log shows a sanitizer report or internal error."""
        problem = self.log_problems()
        if problem:
            raise TestFailure("node %d reported a sanitizer error or internal error in %s" %
                              (self.index, problem))


class FMLTestFramework:
    """Base class of every functional test."""

    def __init__(self):
        self.num_nodes = 1
        self.chain = "regtest"
        self.extra_args = None
        self.nodes = []
        self.options = None

    # -- to override --
    def set_test_params(self):
        pass

    def run_test(self):
        raise NotImplementedError

    def add_options(self, parser):
        """A test's own command-line options (argparse)."""
        pass

    # -- helpers --
    def log(self, msg):
        print("%s %s: %s" % (time.strftime("%H:%M:%S"), type(self).__name__, msg), flush=True)

    def add_node(self, extra_args=None):
        node = TestNode(len(self.nodes), self.tmpdir, self.chain, extra_args, self.log)
        self.nodes.append(node)
        return node

    def start_nodes(self):
        for node in self.nodes:
            node.start(wait=False)
        for node in self.nodes:
            node.wait_for_rpc()

    def stop_nodes(self):
        for node in self.nodes:
            node.stop()

    def main(self):
        parser = argparse.ArgumentParser(description=type(self).__doc__)
        parser.add_argument("--nocleanup", action="store_true", help="keep the data directories")
        parser.add_argument("--tmpdir", help="root of the data directories")
        parser.add_argument("--seed", type=int, help="random seed (printed)")
        self.add_options(parser)
        self.options = parser.parse_args()
        seed = self.options.seed if self.options.seed is not None else random.randrange(1 << 32)
        self.seed = seed
        random.seed(seed)
        self.tmpdir = self.options.tmpdir or tempfile.mkdtemp(prefix="fml_func_")
        self.log("seed %d, data in %s" % (seed, self.tmpdir))
        self.set_test_params()
        for i in range(self.num_nodes):
            args = self.extra_args[i] if self.extra_args else None
            self.add_node(args)
        status = EXIT_FAIL
        try:
            self.setup_network()
            self.run_test()
            for node in self.nodes:
                node.stop()
            for node in self.nodes:
                node.check_log()
            status = EXIT_PASS
        except Exception as e:
            self.log("FAILED: %s" % e)
            traceback.print_exc()
        finally:
            for node in self.nodes:
                if node.process is not None:
                    try:
                        node.process.kill()
                        node.process.wait()
                    except Exception:
                        pass
            # A test that failed for another reason still shows any report
            # its nodes made (often the cause).
            if status != EXIT_PASS:
                for node in self.nodes:
                    problem = node.log_problems()
                    if problem:
                        self.log("node %d reported a sanitizer error or internal error in %s" %
                                 (node.index, problem))
            if status != EXIT_PASS:
                for node in self.nodes:
                    self._dump_log(node)
        if status == EXIT_PASS and not self.options.nocleanup:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        self.log("passed" if status == EXIT_PASS else "failed (data kept in %s)" % self.tmpdir)
        sys.exit(status)

    def setup_network(self):
        self.start_nodes()

    def _dump_log(self, node, lines=40):
        if not os.path.exists(node.debug_log):
            return
        with open(node.debug_log, errors="replace") as f:
            tail = f.readlines()[-lines:]
        print("---- node %d debug.log (last %d lines) ----" % (node.index, len(tail)))
        sys.stdout.writelines(tail)
        print("---- end ----")


def connect_nodes(a, b):
    """a opens one connection to b (no automatic reconnection)."""
    a.addnode("127.0.0.1:%d" % b.port, "onetry")
    wait_until(lambda: any(p["addr"] == "127.0.0.1:%d" % b.port and p.get("version")
                           for p in a.getpeerinfo()), what="connection %d->%d" % (a.index, b.index))


def disconnect_nodes(a, b):
    """Drops every connection between a and b."""
    for x, y in ((a, b), (b, a)):
        for p in x.getpeerinfo():
            if p["addr"] == "127.0.0.1:%d" % y.port or p.get("addrbind", "").endswith(":%d" % y.port):
                try:
                    x.disconnectnode("", p["id"])
                except Exception:
                    pass
    wait_until(lambda: not any(p["addr"] == "127.0.0.1:%d" % b.port for p in a.getpeerinfo()) and
               not any(p["addr"] == "127.0.0.1:%d" % a.port for p in b.getpeerinfo()),
               what="disconnection %d-%d" % (a.index, b.index))


def sync_blocks(nodes, timeout=60):
    """Waits until all nodes have the same tip."""
    def same():
        tips = [n.getbestblockhash() for n in nodes]
        return len(set(tips)) == 1
    wait_until(same, timeout=timeout, interval=0.1, what="block sync")


def sync_mempools(nodes, timeout=60):
    def same():
        pools = [sorted(n.getrawmempool()) for n in nodes]
        return all(p == pools[0] for p in pools)
    wait_until(same, timeout=timeout, interval=0.1, what="mempool sync")


def satoshi(amount):
    """FML (Decimal or str) to base units."""
    return int(Decimal(str(amount)) * 100000000)
