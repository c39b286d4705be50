"""Builds shared between the two runs of ``gitops-lint diff``.

A pull request usually changes a few files; most Flux Kustomizations of the
base read exactly what they read in the head. ``diff`` renders the head first
with a :class:`RecordingRenderer`, which notes for every build the key (the
directory and the Flux fields merged into it) and a fingerprint of everything
the build depended on; the base then renders with a :class:`ReusingRenderer`,
which returns a copy of the head's build when the base tree matches the
fingerprint, and builds otherwise (issue 19: "not rendered twice where a
content hash shows nothing it reads changed").

Correctness comes first, so a build is recorded only when its inputs are
known precisely; anything else is simply built again (a miss is slow, never
wrong):

* only the built-in renderer, and only a build without any issue (an issue may
  name a line of the Flux Kustomization's own file, a missing path, an escape,
  a remote resource: inputs the record would not hold);
* only a directory with a kustomization file (Flux's generated kustomization
  lists a directory tree, honouring ``.sourceignore``);
* the fingerprint: every file the build read (``Kustomizer.reads``: kustomization
  files, resources, patches, generator sources, configurations) by content hash
  and symlink-resolved path; for each directory whose kustomization file was
  read, its list of kustomization files (a second one is an error); for each
  component the Flux Kustomization adds, whether it exists
  (``ignoreMissingComponents``).

Post-build substitution happens in :mod:`gitops_lint.model.cluster` after the build,
on the copy, with the base's own variables: it is not part of the record.
"""

from __future__ import annotations

import itertools
import json
import os
import posixpath
from dataclasses import dataclass, field
from typing import NamedTuple

from ..core.data import Origin
from ..core.fs import OutsideRoot, RepoFS, content_hash, join, walked_hash
from . import flux
from .copy import deep_copy
from .kustomize import Kustomizer, overlay_key
from .types import EXTERNAL, BuildIssue, BuildResult, FluxOverlay, Resource

_MISSING = "-"  # the fingerprint of a file that cannot be read


@dataclass
class _Record:
    objects: list[tuple[dict, Origin]]  # the head's build, never handed out uncopied
    files: dict[str, tuple[str, str]]  # rel -> (content hash, symlink-resolved rel)
    listings: dict[str, tuple[str, ...]]  # directory -> its kustomization files
    components: dict[str, bool]  # overlay component path -> exists
    used: frozenset[str]  # files the build loaded (DocumentCache.used), for applied_elsewhere


class _Tree:
    """One tree's answers to the fingerprint's questions, each asked once.

    ``hashes`` (the warm cache's walk: root-relative path -> content hash of
    every regular file) answers for a file without reading it. The walk does
    not follow symlinks, so a path it hashed is a regular file reached through
    directories only: its symlink-resolved path is itself. Any other path (a
    symlink, a file under a symlinked directory, one the walk could not read)
    is read and hashed here.
    """

    def __init__(self, fs: RepoFS, hashes: dict[str, str] | None = None):
        self.fs = fs
        self.hashes = hashes if hashes is not None else {}
        self._files: dict[str, tuple[str, str]] = {}
        self._listings: dict[str, tuple[str, ...]] = {}

    def file(self, rel: str) -> tuple[str, str]:
        found = self._files.get(rel)
        if found is None:
            walked = walked_hash(self.hashes, rel)
            try:
                if walked is not None:
                    found = (walked, rel)
                else:
                    real = os.path.relpath(self.fs.real(rel), self.fs.root)
                    found = (content_hash(self.fs.read_bytes(rel)), real)
            except (OSError, OutsideRoot, Exception):  # FileTooLarge and friends
                found = (_MISSING, _MISSING)
            self._files[rel] = found
        return found

    def listing(self, directory: str) -> tuple[str, ...]:
        found = self._listings.get(directory)
        if found is None:
            try:
                found = tuple(flux.find_kustomization(self.fs, directory))
            except OutsideRoot:
                found = (_MISSING,)
            self._listings[directory] = found
        return found

    def exists(self, rel: str) -> bool:
        try:
            return self.fs.exists(rel)
        except OutsideRoot:
            return False


class BuildMemo:
    """The head's builds by key, for the base to reuse where its inputs are unchanged."""

    def __init__(self) -> None:
        self.records: dict[tuple, _Record] = {}

    def wrap(self, renderer, fs: RepoFS, *, record: bool):
        """The renderer to use: recording (head), reusing (base), or ``renderer`` itself."""
        if not isinstance(renderer, Kustomizer):
            return renderer  # an external kustomize: its inputs are not followed here
        return (RecordingRenderer if record else ReusingRenderer)(renderer, fs, self)


def _key(fs: RepoFS, path: str, overlay: FluxOverlay | None, okey: str | None = None) -> tuple:
    """A build's key; ``okey``: ``overlay_key(overlay)`` when the caller made it already."""
    return (path, overlay_key(overlay) if okey is None else okey, fs.max_file_bytes)


def _components(path: str, overlay: FluxOverlay | None) -> list[str]:
    return [join(path, c) for c in overlay.components] if overlay is not None else []


class RecordingRenderer:
    """The head's renderer: builds, and records what each clean build read."""

    def __init__(self, inner: Kustomizer, fs: RepoFS, memo: BuildMemo):
        self.inner = inner
        self.memo = memo
        self.tree = _Tree(fs)

    def build(self, path: str, overlay: FluxOverlay | None = None) -> BuildResult:
        inner = self.inner
        rkey = (path, overlay_key(overlay))
        first = rkey not in inner._results
        cache = inner.cache
        saved, cache.used = cache.used, set()
        try:
            result = inner.build(path, overlay)
        finally:
            used, cache.used = cache.used, saved | cache.used
        key = _key(self.tree.fs, path, overlay)
        if first and not result.issues and key not in self.memo.records:
            self._record(key, rkey, path, overlay, frozenset(used))
        return result

    def _record(self, key, rkey, path: str, overlay: FluxOverlay | None, used: frozenset[str]) -> None:
        tree, inner = self.tree, self.inner
        try:
            if not inner.kustomization_files(path):
                return  # Flux generates the kustomization from a directory listing
            components = {c: tree.exists(c) for c in _components(path, overlay)}
        except OutsideRoot:
            return
        files, listings = {}, {}
        for rel in inner.reads(path, overlay):
            files[rel] = tree.file(rel)
            if files[rel][0] == _MISSING:
                return
            if posixpath.basename(rel) in flux.KUSTOMIZATION_FILES:
                directory = posixpath.dirname(rel)
                listings[directory] = tree.listing(directory)
        objects, _ = inner._results[rkey]
        self.memo.records[key] = _Record(objects, files, listings, components, used)


