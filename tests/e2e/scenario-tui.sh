# scenario-tui.sh - the terminal as with pi itself: exit codes after signals (pipe, pty, OOM) and the real TUI side by side in tmux.
# shellcheck shell=bash
# The TUI half runs pi 0.73.1 twice in a tmux pane (tmux on the host, the pane's shell inside the
# container): directly as the agent account (D) and through the launcher as alice (L), and
# checks each step gives both the same (the launcher through sudo with and without use_pty): render, typing, an answer and its file, resize,
# Ctrl-C, Ctrl-Z and fg, Ctrl-D, the terminal variables the agent sees, exit codes after
# signals and the terminal's settings after exit.

ST_PROJ=/home/alice/p/proj-alice
ST_DIRECT_HOME=/var/tmp/pi-direct
ST_SOCK=""
ST_WAIT=${ST_WAIT:-40} # seconds allowed for the TUI to show a state
ST_COLS=100
ST_ROWS=30
declare -A ST=() # ST[SIDE:step]=value

scenario_tui() {
	need_launcher "scenario tui" || return 0
	write_config /opt/fake-agent
	st_exit_codes
	st_oom
	if ! command -v tmux >/dev/null; then
		fail "tui: tmux is on the host (apt-get install tmux)"
		return 0
	fi
	agent_ensure
	s2_mock_start || return 0
	s2_user_config alice
	st_direct_home
	write_config /opt/pi-real
	ST_SOCK=$E2E_DIR/tui-tmux.sock
	st_side D
	st_side L
	# and with sudo's use_pty off (Debian's sudoers turns it on; other systems may not)
	ctr bash -c 'echo "Defaults !use_pty" >/etc/sudoers.d/zz-e2e-nopty && chmod 0440 /etc/sudoers.d/zz-e2e-nopty'
	st_side N
	ctr rm -f /etc/sudoers.d/zz-e2e-nopty
	st_compare L "through sudo with use_pty"
	st_compare N "through sudo without use_pty"
	tm kill-server 2>/dev/null || true
	write_config /opt/fake-agent
	ctr systemctl stop e2e-mock-llm.service 2>/dev/null || true
}

# ---------------------------------------------------------------- exit codes (fake agent)
# The fake agent kills itself: pi exits 128+N as the agent run directly does, through a pipe
# and through a terminal (script(1) gives pi one).
st_exit_codes() {
	local sig n direct
	for sig in INT TERM KILL SEGV; do
		n=$(ctr kill -l "$sig")
		T=40 run_as alice "cd $ST_PROJ && /opt/fake-agent/bin/pi --quiet --kill $sig"
		direct=$RC
		check_eq "tui: the fake agent killed by SIG$sig exits $((128 + n)) run directly" \
			"$((128 + n))" "$direct"
		T=40 run_as alice "cd $ST_PROJ && pi --quiet --kill $sig"
		check_eq "tui: pi exits $((128 + n)) when SIG$sig ends the agent (pipe)" "$direct" "$RC"
		T=40 run_as alice "cd $ST_PROJ && script -qec 'pi --quiet --kill $sig' /dev/null </dev/null"
		check_eq "tui: pi exits $((128 + n)) when SIG$sig ends the agent (terminal)" "$direct" "$RC"
	done
	T=40 run_as alice "cd $ST_PROJ && pi --quiet --exit 42"
	check_eq "tui: the agent's own exit status passes through" 42 "$RC"
}

# An agent that outgrows MemoryMax is OOM-killed: pi exits 137 and the unit is gone. Needs a
# memory controller in the container (a cgroup v2 host); on a cgroup v1 host MemoryMax is not
# enforced there, and the case is skipped (the fake agent stops growing at 256 MiB either way).
st_oom() {
	local before
	if ! ctr grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
		log "tui: SKIP the OOM case: no memory controller in the container (cgroup v1 host)"
		return 0
	fi
	ctr sed -i 's/"MemoryMax": "2G"/"MemoryMax": "64M"/' /etc/pi-agent/config.json
	before=$(units)
	T=60 run_as alice "cd $ST_PROJ && pi --quiet --eat-memory"
	check_eq "tui: pi exits 137 when the kernel OOM-kills the agent under MemoryMax" 137 "$RC"
	check_has "tui: the OOM kill was the memory limit's (journal)" \
		"$(ctr journalctl -q --since=-60s _PID=1 -o cat)" "OOM killer"
	check_eq "tui: no unit is left after the OOM kill" "$before" "$(units)"
	write_config /opt/fake-agent
}

# ---------------------------------------------------------------- the TUI side by side
tm() { tmux -S "$ST_SOCK" -f /dev/null "$@"; }

# The agent account's own home for pi run directly: alice's models.json and settings.json.
st_direct_home() {
	ctr rm -rf "$ST_DIRECT_HOME"
	ctr install -d -o pi-agent -g pi-agent -m 0700 "$ST_DIRECT_HOME" "$ST_DIRECT_HOME/.pi" \
		"$ST_DIRECT_HOME/.pi/agent"
	ctr install -o pi-agent -g pi-agent -m 0600 /home/alice/.pi/agent/models.json \
		/home/alice/.pi/agent/settings.json "$ST_DIRECT_HOME/.pi/agent/"
}

