# scenario-roots.sh - a root outside /home (2770, the project group) holds a file alice's agent made: bob's agent, at the same time and after, can neither list nor read it; alice's still reads and writes it.
# shellcheck shell=bash

SR_A=/opt/projects/alice
SR_B=/opt/projects/bob

scenario_roots() {
	need_launcher "scenario roots" || return 0
	sr_setup
	sr_made
	sr_together
	sr_after
	sr_nested
	sr_link
	sr_grouplink
	sr_agentlink
	write_config /opt/fake-agent
}

# sr_alice_roots ROOTS: a fresh config where alice's projectRoots are ROOTS (a JSON list body).
sr_alice_roots() {
	write_config /opt/fake-agent
	ctr sed -i "s|\"alice\": { \"projectRoots\": \\[\"~/p\"\\] }|\"alice\": { \"projectRoots\": [$1] }|" \
		/etc/pi-agent/config.json
	check_has "roots: alice's roots are now [$1]" "$(ctr cat /etc/pi-agent/config.json)" "[$1]"
}

# Group mode (the homes here cannot be idmapped): alice, no longer in the project group, makes
# one of her roots a link to bob's home, where bob's project is 2770 bob:piproj. Her agent would
# hold piproj there: the launch is refused, bob's file untouched.
sr_grouplink() {
	local before
	ctr gpasswd -d alice piproj >/dev/null
	ctr install -d -m 2770 -o bob -g piproj /home/bob/gp
	ctr sh -c 'echo "int main(void) { return 0; }" >/home/bob/gp/main.c
		chown bob:piproj /home/bob/gp/main.c; chmod 0660 /home/bob/gp/main.c'
	before=$(ctr sha256sum /home/bob/gp/main.c)
	as alice 'rm -rf ~/bp; ln -s /home/bob ~/bp'
	run_as alice 'cat /home/bob/gp/main.c'
	check_ne "roots: alice herself cannot read bob's group project" 0 "$RC"
	sr_alice_roots '"~/p", "~/bp"'
	run_as alice "cd /home/alice/p/proj-alice && pi --see /home/bob/gp/main.c --append /home/bob/gp/main.c"
	check_eq "roots: a group-mode root linked to bob's home: the launch is refused" 1 "$RC"
	check_has "roots: ... naming the root and the owner" "$ERR" \
		"refused: project root /home/bob is bob's, not yours"
	check_lacks "roots: ... and no agent ran" "$OUT" "see:/home/bob/gp/main.c=readable"
	check_eq "roots: ... bob's file is untouched" "$before" "$(ctr sha256sum /home/bob/gp/main.c)"
	ctr rm -rf /home/bob/gp /home/alice/bp
	ctr gpasswd -a alice piproj >/dev/null
}

# A root inside another: alice's agent, in the outer one, makes the inner a link to her home.
# The next launch skips that root with a warning; the agent never sees her home.
sr_agentlink() {
	local outer=/home/alice/p/proj-alice
	ctr rm -rf "$outer/sub"
	sr_alice_roots "\"$outer\", \"$outer/sub\""
	run_as alice "cd $outer && pi --link /home/alice sub"
	check_eq "roots: the agent makes the inner root a link to alice's home" ok "$(field link:sub "$OUT")"
	run_as alice "cd $outer && pi --see /home/alice/secret.txt --see /home/alice/.bashrc"
	check_eq "roots: the next launch still runs" 0 "$RC"
	check_has "roots: ... skipping the root the agent's link leads to, with why" "$ERR" \
		"warning: project root /home/alice is reached through the link $outer/sub, inside $outer"
	check_eq "roots: ... and the agent does not see alice's home" absent \
		"$(field see:/home/alice/secret.txt "$OUT")"
	ctr rm -f "$outer/sub"
}

# /opt/projects (root's, 0755) with a root of alice's and one of bob's, both 2770 piproj.
sr_setup() {
	ctr install -d -m 0755 /opt/projects
	ctr install -d -m 2770 -o alice -g piproj "$SR_A"
	ctr install -d -m 2770 -o bob -g piproj "$SR_B"
	write_config /opt/fake-agent
	ctr sed -i -e "s|\"alice\": { \"projectRoots\": \\[\"~/p\"\\] }|\"alice\": { \"projectRoots\": [\"~/p\", \"$SR_A\"] }|" \
		-e "s|\"bob\": { \"projectRoots\": \\[\"~/p\"\\],|\"bob\": { \"projectRoots\": [\"~/p\", \"$SR_B\"],|" \
		/etc/pi-agent/config.json
	check_has "roots: the config names both roots" "$(ctr cat /etc/pi-agent/config.json)" "\"$SR_B\"]"
}

# alice's agent makes a file in her root: group piproj, 0660 (bob's agent holds piproj too).
sr_made() {
	run_as alice "cd $SR_A && pi --make by-alice.txt --exit 0"
	check_eq "roots: alice's agent runs in her root" 0 "$RC"
	check_eq "roots: the file alice's agent made is the project group's, 0660" "piproj:660" \
		"$(field made:by-alice.txt "$OUT")"
	check_has "roots: alice's agent runs with her account's own group and the project group" \
		"$OUT" "groups=pi-agent pi-agent-g1 piproj"
	check_has "roots: bob's agent: his account's own group, and the project group (what would open the file)" \
		"$(as bob "cd $SR_B && pi --exit 0")" "groups=pi-agent-bob pi-agent-bob-g1 piproj"
}

