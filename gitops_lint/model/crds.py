"""The CRD index of one cluster: for every API group and kind, who makes the API server serve it.

A custom resource can be applied only once its CustomResourceDefinition is
established. In a Flux repository that definition arrives in one of these ways,
each a :class:`Provider`:

- ``crd``: a CustomResourceDefinition rendered by a Flux Kustomization (Flux
  applies and waits for CRDs first within one Kustomization, FLUX-SEMANTICS.md
  §2.5, so objects of the same Kustomization are fine);
- ``helm``: a HelmRelease whose chart is known to install the group
  (``schemas/crd-charts.yaml``), unless its CRDs are switched off
  (``install.crds: Skip``, legacy ``install.skipCRDs``, or chart values);
- ``xrd``: a Crossplane CompositeResourceDefinition, which makes Crossplane
  create the CRD of its composite kind and of its claim kind;
- ``package``: a Crossplane Provider package known to install groups;
- ``remote``: a Kustomization whose content is not in the repository (an
  OCIRepository, a remote kustomize resource) but whose URL the table knows;
- ``config``: the ``crd-providers:`` of the configuration;
- ``bootstrap``: a helmfile in the repository that installs charts before Flux
  starts (the home-ops bootstrap: ``helmfile ... --include-crds``);
- ``platform``: groups served by the platform itself (Talos).

Some providers are *opaque*: their content is not in the repository (a
Kustomization of an external GitRepository/OCIRepository, a HelmRelease of a
chart the table does not know, a Crossplane package the table does not know,
a bootstrap helmfile release with a templated chart). Such a provider may
serve any group, so a custom resource of an unknown group is *unverifiable*,
not missing (:meth:`CrdIndex.unverifiable`). When the provider's name or URL
makes the group evident (``crds-external-secrets`` applying
``github.com/external-secrets/...``, a chart ``toolhive-operator-crds``), it is
returned by ``CrdIndex.providers(..., inferred=True)`` with ``certain=False``:
crd-order may order on it, but nothing may turn it into an error of its own.

Built-in Kubernetes and Flux kinds are not in the index: see :mod:`kinds`.

The index keeps the definitions themselves (:class:`CrdDefinition`, with scope
and served versions and the object) so schema validation reuses the same
walk over the cluster. Built once per cluster, lazily, as the rules' ``Context.crd_index``;
what the repository's bootstrap files provide (helmfiles, Terraform, Talos) is
read once per run (:mod:`gitops_lint.model.bootstrap_files`) and only turned
into providers here.
"""

from __future__ import annotations

import json
import posixpath
from collections import defaultdict
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

import yaml

from ..core.data import (
    FLUX_KS_GROUP,
    ObjectRef,
    Origin,
    RenderedObject,
    group_of,
)
from ..core.data_files import bundled
from ..core.fs import content_hash
from ..discover.sources import EXTERNAL as EXTERNAL_SOURCE
from ..load.loader import FastLoader
from ..render.types import EXTERNAL as EXTERNAL_ISSUE
from .bootstrap_files import BootstrapFiles, TalosInline, TalosURL, TerraformRelease
from .cluster import source_values
from .crd_evidence import evident, near
from .flux import ChartIdentity, HelmRelease, oci_chart_name
from .flux import chart_identity as flux_chart_identity
from .kinds import BUILTIN_KINDS, builtin_namespaced, is_builtin

if TYPE_CHECKING:
    from ..core.fs import RepoFS
    from ..load.config import Config
    from ..load.loader import DocumentCache
    from .cluster import Cluster, FluxKustomization

CRD_GROUP = "apiextensions.k8s.io"
XRD_GROUP = "apiextensions.crossplane.io"
PKG_GROUP = "pkg.crossplane.io"

# Provider.how values
CRD = "crd"
HELM = "helm"
XRD = "xrd"
PACKAGE = "package"
REMOTE = "remote"
CONFIG = "config"
BOOTSTRAP = "bootstrap"
PLATFORM = "platform"
PREINSTALLED = "pre-installed"  # a CNI chart, a crd-providers `pre-installed` entry

# providers that exist before Flux applies anything: no ordering to check
GLOBAL = frozenset({BOOTSTRAP, PLATFORM, PREINSTALLED})

# crd-providers values that declare a group installed before Flux (any value
# that is not Kind/namespace/name has always meant "outside Git, no ordering")
PREINSTALLED_VALUES = frozenset({"pre-installed", "preinstalled", "bootstrap"})


@dataclass(frozen=True)
class CrdDefinition:
    """A kind defined in the repository (a CRD, or a kind an XRD defines)."""

    group: str
    kind: str
    plural: str
    namespaced: bool
    served_versions: tuple[str, ...]
    obj: dict  # the CustomResourceDefinition or CompositeResourceDefinition
    origin: Origin
    applied_by: ObjectRef | None
    via: str = CRD  # CRD or XRD (then the kind is the composite's or the claim's)


