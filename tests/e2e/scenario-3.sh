# scenario-3.sh - alice and bob run agents at the same time; neither sees the other's project, state or env.
# shellcheck shell=bash

scenario_3() {
	need_launcher "scenario 3" || return 0
	write_config /opt/fake-agent
	local a=/home/alice/p/proj-alice b=/home/bob/p/proj-bob pa pb ua ub ra rb ja jb
	ctr rm -f "$a/.e2e-ready" "$a/.e2e-release" "$b/.e2e-ready" "$b/.e2e-release"
	bg_start s3-alice alice "cd $a && pi --hold $(s3_probes bob)"
	ja=$BG_PID
	bg_start s3-bob bob "cd $b && pi --hold $(s3_probes alice)"
	jb=$BG_PID
	if ! poll 30 ctr test -e "$a/.e2e-ready" -a -e "$b/.e2e-ready"; then
		fail "3: both agents start (ready markers)" "$(cat "$E2E_DIR/s3-alice.out" "$E2E_DIR/s3-bob.out")"
	else
		pa=$(ctr pgrep -u pi-agent -f -- "--hold --see /home/bob" | head -n1)
		pb=$(ctr pgrep -u pi-agent-bob -f -- "--hold --see /home/alice" | head -n1)
		ua=$(ctr ps -o unit= -p "${pa:-0}" | tr -d ' ')
		ub=$(ctr ps -o unit= -p "${pb:-0}" | tr -d ' ')
		check "3: alice's agent runs in a unit" test -n "$ua"
		check "3: bob's agent runs in a unit" test -n "$ub"
		check_ne "3: the two agents run in different units" "$ua" "$ub"
		# the same properties as scenario 2's real agent; this one runs without node or the mock
		[ -n "$ua" ] && check_exposure 3 "$ua"
	fi
	ctr touch "$a/.e2e-release" "$b/.e2e-release"
	ra=0; wait "$ja" || ra=$?
	rb=0; wait "$jb" || rb=$?
	check_eq "3: alice's run exits 0" 0 "$ra"
	check_eq "3: bob's run exits 0" 0 "$rb"
	s3_assert alice bob "$(cat "$E2E_DIR/s3-alice.out")"
	s3_assert bob alice "$(cat "$E2E_DIR/s3-bob.out")"
}

# s3_probes OTHER: fake-agent arguments that look at OTHER's project, agent state and env file.
s3_probes() {
	local o=$1
	echo "--see /home/$o --see /home/$o/p/proj-$o --see /home/$o/p/proj-$o/.e2e-ready" \
		"--see /var/lib/pi-agent/users/$o --see /var/lib/pi-agent/users/$o/.pi/agent/AGENTS.md" \
		"--see /run/pi-agent/$o.env --write /home/$o/p/proj-$o"
}

s3_assert() {
	local me=$1 o=$2 r=$3 p
	check_eq "3: $me's agent was held while both ran" released "$(field held "$r")"
	check_eq "3: $me's agent cwd is $me's project" "/home/$me/p/proj-$me" "$(field cwd "$r")"
	for p in "/home/$o" "/home/$o/p/proj-$o" "/home/$o/p/proj-$o/.e2e-ready" \
		"/var/lib/pi-agent/users/$o" "/var/lib/pi-agent/users/$o/.pi/agent/AGENTS.md" \
		"/run/pi-agent/$o.env"; do
		check_ne "3: $me's agent cannot read $p" readable "$(field "see:$p" "$r")"
	done
	check_eq "3: $me's agent cannot write $o's project" denied "$(field "write:/home/$o/p/proj-$o" "$r")"
	check_eq "3: $me's agent has $me's env" "$me" "$(field env:E2E_OWNER "$r")"
	check_eq "3: $me's agent has none of $o's env" "" "$(field "env:E2E_ONLY_$o" "$r")"
}
