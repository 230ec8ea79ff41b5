# scenario-network.sh - the network allowlist: both real agents reach the mock model only through the proxy; every other way out fails, each decision is logged, the proxy dies with the unit.
# shellcheck shell=bash

NW_PROJ=/home/alice/p/proj-alice
NW_NET=10.99.0.1            # an address of the container's own namespace (on its lo): off the list
NW_TLS_PORT=18443           # the mock model over HTTPS (CONNECT through the proxy)
NW_LOG=/run/e2e-net.log     # what reached the listeners (net-listeners.js)
NW_TLS_LOG=/run/e2e-mock-tls/requests.log

scenario_network() {
	local agent
	need_launcher "scenario network" || return 0
	s2_mock_start || return 0
	nw_setup || return 0
	s2_user_config alice
	for agent in 0.73.1 1.6.0; do
		nw_agent "$agent" http "$S2_PORT"
		nw_agent "$agent" https "$NW_TLS_PORT"
	done
	nw_unlisted
	nw_escapes
	nw_held
	nw_runner_killed
	nw_teardown
}

# nw_setup: the proxy account, an address of the container's with TCP, UDP and DNS listeners on it (the
# container's resolver points there), and the mock model again over HTTPS.
nw_setup() {
	ctr bash -c 'id pi-proxy >/dev/null 2>&1 ||
		useradd --system --no-create-home --shell /usr/sbin/nologin pi-proxy'
	nsenter -t "$CPID" -n ip addr del "$NW_NET/32" dev lo 2>/dev/null || true
	if ! nsenter -t "$CPID" -n ip addr add "$NW_NET/32" dev lo; then
		fail "network: $NW_NET on the container's loopback" "ip failed"
		return 1
	fi
	ctr bash -c "cp -P /etc/resolv.conf /etc/resolv.conf.e2e 2>/dev/null; rm -f /etc/resolv.conf;
		echo 'nameserver $NW_NET' >/etc/resolv.conf; rm -f $NW_LOG"
	ctr systemctl stop e2e-net-listeners.service e2e-mock-tls.service 2>/dev/null || true
	ctr systemd-run --quiet --unit=e2e-net-listeners --collect "$C_NODE/bin/node" \
		"$C_SRC/net-listeners.js" "$NW_LOG" "$NW_NET" "$NW_NET" "tcp:$NW_NET:9999" \
		"tcp:127.0.0.1:9999" "udp:$NW_NET:5353"
	if poll 15 ctr getent hosts probe.e2e.test >/dev/null; then
		pass "network: the container's own resolver answers (the control for the unit's lookup)"
	else
		fail "network: the container's own resolver answers" "$(ctr journalctl -u e2e-net-listeners --no-pager | tail)"
		return 1
	fi
	ctr rm -f "$NW_LOG"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout "$E2E_DIR/tls.key" -out "$E2E_DIR/tls.pem" 2>/dev/null
	ctr bash -c 'install -d -m 0755 /run/e2e-tls && cat >/run/e2e-tls/cert.pem' <"$E2E_DIR/tls.pem"
	ctr bash -c 'cat >/run/e2e-tls/key.pem && chmod 0644 /run/e2e-tls/*' <"$E2E_DIR/tls.key"
	ctr systemd-run --quiet --unit=e2e-mock-tls --collect -p DynamicUser=yes \
		-p RuntimeDirectory=e2e-mock-tls -p RuntimeDirectoryPreserve=yes \
		"$C_NODE/bin/node" "$C_SRC/mock-llm.js" "$NW_TLS_PORT" "$NW_TLS_LOG" 600 \
		/run/e2e-tls/cert.pem /run/e2e-tls/key.pem
	poll 15 ctr bash -c "exec 3<>/dev/tcp/127.0.0.1/$NW_TLS_PORT" 2>/dev/null ||
		{ fail "network: the HTTPS mock listens" "$(ctr journalctl -u e2e-mock-tls --no-pager | tail)"; return 1; }
}

