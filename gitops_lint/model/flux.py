"""The Flux objects of a cluster as typed values, each parsed once.

The rules and the CRD index ask the same questions of every Flux object: what
does it depend on, which source does it name, which chart does it install. The
answers are read here, once per rendered object, into frozen dataclasses:
:class:`KustomizationSpec` (the Flux fields of a Kustomization; its render
state stays in :class:`~gitops_lint.model.cluster.FluxKustomization`),
:class:`HelmRelease` with its :class:`Chart`, :class:`ResourceSet`, and the
parts they share, :class:`SourceRef`, :class:`DependsOn`, :class:`HealthCheck`.

Every field is read through its kind's typed shape
(:mod:`gitops_lint.discover.flux_fields`), as the API server decodes it: a
value of the wrong type is left out, as if it were not written (the schema
rule reports it; the API server refuses the object). The entries of a list
keep their index in the list as written, so a finding points at the entry's
own line even when an earlier entry is null or malformed.

Namespaces are defaulted as Flux defaults them: a ``sourceRef``, ``chartRef``
or ``dependsOn`` entry without a namespace names an object of the referrer's
namespace. A health check's is not defaulted (kustomize-controller reads it as
written), nor its ``apiVersion`` beyond the ``apps/v1`` Flux assumes.

The Cluster keeps what is parsed here (``cluster.helmrelease(ro)``,
``cluster.helmreleases``, ``cluster.resourcesets``, ``ks.fields``), so no
reader parses an object a second time.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..core.data import (
    FLUX_HELM_GROUP,
    FLUX_KS_GROUP,
    FLUX_OPERATOR_GROUP,
    ObjectRef,
    Origin,
    RenderedObject,
    group_of,
    is_kind,
    key_text,
    ref_of,
)
from ..discover.flux_fields import HELM_RELEASE, KUSTOMIZATION, RESOURCE_SET, decode

Key = tuple[str, str, str]  # kind, namespace, name: how Flux names an object it waits for

# the kinds whose dependsOn links objects (each may depend only on its own kind,
# except a ResourceSet, which names any kind)
KUSTOMIZATION_KIND = ("Kustomization", FLUX_KS_GROUP)
HELM_RELEASE_KIND = ("HelmRelease", FLUX_HELM_GROUP)
RESOURCE_SET_KIND = ("ResourceSet", FLUX_OPERATOR_GROUP)

HEALTH_CHECK_API_VERSION = "apps/v1"  # kustomize-controller's default for a health check without one

# the fields of a HelmRelease that name a source, as missing-source reports them
CHART_SOURCE = ("chart", "spec", "sourceRef")
CHART_REF = ("chartRef",)


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    """A string field as decoded (anything else was left out): None when absent."""
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class _Entry:
    index: int  # in the list as written
    fields: dict  # the entry as decoded ({} when it is not a mapping)
    mapping: bool  # the entry is a mapping
    well_typed: bool  # and no field of it has the wrong type


def _entries(spec_raw: dict, key: str, list_shape: Any) -> list[_Entry]:
    """``spec[key]``'s entries as written, each decoded through the list's item shape.
    A null entry is absent, as :func:`~gitops_lint.discover.flux_fields.decode` reads it."""
    items = spec_raw.get(key)
    if not isinstance(items, list):
        return []
    out = []
    for index, item in enumerate(items):
        if item is None:
            continue
        if isinstance(item, dict):
            decoded = decode(item, list_shape.item)
            out.append(_Entry(index, decoded.obj, True, not decoded.problems))
        else:
            out.append(_Entry(index, {}, False, False))
    return out


# -- references -------------------------------------------------------------------


@dataclass(frozen=True)
class SourceRef:
    """A reference to a source: ``spec.sourceRef``, ``spec.chart.spec.sourceRef``, ``spec.chartRef``.

    ``kind`` and ``name`` are "" when not written; ``namespace`` is the
    referrer's when not written, as Flux defaults it.
    """

    kind: str
    namespace: str
    name: str
    api_version: str = ""

    @property
    def key(self) -> Key:
        return (self.kind, self.namespace, self.name)

    @property
    def text(self) -> str:
        """``Kind/namespace/name``, the form of ``external:`` keys and of messages."""
        return key_text(self.kind, self.namespace, self.name, namespaced=True)


def source_ref(value: Any, namespace: str) -> SourceRef | None:
    """A decoded reference mapping as a :class:`SourceRef` (None when it is not a mapping)."""
    if not isinstance(value, dict):
        return None
    return SourceRef(
        kind=str(value.get("kind", "")),
        namespace=str(value.get("namespace") or namespace),
        name=str(value.get("name", "")),
        api_version=str(value.get("apiVersion") or ""),
    )


@dataclass(frozen=True)
class DependsOn:
    """One ``spec.dependsOn`` entry.

    ``target`` is what it names, its namespace defaulted to the dependent's and
    its kind the dependent's own (Kustomizations and HelmReleases depend only on
    their own kind, ``checkDependencies`` of kustomize- and helm-controller; a
    ResourceSet's entry names its kind). ``well_formed`` is False for an entry
    Flux cannot follow: not a mapping, no name, or a field of the wrong type
    (the API server refuses the object; the schema rule says where). A null
    entry is absent: it has no DependsOn.
    """

    index: int
    target: Key
    well_formed: bool
    namespace_given: bool = False
    api_version: str = ""


def depends_on(spec_raw: dict, kind: str, namespace: str) -> tuple[DependsOn, ...]:
    """The ``dependsOn`` entries of a Flux object of ``kind`` in ``namespace``."""
    shape = {
        "Kustomization": KUSTOMIZATION,
        "HelmRelease": HELM_RELEASE,
        "ResourceSet": RESOURCE_SET,
    }.get(kind, KUSTOMIZATION)["spec"]["dependsOn"]
    out = []
    for entry in _entries(spec_raw, "dependsOn", shape):
        dep = entry.fields
        name = _text(dep.get("name")) or ""
        given = _text(dep.get("namespace")) or ""
        dep_kind = (_text(dep.get("kind")) or kind) if kind == "ResourceSet" else kind
        out.append(
            DependsOn(
                entry.index,
                (dep_kind, given or namespace, name),
                entry.well_typed and bool(name),
                namespace_given=bool(given),
                api_version=_text(dep.get("apiVersion")) or "",
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class HealthCheck:
    """One ``spec.healthChecks`` entry of a Kustomization, as kustomize-controller reads it:
    ``apiVersion`` defaults to ``apps/v1``, ``namespace`` is not defaulted."""

    index: int
    kind: str
    name: str
    namespace: str  # "" when not written
    api_version: str = ""  # as written ("" when not)

    @property
    def effective_api_version(self) -> str:
        return self.api_version or HEALTH_CHECK_API_VERSION

    @property
    def group(self) -> str:
        return group_of(self.effective_api_version)


@dataclass(frozen=True)
class SubstituteFrom:
    """One ``spec.postBuild.substituteFrom`` entry."""

    index: int
    kind: str
    name: str
    optional: bool = False


@dataclass(frozen=True)
class PostBuild:
    """``spec.postBuild``: inline variables and the ConfigMaps/Secrets that supply more."""

    substitute: dict[str, str] = field(default_factory=dict)
    substitute_from: tuple[SubstituteFrom, ...] = ()
    strategy: str | None = None


# -- Kustomization ------------------------------------------------------------------


@dataclass(frozen=True)
class KustomizationSpec:
    """The Flux fields of a Kustomization that the rules read."""

    namespace: str  # the Kustomization's own (the default of its references)
    source_ref: SourceRef | None
    path: str | None  # spec.path as written (None: not written, Flux builds the source's root)
    depends_on: tuple[DependsOn, ...] = ()
    health_checks: tuple[HealthCheck, ...] = ()
    post_build: PostBuild | None = None
    prune: bool = False
    wait: bool = False
    suspend: bool = False
    target_namespace: str | None = None
    kube_config: dict | None = None


def kustomization_spec(obj: Any, namespace: str, decoded_spec: dict | None = None) -> KustomizationSpec:
    """A Flux Kustomization's fields (any object: what is not there is empty).
    ``decoded_spec``: its spec as already decoded, when the caller has it."""
    obj = obj if isinstance(obj, dict) else {}
    spec = decoded_spec if decoded_spec is not None else _dict(decode(obj, KUSTOMIZATION).obj.get("spec"))
    raw = _dict(obj.get("spec"))
    checks = []
    for entry in _entries(raw, "healthChecks", KUSTOMIZATION["spec"]["healthChecks"]):
        if not entry.mapping:
            continue
        hc = entry.fields
        checks.append(
            HealthCheck(
                entry.index,
                kind=str(hc.get("kind", "")),
                name=str(hc.get("name", "")),
                namespace=str(hc.get("namespace") or ""),
                api_version=str(hc.get("apiVersion") or ""),
            )
        )
    return KustomizationSpec(
        namespace=namespace,
        source_ref=source_ref(spec.get("sourceRef"), namespace),
        path=_text(spec.get("path")),
        depends_on=depends_on(raw, "Kustomization", namespace),
        health_checks=tuple(checks),
        post_build=_post_build(spec.get("postBuild"), _dict(raw.get("postBuild"))),
        prune=spec.get("prune") is True,
        wait=spec.get("wait") is True,
        suspend=spec.get("suspend") is True,
        target_namespace=_text(spec.get("targetNamespace")),
        kube_config=spec.get("kubeConfig") if isinstance(spec.get("kubeConfig"), dict) else None,
    )


def _post_build(post: Any, raw: dict) -> PostBuild | None:
    if not isinstance(post, dict):
        return None
    shape = KUSTOMIZATION["spec"]["postBuild"]["substituteFrom"]
    sources = tuple(
        SubstituteFrom(
            e.index,
            str(e.fields.get("kind", "")),
            str(e.fields.get("name", "")),
            e.fields.get("optional") is True,
        )
        for e in _entries(raw, "substituteFrom", shape)
        if e.mapping
    )
    substitute = post.get("substitute")
    return PostBuild(
        substitute=dict(substitute) if isinstance(substitute, dict) else {},
        substitute_from=sources,
        strategy=_text(post.get("substituteStrategy")),
    )


# -- HelmRelease ----------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """``spec.chart.spec``: a chart by name from a source.

    The source is a HelmRepository (``name`` is the chart's name in the index, or
    in the OCI registry of a ``type: oci`` repository), a GitRepository or a
    Bucket (``name`` is the chart's directory in the artifact).
    """

    name: str | None  # spec.chart.spec.chart as written
    source: SourceRef | None
    version: str | None = None


class ChartIdentity(NamedTuple):
    """Which chart a release installs, as far as the manifests tell: the chart's
    name and its repository's URL (None when not known offline)."""

    name: str | None
    url: str | None


@dataclass(frozen=True)
class ValuesFrom:
    """One ``spec.valuesFrom`` entry: a key of a ConfigMap or Secret of the release's namespace."""

    index: int
    kind: str
    name: str
    values_key: str = "values.yaml"
    target_path: str | None = None
    optional: bool = False


@dataclass(frozen=True, eq=False)
class HelmRelease:
    """A rendered HelmRelease of ``helm.toolkit.fluxcd.io``, any version."""

    ro: RenderedObject
    ref: ObjectRef
    spec: dict  # spec as decoded, for the fields not typed here (install, upgrade)
    chart: Chart | None  # spec.chart (a mapping)
    chart_ref: SourceRef | None  # spec.chartRef: an OCIRepository or a HelmChart
    depends_on: tuple[DependsOn, ...] = ()
    values: dict | None = None
    values_from: tuple[ValuesFrom, ...] = ()
    target_namespace: str | None = None
    kube_config: dict | None = None
    suspend: bool = False

    @property
    def origin(self) -> Origin:
        return self.ro.origin

    @property
    def release_namespace(self) -> str:
        """Where the chart's objects go: ``targetNamespace``, else the release's own."""
        return self.target_namespace or self.ref.namespace

    def source_refs(self) -> list[tuple[tuple[str, ...], SourceRef]]:
        """(field under spec, reference) of each source the release names."""
        out = []
        if self.chart is not None and self.chart.source is not None:
            out.append((CHART_SOURCE, self.chart.source))
        if self.chart_ref is not None:
            out.append((CHART_REF, self.chart_ref))
        return out


def helm_release(ro: RenderedObject) -> HelmRelease | None:
    """``ro`` as a :class:`HelmRelease`; None when it is not one."""
    obj = ro.obj
    if not is_kind(obj, FLUX_HELM_GROUP, "HelmRelease"):
        return None
    ref = ro.ref
    ns = ref.namespace
    spec = _dict(decode(obj, HELM_RELEASE).obj.get("spec"))
    raw = _dict(obj.get("spec"))
    chart = None
    if isinstance(spec.get("chart"), dict):
        cspec = _dict(spec["chart"].get("spec"))
        chart = Chart(
            name=_text(cspec.get("chart")),
            source=source_ref(cspec.get("sourceRef"), ns),
            version=_text(cspec.get("version")),
        )
    values_from = []
    for entry in _entries(raw, "valuesFrom", HELM_RELEASE["spec"]["valuesFrom"]):
        if not entry.mapping:
            continue
        item = entry.fields
        values_from.append(
            ValuesFrom(
                entry.index,
                kind=str(item.get("kind", "")),
                name=str(item.get("name", "")),
                values_key=str(item.get("valuesKey") or "values.yaml"),
                target_path=str(item["targetPath"]) if item.get("targetPath") else None,
                optional=item.get("optional") is True,
            )
        )
    return HelmRelease(
        ro=ro,
        ref=ref,
        spec=spec,
        chart=chart,
        chart_ref=source_ref(spec.get("chartRef"), ns),
        depends_on=depends_on(raw, "HelmRelease", ns),
        values=spec.get("values") if isinstance(spec.get("values"), dict) else None,
        values_from=tuple(values_from),
        target_namespace=_text(spec.get("targetNamespace")) or None,
        kube_config=spec.get("kubeConfig") if isinstance(spec.get("kubeConfig"), dict) else None,
        suspend=spec.get("suspend") is True,
    )


Find = Callable[[str, str, str], "dict | None"]  # (kind, namespace, name) -> the object, if any


def _source_spec(obj: dict | None) -> dict:
    """A source object's spec as decoded (source kinds gitops-lint has no shape of: as written)."""
    return _dict(decode(obj).obj.get("spec")) if isinstance(obj, dict) else {}


def chart_identity(release: HelmRelease, find: Find) -> ChartIdentity:
    """The chart ``release`` installs, from every way a HelmRelease names one.

    - ``spec.chart.spec``: the chart's name (the last path segment: a
      GitRepository's or Bucket's chart is a directory) and its source's URL
      (a HelmRepository's index or ``oci://`` registry, a GitRepository's
      repository; a Bucket has none);
    - ``spec.chartRef`` to an OCIRepository: the chart is the artifact, its
      name the URL's last segment;
    - ``spec.chartRef`` to a HelmChart: the HelmChart's chart and its source's URL.
    """
    chart = release.chart
    if chart is not None:
        name = posixpath.basename(chart.name.rstrip("/")) if chart.name else None
        src = find(*chart.source.key) if chart.source is not None else None
        url = _source_spec(src).get("url") if src else None
        return ChartIdentity(name, str(url) if url else None)
    ref = release.chart_ref
    if ref is None:
        return ChartIdentity(None, None)
    src = find(*ref.key)
    if src is None:
        return ChartIdentity(None, None)
    sspec = _source_spec(src)
    if ref.kind == "OCIRepository" and sspec.get("url"):
        url = str(sspec["url"]).rstrip("/")
        return ChartIdentity(oci_chart_name(url), url)
    if ref.kind == "HelmChart" and sspec.get("chart"):
        sref = _dict(sspec.get("sourceRef"))  # a HelmChart's source is in its own namespace
        repo = find(str(sref.get("kind", "")), ref.namespace, str(sref.get("name", "")))
        url = _source_spec(repo).get("url") if repo else None
        return ChartIdentity(posixpath.basename(str(sspec["chart"]).rstrip("/")), str(url) if url else None)
    return ChartIdentity(None, None)


def oci_chart_name(url: str) -> str:
    """``oci://ghcr.io/org/charts/volsync:0.1@sha256:...`` -> ``volsync``: the
    last path segment, without a tag or digest."""
    last = posixpath.basename(url.split("@", 1)[0].rstrip("/"))
    return last.split(":", 1)[0]


# -- ResourceSet ------------------------------------------------------------------------


@dataclass(frozen=True)
class InputsFrom:
    """One ``spec.inputsFrom`` entry: a ResourceSetInputProvider, by name or by labels."""

    kind: str
    name: str
    api_version: str = ""


@dataclass(frozen=True, eq=False)
class ResourceSet:
    """A rendered ResourceSet of ``fluxcd.controlplane.io`` (Flux Operator)."""

    ro: RenderedObject
    ref: ObjectRef
    depends_on: tuple[DependsOn, ...] = ()
    inputs_from: tuple[InputsFrom, ...] = ()
    wait: bool = False


def resource_set(ro: RenderedObject) -> ResourceSet | None:
    """``ro`` as a :class:`ResourceSet`; None when it is not one."""
    obj = ro.obj
    if not is_kind(obj, FLUX_OPERATOR_GROUP, "ResourceSet"):
        return None
    ref = ro.ref
    spec = _dict(decode(obj, RESOURCE_SET).obj.get("spec"))
    inputs = tuple(
        InputsFrom(str(i.get("kind", "")), str(i.get("name") or ""), str(i.get("apiVersion") or ""))
        for i in spec.get("inputsFrom") or []
        if isinstance(i, dict)
    )
    return ResourceSet(
        ro=ro,
        ref=ref,
        depends_on=depends_on(_dict(obj.get("spec")), "ResourceSet", ref.namespace),
        inputs_from=inputs,
        wait=spec.get("wait") is True,
    )


def parse_flux_object(ro: RenderedObject) -> HelmRelease | ResourceSet | None:
    """A rendered HelmRelease or ResourceSet, typed; None for any other object."""
    return helm_release(ro) or resource_set(ro)


def flux_depends_on(obj: dict, ref: ObjectRef | None = None) -> tuple[DependsOn, ...]:
    """The dependsOn entries of a Kustomization, HelmRelease or ResourceSet object
    (of its own API group; any other object has none)."""
    ref = ref or ref_of(obj)
    for kind, group in (KUSTOMIZATION_KIND, HELM_RELEASE_KIND, RESOURCE_SET_KIND):
        if is_kind(obj, group, kind):
            return depends_on(_dict(obj.get("spec")), kind, ref.namespace)
    return ()
