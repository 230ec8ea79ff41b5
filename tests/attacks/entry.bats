#!/usr/bin/env bats
# entry.bats - every way into the binary, tried as a host user through real sudo and as root itself: no name or flag runs a program with root's powers, writes outside its places, listens or hangs.

bats_require_minimum_version 1.5.0

setup() {
	load atk
	atk_setup
	RUNNER=$FIX/bin/pi-runner
	export M=$V/open/ran-as-root             # what a program run by the binary would write
	chmod 0777 "$V/open"
	WATCH=(/etc/shadow /etc/sudoers "$SUDOERS" "$V" "$B" "$(home_of pitest-carol)")
	watch_now
}

teardown() {
	if [ -e /etc/doas.conf.pitest ]; then
		rm -f /etc/doas.conf /etc/doas.conf.pitest
		[ ! -e /etc/doas.conf.pitest-saved ] || mv /etc/doas.conf.pitest-saved /etc/doas.conf
	fi
}

# The names the binary answers to (from the built binary, so a new one is covered without
# editing this file), the configured ones, and some made up.
names() {
	{ strings "$PI_BUILD/pi" | grep -xE 'pi(-[a-z]+)+'; echo m3ta-pi-agent-runner;
	  printf '%s\n' pi pi-runner pi-merge pi-init pi-agent pi-runner-x pi-shell; } | LC_ALL=C sort -u
}

# Every flag string the binary contains, and some made up, one per line ('' for none).
flags() {
	{ echo; strings "$PI_BUILD/pi" | grep -xE -- '--[a-z][a-z-]+';
	  printf '%s\n' --agent-init --proxy --init --exec --run --shell --internal "--suspend=$V/dir" \
		--debug --unit --fd --listen --user --allow; } | LC_ALL=C sort -u
}

# The listening TCP and UDP sockets of the machine: none may appear.
listeners() { awk 'FNR > 1 && ($4 == "0A" || FILENAME ~ /udp/) { print FILENAME, $2 }' \
	/proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 | LC_ALL=C sort; }

# tried: bats' run result of one attempt: it ended (no hang), did not crash, ran nothing.
tried() {
	no_crash
	[ "$status" -ne 124 ] || { echo "hung: $*" >&2; return 1; }
	[ ! -e "$M" ] || { echo "ran a program as uid $(cat "$M"): $*" >&2; rm -f "$M"; return 1; }
}

# Nothing root could be turned to write changed since $1 (a file touched at the start): the
# system's configuration, the homes, what is on PATH or run by cron, and the victims; the
# runtime and state paths are the runner's own. (A package installed meanwhile on the same
# machine would show up here: the suites expect a quiet machine, as CI's.)
nothing_written_since() {
	local found
	found=$(find /etc /root/.ssh /home /usr /opt /srv /var/spool/cron "$V" -xdev \
		-newer "$1" -print 2>/dev/null | grep -v -x -e "$V" -e "$V/open" | head -20)
	[ -z "$found" ] || { echo "written: $found" >&2; return 1; }
	# the mark of a Ctrl-Z, wherever a --suspend= could have pointed root
	found=$(find / -xdev -name .pi-agent-suspended -print 2>/dev/null | head -5)
	[ -z "$found" ] || { echo "marked: $found" >&2; return 1; }
	unchanged
	[ ! -e "$M" ]
}

@test "the root shell of the issue: sudo pi-runner --agent-init /usr/bin/id runs nothing" {
	run atk_as pitest-alice "$A/p" sudo -n "$RUNNER" --agent-init /usr/bin/id
	tried
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == "Usage: pi-runner "* ]]
	[[ "$output" != *"uid=0"* ]]
	run atk_as pitest-alice "$A/p" sudo -n "$RUNNER" --agent-init --suspend="$V/open" /bin/sh -c 'kill -STOP $$'
	tried
	[ "$status" -eq 2 ]
	[ "$(nlaunches)" -eq 0 ]
	unchanged
}

