#!/usr/bin/env bats
# json.bats - hostile JSON in the host settings.json and in the config: deep nesting, 100 MB, invalid UTF-8, NUL, duplicate keys, 1e400, lone surrogates.

bats_require_minimum_version 1.5.0

setup() {
	load atk
	atk_setup
	S=$(host_cfg pitest-alice)
}

# host_settings PYTHON-EXPR: writes the bytes the expression gives as alice's settings.json.
host_settings() {
	python3 -c "import sys; sys.stdout.buffer.write($1)" >"$S/settings.json"
	chown pitest-alice "$S/settings.json"
}

# merged_as_python [invalid]: the agent's settings.json is byte for byte the seed's Python merge
# of alice's settings.json (of {} when invalid) with the managed settings.
merged_as_python() {
	PYTHONPATH=$ATK python3 - "$CONF" "$S/settings.json" "$D/settings.json" "${1:-}" <<'PY'
import json, sys
from seedmerge import dumps, merge
conf, host, out, invalid = sys.argv[1:]
managed = json.load(open(conf))["settings"]
base = {} if invalid else json.loads(open(host, "rb").read().decode("utf-8"))
want = dumps(merge(base if isinstance(base, dict) else {}, managed)).encode("ascii")
got = open(out, "rb").read()
assert got == want, (got[:300], want[:300])
PY
}

# ignored_with WHY: the launch went on, warning about alice's file with WHY; managed settings alone.
ignored_with() {
	launched
	[[ "$output" == *"pi-runner: warning: ignoring $S/settings.json: "*"$1"*"; using the managed settings alone"* ]] ||
		{ echo "output: $output" >&2; return 1; }
	merged_as_python invalid
}

@test "settings nested 100,000 deep are ignored with their position" {
	host_settings 'b"[" * 100000 + b"]" * 100000'
	run pi_as pitest-alice "$A/p"
	ignored_with "line 1 col 513: nesting deeper than 512"
}

@test "a 100 MB settings.json is ignored within bounds" {
	host_settings 'b"{\"a\": \"" + b"x" * (100 << 20) + b"\"}"'
	run measured "$FIX/bin/pi-runner" pitest-alice "$A/p"
	small_and_quick
	ignored_with "larger than 1 MiB"
}

@test "16 MB of tiny tokens keep the runner's memory small" {
	host_settings 'b"{\"a\": [" + b"0," * ((16 << 20) // 2 - 16) + b"0]}"'
	run measured "$FIX/bin/pi-runner" pitest-alice "$A/p"
	launched
	small_and_quick
}

@test "invalid UTF-8 in settings.json is ignored with its position" {
	host_settings 'b"{\"theme\": \"dark\xff\xfe\"}"'
	run pi_as pitest-alice "$A/p"
	ignored_with "line 1 col 16: invalid UTF-8"
}

@test "a raw NUL byte in a settings string is ignored with its position" {
	host_settings 'b"{\"theme\": \"da\x00rk\"}"'
	run pi_as pitest-alice "$A/p"
	ignored_with "line 1 col 14: control character in string"
}

@test "escaped NULs and lone surrogates in settings are merged exactly as Python does" {
	host_settings 'b"{\"k\\u0000ey\": \"v\\u0000al\", \"lone\": \"\\ud800x\\udfff\", \"pair\": \"\\ud83d\\ude00\", \"nested\": {\"a\\u0000\": 1}}"'
	run pi_as pitest-alice "$A/p"
	launched
	merged_as_python
}

@test "duplicate keys in settings are merged as Python does: the last one wins" {
	host_settings 'b"{\"theme\": \"first\", \"nested\": {\"a\": 1}, \"theme\": \"last\", \"nested\": {\"z\": 2}, \"defaultProvider\": \"x\", \"defaultProvider\": \"y\"}"'
	run pi_as pitest-alice "$A/p"
	launched
	merged_as_python
	grep -q '"theme": "last"' "$D/settings.json"
}

@test "1e400 in settings is ignored with its position, never written as Infinity" {
	host_settings 'b"{\"a\": 1, \"big\": 1e400}"'
	run pi_as pitest-alice "$A/p"
	ignored_with "line 1 col 17: number out of range"
	[ "$(grep -c Infinity "$D/settings.json")" = 0 ]
}

@test "hostile JSON in the config is refused by the runner with its position" {
	good=$(cat "$CONF")
	refuse() {
		python3 -c "import sys; sys.stdout.buffer.write($1)" >"$CONF"
		chmod 0644 "$CONF"
		run atk_as pitest-alice "$A/p" sudo -n "$FIX/bin/pi-runner" pitest-alice "$A/p"
		refused
		[[ "$output" == *"pi-runner: $CONF: $2"* ]] || { echo "output: $output" >&2; return 1; }
		run pi_as pitest-alice "$A/p"
		refused
	}
	refuse 'b"{\"settings\": " + b"[" * 600 + b"]" * 600 + b"}"' "line 1 col 525: nesting deeper than 512"
	refuse 'b"{\"settings\": {\"a\": \"" + b"x" * (17 << 20) + b"\"}}"' "cannot read: File too large"
	refuse 'b"{\"user\": \"pi\xc0\xafagent\"}"' "line 1 col 13: invalid UTF-8"
	refuse 'b"{\"stateDir\": \"/var/lib/pi\\u0000x\"}"' "line 1 col 14: stateDir: must not contain NUL or lone surrogates"
	refuse 'b"{\"package\": \"/opt/\\ud800\"}"' "line 1 col 13: package: must not contain NUL or lone surrogates"
	refuse 'b"{\"user\": \"pitest-agent\", \"user\": \"root\"}"' "line 1 col 26: user: duplicate key"
	refuse 'b"{\"settings\": {\"x\": -1e400}}"' "line 1 col 20: number out of range"
	refuse 'b"\xef\xbb\xbf{}"' "line 1 col 1: unexpected UTF-8 BOM"
	printf '%s\n' "$good" >"$CONF"
}
