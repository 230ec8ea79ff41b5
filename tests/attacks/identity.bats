#!/usr/bin/env bats
# identity.bats - attacks on who the runner believes it serves: another user named under sudo, forged SUDO_* variables, vanished and odd user names.

bats_require_minimum_version 1.5.0

setup() {
	load atk
	atk_setup
}

teardown() {
	userdel -r pitest-y 2>/dev/null || true
	userdel -r pitest-y.host 2>/dev/null || true
	userdel -r pitest-newbie 2>/dev/null || true
	userdel -r pitest-ghost 2>/dev/null || true
	rm -f "$SUDOERS-ghost" "$SUDOERS-y"
}

# bob's agent state exists (one launch of his own) and is watched from now on.
bob_has_state() {
	run pi_as pitest-bob "$B/p"
	[ "$status" -eq 0 ]
	rm -rf "${REC:?}/launch"/*
	WATCH+=("$STATE/users/pitest-bob" "$RUNTIME/pitest-bob.env")
	watch_now
}

@test "alice naming bob as the runner's user under sudo is denied, bob's state untouched" {
	bob_has_state
	run atk_as pitest-alice "$A/p" sudo -n "$FIX/bin/pi-runner" pitest-bob "$B/p"
	refused
	[ "$output" = "Denied: user argument 'pitest-bob' does not match the invoking user 'pitest-alice'." ]
	run atk_as pitest-alice "$A/p" sudo -n "$FIX/bin/pi-runner" --explain pitest-bob "$B/p"
	refused
	[[ "$output" != *"$STATE/users/pitest-bob"* ]]
}

@test "SUDO_UID and SUDO_USER set by alice herself do not make the runner run" {
	bob_has_state
	run atk_as pitest-alice "$A/p" env SUDO_UID=0 SUDO_GID=0 SUDO_USER=root \
		"$FIX/bin/pi-runner" pitest-bob "$B/p"
	refused
	[ "$output" = "pi-runner must run as root" ]
}

@test "SUDO_UID of bob in alice's environment does not survive sudo" {
	bob_has_state
	run atk_as pitest-alice "$A/p" env SUDO_UID="$(id -u pitest-bob)" SUDO_USER=pitest-bob \
		sudo -n "$FIX/bin/pi-runner" pitest-bob "$B/p"
	refused
	[ "$output" = "Denied: user argument 'pitest-bob' does not match the invoking user 'pitest-alice'." ]
}

@test "sudo will not let alice set or keep SUDO_UID or PI_AGENT_CONFIG for the runner" {
	bob_has_state
	run atk_as pitest-alice "$A/p" sudo -n SUDO_UID=0 "$FIX/bin/pi-runner" pitest-bob "$B/p"
	refused
	run atk_as pitest-alice "$A/p" env SUDO_UID=0 sudo -n -E "$FIX/bin/pi-runner" pitest-bob "$B/p"
	refused
	run atk_as pitest-alice "$A/p" env SUDO_UID=0 PI_AGENT_CONFIG="$A/evil.json" \
		sudo -n --preserve-env=SUDO_UID,PI_AGENT_CONFIG "$FIX/bin/pi-runner" pitest-bob "$B/p"
	refused
}

@test "alice's own PI_AGENT_CONFIG convinces pi, never the runner" {
	python3 - "$CONF" "$A/evil.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["user"] = "root"
c["hostUsers"]["pitest-alice"]["projectRoots"] = ["/home"]
json.dump(c, open(sys.argv[2], "w"))
PY
	chown pitest-alice "$A/evil.json"
	run atk_as pitest-alice /etc env PI_AGENT_CONFIG="$A/evil.json" pi
	refused
	[[ "${lines[0]}" == "Denied: '/etc' is outside allowed project roots for user 'pitest-alice'." ]]
	run atk_as pitest-alice "$A/p" env PI_AGENT_CONFIG="$A/evil.json" pi
	launched
	[ "$(prop User)" = pitest-agent ]
	[ "$(binds | grep -cx /home)" = 0 ]
}

@test "a configured user that does not exist is refused, even when root names it" {
	write_config '{"hostUsers": {"pitest-ghost": {"projectRoots": ["/tmp"]}}}'
	run timeout 30 "$FIX/bin/pi-runner" pitest-ghost /tmp
	refused
	[ "$output" = "Unable to determine home directory for user 'pitest-ghost'" ]
	[ ! -e "$STATE/users/pitest-ghost" ]
}

@test "a deleted user's uid given to a new account reaches neither the old name nor its state" {
	useradd -m -s /bin/sh pitest-ghost
	install -d -o pitest-ghost -g pitest-ghost "$(home_of pitest-ghost)/p"
	write_config '{"hostUsers": {"pitest-ghost": {"projectRoots": ["~/p"]}}}'
	printf 'pitest-ghost,pitest-newbie ALL=(root) NOPASSWD: %s\n' "$FIX/bin/pi-runner" >"$SUDOERS-ghost"
	chmod 0440 "$SUDOERS-ghost"
	G=$(home_of pitest-ghost)
	run pi_as pitest-ghost "$G/p"
	rm -rf "${REC:?}/launch"/*
	[ "$status" -eq 0 ]
	uid=$(id -u pitest-ghost)
	userdel pitest-ghost
	useradd -M -d "$G" -u "$uid" -s /bin/sh pitest-newbie
	WATCH+=("$STATE/users/pitest-ghost")
	watch_now
	run atk_as pitest-newbie "$G/p" sudo -n "$FIX/bin/pi-runner" pitest-ghost "$G/p"
	refused
	[ "$output" = "Denied: user argument 'pitest-ghost' does not match the invoking user 'pitest-newbie'." ]
	run timeout 30 "$FIX/bin/pi-runner" pitest-ghost "$G/p"
	refused
	[ "$output" = "Unable to determine home directory for user 'pitest-ghost'" ]
}

@test "an odd but valid user name ('_', '.', trailing '\$') gets its own home, env file and a valid unit name" {
	write_config "{\"hostUsers\": {\"$ODD\": {\"projectRoots\": [\"~/p\"]}}}"
	O=$(home_of "$ODD")
	run pi_as "$ODD" "$O/p"
	launched
	unit=$(basename "$(rec)")
	[[ "$unit" =~ ^pi-agent-pitest_o\.d_-[0-9a-f]{8}\.service$ ]]
	[ "$(stat -c '%U %a' "$STATE/users/$ODD")" = "pitest-agent 700" ]
	[ "$(stat -c '%U %a' "$RUNTIME/$ODD.env")" = "root 600" ]
	argv_lines | grep -qxF "EnvironmentFile=$RUNTIME/$ODD.env.host"
	argv_lines | grep -qxF "EnvironmentFile=$RUNTIME/$ODD.env"
	[ "$(prop PI_AGENT_INVOKING_USER)" = "$ODD" ]
	[ ! -e "$STATE/users/pitest-alice" ]
}

@test "the agent account itself cannot use the sudo rule" {
	run timeout 30 runuser -u pitest-agent -- sudo -n "$FIX/bin/pi-runner" pitest-alice "$A/p"
	refused
	[[ "$output" == *"password is required"* ]]
}

@test "runner options through sudo read no other file and name no other user" {
	run atk_as pitest-alice "$A/p" sudo -n "$FIX/bin/pi-runner" --check /etc/shadow
	no_crash
	[ "$status" -eq 2 ]
	[[ "$output" != *root:* ]]
	run atk_as pitest-alice "$A/p" sudo -n "$FIX/bin/pi-runner" --check --offline "$V/root.json"
	[ "$status" -eq 2 ]
	[[ "$output" != *root-only* ]]
	run atk_as pitest-alice "$A/p" sudo -n "$FIX/bin/pi-runner" -- pitest-alice "$A/p"
	[ "$status" -eq 2 ]
	[ "$(nlaunches)" -eq 0 ]
	unchanged
}

@test "user names that extend each other ('pitest-y', 'pitest-y.host') share no runtime file" {
	local u h
	for u in pitest-y pitest-y.host; do
		useradd --badname -m -s /bin/sh "$u"
		h=$(home_of "$u")
		install -d -m 0755 -o "$u" -g "$u" "$h/p" "$h/.pi" "$h/.pi/agent"
		printf 'OWNER=%s\n' "$u" >"$h/.pi/agent/.env"
		chown "$u:" "$h/.pi/agent/.env"
	done
	printf '%s ALL=(root) NOPASSWD: %s\n' pitest-y,pitest-y.host "$FIX/bin/pi-runner" >"$SUDOERS-y"
	chmod 0440 "$SUDOERS-y"
	write_config '{"hostUsers": {"pitest-y": {"projectRoots": ["~/p"]}, "pitest-y.host": {"projectRoots": ["~/p"]}}}'
	for u in pitest-y pitest-y.host; do
		rm -rf "${REC:?}/launch"/*
		run pi_as "$u" "$(home_of "$u")/p"
		[ "$status" -eq 0 ]
		argv_lines | sed -n 's/^EnvironmentFile=//p' >"$BATS_TEST_TMPDIR/$u"
		grep -qx "OWNER=$u" "$(rec)/env"
	done
	[ -s "$BATS_TEST_TMPDIR/pitest-y" ] && [ -s "$BATS_TEST_TMPDIR/pitest-y.host" ]
	[ -z "$(comm -12 <(sort "$BATS_TEST_TMPDIR/pitest-y") <(sort "$BATS_TEST_TMPDIR/pitest-y.host"))" ]
}
