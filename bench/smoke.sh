#!/bin/sh
# `make check`: the signature benchmarks run once with tiny sizes, so that
# they keep working; `make bench` runs them at full size.
set -e
build=${FML_BUILD_DIR:-.}
src=$(dirname "$0")/..
"$build"/bench/bench_connect -accounts=20 -txs=120 -block=50
"$build"/bench/bench_connect -accounts=20 -txs=120 -block=50 -reps=1 -fresh=1
"$build"/bench/bench_mempool_accept -accounts=20 -txs=100
${PYTHON:-python3} "$src"/bench/bench_accept_rpc.py --accounts=20 --txs=200 --batch=20 --conns=2 --reps=1
