#!/usr/bin/env bats
# diskfull.bats - a full filesystem under the state dir (a 2 MB tmpfs): a clear error, and the previous state intact.

bats_require_minimum_version 1.5.0

setup() {
	load atk
	atk_setup
	tmpfs_at "$STATE" 2m
	S=$(host_cfg pitest-alice)
	install -d -o pitest-alice "$S/ext"
	echo '{"theme": "host"}' >"$S/settings.json"
	echo '{"model": "m"}' >"$S/models.json"
	echo 'a' >"$S/ext/a.txt"
	chown -R pitest-alice "$S"
	run pi_as pitest-alice "$A/p"
	[ "$status" -eq 0 ]
	rm -rf "${REC:?}/launch"/*
}

teardown() {
	atk_umount_all
}

# fill: the agent fills its home until the filesystem has no page left.
fill() {
	as_agent dd if=/dev/zero of="$H/filler" bs=4096 2>/dev/null || true
	[ "$(stat -f -c %a "$STATE")" = 0 ]
}

@test "a full state filesystem: a clear error, the previous copy and settings intact" {
	fill
	prev=$(content_of "$H")
	echo '{"theme": "changed", "more": "'"$(head -c 8000 /dev/zero | tr '\0' y)"'"}' >"$S/settings.json"
	head -c 65536 /dev/urandom >"$S/new.bin"
	head -c 9000 /dev/zero | tr '\0' z >"$S/ext/a.txt"
	chown -R pitest-alice "$S"
	run pi_as pitest-alice "$A/p"
	refused
	[[ "$output" == *"pi-runner: cannot "*"No space left on device"* ]]
	[ "$(content_of "$H")" = "$prev" ]
	[ -z "$(find "$H" -name '*.pi-tmp*')" ]
	# with room again, the next launch brings everything up to date
	as_agent rm "$H/filler"
	run pi_as pitest-alice "$A/p"
	launched
	cmp "$S/new.bin" "$D/new.bin"
	cmp "$S/ext/a.txt" "$D/ext/a.txt"
	grep -q '"theme": "changed"' "$D/settings.json"
}

@test "a full state filesystem while the merged settings are written keeps the previous merged settings.json" {
	prev=$(cat "$D/settings.json")
	# the managed settings grow to five pages; the disk keeps one page free
	write_config "{\"settings\": {\"big\": \"$(head -c 20000 /dev/zero | tr '\0' b)\"}}"
	fill
	as_agent truncate -s -4096 "$H/filler"
	run pi_as pitest-alice "$A/p"
	refused
	[[ "$output" == *"pi-runner: cannot write $D/settings.json: No space left on device"* ]]
	[ "$(cat "$D/settings.json")" = "$prev" ]
	[ -z "$(find "$H" -name '*.pi-tmp*')" ]
}
