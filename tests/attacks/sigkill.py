#!/usr/bin/env python3
# sigkill.py - launches killed with SIGKILL at random moments of preparation; checks nothing is half-written.
"""sigkill.py RUNNER USER CWD SRC DST ENVFILE [N] - N launches (default 200) of RUNNER USER CWD,
each killed with SIGKILL at a random moment of its preparation, the host config dir SRC
changing between them; after each kill no file under a good name in DST (the agent dir),
ENVFILE (and its .0 and .env.host siblings) is half-written. Prints a summary; exits 1 on the first half-written file."""
import json
import os
import random
import signal
import subprocess
import sys
import time

END = b"END\n"


def content(name, it, size):
    """A file that says how long it is: header, filler, END."""
    head = b"%s %d %d\n" % (name.encode(), it, size)
    return head + b"." * (size - len(head) - len(END)) + END


def complete(path):
    with open(path, "rb") as f:
        data = f.read()
    head = data.split(b"\n", 1)[0].split()
    return data.endswith(END) and len(head) == 3 and int(head[2]) == len(data)


def write_as(path, data, uid, gid):
    tmp = path + ".new"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chown(tmp, uid, gid)
    os.rename(tmp, path)


def setup(src, uid, gid, rnd):
    """150 files of 1 to 64 KiB in three directories."""
    names = []
    for d in ("a", "b", "b/c"):
        os.makedirs(os.path.join(src, d), exist_ok=True)
        os.chown(os.path.join(src, d), uid, gid)
        for i in range(50):
            names.append(f"{d}/f{i}")
    for n in names:
        write_as(os.path.join(src, n), content(n, 0, rnd.randint(64, 65536)), uid, gid)
    return names


def mutate(src, names, it, uid, gid, rnd):
    for n in rnd.sample(names, 10):
        write_as(os.path.join(src, n), content(n, it, rnd.randint(64, 65536)), uid, gid)
    settings = {"theme": "t%d" % it, "pad": "x" * rnd.randint(0, 200000)}
    write_as(os.path.join(src, "settings.json"), json.dumps(settings).encode(), uid, gid)
    write_as(os.path.join(src, ".env"), b"ITER=%d\n" % it, uid, gid)


def check(dst, envfile):
    """Names of half-written files under their good names."""
    bad = []
    for root, _, files in os.walk(dst):
        for f in files:
            p = os.path.join(root, f)
            rel = os.path.relpath(p, dst)
            if ".pi-tmp" in f or os.path.islink(p):
                continue
            if rel == "settings.json":
                try:
                    json.load(open(p, "rb"))
                except ValueError:
                    bad.append(rel)
            elif rel[:2] in ("a/", "b/") and not complete(p):
                bad.append(rel)
    # `environment` in ENVFILE, the first environmentFiles entry (the fixture's secret.env)
    # copied to ENVFILE.0
    for path, head, tail in ((envfile, b"MANAGED=from-config\n", b"SHARED=managed\n"),
                             (envfile + ".0", b"SECRET=from-file\n", b"SHARED=file\n\n")):
        if os.path.exists(path):
            env = open(path, "rb").read()
            if not (env.startswith(head) and env.endswith(tail)):
                bad.append(path)
    host = envfile[:-len(".env")] + ".env.host"
    if os.path.exists(host):
        env = open(host, "rb").read()
        if not (env.startswith(b"ITER=") and env.endswith(b"\n\n")):
            bad.append(host)
    return bad


def run(cmd):
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def main():
    runner, user, cwd, src, dst, envfile = sys.argv[1:7]
    n = int(sys.argv[7]) if len(sys.argv) > 7 else 200
    st = os.stat(src)
    rnd = random.Random(int(os.environ.get("PI_ATK_SEED", time.time_ns())))
    names = setup(src, st.st_uid, st.st_gid, rnd)
    mutate(src, names, 0, st.st_uid, st.st_gid, rnd)
    spans = []
    for _ in range(3):
        t = time.monotonic()
        if run([runner, user, cwd]).wait(60) != 0:
            sys.exit("sigkill.py: a normal launch failed")
        spans.append(time.monotonic() - t)
    span = spans[-1] * 1.2          # an incremental launch, like the ones killed below
    killed = 0
    for it in range(1, n + 1):
        mutate(src, names, it, st.st_uid, st.st_gid, rnd)
        p = run([runner, user, cwd])
        time.sleep(rnd.uniform(0, span))  # where the kill lands: randomness, not synchronisation
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            killed += 1
        p.wait(60)
        bad = check(dst, envfile)
        if bad:
            sys.exit(f"sigkill.py: after kill {it}: half-written: {bad}")
    print(f"sigkill.py: {n} launches, {killed} killed before they ended "
          f"(a launch takes {spans[-1] * 1000:.0f} ms), nothing half-written")


if __name__ == "__main__":
    main()
