# scenario-resources.sh - per-user slices with the admin's limits (set again after any change an admin makes to the slice, skipped while none), the session's RuntimeMaxSec enforced, a granted device opened and an ungranted one not, bad values and devices refused with the key named.
# shellcheck shell=bash

RS_TOP='"resources": { "memoryMax": "2G", "memoryHigh": "1536M", "cpuWeight": 50, "tasksMax": 200, "ioWeight": 80, "runtimeMaxSec": "5min" }'
RS_ALICE='"resources": { "memoryMax": "1G", "cpuQuota": "150%" }, "devices": ["/dev/pi-e2e-granted"]'

scenario_resources() {
	need_launcher "scenario resources" || return 0
	# two character devices like /dev/null (1:3); a link to one
	ctr bash -c 'rm -f /dev/pi-e2e-granted /dev/pi-e2e-other /dev/pi-e2e-link &&
		mknod -m 0666 /dev/pi-e2e-granted c 1 3 && mknod -m 0666 /dev/pi-e2e-other c 1 3 &&
		ln -s pi-e2e-granted /dev/pi-e2e-link'
	E2E_TOP_EXTRA=$RS_TOP E2E_ALICE_EXTRA=$RS_ALICE write_config /opt/fake-agent
	rs_slices
	rs_record
	rs_devices
	rs_runtime
	rs_refused
	ctr rm -f /dev/pi-e2e-granted /dev/pi-e2e-other /dev/pi-e2e-link
	write_config /opt/fake-agent
}

# rs_hold NAME USER: a held agent of USER; its unit's name into RS_UNIT (empty when it did not start).
rs_hold() {
	local d=/home/$2/p/proj-$2 before
	before=$(units)
	ctr rm -f "$d/.e2e-ready" "$d/.e2e-release"
	bg_start "$1" "$2" "cd $d && pi --hold"
	RS_UNIT=
	poll 30 ctr test -e "$d/.e2e-ready" || return 0
	RS_UNIT=$(comm -13 <(echo "$before") <(units) | grep "^pi-agent-$2-" | head -n 1)
	ctr rm -f "$d/.e2e-ready"
}

rs_release() { ctr touch "/home/$1/p/proj-$1/.e2e-release"; }

# The running units and their slices carry exactly the configured properties; two sessions of
# alice share her slice, bob's is his own, all below pi-agent.slice.
rs_slices() {
	local ua1 ua2 ub show j1 j2 jb
	rs_hold rs-a1 alice; ua1=$RS_UNIT; j1=$BG_PID
	rs_hold rs-a2 alice; ua2=$RS_UNIT; j2=$BG_PID
	rs_hold rs-b bob; ub=$RS_UNIT; jb=$BG_PID
	if [ -z "$ua1" ] || [ -z "$ua2" ] || [ -z "$ub" ]; then
		fail "resources: three held sessions start" "$(cat "$E2E_DIR"/rs-*.out)"
	else
		show=$(ctr systemctl show -p Slice,RuntimeMaxUSec "$ua1")
		check_eq "resources: alice's unit runs in her slice with the session's RuntimeMaxSec" \
			"$(printf 'RuntimeMaxUSec=5min\nSlice=pi-agent-alice.slice')" "$(sort_props "$show")"
		check_eq "resources: alice's second session shares the slice" \
			"$(ctr systemctl show -P ControlGroup "$ua1" | sed 's|/[^/]*$||')" \
			"$(ctr systemctl show -P ControlGroup "$ua2" | sed 's|/[^/]*$||')"
		check_eq "resources: ... the slice nests under pi.slice/pi-agent.slice" \
			/pi.slice/pi-agent.slice/pi-agent-alice.slice \
			"$(ctr systemctl show -P ControlGroup "$ua2" | sed 's|/[^/]*$||')"
		check_eq "resources: bob's session is in his own slice" \
			/pi.slice/pi-agent.slice/pi-agent-bob.slice \
			"$(ctr systemctl show -P ControlGroup "$ub" | sed 's|/[^/]*$||')"
		show=$(ctr systemctl show -p MemoryMax,MemoryHigh,CPUWeight,CPUQuotaPerSecUSec,TasksMax,IOWeight \
			pi-agent-alice.slice)
		check_eq "resources: alice's slice: her memoryMax and cpuQuota, the top level's others" \
			"$(printf 'CPUQuotaPerSecUSec=1.500000s\nCPUWeight=50\nIOWeight=80\nMemoryHigh=1610612736\nMemoryMax=1073741824\nTasksMax=200')" \
			"$(sort_props "$show")"
		show=$(ctr systemctl show -p MemoryMax,CPUQuotaPerSecUSec pi-agent-bob.slice)
		check_eq "resources: bob's slice: the top level's, no quota" \
			"$(printf 'CPUQuotaPerSecUSec=infinity\nMemoryMax=2147483648')" "$(sort_props "$show")"
		rs_enforced
		check_exposure resources-devices "$ua1"
		check_exposure resources-default "$ub"
	fi
	rs_release alice; rs_release bob
	wait "$j1" "$j2" "$jb" || true
}