@dataclass(frozen=True)
class Provider:
    """One way the API server comes to serve a group/kind."""

    how: str
    # the Flux Kustomization that applies the provider (the ordering anchor), if any
    kustomization: ObjectRef | None = None
    # the CRD, HelmRelease, XRD or Provider package object
    object: ObjectRef | None = None
    origin: Origin | None = None
    detail: str = ""  # chart name, file, URL: for messages
    # True when the CRD appears only once a controller has acted (a chart
    # installed, an XRD established): dependents need the Kustomization to be
    # Ready only after that, through `wait: true` or a health check
    needs_health: bool = False
    release_namespace: str = ""  # a HelmRelease's target namespace (its Deployments live there)
    target: str = ""  # the cluster the provider is applied to ("" = this one)
    # False when the groups are inferred from the provider's name or URL (an
    # opaque provider): a hint for ordering, never a proof
    certain: bool = True
    # names and URLs that may make a group evident (opaque providers only)
    names: tuple[str, ...] = ()

    @property
    def is_global(self) -> bool:
        return self.how in GLOBAL or (self.how == CONFIG and self.kustomization is None)

    def describe(self) -> str:
        obj = self.object
        if self.how == HELM and obj is not None:
            if not self.certain:
                if not self.detail:
                    return f"HelmRelease {obj.namespace}/{obj.name} (chart not identified)"
                return f"HelmRelease {obj.namespace}/{obj.name} (chart {self.detail}, CRDs unknown to gitops-lint)"
            return f"HelmRelease {obj.namespace}/{obj.name} (chart {self.detail})"
        if self.how == CRD and obj is not None:
            return f"CustomResourceDefinition {obj.name}" + (f" ({self.origin.file})" if self.origin else "")
        if self.how == XRD and obj is not None:
            return f"CompositeResourceDefinition {obj.name}" + (
                f" ({self.origin.file})" if self.origin else ""
            )
        if self.how == PACKAGE and obj is not None:
            return f"Crossplane {obj.kind} {obj.name} ({self.detail})"
        if self.how == REMOTE:
            ks = self.kustomization
            if ks is not None and not self.certain:
                return f"Kustomization {ks.namespace}/{ks.name} (content at {self.detail})"
            return f"remote content {self.detail}"
        if self.how == BOOTSTRAP:
            return f"bootstrap {self.detail}"
        if self.how == PREINSTALLED:
            return f"{self.detail} (installed before Flux starts)"
        if self.how == CONFIG:
            return f"crd-providers entry {self.detail}"
        return self.detail or self.how


@dataclass(frozen=True)
class ChartEntry:
    """One row of schemas/crd-charts.yaml."""

    name: str
    charts: tuple[str, ...] = ()
    repositories: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    crds: str = "templates"  # directory | templates | runtime
    enabled_by: tuple[tuple[str, bool], ...] = ()
    urls: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()
    # installed before Flux can run (a CNI: no Flux controller starts without
    # pod networking), so its CRDs exist for every Kustomization
    before_flux: bool = False
    # a generic chart (bjw-s app-template): what it renders is all in its
    # values, in Git; only its containers may register CRDs at runtime
    generic: bool = False

    def matches_chart(self, chart: str, url: str | None) -> bool:
        if chart not in self.charts:
            return False
        if not self.repositories:
            return True
        return url is not None and any(r in url for r in self.repositories)


@dataclass(frozen=True)
class ChartTable:
    charts: tuple[ChartEntry, ...]
    packages: tuple[ChartEntry, ...]
    platform: tuple[ChartEntry, ...]

    def for_chart(self, chart: str | None, url: str | None) -> ChartEntry | None:
        if not chart:
            return None
        for entry in self._by_chart.get(chart, ()):
            if entry.matches_chart(chart, url):
                return entry
        return None

    @cached_property
    def _by_chart(self) -> dict[str, tuple[ChartEntry, ...]]:
        """Chart name -> the entries naming it, in table order (the first that matches
        wins): each HelmRelease of each cluster asks, the table has hundreds of rows."""
        out: dict[str, list[ChartEntry]] = {}
        for entry in self.charts:
            for name in dict.fromkeys(entry.charts):
                out.setdefault(name, []).append(entry)
        return {name: tuple(entries) for name, entries in out.items()}

    def for_url(self, url: str) -> list[ChartEntry]:
        return [e for e in self.charts if any(u in url for u in e.urls)]

    def for_package(self, package: str) -> list[ChartEntry]:
        return [e for e in self.packages if any(fnmatchcase(package, p) for p in e.packages)]

    def suggest(self, group: str) -> list[str]:
        """Names of the charts/packages that usually install ``group``."""
        return [e.name for e in self.charts + self.packages if any(fnmatchcase(group, g) for g in e.groups)]


