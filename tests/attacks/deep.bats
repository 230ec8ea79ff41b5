#!/usr/bin/env bats
# deep.bats - deep trees the agent leaves in its home and the host user keeps in its config dir: the next launch works, in bounded fds, and removes the agent's where the runner prunes.

bats_require_minimum_version 1.5.0

setup() {
	load atk
	atk_setup
	atk_host_config
	# a place outside the agent home that the agent account could write to
	AT=$FIX/agent-target
	install -d -m 0755 -o pitest-agent -g pitest-agent "$AT"
	echo untouched >"$AT/file"
	run pi_as pitest-alice "$A/p"
	launched
	rm -rf "${REC:?}/launch"/*
	SLUG=$(basename "$(find "$H/projects" -mindepth 1 -maxdepth 1 -name '0-*')")
	WATCH+=("$AT")
	watch_now
}

# chain USER DIR LEVELS [NAMELEN]: as USER, a chain of LEVELS directories under DIR (each
# named NAMELEN times 'd', default 1), with a file and a link out of the home at its bottom;
# made with relative steps, as the agent would, whatever PATH_MAX says.
chain() {
	runuser -u "$1" -- /usr/bin/python3 -c '
import os, sys
os.makedirs(sys.argv[1], exist_ok=True)
os.chdir(sys.argv[1])
name = "d" * int(sys.argv[3])
for _ in range(int(sys.argv[2])):
    os.mkdir(name)
    os.chdir(name)
open("leaf", "w").write("leaf\n")
os.symlink(sys.argv[4], "out")' "$2" "$3" "${4:-1}" "$AT"
}

# The launch's output holds no fd exhaustion.
no_emfile() {
	[[ "$output" != *"No file descriptors available"* && "$output" != *"Too many open files"* ]] ||
		{ echo "output: $output" >&2; return 1; }
}

# pi_1024 ARGS...: pi_as with the open files sudo's users have by default (1024: this machine
# allows more, and the runner only raises a lower limit to 1024).
pi_1024() { (ulimit -n 1024 && pi_as "$@"); }

relaunch() {
	rm -rf "${REC:?}/launch"/*
	run pi_1024 pitest-alice "$A/p"
	no_emfile
	launched
	[ -f "$D/settings.json" ] && [ ! -L "$D/settings.json" ]
	[ "$(cat "$D/models.json")" = '{"model": "m"}' ]
	[ "$(readlink "$H/projects/$SLUG")" = "$A/p" ]
	[ -z "$(find "$H" -name '*.pi-tmp*' -o -name '.pi-rm.*')" ]
}

@test "a 5,000-level chain the agent makes under projects/ and its config copy: the next launch works and removes it" {
	for p in projects/junk .pi/agent/junk; do
		chain pitest-agent "$H/$p" 5000
		relaunch
		[ ! -e "$H/$p" ]
	done
}

@test "a 5,000-level chain in place of a project link and of settings.json: replaced" {
	for p in "projects/$SLUG" .pi/agent/settings.json; do
		as_agent rm -f "$H/$p"
		chain pitest-agent "$H/$p" 5000
		relaunch
	done
}

@test "a chain deeper than PATH_MAX in bytes (40 names of 255) under projects/ and the config copy: removed" {
	for p in projects/junk .pi/agent/junk; do
		chain pitest-agent "$H/$p" 40 255
		relaunch
		[ ! -e "$H/$p" ]
	done
}

@test "a 5,000-level chain below a directory the host user has too: pruned to the host user's levels" {
	install -d -o pitest-alice -g pitest-alice "$S/ext" "$S/ext/d"
	relaunch
	chain pitest-agent "$D/ext/d" 5000
	relaunch
	[ -d "$D/ext/d" ] && [ -z "$(ls -A "$D/ext/d")" ]
}

@test "the host user's own 5,000-level directory: the launch works, one warning names it; the copy stops at 64 levels" {
	chain pitest-alice "$S/deep" 4999
	relaunch
	deepest=$S/deep$(printf '/d%.0s' $(seq 64))
	[[ "$output" == *"pi-runner: warning: skipped $deepest: deeper than 64 levels"* ]]
	[ "$(grep -c 'deeper than' <<<"$output")" -eq 1 ]
	[ "$(find "$D/deep" -type d | wc -l)" -eq 64 ]
	[ -z "$(find "$D/deep" -name leaf -o -name out)" ]
	# the host user removes it: the copy goes too
	rm -rf "$S/deep"
	relaunch
	[ ! -e "$D/deep" ]
}

@test "a stale entry in projects/ the runner cannot remove: the launch works with a warning, the rest goes" {
	# the agent cannot make a root directory; root plants one as if it could
	chain pitest-agent "$H/projects/junk" 5000
	install -d -m 0755 "$H/projects/junk/root"
	echo root >"$H/projects/junk/root/file"
	chain pitest-agent "$H/projects/junk2" 100
	run pi_1024 pitest-alice "$A/p"
	no_emfile
	launched
	[[ "$output" == *"pi-runner: warning: cannot remove $H/projects/junk: Permission denied; left in place"* ]]
	[ -f "$H/projects/junk/root/file" ] && [ ! -e "$H/projects/junk2" ]
	[ "$(readlink "$H/projects/$SLUG")" = "$A/p" ]
}

# peak_fd FILE: the highest descriptor the runner's own process got in the
# strace log FILE (sudo's, whose PAM modules vary from run to run, do not count).
peak_fd() {
	local pid
	pid=$(grep -E '^[0-9]+ +execve\("[^"]*/pi-runner",' "$1" | tail -1 | cut -d' ' -f1)
	[ -n "$pid" ] || return 1
	grep -oE "^$pid +(<... )?(openat2?|open|dup|dup2|dup3|fcntl|socket|pipe2|memfd_create|accept4?)[( ].*\\) = [0-9]+" "$1" |
		sed -E 's/.* = //' | sort -n | tail -1
}

@test "the runner's open fds while it prunes a 5,000-level chain: as few as with a 2-level one" {
	chain pitest-agent "$H/projects/junk" 2
	rm -rf "${REC:?}/launch"/*
	run strace -f -qq -o "$BATS_TEST_TMPDIR/shallow" -e trace=%desc,execve -e status=successful \
		prlimit --nofile=1024 setpriv --reuid pitest-alice --regid pitest-alice --init-groups --reset-env \
		env -C "$A/p" PATH="$FIX/bin:/usr/bin:/bin" pi
	launched
	shallow=$(peak_fd "$BATS_TEST_TMPDIR/shallow")
	chain pitest-agent "$H/projects/junk" 5000
	chain pitest-agent "$H/.pi/agent/junk" 5000
	rm -rf "${REC:?}/launch"/*
	run strace -f -qq -o "$BATS_TEST_TMPDIR/deep" -e trace=%desc,execve -e status=successful \
		prlimit --nofile=1024 setpriv --reuid pitest-alice --regid pitest-alice --init-groups --reset-env \
		env -C "$A/p" PATH="$FIX/bin:/usr/bin:/bin" pi
	launched
	[ ! -e "$H/projects/junk" ] && [ ! -e "$H/.pi/agent/junk" ]
	deep=$(peak_fd "$BATS_TEST_TMPDIR/deep")
	echo "# highest fd: $shallow (2 levels), $deep (5,000 levels)" >&3
	[ -n "$shallow" ] && [ "$deep" -le "$shallow" ] && [ "$deep" -lt 32 ]
}