nw_teardown() {
	ctr systemctl stop e2e-net-listeners.service e2e-mock-tls.service e2e-mock-llm.service 2>/dev/null || true
	ctr bash -c 'rm -f /etc/resolv.conf; [ ! -e /etc/resolv.conf.e2e ] && [ ! -L /etc/resolv.conf.e2e ] ||
		mv /etc/resolv.conf.e2e /etc/resolv.conf'
	nsenter -t "$CPID" -n ip addr del "$NW_NET/32" dev lo 2>/dev/null || true
	s2_user_config alice
	write_config /opt/fake-agent
}

# nw_config PACKAGE ALLOW...: the scenarios' config with an allowlist for alice (hostUsers'
# own network, replacing the top level's open one) and the test CA for node.
nw_config() {
	local package=$1 entries
	shift
	entries=$(printf '"%s",' "$@")
	if [ "$package" = /opt/pi-real16 ]; then
		E2E_NODE_BIN=$C_NODE22/bin write_config "$package"
	else
		write_config "$package"
	fi
	ctr sed -i -e "s|\"alice\": { \"projectRoots\": \[\"~/p\"\] }|\"alice\": { \"projectRoots\": [\"~/p\"], \"network\": { \"mode\": \"allowlist\", \"allow\": [${entries%,}] } }|" \
		-e 's|"PI_OFFLINE": "1",|& "NODE_EXTRA_CA_CERTS": "/run/e2e-tls/cert.pem",|' /etc/pi-agent/config.json
}

# nw_models SCHEME PORT: alice's models.json names the mock at SCHEME://127.0.0.1:PORT.
nw_models() {
	ctr sed -i "s|\"baseUrl\": \"[^\"]*\"|\"baseUrl\": \"$1://127.0.0.1:$2/v1\"|" /home/alice/.pi/agent/models.json
}

nw_count() { { ctr cat "$1" 2>/dev/null || true; } | wc -l; }
nw_proxy_log() { ctr journalctl -q --after-cursor="$1" -t pi-proxy -o cat 2>/dev/null || true; }

# nw_agent AGENT SCHEME PORT: the real agent answers through the proxy; the request reached
# the mock; the proxy logged the allowed connection with its byte counts.
nw_agent() {
	local agent=$1 scheme=$2 port=$3 pkg=/opt/pi-real log=/run/e2e-mock/requests.log n0 cur n
	[ "$agent" = 0.73.1 ] || pkg=/opt/pi-real16
	[ "$scheme" = http ] || log=$NW_TLS_LOG
	nw_config "$pkg" "127.0.0.1:$S2_PORT" "127.0.0.1:$NW_TLS_PORT"
	nw_models "$scheme" "$port"
	n="network: $agent over $scheme"
	n0=$(nw_count "$log")
	cur=$(journal_cursor)
	T=120 run_as alice "cd $NW_PROJ && pi -p --no-session 'say hello'"
	check_eq "$n: pi exits 0" 0 "$RC"
	check_has "$n: the model answers" "$OUT" "E2E-SAID"
	check_eq "$n: one request reached the mock" 1 "$(($(nw_count "$log") - n0))"
	check_has "$n: the proxy logged the allowed connection" "$(nw_proxy_log "$cur")" \
		"allow user=alice"
	check_has "$n: ... to 127.0.0.1 port $port" "$(nw_proxy_log "$cur" | grep 'allow user=alice')" "port=$port"
	[ "$RC" -eq 0 ] || log "$n: stderr: $ERR"
}

# nw_unlisted: the mock's port off the list: pi fails, nothing reaches the mock, the denial is
# logged (the agent really goes through the proxy, and the proxy really applies the list).
nw_unlisted() {
	local n0 cur
	nw_config /opt/pi-real "127.0.0.1:$NW_TLS_PORT"
	nw_models http "$S2_PORT"
	n0=$(s2_requests)
	cur=$(journal_cursor)
	T=120 run_as alice "cd $NW_PROJ && pi -p --no-session 'say hello'"
	check_ne "network: unlisted: pi fails" 0 "$RC"
	check_eq "network: unlisted: nothing reached the mock" 0 "$(($(s2_requests) - n0))"
	check_has "network: unlisted: the proxy logged the denial" "$(nw_proxy_log "$cur")" \
		"deny user=alice"
	check_has "network: unlisted: after the session pi names the refused target and where to add it" \
		"$ERR" "pi-runner: the allowlist refused 127.0.0.1:$S2_PORT ("
	check_has "network: unlisted: ... the key and the file" "$ERR" \
		"ask an admin to add it to hostUsers.alice.network.allow in /etc/pi-agent/config.json"
}

