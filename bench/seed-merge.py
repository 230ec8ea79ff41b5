#!/usr/bin/env python3
# seed-merge.py - the merge benchmark's reference: the seed module's settings merge, in Python.
"""usage: seed-merge.py BASE MANAGED OUT

Loads both (a missing, invalid or non-object file counts as {}), deep-merges MANAGED over
BASE, writes json.dump(indent=2, sort_keys=True) and a newline to OUT.tmp, renames it to OUT.
"""
import json
import os
import sys


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            obj = json.load(f)
    except (OSError, ValueError):
        return {}
    return obj if isinstance(obj, dict) else {}


def merge(base, over):
    if not (isinstance(base, dict) and isinstance(over, dict)):
        return over
    out = dict(base)
    for key, value in over.items():
        out[key] = merge(out.get(key), value)
    return out


def main():
    base, managed, out = sys.argv[1:4]
    merged = merge(load(base), load(managed))
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        json.dump(merged, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(out + ".tmp", out)


main()
