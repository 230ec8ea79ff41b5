#!/bin/sh
# build.sh - installs any missing build dependency from apt, then builds build/pi.
set -eu
cd "$(dirname "$0")"
need=""
command -v musl-gcc >/dev/null 2>&1 || need="$need musl-tools"
[ -f /usr/include/jsmn.h ] || need="$need libjsmn-dev"
command -v make >/dev/null 2>&1 || need="$need make"
command -v cc >/dev/null 2>&1 || need="$need gcc"
if [ -n "$need" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "build.sh: missing build dependencies:$need (run as root or: apt-get install$need)" >&2
		exit 1
	fi
	echo "build.sh: installing$need"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need
fi
make "$@" release
file -L build/pi
