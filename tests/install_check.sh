#!/bin/sh
# `make install DESTDIR=<tmp>` puts everything an operator needs in place:
# fmld, fml-cli and fml-agent in $(bindir), their man pages in
# $(mandir)/man1, the example fml.conf in $(docdir)/examples, the systemd
# unit (with the installed fmld in ExecStart and its hardening) in
# $(prefix)/lib/systemd/system, the bash completions in
# $(datadir)/bash-completion/completions; the installed programs run, the
# completions complete, and `make uninstall` removes every file again.
# Run by `make check`; FML_BUILD_DIR and the install directories come from
# the test harness (the defaults are those of ./configure without options).
set -u
build=${FML_BUILD_DIR:-.}
prefix=${FML_PREFIX:-/usr/local}
bindir=${FML_BINDIR:-$prefix/bin}
mandir=${FML_MANDIR:-$prefix/share/man}
docdir=${FML_DOCDIR:-$prefix/share/doc/fmld}
datadir=${FML_DATADIR:-$prefix/share}
status=0

fail() {
    echo "FAIL: $*"
    status=1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fml_install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root

if ! MAKEFLAGS= ${MAKE:-make} -C "$build" install DESTDIR="$dest" >"$tmp/install.log" 2>&1; then
    cat "$tmp/install.log"
    fail "make install DESTDIR=$dest"
    exit 1
fi

for p in fmld fml-cli fml-agent; do
    [ -x "$dest$bindir/$p" ] || fail "$bindir/$p not installed"
    [ -s "$dest$mandir/man1/$p.1" ] || fail "$mandir/man1/$p.1 not installed"
done
"$dest$bindir/fmld" -version | grep -q "^fmld version " || fail "installed fmld -version"
"$dest$bindir/fml-cli" -version | grep -q "^fml-cli version " || fail "installed fml-cli -version"
"$dest$bindir/fml-agent" -version >/dev/null || fail "installed fml-agent -version"

conf=$dest$docdir/examples/fml.conf
[ -s "$conf" ] || fail "$docdir/examples/fml.conf not installed"

unit=$dest$prefix/lib/systemd/system/fmld.service
if [ -s "$unit" ]; then
    grep -q "^ExecStart=$bindir/fmld " "$unit" || fail "fmld.service does not start $bindir/fmld"
    for key in 'Type=simple' 'User=fml' 'ProtectSystem=strict' 'ProtectHome=true' \
               'PrivateTmp=true' 'NoNewPrivileges=true' 'MemoryDenyWriteExecute=true' \
               'ReadWritePaths=/var/lib/fmld' 'Restart=on-failure' 'TimeoutStopSec=600'; do
        grep -qx "$key" "$unit" || fail "fmld.service lacks $key"
    done
    grep -q -- '-printtoconsole=0' "$unit" || fail "fmld.service does not set -printtoconsole=0"
    # systemd's own parser, when there is one: an unknown key or a value it
    # cannot parse is an error (complaints about this machine are not).
    if systemd-analyze --version >/dev/null 2>&1; then
        sed "s|^ExecStart=$bindir/fmld|ExecStart=$dest$bindir/fmld|" "$unit" >"$tmp/fmld.service"
        systemd-analyze verify --man=no "$tmp/fmld.service" >"$tmp/verify.log" 2>&1
        if grep -Ei "unknown (key|lvalue)|failed to parse|invalid" "$tmp/verify.log"; then
            fail "systemd-analyze verify fmld.service"
        fi
    fi
else
    fail "$prefix/lib/systemd/system/fmld.service not installed"
fi

comp=$dest$datadir/bash-completion/completions
for p in fml-cli fmld; do
    [ -s "$comp/$p" ] || fail "bash completion $datadir/bash-completion/completions/$p not installed"
done
if command -v bash >/dev/null 2>&1 && [ -s "$comp/fmld" ] && [ -s "$comp/fml-cli" ]; then
    got=$(PATH="$dest$bindir:$PATH" bash -c '
        . "$1/fmld"; . "$1/fml-cli"
        COMP_WORDS=(fmld -metr); COMP_CWORD=1; _fmld; echo "${COMPREPLY[@]}"
        COMP_WORDS=(fml-cli -getin); COMP_CWORD=1; _fml_cli; echo "${COMPREPLY[@]}"' _ "$comp")
    [ "$got" = "-metrics=
-getinfo" ] || fail "bash completion: got $(echo $got)"
fi

if ! MAKEFLAGS= ${MAKE:-make} -C "$build" uninstall DESTDIR="$dest" >"$tmp/uninstall.log" 2>&1; then
    cat "$tmp/uninstall.log"
    fail "make uninstall"
fi
left=$(find "$dest" -type f | sed "s|^$dest||")
[ -z "$left" ] || fail "left after make uninstall: $left"

[ $status -eq 0 ] && echo "install: ok"
exit $status
