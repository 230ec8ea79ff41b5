#!/usr/bin/env bats
# check.bats - `pi-runner --check` through sudo: no oracle for whether another user's paths exist.

bats_require_minimum_version 1.5.0

setup() {
	load atk
	atk_setup
	chmod 0700 "$B"
	watch_now
}

teardown() {
	chmod 0755 "$B"
	rm -rf "${B:?}/secret-project" "${B:?}/for-alice"
}

# check_as_alice: alice's `sudo -n pi-runner --check` (stdout and stderr) into output.
check_as_alice() { run atk_as pitest-alice "$A/p" sudo -n "$FIX/bin/pi-runner" --check; }

@test "--check through sudo says the same whether bob's hidden root exists or not, and names none of bob's paths" {
	write_config '{"hostUsers": {
		"pitest-alice": {"projectRoots": ["~/p", "~/alice-missing"]},
		"pitest-bob": {"projectRoots": ["~/p", "~/secret-project", "~/never-there"]}}}'
	install -d -m 0700 -o pitest-bob "$B/secret-project"
	check_as_alice
	no_crash
	exists=$output exists_status=$status
	rm -rf "${B:?}/secret-project"
	check_as_alice
	no_crash
	[ "$output" = "$exists" ] || { diff <(echo "$exists") <(echo "$output") >&2; false; }
	[ "$status" = "$exists_status" ]
	[[ "$output" != *"$B"* ]] && [[ "$output" != *pitest-bob* ]] && [[ "$output" != *secret-project* ]]
	# her own missing root is still reported
	[[ "$output" == *"warning: hostUsers.pitest-alice.projectRoots: $A/alice-missing does not exist"* ]]
	# root running --check itself still checks everyone's roots
	run "$FIX/bin/pi-runner" --check
	[[ "$output" == *"hostUsers.pitest-bob.projectRoots: $B/secret-project does not exist"* ]]
	[[ "$output" == *"hostUsers.pitest-bob.projectRoots: $B/never-there does not exist"* ]]
	unchanged
}

@test "--check through sudo looks at the caller's own roots with the caller's eyes, not root's" {
	# a root of alice's inside bob's 0700 home exists, but alice cannot see it: --check through
	# sudo says what alice herself would find, root's --check what root finds
	install -d -m 0755 -o pitest-bob "$B/for-alice"
	write_config "{\"hostUsers\": {\"pitest-alice\": {\"projectRoots\": [\"~/p\", \"$B/for-alice\"]}}}"
	check_as_alice
	no_crash
	[[ "$output" == *"warning: hostUsers.pitest-alice.projectRoots: $B/for-alice does not exist"* ]]
	run "$FIX/bin/pi-runner" --check
	[ "$status" -eq 0 ]
	[[ "$output" != *"$B/for-alice"* ]]
}
