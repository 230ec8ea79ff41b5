# scenario-deb.sh - make deb's package: lintian clean; dpkg -i on a fresh container, a launch, README's setup word for word, dpkg --purge leaves nothing.
# shellcheck shell=bash disable=SC2016

SD_PROJ=/home/alice/p/proj
# What a launch or the package's tools touch that is not the package's: sudo's and systemd's own
# state, logs, dpkg's bookkeeping, apt's caches, the users' homes (their projects).
SD_PRUNE='/proc /sys /dev /tmp /var/tmp /home /root /run/user /run/systemd /run/sudo /run/log
	/run/dbus /run/lock /var/log /var/lib/systemd /var/lib/sudo /var/lib/dpkg /var/cache
	/var/lib/apt /run/mount /run/udev'

scenario_deb() {
	local debs deb
	debs=("$E2E_BUILD"/pi-agent-launcher_*.deb)
	deb=${debs[-1]}
	if [ ! -f "$deb" ]; then
		fail "deb: build/pi-agent-launcher_*.deb is missing (make deb)"
		return 0
	fi
	sd_lintian "$deb"
	fresh_container
	sd_world
	sd_snapshot >"$E2E_DIR/deb-before.txt"
	check "deb: dpkg -i installs it" ctr dpkg -i "$C_BUILD/${deb##*/}"
	sd_installed
	sd_launch
	sd_readme_setup
	check "deb: dpkg --purge removes it" ctr dpkg --purge pi-agent-launcher
	# the admin's own config and sudo rule (not the package's) go with the admin
	ctr rm -rf /etc/pi-agent /etc/sudoers.d/pi-agent
	sd_snapshot >"$E2E_DIR/deb-after.txt"
	check_eq "deb: nothing is left behind (files, dirs, modes, owners, accounts, sudoers)" "" \
		"$(diff "$E2E_DIR/deb-before.txt" "$E2E_DIR/deb-after.txt")"
	fresh_world
}

sd_lintian() {
	if ! command -v lintian >/dev/null; then
		fail "deb: lintian is missing on the host (tests/deps.sh e2e installs it)"
		return 0
	fi
	local out rc=0
	out=$(tmo 300 lintian -EIL +pedantic --fail-on error,warning,info "$1" 2>&1) || rc=$?
	check_eq "deb: lintian reports nothing (errors, warnings, info, pedantic)" "0:" \
		"$rc:$(sed '/running with root privileges/d' <<<"$out")"
}

# sd_world: what the admin has before installing: the agent account, alice with a project, an
# agent; dpkg installs manuals and docs again (the rootfs excludes them).
sd_world() {
	ctr bash -euo pipefail -c '
		rm -f /etc/dpkg/dpkg.cfg.d/99mmdebstrap
		printf "127.0.1.1 %s\n" "$(hostname)" >>/etc/hosts
		groupadd --system pi-agent
		useradd --system -g pi-agent -d /var/empty -s /usr/sbin/nologin pi-agent
		useradd --create-home --shell /bin/bash alice
		install -d -o alice -g alice /home/alice/p '"$SD_PROJ"'
		install -D -m 0755 '"$C_SRC"'/fake-agent.sh /opt/fake-agent/bin/pi
		install -D -m 0755 '"$C_SRC"'/fake-agent.sh /opt/pi/bin/pi
	'
}

# sd_snapshot: every path outside SD_PRUNE with type, mode and owner, and the account databases.
sd_snapshot() {
	local prune=() p
	for p in $SD_PRUNE; do prune+=(-path "$p" -o); done
	ctr find / /run -xdev \( "${prune[@]}" -false \) -prune -o -printf '%p %y %m %u:%g\n' | sort -u
	ctr sha256sum /etc/passwd /etc/group /etc/shadow /etc/gshadow
	ctr bash -c 'cat /etc/sudoers.d/* 2>/dev/null | sha256sum'
}

