#!/bin/sh
# build.sh - installs any missing build dependency from apt (tests/deps.sh build), then builds build/pi.
set -eu
cd "$(dirname "$0")"
tests/deps.sh build
make "$@" release
echo "build.sh: build/pi is ready ($(wc -c <build/pi) bytes, static); build/pi-runner and build/pi-merge link to it"
