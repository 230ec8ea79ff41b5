#!/usr/bin/env python3
"""tests/shape.py - fails when the tree's shape breaks a rule of STYLE.md: a module below the personalities prints, exits or includes the printing headers; a privileged call sits outside priv/; files include each other in a loop; an exported function lacks its file's prefix."""
import re
import subprocess
import sys
from pathlib import Path

TOP = Path(subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True,
                          text=True, check=True).stdout.strip())
LOWER = ("launch/", "net/", "priv/", "lib/")
CARD = ("policy.c", "sync.c", "merge.c", "sandbox.c")     # the design card's modules, on top
PRINTS = re.compile(r"\b(printf|fprintf|vfprintf|dprintf|puts|fputs|fputc|putchar|perror|"
                    r"exit|_exit|abort|pi_say\w*|pi_plain|pi_root_lost|pi_version)\s*\(")
PRINTING_HEADERS = ("say.h", "pi.h")
PRIVILEGED = re.compile(r"\b(setfsuid|setfsgid|capset|setresuid|setresgid|setgroups|open_tree|"
                        r"mount_setattr|SYS_(capset|setgroups\w*|setres[ug]id\w*|setfs[ug]id\w*|"
                        r"open_tree|mount_setattr))\b")
# What truly must: (file, call, why). Keep it short.
ALLOWED = {
    # a child between fork and exec leaves without the parent's atexit handlers and stdio buffers
    ("launch/agentver.c", "_exit"), ("launch/sudorule.c", "_exit"), ("net/netns.c", "_exit"),
    ("priv/idmap.c", "_exit"),
}
# Exported functions are named <file>_…; these files use another prefix, said here once.
PREFIX = {
    "pi.c": "main",            # the binary's one main
    "say.c": "pi_",            # the program's voice: pi_say, pi_plain, …
    "lib/audit.c": "audit",    # audit() and audit_quote()
}
DEFINITION = re.compile(r"^(?!static\b)[A-Za-z_][\w \*]*?[\s\*](\w+)\([^;{]*?\)\s*\n\{", re.M)
CODE = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources():
    out = subprocess.run(["git", "ls-files", "*.c", "*.h"], cwd=TOP, capture_output=True,
                         text=True, check=True).stdout.split()
    return [p for p in out if not p.startswith("tests/") and not p.startswith("bench/")]


def code_only(text):
    """The text with comments and literals blanked, lines kept where they were."""
    return CODE.sub(lambda m: "\n" * m.group(0).count("\n") if m.group(0)[0] == "/" else '""',
                    text)


def check_quiet(files, fail):
    for p in files:
        if not (p.startswith(LOWER) or p in CARD):
            continue
        text = (TOP / p).read_text()
        for inc in INCLUDE.findall(text):
            if inc in PRINTING_HEADERS:
                fail(f"{p}: includes {inc}: a module below the personalities never prints")
        for n, line in enumerate(code_only(text).splitlines(), 1):
            for m in PRINTS.finditer(line):
                if (p, m.group(1)) not in ALLOWED:
                    fail(f"{p}:{n}: {m.group(1)}(): a module below the personalities never "
                         "prints and never exits")


def check_priv(files, fail):
    for p in files:
        if p.startswith("priv/"):
            continue
        for n, line in enumerate(code_only((TOP / p).read_text()).splitlines(), 1):
            for m in PRIVILEGED.finditer(line):
                fail(f"{p}:{n}: {m.group(1)}: a privileged call outside priv/")


def check_cycles(files, fail):
    """Modules (x.c with x.h) as nodes, an edge for each include of another module's header."""
    module = {p: Path(p).stem for p in files}
    known = set(module.values())
    edges = {m: set() for m in known}
    for p in files:
        for inc in INCLUDE.findall((TOP / p).read_text()):
            dep = Path(inc).stem
            if dep in known and dep != module[p]:
                edges[module[p]].add(dep)
    state = {}

    def visit(m, path):
        state[m] = 1
        for d in sorted(edges[m]):
            if state.get(d) == 1:
                fail("include cycle: " + " -> ".join(path[path.index(d):] + [d]))
            elif d not in state:
                visit(d, path + [d])
        state[m] = 2

    for m in sorted(known):
        if m not in state:
            visit(m, [m])


def check_prefixes(files, fail):
    for p in files:
        if not p.endswith(".c"):
            continue
        want = PREFIX.get(p, Path(p).stem + "_")
        for m in DEFINITION.finditer((TOP / p).read_text()):
            if not m.group(1).startswith(want):
                fail(f"{p}: {m.group(1)}: an exported name carries its file's prefix ({want}…)")


def main():
    failures = []
    files = sources()
    for check in (check_quiet, check_priv, check_cycles, check_prefixes):
        check(files, failures.append)
    for f in failures:
        print("shape: " + f, file=sys.stderr)
    print(f"shape: {len(files)} files, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
