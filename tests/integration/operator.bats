#!/usr/bin/env bats
# operator.bats - what admins and users ask the launcher: --check, PI_AGENT_EXPLAIN, --help, --version.

bats_require_minimum_version 1.5.0

setup() {
	load fixture
	reset_state
	A=$(home_of pitest-alice)
}

@test "--check says OK for a good config and needs no root" {
	run "$FIX/bin/pi-runner" --check
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = OK ]
	[[ "$output" == *"projectAccess: idmap: each root becomes an idmapped mount where the kernel and its filesystem allow it, else falls back to group mode"* ]]
	cp "$CONF" "$FIX/copy.json"
	chmod 0644 "$FIX/copy.json"
	run as pitest-alice / pi-runner --check --offline "$FIX/copy.json"
	[ "$status" -eq 0 ]
	[ "$output" = OK ]
}

@test "--check names a syntax error's position and a wrong key" {
	printf '{\n  "user": "x",\n  "group" "y"\n}\n' >"$FIX/bad.json"
	run "$FIX/bin/pi-runner" --check "$FIX/bad.json"
	[ "$status" -eq 1 ]
	[ "$output" = "pi-runner: $FIX/bad.json: line 3 col 11: expected ':'" ]
	printf '{"package": "/p", "wrapper": {"comandName": "x"}}' >"$FIX/bad.json"
	run "$FIX/bin/pi-runner" --check "$FIX/bad.json"
	[ "$status" -eq 1 ]
	[ "$output" = "pi-runner: $FIX/bad.json: line 1 col 31: wrapper.comandName: unknown key; did you mean commandName?" ]
	# the full key at every level, and the keys of its object when none is near
	printf '{"package": "/p", "hostUsers": {"alice": {"projectRoot": ["~/p"]}}}' >"$FIX/bad.json"
	run "$FIX/bin/pi-runner" --check "$FIX/bad.json"
	[ "$status" -eq 1 ]
	[ "$output" = "pi-runner: $FIX/bad.json: line 1 col 43: hostUsers.alice.projectRoot: unknown key; did you mean projectRoots?" ]
	printf '{"package": "/p", "network": {"mode": "allowlist", "hosts": []}}' >"$FIX/bad.json"
	run "$FIX/bin/pi-runner" --check "$FIX/bad.json"
	[ "$status" -eq 1 ]
	[ "$output" = "pi-runner: $FIX/bad.json: line 1 col 52: network.hosts: unknown key (known: mode, allow, deny)" ]
	# pi says the same
	cp "$FIX/bad.json" "$CONF"
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 1 ]
	[ "$output" = "pi: $CONF: line 1 col 52: network.hosts: unknown key (known: mode, allow, deny)" ]
	[ ! -e "$REC/argv" ]
}

@test "package naming its bin directory: --check, explain and the launch name the parent to set" {
	write_config "{\"package\": \"$FIX/pkg/bin\"}"
	run "$FIX/bin/pi-runner" --check
	[ "$status" -eq 1 ]
	[[ "$output" == *"$CONF: package: no executable pi-agent or pi in $FIX/pkg/bin/bin; $FIX/pkg/bin is itself the bin directory holding the agent ($FIX/pkg/bin/pi): set \"package\": \"$FIX/pkg\""* ]]
	run -127 as pitest-alice "$A/p" env PI_AGENT_EXPLAIN=1 pi
	[[ "$output" == *"set \"package\": \"$FIX/pkg\""* ]]
	run -127 as pitest-alice "$A/p" pi
	[[ "$output" == *"Pi binary not found or not executable: $FIX/pkg/bin/bin/pi-agent"* ]]
	[[ "$output" == *"pi-runner: package $FIX/pkg/bin is itself the bin directory holding the agent ($FIX/pkg/bin/pi): ask an admin to set \"package\": \"$FIX/pkg\" in $CONF"* ]]
	[ ! -e "$REC/argv" ]
	# a package that is simply wrong gets no such guess
	write_config "{\"package\": \"$FIX/nopkg\"}"
	run "$FIX/bin/pi-runner" --check
	[ "$status" -eq 1 ]
	[[ "$output" == *"$CONF: package: no executable pi-agent or pi in $FIX/nopkg/bin"* ]]
	[[ "$output" != *"set \"package\""* ]]
}

@test "--check lists each missing account, group and binary on the live system" {
	write_config '{"user": "pitest-nobody", "projectGroup": "pitest-nogroup", "hostUsers": {"pitest-ghost": {"projectRoots": ["~/p"]}}, "sudoPath": "/nonexistent/sudo"}'
	run "$FIX/bin/pi-runner" --check
	[ "$status" -eq 1 ]
	[[ "$output" == *"projectGroup: group 'pitest-nogroup' does not exist"* ]]
	[[ "$output" == *"user: user 'pitest-nobody' does not exist"* ]]
	[[ "$output" == *"hostUsers.pitest-ghost: user does not exist"* ]]
	[[ "$output" == *"sudoPath: /nonexistent/sudo is not an executable file"* ]]
	# static musl asks nscd for names /etc/passwd lacks: without one, --check says what is needed
	if [ ! -S /var/run/nscd/socket ]; then
		[[ "$output" == *"user 'pitest-nobody' does not exist (nor does nscd answer at /var/run/nscd/socket: names from LDAP, SSSD or systemd-homed need nscd or nsncd running)"* ]]
	fi
	run "$FIX/bin/pi-runner" --check --offline
	[ "$status" -eq 0 ]
}

