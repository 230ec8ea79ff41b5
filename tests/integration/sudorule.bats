#!/usr/bin/env bats
# sudorule.bats - when sudo (or doas) itself refuses the runner, pi names the missing rule and its file, and pi-runner --check finds it before the first launch.

setup() {
	load fixture
	reset_state
	A=$(home_of pitest-alice)
	RUNNER=$FIX/bin/pi-runner
	FIXLINE="add \"pitest-alice ALL=(root) NOPASSWD: $RUNNER\" to /etc/sudoers.d/pi-agent (visudo -f /etc/sudoers.d/pi-agent)"
	MISSING="no sudo rule lets pitest-alice run $RUNNER without a password"
	PASSWORD="the sudo rule that lets pitest-alice run $RUNNER asks for a password (pi runs sudo -n, which cannot ask)"
	NOLIST="a password is required for sudo -l, so no sudo rule seems to let pitest-alice run $RUNNER without one"
}

teardown() {
	rules "$(echo "$HOST_USERS" | tr ' ' ,) ALL=(root) NOPASSWD: $RUNNER"
	if [ -e /etc/doas.conf.pitest ]; then
		rm -f /etc/doas.conf /etc/doas.conf.pitest
		[ ! -e /etc/doas.conf.pitest-saved ] || mv /etc/doas.conf.pitest-saved /etc/doas.conf
	fi
}

# rules LINE...: the fixture's sudoers drop-in holds exactly these lines (visudo clean).
rules() {
	printf '%s\n' "$@" >/etc/sudoers.d/pitest.new
	chmod 0440 /etc/sudoers.d/pitest.new
	visudo -cf /etc/sudoers.d/pitest.new >/dev/null
	mv /etc/sudoers.d/pitest.new /etc/sudoers.d/pitest
}

# refused_by_sudo [WHAT]: alice's pi was refused by sudo, pi named the rule (WHAT, else: sudo -l
# itself asks a password, as it does for a user without any NOPASSWD rule) and its file, nothing ran.
refused_by_sudo() {
	run as pitest-alice "$A/p" pi --some-arg
	[ "$status" -eq 1 ]
	[[ "$output" == *"sudo: a password is required"* ]]
	[ "${lines[-1]}" = "pi: ${1:-$NOLIST}: ask an admin to $FIXLINE" ]
	[ ! -e "$REC/argv" ]
	[ ! -e "$STATE/users/pitest-alice" ]
}

# check_names_it [WHAT]: root's --check fails and names alice's missing rule (WHAT, else $MISSING)
# with the line that adds it.
check_names_it() {
	run "$RUNNER" --check
	[ "$status" -eq 1 ]
	[[ "$output" == *"pi-runner: $CONF: hostUsers.pitest-alice: ${1:-$MISSING}: $FIXLINE"* ]]
	[[ "${lines[-1]}" != OK ]]
}

@test "no rule for alice: pi names the rule and the file; --check names it; bob's rule is not reported" {
	rules "pitest-bob,pitest-carol,pitest-dave ALL=(root) NOPASSWD: $RUNNER"
	refused_by_sudo
	check_names_it
	[[ "$output" != *"hostUsers.pitest-bob: no sudo rule"* ]]
	[[ "$output" != *"hostUsers.pitest-dave: no sudo rule"* ]]
}

@test "a rule naming another runner path (the README's /usr/local/bin with the package's /usr/bin) is named" {
	rules "$(echo "$HOST_USERS" | tr ' ' ,) ALL=(root) NOPASSWD: /usr/local/bin/pi-runner"
	# alice lists her rules without a password (a NOPASSWD one): pi reads that none is the runner
	refused_by_sudo "$MISSING"
	check_names_it
	[[ "$output" == *"hostUsers.pitest-bob: no sudo rule lets pitest-bob run $RUNNER without a password"* ]]
}

@test "a commented-out drop-in (the package's, before it is edited) is named" {
	rules "#$(echo "$HOST_USERS" | tr ' ' ,) ALL=(root) NOPASSWD: $RUNNER"
	refused_by_sudo
	check_names_it
}

@test "a rule that asks for a password is named: pi runs sudo without asking" {
	rules "pitest-alice ALL=(root) $RUNNER" "pitest-bob,pitest-carol,pitest-dave ALL=(root) NOPASSWD: $RUNNER"
	refused_by_sudo
	check_names_it "$PASSWORD"
}

@test "a rule that asks for a password beside another NOPASSWD rule of alice's is named (sudo -n -l answers 0 for it)" {
	rules "pitest-alice ALL=(root) $RUNNER" "pitest-alice ALL=(root) NOPASSWD: /bin/true" \
		"pitest-bob,pitest-carol,pitest-dave ALL=(root) NOPASSWD: $RUNNER"
	refused_by_sudo "$PASSWORD"
	check_names_it "$PASSWORD"
	# alice's own --check, with and without sudo, reads her own listing
	run as pitest-alice "$A/p" pi-runner --check
	[ "$status" -eq 1 ]
	[[ "$output" == *"hostUsers.pitest-alice: $PASSWORD: $FIXLINE"* ]]
	# the later NOPASSWD line wins, as in sudo
	rules "pitest-alice ALL=(root) $RUNNER" "pitest-alice ALL=(root) NOPASSWD: /bin/true" \
		"$(echo "$HOST_USERS" | tr ' ' ,) ALL=(root) NOPASSWD: $RUNNER"
	run "$RUNNER" --check
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = OK ]
	run as pitest-alice "$A/p" sudo -n "$RUNNER" --check
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = OK ]
}

