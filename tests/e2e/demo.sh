#!/usr/bin/env bash
# demo.sh - `make demo`: boots the e2e container, launches the fake agent through pi as alice, shows what it sees.
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || die "run as root (systemd-nspawn and nsenter need it)"
need_tools

trap container_stop EXIT
trap 'exit 130' INT TERM HUP
[ -n "${E2E_NO_BUILD:-}" ] || tmo 600 make -C "$E2E_REPO" --no-print-directory release >&2
have_launcher || die "build/pi is missing"

step() { printf '\n== %s\n' "$*"; }
step "rootfs (cached under ${E2E_DIR#"$E2E_REPO"/})"
rootfs_ensure
echo "$ROOTFS"
step "booting a Debian container with systemd"
t=$(now_ms)
container_boot
echo "booted in $(($(now_ms) - t)) ms: $(ctr systemctl is-system-running || true)"
step "host users alice, bob (configured) and carol; agent account pi-agent; project group piproj"
world_setup
write_config /opt/fake-agent
ctr sed -n '1,12p' /etc/pi-agent/config.json
echo "  …"

proj=/home/alice/p/proj-alice
probes="--see /home/alice/secret.txt --see /home/bob --see /root --see /var/lib/pi-agent/users/bob"
probes+=" --write /etc --write $proj --make hello-from-agent.txt --exit 0"
step "alice runs, in $proj:  pi $probes"
t=$(now_ms)
rc=0
as alice "cd $proj && pi $probes" 2>&1 || rc=$?
echo "(pi exited $rc after $(($(now_ms) - t)) ms)"

step "what alice sees afterwards in her project"
as alice "ls -l $proj" 2>&1
step "what carol (not configured) gets"
as carol 'mkdir -p ~/p && cd ~/p && pi' 2>&1 || true
step "what alice gets outside her roots"
as alice 'cd /tmp && pi' 2>&1 || true
exit "$rc"
