# scenario-idmap.sh - idmapped project roots: the agent edits alice's files and what it makes is hers; nosuid, nodev; group mode forced and by fallback.
# shellcheck shell=bash

# The container's root is an overlayfs, which refuses MOUNT_ATTR_IDMAP (EINVAL): alice's
# idmapped root is a tmpfs (idmapped mounts since Linux 6.3); her ~/p on the overlay is the
# fallback's.
SI_ROOT=/home/alice/idp
SI_PROJ=$SI_ROOT/proj
SI_WARN="idmapped mounts are not available here"

scenario_idmap() {
	need_launcher "scenario idmap" || return 0
	si_setup || return 0
	si_idmap
	si_exposure
	si_explain
	si_mixed
	si_real_agent
	si_group_forced
	si_fallback
	ctr umount "$SI_ROOT" || true
	ctr rmdir "$SI_ROOT" || true
	write_config /opt/fake-agent
}

# si_config PACKAGE ROOTS [ACCESS]: the e2e config with alice's projectRoots [ROOTS] and, when
# given, projectAccess ACCESS.
si_config() {
	write_config "$1"
	ctr sed -i "s|\"alice\": { \"projectRoots\": \[\"~/p\"\] }|\"alice\": { \"projectRoots\": [$2] }|" \
		/etc/pi-agent/config.json
	[ -z "${3:-}" ] || ctr sed -i "s|^  \"projectGroup\": \"piproj\",|&\n  \"projectAccess\": \"$3\",|" \
		/etc/pi-agent/config.json
}

si_setup() {
	if ! ctr bash -euo pipefail -c "install -d -o alice -g alice -m 0755 $SI_ROOT &&
		mount -t tmpfs -o mode=0755,uid=\$(id -u alice),gid=\$(id -g alice),size=16m e2e-idmap $SI_ROOT"; then
		fail "idmap: a tmpfs at $SI_ROOT"
		return 1
	fi
	si_files
}

# si_files: a fresh project: alice's 0644 file (her umask), bob's files, a device node made by
# root, a link out of the project.
si_files() {
	ctr rm -rf "$SI_PROJ"
	as alice "umask 022 && mkdir $SI_PROJ && printf 'line 1\nline 2\n' >$SI_PROJ/existing.txt"
	ctr bash -euo pipefail -c "cd $SI_PROJ
		echo 'bob wrote this' >bobs.txt && chown bob:bob bobs.txt && chmod 0644 bobs.txt
		echo 'bob shares this' >bobs-open.txt && chown bob:bob bobs-open.txt && chmod 0666 bobs-open.txt
		mknod null c 1 3 && chown alice:alice null && chmod 0666 null
		ln -s /home/alice/secret.txt link-out"
}

# si_as_alice_alone SCRIPT: SCRIPT as alice in her project, in none of her groups.
si_as_alice_alone() {
	ctr setpriv --reuid=alice --regid=alice --clear-groups env -i PATH="$C_PATH" HOME=/home/alice \
		bash -c "cd $SI_PROJ && $1" 2>&1
}

