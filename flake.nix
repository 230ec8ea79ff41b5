# flake.nix - the pi-agent launcher for Nix: static package, NixOS module (m3ta.pi-agent), overlay, and checks (package build, NixOS VM test).
{
  description = "Static launcher that runs the pi coding agent as an isolated system user, with a NixOS module";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = {
    self,
    nixpkgs,
  }: let
    systems = ["x86_64-linux" "aarch64-linux"];
    forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    launcherFor = pkgs: pkgs.pkgsStatic.callPackage ./nix/package.nix {};
  in {
    packages = forAllSystems (pkgs: rec {
      pi-agent-launcher = launcherFor pkgs;
      default = pi-agent-launcher;
    });

    nixosModules.default = ./nix/module.nix;

    overlays.default = final: prev: {
      pi-agent-launcher = launcherFor final;
    };

    checks = forAllSystems (pkgs: let
      launcher = self.packages.${pkgs.stdenv.hostPlatform.system}.default;
    in {
      package = launcher;
      vm = import ./nix/tests/vm.nix {
        inherit pkgs launcher;
        module = self.nixosModules.default;
      };
    });
  };
}
