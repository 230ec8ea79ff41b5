#!/bin/bash
# run.sh - runs the integration suite (bats) against one build dir: real users, real sudo, a recording systemd-run.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [BATS_FILE...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(cd "$top" && cd "$build" && pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "run.sh: the integration suite creates users and sudoers rules: run it as root" >&2
	exit 1
fi
for tool in sudo bats rsync python3 visudo useradd; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing (see .ci/run)" >&2; exit 1; }
done

# /etc/pi-agent/config.json, /run/pi-agent and the pitest-* homes are shared: one bats suite
# at a time on this machine (the attack suite takes the same lock; this waits for it).
exec 9>/run/lock/pi-bats-suites.lock
flock 9
# The suites act as root's own shell: a login session's user (a CI job logged in as someone)
# would be the runner's caller (caller.c), so the session is left as root's.
uid=$(cat /proc/self/loginuid 2>/dev/null || echo 4294967295)
if [ "$uid" != 4294967295 ] && [ "$uid" != 0 ] && ! echo 4294967295 >/proc/self/loginuid; then
	echo "run.sh: this shell's login session is uid $uid's and cannot be reset" >&2
	exit 1
fi

export PI_BUILD=$build PI_TOP=$top PI_FIX=/tmp/pi-it
# shellcheck source=tests/integration/fixture.bash
. "$here/fixture.bash"
# the sudoers rule names a binary under /tmp: it must not outlive the run
trap 'rm -f /etc/sudoers.d/pitest' EXIT
fixture_install

status=0
out=$(mktemp)
files=("$@")
[ "${#files[@]}" -gt 0 ] || files=("$here"/*.bats)
bats --tap ${PI_BATS_FILTER:+--filter "$PI_BATS_FILTER"} "${files[@]}" | tee "$out" || status=$?
passed=$(grep -c '^ok ' "$out" || true)
failed=$(grep -c '^not ok ' "$out" || true)
rm -f "$out"
echo "integration ($build): $passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