class ReusingRenderer:
    """The base's renderer: the head's build when its fingerprint holds here, else a build."""

    def __init__(self, inner: Kustomizer, fs: RepoFS, memo: BuildMemo):
        self.inner = inner
        self.memo = memo
        self.tree = _Tree(fs)

    def _holds(self, rec: _Record) -> bool:
        tree = self.tree
        return (
            all(tree.file(rel) == want for rel, want in rec.files.items())
            and all(tree.listing(d) == want for d, want in rec.listings.items())
            and all(tree.exists(c) == want for c, want in rec.components.items())
        )

    def build(self, path: str, overlay: FluxOverlay | None = None) -> BuildResult:
        rec = self.memo.records.get(_key(self.tree.fs, path, overlay))
        if rec is None or not self._holds(rec):
            return self.inner.build(path, overlay)
        cache = self.inner.cache
        cache.used |= rec.used
        return BuildResult([Resource(deep_copy(obj), origin) for obj, origin in rec.objects], [])


# -- builds kept between lint runs -------------------------------------------------------
#
# The warm cache (``gitops_lint.cache``) keeps whole runs; a run that misses it (a file
# changed) reuses here every build whose fingerprint still holds, and builds the others
# (``gitops_lint.buildcache`` reads and writes the records). A reused build must hand
# on exactly what a fresh one would: its objects and origins (a new copy each time),
# and its side effects on the run's DocumentCache, which rules and the summary read:
# the files it loaded (parsed and counted, charged to the budget, in the same order),
# and which of them count as read by the cluster being built (``cache.used``, per
# cluster in ``Linter.build_clusters``: ``applied_elsewhere`` compares them).
#
# The last is the subtle one. A Kustomizer keeps, within a run, every kustomization
# directory it accumulated (``_targets``: a base shared by several overlays is read
# once) and every transformer configuration it parsed (``_configs``); a later build
# that finds one there does not load its files again, so they do not count as read
# by a later cluster. What a fresh build loads thus depends on the builds before it
# in the run. So a record does not hold a flat list of loads but the build's *tree*
# of loads: ``["L", file, used, manifest]`` for a load, ``["T", key, openapi, [...]]``
# for a directory accumulated under ``_targets[key]`` (``openapi``: the build's
# openapi file after it, which a later hit sets again), ``["C", file]`` for a
# configuration file. Replaying a tree against the set of keys a fresh run would hold
# by then (``_Fresh``) loads exactly what the fresh build would. The inner Kustomizer
# does not hold the directories a reused build accumulated: when one of its own builds
# accumulates such a directory again, the loads inside it are not counted as read
# (a fresh run would have found it); if it cannot (a cycle found through a symlink,
# which the lookup does not check), the result could differ from a fresh run's, and
# the renderer says so (``exact``): the caller builds the run again without records.


class Prepared(NamedTuple):
    """What ``buildcache.prepare`` makes of a build's pending objects: their text as a record
    holds it (None: the build cannot be kept), the (file, document index) of the objects
    kept by reference, and for each item what the record's head holds of it (its content
    key and its length when it cannot substitute: :func:`item_facts`; the length of its
    text and its object's ``kind``: :attr:`KeptRecord.items`)."""

    text: str | None
    by_reference: frozenset[tuple[str, int]]
    keys: list[str | None] | None
    sizes: list[int | None] | None
    lengths: list[int] | None
    kinds: list[str | None] | None


