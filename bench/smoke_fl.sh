#!/bin/sh
# A smoke run of bench_fl's aggregation part at tiny sizes (run by `make
# check`; the figures are not checked): it must run, and the tiled
# aggregation, its baseline-instruction-set path and the first
# implementation must give the same bytes (bench_fl fails otherwise).
set -eu
build=${FML_BUILD_DIR:-.}
for size in "-k=1 -n=1" "-k=5 -n=3001" "-k=64 -n=1100" "-k=63 -n=2050"; do
    # shellcheck disable=SC2086
    "$build/bench/bench_fl" $size -reps=1 -finalization=0 >/dev/null
done
echo "bench_fl aggregation smoke run: ok"
