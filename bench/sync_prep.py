"""bench_sync_prep (bench/bench_sync_prep.c) for the Python benchmarks: the
network and data directory it writes, and the bound it measures.  Import it
after tests/functional is on sys.path."""

import os
import subprocess

from test_framework.framework import BUILD_DIR, TestFailure

PREP = os.environ.get("FML_BENCH_SYNC_PREP", os.path.join(BUILD_DIR, "bench", "bench_sync_prep"))


def run_prep(args):
    """Runs bench_sync_prep with args; its standard output."""
    res = subprocess.run([PREP] + list(args), capture_output=True, text=True)
    if res.returncode != 0:
        raise TestFailure("bench_sync_prep: " + res.stderr)
    return res.stdout


def verify_bound(accounts, txs):
    """BIP340 verifies/s on two threads over as many signatures, now."""
    out = run_prep(["-bound-only=1", "-accounts=%d" % accounts, "-txs=%d" % txs])
    return float(out.split()[1])
