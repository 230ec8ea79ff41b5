#!/usr/bin/env bats
# projcfg.bats - projectConfig against a hostile project: its settings under the admin's, links and FIFOs at .pi, the agent's trust.json.

bats_require_minimum_version 1.5.0

setup() {
	load atk
	atk_setup
	install -d -m 0755 -o pitest-alice -g pitest-alice "$A/p/.pi"
	WATCH+=("$A/p/.pi")
	watch_now
}

# settings.json of alice's project (hers, 0644).
project_settings() {
	printf '%s\n' "$1" >"$A/p/.pi/settings.json"
	chown pitest-alice:pitest-alice "$A/p/.pi/settings.json"
	watch_now
}

# seen WHERE: what the recorded launch showed at its view paths, WHERE "view" (the unit) or
# "host" (alice's own tree meanwhile), without the "== path" lines.
seen() { grep -v '^== ' "$(rec)/$1"; }

@test "admin-wins: the project's settings reach the agent under the managed ones, without code keys, from a root file gone after the launch" {
	project_settings '{"defaultProvider": "project", "theme": "p", "shellPath": "/evil", "npmCommand": ["evil"], "packages": ["evil"], "nested": {"b": 9, "x": 1}}'
	cp -p "$A/p/.pi/settings.json" "$BATS_TEST_TMPDIR/own.json"
	# alice's project as a shared mount too: nothing mounted for the unit may reach her own tree
	mount --bind "$A/p" "$A/p"
	echo "$A/p" >>"$FIX/.mounts"
	mount --make-shared "$A/p"
	printf '%s\n%s\n' "$A/p" "$A/p/.pi/settings.json" >"$REC/view"
	run pi_as pitest-alice "$A/p"
	launched
	! argv_lines | grep -qE 'BindReadOnlyPaths|settings\.json'
	seen view | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["defaultProvider"] == "managed" and d["theme"] == "p", d
assert d["nested"] == {"b": 2, "c": None, "x": 1}, d
assert not {"shellPath", "npmCommand", "packages"} & set(d), d
'
	seen host | cmp - "$BATS_TEST_TMPDIR/own.json"
	[ -z "$(find /run/pi-agent-project -name 'pitest-alice-*')" ]
	[ "$(stat -c %U:%a /run/pi-agent-project)" = root:700 ]
	[ -z "$(find /run/pi-agent-binds -mindepth 1)" ]
}

@test "a .pi/settings.json that links to a root-only file is refused and never read" {
	ln -s "$V/root.json" "$A/p/.pi/settings.json"
	watch_now
	run pi_as pitest-alice "$A/p"
	refused
	[[ "$output" == *"$A/p/.pi/settings.json is a link"* ]]
	! grep -rqs root-only /run/pi-agent-project
}

@test "a .pi that is a link is refused, in deny mode too" {
	rmdir "$A/p/.pi"
	ln -s "$V/dir" "$A/p/.pi"
	write_config '{"projectConfig": "deny"}'
	watch_now
	run pi_as pitest-alice "$A/p"
	refused
	[[ "$output" == *"$A/p/.pi is a link"* ]]
}

@test "a FIFO as .pi/settings.json is refused at once" {
	mkfifo "$A/p/.pi/settings.json"
	chown pitest-alice "$A/p/.pi/settings.json"
	watch_now
	T=10 run pi_as pitest-alice "$A/p"
	refused
	[[ "$output" == *"settings.json is not a regular file"* ]]
}

