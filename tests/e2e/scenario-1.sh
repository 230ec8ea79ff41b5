# scenario-1.sh - the launcher with a fake agent: identity, cwd, visibility, hardening, git, env, exit codes, pipe, pty.
# shellcheck shell=bash

S1_PROJ=/home/alice/p/proj-alice
S1_STATE=/var/lib/pi-agent/users/alice

scenario_1() {
	need_launcher "scenario 1" || return 0
	write_config /opt/fake-agent
	# bob runs first, so that his agent state exists when alice's agent looks for it.
	pi_as bob proj-bob "--quiet"
	check_eq "1: bob's first run succeeds" 0 "$RC"
	s1_report
	s1_state
	s1_exit_codes
	s1_pipe
	s1_pty
	s1_terminal
}

# The caller's terminal and locale reach the agent past sudo's env_reset; systemd's journal
# names the unit by user and cwd, never by the agent's arguments (sudo's own log line of the
# runner's command line is sudo's: see pi(1)).
s1_terminal() {
	local cur r
	ctr install -d -o alice -g alice "$S1_PROJ/50% done"
	cur=$(journal_cursor)
	run_as alice "cd '$S1_PROJ/50% done' && COLORTERM=truecolor TERM_PROGRAM=WezTerm LANG=C.UTF-8 pi my-secret-prompt"
	r=$OUT
	check_eq "1: pi exits 0 with terminal variables" 0 "$RC"
	check_eq "1: LANG reaches the agent" C.UTF-8 "$(field lang "$r")"
	check_eq "1: COLORTERM reaches the agent" truecolor "$(field colorterm "$r")"
	check_eq "1: TERM_PROGRAM reaches the agent" WezTerm "$(field term_program "$r")"
	check_has "1: the journal names the unit by user and cwd" "$(started_since "$cur")" \
		"- pi agent of alice in $S1_PROJ/50% done."
	check_lacks "1: the agent's argument is not in systemd's journal lines" \
		"$(ctr journalctl -q --after-cursor="$cur" _PID=1 -o cat)" my-secret-prompt
}

