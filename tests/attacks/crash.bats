#!/usr/bin/env bats
# crash.bats - concurrency and crashes: 2 users x 25 simultaneous launches; 200 launches killed with SIGKILL at random moments of their preparation.

bats_require_minimum_version 1.5.0

setup() {
	load atk
	atk_setup
}

# host_files USER: a config dir of USER's own: settings, .env and files naming USER.
host_files() {
	local s i
	s=$(host_cfg "$1")
	printf '{"who": "%s", "nested": {"a": "%s"}}' "$1" "$1" >"$s/settings.json"
	printf 'WHO=%s\n' "$1" >"$s/.env"
	install -d "$s/ext"
	for i in $(seq 20); do echo "$1 $i" >"$s/ext/f$i"; done
	chown -R "$1:$1" "$s"
}

# same_copy SRC DST: DST holds SRC's files and links (the excluded names, settings.json and the
# launcher's trust.json aside).
same_copy() {
	diff -r --no-dereference -x settings.json -x trust.json -x sessions -x auth.json "$1" "$2"
}

@test "2 users x 25 simultaneous launches: every env file and settings.json valid and its user's own" {
	host_files pitest-alice
	host_files pitest-bob
	watch_now
	pids=()
	for i in $(seq 25); do
		pi_as pitest-alice "$A/p" >"$BATS_TEST_TMPDIR/alice.$i" 2>&1 &
		pids+=($!)
		pi_as pitest-bob "$B/p" >"$BATS_TEST_TMPDIR/bob.$i" 2>&1 &
		pids+=($!)
	done
	failed=0
	for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
	[ "$failed" = 0 ]
	[ "$(nlaunches)" = 50 ]
	python3 - "$REC/launch" "$CONF" "$ATK" "$STATE" "$A/.pi/agent" "$B/.pi/agent" <<'PY'
import json, os, sys
launch_dir, conf, atk, state = sys.argv[1:5]
sys.path.insert(0, atk)
import envfile
from seedmerge import dumps, merge
managed = json.load(open(conf))["settings"]
hosts = {"pitest-alice": sys.argv[5], "pitest-bob": sys.argv[6]}
agents = {"pitest-alice": "pitest-agent", "pitest-bob": "pitest-agent2"}
bad = []
for unit in sorted(os.listdir(launch_dir)):
    d = os.path.join(launch_dir, unit)
    argv = [a.decode() for a in open(os.path.join(d, "argv"), "rb").read().split(b"\0")[:-1]]
    user = next(a.split("=", 1)[1] for a in argv if a.startswith("PI_AGENT_INVOKING_USER="))
    other = "pitest-bob" if user == "pitest-alice" else "pitest-alice"
    if "User=" + agents[user] not in argv or ("HOME=%s/users/%s" % (state, user)) not in argv:
        bad.append((unit, "identity"))
    env = envfile.parse_all(d)
    if env.get("WHO") != user or env.get("MANAGED") != "from-config" or env.get("SECRET") != "from-file":
        bad.append((unit, "env", env))
    host = json.load(open(os.path.join(hosts[user], "settings.json")))
    want = dumps(merge(host, managed))
    got = open(os.path.join(d, "settings.json")).read()
    if got != want:
        bad.append((unit, "settings.json", got))
    if other in open(os.path.join(d, "env")).read() or other in got:
        bad.append((unit, "cross-user content"))
assert not bad, bad
PY
	[ -z "$(find "$STATE" "$RUNTIME" -name '*pi-tmp*')" ]
	same_copy "$A/.pi/agent" "$STATE/users/pitest-alice/.pi/agent"
	same_copy "$B/.pi/agent" "$STATE/users/pitest-bob/.pi/agent"
	unchanged
}

@test "200 launches killed with SIGKILL during preparation: nothing half-written, the next launch succeeds" {
	S=$(host_cfg pitest-alice)
	T=300 run timeout -k 5 300 python3 "$ATK/sigkill.py" "$FIX/bin/pi-runner" pitest-alice "$A/p" "$S" "$D" \
		"$RUNTIME/pitest-alice.env" 200
	echo "$output" >&3
	[ "$status" -eq 0 ]
	rm -rf "${REC:?}/launch"/*
	run pi_as pitest-alice "$A/p"
	launched
	same_copy "$S" "$D"
	PYTHONPATH=$ATK python3 - "$CONF" "$S/settings.json" "$D/settings.json" <<'PY'
import json, sys
from seedmerge import dumps, merge
managed = json.load(open(sys.argv[1]))["settings"]
host = json.load(open(sys.argv[2]))
assert open(sys.argv[3]).read() == dumps(merge(host, managed))
PY
	[ "$(head -1 "$RUNTIME/pitest-alice.env.host")" = "$(cat "$S/.env")" ]
	[ -z "$(find "$H" "$RUNTIME" -name '*pi-tmp*')" ]
	# the staged roots of the killed runners are gone (those of runners still alive may stay)
	while IFS= read -r pid; do
		kill -0 "$pid"
	done < <(awk '$2 ~ "^/run/pi-agent-binds/" { split($2, p, "/"); print p[4] }' /proc/mounts | sort -u)
	unchanged
}
