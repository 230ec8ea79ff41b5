#!/usr/bin/env bats
# resources.bats - per-user slices, their limits, the session's bounds and granted devices, through real sudo up to a recording systemd-run.

bats_require_minimum_version 1.5.0

setup() {
	load fixture
	reset_state
	A=$(home_of pitest-alice)
	B=$(home_of pitest-bob)
}

teardown() { rm -rf /dev/pitest-open; }

# slice_calls: the recorded set-property lines
slice_calls() { grep '^set-property ' "$REC/systemctl"; }

@test "with nothing set, each user's units run in a slice of their own below pi-agent.slice, its limits undone" {
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	recorded_argv | grep -qx -- '--slice=pi-agent-pitest\\x2dalice.slice'
	! recorded_argv | grep -q -- '^RuntimeMaxSec=\|^DeviceAllow='
	[ "$(slice_calls)" = 'set-property --runtime pi-agent-pitest\x2dalice.slice MemoryMax=infinity MemoryHigh=infinity CPUWeight= CPUQuota= TasksMax=infinity IOWeight=' ]
	run as pitest-bob "$B/p" pi
	[ "$status" -eq 0 ]
	recorded_argv | grep -qx -- '--slice=pi-agent-pitest\\x2dbob.slice'
}

@test "the user's resources replace the top level's key by key: the slice's by set-property, the session's on the unit" {
	write_config '{"resources": {"memoryMax": "8G", "memoryHigh": "6G", "cpuWeight": 100, "runtimeMaxSec": "8h"},
		"hostUsers": {"pitest-alice": {"resources": {"memoryMax": "16G", "tasksMax": 512, "runtimeMaxSec": "90min"}}}}'
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	[ "$(slice_calls)" = 'set-property --runtime pi-agent-pitest\x2dalice.slice MemoryMax=16G MemoryHigh=6G CPUWeight=100 CPUQuota= TasksMax=512 IOWeight=' ]
	recorded_argv | grep -qx -- 'RuntimeMaxSec=90min'
	! recorded_argv | grep -q -- '^MemoryMax=\|^MemoryHigh=\|^CPUWeight=100$\|^TasksMax='
	rm "$REC/systemctl"
	run as pitest-bob "$B/p" pi
	[ "$status" -eq 0 ]
	[ "$(slice_calls)" = 'set-property --runtime pi-agent-pitest\x2dbob.slice MemoryMax=8G MemoryHigh=6G CPUWeight=100 CPUQuota= TasksMax=infinity IOWeight=' ]
	recorded_argv | grep -qx -- 'RuntimeMaxSec=8h'
}

@test "a slice that cannot get its limits starts nothing" {
	write_config '{"resources": {"memoryMax": "8G"}}'
	printf '#!/bin/sh\nexit 4\n' >"$FIX/bin/systemctl.fail"
	chmod 0755 "$FIX/bin/systemctl.fail"
	mv "$FIX/bin/systemctl" "$FIX/bin/systemctl.rec"
	mv "$FIX/bin/systemctl.fail" "$FIX/bin/systemctl"
	run as pitest-alice "$A/p" pi
	mv "$FIX/bin/systemctl.rec" "$FIX/bin/systemctl"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot give pi-agent-pitest\\x2dalice.slice its resources: $FIX/bin/systemctl set-property pi-agent-pitest\\x2dalice.slice exited 4"* ]]
	[ ! -e "$REC/argv" ]
}

@test "a granted device is allowed and bound into the unit, PrivateDevices kept" {
	write_config '{"hostUsers": {"pitest-alice": {"devices": ["/dev/null", "/dev/zero"]}}}'
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	recorded_argv | grep -qx -- 'DeviceAllow=/dev/null rw'
	recorded_argv | grep -qx -- 'BindPaths="/dev/null"'
	recorded_argv | grep -qx -- 'DeviceAllow=/dev/zero rw'
	recorded_argv | grep -qx -- 'PrivateDevices=yes'
	run as pitest-bob "$B/p" pi
	[ "$status" -eq 0 ]
	! recorded_argv | grep -q -- '^DeviceAllow='
}

