#!/usr/bin/env python3
# merge-vs-python.py - differential test: pi-merge BASE OVER must print byte for byte what the seed's Python merge prints.
"""Usage: merge-vs-python.py PI_MERGE [-n N] [--seed S] [--keep]

Generates N random pairs of JSON documents (nested objects and arrays, every kind of
string escape, lone surrogates, astral and control characters, huge integers, floats in
odd spellings, duplicate keys, odd whitespace), writes them to a temporary directory,
runs `PI_MERGE BASE OVER` and compares its stdout with the seed's Python merge
(deep_merge, then json.dumps(merged, indent=2, sort_keys=True) + "\\n"). Then feeds
documents pi-merge must refuse (fixed cases and random mutations that Python refuses,
plus the extras pi refuses: NaN/Infinity, floats that overflow, nesting > 512) and checks
exit status 1 with nothing on stdout.
"""
import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile

MAX_DEPTH = 512
MAX_NUMBER = 4300


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seedmerge  # noqa: E402  (the seed's merge, shared by the tests)


# --- the seed's merge, with load_obj's "not a dict counts as {}" ---

def python_merge(base_text, over_text):
    objs = []
    for text in (base_text, over_text):
        data = json.loads(text.decode("utf-8"))
        objs.append(data if isinstance(data, dict) else {})
    return seedmerge.dumps(seedmerge.merge(objs[0], objs[1])).encode("ascii")


class Refused(Exception):
    pass


def _refuse(*_):
    raise Refused()


def _parse_float(s):
    v = float(s)
    if len(s) > MAX_NUMBER or math.isinf(v):
        raise Refused()
    return v


def _parse_int(s):
    if len(s) > MAX_NUMBER:
        raise Refused()
    return int(s)


def _depth(v):
    # iterative, so a deep document cannot overflow Python's stack here
    deepest, stack = 0, [(v, 0)]
    while stack:
        x, d = stack.pop()
        if isinstance(x, (dict, list)):
            deepest = max(deepest, d + 1)
            stack.extend((y, d + 1) for y in (x.values() if isinstance(x, dict) else x))
    return deepest


def pi_accepts(text):
    """What pi's parser accepts: Python's json.loads minus NaN/Infinity, overflowing floats,
    numbers longer than 4300 characters and nesting deeper than 512."""
    try:
        s = text.decode("utf-8")
        v = json.loads(s, parse_constant=_refuse, parse_float=_parse_float, parse_int=_parse_int)
    except (Refused, ValueError, RecursionError):
        return False
    return _depth(v) <= MAX_DEPTH


# --- random documents, generated directly as text ---

KEYS = ["a", "b", "c", "env", "model", "A", "", "\u00e9", "e\u0301", "\U0001F600",
        "\uffff", "\ud800", "\udc00", "\u0000", "k\n", "\"q\"", "/", "\\", "\u007f", "z" * 20]


def rand_char(r):
    k = r.random()
    if k < 0.45:
        return chr(r.randrange(0x20, 0x7f))
    if k < 0.55:
        return chr(r.randrange(0, 0x20))
    if k < 0.60:
        return r.choice('"\\/\u007f')
    if k < 0.72:
        return chr(r.randrange(0x80, 0x800))
    if k < 0.84:
        c = r.randrange(0x800, 0x10000)
        return chr(c if not 0xd800 <= c <= 0xdfff else c + 0x800)
    if k < 0.94:
        return chr(r.randrange(0x10000, 0x110000))
    return chr(r.randrange(0xd800, 0xe000))          # lone surrogate: escapes only


def rand_string(r):
    if r.random() < 0.3:
        return r.choice(KEYS)
    return "".join(rand_char(r) for _ in range(r.randrange(0, 12)))


def u_escape(r, c):
    h = "%04x" % c
    return "\\u" + (h.upper() if r.random() < 0.3 else h)


SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def enc_char(r, c):
    o = ord(c)
    if c in SHORT and (r.random() < 0.7 or c in '"\\'):
        return SHORT[c] if r.random() < 0.8 else u_escape(r, o)
    if o < 0x20 or 0xd800 <= o <= 0xdfff:
        return u_escape(r, o)
    if c == "/" and r.random() < 0.5:
        return "\\/"
    if r.random() < 0.75:
        return c
    if o >= 0x10000:
        o -= 0x10000
        return u_escape(r, 0xd800 | o >> 10) + u_escape(r, 0xdc00 | (o & 0x3ff))
    return u_escape(r, o)