s1_report() {
	local probes r
	probes="--see /home/bob --see /home/bob/secret.txt --see /home/alice/secret.txt --see /home/carol"
	probes+=" --see /root --see /root/secret-root.txt --see /var/lib/pi-agent/users/bob --see /run/pi-agent/alice.env"
	probes+=" --see /run/pi-agent/bob.env --see /etc/pi-agent/secrets.env --see /etc/sudoers"
	probes+=" --see $S1_PROJ --write /etc --write /usr --write /var/lib/pi-agent --write $S1_PROJ"
	probes+=" --write $S1_STATE --make agent-made.txt --chgrp agent-moved.txt --git agent-repo --pipeline"
	probes+=" --see /proc/1 --see /dev/net"
	ctr rm -rf "$S1_PROJ/agent-made.txt" "$S1_PROJ/agent-moved.txt" "$S1_PROJ/agent-repo"
	# an auth.json an earlier scenario's real agent wrote into alice's agent dir is the agent's
	# own (the sync neither copies nor removes it): gone first, so what follows is the sync's
	ctr rm -f "$S1_STATE/.pi/agent/auth.json"
	pi_as alice proj-alice "$probes"
	r=$OUT
	check_eq "1: pi exits 0 for a plain run" 0 "$RC"
	check_eq "1: agent runs as the agent account" pi-agent "$(field user "$r")"
	check_ne "1: agent is not root" 0 "$(field uid "$r")"
	check_ne "1: agent is not alice" "$(ctr id -u alice)" "$(field uid "$r")"
	check_has "1: agent holds the projectGroup" " $(field groups "$r") " " piproj "
	check_lacks "1: agent is not in alice's group" " $(field groups "$r") " " alice "
	check_eq "1: cwd is the project's own host path" "$S1_PROJ" "$(field cwd "$r")"
	check_eq "1: PWD matches the cwd" "$S1_PROJ" "$(field pwd "$r")"
	check_eq "1: HOME is alice's agent home" "$S1_STATE" "$(field home "$r")"
	check_eq "1: PI_CODING_AGENT_DIR is in the agent home" "$S1_STATE/.pi/agent" "$(field agentdir "$r")"
	check_eq "1: a pipe is no terminal for the agent (stdin)" 0 "$(field tty_in "$r")"
	check_eq "1: a pipe is no terminal for the agent (stdout)" 0 "$(field tty_out "$r")"
	check_has "1: runtimePath is on the agent's PATH" ":$(field path "$r"):" ":/opt/node/bin:"
	# no LANG is passed: the unit has PID 1's (the system locale, else systemd's C.UTF-8)
	check_eq "1: the agent has a UTF-8 locale through a pipe too" UTF-8 "$(field charmap "$r")"
	local p
	for p in /home/bob /home/bob/secret.txt /home/alice/secret.txt /home/carol /root /root/secret-root.txt \
		/var/lib/pi-agent/users/bob /run/pi-agent/alice.env /run/pi-agent/bob.env \
		/etc/pi-agent/secrets.env /etc/sudoers; do
		check_ne "1: agent cannot read $p" readable "$(field "see:$p" "$r")"
	done
	check_eq "1: agent reads its project" readable "$(field "see:$S1_PROJ" "$r")"
	check_eq "1: /etc is read-only" denied "$(field "write:/etc" "$r")"
	check_eq "1: /usr is read-only" denied "$(field "write:/usr" "$r")"
	check_eq "1: the stateDir root is not writable" denied "$(field "write:/var/lib/pi-agent" "$r")"
	check_eq "1: project is writable" ok "$(field "write:$S1_PROJ" "$r")"
	check_eq "1: the agent home is writable" ok "$(field "write:$S1_STATE" "$r")"
	check_eq "1: a new project file gets the project group (setgid dir)" piproj \
		"$(field made:agent-made.txt "$r" | cut -d: -f1)"
	check_eq "1: the host sees the new file's group and mode" piproj:660 \
		"$(ctr stat -c %G:%a "$S1_PROJ/agent-made.txt" 2>&1)"
	check_eq "1: the agent can give a file moved in the project group (chgrp)" ok \
		"$(field chgrp:agent-moved.txt "$r")"
	check_eq "1: the host sees the moved file's new group" piproj "$(ctr stat -c %G "$S1_PROJ/agent-moved.txt" 2>&1)"
	check_eq "1: git init + git commit work in the project" commits:1 "$(field git:agent-repo "$r")"
	check_eq "1: the repository is the project group's, group-writable" piproj:2770 \
		"$(ctr stat -c %G:%a "$S1_PROJ/agent-repo/.git/objects" 2>&1)"
	check_eq "1: a bash pipeline, process substitution and here-string work" "a,b,c+3+here" \
		"$(field pipeline "$r")"
	s1_hardening "$r"
	run_as alice "echo edited-by-alice >>$S1_PROJ/agent-made.txt && tail -n1 $S1_PROJ/agent-made.txt"
	check_eq "1: alice can edit what the agent made" edited-by-alice "$OUT"
	check_eq "1: env from the host .env only" from-host "$(field env:E2E_A "$r")"
	check_eq "1: env: environment overrides the host .env" from-environment "$(field env:E2E_B "$r")"
	check_eq "1: env: environmentFiles override environment" from-file "$(field env:E2E_C "$r")"
	check_eq "1: env: environmentFiles are read (root-only file)" s3cret "$(field env:E2E_SECRET "$r")"
	check_eq "1: env: the host .env is alice's" alice "$(field env:E2E_OWNER "$r")"
	check_eq "1: env: wrapper.extraEnvironment reaches the agent" from-wrapper "$(field env:E2E_EXTRA "$r")"
	check_eq "1: env: nothing of bob's" "" "$(field env:E2E_ONLY_bob "$r")"
}

