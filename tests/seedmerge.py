# seedmerge.py - the seed's settings merge in Python: the one reference the tests and the merge benchmark compare with.
"""The seed module's settings merge (pi-agent.nix), in Python.

merge(base, over): objects merge key by key, recursively; anything else in over (null
included) replaces; keys only in base stay. dumps(obj): what the seed wrote, the
json.dump(indent=2, sort_keys=True) of it and a newline.
"""
import json


def merge(base, over):
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = merge(out.get(key), value)
        return out
    return over


def dumps(obj):
    return json.dumps(obj, indent=2, sort_keys=True) + "\n"
