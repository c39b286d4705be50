"""The typed Flux model (gitops_lint/model/flux.py): every object parsed once, as Flux reads it.

Each chart source gives the chart's identity; references default their
namespace to the referrer's; malformed ``dependsOn`` entries keep their index
and are marked, never followed; a field of the wrong type is read as
:mod:`gitops_lint.discover.flux_fields` decodes it (left out). The properties
check that parsing is total on any YAML tree, and equal to the dict reading it
replaced wherever that reading was defined.
"""

from __future__ import annotations

import posixpath

from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.core.data import Origin, RenderedObject, key_text
from gitops_lint.model.flux import (
    CHART_REF,
    CHART_SOURCE,
    ChartIdentity,
    DependsOn,
    chart_identity,
    flux_depends_on,
    helm_release,
    kustomization_spec,
    oci_chart_name,
    resource_set,
)
from tests.helpers import GOTK, ks, lint_repo, write_tree

HR = "helm.toolkit.fluxcd.io/v2"
KS = "kustomize.toolkit.fluxcd.io/v1"
RS = "fluxcd.controlplane.io/v1"
SRC = "source.toolkit.fluxcd.io/v1"


def _ro(obj: dict) -> RenderedObject:
    return RenderedObject(obj, Origin("x.yaml", 1))


def _release(spec: dict, namespace: str = "apps", api_version: str = HR):
    obj = {
        "apiVersion": api_version,
        "kind": "HelmRelease",
        "metadata": {"name": "r", "namespace": namespace},
    }
    return helm_release(_ro({**obj, "spec": spec}))


def _finder(*objects: dict):
    """find(kind, ns, name) over a few source objects, as Cluster.find sees them."""

    def find(kind, ns, name):
        for obj in objects:
            meta = obj["metadata"]
            if (obj["kind"], meta.get("namespace", ""), meta["name"]) == (kind, ns, name):
                return obj
        return None

    return find


def _source(kind: str, name: str, namespace: str, spec: dict, api_version: str = SRC) -> dict:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


# -- chart identity, from every chart source -----------------------------------------------

HTTP_REPO = _source("HelmRepository", "bitnami", "flux-system", {"url": "https://charts.bitnami.com/bitnami"})
OCI_REPO = _source(
    "HelmRepository", "ghcr", "flux-system", {"type": "oci", "url": "oci://ghcr.io/stefanprodan/charts"}
)
GIT_REPO = _source("GitRepository", "podinfo", "apps", {"url": "https://github.com/stefanprodan/podinfo"})
BUCKET = _source("Bucket", "charts", "apps", {"bucketName": "charts", "endpoint": "minio:9000"})
OCI_ARTIFACT = _source(
    "OCIRepository", "podinfo", "apps", {"url": "oci://ghcr.io/org/charts/podinfo:6.5@sha256:ab"}
)
HELM_CHART = _source(
    "HelmChart",
    "podinfo",
    "flux-system",
    {"chart": "podinfo", "sourceRef": {"kind": "HelmRepository", "name": "ghcr"}},
)
ALL_SOURCES = _finder(HTTP_REPO, OCI_REPO, GIT_REPO, BUCKET, OCI_ARTIFACT, HELM_CHART)


def _chart(name: str, kind: str, source: str, namespace: str | None = None) -> dict:
    ref = {"kind": kind, "name": source} | ({"namespace": namespace} if namespace else {})
    return {"chart": {"spec": {"chart": name, "version": "1.x", "sourceRef": ref}}}


def test_a_chart_of_an_http_helm_repository_is_its_name_and_the_index_url():
    release = _release(_chart("redis", "HelmRepository", "bitnami", "flux-system"))
    assert chart_identity(release, ALL_SOURCES) == ("redis", "https://charts.bitnami.com/bitnami")
    assert release.chart.version == "1.x"


def test_a_chart_of_an_oci_helm_repository_is_its_name_and_the_registry_url():
    release = _release(_chart("podinfo", "HelmRepository", "ghcr", "flux-system"))
    assert chart_identity(release, ALL_SOURCES) == ("podinfo", "oci://ghcr.io/stefanprodan/charts")