# sr_probes OTHER: what one agent tries on the other's root.
sr_probes() {
	echo "--see /opt/projects/$1 --see /opt/projects/$1/by-alice.txt --write /opt/projects/$1"
}

# sr_denied WHO OUT: WHO's agent could neither list, read nor write the other's root.
sr_denied() {
	local who=$1 out=$2 o=alice p
	[ "$who" = alice ] && o=bob
	for p in "/opt/projects/$o" "/opt/projects/$o/by-alice.txt"; do
		case $(field "see:$p" "$out") in
		denied | absent) pass "roots: $who's agent ($3) cannot list or read $p" ;;
		*) fail "roots: $who's agent ($3) cannot list or read $p" "see:$p=$(field "see:$p" "$out")" ;;
		esac
	done
	check_eq "roots: $who's agent ($3) cannot write /opt/projects/$o" denied \
		"$(field "write:/opt/projects/$o" "$out")"
}

# alice's agent held in her root while bob's runs in his: each tries the other's.
sr_together() {
	local ja ra
	ctr rm -f "$SR_A/.e2e-ready" "$SR_A/.e2e-release"
	bg_start sr-alice alice "cd $SR_A && pi --hold --see $SR_A/by-alice.txt --write $SR_A $(sr_probes bob)"
	ja=$BG_PID
	if poll 30 ctr test -e "$SR_A/.e2e-ready"; then
		run_as bob "cd $SR_B && pi $(sr_probes alice)"
		check_eq "roots: bob's agent runs while alice's does" 0 "$RC"
		sr_denied bob "$OUT" "while alice's runs"
	else
		fail "roots: alice's held agent starts" "$(cat "$E2E_DIR/sr-alice.out")"
	fi
	ctr touch "$SR_A/.e2e-release"
	ra=0; wait "$ja" || ra=$?
	OUT=$(cat "$E2E_DIR/sr-alice.out")
	check_eq "roots: alice's held run exits 0" 0 "$ra"
	check_eq "roots: alice's agent was held while bob's ran" released "$(field held "$OUT")"
	check_eq "roots: alice's agent reads her own file" readable "$(field "see:$SR_A/by-alice.txt" "$OUT")"
	check_eq "roots: alice's agent writes her own root" ok "$(field "write:$SR_A" "$OUT")"
	sr_denied alice "$OUT" "while bob's runs"
}

# After alice's agent ended: bob's still sees nothing of her root; the host shows it untouched.
sr_after() {
	run_as bob "cd $SR_B && pi $(sr_probes alice)"
	check_eq "roots: bob's agent runs after alice's" 0 "$RC"
	sr_denied bob "$OUT" "after alice's"
	check_eq "roots: alice's file is still there on the host" "made by pi-agent" \
		"$(ctr cat "$SR_A/by-alice.txt" 2>&1)"
}

# alice's root holds bob's (/opt/projects, root's). Group mode here (no idmapped mount): her agent
# would reach bob's root through the project group, so the launch is refused, naming why.
# (With an idmapped mount bob's root is hidden beneath alice's bind: rootrules.bats.)
sr_nested() {
	ctr sed -i "s|\"$SR_A\"\] }|\"/opt/projects\"] }|" /etc/pi-agent/config.json
	check_has "roots: alice's root is now /opt/projects" "$(ctr cat /etc/pi-agent/config.json)" \
		'"~/p", "/opt/projects"]'
	run_as alice "cd $SR_A && pi --see $SR_A/by-alice.txt --write $SR_A $(sr_probes bob)"
	check_eq "roots: a group-mode root of alice's that is root's and holds bob's: refused" 1 "$RC"
	check_has "roots: ... naming the root and its owner" "$ERR" \
		"refused: project root /opt/projects is root's, not yours"
	check_lacks "roots: ... and no agent ran" "$OUT" "see:$SR_A/by-alice.txt="
}

# Why the runner hands systemd only paths that root alone can replace: systemd follows a link
# at an InaccessiblePaths= path (here a link to bob's root hides bob's root), and reads the
# runner's -"…" quoting back as the path.
sr_link() {
	ctr ln -sfn "$SR_B" /opt/projects/link-to-bob
	ctr install -m 0644 /dev/null "$SR_B/plain.txt"
	run_as root "systemd-run --quiet --wait --pipe -p User=bob \
		-p 'InaccessiblePaths=-\"/opt/projects/link-to-bob\"' \
		-p 'InaccessiblePaths=-\"/opt/projects/missing dir\"' cat $SR_B/plain.txt"
	check_ne "roots: systemd follows a link at an InaccessiblePaths= path" 0 "$RC"
	check_has "roots: ... and hides its target" "$ERR" "$SR_B/plain.txt: Permission denied"
	run_as root "systemd-run --quiet --wait --pipe -p User=bob \
		-p 'InaccessiblePaths=-\"/opt/projects/missing dir\"' cat $SR_B/plain.txt"
	check_eq "roots: a missing quoted path with '-' is no error (the same unit reads the file)" 0 "$RC"
	ctr rm -f /opt/projects/link-to-bob "$SR_B/plain.txt"
}
