#!/usr/bin/env bats
# proxy.bats - attacks on the allowlist proxy (pi-proxy as an unprivileged account): every refused request answered, no forbidden listener ever reached, the proxy alive.

bats_require_minimum_version 1.5.0

# The proxy runs as nobody in a mount namespace of its own with a private /etc/hosts (names
# that resolve to loopback), a resolv.conf naming 127.0.0.1 (no lookup leaves the machine)
# and /dev/log bound to our receiver. Allowed: 127.0.0.1:OK_PORT and some names on OK_PORT.
# Forbidden listeners (127.0.0.2:OK_PORT, [::1]:OK_PORT, 127.0.0.1:BAD_PORT) note every
# connection they get in $P/hits: it must stay empty.
setup_file() {
	load atk
	export P=$BATS_FILE_TMPDIR/proxy
	install -d -m 0755 "$P"
	cat >"$P/hosts" <<-EOF
		127.0.0.1 localhost ok.pitest.example
		127.0.0.2 rebind.pitest.example evil.pitest.example a.wild.pitest.example
		::1 six.pitest.example
		::ffff:127.0.0.2 mapped.pitest.example
	EOF
	# a name server address nothing answers on, with the shortest wait: a name off the hosts
	# file fails to resolve in a second, and no query ever leaves loopback
	printf 'nameserver 127.255.255.254\noptions timeout:1 attempts:1\n' >"$P/resolv.conf"
	eval "$(python3 "$ATK/proxyatk.py" servers "$P")"
	export OK_PORT BAD_PORT DEAD_PORT SERVERS_PID
	eval "$(python3 "$ATK/proxyatk.py" launch "$P" unshare -m --propagation private \
		"$ATK/proxyns.sh" "$P" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps=-all --bounding-set=-all "$FIX/bin/pi-proxy" --fd 3 \
		--user pitest-alice --unit pitest-proxy.service --allow "127.0.0.1:$OK_PORT" \
		--allow "ok.pitest.example:$OK_PORT" --allow "rebind.pitest.example:$OK_PORT" \
		--allow "six.pitest.example:$OK_PORT" --allow "mapped.pitest.example:$OK_PORT" \
		--allow "*.wild.pitest.example:$OK_PORT" --allow "127.0.0.1:$DEAD_PORT" \
		--allow "gone.pitest.example:$OK_PORT")"
	export PROXY_PORT PROXY_PID
	# the proxy has started and logs
	python3 "$ATK/proxyatk.py" log "$P/log" 0 1 | grep -q " pi-proxy\[$PROXY_PID\]: start user=pitest-alice unit=pitest-proxy.service allow=8 deny=0 connections="
}

teardown_file() {
	kill "$PROXY_PID" "$SERVERS_PID" 2>/dev/null || true
}

setup() {
	load atk
	: >"$P/hits"
}

# The proxy is still the same live process and nothing forbidden was reached.
teardown() {
	kill -0 "$PROXY_PID" || { echo "the proxy died: $(cat "$P/proxy.err")" >&2; return 1; }
	[ ! -s "$P/hits" ] || { echo "forbidden listeners reached:" >&2; cat "$P/hits" >&2; return 1; }
}

