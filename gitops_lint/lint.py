"""One lint run: config -> clusters -> rules -> filtered, sorted findings."""

from __future__ import annotations

import contextlib
import itertools
import os
from dataclasses import dataclass, field

from .cache import RunCache
from .core.budget import BudgetExceeded
from .core.data import FLUX_HELM_GROUP, Finding, Severity, is_kind
from .core.errors import UsageError
from .core.fs import OutsideRoot, RepoFS
from .core.redact import Redactor, tainted_matcher
from .discover.entries import (
    CONFIG,
    Bootstrap,
    Discovery,
    Entry,
    TooManyFiles,
    discover,
    entry_for,
    find_entries,
)
from .graph.dependson import build_graph
from .load.config import Config
from .load.loader import DocumentCache
from .load.parsed import ParsedFiles
from .load.suppress import RuleNames, Suppressions
from .model.bootstrap_files import BootstrapFiles
from .model.cluster import Cluster, ClusterBuilder
from .model.secrets import SecretInventory, hidden_strings, public_identifiers, secret_variables
from .model.suspend import Skipped
from .rules import CLUSTER, REPOSITORY, Context, Hit, Rule, all_rules, builtin_names

#: the warm cache's side entry of parsed files (load.parsed)
PARSED_SIDE = "parsed"


@dataclass
class LintResult:
    findings: list[Finding]
    summary: dict
    clusters: list[Cluster] = field(default_factory=list)
    # one line per rule that raised (and in which cluster): the run is incomplete (exit 2)
    internal_errors: list[str] = field(default_factory=list)
    # their tracebacks, not yet redacted (printed, redacted, with --debug only)
    tracebacks: list[str] = field(default_factory=list)


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


@dataclass
class EntryPlan:
    entries: list[Entry]
    discovered: set[str]  # entries found in a repository root (not named on the command line)
    notes: list[str]
    synced: list[Entry] = field(default_factory=list)  # every entry a sync of the repository names


def plan_entries(
    paths: list[str],
    fs: RepoFS,
    cache: DocumentCache,
    bootstrap: Bootstrap | None = None,
    limit: int | None = None,
) -> EntryPlan:
    entries: dict[str, Entry] = {}
    discovered: set[str] = set()
    disc: Discovery | None = None
    for path in paths:
        if not os.path.isdir(path):
            raise UsageError(f"{path}: not a directory")
        try:
            rel = fs.relpath(path)
        except OutsideRoot:
            raise UsageError(f"{path}: outside the repository root {fs.root}") from None
        if disc is None:
            try:
                disc = discover(fs, cache, bootstrap, limit)
            except TooManyFiles as exc:
                raise UsageError(f"{exc}: is it a repository? set --root to the repository root") from None
        if rel == "":
            found = find_entries(fs, cache, bootstrap, disc) or [Entry("")]
            discovered.update(e.path for e in found if e.path)
        else:
            found = [entry_for(disc, rel, bootstrap)]
        for e in found:
            entries.setdefault(e.path, e)
    notes = [n for n in (disc.notes() if disc else []) if n.split(":", 1)[0] in {p or "." for p in entries}]
    synced = [disc.entries[k] for k in sorted(disc.entries)] if disc else []
    return EntryPlan([entries[k] for k in sorted(entries)], discovered, notes, synced)


def applied_elsewhere(
    clusters: list[Cluster], candidates: set[str], files_read: dict[str, set[str]]
) -> dict[str, str]:
    """Entries (of ``candidates``) that another cluster applies: entry -> that cluster.

    In a hub-and-spoke repository the hub applies ``clusters/staging`` to a
    spoke (``spec.kubeConfig``): that directory is part of the hub's tree, not
    a cluster of its own, and linting it again would print its findings twice.
    B is part of A when a Kustomization of A applies B's directory, or when
    every file B's render reads is read by A's too (an overlay ``00/`` of a
    ``base/``, a parent directory Flux's generated kustomization takes whole)
    and not the other way round.
    """
    applied: dict[str, set[str]] = {
        c.name: {
            ks.source.directory
            for ks in c.kustomizations.values()
            if not ks.synthetic and ks.source is not None and ks.source.directory is not None
        }
        for c in clusters
    }

    def part_of(b: Cluster, a: Cluster) -> bool:
        if b.entry.path in applied[a.name] and a.entry.path not in applied[b.name]:
            return True
        mine, theirs = files_read.get(b.name, set()), files_read.get(a.name, set())
        return bool(mine) and mine < theirs

    dropped: dict[str, str] = {}
    for b in clusters:
        if b.entry.path not in candidates:
            continue
        for a in clusters:
            if a is not b and a.name not in dropped and part_of(b, a):
                dropped[b.name] = a.name
                break
    return dropped


