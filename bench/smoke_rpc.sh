#!/bin/sh
# A smoke run of bench_rpc at tiny sizes (run by `make check`; the figures
# are not checked): the node starts, answers the client, builds a block of
# transfers, serves it under load, and stops.
set -eu
build=${FML_BUILD_DIR:-.}
FMLD=${FMLD:-$build/fmld} "$build/bench/bench_rpc" -smoke >/dev/null
echo "bench_rpc smoke run: ok"
