#!/bin/sh
# stand-in.sh - systemd-run stand-in: records each launch in @REC@/launch/<unit>/ (argv, env files, environ, settings.json the agent would see, the project settings bound for it, its signal state; a network probe in its namespace), exits with @REC@/exit or 0.
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
# projectConfig: the file bound read-only over the project's settings.json
for a; do
	case $a in BindReadOnlyPaths=*)
		src=${a#BindReadOnlyPaths=\"}
		cp "${src%%\"*}" "$d/project-settings.json" ;;
	esac
done
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
host=${unit#pi-agent-}
host=${host%-*}
while [ -e @REC@/hold ] || [ -e "@REC@/hold-$host" ]; do sleep 0.05; done
exit "$(cat @REC@/exit 2>/dev/null || echo 0)"
