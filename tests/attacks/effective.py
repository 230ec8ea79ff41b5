#!/usr/bin/env python3
# effective.py - the value a variable has in the unit: -E assignments overridden by the EnvironmentFiles.
"""effective.py ARGV RECDIR NAME - prints the value NAME would have in the unit: systemd-run's
-E assignments (Environment=), overridden by each EnvironmentFile in turn (RECDIR/env.0,
env.1, ...; each read on its own) as systemd.exec(5) says; exits 1 when NAME is unset."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import envfile  # noqa: E402


def main():
    argv_path, env_path, name = sys.argv[1:]
    with open(argv_path, "rb") as f:
        argv = [a.decode("utf-8", "surrogateescape") for a in f.read().split(b"\0")[:-1]]
    env = {}
    for i, a in enumerate(argv):
        if i and argv[i - 1] == "-E" and "=" in a:
            k, v = a.split("=", 1)
            env[k] = v
    env.update(envfile.parse_all(env_path))
    if name not in env:
        sys.exit(1)
    print(env[name])


if __name__ == "__main__":
    main()
