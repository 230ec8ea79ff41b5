# scenario-install.sh - README's install commands, word for word, on a fresh boot for each tested agent; then alice launches it.
# shellcheck shell=bash disable=SC2016
# The commands are read from README.md between its "<!-- install-NAME begin/end -->" markers, so
# the doc and the test cannot drift. The container has no network: install_cache_ensure first runs
# the same commands in a throwaway container on the host's network (apt and npm only), keeping
# apt's lists and archives and npm's cache; a fresh boot gets copies of those and runs the
# commands with npm_config_offline=true, as a machine with the mirror and the registry would.

SI_CACHE_DIR=$E2E_DIR/install-cache # lib.sh binds it at C_INSTALL_CACHE
C_INSTALL_CACHE=/opt/pi-install-cache
# variant: README block, agent version, Node major, Node 18's error (- for a space); the mock's port
SI_VARIANTS=("node22 1.6.0 22 enableCompileCache" "node20 0.73.1 20 Invalid-regular-expression-flags")
SI_PORT=18090

# readme_block NAME: the shell lines of README.md between <!-- NAME begin --> and <!-- NAME end -->.
readme_block() {
	awk -v b="<!-- $1 begin -->" -v e="<!-- $1 end -->" \
		'$0 == e { f = 0 } f && !/^```/ { print } $0 == b { f = 1 }' "$E2E_REPO/README.md"
}

si_key() {
	{ rootfs_key; readme_block install-node22; readme_block install-node20; } | sha256sum | cut -c1-16
}

# install_cache_ensure: apt lists and archives and the npm cache the README's commands fetch.
install_cache_ensure() {
	local key v tmp ca=()
	key=$(si_key)
	# a host that reaches the registry through a TLS proxy trusts its CA this way: so does npm here
	[ -f "${NODE_EXTRA_CA_CERTS:-}" ] && ca=(--bind-ro="$NODE_EXTRA_CA_CERTS:/opt/host-extra-ca.crt"
		--setenv=NODE_EXTRA_CA_CERTS=/opt/host-extra-ca.crt)
	[ "$(cat "$SI_CACHE_DIR/.complete" 2>/dev/null)" = "$key" ] && return 0
	tmp=$SI_CACHE_DIR.tmp
	rm -rf "$tmp" "$SI_CACHE_DIR"
	mkdir -p "$tmp/lists" "$tmp/archives" "$tmp/npm"
	for v in node22 node20; do
		log "install cache: running README's install-$v online in a throwaway container"
		tmo 900 systemd-nspawn -q --register=no --keep-unit --volatile=overlay -D "$ROOTFS" \
			--resolv-conf=copy-host --timezone=off --bind="$tmp/lists:/var/lib/apt/lists" \
			--bind="$tmp/archives:/var/cache/apt/archives" --bind="$tmp/npm:/root/.npm" "${ca[@]}" \
			--pipe env PATH="$C_PATH" HOME=/root LANG=C.UTF-8 bash -euo pipefail \
			-c "$(readme_block "install-$v")" </dev/null >"$E2E_DIR/install-cache-$v.log" 2>&1 ||
			{ tail -n 20 "$E2E_DIR/install-cache-$v.log" >&2; die "README's install-$v failed online"; }
	done
	echo "$key" >"$tmp/.complete"
	mv "$tmp" "$SI_CACHE_DIR"
}

scenario_install() {
	local v
	need_launcher "scenario install" || return 0
	if [ ! -f "$SI_CACHE_DIR/.complete" ]; then
		fail "install: the install cache is missing (run.sh fills it when 'install' is asked for)"
		return 0
	fi
	for v in "${SI_VARIANTS[@]}"; do
		# shellcheck disable=SC2086
		si_variant $v
	done
	fresh_world
}

