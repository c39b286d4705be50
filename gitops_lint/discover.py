"""Find the cluster entries of a repository and describe the bootstrap source.

A *cluster entry* is the directory Flux's own sync Kustomization applies:
what ``flux bootstrap --path`` points at, or a Flux Operator FluxInstance's
``spec.sync.path``. Given a repository root, every entry it holds is linted (found by the
layouts `flux bootstrap` and the Flux Operator produce, see find_entries);
given a directory inside it, that directory is the entry.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from .fs import OutsideRoot, RepoFS, normalize
from .loader import DocumentCache
from .model import FLUX_KS_GROUP, FLUX_OPERATOR_GROUP, group_of


@dataclass(frozen=True)
class Entry:
    path: str  # repo-relative directory
    # how the bootstrap source of this entry is called (Flux bootstrap and the
    # Flux Operator both name it after the namespace: flux-system/flux-system)
    source_kind: str = "GitRepository"
    source_namespace: str = "flux-system"
    source_name: str = "flux-system"
    url: str | None = None


def _has_yaml(fs: RepoFS, rel: str) -> bool:
    return any(True for _ in fs.walk_files(rel))


def _sync_paths(cache: DocumentCache, files: list[str]) -> list[Entry]:
    """Entries named by gotk-sync Kustomizations and FluxInstance sync blocks."""
    found: list[Entry] = []
    for rel in files:
        for doc in cache.load(rel, used=False).documents:
            obj = doc.data
            if not isinstance(obj, dict):
                continue
            kind = obj.get("kind")
            group = group_of(str(obj.get("apiVersion", "")))
            spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
            sync = None
            if kind == "FluxInstance" and group == FLUX_OPERATOR_GROUP:
                sync = spec.get("sync")
            elif kind == "HelmRelease" and isinstance(spec.get("values"), dict):
                # the flux-instance Helm chart carries the FluxInstance spec in values.instance
                instance = spec["values"].get("instance")
                if isinstance(instance, dict):
                    sync = instance.get("sync")
            elif (
                kind == "Kustomization"
                and group == FLUX_KS_GROUP
                and posixpath.basename(rel) == "gotk-sync.yaml"
                and isinstance(spec.get("path"), str)
            ):
                meta = obj.get("metadata") or {}
                ref = spec.get("sourceRef") or {}
                found.append(
                    Entry(
                        _norm(spec["path"]),
                        str(ref.get("kind", "GitRepository")),
                        str(ref.get("namespace") or meta.get("namespace") or "flux-system"),
                        str(ref.get("name", "flux-system")),
                    )
                )
                continue
            if isinstance(sync, dict) and isinstance(sync.get("path"), str):
                ns = (obj.get("metadata") or {}).get("namespace") or "flux-system"
                if kind == "HelmRelease":
                    ns = spec.get("targetNamespace") or ns
                found.append(
                    Entry(
                        _norm(sync["path"]),
                        str(sync.get("kind", "GitRepository")),
                        str(ns),
                        str(sync.get("name") or ns),
                        str(sync.get("url")) if sync.get("url") else None,
                    )
                )
    return found


def _norm(path: str) -> str:
    try:
        return normalize(path)
    except OutsideRoot:
        return path


def find_entries(fs: RepoFS, cache: DocumentCache) -> list[Entry]:
    """Every cluster entry of the repository, sorted by path, without duplicates."""
    files = list(fs.walk_files(""))
    candidates: dict[str, Entry] = {}
    for entry in _sync_paths(cache, files):
        if fs.isdir(entry.path) and _has_yaml(fs, entry.path):
            candidates.setdefault(entry.path, entry)
    for rel in files:
        # `flux bootstrap --path X` commits X/flux-system/gotk-{components,sync}.yaml
        parts = rel.rsplit("/", 2)
        if (
            len(parts) == 3
            and parts[1] == "flux-system"
            and parts[2] in ("gotk-sync.yaml", "gotk-components.yaml")
        ):
            candidates.setdefault(parts[0], Entry(parts[0]))
    for parent in ("clusters", "kubernetes/clusters"):
        if fs.isdir(parent):
            for name in fs.listdir(parent):
                rel = f"{parent}/{name}"
                if fs.isdir(rel) and _has_yaml(fs, rel):
                    candidates.setdefault(rel, Entry(rel))
    if fs.isdir("kubernetes/flux/cluster"):
        candidates.setdefault("kubernetes/flux/cluster", Entry("kubernetes/flux/cluster"))
    return [candidates[k] for k in sorted(candidates)]
