# scenario-4.sh - refusals through the real sudo: each prints its message and starts no unit.
# shellcheck shell=bash

scenario_4() {
	need_launcher "scenario 4" || return 0
	write_config /opt/fake-agent
	ctr install -d -o carol -g carol /home/carol/p/proj-carol
	as alice 'ln -sfn /etc ~/p/escape && mkdir -p ~/outside'
	# A root-owned copy of the real config that would allow /tmp: pi may read it, the runner must not.
	ctr bash -c 'sed "s|\"projectRoots\": \[\"~/p\"\]|\"projectRoots\": [\"/tmp\"]|" \
		/etc/pi-agent/config.json >/tmp/evil.json && grep -q "\"/tmp\"" /tmp/evil.json'

	s4_case "unconfigured user carol" carol "cd /home/carol/p/proj-carol && pi" \
		"User 'carol' is not allowed to use pi"
	s4_case "carol cannot sudo the runner" carol \
		"sudo -n /usr/local/bin/pi-runner carol /home/carol/p/proj-carol" "sudo"
	s4_case "cwd outside alice's roots" alice "cd ~/outside && pi" \
		"Denied: '/home/alice/outside' is outside allowed project roots for user 'alice'."
	s4_case "cwd in /tmp" alice "cd /tmp && pi" \
		"Denied: '/tmp' is outside allowed project roots for user 'alice'."
	s4_case "a symlink in a root pointing outside" alice "cd ~/p/escape && pi" \
		"Denied: '/etc' is outside allowed project roots for user 'alice'."
	s4_case "alice names bob to the runner" alice \
		"sudo -n /usr/local/bin/pi-runner bob /home/bob/p/proj-bob" "bob"
	s4_case "alice names bob's project as her cwd" alice \
		"sudo -n /usr/local/bin/pi-runner alice /home/bob/p/proj-bob" \
		"Denied: '/home/bob/p/proj-bob' is outside allowed project roots for user 'alice'."
	s4_case "the runner without sudo" alice \
		"/usr/local/bin/pi-runner alice /home/alice/p/proj-alice" "root"
	s4_case "PI_AGENT_CONFIG does not reach the runner" alice \
		"cd /tmp && PI_AGENT_CONFIG=/tmp/evil.json pi" "Denied"
	# with no terminal, fds 0-2 would reach the unit through systemd-run --pipe: the host's /
	# as the agent's stdin opens every home past ProtectHome and the mount namespace
	local stdin_dir='use POSIX; use Fcntl; sysopen(my $d, "/", O_RDONLY|O_DIRECTORY) or die;
		POSIX::dup2(fileno($d), 0) or die'
	s4_case "a directory as stdin, through pi" alice \
		"cd ~/p/proj-alice && perl -e '$stdin_dir; exec \"pi\"'" \
		"refused: standard input (fd 0) is a directory"
	s4_case "a directory as stdin, straight to the runner" alice \
		"cd ~/p/proj-alice && perl -e '$stdin_dir; exec qw(sudo -n /usr/local/bin/pi-runner alice /home/alice/p/proj-alice)'" \
		"pi-runner: refused: standard input (fd 0) is a directory"
}

# s4_case NAME USER SCRIPT MESSAGE: SCRIPT fails with exit 1 (sudo's own refusals: non-zero),
# stderr holds MESSAGE, and systemd started nothing meanwhile.
s4_case() {
	local name=$1 user=$2 script=$3 msg=$4 cur before after started
	cur=$(journal_cursor)
	before=$(units)
	run_as "$user" "$script"
	after=$(units)
	started=$(started_since "$cur")
	if [[ "$script" == sudo* && "$user" == carol ]]; then
		check_ne "4: $name: refused" 0 "$RC"
	else
		check_eq "4: $name: exit code 1" 1 "$RC"
	fi
	check_has "4: $name: message" "$ERR" "$msg"
	check_eq "4: $name: agent output is empty" "" "$OUT"
	check_eq "4: $name: no new unit" "$before" "$after"
	check_eq "4: $name: systemd started nothing" "" "$started"
}
