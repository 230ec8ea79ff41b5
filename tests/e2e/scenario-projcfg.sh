# scenario-projcfg.sh - projectConfig with pi 0.73.1 (Node 20) and pi 1.6.0 (Node 22): what a project's .pi can set under admin-wins, deny and allow.
# shellcheck shell=bash

SP_ROOT=/home/alice/p
SP_TOP=$SP_ROOT/pcproj
SP_CWD=$SP_TOP/deep          # two levels below the root; the project's .pi is here
SP_PKG=$SP_ROOT/pc-pkg       # a local package for `pi install`
SP_AGENT_DIR=/var/lib/pi-agent/users/alice/.pi/agent
SP_PROMPT="say which model you are"

scenario_projcfg() {
	local agent mode
	need_launcher "scenario projcfg" || return 0
	if ! [ -f "$E2E_DIR/agent-1.6.0/node_modules/@earendil-works/pi-coding-agent/package.json" ]; then
		fail "projcfg: pi 1.6.0 is installed (run.sh installs it for this scenario)"
		return 0
	fi
	s2_mock_start || return 0
	sp_user_config
	sp_project
	SP_BEFORE=$(sp_snapshot)
	SP_USER_BEFORE=$(sp_user_snapshot)
	for agent in 0.73.1 1.6.0; do
		for mode in admin-wins deny allow; do
			sp_models "$agent" "$mode"
			sp_shell "$agent" "$mode"
		done
		sp_install "$agent"
	done
	sp_mcp admin-wins
	sp_mcp allow
	sp_explain
	sp_links
	check_eq "projcfg: alice's config dir is unchanged by every launch" "$SP_USER_BEFORE" \
		"$(sp_user_snapshot)"
	ctr systemctl stop e2e-mock-llm.service 2>/dev/null || true
	ctr rm -rf "$SP_TOP" "$SP_PKG" "$SP_ROOT/pclink"
	write_config /opt/fake-agent
}

# sp_config AGENT MODE [TOOLS]: the real agent AGENT (0.73.1 or 1.6.0) with its Node; MODE set
# the three ways a config can: admin-wins by default (no key), deny as alice's own key over a
# top-level allow, allow at the top level. TOOLS=1: the admin's settings also say
# defaultTools ["read"].
sp_config() {
	if [ "$1" = 1.6.0 ]; then
		E2E_NODE_BIN=$C_NODE22/bin write_config /opt/pi-real16
	else
		write_config /opt/pi-real
	fi
	case $2 in
	deny)
		ctr sed -i -e 's|"alice": { "projectRoots": \["~/p"\] }|"alice": { "projectRoots": ["~/p"], "projectConfig": "deny" }|' \
			-e 's|^  "projectGroup": "piproj",|&\n  "projectConfig": "allow",|' /etc/pi-agent/config.json ;;
	allow)
		ctr sed -i 's|^  "projectGroup": "piproj",|&\n  "projectConfig": "allow",|' /etc/pi-agent/config.json ;;
	esac
	[ "${3:-}" != 1 ] || ctr sed -i 's|"e2eManaged": true,|& "defaultTools": ["read"],|' /etc/pi-agent/config.json
}

