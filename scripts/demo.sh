#!/bin/sh
# Sets up a fresh Debian 12 machine, builds fmld and runs the demo: a local
# regtest network doing real work (see README.md).
set -e
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
exec python3 demo/regtest_demo.py "$@"
