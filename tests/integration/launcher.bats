#!/usr/bin/env bats
# launcher.bats - pi and pi-runner through real sudo up to a recording systemd-run: argv, env, state, denials.

bats_require_minimum_version 1.5.0

setup() {
	load fixture
	reset_state
	A=$(home_of pitest-alice)
}

@test "a launch records the seed's properties, own-path binds and the user's args untouched" {
	run as pitest-alice "$A/p/sub" pi hello "two words" "" --pty
	[ "$status" -eq 0 ]
	argv=$(recorded_argv)
	grep -qx -- "--pipe" <<<"$argv"
	grep -qx -- "--wait" <<<"$argv"
	grep -qx -- "User=pitest-agent" <<<"$argv"
	grep -qx -- "Group=pitest-agent" <<<"$argv"
	grep -qx -- "WorkingDirectory=$A/p/sub" <<<"$argv"
	grep -qx -- "BindPaths=\"/run/pi-agent-binds/[0-9]*/0\":\"$A/p\"" <<<"$argv"
	grep -qx -- "BindPaths=\"/run/pi-agent-binds/[0-9]*/1\":\"$A/p2\"" <<<"$argv"
	grep -qx -- "BindPaths=\"/run/pi-agent-binds/[0-9]*/2\":\"$FIX/shared\"" <<<"$argv"
	grep -qx -- "$A/p sub " "$REC/binds"
	[ -z "$(ls -A /run/pi-agent-binds)" ]
	grep -qx -- "BindPaths=\"$STATE/users/pitest-alice\"" <<<"$argv"
	grep -qx -- "TemporaryFileSystem=\"$STATE\"" <<<"$argv"
	grep -qx -- "ProtectHome=tmpfs" <<<"$argv"
	grep -qx -- "HOME=$STATE/users/pitest-alice" <<<"$argv"
	grep -qx -- "PI_CODING_AGENT_DIR=$STATE/users/pitest-alice/.pi/agent" <<<"$argv"
	grep -qx -- "PI_AGENT_INVOKING_USER=pitest-alice" <<<"$argv"
	grep -qx -- "EnvironmentFile=/run/pi-agent/pitest-alice.env" <<<"$argv"
	grep -qx -- "EXTRA=1" <<<"$argv"
	! grep -q "missing" <<<"$argv"
	[ "$(recorded_args)" = "$(printf '[--from-config]\n[hello]\n[two words]\n[]\n[--pty]')" ]
	[ "$(cat "$REC/uid")" = 0 ]
}

@test "each staged root is nosuid and nodev, idmapped where its filesystem allows, and the umask follows" {
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	argv=$(recorded_argv)
	[ "$(wc -l <"$REC/mntopts")" = 3 ]
	while read -r dst opts; do
		[[ ",$opts," == *,nosuid,* && ",$opts," == *,nodev,* ]]
		if [[ "$output" == *"warning: $dst: idmapped mounts are not available here ("* ]]; then
			[[ ",$opts," != *,idmapped,* ]]
		else
			[[ ",$opts," == *,idmapped,* ]]
		fi
	done <"$REC/mntopts"
	if [[ "$output" == *"idmapped mounts are not available here"* ]]; then
		grep -qx -- "UMask=0007" <<<"$argv"
	else
		grep -qx -- "UMask=0022" <<<"$argv"
	fi
}

@test "projectAccess \"group\": the seed's UMask=0007 and projectGroup, no idmapped mount, still nosuid and nodev" {
	# the shared root is root's: group mode refuses it (rootrules.bats), so alice keeps her own
	write_config '{"projectAccess": "group", "projectGroup": "pitest-agent",
		"hostUsers": {"pitest-alice": {"projectRoots": ["~/p", "p2", "~/missing"]}}}'
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	[[ "$output" != *"idmapped mounts are not available"* ]]
	argv=$(recorded_argv)
	grep -qx -- "UMask=0007" <<<"$argv"
	grep -qx -- "SupplementaryGroups=pitest-agent" <<<"$argv"
	[ "$(wc -l <"$REC/mntopts")" = 2 ]
	while read -r dst opts; do
		[[ ",$opts," == *,nosuid,* && ",$opts," == *,nodev,* && ",$opts," != *,idmapped,* ]]
	done <"$REC/mntopts"
}

