#!/usr/bin/env python3
# argvprop.py - random pi-runner command lines through real sudo as alice, every exec recorded: the only programs exec'd as root are a valid launch's systemd-run (and systemctl), once, and only for a valid launch.
#
# argvprop.py N PI_BINARY EXECREC: the attack fixture must be installed (atk.bash), with a config
# whose systemdRunPath is $FIX/prop/systemd-run (a program that execs nothing) and a copy of
# true at $FIX/prop/marker. The whole run is under EXECREC (execrec.c: a ptrace recorder of
# every exec in the tree, with the credentials each program got; strace -f records the same
# at four times the cost). Prints one line per failure and a last line
# "argvprop: N command lines, K valid launches, every exec as expected".
import os
import pwd
import random
import re
import subprocess
import sys

FIX = os.environ["FIX"]
RUNNER = FIX + "/bin/pi-runner"
RUN = FIX + "/prop/systemd-run"
CTL = FIX + "/prop/systemctl"
MARKER = FIX + "/prop/marker"
PI = os.path.realpath(FIX + "/bin/pi")
A = os.path.expanduser("~pitest-alice")
ALICE = pwd.getpwnam("pitest-alice").pw_uid
B = os.path.expanduser("~pitest-bob")
V = os.environ["V"]
MARK = V + "/open/ran-as-root"
ROOTS = [A + "/p", FIX + "/shared"]
TERM_NAMES = ["LANG", "LC_ALL", "COLORTERM", "TERM_PROGRAM", "NO_COLOR"]


def flags(binary):
    """Every --flag string of the built binary, and some made up."""
    out = subprocess.run(["strings", binary], capture_output=True, text=True).stdout
    found = {s for s in out.split() if re.fullmatch(r"--[a-z][a-z-]+", s)}
    return sorted(found | {"--agent-init", "--proxy", "--suspend=" + V + "/open", "--", "-",
                           "--env=LANG=C", "--init", "--exec"})


def tokens(binary):
    shell = ["/bin/sh", "-c", "id -u >" + MARK]
    odd = ["", " ", "\x01", "\x7f", "\xe9", "a\nb", "x" * 300, "pitest-alice\n", "..", "*"]
    users = ["pitest-alice", "pitest-bob", "root", "pitest-agent", "-pitest-alice", "nobody"]
    paths = [A + "/p", A + "/p/sub", A + "/p/", A, B + "/p", "/tmp", "/", "/proc/1/cwd",
             A + "/p/../..", "p", V, V + "/open", FIX + "/shared", "/nonexistent"]
    envs = ["LANG=C.UTF-8", "LC_ALL=en_US.UTF-8", "FOO=bar", "LANG=a b", "LANG=", "LD_PRELOAD=/x",
            "TERM=xterm", "LANG=$(id)"]
    return flags(binary), shell, odd, users, paths, envs


def env_ok(s):
    name, eq, value = s.partition("=")
    return (eq and name in TERM_NAMES and 0 < len(value) <= 64 and
            re.fullmatch(r"[A-Za-z0-9._+\-@:,]+", value) is not None)


def cwd_ok(cwd):
    if not cwd.startswith("/"):
        return False
    try:
        real = os.path.realpath(cwd, strict=True)
    except OSError:
        return False
    return os.path.isdir(real) and any(real == r or real.startswith(r + "/") for r in ROOTS)


def valid_launch(v):
    """A launch the runner must start: the launch form for alice in one of her roots."""
    i = 0
    if v[:1] == ["--explain"]:
        return False
    while i + 1 < len(v) and v[i] == "--env":
        if not env_ok(v[i + 1]):
            return False
        i += 2
    return len(v) - i >= 2 and v[i] == "pitest-alice" and cwd_ok(v[i + 1])


def vector(rng, tk):
    fl, shell, odd, users, paths, envs = tk
    kind = rng.random()
    if kind < 0.15:            # a launch, maybe valid, with the shell as the agent's arguments
        v = []
        for _ in range(rng.randrange(3)):
            v += ["--env", rng.choice(envs)]
        return v + ["pitest-alice", rng.choice(paths)] + shell
    if kind < 0.3:             # a flag in front of a program
        return [rng.choice(fl)] + rng.choice([[], ["--suspend=" + V + "/open"], ["pitest-alice"]]) + shell
    pool = fl * 2 + odd + users + paths + envs + shell + ["--env", "--explain", "--check"] * 3
    return [rng.choice(pool) for _ in range(rng.randrange(0, 7))]


