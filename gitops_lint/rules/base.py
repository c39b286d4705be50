"""What a rule is, and what it receives.

A rule is data (name, code, default severity, one-line summary) plus a
``check`` function. The check receives a :class:`Context` (the whole model of
one cluster, or of the repository for file-level rules) and yields
:class:`Hit`s: a message and where it is. It never opens files or parses
YAML, never decides about suppression, and never formats output: the runner
turns hits into findings with file, line and column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from ..core.data import ObjectRef, Origin, RenderedObject, Severity
from ..core.errors import InternalError

if TYPE_CHECKING:
    from ..core.fs import RepoFS
    from ..graph.digraph import DiGraph
    from ..load.config import Config
    from ..load.loader import DocumentCache
    from ..model.bootstrap_files import BootstrapFiles
    from ..model.cluster import Cluster, FluxKustomization
    from ..model.crds import CrdIndex, ReleaseCharts
    from ..model.flux_version import FluxTarget
    from ..model.secrets import SecretInventory
    from ..schema.check import ClusterSchemas

CLUSTER = "cluster"
REPOSITORY = "repository"


@dataclass(frozen=True)
class Hit:
    message: str
    origin: Origin | None = None
    path: tuple = ()  # field path inside the document at origin, for its line
    object: ObjectRef | None = None
    severity: Severity | None = None  # None: the rule's configured severity
    file: str | None = None  # explicit position, when there is no document
    line: int | None = None
    column: int | None = None


@dataclass
class Context:
    """What a rule reads: the run's files and config, and one cluster's model.

    The indexes several rules share are typed properties built on first use
    (``functools.cached_property``) from plain data by the stage that owns
    them, and kept for the other rules of the same cluster: a run whose
    enabled rules never ask for one never builds it. A new index is a new
    property here, not a key in a dict filled by whichever rule asks first.
    """

    fs: RepoFS
    cache: DocumentCache
    config: Config
    cluster: Cluster | None = None
    graph: DiGraph | None = None
    # the run's secret inventory, shared by every context of the run (and its redactor);
    # None: this context builds its own on first use
    secrets: SecretInventory | None = None
    # the run's bootstrap files (helmfiles, Terraform, Talos), read once for every
    # cluster; None: this context reads its own on first use
    bootstrap: BootstrapFiles | None = None

    @cached_property
    def crd_index(self) -> CrdIndex:
        """Which kinds the cluster's CRDs, charts and packages provide (model.crds)."""
        from ..model.crds import build_crd_index

        return build_crd_index(
            self._cluster, self.fs, self.cache, self.config, self.bootstrap_files, self.release_charts
        )

    @cached_property
    def custom_objects(self) -> list[tuple[RenderedObject, str, str, FluxKustomization]]:
        """(object, group, kind, its Kustomization) of every applied object of a kind that
        is not built in (model.crds.custom_objects), for missing-crd and crd-order."""
        from ..model.crds import custom_objects

        return list(custom_objects(self._cluster))

    @cached_property
    def release_charts(self) -> ReleaseCharts:
        """The chart of each HelmRelease of the cluster, looked up once for the CRD index
        and the Flux version (model.crds)."""
        from ..model.crds import ReleaseCharts

        return ReleaseCharts(self._cluster)

    @cached_property
    def bootstrap_files(self) -> BootstrapFiles:
        """What the repository's bootstrap files say (model.bootstrap_files): the run's own
        when it handed them over, the same for every cluster."""
        if self.bootstrap is not None:
            return self.bootstrap
        from ..model.bootstrap_files import BootstrapFiles

        return BootstrapFiles(self.fs, self.cache)

    @cached_property
    def flux_version(self) -> FluxTarget:
        """The Flux the cluster runs, and whether its substitution is strict (model.flux_version)."""
        from ..model.flux_version import detect

        return detect(
            self.cluster, self.fs, self.config, self.release_charts if self.cluster is not None else None
        )

    @cached_property
    def schemas(self) -> ClusterSchemas:
        """The schema check of every rendered object, done once for the three schema rules."""
        from ..schema.check import validate_cluster

        return validate_cluster(self._cluster, self.fs, self.config)

    @cached_property
    def objects_by_kind(self) -> dict[str, list[RenderedObject]]:
        """The cluster's rendered objects by ``kind`` (any group), in the cluster's order."""
        out: dict[str, list[RenderedObject]] = {}
        for ro in self._cluster.objects:
            kind = ro.obj.get("kind")
            out.setdefault(kind if isinstance(kind, str) else "", []).append(ro)
        return out

    def objects_of(self, *kinds: str) -> list[RenderedObject]:
        """The rendered objects of these kinds (any group), in the cluster's order."""
        if len(kinds) == 1:
            return self.objects_by_kind.get(kinds[0], [])
        wanted = set(kinds)
        return [ro for ro in self._cluster.objects if ro.obj.get("kind") in wanted]

    @cached_property
    def other_sync_definitions(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        """(kind, name) -> [(file, namespace)] of the objects written under the directories
        of the repository's other sync entries (discover.sources.definitions_under)."""
        from ..discover.sources import definitions_under

        dirs = [e.path for e in self._cluster.other_entries]
        return definitions_under(self.fs, self.cache, dirs)

    @cached_property
    def secret_inventory(self) -> SecretInventory:
        """The run's secret values (model.secrets): the run's own when it handed one over."""
        if self.secrets is not None:
            return self.secrets
        from ..model.secrets import SecretInventory

        return SecretInventory(self.fs, self.cache)

    @property
    def _cluster(self) -> Cluster:
        if self.cluster is None:
            raise InternalError("a repository-scope rule asked for a cluster's index")
        return self.cluster


@dataclass(frozen=True)
class Rule:
    name: str
    code: str
    severity: Severity
    summary: str
    check: Callable[[Context], Iterable[Hit]]
    scope: str = CLUSTER
    # the object kinds (any group) a cluster rule's findings can only come from, as
    # kube-linter's checks declare theirs: the runner does not call the rule on a cluster
    # without any of them. None: the rule looks at anything.
    kinds: frozenset[str] | None = None
    # the shared indexes of :class:`Context` the check reads (its cached properties: "schemas",
    # "crd_index", ...): a hint for the runner, which runs the built-in rules that read the
    # schema check of one cluster in a second process (lint.Linter._split_rules; a plugin's
    # rules stay in the run's). Findings never depend on it; tests/test_context.py keeps the
    # built-in rules' hints true.
    reads: frozenset[str] = frozenset()

    def applies_to(self, ctx: Context) -> bool:
        """Is there anything of :attr:`kinds` in ctx's cluster for this rule to look at?"""
        if self.kinds is None or ctx.cluster is None:
            return True
        return any(kind in ctx.objects_by_kind for kind in self.kinds)