def _entry(raw: dict) -> ChartEntry:
    def strings(key):
        value = raw.get(key) or []
        return tuple(str(v) for v in value)

    return ChartEntry(
        name=str(raw.get("name", "")),
        charts=strings("charts"),
        repositories=strings("repositories"),
        groups=strings("groups"),
        crds=str(raw.get("crds") or "templates"),
        enabled_by=tuple(
            (str(s["value"]), bool(s.get("default", True)))
            for s in raw.get("enabled-by") or []
            if isinstance(s, dict) and s.get("value")
        ),
        urls=strings("urls"),
        packages=strings("packages"),
        before_flux=raw.get("before-flux") is True,
        generic=raw.get("generic") is True,
    )


#: the table as written (and reviewed), and as JSON made from it ahead of time
#: (tools/gen_crd_charts.py): reading the YAML costs every run ~5 ms, the JSON ~0.1 ms
CHARTS_FILE = "crd-charts.yaml"
CHARTS_JSON = "crd-charts.json"


def chart_data() -> dict:
    """The table's data: from :data:`CHARTS_JSON` when it was made from this very
    :data:`CHARTS_FILE` (its stamp is the YAML's content hash), else from the YAML."""
    raw = bundled(CHARTS_FILE).read_bytes()
    try:
        made = json.loads(bundled(CHARTS_JSON).read_text("utf-8"))
    except (OSError, ValueError):
        made = None
    if (
        isinstance(made, dict)
        and made.get("stamp") == content_hash(raw)
        and isinstance(made.get("data"), dict)
    ):
        return made["data"]
    return yaml.load(raw.decode("utf-8"), Loader=FastLoader)  # noqa: S506 - FastLoader is a safe loader


@lru_cache(maxsize=1)
def chart_table() -> ChartTable:
    """The table shipped with the package (schemas/crd-charts.yaml)."""
    data = chart_data()
    return ChartTable(
        tuple(_entry(e) for e in data.get("charts") or []),
        tuple(_entry(e) for e in data.get("packages") or []),
        tuple(_entry(e) for e in data.get("platform") or []),
    )


@dataclass
class CrdIndex:
    """Who provides each (group, kind) in one cluster."""

    by_kind: dict[tuple[str, str], list[Provider]] = field(default_factory=lambda: defaultdict(list))
    by_group: dict[str, list[Provider]] = field(default_factory=lambda: defaultdict(list))
    by_pattern: list[tuple[str, Provider]] = field(default_factory=list)
    definitions: dict[tuple[str, str], list[CrdDefinition]] = field(default_factory=lambda: defaultdict(list))
    # group -> why a release of a chart that would provide it does not
    disabled: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # Kustomizations whose content could not be seen (external source, remote resource)
    opaque: list[ObjectRef] = field(default_factory=list)
    # providers whose content is unknown: they may serve any group (certain=False)
    opaque_providers: list[Provider] = field(default_factory=list)
    # providers presumed outside the repository that serve only the groups
    # their names make evident (the CNI of a cluster with none in Git)
    presumed: list[Provider] = field(default_factory=list)

    def providers(self, group: str, kind: str, target: str = "", inferred: bool = False) -> list[Provider]:
        """Who serves (group, kind) on ``target``.

        With ``inferred``, when nothing known serves it, the opaque providers
        whose name or URL makes the group evident (``certain=False``): a rule
        may order on them but never make an error of them alone."""
        found = list(self.by_kind.get((group, kind), ())) + list(self.by_group.get(group, ()))
        found += [p for pattern, p in self.by_pattern if fnmatchcase(group, pattern)]
        found = [p for p in found if p.is_global or p.target == target]
        if not found and inferred:
            presumed = [p for p in self.presumed if p.is_global or p.target == target]
            found = [p for p in self.unverifiable(target) + presumed if evident(group, p.names)]
            # a CRD installer first: a release named after a group may just create its objects
            found.sort(key=lambda p: not any("crd" in n.lower() for n in p.names))
        return found

    def unverifiable(self, target: str = "") -> list[Provider]:
        """The opaque providers of ``target``: any of them may serve a group
        nothing known serves."""
        return [p for p in self.opaque_providers if p.is_global or p.target == target]

    def relevant_opaque(self, group: str, target: str = "") -> list[Provider]:
        """The opaque providers of ``target``, the most likely to serve ``group`` first.

        Those whose name makes the group evident come first, then those that
        look like CRD installers (a name with ``crd``), then the rest."""
        return sorted(
            self.unverifiable(target),
            key=lambda p: (
                not evident(group, p.names),
                not any("crd" in n.lower() for n in p.names),
                p.describe(),
            ),
        )

    def served_groups(self, target: str = "") -> set[str]:
        """Groups something known serves on ``target`` (patterns excluded)."""
        groups = {g for g, _ in BUILTIN_KINDS}
        groups |= {g for g, ps in self.by_group.items() if any(p.is_global or p.target == target for p in ps)}
        groups |= {
            g for (g, _), ps in self.by_kind.items() if any(p.is_global or p.target == target for p in ps)
        }
        return groups

    def typo_of(self, group: str, kind: str, target: str = "") -> str | None:
        """The served group or kind that ``group``/``kind`` most likely misspells.

        A group two edits at most from a served group that defines ``kind``
        (a CRD of the repository, a built-in group), or one edit from a group
        a chart serves (its kinds are unknown: ``gateway.networking.x-k8s.io``
        is two edits from ``gateway.networking.k8s.io`` and a real group); or
        a kind two edits at most from a kind the group defines."""
        served = self.served_groups(target)
        for candidate in near(group, served):
            kinds = {k for g, k in BUILTIN_KINDS if g == candidate}
            kinds |= {k for g, k in self.by_kind if g == candidate}
            if kind in kinds or (candidate in self.by_group and near(group, [candidate], 1)):
                return f"{candidate}/{kind}"
        defined = {k for g, k in self.by_kind if g == group} | {k for g, k in BUILTIN_KINDS if g == group}
        for candidate in near(kind, defined):
            return f"{group}/{candidate}"
        return None

    def namespaced(self, group: str, kind: str) -> bool | None:
        """Is the kind namespaced? None when nothing in the cluster says."""
        builtin = builtin_namespaced(group, kind)
        if builtin is not None:
            return builtin
        for definition in self.definitions.get((group, kind), ()):
            return definition.namespaced
        return None

    def definition(self, group: str, kind: str) -> CrdDefinition | None:
        found = self.definitions.get((group, kind))
        return found[0] if found else None


