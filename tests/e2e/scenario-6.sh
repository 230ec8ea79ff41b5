# scenario-6.sh - audit lines in the journal; a root swapped for a link during launches is never bound; a shared agent account runs one host user at a time.
# shellcheck shell=bash

scenario_6() {
	need_launcher "scenario 6" || return 0
	write_config /opt/fake-agent
	s6_journal
	s6_swap
	s6_shared_account
	write_config /opt/fake-agent
}

# Every launch, its end and every denial reach the journal (LOG_AUTHPRIV) with who and why.
s6_journal() {
	local cur log
	cur=$(journal_cursor)
	pi_as alice proj-alice "--exit 0"
	check_eq "6: a launch for the journal exits 0" 0 "$RC"
	run_as alice "cd /tmp && pi"
	check_eq "6: a denial for the journal exits 1" 1 "$RC"
	poll 10 ctr sh -c "journalctl -q --after-cursor='$cur' SYSLOG_IDENTIFIER=pi-runner -o cat | grep -q '^end '"
	log=$(ctr journalctl -q --after-cursor="$cur" SYSLOG_FACILITY=10 -o cat)
	check_has "6: journal: the launch, with user, cwd, agent, unit and roots" "$log" \
		"launch user=alice cwd=/home/alice/p/proj-alice agent=pi-agent unit=pi-agent-alice-"
	check_has "6: journal: the launch's end with its status" "$log" "status=0"
	check_has "6: journal: the denial with its reason" "$log" "deny user=alice cwd=/tmp reason=outside-roots"
}

# alice swaps her root ~/p for a link to bob's projects in a tight loop while launching from
# a second root: no launch may ever show bob's project at alice's path.
s6_swap() {
	local i out launched=0 leaked=0
	ctr install -d -o alice -g alice /home/alice/q
	ctr sed -i 's|"alice": { "projectRoots": \["~/p"\] }|"alice": { "projectRoots": ["~/p", "~/q"] }|' \
		/etc/pi-agent/config.json
	ctr rm -f /tmp/s6-stop
	as alice 'cd ~ && while [ ! -e /tmp/s6-stop ]; do mv p p.real && ln -s /home/bob/p p && rm p && mv p.real p; done' &
	local swapper=$!
	for i in $(seq 25); do
		run_as alice "cd ~/q && pi --see /home/alice/p/proj-bob --see /home/alice/p/proj-alice --exit 0"
		if [ "$RC" = 0 ]; then
			launched=$((launched + 1))
			out=$OUT
			[ "$(field "see:/home/alice/p/proj-bob" "$out")" = absent ] || leaked=$((leaked + 1))
		fi
	done
	ctr touch /tmp/s6-stop
	wait "$swapper" || true
	ctr sh -c 'cd /home/alice && { [ -d p ] && [ ! -L p ] || { rm -f p; mv p.real p; }; }'
	log "6: swap loop: $launched of 25 launched"
	check "6: launches happened while the root was being swapped" test "$launched" -gt 0
	check_eq "6: no launch bound bob's project at alice's root" 0 "$leaked"
}

# alice and bob sharing one agent account: while alice's agent runs, bob's is refused.
s6_shared_account() {
	local a=/home/alice/p/proj-alice ja ra
	E2E_BOB_AGENT=pi-agent write_config /opt/fake-agent
	# bob's agent home belongs to his own account so far: the runner would refuse it (rightly)
	ctr rm -rf /var/lib/pi-agent/users/bob
	ctr rm -f "$a/.e2e-ready" "$a/.e2e-release"
	bg_start s6-alice alice "cd $a && pi --hold"
	ja=$BG_PID
	if poll 30 ctr test -e "$a/.e2e-ready"; then
		pi_as bob proj-bob "--exit 0"
		check_eq "6: bob, sharing alice's running agent account, is refused" 1 "$RC"
		check_has "6: the refusal says why" "$ERR" "is in use by the agent of alice"
	else
		fail "6: alice's held agent starts" "$(cat "$E2E_DIR/s6-alice.out")"
	fi
	ctr touch "$a/.e2e-release"
	ra=0; wait "$ja" || ra=$?
	check_eq "6: alice's held run exits 0" 0 "$ra"
	pi_as bob proj-bob "--exit 0"
	check_eq "6: once alice's agent ended, bob's runs" 0 "$RC"
	ctr rm -rf /var/lib/pi-agent/users/bob
}
