#!/usr/bin/env bats
# sync.bats - lockouts and floods through the config copy: modes the agent takes away, read-only and unreadable trees, sparse files, trees over the configured limits.

bats_require_minimum_version 1.5.0

setup() {
	load atk
	atk_setup
	atk_host_config
}

teardown() {
	atk_umount_all
}

# A first launch that must work, then a fresh record for the launch under test.
first_launch() {
	run pi_as pitest-alice "$A/p"
	launched
	rm -rf "${REC:?}/launch"/*
}

# Bytes in use on the filesystem of $1.
used_bytes() {
	stat -f -c '%b %f %S' "$1" | awk '{ print ($1 - $2) * $3 }'
}

# The launch's output holds line $1 exactly once.
said_once() {
	local n
	n=$(grep -cxF -- "$1" <<<"$output" || true)
	[ "$n" -eq 1 ] || { echo "said $n times: $1; output: $output" >&2; return 1; }
}

@test "each directory the runner makes chmod'ed 000 by the agent: the next launch works and repairs it" {
	first_launch
	for p in $DIRS; do
		as_agent chmod 000 "$H/$p"
		run pi_as pitest-alice "$A/p"
		launched
		[ "$(stat -c %a "$H/$p")" = 750 ]
		rm -rf "${REC:?}/launch"/*
	done
	[ "$(cat "$D/models.json")" = '{"model": "m"}' ]
}

@test "every directory the runner makes chmod'ed 000 at once (innermost first): one launch repairs them all" {
	first_launch
	for p in $(echo "$DIRS" | tr ' ' '\n' | tac); do
		as_agent chmod 000 "$H/$p"
	done
	run as_agent ls "$H/.pi"
	[ "$status" -ne 0 ]
	run pi_as pitest-alice "$A/p"
	launched
	for p in $DIRS; do
		[ "$(stat -c %a "$H/$p")" = 750 ]
	done
	grep -q '"theme": "host"' "$D/settings.json"
	[ -L "$H/projects/$(basename "$(find "$H/projects" -mindepth 1 -maxdepth 1 -name '0-*')")" ]
}

@test "the agent's 000 on a directory it was given a copy of is repaired, the copy brought up to date" {
	install -d -o pitest-alice -g pitest-alice "$S/ext" "$S/ext/sub"
	echo a >"$S/ext/sub/a"
	chown pitest-alice "$S/ext/sub/a"
	first_launch
	as_agent chmod 000 "$D/ext/sub" "$D/ext"
	echo b >"$S/ext/sub/a"
	run pi_as pitest-alice "$A/p"
	launched
	[ "$(cat "$D/ext/sub/a")" = b ]
	[ "$(stat -c %a "$D/ext")" = "$(stat -c %a "$S/ext")" ]
}

@test "a locked directory the agent plants at a project link is replaced by the link" {
	first_launch
	slug=$(basename "$(find "$H/projects" -mindepth 1 -maxdepth 1 -name '0-*')")
	as_agent rm "$H/projects/$slug"
	as_agent mkdir -p "$H/projects/$slug/inner"
	as_agent chmod 000 "$H/projects/$slug/inner" "$H/projects/$slug"
	run pi_as pitest-alice "$A/p"
	launched
	[ "$(readlink "$H/projects/$slug")" = "$A/p" ]
}

@test "a read-only (0555) directory copied from the host user and then removed there: the next launch works" {
	install -d -o pitest-alice -g pitest-alice "$S/store" "$S/store/lib"
	echo data >"$S/store/lib/x.js"
	echo more >"$S/store/y"
	chown pitest-alice "$S/store/lib/x.js" "$S/store/y"
	chmod 0444 "$S/store/lib/x.js" "$S/store/y"
	chmod 0555 "$S/store/lib" "$S/store"
	first_launch
	[ "$(stat -c %a "$D/store")" = 555 ] && [ "$(stat -c %a "$D/store/lib")" = 555 ]
	chmod -R u+w "$S/store"
	rm -rf "${S:?}/store"
	run pi_as pitest-alice "$A/p"
	launched
	[ ! -e "$D/store" ]
	[ "$(cat "$D/models.json")" = '{"model": "m"}' ]
}

@test "directories the agent plants (0555, 0500, 0300, 0000, with files) in its config copy and projects are removed" {
	first_launch
	for m in 555 500 300 000; do
		for d in "$D" "$H/projects"; do
			as_agent mkdir -p "$d/planted$m/inner"
			as_agent sh -c "echo x >'$d/planted$m/inner/f'; echo y >'$d/planted$m/g'"
			as_agent chmod "$m" "$d/planted$m/inner" "$d/planted$m"
		done
	done
	run pi_as pitest-alice "$A/p"
	launched
	[ -z "$(find "$D" "$H/projects" -maxdepth 1 -name 'planted*')" ]
}

@test "a 48 MiB sparse file in the host config dir costs the state filesystem far less than 48 MiB" {
	tmpfs_at "$STATE" 64m
	first_launch
	used0=$(used_bytes "$STATE")
	atk_as pitest-alice "$S" truncate -s 48M model.bin
	atk_as pitest-alice "$S" sh -c 'printf head | dd of=model.bin conv=notrunc 2>/dev/null'
	run pi_as pitest-alice "$A/p"
	launched
	after=$(used_bytes "$STATE")
	echo "# state usage grew by $(((after - used0) / 1024)) KiB" >&3
	[ "$((after - used0))" -lt $((1 << 20)) ]
	[ "$(stat -c %s "$D/model.bin")" -eq $((48 << 20)) ]
	cmp "$S/model.bin" "$D/model.bin"
}

@test "a 256 MiB sparse file does not fill a 64 MiB state filesystem" {
	tmpfs_at "$STATE" 64m
	atk_as pitest-alice "$S" truncate -s 256M big.bin
	run pi_as pitest-alice "$A/p"
	launched
	[ "$(stat -c %s "$D/big.bin")" -eq $((256 << 20)) ]
	[ "$(used_bytes "$STATE")" -lt $((1 << 20)) ]
}

@test "a host config dir over wrapper.syncMaxBytes is refused naming the key; the copy stays under it" {
	write_config '{"wrapper": {"syncMaxBytes": 100000}}'
	for i in 1 2 3 4; do
		head -c 30000 /dev/zero >"$S/f$i"
	done
	chown pitest-alice "$S"/f*
	run pi_as pitest-alice "$A/p"
	refused
	said_once "pi-runner: $S holds more than 100000 bytes (wrapper.syncMaxBytes in $CONF); nothing more was copied"
	[ "$(find "$D" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')" -le 100000 ]
	[ -z "$(find "$H" -name '*.pi-tmp*')" ]
	# apparent sizes count: a sparse file is as big as it says
	rm "$S"/f*
	atk_as pitest-alice "$S" truncate -s 100001 sparse
	run pi_as pitest-alice "$A/p"
	refused
	[[ "$output" == *"(wrapper.syncMaxBytes in $CONF)"* ]]
	# at the limit: copied
	atk_as pitest-alice "$S" truncate -s 99950 sparse
	run pi_as pitest-alice "$A/p"
	launched
	[ "$(stat -c %s "$D/sparse")" = 99950 ]
}

@test "a host config dir over wrapper.syncMaxEntries is refused naming the key; the copy stays under it" {
	write_config '{"wrapper": {"syncMaxEntries": 50}}'
	install -d -o pitest-alice -g pitest-alice "$S/many"
	atk_as pitest-alice "$S/many" sh -c 'for i in $(seq 60); do : >"e$i"; done'
	run pi_as pitest-alice "$A/p"
	refused
	said_once "pi-runner: $S holds more than 50 entries (wrapper.syncMaxEntries in $CONF); nothing more was copied"
	[ "$(find "$D" -mindepth 1 ! -path "$D/sessions" | wc -l)" -le 50 ]
	# models.json, many and 48 entries in it: 50 (settings.json is merged, not copied)
	atk_as pitest-alice "$S/many" sh -c 'rm e49 e5? e60'
	run pi_as pitest-alice "$A/p"
	launched
	[ "$(find "$D/many" -mindepth 1 | wc -l)" = 48 ]
}

@test "a root-owned 0600 file and a 0700 root directory in the host config dir: one warning each, not copied" {
	echo 'ROOT_SECRET=yes' >"$S/root.env"
	chmod 0600 "$S/root.env"
	install -d -m 0700 "$S/npm-root"
	echo precious >"$S/npm-root/inner"
	install -d -o pitest-alice -g pitest-alice "$S/ext"
	echo 'ROOT_SECRET=yes' >"$S/ext/deep.bin"
	chmod 0600 "$S/ext/deep.bin"
	run pi_as pitest-alice "$A/p"
	launched
	said_once "pi-runner: warning: skipped $S/root.env: not readable by pitest-alice"
	said_once "pi-runner: warning: skipped $S/npm-root: not readable by pitest-alice"
	said_once "pi-runner: warning: skipped $S/ext/deep.bin: not readable by pitest-alice"
	[ "$(grep -c 'warning: skipped' <<<"$output")" -eq 3 ]
	[ ! -e "$D/root.env" ] && [ ! -e "$D/npm-root" ] && [ ! -e "$D/ext/deep.bin" ]
	[ -d "$D/ext" ]
	[ "$(cat "$D/models.json")" = '{"model": "m"}' ]
	if grep -rqE 'precious|ROOT_SECRET' "$H" "$RUNTIME"; then false; fi
}

@test "a copy of a file or directory the host user can no longer read is removed from the agent's dir" {
	echo 'mine' >"$S/owned.txt"
	install -d "$S/cache"
	echo inner >"$S/cache/inner"
	chown -R pitest-alice "$S/owned.txt" "$S/cache"
	first_launch
	[ "$(cat "$D/owned.txt")" = mine ] && [ "$(cat "$D/cache/inner")" = inner ]
	# a sudo'ed install takes them over: same size and mtime, only the owner changes
	chown root:root "$S/owned.txt" "$S/cache"
	chmod 0600 "$S/owned.txt"
	chmod 0700 "$S/cache"
	run pi_as pitest-alice "$A/p"
	launched
	said_once "pi-runner: warning: skipped $S/owned.txt: not readable by pitest-alice"
	said_once "pi-runner: warning: skipped $S/cache: not readable by pitest-alice"
	[ ! -e "$D/owned.txt" ] && [ ! -e "$D/cache" ]
}
