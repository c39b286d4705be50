"""Whether a value survives a trip through JSON unchanged: the finer warm caches' test.

Parsed documents and kustomize builds are kept between runs as JSON (never
pickle: nothing read from a cache runs). JSON holds exactly the trees the
YAML loader builds for ordinary documents, so a tree is stored as itself,
with no encoding, when this test passes; anything else (a key that is not a
string, a ``str`` subclass, a tuple, a float NaN or infinity, a container
reached twice through a YAML alias, whose sharing JSON would undo) is not
stored, and the caller does the work again. A miss is slow, never wrong.
(Parsed files are stored with their sharing: :mod:`.sharing`.)
"""

from __future__ import annotations

import math

_SCALARS = (str, int, bool, type(None))


def is_plain(value) -> bool:
    """True when ``json.loads(json.dumps(value)) == value`` with every type and every
    container's identity kept apart (see the module's docstring)."""
    seen: set[int] = set()
    stack = [value]
    while stack:
        v = stack.pop()
        t = type(v)
        if t in _SCALARS:
            continue
        if t is float:
            if not math.isfinite(v):
                return False
            continue
        if t is dict:
            if id(v) in seen:
                return False
            seen.add(id(v))
            for k, item in v.items():
                if type(k) is not str:
                    return False
                stack.append(item)
            continue
        if t is list:
            if id(v) in seen:
                return False
            seen.add(id(v))
            stack.extend(v)
            continue
        return False
    return True
