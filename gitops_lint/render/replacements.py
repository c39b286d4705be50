"""``replacements``: copy a field of one resource into fields of others.

Follows kustomize's replacement filter (api/filters/replacement):

* the source is selected by exact group/version/kind/name/namespace among
  the current and previous ids; it must match exactly one resource;
  ``fieldPath`` defaults to ``metadata.name``;
* targets are selected with regular-expression names (like patch targets),
  minus ``reject`` selectors; every listed field path must exist unless
  ``options.create``;
* field paths are dot-separated; ``[key=value]`` picks list elements,
  ``*`` every element, a number an index;
* ``options.delimiter``/``index`` replace one part of a delimited string;
* a scalar target keeps its type (only the text is copied).
"""

from __future__ import annotations

from typing import Any

from .copy import deep_copy
from .resource import Res, ResId
from .selector import Selector, matches_labels, split_outside
from .smp import scalar_text


class ReplacementError(Exception):
    pass


class NoSource(ReplacementError):
    """No resource is the replacement's source (unprovable when a remote resource was skipped)."""


def split_field_path(path: str) -> list[str]:
    """SmarterPathSplitter: split on dots outside ``[...]``."""
    return split_outside(path, ".", "[", "]")


def _ids(res: Res) -> list[ResId]:
    return [res.cur_id(), *res.prev_ids()]


def _selected_by(rid: ResId, sel: Selector) -> bool:
    if sel.name and sel.name != rid.name:
        return False
    if sel.namespace:
        probe = ResId(rid.group, rid.version, rid.kind, sel.namespace, rid.name)
        if probe.effective_ns() != rid.effective_ns():
            return False
    return rid.gvk_selected(sel.group, sel.version, sel.kind)


def _lookup(node: Any, parts: list[str]) -> list[Any]:
    """Containers-and-keys are not needed for reading: return the values found."""
    found = [node]
    for part in parts:
        nxt: list[Any] = []
        for cur in found:
            nxt.extend(v for _, _, v in _step(cur, part, create=None, last=False))
        found = nxt
    return found


def _step(cur: Any, part: str, create, last: bool):
    """Yield (container, key, value) for ``part`` applied to ``cur``."""
    if isinstance(cur, list):
        if part == "*" or part == "[]":
            for i, v in enumerate(cur):
                yield cur, i, v
            return
        if part.startswith("[") and part.endswith("]"):
            key, _, value = part[1:-1].partition("=")
            matched = False
            for i, v in enumerate(cur):
                if (
                    key == ""
                    and not isinstance(v, (dict, list))
                    and scalar_text(v) == value
                    or isinstance(v, dict)
                    and key in v
                    and scalar_text(v[key]) == value
                ):
                    matched = True
                    yield cur, i, v
            if not matched and create is not None and key:
                elem = {key: value}
                cur.append(elem)
                yield cur, len(cur) - 1, elem
            return
        if part.lstrip("-").isdigit():
            idx = int(part)
            if -len(cur) <= idx < len(cur):
                yield cur, idx, cur[idx]
        return
    if isinstance(cur, dict):
        if part.startswith("[") and part.endswith("]"):
            return
        if part in cur and cur[part] is not None:
            yield cur, part, cur[part]
        elif create is not None:
            cur[part] = create() if last else {}
            yield cur, part, cur[part]


def _targets(node: dict, parts: list[str], create) -> list[tuple[Any, Any]]:
    found: list[tuple[Any, Any]] = [(None, None)]
    values: list[Any] = [node]
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        nxt_found, nxt_values = [], []
        for cur in values:
            for container, key, value in _step(cur, part, create, last):
                nxt_found.append((container, key))
                nxt_values.append(value)
        found, values = nxt_found, nxt_values
    return found


def _refine_source(options: dict, value: Any) -> Any:
    delim = options.get("delimiter") if isinstance(options, dict) else None
    if delim:
        if isinstance(value, (dict, list)):
            raise ReplacementError("delimiter option can only be used with scalar nodes")
        parts = scalar_text(value).split(str(delim))
        index = int(options.get("index") or 0)
        if index < 0 or index >= len(parts):
            raise ReplacementError(f"options.index {index} is out of bounds for value {scalar_text(value)}")
        return parts[index]
    return value


