# atk.bash - the attack suite's fixture: the integration fixture under /tmp/pi-atk, its own sudoers rule, a per-launch recording systemd-run, victims and snapshots.
# shellcheck shell=bash

export PI_FIX=${PI_FIX:-/tmp/pi-atk}
# shellcheck source=tests/integration/fixture.bash
. "$PI_TOP/tests/integration/fixture.bash"
# The helper scripts the suite runs, as root or as a test user, are copies in a root-owned 0755
# directory of the fixture's (atk_install): the source tree may sit where no test user reaches
# (a clone in /root, 0700), and a helper run from there fails with EACCES.
ATK=$FIX/tools
SUDOERS=/etc/sudoers.d/piatk
ODD='pitest_o.d$'                    # an odd but valid user name: '_', '.' and a trailing '$'
ATK_USERS="$HOST_USERS $ODD"
V=$FIX/victim                        # things outside the allowed places that root could be tricked into touching

# Creates the accounts, installs the binary root-owned under $FIX/bin, the stand-ins and our sudoers rule.
atk_install() {
	# shellcheck disable=SC2086 # one word per user
	fixture_users $ATK_USERS
	atk_umount_all
	fixture_tree
	atk_tools
	sed "s|@REC@|$REC|g; s|@ATK@|$ATK|g" "$ATK/stand-in.sh" >"$FIX/bin/systemd-run"
	# systemctl stand-in: records its argv; the unit's MainPID is what REC/mainpid holds; with
	# REC/stop-ends, a stop or kill of a unit ends the held "unit" (REC/hold goes)
	cat >"$FIX/bin/systemctl" <<EOF
#!/bin/sh
printf "%s\\n" "\$*" >>$REC/systemctl
case "\$1" in stop|kill) [ ! -f $REC/stop-ends ] || rm -f $REC/hold ;; esac
case "\$*" in "show --property=MainPID "*) [ ! -f $REC/mainpid ] || echo "MainPID=\$(cat $REC/mainpid)" ;; esac
exit 0
EOF
	chmod 0755 "$FIX/bin/systemd-run" "$FIX/bin/systemctl"
	printf '%s ALL=(root) NOPASSWD: %s\n' "$(echo "$ATK_USERS" | tr ' ' ,)" "$FIX/bin/pi-runner" >"$SUDOERS.new"
	chmod 0440 "$SUDOERS.new"
	visudo -cf "$SUDOERS.new" >/dev/null
	mv "$SUDOERS.new" "$SUDOERS"
	install -d -m 0755 /etc/pi-agent
}

