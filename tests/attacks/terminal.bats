#!/usr/bin/env bats
# terminal.bats - what of the caller's terminal reaches the unit: a fixed list of terminal and locale variables with plain values, and a description that never holds the agent's arguments.

bats_require_minimum_version 1.5.0

setup() {
	load atk
	atk_setup
	RUNNER=$FIX/bin/pi-runner
}

# The -E assignments of the only launch, one a line.
assignments() { argv_lines | awk 'prev == "-E" { print } { prev = $0 }'; }

@test "the terminal and locale variables sudo drops reach the agent; odd values and other names do not" {
	run atk_as pitest-alice "$A/p" env COLORTERM=truecolor TERM_PROGRAM=WezTerm \
		TERM_PROGRAM_VERSION=20240203-110809 LANG=de_DE.UTF-8 LC_ALL=C.UTF-8 \
		LC_TIME='$(id)' LANGUAGE='de de' COLORTERMX=1 LD_PRELOAD=/tmp/x.so \
		LC_CTYPE="$(printf 'x%.0s' $(seq 65))" pi
	launched
	run assignments
	for v in COLORTERM=truecolor TERM_PROGRAM=WezTerm TERM_PROGRAM_VERSION=20240203-110809 \
		LANG=de_DE.UTF-8 LC_ALL=C.UTF-8; do
		grep -qxF "$v" <<<"$output"
	done
	! grep -qE '^(LC_TIME|LANGUAGE|COLORTERMX|LD_PRELOAD|LC_CTYPE)=' <<<"$output"
	! grep -q 'id)\|x.so' "$(rec)/argv"
}

@test "the runner takes --env only for those names and plain values, straight through sudo too" {
	for bad in LD_PRELOAD=/tmp/x.so 'LANG=a;b' PATH=/tmp 'LANG=' COLORTERM; do
		rm -rf "${REC:?}/launch"/*
		run atk_as pitest-alice "$A/p" sudo -n "$RUNNER" --env "$bad" pitest-alice "$A/p"
		no_crash
		[ "$status" -eq 2 ] && [ "$(nlaunches)" -eq 0 ]
	done
	run atk_as pitest-alice "$A/p" sudo -n "$RUNNER" --env LANG=C.UTF-8 pitest-alice "$A/p"
	launched
	assignments | grep -qx LANG=C.UTF-8
}

@test "the unit's description names the user and the cwd, never the agent's arguments" {
	mkdir "$A/p/50% done"
	chown pitest-alice: "$A/p/50% done"
	run atk_as pitest-alice "$A/p/50% done" pi -p "my secret prompt"
	launched
	argv_lines | grep -qxF -- "--description=pi agent of pitest-alice in $A/p/50% done"
	# the prompt is the agent's argument after its path, nowhere before
	[ "$(argv_lines | grep -n 'my secret prompt' | cut -d: -f1)" -gt \
		"$(argv_lines | grep -nxF "$FIX/pkg/bin/pi" | cut -d: -f1)" ]
}

# The systemctl calls of the launches: "kill --signal=SIGCONT <unit>" is a resume, one per mark
# believed; "show --property=MainPID <unit>" a lookup of the unit's main process.
ctl_calls() { { cat "$REC/systemctl" 2>/dev/null || true; } | grep -c -- "$1" || true; }

@test "without a terminal, the agent's marks of a Ctrl-Z stop nothing and make root run nothing" {
	echo 300 >"$REC/marks"
	T=60 run atk_as pitest-alice "$A/p" setsid -w timeout 30 pi -p task </dev/null
	launched
	[ -e "$(rec)/marked" ]
	[ "$(ctl_calls kill)" -eq 0 ]
	[ "$(ctl_calls show)" -eq 0 ]
}

@test "on a terminal, a mark the agent makes itself (not the unit's main process) stops nothing" {
	echo 300 >"$REC/marks"
	echo 1 >"$REC/mainpid"     # the unit's main process is not the agent
	T=60 run atk_as pitest-alice "$A/p" script -qec "timeout --foreground 30 pi" /dev/null
	no_crash
	[ "$status" -eq 0 ] || { echo "status $status: $output" >&2; return 1; }
	[ "$(nlaunches)" -eq 1 ]
	[ -e "$(rec)/marked" ]
	[ "$(ctl_calls kill)" -eq 0 ]
	# the marks were seen (the watch works) and the main process asked of systemd a bounded
	# number of times, not per mark
	[ "$(ctl_calls show)" -ge 1 ]
	[ "$(ctl_calls show)" -le 3 ]
}

@test "on a terminal, the unit's main process's mark stops the job, and the resume reaches the unit" {
	: >"$REC/mainmark"
	atk_as pitest-alice "$A/p" script -qec "timeout --foreground 30 pi" /dev/null \
		>"$BATS_TEST_TMPDIR/out" 2>&1 &
	job=$!
	# the runner stops its job (script, no shell of its own, resumes it at once) and then sends
	# the unit the SIGCONT of fg
	for _ in $(seq 400); do
		[ "$(ctl_calls 'kill --signal=SIGCONT')" -ge 1 ] && break
		read -r -t 0.05 <> <(:) || true
	done
	: >"$REC/resumed"
	wait "$job" || true
	[ "$(ctl_calls 'kill --signal=SIGCONT')" -eq 1 ]
	# the main process, asked once, was the mark's creator
	[ "$(ctl_calls show)" -eq 1 ]
	rm -f "$REC/mainmark" "$REC/resumed"
}
