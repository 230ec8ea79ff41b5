#!/bin/bash
# run.sh - runs the integration suite (bats) against one build dir: real users, real sudo, a recording systemd-run.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR}
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

export PI_BUILD=$build PI_TOP=$top PI_FIX=/tmp/pi-it
# shellcheck source=tests/integration/fixture.bash
. "$here/fixture.bash"
# the sudoers rule names a binary under /tmp: it must not outlive the run
trap 'rm -f /etc/sudoers.d/pitest' EXIT
fixture_install

status=0
out=$(mktemp)
bats --tap "$here"/*.bats | tee "$out" || status=$?
passed=$(grep -c '^ok ' "$out" || true)
failed=$(grep -c '^not ok ' "$out" || true)
rm -f "$out"
echo "integration ($build): $passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
