#!/bin/sh
# `make check`: the storage benchmarks run once with tiny sizes, so that they
# keep working; `make bench` runs them at full size.
set -e
build=${FML_BUILD_DIR:-.}
src=$(dirname "$0")/..
"$build"/bench/bench_state -accounts=300 -ref-accounts=100 -txs=200 -blocks=1 -reps=1
${PYTHON:-python3} "$src"/bench/bench_sync.py --accounts=20 --txs=100 --block=50
