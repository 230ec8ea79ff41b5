# nix/tests/vm.nix - NixOS VM test: two host users launch a fake agent through `pi`; asserts identity, same-path project, hidden homes and state, the network keys and proxy account, and the denials.
{
  pkgs,
  module,
  launcher,
}: let
  stateDir = "/var/lib/pi-agent";

  # Stand-in for the agent: reports what it sees as key=value lines, one `see=` line per
  # probed path it can reach, writes a file in its working directory, and exits with the
  # code given as `pi exit N`.
  fakeAgent = pkgs.writeShellScriptBin "pi" ''
    PATH=${pkgs.coreutils}/bin
    echo "id=$(id -un)"
    echo "cwd=$(pwd)"
    echo "homeenv=$HOME"
    echo "envtest=''${PI_VM_TEST-unset}"
    echo "proxy=''${HTTPS_PROXY-unset}"
    echo "lshome=$(ls -A /home 2>/dev/null | tr '\n' ' ')"
    for probe in /home/alice/secret /home/bob/secret /home/carol/secret \
      /home/alice/p/project-file /home/bob/p/project-file \
      ${stateDir}/users/alice/.pi ${stateDir}/users/bob/.pi; do
      if [ -e "$probe" ]; then echo "see=$probe"; fi
    done
    if touch written-by-agent; then echo "wrote=yes"; fi
    if [ "''${1-}" = exit ]; then exit "$2"; fi
  '';

  bobNetwork = {
    mode = "allowlist";
    allow = ["127.0.0.1:8080"];
    deny = [];
  };

  node = perUser: {...}: {
    imports = [module];
    users.users = {
      alice.isNormalUser = true;
      bob.isNormalUser = true;
      carol.isNormalUser = true; # a host user the policy does not name
    };
    m3ta.pi-agent = {
      enable = true;
      launcherPackage = launcher;
      package = fakeAgent;
      binaryName = "pi";
      projectGroup = "users";
      perUserAgentAccounts = perUser;
      # On the per-user node bob's network is an allowlist of his own, so the proxy
      # account is created there and his agent is handed the proxy.
      hostUsers = {
        alice.projectRoots = ["~/p"];
        bob =
          {projectRoots = ["~/p"];}
          // (
            if perUser
            then {network = bobNetwork;}
            else {}
          );
      };
      settings.quietStartup = true;
      environment.PI_VM_TEST = "from-module";
    };
  };
