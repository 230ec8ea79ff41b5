#!/usr/bin/env bats
# state.bats - attacks by the agent on its own state between launches: links, FIFOs, files, hardlinks and foreign owners at every path the runner writes.

bats_require_minimum_version 1.5.0

setup() {
	load atk
	atk_setup
	atk_host_config
	# a place outside the agent home that the agent account could write to
	AT=$FIX/agent-target
	install -d -m 0755 -o pitest-agent -g pitest-agent "$AT"
	install -m 0644 -o pitest-agent -g pitest-agent /dev/null "$AT/file"
	echo untouched >"$AT/file"
	run pi_as pitest-alice "$A/p"
	[ "$status" -eq 0 ]
	rm -rf "${REC:?}/launch"/*
	SLUG=$(basename "$(find "$H/projects" -mindepth 1 -maxdepth 1 -name '0-*')")
	FILES=".pi/agent/settings.json .pi/agent/.settings.json.pi-tmp .pi/agent/models.json
		projects/$SLUG projects/.$SLUG.pi-tmp"
	WATCH+=("$AT" "$RUNTIME/pitest-bob.env")
	watch_now
}

# The state is whole again after a launch: real directories, settings merged, models copied.
state_whole() {
	local p
	for p in $DIRS; do
		if [ ! -d "$H/$p" ] || [ -L "$H/$p" ]; then
			echo "$p is not a directory" >&2
			return 1
		fi
	done
	[ -f "$D/settings.json" ] && [ ! -L "$D/settings.json" ]
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["theme"] == "host" and d["defaultProvider"] == "managed"' "$D/settings.json"
	[ "$(cat "$D/models.json")" = '{"model": "m"}' ]
	[ "$(readlink "$H/projects/$SLUG")" = "$A/p" ]
	[ -z "$(find "$H" -name '*.pi-tmp*')" ]
}

relaunch() {
	rm -rf "${REC:?}/launch"/*
	run pi_as pitest-alice "$A/p"
	launched
	state_whole
}

@test "links planted at every directory the runner makes are replaced, never followed" {
	for p in $DIRS; do
		as_agent rm -rf "${H:?}/$p"
		as_agent ln -s "$AT" "$H/$p"
		relaunch
	done
}

@test "FIFOs planted at every directory the runner makes are replaced without being opened" {
	for p in $DIRS; do
		as_agent rm -rf "${H:?}/$p"
		as_agent mkfifo "$H/$p"
		T=20 relaunch
	done
}

@test "files planted at every directory the runner makes are replaced" {
	for p in $DIRS; do
		as_agent rm -rf "${H:?}/$p"
		as_agent sh -c "echo planted >'$H/$p'"
		relaunch
	done
}

@test "links planted at every file the runner writes are replaced, never written through" {
	for f in $FILES; do
		as_agent rm -rf "${H:?}/$f"
		as_agent ln -s "$AT/file" "$H/$f"
		relaunch
	done
}

@test "links planted at the copy's temp names of the next pids are not followed" {
	last=$(cat /proc/sys/kernel/ns_last_pid)
	for pid in $(seq "$last" $((last + 400))); do
		printf '%s\0' "$D/.models.json.$pid.pi-tmp" "$D/.settings.json.$pid.pi-tmp"
	done | as_agent /usr/bin/python3 -c 'import os, sys; [os.symlink(sys.argv[1], p) for p in sys.stdin.read().split("\0")[:-1]]' "$AT/file"
	echo '{"model": "m2"}' >"$S/models.json"
	run pi_as pitest-alice "$A/p"
	launched
	[ "$(cat "$D/models.json")" = '{"model": "m2"}' ]
	[ -z "$(find "$H" -name '*.pi-tmp*')" ]
}

@test "FIFOs planted at every file the runner writes do not hang it" {
	for f in $FILES; do
		as_agent rm -rf "${H:?}/$f"
		as_agent mkfifo "$H/$f"
		T=20 relaunch
	done
}

@test "hardlinks to root files at every file the runner writes leave those files intact" {
	# the agent cannot make them (fs.protected_hardlinks); root plants them as if it could
	for f in $FILES; do
		for victim in "$V/file" "$V/open/readable"; do
			rm -rf "${H:?}/$f"
			ln "$victim" "$H/$f"
			relaunch
			[ "$(stat -c %h "$victim")" = 1 ]
		done
	done
}

@test "a directory with a link inside planted at settings.json is replaced" {
	as_agent rm -f "$D/settings.json"
	as_agent mkdir "$D/settings.json"
	as_agent ln -s "$AT/file" "$D/settings.json/x"
	as_agent ln -s "$V/file" "$D/settings.json/y"
	relaunch
}

@test "the agent home replaced by a link is refused, not followed" {
	mv "$H" "$STATE/users/moved"
	ln -s "$AT" "$H"
	run pi_as pitest-alice "$A/p"
	refused
	[[ "$output" == *"cannot open the agent home $H"* ]]
}

@test "a users/ directory or stateDir that is a link or not root's alone is refused" {
	mv "$STATE/users" "$STATE/users.real"
	ln -s users.real "$STATE/users"
	run pi_as pitest-alice "$A/p"
	refused
	rm "$STATE/users"
	mv "$STATE/users.real" "$STATE/users"
	chown pitest-agent "$STATE/users"
	run pi_as pitest-alice "$A/p"
	refused
	[[ "$output" == *"directory users must be owned by root"* ]]
	chown root "$STATE/users"
	chmod 0777 "$STATE"
	run pi_as pitest-alice "$A/p"
	chmod 0755 "$STATE"
	refused
	[[ "$output" == *"stateDir $STATE must be owned by root"* ]]
}

@test "an agent home owned by another account is refused" {
	chown pitest-agent2 "$H"
	run pi_as pitest-alice "$A/p"
	refused
	[[ "$output" == *"agent home $H belongs to uid $(id -u pitest-agent2)"* ]]
}

@test "links planted in the runtime dir at the env file, its temp and the lock are not followed" {
	# only root can write there; the runner must still never write through what it finds
	ln -sf "$V/file" "$RUNTIME/.pitest-alice.env.pi-tmp"
	ln -sf "$V/file" "$RUNTIME/pitest-alice.env"
	relaunch
	[ -f "$RUNTIME/pitest-alice.env" ] && [ ! -L "$RUNTIME/pitest-alice.env" ]
	grep -qx MANAGED=from-config "$RUNTIME/pitest-alice.env"
	rm -rf "${REC:?}/launch"/*
	rm -f "$RUNTIME/pitest-alice.lock"
	ln -s "$V/file" "$RUNTIME/pitest-alice.lock"
	run pi_as pitest-alice "$A/p"
	refused
	[[ "$output" == *"cannot lock $RUNTIME/pitest-alice.lock"* ]]
}
