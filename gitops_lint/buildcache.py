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
  (``core.plain.is_plain``) and that hold nothing read from a Secret (the cache
  never does, see ``gitops_lint.cache``): no object of kind ``Secret``
  (a ``secretGenerator``'s output, a plaintext Secret in a resource file), no
  SOPS-encrypted document, no file read that carries the SOPS marker or in which
  the run's secret inventory (``model.secrets``) found a value (a Secret, a
  HelmRelease's password keys, a ``secretGenerator`` and its sources, a file
  ``.sops.yaml`` designates), and no text in any of the forms the redactor knows
  (``core.redact.tainted_forms``) of a value the run's redactor masks (a Secret's
  value written again in a ConfigMap). A kept record that now holds such a value is
  dropped. A build left out is built again next time.
"""

from __future__ import annotations

from collections.abc import Callable

from .cache import RunCache
from .core.fs import RepoFS
from .core.plain import is_plain
from .core.records import SIDE_SHARDS, side_shard
from .load.sops import document_metadata, has_sops_marker
from .render.kustomize import Kustomizer
from .render.memo import KeepingRenderer, KeptRecord, KeptRecords, encode_objects, record_key

SIDE = "builds"
#: records kept that this run neither reused nor built (an older key: a Flux Kustomization's
#: fields changed, a branch not checked out); the newest are kept, in the entry's order, each
#: shard its share
MAX_UNUSED = 1024
#: about the largest text of all records together (characters): a run reads them all (and a
#: shard holds at most ``core.records.MAX_SHARD_CHARS``, which the cache reads back)
MAX_CHARS = 32 * 1024 * 1024


class KeptBuilds:
    """The ``builds`` side entry of one run's warm cache."""

    def __init__(self, warm: RunCache):
        self.warm = warm
        self.renderer: KeepingRenderer | None = None

    def wrap(self, renderer, fs: RepoFS):
        """``renderer``, reusing the kept builds when it is the built-in one."""
        if not isinstance(renderer, Kustomizer):
            return renderer  # an external kustomize: its inputs are not followed here
        records = KeptRecords(self.warm.read_records(SIDE))
        self.renderer = KeepingRenderer(renderer, fs, records, self.warm.file_hashes())
        return self.renderer

    @property
    def exact(self) -> bool:
        """False when the run's results may differ from a fresh run's: build it again without."""
        return self.renderer is None or self.renderer.exact

    def store(self, fs: RepoFS, secret_files: set[str], holds: Callable[[str], bool]) -> None:
        """Write the records worth keeping (see the module's docstring), when the run recorded
        a new build or a kept one must go; ``secret_files`` are the files the run's secret
        inventory read a value from, ``holds`` tells a text holding a value its redactor
        masks (``core.redact.tainted_matcher``)."""
        r = self.renderer
        if r is None or not r.exact:
            return
        kept: KeptRecords = r.records
        side = kept.side
        purge = {k for k in side if holds(side.unchecked(k).partition("\t")[2])}
        if not r.new and not purge:
            return
        present = self.warm.file_hashes()
        marked: dict[str, bool] = {}  # file -> holds the SOPS marker (or cannot be read now)
        new: dict[int, list[tuple[str, str]]] = {}
        for key, rec in r.new.items():
            text = _storable(rec, fs, secret_files, marked)
            rows = new.setdefault(side_shard(record_key(key)), [])
            if text is not None and not holds(text):
                rows.append((record_key(key), rec.payload(text)))
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
            rows, size, room = [], 0, side.room(shard, MAX_CHARS)
            for row in used + unused[-(MAX_UNUSED // SIDE_SHARDS) :]:  # what this run used first
                size += len(row[1])
                if size > room:
                    break
                rows.append(row)
            shards[shard] = rows
        self.warm.write_records(SIDE, side, shards)


def _storable(rec: KeptRecord, fs: RepoFS, secret_files: set[str], marked: dict[str, bool]) -> str | None:
    """The JSON text of a new build's objects, or None when it may not be kept."""
    if any(rel in secret_files for rel in rec.files):
        return None
    for obj, _ in rec.pending or ():
        if obj.get("kind") == "Secret" or document_metadata(obj) is not None or not is_plain(obj):
            return None
    for rel in rec.files:
        if rel not in marked:
            try:
                marked[rel] = has_sops_marker(fs.read_bytes(rel))
            except Exception:  # noqa: BLE001 - unreadable now: not kept
                marked[rel] = True
        if marked[rel]:
            return None
    return encode_objects(rec.pending or [])