in
  pkgs.testers.runNixOSTest {
    name = "pi-agent-launcher";

    nodes = {
      shared = node false;
      peruser = node true;
    };

    testScript = ''
      import json

      STATE = "${stateDir}"
      BOB_NETWORK = json.loads(${builtins.toJSON (builtins.toJSON bobNetwork)})
      AGENTS = {
          "shared": {"alice": "pi-agent", "bob": "pi-agent"},
          "peruser": {"alice": "pi-agent-alice", "bob": "pi-agent-bob"},
      }


      def parse(out: str) -> tuple[dict[str, str], set[str]]:
          kv: dict[str, str] = {}
          seen: set[str] = set()
          for line in out.splitlines():
              key, sep, value = line.partition("=")
              if not sep:
                  continue
              if key == "see":
                  seen.add(value)
              else:
                  kv[key] = value
          return kv, seen


      def launch(m, user: str, args: str = "") -> str:
          return m.succeed(f"su - {user} -c 'cd ~/p && pi {args}'")


      start_all()

      for m in (shared, peruser):
          agents = AGENTS[m.name]
          m.wait_for_unit("multi-user.target")

          # Each host user: a secret in the home (outside every root) and a project
          # ~/p that the agent's group may write (setgid, as the module documents).
          for user in ("alice", "bob", "carol"):
              m.succeed(
                  f"install -d -m 2770 -o {user} -g users /home/{user}/p",
                  f"install -m 0600 -o {user} -g users /dev/null /home/{user}/secret",
                  f"install -m 0660 -o {user} -g users /dev/null /home/{user}/p/project-file",
              )

          with subtest(f"{m.name}: state layout before any launch"):
              m.succeed(f"test \"$(stat -c '%U:%G %a' {STATE})\" = 'root:root 755'")
              m.succeed(f"test \"$(stat -c '%U:%G %a' {STATE}/users)\" = 'root:root 711'")
              m.succeed("test -f /etc/pi-agent/config.json")

          with subtest(f"{m.name}: network keys of config.json, proxy account only when needed"):
              conf = json.loads(m.succeed("cat /etc/pi-agent/config.json"))
              assert conf["network"] == {"mode": "open"}, conf["network"]
              assert conf["proxyUser"] == "pi-proxy", conf["proxyUser"]
              assert "network" not in conf["hostUsers"]["alice"], conf["hostUsers"]
              if m.name == "peruser":
                  assert conf["hostUsers"]["bob"]["network"] == BOB_NETWORK, conf["hostUsers"]
                  shell = m.succeed("getent passwd pi-proxy | cut -d: -f7").strip()
                  assert shell.endswith("/nologin"), shell
                  m.succeed("test \"$(id -gn pi-proxy)\" = pi-proxy")
              else:
                  assert "network" not in conf["hostUsers"]["bob"], conf["hostUsers"]
                  m.fail("getent passwd pi-proxy")

          with subtest(f"{m.name}: pi on PATH is the launcher, not the agent"):
              path = m.succeed("su - alice -c 'readlink -f \"$(command -v pi)\"'").strip()
              assert path == "${launcher}/bin/pi", path

          # First launches create both agent homes, so the checks below can tell
          # whether one user's agent sees the other's state.
          for user in agents:
              launch(m, user)

          for user, agent in agents.items():
              other = "bob" if user == "alice" else "alice"
              with subtest(f"{m.name}: {user} runs the agent as {agent}"):
                  kv, seen = parse(launch(m, user))
                  m.log(f"{user}: {kv} {sorted(seen)}")
                  assert kv.get("id") == agent, kv
                  assert kv.get("cwd") == f"/home/{user}/p", kv
                  assert kv.get("homeenv") == f"{STATE}/users/{user}", kv
                  assert kv.get("envtest") == "from-module", kv
                  allowlist = m.name == "peruser" and user == "bob"
                  want = "http://127.0.0.1:3128" if allowlist else "unset"
                  assert kv.get("proxy") == want, kv
                  assert kv.get("wrote") == "yes", kv
                  m.succeed(
                      f"test \"$(stat -c %U /home/{user}/p/written-by-agent)\" = {agent}",
                      f"test \"$(stat -c '%U %a' {STATE}/users/{user})\" = '{agent} 700'",
                  )

              with subtest(f"{m.name}: {user}'s agent sees its project and nothing else"):
                  assert f"/home/{user}/p/project-file" in seen, seen
                  assert f"{STATE}/users/{user}/.pi" in seen, seen
                  hidden = {
                      f"/home/{user}/secret",
                      f"/home/{other}/secret",
                      "/home/carol/secret",
                      f"/home/{other}/p/project-file",
                      f"{STATE}/users/{other}/.pi",
                  }
                  assert not (hidden & seen), hidden & seen
                  listed = kv.get("lshome", "").split()
                  assert other not in listed and "carol" not in listed, listed

              with subtest(f"{m.name}: {user}'s exit code passes through"):
                  status, _ = m.execute(f"su - {user} -c 'cd ~/p && pi exit 42'")
                  assert status == 42, status

          with subtest(f"{m.name}: denials"):
              out = m.fail("su - carol -c 'cd ~/p && pi' 2>&1")
              assert "not allowed" in out, out
              out = m.fail("su - alice -c 'cd ~ && pi' 2>&1")
              assert "outside allowed project roots" in out, out
              runner = json.loads(m.succeed("cat /etc/pi-agent/config.json"))["runnerPath"]
              # No sudo rule for carol; alice may not name bob.
              m.fail(f"su - carol -c 'sudo -n {runner} carol /home/carol/p'")
              m.fail(f"su - alice -c 'sudo -n {runner} bob /home/bob/p'")
              m.fail("test -e /home/carol/p/written-by-agent")
    '';
  }