# st_shell_cmd SIDE: the pane's interactive shell inside the container, as alice (L) or as the
# agent account with the project group (D). The terminal variables are the pane's.
st_shell_cmd() {
	local term=(TERM=screen-256color COLORTERM=truecolor LANG=C.UTF-8 PS1='st$ ')
	ST_CMD=(nsenter -t "$CPID" -a -r -w env -i PATH="$C_PATH")
	if [ "$1" != D ]; then
		ST_CMD+=(setpriv --reuid=alice --regid=alice --init-groups --reset-env
			env -i PATH="$C_PATH" HOME=/home/alice USER=alice LOGNAME=alice "${term[@]}")
	else
		ST_CMD+=(setpriv --reuid=pi-agent --regid=pi-agent --groups="$(ctr getent group piproj | cut -d: -f3)"
			--reset-env env -i PATH="$C_NODE/bin:$C_PATH" HOME="$ST_DIRECT_HOME" USER=pi-agent
			PI_CODING_AGENT_DIR="$ST_DIRECT_HOME/.pi/agent" PI_OFFLINE=1 PI_TELEMETRY=0
			PI_SKIP_VERSION_CHECK=1 "${term[@]}")
	fi
	ST_CMD+=(bash --norc --noprofile -i)
}

# st_screen SIDE: the pane's visible text, trailing blanks dropped.
st_screen() { tm capture-pane -p -t "st$1" | sed 's/[[:space:]]*$//'; }
_st_shows() { st_screen "$1" | grep -qF -- "$2"; }
_st_lacks() { ! st_screen "$1" | grep -qF -- "$2"; }
# st_wait SIDE TEXT [lacks]: until the pane shows TEXT (or no longer shows it); 0/1.
st_wait() {
	if [ "${3:-}" = lacks ]; then poll "$ST_WAIT" _st_lacks "$1" "$2"; else poll "$ST_WAIT" _st_shows "$1" "$2"; fi
}
# st_keys SIDE KEYS...: tmux key names (Enter, C-c, ...); st_type SIDE TEXT: literal text.
st_keys() { local s=$1; shift; tm send-keys -t "st$s" "$@"; }
st_type() { tm send-keys -t "st$1" -l -- "$2"; }
# st_run SIDE CMDLINE: type a shell command line and wait for its "done" marker.
st_run() {
	local m="st-done-$RANDOM"
	st_type "$1" "$2; echo $m"
	st_keys "$1" Enter
	poll "$ST_WAIT" _st_marker "$1" "$m"
}
# (at a line's start: the echo's output, not the command line; a TUI's leftovers may follow it)
_st_marker() { st_screen "$1" | grep -q -- "^$2"; }
# the agent's node (it names itself pi) of either side: both run as the agent account
st_agent_pid() { { ctr pgrep -u pi-agent -n -x pi 2>/dev/null || true; } | head -n1; }
# The pi command of each side.
st_pi() { if [ "$1" != D ]; then echo pi; else echo /opt/pi-real/bin/pi; fi; }
# st_idle SIDE: the TUI shows its editor and model, waiting for input.
st_idle() { st_wait "$1" mock-model; }