def _coerce(old: Any, text: str) -> Any:
    """Keep the target scalar's type, take the source's text."""
    if isinstance(old, bool):
        low = text.lower()
        if low in ("true", "false"):
            return low == "true"
        return text
    if isinstance(old, int):
        try:
            return int(text)
        except ValueError:
            return text
    if isinstance(old, float):
        try:
            return float(text)
        except ValueError:
            return text
    return text


def _set_value(container: Any, key: Any, value: Any, options: dict) -> None:
    current = container[key]
    delim = options.get("delimiter") if isinstance(options, dict) else None
    if delim:
        if isinstance(current, (dict, list)):
            raise ReplacementError("delimiter option can only be used with scalar nodes")
        parts = scalar_text(current).split(str(delim))
        index = int(options.get("index") or 0)
        text = scalar_text(value)
        if index < 0:
            parts.insert(0, text)
        elif index >= len(parts):
            parts.append(text)
        else:
            parts[index] = text
        value = str(delim).join(parts)
    if current is not None and not isinstance(current, (dict, list)) and not isinstance(value, (dict, list)):
        container[key] = (
            _coerce(current, scalar_text(value)) if not isinstance(current, str) else scalar_text(value)
        )
    else:
        container[key] = deep_copy(value)


def apply_replacement(resources: list[Res], spec: dict) -> None:
    source = spec.get("source")
    if not isinstance(source, dict):
        raise ReplacementError("a replacement must have a source")
    sel = Selector.parse(source)
    matches = [r for r in resources if any(_selected_by(rid, sel) for rid in _ids(r))]
    if len(matches) > 1:
        raise ReplacementError(f"multiple matches for selector {_describe(source)}")
    if not matches:
        raise NoSource(f"nothing selected by {_describe(source)}")
    field_path = str(source.get("fieldPath") or "metadata.name")
    found = [v for v in _lookup(matches[0].obj, split_field_path(field_path)) if v is not None]
    if not found or found[0] in ({}, [], ""):
        raise ReplacementError(
            f"fieldPath `{field_path}` is missing for replacement source {_describe(source)}"
        )
    value = _refine_source(source.get("options") or {}, found[0])
    for target in spec.get("targets") or []:
        if not isinstance(target, dict):
            continue
        select = target.get("select")
        if not isinstance(select, dict):
            raise ReplacementError("target must specify resources to select")
        tsel = Selector.parse(select)
        rejects = [Selector.parse(r) for r in target.get("reject") or [] if isinstance(r, dict)]
        paths = [str(p) for p in target.get("fieldPaths") or ["metadata.name"]]
        options = target.get("options") if isinstance(target.get("options"), dict) else {}
        for res in resources:
            if tsel.label_selector and not matches_labels(res.labels(), tsel.label_selector):
                continue
            if tsel.annotation_selector and not matches_labels(res.annotations(), tsel.annotation_selector):
                continue
            ids = _ids(res)
            if not any(_target_selects(tsel, rid) for rid in ids):
                continue
            if any(_target_selects(r, rid) for r in rejects for rid in ids):
                continue
            _copy_to(res, value, paths, options)


def _target_selects(sel: Selector, rid: ResId) -> bool:
    from .selector import anchored

    if sel.name and not anchored(sel.name).fullmatch(rid.name):
        return False
    if sel.namespace and not anchored(sel.namespace).fullmatch(rid.namespace):
        return False
    if sel.label_selector or sel.annotation_selector:
        pass
    return rid.gvk_selected(sel.group, sel.version, sel.kind)


def _copy_to(res: Res, value: Any, paths: list[str], options: dict) -> None:
    create = None
    if options.get("create") is True:
        if isinstance(value, dict):
            create = dict
        elif isinstance(value, list):
            create = list
        else:
            create = str
    for path in paths:
        targets = _targets(res.obj, split_field_path(path), create)
        if not targets:
            raise ReplacementError(
                f"unable to find field {path!r} in replacement target {res.cur_id().display()}"
            )
        for container, key in targets:
            _set_value(container, key, value, options)


def _describe(source: dict) -> str:
    return "/".join(str(source.get(k)) for k in ("kind", "namespace", "name") if source.get(k))