# -- building -----------------------------------------------------------------


def target_of(ks: FluxKustomization | None) -> str:
    """The cluster a Kustomization applies to: with ``spec.kubeConfig`` a remote
    one (hub and spoke), whose CRDs are not this cluster's."""
    kube = ks.spec.get("kubeConfig") if ks is not None else None
    return f"{ks.ref.namespace}:{sorted(kube.items())!r}" if isinstance(kube, dict) else ""


def _spec(obj: dict) -> dict:
    spec = obj.get("spec") if isinstance(obj, dict) else None
    return spec if isinstance(spec, dict) else {}


def _find_obj(cluster: Cluster, kind: str, namespace: str, name: str) -> dict | None:
    found = cluster.find(kind, namespace, name)
    return found[-1].obj if found else None


def chart_identity(cluster: Cluster, ro: RenderedObject) -> ChartIdentity:
    """(chart name, repository URL) of a rendered HelmRelease, as far as the manifests
    tell (:func:`gitops_lint.model.flux.chart_identity`); (None, None) for any other object."""
    release = cluster.helmrelease(ro)
    if release is None:
        return ChartIdentity(None, None)
    return release_chart(cluster, release)


def release_chart(cluster: Cluster, release: HelmRelease) -> ChartIdentity:
    """The chart ``release`` installs, its sources looked up in ``cluster``."""
    return flux_chart_identity(release, lambda kind, ns, name: _find_obj(cluster, kind, ns, name))


class ReleaseCharts:
    """:func:`release_chart` of one cluster's HelmReleases, each looked up once.

    The CRD index and the Flux version both ask for the charts of a cluster's
    releases; finding one decodes its source object. A rule context keeps one
    of these per cluster and hands it to both.
    """

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self._found: dict[int, tuple[HelmRelease, ChartIdentity]] = {}

    def __call__(self, release: HelmRelease) -> ChartIdentity:
        found = self._found.get(id(release))
        if found is None or found[0] is not release:
            found = self._found[id(release)] = (release, release_chart(self.cluster, release))
        return found[1]


def _dig(values: dict, dotted: str):
    cur = values
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _set(values: dict, dotted: str, value) -> None:
    parts = dotted.split(".")
    cur = values
    for part in parts[:-1]:
        nxt = cur.get(part)
        if not isinstance(nxt, dict):
            nxt = cur[part] = {}
        cur = nxt
    cur[parts[-1]] = value


def release_values(cluster: Cluster, release: HelmRelease) -> tuple[dict, bool]:
    """The values a HelmRelease passes to its chart, and whether all are known.

    valuesFrom ConfigMaps/Secrets of the manifests are read (helm-controller
    merges them in order, then inline values on top, FLUX-SEMANTICS.md §3);
    one that cannot be read offline makes the result incomplete.
    """
    ns = release.ref.namespace
    values: dict = {}
    complete = True
    targeted: list[tuple[str, object]] = []
    for item in release.values_from:
        src = _find_obj(cluster, item.kind, ns, item.name)
        if src is None:
            if not item.optional:
                complete = False
            continue
        raw = source_values(src).get(item.values_key)
        if raw is None:
            if not item.optional:
                complete = False
            continue
        if item.target_path:
            targeted.append((item.target_path, raw))
            continue
        try:
            parsed = yaml.load(raw, Loader=FastLoader)  # noqa: S506 - safe loader
        except yaml.YAMLError:
            complete = False
            continue
        if isinstance(parsed, dict):
            values = _merge(values, parsed)
        elif parsed is not None:
            complete = False
    if release.values is not None:
        values = _merge(values, release.values)
    for path, raw in targeted:
        _set(values, path, raw)
    return values, complete