st_side() {
	local s=$1 pid
	tm kill-session -t "st$s" 2>/dev/null || true
	st_shell_cmd "$s"
	tm new-session -d -s "st$s" -x "$ST_COLS" -y "$ST_ROWS" "${ST_CMD[@]}"
	if ! st_wait "$s" 'st$'; then
		fail "tui $s: the pane's shell starts" "$(st_screen "$s")"
		return 0
	fi
	ctr rm -f "$ST_PROJ/e2e-written.txt" "$ST_PROJ/e2e-bash.txt" "/tmp/st-$s.before" "/tmp/st-$s.after"
	st_run "$s" "cd $ST_PROJ && stty -g >/tmp/st-$s.before && clear" || true
	# render
	st_type "$s" "$(st_pi "$s")"
	st_keys "$s" Enter
	if ! st_idle "$s"; then
		fail "tui $s: the TUI starts" "$(st_screen "$s")"
		return 0
	fi
	ST[$s:render]=ok
	st_snap "$s" render
	pid=$(st_agent_pid)
	ST[$s:env]=$(ctr cat "/proc/${pid:-0}/environ" 2>/dev/null | tr '\0' '\n' |
		grep -E '^(TERM|COLORTERM|LANG)=' | sort | paste -sd ' ')
	# typing, then Ctrl-C clears what was typed
	st_type "$s" "typed by the test"
	if st_wait "$s" "typed by the test"; then ST[$s:typing]=ok; fi
	st_snap "$s" typing
	st_keys "$s" C-c
	if st_wait "$s" "typed by the test" lacks; then ST[$s:ctrl-c]=cleared; fi
	# an answer and its file
	st_type "$s" "$S2_PROMPT"
	st_keys "$s" Enter
	if st_wait "$s" E2E-DONE; then ST[$s:answer]=ok; fi
	st_snap "$s" answer
	ST[$s:file]=$(ctr cat "$ST_PROJ/e2e-written.txt" 2>&1)
	# resize: the TUI redraws to the new width
	tm resize-window -t "st$s" -x 72 -y 24
	if poll "$ST_WAIT" _st_width "$s" 72; then ST[$s:resize]=ok; fi
	st_snap "$s" resize
	tm resize-window -t "st$s" -x "$ST_COLS" -y "$ST_ROWS"
	poll "$ST_WAIT" _st_width "$s" "$ST_COLS" || true
	# Ctrl-Z: the shell shows the job stopped; fg resumes it and the TUI redraws
	st_keys "$s" C-z
	if st_wait "$s" Stopped; then
		ST[$s:ctrl-z]=stopped
		st_snap "$s" ctrl-z
		st_run "$s" clear || true
		st_wait "$s" mock-model lacks || true
		st_type "$s" fg
		st_keys "$s" Enter
		if st_idle "$s"; then ST[$s:fg]=redrawn; fi
		st_snap "$s" fg
	else
		ST[$s:ctrl-z]=not-stopped
		st_screen "$s" >"$E2E_DIR/tui-$s-ctrlz.screen"
	fi
	# Ctrl-D on an empty editor exits 0, and the terminal is as before
	st_keys "$s" C-d
	if poll "$ST_WAIT" _st_shell_idle "$s"; then
		st_run "$s" 'echo "rc=$?"; stty -g >/tmp/st-'"$s"'.after' || true
		ST[$s:ctrl-d]=$(st_rc "$s")
		ST[$s:stty]=$(ctr cmp -s "/tmp/st-$s.before" "/tmp/st-$s.after" && echo same || echo changed)
	fi
	# exit codes after signals to the agent
	local sig
	for sig in TERM INT HUP KILL; do
		st_run "$s" clear || true
		st_type "$s" "$(st_pi "$s")"
		st_keys "$s" Enter
		st_idle "$s" || continue
		pid=$(st_agent_pid)
		ctr kill -s "$sig" "${pid:-0}"
		poll "$ST_WAIT" _st_shell_idle "$s" || continue
		st_run "$s" 'echo "rc=$?"; stty -g >/tmp/st-'"$s"'.after' || true
		ST[$s:sig-$sig]=$(st_rc "$s")
		ST[$s:stty-$sig]=$(ctr cmp -s "/tmp/st-$s.before" "/tmp/st-$s.after" && echo same || echo changed)
	done
	st_screen "$s" >"$E2E_DIR/tui-$s.screen"
}
# _st_shell_idle SIDE: the pane's shell runs no command (seen from the host: nsenter's child
# is the shell, and it has no child).
_st_shell_idle() {
	local sh
	sh=$(pgrep -P "$(tm display -p -t "st$1" '#{pane_pid}')" | head -n1)
	[ -n "$sh" ] && ! pgrep -P "$sh" >/dev/null
}
# st_rc SIDE: the last "rc=N" the pane's shell printed.
st_rc() { st_screen "$1" | { grep -o 'rc=[0-9]*' || true; } | tail -n1; }
# _st_width SIDE N: the widest line on the screen is N columns (the TUI's rules span it).
_st_width() { [ "$(st_screen "$1" | LC_ALL=C.UTF-8 wc -L)" = "$2" ]; }
# st_snap SIDE STEP: keep the screen of a step in $E2E_DIR/tui-SIDE-STEP.screen.
st_snap() { st_screen "$1" >"$E2E_DIR/tui-$1-$2.screen" 2>&1 || true; }

# st_compare SIDE HOW: each step of the launcher's SIDE against pi run directly (D).
st_compare() {
	local s=$1 how=$2 k
	[ "$s" = N ] || check_has "tui: the agent sees the terminal's TERM, COLORTERM and LANG (direct)" \
		"${ST[D:env]:-}" "COLORTERM=truecolor LANG=C.UTF-8 TERM=screen-256color"
	for k in render env typing ctrl-c answer file resize ctrl-z fg ctrl-d stty sig-TERM stty-TERM \
		sig-INT stty-INT sig-HUP stty-HUP sig-KILL stty-KILL; do
		check_eq "tui: $k: the launcher $how as pi run directly [${ST[D:$k]:-}]" \
			"${ST[D:$k]:-missing}" "${ST[$s:$k]:-missing}"
	done
	check_eq "tui: Ctrl-D exits 0 ($how)" rc=0 "${ST[$s:ctrl-d]:-}"
	check_eq "tui: SIGKILL to the agent: pi exits 137 ($how)" rc=137 "${ST[$s:sig-KILL]:-}"
	check_eq "tui: the terminal's settings are restored after exit ($how)" same "${ST[$s:stty]:-}"
}
