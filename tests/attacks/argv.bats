#!/usr/bin/env bats
# argv.bats - attacks through the command line: a 1 MB argument, 100,000 arguments, arguments that look like systemd-run options, argv[0] games.

bats_require_minimum_version 1.5.0

setup() {
	load atk
	atk_setup
}

# args_as_sent FILE: the recorded arguments after the agent's path and --from-config equal
# the NUL-separated arguments in FILE.
args_as_sent() {
	python3 - "$(rec)/argv" "$1" "$FIX/pkg/bin/pi" <<'PY'
import sys
argv = open(sys.argv[1], "rb").read().split(b"\0")[:-1]
want = open(sys.argv[2], "rb").read().split(b"\0")[:-1]
at = argv.index(sys.argv[3].encode())
assert argv[at + 1] == b"--from-config", argv[at + 1]
got = argv[at + 2:]
assert got == want, (len(got), len(want))
PY
}

@test "a 1 MB argument is refused by the kernel before pi runs; nothing launches" {
	run atk_as pitest-alice "$A/p" pi "$(head -c 1048576 /dev/zero | tr '\0' x)"
	no_crash
	[ "$status" -ne 0 ]
	[[ "$output" == *"Argument list too long"* ]]
	[ "$(nlaunches)" -eq 0 ]
	unchanged
}

@test "eight arguments of the largest size the kernel allows (1 MB in all) reach the agent untouched" {
	python3 -c 'import sys; sys.stdout.buffer.write(b"".join(bytes([65 + i]) * 131071 + b"\0" for i in range(8)))' \
		>"$BATS_TEST_TMPDIR/args"
	run atk_as pitest-alice "$A/p" xargs -0 -x -s 2000000 pi <"$BATS_TEST_TMPDIR/args"
	launched
	args_as_sent "$BATS_TEST_TMPDIR/args"
}

@test "100,000 arguments reach the agent untouched and in order" {
	python3 -c '
import sys
out = [b"", b" ", b"a b", b"new\nline", b"\xff", b"-p", b"--"] + [b"%d" % i for i in range(99993)]
sys.stdout.buffer.write(b"".join(a + b"\0" for a in out))' >"$BATS_TEST_TMPDIR/args"
	T=60 run atk_as pitest-alice "$A/p" xargs -0 -x -s 2000000 pi <"$BATS_TEST_TMPDIR/args"
	launched
	args_as_sent "$BATS_TEST_TMPDIR/args"
}

@test "arguments that look like systemd-run options stay the agent's" {
	printf '%s\0' --property=User=root -p User=root --uid=0 -E LD_PRELOAD=/tmp/x.so --unit=evil \
		-- --setenv=A=1 >"$BATS_TEST_TMPDIR/args"
	run atk_as pitest-alice "$A/p" xargs -0 pi <"$BATS_TEST_TMPDIR/args"
	launched
	args_as_sent "$BATS_TEST_TMPDIR/args"
	# before the agent's path: one User=, no --uid, the runner's own unit name
	before_agent=$(argv_lines | sed "\|^$FIX/pkg/bin/pi\$|q")
	[ "$(grep -c '^User=' <<<"$before_agent")" = 1 ]
	grep -qx User=pitest-agent <<<"$before_agent"
	[ "$(grep -c -- '--uid\|LD_PRELOAD\|--unit=evil' <<<"$before_agent")" = 0 ]
}

@test "the binary started by alice under the runner's name does not act as the runner" {
	run atk_as pitest-alice "$A/p" bash -c "exec -a pi-runner '$FIX/bin/pi' pitest-bob '$B/p'"
	refused
	[ "$output" = "pi-runner must run as root" ]
	run atk_as pitest-alice "$A/p" bash -c "exec -a m3ta-pi-agent-runner '$FIX/bin/pi' pitest-bob '$B/p'"
	refused
	[ "$output" = "m3ta-pi-agent-runner must run as root" ]
}