@dataclass
class KeptRecord:
    """One build kept between runs (see above). ``objects`` is the JSON text of
    ``[[object, [file, line, doc_index]], ...]`` (a kept build's; an item of an object kept
    by reference has its keys third, see :func:`_checked`), or None for a build of this
    run whose objects are still ``pending`` (``(dict, Origin)`` pairs, never handed out
    uncopied)."""

    key: tuple  # (directory, overlay_key, max_file_bytes)
    files: dict[str, str]  # every file read -> content hash (its symlink-resolved path is itself)
    listings: dict[str, tuple[str, ...]]
    components: dict[str, bool]
    tree: list
    generated: dict | None  # the kustomization Flux generates for a directory without one
    objects: str | None = None
    pending: list[tuple[dict, Origin]] | None = None
    # the build's issues: remote resources it does not fetch, each at a file it read
    # (``[kind, message, file, line, column]``, see :func:`keeps_issues`)
    issues: list[list] = field(default_factory=list)
    # what ``buildcache.prepare`` made of ``pending`` (its text, the places of the objects
    # kept by reference, what the record's head holds of each item), which it then replaces
    prepared: Prepared | None = None
    # each object's content key and length (:func:`item_facts`), written with the record: a
    # run that serves it hashes and scans none of its objects' texts
    keys: list[str | None] | None = None
    sizes: list[int | None] | None = None
    # the JSON text of [each item's text length, each item's object's ``kind``]: a run that
    # needs only some kinds of a build decodes only their items (:func:`_decode_kinds`);
    # kept as text, decoded only then (most records are never read so)
    items: str | None = None

    def to_json(self, objects: str) -> dict:
        return {
            "key": list(self.key),
            "files": self.files,
            "listings": {d: list(v) for d, v in self.listings.items()},
            "components": self.components,
            "tree": self.tree,
            "generated": self.generated,
            "issues": self.issues,
            "objects": objects,
        }

    def payload(
        self,
        objects: str,
        keys: list[str | None],
        sizes: list[int | None],
        lengths: list[int],
        kinds: list[str | None],
    ) -> str:
        """The record's text in a side entry: its fingerprint and tree as JSON with its
        items' content ``keys``, ``sizes``, text ``lengths`` and ``kinds``, a tab, and
        ``objects`` as they are (JSON holds no raw tab: the first one ends the fingerprint)."""
        data = self.to_json("")
        del data["objects"]
        data["keys"] = keys
        data["sizes"] = sizes
        data["items"] = json.dumps([lengths, kinds], ensure_ascii=True, separators=(",", ":"))
        return json.dumps(data, ensure_ascii=True, separators=(",", ":"), allow_nan=False) + "\t" + objects

    @classmethod
    def from_payload(cls, text: str, key: tuple) -> KeptRecord | None:
        """The record of build ``key`` in ``text`` (:meth:`payload`); None when it is not
        exactly what was written for that key. Its objects are decoded when used."""
        head, sep, objects = text.partition("\t")
        if not sep:
            return None
        try:
            data = _DECODER.decode(head)
        except (ValueError, RecursionError):
            return None
        if not isinstance(data, dict) or "objects" in data:
            return None
        keys = data.pop("keys", None)
        if not (
            isinstance(keys, list) and all(k is None or (isinstance(k, str) and len(k) == 40) for k in keys)
        ):
            return None
        sizes, items = data.pop("sizes", None), data.pop("items", None)
        if not (
            isinstance(sizes, list)
            and len(sizes) == len(keys)
            and all(n is None or (type(n) is int and n >= 0) for n in sizes)
            and isinstance(items, str)
        ):
            return None
        data["objects"] = objects
        rec = cls.from_json(data)
        if rec is None or rec.key != key:
            return None
        rec.keys, rec.sizes, rec.items = keys, sizes, items
        return rec

    @classmethod
    def from_json(cls, data) -> KeptRecord | None:
        """The record, or None when ``data`` is not exactly the shape written."""
        if not isinstance(data, dict) or set(data) != {
            "key",
            "files",
            "listings",
            "components",
            "tree",
            "generated",
            "issues",
            "objects",
        }:
            return None
        key = data["key"]
        if not (
            isinstance(key, list)
            and len(key) == 3
            and isinstance(key[0], str)
            and (key[1] is None or isinstance(key[1], str))
            and _is_int(key[2])
        ):
            return None
        files, listings, components = data["files"], data["listings"], data["components"]
        if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
            return None
        if not isinstance(listings, dict) or not all(
            isinstance(v, list) and all(isinstance(f, str) for f in v) for v in listings.values()
        ):
            return None
        if not isinstance(components, dict) or not all(type(v) is bool for v in components.values()):
            return None
        if not isinstance(data["objects"], str) or not _valid_tree(data["tree"]):
            return None
        issues = data["issues"]
        if not isinstance(issues, list) or not all(_is_issue(i) and i[2] in files for i in issues):
            return None
        generated = data["generated"]
        if generated is not None and not (
            isinstance(generated, dict) and all(isinstance(v, str) or _strings(v) for v in generated.values())
        ):
            return None
        return cls(
            tuple(key),
            dict(files),
            {d: tuple(v) for d, v in listings.items()},
            dict(components),
            data["tree"],
            generated,
            data["objects"],
            issues=[list(i) for i in issues],
        )


def _is_int(v) -> bool:
    return type(v) is int


def keeps_issues(issues: list[BuildIssue], files) -> bool:
    """Whether a build with ``issues`` may be kept: each is a remote resource not fetched
    (``EXTERNAL``: the entry's text says so, whatever the tree holds) at a file the build
    read, whose content the record holds. Any other issue may depend on what the record
    does not hold (a path that does not exist, the Flux Kustomization's own file)."""
    return all(i.kind == EXTERNAL and i.file in files for i in issues)


def _is_issue(i) -> bool:
    return (
        isinstance(i, list)
        and len(i) == 5
        and i[0] == EXTERNAL.value
        and isinstance(i[1], str)
        and isinstance(i[2], str)
        and _is_int(i[3])
        and _is_int(i[4])
    )


def _strings(v) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _opt_str(v) -> bool:
    return v is None or isinstance(v, str)


def _valid_tree(nodes) -> bool:
    stack = [nodes]
    while stack:
        level = stack.pop()
        if not isinstance(level, list):
            return False
        for n in level:
            if not isinstance(n, list) or not n:
                return False
            if n[0] == "L":
                if (
                    len(n) != 4
                    or not isinstance(n[1], str)
                    or type(n[2]) is not bool
                    or type(n[3]) is not bool
                ):
                    return False
            elif n[0] == "C":
                if len(n) != 2 or not isinstance(n[1], str):
                    return False
            elif n[0] == "T":
                if len(n) != 4 or not _opt_str(n[2]):
                    return False
                k = n[1]
                if not (isinstance(k, list) and len(k) == 3 and isinstance(k[0], str)):
                    return False
                if not (_opt_str(k[1]) and _opt_str(k[2])):
                    return False
                stack.append(n[3])
            else:
                return False
    return True


#: the keys an object kept by reference holds itself (kustomize rewrites them: a namespace,
#: a name prefix, labels); all its other keys are taken, as they are, from the document it
#: was loaded from, so the record holds none of a Secret's values (``buildcache``)
OWN_KEYS = frozenset({"apiVersion", "kind", "metadata"})


def _checked(data: list) -> tuple[list[tuple[dict, Origin]], list[tuple[str, ...] | None]] | None:
    """The items of a kept build as (object, Origin) pairs, and for each the keys of an
    object kept by reference (``[object, [file, line, doc_index], keys]``: ``object`` holds
    those of its keys that are in :data:`OWN_KEYS`) or None (``[object, [file, line,
    doc_index]]``, the object whole); None when an item is of neither shape."""
    out, refs = [], []
    for item in data:
        if not (isinstance(item, list) and len(item) in (2, 3) and isinstance(item[0], dict)):
            return None
        where = item[1]
        if not (
            isinstance(where, list)
            and len(where) == 3
            and isinstance(where[0], str)
            and _is_int(where[1])
            and _is_int(where[2])
        ):
            return None
        keys = None
        if len(item) == 3:
            keys = item[2]
            if not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
                return None
            if len(set(keys)) != len(keys) or not item[0].keys() <= OWN_KEYS & set(keys):
                return None
            keys = tuple(keys)
        out.append((item[0], Origin(where[0], where[1], where[2])))
        refs.append(keys)
    return out, refs


