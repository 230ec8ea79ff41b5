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

@test "--check tries each root: idmapped, or group mode with the commands that make it work" {
	run "$FIX/bin/pi-runner" --check
	[ "$status" -eq 0 ]
	if [[ "$output" == *"root of pitest-alice: $A/p: idmapped: the agent acts there as pitest-alice"* ]]; then
		[[ "$output" != *"root of pitest-alice: $A/p: no idmapped mount here"* ]]
	else
		[[ "$output" == *"root of pitest-alice: $A/p: no idmapped mount here ("* ]]
	fi
	write_config '{"projectAccess": "group", "projectGroup": "pitest-agent"}'
	run "$FIX/bin/pi-runner" --check
	[ "$status" -eq 1 ]
	[[ "$output" == *"hostUsers.pitest-alice.projectRoots: $FIX/shared is root's, not pitest-alice's: in group mode a launch refuses it; give it to pitest-alice (chown -h pitest-alice $FIX/shared) or remove it"* ]]
	line=$(grep -F "warning: hostUsers.pitest-alice.projectRoots: $A/p: in group mode the agent works through projectGroup pitest-agent, and 2 entries of pitest-alice's lack it (first $A/p)" <<<"$output")
	[ "$(id -gn pitest-alice)" != pitest-agent ]
	# the commands it gives, run as they are, make the root work
	cmd=${line#*: as root, }
	cmd=${cmd%%; for what*}
	[[ "$cmd" == "setpriv --reuid=pitest-alice --regid=pitest-agent --clear-groups --reset-env sh -c 'cd \"\$1\" || exit 1; find . -user \"\$3\" ! -group \"\$2\" -exec chgrp -h \"\$2\" {} + && find . -user \"\$3\" ! -type l -exec chmod g-s,g+rwX {} + && find . -user \"\$3\" -type d -exec chmod g+s {}/. \\;' sh $A/p pitest-agent pitest-alice" ]]
	# alice swaps her root for a link to bob's project before root runs it: nothing of bob's changes
	B=$(home_of pitest-bob)
	before=$(stat -c %G:%a "$B/p" "$B/p/sub")
	mv "$A/p" "$A/p.real"
	ln -s "$B/p" "$A/p"
	bash -c "$cmd" 2>/dev/null || true
	[ "$(stat -c %G:%a "$B/p" "$B/p/sub")" = "$before" ]
	rm "$A/p"
	mv "$A/p.real" "$A/p"
	# a file the agent made there (its own, not the group's): not alice's to fix, not counted,
	# and the command still succeeds (chgrp -R failed on it, even to its own group)
	install -o pitest-agent -g root -m 0640 /dev/null "$A/p/agent-made"
	# a program of alice's, set-gid to her own group without group execute (2705): it must
	# not come out a set-gid program of the project group (with alice's own group held too,
	# chgrp kept the bit and chmod g+rwX made it 2775 pitest-agent)
	install -o pitest-alice -g "$(id -gn pitest-alice)" -m 2705 /bin/true "$A/p/tool"
	bash -c "$cmd"
	[ "$(stat -c %G:%A "$A/p/sub")" = pitest-agent:drwxrwsr-x ]
	[ "$(stat -c %U:%G:%a "$A/p/tool")" = pitest-alice:pitest-agent:775 ]
	[ "$(stat -c %U:%G:%a "$A/p/agent-made")" = pitest-agent:root:640 ]
	write_config '{"projectAccess": "group", "projectGroup": "pitest-agent",
		"hostUsers": {"pitest-alice": {"projectRoots": ["~/p"]}}}'
	# alice's own --check (bob's roots are his and unchanged), her tree walked as she sees it
	run as pitest-alice / sudo -n "$FIX/bin/pi-runner" --check
	[ "$status" -eq 0 ]
	[[ "$output" == *"root of pitest-alice: $A/p: group mode through projectGroup pitest-agent; every entry is the group's"* ]]
	[ "${lines[-1]}" = OK ]
	# and a launch works there
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	# no projectGroup: the agent can only read there, a warning and no failure
	write_config '{"projectAccess": "group", "hostUsers": {"pitest-alice": {"projectRoots": ["~/p"]}}}'
	run as pitest-alice / sudo -n "$FIX/bin/pi-runner" --check
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: hostUsers.pitest-alice.projectRoots: $A/p: in group mode with no projectGroup the agent reaches it only through the others' bits (it can write nothing there)"* ]]
}