sd_installed() {
	local st
	check "deb: /usr/bin/pi-runner is the binary" ctr test "$(ctr readlink -f /usr/bin/pi-runner)" = /usr/bin/pi
	check "deb: its man pages are installed" ctr test -s /usr/share/man/man8/pi-runner.8.gz
	check_eq "deb: pi-runner(8) gives the sudo rule for the package's runner" \
		"alice,bob ALL=(root) NOPASSWD: /usr/bin/pi-runner" \
		"$(ctr bash -c 'zcat /usr/share/man/man8/pi-runner.8.gz | grep NOPASSWD')"
	check_eq "deb: no manual page names another runner path" "" \
		"$(ctr bash -c 'zcat /usr/share/man/man[18]/pi*.gz | grep bin/pi-runner | grep -v /usr/bin/pi-runner || true')"
	check "deb: the example config is a valid config" ctr /usr/bin/pi-runner --check --offline \
		/usr/share/doc/pi-agent-launcher/examples/config.json
	check "deb: no active config is installed" ctr test ! -e /etc/pi-agent/config.json
	st=$(ctr stat -c '%U:%a' /var/lib/pi-agent /var/lib/pi-agent/users /run/pi-agent | tr '\n' ' ')
	check_eq "deb: state and runtime directories (tmpfiles.d)" "root:755 root:711 root:700 " "$st"
	check "deb: the sudoers drop-in is visudo clean" ctr visudo -c
	check_eq "deb: the sudoers drop-in grants nothing until edited" "" \
		"$(ctr sed '/^#/d' /etc/sudoers.d/pi-agent-launcher)"
}

sd_launch() {
	ctr bash -c 'umask 022; install -d /etc/pi-agent; cat >/etc/pi-agent/config.json' <<'JSON'
{
  "package": "/opt/fake-agent",
  "hostUsers": { "alice": { "projectRoots": ["~/p"] } }
}
JSON
	local rule='"alice ALL=(root) NOPASSWD: /usr/bin/pi-runner" to /etc/sudoers.d/pi-agent-launcher (visudo -f /etc/sudoers.d/pi-agent-launcher)'
	local out rc=0
	out=$(ctr /usr/bin/pi-runner --check 2>&1) || rc=$?
	check_eq "deb: before the drop-in is edited, --check fails" 1 "$rc"
	check_has "deb: --check names alice's missing rule and the package's drop-in" "$out" \
		"hostUsers.alice: no sudo rule lets alice run /usr/bin/pi-runner without a password: add $rule"
	run_as alice "cd $SD_PROJ && /usr/bin/pi --quiet"
	check_ne "deb: before the drop-in is edited, the launch is refused" 0 "$RC"
	check_has "deb: refused by sudo" "$ERR" "sudo: a password is required"
	# alice has no sudo rule at all: sudo asks a password even for her own listing
	check_has "deb: pi names the rule and the drop-in" "$ERR" \
		"pi: a password is required for sudo -l, so no sudo rule seems to let alice run /usr/bin/pi-runner without one: ask an admin to add $rule"
	ctr sed -i 's|^#alice,bob ALL=|alice ALL=|' /etc/sudoers.d/pi-agent-launcher
	check "deb: the edited drop-in is visudo clean" ctr visudo -c
	check "deb: --check accepts the admin's config and the rule" ctr /usr/bin/pi-runner --check
	run_as alice "cd $SD_PROJ && /usr/bin/pi"
	check_eq "deb: alice's launch exits 0" 0 "$RC"
	check_eq "deb: the agent runs as pi-agent" pi-agent "$(field user "$OUT")"
	check_eq "deb: in alice's project" "$SD_PROJ" "$(field cwd "$OUT")"
	check "deb: the agent home was made" ctr test -d /var/lib/pi-agent/users/alice/.pi/agent
}

# sd_readme_setup: README's setup block word for word after dpkg -i (the package made the state
# directory, the account exists): it runs, its rule names the package's runner, alice launches.
sd_readme_setup() {
	local rc=0
	ctr bash -euo pipefail -c "$(readme_block install-setup)" >"$E2E_DIR/deb-setup.log" 2>&1 || rc=$?
	check_eq "deb: README's setup runs word for word after dpkg -i (log: $E2E_DIR/deb-setup.log)" 0 "$rc"
	check_eq "deb: its sudo rule names the package's runner" \
		"alice ALL=(root) NOPASSWD: /usr/bin/pi-runner" "$(ctr cat /etc/sudoers.d/pi-agent)"
	ctr sed -i 's|^alice ALL=|#alice,bob ALL=|' /etc/sudoers.d/pi-agent-launcher
	run_as alice "cd $SD_PROJ && pi"
	check_eq "deb: alice's launch through README's rule exits 0" 0 "$RC"
	check_eq "deb: the agent runs in alice's project" "$SD_PROJ" "$(field cwd "$OUT")"
}

# fresh_container: a new boot of the rootfs (the overlay starts empty: nothing of earlier scenarios).
fresh_container() {
	container_stop
	container_boot
}

# fresh_world: a new boot with the world the other scenarios expect.
fresh_world() {
	fresh_container
	world_setup
	write_config /opt/fake-agent
}