def test_a_chart_of_a_git_repository_or_bucket_is_its_directory():
    git = _release(_chart("./charts/podinfo/", "GitRepository", "podinfo"))
    assert chart_identity(git, ALL_SOURCES) == ("podinfo", "https://github.com/stefanprodan/podinfo")
    bucket = _release(_chart("charts/podinfo", "Bucket", "charts"))
    assert chart_identity(bucket, ALL_SOURCES) == ("podinfo", None)  # a Bucket has no URL


def test_a_chart_ref_to_an_oci_repository_is_the_artifact_named_by_its_url():
    release = _release({"chartRef": {"kind": "OCIRepository", "name": "podinfo"}})
    assert chart_identity(release, ALL_SOURCES) == (
        "podinfo",
        "oci://ghcr.io/org/charts/podinfo:6.5@sha256:ab",
    )


def test_a_chart_ref_to_a_helm_chart_is_its_chart_from_the_helm_charts_source():
    release = _release({"chartRef": {"kind": "HelmChart", "name": "podinfo", "namespace": "flux-system"}})
    assert chart_identity(release, ALL_SOURCES) == ("podinfo", "oci://ghcr.io/stefanprodan/charts")


def test_an_unresolved_source_leaves_what_the_release_itself_says():
    assert chart_identity(_release(_chart("redis", "HelmRepository", "gone")), ALL_SOURCES) == ("redis", None)
    assert chart_identity(_release({"chartRef": {"kind": "OCIRepository", "name": "gone"}}), ALL_SOURCES) == (
        None,
        None,
    )
    assert chart_identity(_release({}), ALL_SOURCES) == ChartIdentity(None, None)


def test_oci_chart_name_drops_tag_and_digest():
    assert oci_chart_name("oci://ghcr.io/org/charts/volsync:0.1.0@sha256:abc") == "volsync"
    assert oci_chart_name("oci://registry:5000/charts/volsync/") == "volsync"


# -- namespaces, as Flux defaults them ------------------------------------------------------


def test_references_default_to_the_referrers_namespace():
    release = _release(_chart("redis", "HelmRepository", "bitnami"), namespace="apps")
    assert release.chart.source.key == ("HelmRepository", "apps", "bitnami")
    assert release.source_refs() == [(CHART_SOURCE, release.chart.source)]
    ref = _release({"chartRef": {"kind": "OCIRepository", "name": "p", "namespace": "other"}}).chart_ref
    assert ref.key == ("OCIRepository", "other", "p")
    spec = kustomization_spec({"spec": {"sourceRef": {"kind": "GitRepository", "name": "repo"}}}, "team")
    assert spec.source_ref.key == ("GitRepository", "team", "repo")
    assert spec.source_ref.text == "GitRepository/team/repo"


def test_a_release_with_chart_and_chart_ref_names_both_sources():
    release = _release(
        {**_chart("redis", "HelmRepository", "bitnami"), "chartRef": {"kind": "HelmChart", "name": "c"}}
    )
    assert [path for path, _ in release.source_refs()] == [CHART_SOURCE, CHART_REF]


def test_depends_on_defaults_namespace_and_kind_as_flux_does():
    spec = {"dependsOn": [{"name": "a"}, {"name": "b", "namespace": "other"}]}
    deps = _release(spec, namespace="apps").depends_on
    assert [(d.index, d.target, d.namespace_given) for d in deps] == [
        (0, ("HelmRelease", "apps", "a"), False),
        (1, ("HelmRelease", "other", "b"), True),
    ]
    # a ResourceSet names any kind; without one, its own
    rs = resource_set(
        _ro(
            {
                "apiVersion": RS,
                "kind": "ResourceSet",
                "metadata": {"name": "s", "namespace": "ops"},
                "spec": {
                    "dependsOn": [{"apiVersion": KS, "kind": "Kustomization", "name": "k"}, {"name": "t"}]
                },
            }
        )
    )
    assert [d.target for d in rs.depends_on] == [("Kustomization", "ops", "k"), ("ResourceSet", "ops", "t")]
    assert rs.depends_on[0].api_version == KS


def test_health_checks_default_api_version_but_not_namespace():
    spec = kustomization_spec({"spec": {"healthChecks": [{"kind": "Deployment", "name": "web"}]}}, "apps")
    (hc,) = spec.health_checks
    assert (hc.api_version, hc.effective_api_version, hc.group, hc.namespace) == ("", "apps/v1", "apps", "")


