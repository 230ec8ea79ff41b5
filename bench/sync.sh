#!/bin/bash
# sync.sh - benchmarks 2 and 4: sync_tree vs rsync -a --delete, 10,000 files (~40 MB); peak RSS.
#
# usage: bench/sync.sh     (as root; after make build/bench/sync-driver build/bench/timeit)
# The same anchored excludes on both sides; the driver is static musl -Os like build/pi and
# switches identities (-r root -w root) as the runner does. Cold: into an empty dir, after a
# sync(1) so neither pays for the other's writeback (ours ends with its own syncfs, rsync
# leaves its data dirty). Warm: nothing changed. One changed: one file appended to before
# each run. RUNS (11) timed runs after one warm-up, the two tools alternating; peak RSS is
# VmHWM at exit of one more run (timeit -m). SYNC_DRIVER=FILE times another build of the
# driver (an older sync.c, say) against the same rsync.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-11}
PYTHON=${PYTHON:-/usr/bin/python3}
B=build/bench
DRV=${SYNC_DRIVER:-$B/sync-driver}
EXCL=(--exclude=/auth.json --exclude=/mcp-oauth --exclude=/sessions --exclude=/bin
      --exclude=/mcp-cache.json)

[ "$(id -u)" -eq 0 ] || { echo "sync.sh: needs root (the driver switches identities)" >&2; exit 2; }
command -v rsync >/dev/null || { echo "sync.sh: rsync not found" >&2; exit 2; }
for f in "$DRV" "$B/timeit"; do
	[ -x "$f" ] || { echo "sync.sh: $f missing: run make bench" >&2; exit 2; }
done
W=$(mktemp -d /tmp/pi-bench-sync.XXXXXX)
trap 'rm -rf "$W"' EXIT

"$PYTHON" bench/gen-tree.py "$W/src" 10000 100 8192
echo "== sync: $(find "$W/src" -type f | wc -l) files in 100 dirs," \
	"$(du -sm --apparent-size "$W/src" | cut -f1) MB; medians of $RUNS runs (ms)"
# shellcheck disable=SC2016 # $1 belongs to the prep script: timeit passes the tool's index
printf '#!/bin/sh\nrm -rf "%s/c$1" && mkdir "%s/c$1" && sync\n' "$W" "$W" >"$W/cold"
printf '#!/bin/sh\ndate +%%s%%N >>"%s/src/d42/f7"\n' "$W" >"$W/one"
chmod +x "$W/cold" "$W/one"
mkdir "$W/c0" "$W/c1"
rs=(rsync -a --delete "${EXCL[@]}" "$W/src/" "$W/c0/")
ours=("$DRV" -q -r root -w root "$W/src" "$W/c1")

declare -A MED RSS
measure() {   # STEP [timeit options]: runs rsync and ours, records medians and peak RSS
	local step=$1 out t m
	shift
	out=$("$B/timeit" -n "$RUNS" -w 1 -m "$@" "${rs[@]}" ::: "${ours[@]}")
	read -r t _ _ m _ <<<"$(sed -n 1p <<<"$out")"
	MED[rsync $step]=$t RSS[rsync $step]=$m
	read -r t _ _ m _ <<<"$(sed -n 2p <<<"$out")"
	MED[ours $step]=$t RSS[ours $step]=$m
	printf '%-12s rsync %9.2f ms %6s KiB   sync_tree %9.2f ms %6s KiB   ratio %.2f\n' \
		"$step" "${MED[rsync $step]}" "${RSS[rsync $step]}" "${MED[ours $step]}" \
		"${RSS[ours $step]}" "$(awk -v a="${MED[ours $step]}" -v b="${MED[rsync $step]}" \
		'BEGIN { print (b > 0 ? a / b : 0) }')"
}
measure cold -b "$W/cold"
measure warm
measure "one changed" -b "$W/one"

verdict() {   # STEP LIMIT
	awk -v s="$1" -v a="${MED[ours $1]}" -v b="${MED[rsync $1]}" -v l="$2" 'BEGIN {
		r = b > 0 ? a / b : 0
		printf "ratio sync_tree/rsync %-12s %.2f (target <= %.2f: %s)\n", s, r, l,
			(r <= l ? "holds" : "MISSED") }'
}
verdict cold 1.0
verdict warm 0.35
verdict "one changed" 0.35
peak=0
for k in "${!RSS[@]}"; do
	[[ $k == ours* ]] && [ "${RSS[$k]}" -gt "$peak" ] && peak=${RSS[$k]}
done
verdict=MISSED
[ "$peak" -le 2048 ] && verdict=holds
echo "peak RSS of sync_tree (static driver, VmHWM): $peak KiB (target <= 2048: $verdict)"
if command -v strace >/dev/null; then
	strace -c -f -o "$W/st-ours" "${ours[@]}"
	strace -c -f -o "$W/st-rs" "${rs[@]}" >/dev/null
	echo "syscalls of one warm run (strace -c -f): sync_tree $(awk '/total/ { print $4 }' \
		"$W/st-ours"), rsync $(awk '/total/ { print $4 }' "$W/st-rs")"
fi
