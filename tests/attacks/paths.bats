#!/usr/bin/env bats
# paths.bats - attacks through the paths the runner resolves and hands to systemd: '..', ':', spaces, newlines, trailing slashes, /p vs /p2, links.

bats_require_minimum_version 1.5.0

setup() {
	load atk
	atk_setup
	OUT=$FIX/outside                     # a readable directory outside every root
	install -d -m 0755 "$OUT" "$OUT/deeper"
	WATCH+=("$OUT")
	watch_now
}

# runner_as USER CWD ARGS...: the runner through sudo with a cwd of the caller's choosing.
runner_as() {
	local u=$1 cwd=$2
	shift 2
	atk_as "$u" / sudo -n "$FIX/bin/pi-runner" "$u" "$cwd" "$@"
}

# No bind and no working directory outside alice's own roots and agent home.
only_own_binds() {
	local b
	while IFS= read -r b; do
		case $b in
		"$A/p" | "$A/p2" | "$FIX/shared" | "$H") ;;
		*) echo "unexpected bind: $b" >&2; return 1 ;;
		esac
	done < <(binds)
}

@test "a cwd climbing out of the roots with '..' is denied" {
	run runner_as pitest-alice "$A/p/../../pitest-bob/p"
	refused
	[ "${lines[0]}" = "Denied: '$B/p' is outside allowed project roots for user 'pitest-alice'." ]
}

@test "a cwd with '..' after a missing component cannot smuggle a link out of the roots" {
	ln -s "$OUT" "$A/p/esc"
	run runner_as pitest-alice "$A/p/missing/../esc"
	refused
	[ "${lines[0]}" = "Denied: '$OUT' is outside allowed project roots for user 'pitest-alice'." ]
}

@test "a cwd with '..' after a link climbs from the link's target" {
	ln -s "$OUT/deeper" "$A/p/lnk"
	run runner_as pitest-alice "$A/p/lnk/.."
	refused
	[ "${lines[0]}" = "Denied: '$OUT' is outside allowed project roots for user 'pitest-alice'." ]
}

@test "a cwd link leaving the roots is denied by pi and by the runner" {
	ln -s "$OUT" "$A/p/escape"
	run runner_as pitest-alice "$A/p/escape"
	refused
	[ "${lines[0]}" = "Denied: '$OUT' is outside allowed project roots for user 'pitest-alice'." ]
	run pi_as pitest-alice "$A/p/escape"
	refused
}

@test "roots with '..' and trailing slashes are bound resolved" {
	write_config '{"hostUsers": {"pitest-alice": {"projectRoots": ["~/p/sub/..", "~/p2//", "~/p/sub/../../p2/"]}}}'
	run runner_as pitest-alice "$A/p/sub/"
	launched
	[ "$(binds | LC_ALL=C sort -u)" = "$(printf '%s\n' "$H" "$A/p" "$A/p2" | LC_ALL=C sort -u)" ]
	[ "$(prop WorkingDirectory)" = "$A/p/sub" ]
	[ "$(argv_lines | grep -c '/\.\.\|//')" = 0 ]
}

@test "':', spaces, quotes and backslashes in a root and the cwd reach systemd as one path" {
	R="$A/a:b c\"d\\e 'f"
	install -d -o pitest-alice "$R" "$R/sub dir:x"
	write_config '{"hostUsers": {"pitest-alice": {"projectRoots": ["~/a:b c\"d\\e '"'"'f"]}}}'
	run pi_as pitest-alice "$R/sub dir:x"
	launched
	[ "$(binds | grep -v "^$H\$")" = "$R" ]
	[ "$(prop WorkingDirectory)" = "$R/sub dir:x" ]
	[ "$(prop MESSAGING_CWD)" = "$R/sub dir:x" ]
}

@test "a newline in the cwd is refused by the runner" {
	install -d -o pitest-alice "$A/p/new
line"
	run pi_as pitest-alice "$A/p/new
line"
	refused
	[ "${lines[0]}" = "Denied: project paths of user 'pitest-alice' must not contain control characters." ]
	run runner_as pitest-alice "$A/p/new
line"
	refused
}

@test "a root alice points at a directory with a newline in its name is refused" {
	install -d -o pitest-alice "$A/evil
root"
	rm -rf "$A/p2"
	ln -s "$A/evil
root" "$A/p2"
	run pi_as pitest-alice "$A/p"
	refused
	[[ "$output" == *"must not contain control characters"* ]]
}

@test "/p does not contain /p2, even with a trailing slash on the root" {
	write_config '{"hostUsers": {"pitest-alice": {"projectRoots": ["~/p/"]}}}'
	install -d -o pitest-alice "$A/p-x"
	run runner_as pitest-alice "$A/p2"
	refused
	[ "${lines[0]}" = "Denied: '$A/p2' is outside allowed project roots for user 'pitest-alice'." ]
	run runner_as pitest-alice "$A/p-x/"
	refused
	run pi_as pitest-alice "$A/p2"
	refused
}

@test "a root that is a link is bound at its real path, never through the link" {
	rm -rf "$A/p2"
	install -d -o pitest-alice "$A/real2"
	ln -s real2 "$A/p2"
	run pi_as pitest-alice "$A/p"
	launched
	binds | grep -qx "$A/real2"
	[ "$(binds | grep -cx "$A/p2")" = 0 ]
}

@test "a root alice turns into a link to another user's agent home is not bound" {
	# carol shares the default agent account with alice; her agent home holds her login
	write_config '{"hostUsers": {"pitest-carol": {"projectRoots": ["~/p"]}}}'
	run pi_as pitest-carol "$(home_of pitest-carol)/p"
	[ "$status" -eq 0 ]
	as_agent sh -c "echo carol-token >$STATE/users/pitest-carol/.pi/agent/auth.json"
	rm -rf "${REC:?}/launch"/* "$A/p2"
	ln -s "$STATE/users/pitest-carol" "$A/p2"
	WATCH+=("$STATE/users/pitest-carol")
	watch_now
	run pi_as pitest-alice "$A/p"
	no_crash
	unchanged
	[ "$(nlaunches)" -eq 0 ] || only_own_binds
}

@test "a root alice turns into a link to / does not let her launch anywhere" {
	rm -rf "$A/p2"
	ln -s / "$A/p2"
	run runner_as pitest-alice /etc
	refused
	run pi_as pitest-alice "$B/p"
	refused
}
