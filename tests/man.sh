#!/bin/bash
# man.sh - the manual pages render cleanly: mandoc -Tlint and groff -ww find nothing to say.
set -u
cd "$(dirname "$0")/.." || exit 1
passed=0 failed=0
for page in man/*.[18]; do
	out=$(mandoc -Tlint "$page" 2>&1; groff -ww -man -Tutf8 -z "$page" 2>&1)
	if [ -z "$out" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		printf 'FAIL %s\n%s\n' "$page" "$out"
	fi
done
echo "man: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -eq 3 ]
