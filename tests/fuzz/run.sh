#!/bin/bash
# run.sh - builds the libFuzzer targets (ASan+UBSan) and runs each for SECONDS on a copy of its seed corpus: run.sh [SECONDS] [TARGET...]
#
# Targets: json (parser, accessors, merge printer), config (config_load) and proxyreq (the
# proxy request parser and the allowlist's host and entry parsers). Work happens in
# build/fuzz/TARGET/ (binary, corpus copy, log, crash files); the seeds in tests/fuzz/corpus/
# are never written. Prints execs, coverage and crashes per target, then
# "fuzz: N passed, M failed"; exits 1 if any target failed to build or found a crash.
set -u
cd "$(dirname "$0")/../.." || exit 1

seconds=${1:-60}
shift 2>/dev/null || true
targets=${*:-json config proxyreq}
# libFuzzer reads -max_total_time=0 as "no limit": SECONDS must be at least 1.
case $seconds in '' | *[!0-9]* | 0*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;; esac

CLANG=${CLANG:-clang}
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE
	-std=c11 -Ibuild/include -I. -Ilaunch -Inet -Ipriv -Ilib -Wall -Wextra -Werror -Wno-unused-parameter"

# The product sources each target links.
sources() {
	case $1 in
	json) echo lib/json.c merge.c ;;
	config) echo lib/config.c lib/json.c priv/fs.c merge.c net/netpolicy.c lib/resources.c ;;
	proxyreq) echo net/proxyreq.c net/netpolicy.c ;;
	*) return 1 ;;
	esac
}

make -s build/include/jsmn.h || exit 1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0 failed=0
for t in $targets; do
	dir=build/fuzz/$t
	src=$(sources "$t") || { echo "== $t: unknown target" >&2; failed=$((failed + 1)); continue; }
	mkdir -p "$dir/artifacts"
	# shellcheck disable=SC2086
	if ! $CLANG $CFLAGS -o "$dir/fuzz_$t" "tests/fuzz/fuzz_$t.c" $src; then
		echo "== $t: build failed"
		failed=$((failed + 1))
		continue
	fi
	rm -rf "$dir/corpus" "$dir/artifacts"/*
	cp -r "tests/fuzz/corpus/$t" "$dir/corpus"
	dict=()
	[ -f "tests/fuzz/$t.dict" ] && dict=("-dict=tests/fuzz/$t.dict")
	echo "== $t: fuzzing for ${seconds}s (log: $dir/log)"
	"$dir/fuzz_$t" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=60 \
		-print_final_stats=1 -artifact_prefix="$dir/artifacts/" "${dict[@]}" \
		"$dir/corpus" >"$dir/log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$dir/log" | tail -n 1)
	corp=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$dir/log" | tail -n 1)
	rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$dir/log" | tail -n 1)
	echo "   execs: ${execs:-?}  ${cov:-cov: ? ft: ?}  ${corp:-corp: ?}  peak rss: ${rss:-?} MB"
	crash=$(find "$dir/artifacts" -type f | head -n 1)
	if [ "$rc" -eq 0 ] && [ -z "$crash" ]; then
		echo "   crashes: 0"
		passed=$((passed + 1))
	else
		echo "   FAILED (exit $rc): ${crash:-no crash file}"
		grep -E -A 40 '^==[0-9]+==ERROR|runtime error|invariant failed|deadly signal' "$dir/log" | head -n 60
		failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
