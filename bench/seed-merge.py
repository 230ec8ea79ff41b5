#!/usr/bin/env python3
# seed-merge.py - the merge benchmark's reference: the seed module's settings merge, in Python.
"""usage: seed-merge.py BASE MANAGED OUT

Loads both (a missing, invalid or non-object file counts as {}), deep-merges MANAGED over
BASE, writes json.dump(indent=2, sort_keys=True) and a newline to OUT.tmp, renames it to OUT.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from seedmerge import merge  # noqa: E402  (the one copy of the seed's merge)


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            obj = json.load(f)
    except (OSError, ValueError):
        return {}
    return obj if isinstance(obj, dict) else {}


def main():
    base, managed, out = sys.argv[1:4]
    merged = merge(load(base), load(managed))
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        json.dump(merged, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(out + ".tmp", out)


main()
