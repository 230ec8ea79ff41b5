#!/usr/bin/env bats
# oldns.bats - a host user acting from a mount namespace made before the launch (unshare -Urm) on what covers her project: the runner stops the unit.

bats_require_minimum_version 1.5.0

setup() {
	load atk
	atk_setup
	install -d -m 0755 -o pitest-alice -g pitest-alice "$A/p/.pi" "$A/p/sub/.pi"
	for f in "$A/p/.pi/settings.json" "$A/p/sub/.pi/settings.json"; do
		echo '{"defaultProvider": "project", "shellPath": "/evil"}' >"$f"
		chown pitest-alice:pitest-alice "$f"
	done
	# the FIFOs between the test, alice's namespace and the stand-in, in a directory made here
	NS=$(mktemp -d)
	chmod 0755 "$NS"
	mkfifo -m 0600 "$NS/ready" "$NS/in" "$NS/done"
	chown pitest-alice "$NS/ready" "$NS/in" "$NS/done"
	mkfifo -m 0600 "$REC/started"
	: >"$REC/hold"
	: >"$REC/stop-ends"
	watch_now
}

teardown() {
	rm -f "$REC/hold"
	# her tree back as the other cases expect it, after a case that renamed it away
	[ ! -d "$A/p-moved" ] || { rm -rf "$A/p"; mv -T "$A/p-moved" "$A/p"; }
	[ -z "${HOLDER:-}" ] || kill "$HOLDER" 2>/dev/null || true
	[ -z "${NS:-}" ] || rm -rf "$NS"
}

# old_shell: alice makes a user and mount namespace of her own now (unshare -Urm), before any
# launch; in it, in $A/p, she runs each command sent (in_ns CMD) and says its status.
old_shell() {
	setpriv --reuid pitest-alice --regid pitest-alice --init-groups --reset-env \
		unshare -Urm sh -c 'echo ready >"$1/ready"; cd "$2"; while read -r cmd <"$1/in"; do sh -c "$cmd"; echo $? >"$1/done"; done' \
		oldns "$NS" "$A/p" &
	HOLDER=$!
	read -r _ <"$NS/ready"
}

in_ns() {
	local rc
	echo "$1" >"$NS/in"
	read -r rc <"$NS/done"
	[ "$rc" -eq 0 ] || { echo "alice's command failed: $1: $rc" >&2; return 1; }
}

# attack DIR CMD: alice launches in DIR; once the unit is up, CMD runs in her old namespace;
# then pi's end is waited for (its output in $output, its status in $status).
attack() {
	local dir=$1 cmd=$2 pid
	old_shell
	T=20 pi_as pitest-alice "$dir" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	pid=$!
	read -r UNIT <"$REC/started"
	in_ns "$cmd"
	# what the staged root shows now (the unit binds it), for the record
	echo "# staged after the attack: $(cat /run/pi-agent-binds/*/0/.pi/settings.json 2>&1 | head -c 200)" >&3
	status=0
	wait "$pid" || status=$?
	output=$(cat "$BATS_TEST_TMPDIR/out")
}

# stopped PATH: pi ended with 1 naming PATH, after the runner killed the unit.
stopped() {
	no_crash
	[ "$status" -eq 1 ] || { echo "status $status, output: $output" >&2; return 1; }
	[[ "$output" == *"$1"* ]] || { echo "output: $output" >&2; return 1; }
	grep -qx "kill --signal=SIGKILL $UNIT" "$REC/systemctl"
}

@test "admin-wins: settings.json removed and put back from an older namespace stops the unit" {
	printf '%s\n%s\n' "$A/p" "$A/p/.pi/settings.json" >"$REC/view"
	attack "$A/p" 'rm .pi/settings.json && echo "{\"shellPath\": \"/mine\"}" >.pi/settings.json'
	# the unit was shown the merged settings until then
	sed 1d "$(rec)/view" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["defaultProvider"] == "managed" and "shellPath" not in d, d
'
	stopped "$A/p/.pi/settings.json"
}

