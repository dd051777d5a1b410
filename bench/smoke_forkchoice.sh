#!/bin/sh
# `make check`: the fork-choice benchmark runs once with a shallow fork, so
# that it keeps working; `make bench` runs it at finality_depth.
set -e
build=${FML_BUILD_DIR:-.}
"$build"/bench/bench_forkchoice -depth=4 -reps=1