def main():
    n, binary = int(sys.argv[1]), sys.argv[2]
    if sys.argv[3] == "--inner":
        return inner(n, binary)
    trace = os.environ.get("BATS_TEST_TMPDIR", "/tmp") + "/argvprop.trace"
    rc = subprocess.run([sys.argv[3], trace, sys.executable, __file__, str(n), binary,
                         "--inner"]).returncode
    if rc != 0:
        print("argvprop: the driver failed with status %d" % rc)
        return 1
    return judge(trace, n)


def inner(n, binary):
    rng = random.Random(int(os.environ.get("PI_ATK_SEED", "20")))
    tk = tokens(binary)
    with open(os.environ.get("BATS_TEST_TMPDIR", "/tmp") + "/argvprop.vectors", "w") as out:
        for i in range(n):
            v = vector(rng, tk)
            ok = valid_launch(v)
            out.write("%d %d %r\n" % (i, ok, v))
            out.flush()
            subprocess.run([MARKER, "argvprop-vector-%d" % i])
            cmd = ["setpriv", "--reuid=pitest-alice", "--regid=pitest-alice", "--init-groups",
                   "--reset-env", "/usr/bin/env", "-C", A + "/p", "/usr/bin/sudo", "-n", RUNNER] + v
            try:
                subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=20)
            except subprocess.TimeoutExpired:
                print("argvprop: vector %d hung: %r" % (i, v))
                return 1
            if os.path.exists(MARK):
                print("argvprop: vector %d ran a program as root: %r" % (i, v))
                return 1
    return 0


def judge(trace, n):
    """Per command line, the execs after sudo's exec of the runner: (ruid, euid, capeff, path)."""
    vectors = {}
    with open(os.environ.get("BATS_TEST_TMPDIR", "/tmp") + "/argvprop.vectors") as f:
        for line in f:
            i, ok, rest = line.split(" ", 2)
            vectors[int(i)] = (ok == "1", rest.strip())
    cur, seen, bad, valid = None, [], 0, 0

    def close(i, execs):
        nonlocal bad, valid
        if i is None:
            return
        ok, v = vectors[i]
        paths = [p for _, _, _, p in execs]
        if PI not in paths:
            print("argvprop: vector %d: sudo never ran the runner: %s %s" % (i, execs, v))
            bad += 1
            return
        after = execs[paths.index(PI) + 1:]
        # --check asks sudo about alice's own rule as alice (sudorule.c): sudo's own set-uid
        # exec from a process that is alice's alone, never the runner's root
        unexpected = [e for e in after if e[3] not in (RUN, CTL) and
                      not (v.startswith("['--check'") and e[3] == "/usr/bin/sudo" and e[0] == ALICE)]
        runs = [e for e in after if e[3] == RUN]
        valid += ok
        if unexpected or len(runs) != (1 if ok else 0):
            print("argvprop: vector %d (%s launch): exec'd under the runner %s: %s" %
                  (i, "a valid" if ok else "no", after, v))
            bad += 1

    with open(trace, errors="replace") as f:
        for line in f:
            head, _, args = line.rstrip("\n").partition("\t")
            _, ruid, euid, cap, path = head.split(" ", 4)
            if path == MARKER:
                close(cur, seen)
                cur, seen = int(args.split(" ")[1].rsplit("-", 1)[1]), []
            elif cur is not None:
                seen.append((int(ruid), int(euid), cap, path))
    close(cur, seen)
    if cur != n - 1:
        print("argvprop: the trace ends at vector %s of %d" % (cur, n))
        bad += 1
    if bad:
        print("argvprop: %d of %d command lines went wrong" % (bad, n))
        return 1
    print("argvprop: %d command lines, %d valid launches, every exec as expected" % (n, valid))
    return 0


if __name__ == "__main__":
    sys.exit(main())
