#!/usr/bin/env bats
# config.bats - attacks on the trust in /etc/pi-agent/config.json: a file or a directory above it that a user can change, links to user files.

bats_require_minimum_version 1.5.0

setup() {
	load atk
	atk_setup
	# what alice would like the config to say: the agent runs as root, everywhere
	python3 - "$CONF" "$FIX/evil.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["user"] = "root"
c["hostUsers"]["pitest-alice"]["projectRoots"] = ["/"]
json.dump(c, open(sys.argv[2], "w"))
PY
	chmod 0644 "$FIX/evil.json"
}

teardown() {
	rm -rf "$CONF" /etc/pi-agent/real.json
	chown root:root /etc/pi-agent
	chmod 0755 /etc/pi-agent
}

# config_refused MSG [MORE]: the runner refuses the config saying MSG (and MORE); nothing
# launched, nothing watched changed.
config_refused() {
	local msg=$1
	watch_now
	run atk_as pitest-alice "$A/p" sudo -n "$FIX/bin/pi-runner" pitest-alice "$A/p"
	refused
	[[ "$output" == *"pi-runner: $CONF: $msg"* ]] || { echo "output: $output" >&2; return 1; }
	[[ "$output" == *"${2:-}"* ]]
	[ ! -e "$STATE" ]
}

@test "a config owned by alice is refused" {
	cp "$FIX/evil.json" "$CONF"
	chown pitest-alice "$CONF"
	config_refused "not owned by root or writable by group or others"
}

@test "a root config writable by alice's group is refused" {
	chgrp pitest-alice "$CONF"
	chmod 0664 "$CONF"
	config_refused "not owned by root or writable by group or others"
}

@test "a root config writable by everyone is refused" {
	chmod 0666 "$CONF"
	config_refused "not owned by root or writable by group or others"
}

@test "a config in a directory owned by alice is refused" {
	chown pitest-alice /etc/pi-agent
	config_refused "directory /etc/pi-agent" "is not owned by root or is writable by group or others"
}

@test "a config in a directory writable by alice's group is refused" {
	chgrp pitest-alice /etc/pi-agent
	chmod 0775 /etc/pi-agent
	config_refused "directory /etc/pi-agent" "is not owned by root or is writable by group or others"
}

@test "a config that is a link to alice's file is refused" {
	install -m 0644 -o pitest-alice "$FIX/evil.json" "$A/evil.json"
	ln -sf "$A/evil.json" "$CONF"
	config_refused "directory $A" "is not owned by root or is writable by group or others"
}

@test "a config that is a link to a root file in alice's directory is refused" {
	install -m 0644 -o root "$FIX/evil.json" "$A/rootfile.json"
	ln -sf "$A/rootfile.json" "$CONF"
	config_refused "directory $A" "is not owned by root or is writable by group or others"
}

@test "a config reached through a link in alice's directory is refused" {
	# alice owns the directory of the link: she chooses which root-owned file is the config
	cp "$CONF" /etc/pi-agent/real.json
	rm -rf "$A/conf.d"
	install -d -o pitest-alice "$A/conf.d"
	ln -s /etc/pi-agent/real.json "$A/conf.d/config.json"
	chown -h pitest-alice "$A/conf.d/config.json"
	ln -sf "$A/conf.d/config.json" "$CONF"
	config_refused "directory $A"
}

@test "a config that is a FIFO is refused without waiting for a writer" {
	rm -f "$CONF"
	mkfifo -m 0644 "$CONF"
	T=20 config_refused "cannot open: not a regular file"
}

@test "a config that is a directory is refused" {
	rm -f "$CONF"
	mkdir -m 0755 "$CONF"
	config_refused "cannot open: not a regular file"
}
