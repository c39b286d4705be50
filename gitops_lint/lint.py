"""One lint run: config -> clusters -> rules -> filtered, sorted findings."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from . import redact
from .cluster import Cluster, ClusterBuilder
from .config import Config
from .discover import Entry, _sync_paths, find_entries
from .fs import OutsideRoot, RepoFS
from .graph import build_graph
from .loader import DocumentCache
from .model import FLUX_HELM_GROUP, Finding, Severity, group_of
from .redact import Redactor
from .rules import CLUSTER, REPOSITORY, Context, Hit, Rule, all_rules
from .secrets import hidden_strings
from .suspend import Skipped


class UsageError(Exception):
    """Bad command-line input (exit 2)."""


@dataclass
class LintResult:
    findings: list[Finding]
    summary: dict
    clusters: list[Cluster] = field(default_factory=list)


def find_root(path: str) -> str:
    """The repository root: the nearest ancestor with ``.git`` (or a config file)."""
    start = os.path.abspath(path)
    cur = start if os.path.isdir(start) else os.path.dirname(start)
    while True:
        if os.path.exists(os.path.join(cur, ".git")) or os.path.isfile(
            os.path.join(cur, ".gitops-lint.yaml")
        ):
            return cur
        parent = os.path.dirname(cur)
        if parent == cur:
            return start if os.path.isdir(start) else os.path.dirname(start)
        cur = parent


def make_renderer(config: Config, fs: RepoFS, cache: DocumentCache):
    """The built-in renderer, or a real kustomize for ``--renderer kubectl|kustomize``."""
    if config.renderer != "builtin":
        from .render.external import ExternalKustomize, RendererUnavailable

        try:
            return ExternalKustomize(fs, cache, config.renderer)
        except RendererUnavailable as exc:
            raise UsageError(str(exc)) from None
    from .render.kustomize import Kustomizer

    return Kustomizer(fs, cache)


def entries_for(paths: list[str], fs: RepoFS, cache: DocumentCache) -> list[Entry]:
    entries: dict[str, Entry] = {}
    for path in paths:
        if not os.path.isdir(path):
            raise UsageError(f"{path}: not a directory")
        try:
            rel = fs.relpath(path)
        except OutsideRoot:
            raise UsageError(f"{path}: outside the repository root {fs.root}") from None
        if rel == "":
            found = find_entries(fs, cache) or [Entry("")]
        else:
            synced = [e for e in _sync_paths(cache, list(fs.walk_files(rel))) if e.path == rel]
            found = synced[:1] or [Entry(rel)]
        for e in found:
            entries.setdefault(e.path, e)
    return [entries[k] for k in sorted(entries)]


class Linter:
    def __init__(self, root: str, config: Config):
        self.root = root
        self.config = config
        self.fs = RepoFS(root, config.max_file_bytes)
        self.cache = DocumentCache(self.fs)
        self.rules = [r for r in all_rules() if config.rule_enabled(r.name, r.code)]
        # every secret value this run reads is masked in whatever it writes
        # (also on the command line's error paths: redact.REDACTOR)
        self.redactor = Redactor(lambda: hidden_strings(self.fs, self.cache, self._rendered_secrets()))
        redact.REDACTOR = self.redactor
        self._clusters: list[Cluster] = []

    def build_clusters(self, paths: list[str]) -> list[Cluster]:
        renderer = make_renderer(self.config, self.fs, self.cache)
        builder = ClusterBuilder(self.fs, self.cache, renderer, self.config)
        self._clusters = [builder.build(entry) for entry in entries_for(paths, self.fs, self.cache)]
        return self._clusters

    def _rendered_secrets(self) -> list[dict]:
        return [ro.obj for c in self._clusters for ro in c.objects if ro.obj.get("kind") == "Secret"]

    def run(self, paths: list[str]) -> LintResult:
        clusters = self.build_clusters(paths)
        findings: list[Finding] = []
        for cluster in clusters:
            ctx = Context(self.fs, self.cache, self.config, cluster, build_graph(cluster))
            skipped = Skipped.of(cluster)  # Flux applies nothing under a suspended Kustomization
            for rule in self.rules:
                if rule.scope == CLUSTER:
                    findings.extend(self._findings(rule, ctx, cluster, skipped))
        repo_ctx = Context(self.fs, self.cache, self.config)
        for rule in self.rules:
            if rule.scope == REPOSITORY:
                findings.extend(self._findings(rule, repo_ctx, None))
        findings = self._filter(findings)
        self.redactor.refresh()
        for f in findings:
            f.message = self.redactor.redact(f.message)
        return LintResult(findings, self._summary(clusters, findings), clusters)

    # -- hits to findings --------------------------------------------------
    def _findings(self, rule: Rule, ctx: Context, cluster: Cluster | None, skipped: Skipped | None = None):
        default = self.config.severity_for(rule.name, rule.code, rule.severity)
        for hit in rule.check(ctx):
            if skipped is not None and skipped.covers(hit.origin, hit.file, hit.line):
                continue
            yield self._finding(rule, hit, default, cluster)

    def _finding(self, rule: Rule, hit: Hit, default: Severity, cluster: Cluster | None) -> Finding:
        severity = hit.severity if hit.severity is not None else default
        if hit.file is not None:
            file, line, column = hit.file, hit.line or 1, hit.column or 1
        elif hit.origin is not None:
            file = hit.origin.file
            if hit.path:
                line, column = self.cache.field_position(hit.origin, hit.path)
            else:
                line, column = hit.origin.line, 1
        else:
            file, line, column = (cluster.entry.path if cluster else None), 1, 1
        return Finding(
            rule=rule.name,
            code=rule.code,
            severity=severity,
            message=hit.message,
            file=file,
            line=line,
            column=column,
            object=hit.object,
            cluster=cluster.name if cluster else None,
        )

    def _suppressed(self, f: Finding) -> bool:
        if self.config.is_ignored(f.rule, f.code, f.file):
            return True
        loaded = self.cache.files.get(f.file) if f.file else None
        if loaded is None:
            return False
        for doc in loaded.documents:
            if (
                doc.disabled_rules
                and doc.origin.line <= f.line <= doc.end_line
                and (f.rule in doc.disabled_rules or f.code in doc.disabled_rules)
            ):
                return True
        return False

    def _filter(self, findings: list[Finding]) -> list[Finding]:
        seen = set()
        out = []
        for f in sorted(findings, key=Finding.sort_key):
            key = (f.rule, f.file, f.line, f.column, f.message, f.object)
            if key in seen or self._suppressed(f):
                continue
            seen.add(key)
            out.append(f)
        return out

    def _summary(self, clusters: list[Cluster], findings: list[Finding]) -> dict:
        kustomizations = set()
        helmreleases = set()
        for c in clusters:
            kustomizations.update((c.name, k) for k, ks in c.kustomizations.items() if not ks.synthetic)
            for ro in c.objects:
                if (
                    ro.obj.get("kind") == "HelmRelease"
                    and group_of(str(ro.obj.get("apiVersion"))) == FLUX_HELM_GROUP
                ):
                    helmreleases.add((c.name, *ro.ref.key()))
        return {
            "files": len(self.cache.files),
            "documents": sum(len(f.documents) for f in self.cache.files.values()),
            "kustomizations": len(kustomizations),
            "helmreleases": len(helmreleases),
            "errors": sum(1 for f in findings if f.severity == Severity.ERROR),
            "warnings": sum(1 for f in findings if f.severity == Severity.WARNING),
        }
