# nix/module.nix - NixOS module m3ta.pi-agent: writes /etc/pi-agent/config.json for the static pi launcher, creates the agent accounts, the state directories and the sudo rule.
{
  config,
  lib,
  pkgs,
  ...
}: let
  inherit
    (lib)
    attrNames
    elem
    filterAttrs
    hasInfix
    literalExpression
    mapAttrs
    mapAttrsToList
    mkEnableOption
    mkForce
    mkIf
    mkOption
    optional
    optionalAttrs
    optionals
    optionalString
    types
    unique
    ;

  cfg = config.m3ta.pi-agent;
  launcher = cfg.launcherPackage;

  hostUserNames = attrNames cfg.hostUsers;

  # The account the agent runs as for host user `name`: the explicit agentUser, else the
  # per-user account, else the shared cfg.user.
  agentUserFor = name: userCfg:
    if userCfg.agentUser != null
    then userCfg.agentUser
    else if cfg.perUserAgentAccounts
    then "${cfg.user}-${name}"
    else cfg.user;

  # Accounts this module creates (with createUser): the shared one, which the binary checks
  # exists, and the per-user ones. An explicit agentUser is an account the admin manages.
  createdAgentUsers = unique (
    [cfg.user]
    ++ optionals cfg.perUserAgentAccounts
    (mapAttrsToList agentUserFor (filterAttrs (_: userCfg: userCfg.agentUser == null) cfg.hostUsers))
  );

  # A host user's network: their own when set (it replaces the top-level one whole), else
  # the top-level one.
  networkFor = userCfg:
    if userCfg.network != null
    then userCfg.network
    else cfg.network;

  # The proxy account is needed, and created with createUser, only when some host user's
  # effective mode is allowlist.
  proxyNeeded = builtins.any (userCfg: (networkFor userCfg).mode == "allowlist") (builtins.attrValues cfg.hostUsers);

  # Every account an agent may run as: the proxy must be none of them.
  agentAccounts = unique ([cfg.user] ++ mapAttrsToList agentUserFor cfg.hostUsers);

  # config.json's form of a network value: mode, and allow/deny in allowlist mode or when
  # set (in open mode the binary and the assertion below refuse them).
  networkJSON = net:
    {inherit (net) mode;}
    // optionalAttrs (net.mode == "allowlist" || net.allow != []) {inherit (net) allow;}
    // optionalAttrs (net.mode == "allowlist" || net.deny != []) {inherit (net) deny;};

  # config.json's form of a resources value: the keys that are set.
  resourcesJSON = res: filterAttrs (_: v: v != null) res;

  # The resources submodule, shared by the top-level option and the per-host-user one: each
  # key in systemd's own syntax, checked by the binary at build time (--check --offline).
  resourceOption = property: what: example:
    mkOption {
      type = types.nullOr (types.either types.str types.ints.positive);
      default = null;
      description = "systemd ${property}= ${what} (null: not set; a host user's value replaces the top level's).";
      inherit example;
    };
  resourcesModule = {
    options = {
      memoryMax = resourceOption "MemoryMax" "of the host user's slice: all of their sessions together" "16G";
      memoryHigh = resourceOption "MemoryHigh" "of the host user's slice, where the kernel starts reclaiming (below memoryMax)" "12G";
      cpuWeight = resourceOption "CPUWeight" "of the host user's slice (1 to 10000, 100 is systemd's default)" 100;
      cpuQuota = resourceOption "CPUQuota" "of the host user's slice (a percentage of one CPU)" "400%";
      tasksMax = resourceOption "TasksMax" "of the host user's slice (against fork bombs)" 1024;
      ioWeight = resourceOption "IOWeight" "of the host user's slice (1 to 10000)" 100;
      runtimeMaxSec = resourceOption "RuntimeMaxSec" "of each session's unit" "8h";
    };
  };

  # The network submodule, shared by the top-level option and the per-host-user one.
  networkModule = {
    options = {
      mode = mkOption {
        type = types.enum ["open" "allowlist"];
        default = "open";
        description = ''
          "open": the agent's unit has the host's network (the behaviour without this
          option). "allowlist" (recommended): the unit gets a network namespace of its own
          with only loopback (no route out, no DNS, no UDP); the one way out is a forward
          proxy on 127.0.0.1:3128 inside it, which the runner starts as proxyUser for the
          unit's lifetime and which connects from the host's namespace only to the
          host:port pairs `allow` lists and `deny` does not. The agent gets HTTP_PROXY,
          HTTPS_PROXY, ALL_PROXY (and their lowercase forms) = http://127.0.0.1:3128 and
          NO_PROXY=localhost,127.0.0.1,::1; a program that ignores them cannot connect at
          all. Every decision is logged to syslog (LOG_AUTHPRIV).
        '';
      };

      allow = mkOption {
        type = types.listOf types.str;
        default = [];
        description = ''
          What the proxy lets through in "allowlist" mode: "api.anthropic.com" (that
          name), "*.openai.com" (names strictly below openai.com, not openai.com itself),
          "github.com:443" (one port), "host:*" (any port), "127.0.0.1:8080",
          "[::1]:8080" (addresses). An entry without a port allows ports 80 and 443. A
          name that resolves to a loopback, private, link-local or metadata address is
          refused unless that address is listed too. Must be empty in "open" mode.
        '';
        example = ["api.anthropic.com" "github.com" "*.githubusercontent.com"];
      };

      deny = mkOption {
        type = types.listOf types.str;
        default = [];
        description = ''
          Entries refused even where `allow` matches (deny wins over allow); the same
          forms as `allow`. Must be empty in "open" mode.
        '';
        example = ["gist.githubusercontent.com"];
      };
    };
  };

  # The primary group of a created account: `group` for the shared one, a group of its own
  # (same name) for each per-user one, so that agents of different host users share no group
  # (the launcher runs the unit with the account's primary group and refuses two accounts that
  # share one).
  groupOf = name:
    if name == cfg.user
    then cfg.group
    else name;

  # The launcher under the configured names. The binary takes the wrapper's or the runner's
  # personality from its argv[0] basename, matched against the names in config.json.
  commands = pkgs.runCommand "pi-agent-commands" {} ''
    mkdir -p $out/bin $out/share
    ln -s ${launcher}/bin/pi $out/bin/${lib.escapeShellArg cfg.wrapper.commandName}
    ln -s ${launcher}/bin/pi $out/bin/${lib.escapeShellArg cfg.wrapper.runnerName}
    ln -s ${launcher}/bin/pi $out/bin/pi-merge
    if [ -d ${launcher}/share/man ]; then
      ln -s ${launcher}/share/man $out/share/man
    fi
  '';

  # The one path sudo lets host users run as root; config.json names the same path.
  runnerPath = "${commands}/bin/${cfg.wrapper.runnerName}";

  # Directories on the agent's PATH after package/bin and the extraPackages' bin/ (the seed's list).
  runtimePath =
    map (p: "${p}/bin") [
      pkgs.nodejs
      pkgs.git
      pkgs.coreutils
      pkgs.findutils
      pkgs.gnugrep
      pkgs.gnused
      pkgs.util-linux
    ]
    ++ ["/run/current-system/sw/bin"];

  # Exactly the keys the binary reads; it rejects unknown ones. Nix-only options are left out.
  configData = {
    inherit (cfg) user group stateDir binaryName settings environment environmentFiles projectGroup projectAccess projectConfig proxyUser;
    network = networkJSON cfg.network;
    inherit runtimePath runnerPath;
    package = "${cfg.package}";
    hostUsers =
      mapAttrs (name: userCfg: {
        inherit (userCfg) projectRoots configPath projectConfig;
        agentUser = agentUserFor name userCfg;
      }
      // optionalAttrs (userCfg.network != null) {network = networkJSON userCfg.network;}
      // optionalAttrs (resourcesJSON userCfg.resources != {}) {resources = resourcesJSON userCfg.resources;}
      // optionalAttrs (userCfg.devices != []) {inherit (userCfg) devices;})
      cfg.hostUsers;
    resources = resourcesJSON cfg.resources;
    extraPackages = map (p: "${p}") cfg.extraPackages;
    sudoPath = "/run/wrappers/bin/sudo";
    systemdRunPath = "${pkgs.systemd}/bin/systemd-run";
    resourceLimits = {inherit (cfg.resourceLimits) MemoryMax CPUQuota TasksMax;};
    wrapper = {
      inherit
        (cfg.wrapper)
        commandName
        runnerName
        syncConfigFromHost
        syncMaxBytes
        syncMaxEntries
        hostConfigPath
        extraRunArgs
        extraEnvironment
        extraProperties
        ;
    };
  };
  configText = builtins.toJSON configData;
  configFile = pkgs.writeText "pi-agent-config.json" configText;

  # The file /etc gets: the same text, checked by the binary's own parser at build time.
  # --offline skips what only the live system can tell (users, groups, paths existing).
  # A cross-built system whose builder cannot run the target's binary skips the check.
  canRunLauncher = let
    build = pkgs.stdenv.buildPlatform;
    host = pkgs.stdenv.hostPlatform;
  in
    if build ? canExecute
    then build.canExecute host
    else build.system == host.system;
  checkedConfigFile = pkgs.runCommand "pi-agent-config-checked.json" {} ''
    ${optionalString canRunLauncher ''
      ${launcher}/bin/pi-runner --check --offline ${configFile}
    ''}
    cp ${configFile} $out
  '';

  # Names the binary answers to by itself; configured names must not shadow another personality.
  # The names the binary answers to itself (pi.c's table): pi-agent-init and pi-proxy are its
  # internal ones, which no sudo rule may name.
  builtinNames = ["pi" "pi-runner" "pi-merge" "pi-agent-init" "pi-proxy"];
  # Names that reach a sudoers line, a store path or a unit name, checked to the same sets
  # config.c keeps: a command name is a plain file name (no ',', ':', '=', space or quote a
  # sudoers line would read apart), an account name a portable one.
  validCommandName = n: builtins.match "[A-Za-z0-9_][A-Za-z0-9_.+-]{0,63}" n != null;
  validAccount = n:
    builtins.match "[A-Za-z_][A-Za-z0-9_.-]{0,31}|[A-Za-z_][A-Za-z0-9_.-]{0,30}[$]" n
    != null
    && builtins.match "[A-Z][A-Z0-9_]*" n == null;
  # Every account name the config holds, with the option that sets it.
  accountNames =
    [
      {
        key = "user";
        name = cfg.user;
      }
      {
        key = "group";
        name = cfg.group;
      }
      {
        key = "proxyUser";
        name = cfg.proxyUser;
      }
    ]
    ++ optional (cfg.projectGroup != null) {
      key = "projectGroup";
      name = cfg.projectGroup;
    }
    ++ mapAttrsToList (user: _: {
      key = "hostUsers.${user}";
      name = user;
    })
    cfg.hostUsers
    ++ mapAttrsToList (user: userCfg: {
      key = "hostUsers.${user}.agentUser";
      name = userCfg.agentUser;
    }) (filterAttrs (_: userCfg: userCfg.agentUser != null) cfg.hostUsers);
in {
  options.m3ta.pi-agent = {
    enable = mkEnableOption "isolated Pi execution with dedicated system user and policy-enforced wrapper";

    package = mkOption {
      type = types.package;
      default = pkgs.pi-coding-agent;
      defaultText = literalExpression "pkgs.pi-coding-agent";
      description = "Pi package providing the executable used in isolated runtime.";
    };

    launcherPackage = mkOption {
      type = types.package;
      default = pkgs.pkgsStatic.callPackage ./package.nix {};
      defaultText = literalExpression "pkgs.pkgsStatic.callPackage ./nix/package.nix { }";
      description = ''
        The static launcher providing bin/pi (wrapper, runner and pi-merge in one binary).
        It is put on PATH under wrapper.commandName and wrapper.runnerName, and it checks
        the generated /etc/pi-agent/config.json at build time.
      '';
    };

    binaryName = mkOption {
      type = types.str;
      default = "pi-agent";
      description = "Preferred executable name inside the package's bin/ (falls back to pi/pi-agent auto-detection).";
      example = "pi";
    };

    user = mkOption {
      type = types.str;
      default = "pi-agent";
      description = ''
        System user that executes Pi in isolated mode, for every host user without an
        agentUser of their own. With perUserAgentAccounts, the per-user accounts are named
        `<user>-<host user>`.
      '';
    };

    group = mkOption {
      type = types.str;
      default = "pi-agent";
      description = ''
        Primary group of the shared `user` account. The agent's unit runs with the primary
        group of its account; each per-user account has a group of its own.
      '';
    };

    stateDir = mkOption {
      type = types.str;
      default = "/var/lib/pi-agent";
      description = ''
        State directory of the isolated Pi runtime, owned by root (mode 0755). Each host user
        gets a private agent home `<stateDir>/users/<host user>` (owned by that user's agent
        account, mode 0700) holding .pi/agent (settings, auth.json, sessions), .npm and
        .npm-global; the runner creates it on first launch.
      '';
    };

    createUser = mkOption {
      type = types.bool;
      default = true;
      description = ''
        Whether to create the dedicated Pi user/group automatically (and, with
        perUserAgentAccounts, the per-host-user accounts). Accounts named by an explicit
        hostUsers.<name>.agentUser are not created: manage those yourself.
      '';
    };

    perUserAgentAccounts = mkOption {
      type = types.bool;
      default = true;
      description = ''
        Run each host user's agent as an account of its own, `<user>-<host user>` (created
        when createUser is true, each in a group of its own of the same name), instead of the
        shared `user`. The unit runs with the account's primary group, and the launcher refuses
        different accounts that share one. A host
        user's explicit agentUser still takes precedence. Host users who share one account
        run their agents one at a time (the launcher refuses the second), because agents of
        one uid could reach each other through /proc.
      '';
    };

    hostUsers = mkOption {
      type = types.attrsOf (types.submodule {
        options = {
          projectRoots = mkOption {
            type = types.listOf types.str;
            default = [];
            description = ''
              Allowed project roots for this host user.
              `~` and `~/...` are expanded relative to that host user's home.
            '';
            example = ["~/p" "~/work/client-a"];
          };

          configPath = mkOption {
            type = types.nullOr types.str;
            default = null;
            description = ''
              Optional host path for this user's Pi config source. If null,
              wrapper.hostConfigPath is used. Relative paths resolve from the
              host user's home.
            '';
            example = ".pi/agent";
          };

          agentUser = mkOption {
            type = types.nullOr types.str;
            default = null;
            description = ''
              Account the agent runs as for this host user. If null, the shared `user`
              (or, with perUserAgentAccounts, `<user>-<host user>`). An account named here
              is not created by this module.
            '';
            example = "pi-agent-alice";
          };

          projectConfig = mkOption {
            type = types.nullOr (types.enum ["admin-wins" "deny" "allow"]);
            default = null;
            description = ''
              projectConfig for this host user; null: the top-level projectConfig.
            '';
            example = "allow";
          };

          network = mkOption {
            type = types.nullOr (types.submodule networkModule);
            default = null;
            description = ''
              This host user's network (mode, allow, deny; see the top-level `network`);
              null: the top-level `network`. When set it replaces the top-level value
              entirely: its allow and deny lists are not merged with the top-level ones.
            '';
            example = literalExpression ''{ mode = "allowlist"; allow = [ "api.anthropic.com" ]; }'';
          };

          resources = mkOption {
            type = types.submodule resourcesModule;
            default = {};
            description = ''
              This host user's resources; each key set here replaces the top-level one,
              the others stay the top level's.
            '';
            example = literalExpression ''{ memoryMax = "32G"; tasksMax = 4096; }'';
          };

          devices = mkOption {
            type = types.listOf types.str;
            default = [];
            description = ''
              Character devices under /dev this host user's agent may open (DeviceAllow=PATH rw and
              the node bound into the unit; PrivateDevices= keeps every other node out).
              Each must be a character device reached through no link, in directories only
              root can change; a launch refuses one that is not.
            '';
            example = literalExpression ''[ "/dev/nvidia0" "/dev/nvidiactl" "/dev/nvidia-uvm" "/dev/dri/renderD128" ]'';
          };
        };
      });
      default = {};
      description = ''
        Per-host-user policy map. Keys are host usernames.
        Each user defines their own allowed project roots and optional config source.
      '';
      example = literalExpression ''
        {
          m3tam3re = {
            projectRoots = [ "~/p" "~/src/private" ];
            configPath = ".pi/agent";
          };
          teammate = {
            projectRoots = [ "~/projects" ];
          };
        }
      '';
    };

    settings = mkOption {
      type = types.attrsOf types.anything;
      default = {};
      description = ''
        Nix-managed Pi settings merged into each host user's isolated
        `<stateDir>/users/<host user>/.pi/agent/settings.json`.
        Merge precedence: synced host settings first, Nix-managed values override recursively.
      '';
      example = literalExpression ''
        {
          defaultModel = "anthropic/claude-sonnet-4";
          defaultProvider = "anthropic";
          quietStartup = true;
        }
      '';
    };

    environment = mkOption {
      type = types.attrsOf types.str;
      default = {};
      description = ''
        Non-secret Nix-managed environment variables appended to the isolated runtime's
        environment file after synced host values. The runner assembles that file per launch
        in a root-owned runtime directory (/run/pi-agent) the agent cannot write.
      '';
    };

    environmentFiles = mkOption {
      type = types.listOf types.str;
      default = [];
      description = ''
        Paths to env files (secrets/tokens) appended to the isolated runtime's environment
        file after `environment` entries.
      '';
    };

    extraPackages = mkOption {
      type = types.listOf types.package;
      default = [];
      description = "Extra packages added to isolated runtime PATH.";
    };

    projectGroup = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = ''
        When set, the pi-agent user(s) are added to this group and the group is
        passed as SupplementaryGroups to the systemd-run sandbox. This allows
        pi-agent to write to project directories that grant group write access.
        The user must ensure project directories have appropriate group ownership
        and permissions (e.g. setgid + group write).
      '';
      example = "users";
    };

    projectAccess = mkOption {
      type = types.enum ["idmap" "group"];
      default = "idmap";
      description = ''
        How the agent reaches the project roots. "idmap": each root is an idmapped
        mount mapping the host user to the agent account, so the agent edits the
        user's files under the user's own permission bits and whatever it creates is
        the user's on disk; no projectGroup, setgid or umask setup is needed. Where
        the kernel (Linux < 5.12) or the filesystem (e.g. NFS) cannot idmap a root,
        the launch says so and that root falls back to "group". "group": the
        agent reaches the projects through projectGroup only, as the seed did.
      '';
    };

    projectConfig = mkOption {
      type = types.enum ["admin-wins" "deny" "allow"];
      default = "admin-wins";
      description = ''
        What the agent takes from a project's own .pi directory. "admin-wins": the
        project's .pi/settings.json is seen merged under `settings` (a key set there
        keeps its value; shellPath, shellCommandPrefix, npmCommand, packages and
        extensions never come from the project), .pi/extensions is hidden, and the
        launcher owns pi's project trust (trust.json, -a/--approve without effect).
        "deny": the agent sees an empty, read-only .pi and no .agents/skills from the
        working directory up. "allow": pi's own behaviour, as the seed.
      '';
    };

    network = mkOption {
      type = types.submodule networkModule;
      default = {};
      description = ''
        The agent's outbound network, for every host user without a network of their own:
        mode "open" (the default, the host's network) or "allowlist" (recommended: a
        network namespace with only loopback, and a logging forward proxy on
        127.0.0.1:3128 that reaches only the listed host:port pairs). The README's
        "Network allowlist" section gives a starting list for the common model providers.
      '';
      example = literalExpression ''
        {
          mode = "allowlist";
          allow = [ "api.anthropic.com" "github.com" "*.githubusercontent.com" ];
        }
      '';
    };

    proxyUser = mkOption {
      type = types.str;
      default = "pi-proxy";
      description = ''
        Account the allowlist proxy runs as (pi-proxy, started by the runner for
        each allowlist launch, ending with the unit). It must not be root nor any agent
        account, so the agent can neither signal, trace nor read it, and it must exist
        when any host user's effective network mode is "allowlist": with createUser the
        module creates it then (a system account in a group of its own, no home, nologin
        shell).
      '';
    };

    resources = mkOption {
      type = types.submodule resourcesModule;
      default = {};
      description = ''
        Each host user's share of the machine: memoryMax, memoryHigh, cpuWeight, cpuQuota,
        tasksMax and ioWeight bound the host user's slice (pi-agent-<user>.slice, all of
        their sessions together), runtimeMaxSec each session's unit. A host user's own
        `resources` replace these key by key.
      '';
      example = literalExpression ''{ memoryHigh = "12G"; memoryMax = "16G"; tasksMax = 1024; cpuWeight = 100; }'';
    };

    resourceLimits = {
      MemoryMax = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "systemd MemoryMax= of the agent's unit (null: no limit set).";
        example = "4G";
      };

      CPUQuota = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "systemd CPUQuota= of the agent's unit (null: no limit set).";
        example = "200%";
      };

      TasksMax = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "systemd TasksMax= of the agent's unit (null: systemd's default).";
        example = "512";
      };
    };

    wrapper = {
      enable = mkOption {
        type = types.bool;
        default = true;
        description = "Enable host-side wrapper command that enforces policy and runs isolated Pi.";
      };

      commandName = mkOption {
        type = types.str;
        default = "pi";
        description = "Host wrapper command name.";
      };

      runnerName = mkOption {
        type = types.str;
        default = "m3ta-pi-agent-runner";
        description = "Privileged runner command invoked via scoped sudo rule.";
      };

      hideDirectBinary = mkOption {
        type = types.bool;
        default = true;
        description = ''
          When true and wrapper is enabled, do not add the raw Pi package to host PATH,
          reducing bypass risk by making wrapper the canonical entrypoint.
        '';
      };

      syncConfigFromHost = mkOption {
        type = types.bool;
        default = true;
        description = ''
          Sync the host Pi config directory into the host user's isolated
          `<stateDir>/users/<host user>/.pi/agent` on each invocation.
        '';
      };

      syncMaxBytes = mkOption {
        type = types.ints.positive;
        default = 1073741824;
        description = ''
          Most bytes (apparent sizes of its regular files) the host config directory may
          hold for one launch's copy; a larger one is refused naming this option.
        '';
      };

      syncMaxEntries = mkOption {
        type = types.ints.positive;
        default = 100000;
        description = ''
          Most entries (files, directories, links) the host config directory may hold
          for one launch's copy; a larger one is refused naming this option.
        '';
      };

      hostConfigPath = mkOption {
        type = types.str;
        default = ".pi/agent";
        description = ''
          Default source path for host Pi config sync. Relative paths resolve from
          the invoking user's home. Per-user hostUsers.<name>.configPath overrides this.
        '';
      };

      extraRunArgs = mkOption {
        type = types.listOf types.str;
        default = [];
        description = "Extra arguments inserted before user-provided Pi args.";
      };

      extraEnvironment = mkOption {
        type = types.attrsOf types.str;
        default = {};
        description = "Additional environment variables passed to isolated Pi runtime.";
      };

      extraProperties = mkOption {
        type = types.listOf types.str;
        default = [];
        description = "Extra systemd unit properties (`Name=value`) for the agent's unit, passed to systemd-run after the built-in ones.";
        example = ["IOWeight=50" "Nice=5"];
      };
    };
  };

  config = mkIf cfg.enable {
    assertions =
      [
        {
          assertion = cfg.hostUsers != {};
          message = "m3ta.pi-agent.hostUsers must define at least one authorized host user.";
        }
        {
          assertion = (!cfg.wrapper.enable) || (cfg.hostUsers != {});
          message = "m3ta.pi-agent.hostUsers must not be empty when wrapper is enabled.";
        }
        {
          assertion = validCommandName cfg.wrapper.commandName && validCommandName cfg.wrapper.runnerName;
          message = "m3ta.pi-agent.wrapper.commandName (${cfg.wrapper.commandName}) and wrapper.runnerName (${cfg.wrapper.runnerName}) must be plain file names: letters, digits and '_', '.', '+', '-', at most 64, not starting with '.', '-' or '+' (the runner's name reaches a sudoers line).";
        }
        {
          assertion = validCommandName cfg.binaryName;
          message = "m3ta.pi-agent.binaryName (${cfg.binaryName}) must be a plain file name: letters, digits and '_', '.', '+', '-'.";
        }
        {
          assertion = cfg.wrapper.commandName != cfg.wrapper.runnerName;
          message = "m3ta.pi-agent.wrapper.commandName and wrapper.runnerName must differ.";
        }
        {
          assertion =
            !(elem cfg.wrapper.commandName (builtins.filter (n: n != "pi") builtinNames))
            && !(elem cfg.wrapper.runnerName (builtins.filter (n: n != "pi-runner") builtinNames));
          message = "m3ta.pi-agent.wrapper: commandName may not be pi-runner, pi-merge, pi-agent-init or pi-proxy, and runnerName may not be pi, pi-merge, pi-agent-init or pi-proxy (the launcher answers to those names itself).";
        }
      ]
      ++ map (a: {
        assertion = validAccount a.name;
        message = "m3ta.pi-agent.${a.key}: '${a.name}' is not a valid user or group name: a letter or '_', then letters, digits, '_', '.', '-', at most 32, an optional trailing '$', not all uppercase like ALL (a sudoers alias) (it reaches a sudoers line, a path and a unit name).";
      })
      accountNames
      ++ [
        {
          assertion = cfg.proxyUser != "root" && !(elem cfg.proxyUser agentAccounts);
          message = "m3ta.pi-agent.proxyUser (${cfg.proxyUser}) must not be root nor an agent account (${builtins.concatStringsSep ", " agentAccounts}).";
        }
        {
          assertion = !(proxyNeeded && cfg.createUser && elem cfg.proxyUser (map groupOf createdAgentUsers));
          message = "m3ta.pi-agent.proxyUser (${cfg.proxyUser}) must not name the group of an agent account: the proxy account gets a group of its own.";
        }
      ]
      ++ mapAttrsToList (where: net: {
        assertion = net.mode == "allowlist" || (net.allow == [] && net.deny == []);
        message = "m3ta.pi-agent.${where}: allow and deny take effect only in mode \"allowlist\"; set the mode or remove them.";
      }) ({network = cfg.network;}
        // builtins.listToAttrs (map (name: {
          name = "hostUsers.${name}.network";
          value = cfg.hostUsers.${name}.network;
        }) (builtins.filter (name: cfg.hostUsers.${name}.network != null) hostUserNames)))
      ++ mapAttrsToList (user: userCfg: {
        assertion = userCfg.projectRoots != [];
        message = "m3ta.pi-agent.hostUsers.${user}.projectRoots must not be empty.";
      })
      cfg.hostUsers;

    users.groups = mkIf cfg.createUser (builtins.listToAttrs (map (name: {
        name = groupOf name;
        value = {};
      })
      createdAgentUsers)
    // optionalAttrs proxyNeeded {${cfg.proxyUser} = {};});

    # No home is created: stateDir stays root-owned and the runner makes each agent home.
    users.users = mkIf cfg.createUser (builtins.listToAttrs (map (name: {
        inherit name;
        value = {
          isSystemUser = true;
          group = groupOf name;
          extraGroups = optional (cfg.projectGroup != null) cfg.projectGroup;
          description = "Isolated Pi agent user";
          home = "/var/empty";
          createHome = false;
        };
      })
      createdAgentUsers)
    // optionalAttrs proxyNeeded {
      ${cfg.proxyUser} = {
        isSystemUser = true;
        group = cfg.proxyUser;
        description = "Pi agent network allowlist proxy";
        home = "/var/empty";
        createHome = false;
        shell = pkgs.shadow; # nologin, as NixOS spells it
      };
    });

    systemd.tmpfiles.rules = [
      "d ${cfg.stateDir} 0755 root root - -"
      "d ${cfg.stateDir}/users 0711 root root - -"
    ];

    # `text` shows what is written; the file itself is the same text after the build-time
    # check. Forced: the etc module derives a `source` from `text` at text's priority.
    environment.etc."pi-agent/config.json" = {
      text = configText;
      source = mkForce checkedConfigFile;
    };

    # Wrapper is canonical when enabled; raw package on PATH is optional and
    # disabled by default to reduce bypass opportunities.
    environment.systemPackages =
      optional cfg.wrapper.enable commands
      ++ optional ((!cfg.wrapper.enable) || (!cfg.wrapper.hideDirectBinary)) cfg.package;

    security.sudo.extraRules = mkIf (cfg.wrapper.enable && hostUserNames != []) [
      {
        users = hostUserNames;
        runAs = "root";
        commands = [
          {
            command = runnerPath;
            options = ["NOPASSWD"];
          }
        ];
      }
    ];
  };
}
