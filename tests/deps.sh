#!/bin/sh
# deps.sh - installs the Debian packages a make target needs when any is missing: deps.sh build|test|e2e|fuzz|bench...
set -eu
need=""
want() {
	for p; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need="$need $p"
	done
}
for group; do
	case $group in
	build) want make gcc libc6-dev musl-tools libjsmn-dev ;;
	test) want make gcc libc6-dev musl-tools libjsmn-dev sudo rsync bats python3 nix-bin passwd \
		util-linux mandoc groff-base time clang libclang-rt-14-dev strace binutils opendoas ;;
	e2e) want systemd-container mmdebstrap util-linux coreutils lintian tmux iproute2 openssl
		# the real agent needs node and npm (any node >= 20 already installed is kept)
		command -v node >/dev/null || want nodejs
		command -v npm >/dev/null || want npm ;;
	fuzz) want clang libclang-rt-14-dev ;;
	bench) want valgrind strace time python3 sudo rsync ;;
	*) echo "deps.sh: unknown group '$group' (build, test, e2e, fuzz, bench)" >&2; exit 2 ;;
	esac
done
[ -n "$need" ] || exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing:$need (run as root, or: apt-get install$need)" >&2
	exit 1
fi
echo "deps.sh: installing$need"
apt-get update -qq
# shellcheck disable=SC2086 # one word per package
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