@test "a NOPASSWD rule followed by one that asks a password (the last match wins) is named" {
	rules "$(echo "$HOST_USERS" | tr ' ' ,) ALL=(root) NOPASSWD: $RUNNER" "pitest-alice ALL=(ALL) ALL"
	refused_by_sudo "$PASSWORD"
	check_names_it "$PASSWORD"
}

@test "a rule freed by Defaults!RUNNER !authenticate: --check as root is OK and pi launches" {
	rules "Defaults!$RUNNER !authenticate" "$(echo "$HOST_USERS" | tr ' ' ,) ALL=(root) $RUNNER"
	run "$RUNNER" --check
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = OK ]
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	[ -e "$REC/argv" ]
}

@test "with the rule added, --check is OK and pi launches; the runner's own exit 1 gets no sudo line" {
	rules "pitest-bob,pitest-carol,pitest-dave ALL=(root) NOPASSWD: $RUNNER"
	check_names_it
	rules "$(echo "$HOST_USERS" | tr ' ' ,) ALL=(root) NOPASSWD: $RUNNER"
	run "$RUNNER" --check
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = OK ]
	[[ "$output" != *"no sudo rule"* ]]
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	[ -e "$REC/argv" ]
	# the agent exits 1: passed through, and nothing about sudo added
	echo 1 >"$REC/exit"
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 1 ]
	[[ "$output" != *"no sudo rule"* ]]
	[[ "$output" != *"sudo:"* ]]
}

@test "--check through sudo looks at the caller's own rule only" {
	rules "pitest-alice,pitest-carol ALL=(root) NOPASSWD: $RUNNER"
	run as pitest-alice "$A/p" sudo -n "$RUNNER" --check
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = OK ]
	[[ "$output" != *pitest-bob* ]] && [[ "$output" != *pitest-dave* ]]
	# root's own --check sees bob's and dave's missing rules
	run "$RUNNER" --check
	[ "$status" -eq 1 ]
	[[ "$output" == *"hostUsers.pitest-bob: no sudo rule lets pitest-bob run $RUNNER without a password"* ]]
	[[ "$output" == *"hostUsers.pitest-dave: no sudo rule lets pitest-dave run $RUNNER without a password"* ]]
	[[ "$output" != *"hostUsers.pitest-alice: no sudo rule"* ]]
}

@test "--check as a user without root asks only about that user's own rule" {
	rules "pitest-bob ALL=(root) NOPASSWD: $RUNNER"
	run as pitest-alice "$A/p" pi-runner --check
	[ "$status" -eq 1 ]
	[[ "$output" == *"hostUsers.pitest-alice: $NOLIST: $FIXLINE"* ]]
	[[ "$output" != *"hostUsers.pitest-dave: no sudo rule"* ]]
}

# use_doas LINE: doas as the elevation tool, /etc/doas.conf holding LINE, readable by all.
use_doas() {
	command -v doas >/dev/null || skip "opendoas is not installed"
	[ ! -e /etc/doas.conf ] || mv /etc/doas.conf /etc/doas.conf.pitest-saved
	printf '%s\n' "$1" >/etc/doas.conf
	chmod 0644 /etc/doas.conf
	touch /etc/doas.conf.pitest
	write_config "{\"sudoPath\": \"$(command -v doas)\"}"
}

@test "through doas: pi and --check name the missing doas rule and /etc/doas.conf" {
	use_doas "permit nopass pitest-bob as root cmd $RUNNER"
	local want="no doas rule lets pitest-alice run $RUNNER without a password"
	local fix="add \"permit nopass pitest-alice as root cmd $RUNNER\" to /etc/doas.conf"
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "pi: $want: ask an admin to $fix" ]
	[ ! -e "$REC/argv" ]
	run "$RUNNER" --check
	[ "$status" -eq 1 ]
	[[ "$output" == *"hostUsers.pitest-alice: $want: $fix"* ]]
	[[ "$output" != *"hostUsers.pitest-bob: no doas rule"* ]]
	printf 'permit nopass pitest-alice as root cmd %s\npermit nopass pitest-bob as root cmd %s\n' \
		"$RUNNER" "$RUNNER" >/etc/doas.conf
	printf 'permit nopass pitest-dave as root cmd %s\n' "$RUNNER" >>/etc/doas.conf
	run "$RUNNER" --check
	[ "$status" -eq 0 ]
	run as pitest-alice "$A/p" pi
	[ "$status" -eq 0 ]
	[ -e "$REC/argv" ]
}
