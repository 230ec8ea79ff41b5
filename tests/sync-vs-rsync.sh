#!/bin/bash
# sync-vs-rsync.sh - syncs seeded random trees with rsync -a --delete and with sync_tree, compares.
#
# usage: tests/sync-vs-rsync.sh            compare, ROUNDS (8) rounds of mutations, SEED (4242)
#        tests/sync-vs-rsync.sh --bench    time and peak RSS against rsync, 10,000 files (~40 MB)
# Needs root (the driver runs sync_tree as root), rsync and GNU find/diff/sed/touch.
# The reference is the runner's old call with the excludes anchored at the top, plus
# --no-specials (sync_tree skips FIFOs with a warning where rsync as root would mknod them) and
# --modify-window=-1 (sync_tree compares mtimes to the nanosecond; plain rsync only to the second,
# so it misses a same-size change within the second and leaves a fresh dir's mtime unset).
# The driver runs with -s 0: a second thread shares the top directories from the start.
# strace counts the identity switches: the same for a tree of 2 directories and of 64.
set -eu
cd "$(dirname "$0")/.."

SEED=${SEED:-4242}
ROUNDS=${ROUNDS:-8}
CC=${CC:-cc}
WARN="-std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes
      -Wmissing-prototypes -Wvla -Wpointer-arith -Wundef -Wno-unused-parameter -D_GNU_SOURCE"
SAN=${SAN--O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all}
RSYNC=(rsync -a --delete --no-specials --modify-window=-1)
EXCL=(--exclude=/auth.json --exclude=/mcp-oauth --exclude=/sessions --exclude=/bin
      --exclude=/mcp-cache.json)
LINKS=$(sed -n '1s|^// links:||p' tests/sync-driver.c)
pass=0 fail=0

[ "$(id -u)" -eq 0 ] || { echo "sync-vs-rsync: needs root" >&2; exit 2; }
command -v rsync >/dev/null || { echo "sync-vs-rsync: rsync not found" >&2; exit 2; }
mkdir -p build
WORK=$(mktemp -d /tmp/sync-vs-rsync.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# ---- seeded randomness: R is the result (a subshell would not advance $RANDOM) ----
rnd() { R=$((RANDOM % $1)); }
pick() { rnd $#; shift "$R"; P=$1; }
stamp() { rnd 400000000; touch -h -d "@$((1200000000 + R)).$((RANDOM * 30517))" "$1"; }

# A file of size N with content that differs at every offset (seq lines).
mkfile() {
	rnd 20
	if [ "$R" -eq 0 ]; then R=$((RANDOM * 9)); elif [ "$R" -lt 5 ]; then rnd 20; else rnd 6000; fi
	seq -f "$RANDOM %g" 1 $((R / 6 + 1)) | head -c "$R" >"$1"
	pick 644 600 755 700 640 444 664 400
	chmod "$P" "$1"
	stamp "$1"
}

mklink() {
	pick sib ../up /etc/shadow dangling/path "$(printf 'long%.0s' {1..70})" . f1 d1
	ln -s "$P" "$1"
	stamp "$1"
}

NAMES=(f1 f2 f3 d1 d2 l1 l2 "sp ace" "new
line" -dash .hidden "ünï" .f1.pi-tmp "$(printf 'n%.0s' {1..255})")

gen_dir() {   # DIR DEPTH
	local i n e
	rnd 10; n=$((R + 3))
	for ((i = 0; i < n; i++)); do
		rnd 3
		if [ "$R" -eq 0 ]; then pick "${NAMES[@]}"; else rnd 40; P=e$R; fi
		e=$1/$P
		[ -e "$e" ] || [ -L "$e" ] && continue
		rnd 10
		if [ "$R" -lt 3 ] && [ "$2" -lt 4 ]; then
			mkdir "$e"; gen_dir "$e" $(($2 + 1))
			pick 755 700 750 555; chmod "$P" "$e"; stamp "$e"
		elif [ "$R" -lt 4 ]; then mklink "$e"
		else mkfile "$e"
		fi
	done
	stamp "$1"
}

gen_tree() {   # SRC
	mkdir -p "$1"
	gen_dir "$1" 0
	mkdir -p "$1/bin" "$1/ext/bin" "$1/sessions" "$1/mcp-oauth"
	mkfile "$1/bin/tool"; mkfile "$1/ext/bin/tool"; mkfile "$1/sessions/s"
	mkfile "$1/auth.json"; mkfile "$1/mcp-cache.json"; mkfile "$1/mcp-oauth/t"
	mkfile "$1/suid"; chmod 4755 "$1/suid"
	mkfifo "$1/pipe"
}

# The agent's own files the excludes must keep: the same in both destinations.
seed_dst() {
	mkdir -p "$1/sessions" "$1/bin"
	echo token >"$1/auth.json"; echo s >"$1/sessions/keep"; echo t >"$1/bin/agent-tool"
	touch -d @1300000000 "$1/auth.json" "$1/sessions/keep" "$1/bin/agent-tool" "$1/sessions" \
		"$1/bin"
}

# A random change under DIR; the same RANDOM draws give the same change elsewhere.
mutate() {   # DIR
	local all t
	mapfile -d '' all < <(find "$1" -mindepth 1 ! -path "$1/pipe" -print0 | sort -z)
	pick "${all[@]}"; t=$P
	rnd 12
	case $R in
	0) [ -f "$t" ] && [ ! -L "$t" ] && mkfile "$t" ;;
	1) [ -f "$t" ] && [ ! -L "$t" ] && { tr 0-9 a-j <"$t" >"$WORK/x"; cat "$WORK/x" >"$t"; stamp "$t"; } ;;
	2) [ -L "$t" ] || { pick 644 600 755 700 640 555; chmod "$P" "$t"; } ;;
	3) stamp "$t" ;;
	4) rm -rf "$t" ;;
	5) if [ -d "$t" ] && [ ! -L "$t" ]; then
		rm -rf "$t"; rnd 2; if [ "$R" -eq 0 ]; then mkfile "$t"; else mklink "$t"; fi
	   elif [ -L "$t" ]; then rm -f "$t"; mkfile "$t"
	   else rm -f "$t"; mkdir "$t"; mkfile "$t/in"; stamp "$t"; fi ;;
	6 | 9 | 10 | 11) [ -d "$t" ] && [ ! -L "$t" ] || t=$(dirname "$t")
	   chmod u+w "$t"; gen_dir "$t" 3 ;;
	7) [ -L "$t" ] && { rm -f "$t"; mklink "$t"; } ;;
	8) [ -f "$t" ] && [ ! -L "$t" ] && { rm -f "$t"; mklink "$t"; } ;;
	esac
	return 0
}

