# scenario-unitcost.sh - what systemd 252 takes to set up the agent's transient unit: /bin/true with the launcher's properties against fewer, and sudo's and the runner's own share, in alternated rounds (benchmark lines, never a timed assertion).
# shellcheck shell=bash

UC_ROUNDS=${UC_ROUNDS:-15}

scenario_unitcost() {
	local out
	need_launcher "scenario unitcost" || return 0
	out=$(T=900 ctr bash "$C_SRC/unitcost.sh" "$UC_ROUNDS" 2>&1)
	printf 'bench unitcost (systemd-run --wait --pipe /bin/true, medians of %s alternated rounds):\n%s\n' "$UC_ROUNDS" "$out"
	check_has "unitcost: every variant ran" "$out" "no-ProtectKernelLogs"
	write_config /opt/fake-agent
	check_has "unitcost: alice's pi launches the fake agent" \
		"$(as alice 'cd ~/p/proj-alice && pi' 2>&1)" "user=pi-agent"
	# shellcheck disable=SC2016 # expanded in the container
	out=$(T=900 ctr bash -c '
		t() { local t0 t1 i s=""; for i in $(seq '"$UC_ROUNDS"'); do t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); s+="$(((t1 - t0) / 1000000)) "; done; echo "$s"; }
		echo "setpriv-true $(t setpriv --reuid=alice --regid=alice --init-groups /bin/true)"
		echo "sudo-true $(t setpriv --reuid=alice --regid=alice --init-groups sudo -n true)"
		echo "sudo-runner-version $(t setpriv --reuid=alice --regid=alice --init-groups sudo -n /usr/local/bin/pi-runner --version)"
		echo "pi-fake-agent $(t setpriv --reuid=alice --regid=alice --init-groups env -C /home/alice/p/proj-alice HOME=/home/alice USER=alice PATH=/usr/local/bin:/usr/bin:/bin pi)"
	' 2>&1 | awk '{ n = NF - 1; for (i = 2; i <= NF; i++) a[i - 1] = $i
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		m = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		printf "%-24s median %4d ms  (min %d, max %d, n %d)\n", $1, m, a[1], a[n], n }')
	printf 'bench unitcost, the launch around the unit (as alice):\n%s\n' "$out"
	check_has "unitcost: the timed pi launched the agent" "$(ctr setpriv --reuid=alice --regid=alice --init-groups env -C /home/alice/p/proj-alice HOME=/home/alice USER=alice PATH=/usr/local/bin:/usr/bin:/bin pi 2>&1)" "user=pi-agent"
	# one launch under the host's strace (sudo, the runner, systemd-run; the unit's processes are
	# systemd's children, not traced): when each program starts and ends
	if command -v strace >/dev/null; then
		strace -f -tt -e trace=execve,exit_group -o "$E2E_DIR/unitcost-strace.txt" \
			nsenter -t "$CPID" -a -r -w env -i PATH="$C_PATH" setpriv --reuid=alice --regid=alice \
			--init-groups env -C /home/alice/p/proj-alice HOME=/home/alice USER=alice \
			PATH=/usr/local/bin:/usr/bin:/bin pi >/dev/null 2>&1 || true
		printf 'bench unitcost, one launch under strace -f -tt (execve and exit_group):\n'
		grep -E 'execve\(|exit_group' "$E2E_DIR/unitcost-strace.txt" | grep -v ENOENT | cut -c1-160
	fi
}
