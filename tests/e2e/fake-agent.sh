#!/bin/bash
# fake-agent.sh - stand-in agent (installed as PACKAGE/bin/pi): reports what it sees as key=value lines.
# Options (any order):
#   --see PATH     print see:PATH=readable|empty|denied|absent (empty: a listable empty dir)
#   --write DIR    print write:DIR=ok|denied (creates and removes a file in DIR)
#   --make NAME    create NAME in the cwd, print made:NAME=group:octal-mode
#   --stdin        echo each stdin line as stdin:LINE
#   --lines N      print N lines "line-000001" … then "END"
#   --hold         touch .e2e-ready in the cwd, wait (≤ 30 s) for .e2e-release, then report
#   --sleep        write its pid to .e2e-agent.pid in the cwd and sleep until killed
#   --quiet        no identity/env report
#   --exit N       exit with N (default 0)
set -u
code=0 quiet=0 hold=0 sleep_forever=0 lines=0 read_stdin=0
see=() write=() make=()
while [ $# -gt 0 ]; do
	case "$1" in
	--see) see+=("$2"); shift ;;
	--write) write+=("$2"); shift ;;
	--make) make+=("$2"); shift ;;
	--stdin) read_stdin=1 ;;
	--lines) lines=$2; shift ;;
	--hold) hold=1 ;;
	--sleep) sleep_forever=1 ;;
	--quiet) quiet=1 ;;
	--exit) code=$2; shift ;;
	*) echo "arg=$1" ;;
	esac
	shift
done

if [ "$sleep_forever" = 1 ]; then
	echo "$$" >.e2e-agent.pid
	echo "sleeping pid=$$"
	exec sleep infinity
fi

if [ "$hold" = 1 ]; then
	: >.e2e-ready
	for _ in $(seq 300); do
		[ -e .e2e-release ] && break
		sleep 0.1 # poll interval for the release file written by the test
	done
	[ -e .e2e-release ] && echo "held=released" || echo "held=timeout"
fi

probe() {
	local p=$1
	if [ -d "$p" ]; then
		local l
		if l=$(ls -A -- "$p" 2>/dev/null); then
			if [ -n "$l" ]; then echo readable; else echo empty; fi
		else
			echo denied
		fi
	elif [ -e "$p" ]; then
		if head -c1 -- "$p" >/dev/null 2>&1; then echo readable; else echo denied; fi
	elif [ -L "$p" ]; then
		echo denied
	else
		# stat fails: either missing, or a parent is not searchable.
		if stat -- "$p" 2>&1 | grep -q 'Permission denied'; then echo denied; else echo absent; fi
	fi
}

if [ "$quiet" = 0 ]; then
	echo "uid=$(id -u)"
	echo "user=$(id -un)"
	echo "gid=$(id -g)"
	echo "groups=$(id -Gn)"
	echo "cwd=$(pwd -P)"
	echo "pwd=${PWD:-}"
	echo "home=${HOME:-}"
	echo "agentdir=${PI_CODING_AGENT_DIR:-}"
	echo "path=${PATH:-}"
	[ -t 0 ] && echo "tty_in=1" || echo "tty_in=0"
	[ -t 1 ] && echo "tty_out=1" || echo "tty_out=0"
	echo "term=${TERM:-}"
	echo "lang=${LANG:-}"
	echo "lc_all=${LC_ALL:-}"
	echo "charmap=$(locale charmap 2>/dev/null)"
	echo "unit=$(sed -n 's|^0::.*/||p' /proc/self/cgroup 2>/dev/null)"
	env | LC_ALL=C sort | sed -n 's/^\(E2E_[A-Za-z0-9_]*=\)/env:\1/p'
fi
for p in "${see[@]}"; do echo "see:$p=$(probe "$p")"; done
for d in "${write[@]}"; do
	f="$d/.e2e-write-test.$$"
	if (: >"$f") 2>/dev/null; then rm -f -- "$f"; echo "write:$d=ok"; else echo "write:$d=denied"; fi
done
for n in "${make[@]}"; do
	if echo "made by $(id -un)" >"$n" 2>/dev/null; then
		echo "made:$n=$(stat -c '%G:%a' -- "$n")"
	else
		echo "made:$n=failed"
	fi
done
if [ "$read_stdin" = 1 ]; then
	while IFS= read -r l; do echo "stdin:$l"; done
fi
if [ "$lines" -gt 0 ]; then
	seq -f 'line-%06g' 1 "$lines"
	echo END
fi
exit "$code"