si_idmap() {
	local r
	si_config /opt/fake-agent '"~/idp"'
	run_as alice "cd $SI_PROJ && pi --append existing.txt --make new.txt --append bobs.txt \
		--append bobs-open.txt --setid existing.txt --setid new.txt --open null \
		--owner existing.txt --owner bobs.txt --see link-out --mount"
	r=$OUT
	check_eq "idmap: pi exits 0" 0 "$RC"
	check_lacks "idmap: the launch warns of no fallback" "$ERR" "$SI_WARN"
	check_has "idmap: the unit sees the root through an idmapped mount" ",$(field mount "$r")," ",idmapped,"
	check_has "idmap: the root is nosuid in the unit" ",$(field mount "$r")," ",nosuid,"
	check_has "idmap: the root is nodev in the unit" ",$(field mount "$r")," ",nodev,"
	check_eq "idmap: the agent runs as the agent account" pi-agent "$(field user "$r")"
	check_eq "idmap: the unit's umask is 0022" 0022 "$(field umask "$r")"
	check_lacks "idmap: the agent holds no projectGroup" " $(field groups "$r") " " piproj "
	check_eq "idmap: alice's file appears as the agent's in the unit" pi-agent:pi-agent:644 \
		"$(field owner:existing.txt "$r")"
	check_eq "idmap: the agent appends to alice's 0644 file" ok "$(field append:existing.txt "$r")"
	check_eq "idmap: alice's file stays hers, 0644, on disk" alice:alice:644 \
		"$(ctr stat -c %U:%G:%a "$SI_PROJ/existing.txt" 2>&1)"
	check_eq "idmap: the append is in alice's file" $'line 1\nline 2\nappended by pi-agent' \
		"$(ctr cat "$SI_PROJ/existing.txt" 2>&1)"
	check_eq "idmap: the agent's new file is its own in the unit, 0644" pi-agent:644 \
		"$(field made:new.txt "$r")"
	check_eq "idmap: the agent's new file is alice's on disk, 0644" alice:alice:644 \
		"$(ctr stat -c %U:%G:%a "$SI_PROJ/new.txt" 2>&1)"
	check_eq "idmap: bob's file appears unowned in the unit, its mode kept" nobody:nogroup:644 \
		"$(field owner:bobs.txt "$r")"
	check_eq "idmap: the agent cannot change bob's 0644 file" denied "$(field append:bobs.txt "$r")"
	check_eq "idmap: nor bob's 0666 file (its owner is unmapped)" denied \
		"$(field append:bobs-open.txt "$r")"
	check_eq "idmap: bob's files are unchanged on disk" \
		"bob:bob:644 bob wrote this bob:bob:666 bob shares this" \
		"$(ctr bash -c "cd $SI_PROJ && stat -c %U:%G:%a bobs.txt && cat bobs.txt &&
			stat -c %U:%G:%a bobs-open.txt && cat bobs-open.txt" 2>&1 | paste -sd ' ')"
	check_eq "idmap: chmod u+s,g+s in the unit leaves no set-id bit (alice's file)" 644 \
		"$(field setid:existing.txt "$r")"
	check_eq "idmap: chmod u+s,g+s in the unit leaves no set-id bit (the agent's file)" 644 \
		"$(field setid:new.txt "$r")"
	check_eq "idmap: no set-id bit on disk either" "644 644" \
		"$(ctr stat -c %a "$SI_PROJ/existing.txt" "$SI_PROJ/new.txt" 2>&1 | paste -sd ' ')"
	check_eq "idmap: a device node in the project cannot be opened (nodev)" denied \
		"$(field open:null "$r")"
	check_ne "idmap: a link out of the project leads nowhere in the unit" readable \
		"$(field see:link-out "$r")"
	check_eq "idmap: alice, in no group, reads and writes both files" ok \
		"$(si_as_alice_alone 'cat existing.txt new.txt >/dev/null && echo alice >>existing.txt &&
			echo alice >>new.txt && echo ok')"
}

# The unit of an idmapped launch (UMask=0022, no group) held while systemd-analyze scores it.
si_exposure() {
	local unit rc
	si_config /opt/fake-agent '"~/idp"'
	ctr rm -f "$SI_PROJ/.e2e-ready" "$SI_PROJ/.e2e-release"
	bg_start si-held alice "cd $SI_PROJ && pi --hold --quiet"
	if poll 30 ctr test -e "$SI_PROJ/.e2e-ready"; then
		unit=$(ctr systemctl list-units --no-legend --plain 'pi-agent-alice-*' | awk '{print $1}' |
			head -n1)
		check_eq "idmap: held: the unit's umask is 0022" 0022 \
			"$(ctr systemctl show -P UMask "${unit:-none}")"
		check_exposure idmap "${unit:-none}"
	else
		fail "idmap: held: the fake agent starts" "$(cat "$E2E_DIR/si-held.out")"
	fi
	ctr touch "$SI_PROJ/.e2e-release"
	rc=0; wait "$BG_PID" || rc=$?
	check_eq "idmap: held: pi exits 0" 0 "$rc"
	ctr rm -f "$SI_PROJ/.e2e-ready" "$SI_PROJ/.e2e-release"
}

si_explain() {
	run_as alice "cd $SI_PROJ && PI_AGENT_EXPLAIN=1 pi"
	check_eq "idmap: explain exits 0" 0 "$RC"
	check_has "idmap: explain says the root is idmapped" "$OUT" \
		"root:           $SI_ROOT (bound at its own path; idmapped: the agent edits as alice"
	check_has "idmap: explain's command has UMask=0022" "$OUT" "UMask=0022"
}

# One root on the overlay: it falls back, so the group mode's properties apply to the unit;
# the tmpfs root stays idmapped.
si_mixed() {
	local r
	si_config /opt/fake-agent '"~/idp", "~/p"'
	run_as alice "cd $SI_PROJ && pi --mount"
	r=$OUT
	check_eq "idmap: mixed: pi exits 0" 0 "$RC"
	check_has "idmap: mixed: the overlay root falls back, and says so" "$ERR" \
		"pi-runner: warning: /home/alice/p: $SI_WARN (mount_setattr: Invalid argument;"
	check_lacks "idmap: mixed: the tmpfs root does not" "$ERR" "warning: $SI_ROOT:"
	check_eq "idmap: mixed: the group mode's umask" 0007 "$(field umask "$r")"
	check_has "idmap: mixed: the group mode's projectGroup" " $(field groups "$r") " " piproj "
	check_has "idmap: mixed: the tmpfs root is still idmapped" ",$(field mount "$r")," ",idmapped,"
}

