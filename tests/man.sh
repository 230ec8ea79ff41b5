#!/bin/bash
# man.sh - the manual pages as each install builds them render cleanly (mandoc -Tlint, groff -ww) and name that install's runner path.
set -u
cd "$(dirname "$0")/.." || exit 1
passed=0 failed=0
# result NAME OUTPUT: an empty OUTPUT passes
result() {
	if [ -z "$2" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		printf 'FAIL %s\n%s\n' "$1" "$2"
	fi
}
if ! make -s man PREFIX=/usr/local >/dev/null ||
	! make -s build/deb/man/pi.1 build/deb/man/pi-merge.1 build/deb/man/pi-runner.8 >/dev/null; then
	result "make man" "the pages could not be built"
fi
for page in build/man/*.[18] build/deb/man/*.[18]; do
	result "$page" "$(mandoc -Tlint "$page" 2>&1; groff -ww -man -Tutf8 -z "$page" 2>&1)"
	result "$page: no placeholder is left" "$(grep -n '@[A-Z_]*@' "$page")"
done
# make install's pages name /usr/local/bin/pi-runner, the package's /usr/bin/pi-runner
for dir in build/man:/usr/local/bin/pi-runner build/deb/man:/usr/bin/pi-runner; do
	d=${dir%%:*} want=${dir#*:}
	grep -q "Defaults!$want !log_allowed" "$d/pi.1" || result "$d/pi.1" "does not name $want"
	grep -q "^alice,bob ALL=(root) NOPASSWD: $want\$" "$d/pi-runner.8" ||
		result "$d/pi-runner.8" "has no one-line sudo rule naming $want"
	result "$d: no other runner path" "$(grep -n 'bin/pi-runner' "$d"/*.[18] | grep -v "$want")"
done
echo "man: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -eq 14 ]
