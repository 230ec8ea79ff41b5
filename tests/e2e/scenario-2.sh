# scenario-2.sh - the real pi agent against a loopback mock LLM: directly, through pi, and held for a hardening check.
# shellcheck shell=bash

S2_PORT=18080
S2_PROJ=/home/alice/p/proj-alice
S2_PROMPT="create the e2e files"

scenario_2() {
	s2_mock_start || return 0
	s2_user_config alice
	s2_direct
	if need_launcher "scenario 2 (launcher)"; then
		s2_launcher
		s2_held
	fi
	ctr systemctl stop e2e-mock-llm.service 2>/dev/null || true
}

# s2_mock_start: the mock LLM as a transient service on 127.0.0.1:S2_PORT (container loopback).
s2_mock_start() {
	ctr systemctl stop e2e-mock-llm.service 2>/dev/null || true
	ctr systemd-run --quiet --unit=e2e-mock-llm --collect -p DynamicUser=yes \
		-p RuntimeDirectory=e2e-mock -p RuntimeDirectoryPreserve=yes \
		"$C_NODE/bin/node" "$C_SRC/mock-llm.js" "$S2_PORT" /run/e2e-mock/requests.log 240
	if poll 15 ctr bash -c "exec 3<>/dev/tcp/127.0.0.1/$S2_PORT" 2>/dev/null; then
		pass "2: the mock LLM listens on 127.0.0.1:$S2_PORT"
		return 0
	fi
	fail "2: the mock LLM listens on 127.0.0.1:$S2_PORT" "$(ctr journalctl -u e2e-mock-llm --no-pager | tail)"
	return 1
}

