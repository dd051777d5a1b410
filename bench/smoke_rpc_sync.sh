#!/bin/sh
# `make check`: bench_rpc_sync.py (RPC reads while a peer syncs) runs once
# with tiny sizes, so that it keeps working; doc/benchmarks.md has the full
# run (60,000 transfers).
set -e
src=$(dirname "$0")/..
${PYTHON:-python3} "$src"/bench/bench_rpc_sync.py --accounts=20 --txs=100 --block=50 --threads=1
