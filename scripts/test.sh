#!/bin/sh
# Sets up a fresh Debian 12 machine, builds fmld and runs every test, stage
# by stage, printing how long each took.  A failing stage stops the run
# with its logs and a non-zero exit.
set -e
cd "$(dirname "$0")/.."

t0=$(date +%s)
timings=""
stage() {
    name=$1
    shift
    echo "==== stage $name: $*"
    start=$(date +%s)
    if ! "$@"; then
        echo "==== stage $name FAILED after $(( $(date +%s) - start )) s"
        exit 1
    fi
    took=$(( $(date +%s) - start ))
    timings="$timings
  $name: $took s"
    echo "==== stage $name: $took s"
}

check() {
    make -j"$(nproc)" check && return 0
    for log in tests/*/*.log; do
        grep -q ':test-result: \(FAIL\|ERROR\)' "${log%.log}.trs" 2>/dev/null || continue
        echo "---- $log"
        tail -100 "$log"
    done
    return 1
}

stage deps scripts/deps.sh
# -Werror: a warning (a forgotten switch case, an unchecked result) fails
# CI; `make check` below reuses this configuration.
stage build scripts/build.sh --enable-werror
stage check check
stage fuzz scripts/fuzz.sh
stage sanitize scripts/sanitize.sh

echo "==== all stages passed in $(( $(date +%s) - t0 )) s:$timings"