def _truthy(value) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def chart_installs_crds(entry: ChartEntry, spec: dict, values: dict, complete: bool) -> str | None:
    """None when the release installs the entry's CRDs, else why not."""
    install = spec.get("install") if isinstance(spec.get("install"), dict) else {}
    upgrade = spec.get("upgrade") if isinstance(spec.get("upgrade"), dict) else {}
    if entry.crds == "directory":
        skipped = install.get("crds") == "Skip" or install.get("skipCRDs") is True
        # an upgrade with crds Create/CreateReplace installs them on an existing release
        if skipped and upgrade.get("crds") in (None, "Skip"):
            return "install.crds: Skip" if install.get("crds") == "Skip" else "install.skipCRDs: true"
    if entry.enabled_by:
        settings = [(path, _dig(values, path), default) for path, default in entry.enabled_by]
        if any(_truthy(v) if v is not None else default for _, v, default in settings):
            return None
        if not complete:
            return None  # valuesFrom not readable offline: assume the chart does
        shown = ", ".join(
            f"{p} is {'unset (default false)' if v is None else repr(v)}" for p, v, _ in settings
        )
        return f"values: {shown}"
    return None


def build_crd_index(
    cluster: Cluster,
    fs: RepoFS,
    cache: DocumentCache,
    config: Config,
    bootstrap: BootstrapFiles | None = None,
    charts: ReleaseCharts | None = None,
) -> CrdIndex:
    """The cluster's index; ``bootstrap`` is the run's (read once for every cluster),
    a fresh one when the caller has none; ``charts``, the cluster's release charts
    when the caller keeps them."""
    charts = charts if charts is not None else ReleaseCharts(cluster)
    index = CrdIndex()
    table = chart_table()
    kustomizations = cluster.kustomizations
    for ro in cluster.objects:
        obj = ro.obj
        kind = obj.get("kind")
        group = group_of(str(obj.get("apiVersion", "")))
        ks = kustomizations.get(ro.applied_by.key()) if ro.applied_by is not None else None
        target = target_of(ks)
        if kind == "CustomResourceDefinition" and group == CRD_GROUP:
            _add_crd(index, ro, target)
        elif kind == "CompositeResourceDefinition" and group == XRD_GROUP:
            _add_xrd(index, ro, target)
        elif kind == "HelmRelease" and (release := cluster.helmrelease(ro)) is not None:
            # helm-controller installs into spec.kubeConfig's cluster when set
            if release.kube_config is not None:
                target = f"{ro.ref.namespace}:{sorted(release.kube_config.items())!r}"
            _add_release(index, cluster, table, release, target, charts)
        elif kind in ("Provider", "Configuration") and group == PKG_GROUP:
            package = str(_spec(obj).get("package") or "")
            entries = table.for_package(package)
            for entry in entries:
                p = Provider(
                    PACKAGE,
                    ro.applied_by,
                    ro.ref,
                    ro.origin,
                    detail=package,
                    needs_health=True,
                    target=target,
                )
                for g in entry.groups:
                    index.by_pattern.append((g, p))
            if not entries:
                # a package the table does not know: it may install any group
                index.opaque_providers.append(
                    Provider(
                        PACKAGE,
                        ro.applied_by,
                        ro.ref,
                        ro.origin,
                        detail=package or "package not named",
                        needs_health=True,
                        target=target,
                        certain=False,
                        names=_package_names(package, ro.ref.name),
                    )
                )
    for ks in kustomizations.values():
        _add_remote(index, cluster, table, ks)
    for entry in table.platform:
        p = Provider(PLATFORM, detail=entry.name)
        for g in entry.groups:
            index.by_pattern.append((g, p))
    _add_config(index, cluster, config)
    bootstrap = bootstrap if bootstrap is not None else BootstrapFiles(fs, cache)
    _add_bootstrap(index, cluster, bootstrap.helmfiles, cache, table)
    _add_terraform(index, bootstrap.terraform_releases, table)
    _add_talos(index, bootstrap.talos_manifests, table)
    _presume_cni(index, table)
    return index


def _add_talos(index: CrdIndex, manifests: tuple[TalosURL | TalosInline, ...], table: ChartTable) -> None:
    """Talos ``extraManifests`` (URLs) and ``inlineManifests`` (inline YAML):
    the control plane applies them when the cluster is created, before Flux.
    A URL the table knows gives its groups, an inline CRD its kind; any other
    manifest is opaque."""
    for item in manifests:
        if isinstance(item, TalosURL):
            what = f"Talos extraManifests {item.url} ({item.file})"
            entries = table.for_url(item.url)
            for entry in entries:
                p = Provider(BOOTSTRAP, detail=what)
                for g in entry.groups:
                    index.by_group[g].append(p)
            if not entries:
                index.opaque_providers.append(
                    Provider(BOOTSTRAP, detail=what, certain=False, names=(item.url,))
                )
            continue
        what = f"Talos inlineManifests {item.name} ({item.file})"
        for group, kind in item.crds:
            index.by_kind[(group, kind)].append(Provider(BOOTSTRAP, detail=what))
        if item.opaque:
            index.opaque_providers.append(Provider(BOOTSTRAP, detail=what, certain=False, names=(item.name,)))


