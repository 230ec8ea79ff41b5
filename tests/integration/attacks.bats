#!/usr/bin/env bats
# attacks.bats - the safe-file rules, each as an attack that must fail with nothing outside the state changed.

setup() {
	load fixture
	reset_state
	A=$(home_of pitest-alice)
	H=$STATE/users/pitest-alice
	D=$H/.pi/agent
	# things outside the state that root could be tricked into touching
	V=$FIX/victim
	install -d -m 0700 "$V" "$V/dir"
	echo precious >"$V/file"
	echo '{"secret": "root-only"}' >"$V/root.json"
	chmod 0600 "$V/file" "$V/root.json"
	chmod 0755 "$V"
	before=$(snapshot)
	# a first launch creates the state the agent then tampers with
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	rm -f "$REC/argv"
}

# Everything outside the state the tests could reach: names, owners, modes, contents.
snapshot() {
	find "$V" /etc/shadow /etc/passwd -printf '%p %U %G %m %s %l\n' | sort
	sha256sum "$V/file" "$V/root.json" /etc/shadow
}

# as_agent CMD...: the agent account tampering with its own state between launches.
as_agent() { runuser -u pitest-agent -- "$@"; }

relaunch_ok() {
	run timeout 20 runuser -u pitest-alice -- env -C "$A/p" "$FIX/bin/pi"
	[ "$status" -eq 0 ]
	[ -e "$REC/argv" ]
	[ "$(snapshot)" = "$before" ]
}

@test "a link planted at settings.json is replaced, not written through" {
	as_agent ln -sf "$V/file" "$D/settings.json"
	relaunch_ok
	[ -f "$D/settings.json" ] && [ ! -L "$D/settings.json" ]
	[ "$(stat -c %U "$D/settings.json")" = pitest-agent ]
}

@test "a link planted at settings.json's temp name is not followed" {
	as_agent ln -sf "$V/file" "$D/.settings.json.pi-tmp"
	write_config '{"settings": {"changed": true}}'    # so that settings.json is written again
	relaunch_ok
	[ ! -e "$D/.settings.json.pi-tmp" ]
	grep -q '"changed": true' "$D/settings.json"
}

@test "a FIFO planted at settings.json does not hang the launch" {
	as_agent rm -f "$D/settings.json"
	as_agent mkfifo "$D/settings.json"
	write_config '{"wrapper": {"syncConfigFromHost": false}}'
	relaunch_ok
	[[ "$output" == *"warning: ignoring $D/settings.json: not a regular file"* ]]
	[ -f "$D/settings.json" ]
}

@test "a directory planted at settings.json is replaced" {
	as_agent rm -f "$D/settings.json"
	as_agent mkdir "$D/settings.json"
	as_agent ln -s "$V/file" "$D/settings.json/x"
	relaunch_ok
	[ -f "$D/settings.json" ]
}

@test "the agent dir replaced by a link elsewhere is replaced by a real dir" {
	as_agent mv "$D" "$H/.pi/old"
	as_agent ln -s "$V/dir" "$D"
	relaunch_ok
	[ -d "$D" ] && [ ! -L "$D" ]
	[ -f "$D/settings.json" ]
}

@test "links planted at .pi, .npm and projects are replaced" {
	as_agent rm -rf "$H/.npm" "$H/projects"
	as_agent ln -s "$V/dir" "$H/.npm"
	as_agent ln -s "$V/dir" "$H/projects"
	relaunch_ok
	[ -d "$H/.npm" ] && [ ! -L "$H/.npm" ]
	[ -L "$H/projects/0-home-pitest-alice-p" ]
}

@test "a link at the seed's old env file place is never touched" {
	as_agent ln -sf "$V/file" "$H/.pi/.env"
	relaunch_ok
	[ "$(readlink "$H/.pi/.env")" = "$V/file" ]
	[ "$(stat -c '%U %a' /run/pi-agent/pitest-alice.env)" = "root 600" ]
}

@test "the agent cannot reach the env file: it lives in a root-only dir the unit hides" {
	run runuser -u pitest-agent -- cat /run/pi-agent/pitest-alice.env
	[ "$status" -ne 0 ]
	run as pitest-alice "$A/p" pi
	grep -qx -- 'InaccessiblePaths="/run/pi-agent"' < <(recorded_argv)
}

@test "a host .env linking to a root-only file fails the launch and leaks nothing" {
	install -d -o pitest-alice "$A/.pi" "$A/.pi/agent"
	ln -s /etc/shadow "$A/.pi/agent/.env"
	run timeout 20 runuser -u pitest-alice -- env -C "$A/p" "$FIX/bin/pi"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot read $A/.pi/agent/.env: Permission denied"* ]]
	[ ! -e "$REC/argv" ]
	! grep -q root: /run/pi-agent/pitest-alice.env
	[ "$(readlink "$D/.env")" = /etc/shadow ]
	[ "$(snapshot)" = "$before" ]
}

@test "a host config dir linking to a root-only dir is not copied" {
	echo secret >"$V/dir/inner"
	install -d -o pitest-alice "$A/.pi"
	ln -s "$V/dir" "$A/.pi/agent"
	before=$(snapshot)
	run timeout 20 runuser -u pitest-alice -- env -C "$A/p" "$FIX/bin/pi"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot open $A/.pi/agent as pitest-alice: Permission denied"* ]]
	[ ! -e "$REC/argv" ]
	[ ! -e "$D/inner" ]
	[ "$(snapshot)" = "$before" ]
}