def enc_string(r, s):
    return '"' + "".join(enc_char(r, c) for c in s) + '"'


def rand_double(r):
    while True:
        x = r.choice([
            lambda: r.uniform(-1e6, 1e6),
            lambda: r.random() * 10 ** r.randrange(-30, 30),
            lambda: math.ldexp(r.random(), r.randrange(-1074, 1024)),
            lambda: float.fromhex("%s0x1.%013xp%d" % (r.choice("+-"), r.getrandbits(52), r.randrange(-1022, 1024))),
            lambda: r.choice([0.0, -0.0, 5e-324, 1.7976931348623157e308, 1e16, 1e15, 1e-5, 1e-4,
                              0.1, 1.5e-7, 123456789.123, 2.0 ** 53, 2.0 ** -1017]),
        ])()
        if math.isfinite(x):
            return x


def rand_float_text(r):
    k = r.random()
    if k < 0.5:
        return repr(rand_double(r))
    if k < 0.7:
        return r.choice(["%.17g", "%.20e", "%.3E", "%.1f", "%.25g"]) % rand_double(r)
    # odd spellings: 1E5, 2.50e-3, 0.000e+00, -0e0, 100.0e-2, long mantissas
    m = r.choice(["0", "1", "2", "9", "10", "100", str(r.randrange(10 ** r.randrange(1, 25)))])
    if r.random() < 0.7:
        m += "." + "".join(r.choice("0123456789") for _ in range(r.randrange(1, 25)))
    if r.random() < 0.7 or "." not in m:
        m += r.choice("eE") + r.choice(["", "+", "-"]) + str(r.randrange(0, 330))
    return ("-" if r.random() < 0.3 else "") + m


def rand_number(r):
    k = r.random()
    if k < 0.3:
        return str(r.randrange(-1000, 1000))
    if k < 0.4:
        return r.choice(["0", "-0", "1", "-1", str(2 ** 63), str(-2 ** 63 - 1), str(2 ** 64)])
    if k < 0.5:
        return ("-" if r.random() < 0.5 else "") + str(r.randrange(1, 10)) + "".join(
            r.choice("0123456789") for _ in range(r.randrange(15, 300)))
    while True:
        t = rand_float_text(r)
        if "." not in t and "e" not in t.lower():
            t += ".0"
        if t.lstrip("-").startswith("00") or not math.isfinite(float(t)):
            continue
        return t


def ws(r):
    if r.random() < 0.6:
        return ""
    return "".join(r.choice(" \t\n\r") for _ in range(r.randrange(1, 4)))


def rand_value(r, depth):
    k = r.random()
    if depth > 0 and k < 0.35:
        return rand_object(r, depth - 1)
    if depth > 0 and k < 0.5:
        items = [rand_value(r, depth - 1) for _ in range(r.randrange(0, 5))]
        return "[" + ws(r) + ("," + ws(r)).join(items) + ws(r) + "]"
    if k < 0.7:
        return enc_string(r, rand_string(r))
    if k < 0.9:
        return rand_number(r)
    return r.choice(["true", "false", "null"])


def rand_object(r, depth, width=6):
    members = []
    for _ in range(r.randrange(0, width)):
        key = r.choice(KEYS) if r.random() < 0.7 else rand_string(r)
        members.append(enc_string(r, key) + ws(r) + ":" + ws(r) + rand_value(r, depth))
        if r.random() < 0.1:          # a duplicate key, spelled the same or escaped differently
            members.append(enc_string(r, key) + ":" + rand_value(r, depth))
    return "{" + ws(r) + ("," + ws(r)).join(members) + ws(r) + "}"


def rand_doc(r):
    k = r.random()
    if k < 0.05:
        text = rand_value(r, 2)                     # often not an object: counts as {}
    elif k < 0.08:
        text = rand_object(r, 2, width=400)         # larger than the 8 KiB output buffer
    else:
        text = rand_object(r, r.randrange(1, 6))
    return (ws(r) + text + ws(r)).encode("utf-8")


# --- documents pi-merge must refuse ---

