#!/bin/bash
# fake-agent.sh - stand-in agent (installed as PACKAGE/bin/pi): reports what it sees as key=value lines.
# Options (any order):
#   --see PATH     print see:PATH=readable|empty|denied|absent (empty: a listable empty dir)
#   --write DIR    print write:DIR=ok|denied (creates and removes a file in DIR)
#   --make NAME    create NAME in the cwd, print made:NAME=group:octal-mode
#   --chgrp NAME   create NAME in HOME, move it into the cwd, give it the cwd's group:
#                  print chgrp:NAME=ok|failed: why (what fixes a file moved in from elsewhere)
#   --git NAME     git init NAME in the cwd, commit a file: print git:NAME=commits:N|failed: why
#   --pipeline     print pipeline=… from a bash pipeline, a process substitution and a here-string
#   --append NAME  append a line to NAME: print append:NAME=ok|denied
#   --setid NAME   chmod u+s,g+s NAME: print setid:NAME=<octal mode afterwards>
#   --open NAME    open NAME for reading and writing: print open:NAME=ok|denied
#   --owner NAME   print owner:NAME=user:group:octal-mode as the agent sees it
#   --mount        print mount=<options of the mount holding the cwd>
#   --stdin        echo each stdin line as stdin:LINE
#   --lines N      print N lines "line-000001" … then "END"
#   --hold         touch .e2e-ready in the cwd, wait (≤ 30 s) for .e2e-release, then report
#   --sleep        write its pid to .e2e-agent.pid in the cwd and sleep until killed
#   --envhex PFX   print envhex:NAME=<hex of the value> for each variable whose name starts
#                  with PFX, read from /proc/self/environ (every byte, newlines included)
#   --quiet        no identity/env report
#   --kill SIG     after the report, kill itself with signal SIG (INT, TERM, KILL, SEGV, ...)
#   --eat-memory   after the report, grow (to at most 256 MiB) until the memory limit kills it
#   --link T NAME  make NAME in the cwd a link to T: print link:NAME=ok|failed
#   --marks N      create and remove $HOME/.pi-agent-suspended N times (the mark with which the
#                  unit's main process announces a Ctrl-Z): print marks=N
#   --exit N       exit with N (default 0)
set -u
code=0 quiet=0 hold=0 killsig='' eat=0 sleep_forever=0 lines=0 read_stdin=0 pipeline=0
see=() write=() make=() regroup=() repos=() appends=() setids=() opens=() owners=() mountopts=0 envhex=()
links=() marks=0
while [ $# -gt 0 ]; do
	case "$1" in
	--see) see+=("$2"); shift ;;
	--write) write+=("$2"); shift ;;
	--make) make+=("$2"); shift ;;
	--chgrp) regroup+=("$2"); shift ;;
	--git) repos+=("$2"); shift ;;
	--pipeline) pipeline=1 ;;
	--append) appends+=("$2"); shift ;;
	--setid) setids+=("$2"); shift ;;
	--open) opens+=("$2"); shift ;;
	--owner) owners+=("$2"); shift ;;
	--mount) mountopts=1 ;;
	--stdin) read_stdin=1 ;;
	--lines) lines=$2; shift ;;
	--hold) hold=1 ;;
	--sleep) sleep_forever=1 ;;
	--envhex) envhex+=("$2"); shift ;;
	--quiet) quiet=1 ;;
	--kill) killsig=$2; shift ;;
	--eat-memory) eat=1 ;;
	--link) links+=("$2" "$3"); shift 2 ;;
	--marks) marks=$2; shift ;;
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
	echo "colorterm=${COLORTERM:-}"
	echo "term_program=${TERM_PROGRAM:-}"
	echo "umask=$(umask)"
	echo "unit=$(sed -n 's|^0::.*/||p' /proc/self/cgroup 2>/dev/null)"
	# what the kernel enforces on this process: seccomp mode, bounding set, no_new_privs
	sed -n 's/^Seccomp:\s*/seccomp=/p; s/^CapBnd:\s*/capbnd=/p; s/^NoNewPrivs:\s*/nnp=/p' /proc/self/status
	# what an agent's bash tool runs to look around; /proc/meminfo and /proc/uptime must be there
	{ ps aux && free && uptime; } >/dev/null 2>&1 && echo "procps=ok" || echo "procps=failed"
	# nice(1) only warns when setpriority fails with EPERM; a seccomp kill shows in the status
	out=$(nice -n 1 true 2>&1) && rc=0 || rc=$?
	case "$rc:$out" in
	0:) echo "nice=ok" ;;
	0:*"not permitted"*) echo "nice=refused" ;;
	*) echo "nice=failed: status $rc $out" ;;
	esac
	env | LC_ALL=C sort | sed -n 's/^\(E2E_[A-Za-z0-9_]*=\)/env:\1/p'