@test "a device that is a link, not a character device, missing or in a directory others can change is refused with its key" {
	rm -rf /dev/pitest-open
	install -d -m 0777 /dev/pitest-open
	chmod 0777 /dev/pitest-open
	mknod /dev/pitest-open/null c 1 3
	for dev in /dev/stdin:"is a link" /dev/shm:"is not a character device" /dev/pitest-none:"No such file" \
		/dev/pitest-open/null:"is not root's alone"; do
		write_config "{\"hostUsers\": {\"pitest-alice\": {\"devices\": [\"/dev/null\", \"${dev%%:*}\"]}}}"
		run as pitest-alice "$A/p" pi
		[ "$status" -eq 1 ]
		[[ "$output" == *"pi-runner: /etc/pi-agent/config.json: hostUsers.pitest-alice.devices[1]: ${dev%%:*} "*"${dev#*:}"* ]]
		[ ! -e "$REC/argv" ]
		[ ! -e "$REC/systemctl" ]
	done
	rm -rf /dev/pitest-open
}

@test "a bad value or device path is a config error naming the key, and nothing starts" {
	write_config '{"hostUsers": {"pitest-alice": {"resources": {"memoryMax": "12Q"}}}}'
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 1 ]
	[[ "$output" == *'hostUsers.pitest-alice.resources.memoryMax: "12Q" is not a size (bytes with K, M, G, T suffix, a percentage, or "infinity")'* ]]
	write_config '{"hostUsers": {"pitest-alice": {"devices": ["/dev/../dev/null"]}}}'
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 1 ]
	[[ "$output" == *'hostUsers.pitest-alice.devices[0]'*'clean path'* ]]
	# what systemd itself would refuse is refused here, with the key, before anything is claimed
	write_config '{"hostUsers": {"pitest-alice": {"resources": {"memoryMax": "0"}}}}'
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 1 ]
	[[ "$output" == *'hostUsers.pitest-alice.resources.memoryMax: "0" is not a size'* ]]
	write_config '{"resources": {"runtimeMaxSec": "100000000000w"}}'
	run "$FIX/bin/pi-runner" --check
	[ "$status" -eq 1 ]
	[[ "$output" == *'resources.runtimeMaxSec: "100000000000w" is not a time span'* ]]
	write_config '{"hostUsers": {"pitest-alice": {"devices": ["/srv/node"]}}}'
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 1 ]
	[[ "$output" == *'hostUsers.pitest-alice.devices[0]'*'under /dev'* ]]
	[ ! -e "$REC/argv" ]
}

@test "--check names a systemctl missing beside systemdRunPath (every launch needs it for the slice)" {
	mkdir "$BATS_TEST_TMPDIR/sr"
	cp "$FIX/bin/systemd-run" "$BATS_TEST_TMPDIR/sr/systemd-run"
	chmod 0755 "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR/sr"
	write_config "{\"systemdRunPath\": \"$BATS_TEST_TMPDIR/sr/systemd-run\"}"
	run "$FIX/bin/pi-runner" --check
	[ "$status" -eq 1 ]
	[[ "$output" == *"systemdRunPath: $BATS_TEST_TMPDIR/sr/systemctl, beside it, is not an executable file"* ]]
	write_config
	run "$FIX/bin/pi-runner" --check
	[[ "$output" != *"beside it, is not an executable file"* ]]
}

@test "--check and PI_AGENT_EXPLAIN show each user's slice, limits and devices" {
	write_config '{"resources": {"memoryHigh": "6G", "runtimeMaxSec": "8h"},
		"hostUsers": {"pitest-alice": {"devices": ["/dev/null", "/dev/shm"]}}}'
	run "$FIX/bin/pi-runner" --check
	[[ "$output" == *'resources of pitest-alice: pi-agent-pitest\x2dalice.slice in pi-agent.slice: MemoryHigh=6G (all of pitest-alice'"'"'s sessions together); each session: RuntimeMaxSec=8h'* ]]
	[[ "$output" == *'device of pitest-alice: /dev/null (DeviceAllow= rw, bound into the unit)'* ]]
	[[ "$output" == *'hostUsers.pitest-alice.devices[1]: /dev/shm is not a character device'* ]]
	[ "$status" -eq 1 ]
	write_config '{"hostUsers": {"pitest-alice": {"devices": ["/dev/null"]}}}'
	run as pitest-alice "$A/p" env PI_AGENT_EXPLAIN=1 pi
	[ "$status" -eq 0 ]
	[[ "$output" == *'slice:          pi-agent-pitest\x2dalice.slice in pi-agent.slice: no limits'* ]]
	[[ "$output" == *'device:         /dev/null (DeviceAllow= rw, bound into the unit)'* ]]
	[[ "$output" == *'--slice=pi-agent-pitest\x2dalice.slice'* ]]
	[ ! -e "$REC/argv" ]
}
