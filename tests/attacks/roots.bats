#!/usr/bin/env bats
# roots.bats - other host users' project roots are inaccessible in a unit (never one's own, whatever links they plant); agents of different host users share no group.

bats_require_minimum_version 1.5.0

setup() {
	load atk
	atk_setup
	P=$FIX/projects                      # root's, 0755: where the admin puts projects outside /home
	install -d -m 0755 "$P"
	install -d -m 2770 -o pitest-alice -g pitest-alice "$P/alice" "$P/alice/sub"
	install -d -m 2770 -o pitest-bob -g pitest-bob "$P/bob"
	echo "alice's work" >"$P/alice/work.txt"
	chown pitest-alice "$P/alice/work.txt"
	write_config '{"hostUsers": {"pitest-alice": {"projectRoots": ["~/p", "'"$P/alice"'"]},
		"pitest-bob": {"projectRoots": ["~/p", "'"$P/bob"'"]}}}'
	WATCH+=("$P")
	watch_now
}

# The paths of the only launch's InaccessiblePaths=-"…" properties, unquoted.
hidden() { argv_lines | sed -n 's/^InaccessiblePaths=-"\(.*\)"$/\1/p'; }
# The same without the host users' homes (~/p and the like: hidden with their home).
hidden_here() { hidden | grep -v -- "^${A%/*}/[^/]*$" || true; }

# bob's ~/p becomes a link (his own) to $1.
bob_links_p() {
	rm -rf "$B/p"
	ln -s "$1" "$B/p"
	chown -h pitest-bob "$B/p"
	watch_now
}

# Nothing hidden in the only launch is alice's root or above it, and her root is still bound.
alice_root_kept() {
	local h
	while IFS= read -r h; do
		case $P/alice/ in "$h"/*) echo "alice's root is hidden by $h" >&2; return 1 ;; esac
	done < <(hidden)
	binds | grep -qx -- "$P/alice"
}

@test "bob's roots outside /home are inaccessible in alice's unit, and alice's in bob's" {
	run pi_as pitest-alice "$P/alice"
	launched
	hidden | grep -qx -- "$P/bob"
	hidden | grep -qx -- "$B"            # ~/p, below bob's own home: his home (also under ProtectHome)
	if hidden | grep -q -- "$P/alice"; then return 1; fi
	alice_root_kept
	argv_lines | grep -qx -- "InaccessiblePaths=-\"$P/bob\""
	rm -rf "$REC/launch"/*
	run pi_as pitest-bob "$P/bob"
	launched
	hidden | grep -qx -- "$P/alice"
	hidden | grep -qx -- "$A"
	if hidden | grep -q -- "$P/bob"; then return 1; fi
}

@test "a root of bob's in a directory of his is hidden with that directory, which he cannot swap" {
	install -d -m 0755 -o pitest-bob "$P/bobs" "$P/bobs/work"
	write_config '{"hostUsers": {"pitest-alice": {"projectRoots": ["'"$P/alice"'"]},
		"pitest-bob": {"projectRoots": ["'"$P/bobs/work"'"]}}}'
	watch_now
	run pi_as pitest-alice "$P/alice"
	launched
	[ "$(hidden_here)" = "$P/bobs" ]
}

@test "bob's root linked to alice's root is not hidden from alice, and her bind stays" {
	bob_links_p "$P/alice"
	run pi_as pitest-alice "$P/alice"
	launched
	alice_root_kept
	[ "$(hidden_here)" = "$P/bob" ]
}

@test "bob's root linked above alice's root, into it, or to the system hides nothing of them" {
	local target
	for target in "$P" "$FIX" / "$P/alice/sub" /usr/lib "$FIX/pkg" "$STATE"; do
		rm -rf "$REC/launch"/*
		bob_links_p "$target"
		run pi_as pitest-alice "$P/alice"
		launched
		alice_root_kept
		[ "$(hidden_here)" = "$P/bob" ] || { echo "link to $target hid: $(hidden_here)" >&2; return 1; }
	done
}

@test "bob's root linked to a directory of his own is hidden where it leads" {
	install -d -m 0700 -o pitest-bob "$FIX/bob-elsewhere"
	bob_links_p "$FIX/bob-elsewhere"
	run pi_as pitest-alice "$P/alice"
	launched
	hidden | grep -qx -- "$FIX/bob-elsewhere"
	hidden | grep -qx -- "$P/bob"
}

@test "the unit runs with the agent account's own primary group" {
	run pi_as pitest-alice "$P/alice"
	launched
	[ "$(prop Group)" = pitest-agent ]
	rm -rf "$REC/launch"/*
	run pi_as pitest-bob "$P/bob"
	launched
	[ "$(prop Group)" = pitest-agent2 ]
	[ "$(stat -c %G "$STATE/users/pitest-bob")" = pitest-agent2 ]
}

@test "different agent accounts sharing a primary group are refused, with the fix; --check reports it" {
	getent passwd pitest-agent3 >/dev/null ||
		useradd --system -g pitest-agent -d /nonexistent -s /usr/sbin/nologin pitest-agent3
	[ "$(id -gn pitest-agent3)" = pitest-agent ]
	watch_now
	write_config '{"hostUsers": {"pitest-bob": {"agentUser": "pitest-agent3"}}}'
	run pi_as pitest-alice "$A/p"
	refused
	[[ "$output" == *"agent accounts 'pitest-agent' (of pitest-alice) and 'pitest-agent3' (of pitest-bob) share the primary group 'pitest-agent'"* ]]
	[[ "$output" == *"usermod -g pitest-agent3 pitest-agent3"* ]]
	run pi_as pitest-bob "$B/p"
	refused
	[[ "$output" == *"'pitest-agent3' (of pitest-bob) and 'pitest-agent' (of pitest-alice) share the primary group 'pitest-agent'"* ]]
	run "$FIX/bin/pi-runner" --check
	no_crash
	[ "$status" -eq 1 ]
	# the launch's own words (one rule, one message), after the config's path
	[[ "$output" == *": agent accounts 'pitest-agent' (of pitest-alice) and 'pitest-agent3' (of pitest-bob) share the primary group 'pitest-agent'"* ]]
}

@test "host users sharing one agent account may share its group" {
	write_config '{"hostUsers": {"pitest-bob": {"agentUser": "pitest-agent"}}}'
	run pi_as pitest-alice "$A/p"
	launched
	[ "$(prop Group)" = pitest-agent ]
}
