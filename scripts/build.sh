#!/bin/sh
# Configures and builds fmld in the source tree (extra arguments go to
# configure).  Reconfigures only when needed.
set -e
cd "$(dirname "$0")/.."
if [ ! -x configure ]; then
    ./autogen.sh
fi
if [ ! -f Makefile ] || [ "$#" -gt 0 ]; then
    ./configure "$@"
fi
make -j"$(nproc)"
