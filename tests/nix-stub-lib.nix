# tests/nix-stub-lib.nix - a minimal stand-in for nixpkgs' lib: enough to read a NixOS module's option declarations (paths, types, defaults) without nixpkgs.
let
  # Option types carry a printable name and what the option walker needs to reach
  # submodule options: `elem` and `segment` (the path component for one element).
  mkType = name: extra: {_type = "option-type"; inherit name;} // extra;
  paren = n:
    if builtins.match ".* .*" n == null
    then n
    else "(${n})";
  container = kind: segment: elem: mkType "${kind} ${paren elem.name}" {inherit elem segment;};
  simple = name: mkType name {};

  types = {
    str = simple "str";
    nonEmptyStr = simple "nonEmptyStr";
    lines = simple "lines";
    bool = simple "bool";
    int = simple "int";
    ints = {
      positive = simple "positive integer, meaning >0";
      unsigned = simple "unsigned integer, meaning >=0";
    };
    float = simple "float";
    port = simple "port";
    path = simple "path";
    package = simple "package";
    attrs = simple "attrs";
    anything = simple "anything";
    unspecified = simple "unspecified";
    raw = simple "raw";
    listOf = container "listOf" "*";
    attrsOf = container "attrsOf" "<name>";
    lazyAttrsOf = container "lazyAttrsOf" "<name>";
    nullOr = container "nullOr" null;
    uniq = container "uniq" null;
    either = a: b: mkType "either ${paren a.name} ${paren b.name}" {};
    oneOf = ts: mkType "oneOf ${builtins.toJSON (map (t: t.name) ts)}" {};
    enum = values: mkType "enum ${builtins.toJSON values}" {};
    submodule = module: mkType "submodule" {modules = [module];};
    submoduleWith = {modules, ...}: mkType "submodule" {inherit modules;};
  };

  mkOption = attrs: attrs // {_type = "option";};
in {
  inherit types mkOption;

  mkEnableOption = name:
    mkOption {
      type = types.bool;
      default = false;
      example = true;
      description = "Whether to enable ${name}.";
    };
  mkPackageOption = pkgs: name: extra:
    mkOption {
      type = types.package;
      default = pkgs.${name};
      description = "The ${name} package to use.";
    };

  literalExpression = text: {
    _type = "literalExpression";
    inherit text;
  };
  literalExample = text: {
    _type = "literalExpression";
    inherit text;
  };
  literalMD = text: {
    _type = "literalMD";
    inherit text;
  };
  mdDoc = s: s;

  # Config-side helpers: modules name them at the top; option collection never forces them.
  mkIf = condition: content: {
    _type = "if";
    inherit condition content;
  };
  mkMerge = contents: {
    _type = "merge";
    inherit contents;
  };
  mkOverride = priority: content: {
    _type = "override";
    inherit priority content;
  };
  mkDefault = content: {
    _type = "override";
    priority = 1000;
    inherit content;
  };
  mkForce = content: {
    _type = "override";
    priority = 50;
    inherit content;
  };

  # A few list/attr/string helpers that option defaults sometimes use.
  inherit (builtins) attrNames attrValues concatMap concatStringsSep elem filter foldl' head length listToAttrs mapAttrs toJSON;
  optional = cond: x:
    if cond
    then [x]
    else [];
  optionals = cond: xs:
    if cond
    then xs
    else [];
  optionalString = cond: s:
    if cond
    then s
    else "";
  optionalAttrs = cond: as:
    if cond
    then as
    else {};
  mapAttrsToList = f: as: map (n: f n as.${n}) (builtins.attrNames as);
  filterAttrs = pred: as:
    builtins.listToAttrs (map (n: {
      name = n;
      value = as.${n};
    }) (builtins.filter (n: pred n as.${n}) (builtins.attrNames as)));
  unique = builtins.foldl' (acc: x:
    if builtins.elem x acc
    then acc
    else acc ++ [x]) [];
  hasInfix = infix: s: builtins.match ".*${infix}.*" s != null;
}
