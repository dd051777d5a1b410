#!/bin/sh
# Builds the libFuzzer targets of tests/fuzz/ with clang, AddressSanitizer
# and UndefinedBehaviorSanitizer in a build directory of their own, runs
# them one after another from their checked-in corpora within one time
# budget for all of them (FUZZ_BUDGET seconds, default 240, shared equally;
# FUZZ_SECONDS instead fixes the seconds of each target), and prints
# per target the executions, libFuzzer's final coverage (cov: edges, ft:
# features) and the corpus size.  Any crash, leak, timeout, sanitizer report
# or out-of-memory fails the run; the input that did it is left in
# $FUZZ_BUILD_DIR/fuzz-artifacts/ (add it to tests/fuzz/corpus/<target>/
# once fixed, so that `make check` replays it).
#
#   FUZZ_BUDGET=1800 scripts/fuzz.sh             # a longer stage
#   FUZZ_SECONDS=300 scripts/fuzz.sh             # 300 s for each target
#   FUZZ_TARGETS="tx block" scripts/fuzz.sh      # some targets only
#   FUZZ_BUILD_DIR=/tmp/fz scripts/fuzz.sh       # default: build-fuzz/
#
# One fuzzer runs at a time, in one process (no -jobs or -workers).
set -e
cd "$(dirname "$0")/.."
top=$(pwd)
budget=${FUZZ_BUDGET:-240}
builddir=${FUZZ_BUILD_DIR:-$top/build-fuzz}
jobs=${FUZZ_MAKE_JOBS:-2}

# The source tree may hold an in-tree gcc build (scripts/build.sh), which
# stops autotools from configuring another build of it: build from a copy
# of the checkout's files (tracked, and new ones not ignored), refreshed on
# every run so that make rebuilds only what changed.
mkdir -p "$builddir/src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$top" ls-files -z --cached --others --exclude-standard |
        tar -C "$top" --null -T - -cf - | tar -xf - -C "$builddir/src"
else
    echo "fuzz: $top is not a git checkout" >&2
    exit 1
fi
cd "$builddir/src"
if [ ! -x configure ]; then
    ./autogen.sh >autogen.out 2>&1 || { tail -40 autogen.out; exit 1; }
fi
if [ ! -f Makefile ]; then
    if ! ./configure --enable-fuzz --with-sanitizers=address,undefined CC=clang \
            CFLAGS="-g -O1" >configure.out 2>&1; then
        tail -40 configure.out
        exit 1
    fi
fi
start=$(date +%s)
make -j"$jobs" fuzz >make.out 2>&1 || { tail -60 make.out; exit 1; }
echo "fuzz: built the targets in $(( $(date +%s) - start )) s"

targets=${FUZZ_TARGETS:-$(cd "$top/tests/fuzz/corpus" && ls)}
count=$(echo $targets | wc -w)
seconds=${FUZZ_SECONDS:-$(( budget / count ))}
[ "$seconds" -ge 1 ] || seconds=1
cd "$builddir"
mkdir -p fuzz-logs fuzz-artifacts fuzz-corpus
failed=""
summary=""
for t in $targets; do
    bin=src/tests/fuzz/fuzz_$t
    if [ ! -x "$bin" ]; then
        echo "fuzz: no target $t" >&2
        exit 1
    fi
    # New inputs go to the work corpus; the checked-in seeds are only read.
    mkdir -p "fuzz-corpus/$t"
    log=fuzz-logs/$t.log
    rc=0
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="fuzz-artifacts/$t-" "fuzz-corpus/$t" "$top/tests/fuzz/corpus/$t" \
        >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -1)
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p')
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    line=$(printf '%-14s %10s execs %5s s  cov %6s  ft %6s  corpus %s' "$t" "${execs:-?}" \
           "${secs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}")
    if [ "$rc" -ne 0 ]; then
        echo "fuzz: $t FAILED (exit $rc); the end of $builddir/$log:"
        tail -60 "$log"
        failed="$failed $t"
        line="$line  FAILED"
    fi
    echo "$line"
    summary="$summary
  $line"
done
echo "fuzz: $seconds s per target:$summary"
if [ -n "$failed" ]; then
    echo "fuzz: failed:$failed"
    exit 1
fi