# The probe the real agent's bash tool runs inside its unit: each way out, one line each.
# shellcheck disable=SC2016
NW_PROBE='#!/bin/bash
out=e2e-net.txt
: >$out
r() { echo "$1=$2" >>$out; }
r env-https "${HTTPS_PROXY:-unset}"
r env-no "${NO_PROXY:-unset}"
r links "$(sed -n "3,\$ s/^ *\([^:]*\):.*/\1/p" /proc/net/dev | sort | paste -sd, -)"
if exec 3<>/dev/tcp/127.0.0.1/3128; then
	printf "CONNECT evil.e2e.test:443 HTTP/1.1\r\nHost: evil.e2e.test:443\r\n\r\n" >&3
	resp=$(timeout 10 cat <&3 | tr -d "\r" | tr "\n" "|")
	exec 3<&-
	r connect-unlisted "$resp"
else
	r connect-unlisted "no proxy"
fi
for a in '"$NW_NET"' 127.0.0.1; do
	timeout 5 bash -c "exec 3<>/dev/tcp/$a/9999" 2>/dev/null && r tcp-$a ok || r tcp-$a failed
done
timeout 10 getent hosts probe.e2e.test >/dev/null 2>&1 && r dns ok || r dns failed
timeout 5 bash -c "echo x >/dev/udp/'"$NW_NET"'/5353" 2>/dev/null && r udp sent || r udp failed
'

nw_field() { sed -n "s/^$1=//p" <<<"$2"; }

# nw_escapes: in the real agent's own unit, every way around the proxy fails and nothing
# arrives at the listeners; a CONNECT to a host off the list gets 403 with the reason.
nw_escapes() {
	local res cur
	nw_config /opt/pi-real "127.0.0.1:$S2_PORT"
	nw_models http "$S2_PORT"
	as alice "cat >$NW_PROJ/e2e-netprobe.sh" <<<"$NW_PROBE"
	ctr rm -f "$NW_PROJ/e2e-net.txt" "$NW_LOG"
	cur=$(journal_cursor)
	T=120 run_as alice "cd $NW_PROJ && pi -p --no-session 'run: bash e2e-netprobe.sh'"
	check_has "network: escapes: the agent ran the probe" "$OUT" "E2E-RAN"
	res=$(ctr cat "$NW_PROJ/e2e-net.txt" 2>&1)
	check_eq "network: escapes: HTTPS_PROXY is the proxy" "http://127.0.0.1:3128" "$(nw_field env-https "$res")"
	check_eq "network: escapes: NO_PROXY keeps localhost, not the listed 127.0.0.1" "localhost,::1" \
		"$(nw_field env-no "$res")"
	check_eq "network: escapes: the unit's only interface is loopback" lo "$(nw_field links "$res")"
	check_has "network: escapes: CONNECT to a host off the list gets 403" \
		"$(nw_field connect-unlisted "$res")" "HTTP/1.1 403"
	check_has "network: escapes: ... whose body names the host and the reason" \
		"$(nw_field connect-unlisted "$res")" "evil.e2e.test:443"
	check_eq "network: escapes: a raw TCP connect to $NW_NET fails" failed "$(nw_field "tcp-$NW_NET" "$res")"
	check_eq "network: escapes: a raw TCP connect to the host's 127.0.0.1 fails" failed \
		"$(nw_field tcp-127.0.0.1 "$res")"
	check_eq "network: escapes: a DNS lookup fails" failed "$(nw_field dns "$res")"
	check_eq "network: escapes: a UDP send fails" failed "$(nw_field udp "$res")"
	check_eq "network: escapes: nothing reached the TCP, UDP and DNS listeners" "" \
		"$(ctr cat "$NW_LOG" 2>/dev/null)"
	check_has "network: escapes: the proxy logged the refused CONNECT" \
		"$(nw_proxy_log "$cur" | grep 'deny user=alice')" "host=evil.e2e.test"
	ctr rm -f "$NW_PROJ/e2e-netprobe.sh" "$NW_PROJ/e2e-net.txt"
}

