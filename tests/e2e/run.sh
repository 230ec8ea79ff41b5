#!/usr/bin/env bash
# run.sh - end-to-end suite: boots a Debian 12 container with systemd and runs the pi launcher scenarios in it.
# Usage: tests/e2e/run.sh [scenario...]   scenarios: smoke 1 2 3 4 5 6 idmap roots envquote install nss deb tui projcfg oldns network check resources latency unitcost (default: all but unitcost)
#   smoke  systemd-run with a DynamicUser works in the container (the harness itself)
#   1      fake agent: identity, cwd, visibility, hardening, git, env precedence, exit codes, pipe, pty
#   2      the real pi agent against a loopback mock LLM (directly, through the launcher, and
#          held in its bash tool while systemd-analyze scores its unit: <= E2E_MAX_EXPOSURE)
#   3      two host users at once see neither the other's project, state nor env
#   4      denials through real sudo start no unit
#   5      SIGINT/SIGTERM/SIGHUP to pi end the agent's unit
#   6      audit lines; a root swapped for a link is never bound; a shared account runs one user
#   tui    exit codes after signals (pipe, pty, OOM) and the real TUI in tmux, launcher against
#          pi run directly: render, typing, answer, resize, Ctrl-C/D/Z, terminal state
#   projcfg projectConfig with pi 0.73.1 (Node 20) and pi 1.6.0 (Node 22): the model, tools,
#          shell and extensions a project's .pi can set, under admin-wins, deny and allow
#   oldns  alice, from a mount namespace made before the launch, removes or moves what covers
#          her project (admin-wins, deny): the unit is killed, pi exits 1 naming it
#   idmap  idmapped roots (a tmpfs): the agent and the real pi edit alice's files as hers;
#          nosuid, nodev, bob's files; group mode forced and by fallback (the overlay root)
#   roots  a root outside /home that alice's agent wrote: bob's agent, together and after, sees none of it
#   envquote  environment values with quotes, backslashes, $, newlines... reach the agent byte
#          for byte; an env file ending in a backslash swallows nothing of the next
#   install  README's install commands, word for word, on a fresh boot (apt and npm from caches
#          filled online beforehand): each tested agent with its Node, launched by alice
#   nss    a host user and an agent account known only to NSS (extrausers) through nscd
#   latency  the first TUI frame after Enter, the launcher against pi run directly in alternated
#          rounds (open mode and an allowlist): prints the medians, a benchmark, asserts no time
#   resources  per-user slices with the admin's limits (systemctl show), two sessions of one user
#          in one slice, RuntimeMaxSec enforced, a granted device opened and an ungranted one not,
#          bad values and device paths refused with the key named
#   unitcost  what the agent's unit costs systemd to set up: /bin/true in a transient unit with the
#          launcher's properties against groups of them left out (UC_ROUNDS alternated rounds), sudo
#          and the runner around it, one launch under the host's strace: benchmark lines only (run
#          only when named)
#   deb    make deb's package: lintian; dpkg -i, a launch, dpkg --purge leaves nothing behind
# Env: E2E_KEEP=1 leaves nothing running either way but prints the container journal at the end.
#      E2E_MAX_EXPOSURE=N (default 2.0): the highest `systemd-analyze security` exposure of an agent unit.
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
for f in "$E2E_SRC"/scenario-*.sh; do
	# shellcheck source=/dev/null
	. "$f"
done

[ "$(id -u)" -eq 0 ] || die "run as root (systemd-nspawn and nsenter need it)"
# One container (pi-e2e) at a time on this machine: a second run waits for the first.
exec 8>/run/lock/pi-e2e.lock
flock 8
need_tools
ALL=(smoke 1 2 3 4 5 6 idmap roots envquote install nss deb tui projcfg oldns network check resources latency)
want=("$@")
[ ${#want[@]} -gt 0 ] || want=("${ALL[@]}")
for w in "${want[@]}"; do
	declare -F "scenario_$w" >/dev/null || die "unknown scenario '$w' (known: ${ALL[*]})"
done

on_exit() {
	local rc=$?
	if [ "$rc" -ne 0 ] || [ "$E2E_FAIL" -gt 0 ]; then
		[ -n "$CPID" ] && { log "container journal (tail):"; container_journal 80; }
	fi
	container_stop
	exit "$rc"
}
trap on_exit EXIT
trap 'log "aborted: ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND"' ERR
trap 'exit 130' INT TERM HUP

mkdir -p "$E2E_DIR"
timings=()
t=$(now_ms); rootfs_ensure; timings+=("rootfs $(($(now_ms) - t)) ms")
if [[ " ${want[*]} " == *" 2 "* || " ${want[*]} " == *" idmap "* || " ${want[*]} " == *" tui "* || " ${want[*]} " == *" latency "* ||
	" ${want[*]} " == *" projcfg "* || " ${want[*]} " == *" network "* || " ${want[*]} " == *" check "* ]]; then
	t=$(now_ms); agent_ensure; timings+=("agent-install $(($(now_ms) - t)) ms")
fi
if [[ " ${want[*]} " == *" projcfg "* || " ${want[*]} " == *" network "* ]]; then
	t=$(now_ms); agent16_ensure; timings+=("agent-1.6.0-install $(($(now_ms) - t)) ms")
fi
if [[ " ${want[*]} " == *" install "* ]]; then
	t=$(now_ms); install_cache_ensure; timings+=("install-cache $(($(now_ms) - t)) ms")
fi
t=$(now_ms); container_boot; timings+=("boot $(($(now_ms) - t)) ms")
t=$(now_ms); world_setup; write_config /opt/fake-agent; timings+=("setup $(($(now_ms) - t)) ms")
have_launcher || log "build/pi is missing: launcher cases will fail (run make release)"

for w in "${want[@]}"; do
	printf -- '--- scenario %s\n' "$w"
	E2E_SCN_CURSOR=$(journal_cursor)
	t=$(now_ms)
	"scenario_$w"
	timings+=("scenario-$w $(($(now_ms) - t)) ms")
done
for x in "${timings[@]}"; do log "time: $x"; done
summary || exit 1
