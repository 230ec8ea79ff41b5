#!/usr/bin/env bats
# hostdir.bats - attacks through the host user's config dir: links to root-only files, /proc magic links, FIFOs, sockets, a million entries, a 10,000-deep tree, 2 GB files.

bats_require_minimum_version 1.5.0

setup() {
	load atk
	atk_setup
	S=$(host_cfg pitest-alice)
}

teardown() {
	atk_umount_all
}

# Nothing under the agent home holds root-only content.
no_secret_copied() {
	if grep -rqE 'precious|root-only|ROOT_SECRET|^root:' "$H" "$RUNTIME"; then
		echo "root-only content was copied" >&2
		return 1
	fi
}

@test "a host .env linking to a root-only file fails the launch and leaks nothing" {
	ln -s /etc/shadow "$S/.env"
	run pi_as pitest-alice "$A/p"
	refused
	[[ "$output" == *"cannot read $S/.env: Permission denied"* ]]
	no_secret_copied
}

@test "host links to root-only files and dirs are copied as links, never their content" {
	ln -s "$V/root.json" "$S/settings.json"
	ln -s "$V/file" "$S/notes"
	ln -s "$V/dir" "$S/dir"
	ln -s "$V/secret.env" "$S/extra.env"
	run pi_as pitest-alice "$A/p"
	launched
	[[ "$output" == *"warning: ignoring $S/settings.json: Permission denied"* ]]
	[ "$(readlink "$D/notes")" = "$V/file" ]
	[ "$(readlink "$D/dir")" = "$V/dir" ]
	[ "$(readlink "$D/extra.env")" = "$V/secret.env" ]
	[ ! -L "$D/settings.json" ]
	grep -q managed "$D/settings.json"
	no_secret_copied
}

@test "a host config dir that is a link to a root-only dir is refused" {
	rm -rf "$S"
	ln -s "$V/dir" "$S"
	run pi_as pitest-alice "$A/p"
	refused
	[[ "$output" == *"cannot open $S as pitest-alice: Permission denied"* ]]
	[ ! -e "$D/inner" ]
}

@test "/proc magic links in the host config dir are copied as links, never opened" {
	for l in /proc/self/fd/3 /proc/self/fd/4 /proc/self/environ /proc/self/root /proc/self/cwd \
		/proc/1/mem /proc/1/root /proc/self/fd/0; do
		ln -s "$l" "$S/$(echo "$l" | tr / _)"
	done
	run pi_as pitest-alice "$A/p"
	launched
	for l in /proc/self/fd/3 /proc/self/fd/4 /proc/self/environ /proc/self/root /proc/self/cwd \
		/proc/1/mem /proc/1/root /proc/self/fd/0; do
		[ "$(readlink "$D/$(echo "$l" | tr / _)")" = "$l" ]
	done
	[ -z "$(find "$D" -mindepth 1 -maxdepth 1 -name '_proc*' ! -type l)" ]
}

@test "a host .env or settings.json that is a magic link to the runner's own /proc files leaks nothing" {
	ln -s /proc/self/environ "$S/settings.json"
	ln -s /proc/self/environ "$S/.env"
	run pi_as pitest-alice "$A/p"
	refused
	[[ "$output" == *"cannot read $S/.env: Permission denied"* ]]
	rm "$S/.env"
	ln -s /proc/self/fd/4 "$S/.env"
	run pi_as pitest-alice "$A/p"
	refused
	rm "$S/.env"
	run pi_as pitest-alice "$A/p"
	launched
	[[ "$output" == *"warning: ignoring $S/settings.json: Permission denied"* ]]
	if grep -q 'SUDO_\|PATH=' "$D/settings.json" "$RUNTIME/pitest-alice.env"; then false; fi
}