@test "--check warns about roots that do not exist, and still says OK" {
	run "$FIX/bin/pi-runner" --check
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: hostUsers.pitest-alice.projectRoots: $A/missing does not exist"* ]]
	[ "${lines[-1]}" = OK ]
}

@test "--check warns about a missing environmentFiles file or extraPackages directory; --offline looks at neither" {
	install -d "$FIX/pkg-nobin"
	write_config "{\"extraPackages\": [\"$FIX/nopkg\", \"$FIX/pkg-nobin\", \"$FIX/pkg\"],
		\"environmentFiles\": [\"$FIX/secret.env\", \"$FIX/missing.env\", \"$FIX/shared\"]}"
	run "$FIX/bin/pi-runner" --check
	[ "$status" -eq 0 ]
	[[ "$output" == *"$CONF: warning: environmentFiles: $FIX/missing.env: does not exist; every launch skips it"* ]]
	[[ "$output" == *"$CONF: warning: environmentFiles: $FIX/shared: not a regular file; every launch skips it"* ]]
	[[ "$output" == *"$CONF: warning: extraPackages: $FIX/nopkg is not a directory; it adds nothing to PATH"* ]]
	[[ "$output" == *"$CONF: warning: extraPackages: $FIX/pkg-nobin has no bin directory; it adds nothing to PATH"* ]]
	[[ "$output" != *"$FIX/secret.env"* ]]
	[[ "$output" != *"extraPackages: $FIX/pkg "* ]]
	[ "${lines[-1]}" = OK ]
	run "$FIX/bin/pi-runner" --check --offline
	[ "$status" -eq 0 ]
	[ "$output" = OK ]
}

@test "--check through sudo reports the caller's own roots only" {
	run as pitest-alice / sudo -n "$FIX/bin/pi-runner" --check
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: hostUsers.pitest-alice.projectRoots: $A/missing does not exist"* ]]
	[[ "$output" != *pitest-dave* ]] && [[ "$output" != *pitest-bob* ]]
	[ "${lines[-1]}" = OK ]
	run "$FIX/bin/pi-runner" --check
	[[ "$output" == *"warning: hostUsers.pitest-dave.projectRoots: /nonexistent/x does not exist"* ]]
	run as pitest-carol / sudo -n "$FIX/bin/pi-runner" --check
	[[ "$output" == *"hostUsers: you (pitest-carol) are not configured"* ]]
	[[ "$output" != *pitest-alice* ]] && [[ "$output" != *pitest-dave* ]]
}

@test "--check FILE through sudo is refused: it would read files as root" {
	run as pitest-alice / sudo -n "$FIX/bin/pi-runner" --check /etc/shadow
	[ "$status" -eq 2 ]
	[[ "$output" == *"--check FILE is not available as root for someone else"* ]]
	[[ "$output" != *root:* ]]
}

@test "PI_AGENT_EXPLAIN=1 pi shows the decision, roots, account and the command, and launches nothing" {
	run as pitest-alice "$A/p/sub" env PI_AGENT_EXPLAIN=1 pi "two words"
	[ "$status" -eq 0 ]
	[ ! -e "$REC/argv" ]
	[ ! -e "$STATE/users/pitest-alice" ]
	[[ "$output" == *"user:           pitest-alice, allowed in $A/p/sub (inside $A/p)"* ]]
	[[ "$output" == *"root:           $A/missing (missing: skipped)"* ]]
	# each root's mode, tried on a clone that is never attached
	[[ "$output" =~ "root:           $A/p (bound at its own path; "("idmapped: the agent edits as pitest-alice"|"group mode: idmapped mounts are not available here (") ]]
	[ -z "$(ls -A /run/pi-agent-binds 2>/dev/null)" ]
	[[ "$output" == *"agent account:  pitest-agent"* ]]
	[[ "$output" == *"agent home:     $STATE/users/pitest-alice (created at the first launch)"* ]]
	[[ "$output" == *"$FIX/missing.env (missing: skipped)"* ]]
	[[ "$output" == *"  $FIX/bin/systemd-run --wait --pipe"* ]]
	[[ "$output" == *" $FIX/pkg/bin/pi --from-config 'two words'"* ]]
}

@test "PI_AGENT_EXPLAIN=1 pi outside the roots explains the denial" {
	run as pitest-alice /tmp env PI_AGENT_EXPLAIN=1 pi
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "Denied: '/tmp' is outside allowed project roots for user 'pitest-alice'." ]
}

