#!/bin/sh
# Sets up a fresh Debian 12 machine, builds fmld, fml-cli and fml-agent and
# runs the demo (README.md, doc/fl-demo.md): three hospitals train a diabetes
# model together on a local regtest chain without sharing patient rows, then
# again with a malicious fourth hospital; then the model is sold on the AI
# Market (doc/market-demo.md: demo/market_demo.py).  Options go to demo/fl_demo.py
# (--help); `scripts/demo.sh --network` runs the network demo instead
# (transfers, delegation, a partition healed), and `scripts/demo.sh --arena`
# the AI Arena demo (doc/arena-demo.md: a staked training contest scored on
# hidden validation sets; options go to demo/arena_demo.py), and
# `scripts/demo.sh --digits` the handwritten-digits FL demo (doc/fl-demo.md:
# ten participants with label skew, a softmax model and an MLP, three of the
# ten malicious; options go to demo/fl_digits.py).
set -e
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
if [ "${1:-}" = "--network" ]; then
    shift
    exec python3 demo/regtest_demo.py "$@"
fi
if [ "${1:-}" = "--arena" ]; then
    shift
    exec python3 demo/arena_demo.py "$@"
fi
if [ "${1:-}" = "--digits" ]; then
    shift
    exec python3 demo/fl_digits.py "$@"
fi
exec python3 demo/fl_demo.py "$@"
