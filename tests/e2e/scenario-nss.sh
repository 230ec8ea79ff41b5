# scenario-nss.sh - a host user and an agent account known only to NSS (libnss-extrausers) launch through nscd; without nscd, --check says why.
# shellcheck shell=bash disable=SC2016

SN_UID=3001
SN_AGENT_UID=3101
SN_PROJ=/home/dave/p/proj

scenario_nss() {
	need_launcher "scenario nss" || return 0
	sn_setup
	check "nss: dave and pi-agent-nss are not in /etc/passwd" \
		ctr awk -F: '$1 == "dave" || $1 == "pi-agent-nss" { exit 1 }' /etc/passwd
	check_eq "nss: glibc resolves dave through extrausers" "$SN_UID" \
		"$(ctr getent passwd dave | cut -d: -f3)"
	check "nss: nscd runs" ctr systemctl start nscd.service
	check_has "nss: --check resolves both through nscd" "$(ctr pi-runner --check 2>&1)" OK
	run_as dave "cd $SN_PROJ && pi"
	check_eq "nss: dave's launch exits 0" 0 "$RC"
	check_eq "nss: the agent runs as the NSS-only account" "pi-agent-nss:$SN_AGENT_UID" \
		"$(field user "$OUT"):$(field uid "$OUT")"
	check_eq "nss: in dave's project" "$SN_PROJ" "$(field cwd "$OUT")"
	check_eq "nss: dave's agent home belongs to the NSS-only account" "$SN_AGENT_UID:700" \
		"$(ctr stat -c '%u:%a' /var/lib/pi-agent/users/dave 2>&1)"
	# The control: the same launch without nscd fails, and --check names what is missing.
	check "nss: nscd stops" ctr systemctl stop nscd.service
	run_as dave "cd $SN_PROJ && pi"
	check_ne "nss: without nscd, dave's launch fails" 0 "$RC"
	RC=0
	OUT=$(ctr pi-runner --check 2>&1) || RC=$?
	check_eq "nss: without nscd, --check fails" 1 "$RC"
	check_has "nss: --check names the account and what is needed" "$OUT" \
		"hostUsers.dave: user does not exist (nor does nscd answer at /var/run/nscd/socket: names from LDAP, SSSD or systemd-homed need nscd or nsncd running)"
	check_has "nss: --check names the agent account too" "$OUT" \
		"hostUsers.dave.agentUser: user 'pi-agent-nss' does not exist (nor does nscd answer"
	ctr rm -f /etc/sudoers.d/pi-nss
	write_config /opt/fake-agent
}

# sn_setup: dave and pi-agent-nss (group pi-agent) in /var/lib/extrausers only; nsswitch asks it.
sn_setup() {
	ctr bash -euo pipefail -c '
		gid=$(getent group pi-agent | cut -d: -f3)
		install -d -m 0755 /var/lib/extrausers
		printf "%s\n" "dave:x:'"$SN_UID:$SN_UID"':dave:/home/dave:/bin/bash" \
			"pi-agent-nss:x:'"$SN_AGENT_UID"':$gid:agent:/nonexistent:/usr/sbin/nologin" \
			>/var/lib/extrausers/passwd
		printf "%s\n" "dave:x:'"$SN_UID"':" >/var/lib/extrausers/group
		printf "%s\n" "dave:*:19000:0:99999:7:::" "pi-agent-nss:*:19000:0:99999:7:::" \
			>/var/lib/extrausers/shadow
		chmod 0640 /var/lib/extrausers/shadow
		sed -i -E "s/^(passwd|group|shadow):(.*)$/\1:\2 extrausers/" /etc/nsswitch.conf
		install -d -o '"$SN_UID"' -g '"$SN_UID"' -m 0755 /home/dave /home/dave/p '"$SN_PROJ"'
		echo "dave ALL=(root) NOPASSWD: /usr/local/bin/pi-runner" >/etc/sudoers.d/pi-nss
		chmod 0440 /etc/sudoers.d/pi-nss
	'
	ctr bash -c 'umask 022; cat >/etc/pi-agent/config.json' <<JSON
{
  "user": "pi-agent",
  "group": "pi-agent",
  "package": "/opt/fake-agent",
  "binaryName": "pi",
  "hostUsers": { "dave": { "projectRoots": ["~/p"], "agentUser": "pi-agent-nss" } },
  "runnerPath": "/usr/local/bin/pi-runner"
}
JSON
}