def _presume_cni(index: CrdIndex, table: ChartTable) -> None:
    """A cluster whose CNI is not in Git still has one: Flux cannot start
    without pod networking. Its chart's groups (cilium.io, ...) may then be
    served, but only those: this is no reason to doubt any other group."""
    cni = [e for e in table.charts if e.before_flux]
    if any(index.by_group.get(g) for e in cni for g in e.groups):
        return
    names = tuple(n for e in cni for n in (*e.charts, *e.groups))
    index.presumed.append(
        Provider(
            PREINSTALLED,
            detail="the cluster's CNI, installed outside the repository before Flux",
            certain=False,
            names=names,
        )
    )


def _package_names(package: str, name: str) -> tuple[str, ...]:
    """``xpkg.upbound.io/acme/provider-widgets:v1.2`` -> the image's last path
    segment without its tag or digest, and the object's name."""
    image = package.split("@", 1)[0]
    last = image.rsplit("/", 1)[-1].split(":", 1)[0]
    return tuple(n for n in (last, name) if n)


def _add_crd(index: CrdIndex, ro: RenderedObject, target: str) -> None:
    spec = _spec(ro.obj)
    names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
    group, kind = str(spec.get("group") or ""), str(names.get("kind") or "")
    if not group or not kind:
        return
    versions = tuple(
        str(v.get("name"))
        for v in spec.get("versions") or []
        if isinstance(v, dict) and v.get("served", True) is not False and v.get("name")
    )
    index.definitions[(group, kind)].append(
        CrdDefinition(
            group,
            kind,
            str(names.get("plural") or ""),
            spec.get("scope") != "Cluster",
            versions,
            ro.obj,
            ro.origin,
            ro.applied_by,
        )
    )
    index.by_kind[(group, kind)].append(
        Provider(CRD, ro.applied_by, ro.ref, ro.origin, detail=ro.ref.name, target=target)
    )


def _add_xrd(index: CrdIndex, ro: RenderedObject, target: str) -> None:
    """A Crossplane XRD: Crossplane creates the CRDs of its composite (and claim) kind.

    apiextensions.crossplane.io/v1 composites are cluster-scoped with
    namespaced claims; v2 adds ``spec.scope`` (default Namespaced,
    ``LegacyCluster`` for the v1 behaviour).
    """
    spec = _spec(ro.obj)
    group = str(spec.get("group") or "")
    versions = tuple(
        str(v.get("name"))
        for v in spec.get("versions") or []
        if isinstance(v, dict) and v.get("served", True) is not False and v.get("name")
    )
    v1 = str(ro.obj.get("apiVersion", "")).endswith("/v1")
    scope = spec.get("scope")
    composite_namespaced = scope == "Namespaced" or (scope is None and not v1)
    for key, namespaced in (("names", composite_namespaced), ("claimNames", True)):
        names = spec.get(key) if isinstance(spec.get(key), dict) else {}
        kind = str(names.get("kind") or "")
        if not group or not kind:
            continue
        index.definitions[(group, kind)].append(
            CrdDefinition(
                group,
                kind,
                str(names.get("plural") or ""),
                namespaced,
                versions,
                ro.obj,
                ro.origin,
                ro.applied_by,
                via=XRD,
            )
        )
        index.by_kind[(group, kind)].append(
            Provider(
                XRD, ro.applied_by, ro.ref, ro.origin, detail=ro.ref.name, needs_health=True, target=target
            )
        )


def _add_release(
    index: CrdIndex,
    cluster: Cluster,
    table: ChartTable,
    release: HelmRelease,
    target: str,
    charts: ReleaseCharts,
) -> None:
    ro = release.ro
    chart, url = charts(release)
    entry = table.for_chart(chart, url)
    if entry is None:
        # a chart the table does not know (or cannot be identified offline):
        # it may install any group
        index.opaque_providers.append(
            Provider(
                HELM,
                ro.applied_by,
                ro.ref,
                ro.origin,
                detail=str(chart or ""),
                needs_health=True,
                release_namespace=release.release_namespace,
                target=target,
                certain=False,
                names=tuple(n for n in (chart, ro.ref.name, url) if n),
            )
        )
        return
    if entry.generic:
        _add_generic(index, cluster, release, str(chart), target)
        return
    if not entry.groups:
        return
    values, complete = release_values(cluster, release)
    why_not = chart_installs_crds(entry, release.spec, values, complete)
    if why_not is not None:
        for g in entry.groups:
            index.disabled[g].append(
                f"HelmRelease {ro.ref.namespace}/{ro.ref.name} (chart {chart}) does not install them ({why_not})"
            )
        return
    if entry.before_flux:
        # a CNI: the cluster had it before Flux could start, so its CRDs are
        # there for every Kustomization, whatever this release's place
        p = Provider(
            PREINSTALLED,
            detail=f"{entry.name} (the CNI chart of HelmRelease {ro.ref.namespace}/{ro.ref.name})",
        )
    else:
        p = Provider(
            HELM,
            ro.applied_by,
            ro.ref,
            ro.origin,
            detail=str(chart),
            needs_health=True,
            release_namespace=release.release_namespace,
            target=target,
        )
    for g in entry.groups:
        index.by_group[g].append(p)


