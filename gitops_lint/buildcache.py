"""Kustomize builds kept between lint runs: the warm cache's ``builds`` side entry.

A run that misses the warm cache (a file changed since the last run) still
finds most of its builds unchanged: it reuses each build whose fingerprint
holds and builds the others (:class:`gitops_lint.render.memo.KeepingRenderer`
says what a record holds and how a reused build hands on exactly what a fresh
one would). This module hands the renderer the side entry's records (each
decoded when its build is asked for: ``render.memo.KeptRecords``) and, after
the run, writes back the shards whose records changed (a build of this run to
keep, a kept one to drop), with the records worth keeping:

* in a shard written, only records whose files are all still in the tree (a
  deleted file's builds go);
* of this run's new builds, only those whose every object survives JSON exactly
  (``core.plain.is_plain``) and whose record holds nothing read from a Secret (the
  cache never does, see ``gitops_lint.cache``). An object of kind ``Secret`` or a
  SOPS-encrypted document is kept *by reference* (:func:`_storable`): the record
  holds its ``apiVersion``, ``kind`` and ``metadata`` as built, and the next run
  takes its other keys from the document it was loaded from (a file the record
  holds by content hash, which the replay loads), so a build of a directory with
  a SOPS-encrypted Secret (most GitOps repositories) is kept without its values.
  Left out: a build in which a patch, a generator or a replacement wrote a Secret's
  values (they are not its document's), one holding SOPS ciphertext outside those
  values, one that read a file with a secret value outside a document it keeps by
  reference (a HelmRelease's password keys, a Secret patch, a file ``.sops.yaml``
  designates) or a file read whole by a ``secretGenerator``, and one whose record
  holds, in any of the forms the redactor knows (``core.redact.tainted_forms``), a
  value the run's redactor masks (a Secret's value written again in a ConfigMap).
  A kept record that now holds such a value is dropped. A build left out is built
  again next time.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from .cache import RunCache
from .core.fs import RepoFS, content_hash
from .core.plain import is_plain
from .core.records import SIDE_SHARDS, KeptPayloads, side_shard, within
from .load.sops import document_metadata, has_sops_marker
from .render.kustomize import Kustomizer
from .render.memo import (
    OWN_KEYS,
    KeepingRenderer,
    KeptRecord,
    KeptRecords,
    Prepared,
    encode_items,
    item_facts,
    joined,
    record_key,
    source_document,
)

SIDE = "builds"
SUBSTITUTED_SIDE = "substituted"
#: records kept that this run neither reused nor built (an older key: a Flux Kustomization's
#: fields changed, a branch not checked out); the newest are kept, in the entry's order, each
#: shard its share
MAX_UNUSED = 1024
#: about the largest text of all records together (characters): a run reads them all (and a
#: shard holds at most ``core.records.MAX_SHARD_CHARS``, which the cache reads back)
MAX_CHARS = 32 * 1024 * 1024


class KeptSubstitutions(KeptPayloads):
    """The ``substituted`` side entry: what post-build substitution made of an object of a
    build, by the object's content key (``core.data.RenderedObject.content_key``: its text
    in the build's record and the variables; ``model.cluster.ClusterBuilder._make``). Substitution is a
    function of those two, and its walk of every scalar (with go-yaml's typing of each
    substituted one) costs a run after a change ~50 us an object, decoding the kept result
    a fifth of that: 36 -> ~10 ms for gavinmcfall's 643 substituted objects. A result is
    kept only when JSON holds it exactly (``substitute.engine.encode_result``), never when
    the variables or the result hold a value the run's redactor masks."""

    max_unused = MAX_UNUSED
    max_chars = MAX_CHARS
    purge_tainted = True

    def __init__(self, side):
        super().__init__(side, SUBSTITUTED_SIDE)

    def result(self, key: str):
        """The kept result of ``key`` (a ``SubstitutionResult``), or None."""
        from .substitute.engine import decode_result

        payload = self.payload(key)
        return None if payload is None else decode_result(payload)

    def encode(self, value) -> str | None:
        from .substitute.engine import encode_result

        return encode_result(value)


