#!/bin/sh
# stand-in.sh - systemd-run stand-in: records each launch in @REC@/launch/<unit>/ (argv, env files, environ, settings.json the agent would see, what the unit and the host see at given paths, its signal state; a network probe in its namespace), exits with @REC@/exit or 0.
unit=none home='' prev='' user=''
for a; do
	case $a in
	--unit=*) unit=${a#--unit=} ;;
	esac
	case $prev/$a in -E/HOME=*) home=${a#HOME=} ;; -p/User=*) user=${a#User=} ;; esac
	prev=$a
done
d=@REC@/launch/$unit
mkdir -p "$d" || exit 1
for a; do printf '%s\0' "$a"; done >"$d/argv"
# each EnvironmentFile in order (env.0, env.1, ...) and all of them together in env
n=0
: >"$d/env"
for a; do
	case $a in EnvironmentFile=*)
		cp "${a#EnvironmentFile=}" "$d/env.$n" && cat "$d/env.$n" >>"$d/env"
		n=$((n + 1)) ;;
	esac
done
[ -z "$home" ] || cp "$home/.pi/agent/settings.json" "$d/settings.json" 2>/dev/null
# @REC@/view (its first line a directory, then paths): what the unit would see at those
# paths, its mounts in that directory applied as systemd applies them (unitview.py), and what
# the host shows there meanwhile
if [ -f @REC@/view ]; then
	{ read -r top; paths=$(cat); } <@REC@/view
	# shellcheck disable=SC2086 # one path a line, no spaces in the tests' paths
	unshare -m --propagation private python3 @ATK@/unitview.py "$d/argv" "$top" $paths >"$d/view" 2>"$d/view.err"
	# shellcheck disable=SC2086
	python3 @ATK@/unitview.py - "$top" $paths >"$d/host"
fi
# @REC@/started, a FIFO: the unit's name is written there once it is up (its view taken)
[ ! -p @REC@/started ] || echo "$unit" >@REC@/started
env -0 >"$d/environ"
# the signal state systemd-run would start with: ignored and blocked sets
grep -E '^Sig(Ign|Blk):' /proc/$$/status >"$d/signals"
id -u >"$d/uid"
# network allowlist: @REC@/netprobe, when present, runs in the namespace the unit would join
# (its output in netprobe.out); @REC@/hold keeps the "unit" up until the file goes,
# @REC@/hold-USER only the units of host user USER
for a; do
	case $a in NetworkNamespacePath=*)
		[ ! -f @REC@/netprobe ] ||
			nsenter --net="${a#NetworkNamespacePath=}" python3 @REC@/netprobe >"$d/netprobe.out" 2>&1 ;;
	esac
done
# @REC@/marks (a count): the agent creates and removes the mark of a Ctrl-Z in its home that
# many times, as the unit's main process would announce one (a forgery: it is not that process)
if [ -f @REC@/marks ] && [ -n "$home" ] && [ -n "$user" ]; then
	setpriv --reuid "$user" --regid "$user" --clear-groups sh -c '
		i=0; while [ "$i" -lt "$1" ]; do : >"$2/.pi-agent-suspended"; rm -f "$2/.pi-agent-suspended"; i=$((i + 1)); done
	' marks "$(cat @REC@/marks)" "$home"
	echo done >"$d/marked"
fi
# @REC@/mainmark: a process of the agent account whose pid the systemctl stand-in then gives
# as the unit's MainPID creates the mark once, as pi-agent-init announces the agent's Ctrl-Z;
# the "unit" ends when the test has resumed the stopped job (@REC@/resumed)
if [ -f @REC@/mainmark ] && [ -n "$home" ] && [ -n "$user" ]; then
	godir=$(mktemp -d /tmp/pi-mainmark.XXXXXX) && chmod 0755 "$godir" || exit 1
	go=$godir/go
	mkfifo -m 0644 "$go"
	setpriv --reuid "$user" --regid "$user" --clear-groups sh -c '
		read -r _ <"$1"; : >"$2/.pi-agent-suspended"; rm -f "$2/.pi-agent-suspended"
	' mainmark "$go" "$home" &
	echo "$!" >@REC@/mainpid
	echo go >"$go"
	wait "$!"
	rm -rf "$godir"
	while [ ! -e @REC@/resumed ]; do sleep 0.05; done
fi
# @REC@/agentprobe, when present: run as the unit's account would run (User=, Group=, the
# account's groups from the group database and SupplementaryGroups=, as systemd sets them),
# with each staged project root bound at /mnt/<i> as the unit binds it (the clone, idmap and
# all); its output in agentprobe.out
if [ -f @REC@/agentprobe ] && [ -n "$user" ]; then
	group='' supp=''
	prev=''
	for a; do
		case $prev/$a in -p/Group=*) group=${a#Group=} ;; -p/SupplementaryGroups=*) supp=${a#SupplementaryGroups=} ;; esac
		prev=$a
	done
	gid=$(getent group "$group" | cut -d: -f3)
	gids=$(for g in $gid $(id -G "$user") $supp; do getent group "$g" | cut -d: -f3; done | sort -un | paste -sd, -)
	python3 @ATK@/argv.py staged "$d/argv" >"$d/staged"
	unshare -m sh -c '
		mount -t tmpfs -o mode=0755 none /mnt || exit 1
		i=0
		while IFS= read -r src; do
			mkdir /mnt/$i && mount --bind "$src" /mnt/$i || exit 1
			i=$((i + 1))
		done <"$1/staged"
		setpriv --reuid "$2" --regid "$3" --groups "$4" --reset-env sh -s /mnt/0 <@REC@/agentprobe
	' probe "$d" "$user" "$gid" "$gids" >"$d/agentprobe.out" 2>&1
fi
host=${unit#pi-agent-}
host=${host%-*}
while [ -e @REC@/hold ] || [ -e "@REC@/hold-$host" ]; do sleep 0.05; done
exit "$(cat @REC@/exit 2>/dev/null || echo 0)"
