"""What the repository's bootstrap files say, read once per run.

A cluster is often bootstrapped before Flux runs: a helmfile (the home-ops
``helmfile ... --include-crds``), a Terraform ``helm_release``, a Talos
machine config's ``extraManifests``/``inlineManifests``. These files are not
part of any cluster's render, and what they say is the same for every cluster
of the repository: the CRD index (:mod:`gitops_lint.model.crds`) and
health-check-target of a 16-cluster repository used to walk the tree and scan
them once per cluster; so did missing-substitution-source, looking for the
manifests a bootstrap step may apply. :class:`BootstrapFiles` reads them once
and keeps the result as plain data; each cluster turns it into its own
providers.

It belongs to one run (the Linter makes one and hands it to every Context):
never the process, so a second run sees the files as they are then.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import yaml

from ..core.fs import FileTooLarge, OutsideRoot
from ..core.questions import derivable
from ..load.loader import FastLoader
from ..substitute.sources import unapplied_manifests

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..core.fs import RepoFS
    from ..load.loader import DocumentCache


def is_helmfile(rel: str) -> bool:
    if "helmfile" not in rel:  # (asked of every file of the repository: the cheap test first)
        return False
    base = posixpath.basename(rel)
    parent = posixpath.basename(posixpath.dirname(rel))
    return base.startswith("helmfile") or parent in ("helmfile", "helmfile.d")


def is_talos(rel: str) -> bool:
    if "tal" not in rel:  # talconfig*, talos*: the cheap test first
        return False
    parts = rel.split("/")
    return posixpath.basename(rel).startswith("talconfig") or any(p.startswith("talos") for p in parts[:-1])


@dataclass(frozen=True)
class TerraformRelease:
    """One ``resource "helm_release"`` of a Terraform file."""

    file: str
    resource: str  # the resource's name
    chart: str  # as written, "" when absent
    repository: str  # as written, "" when absent


@dataclass(frozen=True)
class TalosURL:
    """One URL of a Talos ``extraManifests`` list."""

    file: str
    url: str


@dataclass(frozen=True)
class TalosInline:
    """One ``inlineManifests`` entry: the CRDs its contents define, and whether the
    contents may hold anything (templated or unreadable, without a CRD)."""

    file: str
    name: str
    crds: tuple[tuple[str, str], ...]  # (group, kind)
    opaque: bool


class BootstrapFiles:
    """The run's bootstrap files and what they say, each read on first use."""

    def __init__(self, fs: RepoFS, cache: DocumentCache) -> None:
        self.fs = fs
        self.cache = cache
        self._manifests: dict[str, str | None] = {}

    def unapplied_manifests(self, idents: Iterable[str]) -> dict[str, str]:
        """For each "Kind/ns/name", the first YAML file of the repository with a manifest
        of it (:func:`gitops_lint.substitute.sources.unapplied_manifests`): a bootstrap
        step may apply it. Each object is looked for once per run, whichever clusters
        ask (the answer for one does not depend on what else is asked)."""
        wanted = list(idents)
        new = [ident for ident in wanted if ident not in self._manifests]
        if new:
            found = unapplied_manifests(self.fs, new)
            for ident in new:
                self._manifests[ident] = found.get(ident)
        return {ident: rel for ident in wanted if (rel := self._manifests[ident]) is not None}

    @cached_property
    def _crd_files(self) -> tuple[str, ...]:
        return tuple(self.fs.walk_files("", suffixes=(".yaml", ".yml", ".tf")))

    @cached_property
    def helmfiles(self) -> tuple[str, ...]:
        """The YAML helmfiles (``helmfile*.yaml``, ``helmfile.d/*.yaml``), in walk order."""
        return tuple(rel for rel in self._crd_files if not rel.endswith(".tf") and is_helmfile(rel))

    @cached_property
    def release_namespaces(self) -> frozenset[str]:
        """Namespaces a bootstrap helmfile of the repository may install releases
        into: what their charts create there exists, but cannot be seen offline.
        Read as text (``*.yaml.gotmpl`` helmfiles are Go templates, not YAML); a
        namespace named anywhere in such a file counts, which can only make
        gitops-lint say less."""
        out: set[str] = set()
        for rel in self.fs.walk_files("", suffixes=(".yaml", ".yml", ".gotmpl")):
            if not is_helmfile(rel):
                continue
            try:
                text = self.fs.read_bytes(rel).decode("utf-8", "replace")
            except (OSError, ValueError, FileTooLarge, OutsideRoot):
                continue
            if "releases:" in text:
                out.update(_NAMESPACE_LINE.findall(text))
        return frozenset(out)

    @cached_property
    def terraform_releases(self) -> tuple[TerraformRelease, ...]:
        """``helm_release`` resources of the Terraform files, in file and text order."""
        out = []
        for rel in self._crd_files:
            if not rel.endswith(".tf"):
                continue
            try:
                found = self.fs.derive(rel, terraform_helm_releases)
            except (OSError, FileTooLarge, OutsideRoot):
                continue
            out.extend(TerraformRelease(rel, name, chart, repo) for name, chart, repo in found)
        return tuple(out)

    @cached_property
    def talos_manifests(self) -> tuple[TalosURL | TalosInline, ...]:
        """Talos ``extraManifests`` URLs and ``inlineManifests``, in file and document
        order (a document's URLs before its inline manifests)."""
        out: list[TalosURL | TalosInline] = []
        for rel in self._crd_files:
            if rel.endswith(".tf") or not is_talos(rel):
                continue
            for doc in self.cache.load(rel, used=False, manifest=False).documents:
                for urls in _manifest_lists(doc.data, "extraManifests"):
                    out.extend(TalosURL(rel, url) for url in urls if isinstance(url, str))
                for items in _manifest_lists(doc.data, "inlineManifests"):
                    for item in items:
                        if isinstance(item, dict) and isinstance(item.get("contents"), str):
                            out.append(_inline(rel, str(item.get("name") or ""), item["contents"]))
        return tuple(out)