# s1_hardening REPORT: the unit's hardening is in force (docs/HARDENING.md).
s1_hardening() {
	local r=$1
	check_eq "1: the agent runs under seccomp" 2 "$(field seccomp "$r")"
	check_eq "1: setpriority is refused (SystemCallFilter=~@resources)" refused "$(field nice "$r")"
	check_eq "1: empty capability bounding set" 0000000000000000 "$(field capbnd "$r")"
	check_eq "1: no_new_privs (NoNewPrivileges)" 1 "$(field nnp "$r")"
	check_eq "1: other users' processes are invisible (ProtectProc=invisible)" absent "$(field see:/proc/1 "$r")"
	check_eq "1: ps, free and uptime work (no ProcSubset=pid)" ok "$(field procps "$r")"
	check_eq "1: no devices beyond the pseudo ones (PrivateDevices)" absent "$(field see:/dev/net "$r")"
}

# s1_state: what the runner left on disk, checked as root.
s1_state() {
	local st merged
	st=$(ctr stat -c '%U:%G:%a' /var/lib/pi-agent 2>&1)
	check_eq "1: stateDir is root-owned 0755" root:root:755 "$st"
	st=$(ctr stat -c '%U:%a' "$S1_STATE" 2>&1)
	check_eq "1: alice's agent home is the agent's, 0700" pi-agent:700 "$st"
	check "1: ~/.pi/agent is synced (AGENTS.md)" ctr grep -q "agents file of alice" "$S1_STATE/.pi/agent/AGENTS.md"
	check "1: auth.json is not synced" ctr test ! -e "$S1_STATE/.pi/agent/auth.json"
	check "1: .npm exists in the agent home" ctr test -d "$S1_STATE/.npm"
	check "1: .npm-global exists in the agent home" ctr test -d "$S1_STATE/.npm-global"
	st=$(ctr stat -c '%U:%a' /run/pi-agent/alice.env 2>&1)
	check_eq "1: the env file is root-only" root:600 "$st"
	merged=$(ctr cat "$S1_STATE/.pi/agent/settings.json" 2>&1)
	# shellcheck disable=SC2016
	st=$(node -e 'const s=JSON.parse(process.argv[1]);
		console.log([s.theme, s.e2eManaged, s.nested && s.nested.a, s.nested && s.nested.b].join(","))' \
		"$merged" 2>&1) || true
	check_eq "1: settings: host keys kept, managed keys win, objects merge deeply" "dark,true,1,2" "$st"
}

s1_exit_codes() {
	local c
	for c in 0 3 42; do
		pi_as alice proj-alice "--quiet --exit $c"
		check_eq "1: agent exit code $c passes through pi" "$c" "$RC"
	done
}

s1_pipe() {
	local want
	pi_as alice proj-alice "--quiet --stdin <<<\$'in-1\nin-2'"
	check_eq "1: --pipe forwards stdin to the agent" $'stdin:in-1\nstdin:in-2' "$OUT"
	want=$( (seq -f 'line-%06g' 1 50000; echo END) | sha256sum)
	run_as alice "cd $S1_PROJ && pi --quiet --lines 50000 | sha256sum"
	check_eq "1: --pipe delivers complete output (50000 lines)" "$want" "$OUT"
}

s1_pty() {
	local r
	AS_ENV="TERM=xterm-256color" run_as alice "cd $S1_PROJ && script -qec 'pi' /dev/null"
	r=$OUT
	check_eq "1: a terminal gives the agent a tty (stdin)" 1 "$(field tty_in "$r")"
	check_eq "1: a terminal gives the agent a tty (stdout)" 1 "$(field tty_out "$r")"
	check_eq "1: TERM reaches the agent" xterm-256color "$(field term "$r")"
	check_eq "1: the agent has a UTF-8 locale" UTF-8 "$(field charmap "$r")"
	AS_ENV="TERM=xterm-256color" run_as alice "cd $S1_PROJ && script -qec 'pi --quiet --exit 5' /dev/null"
	check_eq "1: exit code passes through --pty" 5 "$RC"
}