# The slice's set-property is skipped while nothing changed, and runs again after anything an
# admin does to the slice: her TasksMax (200, the top level's) is back after each.
rs_record() {
	local ids
	rs_launch first
	check_eq "resources: the record names alice's slice and its properties" \
		"pi-agent-alice.slice MemoryMax=1G MemoryHigh=1536M CPUWeight=50 CPUQuota=150% TasksMax=200 IOWeight=80" \
		"$(ctr head -n 1 /run/pi-agent/alice.slice)"
	ids=$(ctr stat -c '%n %i' /run/systemd/system.control/pi-agent-alice.slice.d/50-TasksMax.conf)
	rs_launch unchanged
	check_eq "resources: an unchanged launch leaves systemd's drop-ins as they were (no set-property)" \
		"$ids" "$(ctr stat -c '%n %i' /run/systemd/system.control/pi-agent-alice.slice.d/50-TasksMax.conf)"
	ctr systemctl set-property --runtime pi-agent-alice.slice TasksMax=7
	check_eq "resources: an admin's set-property --runtime took" 7 "$(rs_tasks)"
	rs_launch "after set-property --runtime"
	check_eq "resources: ... the next launch puts the config's value back" 200 "$(rs_tasks)"
	ctr systemctl set-property pi-agent-alice.slice TasksMax=9
	check_eq "resources: an admin's persistent set-property took" 9 "$(rs_tasks)"
	rs_launch "after set-property"
	check_eq "resources: ... the next launch puts the config's value back" 200 "$(rs_tasks)"
	ctr systemctl revert pi-agent-alice.slice >/dev/null 2>&1
	check_eq "resources: systemctl revert undid the limits" infinity "$(rs_tasks)"
	rs_launch "after revert"
	check_eq "resources: ... the next launch puts the config's value back" 200 "$(rs_tasks)"
	ctr bash -c 'mkdir -p /etc/systemd/system/pi-agent-alice.slice.d &&
		printf "[Slice]\nTasksMax=5\n" >/etc/systemd/system/pi-agent-alice.slice.d/zz-e2e.conf &&
		systemctl daemon-reload'
	check_eq "resources: an admin's drop-in and daemon-reload took" 5 "$(rs_tasks)"
	rs_launch "after daemon-reload"
	check_eq "resources: ... the next launch puts the config's value back" 200 "$(rs_tasks)"
	ctr bash -c 'rm -r /etc/systemd/system/pi-agent-alice.slice.d && systemctl daemon-reload'
}

# rs_tasks: the TasksMax alice's slice has now. rs_launch WHEN: a quiet launch of alice's agent.
rs_tasks() { ctr systemctl show -P TasksMax pi-agent-alice.slice; }
rs_launch() {
	pi_as alice proj-alice --quiet
	[ "$RC" -eq 0 ] || fail "resources: alice launches ($1)" "$ERR"
}

# systemctl show's lines sorted (its own order follows the unit type's table).
sort_props() { sort <<<"$1"; }

