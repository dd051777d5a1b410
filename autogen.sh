#!/bin/sh
# Generate the configure script and Makefile.in from configure.ac and Makefile.am.
set -e
srcdir=$(dirname "$0")
cd "$srcdir"
mkdir -p build-aux/m4
autoreconf --install --force
