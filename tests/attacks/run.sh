#!/bin/bash
# run.sh - runs the hostile-input suite (bats) against one build dir: every attack must fail with nothing outside its allowed place changed.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [BATS_FILE...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(cd "$top" && cd "$build" && pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "run.sh: the attack suite creates users, sudoers rules and mounts: run it as root" >&2
	exit 1
fi
for tool in sudo bats python3 /usr/bin/python3 visudo useradd setpriv runuser timeout /usr/bin/time strace strings \
	mkfifo script mountpoint truncate; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing" >&2; exit 1; }
done
# /etc/pi-agent/config.json, /run/pi-agent and the pitest-* homes are shared: one bats suite
# at a time on this machine (the integration suite takes the same lock; this waits for it).
exec 9>/run/lock/pi-bats-suites.lock
flock 9
# The suites act as root's own shell: a login session's user (a CI job logged in as someone)
# would be the runner's caller (caller.c), so the session is left as root's.
uid=$(cat /proc/self/loginuid 2>/dev/null || echo 4294967295)
if [ "$uid" != 4294967295 ] && [ "$uid" != 0 ] && ! echo 4294967295 >/proc/self/loginuid; then
	echo "run.sh: this shell's login session is uid $uid's and cannot be reset" >&2
	exit 1
fi

export PI_BUILD=$build PI_TOP=$top PI_FIX=/tmp/pi-atk
# the sanitizer build needs more memory; the release build must stay small
if grep -qa __asan_init "$build/pi"; then export PI_ATK_RSS_MAX=${PI_ATK_RSS_MAX:-131072}; fi
# shellcheck source=tests/attacks/atk.bash
. "$here/atk.bash"
trap atk_uninstall EXIT
atk_install

files=("$@")
[ "${#files[@]}" -gt 0 ] || files=("$here"/*.bats)
status=0
out=$(mktemp)
start=$SECONDS
bats --tap ${PI_BATS_FILTER:+--filter "$PI_BATS_FILTER"} "${files[@]}" | tee "$out" || status=$?
passed=$(grep -c '^ok ' "$out" || true)
failed=$(grep -c '^not ok ' "$out" || true)
rm -f "$out"
echo "attacks ($build): $passed passed, $failed failed in $((SECONDS - start)) s"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
