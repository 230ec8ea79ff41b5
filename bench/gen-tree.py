#!/usr/bin/env python3
# gen-tree.py - writes a reproducible config tree of random files for the benchmarks.
"""usage: gen-tree.py DIR FILES DIRS MAXSIZE [SEED]

FILES files of 0..MAXSIZE-1 random bytes, spread over DIRS directories DIR/dN (file i in
directory i % DIRS, named fM), the same bytes for the same arguments.
"""
import os
import random
import sys


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__.strip())
    top, files, dirs, maxsize = sys.argv[1], *map(int, sys.argv[2:5])
    rng = random.Random(int(sys.argv[5]) if len(sys.argv) == 6 else 4242)
    for d in range(dirs):
        os.makedirs(os.path.join(top, f"d{d}"), exist_ok=True)
    for i in range(files):
        path = os.path.join(top, f"d{i % dirs}", f"f{i // dirs}")
        with open(path, "wb") as f:
            f.write(rng.randbytes(rng.randrange(maxsize)))


main()
