#!/usr/bin/env bash
# tests/nix.sh - parses every .nix file of the repo and checks that nix/module.nix declares every option of the seed module (tests/seed-options.nix) with the seed's type and literal default.
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
		resourceLimits.MemoryMax resourceLimits.CPUQuota resourceLimits.TasksMax wrapper.extraProperties; do
		if grep -qF "new  m3ta.pi-agent.$opt:" <<<"$out"; then
			ok "m3ta.pi-agent.$opt: declared (new)"
		else
			bad "m3ta.pi-agent.$opt: not declared by nix/module.nix"
		fi
	done
fi

# 3. The module's config for two host users, one with an account it creates, one with an
# explicit agentUser: the accounts and groups it creates (each per-user account in a group of
# its own; agents of different host users share no group) and every assertion holding.
read -r -d '' accounts <<'NIX' || true
let
  lib = import (/. + builtins.getEnv "PI_NIX_STUB_LIB");
  cfg = {
    enable = true;
    user = "pi-agent";
    group = "pi-agent";
    createUser = true;
    perUserAgentAccounts = true;
    projectGroup = "users";
    hostUsers = {
      alice = { projectRoots = ["~/p"]; configPath = null; agentUser = null; };
      bob = { projectRoots = ["~/p"]; configPath = null; agentUser = "pi-agent-bob"; };
    };
    wrapper = { enable = true; commandName = "pi"; runnerName = "m3ta-pi-agent-runner"; };
  };
  m = import (/. + builtins.getEnv "PI_NIX_MODULE") {
    inherit lib;
    config.m3ta.pi-agent = cfg;
    pkgs = throw "pkgs is not needed for the accounts";
  };
  body = m.config.content;
  users = body.users.users.content;
in
  builtins.toJSON {
    groups = builtins.attrNames body.users.groups.content;
    users = builtins.mapAttrs (n: u: { inherit (u) group extraGroups; }) users;
    failed = map (a: a.message) (builtins.filter (a: !a.assertion) body.assertions);
  }
NIX
want='{"failed":[],"groups":["pi-agent","pi-agent-alice"],"users":{"pi-agent":{"extraGroups":["users"],"group":"pi-agent"},"pi-agent-alice":{"extraGroups":["users"],"group":"pi-agent-alice"}}}'
if ! got=$(PI_NIX_STUB_LIB="$top/tests/nix-stub-lib.nix" PI_NIX_MODULE="$top/nix/module.nix" \
	nix --extra-experimental-features nix-command eval "${store[@]}" --impure --raw --expr "$accounts" 2>"$errors"); then
	bad "module config did not evaluate: $(cat "$errors")"
elif [ "$got" = "$want" ]; then
	ok "module config: each per-user agent account in a group of its own, assertions hold"
else
	bad "module config: accounts and groups $got, want $want"
fi

echo "nix: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