@test "deny: .pi renamed away and made again from an older namespace stops the unit" {
	write_config '{"projectConfig": "deny"}'
	attack "$A/p" 'mv .pi .pi-old && mkdir .pi && echo "{}" >.pi/settings.json'
	stopped "$A/p/.pi"
}

@test "admin-wins: a directory above the covered settings renamed away from an older namespace stops the unit" {
	attack "$A/p/sub" 'mv sub sub-old && mkdir -p sub/.pi && echo "{\"shellPath\": \"/mine\"}" >sub/.pi/settings.json'
	stopped "$A/p/sub/.pi/settings.json"
}

@test "admin-wins: the project root itself renamed away and made again from an older namespace stops the unit" {
	# where the unit binds the staged root over the host's own path (a root outside the unit's
	# tmpfs), the rename moves that bind away and the path leads to her new tree (review)
	rm -rf "$A/p-moved"
	attack "$A/p" 'cd .. && mv -T p p-moved && mkdir -p p/.pi && echo "{\"shellPath\": \"/mine\"}" >p/.pi/settings.json'
	stopped "$A/p/.pi/settings.json"
}

@test "a directory renamed over a covered one from an older namespace stops the unit" {
	write_config '{"projectConfig": "deny"}'
	rm "$A/p/.pi/settings.json"
	attack "$A/p" 'mkdir x && echo "{}" >x/settings.json && mv -T x .pi'
	stopped "$A/p/.pi"
}

@test "deny: a cover moved before systemd has loaded the unit and put back is still the end of the session" {
	write_config '{"projectConfig": "deny"}'
	mkfifo -m 0600 "$REC/spawned" "$REC/gate" "$REC/killed"
	# systemd-run as systemd 252 runs it: the unit is loaded only once the gate opens, and until
	# then a kill of it fails (Unit not loaded), as systemctl says
	cp "$FIX/bin/systemd-run" "$FIX/bin/systemd-run.real"
	cp "$FIX/bin/systemctl" "$FIX/bin/systemctl.real"
	cat >"$FIX/bin/systemd-run" <<EOS
#!/bin/sh
echo spawned >$REC/spawned
read -r _ <$REC/gate
: >$REC/up
exec $FIX/bin/systemd-run.real "\$@"
EOS
	cat >"$FIX/bin/systemctl" <<EOS
#!/bin/sh
if [ "\$1" = kill ] && [ ! -e $REC/up ]; then
	echo "\$* (not loaded)" >>$REC/systemctl-refused
	[ -e $REC/killed-once ] || { : >$REC/killed-once; echo killed >$REC/killed; }
	echo "Failed to kill unit: Unit not loaded." >&2
	exit 1
fi
exec $FIX/bin/systemctl.real "\$@"
EOS
	old_shell
	T=20 pi_as pitest-alice "$A/p" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	pid=$!
	read -r _ <"$REC/spawned"          # covers mounted and watched; no unit yet
	in_ns 'mv .pi .pi-away'             # the runner sees it ...
	read -r _ <"$REC/killed"            # ... and its first kill finds no unit
	in_ns 'mv .pi-away .pi'             # put back: the state is as it was armed
	echo go >"$REC/gate"
	read -r UNIT <"$REC/started"        # the unit is up
	status=0
	wait "$pid" || status=$?
	output=$(cat "$BATS_TEST_TMPDIR/out")
	mv -f "$FIX/bin/systemd-run.real" "$FIX/bin/systemd-run"
	mv -f "$FIX/bin/systemctl.real" "$FIX/bin/systemctl"
	echo "# refused kills before the unit: $(wc -l <"$REC/systemctl-refused")" >&3
	# the runner kept killing until the unit was there to kill; pi ended, held unit and all
	stopped "$A/p/.pi"
}