@test "through sudo, every flag of the binary and made-up ones, alone or around a launch, run nothing as root" {
	local f n=0 stamp=$BATS_TEST_TMPDIR/stamp ports
	ports=$(listeners)
	touch "$stamp"
	while IFS= read -r f; do
		for pre in "" "--suspend=$V/open" pitest-alice "pitest-alice $A/p"; do
			# shellcheck disable=SC2086 # $pre is zero, one or two words
			T=10 run atk_as pitest-alice "$A/p" sudo -n "$RUNNER" $f $pre /bin/sh -c "id -u >$M"
			tried "$f $pre"
			n=$((n + 1))
		done
	done < <(flags)
	[ "$n" -gt 60 ]
	nothing_written_since "$stamp"
	[ "$(listeners)" = "$ports" ]
}

@test "through sudo, no other name of the binary is reachable: not its links, not one alice makes" {
	local name mine=$FIX/alice-links
	install -d -o pitest-alice -m 0755 "$mine"
	while IFS= read -r name; do
		[ "$name" = pi-runner ] && continue
		atk_as pitest-alice / ln -sf "$FIX/bin/pi" "$mine/$name"
		T=10 run atk_as pitest-alice "$A/p" sudo -n "$mine/$name" /bin/sh -c "id -u >$M"
		tried "$name"
		[[ "$output" == *"a password is required"* ]]
		[ ! -e "$FIX/bin/$name" ] || {
			T=10 run atk_as pitest-alice "$A/p" sudo -n "$FIX/bin/$name" /bin/sh -c "id -u >$M"
			tried "$FIX/bin/$name"
			[[ "$output" == *"a password is required"* ]]
		}
	done < <(names)
	[ "$(nlaunches)" -eq 0 ]
	unchanged
}

@test "as root itself, every name with every flag runs no program, and the never-root names refuse root first" {
	local name f stamp=$BATS_TEST_TMPDIR/stamp ports d=$BATS_TEST_TMPDIR/names
	ports=$(listeners)
	install -d "$d"
	touch "$stamp"
	while IFS= read -r name; do
		ln -sf "$FIX/bin/pi" "$d/$name"
		while IFS= read -r f; do
			# shellcheck disable=SC2086 # $f is empty or one word
			T=10 run timeout -k 2 5 env -i PATH=/usr/bin:/bin "$d/$name" $f /bin/sh -c "id -u >$M" \
				</dev/null
			tried "$name $f"
		done < <(flags)
	done < <(names)
	for name in pi-agent-init pi-proxy; do
		run "$d/$name" /bin/sh -c "id -u >$M"
		tried "$name"
		[ "$status" -eq 1 ]
		[[ "$output" == "$name: refuses to run with root's powers (uid 0, euid 0, saved uid 0)"* ]]
	done
	run "$d/pi" --version
	[ "$status" -eq 1 ]
	[[ "$output" == "pi: must not run as root"* ]]
	# sudo-rs runs a rule's command under the name the caller typed (any link to it): each
	# name again as root with alice's SUDO_UID, as it would hand them
	while IFS= read -r name; do
		T=10 run timeout -k 2 5 env -i PATH=/usr/bin:/bin SUDO_UID="$(id -u pitest-alice)" \
			"$d/$name" /bin/sh -c "id -u >$M" </dev/null
		tried "sudo-rs $name"
		[ "$(nlaunches)" -eq 0 ]
	done < <(names)
	nothing_written_since "$stamp"
	[ "$(listeners)" = "$ports" ]
}

@test "a few thousand random command lines through sudo exec nothing as root but a valid launch's systemd-run" {
	local n=${PI_ATK_ARGV_RUNS:-2000}
	grep -qa __asan_init "$PI_BUILD/pi" && n=${PI_ATK_ARGV_RUNS_ASAN:-400}
	# a systemd-run and a systemctl that exec nothing: every exec under the runner is its own
	install -d "$FIX/prop"
	install -m 0755 /bin/true "$FIX/prop/systemd-run"
	install -m 0755 /bin/true "$FIX/prop/systemctl"
	install -m 0755 /bin/true "$FIX/prop/marker"
	write_config "{\"systemdRunPath\": \"$FIX/prop/systemd-run\"}"
	export FIX V
	T=900 run timeout 900 python3 "$ATK/argvprop.py" "$n" "$PI_BUILD/pi" "$PI_TOP/build/execrec"
	echo "$output" | tail -5
	echo "# ${lines[-1]}" >&3
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" == "argvprop: $n command lines, "*" valid launches, every exec as expected" ]]
}

