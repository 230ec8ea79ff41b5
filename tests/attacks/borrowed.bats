#!/usr/bin/env bats
# borrowed.bats - what the runner does as the user or the agent carries none of root's powers, and nothing it inherits through sudo (fds 0-2, signal state, limits) is trusted.

bats_require_minimum_version 1.5.0

setup() {
	load atk
	atk_setup
	S=$(host_cfg pitest-alice)
	RUNNER=$FIX/bin/pi-runner
	SPAWN=$ATK/spawn.py
}

teardown() {
	[ -z "${VICTIM:-}" ] || kill "$VICTIM" 2>/dev/null || true
	atk_umount_all
}

# A live process of bob's sitting in his private project, holding his .env open as fd 3 and
# his settings as fd 4, with a secret in its environment: $VICTIM. Alice cannot read any of it.
bob_process() {
	VAULT=$B/vault
	install -d -m 0700 -o pitest-bob -g pitest-bob "$VAULT"
	echo 'BOB_KEY=stolen-from-bob' >"$VAULT/.env"
	echo '{"bob": "stolen-from-bob"}' >"$VAULT/settings.json"
	chown pitest-bob: "$VAULT/.env" "$VAULT/settings.json"
	chmod 0600 "$VAULT/.env" "$VAULT/settings.json"
	setpriv --reuid pitest-bob --regid pitest-bob --init-groups --reset-env \
		env -C "$VAULT" BOB_ENV=stolen-from-bob \
		sh -c 'exec 3<.env 4<settings.json; exec sleep 600' </dev/null >/dev/null 2>&1 &
	VICTIM=$!
	# ready once it is sleep, in the vault, with fd 4 open
	local i
	for i in $(seq 100); do
		[ "$(readlink "/proc/$VICTIM/cwd")" = "$VAULT" ] && [ -e "/proc/$VICTIM/fd/4" ] &&
			[ "$(cat "/proc/$VICTIM/comm")" = sleep ] && break
		timeout 0.1 tail -f /dev/null || true # back-off between checks of the condition
	done
	[ "$(cat "/proc/$VICTIM/comm")" = sleep ]
	# the control: alice herself can reach none of it
	! atk_as pitest-alice "$A/p" cat "/proc/$VICTIM/cwd/.env" "/proc/$VICTIM/environ" 2>/dev/null
	WATCH+=("$VAULT")
	watch_now
}

# Nothing of bob's reached alice's agent state, the runtime dir or what systemd-run was given.
nothing_of_bob() {
	if grep -rqa 'stolen-from-bob' "$H" "$RUNTIME" "$REC"; then
		grep -rla 'stolen-from-bob' "$H" "$RUNTIME" "$REC" >&2
		echo "bob's data reached alice's agent" >&2
		return 1
	fi
}

# A launch of alice's that either was refused or went ahead; either way nothing of bob's leaked.
no_leak() {
	no_crash
	[ "$status" -eq 0 ] || [ "$status" -eq 1 ] || { echo "status $status: $output" >&2; return 1; }
	nothing_of_bob
	unchanged
}

