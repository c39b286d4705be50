"""Kustomize builds kept between lint runs: the warm cache's ``builds`` side entry.

A run that misses the warm cache (a file changed since the last run) still
finds most of its builds unchanged: it reuses each build whose fingerprint
holds and builds the others (:class:`gitops_lint.render.memo.KeepingRenderer`
says what a record holds and how a reused build hands on exactly what a fresh
one would). This module reads the records from the side entry and, after the
run, writes back the ones worth keeping:

* only records whose files are all still in the tree (a deleted file's builds go);
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

from .cache import MAX_ENTRY_BYTES, RunCache
from .core.fs import RepoFS
from .core.plain import is_plain
from .load.sops import document_metadata, has_sops_marker
from .render.kustomize import Kustomizer
from .render.memo import KeepingRenderer, KeptRecord, encode_objects, kept_body, kept_records

SIDE = "builds"
#: records kept that this run neither reused nor built (an older key: a Flux Kustomization's
#: fields changed, a branch not checked out); the newest are kept, in the entry's order
MAX_UNUSED = 1024
#: about the largest entry written (characters): the cache does not read an entry over
#: ``cache.MAX_ENTRY_BYTES``, and one that large would cost every run its write for nothing
MAX_CHARS = MAX_ENTRY_BYTES // 2


class KeptBuilds:
    """The ``builds`` side entry of one run's warm cache."""

    def __init__(self, warm: RunCache):
        self.warm = warm
        self.renderer: KeepingRenderer | None = None

    def wrap(self, renderer, fs: RepoFS):
        """``renderer``, reusing the kept builds when it is the built-in one."""
        if not isinstance(renderer, Kustomizer):
            return renderer  # an external kustomize: its inputs are not followed here
        records = kept_records(self.warm.read_side(SIDE))
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
        purge = {key for key, rec in r.records.items() if rec.objects is not None and holds(rec.objects)}
        if not r.new and not purge:
            return
        present = self.warm.file_hashes()
        marked: dict[str, bool] = {}  # file -> holds the SOPS marker (or cannot be read now)
        used, unused = [], []
        for key, rec in r.records.items():
            if key in purge or not all(rel in present for rel in rec.files):
                continue
            text = rec.objects if rec.pending is None else _storable(rec, fs, secret_files, marked)
            if text is not None and (rec.pending is None or not holds(text)):
                (used if key in r.new or key in r.reused else unused).append(rec.to_json(text))
        records, size = [], 0
        for rec in used + unused[-MAX_UNUSED:]:  # what this run used first
            size += len(rec["objects"]) + 64 * (len(rec["files"]) + len(rec["tree"]))
            if size > MAX_CHARS:
                break
            records.append(rec)
        self.warm.write_side(SIDE, kept_body(records))


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