def test_key_text_is_the_one_way_keys_are_written():
    assert key_text("Namespace", "", "apps") == "Namespace/apps"
    assert key_text("ConfigMap", "flux-system", "vars") == "ConfigMap/flux-system/vars"
    # a namespaced reference keeps its three parts (the form of external: keys)
    assert key_text("ConfigMap", "", "vars", namespaced=True) == "ConfigMap//vars"


# -- malformed entries and wrong types ----------------------------------------------------------


def test_malformed_depends_on_entries_keep_their_index_and_are_not_followed():
    spec = {
        "dependsOn": [
            None,  # absent, as the API server drops a null
            "zz",  # not a mapping
            {"name": 5},  # a name of the wrong type
            {},  # no name
            {"name": "a", "namespace": ["x"]},  # a namespace of the wrong type
            {"name": "b"},
        ]
    }
    deps = kustomization_spec({"spec": spec}, "flux-system").depends_on
    assert [(d.index, d.well_formed) for d in deps] == [
        (1, False),
        (2, False),
        (3, False),
        (4, False),
        (5, True),
    ]
    assert deps[-1].target == ("Kustomization", "flux-system", "b")


def test_a_health_check_after_a_null_entry_keeps_its_own_index():
    spec = kustomization_spec({"spec": {"healthChecks": [None, {"kind": "Deployment", "name": "web"}]}}, "a")
    assert [hc.index for hc in spec.health_checks] == [1]


def test_a_health_check_finding_points_at_its_entry_after_a_null_one(tmp_path):
    # health-check-target counted entries after leaving the null out: its finding
    # pointed at the null's line
    files = dict(GOTK)
    checks = "  healthChecks:\n    -\n    - apiVersion: apps/v1\n      kind: Deployment\n      name: web\n"
    files["clusters/dev/apps.yaml"] = ks("apps", "./apps", extra=checks)
    files["apps/cm.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: default\n"
    write_tree(tmp_path, files)
    lines = files["clusters/dev/apps.yaml"].splitlines()
    entry = lines.index("    - apiVersion: apps/v1") + 1
    found = [f for f in lint_repo(tmp_path, "clusters/dev").findings if f.rule == "health-check-target"]
    assert [(f.file, f.line) for f in found] == [("clusters/dev/apps.yaml", entry)], found


def test_wrong_types_are_read_as_flux_fields_decodes_them():
    release = _release(
        {
            "chart": 5,
            "chartRef": {"kind": "OCIRepository", "name": ["a"]},
            "targetNamespace": 7,
            "values": "a: b",
            "valuesFrom": [{"kind": "ConfigMap", "name": "v", "optional": "yes"}, 3],
        },
        namespace="apps",
    )
    assert release.chart is None
    assert release.chart_ref.key == ("OCIRepository", "apps", "")  # the name is left out
    assert release.release_namespace == "apps"
    assert release.values is None
    assert [(v.index, v.name, v.optional, v.values_key) for v in release.values_from] == [
        (0, "v", False, "values.yaml")
    ]
    spec = kustomization_spec(
        {"spec": {"prune": "true", "wait": 1, "suspend": True, "path": 5, "sourceRef": "repo"}}, "ns"
    )
    assert (spec.prune, spec.wait, spec.suspend, spec.path, spec.source_ref) == (
        False,
        False,
        True,
        None,
        None,
    )


def test_only_flux_groups_are_parsed():
    assert _release({}, api_version="helm.toolkit.fluxcd.io.example/v2") is None
    assert _release({}, api_version="helm.toolkit.fluxcd.io") is None  # no version: no group
    assert _release({}, api_version="helm.toolkit.fluxcd.io/v2beta1") is not None
    assert (
        flux_depends_on({"apiVersion": "v1", "kind": "ConfigMap", "spec": {"dependsOn": [{"name": "a"}]}})
        == ()
    )


def test_one_group_test_for_a_helm_release_of_another_group(tmp_path):
    # missing-source read any apiVersion starting with helm.toolkit.fluxcd.io, the CRD
    # index only the group itself: both now read the one parse, of Flux's group only
    files = dict(GOTK)
    files["clusters/dev/hr.yaml"] = (
        "apiVersion: helm.toolkit.fluxcd.io.example/v2\nkind: HelmRelease\nmetadata:\n  name: r\n"
        "  namespace: flux-system\nspec:\n  chart:\n    spec:\n      chart: redis\n"
        "      sourceRef:\n        kind: HelmRepository\n        name: absent\n"
    )
    write_tree(tmp_path, files)
    findings = lint_repo(tmp_path, "clusters/dev").findings
    assert any(f.rule == "missing-crd" and f.file == "clusters/dev/hr.yaml" for f in findings), findings
    assert not [f for f in findings if f.rule == "missing-source"], findings


# -- properties -----------------------------------------------------------------------------------

SCALARS = (
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["", "a", "b", "ns", "${X}", "apps/v1"])
)
KEYS = st.sampled_from(["name", "namespace", "kind", "apiVersion", "chart", "spec", "sourceRef", "url", "x"])
TREES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)
ENTRY = st.dictionaries(
    st.sampled_from(["name", "namespace", "kind", "apiVersion", "readyExpr"]), SCALARS, max_size=4
)
DEPENDS = st.lists(ENTRY | SCALARS | TREES, max_size=5)


