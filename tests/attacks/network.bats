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
	rm -f "$REC/hold" "$REC"/hold-*
	# shellcheck disable=SC2086 # one word per pid
	[ -z "${ORIGIN_PIDS:-}" ] || kill $ORIGIN_PIDS 2>/dev/null || true
	# shellcheck disable=SC2086 # one word per pid
	[ -z "${HOLD_PIDS:-}" ] || kill $HOLD_PIDS 2>/dev/null || true
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

# user_launch USER CMD: USER's launch in the background (its pid in launch), its "unit" held
# by the stand-in until $REC/hold-USER goes; returns once its network probe has run.
user_launch() {
	local u=$1 s
	shift
	touch "$REC/hold-$u"
	T=120 atk_as "$u" "$(home_of "$u")/p" "$@" >"$BATS_TEST_TMPDIR/$u.out" 2>&1 &
	launch=$!
	until unit_of "$u" >/dev/null && grep -q '^routes=' "$(unit_of "$u")/netprobe.out" 2>/dev/null; do
		s=$(ps -o stat= -p "$launch" || true)
		[ -n "$s" ] && [[ $s != Z* ]] ||
			{ echo "$u's launch ended: $(cat "$BATS_TEST_TMPDIR/$u.out")" >&2; return 1; }
	done
}
# unit_of USER: the record dir of USER's one launch.
unit_of() { launches | grep -x ".*/pi-agent-$1-[0-9a-f]*\.service"; }
threads() { awk '/^Threads:/ { print $2 }' "/proc/$1/status"; }
# limits PID: each of its limits as 'name|soft|hard'.
limits() { sed 1d "/proc/$1/limits" | sed -E 's/  +/|/g' | cut -d'|' -f1-3; }

# has_sys_resource: root here may lift a lowered hard limit (some containers withhold it).
has_sys_resource() { [ $((0x$(sed -n 's/^CapEff:\t//p' /proc/self/status) >> 24 & 1)) -eq 1 ]; }

@test "bob's launch ends the same with alice's agent holding more tunnels than her proxy's cap, the account shared, bob's ulimit -u 300" {
	local alice ns alone_status alone_output bob
	eval "$(python3 "$ATK/proxyatk.py" sink)"
	HOLD_PIDS=$SINK_PID
	write_config "{\"proxyUser\": \"pitest-proxy\", \"network\": {\"mode\": \"allowlist\", \"allow\": [\"127.0.0.1:$ORIGIN\", \"127.0.0.1:$SINK_PORT\"]}}"
	probe
	# bob's hard limit, as a limits.conf line sets it (sudo keeps a lowered soft one from root)
	run atk_as pitest-bob "$B/p" bash -c 'ulimit -u 300 && exec pi'
	no_crash
	alone_status=$status alone_output=$output
	[ -z "$(proxy_pids)" ]
	user_launch pitest-alice pi
	alice=$(proxy_pids)
	ns=$(tr '\0' '\n' <"$(unit_of pitest-alice)/argv" | sed -n 's/^NetworkNamespacePath=//p')
	# her agent: 1,100 tunnels to a listed place that never answers, all idle
	eval "$(timeout 120 nsenter --net="$ns" python3 "$ATK/proxyatk.py" hold 3128 "127.0.0.1:$SINK_PORT" 1100 1024)"
	HOLD_PIDS="$HOLD_PIDS $HOLD_PID"
	[ "$HELD" -eq 1024 ]
	# the cap: one thread per tunnel and the accept thread, the rest wait in the backlog
	[ "$(threads "$alice")" -eq 1025 ]
	run atk_as pitest-bob "$B/p" bash -c 'ulimit -u 300 && exec pi'
	no_crash
	[ "$status" -eq "$alone_status" ] ||
		{ echo "bob's launch: status $status: $output; alone: status $alone_status: $alone_output" >&2; false; }
	if has_sys_resource; then
		# his limit lifted for his proxy: both launches had one, serving his list
		[ "$status" -eq 0 ]
		[ "$(launches | grep -c '/pi-agent-pitest-bob-')" -eq 2 ]
		for bob in $(launches | grep '/pi-agent-pitest-bob-'); do
			grep -q "^connect-listed=HTTP/1.1 200.*origin $ORIGIN" "$bob/netprobe.out"
			grep -q '^connect-unlisted=HTTP/1.1 403' "$bob/netprobe.out"
		done
	else
		# his limit cannot be lifted: refused both times for his own limit, never for alice's use
		[ "$status" -eq 1 ]
		[ "$output" = "$alone_output" ]
		[[ "$output" == *"pi-runner: cannot start the network proxy as 'pitest-proxy': cannot set its process limit (ulimit -u) to init's: Operation not permitted"* ]]
		[ -z "$(launches | grep '/pi-agent-pitest-bob-')" ]
	fi
	# alice's tunnels are all still there
	[ "$(threads "$alice")" -eq 1025 ]
	[ "$(proxy_pids)" = "$alice" ]
	unchanged
	rm -f "$REC/hold-pitest-alice"
	wait "$launch"
}

