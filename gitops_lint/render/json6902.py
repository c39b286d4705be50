"""JSON patches (RFC 6902) with the semantics of the library kustomize uses
(evanphx/json-patch v4), which differ from the RFC in places real
repositories rely on:

* ``replace`` on a missing *object* key adds it (only array indexes and the
  parent path must exist);
* negative array indexes count from the end (``add`` at ``-1`` appends);
* every other missing parent path, missing key on ``remove``, out-of-range
  index or failed ``test`` is an error and kustomize fails the build.

A patch is given as YAML or JSON text (kustomize accepts both).
"""

from __future__ import annotations

from typing import Any

from .copy import deep_copy


class PatchError(Exception):
    """The patch does not apply; kustomize refuses the build."""


def _decode(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def _split(path: object) -> tuple[list[str], str] | None:
    if not isinstance(path, str):
        raise PatchError(f"invalid path {path!r}")
    parts = path.split("/")
    if len(parts) < 2:
        return None
    return [_decode(p) for p in parts[1:-1]], _decode(parts[-1])


def _index(key: str, length: int, *, for_add: bool = False) -> int:
    try:
        idx = int(key)
    except ValueError:
        raise PatchError(f"value was not a proper array index: {key!r}") from None
    size = length + 1 if for_add else length
    if idx < 0:
        if idx < -size:
            raise PatchError(f"Unable to access invalid index: {idx}")
        idx += size
    if idx >= size:
        raise PatchError(f"Unable to access invalid index: {idx}")
    return idx


def _find(doc: Any, path: object):
    """findObject: the container holding the last path element, and that key."""
    split = _split(path)
    if split is None:
        return None, ""
    parts, key = split
    cur = doc
    for part in parts:
        if isinstance(cur, dict):
            if part not in cur:
                return None, ""
            cur = cur[part]
        elif isinstance(cur, list):
            try:
                cur = cur[_index(part, len(cur))]
            except PatchError:
                return None, ""
        else:
            return None, ""
        if not isinstance(cur, (dict, list)):
            return None, ""
    return cur, key


def _get(con: Any, key: str):
    if isinstance(con, dict):
        return con.get(key)
    return con[_index(key, len(con))]


def _add(con: Any, key: str, value: Any) -> None:
    if isinstance(con, dict):
        con[key] = value
    elif key == "-":
        con.append(value)
    else:
        con.insert(_index(key, len(con), for_add=True), value)


def _remove(con: Any, key: str) -> None:
    if isinstance(con, dict):
        if key not in con:
            raise PatchError(f"Unable to remove nonexistent key: {key}")
        del con[key]
    else:
        del con[_index(key, len(con))]


def apply_ops(doc: dict, ops: list) -> dict:
    """Apply the operations to ``doc`` (mutated) and return it."""
    for op in ops:
        if not isinstance(op, dict):
            raise PatchError("a JSON patch operation must be a mapping")
        kind = op.get("op")
        path = op.get("path")
        if kind == "add":
            con, key = _find(doc, path)
            if con is None:
                raise PatchError(f'add operation does not apply: doc is missing path: "{path}"')
            _add(con, key, deep_copy(op.get("value")))
        elif kind == "remove":
            con, key = _find(doc, path)
            if con is None:
                raise PatchError(f'remove operation does not apply: doc is missing path: "{path}"')
            try:
                _remove(con, key)
            except PatchError as exc:
                raise PatchError(f"error in remove for path: '{path}': {exc}") from None
        elif kind == "replace":
            con, key = _find(doc, path)
            if con is None:
                raise PatchError(f"replace operation does not apply: doc is missing path: {path}")
            if isinstance(con, dict):
                con[key] = deep_copy(op.get("value"))
            else:
                con[_index(key, len(con))] = deep_copy(op.get("value"))
        elif kind in ("move", "copy"):
            src = op.get("from")
            con, key = _find(doc, src)
            if con is None:
                raise PatchError(f"{kind} operation does not apply: doc is missing from path: {src}")
            value = _get(con, key)
            if kind == "move":
                _remove(con, key)
            else:
                value = deep_copy(value)
            con, key = _find(doc, path)
            if con is None:
                raise PatchError(f"{kind} operation does not apply: doc is missing destination path: {path}")
            _add(con, key, value)
        elif kind == "test":
            con, key = _find(doc, path)
            if con is None:
                raise PatchError(f"test operation does not apply: is missing path: {path}")
            if not _json_equal(_get(con, key), op.get("value")):
                raise PatchError(f"testing value {path} failed: test failed")
        else:
            raise PatchError(f"Unexpected kind: {kind}")
    return doc


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=False))
    return a == b
