#!/bin/sh
# Installs the Debian 12 packages fmld needs to build and test.
# Runs apt-get as root (directly, or through sudo when not root).
# clang and libclang-rt-14-dev (libFuzzer) build the fuzz targets; chromium runs
# the built-in explorer's browser test (feature_explorer_browser.py); python3-zmq
# is the ZMQ subscriber of feature_zmq.py and python3-nacl the functional tests'
# encrypted transport (both run by /usr/bin/python3).
set -e
packages="build-essential autoconf automake libtool pkg-config python3
libleveldb-dev libsecp256k1-dev libsodium-dev libevent-dev libopenblas-dev
libjansson-dev check clang libclang-rt-14-dev chromium libzmq3-dev python3-zmq python3-nacl"
if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1; then
    as_root="sudo"
else
    echo "scripts/deps.sh: need root (or sudo) to install packages" >&2
    exit 1
fi
missing=""
for p in $packages; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
    $as_root apt-get update
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y --no-install-recommends $missing
fi