# alice's own config: the mock provider with two models, her settings, and a trust.json of hers
# that trusts the project (the launcher never copies it).
sp_user_config() {
	s2_user_config alice
	as alice 'cat >~/.pi/agent/models.json' <<JSON
{ "providers": { "e2e-mock": {
  "baseUrl": "http://127.0.0.1:$S2_PORT/v1", "api": "openai-completions", "apiKey": "e2e-dummy-key",
  "compat": { "supportsDeveloperRole": false, "supportsReasoningEffort": false },
  "models": [
    { "id": "mock-model", "name": "Mock model", "reasoning": false, "input": ["text"],
      "contextWindow": 32000, "maxTokens": 4096, "cost": { "input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0 } },
    { "id": "project-model", "name": "Project model", "reasoning": false, "input": ["text"],
      "contextWindow": 32000, "maxTokens": 4096, "cost": { "input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0 } }
  ] } } }
JSON
	as alice "printf '{ \"%s\": true }\n' $SP_CWD >~/.pi/agent/trust.json"
}

# The repository: its .pi asks for project-model, tools bash and write, its own shell, and
# loads a marker extension; an ancestor's .agents/skills holds a skill whose description marks
# the system prompt. Group-writable (piproj), so that pi can lock its files as the agent.
sp_project() {
	ctr rm -rf "$SP_TOP" "$SP_PKG"
	as alice "set -e; umask 007
		mkdir -p $SP_CWD/.pi/extensions $SP_TOP/.agents/skills/e2e-skill $SP_PKG
		cat >$SP_CWD/.pi/settings.json <<'J'
{ \"defaultProvider\": \"e2e-mock\", \"defaultModel\": \"project-model\",
  \"defaultTools\": [\"read\", \"bash\", \"write\"], \"shellPath\": \"$SP_CWD/evil-shell.sh\" }
J
		printf '%s\n' '#!/bin/bash' 'echo ran >>$SP_CWD/e2e-evil-shell' 'exec /bin/bash \"\$@\"' >$SP_CWD/evil-shell.sh
		chmod 0770 $SP_CWD/evil-shell.sh
		cat >$SP_CWD/.pi/extensions/marker.ts <<'J'
import { writeFileSync } from \"node:fs\";
export default function (pi: unknown) { writeFileSync(process.cwd() + \"/e2e-ext-loaded\", \"loaded\\n\"); }
J
		printf '%s\n' '---' 'name: e2e-skill' 'description: E2E-MARK-SKILL a skill of the repository' '---' 'Nothing.' \
			>$SP_TOP/.agents/skills/e2e-skill/SKILL.md
		printf '%s\n' '{ \"name\": \"e2e-local-pkg\", \"version\": \"1.0.0\", \"pi\": { \"extensions\": [\"./ext.ts\"] } }' \
			>$SP_PKG/package.json
		printf '%s\n' 'export default function () {}' >$SP_PKG/ext.ts
		printf '%s\n' '{ \"mcpServers\": { \"e2e-proj-server\": { \"command\": \"/bin/true\" } } }' \
			>$SP_CWD/.pi/mcp.json
		chgrp -R piproj $SP_TOP $SP_PKG
		find $SP_TOP $SP_PKG -type d -exec chmod 2770 {} +"
}

# What is in the repository (but the files the agent makes, e2e-*), with owners, modes and hashes.
sp_snapshot() {
	ctr bash -c "cd $SP_TOP && find . -name 'e2e-*' -prune -o -printf '%p %y %s %m %U:%G\n' | sort &&
		find . -type f -not -name 'e2e-*' -exec sha256sum {} + | sort"
}
sp_user_snapshot() {
	ctr bash -c "cd /home/alice/.pi/agent && find . -printf '%p %y %s %m\n' | sort &&
		find . -type f -exec sha256sum {} + | sort"
}

# sp_run ARGS: pi ARGS as alice in SP_CWD; LAST is the last request the mock saw (or nothing).
sp_run() {
	local n0 n1
	ctr rm -f "$SP_CWD/e2e-ext-loaded" "$SP_CWD/e2e-evil-shell" "$SP_CWD/e2e-bash.txt" "$SP_CWD/e2e-written.txt"
	n0=$(s2_requests)
	T=120 run_as alice "cd $SP_CWD && pi $1"
	n1=$(s2_requests)
	LAST=""
	[ "$n1" -le "$n0" ] || LAST=$(ctr tail -n 1 /run/e2e-mock/requests.log)
}
sp_json() { sed -n "s/.*\"$1\":\(\"[^\"]*\"\|\[[^]]*\]\).*/\1/p" <<<"$LAST"; }

# sp_models AGENT MODE: the model, the tools, the extension and the skill each launch gets:
# plain, with -a and with a trust.json that the agent saved (pi 1.6.0: 0.73.1 has no trust).
sp_models() {
	local agent=$1 mode=$2 how args want wtools wext wskill n
	sp_config "$agent" "$mode" 1
	for how in plain -a saved; do
		[ "$agent" = 1.6.0 ] || [ "$how" = plain ] || continue
		args="-p --no-session '$SP_PROMPT'"
		[ "$how" != -a ] || args="-a $args"
		[ "$how" != saved ] || ctr bash -c "printf '{ \"%s\": true }\n' $SP_CWD >$SP_AGENT_DIR/trust.json &&
			chown pi-agent:pi-agent $SP_AGENT_DIR/trust.json"
		sp_run "$args"
		n="projcfg: $agent $mode $how"
		check_eq "$n: pi exits 0" 0 "$RC"
		check_has "$n: the model answers" "$OUT" "E2E-SAID"
		want=mock-model wtools=absent wext=absent
		if [ "$mode" = allow ] && { [ "$agent" = 0.73.1 ] || [ "$how" != plain ]; }; then
			want=project-model wtools=present wext=present
		fi
		check_eq "$n: the request names $want" "\"$want\"" "$(sp_json model)"
		[ "$agent" = 0.73.1 ] ||
			check_eq "$n: the project's tools bash and write are $wtools" "$wtools" \
				"$(grep -q '"bash"' <<<"$(sp_json tools)" && echo present || echo absent)"
		check_eq "$n: the project's marker extension is $wext" "$wext" \
			"$(ctr test -e "$SP_CWD/e2e-ext-loaded" && echo present || echo absent)"
		# admin-wins: pi decides; 1.6.0 gates skills by trust, which the launcher holds
		wskill=$wext
		[ "$mode" != admin-wins ] || [ "$agent" != 0.73.1 ] || wskill=present
		check_eq "$n: the ancestor's skill is $wskill" "$wskill" \
			"$(grep -q E2E-MARK-SKILL <<<"$(sp_json markers)" && echo present || echo absent)"
		[ "$mode" = allow ] ||
			check_eq "$n: the repository is unchanged on disk" "$SP_BEFORE" "$(sp_snapshot)"
		[ "$RC" -eq 0 ] || log "projcfg run stderr: $ERR"
	done
	ctr rm -f "$SP_AGENT_DIR/trust.json"
}

# sp_shell AGENT MODE: the project's shellPath runs the bash tool only under allow (1.6.0: -a).
sp_shell() {
	local agent=$1 mode=$2 a="" want=absent n="projcfg: $1 $2 shell"
	sp_config "$agent" "$mode"
	[ "$agent" = 0.73.1 ] || a=-a
	[ "$mode" != allow ] || want=present
	sp_run "$a -p --no-session 'run the e2e tools'"
	check_eq "$n: pi exits 0" 0 "$RC"
	check_eq "$n: the bash tool ran" "pi-agent $SP_CWD" \
		"$(ctr cat "$SP_CWD/e2e-bash.txt" 2>&1 | paste -sd ' ')"
	check_eq "$n: the project's shellPath is $want" "$want" \
		"$(ctr test -e "$SP_CWD/e2e-evil-shell" && echo present || echo absent)"
	[ "$RC" -eq 0 ] || log "projcfg run stderr: $ERR"
}

# sp_install AGENT: `pi install <local path>` works under admin-wins (the flags added for 1.6.0
# come after the subcommand and its source).
sp_install() {
	local n="projcfg: $1 admin-wins pi install"
	sp_config "$1" admin-wins
	T=120 run_as alice "cd $SP_CWD && pi install $SP_PKG"
	check_eq "$n: exits 0" 0 "$RC"
	check_has "$n: says it installed the package" "$OUT$ERR" "Installed"
	check_has "$n: the agent's settings.json lists it" "$(ctr cat "$SP_AGENT_DIR/settings.json")" "pc-pkg"
	[ "$RC" -eq 0 ] || log "projcfg install stderr: $ERR"
}

# sp_mcp MODE: `pi mcp list` (pi 1.6.0; it takes no -na) reads trust.json alone: with a trust
# the agent saved for the project, the project's MCP server is listed under allow only.
sp_mcp() {
	local n="projcfg: 1.6.0 $1 pi mcp list with a saved trust"
	sp_config 1.6.0 "$1"
	ctr bash -c "printf '{ \"%s\": true }\n' $SP_CWD >$SP_AGENT_DIR/trust.json &&
		chown pi-agent:pi-agent $SP_AGENT_DIR/trust.json"
	T=120 run_as alice "cd $SP_CWD && pi mcp list"
	if [ "$1" = allow ]; then
		check_has "$n: lists the project's server" "$OUT$ERR" "e2e-proj-server:"
	else
		check_lacks "$n: does not list the project's server" "$OUT$ERR" "e2e-proj-server:"
		check_has "$n: says the project is not trusted" "$OUT$ERR" "is ignored because the project is not trusted"
	fi
	ctr rm -f "$SP_AGENT_DIR/trust.json"
}

sp_explain() {
	sp_config 1.6.0 admin-wins
	run_as alice "cd $SP_CWD && PI_AGENT_EXPLAIN=1 pi -a -p hi"
	check_has "projcfg: explain names the mode" "$OUT" "project config: admin-wins (projectConfig)"
	check_has "projcfg: explain shows the merged settings read-only" "$OUT" \
		"$SP_CWD/.pi/settings.json: seen merged under the managed settings, read-only"
	check_has "projcfg: explain hides the project's extensions" "$OUT" \
		"$SP_CWD/.pi/extensions: seen empty and read-only"
	check_lacks "projcfg: explain hands systemd no project path to mount over" "$OUT" \
		"BindReadOnlyPaths"
	check_has "projcfg: explain says the covers are the runner's, inside the staged roots" "$OUT" \
		"(covered inside the staged roots before the unit starts; until it ends these and the directories above them up to the root cannot be renamed or removed)"
	check_has "projcfg: explain adds -na after the user's -a" "$OUT" "/opt/pi-real16/bin/pi -a -p hi -na -na"
	sp_config 1.6.0 deny
	run_as alice "cd $SP_CWD && PI_AGENT_EXPLAIN=1 pi install x"
	check_has "projcfg: explain (deny) names alice's own key" "$OUT" \
		"project config: deny (hostUsers.<user>.projectConfig)"
	check_has "projcfg: explain (deny) hides .pi" "$OUT" "$SP_CWD/.pi: seen empty and read-only"
	check_has "projcfg: explain (deny) hides the ancestor's .agents" "$OUT" \
		"$SP_TOP/.agents: seen empty and read-only"
	check_lacks "projcfg: explain (deny) leaves systemd no project path to hide" "$OUT" ".pi:ro"
	check_has "projcfg: explain (deny) keeps the subcommand first" "$OUT" "/opt/pi-real16/bin/pi install x -na -na"
}

# A .pi that is a link would make systemd mount where it leads: the launch is refused.
sp_links() {
	local p=$SP_ROOT/pclink u0 u1
	write_config /opt/fake-agent
	ctr rm -rf "$p"
	as alice "mkdir -p $p && ln -s /home/alice/.pi $p/.pi"
	u0=$(units)
	run_as alice "cd $p && pi"
	u1=$(units)
	check_eq "projcfg: a .pi that is a link: pi exits 1" 1 "$RC"
	check_has "projcfg: a .pi that is a link: says why" "$ERR" "$p/.pi is a link"
	check_eq "projcfg: a .pi that is a link: no unit started" "$u0" "$u1"
}
