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

import hashlib
import os
import posixpath
from dataclasses import dataclass

from ..core.data import Origin
from ..core.fs import OutsideRoot, RepoFS, join
from . import flux
from .copy import deep_copy
from .kustomize import Kustomizer, overlay_key
from .types import BuildResult, FluxOverlay, Resource

_MISSING = "-"  # the fingerprint of a file that cannot be read


@dataclass
class _Record:
    objects: list[tuple[dict, Origin]]  # the head's build, never handed out uncopied
    files: dict[str, tuple[str, str]]  # rel -> (content hash, symlink-resolved rel)
    listings: dict[str, tuple[str, ...]]  # directory -> its kustomization files
    components: dict[str, bool]  # overlay component path -> exists
    used: frozenset[str]  # files the build loaded (DocumentCache.used), for applied_elsewhere


class _Tree:
    """One tree's answers to the fingerprint's questions, each asked once."""

    def __init__(self, fs: RepoFS):
        self.fs = fs
        self._files: dict[str, tuple[str, str]] = {}
        self._listings: dict[str, tuple[str, ...]] = {}

    def file(self, rel: str) -> tuple[str, str]:
        found = self._files.get(rel)
        if found is None:
            try:
                real = os.path.relpath(self.fs.real(rel), self.fs.root)
                digest = hashlib.sha256(self.fs.read_bytes(rel)).hexdigest()
                found = (digest, real)
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


def _key(fs: RepoFS, path: str, overlay: FluxOverlay | None) -> tuple:
    return (path, overlay_key(overlay), fs.max_file_bytes)


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