@test "a host config dir that is a magic link to the runner's open directories copies nothing of them" {
	rm -rf "$S"
	for fd in 3 4 5 6 7 8 9; do
		rm -f "$S"
		ln -s "/proc/self/fd/$fd" "$S"
		rm -rf "${REC:?}/launch"/*
		run pi_as pitest-alice "$A/p"
		no_crash
		unchanged
		[ -z "$(find "$D" -name '*.env' -o -name '*.lock' -o -name 'users' -o -name '.npm')" ]
		[ "$status" -eq 0 ] || [[ "$output" == *"pi-runner: cannot "*" $S"* ]]
	done
}

@test "FIFOs in the host config dir are skipped with a warning, never opened" {
	mkdir "$S/sub"
	mkfifo "$S/.env" "$S/settings.json" "$S/sub/pipe" "$S/pipe"
	chown -R pitest-alice "$S"
	T=20 run pi_as pitest-alice "$A/p"
	launched
	[[ "$output" == *"warning: skipped $S/sub/pipe: FIFO"* ]]
	[[ "$output" == *"warning: skipped $S/.env: not a regular file"* ]]
	[[ "$output" == *"warning: ignoring $S/settings.json: not a regular file"* ]]
	[ ! -e "$D/pipe" ] && [ ! -e "$D/sub/pipe" ]
	grep -q managed "$D/settings.json"
}

@test "a host config dir that is itself a FIFO does not hang the launch" {
	rm -rf "$S"
	mkfifo "$S"
	chown pitest-alice "$S"
	T=20 run pi_as pitest-alice "$A/p"
	no_crash
	unchanged
	# either no config dir, as the seed saw it, or a clear error naming it
	if [ "$status" -eq 0 ]; then
		grep -q managed "$D/settings.json"
	else
		[ "$status" -eq 1 ] && [ "$(nlaunches)" -eq 0 ]
		[[ "$output" == *"pi-runner: cannot "*" $S"* ]]
	fi
}

@test "sockets in the host config dir are skipped with a warning" {
	mkdir "$S/sub"
	chown pitest-alice "$S/sub"
	atk_as pitest-alice "$S" /usr/bin/python3 -c \
		'import socket; [socket.socket(socket.AF_UNIX).bind(p) for p in ("sock", "sub/sock")]'
	run pi_as pitest-alice "$A/p"
	launched
	[[ "$output" == *"warning: skipped $S/sock: socket"* ]]
	[[ "$output" == *"warning: skipped $S/sub/sock: socket"* ]]
	[ ! -e "$D/sock" ] && [ ! -e "$D/sub/sock" ]
}

@test "odd names (newline, invalid UTF-8, 255 bytes, leading dash) are copied exactly" {
	atk_as pitest-alice "$S" /usr/bin/python3 -c '
import os
for n in (b"new\nline", b"\xff\xfe-bad", b"x" * 255, b"-rf", b".pi-tmp", b"a b\tc"):
    with open(n, "wb") as f:
        f.write(n)
os.mkdir(b"d\n" + b"y" * 250)
os.symlink(b"\xff" * 200, b"l" * 255)
'
	run pi_as pitest-alice "$A/p"
	launched
	/usr/bin/python3 - "$S" "$D" <<'PY'
import os, sys
src, dst = (os.fsencode(p) for p in sys.argv[1:])
names = sorted(os.listdir(src))
assert names == sorted(n for n in os.listdir(dst) if n not in (b"settings.json", b"trust.json", b"sessions")), names
for n in names:
    s, d = os.path.join(src, n), os.path.join(dst, n)
    if os.path.islink(s):
        assert os.readlink(s) == os.readlink(d), n
    elif os.path.isfile(s):
        assert open(s, "rb").read() == open(d, "rb").read(), n
    else:
        assert os.path.isdir(d) and not os.path.islink(d), n
PY
}

@test "setuid, setgid and sticky bits are never copied" {
	install -m 6755 -o pitest-alice /dev/null "$S/tool"
	install -d -m 3777 -o pitest-alice "$S/shared"
	install -d -m 2755 -o pitest-alice "$S/group"
	run pi_as pitest-alice "$A/p"
	launched
	[ "$(stat -c %a "$D/tool")" = 755 ]
	[ "$(stat -c %a "$D/shared")" = 777 ]
	[ "$(stat -c %a "$D/group")" = 755 ]
	[ -z "$(find "$H" -perm /7000)" ]
}

@test "a million entries in the host config dir: done or refused within 60 s, with little memory" {
	# above the default wrapper.syncMaxEntries (100,000): the copy itself is under test
	write_config '{"wrapper": {"syncMaxEntries": 2000000}}'
	tmpfs_at "$S" 1g pitest-alice
	tmpfs_at "$STATE" 2g
	install -d -o pitest-alice "$S/many"
	/usr/bin/python3 - "$S/many" <<'PY'
import os, sys
d = os.open(sys.argv[1], os.O_RDONLY)
for i in range(1000000):
    os.close(os.open("%07d" % i, os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=d))
PY
	run measured "$FIX/bin/pi-runner" pitest-alice "$A/p"
	no_crash
	small_and_quick
	if [ "$status" -eq 0 ]; then
		[ "$(find "$D/many" -type f | wc -l)" -eq 1000000 ]
	else
		[ "$status" -eq 1 ]
		[[ "$output" == *"$S/many"* ]]
	fi
	unchanged
}

@test "a 10,000-deep tree in the host config dir is copied to 64 levels within bounds, the rest skipped with a warning naming it" {
	/usr/bin/python3 - "$S" <<'PY'
import os, sys
os.chdir(sys.argv[1])
for _ in range(10000):
    os.mkdir("d")
    os.chdir("d")
open("leaf", "w").close()
PY
	run measured "$FIX/bin/pi-runner" pitest-alice "$A/p"
	no_crash
	small_and_quick
	[ "$status" -eq 0 ]
	[[ "$output" == *"pi-runner: warning: skipped $S$(printf '/d%.0s' $(seq 65)): deeper than 64 levels"* ]]
	[ "$(nlaunches)" -eq 1 ]
	[ "$(find "$D/d" -type d | wc -l)" -eq 64 ]
	unchanged
}

@test "a 2 GB host settings.json is copied within bounds and then ignored with a clear warning" {
	tmpfs_at "$STATE" 3g
	truncate -s 2G "$S/settings.json"
	chown pitest-alice "$S/settings.json"
	run measured "$FIX/bin/pi-runner" pitest-alice "$A/p"
	no_crash
	small_and_quick
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: ignoring $S/settings.json: "*"; using the managed settings alone"* ]]
	[ "$(stat -c %s "$D/settings.json")" -lt 4096 ]
	grep -q managed "$D/settings.json"
	unchanged
}

@test "a 2 GB host .env is refused with a clear error, quickly and with little memory" {
	write_config '{"wrapper": {"syncConfigFromHost": false}}'
	truncate -s 2G "$S/.env"
	chown pitest-alice "$S/.env"
	run measured "$FIX/bin/pi-runner" pitest-alice "$A/p"
	no_crash
	small_and_quick
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot read $S/.env: larger than 1 MiB"* ]]
	[ "$(nlaunches)" -eq 0 ]
	unchanged
}

@test "a 2 GB settings.json the agent plants in its own dir is ignored within bounds" {
	write_config '{"wrapper": {"syncConfigFromHost": false}}'
	run pi_as pitest-alice "$A/p"
	[ "$status" -eq 0 ]
	rm -rf "${REC:?}/launch"/*
	as_agent rm "$D/settings.json"
	as_agent truncate -s 2G "$D/settings.json"
	run measured "$FIX/bin/pi-runner" pitest-alice "$A/p"
	no_crash
	small_and_quick
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: ignoring $D/settings.json: "* ]]
	[ "$(stat -c %s "$D/settings.json")" -lt 4096 ]
	unchanged
}