# The real pi edits alice's 0644 file with its edit tool and creates a file with its write tool.
si_real_agent() {
	if [ ! -f "$E2E_DIR/agent/node_modules/@mariozechner/pi-coding-agent/package.json" ]; then
		fail "idmap: the real agent is installed (run.sh installs it for this scenario)"
		return 0
	fi
	s2_mock_start || return 0
	s2_user_config alice
	si_files
	si_config /opt/pi-real '"~/idp"'
	T=90 run_as alice "cd $SI_PROJ && pi -p --no-session 'edit existing.txt and add a file'"
	check_eq "idmap: real pi: exits 0" 0 "$RC"
	check_has "idmap: real pi: prints the model's final text" "$OUT" "E2E-EDIT-DONE"
	check_eq "idmap: real pi: its edit tool changed alice's file" \
		$'line 1, edited by the agent\nline 2' "$(ctr cat "$SI_PROJ/existing.txt" 2>&1)"
	check_eq "idmap: real pi: the edited file is still alice's, 0644" alice:alice:644 \
		"$(ctr stat -c %U:%G:%a "$SI_PROJ/existing.txt" 2>&1)"
	check_eq "idmap: real pi: its write tool made a file of alice's, 0644" \
		"alice:alice:644 made by the agent" \
		"$(ctr bash -c "stat -c %U:%G:%a $SI_PROJ/agent-new.txt && cat $SI_PROJ/agent-new.txt" 2>&1 |
			paste -sd ' ')"
	check_eq "idmap: real pi: alice, in no group, edits both" ok \
		"$(si_as_alice_alone 'echo alice >>existing.txt && echo alice >>agent-new.txt && echo ok')"
	[ "$RC" -eq 0 ] || log "real pi stderr: $ERR"
	ctr systemctl stop e2e-mock-llm.service 2>/dev/null || true
}

# projectAccess "group": today's behaviour on the same overlay root, without a warning.
si_group_forced() {
	local r p=/home/alice/p/proj-alice
	si_config /opt/fake-agent '"~/p"' group
	ctr rm -f "$p/forced.txt"
	pi_as alice proj-alice "--make forced.txt --mount"
	r=$OUT
	check_eq "idmap: group forced: pi exits 0" 0 "$RC"
	check_lacks "idmap: group forced: no warning" "$ERR" "$SI_WARN"
	check_eq "idmap: group forced: a new file gets the project group, 0660" piproj:660 \
		"$(field made:forced.txt "$r")"
	check_eq "idmap: group forced: on disk it is the agent's, in the project group" \
		pi-agent:piproj:660 "$(ctr stat -c %U:%G:%a "$p/forced.txt" 2>&1)"
	check_eq "idmap: group forced: the umask is 0007" 0007 "$(field umask "$r")"
	check_lacks "idmap: group forced: no idmapped mount" ",$(field mount "$r")," ",idmapped,"
	check_has "idmap: group forced: still nosuid" ",$(field mount "$r")," ",nosuid,"
	check_has "idmap: group forced: still nodev" ",$(field mount "$r")," ",nodev,"
	run_as alice "echo by-alice >>$p/forced.txt && tail -n1 $p/forced.txt"
	check_eq "idmap: group forced: alice edits it through the group" by-alice "$OUT"
	run_as alice "cd $p && PI_AGENT_EXPLAIN=1 pi"
	check_has "idmap: group forced: explain says so" "$OUT" \
		"root:           /home/alice/p (bound at its own path; group mode: projectAccess is \"group\")"
}

# projectAccess "idmap" (the default) on the overlay: one warning, then group mode as today.
si_fallback() {
	local r p=/home/alice/p/proj-alice
	si_config /opt/fake-agent '"~/p"'
	ctr rm -f "$p/fallback.txt"
	pi_as alice proj-alice "--make fallback.txt --mount"
	r=$OUT
	check_eq "idmap: fallback: pi exits 0" 0 "$RC"
	check_has "idmap: fallback: one line says why and what is needed" "$ERR" \
		"pi-runner: warning: /home/alice/p: $SI_WARN (mount_setattr: Invalid argument; Linux >= 5.12 and a filesystem that supports them"
	check_has "idmap: fallback: and how the agent reaches the root" "$ERR" \
		"the agent reaches it through projectGroup 'piproj'"
	check_eq "idmap: fallback: one warning line" 1 "$(grep -c "$SI_WARN" <<<"$ERR")"
	check_eq "idmap: fallback: a new file gets the project group, 0660" piproj:660 \
		"$(field made:fallback.txt "$r")"
	check_eq "idmap: fallback: the umask is 0007" 0007 "$(field umask "$r")"
	check_has "idmap: fallback: the projectGroup" " $(field groups "$r") " " piproj "
	check_lacks "idmap: fallback: no idmapped mount" ",$(field mount "$r")," ",idmapped,"
	check_has "idmap: fallback: still nosuid" ",$(field mount "$r")," ",nosuid,"
	check_has "idmap: fallback: still nodev" ",$(field mount "$r")," ",nodev,"
	run_as alice "cd $p && PI_AGENT_EXPLAIN=1 pi"
	check_has "idmap: fallback: explain says so" "$OUT" \
		"root:           /home/alice/p (bound at its own path; group mode: $SI_WARN (mount_setattr: Invalid argument;"
}
