#!/usr/bin/env bash
# demo.sh - `make demo`: boots the e2e container, runs the real pi agent through the launcher as alice against a scripted local model, shows what happened.
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=scenario-2.sh
. "$E2E_SRC/scenario-2.sh" # the scripted model's config for alice (s2_user_config)
[ "$(id -u)" -eq 0 ] || die "run as root (systemd-nspawn and nsenter need it)"
need_tools

trap container_stop EXIT
trap 'exit 130' INT TERM HUP
[ -n "${E2E_NO_BUILD:-}" ] || tmo 600 make -C "$E2E_REPO" --no-print-directory release >&2
have_launcher || die "build/pi is missing"

t0=$(now_ms)
step() { printf '\n== %s\n' "$*"; }
step "rootfs (cached under ${E2E_DIR#"$E2E_REPO"/})"
rootfs_ensure
echo "$ROOTFS"
step "the real agent: $E2E_AGENT_SPEC (installed once with npm, cached)"
agent_ensure
echo "$E2E_DIR/agent"
step "booting a Debian container with systemd"
t=$(now_ms)
container_boot
echo "booted in $(($(now_ms) - t)) ms: $(ctr systemctl is-system-running || true), $(ctr systemctl --version | head -n1)"
step "host users alice, bob (configured) and carol; agent account pi-agent; project group piproj"
world_setup
write_config /opt/pi-real
ctr sed -n '1,12p' /etc/pi-agent/config.json
echo "  …"

step "a scripted model on the container's own loopback (tests/e2e/mock-llm.js), no network"
ctr systemd-run --quiet --unit=e2e-mock-llm --collect -p DynamicUser=yes \
	-p RuntimeDirectory=e2e-mock -p RuntimeDirectoryPreserve=yes \
	"$C_NODE/bin/node" "$C_SRC/mock-llm.js" "$S2_PORT" /run/e2e-mock/requests.log 120
poll 15 ctr bash -c "exec 3<>/dev/tcp/127.0.0.1/$S2_PORT" 2>/dev/null || die "the scripted model did not start"
s2_user_config alice
echo "listening on 127.0.0.1:$S2_PORT; alice's ~/.pi/agent/models.json points pi at it"

proj=/home/alice/p/proj-alice
cursor=$(journal_cursor)
step "alice runs, in $proj:  pi -p --no-session '$S2_PROMPT'"
t=$(now_ms)
rc=0
as alice "cd $proj && pi -p --no-session '$S2_PROMPT'" 2>&1 || rc=$?
echo "(pi exited $rc after $(($(now_ms) - t)) ms)"

step "what the model had the agent do: $(ctr wc -l </dev/null /run/e2e-mock/requests.log | cut -d' ' -f1) requests"
echo "1. its write tool made e2e-written.txt; 2. its bash tool ran '{ id -un; pwd; } > e2e-bash.txt'; 3. its final answer"
step "what alice finds in her project"
as alice "ls -l $proj" 2>&1
printf 'e2e-written.txt: %s\n' "$(ctr cat "$proj/e2e-written.txt" 2>&1)"
printf 'e2e-bash.txt:    %s   (the bash tool ran as the agent account, in alice'\''s real path)\n' \
	"$(ctr cat "$proj/e2e-bash.txt" 2>&1 | paste -sd ' ')"
step "what systemd and the audit log saw"
ctr journalctl -q --after-cursor="$cursor" -o short-monotonic | grep -E ' (pi-runner|systemd)\[[0-9]+\]: ' |
	grep -E 'pi-agent-alice-[0-9a-f]+\.service|: (launch|end) ' || true
echo "(the unit's description names the user and the directory, never the prompt)"

step "what carol (not configured) gets"
as carol 'mkdir -p ~/p && cd ~/p && pi' 2>&1 || true
step "what alice gets outside her roots"
as alice 'cd /tmp && pi' 2>&1 || true
ctr systemctl stop e2e-mock-llm.service 2>/dev/null || true
step "done in $(($(now_ms) - t0)) ms (after the build)"
exit "$rc"