@test "the agent's exit code passes through pi" {
	echo 42 >"$REC/exit"
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 42 ]
	echo 3 >"$REC/exit"
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 3 ]
}

@test "on a terminal, the launch's warnings are said again when the agent's screen is gone" {
	run as pitest-alice "$A/p" script -qec pi /dev/null
	[ "$status" -eq 0 ]
	warn="pi-runner: warning: environment file $FIX/missing.env is missing; skipped"
	again="pi-runner:   warning: environment file $FIX/missing.env is missing; skipped"
	# once before the agent, once after it, under the heading
	[ "$(grep -c -F -- "$warn" <<<"$output")" = 1 ]
	[ "$(grep -c -F -- "$again" <<<"$output")" = 1 ]
	head=$(grep -n -F "pi-runner: before the agent started, this launch said:" <<<"$output" | cut -d: -f1)
	[ "$(grep -n -F -- "$again" <<<"$output" | cut -d: -f1)" = $((head + 1)) ]
	[ "$head" -gt "$(grep -n -F -- "$warn" <<<"$output" | cut -d: -f1)" ]
	# without a terminal nothing hid them: said once
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	[[ "$output" == *"$warn"* ]]
	[[ "$output" != *"this launch said"* ]]
}

@test "the env files are root-only and keep the seed's order: host .env, environment, environmentFiles" {
	install -d -o pitest-alice "$A/.pi" "$A/.pi/agent"
	printf 'HOST=1\nSHARED=host' >"$A/.pi/agent/.env"
	chown pitest-alice "$A/.pi/agent/.env"
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	[ "$(cat "$REC/env")" = "$(printf 'HOST=1\nSHARED=host\nMANAGED=from-config\nSHARED=managed\nSECRET=from-file\nSHARED=file\n')" ]
	# each part in its own file, read in that order: a stray quote in one swallows nothing after it
	[ "$(recorded_argv | grep '^EnvironmentFile=')" = "$(printf 'EnvironmentFile=/run/pi-agent/pitest-alice.%s\n' env.host env env.0 env.1)" ]
	[ "$(cat /run/pi-agent/pitest-alice.env.0)" = "$(cat "$FIX/secret.env")" ]
	[ ! -s /run/pi-agent/pitest-alice.env.1 ]
	for f in env.host env env.0 env.1; do
		[ "$(stat -c '%U %a' "/run/pi-agent/pitest-alice.$f")" = "root 600" ]
	done
	[ "$(stat -c '%U %a' /run/pi-agent)" = "root 700" ]
	[[ "$output" == *"environment file $FIX/missing.env is missing"* ]]
	# an entry taken out of environmentFiles leaves no copy behind
	write_config "{\"environmentFiles\": [\"$FIX/secret.env\"]}"
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	[ -e /run/pi-agent/pitest-alice.env.0 ] && [ ! -e /run/pi-agent/pitest-alice.env.1 ]
}

@test "the agent home is per host user, owned by that user's agent account" {
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	run as pitest-bob "$(home_of pitest-bob)/p" pi
	[ "$status" -eq 0 ]
	grep -qx -- "User=pitest-agent2" < <(recorded_argv)
	[ "$(stat -c '%U %G %a' "$STATE")" = "root root 755" ]
	[ "$(stat -c '%U %a' "$STATE/users")" = "root 711" ]
	[ "$(stat -c '%U %G %a' "$STATE/users/pitest-alice")" = "pitest-agent pitest-agent 700" ]
	[ "$(stat -c '%U %a' "$STATE/users/pitest-bob")" = "pitest-agent2 700" ]
	for d in .pi .pi/agent .pi/agent/sessions .npm .npm-global .npm-global/bin .npm-global/lib projects; do
		[ "$(stat -c '%U %a' "$STATE/users/pitest-alice/$d")" = "pitest-agent 750" ]
	done
	[ "$(readlink "$STATE/users/pitest-alice/projects/0-home-pitest-alice-p")" = "$A/p" ]
	[ "$(readlink "$STATE/users/pitest-alice/projects/2-tmp-pi-it-shared")" = "$FIX/shared" ]
}

