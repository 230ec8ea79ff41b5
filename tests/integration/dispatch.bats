#!/usr/bin/env bats
# dispatch.bats - one binary, three names, plus the configured command and runner names.

setup() {
	load fixture
	reset_state
	A=$(home_of pitest-alice)
	ln -sf pi "$FIX/bin/m3ta-pi-agent-runner"
	ln -sf pi "$FIX/bin/unknown-name"
}

teardown() { rm -f "$FIX/bin/m3ta-pi-agent-runner" "$FIX/bin/unknown-name" "$FIX/bin/pi-safe"; }

@test "the build is one static binary with two links" {
	run file -L "$PI_BUILD/pi"
	[[ "$output" == *"statically linked"* ]] || [[ "$PI_BUILD" == */asan ]]
	[ "$(readlink "$PI_BUILD/pi-runner")" = pi ]
	[ "$(readlink "$PI_BUILD/pi-merge")" = pi ]
}

@test "an unknown name is a usage error" {
	run "$FIX/bin/unknown-name"
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown-name: unknown name; run as pi, pi-runner or pi-merge"* ]]
}

@test "the configured runner name takes the runner's personality" {
	run as pitest-alice "$A/p" "$FIX/bin/m3ta-pi-agent-runner" pitest-alice "$A/p"
	[ "$status" -eq 1 ]
	[ "$output" = "m3ta-pi-agent-runner must run as root" ]
}

@test "the configured command name takes the wrapper's personality" {
	write_config '{"wrapper": {"commandName": "pi-safe"}}'
	ln -sf pi "$FIX/bin/pi-safe"
	run as pitest-carol / pi-safe
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "User 'pitest-carol' is not allowed to use pi-safe" ]
}

@test "a wrapper installed setuid refuses to run" {
	cp "$FIX/bin/pi" "$FIX/bin/pi-suid-copy"
	chmod 4755 "$FIX/bin/pi-suid-copy"
	ln -sf pi-suid-copy "$FIX/bin/pi-safe"
	write_config '{"wrapper": {"commandName": "pi-safe"}}'
	run as pitest-alice "$A/p" pi-safe
	rm -f "$FIX/bin/pi-suid-copy"
	[ "$status" -eq 1 ]
	[[ "$output" == *"must not be installed setuid"* ]]
}

@test "pi-agent-init exits with the agent's status, or 128+N when signal N ended it" {
	run as pitest-alice "$A/p" "$FIX/bin/pi-agent-init" /bin/sh -c 'exit 42'
	[ "$status" -eq 42 ]
	for sig in INT TERM HUP PIPE KILL SEGV; do
		run as pitest-alice "$A/p" "$FIX/bin/pi-agent-init" /bin/sh -c "kill -s $sig \$\$"
		[ "$status" -eq $((128 + $(kill -l "$sig"))) ]
	done
	run -127 as pitest-alice "$A/p" "$FIX/bin/pi-agent-init" /nonexistent/agent
	[ "$status" -eq 127 ]
	[[ "$output" == *"cannot run /nonexistent/agent"* ]]
	run as pitest-alice "$A/p" "$FIX/bin/pi-agent-init" sh -c true
	[ "$status" -eq 2 ]
}

@test "pi-agent-init never leaves the agent stopped: its own SIGTSTP is undone" {
	run timeout 10 setpriv --reuid pitest-alice --regid pitest-alice --clear-groups \
		"$FIX/bin/pi-agent-init" /bin/sh -c 'kill -s TSTP $$; echo resumed'
	[ "$status" -eq 0 ]
	[ "$output" = resumed ]
}

@test "no flag of any name reaches the agent unit's main process: --agent-init is gone" {
	run as pitest-alice "$A/p" "$FIX/bin/m3ta-pi-agent-runner" --agent-init /bin/sh -c 'exit 7'
	[ "$status" -eq 1 ]
	[ "$output" = "m3ta-pi-agent-runner must run as root" ]
	run "$FIX/bin/pi-runner" --agent-init /bin/sh -c 'exit 7'
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == "Usage: pi-runner "* ]]
	run "$FIX/bin/unknown-name" --agent-init /bin/sh -c 'exit 7'
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown-name: unknown name"* ]]
}
