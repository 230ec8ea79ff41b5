#!/usr/bin/env bats
# audit.bats - every launch and denial reaches syslog (LOG_AUTHPRIV), read from a test /dev/log in a private mount namespace.

setup() {
	load fixture
	reset_state
	A=$(home_of pitest-alice)
	LOG=$(mktemp -d)
}

teardown() { rm -rf "$LOG"; }

# in_log_ns CMD...: runs CMD in a private mount namespace whose /dev/log is a test socket;
# the datagrams it received are in $LOG/log afterwards, one per line.
in_log_ns() {
	unshare -m --propagation private bash -s "$LOG" "$@" <<'NS'
log=$1; shift
rm -f "$log/ready"
mount -t tmpfs -o mode=0755 tmpfs /dev
mknod -m 0666 /dev/null c 1 3
mknod -m 0666 /dev/zero c 1 5
mknod -m 0666 /dev/urandom c 1 9
ln -s /proc/self/fd /dev/fd
python3 - "$log" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
open(sys.argv[1] + "/ready", "w").close()
s.settimeout(30)
with open(sys.argv[1] + "/log", "a") as out:
    while True:
        data = s.recv(65536).decode(errors="replace")
        if data.endswith("END-OF-TEST"):
            break
        out.write(data + "\n")
        out.flush()
PY
for i in $(seq 200); do [ -e "$log/ready" ] && break; read -r -t 0.05 <> <(:) || true; done
"$@"
rc=$?
python3 -c 'import socket; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b"END-OF-TEST", "/dev/log")'
wait
exit $rc
NS
}

@test "a launch is logged with who, where, which roots, the agent and the unit" {
	run in_log_ns setpriv --reuid pitest-alice --regid pitest-alice --init-groups --reset-env \
		env -C "$A/p" PATH="$FIX/bin:/usr/bin:/bin" pi
	[ "$status" -eq 0 ]
	unit=$(recorded_argv | sed -n 's/^--unit=//p')
	grep -q "^<85>.*pi-runner\[[0-9]*\]: launch user=pitest-alice cwd=$A/p agent=pitest-agent unit=$unit slice=pi-agent-pitest\\\\x2dalice\\.slice roots=$A/p,$A/p2,$FIX/shared network=open$" "$LOG/log"
	grep -q "pi-runner\[[0-9]*\]: end user=pitest-alice cwd=$A/p unit=$unit status=0$" "$LOG/log"
}

@test "denials are logged by pi and by the runner with their reason" {
	run in_log_ns setpriv --reuid pitest-carol --regid pitest-carol --init-groups --reset-env \
		env -C / PATH="$FIX/bin:/usr/bin:/bin" pi
	[ "$status" -eq 1 ]
	grep -q "pi\[[0-9]*\]: deny user=pitest-carol cwd=? reason=not-in-hostUsers$" "$LOG/log"
	run in_log_ns setpriv --reuid pitest-alice --regid pitest-alice --init-groups --reset-env \
		env -C /tmp PATH="$FIX/bin:/usr/bin:/bin" sudo -n "$FIX/bin/pi-runner" pitest-alice /tmp
	[ "$status" -eq 1 ]
	grep -q "pi-runner\[[0-9]*\]: deny user=pitest-alice cwd=/tmp reason=outside-roots$" "$LOG/log"
	run in_log_ns setpriv --reuid pitest-alice --regid pitest-alice --init-groups --reset-env \
		env -C / PATH="$FIX/bin:/usr/bin:/bin" sudo -n "$FIX/bin/pi-runner" pitest-bob /
	[ "$status" -eq 1 ]
	grep -q "deny user=pitest-alice cwd=? reason=\"named another user\" named=pitest-bob$" "$LOG/log"
}

@test "a log value cannot forge a field or a line" {
	d="$A/p/x y\"z
deny user=root"
	mkdir -p "$d"
	run in_log_ns "$FIX/bin/pi-runner" pitest-alice "$d"
	[ "$status" -eq 1 ]
	[ "$(grep -c . "$LOG/log")" -eq 1 ]
	grep -q 'reason=policy-error$' "$LOG/log"
	grep -q 'cwd="/home/pitest-alice/p/x y\\"z\\x0adeny user=root"' "$LOG/log"
}

@test "a launch line longer than 1,024 bytes (musl's syslog cuts there) reaches the log whole" {
	long=$(printf 'd%.0s' $(seq 200))
	cwd="$A/p/$long/$long/$long/$long/$long/$long/$long"
	setpriv --reuid pitest-alice --regid pitest-alice --init-groups mkdir -p "$cwd"
	run in_log_ns setpriv --reuid pitest-alice --regid pitest-alice --init-groups --reset-env \
		env -C "$cwd" PATH="$FIX/bin:/usr/bin:/bin" pi
	[ "$status" -eq 0 ]
	line=$(grep "pi-runner\[[0-9]*\]: launch " "$LOG/log")
	[ "${#line}" -gt 1100 ]
	[[ "$line" == *" launch user=pitest-alice cwd=$cwd agent=pitest-agent "*" network=open" ]]
}
