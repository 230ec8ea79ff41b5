# nix/package.nix - builds the static musl `pi` launcher (pi, pi-runner, pi-merge); use as `pkgsStatic.callPackage ./nix/package.nix { }`.
{
  lib,
  stdenv,
  jsmn,
  # Compiled-in path of the configuration file; the NixOS module writes it there.
  configPath ? "/etc/pi-agent/config.json",
}: let
  root = ../.;

  # The version has one home: the Makefile's `VERSION ?= x.y.z` line.
  makefileLines = lib.splitString "\n" (builtins.readFile (root + "/Makefile"));
  versionLine = lib.findFirst (l: lib.hasPrefix "VERSION " l) (throw "nix/package.nix: no VERSION line in the Makefile") makefileLines;
  version = lib.last (lib.splitString " " versionLine);

  # Only what the build and the unit tests read: not the Nix files, CI scripts or build outputs,
  # so editing nix/ or the README does not rebuild the binary.
  excluded = ["build" "nix" "flake.nix" "flake.lock" ".ci" "node_modules" "README.md"];
  src = lib.cleanSourceWith {
    name = "pi-agent-launcher-source";
    src = lib.cleanSource root;
    filter = path: type: let
      rel = lib.removePrefix (toString root + "/") (toString path);
    in
      !(lib.elem rel excluded);
  };
in
  stdenv.mkDerivation {
    pname = "pi-agent-launcher";
    inherit version src;

    dontConfigure = true;

    makeFlags = [
      "PREFIX=${placeholder "out"}"
      "CONFIG_PATH=${configPath}"
      "VERSION=${version}"
      "JSMN_H=${jsmn}/include/jsmn.h"
    ];
    # $CC is the stdenv's (musl, static under pkgsStatic) compiler: known only in the builder.
    preBuild = ''
      makeFlagsArray+=("CC=$CC" "MUSL_CC=$CC")
    '';
    buildFlags = ["release"];
    # The Makefile sets -D_FORTIFY_SOURCE=2 itself; the wrapper's own (=3 where fortify3 is on)
    # would be a redefinition, an error under -Werror.
    hardeningDisable = ["fortify"];

    # The C unit tests, without sanitizers (musl has none). The stdenv skips this phase when
    # the build platform cannot run the result.
    doCheck = true;
    checkTarget = "unit";
    preCheck = ''
      checkFlagsArray+=('UNIT_CFLAGS=$(BASE_CFLAGS) -O1')
    '';

    meta = {
      description = "Static launcher that runs the pi coding agent as an isolated system user, per host user and project";
      longDescription = ''
        One static binary with three names: `pi` (the wrapper a host user runs),
        `pi-runner` (the privileged runner, started through a scoped sudo rule) and
        `pi-merge` (the JSON deep merge of settings files). It reads its policy from
        ${configPath}, which the NixOS module in nix/module.nix writes.
      '';
      license = lib.licenses.mit;
      platforms = lib.platforms.linux;
      mainProgram = "pi";
    };
  }
