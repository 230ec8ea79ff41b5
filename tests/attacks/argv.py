#!/usr/bin/env python3
# argv.py - reads a recorded systemd-run argv as systemd would: the BindPaths destinations.
"""argv.py - reads a recorded systemd-run argv (NUL-separated) the way systemd would: `binds FILE` prints each BindPaths destination, `staged FILE` the source of each bind of a staged project root."""
import sys

SEPARATORS = ":" + " \t\n\r"


def extract_first_word(p):
    """systemd's extract_first_word(EXTRACT_UNQUOTE|EXTRACT_DONT_COALESCE_SEPARATORS) on
    ':' and whitespace: returns (word, rest, separator that ended it or None)."""
    word, i, quote = [], 0, None
    while i < len(p):
        c = p[i]
        if quote:
            if c == quote:
                quote = None
            elif c == "\\" and quote == '"' and i + 1 < len(p):
                i += 1
                word.append(p[i])
            else:
                word.append(c)
        elif c in "'\"":
            quote = c
        elif c == "\\" and i + 1 < len(p):
            i += 1
            word.append(p[i])
        elif c in SEPARATORS:
            return "".join(word), p[i + 1:], c
        else:
            word.append(c)
        i += 1
    if quote:
        raise ValueError("unterminated quote in " + p)
    return "".join(word), "", None


def bind_pairs(value):
    """The (source, destination) pairs of one BindPaths= value."""
    pairs, p = [], value
    while p:
        src, p, sep = extract_first_word(p)
        if not src and sep != ":":
            continue
        dst = src.lstrip("-")
        if sep == ":":
            dst, p, sep = extract_first_word(p)
            if sep == ":":
                _, p, sep = extract_first_word(p)
        pairs.append((src, dst))
    return pairs


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        argv = [a.decode("utf-8", "surrogateescape") for a in f.read().split(b"\0")[:-1]]
    if cmd == "binds":
        for i, a in enumerate(argv):
            if i and argv[i - 1] == "-p" and a.startswith("BindPaths="):
                for _, dst in bind_pairs(a[len("BindPaths="):]):
                    print(dst)
    elif cmd == "staged":
        for i, a in enumerate(argv):
            if i and argv[i - 1] == "-p" and a.startswith("BindPaths="):
                for src, _ in bind_pairs(a[len("BindPaths="):]):
                    if src.startswith("/run/pi-agent-binds/"):
                        print(src)
    else:
        sys.exit("usage: argv.py binds|staged FILE")


if __name__ == "__main__":
    main()