@test "settings.json is the deep merge of the host settings and the managed ones" {
	install -d -o pitest-alice "$A/.pi" "$A/.pi/agent"
	printf '{"theme": "dark", "nested": {"a": 1, "b": 1, "c": 5}, "defaultProvider": "mine"}' \
		>"$A/.pi/agent/settings.json"
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	f=$STATE/users/pitest-alice/.pi/agent/settings.json
	[ "$(stat -c '%U %a' "$f")" = "pitest-agent 640" ]
	expected=$(printf '{\n  "defaultProvider": "managed",\n  "nested": {\n    "a": 1,\n    "b": 2,\n    "c": null\n  },\n  "theme": "dark"\n}')
	[ "$(cat "$f")" = "$expected" ]
}

@test "a warm launch rewrites neither settings.json nor the env file; a change rewrites them" {
	install -d -o pitest-alice "$A/.pi" "$A/.pi/agent"
	printf '{"theme": "dark"}' >"$A/.pi/agent/settings.json"
	printf 'K=1\n' >"$A/.pi/agent/.env"
	chown -R pitest-alice "$A/.pi"
	f=$STATE/users/pitest-alice/.pi/agent/settings.json
	e=/run/pi-agent/pitest-alice.env.host
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	before="$(stat -c '%i %Y.%y' "$f") $(stat -c '%i %y' "$e")"
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	[ "$(stat -c '%i %Y.%y' "$f") $(stat -c '%i %y' "$e")" = "$before" ]
	printf '{"theme": "light"}' >"$A/.pi/agent/settings.json"
	printf 'K=2\n' >"$A/.pi/agent/.env"
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	[ "$(stat -c %i "$f")" != "${before%% *}" ]
	grep -q '"theme": "light"' "$f"
	grep -qx 'K=2' "$e"
	[ "$(stat -c '%U %a' "$f")" = "pitest-agent 640" ]
}

@test "an invalid host settings.json warns with its position and the managed settings alone are written" {
	install -d -o pitest-alice "$A/.pi" "$A/.pi/agent"
	printf '{\n  "theme": "dark",,\n}' >"$A/.pi/agent/settings.json"
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: ignoring $A/.pi/agent/settings.json: line 2 col 19: expected string key; using the managed settings alone"* ]]
	expected=$(printf '{\n  "defaultProvider": "managed",\n  "nested": {\n    "b": 2,\n    "c": null\n  }\n}')
	[ "$(cat "$STATE/users/pitest-alice/.pi/agent/settings.json")" = "$expected" ]
}

@test "invalid managed settings are a config error and nothing launches" {
	sed -i 's/"defaultProvider": "managed"/"defaultProvider": "managed",,/' "$CONF"
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 1 ]
	[[ "$output" == *"/etc/pi-agent/config.json: line"* ]]
	[ ! -e "$REC/argv" ]
}

@test "an unconfigured user is denied with the seed's message" {
	run as pitest-carol "$(home_of pitest-carol)/p" pi
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "User 'pitest-carol' is not allowed to use pi" ]
	[ "${lines[1]}" = "pi: ask an admin to add pitest-carol to hostUsers in /etc/pi-agent/config.json" ]
	run as pitest-carol / sudo -n "$FIX/bin/pi-runner" pitest-carol /
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "User 'pitest-carol' is not allowed to use pi" ]
	[ "${lines[1]}" = "pi-runner: ask an admin to add pitest-carol to hostUsers in /etc/pi-agent/config.json" ]
	[ ! -e "$REC/argv" ]
}

