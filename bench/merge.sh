#!/bin/bash
# merge.sh - benchmarks 3 and 4: pi-merge vs the seed's python3 merge of a 1 MB settings.json; RSS.
#
# usage: bench/merge.sh     (after make release build/bench/timeit)
# Both read the same base and managed settings and write the merged file (temp + rename);
# the outputs must be byte-identical. RUNS (21) timed runs after one warm-up, alternating.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-21}
PYTHON=${PYTHON:-/usr/bin/python3}
B=build/bench

for f in build/pi-merge $B/timeit; do
	[ -x "$f" ] || { echo "merge.sh: $f missing: run make bench" >&2; exit 2; }
done
W=$(mktemp -d /tmp/pi-bench-merge.XXXXXX)
trap 'rm -rf "$W"' EXIT

"$PYTHON" bench/gen-settings.py "$W/base.json" 1048576
cat >"$W/managed.json" <<'EOF'
{ "defaultProvider": "managed", "quietStartup": true,
  "section3": { "policy": { "allowNetwork": false, "maxTokens": 8192 } } }
EOF
"$PYTHON" bench/seed-merge.py "$W/base.json" "$W/managed.json" "$W/py.json"
build/pi-merge "$W/base.json" "$W/managed.json" -o "$W/pi.json"
cmp -s "$W/py.json" "$W/pi.json" || { echo "merge.sh: pi-merge and python differ" >&2; exit 1; }
echo "== merge: $(wc -c <"$W/base.json") bytes of settings.json," \
	"$(tr -cd '{[:,' <"$W/base.json" | wc -c) separators; medians of $RUNS runs (ms);" \
	"outputs identical"
out=$("$B/timeit" -n "$RUNS" -w 1 -m "$PYTHON" bench/seed-merge.py "$W/base.json" \
	"$W/managed.json" "$W/py.json" ::: build/pi-merge "$W/base.json" "$W/managed.json" -o \
	"$W/pi.json")
read -r py _ _ pyrss _ <<<"$(sed -n 1p <<<"$out")"
read -r pi _ _ pirss _ <<<"$(sed -n 2p <<<"$out")"
printf '%-40s %9.2f ms %7s KiB\n' "python3 seed merge ($PYTHON)" "$py" "$pyrss" \
	"pi-merge (build/pi-merge)" "$pi" "$pirss"
awk -v a="$pi" -v b="$py" 'BEGIN { r = b > 0 ? a / b : 0
	printf "ratio pi-merge/python3 %.2f (target <= 0.20: %s)\n", r, (r <= 0.2 ? "holds" : "MISSED") }'
verdict=MISSED
[ "$pirss" -le 2048 ] && verdict=holds
echo "peak RSS of pi-merge (VmHWM): $pirss KiB (target <= 2048: $verdict)"
