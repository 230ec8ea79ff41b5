# scenario-5.sh - SIGINT, SIGTERM and SIGHUP to `pi` end the agent's unit and leave nothing behind; the unit killed as a whole gives 128+N; the agent's own marks of a Ctrl-Z stop nothing without a terminal.
# shellcheck shell=bash

S5_PROJ=/home/alice/p/proj-alice
S5_WITHIN=${S5_WITHIN:-5} # seconds allowed for the unit to go after the signal

scenario_5() {
	need_launcher "scenario 5" || return 0
	write_config /opt/fake-agent
	local sig
	for sig in INT TERM HUP; do
		s5_signal "$sig"
	done
	s5_unit_killed
	s5_marks
}

# The unit killed as a whole (systemctl kill -s KILL, as systemd-oomd would): pi exits 137, as
# pi run directly would, and no failed unit is left behind.
s5_unit_killed() {
	local job apid unit rc=0
	ctr rm -f "$S5_PROJ/.e2e-agent.pid"
	T=40 bg_start s5k alice "cd $S5_PROJ && exec pi --sleep"
	job=$BG_PID
	if ! poll 20 ctr test -s "$S5_PROJ/.e2e-agent.pid"; then
		fail "5: unit killed: the agent starts" "$(cat "$E2E_DIR/s5k.out")"
		s5_cleanup "$job" "" "" ""
		return 0
	fi
	apid=$(ctr cat "$S5_PROJ/.e2e-agent.pid")
	unit=$(ctr ps -o unit= -p "$apid" | tr -d ' ')
	ctr systemctl kill -s KILL "$unit"
	wait "$job" || rc=$?
	check_eq "5: the unit killed as a whole (SIGKILL): pi exits 128+9" 137 "$rc"
	check_eq "5: ... and leaves no failed unit" "" \
		"$(ctr systemctl list-units --all --no-legend --plain "$unit")"
	s5_cleanup "" "" "$apid" "$unit"
}

# Without a terminal, the agent creates and removes the mark of a Ctrl-Z 3,000 times: the job
# (timeout, sudo, the runner, systemd-run) is never stopped, and root spawns nothing for it.
s5_marks() {
	local stopped
	# 3,000 marks are 3,000 forks of rm in the fake agent: 15 s here, twice that on a loaded
	# machine; the bound only tells a launch that ends from one left stopped
	T=150 run_as alice "cd $S5_PROJ && timeout 120 pi --quiet --marks 3000 --exit 0 </dev/null"
	check_eq "5: the agent's own Ctrl-Z marks without a terminal: the launch ends by itself, 0" 0 "$RC"
	check_eq "5: ... after all its marks" 3000 "$(field marks "$OUT")"
	stopped=$(ctr ps -eo stat=,args= | awk '$1 ~ /^T/' || true)
	check_eq "5: ... and nothing is left stopped" "" "$stopped"
}

s5_signal() {
	local sig=$1 job ppid apid unit
	ctr rm -f "$S5_PROJ/.e2e-agent.pid"
	T=40 bg_start s5 alice "cd $S5_PROJ && exec pi --sleep"
	job=$BG_PID
	if ! poll 20 ctr test -s "$S5_PROJ/.e2e-agent.pid"; then
		fail "5: SIG$sig: the agent starts" "$(cat "$E2E_DIR/s5.out")"
		s5_cleanup "$job" "" "" ""
		return 0
	fi
	ppid=$(ctr cat /run/e2e-s5.pid)
	apid=$(ctr cat "$S5_PROJ/.e2e-agent.pid")
	unit=$(ctr ps -o unit= -p "$apid" | tr -d ' ')
	check "5: SIG$sig: the agent runs in its own unit" test -n "$unit"
	ctr kill -s "$sig" "$ppid"
	if poll "$S5_WITHIN" s5_gone "$ppid" "$apid" "$unit"; then
		pass "5: SIG$sig to pi ends the agent and its unit within ${S5_WITHIN}s"
	else
		fail "5: SIG$sig to pi ends the agent and its unit within ${S5_WITHIN}s" \
			"left: $(s5_left "$ppid" "$apid" "$unit")"
	fi
	s5_cleanup "$job" "$ppid" "$apid" "$unit"
	local left
	left=$(ctr pgrep -u pi-agent -a || true)
	check_eq "5: SIG$sig: no agent process is left" "" "$left"
	left=$(ctr pgrep -a -f 'pi-runner|systemd-run|sudo' || true)
	check_eq "5: SIG$sig: no runner, sudo or systemd-run is left" "" "$left"
}

_alive() { ctr kill -0 "$1" 2>/dev/null; }
# s5_gone PPID APID UNIT: pi, the agent and the unit are all gone.
s5_gone() {
	! _alive "$1" && ! _alive "$2" && { [ -z "$3" ] ||
		[ -z "$(ctr systemctl list-units --all --no-legend --plain "$3")" ]; }
}
s5_left() {
	_alive "$1" && echo "pi (pid $1: $(ctr ps -o stat=,args= -p "$1"))"
	_alive "$2" && echo "agent (pid $2)"
	[ -n "$3" ] && ctr systemctl list-units --all --no-legend --plain "$3"
	true
}

# s5_cleanup JOB PPID APID UNIT: make sure nothing of this run survives into the next case.
s5_cleanup() {
	if [ -n "$4" ]; then
		ctr systemctl stop "$4" 2>/dev/null || true
		ctr systemctl reset-failed "$4" 2>/dev/null || true
	fi
	if [ -n "$2" ]; then ctr kill -KILL "$2" 2>/dev/null || true; fi
	if [ -n "$3" ]; then ctr kill -KILL "$3" 2>/dev/null || true; fi
	wait "$1" 2>/dev/null || true
}