@test "a cwd outside the roots is denied by pi and by the runner, listing the roots" {
	run as pitest-alice /tmp pi
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "Denied: '/tmp' is outside allowed project roots for user 'pitest-alice'." ]
	[ "${lines[1]}" = "Allowed roots:" ]
	[ "${lines[2]}" = " - $A/p" ]
	[ "${lines[3]}" = " - $A/p2" ]
	[ "${lines[4]}" = " - $FIX/shared" ]
	[ "${lines[5]}" = "pi: cd into one of them, or ask an admin to add the directory to hostUsers.pitest-alice.projectRoots in /etc/pi-agent/config.json" ]
	run as pitest-alice /tmp sudo -n "$FIX/bin/pi-runner" pitest-alice /tmp
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "Denied: '/tmp' is outside allowed project roots for user 'pitest-alice'." ]
	[ ! -e "$REC/argv" ]
}

@test "/p does not contain /p2" {
	mkdir -p "$A/p-two" && chown pitest-alice "$A/p-two"
	run as pitest-alice "$A/p-two" pi
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "Denied: '$A/p-two' is outside"* ]]
}

@test "a user whose roots are all missing is denied, listing them" {
	run as pitest-dave / pi
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "Denied: no valid existing project roots are configured for user 'pitest-dave'." ]
	[ "${lines[1]}" = "Configured but missing roots:" ]
	[ "${lines[2]}" = " - $(home_of pitest-dave)/nothing" ]
	[ "${lines[3]}" = " - /nonexistent/x" ]
	[ "${lines[4]}" = "pi: create one of them, or ask an admin to change hostUsers.pitest-dave.projectRoots in /etc/pi-agent/config.json" ]
}

@test "a user argument naming someone else under sudo is denied" {
	B=$(home_of pitest-bob)
	run as pitest-alice "$A/p" sudo -n "$FIX/bin/pi-runner" pitest-bob "$B/p"
	[ "$status" -eq 1 ]
	[ "$output" = "Denied: user argument 'pitest-bob' does not match the invoking user 'pitest-alice'." ]
	[ ! -e "$REC/argv" ]
	[ ! -e "$STATE/users/pitest-bob" ]
}

@test "root itself may name any configured user" {
	run "$FIX/bin/pi-runner" pitest-bob "$(home_of pitest-bob)/p" x
	[ "$status" -eq 0 ]
	grep -qx -- "PI_AGENT_INVOKING_USER=pitest-bob" < <(recorded_argv)
}

@test "the runner refuses to run as a normal user, and a bad call is a usage error" {
	run as pitest-alice "$A/p" "$FIX/bin/pi-runner" pitest-alice "$A/p"
	[ "$status" -eq 1 ]
	[ "$output" = "pi-runner must run as root" ]
	run "$FIX/bin/pi-runner" pitest-alice
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == "Usage: pi-runner [--env NAME=value]... <invoking-user> <cwd> [pi-args...]" ]]
	run "$FIX/bin/pi-runner" pitest-alice relative/dir
	[ "$status" -eq 2 ]
}

@test "under sudo the compiled-in config is the only one; root alone may choose another" {
	python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); c.update(user="nobody", stateDir=sys.argv[2]); print(json.dumps(c))' "$CONF" "$FIX/state2" >"$FIX/other.json"
	run env SUDO_UID="$(id -u pitest-alice)" PI_AGENT_CONFIG="$FIX/other.json" \
		"$FIX/bin/pi-runner" pitest-alice "$A/p"
	[ "$status" -eq 0 ]
	grep -qx -- "User=pitest-agent" < <(recorded_argv)
	run env PI_AGENT_CONFIG="$FIX/other.json" "$FIX/bin/pi-runner" pitest-alice "$A/p"
	[ "$status" -eq 0 ]
	grep -qx -- "User=nobody" < <(recorded_argv)
}