# si_variant NAME AGENT_VERSION NODE_MAJOR NODE18_ERROR: a fresh boot, the README's commands, alice's launches.
si_variant() {
	local name=$1 version=$2 major=$3 error=${4//-/ } rc=0 node
	fresh_container
	si_machine
	T=900 ctr env HOME=/root npm_config_offline=true bash -euo pipefail \
		-c "$(readme_block "install-$name"; readme_block install-setup)" \
		>"$E2E_DIR/install-$name.log" 2>&1 || rc=$?
	check_eq "install $name: README's commands run word for word (log: $E2E_DIR/install-$name.log)" \
		0 "$rc"
	[ "$rc" -eq 0 ] || { tail -n 15 "$E2E_DIR/install-$name.log"; return 0; }
	T=300 ctr env HOME=/root bash -euo pipefail -c "$(readme_block install-setup)" \
		>>"$E2E_DIR/install-$name.log" 2>&1 || rc=$?
	check_eq "install $name: README's setup runs again without harm" 0 "$rc"
	check_eq "install $name: the sudo rule names make install's runner" \
		"alice ALL=(root) NOPASSWD: /usr/local/bin/pi-runner" "$(ctr cat /etc/sudoers.d/pi-agent)"
	node=$(ctr /opt/pi-node/bin/node --version 2>&1)
	log "install $name: /opt/pi-node/bin/node is $node"
	check_has "install $name: /opt/pi-node/bin/node is Node $major" "$node" "v$major."
	si_debian_node "$error"
	run_as alice "cd ~/p && pi --version"
	check_eq "install $name: alice's pi --version exits 0" 0 "$RC"
	check_has "install $name: the agent is $version" "$OUT$ERR" "$version"
	si_prompt "$name"
}

# si_machine: what the README takes as given: the launcher installed (make install), and alice.
si_machine() {
	ctr bash -euo pipefail -c '
		printf "127.0.1.1 %s\n" "$(hostname)" >>/etc/hosts
		cp -a '"$C_INSTALL_CACHE"'/lists/. /var/lib/apt/lists/
		cp -a '"$C_INSTALL_CACHE"'/archives/. /var/cache/apt/archives/
		cp -a '"$C_INSTALL_CACHE"'/npm /root/.npm
		install -m 0755 '"$C_BUILD"'/pi /usr/local/bin/pi
		ln -sf pi /usr/local/bin/pi-runner
		ln -sf pi /usr/local/bin/pi-merge
		ln -sf pi /usr/local/bin/pi-agent-init
		useradd --create-home --shell /bin/bash alice
		install -d -o alice -g alice /home/alice/p
		# her projects on a filesystem that can be idmapped (the container root is an overlay)
		mount -t tmpfs -o mode=0755,uid=$(id -u alice),gid=$(id -g alice),size=64m e2e-p /home/alice/p
	'
}

# si_debian_node ERROR: the README's reason: Debian's own Node 18 cannot run the agent.
si_debian_node() {
	local out
	out=$(ctr /usr/bin/node --version 2>&1)
	check_has "install: Debian's node is 18" "$out" "v18."
	out=$(ctr /usr/bin/node /opt/pi/bin/pi --version 2>&1) && out="exit 0: $out"
	check_has "install: Debian's Node 18 cannot run the agent: a SyntaxError" "$out" "SyntaxError: "
	check_has "install: Debian's Node 18 cannot run the agent: $1" "$out" "$1"
}

# si_prompt NAME: a prompt through pi against a loopback mock LLM: the agent's write tool ran.
si_prompt() {
	local n=$1
	ctr systemd-run --quiet --unit=e2e-mock-install --collect -p DynamicUser=yes \
		-p RuntimeDirectory=e2e-mock -p RuntimeDirectoryPreserve=yes \
		/opt/pi-node/bin/node "$C_SRC/mock-llm.js" "$SI_PORT" /run/e2e-mock/requests.log 240
	if ! poll 15 ctr bash -c "exec 3<>/dev/tcp/127.0.0.1/$SI_PORT" 2>/dev/null; then
		fail "install $n: the mock LLM listens" "$(ctr journalctl -u e2e-mock-install --no-pager | tail)"
		return 0
	fi
	as alice 'mkdir -p ~/.pi/agent'
	S2_PORT=$SI_PORT s2_user_config alice
	ctr install -d -o alice -g alice /home/alice/p/proj
	T=120 run_as alice "cd ~/p/proj && PI_OFFLINE=1 PI_TELEMETRY=0 PI_SKIP_VERSION_CHECK=1 \
		pi -p --no-session 'create the e2e files'"
	check_eq "install $n: alice's prompt exits 0" 0 "$RC"
	check_has "install $n: pi prints the model's final text" "$OUT" "E2E-DONE"
	check_eq "install $n: the agent's write tool made alice's file" "written by the agent" \
		"$(ctr cat /home/alice/p/proj/e2e-written.txt 2>&1)"
	ctr systemctl stop e2e-mock-install.service 2>/dev/null || true
}