# What the agent may have planted in its copy between launches.
plant() {   # DIR
	local all t
	mapfile -d '' all < <(find "$1" -mindepth 1 \( -path "$1/sessions" -o -path "$1/bin" -o \
		-path "$1/auth.json" \) -prune -o -print0 | sort -z)
	pick "${all[@]}"; t=$P
	rnd 5
	case $R in
	0) echo planted >"$(dirname "$t")/planted" ;;
	1) [ -d "$t" ] && [ ! -L "$t" ] && { rm -rf "$t"; ln -s "$WORK/outside" "$t"; } ;;
	2) [ -f "$t" ] && [ ! -L "$t" ] && { rm -f "$t"; ln -s "$WORK/outside/file" "$t"; } ;;
	3) echo half >"$(dirname "$t")/.$(basename "$t").pi-tmp" ;;
	4) [ -f "$t" ] && [ ! -L "$t" ] && { rm -f "$t"; mkdir "$t"; echo x >"$t/x"; } ;;
	esac
	return 0
}

# names, types, modes (without 07000: ours strips them), sizes but of dirs, mtimes, targets
manifest() {
	find "$1" \( -type d -printf '%P\t%y\t%m\t-\t%T@\t\0' \) -o \
		-printf '%P\t%y\t%m\t%s\t%T@\t%l\0' |
		sed -z 's/\t\([a-z]\)\t[0-7]*\([0-7]\{3\}\)\t/\t\1\t\2\t/' | sort -z
}

check() {   # NAME, then the command that must succeed
	local name=$1
	shift
	if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name" >&2; fi
}

