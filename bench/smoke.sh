#!/bin/sh
# `make check`: the signature benchmarks run once with tiny sizes, so that
# they keep working; `make bench` runs them at full size.
set -e
build=${FML_BUILD_DIR:-.}
"$build"/bench/bench_connect -accounts=20 -txs=120 -block=50
"$build"/bench/bench_mempool_accept -accounts=20 -txs=100