# nw_held: the real agent held in its bash tool: the unit's score, and the proxy's identity
# (its own account, no capability, no_new_privs, not dumpable, outside the unit's namespace).
nw_held() {
	local unit node proxy status rc
	nw_config /opt/pi-real "127.0.0.1:$S2_PORT"
	ctr rm -rf "$NW_PROJ/.e2e-ready" "$NW_PROJ/.e2e-release" "$NW_PROJ/e2e-held.txt" "$NW_PROJ/e2e-held-repo"
	bg_start nw-held alice "cd $NW_PROJ && pi -p --no-session 'hold: stay up while the unit is scored'"
	if ! poll 60 ctr test -e "$NW_PROJ/.e2e-ready"; then
		fail "network: held: the real agent reaches its bash tool" "$(cat "$E2E_DIR/nw-held.out")"
	else
		unit=$(ctr ps -o unit= -p "$(ctr pgrep -u pi-agent -n -f e2e-release | head -n1)" | tr -d ' ')
		node=$(ctr pgrep -P "$(ctr systemctl show -P MainPID "${unit:-none}")" | head -n1)
		E2E_MAX_EXPOSURE=0.9 check_exposure network "${unit:-none}"
		proxy=$(ctr pgrep -u pi-proxy | head -n1)
		check_ne "network: held: the proxy runs as pi-proxy" "" "$proxy"
		status=$(ctr cat "/proc/${proxy:-0}/status" 2>&1)
		check_eq "network: held: the proxy has no capability" 0000000000000000:0000000000000000 \
			"$(s2_status CapEff "$status"):$(s2_status CapPrm "$status")"
		check_eq "network: held: the proxy has no_new_privs" 1 "$(s2_status NoNewPrivs "$status")"
		check_eq "network: held: the proxy is not dumpable (its /proc files are root's)" root \
			"$(ctr stat -c %U "/proc/${proxy:-0}/environ" 2>&1)"
		check_ne "network: held: the agent is in a namespace of its own" \
			"$(ctr readlink /proc/1/ns/net)" "$(ctr readlink "/proc/${node:-0}/ns/net" 2>&1)"
		check_eq "network: held: the proxy's outbound namespace is the host's" \
			"$(ctr readlink /proc/1/ns/net)" "$(ctr readlink "/proc/${proxy:-0}/ns/net" 2>&1)"
	fi
	ctr touch "$NW_PROJ/.e2e-release"
	rc=0; wait "$BG_PID" || rc=$?
	check_eq "network: held: pi exits 0" 0 "$rc"
	check_eq "network: held: no proxy is left after the launch" "" "$(ctr pgrep -u pi-proxy)"
}

# nw_runner_killed: SIGKILL of the runner takes the proxy with it at once.
nw_runner_killed() {
	local proxy runner
	nw_config /opt/fake-agent "127.0.0.1:$S2_PORT"
	ctr rm -f "$NW_PROJ/.e2e-agent.pid"
	bg_start nw-kill alice "cd $NW_PROJ && pi --sleep --quiet"
	if ! poll 30 ctr test -s "$NW_PROJ/.e2e-agent.pid"; then
		fail "network: killed: the agent starts" "$(cat "$E2E_DIR/nw-kill.out")"
		return
	fi
	proxy=$(ctr pgrep -u pi-proxy | head -n1)
	runner=$(ctr ps -o ppid= -p "${proxy:-0}" | tr -d ' ')
	check_eq "network: killed: the proxy's parent is the runner" /usr/local/bin/pi \
		"$(ctr readlink "/proc/${runner:-0}/exe" 2>&1)"
	ctr kill -KILL "${runner:-0}"
	if poll 10 nw_no_proxy; then
		pass "network: killed: the proxy is gone once the runner is killed"
	else
		fail "network: killed: the proxy is gone once the runner is killed" "$(ctr ps -u pi-proxy -o pid,args)"
	fi
	ctr bash -c 'systemctl stop "pi-agent-alice-*"' 2>/dev/null || true
	ctr pkill -u pi-agent 2>/dev/null || true
	wait "$BG_PID" 2>/dev/null || true
}
nw_no_proxy() { [ -z "$(ctr pgrep -u pi-proxy)" ]; }
