"""A kustomization's resources and components: what it accumulates before transforming.

kustomize's ``accumulateResources`` and ``accumulateComponents``: a file
entry's documents (``List`` kinds unpacked, invalid and local-config objects
refused as kustomize and Flux refuse them), a directory entry built on its
own first (and cached: a base shared by many overlays is accumulated once)
or, for a component, built *into* the parent's resources; a cycle of
directories, or one through a symlink, is refused as kustomize refuses it.
"""

from __future__ import annotations

import posixpath

from ..core.fs import OutsideRoot, RepoFS
from .copy import TooLarge, copy_budgeted
from .fieldspec import TransformerConfig
from .resource import Res
from .target_base import LOCAL_CONFIG, NO_API_VERSION, Acc, Skip, TargetBase, invalid_object, looks_remote
from .types import ERROR, MISSING, BuildIssue


class Cached:
    """A kustomization directory accumulated once, reused as a resource of others."""

    __slots__ = ("resources", "config", "issues", "dirs", "openapi", "remote", "reads")

    def __init__(
        self,
        resources: list[Res],
        config: TransformerConfig,
        issues: list[BuildIssue],
        dirs,
        openapi=None,
        remote: bool = False,
        reads: tuple[str, ...] = (),
    ):
        self.resources = resources
        self.config = config
        self.issues = issues
        self.dirs = dirs
        # the build's openapi file once this directory was accumulated (it may set one)
        self.openapi = openapi
        self.remote = remote  # a remote resource was skipped somewhere below
        self.reads = reads  # the files accumulating it read (see _Run.reads)


def _real_rel(fs: RepoFS, rel: str) -> str:
    """``rel`` after symlinks, repo-relative (itself when it cannot be resolved)."""
    try:
        return fs.relpath(fs.real(rel))
    except (OutsideRoot, OSError):
        return rel


def _cycle(candidate: str, chain: tuple[str, ...]) -> bool:
    """kustomize refuses a directory equal to, or containing, one being built."""
    return any(candidate == root or candidate == "" or root.startswith(candidate + "/") for root in chain)


