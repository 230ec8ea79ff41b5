#!/bin/bash
# unitcost.sh - run inside the e2e container: /bin/true in a transient unit through systemd-run with the launcher's properties and with groups of them left out, alternated rounds, medians in ms (a benchmark; asserts no time).
# Usage: unitcost.sh ROUNDS. The property lists mirror sandbox.c (seed, hardening, binds, on a
# state dir of its own, /var/lib/pi-uc, so the launcher's stays untouched); the
# reference is /bin/true run directly and systemd-run with User= alone.
set -u
rounds=${1:-15}
seed=(NoNewPrivileges=yes PrivateTmp=yes ProtectSystem=strict ProtectHome=tmpfs
	ProtectControlGroups=yes ProtectKernelTunables=yes ProtectKernelModules=yes
	RestrictSUIDSGID=yes LockPersonality=yes RestrictRealtime=yes RestrictNamespaces=yes
	MemoryDenyWriteExecute=no)
hard=(PrivateDevices=yes ProtectClock=yes ProtectKernelLogs=yes ProtectHostname=yes
	ProtectProc=invisible CapabilityBoundingSet= AmbientCapabilities= RemoveIPC=yes
	KeyringMode=private SystemCallArchitectures=native
	"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"
	SystemCallFilter=@system-service "SystemCallFilter=~@privileged @resources"
	SystemCallFilter=@chown SystemCallErrorNumber=EPERM)
mkdir -p /run/pi-agent /var/lib/pi-uc/users/alice/home
binds=(UMask=0007 TemporaryFileSystem=/var/lib/pi-uc BindPaths=/var/lib/pi-uc/users/alice/home
	InaccessiblePaths=/run/pi-agent BindPaths=/home/alice/p SupplementaryGroups=piproj
	WorkingDirectory=/home/alice/p OOMPolicy=continue)
# variant NAME PROPS...: a name and its properties (each becomes -p PROP)
declare -A V=()
names=()
variant() { local n=$1 p; shift; names+=("$n"); V[$n]=""; for p in "$@"; do V[$n]+="${p}"$'\n'; done; }
# without PATTERN NAME: every property but those matching PATTERN
without() {
	local drop=$1 p out=()
	shift
	for p in "${all[@]}"; do
		# shellcheck disable=SC2053 # $drop is a pattern
		[[ "$p" == $drop ]] || out+=("$p")
	done
	variant "$@" "${out[@]}"
}
all=("${seed[@]}" "${hard[@]}" "${binds[@]}")
variant direct
variant user-only
variant all "${all[@]}"
variant seed-only "${seed[@]}"
variant binds-only "${binds[@]}"
variant no-seed "${hard[@]}" "${binds[@]}"
variant no-hardening "${seed[@]}" "${binds[@]}"
variant no-binds "${seed[@]}" "${hard[@]}"
without 'PrivateDevices=yes' no-PrivateDevices
without 'PrivateTmp=yes' no-PrivateTmp
without 'ProtectSystem=strict' no-ProtectSystem
without 'ProtectHome=tmpfs' no-ProtectHome
without 'SystemCallFilter=*' no-SyscallFilter
without 'ProtectProc=invisible' no-ProtectProc
without 'TemporaryFileSystem=*' no-TemporaryFileSystem
without 'ProtectKernel*' no-ProtectKernel-all3
without 'ProtectKernelTunables=yes' no-ProtectKernelTunables
without 'ProtectKernelModules=yes' no-ProtectKernelModules
without 'ProtectKernelLogs=yes' no-ProtectKernelLogs

declare -A T=()
once() {
	local n=$1 args=() p t0 t1
	while IFS= read -r p; do [ -n "$p" ] && args+=(-p "$p"); done <<<"${V[$n]}"
	t0=$(date +%s%N)
	if [ "$n" = direct ]; then
		setpriv --reuid=pi-agent --regid=pi-agent --init-groups /bin/true
	else
		systemd-run --wait --pipe --quiet --service-type=exec -p User=pi-agent -p Group=pi-agent "${args[@]}" /bin/true
	fi
	t1=$(date +%s%N)
	T[$n]+="$(((t1 - t0) / 1000000)) "
}
for n in "${names[@]}"; do once "$n" >/dev/null 2>&1; done # warm-up
T=()
for ((r = 0; r < rounds; r++)); do
	k=${#names[@]}
	for ((i = 0; i < k; i++)); do once "${names[$(((i + r) % k))]}" </dev/null; done
done
for n in "${names[@]}"; do
	printf '%s %s\n' "$n" "${T[$n]}"
done | awk '{ n = NF - 1; for (i = 2; i <= NF; i++) a[i - 1] = $i
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	m = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	printf "%-24s median %4d ms  (min %d, max %d, n %d)\n", $1, m, a[1], a[n], n }'
