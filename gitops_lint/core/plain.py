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
    return shared_containers([value]) == set()


def shared_containers(roots: list) -> set[int] | None:
    """The ``id()`` of every container reached more than once from ``roots`` (a YAML
    alias's sharing, which :mod:`.sharing` can write down), or None when a value is not
    one JSON keeps exactly (a key that is not a ``str``, a ``str`` or ``float`` subclass,
    a tuple, a NaN or an infinity). One walk over the distinct containers: a shared one
    is not walked again, so a tree of aliases costs what its text does."""
    seen: set[int] = set()
    shared: set[int] = set()
    stack = list(roots)
    while stack:
        v = stack.pop()
        t = type(v)
        if t in _SCALARS:
            continue
        if t is float:
            if not math.isfinite(v):
                return None
            continue
        if t is dict:
            if id(v) in seen:
                shared.add(id(v))
                continue
            seen.add(id(v))
            for k, item in v.items():
                if type(k) is not str:
                    return None
                stack.append(item)
            continue
        if t is list:
            if id(v) in seen:
                shared.add(id(v))
                continue
            seen.add(id(v))
            stack.extend(v)
            continue
        return None
    return shared