@test "--explain through sudo gives no power: another user's name is still denied" {
	B=$(home_of pitest-bob)
	run as pitest-alice "$A/p" sudo -n "$FIX/bin/pi-runner" --explain pitest-bob "$B/p"
	[ "$status" -eq 1 ]
	[ "$output" = "Denied: user argument 'pitest-bob' does not match the invoking user 'pitest-alice'." ]
}

@test "--help and --version for each name" {
	run "$FIX/bin/pi-runner" --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^pi-runner\ \(pi-agent\ launcher\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	run "$FIX/bin/pi-merge" --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^pi-merge\ \(pi-agent\ launcher\) ]]
	run "$FIX/bin/pi-runner" --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Usage: pi-runner [--env NAME=value]... <invoking-user> <cwd> [pi-args...]" ]]
	run "$FIX/bin/pi-merge" --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: pi-merge BASE.json [OVERRIDE.json] [-o OUT]" ]]
	# pi's own --help and --version reach the agent; the launcher adds a note on stderr
	run as pitest-alice "$A/p" pi --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "pi: pi-agent launcher "*"; the agent's version follows" ]]
	[ "$(recorded_args)" = "$(printf '[--from-config]\n[--version]')" ]
	run as pitest-alice "$A/p" pi --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"PI_AGENT_EXPLAIN=1 pi shows what a launch would do"* ]]
	[ "$(recorded_args)" = "$(printf '[--from-config]\n[--help]')" ]
}

@test "pi --version and --help: no note that the agent's text follows before a denial" {
	run as pitest-carol "$(home_of pitest-carol)/p" pi --version
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "User 'pitest-carol' is not allowed to use pi" ]
	[[ "$output" != *"follows"* ]]
	run as pitest-alice /tmp pi --version
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "Denied: '/tmp' is outside allowed project roots for user 'pitest-alice'." ]
	[[ "$output" != *"follows"* ]]
	run as pitest-alice /tmp pi --help
	[ "$status" -eq 1 ]
	[[ "$output" != *"follows"* ]]
	[ ! -e "$REC/argv" ]
}

@test "a missing account: --check and the launch give the command that creates it, with the real name" {
	write_config '{"user": "pitest-nobody", "group": "pitest-nogroup", "proxyUser": "pitest-noproxy", "network": {"mode": "allowlist", "allow": ["127.0.0.1:9"]}, "hostUsers": {"pitest-bob": {"agentUser": "pitest-noagent"}}}'
	run "$FIX/bin/pi-runner" --check
	[ "$status" -eq 1 ]
	[[ "$output" == *"group: group 'pitest-nogroup' does not exist"*"; create it: groupadd --system pitest-nogroup"* ]]
	[[ "$output" == *"user: user 'pitest-nobody' does not exist"*"; create it: groupadd --system pitest-nogroup && useradd --system -g pitest-nogroup -d /nonexistent -s /usr/sbin/nologin pitest-nobody"* ]]
	[[ "$output" == *"hostUsers.pitest-bob.agentUser: user 'pitest-noagent' does not exist"*"; create it: groupadd --system pitest-noagent && useradd --system -g pitest-noagent -d /nonexistent -s /usr/sbin/nologin pitest-noagent"* ]]
	[[ "$output" == *"proxyUser: user 'pitest-noproxy' does not exist"*"; create it: useradd --system --no-create-home --shell /usr/sbin/nologin pitest-noproxy"* ]]
	[[ "$output" != *NAME* ]]
	write_config '{"proxyUser": "pitest-noproxy", "network": {"mode": "allowlist", "allow": ["127.0.0.1:9"]}}'
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 1 ]
	[[ "$output" == *"pi-runner: cannot start the network proxy: its account 'pitest-noproxy' does not exist (create it: useradd --system --no-create-home --shell /usr/sbin/nologin pitest-noproxy, or set proxyUser in $CONF)"* ]]
	[ ! -e "$REC/argv" ]
}

@test "messages name the object, the reason and what to do" {
	write_config '{"user": "pitest-ghost"}'
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 1 ]
	[[ "$output" == *"pi-runner: agent account 'pitest-ghost' (group 'pitest-agent') does not exist: create it (useradd --system -g pitest-agent -d /nonexistent -s /usr/sbin/nologin pitest-ghost) or fix user/group in /etc/pi-agent/config.json"* ]]
	write_config
	install -d -m 0755 "$STATE" && install -d -m 0711 "$STATE/users"
	install -d -m 0700 -o pitest-agent2 "$STATE/users/pitest-alice"
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 1 ]
	[[ "$output" == *"pi-runner: agent home $STATE/users/pitest-alice belongs to uid $(id -u pitest-agent2), not to the agent account 'pitest-agent': run chown -R pitest-agent: $STATE/users/pitest-alice"* ]]
	rm -f "$CONF"
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 1 ]
	[ "$output" = "pi: /etc/pi-agent/config.json: cannot open: No such file or directory" ]
	write_config
	run as pitest-alice "$A/p" sudo -n "$FIX/bin/pi-runner" pitest-alice "$A/p/nonexistent"
	[ "$status" -eq 1 ]
	[[ "$output" == *"pi-runner: cannot use working directory '$A/p/nonexistent': No such file or directory"* ]]
}
