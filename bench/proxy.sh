#!/bin/bash
# proxy.sh - the allowlist proxy: added latency per request, CONNECT tunnel throughput, peak RSS with 100 tunnels.
#
# usage: bench/proxy.sh   (as root; after make build/bench/proxyload, which make bench does)
# The proxy (build/pi under the name pi-proxy) runs as nobody, allowing the local origin and sink of
# bench/proxyload on 127.0.0.1; the references are the same clients connecting directly.
# Latency: REQS (2000) sequential GETs, each on a new connection, direct and proxied in turn
# (medians). Throughput: MIB (1024) MiB into the sink, 5 runs each way in turn (medians).
# Peak RSS: VmHWM of a fresh proxy after 100 tunnels held open at once, 8 MiB through each.
# Its syslog lines go wherever /dev/log leads on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."

REQS=${REQS:-2000}
MIB=${MIB:-1024}
L=build/bench/proxyload
FIX=/tmp/pi-bench-proxy

[ "$(id -u)" -eq 0 ] || { echo "proxy.sh: needs root (runs the proxy as nobody)" >&2; exit 2; }
for f in build/pi "$L"; do
	[ -x "$f" ] || { echo "proxy.sh: $f missing: run make bench" >&2; exit 2; }
done

pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$FIX"
}
trap cleanup EXIT
rm -rf "$FIX"
install -d -m 0755 "$FIX"
install -m 0755 build/pi "$FIX/pi"
ln -s pi "$FIX/pi-proxy"

# The origin (HTTP) and the sink, in the background; their ports.
coproc ORIGIN { exec "$L" serve; }
pids+=("$ORIGIN_PID")
read -r http sink <&"${ORIGIN[0]}"

# start_proxy: a fresh proxy as nobody on a free port; sets proxy and proxy_pid.
start_proxy() {
	proxy=$("$L" port)
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all "$FIX/pi-proxy" \
		--listen "127.0.0.1:$proxy" --user bench --unit bench.service \
		--allow "127.0.0.1:$http" --allow "127.0.0.1:$sink" &
	proxy_pid=$!
	pids+=("$proxy_pid")
	"$L" wait "$proxy"
}

start_proxy
read -r direct proxied < <("$L" latency "$REQS" "$http" "$proxy")
awk -v d="$direct" -v p="$proxied" -v n="$REQS" 'BEGIN {
	a = (p - d) / 1000
	printf "proxy latency: %d requests, each a new connection: direct %.0f us, proxied %.0f us, added %.3f ms, ratio %.2f (target <= 1 ms added: %s)\n",
		n, d, p, a, p / d, (a <= 1 ? "holds" : "MISSED") }'
read -r direct proxied < <("$L" throughput "$MIB" "$sink" "$proxy")
awk -v d="$direct" -v p="$proxied" -v m="$MIB" 'BEGIN {
	printf "proxy tunnel: %d MiB one way: direct %d MB/s, through CONNECT %d MB/s, ratio %.2f (target >= 500 MB/s: %s)\n",
		m, d, p, p / d, (p >= 500 ? "holds" : "MISSED") }'
kill "$proxy_pid"

start_proxy
idle=$(awk '/^VmHWM:/ { print $2 }' "/proc/$proxy_pid/status")
"$L" hold 100 8 "$sink" "$proxy" >/dev/null
peak=$(awk '/^VmHWM:/ { print $2 }' "/proc/$proxy_pid/status")
awk -v i="$idle" -v p="$peak" 'BEGIN {
	printf "proxy memory: peak RSS (VmHWM) %d KiB with 100 concurrent tunnels (8 MiB each), %d KiB idle (target <= 2048 KiB: %s)\n",
		p, i, (p <= 2048 ? "holds" : "MISSED") }'