@test "a config file not root's alone is refused by the runner" {
	chmod 0664 "$CONF"
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 1 ]
	[[ "$output" == *"/etc/pi-agent/config.json: not owned by root or writable by group or others"* ]]
	chmod 0644 "$CONF"
	chown pitest-alice "$CONF"
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 1 ]
	chown root "$CONF"
	[ ! -e "$REC/argv" ]
}

@test "a missing agent binary exits 127 and lists the package's bin" {
	mv "$FIX/pkg/bin/pi" "$FIX/pkg/bin/other"
	run -127 as pitest-alice "$A/p" pi
	mv "$FIX/pkg/bin/other" "$FIX/pkg/bin/pi"
	[ "$status" -eq 127 ]
	[ "$(grep -A2 '^Pi binary' <<<"$output")" = "$(printf 'Pi binary not found or not executable: %s\nAvailable executables in %s:\nother' "$FIX/pkg/bin/pi-agent" "$FIX/pkg/bin")" ]
	[ ! -e "$REC/argv" ]
}

@test "binaryName is preferred over pi" {
	cp "$FIX/pkg/bin/pi" "$FIX/pkg/bin/pi-agent"
	run as pitest-alice "$A/p" pi
	rm "$FIX/pkg/bin/pi-agent"
	[ "$status" -eq 0 ]
	grep -qx -- "$FIX/pkg/bin/pi-agent" < <(recorded_argv)
}

@test "syncConfigFromHost=false leaves the agent dir alone but still merges settings" {
	write_config '{"wrapper": {"syncConfigFromHost": false}}'
	install -d -o pitest-alice "$A/.pi" "$A/.pi/agent"
	echo '{"x": 1}' >"$A/.pi/agent/settings.json"
	echo hi >"$A/.pi/agent/notes"
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	[ ! -e "$STATE/users/pitest-alice/.pi/agent/notes" ]
	[ "$(cat "$STATE/users/pitest-alice/.pi/agent/settings.json")" = "$(printf '{\n  "defaultProvider": "managed",\n  "nested": {\n    "b": 2,\n    "c": null\n  }\n}')" ]
}

@test "the config dir is synced with anchored excludes, keeping excluded paths in the state" {
	S=$A/.pi/agent
	install -d "$S" "$S/bin" "$S/ext" "$S/ext/bin" "$S/sessions" "$S/mcp-oauth"
	echo top >"$S/bin/tool"; echo nested >"$S/ext/bin/tool"; echo s >"$S/auth.json"
	echo c >"$S/mcp-cache.json"; echo m >"$S/models.json"; ln -s models.json "$S/link"
	chown -R pitest-alice "$A/.pi"
	D=$STATE/users/pitest-alice/.pi/agent
	install -d -m 0755 -o root "$STATE"
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	[ "$(cat "$D/ext/bin/tool")" = nested ]
	[ "$(cat "$D/models.json")" = m ]
	[ "$(readlink "$D/link")" = models.json ]
	[ ! -e "$D/bin" ] && [ ! -e "$D/auth.json" ] && [ ! -e "$D/mcp-cache.json" ] && [ ! -e "$D/mcp-oauth" ]
	[ "$(stat -c %U "$D/models.json")" = pitest-agent ]
	echo agent-login >"$D/auth.json"
	rm "$S/models.json"
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	[ "$(cat "$D/auth.json")" = agent-login ]
	[ ! -e "$D/models.json" ]
}

# wait_for FILE: polls for FILE for at most 10 s (a condition, not a delay).
wait_for() {
	local i
	for i in $(seq 200); do [ -e "$1" ] && return 0; read -r -t 0.05 <> <(:) || true; done
	return 1
}

