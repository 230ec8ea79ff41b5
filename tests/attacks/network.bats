#!/usr/bin/env bats
# network.bats - the network allowlist through the runner: the unit's namespace holds only loopback, the proxy as its own account is the one way out, to listed places only, and it dies with the runner.

bats_require_minimum_version 1.5.0

setup() {
	load atk
	atk_setup
	RUNNER=$FIX/bin/pi-runner
	ORIGIN_LOG=$FIX/origin.log
	: >"$ORIGIN_LOG"
	# the place on the list, and one off it: TCP servers on the host's loopback that log each
	# connection and answer "origin PORT"
	origin_start && ORIGIN=$PORT
	origin_start && OTHER=$PORT
}

teardown() {
	rm -f "$REC/hold"
	# shellcheck disable=SC2086 # one word per pid
	[ -z "${ORIGIN_PIDS:-}" ] || kill $ORIGIN_PIDS 2>/dev/null || true
	pkill -KILL -u pitest-proxy 2>/dev/null || true
}

# origin_start: a loopback server on a free port, in PORT once it listens.
origin_start() {
	rm -f "$FIX/origin.port"
	python3 - "$ORIGIN_LOG" "$FIX/origin.port" >/dev/null 2>&1 3>&- <<'PY' &
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
port = s.getsockname()[1]
open(sys.argv[2] + ".tmp", "w").write("%d\n" % port)
import os
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
while True:
    c, _ = s.accept()
    open(sys.argv[1], "a").write("%d\n" % port)
    c.sendall(b"origin %d\n" % port)
    c.close()
PY
	ORIGIN_PIDS="${ORIGIN_PIDS:-} $!"
	until [ -s "$FIX/origin.port" ]; do kill -0 $! || return 1; done
	PORT=$(cat "$FIX/origin.port")
}

allowlist() {
	write_config "{\"proxyUser\": \"${1:-pitest-proxy}\", \"network\": {\"mode\": \"allowlist\", \"allow\": [\"127.0.0.1:$ORIGIN\"]}}"
}

# The probe the stand-in runs inside the namespace the unit would join.
probe() {
	cat >"$REC/netprobe" <<PY
import socket, os
def line(k, v): print("%s=%s" % (k, v), flush=True)
line("links", ",".join(sorted(l.split(":")[0].strip() for l in open("/proc/net/dev").read().splitlines()[2:])))
def direct(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close(); return "ok"
    except OSError as e: return "failed"
line("direct-origin", direct($ORIGIN))
def connect(target):
    s = socket.create_connection(("127.0.0.1", 3128), timeout=10)
    s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target)).encode())
    data = b""
    while True:
        b = s.recv(4096)
        if not b: break
        data += b
        if b"origin" in data: break
    s.close()
    return data.decode(errors="replace").replace("\r", "").replace("\n", "|")
line("connect-listed", connect("127.0.0.1:$ORIGIN"))
line("connect-unlisted", connect("127.0.0.1:$OTHER"))
line("connect-unlisted-again", connect("127.0.0.1:$OTHER"))
line("connect-invalid", connect("exa\x1b[31mmple.org:443"))
# no route out (a send off loopback is not tried here: the e2e suite does that, in a container
# whose own namespace keeps even a failure of this one on the machine)
line("routes", len(open("/proc/net/route").read().splitlines()) - 1)
PY
}

proxy_pids() { pgrep -u pitest-proxy || true; }

# held_launch: alice's launch in the background (its pid in launch), its "unit" held by the
# stand-in until $REC/hold goes; returns once the proxy runs and the launch is recorded.
held_launch() {
	allowlist
	touch "$REC/hold"
	pi_as pitest-alice "$A/p" >/dev/null 2>&1 &
	launch=$!
	until [ -n "$(proxy_pids)" ] && [ "$(nlaunches)" -eq 1 ]; do
		[ "$(ps -o stat= -p "$launch")" != Z ] || return 1
	done
}

