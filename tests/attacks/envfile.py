#!/usr/bin/env python3
# envfile.py - reads an env file as systemd's EnvironmentFile= does (systemd 252).
"""envfile.py - reads an env file the way systemd's EnvironmentFile= does (a port of
parse_env_file_internal in systemd's src/basic/env-file.c, checked against systemd 252 of
Debian 12) and prints the resulting variables as NAME=VALUE lines, later assignments winning;
`envfile.py FILE NAME` prints one value. A file with a NUL byte is refused (exit 2): systemd
252 then fails the unit."""
import os
import sys

COMMENTS, WHITESPACE, NEWLINE, SHELL_NEED_ESCAPE = "#;", " \t\n\r", "\n\r", '"\\`$'


def parse(text):
    """The variables systemd would set from text (a str), in order, later ones winning."""
    env = {}
    if "\0" in text:
        raise ValueError("NUL byte: systemd refuses the whole file")
    state, key, value = "PRE_KEY", [], None
    key_ws = value_ws = None

    def push():
        k = "".join(key)
        if key_ws is not None:
            k = "".join(key[:key_ws])
        v = "".join(value) if value is not None else ""
        env[k] = v

    for c in text:
        if state == "PRE_KEY":
            if c in COMMENTS:
                state = "COMMENT"
            elif c not in WHITESPACE:
                state, key_ws, key = "KEY", None, [c]
        elif state == "KEY":
            if c in NEWLINE:
                state, key = "PRE_KEY", []
            elif c == "=":
                state, value_ws, value = "PRE_VALUE", None, []
            else:
                if c not in WHITESPACE:
                    key_ws = None
                elif key_ws is None:
                    key_ws = len(key)
                key.append(c)
        elif state == "PRE_VALUE":
            if c in NEWLINE:
                push()
                state, key, value = "PRE_KEY", [], None
            elif c == "'":
                state = "SINGLE"
            elif c == '"':
                state = "DOUBLE"
            elif c == "\\":
                state = "VALUE_ESCAPE"
            elif c not in WHITESPACE:
                state = "VALUE"
                value.append(c)
        elif state == "VALUE":
            if c in NEWLINE:
                if value_ws is not None:
                    del value[value_ws:]
                push()
                state, key, value = "PRE_KEY", [], None
            elif c == "\\":
                state, value_ws = "VALUE_ESCAPE", None
            else:
                if c not in WHITESPACE:
                    value_ws = None
                elif value_ws is None:
                    value_ws = len(value)
                value.append(c)
        elif state == "VALUE_ESCAPE":
            state = "VALUE"
            if c not in NEWLINE:
                value.append(c)
        elif state == "SINGLE":
            if c == "'":
                state = "PRE_VALUE"
            else:
                value.append(c)
        elif state == "DOUBLE":
            if c == '"':
                state = "PRE_VALUE"
            elif c == "\\":
                state = "DOUBLE_ESCAPE"
            else:
                value.append(c)
        elif state == "DOUBLE_ESCAPE":
            state = "DOUBLE"
            if c in SHELL_NEED_ESCAPE:
                value.append(c)
            elif c != "\n":
                value.extend(("\\", c))
        elif state == "COMMENT":
            if c == "\\":
                state = "COMMENT_ESCAPE"
            elif c in NEWLINE:
                state = "PRE_KEY"
        elif state == "COMMENT_ESCAPE":
            state = "PRE_KEY" if c in NEWLINE else "COMMENT"
    if state in ("PRE_VALUE", "VALUE", "VALUE_ESCAPE", "SINGLE", "DOUBLE", "DOUBLE_ESCAPE"):
        if state == "VALUE" and value_ws is not None:
            del value[value_ws:]
        push()
    return env


def main():
    with open(sys.argv[1], "rb") as f:
        try:
            env = parse(f.read().decode("utf-8", "surrogateescape"))
        except ValueError as e:
            sys.exit(f"envfile.py: {sys.argv[1]}: {e}")
    if len(sys.argv) > 2:
        if sys.argv[2] not in env:
            sys.exit(1)
        print(env[sys.argv[2]])
        return
    for k, v in env.items():
        print(f"{k}={v}")


if __name__ == "__main__":
    main()


def parse_all(recdir):
    """The variables of RECDIR/env.0, env.1, ... read in turn, later files winning."""
    env, n = {}, 0
    while os.path.exists(os.path.join(recdir, "env.%d" % n)):
        path = os.path.join(recdir, "env.%d" % n)
        with open(path, "rb") as f:
            try:
                env.update(parse(f.read().decode("utf-8", "surrogateescape")))
            except ValueError as e:
                sys.exit(f"envfile.py: {path}: {e}")
        n += 1
    return env