class Resources(TargetBase):
    """The resource part of a kustomization's build (see ``kustomize._Target``)."""

    def _real(self, rel: str) -> str:
        return _real_rel(self.run.k.fs, rel)

    def add_resource(self, acc: Acc, entry: object, where: tuple) -> None:
        if isinstance(entry, str) and looks_remote(entry):
            acc.remote = True
        try:
            rel, is_file, is_dir = self.resolve(entry, where, "resource")
        except Skip:
            return
        if is_file:
            for res in self.load_resources(rel):
                self.append(acc, res, where)
        elif is_dir:
            self.add_directory(acc, rel, entry, where, component=False)
        else:
            self.issue(MISSING, f"resource {entry} does not exist", *where)

    def add_component(self, acc: Acc, entry: object, where: tuple) -> None:
        if isinstance(entry, str) and looks_remote(entry):
            acc.remote = True
        try:
            rel, is_file, is_dir = self.resolve(entry, where, "component")
        except Skip:
            return
        if not is_dir:
            if is_file:
                self.issue(ERROR, f"component {entry} must be a directory", *where)
            else:
                self.issue(MISSING, f"component {entry} does not exist", *where)
            return
        self.add_directory(acc, rel, entry, where, component=True)

    def add_directory(self, acc: Acc, rel: str, entry: object, where: tuple, *, component: bool) -> None:
        if not self.run.k.kustomization_files(rel):
            self.issue(
                ERROR,
                f"unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' "
                f"in directory {rel or '.'!r}",
                *where,
            )
            return
        if _cycle(rel, self.chain) or _cycle(self._real(rel), tuple(self._real(d) for d in self.chain)):
            # real paths too: a symlinked directory (`loop -> .`) is the same directory, as
            # for kustomize, whose loader confirms directories with EvalSymlinks
            self.issue(ERROR, f"cycle detected: {entry} contains a kustomization being built", *where)
            self.cycle_error = True
            return
        chain = (*self.chain, rel)
        if component:
            child = self.run.target(rel, chain)
            if child is None:
                return
            if child.kind != "Component":
                self.issue(
                    ERROR, f"expected kind 'Component' for path '{rel}' but got '{child.kind}'", *where
                )
                return
            child.accumulate(acc)
            self.dirs |= child.dirs
            self.cycle_error = self.cycle_error or child.cycle_error
            return
        key = (rel, self.run.top_dir if self.run.origin_notes else None, self.run.openapi)
        cached = self.run.k._targets.get(key)
        if cached is not None and any(_cycle(d, chain) for d in cached.dirs if d != rel):
            cached = None
        if cached is None:
            child = self.run.target(rel, chain)
            if child is None:
                return
            if child.kind == "Component":
                self.issue(ERROR, f"expected kind != 'Component' for path '{rel}'", *where)
                return
            start = len(self.run.issues)
            start_reads = len(self.run.reads) - len(self.run.k.kustomization_files(rel))  # target() read them
            sub = Acc([], TransformerConfig.empty())
            child.accumulate(sub)
            cached = Cached(
                sub.resources,
                sub.config,
                self.run.issues[start:],
                frozenset(child.dirs),
                self.run.openapi,
                sub.remote,
                tuple(self.run.reads[start_reads:]),
            )
            if not child.cycle_error:
                self.run.k._targets[key] = cached
                cached = Cached(
                    [r.copy() for r in sub.resources],
                    sub.config,
                    cached.issues,
                    cached.dirs,
                    cached.openapi,
                    cached.remote,
                    cached.reads,
                )
            else:
                self.cycle_error = True
        else:
            self.run.issues.extend(cached.issues)
            self.run.reads.extend(cached.reads)
            self.run.set_openapi(cached.openapi)  # what loading that directory did to the build
            cached = Cached(
                [r.copy() for r in cached.resources],
                cached.config,
                cached.issues,
                cached.dirs,
                cached.openapi,
                cached.remote,
                cached.reads,
            )
        self.dirs |= cached.dirs
        acc.remote = acc.remote or cached.remote
        for res in cached.resources:
            self.append(acc, res, where)
        acc.config = acc.config.merged(cached.config)

    def load_resources(self, rel: str) -> list[Res]:
        lf = self.cache.load(rel)
        out: list[Res] = []
        note = posixpath.relpath(rel, self.run.top_dir or ".") if self.run.origin_notes else None
        for doc in lf.documents:
            data = doc.data
            items = [data]
            if (
                isinstance(data, dict)
                and str(data.get("kind", "")).endswith("List")
                and isinstance(data.get("items"), list)
            ):
                items = data["items"]
            for obj in items:
                if isinstance(obj, list):
                    continue
                problem = invalid_object(obj)
                if problem:
                    # a document without apiVersion/kind is yaml-syntax's finding, not a second one here
                    if isinstance(obj, dict) and obj.get("apiVersion") and obj.get("kind"):
                        self.run.issue(ERROR, problem, rel, doc.origin.line)
                    if problem is not NO_API_VERSION:
                        continue  # kustomize refuses it; Flux refuses only the missing apiVersion later
                meta = obj.get("metadata")
                annotations = meta.get("annotations") if isinstance(meta, dict) else None
                if isinstance(annotations, dict) and LOCAL_CONFIG in annotations:
                    continue
                try:
                    copied = copy_budgeted(obj)
                except TooLarge:
                    self.run.issue(
                        ERROR, "document expands to too many nodes (YAML aliases)", rel, doc.origin.line
                    )
                    continue
                out.append(
                    Res(
                        copied,
                        doc.origin,
                        origin_note=f"path: {note}\n" if note is not None else None,
                        empty_nulls=lf.empty_nulls.get(id(obj), frozenset()),
                    )
                )
        return out

    def append(self, acc: Acc, res: Res, where: tuple) -> None:
        if acc.ids is None or len(acc.ids) != len(acc.resources):
            acc.ids = {r.cur_id().key() for r in acc.resources}
        cur = res.cur_id()
        key = cur.key()
        if key in acc.ids:
            self.issue(ERROR, f"may not add resource with an already registered id: {cur.display()}", *where)
            return
        acc.resources.append(res)
        acc.ids.add(key)
