# scenario-latency.sh - the first TUI frame after Enter, the launcher against pi run directly, in alternated rounds: prints each mode's medians (a benchmark line, never a timed assertion).
# shellcheck shell=bash disable=SC2034
# pi 0.73.1 in two tmux panes of the tui scenario's kind (st_* helpers): D runs it directly as the
# agent account, L through the launcher as alice. A round types the command, notes the time and
# presses Enter; frame-watch.js, fed the pane's output by tmux pipe-pane, notes when the TUI's
# footer (the model's name) first arrives. The sides alternate, the order swapped each round, so
# the machine's drift (several hundred ms between runs that are not alternated) hits both alike.
# Open mode, then alice on an allowlist (the proxy in the unit); pi run directly has neither.
# LT_AGENT=1.6.0 measures pi 1.6.0 on Node 22 instead (its compile cache: NODE_COMPILE_CACHE).

LT_ROUNDS=${LT_ROUNDS:-10}
LT_AGENT=${LT_AGENT:-0.73.1}
LT_MARK=mock-model
declare -A LT=() # LT[SIDE]=the side's times of this mode, one per round

scenario_latency() {
	need_launcher "scenario latency" || return 0
	if ! command -v tmux >/dev/null; then
		fail "latency: tmux is on the host (apt-get install tmux)"
		return 0
	fi
	agent_ensure
	[ "$LT_AGENT" = 0.73.1 ] || agent16_ensure
	s2_mock_start || return 0
	s2_user_config alice
	st_direct_home
	ctr bash -c 'id pi-proxy >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin pi-proxy'
	ST_SOCK=$E2E_DIR/latency-tmux.sock
	lt_config
	lt_mode open
	lt_config
	ctr sed -i "s|\"alice\": { \"projectRoots\": \[\"~/p\"\] }|\"alice\": { \"projectRoots\": [\"~/p\"], \"network\": { \"mode\": \"allowlist\", \"allow\": [\"127.0.0.1:$S2_PORT\"] } }|" \
		/etc/pi-agent/config.json
	check_has "latency: alice is on an allowlist" "$(ctr cat /etc/pi-agent/config.json)" '"mode": "allowlist"'
	lt_mode allowlist
	tm kill-server 2>/dev/null || true
	write_config /opt/fake-agent
	ctr systemctl stop e2e-mock-llm.service 2>/dev/null || true
}

# lt_config: the scenarios' config with the agent measured.
lt_config() {
	if [ "$LT_AGENT" = 0.73.1 ]; then write_config /opt/pi-real; else E2E_NODE_BIN=$C_NODE22/bin write_config /opt/pi-real16; fi
}
# lt_pi SIDE: the pi command of each side.
lt_pi() {
	if [ "$1" != D ]; then echo pi; elif [ "$LT_AGENT" = 0.73.1 ]; then echo /opt/pi-real/bin/pi; else echo /opt/pi-real16/bin/pi; fi
}

# lt_mode MODE: a warm-up launch on each side, then LT_ROUNDS alternated rounds; the benchmark line.
lt_mode() {
	local mode=$1 r s order
	LT=([D]="" [L]="")
	for s in D L; do
		lt_pane "$s" || return 0
		lt_once "$s" >/dev/null || { fail "latency $mode $s: the warm-up launch shows the TUI" "$(st_screen "$s")"; return 0; }
	done
	for ((r = 0; r < LT_ROUNDS; r++)); do
		order="D L"
		[ $((r % 2)) -eq 0 ] || order="L D"
		for s in $order; do
			LT[$s]+="$(lt_once "$s") "
		done
	done
	check_eq "latency $mode: the first frame was seen in each of $LT_ROUNDS rounds on both sides" \
		"$LT_ROUNDS $LT_ROUNDS" "$(wc -w <<<"${LT[D]}") $(wc -w <<<"${LT[L]}")"
	lt_report "$mode" "${LT[D]}" "${LT[L]}"
	tm kill-session -t stD 2>/dev/null || true
	tm kill-session -t stL 2>/dev/null || true
}

# lt_pane SIDE: the side's pane (its shell in the project), its output fed to frame-watch.js.
lt_pane() {
	local s=$1
	tm kill-session -t "st$s" 2>/dev/null || true
	if [ "$LT_AGENT" = 0.73.1 ]; then st_shell_cmd "$s"; else C_NODE=$C_NODE22 st_shell_cmd "$s"; fi
	tm new-session -d -s "st$s" -x "$ST_COLS" -y "$ST_ROWS" "${ST_CMD[@]}"
	if ! st_wait "$s" 'st$' || ! st_run "$s" "cd $ST_PROJ"; then
		fail "latency $s: the pane's shell starts" "$(st_screen "$s")"
		return 1
	fi
	rm -f "$E2E_DIR/latency-$s.frames"
	tm pipe-pane -O -t "st$s" "exec node $E2E_SRC/frame-watch.js $E2E_DIR/latency-$s.frames $LT_MARK"
}

# lt_once SIDE: one launch; prints the ms from Enter to the TUI's first frame, then exits it
# with Ctrl-D and waits for the shell. Fails when no frame came.
lt_once() {
	local s=$1 t0
	st_run "$s" clear || return 1
	st_type "$s" "$(lt_pi "$s")"
	t0=$(now_ms)
	st_keys "$s" Enter
	poll "$ST_WAIT" _lt_frame "$s" "$t0" || return 1
	st_idle "$s" || return 1
	st_keys "$s" C-d
	poll "$ST_WAIT" _st_shell_idle "$s" || return 1
	echo $((LT_SEEN - t0))
}
# _lt_frame SIDE T0: the first frame at or after T0 (ms) is in LT_SEEN.
_lt_frame() {
	LT_SEEN=$(awk -v t="$2" '$1 >= t { print; exit }' "$E2E_DIR/latency-$1.frames" 2>/dev/null)
	[ -n "$LT_SEEN" ]
}

# lt_report MODE "D TIMES" "L TIMES": the medians, the median of the round pairs' differences, and
# how many pairs the launcher was the slower in.
lt_report() {
	local line
	line=$(awk -v d="$2" -v l="$3" '
		function median(a, n,   i, j, t) {
			for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		BEGIN {
			n = split(d, D); split(l, L)
			for (i = 1; i <= n; i++) { x[i] = D[i]; y[i] = L[i]; z[i] = L[i] - D[i]; slower += L[i] > D[i] }
			md = median(x, n); ml = median(y, n)
			printf "launcher %d ms, direct %d ms (%+d ms, %.2fx); pairs: median %+d ms, launcher slower in %d of %d",
				ml, md, ml - md, ml / md, median(z, n), slower, n
		}')
	printf 'bench latency %s (pi %s): first TUI frame after Enter, median of %d: %s\n' "$1" "$LT_AGENT" "$LT_ROUNDS" "$line"
	printf '      direct:   %s\n      launcher: %s\n' "$2" "$3"
	E2E_BENCH+=("latency $1 (pi $LT_AGENT): $line")
}
