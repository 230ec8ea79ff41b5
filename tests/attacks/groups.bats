#!/usr/bin/env bats
# groups.bats - on an idmapped root the agent stands in its user's groups: a group that denies alice denies her agent, modes and ACLs alike (issue 21 item 4).

bats_require_minimum_version 1.5.0

setup() {
	load atk
	atk_setup
	getent group pitest-interns >/dev/null || groupadd --system pitest-interns
	getent group pitest-agentg >/dev/null || groupadd --system pitest-agentg
	usermod -a -G pitest-interns pitest-alice
	# in alice's root, things of root's where her group pitest-interns gets less than others
	local p=$A/p
	rm -rf "$p"
	install -d -m 0755 -o pitest-alice -g pitest-alice "$p"
	obj "$p/payroll.txt" root:pitest-interns 0604   # others read, the group not
	obj "$p/board.txt" root:pitest-interns 0602     # others write, the group not
	obj "$p/team.txt" root:pitest-interns 0640      # the group reads, others not
	obj "$p/mine.txt" pitest-alice:pitest-interns 0660
	obj "$p/open.txt" root:root 0644
	obj "$p/bobs.txt" root:pitest-bob 0604           # a group alice is not in: others' bits
	obj "$p/acl.txt" root:root 0644
	install -d -m 0705 -o root -g pitest-interns "$p/hr"
	obj "$p/hr/inner" root:root 0644
	install -d -m 0755 -o root -g root "$p/hr-acl"
	obj "$p/hr-acl/inner" root:root 0644
	# named-group ACL entries: g:pitest-interns:--- with others r
	acl_deny "$p/acl.txt" 6 4
	acl_deny "$p/hr-acl" 7 5
	cat >"$REC/agentprobe" <<'PROBE'
cd "$1" || exit 1
try() { if "$@" >/dev/null 2>&1; then echo "$* ok"; else echo "$* denied"; fi; }
for f in payroll.txt team.txt open.txt bobs.txt acl.txt hr/inner hr-acl/inner; do try cat "$f"; done
for d in hr hr-acl; do try ls "$d"; done
for f in board.txt mine.txt; do try sh -c ": >>$f"; done
PROBE
	watch_now
}

teardown() {
	gpasswd -d pitest-alice pitest-interns >/dev/null 2>&1 || true
	gpasswd -d pitest-agent pitest-interns >/dev/null 2>&1 || true
	gpasswd -d pitest-agent pitest-agentg >/dev/null 2>&1 || true
}

# obj PATH OWNER:GROUP MODE: a file holding a line.
obj() {
	echo "content of $1" >"$1"
	chown "$2" "$1"
	chmod "$3" "$1"
}

# acl_deny PATH OWNER_PERM OTHER_PERM: an access ACL u::OWNER g::OTHER g:pitest-interns:--- m::OTHER o::OTHER.
acl_deny() {
	python3 - "$1" "$(getent group pitest-interns | cut -d: -f3)" "$2" "$3" <<'PY'
import os, struct, sys
path, gid, u, o = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
none = 0xFFFFFFFF
ents = [(0x01, u, none), (0x04, o, none), (0x08, 0, gid), (0x10, o, none), (0x20, o, none)]
os.setxattr(path, "system.posix_acl_access",
            struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in ents))
PY
}

# What alice herself may do in her root, and what her agent may do through the unit's bind.
alice_can() { atk_as pitest-alice "$A/p" sh -s . <"$REC/agentprobe" | LC_ALL=C sort; }
agent_can() { LC_ALL=C sort "$(rec)/agentprobe.out"; }

@test "given a group of its own to stand for pitest-interns, the agent is denied exactly where alice is" {
	usermod -a -G pitest-agentg pitest-agent
	write_config '{"hostUsers": {"pitest-alice": {"projectRoots": ["~/p"]}}}'
	run pi_as pitest-alice "$A/p"
	launched
	[ -s "$(rec)/agentprobe.out" ]
	# the group denies alice: the mode's and the ACL's
	alice_can | grep -qx "cat payroll.txt denied"
	alice_can | grep -qx "cat acl.txt denied"
	alice_can | grep -qx "ls hr denied"
	alice_can | grep -qx "ls hr-acl denied"
	alice_can | grep -qx "sh -c : >>board.txt denied"
	diff <(alice_can) <(agent_can)
	# and nothing of alice's changed on disk
	[ "$(stat -c %U:%G:%a "$A/p/payroll.txt")" = root:pitest-interns:604 ]
	[ "$(cat "$A/p/board.txt")" = "content of $A/p/board.txt" ]
}

@test "a group both alice and the agent account hold stands for itself" {
	usermod -a -G pitest-interns pitest-agent
	write_config '{"hostUsers": {"pitest-alice": {"projectRoots": ["~/p"]}}}'
	run pi_as pitest-alice "$A/p"
	launched
	diff <(alice_can) <(agent_can)
	agent_can | grep -qx "cat team.txt ok"
}

@test "a group of alice's the agent account cannot stand for refuses the launch, naming it" {
	write_config '{"hostUsers": {"pitest-alice": {"projectRoots": ["~/p"]}}}'
	run pi_as pitest-alice "$A/p"
	refused
	[[ "$output" == *"pi-runner: refused: agent account 'pitest-agent' has no group to stand for your group 'pitest-interns' on the idmapped project roots"* ]]
	# the runner straight through sudo is refused the same way
	run atk_as pitest-alice "$A/p" sudo -n "$FIX/bin/pi-runner" pitest-alice "$A/p"
	refused
	# --check says so beforehand
	run "$FIX/bin/pi-runner" --check
	[[ "$output" == *"warning: hostUsers.pitest-alice: agent account 'pitest-agent' has no group to stand for 'pitest-interns' on the idmapped roots: launches that idmap a root are refused"* ]]
	usermod -a -G pitest-agentg pitest-agent
	run "$FIX/bin/pi-runner" --check
	[[ "$output" != *"no group to stand for"* ]]
}
