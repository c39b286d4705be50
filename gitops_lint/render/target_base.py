"""What every part of a kustomization's build shares: its positions, issues and entries.

The build of one kustomization (``kustomize._Target``) is kustomize's
``KustTarget``; its patches (``target_patches``) and generators
(``target_generators``) are written as parts of it, each in its own module,
on this base: the kustomization's data and file, where an entry is written
(for issues at the right line), how a local entry resolves, and the guard
that turns a failed transformer into an issue so the build goes on.
"""

from __future__ import annotations

import re

from ..core.data import Origin
from ..core.fs import OutsideRoot, join
from . import kustfile, smp, transform
from .fieldspec import FieldSpecError, TransformerConfig
from .generators import GeneratorError
from .json6902 import PatchError
from .replacements import NoSource, ReplacementError
from .resource import Res
from .selector import SelectorError
from .transform import TransformError
from .types import ERROR, ESCAPE, EXTERNAL, MISSING

LOCAL_CONFIG = "config.kubernetes.io/local-config"

_REMOTE = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*::|[a-z][a-z0-9+.-]*://|git@|gh:|"
    r"(?:github\.com|gitlab\.com|bitbucket\.org|dev\.azure\.com|ssh\.dev\.azure\.com)[/:])",
    re.IGNORECASE,
)


def looks_remote(entry: str) -> bool:
    """A kustomize remote target (URL, git, OCI), as opposed to a local path."""
    if _REMOTE.match(entry):
        return True
    return any(q in entry for q in ("?ref=", "?version=", "?timeout=", "?submodules="))


class Skip(Exception):
    """An entry that became an issue: the build goes on without it."""


class Acc:
    """kustomize's ResAccumulator: the resources so far and the transformer config."""

    __slots__ = ("resources", "config", "ids", "remote")

    def __init__(self, resources: list[Res], config: TransformerConfig, remote: bool = False):
        self.resources = resources
        self.config = config
        # current ids of ``resources`` (rebuilt when transformers changed the list)
        self.ids: set | None = None
        # a remote resource was skipped: what it holds is unknown, so "no resource
        # matches" cannot be proved
        self.remote = remote


def invalid_object(obj: object) -> str | None:
    """Why kustomize (or Flux, for apiVersion) would refuse this document as a resource."""
    if not isinstance(obj, dict) or not isinstance(obj.get("metadata", {}), dict):
        return "missing Resource metadata"
    if not obj.get("kind"):
        return "missing kind in object"
    meta = obj.get("metadata") or {}
    if not meta.get("name") and not str(obj.get("kind")).endswith("List"):
        return "missing metadata.name in object"
    if not obj.get("apiVersion"):
        return NO_API_VERSION
    return None


NO_API_VERSION = "missing apiVersion in object (Flux refuses it)"


class TargetBase:
    """One kustomization (or Flux-generated one): its data, positions and entries."""

    def __init__(
        self,
        run,  # the build this is part of (kustomize._Run)
        directory: str,
        kfile: str,
        kdata: dict,
        korigin: Origin | None,
        chain: tuple[str, ...],
        *,
        lenient: bool = False,
        generated: bool = False,
        positions: dict | None = None,
        decoded: kustfile.Decoded | None = None,
    ):
        self.run = run
        self.fs = run.fs
        self.cache = run.cache
        self.dir = directory
        self.kfile = kfile
        self.kdata = kdata
        self.korigin = korigin
        self.chain = chain
        self.lenient = lenient
        self.generated = generated
        self.positions = positions or {}
        # the file as written: its keys give positions and unknown fields
        self.decoded = decoded if decoded is not None else kustfile.decode(kdata)
        self.dirs: set[str] = {directory}
        self.cycle_error = False

    @property
    def kind(self) -> str:
        return str(self.kdata.get("kind") or "Kustomization")

    # -- positions and issues ---------------------------------------------------------
    def pos(self, *path) -> tuple[str, int, int]:
        added = self.positions.get(path[:2])
        if added is not None:  # an entry the Flux Kustomization added: its own position
            return self.run.overlay_pos(*added)
        if self.korigin is None:
            if self.generated and path[:1] == ("resources",) and len(path) > 1:
                entries = self.kdata.get("resources") or []
                if isinstance(path[1], int) and path[1] < len(entries):
                    return join(self.dir, entries[path[1]]), 1, 1
            return self.kfile, 1, 1
        line, col = self.cache.field_position(self.korigin, self.decoded.source_path(path))
        return self.kfile, line, col

    def _raw_pos(self, raw: tuple) -> tuple[int, int]:
        if self.korigin is None:
            return 1, 1
        return self.cache.field_position(self.korigin, raw)

    def issue(self, kind: str, message: str, *path) -> None:
        file, line, col = self.pos(*path)
        self.run.issue(kind, message, file, line, col)

    def items(self, key: str) -> list:
        value = self.kdata.get(key)
        if value is None:
            return []
        if isinstance(value, list):
            return value
        self.issue(ERROR, f"invalid Kustomization: {key} must be a list", key)
        return []

    # -- local entries ----------------------------------------------------------------------
    def resolve(self, entry: object, where: tuple, what: str) -> tuple[str, bool, bool]:
        """(repo-relative path, is file, is dir) of a local entry, or raise Skip."""
        if not isinstance(entry, str) or not entry:
            self.issue(ERROR, f"invalid {what} entry {entry!r}", *where)
            raise Skip
        if looks_remote(entry):
            self.issue(EXTERNAL, f"remote {what} {entry} is not fetched", *where)
            raise Skip
        try:
            rel = join(self.dir, entry)
            is_file, is_dir = self.run.k.path_kind(rel)
        except OutsideRoot:
            self.issue(ESCAPE, f"{what} {entry} leaves the repository root", *where)
            raise Skip from None
        if is_file:
            self.run.reads.append(rel)
        return rel, is_file, is_dir

    def resolve_file(self, entry: object, where: tuple, what: str) -> str | None:
        try:
            rel, is_file, is_dir = self.resolve(entry, where, what)
        except Skip:
            return None
        if not is_file:
            if is_dir:
                self.issue(ERROR, f"{what} {entry} is a directory", *where)
            else:
                self.issue(MISSING, f"{what} {entry} does not exist", *where)
            return None
        return rel

    # -- transformers -----------------------------------------------------------------------
    def guard(self, fn, where: tuple, acc: Acc | None = None) -> None:
        try:
            fn()
        except Skip:
            pass
        except (transform.NoTarget, NoSource) as exc:
            if acc is not None and acc.remote:
                self.issue(
                    EXTERNAL,
                    f"{exc}: the resource may be a remote one, which is not fetched (not checked)",
                    *where,
                )
            else:
                self.issue(ERROR, str(exc), *where)
        except (
            TransformError,
            smp.MergeError,
            PatchError,
            SelectorError,
            ReplacementError,
            FieldSpecError,
            GeneratorError,
        ) as exc:
            self.issue(ERROR, str(exc), *where)