fi
for pfx in "${envhex[@]}"; do
	while IFS= read -r -d '' kv; do
		case $kv in "$pfx"*=*)
			echo "envhex:${kv%%=*}=$(printf '%s' "${kv#*=}" | od -An -tx1 -v | tr -d ' \n')" ;;
		esac
	done </proc/$$/environ
done
for ((i = 0; i < ${#links[@]}; i += 2)); do
	if ln -s -- "${links[i]}" "${links[i + 1]}" 2>/dev/null; then r=ok; else r=failed; fi
	echo "link:${links[i + 1]}=$r"
done
if [ "$marks" -gt 0 ]; then
	for ((i = 0; i < marks; i++)); do
		: >"$HOME/.pi-agent-suspended" && rm -f "$HOME/.pi-agent-suspended"
	done
	echo "marks=$marks"
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
for n in "${regroup[@]}"; do
	if out=$( (echo "moved in by $(id -un)" >"$HOME/$n" && mv -- "$HOME/$n" "$n" &&
		chgrp -- "$(stat -c %g .)" "$n") 2>&1); then
		echo "chgrp:$n=ok"
	else
		echo "chgrp:$n=failed: $(tr '\n' ' ' <<<"$out")"
	fi
done
for n in "${repos[@]}"; do
	# the user's own git config is not the agent's: name the author on the command line
	if out=$( (git init -q -- "$n" && cd -- "$n" && echo "made by the agent" >file.txt &&
		git add file.txt && git -c user.name=pi-agent -c user.email=pi-agent@localhost \
		commit -q -m "agent commit" && git rev-list --count HEAD) 2>&1); then
		echo "git:$n=commits:$out"
	else
		echo "git:$n=failed: $(tr '\n' ' ' <<<"$out")"
	fi
done
for n in "${appends[@]}"; do
	if (echo "appended by $(id -un)" >>"$n") 2>/dev/null; then echo "append:$n=ok"; else echo "append:$n=denied"; fi
done
for n in "${setids[@]}"; do
	chmod u+s,g+s -- "$n" 2>/dev/null
	echo "setid:$n=$(stat -c %a -- "$n")"
done
for n in "${opens[@]}"; do
	if (exec 3<>"$n") 2>/dev/null; then echo "open:$n=ok"; else echo "open:$n=denied"; fi
done
for n in "${owners[@]}"; do echo "owner:$n=$(stat -c '%U:%G:%a' -- "$n" 2>&1)"; done
[ "$mountopts" = 1 ] && echo "mount=$(findmnt -n -o OPTIONS -T . 2>&1)"
if [ "$pipeline" = 1 ]; then
	echo "pipeline=$(printf '%s\n' c a b | sort | paste -sd, -)+$(wc -l < <(seq 3))+$(cat /dev/stdin <<<here)"
fi
if [ "$read_stdin" = 1 ]; then
	while IFS= read -r l; do echo "stdin:$l"; done
fi
if [ "$lines" -gt 0 ]; then
	seq -f 'line-%06g' 1 "$lines"
	echo END
fi
if [ -n "$killsig" ]; then
	trap - "$killsig" 2>/dev/null
	kill -s "$killsig" $$
	echo "kill=survived"
fi
# a string that doubles until the memory limit's OOM kill ends this process (at most 256 MiB)
if [ "$eat" = 1 ]; then
	x=x
	for _ in $(seq 28); do x=$x$x; done
	echo "eat=survived ${#x}"
fi
exit "$code"