FIXED_BAD = [
    b"", b" ", b"{", b"}", b"[1 2]", b'{"a" 1}', b"[1,]", b'{"a":1,}', b"tru", b"01", b"1.",
    b".5", b"-", b'"\x01"', b'"\\u12"', b'"\\x"', b'"\xff"', b'"\xc0\xaf"', b'"\xed\xa0\x80"',
    b'"\xf4\x90\x80\x80"', b"[" * 100000, b"[" * 513 + b"]" * 513, b"1 2", b"\xef\xbb\xbf{}",
    b"NaN", b'{"a": NaN}', b'{"a": Infinity}', b'{"a": -Infinity}', b'{"a": 1e400}',
    b'{"a": -1e309}', b'{"a": 1' + b"0" * 4300 + b"}", b"{'a': 1}", b'{"a": 1}}',
    b'{"a": "\x00"}', b'{"a"\x00: 1}', b'{"a": [1, 2,, 3]}', b'{"a": 0x10}', b'{"a": +1}',
    b'{"a": .1}', b'{"a": 1.e5}', b'{"a": True}', b'{"a": undefined}', b'{"a": 1} // c',
    b'{"a": "\\ud800\\u"}', b'{a: 1}', b'{"a":1,"b"}',
]

MUTATION_BYTES = b',:[]{}"\\ 0123456789e.-+tnfxE\x00\x1f\x7f\xc3\xff\xed'


def mutate(r, text):
    b = bytearray(text)
    for _ in range(r.randrange(1, 3)):
        i = r.randrange(0, len(b) + 1)
        op = r.randrange(4)
        if op == 0 and i < len(b):
            del b[i]
        elif op == 1:
            b[i:i] = bytes([r.choice(MUTATION_BYTES)])
        elif op == 2 and i < len(b):
            b[i] = r.choice(MUTATION_BYTES)
        elif i < len(b):
            b[i:i] = b[i:i + r.randrange(1, 4)]
    return bytes(b)


# --- running ---

class Runner:
    def __init__(self, merge, tmp, keep):
        self.merge, self.tmp, self.keep = merge, tmp, keep
        self.passed = self.failed = 0
        self.n = 0

    def files(self, base, over):
        self.n += 1
        paths = []
        for name, text in (("base", base), ("over", over)):
            p = os.path.join(self.tmp, "%04d-%s.json" % (self.n, name))
            with open(p, "wb") as f:
                f.write(text)
            paths.append(p)
        return paths

    def run(self, base, over):
        paths = self.files(base, over)
        p = subprocess.run([self.merge] + paths, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        return paths, p

    def result(self, ok, paths, why):
        if ok:
            self.passed += 1
            if not self.keep:
                for p in paths:
                    os.unlink(p)
        else:
            self.failed += 1
            if self.failed <= 10:
                print("FAIL %s: %s" % (" ".join(paths), why), file=sys.stderr)

    def same(self, base, over):
        want = python_merge(base, over)
        paths, p = self.run(base, over)
        if p.returncode != 0 or p.stdout != want:
            why = "exit %d, stderr %r" % (p.returncode, p.stderr[:200])
            for i, (a, b) in enumerate(zip(p.stdout.split(b"\n"), want.split(b"\n"))):
                if a != b:
                    why += "; line %d: got %r, want %r" % (i + 1, a[:120], b[:120])
                    break
            self.result(False, paths, why)
        else:
            self.result(True, paths, "")

    def refused(self, base, over):
        paths, p = self.run(base, over)
        ok = p.returncode == 1 and p.stdout == b"" and p.stderr != b""
        self.result(ok, paths, "exit %d, stdout %r, stderr %r" % (p.returncode, p.stdout[:80], p.stderr[:200]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("merge", help="path of the pi-merge binary")
    ap.add_argument("-n", type=int, default=300, help="random pairs (default 300)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the documents of passing cases too")
    a = ap.parse_args()
    r = random.Random(a.seed)
    tmp = tempfile.mkdtemp(prefix="merge-vs-python.")
    t = Runner(os.path.abspath(a.merge), tmp, a.keep)
    good = b'{"a": {"b": 1}}'
    for _ in range(a.n):
        t.same(rand_doc(r), rand_doc(r))
    for bad in FIXED_BAD:
        assert not pi_accepts(bad), bad
        t.refused(bad, good)
        t.refused(good, bad)
    for _ in range(a.n):
        text = mutate(r, rand_doc(r))
        if pi_accepts(text):
            t.same(text, rand_doc(r))
        else:
            t.refused(rand_doc(r), text)
    print("merge-vs-python: %d passed, %d failed" % (t.passed, t.failed))
    if t.failed or a.keep:
        print("documents kept in %s" % tmp, file=sys.stderr)
    else:
        shutil.rmtree(tmp)
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
