# scenario-envquote.sh - environment values with every character systemd's env-file parser treats specially reach the agent byte for byte; an env file ending in a backslash swallows nothing.
# shellcheck shell=bash

# The `environment` values of the scenario (JSON), each one a trap for an unquoted env file.
ENVQ_VALUES='{
  "E2E_Q_BS_TRAIL": "x\\", "E2E_Q_BS_MID": "a\\nb\\\\c", "E2E_Q_SQ_LEAD": "'"'"'x",
  "E2E_Q_SQ_TRAIL": "x'"'"'", "E2E_Q_DQ_LEAD": "\"x", "E2E_Q_DQ_TRAIL": "x\"",
  "E2E_Q_DOLLAR": "$HOME", "E2E_Q_BRACE": "${HOME}", "E2E_Q_TICK": "`id`",
  "E2E_Q_HASH": "#x", "E2E_Q_HASH_MID": "a #b", "E2E_Q_SEMI": ";x",
  "E2E_Q_SP_LEAD": "  x", "E2E_Q_SP_TRAIL": "x  ", "E2E_Q_TAB_LEAD": "\tx", "E2E_Q_TAB_TRAIL": "x\t",
  "E2E_Q_NL": "a\nE2E_Q_FORGED=1\n", "E2E_Q_EQ": "a=b=c", "E2E_Q_UTF8": "caf\u00e9 \u20ac \ud83d\ude00",
  "E2E_Q_CTL": "\u0001\u001b[0m\r\u007f", "E2E_Q_PLAIN": "plain/value:1,2"
}'

scenario_envquote() {
	need_launcher "scenario envquote" || return 0
	local conf expect out name hex want
	# admin env files: the last line of one ends in a backslash (read with the next file, it
	# would swallow that file's first line), another opens a quote it never closes (it would
	# swallow every file after it)
	ctr bash -c 'cd /etc/pi-agent && printf "E2E_Q_FILE=x\\\\" >trail.env &&
		printf "E2E_Q_OPEN=\"open\n" >quote.env && printf "E2E_Q_SECRET=s3cret\n" >secret-q.env &&
		chmod 0600 trail.env quote.env secret-q.env'
	write_config /opt/fake-agent
	conf=$(ctr cat /etc/pi-agent/config.json | python3 -c '
import json, sys
c = json.load(sys.stdin)
c["environment"].update(json.loads(sys.argv[1]))
c["environmentFiles"] = ["/etc/pi-agent/trail.env", "/etc/pi-agent/secret-q.env",
                         "/etc/pi-agent/quote.env", "/etc/pi-agent/secrets.env"]
print(json.dumps(c, indent=2))' "$ENVQ_VALUES")
	ctr bash -c 'umask 022; cat >/etc/pi-agent/config.json' <<<"$conf"
	# what each variable must hold: the JSON value's UTF-8 bytes, in hex
	expect=$(python3 -c '
import json, sys
v = json.loads(sys.argv[1])
# a file is read to its end as systemd does: the open quote takes the line end the runner adds
v.update({"E2E_Q_FILE": "x", "E2E_Q_OPEN": "open\n\n", "E2E_Q_SECRET": "s3cret",
          "E2E_SECRET": "s3cret"})
for k in sorted(v):
    print("%s=%s" % (k, v[k].encode().hex()))' "$ENVQ_VALUES")
	pi_as alice proj-alice "--quiet --envhex E2E_Q_ --envhex E2E_SECRET"
	check_eq "envquote: the agent ran" 0 "$RC"
	out=$(grep '^envhex:' <<<"$OUT" | sed 's/^envhex://' | LC_ALL=C sort)
	while IFS='=' read -r name want; do
		hex=$(sed -n "s/^$name=//p" <<<"$out")
		check_eq "envquote: $name arrives byte for byte" "$want" "$hex"
	done <<<"$expect"
	check_lacks "envquote: a newline in a value forges no variable" "$out" "E2E_Q_FORGED="
	check_eq "envquote: the agent sees exactly the variables set" \
		"$(cut -d= -f1 <<<"$expect")" "$(cut -d= -f1 <<<"$out")"
	write_config /opt/fake-agent
	ctr rm -f /etc/pi-agent/trail.env /etc/pi-agent/quote.env /etc/pi-agent/secret-q.env
}
