"""The rendered diff of a change: per cluster and Flux Kustomization, which objects
a commit adds, removes or changes, and how, field by field.

Input is what two runs rendered (the base and the head): each cluster's Flux
Kustomizations and the objects each applies after kustomize and substitution
(:func:`snapshot`). Objects are matched by the identity Flux compares
(group, kind, namespace, name). A change is a list of field paths, the way
``dyff`` shows one: ``spec.template.spec.containers[name=app].image: a -> b``.

Noise users do not want in a review is left out:

* a list of maps is matched entry by entry by an identifier key (``name``, then
  ``key``, ``id``, ``containerPort``, ``mountPath``...: :data:`IDENTIFIERS`), so a
  reordered list is one ``order changed`` line, not a rewrite of every entry;
* labels and annotations a chart bump rewrites on every object
  (``helm.sh/chart``, ``app.kubernetes.io/version``, ``checksum/*``:
  :data:`DEFAULT_NOISE`, shell patterns, configurable) are dropped from both sides.

Secret values are never shown: for a ``Secret``, a changed key of ``data`` or
``stringData`` is ``data.password: (changed, value hidden)``. Every other value
that reaches output passes through the run's redactor (a chart password in
HelmRelease values, a URL embedding a substituted secret): the formatters of
:mod:`gitops_lint.report.diff_formats` take a ``redact`` function.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..core.data import ObjectRef, ref_of

#: keys that identify the entries of a list of maps, in order of preference
IDENTIFIERS = ("name", "key", "id", "containerPort", "mountPath", "devicePath", "port", "ip", "path")
#: label and annotation keys dropped before comparing (shell patterns)
DEFAULT_NOISE = ("helm.sh/chart", "app.kubernetes.io/version", "checksum/*")
#: what a hidden Secret value is shown as
HIDDEN = "value hidden"
_SECRET_SECTIONS = ("data", "stringData")
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")

ADDED, REMOVED, CHANGED, REORDERED = "added", "removed", "changed", "reordered"


@dataclass(frozen=True, order=True)
class ObjectKey:
    """An object's identity as Flux compares it: :class:`~.model.ObjectRef`'s, keyed by group
    rather than apiVersion (v1 -> v2 of one group is a change of the same object), so that it
    hashes and sorts as that identity."""

    group: str
    kind: str
    namespace: str
    name: str
    api_version: str = field(default="", compare=False)

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef(self.kind, self.namespace, self.name, self.api_version)

    def display(self) -> str:
        return self.ref.display()

    def to_json(self) -> dict[str, str]:
        return self.ref.to_json()


def key_of(obj: dict) -> ObjectKey:
    ref = ref_of(obj)
    return ObjectKey(ref.group, ref.kind, ref.namespace, ref.name, ref.api_version)


Snapshot = dict[str, dict[str, dict[ObjectKey, dict]]]


def snapshot(clusters: Iterable) -> Snapshot:
    """What each Flux Kustomization of each cluster applies, by object identity.

    Two objects of one identity in one Kustomization (a defect ``duplicate-object``
    reports) are kept apart by a ``#2`` suffix on the name, in render order.
    """
    out: Snapshot = {}
    for cluster in clusters:
        per_ks: dict[str, dict[ObjectKey, dict]] = {}
        for ks in cluster.kustomizations.values():
            objects: dict[ObjectKey, dict] = {}
            for ro in ks.objects:
                if not isinstance(ro.obj, dict):
                    continue
                key, n = key_of(ro.obj), 1
                base = key
                while key in objects:
                    n += 1
                    key = ObjectKey(
                        base.group, base.kind, base.namespace, f"{base.name}#{n}", base.api_version
                    )
                objects[key] = ro.obj
            per_ks[f"{ks.ref.namespace}/{ks.ref.name}"] = objects
        out[cluster.name] = per_ks
    return out


@dataclass(frozen=True)
class FieldChange:
    """One changed field: its path, what happened, and the values (None: absent).

    A hidden Secret value has ``hidden`` set and no values.
    """

    path: str
    change: str  # added | removed | changed | reordered
    before: object = None
    after: object = None
    hidden: bool = False


@dataclass
class ObjectDiff:
    key: ObjectKey
    change: str  # added | removed | changed
    fields: list[FieldChange] = field(default_factory=list)
    before: dict | None = None  # noise stripped, for the unified format
    after: dict | None = None
    # an object removed from one Kustomization and added to another of the cluster:
    # the other one ("namespace/name"); Flux prunes it from one and applies it from the other
    moved: str = ""


@dataclass
class KustomizationDiff:
    name: str  # namespace/name
    change: str  # added | removed | changed
    objects: list[ObjectDiff] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {ADDED: 0, REMOVED: 0, CHANGED: 0}
        for o in self.objects:
            out[o.change] += 1
        return out


@dataclass
class ClusterDiff:
    name: str
    change: str  # added | removed | changed
    kustomizations: list[KustomizationDiff] = field(default_factory=list)


# -- noise --------------------------------------------------------------------
def _noisy(key: object, patterns: tuple[str, ...]) -> bool:
    return isinstance(key, str) and any(fnmatch.fnmatchcase(key, p) for p in patterns)


def strip_noise(
    node: object, patterns: tuple[str, ...], parent: object = None, grand: object = None
) -> object:
    """A copy of ``node`` without labels and annotations matching ``patterns``.

    Any ``metadata.labels``/``metadata.annotations`` map, at any depth (a pod
    template's ``checksum/config`` is where a chart bump shows most).
    """
    if isinstance(node, dict):
        drop = grand == "metadata" and parent in ("labels", "annotations") and bool(patterns)
        out = {}
        for k, v in node.items():
            if drop and _noisy(k, patterns):
                continue
            new = strip_noise(v, patterns, k, parent)
            if parent == "metadata" and k in ("labels", "annotations") and new == {} and v != {}:
                continue  # only noise: as if there were none
            out[k] = new
        return out
    if isinstance(node, list):
        return [strip_noise(v, patterns, None, None) for v in node]
    return node


# -- field paths ----------------------------------------------------------------
def _key_path(path: str, key: object) -> str:
    text = str(key)
    if _PLAIN_KEY.match(text):
        return f"{path}.{text}" if path else text
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'{path}["{quoted}"]'


def _identifier(before: list, after: list) -> str | None:
    """The key that identifies every map entry of both lists, uniquely in each."""
    items = before + after
    if not items or not all(isinstance(x, dict) for x in items):
        return None
    for ident in IDENTIFIERS:
        ok = True
        for side in (before, after):
            seen = set()
            for x in side:
                v = x.get(ident)
                if v is None or isinstance(v, (dict, list)) or v in seen:
                    ok = False
                    break
                seen.add(v)
            if not ok:
                break
        if ok:
            return ident
    return None


def _distinct_scalars(values: list) -> bool:
    return all(not isinstance(v, (dict, list)) for v in values) and len(set(map(repr, values))) == len(values)


def diff_values(before: object, after: object, path: str = "") -> list[FieldChange]:
    """The field changes from ``before`` to ``after`` (maps by key, lists by identifier)."""
    if before == after and type(before) is type(after):
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[FieldChange] = []
        for k in _ordered_keys(before, after):
            sub = _key_path(path, k)
            if k not in after:
                out.append(FieldChange(sub, REMOVED, before[k], None))
            elif k not in before:
                out.append(FieldChange(sub, ADDED, None, after[k]))
            else:
                out.extend(diff_values(before[k], after[k], sub))
        return out
    if isinstance(before, list) and isinstance(after, list):
        return _diff_lists(before, after, path)
    return [FieldChange(path, CHANGED, before, after)]


def _ordered_keys(before: dict, after: dict) -> list:
    """Keys of both maps, sorted as text (deterministic whatever the render order)."""
    return sorted(set(before) | set(after), key=str)


def _diff_lists(before: list, after: list, path: str) -> list[FieldChange]:
    ident = _identifier(before, after)
    if ident is not None:
        old = {x[ident]: x for x in before}
        new = {x[ident]: x for x in after}
        out: list[FieldChange] = []
        for v in old:
            sub = f"{path}[{ident}={v}]"
            if v not in new:
                out.append(FieldChange(sub, REMOVED, old[v], None))
            else:
                out.extend(diff_values(old[v], new[v], sub))
        for v in new:
            if v not in old:
                out.append(FieldChange(f"{path}[{ident}={v}]", ADDED, None, new[v]))
        common_before = [x[ident] for x in before if x[ident] in new]
        common_after = [x[ident] for x in after if x[ident] in old]
        if common_before != common_after:
            out.append(FieldChange(path, REORDERED, common_before, common_after))
        return out
    if _distinct_scalars(before) and _distinct_scalars(after):
        # a list of distinct scalars: entries added and removed, and the order
        old_r, new_r = [repr(v) for v in before], [repr(v) for v in after]
        old_s, new_s = set(old_r), set(new_r)
        out = [
            FieldChange(f"{path}[{i}]", REMOVED, v, None)
            for i, v in enumerate(before)
            if repr(v) not in new_s
        ]
        out += [
            FieldChange(f"{path}[{i}]", ADDED, None, v) for i, v in enumerate(after) if repr(v) not in old_s
        ]
        kept_b = [r for r in old_r if r in new_s]
        kept_a = [r for r in new_r if r in old_s]
        if kept_b != kept_a:
            out.append(FieldChange(path, REORDERED, before, after))
        return out
    if len(before) == len(after):
        out = []
        for i, (b, a) in enumerate(zip(before, after)):
            out.extend(diff_values(b, a, f"{path}[{i}]"))
        return out
    return [FieldChange(path, CHANGED, before, after)]


# -- Secrets --------------------------------------------------------------------
def _secret_changes(before: dict, after: dict) -> tuple[list[FieldChange], dict, dict]:
    """The changed keys of a Secret's data (values hidden), and both sides without them."""
    out: list[FieldChange] = []
    rest_b, rest_a = dict(before), dict(after)
    for section in _SECRET_SECTIONS:
        b, a = rest_b.pop(section, None), rest_a.pop(section, None)
        b = b if isinstance(b, dict) else ({} if b is None else {"": b})
        a = a if isinstance(a, dict) else ({} if a is None else {"": a})
        for k in sorted(set(b) | set(a), key=str):
            sub = _key_path(section, k) if k != "" else section
            if k not in a:
                out.append(FieldChange(sub, REMOVED, hidden=True))
            elif k not in b:
                out.append(FieldChange(sub, ADDED, hidden=True))
            elif b[k] != a[k]:
                out.append(FieldChange(sub, CHANGED, hidden=True))
    return out, rest_b, rest_a


def hide_secret(obj: dict, other: dict | None = None) -> dict:
    """``obj`` with each Secret value replaced by a placeholder (for whole-object output).

    With ``other`` (the other side), a value that differs from it says so, so a
    unified diff still shows which key changed.
    """
    if obj.get("kind") != "Secret":
        return obj
    out = dict(obj)
    for section in _SECRET_SECTIONS:
        values = obj.get(section)
        if not isinstance(values, dict):
            if section in obj:
                out[section] = f"({HIDDEN})"
            continue
        theirs = other.get(section) if isinstance(other, dict) else None
        theirs = theirs if isinstance(theirs, dict) else {}
        out[section] = {
            k: f"({HIDDEN}, changed)"
            if other is not None and k in theirs and theirs[k] != v
            else f"({HIDDEN})"
            for k, v in values.items()
        }
    return out


def _is_secret(obj: dict | None) -> bool:
    return isinstance(obj, dict) and obj.get("kind") == "Secret"


def diff_objects(before: dict, after: dict) -> list[FieldChange]:
    """The field changes of one object (Secret values hidden)."""
    if _is_secret(before) or _is_secret(after):
        hidden, rest_b, rest_a = _secret_changes(before, after)
        return hidden + diff_values(rest_b, rest_a)
    return diff_values(before, after)


# -- the diff -------------------------------------------------------------------
def diff_snapshots(base: Snapshot, head: Snapshot, noise: Iterable[str] = DEFAULT_NOISE) -> list[ClusterDiff]:
    """Per cluster and Kustomization, the objects added, removed and changed.

    Only what differs is listed: a Kustomization whose objects are all equal
    (after noise is stripped) is left out, and so is a cluster with none.
    """
    patterns = tuple(noise)
    out: list[ClusterDiff] = []
    for cname in sorted(set(base) | set(head)):
        b_ks, h_ks = base.get(cname), head.get(cname)
        cchange = ADDED if b_ks is None else REMOVED if h_ks is None else CHANGED
        b_ks, h_ks = b_ks or {}, h_ks or {}
        cdiff = ClusterDiff(cname, cchange)
        for kname in sorted(set(b_ks) | set(h_ks)):
            b_objs, h_objs = b_ks.get(kname), h_ks.get(kname)
            kchange = ADDED if b_objs is None else REMOVED if h_objs is None else CHANGED
            b_objs, h_objs = b_objs or {}, h_objs or {}
            kdiff = KustomizationDiff(kname, kchange, diff_objects_of(b_objs, h_objs, patterns))
            if kdiff.objects or kchange != CHANGED:
                cdiff.kustomizations.append(kdiff)
        _mark_moves(cdiff)
        if cdiff.kustomizations:
            out.append(cdiff)
    return out


def _mark_moves(cdiff: ClusterDiff) -> None:
    """Name the other Kustomization of an object removed from one and added to another."""
    removed: dict[ObjectKey, list[tuple[str, ObjectDiff]]] = {}
    added: dict[ObjectKey, list[tuple[str, ObjectDiff]]] = {}
    for ks in cdiff.kustomizations:
        for o in ks.objects:
            if o.change in (ADDED, REMOVED):
                (added if o.change == ADDED else removed).setdefault(o.key, []).append((ks.name, o))
    for key, gone in removed.items():
        came = added.get(key, [])
        if len(gone) == 1 and len(came) == 1:
            (src, old), (dst, new) = gone[0], came[0]
            old.moved, new.moved = dst, src


def diff_objects_of(
    b_objs: dict[ObjectKey, dict], h_objs: dict[ObjectKey, dict], patterns: tuple[str, ...]
) -> list[ObjectDiff]:
    """The objects of one Kustomization added, removed and changed, sorted by identity.

    A generated ConfigMap or Secret whose content changed has a new hash suffix,
    so a new name: the one removed and the one added of the same generator
    (name before the suffix, kind, namespace) are one changed object, its
    ``metadata.name`` among its fields, so the content change shows.
    """
    b_keys, h_keys = {k: k for k in b_objs}, {k: k for k in h_objs}
    removed = [k for k in b_objs if k not in h_objs]
    added = [k for k in h_objs if k not in b_objs]
    renamed = _generator_renames(removed, added)
    out: list[tuple[ObjectKey, ObjectDiff]] = []
    for key in sorted(set(b_objs) | set(h_objs)):
        if key in renamed:  # the base side of a rename: listed with the head side
            continue
        if key in renamed.values():
            old = next(k for k, v in renamed.items() if v == key)
            b, a = strip_noise(b_objs[old], patterns), strip_noise(h_objs[key], patterns)
            out.append((key, ObjectDiff(h_keys[key], CHANGED, diff_objects(b, a), b, a)))
            continue
        b = strip_noise(b_objs[key], patterns) if key in b_objs else None
        a = strip_noise(h_objs[key], patterns) if key in h_objs else None
        if b is None:
            out.append((key, ObjectDiff(h_keys[key], ADDED, after=a)))
        elif a is None:
            out.append((key, ObjectDiff(b_keys[key], REMOVED, before=b)))
        else:
            fields = diff_objects(b, a)
            if fields:
                out.append((key, ObjectDiff(h_keys[key], CHANGED, fields, b, a)))
    return [d for _k, d in out]


#: kustomize's name hash suffix (``-`` and ten characters of its alphabet)
_HASH_SUFFIX = re.compile(r"^(.+)-[bcdfghjkmnpqrstvwxz2456789]{10}$")


def _generator_renames(removed: list[ObjectKey], added: list[ObjectKey]) -> dict[ObjectKey, ObjectKey]:
    """Removed key -> added key, for a hashed name that is one of a kind on both sides."""

    def stems(keys: list[ObjectKey]) -> dict[tuple, list[ObjectKey]]:
        out: dict[tuple, list[ObjectKey]] = {}
        for k in keys:
            if k.kind in ("ConfigMap", "Secret") and (m := _HASH_SUFFIX.match(k.name)):
                out.setdefault((k.group, k.kind, k.namespace, m.group(1)), []).append(k)
        return out

    old, new = stems(removed), stems(added)
    return {old[s][0]: new[s][0] for s in old if len(old[s]) == 1 and len(new.get(s, ())) == 1}


def summary(diffs: list[ClusterDiff]) -> dict[str, int]:
    """Counts over a whole diff: objects added, removed, changed; Kustomizations and clusters."""
    out = {"clusters": len(diffs), "kustomizations": 0, ADDED: 0, REMOVED: 0, CHANGED: 0}
    for c in diffs:
        out["kustomizations"] += len(c.kustomizations)
        for k in c.kustomizations:
            for name, n in k.counts().items():
                out[name] += n
    return out
