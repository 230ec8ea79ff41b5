#!/usr/bin/env bats
# env.bats - attacks through environment variables: config names with '=' and values with newlines or NUL, a host .env that swallows what follows it, the caller's own environment.

bats_require_minimum_version 1.5.0

setup() {
	load atk
	atk_setup
	S=$(host_cfg pitest-alice)
}

# config_refused PATCH WHY: the runner refuses the config patched with PATCH, saying WHY.
config_refused() {
	write_config "$1"
	run atk_as pitest-alice "$A/p" sudo -n "$FIX/bin/pi-runner" pitest-alice "$A/p"
	refused
	[[ "$output" == *"pi-runner: $CONF: line "*"$2"* ]] || { echo "output: $output" >&2; return 1; }
}

# host_env BYTES: alice's .env (a Python bytes expression).
host_env() {
	python3 -c "import sys; sys.stdout.buffer.write($1)" >"$S/.env"
	chown pitest-alice "$S/.env"
}

# effective NAME: the value NAME has in the unit, as systemd builds it: -E assignments, then
# the EnvironmentFiles (which override them, systemd.exec(5)); checked against systemd 252.
effective() { python3 "$ATK/effective.py" "$(rec)/argv" "$(rec)" "$1"; }

@test "a config environment name with '=' is refused" {
	config_refused '{"environment": {"LD_PRELOAD=/tmp/x.so": "1"}}' "is not a valid environment variable name"
	config_refused '{"wrapper": {"extraEnvironment": {"A=B": "1"}}}' "is not a valid environment variable name"
}

@test "a wrapper.extraEnvironment value with a newline is refused (it goes on the systemd-run command line)" {
	config_refused '{"wrapper": {"extraEnvironment": {"A": "x\nB=1"}}}' "must not contain newlines or other control characters"
	config_refused '{"wrapper": {"extraEnvironment": {"A": "x\rB=1"}}}' "must not contain newlines or other control characters"
}

@test "a config environment value with a noncharacter systemd refuses is refused at load, naming the key" {
	config_refused '{"environment": {"BAD": "x\ufdd0"}}' "environment.BAD: holds a Unicode noncharacter"
	config_refused '{"environment": {"BAD": "\udbff\udfff"}}' "environment.BAD: holds a Unicode noncharacter"
}

# env_is PYTHON-DICT: the unit's env files, each read on its own as systemd 252 reads it, later
# ones winning, give these names exactly these values (None: unset).
env_is() {
	python3 - "$(rec)" "$1" <<'PY'
import ast, os, sys
sys.path.insert(0, os.environ["ATK"])
import envfile
env = envfile.parse_all(sys.argv[1])
want = ast.literal_eval(sys.argv[2])
bad = {k: (env.get(k), v) for k, v in want.items() if env.get(k) != v}
if bad:
    sys.exit("got != want: %r" % bad)
PY
}

@test "every special character in a config environment value reaches the agent byte for byte, and forges nothing" {
	export ATK
	write_config '{"environment": {
		"BACKSLASH": "x\\", "DQ_LEAD": "\"x", "DQ_TRAIL": "x\"", "SQ_LEAD": "'"'"'x", "SQ_TRAIL": "x'"'"'",
		"DOLLAR": "$HOME", "BRACE": "${HOME}", "TICK": "`id`", "HASH": "#x", "SEMI": ";x",
		"SPACES": "  x  ", "TABS": "\tx\t", "NEWLINE": "x\nFORGED=1", "EQ": "a=b", "UTF8": "caf\u00e9 \u20ac \ud83d\ude00",
		"CTL": "\u0001\u001b[0m\r\u007f", "MANAGED": "from-config", "SHARED": "x\\"}}'
	run pi_as pitest-alice "$A/p"
	launched
	env_is "{'BACKSLASH': 'x\\\\', 'DQ_LEAD': '\"x', 'DQ_TRAIL': 'x\"', 'SQ_LEAD': \"'x\", 'SQ_TRAIL': \"x'\",
		'DOLLAR': '\$HOME', 'BRACE': '\${HOME}', 'TICK': '\`id\`', 'HASH': '#x', 'SEMI': ';x',
		'SPACES': '  x  ', 'TABS': '\\tx\\t', 'NEWLINE': 'x\\nFORGED=1', 'FORGED': None, 'EQ': 'a=b',
		'UTF8': 'caf\\u00e9 \\u20ac \\U0001f600', 'CTL': '\\x01\\x1b[0m\\r\\x7f',
		'MANAGED': 'from-config', 'SECRET': 'from-file', 'SHARED': 'file'}"
}

@test "an environmentFiles file ending in a backslash or an open quote swallows nothing of the next one" {
	export ATK
	printf 'TRAIL=x\\' >"$FIX/trail.env"
	printf 'QUOTE="open\nLOST=1\n' >"$FIX/quote.env"
	chmod 0600 "$FIX/trail.env" "$FIX/quote.env"
	write_config "{\"environment\": {\"LAST\": \"x\\\\\"}, \"environmentFiles\": [\"$FIX/trail.env\", \"$FIX/quote.env\", \"$FIX/secret.env\"]}"
	run pi_as pitest-alice "$A/p"
	launched
	env_is "{'LAST': 'x\\\\', 'TRAIL': 'x', 'SECRET': 'from-file', 'SHARED': 'file', 'MANAGED': 'from-config'}"
	[ "$(argv_lines | grep -c '^EnvironmentFile=')" = 5 ]
}

