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

@test "admin-wins: the project's settings reach the agent under the managed ones, without code keys, from a root file gone after the launch" {
	project_settings '{"defaultProvider": "project", "theme": "p", "shellPath": "/evil", "npmCommand": ["evil"], "packages": ["evil"], "nested": {"b": 9, "x": 1}}'
	run pi_as pitest-alice "$A/p"
	launched
	[[ "$(prop BindReadOnlyPaths)" =~ ^\"/run/pi-agent-project/pitest-alice-[0-9]+\.json\":\"$A/p/\.pi/settings\.json\"$ ]]
	python3 - "$(rec)/project-settings.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["defaultProvider"] == "managed" and d["theme"] == "p", d
assert d["nested"] == {"b": 2, "c": None, "x": 1}, d
assert not {"shellPath", "npmCommand", "packages"} & set(d), d
PY
	[ -z "$(find /run/pi-agent-project -name 'pitest-alice-*')" ]
	[ "$(stat -c %U:%a /run/pi-agent-project)" = root:700 ]
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
	write_config '{"hostUsers": {"pitest-alice": {"projectConfig": "deny"}}}'
	watch_now
	run pi_as pitest-alice "$A/p/sub"
	launched
	argv_lines | grep -qxF "TemporaryFileSystem=\"$A/p/sub/.pi:ro\""
	argv_lines | grep -qxF "TemporaryFileSystem=\"$A/p/.agents:ro\""
	! argv_lines | grep -qF "$A/p/sub/.agents"
	! argv_lines | grep -q BindReadOnlyPaths
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
