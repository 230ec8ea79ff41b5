# fixture.bash - the integration fixture: users, sudoers rule, installed binary, recording systemd-run, config.
# shellcheck shell=bash

FIX=${PI_FIX:-/tmp/pi-it}
REC=$FIX/record
STATE=$FIX/state
CONF=/etc/pi-agent/config.json
RUNTIME=/run/pi-agent
HOST_USERS="pitest-alice pitest-bob pitest-carol pitest-dave"

# The agent accounts pitest-agent and pitest-agent2, each in a primary group of its own name
# (agents of different host users share no group), and the host users USERS... (--badname: the
# attack suite has an odd one).
fixture_users() {
	local u
	for u in pitest-agent pitest-agent2 pitest-proxy; do
		getent group "$u" >/dev/null || groupadd --system "$u"
		getent passwd "$u" >/dev/null ||
			useradd --system -g "$u" -d /nonexistent -s /usr/sbin/nologin "$u"
		[ "$(id -gn "$u")" = "$u" ] || usermod -g "$u" "$u"
	done
	for u in "$@"; do
		getent passwd "$u" >/dev/null || useradd --badname -m -s /bin/sh "$u"
	done
}

# A fresh $FIX: the binary root-owned under $FIX/bin with its two other names, the fake
# agent, the record dir and a root-only environment file.
fixture_tree() {
	rm -rf "$FIX"
	# made by this mkdir or not at all: a local user who made $FIX (or a link there) after the
	# rm would own the directory the sudoers rule's binary is installed in
	mkdir -m 0755 "$FIX" || { echo "fixture: cannot make $FIX afresh (made meanwhile by someone?)" >&2; return 1; }
	if [ -L "$FIX" ] || [ "$(stat -c %u:%a "$FIX")" != 0:755 ]; then
		echo "fixture: $FIX is not root's 0755 directory" >&2
		return 1
	fi
	install -d -m 0755 "$FIX/bin" "$FIX/pkg" "$FIX/pkg/bin" "$FIX/shared"
	install -d -m 0700 "$REC"
	install -m 0755 "$PI_BUILD/pi" "$FIX/bin/pi"
	ln -s pi "$FIX/bin/pi-runner"
	ln -s pi "$FIX/bin/pi-merge"
	ln -s pi "$FIX/bin/pi-agent-init"
	ln -s pi "$FIX/bin/pi-proxy"      # the runner starts it by this name; the tests by the link
	printf '#!/bin/sh\necho fake agent\n' >"$FIX/pkg/bin/pi"
	chmod 0755 "$FIX/pkg/bin/pi"
	printf 'SECRET=from-file\nSHARED=file\n' >"$FIX/secret.env"
	chmod 0600 "$FIX/secret.env"
}