same_manifest() { cmp -s <(manifest "$1") <(manifest "$2") || { diff <(manifest "$1" | tr '\0' '\n') <(manifest "$2" | tr '\0' '\n') | head -20 >&2; false; }; }
same_content() { diff -r --no-dereference "$1" "$2" >&2; }
no_special_bits() { [ -z "$(find "$1" -perm /7000 -print -quit)" ]; }
driver_quiet() { [ "$(build/sync-driver -s 0 "$1" "$2" 2>/dev/null)" = "$3" ]; }
rsync_agrees() {   # rsync -c itemizes nothing to do on our copy (but the stripped setuid)
	local out
	out=$("${RSYNC[@]}" -nic "${EXCL[@]}" "$1/" "$2/" |
		grep -v -e '^\.f\.\.\.p\.\.\.\.\. suid$' -e '^skipping non-regular file "pipe"$' || true)
	[ -z "$out" ] || { echo "$out" | head -20 >&2; false; }
}

compare() {
	local src=$WORK/src rs=$WORK/rsync ours=$WORK/ours round stats
	# shellcheck disable=SC2086 # the flag lists split into words on purpose
	$CC $WARN $SAN -I. -Ipriv -o build/sync-driver tests/sync-driver.c $LINKS
	RANDOM=$SEED
	mkdir -p "$WORK/outside"; echo outside >"$WORK/outside/file"
	gen_tree "$src"
	seed_dst "$rs"; seed_dst "$ours"
	for ((round = 0; round <= ROUNDS; round++)); do
		if [ "$round" -gt 0 ]; then
			for _ in {1..12}; do mutate "$src"; done
			local state=$RANDOM
			RANDOM=$state; plant "$rs"; RANDOM=$state; plant "$ours"
		fi
		"${RSYNC[@]}" "${EXCL[@]}" "$src/" "$rs/" >/dev/null
		stats=$(build/sync-driver -s 0 "$src" "$ours" 2>"$WORK/warn") || { cat "$WORK/warn" >&2; stats=failed; }
		echo "round $round: $stats"
		check "round $round: driver ran" [ "$stats" != failed ]
		check "round $round: FIFO warned" grep -q 'skipping pipe: FIFO' "$WORK/warn"
		check "round $round: names, types, modes, sizes, mtimes, targets" same_manifest "$rs" "$ours"
		check "round $round: contents and links" same_content "$rs" "$ours"
		check "round $round: no setuid/setgid/sticky" no_special_bits "$ours"
		check "round $round: rsync -c finds nothing to do" rsync_agrees "$src" "$ours"
		check "round $round: second run writes nothing" driver_quiet "$src" "$ours" \
			"${stats%% *} copied=0 updated=0 deleted=0 skipped=1 bytes=0"
		check "round $round: outside untouched" [ "$(ls -A "$WORK/outside")" = file ]
		check "round $round: outside file intact" [ "$(cat "$WORK/outside/file")" = outside ]
	done
	check "identity switches: as many for 64 directories as for 2" same_switches
	echo "sync-vs-rsync: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

switches() {   # DIRS: setgroups calls (every identity switch makes one) of a warm sync, -s 0
	local d src=$WORK/sw-src$1 dst=$WORK/sw-dst$1
	for ((d = 0; d < $1; d++)); do mkdir -p "$src/d$d/sub" && echo x >"$src/d$d/sub/f"; done
	mkdir "$dst"
	build/sync-driver -q -s 0 -r root -w root "$src" "$dst" || return 1
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=setgroups -o "$WORK/sw-trace$1" \
		build/sync-driver -q -s 0 -r root -w root "$src" "$dst" || return 1
	grep -c setgroups "$WORK/sw-trace$1"
}

# Each thread takes its identity once (a reader the user's, a walker the agent's), never
# per directory: a deeper or wider tree costs no more switches.
same_switches() {
	local few many
	few=$(switches 2) && many=$(switches 64) || return 1
	echo "setgroups calls: $few for 2 directories, $many for 64" >&2
	[ "$few" -gt 0 ] && [ "$few" -eq "$many" ]
}

# ---- benchmark: medians of 3 runs, ratios against rsync with the same excludes ----
big_tree() {   # 100 dirs x 100 files, 0..8 KiB each (~40 MB)
	local d f
	for ((d = 0; d < 100; d++)); do
		mkdir -p "$1/dir$d"
		for ((f = 0; f < 100; f++)); do
			head -c $((RANDOM % 8192)) /dev/urandom >"$1/dir$d/file$f"
		done
	done
}

timed() {   # CMD... : appends "seconds peak-RSS-KiB" to $WORK/times
	sync
	/usr/bin/time -a -f '%e %M' -o "$WORK/times" "$@" >/dev/null
}

report() {   # LABEL: median seconds and the largest peak RSS of the runs since the last report
	sort -n "$WORK/times" | awk -v l="$1" '{ t[NR] = $1; if ($2 > m) m = $2 }
		END { printf "%-24s %6.2f s  %6d KiB\n", l, t[int((NR + 1) / 2)], m }'
	MED[$1]=$(sort -n "$WORK/times" | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }')
	: >"$WORK/times"
}

bench() {
	local src=$WORK/big drv=build/sync-driver-musl i step
	local ours=(-r root -w root) rs=(rsync -a --delete "${EXCL[@]}")
	declare -gA MED
	# shellcheck disable=SC2086 # the flag lists split into words on purpose
	musl-gcc $WARN -Os -fstack-protector-strong -D_FORTIFY_SOURCE=2 -ffunction-sections \
		-fdata-sections -I. -o $drv tests/sync-driver.c $LINKS -static -s -Wl,--gc-sections
	big_tree "$src"
	echo "tree: $(find "$src" -type f | wc -l) files, $(du -sm --apparent-size "$src" | cut -f1) MB;" \
		"sync-driver: $drv ${ours[*]} (static musl -Os, identity switches on)"
	: >"$WORK/times"
	for i in 1 2 3; do mkdir "$WORK/r$i" "$WORK/o$i" "$WORK/f$i"; done
	for i in 1 2 3; do timed "${rs[@]}" "$src/" "$WORK/r$i/"; done; report "rsync cold"
	for i in 1 2 3; do timed "${rs[@]}" --fsync "$src/" "$WORK/f$i/"; done; report "rsync --fsync cold"
	for i in 1 2 3; do timed $drv "${ours[@]}" "$src" "$WORK/o$i"; done; report "sync-driver cold"
	for i in 1 2 3; do timed "${rs[@]}" "$src/" "$WORK/r1/"; done; report "rsync warm"
	for i in 1 2 3; do timed $drv "${ours[@]}" "$src" "$WORK/o1"; done; report "sync-driver warm"
	for i in 1 2 3; do
		echo "change $i" >>"$src/dir4$i/file7"
		timed "${rs[@]}" "$src/" "$WORK/r$i/"; mv "$WORK/times" "$WORK/t-rs"
		timed $drv "${ours[@]}" "$src" "$WORK/o$i"; cat "$WORK/times" >>"$WORK/t-ours"
		mv "$WORK/t-rs" "$WORK/times"; cat "$WORK/times" >>"$WORK/t-rs2"; : >"$WORK/times"
	done
	mv "$WORK/t-rs2" "$WORK/times"; report "rsync one changed"
	mv "$WORK/t-ours" "$WORK/times"; report "sync-driver one changed"
	for step in cold warm "one changed"; do
		awk -v s="$step" -v o="${MED[sync-driver $step]}" -v r="${MED[rsync $step]}" \
			'BEGIN { printf "ratio sync-driver/rsync %-12s %.2f\n", s, (r > 0 ? o / r : 0) }'
	done
	awk -v o="${MED[sync-driver cold]}" -v r="${MED[rsync --fsync cold]}" \
		'BEGIN { printf "ratio sync-driver/rsync --fsync cold %.2f\n", (r > 0 ? o / r : 0) }'
	$drv "${ours[@]}" "$src" "$WORK/o1" >/dev/null
	"${rs[@]}" "$src/" "$WORK/r1/"
	strace -c -f -o "$WORK/st-ours" $drv "${ours[@]}" "$src" "$WORK/o1" >/dev/null
	strace -c -f -o "$WORK/st-rs" "${rs[@]}" "$src/" "$WORK/r1/" >/dev/null
	echo "warm run syscalls (strace -c -f): sync-driver $(tail -1 "$WORK/st-ours" | awk '{ print $4 }')," \
		"rsync $(tail -1 "$WORK/st-rs" | awk '{ print $4 }')"
	cat "$WORK/st-ours"
}

if [ "${1:-}" = --bench ]; then bench; else compare; fi