def _old_dependencies_of(key, obj):
    """graph.dependson.dependencies_of before the model: the raw dict reading."""
    spec = obj.get("spec")
    entries = spec.get("dependsOn") if isinstance(spec, dict) else None
    if not isinstance(entries, list):
        return []
    kind, namespace, _ = key
    out = []
    for i, dep in enumerate(entries):
        if not isinstance(dep, dict) or not dep.get("name"):
            continue
        dep_kind = str(dep.get("kind") or kind) if kind == "ResourceSet" else kind
        out.append((i, (dep_kind, str(dep.get("namespace") or namespace), str(dep["name"]))))
    return out


def _well_typed(entry) -> bool:
    return isinstance(entry, dict) and all(v is None or isinstance(v, str) for v in entry.values())


@settings(max_examples=300)
@given(
    kind=st.sampled_from([("Kustomization", KS), ("HelmRelease", HR), ("ResourceSet", RS)]),
    depends=DEPENDS | TREES,
    spec_extra=st.dictionaries(KEYS, TREES, max_size=3),
)
def test_depends_on_is_total_and_equal_to_the_old_reading_where_it_was_defined(kind, depends, spec_extra):
    name, api_version = kind
    obj = {
        "apiVersion": api_version,
        "kind": name,
        "metadata": {"name": "me", "namespace": "ns"},
        "spec": {**spec_extra, "dependsOn": depends},
    }
    new = flux_depends_on(obj)
    assert all(isinstance(d, DependsOn) for d in new)
    old = dict(_old_dependencies_of((name, "ns", "me"), obj))
    followed = {d.index: d.target for d in new if d.well_formed}
    # every entry the model follows, the old reading followed to the same target ...
    assert all(old.get(i) == target for i, target in followed.items())
    # ... and every entry the old reading followed whose fields all have their types, the model follows
    for i, target in old.items():
        if _well_typed(depends[i]):
            assert followed.get(i) == target


def _old_chart_identity(obj: dict, find) -> tuple:
    """model.crds.chart_identity before the model: the raw dict reading."""

    def spec_of(o):
        s = o.get("spec") if isinstance(o, dict) else None
        return s if isinstance(s, dict) else {}

    spec = spec_of(obj)
    ns = obj["metadata"]["namespace"]
    chart = spec.get("chart")
    if isinstance(chart, dict):
        cspec = chart.get("spec") if isinstance(chart.get("spec"), dict) else {}
        name = cspec.get("chart")
        name = posixpath.basename(str(name).rstrip("/")) if name else None
        ref = cspec.get("sourceRef") if isinstance(cspec.get("sourceRef"), dict) else {}
        src = find(str(ref.get("kind", "")), str(ref.get("namespace") or ns), str(ref.get("name", "")))
        url = spec_of(src).get("url") if src else None
        return name, str(url) if url else None
    ref = spec.get("chartRef")
    if isinstance(ref, dict):
        kind, rns, name = str(ref.get("kind", "")), str(ref.get("namespace") or ns), str(ref.get("name", ""))
        src = find(kind, rns, name)
        if src is None:
            return None, None
        sspec = spec_of(src)
        if kind == "OCIRepository" and sspec.get("url"):
            url = str(sspec["url"]).rstrip("/")
            return oci_chart_name(url), url
        if kind == "HelmChart" and sspec.get("chart"):
            sref = sspec.get("sourceRef") if isinstance(sspec.get("sourceRef"), dict) else {}
            repo = find(str(sref.get("kind", "")), rns, str(sref.get("name", "")))
            url = spec_of(repo).get("url") if repo else None
            return posixpath.basename(str(sspec["chart"]).rstrip("/")), str(url) if url else None
    return None, None