# s2_user_config USER: the user's own ~/.pi/agent points pi at the mock (synced by the launcher).
s2_user_config() {
	as "$1" 'cat >~/.pi/agent/models.json' <<JSON
{
  "providers": {
    "e2e-mock": {
      "baseUrl": "http://127.0.0.1:$S2_PORT/v1",
      "api": "openai-completions",
      "apiKey": "e2e-dummy-key",
      "compat": { "supportsDeveloperRole": false, "supportsReasoningEffort": false },
      "models": [
        { "id": "mock-model", "name": "Mock model", "reasoning": false, "input": ["text"],
          "contextWindow": 32000, "maxTokens": 4096,
          "cost": { "input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0 } }
      ]
    }
  }
}
JSON
	as "$1" 'cat >~/.pi/agent/settings.json' <<'JSON'
{ "defaultProvider": "e2e-mock", "defaultModel": "mock-model",
  "theme": "dark", "e2eManaged": false, "nested": { "a": 1, "b": 1 } }
JSON
}

s2_requests() { { ctr cat /run/e2e-mock/requests.log 2>/dev/null || true; } | wc -l; }

s2_direct() {
	local n0 n1
	ctr rm -f "$S2_PROJ/e2e-written.txt" "$S2_PROJ/e2e-bash.txt"
	n0=$(s2_requests)
	T=90 run_as alice "cd $S2_PROJ && PATH=$C_NODE/bin:\$PATH PI_OFFLINE=1 PI_TELEMETRY=0 \
		PI_SKIP_VERSION_CHECK=1 /opt/pi-real/bin/pi -p --no-session '$S2_PROMPT'"
	n1=$(s2_requests)
	check_eq "2: direct: pi exits 0" 0 "$RC"
	check_has "2: direct: pi prints the model's final text" "$OUT" "E2E-DONE"
	check_eq "2: direct: three requests reached the mock" 3 "$((n1 - n0))"
	check_eq "2: direct: the write tool created the file" "written by the agent" \
		"$(ctr cat "$S2_PROJ/e2e-written.txt" 2>&1)"
	check_eq "2: direct: the bash tool ran as alice in the project" "alice $S2_PROJ" \
		"$(ctr cat "$S2_PROJ/e2e-bash.txt" 2>&1 | paste -sd ' ')"
	[ "$RC" -eq 0 ] || log "direct run stderr: $ERR"
}

s2_launcher() {
	local n0 n1
	write_config /opt/pi-real
	ctr rm -f "$S2_PROJ/e2e-written.txt" "$S2_PROJ/e2e-bash.txt"
	n0=$(s2_requests)
	T=90 run_as alice "cd $S2_PROJ && pi -p --no-session '$S2_PROMPT'"
	n1=$(s2_requests)
	check_eq "2: launcher: pi exits 0" 0 "$RC"
	check_has "2: launcher: pi prints the model's final text" "$OUT" "E2E-DONE"
	check_eq "2: launcher: three requests reached the mock" 3 "$((n1 - n0))"
	check_eq "2: launcher: the write tool created the file" "written by the agent" \
		"$(ctr cat "$S2_PROJ/e2e-written.txt" 2>&1)"
	check_eq "2: launcher: the file has the project group" piproj \
		"$(ctr stat -c %G "$S2_PROJ/e2e-written.txt" 2>&1)"
	check_eq "2: launcher: the bash tool ran as the agent in the project's host path" \
		"pi-agent $S2_PROJ" "$(ctr cat "$S2_PROJ/e2e-bash.txt" 2>&1 | paste -sd ' ')"
	[ "$RC" -eq 0 ] || log "launcher run stderr: $ERR"
	write_config /opt/fake-agent
}

# s2_held: the real agent, held inside its bash tool, is scored by systemd-analyze (the CI gate)
# and its node process checked for the unit's hardening; then git and a pipeline run in the unit.
s2_held() {
	local unit main node status rc
	write_config /opt/pi-real
	ctr rm -rf "$S2_PROJ/.e2e-ready" "$S2_PROJ/.e2e-release" "$S2_PROJ/e2e-held.txt" "$S2_PROJ/e2e-held-repo"
	bg_start s2-held alice "cd $S2_PROJ && pi -p --no-session 'hold: stay up while the unit is scored'"
	if ! poll 60 ctr test -e "$S2_PROJ/.e2e-ready"; then
		fail "2: held: the real agent reaches its bash tool" "$(cat "$E2E_DIR/s2-held.out")"
	else
		pass "2: held: the real agent reaches its bash tool"
		unit=$(ctr ps -o unit= -p "$(ctr pgrep -u pi-agent -n -f e2e-release | head -n1)" | tr -d ' ')
		main=$(ctr systemctl show -P MainPID "${unit:-none}")
		check_eq "2: held: the unit's main process is the launcher's own (pi-agent-init)" \
			/usr/local/bin/pi "$(ctr readlink "/proc/${main:-0}/exe" 2>&1)"
		check_eq "2: held: a memory limit's OOM kill of the agent does not stop the unit" continue \
			"$(ctr systemctl show -P OOMPolicy "${unit:-none}")"
		node=$(ctr pgrep -P "${main:-0}" | head -n1)
		check_eq "2: held: its child is node" "$C_NODE/bin/node" "$(ctr readlink "/proc/${node:-0}/exe" 2>&1)"
		status=$(ctr cat "/proc/${main:-0}/status" 2>&1)
		check_eq "2: held: the main process runs under the syscall filter" 2 "$(s2_status Seccomp "$status")"
		check_eq "2: held: the main process has no_new_privs" 1 "$(s2_status NoNewPrivs "$status")"
		status=$(ctr cat "/proc/${node:-0}/status" 2>&1)
		check_eq "2: held: node runs under the syscall filter" 2 "$(s2_status Seccomp "$status")"
		check_eq "2: held: node has an empty bounding set" 0000000000000000 "$(s2_status CapBnd "$status")"
		check_eq "2: held: node has no_new_privs" 1 "$(s2_status NoNewPrivs "$status")"
		check_exposure 2 "${unit:-none}"
	fi
	ctr touch "$S2_PROJ/.e2e-release"
	rc=0; wait "$BG_PID" || rc=$?
	check_eq "2: held: pi exits 0" 0 "$rc"
	check_has "2: held: pi prints the model's final text" "$(cat "$E2E_DIR/s2-held.out")" "E2E-HELD-DONE"
	check_eq "2: held: git commit and a pipeline ran in the unit" $'1\na,b,c' \
		"$(ctr cat "$S2_PROJ/e2e-held.txt" 2>&1)"
	write_config /opt/fake-agent
}

# s2_status KEY STATUS: the value of KEY in a /proc/PID/status text.
s2_status() { sed -n "s/^$1:[[:space:]]*//p" <<<"$2"; }