@test "the caller is the one sudo names: SUDO_UID forged through an unknown tool or another's variable is refused" {
	local alice_uid
	alice_uid=$(id -u pitest-alice)
	# root's own shell may name anyone
	run env -i PATH=/usr/bin:/bin "$RUNNER" pitest-bob "$B/p"
	[ "$status" -eq 0 ]
	# a login session of alice's (an elevation tool the runner does not know keeps it): she is
	# the caller, whatever the command line names
	rm -rf "${REC:?}/launch"/*
	run sh -c "echo $alice_uid >/proc/self/loginuid && exec env -i PATH=/usr/bin:/bin '$RUNNER' pitest-bob '$B/p'"
	[ "$status" -eq 1 ]
	[ "$output" = "Denied: user argument 'pitest-bob' does not match the invoking user 'pitest-alice'." ]
	# a doas variable where sudoPath is sudo: refused, whatever SUDO_UID says
	run env -i PATH=/usr/bin:/bin DOAS_USER=pitest-bob SUDO_UID="$(id -u pitest-bob)" "$RUNNER" pitest-bob "$B/p"
	[ "$status" -eq 1 ]
	[[ "$output" == "pi-runner: refused: cannot tell who called: DOAS_USER is set: run through doas, but sudoPath is "* ]]
	run env -i PATH=/usr/bin:/bin PKEXEC_UID="$alice_uid" "$RUNNER" pitest-bob "$B/p"
	[ "$status" -eq 1 ]
	[[ "$output" == *"PKEXEC_UID is set: run through pkexec"* ]]
	[ "$(nlaunches)" -eq 0 ]
	unchanged
}

@test "a sudoPath the runner cannot learn its caller from is refused by pi, the runner and --check" {
	write_config '{"sudoPath": "/usr/bin/env"}'
	run atk_as pitest-alice "$A/p" pi
	[ "$status" -eq 1 ]
	[[ "$output" == *"sudoPath /usr/bin/env is not a tool the runner can learn its caller from (sudo, sudo-rs or doas)"* ]]
	run env -i PATH=/usr/bin:/bin "$RUNNER" pitest-alice "$A/p"
	[ "$status" -eq 1 ]
	[[ "$output" == *"sudoPath /usr/bin/env is not a tool the runner can learn its caller from"* ]]
	run "$RUNNER" --check
	[ "$status" -eq 1 ]
	[[ "$output" == *"sudoPath: /usr/bin/env is not a tool the runner can learn its caller from: use sudo, sudo-rs or doas"* ]]
	[ "$(nlaunches)" -eq 0 ]
	unchanged
}

# use_doas: doas as the elevation tool, with the rule the issue used, alice's own.
use_doas() {
	command -v doas >/dev/null || skip "opendoas is not installed"
	[ ! -e /etc/doas.conf ] || mv /etc/doas.conf /etc/doas.conf.pitest-saved
	printf 'permit nopass %s as root cmd %s\n' "$1" "$RUNNER" >/etc/doas.conf
	chmod 0600 /etc/doas.conf
	touch /etc/doas.conf.pitest
	write_config "{\"sudoPath\": \"$(command -v doas)\"}"
}

@test "through doas, the caller is DOAS_USER: alice cannot launch for bob, and pi works" {
	use_doas "pitest-alice"
	run atk_as pitest-alice "$A/p" doas -n "$RUNNER" pitest-bob "$B/p"
	[ "$status" -eq 1 ]
	[ "$output" = "Denied: user argument 'pitest-bob' does not match the invoking user 'pitest-alice'." ]
	run atk_as pitest-alice "$A/p" env SUDO_UID="$(id -u pitest-bob)" doas -n "$RUNNER" pitest-bob "$B/p"
	[ "$status" -eq 1 ]
	[ "$(nlaunches)" -eq 0 ]
	run atk_as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	[ "$(nlaunches)" -eq 1 ]
	grep -qx -- "PI_AGENT_INVOKING_USER=pitest-alice" < <(argv_lines)
	rm /etc/doas.conf
}

@test "through doas with keepenv, alice's own SUDO_UID and PI_AGENT_CONFIG convince nothing" {
	use_doas "pitest-alice"
	printf 'permit nopass keepenv pitest-alice as root cmd %s\n' "$RUNNER" >/etc/doas.conf
	echo '{"package": "/nonexistent"}' >"$BATS_TEST_TMPDIR/evil.json"
	run atk_as pitest-alice "$A/p" env SUDO_UID="$(id -u pitest-bob)" doas -n "$RUNNER" pitest-bob "$B/p"
	[ "$status" -eq 1 ]
	[[ "$output" == *"SUDO_UID is set: run through sudo, but sudoPath is"* ]]
	run atk_as pitest-alice "$A/p" env PI_AGENT_CONFIG="$BATS_TEST_TMPDIR/evil.json" doas -n "$RUNNER" pitest-bob "$B/p"
	[ "$status" -eq 1 ]
	[ "$output" = "Denied: user argument 'pitest-bob' does not match the invoking user 'pitest-alice'." ]
	[ "$(nlaunches)" -eq 0 ]
	rm /etc/doas.conf
	unchanged
}

@test "names that reach a sudoers line or a path are refused at load, naming the key" {
	write_config '{"wrapper": {"runnerName": "runner, ALL"}}'
	run "$RUNNER" --check
	[ "$status" -eq 1 ]
	[[ "$output" == *"wrapper.runnerName: must be a plain file name of letters, digits"* ]]
	write_config '{"wrapper": {"commandName": "pi-agent-init"}}'
	run "$RUNNER" --check
	[ "$status" -eq 1 ]
	[[ "$output" == *"wrapper.commandName: 'pi-agent-init' is a name the launcher answers to itself"* ]]
	write_config '{"wrapper": {"runnerName": "pi-proxy"}}'
	run "$RUNNER" --check
	[ "$status" -eq 1 ]
	[[ "$output" == *"wrapper.runnerName: 'pi-proxy' is a name the launcher answers to itself"* ]]
}

@test "a sudo rule with SETENV lets alice set SUDO_UID: the runner sees sudo's own process is hers, and refuses" {
	printf 'pitest-alice ALL=(root) NOPASSWD:SETENV: %s\n' "$RUNNER" >"$SUDOERS-setenv"
	chmod 0440 "$SUDOERS-setenv"
	run atk_as pitest-alice "$A/p" sudo -n SUDO_UID="$(id -u pitest-bob)" "$RUNNER" pitest-bob "$B/p"
	rm -f "$SUDOERS-setenv"
	refused
	[[ "$output" == *"cannot tell who called: SUDO_UID names pitest-bob, but the process that started the runner is pitest-alice's"* ]]
}

@test "no name of a binary installed setuid runs: pi-merge would write as root" {
	local d=$FIX/suid
	install -d -m 0755 "$d"
	install -m 4755 "$FIX/bin/pi" "$d/pi"
	ln -s pi "$d/pi-merge"
	ln -s pi "$d/pi-runner"
	echo '{}' >"$FIX/base.json"
	chmod 0644 "$FIX/base.json"
	run atk_as pitest-alice "$A/p" "$d/pi-merge" "$FIX/base.json" "$FIX/base.json" -o /etc/pitest-pwned.json
	[ "$status" -eq 1 ]
	[[ "$output" == "pi-merge: must not be installed setuid or setgid"* ]]
	[ ! -e /etc/pitest-pwned.json ]
	run atk_as pitest-alice "$A/p" "$d/pi-runner" --check
	[ "$status" -eq 1 ]
	[[ "$output" == "pi-runner: must not be installed setuid or setgid"* ]]
	rm -rf "$d"
}

@test "a pi-agent-init beside the runner that is not the runner's own file fails the launch" {
	rm "$FIX/bin/pi-agent-init"
	install -m 0755 "$FIX/bin/pi" "$FIX/bin/pi-agent-init"     # a copy: another inode
	run pi_as pitest-alice "$A/p"
	refused
	[[ "$output" == *"pi-runner: cannot use $FIX/bin/pi-agent-init as the unit's main process: it is not this binary"* ]]
	rm "$FIX/bin/pi-agent-init"
	run pi_as pitest-alice "$A/p"
	refused
	[[ "$output" == *"cannot use $FIX/bin/pi-agent-init as the unit's main process: No such file or directory"* ]]
	ln -s pi "$FIX/bin/pi-agent-init"
}