@test "allowlist: the unit's namespace has only loopback; the proxy reaches the listed origin and refuses the other" {
	allowlist
	probe
	run pi_as pitest-alice "$A/p"
	launched
	argv_lines | grep -qx PrivateNetwork=yes
	argv_lines | grep -qE '^NetworkNamespacePath=/proc/[0-9]+/fd/[0-9]+$'
	out=$(cat "$(rec)/netprobe.out")
	grep -qx 'links=lo' <<<"$out"
	grep -qx 'direct-origin=failed' <<<"$out"
	grep -q "^connect-listed=HTTP/1.1 200.*origin $ORIGIN" <<<"$out"
	grep -q '^connect-unlisted=HTTP/1.1 403' <<<"$out"
	grep -q '^connect-invalid=HTTP/1.1 400' <<<"$out"
	grep -qx 'routes=0' <<<"$out"
	# after the session the user is told what the allowlist refused, once, with a count; a
	# target that is no host name is no line, and nothing of it reaches the terminal
	[ "$(grep -c 'the allowlist refused' <<<"$output")" = 1 ]
	[[ "$output" == *"pi-runner: the allowlist refused 127.0.0.1:$OTHER (2x): ask an admin to add it to network.allow in /etc/pi-agent/config.json"* ]]
	[[ "$output" != *$'\x1b'* ]]
	# the listed origin saw exactly the proxied connection, the other none
	[ "$(cat "$ORIGIN_LOG")" = "$ORIGIN" ]
	[ -z "$(proxy_pids)" ]
	unchanged
}