def _decode_served(
    text: str,
) -> tuple[
    list[tuple[dict, Origin]] | None, list[tuple[int, int]] | None, list[tuple[str, ...] | None] | None
]:
    """The items of ``text`` (see :func:`_checked`: the objects, and the keys of those kept
    by reference), with each item's span of the text (start, end): items are decoded one by
    one, so each one's span is known. A text not laid out as :func:`joined` writes
    it (no space between items) is decoded whole, without spans."""
    scan, n = _DECODER.raw_decode, len(text)
    items, spans = [], []
    pos = 1
    try:
        if not text.startswith("["):
            raise ValueError
        if text.startswith("]", 1) and n == 2:
            return [], [], []
        while True:
            item, end = scan(text, pos)
            items.append(item)
            spans.append((pos, end))
            if end >= n:
                raise ValueError
            if text[end] == "]":
                if end + 1 != n:
                    raise ValueError
                break
            if text[end] != ",":
                raise ValueError
            pos = end + 1
    except (ValueError, RecursionError):
        try:
            whole = _DECODER.decode(text)
        except (ValueError, RecursionError):
            return None, None, None
        checked = _checked(whole) if isinstance(whole, list) else None
        return (checked[0], None, checked[1]) if checked is not None else (None, None, None)
    out = _checked(items)
    if out is None:
        return None, None, None
    objects, refs = out
    return objects, spans, refs


def item_facts(
    texts: list[str], origins: list[Origin], refs: list | None, files: dict[str, str]
) -> tuple[list[int | None], list[str | None]]:
    """For each item of a build, from its JSON text as a record holds it: its length when
    the object is kept whole and no ``${`` nor ``$$`` is in it (None otherwise: see
    :func:`_size` and ``model.cluster``: such an object substitutes to itself), and its content key (None: none). The key names the object's content in any run: the digest of its text (the
    object and its place), and for an object kept by reference (``refs``) the content hash
    of the file it is made whole from, which ``files`` (the record's) names. The text of
    one kept by reference holds its own keys and its keys' names, the rest is the
    document's: a Secret whose ``type`` or ciphertext changed is written as the same text,
    and only its file's hash tells the two apart. A store keyed by content takes the keys
    (``celcache``: schema verdicts; ``buildcache.KeptSubstitutions``); a key is made of
    what the cache holds already (the text, the files' hashes), never of a value it does
    not hold. The same for a kept build's items and for a new build's (``build_served``),
    so an object a change left as it was keeps its verdicts when its build is made again."""
    sizes: list[int | None] = []
    keys: list[str | None] = []
    for i, text in enumerate(texts):
        ref = refs[i] if refs is not None else None
        sizes.append(_size(text, 0, len(text), ref))
        if ref is None:
            keys.append(content_hash(text.encode()))
        else:
            source = files.get(origins[i].file)
            keys.append(None if source is None else content_hash(f"{text}\0{source}".encode()))
    return sizes, keys


def _size(text: str, start: int, end: int, ref) -> int | None:
    """The length of the item ``text[start:end]`` when its object is kept whole (``ref``
    None) and no string of it holds ``${`` or ``$$``, the only texts Flux's envsubst
    changes (a bare ``$``, as in a CRD's regex ``pattern``, stays as it is: FLUX-SEMANTICS
    1.3); else None. Judged on the JSON text, where :func:`encode_items` writes ``$``
    and ``{`` as they are; a text it did not write must never make an expression look
    absent and skip a substitution, so an escaped ``$`` (``\\u0024``) counts as one, and
    so does any escape (``\\u...``) in an item that holds a ``$``. A string ends at a
    quote, so no two strings make ``${`` or ``$$`` in the text that neither holds. A scan
    of each ``$`` and one of the escapes: the texts are megabytes, and a regular
    expression over them costs more than the substitutions it spares."""
    if ref is not None:
        return None
    find = text.find
    at = find("$", start, end)
    if at < 0:
        return None if find("\\u0024", start, end) >= 0 else end - start
    while at >= 0:
        if text[at + 1 : at + 2] in ("{", "$", "\\"):
            return None
        at = find("$", at + 1, end)
    return None if find("\\u", start, end) >= 0 else end - start


def _lengths_and_kinds(rec: KeptRecord) -> tuple[list[int], list[str | None]] | None:
    """The lengths and kinds of ``rec``'s items (:attr:`KeptRecord.items`), or None when the
    record has none or they do not lay out its text as :func:`joined` writes it."""
    try:
        lengths, kinds = _DECODER.decode(rec.items)
    except (TypeError, ValueError, RecursionError):
        return None
    count = len(rec.keys) if rec.keys is not None else -1
    if not (
        isinstance(lengths, list)
        and isinstance(kinds, list)
        and len(lengths) == len(kinds) == count
        and all(type(n) is int and n > 0 for n in lengths)
        and all(k is None or isinstance(k, str) for k in kinds)
        # "[" item "," item ... "]"
        and sum(lengths) + max(count - 1, 0) + 2 == len(rec.objects or "")
    ):
        return None
    return lengths, kinds


def _decode_kinds(rec: KeptRecord, kinds: frozenset[str]) -> list[tuple[dict, Origin, tuple | None]] | None:
    """The items of ``rec`` whose kind is one of ``kinds`` (object, origin, the keys of one
    kept by reference), decoded by the lengths the record was written with, the others
    skipped; None when it has no lengths or an item is not what its length and kind say."""
    facts = _lengths_and_kinds(rec)
    if facts is None:
        return None
    text, pos, out = rec.objects, 1, []
    for length, kind in zip(*facts):
        if kind in kinds:
            try:
                item, end = _DECODER.raw_decode(text, pos)
            except (ValueError, RecursionError):
                return None
            checked = _checked([item]) if end == pos + length else None
            if checked is None or checked[0][0][0].get("kind") != kind:
                return None
            out.append((*checked[0][0], checked[1][0]))
        pos += length + 1
    return out