def _add_generic(index: CrdIndex, cluster: Cluster, release: HelmRelease, chart: str, target: str) -> None:
    """A release of a generic chart renders what its values say: no CRD unless
    the values hold one (then, or when they are not all readable, it is
    opaque). Its containers may register CRDs when they start (the
    system-upgrade-controller does), so it serves the groups its name makes
    evident, and only those."""
    ro = release.ro
    values, complete = release_values(cluster, release)
    opaque = not complete or "CustomResourceDefinition" in repr(values)
    p = Provider(
        HELM,
        ro.applied_by,
        ro.ref,
        ro.origin,
        detail=chart,
        needs_health=True,
        release_namespace=release.release_namespace,
        target=target,
        certain=False,
        names=(ro.ref.name,),
    )
    (index.opaque_providers if opaque else index.presumed).append(p)


def _add_remote(index: CrdIndex, cluster: Cluster, table: ChartTable, ks: FluxKustomization) -> None:
    """A Kustomization whose content is not in Git: its source URL or remote resources."""
    urls = []
    if ks.source is not None and ks.source.status == EXTERNAL_SOURCE:
        ref = ks.fields.source_ref
        src = _find_obj(cluster, *(ref.key if ref is not None else ("", ks.ref.namespace, "")))
        url = _spec(src).get("url") if src else None
        urls.append(str(url) if url else ks.source.detail)
    urls += [i.message for i in ks.build_issues if i.kind == EXTERNAL_ISSUE]
    if not urls:
        return
    matched = False
    for url in urls:
        for entry in table.for_url(url):
            matched = True
            p = Provider(REMOTE, ks.ref, None, ks.origin, detail=url, target=target_of(ks))
            for g in entry.groups:
                index.by_group[g].append(p)
    if not matched:
        index.opaque.append(ks.ref)
        index.opaque_providers.append(
            Provider(
                REMOTE,
                ks.ref,
                None,
                ks.origin,
                detail=", ".join(sorted(set(urls))),
                target=target_of(ks),
                certain=False,
                names=(ks.ref.name, *sorted(set(urls))),
            )
        )


def _add_config(index: CrdIndex, cluster: Cluster, config: Config) -> None:
    """``crd-providers: {group: Kind/namespace/name}``; a group may be a glob."""
    for group, ident in sorted(config.crd_providers.items()):
        parts = ident.split("/")
        p = Provider(CONFIG, detail=f"{group}: {ident}")
        if ident.strip().lower() in PREINSTALLED_VALUES:
            p = Provider(PREINSTALLED, detail=f"crd-providers entry {group}: {ident}")
        if len(parts) == 3:
            kind, ns, name = parts
            if kind == "HelmRelease":
                found = [hr for ro in cluster.find(kind, ns, name) if (hr := cluster.helmrelease(ro))]
                if found:
                    release = found[-1]
                    ro = release.ro
                    ks = cluster.kustomizations.get(ro.applied_by.key()) if ro.applied_by else None
                    p = Provider(
                        HELM,
                        ro.applied_by,
                        ro.ref,
                        ro.origin,
                        detail=f"{group}: {ident}",
                        needs_health=True,
                        release_namespace=release.target_namespace or ns,
                        target=target_of(ks),
                    )
            elif kind == "Kustomization":
                ks = cluster.kustomizations.get((FLUX_KS_GROUP, kind, ns, name))
                if ks is not None:
                    p = Provider(
                        CONFIG, ks.ref, None, ks.origin, detail=f"{group}: {ident}", target=target_of(ks)
                    )
        index.by_pattern.append((group, p))