NAMES = st.sampled_from(["bitnami", "ghcr", "podinfo", "charts", "gone", ""])
KINDS = st.sampled_from(["HelmRepository", "GitRepository", "Bucket", "OCIRepository", "HelmChart", ""])
NSES = st.sampled_from(["", "apps", "flux-system"])
REF = st.fixed_dictionaries({"kind": KINDS, "name": NAMES}, optional={"namespace": NSES})
CHART_SPEC = st.fixed_dictionaries(
    {}, optional={"chart": st.sampled_from(["redis", "./charts/podinfo/", "", "a/b"]), "sourceRef": REF}
)
HR_SPEC = st.fixed_dictionaries(
    {}, optional={"chart": st.fixed_dictionaries({}, optional={"spec": CHART_SPEC}), "chartRef": REF}
)


@given(spec=HR_SPEC | st.dictionaries(st.sampled_from(["chart", "chartRef"]), TREES, max_size=2), ns=NSES)
def test_chart_identity_is_total_and_equal_to_the_old_reading_on_well_typed_releases(spec, ns):
    obj = {"apiVersion": HR, "kind": "HelmRelease", "metadata": {"name": "r", "namespace": ns}, "spec": spec}
    release = helm_release(_ro(obj))
    new = chart_identity(release, ALL_SOURCES)
    assert isinstance(new, ChartIdentity)
    if HR_SPEC_OK(spec):
        assert tuple(new) == _old_chart_identity(obj, ALL_SOURCES)


def HR_SPEC_OK(spec) -> bool:  # noqa: N802 - reads as the strategy's name
    """Is every field the old reading looked at of its CRD type (where the two readings must agree)?"""

    def ref_ok(ref):
        return isinstance(ref, dict) and all(isinstance(v, str) for v in ref.values())

    chart = spec.get("chart")
    if "chart" in spec:
        if not isinstance(chart, dict) or not isinstance(chart.get("spec", {}), dict):
            return False
        cspec = chart.get("spec", {})
        if not isinstance(cspec.get("chart", ""), str) or (
            "sourceRef" in cspec and not ref_ok(cspec["sourceRef"])
        ):
            return False
    return "chartRef" not in spec or ref_ok(spec["chartRef"])


@given(obj=TREES, ns=NSES)
def test_every_parse_is_total_on_any_yaml_tree(obj, ns):
    for kind, api_version in (("Kustomization", KS), ("HelmRelease", HR), ("ResourceSet", RS)):
        tree = {"apiVersion": api_version, "kind": kind, "metadata": {"namespace": ns}, "spec": obj}
        kustomization_spec(tree, ns)
        flux_depends_on(tree)
        release = helm_release(_ro(tree))
        if release is not None:
            chart_identity(release, ALL_SOURCES)
            release.source_refs()
        resource_set(_ro(tree))
    kustomization_spec(obj, ns)  # not even a mapping


def test_post_build_reads_variables_and_sources_with_their_own_index():
    spec = kustomization_spec(
        {
            "spec": {
                "postBuild": {
                    "substitute": {"domain": "example.com"},
                    "substituteFrom": [None, {"kind": "ConfigMap", "name": "vars", "optional": True}, 5],
                    "substituteStrategy": "Always",
                }
            }
        },
        "flux-system",
    )
    post = spec.post_build
    assert post.substitute == {"domain": "example.com"} and post.strategy == "Always"
    assert [(s.index, s.kind, s.name, s.optional) for s in post.substitute_from] == [
        (1, "ConfigMap", "vars", True)
    ]
    assert kustomization_spec({"spec": {"postBuild": 5}}, "a").post_build is None