def _of_kinds(result: BuildResult, kinds: frozenset[str]) -> BuildResult:
    """``result`` with only its objects of ``kinds``."""
    return BuildResult([r for r in result.resources if r.obj.get("kind") in kinds], result.issues)


def _issues(kept: list[list]) -> list[BuildIssue]:
    return [BuildIssue(EXTERNAL, message, file, line, column) for _, message, file, line, column in kept]


def source_document(loaded, origin: Origin) -> dict | None:
    """The data of the one document of ``loaded`` (a file's ``LoadedFile``) at ``origin``, or
    None when the file has no such mapping or more than one document there."""
    if loaded is None:
        return None
    found = [
        d.data
        for d in loaded.documents
        if d.origin.doc_index == origin.doc_index and d.origin.line == origin.line
    ]
    return found[0] if len(found) == 1 and type(found[0]) is dict else None


def _refuse(name: str):
    raise ValueError(f"{name} is not a value a build holds")


# one decoder for every record (``json.loads`` with an option builds a new one per call)
_DECODER = json.JSONDecoder(parse_constant=_refuse)


#: one encoder for every item (``json.dumps`` with options builds a new one per call)
_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def encode_items(objects: list[tuple[dict, Origin]], refs: list[list[str] | None] | None = None) -> list[str]:
    """The JSON text of each of a build's objects as its record holds it: ``[object, [file,
    line, doc_index]]``, keys in their order (decoded, the objects have the order a fresh
    build has), or for an object kept by reference (``refs``: its keys in order, None for
    one kept whole) ``[object, place, keys]``, the object holding only its keys in
    :data:`OWN_KEYS` (see :func:`_checked`). :func:`joined` makes the record's text."""
    if refs is None:
        refs = [None] * len(objects)
    encode = _ENCODER.encode
    return [
        encode(
            [obj, [o.file, o.line, o.doc_index]]
            if keys is None
            else [obj, [o.file, o.line, o.doc_index], keys]
        )
        for (obj, o), keys in zip(objects, refs)
    ]


def joined(items: list[str]) -> str:
    """The JSON text of a build's objects from each one's (:func:`encode_items`), joined as
    ``json.dumps`` joins a list's (no space): each item's span of the text is its own text
    (:func:`_decode_served`)."""
    return "[" + ",".join(items) + "]"


class _Blind:
    """A dict access the renderer does not follow (the Kustomizer looked its memory up in a
    way it did not when this was written): what a build loaded can no longer be replayed."""

    log: list | None = None
    blind = False

    def _unfollowed(self) -> None:
        if self.log is not None:
            self.blind = True

    def setdefault(self, *args):
        self._unfollowed()
        return dict.setdefault(self, *args)  # type: ignore[arg-type]

    def pop(self, *args):
        self._unfollowed()
        return dict.pop(self, *args)  # type: ignore[arg-type]

    def update(self, *args, **kwargs):
        self._unfollowed()
        return dict.update(self, *args, **kwargs)  # type: ignore[arg-type]


class _WatchedTargets(_Blind, dict):
    """``Kustomizer._targets``, telling the renderer which lookups and stores a build made."""

    def __contains__(self, key) -> bool:
        self._unfollowed()
        return dict.__contains__(self, key)

    def __getitem__(self, key):
        self._unfollowed()
        return dict.__getitem__(self, key)

    def get(self, key, default=None):
        found = dict.get(self, key, default)
        if self.log is not None:
            self.log.append(("G", key, found is not None))
        return found

    def __setitem__(self, key, value) -> None:
        dict.__setitem__(self, key, value)
        if self.log is not None:
            self.log.append(("S", key, getattr(value, "openapi", None)))


class _WatchedConfigs(_Blind, dict):
    """``Kustomizer._configs``, likewise."""

    def get(self, key, default=None):
        self._unfollowed()
        return dict.get(self, key, default)

    def __contains__(self, key) -> bool:
        found = dict.__contains__(self, key)
        if self.log is not None:
            self.log.append(("CC", key, found))
        return found

    def __setitem__(self, key, value) -> None:
        dict.__setitem__(self, key, value)
        if self.log is not None:
            self.log.append(("CS", key))


class _LoggingCache:
    """The DocumentCache as a build sees it: every load is noted, in order."""

    def __init__(self, cache, log: list):
        self._cache = cache
        self._log = log

    def load(self, rel: str, **how):
        self._log.append(("L", rel, how.get("used", True), how.get("manifest", True)))
        return self._cache.load(rel, **how)

    def __getattr__(self, name):
        return getattr(self._cache, name)


class _Frame:
    __slots__ = ("key", "children", "closed", "after", "divergent", "loads")

    def __init__(self, key, divergent: bool = False):
        self.key = key
        self.children: list = []
        self.closed = False
        self.after = None
        self.divergent = divergent
        self.loads: list[str] = []


def _flatten(children: list) -> list:
    """A frame's children as tree nodes: a closed frame is a ``T`` node, one never stored
    (its directory did not load, or was refused) is inline: it is accumulated each time."""
    out = []
    for c in children:
        if isinstance(c, _Frame):
            if c.closed:
                out.append(["T", list(c.key), c.after, _flatten(c.children)])
            else:
                out.extend(_flatten(c.children))
        else:
            out.append(c)
    return out


def _target_key(key) -> bool:
    return (
        type(key) is tuple
        and len(key) == 3
        and isinstance(key[0], str)
        and _opt_str(key[1])
        and _opt_str(key[2])
    )


def _walk_loads(nodes: list):
    """Every file a tree loads or may load."""
    stack = [nodes]
    while stack:
        for n in stack.pop():
            if n[0] == "L" or n[0] == "C":
                yield n[1]
            else:
                if n[2] is not None:
                    yield n[2]
                stack.append(n[3])