# Copies the helpers from the source tree into $ATK, every mode set here (root's umask and the
# clone's modes decide nothing): the directory 0755, scripts run by path 0755, the rest 0644.
atk_tools() {
	local src=$PI_TOP/tests/attacks
	install -d -m 0755 "$ATK"
	install -m 0644 "$src"/*.py "$PI_TOP/tests/seedmerge.py" "$ATK/"
	install -m 0755 "$src/stand-in.sh" "$src/proxyns.sh" "$ATK/"
}

# Removes our sudoers rule first (it names a path under /tmp), then the fixture.
atk_uninstall() {
	rm -f "$SUDOERS" "$SUDOERS"-*
	atk_umount_all
	rm -rf "$FIX" "$RUNTIME"
}

# Unmounts what tmpfs_at mounted (listed in $FIX/.mounts), innermost first.
atk_umount_all() {
	local m
	[ -f "$FIX/.mounts" ] || return 0
	tac "$FIX/.mounts" | while IFS= read -r m; do
		! mountpoint -q "$m" || umount -l "$m" || true
	done
	: >"$FIX/.mounts"
}

# tmpfs_at DIR SIZE [OWNER]: a fresh tmpfs of SIZE at DIR (mode 0755, owned by OWNER or root).
tmpfs_at() {
	local dir=$1 size=$2 owner=${3:-root}
	install -d -m 0755 "$dir"
	echo "$dir" >>"$FIX/.mounts"
	mount -t tmpfs -o "size=$size,nr_inodes=4m,mode=0755,uid=$(id -u "$owner"),gid=$(id -g "$owner")" \
		tmpfs "$dir"
}

# Per test: fresh homes, state and records (reset_state), a victim tree, the watched snapshot.
atk_setup() {
	local u h
	atk_umount_all
	reset_state
	h=$(home_of "$ODD")
	rm -rf "$h/p" "$h/.pi"
	install -d -m 0755 -o "$ODD" -g "$ODD" "$h/p"
	install -d -m 0755 "$REC/launch"
	# shellcheck disable=SC2034 # used by the tests
	A=$(home_of pitest-alice) B=$(home_of pitest-bob) H=$STATE/users/pitest-alice D=$H/.pi/agent
	rm -rf "$V"
	install -d -m 0755 "$V"
	install -d -m 0700 "$V/dir" "$V/dir/sub"
	install -d -m 0755 "$V/open"
	echo precious >"$V/file"
	echo '{"secret": "root-only"}' >"$V/root.json"
	echo 'ROOT_SECRET=yes' >"$V/secret.env"
	echo inner >"$V/dir/inner"
	echo world-readable >"$V/open/readable"
	chmod 0600 "$V/file" "$V/root.json" "$V/secret.env" "$V/dir/inner"
	chmod 0644 "$V/open/readable"
	for u in pitest-bob pitest-carol; do
		h=$(home_of "$u")
		install -d -m 0700 -o "$u" -g "$u" "$h/.pi" "$h/.pi/agent"
		printf '{"owner": "%s"}\n' "$u" >"$h/.pi/agent/settings.json"
		printf 'OWNER=%s\n' "$u" >"$h/.pi/agent/.env"
		chown "$u:$u" "$h/.pi/agent/settings.json" "$h/.pi/agent/.env"
	done
	# /etc/shadow stands for every root-only file; /etc/passwd and /etc/sudoers.d are left out,
	# other suites on the machine may add users and rules of their own meanwhile
	WATCH=(/etc/shadow /etc/sudoers "$SUDOERS" "$V" "$B" "$(home_of pitest-carol)")
	watch_now
}

# The paths the runner makes in the agent home (sync.bats, state.bats).
# shellcheck disable=SC2034 # used by the tests
DIRS=".pi .pi/agent .pi/agent/sessions .npm .npm-global .npm-global/bin .npm-global/lib projects"

# atk_host_config: alice's config dir, in S, with a settings.json and a models.json of hers.
atk_host_config() {
	S=$(host_cfg pitest-alice)
	echo '{"theme": "host"}' >"$S/settings.json"
	echo '{"model": "m"}' >"$S/models.json"
	chown pitest-alice "$S/settings.json" "$S/models.json"
}

# snap_of PATH...: a listing of everything under the paths: names, owners, modes, sizes, types,
# link targets, then the hash of every regular file.
snap_of() {
	find "$@" -printf '%p %U %G %m %s %y %l\n' 2>/dev/null | LC_ALL=C sort
	find "$@" -type f -print0 2>/dev/null | LC_ALL=C sort -z | xargs -0 -r sha256sum
}

# content_of DIR: what a directory holds, without the modes the runner resets at each launch:
# each file's path, size and hash, each link's target.
content_of() {
	find "$1" \( -type f -printf '%P %s\n' \) -o \( -type l -printf '%P -> %l\n' \) | LC_ALL=C sort
	find "$1" -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
}

# The snapshot of everything watched.
snap() { snap_of "${WATCH[@]}"; }

# Takes the snapshot later checks compare with.
watch_now() { before=$(snap); }

# The watched things are as they were at setup (or at the last watch_now).
unchanged() {
	local now
	now=$(snap)
	if [ "$now" != "$before" ]; then
		diff <(echo "$before") <(echo "$now") | head -20 >&2
		return 1
	fi
}

# atk_as USER DIR CMD...: CMD as USER in DIR (no tty), bounded in time ($T seconds, default 30).
atk_as() {
	local u=$1 d=$2
	shift 2
	timeout -k 5 "${T:-30}" setpriv --reuid "$u" --regid "$u" --init-groups --reset-env \
		env -C "$d" PATH="$FIX/bin:/usr/bin:/bin" "$@"
}

# as_agent CMD...: the agent account tampering with its own state between launches.
as_agent() { runuser -u pitest-agent -- "$@"; }

# pi_as USER DIR ARGS...: a launch through the wrapper and sudo, as a host user.
pi_as() {
	local u=$1 d=$2
	shift 2
	atk_as "$u" "$d" pi "$@"
}

# The launches the stand-in recorded since the reset.
launches() { find "$REC/launch" -mindepth 1 -maxdepth 1 -type d | LC_ALL=C sort; }
nlaunches() { launches | wc -l; }
# The record dir of the only launch.
rec() {
	[ "$(nlaunches)" -eq 1 ] || { echo "expected one launch, found $(nlaunches)" >&2; return 1; }
	launches
}
# Destinations of the BindPaths properties of the only launch, unquoted as systemd reads them.
binds() { python3 "$ATK/argv.py" binds "$(rec)/argv"; }
# The recorded argv of the only launch, one element per line.
argv_lines() { tr '\0' '\n' <"$(rec)/argv"; }
# Property value of the only launch (the first -p NAME=...).
prop() { argv_lines | sed -n "s/^$1=//p" | head -1; }

# The output of bats' run holds no sanitizer report and the exit was not a crash (ASan exits 99).
# shellcheck disable=SC2154 # status and output are set by bats' run
no_crash() {
	if [ "$status" -eq 99 ] || [ "$status" -ge 128 ] || [[ "$output" == *"Sanitizer"* ]] ||
		[[ "$output" == *"runtime error"* ]]; then
		echo "crashed: status $status, output: $output" >&2
		return 1
	fi
}

# shellcheck disable=SC2154 # status and output are set by bats' run
# A launch that must be refused: status 1, nothing launched, no crash, nothing watched changed.
refused() {
	no_crash
	[ "$status" -eq 1 ] || { echo "status $status, output: $output" >&2; return 1; }
	[ "$(nlaunches)" -eq 0 ] || { echo "a launch happened" >&2; return 1; }
	unchanged
}

# shellcheck disable=SC2154 # status and output are set by bats' run
# A launch that must succeed: status 0, exactly one launch, no crash, nothing watched changed.
launched() {
	no_crash
	[ "$status" -eq 0 ] || { echo "status $status, output: $output" >&2; return 1; }
	[ "$(nlaunches)" -eq 1 ] || { echo "$(nlaunches) launches" >&2; return 1; }
	unchanged
}

# host_cfg USER: creates USER's ~/.pi/agent (owned by USER) and prints its path.
host_cfg() {
	local h
	h=$(home_of "$1")
	install -d -o "$1" -g "$1" "$h/.pi" "$h/.pi/agent"
	echo "$h/.pi/agent"
}

# measured CMD...: runs CMD for at most 60 s under /usr/bin/time; its peak RSS (KiB) and
# wall time go to $BATS_TEST_TMPDIR/time. Use it with bats' run.
measured() {
	/usr/bin/time -f '%M %e' -o "$BATS_TEST_TMPDIR/time" timeout -k 5 60 "$@"
}

# small_and_quick: the measured command took less than 60 s and less than PI_ATK_RSS_MAX KiB
# (64 MiB unless run.sh raised it for the sanitizer build).
small_and_quick() {
	local rss secs
	read -r rss secs < <(tail -1 "$BATS_TEST_TMPDIR/time")
	echo "# peak RSS ${rss} KiB, ${secs} s" >&3
	[ "$rss" -lt "${PI_ATK_RSS_MAX:-65536}" ] && [ "${secs%.*}" -lt 60 ]
}