# Creates the accounts, installs the binary root-owned under $FIX/bin and the sudoers rule.
fixture_install() {
	# shellcheck disable=SC2086 # one word per user
	fixture_users $HOST_USERS
	fixture_tree
	cat >"$FIX/bin/systemd-run" <<REC
#!/bin/sh
# records its argv (NUL-separated), the env file it was given and whether stdin/stdout are terminals
for a; do printf '%s\0' "\$a"; done >$REC/argv
: >$REC/env
for a; do case \$a in EnvironmentFile=*) cat "\${a#EnvironmentFile=}" >>$REC/env;; esac; done
id -u >$REC/uid
# what each staged project bind shows the unit: "<destination> <entries of the source>"
: >$REC/binds
for a; do case \$a in BindPaths=*) src=\${a#BindPaths=\"}; src=\${src%%\"*}
	dst=\${a##*\"\:\"}; dst=\${dst#BindPaths=\"}; dst=\${dst%\"}
	echo "\$dst \$(ls -A "\$src" | tr '\n' ' ')" >>$REC/binds;; esac; done
# and the options of each staged mount: "<destination> <options>"
: >$REC/mntopts
for a; do case \$a in BindPaths=\"/run/pi-agent-binds/*) src=\${a#BindPaths=\"}; src=\${src%%\"*}
	dst=\${a##*\"\:\"}; dst=\${dst%\"}
	echo "\$dst \$(findmnt -n -o OPTIONS --mountpoint "\$src")" >>$REC/mntopts;; esac; done
# with $REC/hold (a FIFO) present, the first one stays like a running unit until systemctl stop
# releases it
if [ -p $REC/hold ] && mkdir $REC/holding 2>/dev/null; then
	echo started >$REC/started; read -r _ <$REC/hold; exit 1
fi
exit "\$(cat $REC/exit 2>/dev/null || echo 0)"
REC
	cat >"$FIX/bin/systemctl" <<REC
#!/bin/sh
# records its argv; stop releases a held systemd-run stand-in, as stopping the unit would
printf '%s\n' "\$*" >>$REC/systemctl
[ "\$1" = stop ] && [ -p $REC/hold ] && echo stopped >$REC/hold
exit 0
REC
	chmod 0755 "$FIX/bin/systemd-run" "$FIX/bin/systemctl"
	printf '%s ALL=(root) NOPASSWD: %s\n' "$(echo "$HOST_USERS" | tr ' ' ,)" "$FIX/bin/pi-runner" \
		>/etc/sudoers.d/pitest
	chmod 0440 /etc/sudoers.d/pitest
	visudo -cf /etc/sudoers.d/pitest >/dev/null
	install -d -m 0755 /etc/pi-agent
}

# The default test config, deep-merged with the JSON object $1 when given.
write_config() {
	local patch=${1:-}
	[ -n "$patch" ] || patch='{}'
	FIX=$FIX STATE=$STATE SUDO=$(command -v sudo) python3 - "$patch" >"$CONF" <<'PY'
import json, os, sys
fix, state = os.environ["FIX"], os.environ["STATE"]
conf = {
    "user": "pitest-agent", "group": "pitest-agent", "stateDir": state,
    "package": fix + "/pkg",
    "hostUsers": {
        "pitest-alice": {"projectRoots": ["~/p", "p2", fix + "/shared", "~/missing"]},
        "pitest-bob": {"projectRoots": ["~/p"], "agentUser": "pitest-agent2"},
        "pitest-dave": {"projectRoots": ["~/nothing", "/nonexistent/x"]},
    },
    "settings": {"defaultProvider": "managed", "nested": {"b": 2, "c": None}},
    "environment": {"MANAGED": "from-config", "SHARED": "managed"},
    "environmentFiles": [fix + "/secret.env", fix + "/missing.env"],
    "runnerPath": fix + "/bin/pi-runner", "sudoPath": os.environ["SUDO"],
    "systemdRunPath": fix + "/bin/systemd-run",
    "wrapper": {"extraRunArgs": ["--from-config"], "extraEnvironment": {"EXTRA": "1"}},
}
def merge(a, b):
    for k, v in b.items():
        a[k] = merge(a[k], v) if isinstance(v, dict) and isinstance(a.get(k), dict) else v
    return a
print(json.dumps(merge(conf, json.loads(sys.argv[1])), indent=2))
PY
	chmod 0644 "$CONF"
}

# Fresh per-test state: homes with projects, no agent state, no records.
reset_state() {
	local u h
	rm -rf "$STATE" "$RUNTIME" "${REC:?}"/*
	for u in $HOST_USERS; do
		h=$(getent passwd "$u" | cut -d: -f6)
		rm -rf "$h/p" "$h/p2" "$h/p.real" "$h/p-two" "$h/real2" "$h/.pi" "$h/outside" "$h/dotfile.json"
		install -d -m 0755 -o "$u" -g "$u" "$h/p" "$h/p/sub" "$h/p2"
	done
	write_config
}

# as USER DIR CMD...: execs CMD as USER in DIR (no tty), with the binary dir on PATH.
as() {
	local u=$1 d=$2
	shift 2
	setpriv --reuid "$u" --regid "$u" --init-groups --reset-env \
		env -C "$d" PATH="$FIX/bin:/usr/bin:/bin" "$@"
}

home_of() { getent passwd "$1" | cut -d: -f6; }

# The recorded systemd-run argv, one element per line.
recorded_argv() { tr '\0' '\n' <"$REC/argv"; }

# The user's arguments as recorded: everything after the agent path.
recorded_args() {
	local seen=0 a
	while IFS= read -r -d '' a; do
		if [ "$seen" = 1 ]; then printf '[%s]\n' "$a"; fi
		if [ "$a" = "$FIX/pkg/bin/pi" ]; then seen=1; fi
	done <"$REC/argv"
}