class KeepingRenderer:
    """The built-in renderer, reusing kept builds whose fingerprint holds (see above)."""

    def __init__(self, inner: Kustomizer, fs: RepoFS, records: dict[tuple, KeptRecord], hashes):
        self.inner = inner
        self.fs = fs
        self.cache = inner.cache
        self.records = records  # key -> record: the kept ones, then this run's
        self.tree = _Tree(fs, hashes)
        self.new: dict[tuple, KeptRecord] = {}  # recorded in this run
        self.reused: set[tuple] = set()
        self.exact = True  # False: this run's results may differ from a fresh run's (see above)
        # what a fresh run's Kustomizer would hold by now (its keys), and what the inner one does
        self._fresh_targets: set = set()
        self._fresh_configs: set = set()
        self._subtrees: dict[tuple, tuple] = {}  # target key -> (openapi after, tree)
        self._served: dict[tuple, KeptRecord | None] = {}  # rkey -> the kept build served, None: inner's
        self._targets = inner._targets = _WatchedTargets(inner._targets)
        self._configs = inner._configs = _WatchedConfigs(inner._configs)
        # the substitutions kept with the builds (buildcache.KeptSubstitutions), or None
        self.substitutions = None
        # ``buildcache.prepare``, when this run has kept builds: a build made anew then
        # has its record's text made now (not after the report), and its objects keys
        self.prepare = None
        self._facts: dict[tuple, tuple] = {}  # rkey -> (sizes, keys) of a build made anew

    def __getattr__(self, name):
        return getattr(self.inner, name)

    # -- builds made in worker processes (``gitops_lint.lint.Linter._build_share``) ----------
    def mark(self) -> tuple:
        """What this run recorded so far, for :meth:`since` (in a worker, as it starts)."""
        subs = self.substitutions
        return len(self.new), set(self.reused), None if subs is None else (len(subs.new), set(subs.used))

    def since(self, mark: tuple) -> tuple:
        """The builds recorded and reused after ``mark`` (in their order), whether this
        renderer is still exact, and the substitutions made and used, for :meth:`merge`."""
        count, reused, substituted = mark
        subs = self.substitutions
        made = None
        if subs is not None and substituted is not None:
            made = dict(itertools.islice(subs.new.items(), substituted[0], None)), subs.used - substituted[1]
        return list(itertools.islice(self.new.items(), count, None)), self.reused - reused, self.exact, made

    @staticmethod
    def mergeable(recorded: tuple) -> bool:
        """Whether a worker's builds may be taken over: not when its renderer is no longer
        exact (the caller builds that worker's clusters itself, as one process would)."""
        return recorded[2]

    def merge(self, recorded: tuple) -> None:
        """Take over a worker's builds (:meth:`since`, :meth:`mergeable`) as if this run had
        made them after its own: a key built here already keeps this run's record. What
        this renderer serves within the run (``_served``, the inner Kustomizer's builds) is
        not taken: the run builds nothing more once its workers' clusters are merged."""
        new, reused, _, made = recorded
        for key, rec in new:
            if key not in self.new:
                self.records[key] = self.new[key] = rec
        self.reused |= reused
        if made is not None and self.substitutions is not None:
            self.substitutions.merge(*made)

    # -- a build --------------------------------------------------------------------------
    def build(self, path: str, overlay: FluxOverlay | None = None) -> BuildResult:
        return self.build_served(path, overlay)[0]

    def build_served(
        self, path: str, overlay: FluxOverlay | None = None, okey: str | None = None
    ) -> tuple[BuildResult, list[int | None] | None, list[str | None] | None]:
        """The build and, when its objects have a record's text (a kept build's, or, in a
        run that has kept builds, that of a build made now: None otherwise), for each object
        the length of its text when no ``$`` is in it (None: one is), and its content key
        (:func:`item_facts`). Objects decoded from a kept build's text, and the copies a
        build made now hands out, are plain JSON values (dicts with string keys, lists, str,
        int, float, bool, None; no container twice: a record holds only such) that nothing
        else holds.
        ``okey``: ``overlay_key(overlay)`` when the caller made it already."""
        if okey is None:
            okey = overlay_key(overlay)
        rkey = (path, okey)
        if rkey in self._served:  # built before in this run: copies, nothing loaded (as inner)
            rec = self._served[rkey]
            if rec is None:
                return self.inner.build(path, overlay), *self._facts.get(rkey, (None, None))
            return self._result(rec, _decode_served(rec.objects), path, overlay)
        key = _key(self.fs, path, overlay, okey)
        rec = self.records.get(key)
        if rec is not None and rec.objects is not None and self._holds(rec):
            decoded = _decode_served(rec.objects)
            if decoded[0] is not None:
                self._served[rkey] = rec
                self.reused.add(key)
                self._replay(rec.tree)
                return self._result(rec, decoded, path, overlay)
        result = self._build(rkey, key, path, overlay)
        facts = self._facts[rkey] = self._new_facts(key, len(result.resources))
        return result, *facts

    def build_kinds(self, path: str, overlay: FluxOverlay | None, kinds: frozenset[str]) -> BuildResult:
        """The build's objects whose ``kind`` is one of ``kinds``, in its order: what
        :meth:`build_served` gives, filtered, and the same done to the run (the kept
        build's files replayed, the build counted as served). A kept build written with its
        items' lengths and kinds has only those items decoded: an entry's build read for
        its few Kustomizations, ConfigMaps and Secrets while CRDs are most of its text
        (``model.cluster``'s root preview, once per cluster)."""
        okey = overlay_key(overlay)
        rkey = (path, okey)
        served = rkey in self._served
        rec = self._served[rkey] if served else None
        if not served:
            key = _key(self.fs, path, overlay, okey)
            found = self.records.get(key)
            if found is not None and found.objects is not None and self._holds(found):
                rec = found
        items = _decode_kinds(rec, kinds) if rec is not None else None
        if items is None:
            return _of_kinds(self.build_served(path, overlay, okey)[0], kinds)
        if not served:
            self._served[rkey] = rec
            self.reused.add(key)
            self._replay(rec.tree)
        objects = self._whole([(obj, origin) for obj, origin, _ in items], [ref for _, _, ref in items])
        if objects is None:  # a damaged record, past the point of building afresh
            return _of_kinds(self._inexact(path, overlay), kinds)
        return BuildResult([Resource(obj, origin) for obj, origin in objects], _issues(rec.issues))

    def _new_facts(self, key: tuple, count: int) -> tuple[list[int | None] | None, list[str | None] | None]:
        """:func:`item_facts` of a build made anew in this run, from its record's text made
        now (which its store then writes as it is); (None, None) when it has no record,
        cannot be kept, or the run has no kept builds (a first run: its records' texts are
        made after the report, ``buildcache``)."""
        rec = self.new.get(key)
        if self.prepare is None or rec is None or rec.prepared is not None:
            return None, None
        prepared = self.prepare(rec, self.cache.files)
        if prepared.sizes is None or len(prepared.sizes) != count:
            return None, None
        rec.prepared, rec.pending = prepared, None
        return prepared.sizes, prepared.keys

    def _result(
        self, rec: KeptRecord, decoded: tuple, path: str, overlay: FluxOverlay | None
    ) -> tuple[BuildResult, list[int | None] | None, list[str | None] | None]:
        """The build served from ``rec`` (``decoded``: :func:`_decode_served` of its text, new
        objects each time), its objects kept by reference made whole and its issues new."""
        objects, spans, refs = decoded
        sizes = keys = None
        if objects is not None and spans is not None:
            text = rec.objects
            if rec.keys is not None and rec.sizes is not None and len(rec.keys) == len(objects):
                sizes, keys = rec.sizes, rec.keys  # written with the record
            else:
                sizes, keys = item_facts(
                    [text[a:b] for a, b in spans], [o for _, o in objects], refs, rec.files
                )
        objects = self._whole(objects, refs)
        if objects is None:  # a damaged record, past the point of building afresh
            return self._inexact(path, overlay), None, None
        result = BuildResult([Resource(obj, origin) for obj, origin in objects], _issues(rec.issues))
        return result, sizes, keys

    def _whole(
        self, objects: list[tuple[dict, Origin]] | None, refs: list[tuple[str, ...] | None] | None
    ) -> list[tuple[dict, Origin]] | None:
        """``objects`` with each one kept by reference made whole: its keys in their order,
        those not in :data:`OWN_KEYS` copied from the document it was loaded from (which the
        replay loaded: the record's files hold their content hashes). None when one cannot
        be (a record not written by this code)."""
        if objects is None or refs is None or not any(k is not None for k in refs):
            return objects
        files = self.cache.files
        out = []
        for (obj, origin), keys in zip(objects, refs):
            if keys is not None:
                source = source_document(files.get(origin.file), origin)
                if source is None:
                    return None
                whole = {}
                for k in keys:
                    if k in obj:
                        whole[k] = obj[k]
                    elif k in source and k not in OWN_KEYS:
                        whole[k] = deep_copy(source[k])
                    else:
                        return None
                obj = whole
            out.append((obj, origin))
        return out

    def _inexact(self, path: str, overlay: FluxOverlay | None) -> BuildResult:
        """A build when a kept one could not be served after its files were replayed: the
        inner renderer's, and the run is no longer sure of what it loaded (it is done again
        without the kept builds, see ``buildcache.KeptBuilds.exact``)."""
        self.exact = False
        return self.inner.build(path, overlay)

    def _holds(self, rec: KeptRecord) -> bool:
        tree = self.tree
        return (
            all(tree.file(rel) == (want, rel) for rel, want in rec.files.items())
            and all(tree.listing(d) == want for d, want in rec.listings.items())
            and all(tree.exists(c) == want for c, want in rec.components.items())
            and (rec.generated is None or self._generate(rec.key[0]) == rec.generated)
        )

    def _generate(self, path: str) -> dict | None:
        """The kustomization Flux generates for ``path`` now (it lists the directory tree,
        minus what ``.sourceignore`` leaves out): equal, the build reads what it read."""
        try:
            return flux.generate(self.fs, path, self.inner.source_ignore)
        except (OSError, OutsideRoot):
            return None

    def _replay(self, nodes: list) -> None:
        """Load what a fresh build would, in its order (see above)."""
        load = self.cache.load
        for n in nodes:
            if n[0] == "L":
                load(n[1], used=n[2], manifest=n[3])
            elif n[0] == "C":
                if n[1] not in self._fresh_configs:
                    load(n[1], manifest=False)
                    self._fresh_configs.add(n[1])
            else:
                tkey = (n[1][0], n[1][1], n[1][2])
                self._subtrees.setdefault(tkey, (n[2], n[3]))
                if tkey in self._fresh_targets:  # found: only its openapi file is set again
                    if n[2] is not None and n[2] != tkey[2]:
                        load(n[2], manifest=False)
                else:
                    self._replay(n[3])
                    self._fresh_targets.add(tkey)

    def _build(self, rkey, key, path: str, overlay: FluxOverlay | None) -> BuildResult:
        inner, cache = self.inner, self.cache
        diverged_targets = self._fresh_targets - self._targets.keys()
        diverged_configs = self._fresh_configs - self._configs.keys()
        log: list = []
        saved, cache.used = cache.used, set()
        self._targets.log = self._configs.log = log
        inner.cache = _LoggingCache(cache, log)
        try:
            result = inner.build(path, overlay)
        finally:
            inner.cache = cache
            self._targets.log = self._configs.log = None
            cache.used = saved | cache.used
        self._served[rkey] = None
        if self._targets.blind or self._configs.blind:  # see _Blind: no longer sure of anything
            self.exact = False
            return result
        tree = self._parse(log)
        if diverged_targets or diverged_configs:
            counted = self._counted(log, diverged_targets, diverged_configs)
            if counted is None:
                self.exact = False
            else:
                cache.used = saved | counted
        self._fresh_targets.update(self._targets.keys())
        self._fresh_configs.update(self._configs.keys())
        if tree is not None:
            self._record(key, rkey, path, overlay, tree, result.issues)
        return result

    # -- what a build loaded ----------------------------------------------------------------
    def _parse(self, log: list) -> list | None:
        """The build's tree of loads (None when the log is not one a clean build writes);
        notes the subtree of every directory it stored, for later builds that find it."""
        root = _Frame(None)
        stack = [root]
        ok = True
        i = 0
        while i < len(log):
            e = log[i]
            i += 1
            kind = e[0]
            if kind == "L":
                stack[-1].children.append(["L", e[1], e[2], e[3]])
            elif kind == "G":
                if not _target_key(e[1]):
                    ok = False  # not the (directory, top, openapi) this record knows
                if not e[2]:
                    frame = _Frame(e[1])
                    stack[-1].children.append(frame)
                    stack.append(frame)
                    continue
                known = self._subtrees.get(e[1])
                if known is None:
                    ok = False
                    continue
                after, children = known
                stack[-1].children.append(["T", list(e[1]), after, children])
                if after is not None and after != e[1][2]:  # set_openapi loads it again
                    if i < len(log) and log[i][0] == "L" and log[i][1] == after:
                        i += 1
                    else:
                        ok = False
            elif kind == "S":
                depth = next((d for d in range(len(stack) - 1, 0, -1) if stack[d].key == e[1]), None)
                if depth is None:
                    ok = False
                    continue
                frame = stack[depth]
                del stack[depth:]
                frame.closed, frame.after = True, e[2]
                self._subtrees[e[1]] = (e[2], _flatten(frame.children))
            elif kind == "CC":
                stack[-1].children.append(["C", e[1]])
                if not e[2]:  # loaded now, stored below
                    if i < len(log) and log[i][0] == "L" and log[i][1] == e[1]:
                        i += 1
                    else:
                        ok = False
            # "CS": the configuration parsed; its load was taken with "CC"
        return _flatten(root.children) if ok else None

    def _counted(self, log: list, targets: set, configs: set) -> set[str] | None:
        """The files a fresh run's build would have counted as read: the inner Kustomizer
        accumulated again directories (``targets``) and parsed configurations (``configs``)
        that a fresh run would have found, after reused builds. None: not sure."""
        root = _Frame(None)
        stack = [root]
        i = 0
        while i < len(log):
            e = log[i]
            i += 1
            kind = e[0]
            if kind == "L":
                if e[2]:
                    stack[-1].loads.append(e[1])
            elif kind == "G":
                if not e[2]:
                    stack.append(_Frame(e[1], divergent=e[1] in targets))
            elif kind == "S":
                depth = next((d for d in range(len(stack) - 1, 0, -1) if stack[d].key == e[1]), None)
                if depth is None:
                    return None
                while len(stack) > depth + 1:  # never stored: part of the one below
                    top = stack.pop()
                    if top.divergent:
                        return None
                    stack[-1].loads.extend(top.loads)
                frame = stack.pop()
                if frame.divergent:  # found in a fresh run: only its openapi file set again
                    if e[2] is not None and e[2] != e[1][2]:
                        stack[-1].loads.append(e[2])
                else:
                    stack[-1].loads.extend(frame.loads)
            elif kind == "CC" and not e[2] and e[1] in configs:
                if i < len(log) and log[i][0] == "L" and log[i][1] == e[1]:
                    i += 1  # found in a fresh run: not loaded
                else:
                    return None
        while len(stack) > 1:
            top = stack.pop()
            if top.divergent:
                return None
            stack[-1].loads.extend(top.loads)
        return set(root.loads)

    # -- recording ----------------------------------------------------------------------------
    def _record(
        self, key, rkey, path: str, overlay: FluxOverlay | None, tree: list, issues: list[BuildIssue]
    ) -> None:
        inner, fs_tree = self.inner, self.tree
        files: dict[str, str] = {}
        listings: dict[str, tuple[str, ...]] = {}
        generated = None
        try:
            if not inner.kustomization_files(path):  # Flux generates it: kept with the record
                generated = self._generate(path)
                listings[path] = fs_tree.listing(path)
                if generated is None or listings[path]:
                    return
            components = {c: fs_tree.exists(c) for c in _components(path, overlay)}
        except OutsideRoot:
            return
        # sorted: the record's text must not depend on the process's string hashing (PYTHONHASHSEED)
        for rel in sorted({*inner.reads(path, overlay), *_walk_loads(tree)}):
            digest, real = fs_tree.file(rel)
            if digest == _MISSING or real != rel:
                return  # unreadable, or through a symlink: kustomize's cycle checks differ
            files[rel] = digest
            if posixpath.basename(rel) in flux.KUSTOMIZATION_FILES:
                directory = posixpath.dirname(rel)
                listings[directory] = fs_tree.listing(directory)
        if not keeps_issues(issues, files):
            return
        objects, _ = inner._results[rkey]
        rec = KeptRecord(
            key,
            files,
            listings,
            components,
            tree,
            generated,
            None,
            objects,
            [[i.kind.value, i.message, i.file, i.line, i.column] for i in issues],
        )
        self.records[key] = self.new[key] = rec


