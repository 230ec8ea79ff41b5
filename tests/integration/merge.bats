#!/usr/bin/env bats
# merge.bats - pi-merge: the settings a user's agent gets, errors with positions, atomic -o, no root via sudo.

setup() {
	load fixture
	reset_state
	W=$(mktemp -d)
	chmod 0755 "$W"
	printf '{"b": {"x": 1, "y": [1, 2]}, "a": "\\u00e9", "k": 1}' >"$W/base.json"
	printf '{"b": {"y": null, "z": 1.50}, "k": {"n": true}}' >"$W/over.json"
}

teardown() { rm -rf "$W"; }

@test "pi-merge BASE OVERRIDE prints the seed's merge as Python prints it" {
	run "$FIX/bin/pi-merge" "$W/base.json" "$W/over.json"
	[ "$status" -eq 0 ]
	expected=$(python3 -c '
import json, sys
def m(b, o):
    if isinstance(b, dict) and isinstance(o, dict):
        r = dict(b)
        for k, v in o.items(): r[k] = m(r.get(k), v)
        return r
    return o
print(json.dumps(m(json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))), indent=2, sort_keys=True))' "$W/base.json" "$W/over.json")
	[ "$output" = "$expected" ]
	[[ "$output" == *'"a": "\u00e9"'* ]]
}

@test "pi-merge BASE uses the config's managed settings as the override" {
	run "$FIX/bin/pi-merge" "$W/base.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"defaultProvider": "managed"'* ]]
	[[ "$output" == *'"c": null'* ]]
	run env PI_AGENT_CONFIG="$W/none.json" "$FIX/bin/pi-merge" "$W/base.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$W/none.json: cannot open: No such file or directory"* ]]
}

@test "invalid input names file, line, column and reason, and -o writes nothing" {
	printf '{\n  "a": [1, 2,]\n}' >"$W/bad.json"
	echo keep >"$W/out.json"
	run "$FIX/bin/pi-merge" "$W/base.json" "$W/bad.json" -o "$W/out.json"
	[ "$status" -eq 1 ]
	[[ "$output" == "pi-merge: $W/bad.json: line 2 col "*": "* ]]
	[ "$(cat "$W/out.json")" = keep ]
	[ "$(ls "$W")" = "$(printf 'bad.json\nbase.json\nout.json\nover.json')" ]
}

@test "-o replaces the output atomically with the merge" {
	run "$FIX/bin/pi-merge" "$W/base.json" "$W/over.json" -o "$W/out.json"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(cat "$W/out.json")" = "$("$FIX/bin/pi-merge" "$W/base.json" "$W/over.json")" ]
	[ "$(ls "$W")" = "$(printf 'base.json\nout.json\nover.json')" ]
}

@test "a 100,000-deep document is refused with a clear error, not a crash" {
	python3 -c 'print("[" * 100000 + "]" * 100000)' >"$W/deep.json"
	run "$FIX/bin/pi-merge" "$W/deep.json" "$W/over.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$W/deep.json: line 1 col 513: "*"nesting"* ]]
}

@test "a file over the size limit is refused" {
	truncate -s 17M "$W/big.json"
	run "$FIX/bin/pi-merge" "$W/big.json" "$W/over.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot read $W/big.json: larger than"* ]]
}

@test "usage errors exit 2" {
	run "$FIX/bin/pi-merge"
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == "usage: pi-merge BASE.json [OVERRIDE.json] [-o OUT]" ]]
	run "$FIX/bin/pi-merge" a b c
	[ "$status" -eq 2 ]
	run "$FIX/bin/pi-merge" --bogus a
	[ "$status" -eq 2 ]
}

@test "pi-merge refuses to run as root through sudo" {
	run env SUDO_UID=1000 "$FIX/bin/pi-merge" "$W/base.json" "$W/over.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"refusing to run as root for someone else (through sudo, doas or su from their login)"* ]]
}

@test "the merge matches Python on generated documents" {
	run python3 "$PI_TOP/tests/merge-vs-python.py" "$FIX/bin/pi-merge"
	echo "$output" | tail -3
	[ "$status" -eq 0 ]
}

@test "pi-merge and PI_AGENT_CONFIG read regular files given as /dev/fd/N (magic links are the caller's own)" {
	run bash -c 'exec 3<"$2/base.json" 4<"$2/over.json"; "$1/bin/pi-merge" /dev/fd/3 /dev/fd/4' _ "$FIX" "$W"
	[ "$status" -eq 0 ]
	[ "$output" = "$("$FIX/bin/pi-merge" "$W/base.json" "$W/over.json")" ]
	run bash -c 'exec 5</etc/pi-agent/config.json; PI_AGENT_CONFIG=/dev/fd/5 "$1/bin/pi-merge" "$2/base.json"' _ "$FIX" "$W"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"defaultProvider": "managed"'* ]]
}