# Which of the slice's limits the kernel here applies: where the slice's cgroup is (cgroup v2, or
# each v1 hierarchy of a hybrid host) and the limit files in it (logged: a container may have no
# controller delegated; RuntimeMaxSec= is systemd's own and is shown enforced below).
rs_enforced() {
	local dirs d f seen=""
	dirs=$(ctr find /sys/fs/cgroup -maxdepth 6 -type d -name pi-agent-alice.slice 2>/dev/null || true)
	check_has "resources: alice's slice is a cgroup of its own" "$dirs" /pi.slice/pi-agent.slice/pi-agent-alice.slice
	for d in $dirs; do
		for f in memory.max memory.high memory.limit_in_bytes cpu.weight cpu.shares cpu.max \
			cpu.cfs_quota_us pids.max io.weight blkio.weight; do
			if ctr test -e "$d/$f"; then seen="$seen ${d#/sys/fs/cgroup/}/$f=$(ctr cat "$d/$f" | head -n 1)"; fi
		done
	done
	log "resources: alice's slice here: $(echo $dirs)"
	log "resources: its limit files:${seen:- none (no controller delegated: the limits are set, not enforced here)}"
}

# The agent opens the granted node (bound into its private /dev), never an ungranted one.
rs_devices() {
	pi_as alice proj-alice "--open /dev/pi-e2e-granted --open /dev/pi-e2e-other --open /dev/null"
	check_eq "resources: alice's agent opens her granted device" ok "$(field open:/dev/pi-e2e-granted "$OUT")"
	check_eq "resources: ... not an ungranted one" denied "$(field open:/dev/pi-e2e-other "$OUT")"
	check_eq "resources: ... and /dev/null as before" ok "$(field open:/dev/null "$OUT")"
	pi_as bob proj-bob "--open /dev/pi-e2e-granted"
	check_eq "resources: bob, granted nothing, cannot open alice's device" denied \
		"$(field open:/dev/pi-e2e-granted "$OUT")"
}

# runtimeMaxSec ends a session that outlives it: systemd stops the unit, pi returns.
rs_runtime() {
	local cur
	E2E_ALICE_EXTRA='"resources": { "runtimeMaxSec": "2s" }' write_config /opt/fake-agent
	cur=$(journal_cursor)
	pi_as alice proj-alice "--sleep"
	check_ne "resources: a session past its runtimeMaxSec is ended (pi returns, not 0)" 0 "$RC"
	check_has "resources: ... by systemd's runtime limit" \
		"$(ctr journalctl -q --after-cursor="$cur" _PID=1 -o cat)" "reached runtime time limit"
}

# A value systemd would not take and a device path that is no character device or a link are
# refused with the key named; nothing starts.
rs_refused() {
	local before
	before=$(units)
	E2E_ALICE_EXTRA='"resources": { "memoryMax": "12Q" }' write_config /opt/fake-agent
	pi_as alice proj-alice "--exit 0"
	check_eq "resources: a bad value is refused" 1 "$RC"
	check_has "resources: ... naming the key" "$ERR" \
		'hostUsers.alice.resources.memoryMax: "12Q" is not a size (bytes with K, M, G, T suffix, a percentage, or "infinity")'
	for dev in /dev/pi-e2e-link:"is a link" /dev/shm:"is not a character device"; do
		E2E_ALICE_EXTRA="\"devices\": [\"${dev%%:*}\"]" write_config /opt/fake-agent
		pi_as alice proj-alice "--exit 0"
		check_eq "resources: device ${dev%%:*} is refused" 1 "$RC"
		check_has "resources: ... naming the key and why" "$ERR" \
			"hostUsers.alice.devices[0]: ${dev%%:*} "
		check_has "resources: ... $dev" "$ERR" "${dev#*:}"
	done
	# a path outside /dev is a config error (DeviceAllow= takes /dev only), the key named
	E2E_ALICE_EXTRA='"devices": ["/etc/hostname"]' write_config /opt/fake-agent
	pi_as alice proj-alice "--exit 0"
	check_eq "resources: device /etc/hostname is refused" 1 "$RC"
	check_has "resources: ... as a config error naming the key" "$ERR" \
		"hostUsers.alice.devices[0]: must be a device node under /dev"
	check_eq "resources: the refused launches started no unit" "$before" "$(units)"
}
