#!/bin/sh
# Builds fmld with AddressSanitizer (and LeakSanitizer) and
# UndefinedBehaviorSanitizer in build-san/ and runs every unit and
# functional test there (make check).  Any sanitizer report is fatal: the
# program stops at the first one with a non-zero status, which fails its
# test (the functional framework also fails a test whose nodes printed a
# report).  Extra arguments go to configure.
#
# Nothing is excluded.  Instrumented code runs two to three times slower,
# so waits on wall-clock time are stretched by FML_TIMEOUT_FACTOR (default 3
# here): the functional framework's timeouts, and Check's per-test timeouts
# through CK_TIMEOUT_MULTIPLIER.
set -e
cd "$(dirname "$0")/.."
top=$(pwd)
dir=${FML_SAN_DIR:-$top/build-san}
jobs=${FML_SAN_JOBS:-$(nproc)}
[ "$jobs" -gt 2 ] && jobs=2

# The source tree may hold an in-tree build, which a VPATH configure
# refuses; build a copy of the sources instead (tracked and untracked files,
# not ignored ones).  tar keeps modification times, so a rerun rebuilds only
# what changed.
if ! git rev-parse --git-dir >/dev/null 2>&1; then
    echo "sanitize.sh: needs a git checkout (it copies the files git knows)" >&2
    exit 1
fi
mkdir -p "$dir/src"
git ls-files -z --cached --others --exclude-standard |
    tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -C "$dir/src" -xf -
cd "$dir/src"
if [ ! -x configure ]; then
    ./autogen.sh >/dev/null
fi
if [ ! -f Makefile ] || [ "$#" -gt 0 ] || ! grep -q 'fsanitize=address,undefined' Makefile; then
    ./configure --with-sanitizers=address,undefined "$@" >/dev/null
fi
t0=$(date +%s)
make -j"$jobs" >/dev/null
t1=$(date +%s)

# halt_on_error/abort: the first report ends the program with an error.
# detect_leaks: every unit test and every node stopped cleanly must free
# what it allocated (a node killed with SIGKILL is not checked).
ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:print_summary=1"
# Allocation stacks stop at the first system library built without frame
# pointers (libevent, LevelDB).  FML_SAN_DEEP_STACKS=1 unwinds them fully,
# at four times the cost of every malloc: for reading a leak report.
if [ -n "${FML_SAN_DEEP_STACKS:-}" ]; then
    ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0"
fi
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:report_error_type=1"
LSAN_OPTIONS="print_suppressions=0"
FML_TIMEOUT_FACTOR=${FML_TIMEOUT_FACTOR:-3}
# Check's per-test timeouts stretch by the same factor.
CK_TIMEOUT_MULTIPLIER=$FML_TIMEOUT_FACTOR
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS FML_TIMEOUT_FACTOR CK_TIMEOUT_MULTIPLIER

# FML_SAN_TESTS="tests/unit/test_chain tests/functional/rpc_access.py" runs
# only those.
find tests -name '*.trs' -exec rm -f {} +
status=0
if [ -n "${FML_SAN_TESTS:-}" ]; then
    make -j"$jobs" check TESTS="$FML_SAN_TESTS" >/dev/null 2>&1 || status=$?
else
    make -j"$jobs" check >/dev/null 2>&1 || status=$?
fi
failed=0
total=0
for trs in $(find tests -name '*.trs' | sort); do
    total=$((total + 1))
    if grep -q ':test-result: \(FAIL\|ERROR\)' "$trs"; then
        failed=$((failed + 1))
        echo "---- ${trs%.trs}.log"
        tail -100 "${trs%.trs}.log"
    fi
done
echo "sanitize.sh: $((total - failed)) of $total tests passed under address,undefined" \
    "(build $((t1 - t0)) s, tests $(($(date +%s) - t1)) s)"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$total" -gt 0 ]