#: the indexes of a cluster's model (``rules.base.Context``) whose rules a worker runs when
#: a run of one cluster shares its rules (``Linter._split_rules``): the schema check, the
#: costliest (a cold run of gavinmcfall: the schema rule 0.18 s, all the others 0.13 s),
#: then built in one process only. Its rules read the cluster's objects and the config's
#: schema files, never the run's loaded files (:meth:`Linter._split_rules` relies on it)
_SECOND_PROCESS = frozenset({"schemas"})


class Linter:
    def __init__(self, root: str, config: Config, warm: RunCache | None = None, prefetch=None):
        self.root = root
        # a child parsing ahead that the command line started before its imports (load.prefetch)
        self._prefetch = prefetch
        self.config = config
        # the warm-run cache this lint missed (cli): its finer caches are read and written
        # through it; None for --no-cache, fix, diff and in-process callers
        self.warm = warm
        self.fs = RepoFS(root, config.max_file_bytes)
        if warm is not None:  # what the run asks of the tree, for the next run (core.observed)
            from .core.observed import Observations, RecordedHashes

            self.fs.observed = Observations(self.fs.root, warm.file_hashes(), warm.asked_before)
            self.hashes = RecordedHashes(warm.file_hashes(), self.fs.observed)
        self.cache = DocumentCache(self.fs, self._parsed_files())
        self.rules = [r for r in all_rules() if config.rule_enabled(r.name, r.code)]
        # every secret value this run reads is masked in whatever it writes (the command
        # line's error paths too: it collects the redactors of its runs, core.redact.collecting)
        self.redactor = Redactor(self._tainted, lambda: public_identifiers(self.cache))
        self._secrets: SecretInventory | None = None
        self._clusters: list[Cluster] = []
        # one-line diagnostics for stderr (which sync was used, what was left out)
        self.notes: list[str] = []
        self.internal_errors: list[str] = []
        self.render_memo = None  # set by diff (render_memo.BuildMemo)
        self.render_memo_record = True
        self.kept = None  # the builds kept between runs, when this run used them (buildcache)
        # without a warm cache of its own: one whose kept builds to reuse, with the hashes of
        # this run's tree (fix's lints of the fixed tree, see fix._breakage); never written
        self.builds_from: tuple[RunCache, dict[str, str]] | None = None
        # the records kept between runs with a warm cache that the run looks up and adds to
        # (core.records.KeptPayloads), in this order: cel-python's and the schema rule's
        # verdicts (celcache), the findings' field positions (positioncache)
        self.kept_payloads: tuple | None = None
        self._tracebacks: list[str] = []
        self._details: list[str] = []

    def build_clusters(self, paths: list[str]) -> list[Cluster]:
        source = (self.warm, self.hashes) if self.warm is not None else self.builds_from
        if source is not None and self.render_memo is None:  # builds kept between runs
            from .buildcache import KeptBuilds

            kept, notes = KeptBuilds(*source), list(self.notes)
            clusters = self._build_clusters(paths, kept)
            if kept.exact:
                self.kept = kept
                return clusters
            # afresh, without
            self.cache = DocumentCache(self.fs, self._parsed_files(), reuse=self.cache.reuse)
            self.notes = notes
        return self._build_clusters(paths, None)

    def _build_clusters(self, paths: list[str], kept) -> list[Cluster]:
        renderer = make_renderer(self.config, self.fs, self.cache)
        if self.render_memo is not None:  # diff: builds shared by head and base (render_memo.py)
            renderer = self.render_memo.wrap(renderer, self.fs, record=self.render_memo_record)
        elif kept is not None:
            renderer = kept.wrap(renderer, self.fs)
        builder = ClusterBuilder(self.fs, self.cache, renderer, self.config)
        self._parse_ahead()
        try:
            return self._build_planned(paths, builder, kept)
        finally:
            self._stop_parsing_ahead()

    def _build_planned(self, paths: list[str], builder: ClusterBuilder, kept) -> list[Cluster]:
        plan = plan_entries(paths, self.fs, self.cache, self.config.bootstrap, self.config.walk_limit)
        self.notes.extend(plan.notes)
        candidates = {e.path for e in plan.entries if e.path in plan.discovered and e.found_by != CONFIG}
        clusters: list[Cluster] = []
        files_read: dict[str, set[str]] = {}
        # not with candidates: applied_elsewhere compares the files each one's render read,
        # and a build reuses what an earlier cluster's left in the renderer without reading
        # them again: which files count depends on the clusters built before in one process
        keeping = kept.renderer if kept is not None else None
        shares = self._shares(len(plan.entries)) if not candidates else None
        try:
            if shares is not None:  # the others' clusters, built from the run as it is now
                self._stop_parsing_ahead()  # the workers hold what it handed over, nothing more
                shares.fork(lambda part: self._build_share(builder, [plan.entries[i] for i in part], keeping))
            for entry in plan.entries[: shares.start if shares is not None else None]:
                clusters.append(self._build_one(builder, entry, files_read))
            if shares is not None:
                if keeping is not None:  # while the workers still build, as they do theirs
                    from .buildcache import prepare_recorded

                    prepare_recorded(keeping, 0)
                self._merge_builds(shares.results(), clusters, files_read, keeping)
        finally:
            if shares is not None:
                shares.stop()
        for entry in plan.entries[len(clusters) :]:  # all of them without workers, or after one failed
            clusters.append(self._build_one(builder, entry, files_read))
        for c in clusters:
            c.other_entries = [e for e in plan.synced if e.path != c.entry.path]
        dropped = applied_elsewhere(clusters, candidates, files_read)
        for name, by in sorted(dropped.items()):
            self.notes.append(f"{name}: part of what {by} applies, linted as part of it")
        self._clusters = [c for c in clusters if c.name not in dropped]
        self._load_linted_files(paths)
        return self._clusters

    def _parse_ahead(self) -> None:
        """A child process parsing the repository's YAML files while this run builds
        (load.prefetch): with a second CPU, the built-in renderer and the tree as it is on
        disk, when no parses kept by an earlier run (warm cache) stand in for them. The
        command line may have started it already, before its imports."""
        early, self._prefetch = self._prefetch, None
        cache = self.cache
        if not self._may_parse_ahead():
            if early is not None:
                early.stop()
            return
        if early is not None and early.root == self.root and early.max_file_bytes == self.fs.max_file_bytes:
            cache.prefetch = early
            return
        if early is not None:
            early.stop()
        from .load import prefetch

        cache.prefetch = prefetch.start(self.root, self.fs.max_file_bytes)

    def _may_parse_ahead(self) -> bool:
        """The conditions of :meth:`_parse_ahead`: what this run parses is what one process
        parses from the disk (no overlay, no diff, no external renderer, budget left)."""
        cache = self.cache
        if type(self.fs) is not RepoFS or type(cache) is not DocumentCache or self.render_memo is not None:
            return False
        if self.config.renderer != "builtin" or cache.reuse is not None or cache.budget.exceeded is not None:
            return False
        return cache.parsed is None or not cache.parsed.stored

    def _stop_parsing_ahead(self) -> None:
        """The child ends (before workers fork: they take what it handed over, no more)."""
        if self.cache.prefetch is not None:
            self.cache.prefetch.stop()

    def _build_one(self, builder: ClusterBuilder, entry: Entry, files_read: dict[str, set[str]]) -> Cluster:
        # the files each cluster's render reads (the cache's record is per run)
        before, self.cache.used = self.cache.used, set()
        cluster = builder.build(entry)
        files_read[cluster.name] = self.cache.used
        self.cache.used = before | self.cache.used
        return cluster

    # -- clusters in worker processes (core.forked) ---------------------------------------
    def _shares(self, count: int):
        """The ``count`` clusters cut into shares for worker processes, or None: one process
        (GITOPS_LINT_JOBS=1, one CPU, no ``fork``), or a run whose result could differ from
        one process's. The workers are forked from this run, so they must hold what a
        single process would: not a diff's shared builds or an external renderer (fix's
        files overlaid in memory, ``fix.OverlayFS``, are forked with it). A warm cache's
        miss shares them: what a worker records for the next run (parsed files, kept
        builds) is merged by :meth:`_merge_builds`."""
        if count < 2 or self.render_memo is not None:
            return None
        if self.config.renderer != "builtin" or not isinstance(self.fs, RepoFS):
            return None
        if type(self.cache) is not DocumentCache:
            return None
        from .core.forked import Shares, jobs

        parts = jobs(count)
        return Shares(count, parts) if parts > 1 else None

    def _build_share(self, builder: ClusterBuilder, entries: list[Entry], keeping=None) -> tuple:
        """In a worker: build ``entries`` and say, for each, what the parent needs to take
        it over as if it had built it: the cluster, the files its render read, the files
        it loaded first (in the order it did), and its spending of the run's budget; and,
        on a warm cache's miss, what the share recorded for the next run (``keeping``: the
        run's ``render.memo.KeepingRenderer``, or None)."""
        cache, budget = self.cache, self.cache.budget
        manifests = set(cache.manifests)
        parsed = cache.parsed.mark() if cache.parsed is not None else None
        kept = keeping.mark() if keeping is not None else None
        asked = self.fs.observed.mark() if self.fs.observed is not None else None
        out = []
        for entry in entries:
            count, nodes, objects = len(cache.files), budget.nodes, budget.objects
            files_read: dict[str, set[str]] = {}
            cluster = self._build_one(builder, entry, files_read)
            loaded = list(itertools.islice(cache.files.items(), count, None))
            rendered = budget.nodes - nodes - sum(f.nodes for _, f in loaded)
            out.append((cluster, files_read[cluster.name], loaded, budget.objects - objects, rendered))
        if keeping is not None:  # encoded here, in parallel with the others: the parent only checks
            from .buildcache import prepare_recorded

            prepare_recorded(keeping, kept[0])
        recorded = (
            cache.parsed.since(parsed) if parsed is not None else None,
            keeping.since(kept) if keeping is not None else None,
            self.fs.observed.since(asked) if asked is not None else None,
        )
        return out, cache.manifests - manifests, recorded

    def _merge_builds(
        self, shares: list | None, clusters: list[Cluster], files_read: dict[str, set[str]], keeping=None
    ) -> None:
        """Take over the workers' clusters (in order, after this process's own), with what
        one process building them all would hold: their files in the document cache, in
        the order it would have loaded them, the files they read, the budget spent, and
        what they recorded for the next run (parsed files, kept builds: ``keeping``).
        Nothing is taken when a worker failed, its record cannot be merged (a worker's
        kept builds not exact) or the budget would run out: the caller builds the rest
        itself (and a run over budget stops where one process's would)."""
        if shares is None:
            return
        parsed = self.cache.parsed
        for _, _, (parsed_share, kept_share, _) in shares:
            if (parsed is None) != (parsed_share is None) or (keeping is None) != (kept_share is None):
                return
            if kept_share is not None and not keeping.mergeable(kept_share):
                return
        budget = self.cache.budget
        nodes, objects = budget.nodes, budget.objects
        files: dict = {}
        for share, _, _ in shares:
            for _, _, loaded, spent_objects, spent_nodes in share:
                for rel, lf in loaded:
                    if rel not in files and rel not in self.cache.files:
                        files[rel] = lf
                        nodes += lf.nodes
                nodes += spent_nodes
                objects += spent_objects
        if nodes > budget.max_nodes or objects > budget.max_objects:
            return
        self.cache.adopt(files)
        budget.nodes, budget.objects = nodes, objects
        for share, manifests, (parsed_share, kept_share, asked) in shares:
            if self.fs.observed is not None:
                self.fs.observed.merge(asked)
            if parsed is not None:
                parsed.merge(parsed_share)
            if keeping is not None:
                keeping.merge(kept_share)
            self.cache.manifests |= manifests
            for cluster, read, _, _, _ in share:
                files_read[cluster.name] = read
                self.cache.used |= read
                clusters.append(cluster)

    def _load_linted_files(self, paths: list[str]) -> None:
        """Every YAML file under the linted paths, rendered or not, for the rules that
        judge files as written (a plaintext Secret in Git is a leak whether or not Flux
        applies it); the set must not depend on what discovery or a render happened
        to read first."""
        for path in paths:
            try:
                rel = self.fs.relpath(path)
            except OutsideRoot:
                continue
            for name in self.fs.walk_files(rel):
                self.cache.load(name, used=False)

    def _tainted(self):
        """Every value read from a Secret, or standing in for one (see gitops_lint.core.redact)."""
        yield from hidden_strings(self.secrets.values(), self._rendered_secrets())
        yield from secret_variables(self._clusters, self.config.global_variables)
        for ident, values in self.config.variables.items():
            if ident.startswith("Secret/"):  # the config's stand-ins for a Secret's values
                yield from values.values()

    @property
    def secrets(self) -> SecretInventory:
        """The run's secret inventory, shared by its rules and its redactor (of the run's
        current files: ``fix`` swaps in an overlay before the run)."""
        if self._secrets is None or self._secrets.cache is not self.cache:
            self._secrets = SecretInventory(self.fs, self.cache)
        return self._secrets

    def _rendered_secrets(self) -> list[dict]:
        return [ro.obj for c in self._clusters for ro in c.objects if ro.obj.get("kind") == "Secret"]

    # -- parsed files kept between runs (load.parsed), through the warm cache's side entry --
    def _parsed_files(self) -> ParsedFiles | None:
        if self.warm is None:
            return None
        return ParsedFiles.from_records(self.hashes, self.warm.read_records(PARSED_SIDE))

    def store_warm(self) -> None:
        """Keep this run's parsed files and kustomize builds for the next run (cli, after the
        run is stored), never a Secret's value: load.parsed and buildcache refuse what they
        can see holds one, and are handed where the run's secret inventory found a value
        (file and document, ``buildcache.SecretPlaces``) or a rendered Secret was written,
        and every value the redactor masks. When
        those are not known (a secret source raised; the redactor's refresh swallowed it),
        nothing is stored and the printed result stands."""
        if self.warm is None:
            return
        observed = self.fs.observed
        with observed.aside() if observed is not None else contextlib.nullcontext():
            self._store_warm()

    def _store_warm(self) -> None:
        from .buildcache import SecretPlaces

        try:
            values = self.secrets.values()
            # where a value came from, and the file it was read in (a generator's source)
            secrets = SecretPlaces(
                frozenset(
                    [(v.origin.file, v.origin.doc_index) for v in values if v.origin is not None]
                    + [
                        (ro.origin.file, ro.origin.doc_index)
                        for c in self._clusters
                        for ro in c.objects
                        if ro.obj.get("kind") == "Secret"
                    ]
                ),
                frozenset(v.file for v in values if v.file is not None),
            )
            tainted = [v if isinstance(v, str) else str(v) for v in self._tainted() if v is not None]
        except Exception:  # noqa: BLE001 - see the docstring
            return
        holds = tainted_matcher(tainted, self.redactor.never_masked)  # built once, for the stores
        parsed = self.cache.parsed
        if parsed is not None:
            shards = parsed.shards(secrets.files, holds)
            if shards:
                self.warm.write_records(PARSED_SIDE, parsed.stored, shards)
        if self.kept is not None:
            self.kept.store(self.fs, secrets, holds)
        for kept in self.kept_payloads or ():
            kept.store(self.warm, holds)

    def run(self, paths: list[str]) -> LintResult:
        if self.warm is None:
            return self._run(paths)
        from .celcache import SCHEMA_SIDE, SIDE, KeptVerdicts
        from .positioncache import SIDE as POSITIONS_SIDE
        from .positioncache import KeptPositions
        from .schema import cel, check

        positions = KeptPositions(self.warm.read_records(POSITIONS_SIDE), self.hashes)
        self.kept_payloads = (
            *(KeptVerdicts(self.warm.read_records(name), name) for name in (SIDE, SCHEMA_SIDE)),
            positions,
        )
        cel.kept, check.kept = self.kept_payloads[:2]
        self.cache.kept_positions = positions
        try:
            return self._run(paths)
        finally:
            cel.kept = check.kept = None

    def _run(self, paths: list[str]) -> LintResult:
        findings: list[Finding] = []
        try:
            clusters = self.build_clusters(paths)
        except BudgetExceeded as exc:  # one finding; what was read so far is still judged
            clusters = self._clusters  # complete when only the linted files' scan ran out
            yaml_syntax = next(r for r in all_rules() if r.name == "yaml-syntax")
            findings.append(
                self._finding(yaml_syntax, Hit(exc.message(), file=exc.file), Severity.ERROR, None)
            )
        bootstrap = BootstrapFiles(self.fs, self.cache)  # read once for every cluster of the run
        findings.extend(self._cluster_findings(clusters, bootstrap))
        repo_ctx = Context(self.fs, self.cache, self.config, secrets=self.secrets, bootstrap=bootstrap)
        for rule in self.rules:
            if rule.scope == REPOSITORY:
                findings.extend(self._findings(rule, repo_ctx, None))
        findings = self._filter(findings)
        self.redactor.refresh()
        for f in findings:
            self.redactor.redact_finding(f)
        for line, detail in zip(self.internal_errors, self._details):
            text = self.redactor.redact(f"{line}: {detail}" if detail else line)
            text = text if len(text) <= 300 else text[:300] + "..."
            self.notes.append(
                f"{text} (rerun with --debug; its findings may be incomplete, the other rules ran)"
            )
        return LintResult(
            findings,
            self._summary(clusters, findings),
            clusters,
            list(self.internal_errors),
            list(self._tracebacks),
        )

    def _rules_of(self, cluster: Cluster, bootstrap: BootstrapFiles, rules=None) -> list[Finding]:
        """The findings of ``rules`` (every enabled one when None) on ``cluster``."""
        ctx = Context(
            self.fs, self.cache, self.config, cluster, build_graph(cluster), self.secrets, bootstrap
        )
        skipped = Skipped.of(cluster)  # Flux applies nothing under a suspended Kustomization
        out: list[Finding] = []
        for rule in self.rules if rules is None else rules:
            if rule.scope == CLUSTER and rule.applies_to(ctx):
                out.extend(self._findings(rule, ctx, cluster, skipped))
        return out

    def _cluster_findings(self, clusters: list[Cluster], bootstrap: BootstrapFiles) -> list[Finding]:
        """The cluster rules' findings, cluster by cluster; shared with worker processes
        when :meth:`_shares` allows: the clusters, or, for a run of one cluster, its rules
        (:meth:`_split_rules`). A cluster's rules read the whole run's files (the
        secret inventory, the CRD files, the bootstrap files), and in one process they see
        those an earlier cluster's rules loaded: the workers' findings are taken only when
        no rule of any process loaded a file and none raised; otherwise this process does
        the rest itself, in order."""
        if len(clusters) == 1 and self.cache.budget.exceeded is None:
            return self._split_rules(clusters[0], bootstrap)
        # the first cluster's rules first, here: they load what the run's rules share (the
        # bootstrap files a helmfile names, ...), as they do in one process; the rest is shared
        rest = clusters[1:]
        shares = self._shares(len(rest)) if self.cache.budget.exceeded is None else None
        findings: list[Finding] = []
        done = 0
        try:
            if shares is not None:
                findings.extend(self._rules_of(clusters[0], bootstrap))
                done = 1
                shares.fork(lambda part: self._rules_share([rest[i] for i in part], bootstrap))
                files = len(self.cache.files)
                for cluster in rest[: shares.start]:
                    findings.extend(self._rules_of(cluster, bootstrap))
                    done += 1
                taken = self._take_shares(shares.results(), files)
                if taken is not None:
                    findings.extend(taken)
                    done = len(clusters)
        finally:
            if shares is not None:
                shares.stop()
        for cluster in clusters[done:]:
            findings.extend(self._rules_of(cluster, bootstrap))
        return findings

    def _split_rules(self, cluster: Cluster, bootstrap: BootstrapFiles) -> list[Finding]:
        """The findings of the one cluster of a run, its rules shared by two processes when
        :meth:`_shares` allows: a worker runs those that read the schema check
        (:data:`_SECOND_PROCESS`, by :attr:`rules.base.Rule.reads`), this process the others,
        at once; a cold run's rules are a fifth to a third of it.

        The worker's findings are taken when its rules loaded no file and none raised, as the
        clusters' are (above), but whatever this process's rules load meanwhile (the CRD
        index's bootstrap files, the other syncs' definitions): the worker's rules read the
        cluster's objects and the config's schema files, not the run's loaded files, so what
        is loaded after the fork cannot change them (in one process some of those loads come
        before them). Otherwise this process runs every rule again, in order, as one
        process does. The report sorts the findings, so their order here does not show."""
        # built-in rules only: that they read nothing else is checked (tests/test_workers.py),
        # of a plugin's rule it is not
        builtin = builtin_names()
        second = [
            r for r in self.rules if r.scope == CLUSTER and r.reads & _SECOND_PROCESS and r.name in builtin
        ]
        first = [r for r in self.rules if r.scope == CLUSTER and r not in second]
        shares = self._shares(2) if second and first and not self._kept_schema_verdicts() else None
        if shares is None:
            return self._rules_of(cluster, bootstrap)
        errors = len(self.internal_errors), len(self._details), len(self._tracebacks)
        try:
            shares.fork(lambda part: self._rules_share([cluster], bootstrap, second))
            findings = self._rules_of(cluster, bootstrap, first)
            taken = self._take_shares(shares.results(), None)  # see the docstring
            if taken is not None:
                return findings + taken
        finally:
            shares.stop()
        # as one process: every rule in order, its internal errors in that order (what the
        # first ones loaded stays loaded; a rule's findings are a function of the files)
        del self.internal_errors[errors[0] :], self._details[errors[1] :], self._tracebacks[errors[2] :]
        return self._rules_of(cluster, bootstrap)

    def _kept_schema_verdicts(self) -> bool:
        """Whether the run has schema verdicts kept by an earlier one (celcache): then the
        schema check takes most objects' verdicts and is a few milliseconds, less than the
        fork and the hand-over cost (after a change on gavinmcfall and rwlove, +5 and +39 ms
        split), and :meth:`_split_rules` runs every rule here."""
        return self.kept_payloads is not None and len(self.kept_payloads[1].side) > 0  # see __init__

    def _take_shares(self, found: list | None, files: int | None) -> list[Finding] | None:
        """The workers' findings, what their rules recorded taken over (:meth:`_rules_share`);
        None (nothing taken) when a worker failed, a worker's rule loaded a file or raised, or
        this process's rules loaded one (this one had ``files`` when it forked them; None:
        not asked, see :meth:`_split_rules`)."""
        if found is None or (files is not None and len(self.cache.files) != files):
            return None
        if not all(loaded == 0 and raised == 0 for _, loaded, raised, _, _, _, _ in found):
            return None
        out: list[Finding] = []
        for share, _, _, used, manifests, payloads, asked in found:
            if self.fs.observed is not None:
                self.fs.observed.merge(asked)
            out.extend(f for cluster_findings in share for f in cluster_findings)
            self.cache.used |= used
            self.cache.manifests |= manifests
            if self.kept_payloads is not None and payloads is not None:
                for kept, (new, used) in zip(self.kept_payloads, payloads):
                    kept.merge(new, used)
        return out

    def _rules_share(self, clusters: list[Cluster], bootstrap: BootstrapFiles, rules=None) -> tuple:
        """In a worker: the clusters' findings (of ``rules``, every enabled one when None),
        whether its rules loaded a file or raised, and what they added to the run's records
        (files used, CEL and schema verdicts and positions to keep)."""
        used, manifests = set(self.cache.used), set(self.cache.manifests)
        files, errors = len(self.cache.files), len(self.internal_errors)
        asked = self.fs.observed.mark() if self.fs.observed is not None else None
        for kept in self.kept_payloads or ():  # this share's own, not the parent's before the fork
            kept.new, kept.used = {}, set()
        share = [self._rules_of(cluster, bootstrap, rules) for cluster in clusters]
        return (
            share,
            len(self.cache.files) - files,
            len(self.internal_errors) - errors,
            self.cache.used - used,
            self.cache.manifests - manifests,
            [(kept.new, kept.used) for kept in self.kept_payloads]
            if self.kept_payloads is not None
            else None,
            self.fs.observed.since(asked) if asked is not None else None,
        )

    # -- hits to findings --------------------------------------------------
    def _findings(
        self, rule: Rule, ctx: Context, cluster: Cluster | None, skipped: Skipped | None = None
    ) -> list[Finding]:
        """The rule's findings; a rule that raises is isolated, not the end of the run.

        A bug in one rule (a built-in one meeting input nobody foresaw, or a
        plugin) must not take the other rules' findings with it. Its findings
        made before it raised are kept, and one info finding under its own
        name and code says it did not finish: an internal error is what
        gitops-lint could not check, not a claim about Flux (DESIGN,
        "Certainty"), so it is info; the run still exits with status 2 (an
        internal error, see cli), so CI never passes a run that skipped a
        check. The exception's text goes through the run's redaction, like
        every message, and is cut short; the traceback only with ``--debug``.
        """
        default = self.config.severity_for(rule.name, rule.code, rule.severity)
        out: list[Finding] = []
        try:
            for hit in rule.check(ctx):
                if skipped is not None and skipped.covers(hit.origin, hit.file, hit.line):
                    continue
                out.append(self._finding(rule, hit, default, cluster))
        except Exception as exc:  # noqa: BLE001 - any bug of a rule, see above
            out.append(self._internal_error(rule, exc, cluster))
        return out

    def _internal_error(self, rule: Rule, exc: Exception, cluster: Cluster | None) -> Finding:
        import traceback

        from .report.text import printable

        where = f" on cluster {cluster.name}" if cluster is not None else ""
        line = f"internal error in rule {rule.name} ({rule.code}){where}: {type(exc).__name__}"
        # the exception's text only on stderr, redacted at the end of the run (when every
        # secret value is known) and only then cut short
        self.internal_errors.append(line)
        self._details.append(printable(str(exc)))
        self._tracebacks.append(traceback.format_exc())
        return Finding(
            rule=rule.name,
            code=rule.code,
            severity=Severity.INFO,
            message=f"{line}: this rule did not finish, its findings may be incomplete "
            "(a bug of gitops-lint, not of the repository; the other rules ran)",
            file=(cluster.entry.path or None) if cluster is not None else None,
            line=1,
            cluster=cluster.name if cluster is not None else None,
        )

    def _finding(self, rule: Rule, hit: Hit, default: Severity, cluster: Cluster | None) -> Finding:
        severity = hit.severity if hit.severity is not None else default
        if hit.file is not None:
            file, line, column = hit.file, hit.line or 1, hit.column or 1
        elif hit.origin is not None:
            file = hit.origin.file
            if hit.path:
                line, column = self.cache.finding_position(hit.origin, hit.path)
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

    def _suppressed(self, f: Finding, comments: Suppressions) -> bool:
        return self.config.is_ignored(f.rule, f.code, f.file) or comments.covers(f)

    def _filter(self, findings: list[Finding]) -> list[Finding]:
        seen = set()
        out = []
        comments = Suppressions(self.fs, self.cache, RuleNames(all_rules))
        for f in sorted(findings, key=Finding.sort_key):
            # the same finding in a shared file stays once per cluster (JSON's `cluster`);
            # the text report prints it once with the clusters it concerns
            key = (f.rule, f.file, f.line, f.column, f.message, f.object, f.cluster)
            if key in seen or self._suppressed(f, comments):
                continue
            seen.add(key)
            out.append(f)
        return out

    def _summary(self, clusters: list[Cluster], findings: list[Finding]) -> dict:
        kustomizations = set()
        helmreleases = set()
        for c in clusters:
            kustomizations.update((c.name, k) for k, ks in c.kustomizations.items() if not ks.synthetic)
            # the objects Cluster.helmreleases types (model.flux.helm_release), by the same ref,
            # without typing them: a worker's cluster arrives untyped, and only counted here
            helmreleases.update(
                (c.name, *ro.ref.key()) for ro in c.objects if is_kind(ro.obj, FLUX_HELM_GROUP, "HelmRelease")
            )
        return {
            "files": len(self.cache.files),
            "documents": sum(len(f.documents) for f in self.cache.files.values()),
            "kustomizations": len(kustomizations),
            "helmreleases": len(helmreleases),
            "errors": sum(1 for f in findings if f.severity == Severity.ERROR),
            "warnings": sum(1 for f in findings if f.severity == Severity.WARNING),
        }
