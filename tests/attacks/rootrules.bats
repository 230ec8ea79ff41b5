#!/usr/bin/env bats
# rootrules.bats - what a project root may be: never another user's tree through the project group, never reached through a link the agent could have made, never a kernel or runtime filesystem.

bats_require_minimum_version 1.5.0

setup() {
	load atk
	atk_setup
	getent group pitest-proj >/dev/null || groupadd --system pitest-proj
	usermod -a -G pitest-proj pitest-agent
	usermod -a -G pitest-proj pitest-agent2
	# bob's project in group mode, as the README tells: his home 0755, ~/p 2770 bob:pitest-proj
	chmod 0755 "$B"
	install -d -m 2770 -o pitest-bob -g pitest-proj "$B/p"
	echo "int main(void) { return 0; }" >"$B/p/main.c"
	chown pitest-bob:pitest-proj "$B/p/main.c"
	chmod 0660 "$B/p/main.c"
	install -d -m 0755 -o pitest-alice -g pitest-alice "$A/q"
	WATCH+=("$B")
	watch_now
}

teardown() {
	gpasswd -d pitest-agent pitest-proj >/dev/null 2>&1 || true
	gpasswd -d pitest-agent2 pitest-proj >/dev/null 2>&1 || true
}

group_mode() {
	write_config '{"projectAccess": "group", "projectGroup": "pitest-proj",
		"hostUsers": {"pitest-alice": {"projectRoots": ["~/p", "~/q"'"${1:+, $1}"']},
		"pitest-bob": {"projectRoots": ["~/p"], "agentUser": "pitest-agent2"}}}'
}

# The destinations of the only launch's BindPaths but the agent home's.
bound() { binds | grep -v -- "^$STATE/" || true; }

@test "group mode: alice's root linked to bob's home is refused, not bound with the project group" {
	group_mode
	rm -rf "$A/p"
	ln -s "$B" "$A/p"
	chown -h pitest-alice "$A/p"
	run pi_as pitest-alice "$A/q"
	refused
	[[ "$output" == *"pi-runner: refused: project root $B is pitest-bob's, not yours: without an idmapped mount the agent would reach it through projectGroup, beyond your own rights"* ]]
	# and through the runner directly, naming the same roots
	run atk_as pitest-alice "$A/q" sudo -n "$FIX/bin/pi-runner" pitest-alice "$A/q"
	refused
}

@test "group mode: a root of alice's holding bob's project is refused; bob's link to alice's own dir is not" {
	install -d -m 0755 -o pitest-alice "$FIX/team"
	install -d -m 2770 -o pitest-bob -g pitest-proj "$FIX/team/bobs"
	write_config '{"projectAccess": "group", "projectGroup": "pitest-proj",
		"hostUsers": {"pitest-alice": {"projectRoots": ["'"$FIX/team"'"]},
		"pitest-bob": {"projectRoots": ["'"$FIX/team/bobs"'"], "agentUser": "pitest-agent2"}}}'
	watch_now
	run pi_as pitest-alice "$FIX/team"
	refused
	[[ "$output" == *"pi-runner: refused: project root $FIX/team holds a project root of pitest-bob"* ]]
	# bob pointing his root at alice's own directory exposes nothing of his: alice launches
	rm -rf "$FIX/team/bobs"
	install -d -m 0755 -o pitest-alice "$FIX/team/mine"
	ln -s "$FIX/team/mine" "$FIX/bobs-link"
	chown -h pitest-bob "$FIX/bobs-link"
	write_config '{"projectAccess": "group", "projectGroup": "pitest-proj",
		"hostUsers": {"pitest-alice": {"projectRoots": ["'"$FIX/team"'"]},
		"pitest-bob": {"projectRoots": ["'"$FIX/bobs-link"'"], "agentUser": "pitest-agent2"}}}'
	watch_now
	run pi_as pitest-alice "$FIX/team"
	launched
}

