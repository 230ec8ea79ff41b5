# scenario-smoke.sh - proves the harness: transient sandboxed units run inside the container.
# shellcheck shell=bash

scenario_smoke() {
	local t out rc
	t=$(now_ms)
	out=$(ctr systemd-run --quiet --wait --pipe --collect -p DynamicUser=yes id 2>&1) || true
	log "time: one sandboxed run (systemd-run DynamicUser id) $(($(now_ms) - t)) ms"
	if [[ "$out" =~ ^uid=([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge 61184 ]; then
		pass "smoke: systemd-run -p DynamicUser=yes runs as a dynamic uid"
	else
		fail "smoke: systemd-run -p DynamicUser=yes runs as a dynamic uid" "$out"
	fi
	rc=0
	ctr systemd-run --quiet --wait --pipe --collect -p DynamicUser=yes sh -c 'exit 7' || rc=$?
	check_eq "smoke: systemd-run --wait passes the exit code through" 7 "$rc"
	out=$(ctr script -qec 'systemd-run --quiet --wait --pty --collect -p DynamicUser=yes tty' /dev/null |
		tr -d '\r') || true
	check_has "smoke: systemd-run --pty under script(1) gives the unit a terminal" "$out" "/dev/pts/"
	out=$(ctr systemctl list-units --all --no-legend --plain --type=service 'run-*')
	check_eq "smoke: --collect leaves no run-* unit behind" "" "$out"
}
