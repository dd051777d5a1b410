#!/bin/sh
# The folders' dependency rules (doc: DESIGN.md "Layout"), checked on the
# sources and on the built libraries:
#   - no file in wallet/ includes a state/ header, and the wallet library's
#     objects need no symbol that the state library defines (the wallet
#     reaches chain and mempool only through wallet/chain_iface.h);
# Run by `make check`; FML_BUILD_DIR and srcdir come from the test harness.
set -u
src=${srcdir:-.}
build=${FML_BUILD_DIR:-.}
nm=${NM:-nm}
status=0

fail() {
    echo "FAIL: $*"
    status=1
}

# Symbols defined (text, data, bss, read-only) by a library's objects.
defined() {
    "$nm" -g --defined-only "$1" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u
}
# Symbols a library's objects use without defining them.
undefined() {
    "$nm" -u "$1" 2>/dev/null | awk 'NF >= 2 { print $NF }' | sort -u
}

# ---- sources ----
hits=$(grep -n '#include "state/' "$src"/wallet/*.c "$src"/wallet/*.h)
[ -z "$hits" ] || fail "wallet/ includes state/ headers:
$hits"

# ---- objects ----
for lib in libfml_wallet.a libfml_state.a; do
    [ -f "$build/$lib" ] || { echo "SKIP: $build/$lib not built"; exit 77; }
done
tmp=${TMPDIR:-/tmp}/check_layering.$$
trap 'rm -f "$tmp".*' EXIT
defined "$build/libfml_state.a" > "$tmp.state"
undefined "$build/libfml_wallet.a" > "$tmp.wallet"
hits=$(comm -12 "$tmp.wallet" "$tmp.state")
[ -z "$hits" ] || fail "libfml_wallet.a uses symbols of libfml_state.a:" $hits

[ $status -eq 0 ] && echo "layering: ok"
exit $status
