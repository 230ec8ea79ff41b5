#!/usr/bin/env python3
"""unitview.py - what a recorded unit would see at some paths: its project mounts applied in a mount namespace of its own, as systemd resolves them.

Usage (as root, in a namespace of its own): unshare -m --propagation private unitview.py ARGV WITHIN PATH...
ARGV "-": no mount applied, what the host shows at those paths.

Applies the BindPaths=, BindReadOnlyPaths= and TemporaryFileSystem= entries of the recorded
systemd-run argv ARGV whose destination lies in WITHIN, parents first, the way systemd 252 did
when it set up the unit: each destination is resolved by path when it is mounted (a link is
followed), and one that cannot be reached is skipped and the unit starts all the same. Then
prints, for each PATH, a line "== PATH" and then a file's content as it is or a directory's
sorted entries one a line (an empty file or directory: no line), or "(nothing)"; a last line
without its newline gets one.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from argv import bind_pairs  # noqa: E402


def within(path, top):
    return path == top or path.startswith(top.rstrip("/") + "/")


def entries(argv, top):
    """(destination, mount commands) of the project mounts, in argv order."""
    out = []
    for i, a in enumerate(argv):
        if not i or argv[i - 1] != "-p":
            continue
        key, _, value = a.partition("=")
        if key in ("BindPaths", "BindReadOnlyPaths"):
            for src, dst in bind_pairs(value):
                src = src.lstrip("-")
                cmds = [["mount", "--rbind" if key == "BindPaths" else "--bind", src, dst]]
                if key == "BindReadOnlyPaths":
                    cmds.append(["mount", "-o", "remount,bind,ro", dst])
                out.append((dst, cmds))
        elif key == "TemporaryFileSystem":
            dst = value.strip('"')
            if dst.endswith(":ro"):
                dst = dst[:-3]
            out.append((dst, [["mount", "-t", "tmpfs", "-o", "ro,mode=0755", "tmpfs", dst]]))
    return [(d, c) for d, c in out if within(d, top)]


def view(path):
    try:
        if os.path.isdir(path):
            return "\n".join(sorted(os.listdir(path)))
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError as e:
        print(f"{path}: {e}", file=sys.stderr)
        return "(nothing)"


def main():
    argv_file, top, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
    argv = []
    if argv_file != "-":
        with open(argv_file, "rb") as f:
            argv = [a.decode("utf-8", "surrogateescape") for a in f.read().split(b"\0")[:-1]]
    for dst, cmds in sorted(entries(argv, top), key=lambda e: e[0].count("/")):
        for cmd in cmds:
            if subprocess.run(cmd, stderr=subprocess.DEVNULL, check=False).returncode:
                print(f"skipped: {dst}", file=sys.stderr)
                break
    for p in paths:
        text = view(p)
        end = "" if not text or text.endswith("\n") else "\n"
        sys.stdout.write(f"== {p}\n{text}{end}")


if __name__ == "__main__":
    main()