@test "a root-only dir inside the host config dir is skipped with its name, never copied" {
	echo secret >"$V/dir/inner"
	before=$(snapshot)
	install -d -o pitest-alice "$A/.pi" "$A/.pi/agent"
	ln -s "$V" "$A/.pi/agent/v"
	install -d -m 0700 -o root "$A/.pi/agent/locked"
	echo secret >"$A/.pi/agent/locked/inner"
	run timeout 20 runuser -u pitest-alice -- env -C "$A/p" "$FIX/bin/pi"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: skipped $A/.pi/agent/locked: not readable by pitest-alice"* ]]
	[ -e "$REC/argv" ]
	[ "$(readlink "$D/v")" = "$V" ]
	[ ! -e "$D/locked" ]
	[ "$(snapshot)" = "$before" ]
}

@test "links in the host config dir are copied as links, never their root-only content" {
	install -d -o pitest-alice "$A/.pi" "$A/.pi/agent"
	ln -s "$V/file" "$A/.pi/agent/notes"
	ln -s "$V/root.json" "$A/.pi/agent/settings.json"
	relaunch_ok
	[ "$(readlink "$D/notes")" = "$V/file" ]
	[[ "$output" == *"warning: ignoring $A/.pi/agent/settings.json: Permission denied"* ]]
	! grep -q root-only "$D/settings.json"
	grep -q managed "$D/settings.json"
}

@test "a host settings.json that links to the user's own file is followed, as the user" {
	install -d -o pitest-alice "$A/.pi" "$A/.pi/agent"
	echo '{"mine": true}' >"$A/dotfile.json"
	chown pitest-alice "$A/dotfile.json"
	ln -s "$A/dotfile.json" "$A/.pi/agent/settings.json"
	relaunch_ok
	grep -q '"mine": true' "$D/settings.json"
	rm "$A/dotfile.json"
}

@test "a FIFO in the host config dir is skipped with a warning, never opened" {
	install -d -o pitest-alice "$A/.pi" "$A/.pi/agent"
	mkfifo "$A/.pi/agent/pipe"
	chown pitest-alice "$A/.pi/agent/pipe"
	relaunch_ok
	[[ "$output" == *"warning: skipped $A/.pi/agent/pipe"* ]]
	[ ! -e "$D/pipe" ]
}

@test "a cwd that is a link out of the roots is denied by the runner" {
	ln -s "$V/dir" "$A/p/escape"
	run as pitest-alice "$A/p" sudo -n "$FIX/bin/pi-runner" pitest-alice "$A/p/escape"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "Denied: '$V/dir' is outside allowed project roots for user 'pitest-alice'." ]
	[ ! -e "$REC/argv" ]
}

@test "a project root that is a link is bound at its real path" {
	rm -rf "$A/p2"
	install -d -o pitest-alice "$A/real2"
	ln -s real2 "$A/p2"
	relaunch_ok
	grep -qx -- "BindPaths=\"/run/pi-agent-binds/[0-9]*/1\":\"$A/real2\"" < <(recorded_argv)
	! grep -q "\"$A/p2\"" < <(recorded_argv)
}

@test "a state dir not root's alone stops the launch" {
	chown pitest-agent "$STATE"
	run as pitest-alice "$A/p" pi
	chown root "$STATE"
	[ "$status" -eq 1 ]
	[[ "$output" == *"stateDir $STATE must be owned by root"* ]]
	[ ! -e "$REC/argv" ]
}

@test "a root swapped for a link during launches is never bound: the checked directory is the bound one" {
	echo real >"$A/p/real-marker"
	echo victim >"$V/dir/victim-marker"
	chmod 0755 "$V/dir"
	before=$(snapshot)
	stop=$FIX/stop-swapping
	rm -f "$stop"
	setpriv --reuid pitest-alice --regid pitest-alice --init-groups /usr/bin/python3 - "$A" "$V/dir" "$stop" <<'PY' &
import os, sys
home, victim, stop = sys.argv[1:]
os.chdir(home)
while not os.path.exists(stop):
    os.rename("p", "p.real")
    os.symlink(victim, "p")
    os.unlink("p")
    os.rename("p.real", "p")
PY
	swapper=$!
	launched=0 refused=0
	for i in $(seq 40); do
		rm -f "$REC/binds"
		if timeout 20 setpriv --reuid pitest-alice --regid pitest-alice --init-groups --reset-env \
			env -C "$A/p2" PATH="$FIX/bin:/usr/bin:/bin" pi >/dev/null 2>"$FIX/err"; then
			launched=$((launched + 1))
			grep -q "^$A/p2 " "$REC/binds"
			! grep -q victim-marker "$REC/binds"
			if grep -q "^$A/p " "$REC/binds"; then grep -q "^$A/p .*real-marker" "$REC/binds"; fi
		else
			refused=$((refused + 1))
			grep -Eq "cannot stage project root $A/p: it was replaced by a link|cannot resolve|outside" "$FIX/err" ||
				grep -q "Configured but missing\|cannot stage" "$FIX/err"
		fi
	done
	touch "$stop"
	wait "$swapper"
	echo "launched $launched, refused $refused" >&3
	[ "$launched" -gt 0 ]
	[ "$(snapshot)" = "$before" ]
	[ -z "$(ls -A /run/pi-agent-binds)" ]
}