@test "alice's .env linked to bob's process (cwd, root, fd, environ) leaks nothing of bob's" {
	bob_process
	for l in "/proc/$VICTIM/cwd/.env" "/proc/$VICTIM/root$VAULT/.env" "/proc/$VICTIM/fd/3" \
		"/proc/$VICTIM/environ"; do
		ln -sfn "$l" "$S/.env"
		rm -rf "${REC:?}/launch"/*
		run pi_as pitest-alice "$A/p"
		no_leak
		[ "$status" -eq 1 ] && [[ "$output" == *"cannot read $S/.env"* ]]
	done
}

@test "alice's settings.json linked to bob's process is ignored, never merged" {
	bob_process
	for l in "/proc/$VICTIM/cwd/settings.json" "/proc/$VICTIM/fd/4" "/proc/$VICTIM/environ"; do
		ln -sfn "$l" "$S/settings.json"
		rm -rf "${REC:?}/launch"/*
		run pi_as pitest-alice "$A/p"
		launched
		nothing_of_bob
		[[ "$output" == *"warning: ignoring $S/settings.json"* ]]
		grep -q managed "$D/settings.json"
	done
}

@test "alice's config dir linked to bob's process copies nothing of bob's" {
	bob_process
	rm -rf "$S"
	for l in "/proc/$VICTIM/cwd" "/proc/$VICTIM/root$VAULT" "/proc/$VICTIM/fd/3"; do
		ln -sfn "$l" "$S"
		rm -rf "${REC:?}/launch"/*
		run pi_as pitest-alice "$A/p"
		no_leak
		[ ! -e "$D/.env" ] && [ ! -e "$D/settings.json" ] || grep -q managed "$D/settings.json"
	done
}

@test "links to bob's process inside alice's config dir are copied as links, never opened" {
	bob_process
	ln -s "/proc/$VICTIM/cwd" "$S/cwd"
	ln -s "/proc/$VICTIM/environ" "$S/environ"
	ln -s "/proc/$VICTIM/fd/3" "$S/fd3"
	run pi_as pitest-alice "$A/p"
	launched
	nothing_of_bob
	[ "$(readlink "$D/cwd")" = "/proc/$VICTIM/cwd" ]
	[ "$(readlink "$D/environ")" = "/proc/$VICTIM/environ" ]
	[ "$(readlink "$D/fd3")" = "/proc/$VICTIM/fd/3" ]
}

@test "a project root or cwd through bob's process is never bound" {
	bob_process
	rm -f "$A/p3"
	ln -s "/proc/$VICTIM/cwd" "$A/p3"
	write_config '{"hostUsers": {"pitest-alice": {"projectRoots": ["~/p", "~/p3"]}}}'
	run pi_as pitest-alice "$A/p"
	no_leak
	if [ "$status" -eq 0 ]; then
		run binds
		[[ "$output" != *"$VAULT"* ]] && [[ "$output" != *"/proc/"* ]]
	fi
	rm -rf "${REC:?}/launch"/*
	for cwd in "/proc/$VICTIM/cwd" "/proc/$VICTIM/root$VAULT" "$VAULT"; do
		run atk_as pitest-alice "$A/p" sudo -n "$RUNNER" pitest-alice "$cwd"
		refused
	done
}

@test "alice's .env linked to the maps of a root process lands nothing in the env file" {
	ln -s "/proc/$$/maps" "$S/.env"
	run pi_as pitest-alice "$A/p"
	refused
	[[ "$output" == *"cannot read $S/.env: Permission denied"* ]]
	! grep -rqa 'r-xp' "$RUNTIME" "$REC"
}

@test "a directory or O_PATH fd as fd 0, 1 or 2 is refused, naming the fd; nothing launches" {
	run atk_as pitest-alice "$A/p" python3 "$SPAWN" --fd 0:dir:/ -- pi
	refused
	[[ "$output" == *"pi: refused: standard input (fd 0) is a directory"* ]]
	run atk_as pitest-alice "$A/p" python3 "$SPAWN" --fd 1:path:/ -- pi
	refused
	run atk_as pitest-alice "$A/p" python3 "$SPAWN" --fd 2:path:/etc -- pi
	refused
	# past the wrapper, straight to the runner through sudo
	run atk_as pitest-alice "$A/p" python3 "$SPAWN" --fd 0:dir:/ -- sudo -n "$RUNNER" pitest-alice "$A/p"
	refused
	[[ "$output" == *"pi-runner: refused: standard input (fd 0) is a directory"* ]]
	run atk_as pitest-alice "$A/p" python3 "$SPAWN" --fd 0:path:/ -- sudo -n "$RUNNER" pitest-alice "$A/p"
	refused
	[[ "$output" == *"standard input (fd 0) is an O_PATH file descriptor"* ]]
	run atk_as pitest-alice "$A/p" python3 "$SPAWN" --fd 1:dir:/home -- sudo -n "$RUNNER" pitest-alice "$A/p"
	refused
	[[ "$output" == *"standard output (fd 1) is a directory"* ]]
	run atk_as pitest-alice "$A/p" python3 "$SPAWN" --fd 2:path:/ -- sudo -n "$RUNNER" pitest-alice "$A/p"
	refused
}

@test "a regular file, a pipe and a socket as fds 0-2 launch" {
	echo input >"$A/in"
	chown pitest-alice: "$A/in"
	run atk_as pitest-alice "$A/p" python3 "$SPAWN" --fd "0:file:$A/in" --fd 1:pipe \
		--fd 2:sock -- sudo -n "$RUNNER" pitest-alice "$A/p"
	launched
}

@test "SIGCHLD ignored by the caller: the runner still sees systemd-run end, and ends" {
	run atk_as pitest-alice "$A/p" python3 "$SPAWN" --ign CHLD -- pi
	launched
	rm -rf "${REC:?}/launch"/*
	run atk_as pitest-alice "$A/p" python3 "$SPAWN" --ign CHLD -- sudo -n "$RUNNER" pitest-alice "$A/p"
	launched
	# the account lock is free again: a second launch of the same account goes ahead
	rm -rf "${REC:?}/launch"/*
	run pi_as pitest-alice "$A/p"
	launched
}

@test "signals ignored or blocked by the caller are neither for systemd-run" {
	# systemd-run is first a recorder of its own signal state (the shell of the stand-in
	# clears its mask, python adds SIGPIPE and SIGXFSZ to the ignored ones: masked out below)
	mv "$FIX/bin/systemd-run" "$FIX/bin/systemd-run.rec"
	cat >"$FIX/bin/systemd-run" <<PY
#!/usr/bin/python3
import os, sys
with open("$REC/signals", "w") as f:
    f.writelines(l for l in open("/proc/self/status") if l.startswith(("SigIgn", "SigBlk")))
os.execv("$FIX/bin/systemd-run.rec", ["systemd-run"] + sys.argv[1:])
PY
	chmod 0755 "$FIX/bin/systemd-run"
	for cmd in pi "sudo -n $RUNNER pitest-alice $A/p"; do
		rm -rf "${REC:?}/launch"/* "$REC/signals"
		# shellcheck disable=SC2086 # cmd is words
		run atk_as pitest-alice "$A/p" python3 "$SPAWN" --ign INT,TERM,HUP,QUIT,USR1 \
			--block TERM,INT,USR2,CHLD -- $cmd
		launched
		cat "$REC/signals" >&2
		# HUP INT QUIT USR1 TERM: bits 0 1 2 9 14
		[ $((0x$(sed -n 's/^SigIgn:\t//p' "$REC/signals") & 0x4207)) -eq 0 ]
		[ "$(sed -n 's/^SigBlk:\t//p' "$REC/signals")" = 0000000000000000 ]
	done
	mv "$FIX/bin/systemd-run.rec" "$FIX/bin/systemd-run"
}

@test "a file-size limit of the caller is lifted, or the launch refused before anything is copied" {
	head -c 100000 /dev/urandom >"$S/big"
	chown pitest-alice: "$S/big"
	run atk_as pitest-alice "$A/p" sh -c 'ulimit -f 1 && exec pi'
	# lifting a hard limit takes CAP_SYS_RESOURCE, which some containers withhold from root
	if [ $((0x$(sed -n 's/^CapEff:\t//p' /proc/self/status) >> 24 & 1)) -eq 1 ]; then
		launched
		cmp "$S/big" "$D/big"
	else
		refused
		[[ "$output" == *"pi-runner: cannot lift the caller's file size (ulimit -f) limit"* ]]
		[ ! -e "$H" ]
	fi
}