# The limits the runner gives every proxy, as 'name|soft|hard': processes are init's.
proxy_limits() {
	local nproc
	nproc=$(limits 1 | sed -n 's/^Max processes|\([^|]*\)|.*/\1/p')
	cat <<-EOF
		Max cpu time|unlimited|unlimited
		Max file size|unlimited|unlimited
		Max data size|unlimited|unlimited
		Max stack size|8388608|8388608
		Max core file size|0|0
		Max resident set|unlimited|unlimited
		Max processes|$nproc|$nproc
		Max open files|6176|6176
		Max locked memory|0|0
		Max address space|unlimited|unlimited
		Max file locks|unlimited|unlimited
		Max pending signals|128|128
		Max msgqueue size|0|0
		Max nice priority|0|0
		Max realtime priority|0|0
		Max realtime timeout|unlimited|unlimited
	EOF
}

@test "the proxy's limits are the runner's table, not what the runner has, whatever the caller's soft limits" {
	local proxy runner lower='-u 300 -n 512 -s 1024 -i 40 -q 0 -t 3600 -x 5 -m 1000 -f 1000'
	allowlist
	probe
	# ASan's shadow memory does not fit under an address space or data limit
	grep -qa __asan_init "$PI_BUILD/pi" || lower="$lower -v 4000000 -d 4000000"
	user_launch pitest-bob bash -c "ulimit -S $lower && exec pi"
	proxy=$(proxy_pids)
	run limits "$proxy"
	[ "$output" = "$(proxy_limits)" ] || { echo "the proxy's limits: $output" >&2; false; }
	# the runner's own differ (sudo's, the caller's hard ones): the proxy's are not inherited
	runner=$(awk '/^PPid:/ { print $2 }' "/proc/$proxy/status")
	[ "$(limits "$runner")" != "$(proxy_limits)" ]
	grep -q "^connect-listed=HTTP/1.1 200.*origin $ORIGIN" "$(unit_of pitest-bob)/netprobe.out"
	rm -f "$REC/hold-pitest-bob"
	wait "$launch"
}

@test "a caller's lowered hard limit is lifted for the proxy, or the allowlist launch refused naming it" {
	allowlist
	probe
	if has_sys_resource; then
		user_launch pitest-bob bash -c 'ulimit -u 300 -x 5 -t 3600 && exec pi'
		run limits "$(proxy_pids)"
		[ "$output" = "$(proxy_limits)" ] || { echo "the proxy's limits: $output" >&2; false; }
		rm -f "$REC/hold-pitest-bob"
		wait "$launch"
	else
		run atk_as pitest-bob "$B/p" bash -c 'ulimit -u 300 && exec pi'
		no_crash
		[ "$status" -eq 1 ]
		[[ "$output" == *"pi-runner: cannot start the network proxy as 'pitest-proxy': cannot set its process limit (ulimit -u) to init's: Operation not permitted"* ]]
		[ "$(nlaunches)" -eq 0 ]
		[ -z "$(proxy_pids)" ]
		unchanged
	fi
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