class KeptBuilds:
    """The ``builds`` side entry of one run's warm cache."""

    def __init__(self, warm: RunCache, hashes=None):
        self.warm = warm
        # the walk's content hashes as the run reads them (core.observed.RecordedHashes)
        self.hashes = hashes if hashes is not None else warm.file_hashes()
        self.renderer: KeepingRenderer | None = None

    def wrap(self, renderer, fs: RepoFS):
        """``renderer``, reusing the kept builds when it is the built-in one."""
        if not isinstance(renderer, Kustomizer):
            return renderer  # an external kustomize: its inputs are not followed here
        records = KeptRecords(self.warm.read_records(SIDE))
        self.renderer = KeepingRenderer(renderer, fs, records, self.hashes)
        self.renderer.substitutions = KeptSubstitutions(self.warm.read_records(SUBSTITUTED_SIDE))
        if records.side is not None and records.side.shards:  # a run with kept builds
            self.renderer.prepare = prepare
        return self.renderer

    @property
    def exact(self) -> bool:
        """False when the run's results may differ from a fresh run's: build it again without."""
        return self.renderer is None or self.renderer.exact

    def store(self, fs: RepoFS, secrets: SecretPlaces, holds: Callable[[str], bool]) -> None:
        """Write the records worth keeping (see the module's docstring), when the run recorded
        a new build or a kept one must go; ``secrets`` says where the run's secret inventory
        found values, ``holds`` tells a text holding a value its redactor masks
        (``core.redact.tainted_matcher``)."""
        r = self.renderer
        if r is None or not r.exact:
            return
        if r.substitutions is not None:
            r.substitutions.store(self.warm, holds)
        kept: KeptRecords = r.records
        side = kept.side
        purge = {k for k in side if holds(side.unchecked(k))}
        if not r.new and not purge:
            return
        present = self.warm.file_hashes()
        marked: dict[str, bool | None] = {}  # file -> holds the SOPS marker (None: cannot be read now)
        new: dict[int, list[tuple[str, str]]] = {}
        for key, rec in r.new.items():
            stored = _storable(rec, fs, secrets, r.cache.files, marked, present)
            rows = new.setdefault(side_shard(record_key(key)), [])
            payload = rec.payload(*stored) if stored is not None else None
            if payload is not None and not holds(payload):
                rows.append((record_key(key), payload))
        shards: dict[int, list[tuple[str, str]]] = {}
        for shard in sorted(set(new) | {side_shard(k) for k in purge}):
            used, unused = [], []
            for k in side.shard_keys(shard):
                rec = kept.stored(k)
                if (
                    k in purge
                    or rec is None
                    or rec.key in r.new
                    or not all(rel in present for rel in rec.files)
                ):
                    continue  # a build of this run replaces it, or is not kept in its place
                (used if rec.key in r.reused else unused).append((k, side.get(k) or ""))
            used.extend(new.get(shard, ()))
            # what this run used first
            shards[shard] = within(used + unused[-(MAX_UNUSED // SIDE_SHARDS) :], side.room(shard, MAX_CHARS))
        self.warm.write_records(SIDE, side, shards)


def _storable(
    rec: KeptRecord,
    fs: RepoFS,
    secrets: SecretPlaces,
    files: dict,
    marked: dict[str, bool | None],
    hashes: dict[str, str] | None = None,
) -> tuple | None:
    """The JSON text of a new build's objects and what a record holds of each beside it
    (:func:`prepare`: content keys, lengths, kinds), or None when it may not be kept.

    A Secret, or a SOPS-encrypted document of any kind, is kept by reference
    (``render.memo.OWN_KEYS``): its ``apiVersion``, ``kind`` and ``metadata`` as built,
    its other keys taken from the document it was loaded from when the next run serves
    the build. So the build is kept only when each such object's other keys are, as
    written (JSON text, so ``1`` is not ``1.0``), those of its document (a patch or a
    generator that wrote them: not kept), when what it holds itself carries no SOPS
    ciphertext, and when every secret value the run's inventory found in a file the
    build read is in a document it keeps by reference (a HelmRelease's password, a
    Secret patch: not kept). A file read by a ``secretGenerator`` or the like, and a
    file carrying the SOPS marker of which some document is not kept by reference,
    leave the build out too. ``files``: the run's loaded files (``DocumentCache.files``).
    ``hashes``: the walk's content hashes; a file read here whose content is no longer the
    one the run read (the stores are written after the run: a pre-commit hook puts the
    unstaged changes back meanwhile) leaves the build out.
    """
    read = rec.files
    if any(rel in secrets.sources for rel in read):
        return None
    prepared = rec.prepared if rec.prepared is not None else prepare(rec, files)
    text, by_reference = prepared.text, prepared.by_reference
    if text is None:
        return None
    for rel in read:
        if any(place not in by_reference for place in secrets.by_file.get(rel, ())):
            return None
        if rel not in marked:
            try:
                raw = fs.read_bytes(rel)
                same = hashes is None or content_hash(raw) == hashes.get(rel)
                marked[rel] = has_sops_marker(raw) if same else None
            except Exception:  # noqa: BLE001 - unreadable now: not kept
                marked[rel] = None
        if marked[rel] is None:
            return None
        if marked[rel]:
            loaded = files.get(rel)
            if loaded is None or any((rel, d.origin.doc_index) not in by_reference for d in loaded.documents):
                return None
    return text, prepared.keys, prepared.sizes, prepared.lengths, prepared.kinds


def prepare_recorded(renderer: KeepingRenderer, start: int) -> None:
    """:func:`prepare` the builds ``renderer`` recorded from the ``start``-th on, in the
    process that made them: a worker (``Linter._build_share``), or the parent while its
    workers build. The parent's store then only does the run's checks, and a worker's
    records cross the pipe as text instead of objects."""
    files = renderer.cache.files
    for rec in itertools.islice(renderer.new.values(), start, None):
        if rec.prepared is None:
            rec.prepared, rec.pending = prepare(rec, files), None


def prepare(rec: KeptRecord, files: dict) -> Prepared:
    """What :func:`_storable` can tell from a build's own objects (``render.memo.Prepared``):
    their text as a record holds it (None when an object is not plain, or a Secret's
    cannot be kept by reference), the places of the objects kept by reference, and what
    the record's head holds of each item. It needs only the build and the documents it
    loaded, so a worker process does it for the builds it made (``Linter._build_share``):
    the parent then does the run's checks alone, and the records cross the pipe as text.
    A run that makes a record's text at once (``KeepingRenderer``, a build made anew in
    a warm run) serves its objects with the keys and lengths."""
    objects, refs, by_reference = [], [], set()
    for obj, origin in rec.pending or ():
        if obj.get("kind") == "Secret" or document_metadata(obj) is not None:
            own = _own_part(obj, origin, files)
            if own is None:
                return _NOT_KEPT
            objects.append((own, origin))
            refs.append(list(obj))
            by_reference.add((origin.file, origin.doc_index))
        else:
            if not is_plain(obj):
                return _NOT_KEPT
            objects.append((obj, origin))
            refs.append(None)
    items = encode_items(objects, refs)
    sizes, keys = item_facts(items, [o for _, o in objects], refs, rec.files)
    kinds = [kind if isinstance(kind := obj.get("kind"), str) else None for obj, _ in objects]
    return Prepared(joined(items), frozenset(by_reference), keys, sizes, [len(t) for t in items], kinds)


_NOT_KEPT = Prepared(None, frozenset(), None, None, None, None)


def _own_part(obj: dict, origin, files: dict) -> dict | None:
    """What a record holds of an object kept by reference (see :func:`_storable`), or None
    when it cannot be kept so."""
    source = source_document(files.get(origin.file), origin)
    if source is None:
        return None
    own = {}
    for key, value in obj.items():
        if key in OWN_KEYS:
            own[key] = value
        elif key not in source:
            return None
        else:
            text = _text(value)
            if text is None or text != _text(source[key]):
                return None
    text = _text(own)
    if text is None or "ENC[" in text or not is_plain(own):
        return None
    return own


def _text(value) -> str | None:
    try:
        return json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return None


@dataclass(frozen=True)
class SecretPlaces:
    """Where the run's secret inventory found values (``Linter.store_warm``).

    ``documents``: (file, document index) of every value read from a YAML document, and of
    every rendered Secret; ``sources``: files read whole or line by line (a
    ``secretGenerator``'s env file or file source).
    """

    documents: frozenset[tuple[str, int]] = frozenset()
    sources: frozenset[str] = frozenset()

    @property
    def files(self) -> set[str]:
        """Every file a value was found in (the parsed-file store keeps none of them)."""
        return {f for f, _ in self.documents} | set(self.sources)

    @cached_property
    def by_file(self) -> dict[str, list[tuple[str, int]]]:
        out: dict[str, list[tuple[str, int]]] = {}
        for place in sorted(self.documents):
            out.setdefault(place[0], []).append(place)
        return out