# through: stdin sent as is to the proxy; the whole response on stdout.
through() { python3 "$ATK/proxyatk.py" req "$PROXY_PORT"; }
# tunnel TARGET: CONNECT TARGET, then GET / through it.
tunnel() { python3 "$ATK/proxyatk.py" tunnel "$PROXY_PORT" "$1"; }
# get URL [HOST]: a plain GET through the proxy (Host: the URL's authority unless given).
get() {
	local auth=${1#http://}
	auth=${auth%%/*}
	printf 'GET %s HTTP/1.1\r\nHost: %s\r\n\r\n' "$1" "${2:-$auth}" | through
}

# The response in $output has status CODE; 4xx ones carry the proxy's text/plain reason.
answered() {
	[ "${output:0:13}" = "HTTP/1.1 $1 " ] || { echo "expected $1, got: $output" >&2; return 1; }
	if [ "$1" != 200 ]; then
		[[ "$output" == *$'\r\nConnection: close\r\n'* ]] &&
			[[ "$output" == *$'\r\nContent-Type: text/plain\r\n'* ]] &&
			[[ "$output" == *$'\r\n\r\npi proxy: '* ]] || { echo "no reason: $output" >&2; return 1; }
	fi
}

# A 403 that names the target and the user.
forbidden() {
	answered 403
	[[ "$output" == *"pi proxy: $1 is not allowed for user pitest-alice: "* ]] ||
		{ echo "403 without '$1' and the user: $output" >&2; return 1; }
}

# The origin answered (its body came back).
reached() {
	answered 200
	[[ "$output" == *$'\r\n\r\norigin-ok' ]] || { echo "origin not reached: $output" >&2; return 1; }
}

# new_log N: the N log lines written since the mark (mark_log), once they are there (each
# is written just after its client saw the connection end).
mark_log() { logmark=$(wc -l <"$P/log"); }
new_log() { python3 "$ATK/proxyatk.py" log "$P/log" "$logmark" "$1"; }

@test "an allowed destination is reached by address and by name, through CONNECT and http://, each logged" {
	mark_log
	run tunnel "127.0.0.1:$OK_PORT"
	reached
	[[ "$output" == "HTTP/1.1 200 Connection established"$'\r\n\r\n'* ]]
	run get "http://ok.pitest.example:$OK_PORT/path?q=1"
	reached
	run bash -c "printf 'GET http://127.0.0.1:$OK_PORT/x HTTP/1.1\r\nHost: 127.0.0.1:$OK_PORT\r\nProxy-Authorization: Basic c2VjcmV0\r\nProxy-Connection: keep-alive\r\n\r\n' | python3 $ATK/proxyatk.py req $PROXY_PORT"
	reached
	# the origin got the origin form, without the Proxy-* headers
	tail -2 "$P/origin" | grep -q "^GET /path?q=1 HTTP/1.1 | "
	tail -1 "$P/origin" | grep -q "^GET /x HTTP/1.1 | "
	! tail -1 "$P/origin" | grep -qi "proxy-"
	run new_log 3
	[ "${#lines[@]}" -eq 3 ]
	# LOG_AUTHPRIV (10) | LOG_INFO (6) = <86>, then the proxy's own line
	[[ "${lines[0]}" =~ ^\<86\>.*\ pi-proxy\[$PROXY_PID\]:\ allow\ user=pitest-alice\ unit=pitest-proxy.service\ host=127.0.0.1\ port=$OK_PORT\ addr=127.0.0.1\ sent=[1-9][0-9]*\ received=[1-9][0-9]*\ ms=[0-9]+$ ]]
	[[ "${lines[1]}" =~ \ allow\ user=pitest-alice\ unit=pitest-proxy.service\ host=ok.pitest.example\ port=$OK_PORT\ addr=127.0.0.1\ sent= ]]
}

@test "CONNECT to an unlisted port: 403 naming host, port and user, logged with the reason" {
	mark_log
	run tunnel "127.0.0.1:$BAD_PORT"
	forbidden "127.0.0.1:$BAD_PORT"
	run tunnel "ok.pitest.example:$BAD_PORT"
	forbidden "ok.pitest.example:$BAD_PORT"
	run tunnel "ok.pitest.example:443"
	forbidden "ok.pitest.example:443"
	run new_log 3
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" =~ \ deny\ user=pitest-alice\ unit=pitest-proxy.service\ host=127.0.0.1\ port=$BAD_PORT\ addr=-\ sent=0\ received=0\ ms=[0-9]+\ reason=\"127.0.0.1:$BAD_PORT\ is\ not\ allowed\ for\ user\ pitest-alice:\ [^\"]+\"$ ]]
}

@test "an allowed destination that refuses the connection: 502 with the reason, logged as a failure" {
	mark_log
	run tunnel "127.0.0.1:$DEAD_PORT"
	answered 502
	[[ "$output" == *"pi proxy: cannot connect to 127.0.0.1:$DEAD_PORT (127.0.0.1): Connection refused"* ]]
	run new_log 1
	[[ "${lines[0]}" =~ \ fail\ user=pitest-alice\ unit=pitest-proxy.service\ host=127.0.0.1\ port=$DEAD_PORT\ addr=127.0.0.1\ sent=0\ received=0\ ms=[0-9]+\ reason=\"cannot\ connect\ to\ 127.0.0.1:$DEAD_PORT\ \(127.0.0.1\):\ Connection\ refused\"$ ]]
}

@test "an allowed name that does not resolve: 502 naming it, logged as a failure" {
	mark_log
	run tunnel "gone.pitest.example:$OK_PORT"
	answered 502
	[[ "$output" == *"pi proxy: cannot resolve gone.pitest.example: "* ]]
	run new_log 1
	[[ "${lines[0]}" =~ \ fail\ user=pitest-alice\ unit=pitest-proxy.service\ host=gone.pitest.example\ port=$OK_PORT\ addr=-\ sent=0\ received=0\ ms=[0-9]+\ reason=\"cannot\ resolve\ gone.pitest.example:\ [^\"]+\"$ ]]
}

@test "unlisted address literals: 127.0.0.2, [::1], IPv4-mapped, and the inet_aton forms of 127.0.0.2" {
	for t in 127.0.0.2 "[::1]" "[::ffff:127.0.0.2]" "[::ffff:7f00:2]" "[0:0:0:0:0:ffff:127.0.0.2]" \
		127.2 127.0.2 2130706434 0x7f000002 0x7f.0.0.2 0177.0.0.2 "[::]" 0.0.0.0 0; do
		run tunnel "$t:$OK_PORT"
		[ "${output:9:3}" = 403 ] || [ "${output:9:3}" = 400 ] || { echo "$t: $output" >&2; false; }
		answered "${output:9:3}"
		run get "http://$t:$OK_PORT/"
		[ "${output:9:3}" = 403 ] || [ "${output:9:3}" = 400 ] || { echo "$t: $output" >&2; false; }
	done
	# the mapped and short forms of the listed address are that address, and only it
	run tunnel "[::ffff:127.0.0.1]:$OK_PORT"
	reached
	run tunnel "127.1:$OK_PORT"
	reached
}

@test "a listed name that resolves to an unlisted loopback address (rebinding) is refused: IPv4, IPv6, IPv4-mapped, wildcard" {
	mark_log
	for n in rebind six mapped a.wild; do
		run tunnel "$n.pitest.example:$OK_PORT"
		forbidden "$n.pitest.example:$OK_PORT"
		[[ "$output" == *"resolves to"* ]] || { echo "$n: $output" >&2; false; }
		run get "http://$n.pitest.example:$OK_PORT/"
		forbidden "$n.pitest.example:$OK_PORT"
	done
	run new_log 8
	[ "${#lines[@]}" -eq 8 ]
	[[ "${lines[0]}" == *" deny "*" host=rebind.pitest.example port=$OK_PORT addr=- "*"reason=\"rebind.pitest.example:$OK_PORT is not allowed for user pitest-alice: "*"(127.0.0.2)\"" ]]
}

@test "trailing dots and case games in names change nothing" {
	for t in REBIND.Pitest.Example. rebind.pitest.example. Evil.PITEST.example evil.pitest.example.; do
		run tunnel "$t:$OK_PORT"
		answered 403
	done
	for t in OK.PITEST.EXAMPLE. Ok.Pitest.Example; do
		run tunnel "$t:$OK_PORT"
		reached
	done
	for t in rebind.pitest.example.. .rebind.pitest.example "rebind..pitest.example" \
		"rebind.pitest.example%00" "rebind.pitest.example%2e"; do
		run tunnel "$t:$OK_PORT"
		[ "${output:9:1}" = 4 ] || { echo "$t: $output" >&2; false; }
	done
}

@test "Host header vs target mismatches, userinfo and relative targets are refused" {
	ok=127.0.0.1:$OK_PORT bad=127.0.0.2:$OK_PORT
	for req in "GET http://$ok/ HTTP/1.1\r\nHost: $bad\r\n\r\n" \
		"GET http://$ok/ HTTP/1.1\r\nHost: $ok\r\nHost: $bad\r\n\r\n" \
		"GET http://$ok@$bad/ HTTP/1.1\r\nHost: $bad\r\n\r\n" \
		"GET http://x@$ok/ HTTP/1.1\r\nHost: $ok\r\n\r\n" \
		"GET / HTTP/1.1\r\nHost: $bad\r\n\r\n" \
		"GET https://$bad/ HTTP/1.1\r\nHost: $bad\r\n\r\n" \
		"CONNECT $ok HTTP/1.1\r\nHost: $bad\r\n\r\n" \
		"CONNECT $bad/ HTTP/1.1\r\nHost: $bad\r\n\r\n" \
		"CONNECT http://$ok/ HTTP/1.1\r\nHost: $ok\r\n\r\n"; do
		run bash -c "printf '$req' | python3 $ATK/proxyatk.py req $PROXY_PORT"
		[ "${output:9:1}" = 4 ] || [ "${output:9:1}" = 5 ] || { echo "$req: $output" >&2; false; }
		answered "${output:9:3}"
	done
}

@test "malformed request lines and headers are refused with their status, the proxy serves on" {
	ok=127.0.0.1:$OK_PORT
	for req in "GET\r\n\r\n" "\r\n\r\n" "GET http://$ok/ HTTP/1.1\nHost: $ok\n\n" \
		"GET http://$ok/ HTTP/1.1\r\nHost: $ok\r\nX: a\r\n b\r\n\r\n" \
		"GET http://$ok/ HTTP/1.1\r\nHost: $ok\r\nX: a\0b\r\n\r\n" \
		"GET http://$ok/\0 HTTP/1.1\r\nHost: $ok\r\n\r\n" \
		"GET http://$ok/ HTTP/9.9\r\nHost: $ok\r\n\r\n" \
		"GET http://$ok/ HTTP/1.1\r\nHost: $ok\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n" \
		"G\x01T http://$ok/ HTTP/1.1\r\nHost: $ok\r\n\r\n" "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\r\n\r\n" \
		"GET http://$ok/ HTTP/1.1\r\nHost: $ok\r\nNo colon\r\n\r\n" \
		"GET http://$ok/ HTTP/1.1\r\nHost: $ok\r\n: empty\r\n\r\n" \
		"CONNECT 127.0.0.1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" \
		"CONNECT 127.0.0.1:0 HTTP/1.1\r\nHost: 127.0.0.1:0\r\n\r\n" \
		"CONNECT 127.0.0.1:99999 HTTP/1.1\r\nHost: 127.0.0.1:99999\r\n\r\n" \
		"CONNECT 127.0.0.1:-1 HTTP/1.1\r\nHost: 127.0.0.1:-1\r\n\r\n"; do
		run bash -c "printf '$req' | python3 $ATK/proxyatk.py req $PROXY_PORT"
		[ "${output:9:1}" = 4 ] || [ "${output:9:1}" = 5 ] || { echo "$req: $output" >&2; false; }
		answered "${output:9:3}"
	done
	run get "http://127.0.0.1:$OK_PORT/"
	reached
}

@test "oversized request lines and headers get 414 and 431; header floods 431; the proxy serves on" {
	ok=127.0.0.1:$OK_PORT
	run bash -c "{ printf 'GET http://$ok/'; head -c 20000 /dev/zero | tr '\0' a; printf ' HTTP/1.1\r\nHost: $ok\r\n\r\n'; } | python3 $ATK/proxyatk.py req $PROXY_PORT"
	answered 414
	run bash -c "{ printf 'GET http://$ok/ HTTP/1.1\r\nHost: $ok\r\nX: '; head -c 20000 /dev/zero | tr '\0' a; printf '\r\n\r\n'; } | python3 $ATK/proxyatk.py req $PROXY_PORT"
	answered 431
	run bash -c "{ printf 'GET http://$ok/ HTTP/1.1\r\nHost: $ok\r\n'; for i in \$(seq 1000); do printf 'X-%d: y\r\n' \$i; done; printf '\r\n'; } | python3 $ATK/proxyatk.py req $PROXY_PORT"
	answered 431
	run bash -c "{ printf 'CONNECT $ok HTTP/1.1\r\nHost: $ok\r\n'; head -c 1000000 /dev/zero | tr '\0' '\n'; } | python3 $ATK/proxyatk.py req $PROXY_PORT"
	[ "${output:9:1}" = 4 ]
	run get "http://127.0.0.1:$OK_PORT/"
	reached
}

@test "slow clients are cut at the head deadline with a 408 while others are served" {
	run timeout 60 python3 "$ATK/proxyatk.py" slow "$PROXY_PORT" "$OK_PORT" 5
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "allowed meanwhile: HTTP/1.1 200 OK origin-ok" ]
	[ "$(grep -c '^slow [0-9] closed after \(9\.[5-9]\|1[0-4]\.[0-9]\) s: HTTP/1.1 408 Request Timeout$' <<<"$output")" -eq 5 ]
	[ "${lines[6]}" = "still open: 0" ]
}

@test "10,000 concurrent connections: the proxy lives and serves an allowed request after them" {
	run timeout 120 python3 "$ATK/proxyatk.py" many "$PROXY_PORT" "$OK_PORT" 10000
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "opened 10000, established "* ]]
	[ "${lines[1]}" = "allowed after: HTTP/1.1 200 OK origin-ok" ]
	# its threads stayed under the cap (1024) plus the accept thread
	[ "$(awk '/^Threads:/ { print $2 }' "/proc/$PROXY_PID/status")" -le 1025 ]
}

@test "the proxy refuses to start as root, through sudo, or with a capability" {
	args=(--listen 127.0.0.1:1 --user pitest-alice --unit u.service --allow 127.0.0.1:1)
	run "$FIX/bin/pi-proxy" "${args[@]}"
	no_crash
	[ "$status" -eq 1 ]
	[[ "$output" == "pi-proxy: refuses to run with root's powers (uid 0, euid 0, saved uid 0)"* ]]
	# sudo grants pi-runner alone, and the runner has no flag that reaches the proxy
	run atk_as pitest-alice / sudo -n "$FIX/bin/pi-proxy" "${args[@]}"
	[ "$status" -eq 1 ]
	[[ "$output" == *"sudo: a password is required"* ]]
	run atk_as pitest-alice / sudo -n "$FIX/bin/pi-runner" --proxy "${args[@]}"
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == "Usage: pi-runner "* ]]
	run setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=+net_bind_service \
		--ambient-caps=+net_bind_service "$FIX/bin/pi-proxy" "${args[@]}"
	[ "$status" -eq 1 ]
	# pi.c refuses a capability to every name before anything runs
	[[ "$output" == "pi-proxy: must not run with capabilities (file capabilities on the binary, or ambient ones)"* ]]
	run setpriv --reuid=nobody --regid=0 --clear-groups "$FIX/bin/pi-proxy" "${args[@]}"
	[ "$status" -eq 1 ]
	[[ "$output" == "pi-proxy: refuses to run with root's powers (gid 0, egid 0, saved gid 0)"* ]]
	run setpriv --reuid=nobody --regid=nogroup --groups=0 "$FIX/bin/pi-proxy" "${args[@]}"
	[ "$status" -eq 1 ]
	[[ "$output" == "pi-proxy: refuses to run with root's powers (supplementary group 0)"* ]]
}

@test "a malformed allow or deny entry is refused, naming it; a missing option is a usage error" {
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$FIX/bin/pi-proxy" "$@"; }
	base=(--listen 127.0.0.1:1 --user pitest-alice --unit u.service)
	run as_nobody "${base[@]}" --allow 127.0.0.1:1 --allow 'bad host:443'
	[ "$status" -eq 1 ]
	[[ "$output" == "pi-proxy: --allow 'bad host:443': "* ]]
	run as_nobody "${base[@]}" --deny 'example.com:99999'
	[ "$status" -eq 1 ]
	[[ "$output" == "pi-proxy: --deny 'example.com:99999': "* ]]
	run as_nobody --listen 127.0.0.1:1 --user pitest-alice
	[ "$status" -eq 2 ]
	run as_nobody --fd 0 --user pitest-alice --unit u.service
	[ "$status" -eq 1 ]
	[[ "$output" == "pi-proxy: cannot listen on fd 0: "* ]]
}

@test "the log: one line per connection, each field whole, nothing a client sends forges a line" {
	mark_log
	run bash -c "printf 'CONNECT evil\r\nx=1 reason=\"forged\":$OK_PORT HTTP/1.1\r\n\r\n' | python3 $ATK/proxyatk.py req $PROXY_PORT"
	run bash -c "printf 'CONNECT a\"b:$OK_PORT HTTP/1.1\r\nHost: a\"b:$OK_PORT\r\n\r\n' | python3 $ATK/proxyatk.py req $PROXY_PORT"
	run bash -c "printf 'GET http://127.0.0.1:$OK_PORT/ HTTP/1.1\r\nHost: 127.0.0.1:$OK_PORT\r\nX: \x1b[31m\r\n\r\n' | python3 $ATK/proxyatk.py req $PROXY_PORT"
	run tunnel "evil.pitest.example:$OK_PORT"
	run new_log 4
	[ "${#lines[@]}" -eq 4 ]
	for l in "${lines[@]}"; do
		[[ "$l" =~ ^\<86\>[^\]]*\ pi-proxy\[$PROXY_PID\]:\ (allow|deny|fail)\ user=pitest-alice\ unit=pitest-proxy.service\ host=[^\ ]+\ port=[0-9]+\ addr=[^\ ]+\ sent=[0-9]+\ received=[0-9]+\ ms=[0-9]+(\ reason=\"[^\"\\]*\")?$ ]] ||
			{ echo "bad line: $l" >&2; false; }
	done
	[ "$(grep -c forged <<<"$output")" -eq 0 ]
}