@test "a config environment value with a NUL is refused" {
	config_refused '{"environment": {"A": "x\u0000B=1"}}' "must not contain NUL or lone surrogates"
	config_refused '{"environmentFiles": ["/etc/x\u0000.env"]}' "must not contain NUL or lone surrogates"
	config_refused '{"environmentFiles": ["/etc/x\n.env"]}' "must be an absolute path"
}

@test "a host .env that opens a quote cannot swallow the managed environment and the secrets" {
	host_env 'b"MINE=1\nSWALLOW=\""'
	run pi_as pitest-alice "$A/p"
	launched
	[ "$(effective MINE)" = 1 ]
	[ "$(effective MANAGED)" = from-config ]
	[ "$(effective SECRET)" = from-file ]
	[ "$(effective SHARED)" = file ]
}

@test "a host .env ending in a backslash cannot swallow the managed environment" {
	host_env 'b"MINE=1\nSWALLOW=x\\"'
	run pi_as pitest-alice "$A/p"
	launched
	[ "$(effective MANAGED)" = from-config ]
	[ "$(effective SECRET)" = from-file ]
}

@test "a NUL byte in the host .env is refused by the runner, not left for systemd to fail the unit" {
	# systemd 252 refuses an EnvironmentFile with a NUL byte: the unit would not start
	host_env 'b"MINE=1\nCUT=a\x00b\n"'
	run pi_as pitest-alice "$A/p"
	no_crash
	unchanged
	if [ "$status" -eq 0 ]; then
		[ "$(tr -d '\0' <"$(rec)/env" | wc -c)" = "$(wc -c <"$(rec)/env")" ]
		[ "$(effective MANAGED)" = from-config ]
	else
		[ "$status" -eq 1 ] && [ "$(nlaunches)" -eq 0 ]
		[[ "$output" == *"$S/.env"* ]]
	fi
}

@test "a host .env overrides only what its own agent could set anyway, never the managed environment or the identity" {
	# As with the seed, systemd gives the env files precedence over -E: alice's .env may set
	# HOME or PATH for her own agent (which can change its own environment anyway), but the
	# admin's environment and environmentFiles come later and win, and nothing in it changes
	# who the unit runs as or what it binds.
	host_env 'b"HOME=/tmp\nPI_AGENT_INVOKING_USER=pitest-bob\nMANAGED=mine\nSECRET=mine\nSHARED=mine\n"'
	run pi_as pitest-alice "$A/p"
	launched
	[ "$(effective MANAGED)" = from-config ]
	[ "$(effective SECRET)" = from-file ]
	[ "$(effective SHARED)" = file ]
	[ "$(prop User)" = pitest-agent ]
	[ "$(prop WorkingDirectory)" = "$A/p" ]
	argv_lines | grep -qxF "PI_AGENT_INVOKING_USER=pitest-alice"
}

@test "the caller's environment never reaches systemd-run, its argv or the env file" {
	run atk_as pitest-alice "$A/p" env LD_LIBRARY_PATH=/tmp/evil BASH_ENV=/tmp/evil.sh \
		NODE_OPTIONS=--require=/tmp/evil.js SUDO_UID=0 \
		SYSTEMD_LOG_LEVEL=debug 'TERM=xterm
EVIL=1' 'X=Y=EVIL' PATH="/tmp/evil:$FIX/bin:/usr/bin:/bin" pi
	launched
	[ "$(tr '\0' '\n' <"$(rec)/environ" | grep -v '^PWD=' | LC_ALL=C sort)" = "PATH=/usr/sbin:/usr/bin:/sbin:/bin" ]
	[ "$(grep -c 'evil\|EVIL' "$(rec)/argv" "$(rec)/env" | grep -vc ':0$')" = 0 ]
}

@test "a TERM with a newline, '=' or 100 characters never reaches the unit, even on a terminal" {
	for term in 'xterm
EVIL=1' 'xterm=EVIL' "$(printf 'x%.0s' $(seq 100))" 'xterm;EVIL'; do
		rm -rf "${REC:?}/launch"/*
		run atk_as pitest-alice "$A/p" env TERM="$term" script -qec pi /dev/null
		launched
		argv_lines | grep -qx -- --pty
		[ "$(argv_lines | grep -c '^TERM=')" = 0 ]
		[ "$(tr '\0' '\n' <"$(rec)/environ" | grep -c '^TERM=')" = 0 ]
	done
	rm -rf "${REC:?}/launch"/*
	run atk_as pitest-alice "$A/p" env TERM=xterm-256color script -qec pi /dev/null
	launched
	argv_lines | grep -qx TERM=xterm-256color
}