@test "allowlist: the agent's proxy variables come last, after the user's .env and the admin's environment" {
	allowlist
	install -d -m 0700 -o pitest-alice -g pitest-alice "$A/.pi" "$A/.pi/agent"
	printf 'HTTPS_PROXY=http://203.0.113.9:8080\nNO_PROXY=*\n' >"$A/.pi/agent/.env"
	chown pitest-alice: "$A/.pi/agent/.env"
	run pi_as pitest-alice "$A/p"
	launched
	[ "$(grep '^HTTPS_PROXY=' "$(rec)/env" | tail -n 1)" = HTTPS_PROXY=http://127.0.0.1:3128 ]
	[ "$(grep '^NO_PROXY=' "$(rec)/env" | tail -n 1)" = 'NO_PROXY=localhost,::1' ]
	grep -qx 'https_proxy=http://127.0.0.1:3128' "$(rec)/env"
}

@test "allowlist: the agent starts offline and without Node's warnings, unless the admin's environment says otherwise" {
	allowlist
	run pi_as pitest-alice "$A/p"
	launched
	[ "$(grep '^PI_OFFLINE=' "$(rec)/env" | tail -n 1)" = PI_OFFLINE=1 ]
	[ "$(grep '^NODE_NO_WARNINGS=' "$(rec)/env" | tail -n 1)" = NODE_NO_WARNINGS=1 ]
	rm -rf "${REC:?}"/launch/*
	write_config "{\"proxyUser\": \"pitest-proxy\", \"environment\": {\"PI_OFFLINE\": \"0\"},
		\"network\": {\"mode\": \"allowlist\", \"allow\": [\"127.0.0.1:$ORIGIN\"]}}"
	run pi_as pitest-alice "$A/p"
	launched
	[ "$(grep '^PI_OFFLINE=' "$(rec)/env" | tail -n 1)" = PI_OFFLINE=0 ]
	rm -rf "${REC:?}"/launch/*
	# open mode: the agent's own start-up calls go where they go
	write_config
	run pi_as pitest-alice "$A/p"
	launched
	! grep -q '^PI_OFFLINE=\|^NODE_NO_WARNINGS=' "$(rec)/env"
}

@test "open mode: no namespace, no proxy, no proxy variables" {
	write_config
	run pi_as pitest-alice "$A/p"
	launched
	! argv_lines | grep -q 'NetworkNamespacePath=\|PrivateNetwork=yes'
	! grep -q PROXY "$(rec)/env"
}

@test "the proxy runs as its own account, no capability, no_new_privs, and dies with a SIGKILLed runner" {
	local runner proxy status launch
	held_launch
	proxy=$(proxy_pids)
	status=$(cat "/proc/$proxy/status")
	grep -qE '^CapEff:\s+0+$' <<<"$status"
	grep -qE '^CapPrm:\s+0+$' <<<"$status"
	grep -qE '^NoNewPrivs:\s+1$' <<<"$status"
	grep -qE "^Uid:\s+$(id -u pitest-proxy)\s" <<<"$status"
	grep -qE "^Groups:\s*$" <<<"$status"
	[ "$(stat -c %U "/proc/$proxy/environ")" = root ]    # not dumpable
	[ "$(tr '\0' ' ' <"/proc/$proxy/environ" | wc -c)" -eq 0 ]
	runner=$(awk '/^PPid:/ { print $2 }' <<<"$status")
	[ "$(readlink "/proc/$runner/exe")" = "$FIX/bin/pi" ]
	kill -KILL "$runner"
	for _ in $(seq 200); do [ -n "$(proxy_pids)" ] || break; kill -0 "$proxy" 2>/dev/null || break; done
	[ -z "$(proxy_pids)" ]
	rm -f "$REC/hold"
	wait "$launch" || true
}

@test "a proxy that dies leaves the agent's connects refused at once, not waiting in a backlog" {
	local launch ns
	held_launch
	ns=$(tr '\0' '\n' <"$(launches)/argv" | sed -n 's/^NetworkNamespacePath=//p')
	kill -KILL "$(proxy_pids)"
	while [ -n "$(proxy_pids)" ]; do :; done
	run nsenter --net="$ns" python3 -c '
import socket, sys
try:
    socket.create_connection(("127.0.0.1", 3128), timeout=5)
except ConnectionRefusedError:
    sys.exit(3)
sys.exit(0)'
	[ "$status" -eq 3 ]
	rm -f "$REC/hold"
	wait "$launch"
}

@test "a missing, root, agent or host-user proxy account refuses the launch, naming it, with nothing launched" {
	for who in pitest-noproxy root pitest-agent pitest-agent2 pitest-alice pitest-bob; do
		allowlist "$who"
		rm -rf "${REC:?}/launch"/*
		run pi_as pitest-alice "$A/p"
		no_crash
		[ "$status" -eq 1 ]
		[[ "$output" == *"'$who'"* ]]
		[ "$(nlaunches)" -eq 0 ]
	done
	[ -z "$(proxy_pids)" ]
	unchanged
}

@test "explain and --check say the mode, the entries and the proxy account; a missing account is an error" {
	allowlist
	run atk_as pitest-alice "$A/p" env PI_AGENT_EXPLAIN=1 pi
	[ "$status" -eq 0 ] && [ "$(nlaunches)" -eq 0 ]
	[[ "$output" == *"network:        allowlist: a namespace with only loopback"*"as pitest-proxy"* ]]
	[[ "$output" == *"allow 127.0.0.1:$ORIGIN"* ]]
	[[ "$output" == *"NetworkNamespacePath="* ]]
	run "$RUNNER" --check
	[[ "$output" == *"network of pitest-alice: allowlist: 1 allow and 0 deny entries, through the proxy as pitest-proxy"* ]]
	[[ "$output" == *"network of pitest-bob: allowlist"* ]]
	allowlist pitest-noproxy
	run "$RUNNER" --check
	[ "$status" -ne 0 ]
	[[ "$output" == *"proxyUser: user 'pitest-noproxy' does not exist"* ]]
}

@test "pi-runner --proxy through sudo is a usage error: the proxy is a name, never a flag" {
	run atk_as pitest-alice "$A/p" sudo -n "$RUNNER" --proxy --listen 127.0.0.1:0 --user x --unit y
	no_crash
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == "Usage: pi-runner "* ]]
}
