#!/bin/sh
# The folders' dependency rules (doc: DESIGN.md "Layout"), checked on the
# sources and on the built libraries:
#   - no file in wallet/ includes a state/ header, and the wallet library's
#     objects need no symbol that the state library defines (the wallet
#     reaches chain and mempool only through wallet/chain_iface.h);
#   - no file in rpc/ includes a wallet/ or node/ header, and the RPC
#     library needs no symbol of the wallet or node libraries (rpc/ reaches
#     the wallets and the block producer through what node/ puts in
#     rpc_env), so no library links back to one above it and each is
#     linked once;
#   - the wallet library needs no symbol of the node library.
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

hits=$(grep -n '#include "\(wallet\|node\)/' "$src"/rpc/*.c "$src"/rpc/*.h)
[ -z "$hits" ] || fail "rpc/ includes wallet/ or node/ headers:
$hits"

# ---- objects ----
for lib in libfml_node.a libfml_wallet.a libfml_rpc.a libfml_state.a; do
    [ -f "$build/$lib" ] || { echo "SKIP: $build/$lib not built"; exit 77; }
done
tmp=${TMPDIR:-/tmp}/check_layering.$$
trap 'rm -f "$tmp".*' EXIT
defined "$build/libfml_state.a" > "$tmp.state"
undefined "$build/libfml_wallet.a" > "$tmp.wallet"
hits=$(comm -12 "$tmp.wallet" "$tmp.state")
[ -z "$hits" ] || fail "libfml_wallet.a uses symbols of libfml_state.a:" $hits

defined "$build/libfml_node.a" > "$tmp.node_def"
defined "$build/libfml_wallet.a" > "$tmp.wallet_def"
undefined "$build/libfml_rpc.a" > "$tmp.rpc"
hits=$(comm -12 "$tmp.rpc" "$tmp.wallet_def")
[ -z "$hits" ] || fail "libfml_rpc.a uses symbols of libfml_wallet.a:" $hits
hits=$(comm -12 "$tmp.rpc" "$tmp.node_def")
[ -z "$hits" ] || fail "libfml_rpc.a uses symbols of libfml_node.a:" $hits
hits=$(comm -12 "$tmp.wallet" "$tmp.node_def")
[ -z "$hits" ] || fail "libfml_wallet.a uses symbols of libfml_node.a:" $hits

[ $status -eq 0 ] && echo "layering: ok"
exit $status