def _add_bootstrap(
    index: CrdIndex, cluster: Cluster, helmfiles: tuple[str, ...], cache: DocumentCache, table: ChartTable
) -> None:
    """Charts a helmfile of the repository installs before Flux runs.

    The home-ops layout bootstraps a cluster with ``helmfile`` (a CRD-only
    pass with ``--include-crds``, then the core releases) and only then
    hands over to Flux: those charts' CRDs exist before any Kustomization
    is applied, in every cluster the helmfile targets (its environments are
    templated, so: every cluster). A release without a literal chart is
    matched to the HelmRelease of the same namespace/name that Flux manages
    afterwards; one whose chart stays unknown is an opaque provider. Inline
    ``values``/``set`` that switch a known chart's CRDs off are honoured.
    """
    for rel in helmfiles:
        for doc in cache.load(rel, used=False).documents:
            data = doc.data
            if not isinstance(data, dict) or not isinstance(data.get("releases"), list):
                continue
            repos = {
                str(r.get("name")): str(r.get("url"))
                for r in data.get("repositories") or []
                if isinstance(r, dict) and r.get("name") and r.get("url")
            }
            for release in data["releases"]:
                if not isinstance(release, dict):
                    continue
                chart, url = _helmfile_chart(cluster, release, repos)
                entry = table.for_chart(chart, url)
                name = str(release.get("name") or "")
                what = f"helmfile {rel} (release {name}, chart {chart or release.get('chart')})"
                if entry is None:
                    _add_opaque_bootstrap(index, what, (chart, name, url))
                    continue
                values, complete = _helmfile_values(release)
                # values inherited from bases or templates are not read
                complete = (
                    complete
                    and _literal_chart(release)
                    and not (
                        release.get("inherit")
                        or data.get("bases")
                        or data.get("templates")
                        or data.get("defaultInherit")
                    )
                )
                if chart_installs_crds(entry, {}, values, complete) is not None:
                    continue
                p = Provider(BOOTSTRAP, detail=what)
                for g in entry.groups:
                    index.by_group[g].append(p)


def _add_opaque_bootstrap(index: CrdIndex, what: str, names: tuple[str | None, ...]) -> None:
    """A bootstrap install (helmfile, Terraform) of a chart the table does not know."""
    index.opaque_providers.append(
        Provider(BOOTSTRAP, detail=what, certain=False, names=tuple(n for n in names if n))
    )


def _helmfile_values(release: dict) -> tuple[dict, bool]:
    """Inline ``values:`` mappings and ``set:`` entries of a helmfile release;
    a values file (a path, often a template) makes them incomplete."""
    values: dict = {}
    complete = True
    for item in release.get("values") or []:
        if isinstance(item, dict):
            values = _merge(values, item)
        else:
            complete = False
    for item in release.get("set") or []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            _set(values, item["name"], item.get("value"))
    return values, complete


def _add_terraform(index: CrdIndex, releases: tuple[TerraformRelease, ...], table: ChartTable) -> None:
    """``helm_release`` resources of Terraform files: installed before Flux,
    as a bootstrap helmfile is (a chart with ``${...}`` stays opaque)."""
    for release in releases:
        chart = release.chart.rstrip("/")
        repo = release.repository
        name = posixpath.basename(chart) if chart and "${" not in chart else None
        url = repo or (chart if chart.startswith("oci://") else None)
        entry = table.for_chart(name, url)
        what = f"Terraform {release.file} (helm_release {release.resource}, chart {chart or 'unknown'})"
        if entry is None:
            _add_opaque_bootstrap(index, what, (name, release.resource, url))
            continue
        p = Provider(BOOTSTRAP, detail=what)
        for g in entry.groups:
            index.by_group[g].append(p)


def _literal_chart(release: dict) -> bool:
    chart = release.get("chart")
    return isinstance(chart, str) and bool(chart) and "{{" not in chart


def _helmfile_chart(cluster: Cluster, release: dict, repos: dict[str, str]) -> tuple[str | None, str | None]:
    chart = release.get("chart")
    if isinstance(chart, str) and chart and "{{" not in chart:
        chart = chart.rstrip("/")
        if chart.startswith("oci://"):
            return oci_chart_name(chart), chart
        repo, _, name = chart.partition("/")
        return (posixpath.basename(chart), repos.get(repo)) if name else (chart, None)
    name, ns = str(release.get("name") or ""), str(release.get("namespace") or "")
    for ro in cluster.find("HelmRelease", ns, name):
        release = cluster.helmrelease(ro)
        if release is not None:
            return release_chart(cluster, release)
    return None, None


def _reconcile_disabled(obj: dict) -> bool:
    """``kustomize.toolkit.fluxcd.io/reconcile: disabled``: Flux neither applies nor prunes it."""
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    for key in ("annotations", "labels"):
        marks = meta.get(key)
        if isinstance(marks, dict):
            value = marks.get("kustomize.toolkit.fluxcd.io/reconcile")
            if isinstance(value, str) and value.lower() == "disabled":
                return True
    return False


def custom_objects(cluster: Cluster):
    """(object, group, kind, its Kustomization) for every applied object of a
    kind that is not built in: the objects whose CRD must come from somewhere."""
    for ro in cluster.objects:
        if ro.applied_by is None:
            continue
        obj = ro.obj
        kind = obj.get("kind")
        api_version = obj.get("apiVersion")
        if not isinstance(kind, str) or not kind or not isinstance(api_version, str) or not api_version:
            continue
        group = group_of(api_version)
        if is_builtin(group, kind) or _reconcile_disabled(obj):
            continue
        ks = cluster.kustomizations.get(ro.applied_by.key())
        if ks is None or ro.ref.key() == ks.ref.key():
            continue
        yield ro, group, kind, ks
