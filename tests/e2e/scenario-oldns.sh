# scenario-oldns.sh - alice, from a mount namespace she made before the launch (unshare -Urm), removes or moves what covers her project while the unit runs: systemd's unit is killed, pi exits 1, the agent never reports.
# shellcheck shell=bash

scenario_oldns() {
	need_launcher "scenario oldns" || return 0
	so_case admin-wins 'rm .pi/settings.json && echo "{\"shellPath\": \"/mine\"}" >.pi/settings.json' \
		.pi/settings.json
	so_case deny 'mv .pi .pi-old && mkdir .pi && echo "{}" >.pi/settings.json' .pi
	ctr rm -rf /home/alice/p/proj-alice/.pi /home/alice/p/proj-alice/.pi-old /home/alice/.e2e-go
	write_config /opt/fake-agent
}

# so_case MODE ATTACK WHAT: the fake agent held in alice's project under projectConfig MODE;
# once it is up, ATTACK runs in alice's older namespace there; WHAT (under the project) is what
# pi must name when it stops.
so_case() {
	local mode=$1 attack=$2 what=$3 a=/home/alice/p/proj-alice cur ja ra out
	write_config /opt/fake-agent
	[ "$mode" = admin-wins ] ||
		ctr sed -i "s|\"alice\": { \"projectRoots\": \[\"~/p\"\] }|\"alice\": { \"projectRoots\": [\"~/p\"], \"projectConfig\": \"$mode\" }|" \
			/etc/pi-agent/config.json
	ctr rm -rf "$a/.pi" "$a/.pi-old" "$a/.e2e-ready" "$a/.e2e-release" "$a/.e2e-ns" "$a/.e2e-done" \
		/home/alice/.e2e-go
	as alice "mkdir -p $a/.pi && echo '{\"shellPath\": \"/evil\"}' >$a/.pi/settings.json && mkfifo -m 0600 ~/.e2e-go"
	# the namespace is made now, before the launch, and waits on the FIFO
	bg_start so-ns alice "unshare -Urm bash -c 'touch $a/.e2e-ns; read -r _ <~/.e2e-go; cd $a && $attack; echo \$? >$a/.e2e-done'"
	if ! poll 30 ctr test -e "$a/.e2e-ns"; then
		fail "oldns $mode: alice's namespace is made" "$(cat "$E2E_DIR/so-ns.out")"
		return 0
	fi
	cur=$(journal_cursor)
	bg_start so-pi alice "cd $a && pi --hold --see $a/.pi/settings.json"
	ja=$BG_PID
	if ! poll 30 ctr test -e "$a/.e2e-ready"; then
		fail "oldns $mode: the held agent starts" "$(cat "$E2E_DIR/so-pi.out")"
		as alice "echo go >~/.e2e-go"
		wait "$ja" || true
		return 0
	fi
	as alice "echo go >~/.e2e-go"
	poll 30 ctr test -e "$a/.e2e-done" || true
	check_eq "oldns $mode: the attack itself worked" 0 "$(ctr cat "$a/.e2e-done" 2>/dev/null)"
	# without the watch the held agent reports when its 30 s hold ends, and pi exits 0
	ra=0; wait "$ja" || ra=$?
	out=$(cat "$E2E_DIR/so-pi.out")
	check_eq "oldns $mode: pi exits 1" 1 "$ra"
	check_has "oldns $mode: pi says which cover went" "$out" "stopped the agent: $a/$what"
	check_lacks "oldns $mode: the agent never reported" "$out" "see:"
	check "oldns $mode: the audit line names it" ctr sh -c \
		"journalctl -q --after-cursor='$cur' SYSLOG_IDENTIFIER=pi-runner -o cat | grep -q '^stop .*reason=cover-gone'"
	check_eq "oldns $mode: no agent unit is left" "" "$(units | grep '^pi-agent-alice' || true)"
}
