#!/usr/bin/env bash
# tests/nix.sh - parses every .nix file of the repo, checks that nix/module.nix declares every option of the seed module (tests/seed-options.nix) with the seed's type and literal default, and checks the config the module generates (accounts, config.json's network keys, assertions).
# Needs nix-bin (nix-instantiate, nix): skips without it, except under CI=true where that is a failure.
# Evaluates with a stub lib (tests/nix-stub-lib.nix) and no nixpkgs, into no store (dummy://).
set -euo pipefail

top=$(git rev-parse --show-toplevel)
cd "$top"

if ! command -v nix-instantiate >/dev/null 2>&1 || ! command -v nix >/dev/null 2>&1; then
	if [ "${CI:-}" = true ]; then
		echo "nix: FAIL: nix-instantiate/nix not found; CI must install nix-bin" >&2
		echo "nix: 0 passed, 1 failed"
		exit 1
	fi
	echo "nix: SKIP: nix-instantiate not found (apt-get install nix-bin to run these checks)"
	exit 0
fi

seed="$top/tests/seed-options.nix"
store=(--store dummy://)
pass=0
fail=0
ok() { pass=$((pass + 1)); printf 'ok   %s\n' "$*"; }
bad() { fail=$((fail + 1)); printf 'FAIL %s\n' "$*"; }

# 1. Every .nix file, tracked or new, must parse.
while IFS= read -r -d '' f; do
	[ -f "$f" ] || continue
	if err=$(nix-instantiate "${store[@]}" --parse "$f" 2>&1 >/dev/null); then
		ok "parse $f"
	else
		bad "parse $f: $err"
	fi
done < <(git ls-files -z --cached --others --exclude-standard -- '*.nix')

# 2. Option declarations: each seed option path must exist in nix/module.nix with the same type,
# and with the same default where the seed's default is a literal. The modules are called with
# the stub lib; config and pkgs throw, so a default that needs them is "not a literal".
# Prints one line per seed option ("ok   ..."/"FAIL ...") and one "new  ..." per added option.
read -r -d '' compare <<'NIX' || true
let
  lib = import (/. + builtins.getEnv "PI_NIX_STUB_LIB");
  unavailable = what: throw "${what} is not available when reading option declarations";
  moduleArgs = {
    inherit lib;
    name = "<name>";
    config = unavailable "config";
    options = unavailable "options";
    pkgs = unavailable "pkgs";
    utils = unavailable "utils";
    modulesPath = unavailable "modulesPath";
  };
  load = m: let
    v = if builtins.isPath m || builtins.isString m then import m else m;
  in
    if builtins.isFunction v then v moduleArgs else v;
  # The option trees a module declares, its imports' included.
  treesOf = m: let r = load m; in [(r.options or {})] ++ builtins.concatMap treesOf (r.imports or []);

  isOption = v: builtins.isAttrs v && (v._type or null) == "option";
  walk = prefix: tree:
    if isOption tree
    then [(describe prefix tree)] ++ walkType prefix (tree.type or lib.types.unspecified)
    else if builtins.isAttrs tree
    then builtins.concatMap (n: walk (prefix ++ [n]) tree.${n}) (builtins.attrNames tree)
    else [];
  walkType = prefix: type:
    if type ? modules
    then builtins.concatMap (m: builtins.concatMap (walk prefix) (treesOf m)) type.modules
    else if type ? elem
    then walkType (prefix ++ (if type.segment == null then [] else [type.segment])) type.elem
    else [];

  describe = path: opt: let
    d = builtins.tryEval (builtins.deepSeq opt.default opt.default);
  in {
    path = builtins.concatStringsSep "." path;
    type = (opt.type or lib.types.unspecified).name;
    hasDefault = opt ? default;
    evaluated = opt ? default && d.success;
    default = if opt ? default && d.success then d.value else null;
  };
  isLiteral = v: let t = builtins.typeOf v; in
    builtins.elem t ["string" "bool" "null" "int" "float"]
    || (t == "list" && builtins.all isLiteral v)
    || (t == "set" && !(v ? _type) && (v.type or null) != "derivation"
        && builtins.all isLiteral (builtins.attrValues v));

  optionsOf = m: builtins.concatMap (walk []) (treesOf m);
  # the seed's options as facts (tests/seed-options.nix): path, type, hasDefault, literal, default
  seed = map (s: s // { evaluated = s.literal; }) (import (/. + builtins.getEnv "PI_NIX_SEED"));
  ours = optionsOf (/. + builtins.getEnv "PI_NIX_MODULE");
  index = opts: builtins.listToAttrs (map (o: { name = o.path; value = o; }) opts);
  seedIndex = index seed;
  ourIndex = index ours;
  show = builtins.toJSON;

  compare = s: let
    o = ourIndex.${s.path} or null;
    literal = s.literal;
  in
    if o == null
    then "FAIL ${s.path}: declared by the seed, missing from nix/module.nix"
    else if o.type != s.type
    then "FAIL ${s.path}: type ${o.type}, the seed's is ${s.type}"
    else if s.hasDefault && !o.hasDefault
    then "FAIL ${s.path}: no default, the seed has one"
    else if !literal
    then "ok   ${s.path}: type ${o.type}${if s.hasDefault then " (the seed's default is not a literal: not compared)" else ", no default"}"
    else if !o.evaluated
    then "FAIL ${s.path}: default does not evaluate to a literal, the seed's is ${show s.default}"
    else if o.default != s.default
    then "FAIL ${s.path}: default ${show o.default}, the seed's is ${show s.default}"
    else "ok   ${s.path}: type ${o.type}, default ${show o.default}";
  added = map (o: "new  ${o.path}: type ${o.type}") (builtins.filter (o: !(seedIndex ? ${o.path})) ours);
in
  builtins.concatStringsSep "\n" (map compare seed ++ added) + "\n"
NIX

errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
if [ ! -f "$seed" ]; then
	bad "the seed's option facts not found at $seed"
elif ! out=$(PI_NIX_STUB_LIB="$top/tests/nix-stub-lib.nix" PI_NIX_SEED="$(realpath "$seed")" \
	PI_NIX_MODULE="$top/nix/module.nix" \
	nix --extra-experimental-features nix-command eval "${store[@]}" --impure --raw --expr "$compare" 2>"$errors"); then
	bad "option comparison did not evaluate: $(cat "$errors")"
else
	while IFS= read -r line; do
		case "$line" in
		"ok   "*) pass=$((pass + 1)) ;;
		"FAIL "*) fail=$((fail + 1)) ;;
		esac
		printf '%s\n' "$line"
	done <<<"$out"
	grep -q '^ok   m3ta\.pi-agent\.' <<<"$out" || bad "no seed option was compared"
	# The options the launcher added must stay declared too.
	for opt in launcherPackage perUserAgentAccounts 'hostUsers.<name>.agentUser' \
		resourceLimits.MemoryMax resourceLimits.CPUQuota resourceLimits.TasksMax wrapper.extraProperties \
		network.mode network.allow network.deny proxyUser 'hostUsers.<name>.network' \
		'hostUsers.<name>.network.mode' 'hostUsers.<name>.network.allow' 'hostUsers.<name>.network.deny' \
		resources.memoryMax resources.memoryHigh resources.cpuWeight resources.cpuQuota \
		resources.tasksMax resources.ioWeight resources.runtimeMaxSec \
		'hostUsers.<name>.resources.memoryMax' 'hostUsers.<name>.resources.runtimeMaxSec' \
		'hostUsers.<name>.devices'; do
		if grep -qF "new  m3ta.pi-agent.$opt:" <<<"$out"; then
			ok "m3ta.pi-agent.$opt: declared (new)"
		else
			bad "m3ta.pi-agent.$opt: not declared by nix/module.nix"
		fi
	done
fi

# 3. The module's config for given option values: the options not given take the defaults
# nix/module.nix declares (a submodule's included), the way the module system fills them; pkgs
# is a stub whose packages are fixed store paths. PI_NIX_CFG holds the given values (JSON),
# PI_NIX_SHOW the parts of the result to print (JSON, keys sorted):
#   failed   the messages of the assertions that do not hold
#   groups   the groups it creates; users: the accounts it creates, as declared
#   network, proxyUser, hostNetworks: those keys of the generated config.json
#   (hostNetworks: each host user's network, "absent" when config.json has none)
#   resources, hostResources: config.json's top-level resources, each host user's resources
#   and devices ("absent" when config.json has none)
read -r -d '' evaluate <<'NIX' || true
let
  lib = import (/. + builtins.getEnv "PI_NIX_STUB_LIB");
  given = builtins.fromJSON (builtins.getEnv "PI_NIX_CFG");
  show = builtins.filter (k: builtins.isString k && k != "") (builtins.split " " (builtins.getEnv "PI_NIX_SHOW"));
  store = name: "/nix/store/00000000000000000000000000000000-stub-${name}";
  pkgs = {
    runCommand = name: _: _: store name;
    writeText = name: _: store name;
    nodejs = store "nodejs";
    git = store "git";
    coreutils = store "coreutils";
    findutils = store "findutils";
    gnugrep = store "gnugrep";
    gnused = store "gnused";
    util-linux = store "util-linux";
    systemd = store "systemd";
    shadow = store "shadow";
  };

  isOption = v: builtins.isAttrs v && (v._type or null) == "option";
  optionsOf = m: let
    v = if builtins.isFunction m then m { inherit lib pkgs; name = "<name>"; config = throw "config"; } else m;
  in v.options or {};
  fillType = type: v:
    if v == null then null
    else if type ? modules then fillTree (builtins.foldl' (a: m: a // optionsOf m) {} type.modules) v
    else if type ? elem && type.segment == "<name>" then builtins.mapAttrs (_: fillType type.elem) v
    else if type ? elem && type.segment == "*" then map (fillType type.elem) v
    else if type ? elem then fillType type.elem v
    else v;
  fillTree = tree: v: let
    unknown = builtins.filter (n: !(tree ? ${n})) (builtins.attrNames v);
  in
    if unknown != [] then throw "the test gives undeclared options: ${toString unknown}"
    else builtins.mapAttrs (n: o:
      if isOption o then fillType o.type (v.${n} or o.default)
      else fillTree o (v.${n} or {})) tree;

  module = import (/. + builtins.getEnv "PI_NIX_MODULE");
  m = module { inherit lib pkgs; config.m3ta.pi-agent = cfg; };
  cfg = fillTree m.options.m3ta.pi-agent given;
  body = m.config.content;
  applied = x: if x.condition then x.content else {};
  json = builtins.fromJSON body.environment.etc."pi-agent/config.json".text;
  result = {
    failed = map (a: a.message) (builtins.filter (a: !a.assertion) body.assertions);
    groups = builtins.attrNames (applied body.users.groups);
    users = applied body.users.users;
    inherit (json) network proxyUser;
    hostNetworks = builtins.mapAttrs (_: h: h.network or "absent") json.hostUsers;
    resources = json.resources;
    hostResources = builtins.mapAttrs (_: h: { resources = h.resources or "absent"; devices = h.devices or "absent"; }) json.hostUsers;
  };
in
  builtins.toJSON (builtins.listToAttrs (map (k: { name = k; value = result.${k}; }) show))
NIX

# case NAME SHOW GIVEN WANT: evaluates the module with GIVEN (JSON) and compares the SHOW parts.
case_() {
	local got
	if ! got=$(PI_NIX_STUB_LIB="$top/tests/nix-stub-lib.nix" PI_NIX_MODULE="$top/nix/module.nix" \
		PI_NIX_CFG="$3" PI_NIX_SHOW="$2" \
		nix --extra-experimental-features nix-command eval "${store[@]}" --impure --raw --expr "$evaluate" 2>"$errors"); then
		bad "module config, $1: did not evaluate: $(cat "$errors")"
	elif [ "$got" = "$4" ]; then
		ok "module config: $1"
	else
		bad "module config, $1: got $got, want $4"
	fi
}

pkg='"enable": true, "package": "/nix/store/00000000000000000000000000000000-pi", "projectGroup": "users"'
# agent NAME / proxy NAME: an agent account / the proxy account as the module declares them
# (the proxy's shell pkgs.shadow is NixOS's nologin).
agent() { printf '"%s": {"createHome": false, "description": "Isolated Pi agent user", "extraGroups": ["users"], "group": "%s", "home": "/var/empty", "isSystemUser": true}' "$1" "$1"; }
proxy() { printf '"%s": {"createHome": false, "description": "Pi agent network allowlist proxy", "group": "%s", "home": "/var/empty", "isSystemUser": true, "shell": "/nix/store/00000000000000000000000000000000-stub-shadow"}' "$1" "$1"; }
compact() { jq -cS . <<<"$1"; }
alice_bob='"alice": {"projectRoots": ["~/p"]}, "bob": {"projectRoots": ["~/p"], "agentUser": "pi-agent-bob"}'

# Two host users, one with an account it creates, one with an explicit agentUser, the network
# left at its default: each per-user account in a group of its own (agents of different host
# users share no group), every assertion holding, mode open, and no proxy account.
case_ "two host users, default network: each per-user account in a group of its own, no proxy account" \
	"failed groups users network proxyUser hostNetworks" \
	"{$pkg, \"hostUsers\": {$alice_bob}}" \
	"$(compact "{\"failed\": [], \"groups\": [\"pi-agent\", \"pi-agent-alice\"], \"users\": {$(agent pi-agent), $(agent pi-agent-alice)},
		\"network\": {\"mode\": \"open\"}, \"proxyUser\": \"pi-proxy\", \"hostNetworks\": {\"alice\": \"absent\", \"bob\": \"absent\"}}")"

# A global allowlist, one host user replacing it with an allowlist of their own (not merged),
# one with open: config.json carries each as given, and the proxy account is created.
global='"network": {"mode": "allowlist", "allow": ["api.anthropic.com", "*.githubusercontent.com", "github.com:443"], "deny": ["gist.githubusercontent.com"]}'
three="$alice_bob, \"carol\": {\"projectRoots\": [\"~/p\"], \"network\": {\"mode\": \"open\"}}"
override='"alice": {"projectRoots": ["~/p"], "network": {"mode": "allowlist", "allow": ["api.openai.com", "127.0.0.1:8080"]}}'
case_ "global allowlist, per-user override: config.json's network keys as given, not merged" \
	"failed network proxyUser hostNetworks" \
	"{$pkg, $global, \"hostUsers\": {$three, $override}}" \
	"$(compact "{\"failed\": [], $global, \"proxyUser\": \"pi-proxy\",
		\"hostNetworks\": {\"alice\": {\"mode\": \"allowlist\", \"allow\": [\"api.openai.com\", \"127.0.0.1:8080\"], \"deny\": []},
		\"bob\": \"absent\", \"carol\": {\"mode\": \"open\"}}}")"
case_ "global allowlist: the proxy account is created (system, own group, no home, nologin)" \
	"groups users" \
	"{$pkg, $global, \"hostUsers\": {$three}}" \
	"$(compact "{\"groups\": [\"pi-agent\", \"pi-agent-alice\", \"pi-agent-carol\", \"pi-proxy\"],
		\"users\": {$(agent pi-agent), $(agent pi-agent-alice), $(agent pi-agent-carol), $(proxy pi-proxy)}}")"
case_ "global open, one host user's allowlist: the proxy account is created under proxyUser" \
	"failed groups users proxyUser" \
	"{$pkg, \"proxyUser\": \"netproxy\", \"hostUsers\": {$alice_bob, \"carol\": {\"projectRoots\": [\"~/p\"], \"network\": {\"mode\": \"allowlist\"}}}}" \
	"$(compact "{\"failed\": [], \"groups\": [\"netproxy\", \"pi-agent\", \"pi-agent-alice\", \"pi-agent-carol\"], \"proxyUser\": \"netproxy\",
		\"users\": {$(agent pi-agent), $(agent pi-agent-alice), $(agent pi-agent-carol), $(proxy netproxy)}}")"
case_ "global allowlist that every host user replaces with open: no proxy account" \
	"failed groups users" \
	"{$pkg, $global, \"hostUsers\": {\"alice\": {\"projectRoots\": [\"~/p\"], \"network\": {\"mode\": \"open\"}}}}" \
	"$(compact "{\"failed\": [], \"groups\": [\"pi-agent\", \"pi-agent-alice\"], \"users\": {$(agent pi-agent), $(agent pi-agent-alice)}}")"
case_ "global allowlist without createUser: no account created" \
	"failed groups users" \
	"{$pkg, $global, \"createUser\": false, \"hostUsers\": {$alice_bob}}" \
	'{"failed":[],"groups":[],"users":{}}'

# Resources at the top level and per host user, devices per host user: config.json carries the
# keys that are set, as given (the binary merges them key by key); nothing set, nothing written.
case_ "resources and devices: config.json's keys as set, none for a user who sets none" \
	"failed resources hostResources" \
	"{$pkg, \"resources\": {\"memoryMax\": \"16G\", \"memoryHigh\": \"12G\", \"tasksMax\": 1024, \"cpuWeight\": 100},
	  \"hostUsers\": {$alice_bob, \"carol\": {\"projectRoots\": [\"~/p\"], \"resources\": {\"memoryMax\": \"32G\", \"runtimeMaxSec\": \"8h\"},
	  \"devices\": [\"/dev/nvidia0\", \"/dev/dri/renderD128\"]}}}" \
	"$(compact "{\"failed\": [], \"resources\": {\"cpuWeight\": 100, \"memoryHigh\": \"12G\", \"memoryMax\": \"16G\", \"tasksMax\": 1024},
		\"hostResources\": {\"alice\": {\"resources\": \"absent\", \"devices\": \"absent\"}, \"bob\": {\"resources\": \"absent\", \"devices\": \"absent\"},
		\"carol\": {\"resources\": {\"memoryMax\": \"32G\", \"runtimeMaxSec\": \"8h\"}, \"devices\": [\"/dev/nvidia0\", \"/dev/dri/renderD128\"]}}}")"
case_ "no resources set: an empty resources object" "resources" "{$pkg, \"hostUsers\": {$alice_bob}}" '{"resources":{}}'

# The assertions: the proxy account is never root nor an agent account (created, shared or
# explicit), never an agent account's group, and allow/deny only come with mode allowlist.
refused() {
	local what=$1 given=$2 msg=$3
	case_ "$what: refused" failed "{$pkg, $given}" "$(jq -cn --arg m "$msg" '{failed: [$m]}')"
}
agents='pi-agent, pi-agent-alice, pi-agent-bob'
refused "proxyUser root" "\"proxyUser\": \"root\", \"hostUsers\": {$alice_bob}" \
	"m3ta.pi-agent.proxyUser (root) must not be root nor an agent account ($agents)."
for acct in pi-agent pi-agent-alice pi-agent-bob; do
	refused "proxyUser the agent account $acct" "\"proxyUser\": \"$acct\", \"hostUsers\": {$alice_bob}" \
		"m3ta.pi-agent.proxyUser ($acct) must not be root nor an agent account ($agents)."
done
refused "proxyUser the shared agent account's group" \
	"\"group\": \"agents\", \"proxyUser\": \"agents\", $global, \"hostUsers\": {$alice_bob}" \
	"m3ta.pi-agent.proxyUser (agents) must not name the group of an agent account: the proxy account gets a group of its own."
refused "allow in mode open" "\"network\": {\"allow\": [\"api.anthropic.com\"]}, \"hostUsers\": {$alice_bob}" \
	'm3ta.pi-agent.network: allow and deny take effect only in mode "allowlist"; set the mode or remove them.'
refused "a host user's deny in mode open" \
	"$global, \"hostUsers\": {$alice_bob, \"carol\": {\"projectRoots\": [\"~/p\"], \"network\": {\"deny\": [\"github.com\"]}}}" \
	'm3ta.pi-agent.hostUsers.carol.network: allow and deny take effect only in mode "allowlist"; set the mode or remove them.'

# Names that reach the sudoers line, a store path or a unit: a runner name that would grant
# every host user passwordless root ("runner, ALL") is refused, and so is any odd account.
names_msg="m3ta.pi-agent.wrapper.commandName (pi) and wrapper.runnerName (runner, ALL) must be plain file names: letters, digits and '_', '.', '+', '-', at most 64, not starting with '.', '-' or '+' (the runner's name reaches a sudoers line)."
refused "runnerName 'runner, ALL'" "\"wrapper\": {\"runnerName\": \"runner, ALL\"}, \"hostUsers\": {$alice_bob}" \
	"$names_msg"
refused "commandName pi-agent-init, an internal name" \
	"\"wrapper\": {\"commandName\": \"pi-agent-init\"}, \"hostUsers\": {$alice_bob}" \
	"m3ta.pi-agent.wrapper: commandName may not be pi-runner, pi-merge, pi-agent-init or pi-proxy, and runnerName may not be pi, pi-merge, pi-agent-init or pi-proxy (the launcher answers to those names itself)."
account_msg() { printf "m3ta.pi-agent.%s: '%s' is not a valid user or group name: a letter or '_', then letters, digits, '_', '.', '-', at most 32, an optional trailing '\$', not all uppercase like ALL (a sudoers alias) (it reaches a sudoers line, a path and a unit name)." "$1" "$2"; }
refused "a host user named 'ALL, bob'" "\"createUser\": false, \"hostUsers\": {\"ALL, bob\": {\"projectRoots\": [\"~/p\"]}}" \
	"$(account_msg 'hostUsers.ALL, bob' 'ALL, bob')"
refused "a host user named ALL (every user, in a sudoers line)" "\"createUser\": false, \"hostUsers\": {\"ALL\": {\"projectRoots\": [\"~/p\"]}}" \
	"$(account_msg hostUsers.ALL ALL)"
refused "an agentUser with a colon" \
	"\"hostUsers\": {\"alice\": {\"projectRoots\": [\"~/p\"], \"agentUser\": \"pi:agent\"}}" \
	"$(account_msg hostUsers.alice.agentUser pi:agent)"

echo "nix: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