# A stand-in agent package in $FIX/pkg-x: engines.node $1, bin/pi the script $2.
agent_package() {
	rm -rf "$FIX/pkg-x"
	install -d -m 0755 "$FIX/pkg-x/lib/agent/dist" "$FIX/pkg-x/bin"
	printf '{"name": "agent", "engines": {"node": "%s"}}\n' "$1" >"$FIX/pkg-x/lib/agent/package.json"
	printf '#!/bin/sh\n%s\n' "$2" >"$FIX/pkg-x/lib/agent/dist/cli.js"
	chmod 0755 "$FIX/pkg-x/lib/agent/dist/cli.js"
	ln -s ../lib/agent/dist/cli.js "$FIX/pkg-x/bin/pi"
}

@test "--check as root starts the agent as its account, on the node its PATH yields" {
	agent_package ">=20.6.0" 'echo "9.9.9 uid=$(id -u) home=$HOME"; touch "$HOME/left"'
	write_config "{\"package\": \"$FIX/pkg-x\"}"
	run "$FIX/bin/pi-runner" --check
	[ "$status" -eq 0 ]
	node=$(PATH=/usr/local/bin:/usr/bin:/bin command -v node)
	line=$(grep '^agent: ' <<<"$output")
	[[ "$line" == "agent: $FIX/pkg-x/bin/pi starts as pitest-agent: 9.9.9 uid=$(id -u pitest-agent) home=/tmp/pi-check."*", on $node $("$node" --version)" ]]
	# its throwaway home is gone with what it left there
	home=$(sed -n 's/.* home=\([^,]*\),.*/\1/p' <<<"$line")
	[ -n "$home" ] && [ ! -e "$home" ]
	# through sudo, a user's own --check runs nothing
	run as pitest-alice / sudo -n "$FIX/bin/pi-runner" --check
	[ "$status" -eq 0 ]
	[[ "$output" != *"agent: "* ]]
}

@test "--check as root names a node older than engines.node, and an agent that does not start" {
	install -d -m 0755 "$FIX/node18"
	printf '#!/bin/sh\necho v18.19.0\n' >"$FIX/node18/node"
	chmod 0755 "$FIX/node18/node"
	agent_package ">=22.19.0" 'echo started >"$HOME/started"'
	write_config "{\"package\": \"$FIX/pkg-x\", \"runtimePath\": [\"$FIX/node18\", \"/usr/bin\", \"/bin\"]}"
	run "$FIX/bin/pi-runner" --check
	[ "$status" -eq 1 ]
	[[ "$output" == *"runtimePath: $FIX/pkg-x/bin/pi needs node >=22.19.0 (engines.node of $FIX/pkg-x/lib/agent/package.json), and the first node on the agent's PATH, $FIX/node18/node, is v18.19.0: put the directory of a node that satisfies it first in runtimePath"* ]]
	[ "${lines[-1]}" != OK ]
	# a node that satisfies it, and an agent that fails as the agent does under a wrong node
	agent_package "^18.0.0 || >=20" 'printf "file:///x/cli.js:3\n\033[31mSyntaxError: Unexpected identifier\n" >&2; exit 1'
	run "$FIX/bin/pi-runner" --check
	[ "$status" -eq 1 ]
	[[ "$output" == *"package: $FIX/pkg-x/bin/pi --version, run as pitest-agent with the agent's PATH, exited 1: ?[31mSyntaxError: Unexpected identifier"* ]]
	[[ "$output" != *$'\033'* ]]
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