@test "trust.json: the agent's link is replaced, the victim untouched, the user's never copied" {
	S=$(host_cfg pitest-alice)
	printf '{ "%s": true }\n' "$A/p" >"$S/trust.json"
	chown pitest-alice "$S/trust.json"
	run pi_as pitest-alice "$A/p"
	launched
	[ "$(cat "$D/trust.json")" = '{}' ]
	as_agent ln -sf "$V/open/readable" "$D/trust.json.new"
	as_agent mv -fT "$D/trust.json.new" "$D/trust.json"
	rm -rf "${REC:?}/launch"/*
	watch_now
	run pi_as pitest-alice "$A/p"
	launched
	[ ! -L "$D/trust.json" ] && [ "$(cat "$D/trust.json")" = '{}' ]
	[ "$(stat -c %U:%a "$D/trust.json")" = pitest-agent:640 ]
	[ "$(cat "$V/open/readable")" = world-readable ]
}

@test "deny: the cwd's .pi and each .agents holding skills up to the root are hidden read-only" {
	install -d -m 0755 -o pitest-alice -g pitest-alice "$A/p/sub/.pi" "$A/p/.agents/skills" "$A/p/sub/.agents"
	touch "$A/p/sub/.pi/settings.json" "$A/p/.agents/skills/s.md" "$A/p/sub/.agents/kept"
	write_config '{"hostUsers": {"pitest-alice": {"projectConfig": "deny"}}}'
	printf '%s\n' "$A/p" "$A/p/sub/.pi" "$A/p/.agents" "$A/p/sub/.agents" >"$REC/view"
	watch_now
	run pi_as pitest-alice "$A/p/sub"
	launched
	[ "$(cat "$(rec)/view")" = "== $A/p/sub/.pi
== $A/p/.agents
== $A/p/sub/.agents
kept" ]
	[ "$(seen host)" = "$(printf 'settings.json\nskills\nkept')" ]
	! argv_lines | grep -qE 'BindReadOnlyPaths|TemporaryFileSystem=.*(\.pi|\.agents)'
}

@test "allow: the project's .pi is left to the agent, and the user's trust.json is not copied" {
	S=$(host_cfg pitest-alice)
	printf '{ "%s": true }\n' "$A/p" >"$S/trust.json"
	chown pitest-alice "$S/trust.json"
	project_settings '{"defaultProvider": "project"}'
	write_config '{"projectConfig": "allow"}'
	run pi_as pitest-alice "$A/p"
	launched
	! argv_lines | grep -qE 'BindReadOnlyPaths|:ro"$'
	[ ! -e "$D/trust.json" ]
}

# exchanging A B: as alice, in her project, swaps A and B in one step (renameat2
# RENAME_EXCHANGE: neither is ever missing) over and over while $A/.swapping exists; its pid in
# SWAPPER.
exchanging() {
	: >"$A/.swapping"
	setpriv --reuid pitest-alice --regid pitest-alice --init-groups env -C "$A/p" python3 -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
a, b, stop = (s.encode() for s in sys.argv[1:])
while os.path.exists(stop):
    libc.renameat2(-100, a, -100, b, 2)
' "$1" "$2" "$A/.swapping" &
	SWAPPER=$!
}

# races N MAX: launches by alice in her project while the swapper runs, until N have launched
# or MAX were tried, then stops it; each is refused (exit 1, saying why) or launched. Most are
# refused (the swap lands between the check and the cover), so a fixed count could end with
# none launched and nothing checked.
races() {
	local i
	for ((i = 0; i < $2 && $(nlaunches) < $1; i++)); do
		run pi_as pitest-alice "$A/p"
		no_crash
		[ "$status" -eq 0 ] || [[ "$output" == *"is a link"* || "$output" == *"during the launch"* ]] ||
			{ echo "status $status: $output" >&2; rm -f "$A/.swapping"; return 1; }
	done
	rm -f "$A/.swapping"
	wait "$SWAPPER"
	echo "# $(nlaunches) of $i launched" >&3
}

@test "admin-wins: settings.json swapped with a link while launches run, no unit sees the project's own settings" {
	project_settings '{"defaultProvider": "project", "shellPath": "/evil"}'
	# a link to a path that does not exist in the unit
	ln -s /nonexistent-pi/settings.json "$A/p/.pi/l"
	chown -h pitest-alice:pitest-alice "$A/p/.pi/l"
	printf '%s\n%s\n' "$A/p" "$A/p/.pi/settings.json" >"$REC/view"
	exchanging .pi/settings.json .pi/l
	races 8 150
	[ "$(nlaunches)" -ge 1 ]
	for d in $(launches); do
		python3 - "$d/view" <<'PY'
import json, sys
text = open(sys.argv[1]).read().split("\n", 1)[1]
d = json.loads(text)
assert d["defaultProvider"] == "managed" and "shellPath" not in d, d
PY
	done
}

@test "deny: .pi swapped with a link while launches run, no unit sees what is in it" {
	project_settings '{"defaultProvider": "project"}'
	write_config '{"projectConfig": "deny"}'
	ln -s /nonexistent-pi "$A/p/.pi-l"
	chown -h pitest-alice:pitest-alice "$A/p/.pi-l"
	printf '%s\n%s\n' "$A/p" "$A/p/.pi" >"$REC/view"
	exchanging .pi .pi-l
	races 8 150
	[ "$(nlaunches)" -ge 1 ]
	for d in $(launches); do
		[ "$(sed 1d "$d/view")" = "" ] || { cat "$d/view" "$d/view.err" >&2; return 1; }
	done
}