@test "idmap mode: the same linked root is bound idmapped to alice, without the project group" {
	write_config '{"projectGroup": "pitest-proj",
		"hostUsers": {"pitest-alice": {"projectRoots": ["~/p", "~/q"]}}}'
	rm -rf "$A/p"
	ln -s "$B" "$A/p"
	chown -h pitest-alice "$A/p"
	run pi_as pitest-alice "$A/q"
	launched
	[[ "$output" != *"warning: $B: idmapped mounts are not available"* ]]
	[ -z "$(prop SupplementaryGroups)" ]
}

@test "a root nested in another, made a link (as the agent could), is refused; the rest launches" {
	write_config '{"hostUsers": {"pitest-alice": {"projectRoots": ["~/p", "~/p/sub"]}}}'
	# the agent writes ~/p as alice through its idmapped mount: the link is hers on disk
	rm -rf "$A/p/sub"
	atk_as pitest-alice / ln -s "$A" "$A/p/sub"
	run pi_as pitest-alice "$A/p"
	launched
	[[ "$output" == *"pi-runner: warning: project root $A is reached through the link $A/p/sub, inside $A/p, where the agent can write"* ]]
	[ "$(bound)" = "$A/p" ]
	# the same link where a root is not inside another: a link of the user's, bound
	write_config '{"hostUsers": {"pitest-alice": {"projectRoots": ["~/p", "~/q/sub"]}}}'
	atk_as pitest-alice / ln -s "$A/p" "$A/q/sub"
	watch_now
	rm -rf "${REC:?}/launch"/*
	run pi_as pitest-alice "$A/p"
	launched
	[[ "$output" != *"reached through the link"* ]]
}

@test "a root reached through a link in the agent's state is never bound (alice cannot even pass the agent home)" {
	run pi_as pitest-alice "$A/p"
	launched
	rm -rf "${REC:?}/launch"/*
	as_agent ln -s "$A" "$H/escape"
	write_config '{"hostUsers": {"pitest-alice": {"projectRoots": ["~/p", "'"$H/escape"'"]}}}'
	run pi_as pitest-alice "$A/p"
	launched
	# resolved as alice, the agent home (0700) is closed to her: missing, skipped; were it
	# open, the link in the state would be refused (test_policy.c test_agent_links)
	[ "$(bound)" = "$A/p" ]
}

@test "roots on proc, sysfs, cgroup, devtmpfs and a tmpfs under /run are refused by type; the cwd there is denied" {
	local rt=/run/pitest-rt
	tmpfs_at "$rt" 1m pitest-alice
	write_config '{"hostUsers": {"pitest-alice": {"projectRoots": ["~/p", "/proc", "/sys", "/sys/fs/cgroup", "/dev", "'"$rt"'"]}}}'
	run pi_as pitest-alice "$A/p"
	launched
	[[ "$output" == *"warning: project root /proc is on proc, not a place for projects"* ]]
	[[ "$output" == *"warning: project root /sys is on sysfs,"* ]]
	[[ "$output" == *"warning: project root /sys/fs/cgroup is on "* ]]
	[[ "$output" == *"warning: project root /dev is on devtmpfs or tmpfs under /dev,"* ]]
	[[ "$output" == *"warning: project root $rt is on tmpfs under /run, the runtime directory,"* ]]
	[ "$(bound)" = "$A/p" ]
	rm -rf "${REC:?}/launch"/*
	run pi_as pitest-alice /proc
	refused
	[[ "$output" == *"Denied: '/proc' is outside allowed project roots for user 'pitest-alice'."* ]]
	run atk_as pitest-alice / sudo -n "$FIX/bin/pi-runner" pitest-alice /proc/self
	refused
}

@test "--check warns about a root configured inside another, as root and as the user through sudo" {
	write_config '{"hostUsers": {"pitest-alice": {"projectRoots": ["~/p", "~/p/sub", "~/q"]}}}'
	run "$FIX/bin/pi-runner" --check
	[[ "$output" == *"warning: hostUsers.pitest-alice.projectRoots: ~/p/sub lies inside ~/p: the agent writes there and can make it a link"* ]]
	[[ "$output" != *"~/q lies inside"* ]]
	run atk_as pitest-alice "$A/p" sudo -n "$FIX/bin/pi-runner" --check
	[[ "$output" == *"~/p/sub lies inside ~/p"* ]]
}
