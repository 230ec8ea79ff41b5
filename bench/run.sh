#!/bin/bash
# run.sh - make bench: the size check, each benchmark (launch, sync, merge, proxy), one closing line.
#
# usage: bench/run.sh     (as root, on an otherwise idle machine; make bench builds first)
# Each benchmark prints its figures, its reference's and the ratios; this script adds the
# machine, a warning when the machine is busy, and counts the targets that hold.
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(id -u)" -eq 0 ] || { echo "run.sh: needs root (users, sudoers, identities)" >&2; exit 2; }
[ -x build/pi ] || { echo "run.sh: build/pi missing: run make bench" >&2; exit 2; }
OUT=$(mktemp /tmp/pi-bench-run.XXXXXX)
trap 'rm -f "$OUT"' EXIT

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mem=$(awk '/^MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
os=$(sed -n 's/^PRETTY_NAME="\(.*\)"/\1/p' /etc/os-release)
echo "machine: $(nproc) x $cpu, $mem GiB RAM, Linux $(uname -r), $os, $(date -u '+%F %H:%M UTC')"
load=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
	echo "warning: load average $load: other work is running, the figures are noisy"
fi

size=$(stat -c %s build/pi)
awk -v s="$size" 'BEGIN { printf "size: build/pi %d bytes = %.1f KiB (target <= 200 KiB: %s)\n",
	s, s / 1024, (s <= 200 * 1024 ? "holds" : "MISSED") }' | tee "$OUT"
bench/launch.sh | tee -a "$OUT"
bench/sync.sh | tee -a "$OUT"
bench/merge.sh | tee -a "$OUT"
bench/proxy.sh | tee -a "$OUT"

held=$(grep -c ': holds)' "$OUT" || true)
missed=$(grep -c ': MISSED)' "$OUT" || true)
echo "bench: $held of $((held + missed)) targets hold$([ "$missed" -eq 0 ] ||
	echo "; missed: $(grep ': MISSED)' "$OUT" | sed 's/ (target.*//' | tr -s ' ' | paste -sd ',' -)")"
