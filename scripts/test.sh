#!/bin/sh
# Sets up a fresh Debian 12 machine, builds fmld and runs every test.
set -e
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
make -j"$(nproc)" check || { cat tests/*/*.log tests/functional/*.log 2>/dev/null | tail -200; exit 1; }