def record_key(key: tuple) -> str:
    """The text of build key ``key`` (directory, overlay key, max file bytes) in a side entry."""
    return json.dumps(list(key), ensure_ascii=True, separators=(",", ":"))


class KeptRecords:
    """The kept builds by key, over a side entry's records (``core.records.SideRecords``:
    record text by :func:`record_key`), each decoded when first asked for (its objects only
    when its build is reused); the records of this run's builds are set here."""

    def __init__(self, side=None):
        self.side = side
        self._records: dict[tuple, KeptRecord | None] = {}

    def get(self, key: tuple) -> KeptRecord | None:
        try:
            return self._records[key]
        except KeyError:
            pass
        text = self.side.get(record_key(key)) if self.side is not None else None
        rec = KeptRecord.from_payload(text, key) if text is not None else None
        self._records[key] = rec
        return rec

    def stored(self, text_key: str) -> KeptRecord | None:
        """The kept record stored under ``text_key`` (its :func:`record_key`), when whole."""
        try:
            key = json.loads(text_key)
        except (ValueError, RecursionError):
            return None
        if not (isinstance(key, list) and len(key) == 3):
            return None
        try:
            rec = self.get((key[0], key[1], key[2]))
        except TypeError:  # an unhashable part: not a key this store wrote
            return None
        return rec if rec is not None and rec.objects is not None else None

    def __setitem__(self, key: tuple, rec: KeptRecord) -> None:
        self._records[key] = rec
