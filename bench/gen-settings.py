#!/usr/bin/env python3
# gen-settings.py - writes a reproducible settings.json of about SIZE bytes, shaped like a real one.
"""usage: gen-settings.py FILE SIZE [SEED]

Sections of nested objects (up to five levels) holding strings, integers, booleans, nulls,
short arrays and about 2% floats, printed with indent=2 as pi writes it.
"""
import json
import random
import sys

WORDS = ("model provider theme enabled timeout retry path command args env prompt "
         "context tools shell editor format name description version url key").split()


def word(rng):
    return rng.choice(WORDS) + str(rng.randrange(1000))


def scalar(rng):
    r = rng.random()
    if r < 0.45:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 8)))
    if r < 0.7:
        return rng.randrange(-10, 100000)
    if r < 0.85:
        return rng.random() < 0.5
    if r < 0.92:
        return None
    if r < 0.94:
        return round(rng.uniform(0, 10), rng.randrange(1, 4))
    return [word(rng) for _ in range(rng.randrange(1, 5))]


def obj(rng, depth):
    out = {}
    for _ in range(rng.randrange(2, 9)):
        if depth < 4 and rng.random() < 0.3:
            out[word(rng)] = obj(rng, depth + 1)
        else:
            out[word(rng)] = scalar(rng)
    return out


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.strip())
    path, target = sys.argv[1], int(sys.argv[2])
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) == 4 else 4242)
    doc = {"defaultProvider": "anthropic", "defaultModel": "claude-sonnet", "quietStartup": False}
    size, section = len(json.dumps(doc, indent=2)), {}
    while size < target:
        if not section or len(section) == 50:
            section = doc[f"section{len(doc) - 3}"] = {}
            size += 20
        key, val = word(rng), obj(rng, 1)
        section[key] = val
        text = json.dumps(val, indent=2)    # printed two levels deeper: 4 more spaces a line
        size += len(key) + 10 + len(text) + 4 * text.count("\n")
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(doc, indent=2) + "\n")


main()
