# scenario-check.sh - pi-runner --check before the first launch: a group-mode root the agent cannot write and a Node too old for the agent, each named with its fix; the fix applied, --check says so and the launch works.
# shellcheck shell=bash

# The homes here cannot be idmapped (the container's root is an overlay): alice's roots are in
# group mode, through projectGroup piproj.
SC_DIR=/home/alice/p/sc-new

scenario_check() {
	need_launcher "scenario check" || return 0
	sc_group
	sc_node
	write_config /opt/fake-agent
	ctr rm -rf "$SC_DIR"
}

# A directory alice made with her umask (0755, her own group): --check names it and prints
# the commands; run as printed, they make the agent able to write there.
sc_group() {
	local line cmd
	write_config /opt/fake-agent
	ctr rm -rf "$SC_DIR"
	as alice "umask 022 && mkdir $SC_DIR && echo x >$SC_DIR/notes.txt"
	run_as alice "cd $SC_DIR && pi --write $SC_DIR"
	check_eq "check: the agent cannot write a directory alice made with umask 022" denied \
		"$(field "write:$SC_DIR" "$OUT")"
	run_as root "pi-runner --check"
	line=$(grep -F "warning: hostUsers.alice.projectRoots: /home/alice/p: in group mode the agent works through projectGroup piproj" <<<"$ERR" || true)
	check_has "check: --check names alice's root and the project group" "$line" "lack"
	cmd=${line#*: as root, }
	cmd=${cmd%%; for what*}
	check_has "check: ... with the commands to run as root, acting as alice" "$cmd" \
		"setpriv --reuid=alice --regid=piproj --clear-groups --reset-env sh -c"
	ctr bash -c "$cmd"
	run_as root "pi-runner --check"
	check_has "check: after them, every entry of alice's root is the group's" "$OUT" \
		"root of alice: /home/alice/p: group mode through projectGroup piproj; every entry is the group's"
	run_as alice "cd $SC_DIR && pi --write $SC_DIR"
	check_eq "check: ... and the agent writes there" ok "$(field "write:$SC_DIR" "$OUT")"
}

# runtimePath yields a Node 18 first: --check names the agent's engines.node and that node;
# with the right node first, --check starts the agent and a launch works.
sc_node() {
	ctr bash -c 'install -d -m 0755 /opt/sc-node18 && printf "#!/bin/sh\necho v18.19.0\n" >/opt/sc-node18/node &&
		chmod 0755 /opt/sc-node18/node'
	E2E_NODE_BIN=/opt/sc-node18 write_config /opt/pi-real
	run_as root "pi-runner --check"
	check_eq "check: a Node 18 first on the agent's PATH fails --check" 1 "$RC"
	check_has "check: ... naming engines.node and the node" "$ERR" \
		"needs node >=20.6.0 (engines.node of"
	check_has "check: ... and which node it found" "$ERR" "the first node on the agent's PATH, /opt/sc-node18/node, is v18.19.0"
	write_config /opt/pi-real
	run_as root "pi-runner --check"
	check_has "check: with the right node, --check starts the agent as its account" "$OUT" \
		"agent: /opt/pi-real/bin/pi starts as pi-agent: 0.73.1, on $C_NODE/bin/node v"
	run_as alice "cd /home/alice/p/proj-alice && pi --version"
	check_eq "check: ... and alice's pi --version works" 0 "$RC"
	ctr rm -rf /opt/sc-node18
}