_NAMESPACE_LINE = re.compile(r"^[ \t-]*namespace:[ \t]*[\"']?([a-z0-9][a-z0-9.-]*)", re.MULTILINE)
_TF_RELEASE = re.compile(r'resource\s+"helm_release"\s+"([^"]+)"\s*\{')
_TF_CHART = re.compile(r'^\s*chart\s*=\s*"([^"]*)"', re.MULTILINE)
_TF_REPO = re.compile(r'^\s*repository\s*=\s*"([^"]*)"', re.MULTILINE)


def _manifest_lists(data, key: str, depth: int = 0):
    """Every list under ``key`` in a Talos machine config or talhelper file
    (``cluster.extraManifests``, in patches at any depth)."""
    if depth > 12:
        return
    if isinstance(data, dict):
        for k, v in data.items():
            if k == key and isinstance(v, list):
                yield v
            else:
                yield from _manifest_lists(v, key, depth + 1)
    elif isinstance(data, list):
        for v in data:
            yield from _manifest_lists(v, key, depth + 1)
    elif isinstance(data, str) and key in data:
        # a talhelper patch is a YAML document in a string
        try:
            parsed = list(yaml.load_all(data, Loader=FastLoader))  # noqa: S506 - safe loader
        except yaml.YAMLError:
            return
        yield from _manifest_lists(parsed, key, depth + 1)


def _inline(rel: str, name: str, contents: str) -> TalosInline:
    try:
        docs = list(yaml.load_all(contents, Loader=FastLoader))  # noqa: S506 - safe loader
    except yaml.YAMLError:
        docs = []
    crds = [d for d in docs if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition"]
    kinds = []
    for crd in crds:
        spec = crd.get("spec") if isinstance(crd.get("spec"), dict) else {}
        names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
        group, kind = str(spec.get("group") or ""), str(names.get("kind") or "")
        if group and kind:
            kinds.append((group, kind))
    # templated or unreadable: may hold anything
    return TalosInline(rel, name, tuple(kinds), not crds and ("{{" in contents or not docs))


@derivable
def terraform_helm_releases(raw: bytes) -> list[list[str]]:
    """The ``helm_release`` resources of a Terraform file's bytes, in text order: [name, chart,
    repository] each ("" when not given). A function of the bytes alone (``RepoFS.derive``):
    a change of the file that keeps them changes nothing of a run."""
    text = raw.decode("utf-8", "replace")
    matches = list(_TF_RELEASE.finditer(text))
    out = []
    for i, m in enumerate(matches):
        body = text[m.end() : matches[i + 1].start() if i + 1 < len(matches) else len(text)]
        chart_m, repo_m = _TF_CHART.search(body), _TF_REPO.search(body)
        out.append([m.group(1), chart_m.group(1) if chart_m else "", repo_m.group(1) if repo_m else ""])
    return out