@test "a signal to pi stops the agent's unit by name and pi reports it" {
	for sig in TERM INT HUP; do
		rm -rf "$REC/started" "$REC/systemctl" "$REC/hold" "$REC/holding"
		mkfifo "$REC/hold"
		# a session of its own, so sudo relays the signal (it ignores one sent by its own group)
		setsid setpriv --reuid pitest-alice --regid pitest-alice --init-groups --reset-env \
			env -C "$A/p" PATH="$FIX/bin:/usr/bin:/bin" pi &
		pid=$!
		wait_for "$REC/started"
		unit=$(recorded_argv | sed -n 's/^--unit=//p')
		[[ "$unit" == pi-agent-pitest-alice-????????.service ]]
		kill -s "$sig" "$pid"
		status=0
		wait "$pid" || status=$?
		# stopped, then its failed state cleared: nothing of the session stays loaded
		[ "$(grep -v '^set-property ' "$REC/systemctl")" = "$(printf 'stop %s\nreset-failed %s' "$unit" "$unit")" ]
		case $sig in TERM) [ "$status" -eq 143 ] ;; INT) [ "$status" -eq 130 ] ;; HUP) [ "$status" -eq 129 ] ;; esac
	done
	rm -f "$REC/hold"
}

# proc_state PID: the state letter of /proc/PID/stat (R, S, T...).
proc_state() { sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null; }
# until_state PID STATE: polls for it for at most 10 s (a condition, not a delay).
until_state() {
	local i
	for i in $(seq 200); do [ "$(proc_state "$1")" = "$2" ] && return 0; read -r -t 0.05 <> <(:) || true; done
	return 1
}

@test "pi stops when its tool stops and resumes it, and lets the job's own stop signal pass" {
	# a stand-in sudo that ignores the job's SIGTSTP (sudo handles it itself) and ends when told
	T=$(mktemp -d)
	chmod 0755 "$T"
	install -d -m 0755 "$T/bin"
	install -d -m 0777 "$T/run"
	printf '#!/bin/bash\ntrap "" TSTP\necho $$ >%s/tool.pid\nuntil [ -e %s/end ]; do read -r -t 0.05 <> <(:) || true; done\nexit 7\n' \
		"$T/run" "$T/run" >"$T/bin/sudo"
	chmod 0755 "$T/bin/sudo"
	write_config "{\"sudoPath\": \"$T/bin/sudo\"}"
	setsid setpriv --reuid pitest-alice --regid pitest-alice --init-groups --reset-env \
		env -C "$A/p" PATH="$FIX/bin:/usr/bin:/bin" pi &
	pid=$!
	wait_for "$T/run/tool.pid"
	tool=$(cat "$T/run/tool.pid")
	# (on a failure below: the tool ends and nothing is left stopped)
	release() { touch "$T/run/end"; kill -CONT "$tool" "$pid" 2>/dev/null; wait "$pid"; false; }
	# the tool stopped (as sudo stops itself when its command does): pi stops after it
	kill -STOP "$tool"
	until_state "$pid" T || release
	# pi resumed (fg): it resumes the tool
	kill -CONT "$pid"
	until_state "$tool" S || release
	# the job's SIGTSTP reaching pi: pi does not stop on its own; the tool ends, pi with it
	kill -TSTP "$pid"
	touch "$T/run/end"
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 7 ]
	rm -rf "$T"
}

@test "host users sharing one agent account never run at the same time" {
	write_config '{"hostUsers": {"pitest-bob": {"agentUser": null}}}'
	B=$(home_of pitest-bob)
	rm -rf "$REC/started" "$REC/systemctl" "$REC/hold" "$REC/holding"
	mkfifo "$REC/hold"
	setsid setpriv --reuid pitest-alice --regid pitest-alice --init-groups --reset-env \
		env -C "$A/p" PATH="$FIX/bin:/usr/bin:/bin" pi &
	held=$!
	wait_for "$REC/started"
	run as pitest-bob "$B/p" pi
	[ "$status" -eq 1 ]
	[[ "$output" == *"pi-runner: the agent account 'pitest-agent' is in use by the agent of pitest-alice"* ]]
	# alice herself may run a second agent meanwhile
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	kill -TERM "$held"
	wait "$held" || true
	rm -rf "$REC/hold" "$REC/holding"
	run as pitest-bob "$B/p" pi
	[ "$status" -eq 0 ]
}
