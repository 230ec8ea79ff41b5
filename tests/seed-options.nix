# seed-options.nix - facts of the seed module pi-agent.nix that nix/module.nix must keep: each option's path, type and literal default.
# Taken from the seed once (tests/nix.sh compares nix/module.nix against it); "literal = false" marks a default
# that needs pkgs or config (not compared).
[
  { path = "m3ta.pi-agent.binaryName"; type = "str"; hasDefault = true; literal = true; default = "pi-agent"; }
  { path = "m3ta.pi-agent.createUser"; type = "bool"; hasDefault = true; literal = true; default = true; }
  { path = "m3ta.pi-agent.enable"; type = "bool"; hasDefault = true; literal = true; default = false; }
  { path = "m3ta.pi-agent.environment"; type = "attrsOf str"; hasDefault = true; literal = true; default = {  }; }
  { path = "m3ta.pi-agent.environmentFiles"; type = "listOf str"; hasDefault = true; literal = true; default = [  ]; }
  { path = "m3ta.pi-agent.extraPackages"; type = "listOf package"; hasDefault = true; literal = true; default = [  ]; }
  { path = "m3ta.pi-agent.group"; type = "str"; hasDefault = true; literal = true; default = "pi-agent"; }
  { path = "m3ta.pi-agent.hostUsers"; type = "attrsOf submodule"; hasDefault = true; literal = true; default = {  }; }
  { path = "m3ta.pi-agent.hostUsers.<name>.configPath"; type = "nullOr str"; hasDefault = true; literal = true; default = null; }
  { path = "m3ta.pi-agent.hostUsers.<name>.projectRoots"; type = "listOf str"; hasDefault = true; literal = true; default = [  ]; }
  { path = "m3ta.pi-agent.package"; type = "package"; hasDefault = true; literal = false; default = null; }
  { path = "m3ta.pi-agent.projectGroup"; type = "nullOr str"; hasDefault = true; literal = true; default = null; }
  { path = "m3ta.pi-agent.settings"; type = "attrsOf anything"; hasDefault = true; literal = true; default = {  }; }
  { path = "m3ta.pi-agent.stateDir"; type = "str"; hasDefault = true; literal = true; default = "/var/lib/pi-agent"; }
  { path = "m3ta.pi-agent.user"; type = "str"; hasDefault = true; literal = true; default = "pi-agent"; }
  { path = "m3ta.pi-agent.wrapper.commandName"; type = "str"; hasDefault = true; literal = true; default = "pi"; }
  { path = "m3ta.pi-agent.wrapper.enable"; type = "bool"; hasDefault = true; literal = true; default = true; }
  { path = "m3ta.pi-agent.wrapper.extraEnvironment"; type = "attrsOf str"; hasDefault = true; literal = true; default = {  }; }
  { path = "m3ta.pi-agent.wrapper.extraRunArgs"; type = "listOf str"; hasDefault = true; literal = true; default = [  ]; }
  { path = "m3ta.pi-agent.wrapper.hideDirectBinary"; type = "bool"; hasDefault = true; literal = true; default = true; }
  { path = "m3ta.pi-agent.wrapper.hostConfigPath"; type = "str"; hasDefault = true; literal = true; default = ".pi/agent"; }
  { path = "m3ta.pi-agent.wrapper.runnerName"; type = "str"; hasDefault = true; literal = true; default = "m3ta-pi-agent-runner"; }
  { path = "m3ta.pi-agent.wrapper.syncConfigFromHost"; type = "bool"; hasDefault = true; literal = true; default = true; }
]
