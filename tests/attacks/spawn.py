#!/usr/bin/env python3
# spawn.py - execs a command with the inherited state a hostile caller chooses: ignored and blocked signals, odd fds 0-2.
"""spawn.py [--ign SIG,...] [--block SIG,...] [--fd N:KIND[:PATH]]... -- CMD [ARG...]

KIND: dir (an O_RDONLY|O_DIRECTORY fd of PATH), path (an O_PATH fd of PATH), file (PATH opened
read-write), pipe (the read or write end of a fresh pipe, whichever fits N), sock (one end of
a socketpair), closed."""
import os
import signal
import socket
import sys


def sigs(spec):
    return [getattr(signal, "SIG" + s) for s in spec.split(",") if s]


def set_fd(n, kind, path):
    if kind == "closed":
        os.close(n)
        return
    if kind == "dir":
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    elif kind == "path":
        fd = os.open(path, os.O_PATH)
    elif kind == "file":
        fd = os.open(path, os.O_RDWR)
    elif kind == "pipe":
        r, w = os.pipe()
        fd = r if n == 0 else w
        keep = w if n == 0 else r
        os.set_inheritable(keep, True)   # the other end stays open: no EOF, no SIGPIPE
    elif kind == "sock":
        a, b = socket.socketpair()
        fd = a.detach()
        os.set_inheritable(b.detach(), True)
    else:
        sys.exit("spawn.py: unknown kind " + kind)
    os.dup2(fd, n)
    if fd != n:
        os.close(fd)


def main():
    args = sys.argv[1:]
    ign, block, fds = [], [], []
    while args and args[0] != "--":
        opt, val = args[0], args[1]
        args = args[2:]
        if opt == "--ign":
            ign += sigs(val)
        elif opt == "--block":
            block += sigs(val)
        elif opt == "--fd":
            n, kind, *rest = val.split(":", 2)
            fds.append((int(n), kind, rest[0] if rest else ""))
    cmd = args[1:]
    for s in ign:
        signal.signal(s, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, block)
    for n, kind, path in fds:
        set_fd(n, kind, path)
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    main()
