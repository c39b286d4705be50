"""The CRD index and the three CRD rules: missing-crd, crd-order, crd-prune.

Defects are injected into temporary copies of the example platform (which
lints clean), each must give exactly its finding at the right file and line;
small repositories cover the cases the example has no room for.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gitops_lint.core.data import Severity
from gitops_lint.load.config import Config, parse_config
from gitops_lint.model.crds import chart_table
from gitops_lint.model.kinds import builtin_namespaced, is_builtin
from tests.conftest import FIXTURES
from tests.helpers import GOTK, ks, lint_repo, write_tree

CRD_RULES = {"missing-crd", "crd-order", "crd-prune"}
LAYERS = "clusters/mycluster-0"


@pytest.fixture
def example(tmp_path) -> Path:
    dest = tmp_path / "example"
    shutil.copytree(FIXTURES / "example", dest)
    return dest


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def crd_findings(root: Path, config: Config | None = None) -> list[tuple[str, str, str, str]]:
    result = lint_repo(root, config=config)
    return [
        (f"{f.file}:{f.line}", f.rule, f.severity.label, f.message)
        for f in result.findings
        if f.rule in CRD_RULES
    ]


def where(findings) -> list[tuple[str, str, str]]:
    return [(pos, rule, sev) for pos, rule, sev, _ in findings]


# -- the example platform --------------------------------------------------------------


def test_example_has_no_crd_findings():
    assert crd_findings(FIXTURES / "example") == []


def test_cr_moved_to_a_layer_that_does_not_depend_on_its_crd_layer(example):
    # the ClusterIssuer moves from security (after crds) to namespaces (first layer)
    shutil.move(
        example / "security/base/cert-manager/cluster-issuer.yaml",
        example / "namespaces/base/platform/cluster-issuer.yaml",
    )
    _edit(example / "security/base/cert-manager/kustomization.yaml", "  - cluster-issuer.yaml\n", "")
    _edit(
        example / "namespaces/base/platform/kustomization.yaml",
        "  - namespaces.yaml\n",
        "  - namespaces.yaml\n  - cluster-issuer.yaml\n",
    )
    found = crd_findings(example)
    assert where(found) == [(f"{LAYERS}/namespaces.yaml:4", "crd-order", "error")]
    message = found[0][3]
    assert (
        "CustomResourceDefinition clusterissuers.cert-manager.io (crds/base/cert-manager/clusterissuers.yaml)"
        in message
    )
    # crds depends on namespaces: a dependsOn the other way round would be a cycle
    assert "which comes after Kustomization flux-system/namespaces" in message
    assert "move it to a Kustomization that depends on {name: crds}" in message
    assert "to the dependsOn of namespaces" not in message


def test_removed_depends_on(example):
    # apps no longer waits for epis, whose XRD serves the PostgreSQLInstance claim
    _edit(example / LAYERS / "apps.yaml", "    - name: epis\n", "")
    found = crd_findings(example)
    assert where(found) == [("apps/mycluster-0/podinfo.yaml:4", "crd-order", "error")]
    assert "CompositeResourceDefinition xpostgresqlinstances.platform.example.com" in found[0][3]


def test_dropped_health_check_is_the_subtle_warning(example):
    # apps still depends on epis, but epis turns Ready before Crossplane established the XRD
    _edit(
        example / LAYERS / "epis.yaml",
        "    - apiVersion: apiextensions.crossplane.io/v1\n"
        "      kind: CompositeResourceDefinition\n"
        "      name: xpostgresqlinstances.platform.example.com\n",
        "",
    )
    found = crd_findings(example)
    assert where(found) == [("apps/mycluster-0/podinfo.yaml:4", "crd-order", "warning")]
    message = found[0][3]
    assert "podinfo waits for epis (dependsOn), but epis turns Ready as soon as it has applied" in message
    assert (
        "give Kustomization flux-system/epis `wait: true`, or a healthChecks entry {apiVersion: "
        "apiextensions.crossplane.io/v1, kind: CompositeResourceDefinition, name: "
        "xpostgresqlinstances.platform.example.com}" in message
    )


def test_dropped_helm_release_health_checks(example):
    # crossplane checks neither its HelmRelease nor its Deployment: epis' Crossplane kinds warn
    text = (example / LAYERS / "crossplane.yaml").read_text()
    start = text.index("  # Ready must mean")
    end = text.index("  postBuild:")
    (example / LAYERS / "crossplane.yaml").write_text(text[:start] + text[end:])
    found = crd_findings(example)
    # one finding for the three objects of epis, at epis' dependsOn
    assert where(found) == [(f"{LAYERS}/epis.yaml:7", "crd-order", "warning")]
    message = found[0][3]
    assert message.startswith("3 objects (CompositeResourceDefinition ")
    assert (
        "{apiVersion: helm.toolkit.fluxcd.io/v2, kind: HelmRelease, name: crossplane, "
        "namespace: crossplane-system}" in message
    )


def test_prune_true_on_the_crd_layer(example):
    _edit(example / LAYERS / "crds.yaml", "  prune: false\n", "  prune: true\n")
    # every CRD of the layer is annotated prune: disabled: nothing to report
    assert crd_findings(example) == []
    _edit(
        example / "crds/base/monitoring/servicemonitors.yaml",
        "  annotations:\n    kustomize.toolkit.fluxcd.io/prune: disabled\n",
        "",
    )
    found = crd_findings(example)
    assert where(found) == [(f"{LAYERS}/crds.yaml:14", "crd-prune", "error")]
    assert "servicemonitors.monitoring.coreos.com" in found[0][3]
    assert "set prune: false" in found[0][3]


def test_deleted_crd(example):
    (example / "crds/base/cert-manager/clusterissuers.yaml").unlink()
    _edit(
        example / "crds/base/cert-manager/kustomization.yaml",
        "resources:\n  - clusterissuers.yaml\n",
        "resources: []\n",
    )
    found = crd_findings(example)
    assert where(found) == [("security/base/cert-manager/cluster-issuer.yaml:2", "missing-crd", "error")]
    message = found[0][3]
    assert "ClusterIssuer (cert-manager.io/ClusterIssuer)" in message
    # the cert-manager chart is there, with its CRDs switched off
    assert "HelmRelease cert-manager/cert-manager (chart cert-manager) does not install them" in message


def test_enabling_the_chart_crds_moves_the_problem_to_ordering(example):
    # with the CRD file gone but the chart installing CRDs, security depends on
    # infrastructure, which has wait: true: ordered, nothing to report
    (example / "crds/base/cert-manager/clusterissuers.yaml").unlink()
    _edit(
        example / "crds/base/cert-manager/kustomization.yaml",
        "resources:\n  - clusterissuers.yaml\n",
        "resources: []\n",
    )
    _edit(
        example / "infrastructure/base/cert-manager/helmrelease.yaml",
        "      enabled: false\n",
        "      enabled: true\n",
    )
    assert crd_findings(example) == []
    # without wait on infrastructure, the ClusterIssuer is the subtle warning
    _edit(example / LAYERS / "infrastructure.yaml", "  wait: true\n", "")
    found = crd_findings(example)
    assert where(found) == [(f"{LAYERS}/security.yaml:7", "crd-order", "warning")]


# -- small repositories ------------------------------------------------------------------


def release(name: str, chart: str, url: str, extra: str = "") -> str:
    return f"""apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: {name}
  namespace: flux-system
spec:
  interval: 1h
  url: {url}
  ref: {{tag: "1.0.0"}}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {name}
  namespace: flux-system
spec:
  interval: 1h
  chartRef: {{kind: OCIRepository, name: {name}}}
{extra}"""


ISSUER = "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: selfsigned\nspec:\n  selfSigned: {}\n"
CLUSTER = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: db\n  namespace: flux-system\nspec:\n  instances: 1\n"


def repo(tmp_path: Path, files: dict[str, str]) -> Path:
    return write_tree(tmp_path, {**GOTK, **files})


def test_helm_release_in_the_same_kustomization_is_an_error(tmp_path):
    root = repo(
        tmp_path,
        {
            "clusters/dev/db.yaml": ks("db", "./db"),
            "db/operator.yaml": release(
                "cnpg", "cloudnative-pg", "oci://ghcr.io/cloudnative-pg/charts/cloudnative-pg"
            ),
            "db/cluster.yaml": CLUSTER,
        },
    )
    found = crd_findings(root)
    assert where(found) == [("clusters/dev/db.yaml:4", "crd-order", "error")]
    assert "in the same Kustomization flux-system/db" in found[0][3]


def test_child_of_the_kustomization_applying_the_chart_is_not_ordered(tmp_path):
    root = repo(
        tmp_path,
        {
            "clusters/dev/db.yaml": ks("db", "./db", extra="  wait: true\n"),
            "db/operator.yaml": release(
                "cnpg", "cloudnative-pg", "oci://ghcr.io/cloudnative-pg/charts/cloudnative-pg"
            ),
            "db/child.yaml": ks("db-cluster", "./cluster"),
            "cluster/cluster.yaml": CLUSTER,
        },
    )
    found = crd_findings(root)
    assert where(found) == [("db/child.yaml:4", "crd-order", "error")]
    assert "starts when db applies it" in found[0][3]
    # db waits for db-cluster (wait: true): a dependsOn on db would deadlock, and is not advised
    assert "it cannot depend on db, which waits for it" in found[0][3]
    assert "add {name: db}" not in found[0][3]
    # a health check on the release instead of wait: true, and a dependsOn on the parent, order it
    hc = "  healthChecks:\n    - {apiVersion: helm.toolkit.fluxcd.io/v2, kind: HelmRelease, name: cnpg, namespace: flux-system}\n"
    (root / "clusters/dev/db.yaml").write_text(ks("db", "./db", extra=hc))
    (root / "db/child.yaml").write_text(ks("db-cluster", "./cluster", depends=["db"]))
    assert crd_findings(root) == []


def test_health_check_on_the_release_workload_counts(tmp_path):
    files = {
        "clusters/dev/layers.yaml": ks(
            "operators",
            "./operators",
            extra="  healthChecks:\n    - {apiVersion: apps/v1, kind: Deployment, name: cnpg, namespace: flux-system}\n",
        )
        + "---\n"
        + ks("dbs", "./dbs", depends=["operators"]),
        "operators/operator.yaml": release(
            "cnpg", "cloudnative-pg", "oci://ghcr.io/cloudnative-pg/charts/cloudnative-pg"
        ),
        "dbs/cluster.yaml": CLUSTER,
    }
    assert crd_findings(repo(tmp_path, files)) == []


def test_chart_values_and_install_crds_skip(tmp_path):
    files = {
        "clusters/dev/layers.yaml": ks("operators", "./operators", extra="  wait: true\n")
        + "---\n"
        + ks("dbs", "./dbs", depends=["operators"]),
        "operators/operator.yaml": release(
            "cnpg",
            "cloudnative-pg",
            "oci://ghcr.io/cloudnative-pg/charts/cloudnative-pg",
            "  valuesFrom:\n    - {kind: ConfigMap, name: cnpg-values}\n",
        ),
        "operators/values.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cnpg-values\n  namespace: flux-system\n"
        "data:\n  values.yaml: |\n    crds:\n      create: false\n",
        "dbs/cluster.yaml": CLUSTER,
    }
    root = repo(tmp_path, files)
    found = crd_findings(root)
    assert where(found) == [("dbs/cluster.yaml:2", "missing-crd", "error")]
    assert "crds.create is False" in found[0][3]
    # install.crds: Skip matters only for charts with a crds/ directory (crossplane)
    (root / "operators/values.yaml").unlink()
    (root / "operators/operator.yaml").write_text(
        release(
            "crossplane",
            "crossplane",
            "oci://xpkg.upbound.io/crossplane/crossplane",
            "  install:\n    crds: Skip\n",
        )
    )
    (root / "dbs/cluster.yaml").write_text(
        "apiVersion: pkg.crossplane.io/v1\nkind: Provider\nmetadata:\n  name: provider-helm\nspec:\n  package: xpkg.upbound.io/crossplane-contrib/provider-helm:v0.19.0\n"
    )
    found = crd_findings(root)
    assert where(found) == [("dbs/cluster.yaml:2", "missing-crd", "error")]
    assert "install.crds: Skip" in found[0][3]


def test_bootstrap_helmfile_installs_crds_before_flux(tmp_path):
    files = {
        "clusters/dev/db.yaml": ks("db", "./db"),
        "db/operator.yaml": release(
            "cnpg", "cloudnative-pg", "oci://ghcr.io/cloudnative-pg/charts/cloudnative-pg"
        ),
        "db/cluster.yaml": CLUSTER,
    }
    root = repo(tmp_path, files)
    assert where(crd_findings(root)) == [("clusters/dev/db.yaml:4", "crd-order", "error")]
    # the release is matched to the HelmRelease flux-system/cnpg (no literal chart)
    write_tree(
        root,
        {
            "bootstrap/helmfile.d/00-crds.yaml": "helmDefaults:\n  args: [--include-crds]\nreleases:\n"
            "  - name: cnpg\n    namespace: flux-system\n    chart: '{{ .Values.chart }}'\n"
        },
    )
    assert crd_findings(root) == []


def test_crd_providers_config(tmp_path):
    files = {
        "clusters/dev/apps.yaml": ks("apps", "./apps"),
        "apps/widget.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: flux-system\n",
        "clusters/dev/operators.yaml": ks("operators", "./operators", extra="  wait: true\n"),
        "operators/widgets.yaml": release(
            "gizmos", "gizmo-controller", "oci://ghcr.io/acme/charts/gizmo-controller"
        ),
    }
    root = repo(tmp_path, files)
    # a chart the table does not know may install any group: unverifiable, not missing
    assert where(crd_findings(root)) == [("apps/widget.yaml:2", "missing-crd", "info")]
    # an object of the cluster: ordered like a chart of the table
    config = parse_config({"crd-providers": {"example.com": "HelmRelease/flux-system/gizmos"}}, "test")
    found = crd_findings(root, config)
    assert where(found) == [("clusters/dev/apps.yaml:4", "crd-order", "error")]
    assert "add {name: operators} to the dependsOn of apps" in found[0][3]
    # something outside Git: not ordered
    config = parse_config({"crd-providers": {"*.com": "external"}}, "test")
    assert crd_findings(root, config) == []


def test_remote_cluster_providers_serve_only_that_cluster(tmp_path):
    kube = "  kubeConfig:\n    secretRef: {name: spoke-kubeconfig}\n"
    files = {
        "clusters/dev/layers.yaml": ks("spoke-infra", "./infra", extra=kube + "  wait: true\n")
        + "---\n"
        + ks("spoke-configs", "./configs", depends=["spoke-infra"], extra=kube)
        + "---\n"
        + ks("local-configs", "./configs", depends=["spoke-infra"]),
        "infra/cert-manager.yaml": release(
            "cert-manager",
            "cert-manager",
            "oci://quay.io/jetstack/charts/cert-manager",
            "  values:\n    crds: {enabled: true}\n",
        ),
        "configs/issuer.yaml": ISSUER,
    }
    found = crd_findings(repo(tmp_path, files))
    # once for the local cluster (the spoke's chart does not serve it); the spoke copy is fine
    assert [(pos, rule) for pos, rule, _ in where(found)] == [("configs/issuer.yaml:2", "missing-crd")]


def test_crossplane_xrd_kinds_and_scope(tmp_path):
    files = {
        "clusters/dev/layers.yaml": ks("apis", "./apis", extra="  wait: true\n")
        + "---\n"
        + ks("apps", "./apps", depends=["apis"]),
        "apis/xrd.yaml": """apiVersion: apiextensions.crossplane.io/v1
kind: CompositeResourceDefinition
metadata:
  name: xbuckets.platform.example.com
spec:
  group: platform.example.com
  names: {kind: XBucket, plural: xbuckets}
  claimNames: {kind: Bucket, plural: buckets}
  versions:
    - {name: v1alpha1, served: true, referenceable: true}
""",
        "apis/crossplane.yaml": release(
            "crossplane", "crossplane", "oci://xpkg.upbound.io/crossplane/crossplane"
        ),
        "apps/claim.yaml": "apiVersion: platform.example.com/v1alpha1\nkind: Bucket\nmetadata:\n  name: b\n  namespace: flux-system\n",
    }
    root = repo(tmp_path, files)
    found = crd_findings(root)
    # the XRD itself needs Crossplane, installed by a HelmRelease of the same Kustomization
    assert where(found) == [("clusters/dev/layers.yaml:4", "crd-order", "error")]
    from gitops_lint.lint import Linter
    from gitops_lint.model.crds import build_crd_index

    linter = Linter(str(root), Config())
    (cluster,) = linter.build_clusters([str(root)])
    index = build_crd_index(cluster, linter.fs, linter.cache, linter.config)
    assert index.namespaced("platform.example.com", "Bucket") is True
    assert index.namespaced("platform.example.com", "XBucket") is False
    assert index.definition("platform.example.com", "XBucket").served_versions == ("v1alpha1",)
    assert index.namespaced("apps", "Deployment") is True
    assert index.namespaced("example.com", "Nothing") is None


def test_flux_crds_of_the_bootstrap_are_not_prune_findings(tmp_path):
    crd = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: kustomizations.kustomize.toolkit.fluxcd.io
spec:
  group: kustomize.toolkit.fluxcd.io
  names: {kind: Kustomization, plural: kustomizations}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true}]
"""
    root = repo(tmp_path, {"clusters/dev/flux-system/gotk-components.yaml": crd})
    _edit(
        root / "clusters/dev/flux-system/kustomization.yaml",
        "  - gotk-sync.yaml\n",
        "  - gotk-components.yaml\n  - gotk-sync.yaml\n",
    )
    assert crd_findings(root) == []


def test_suppression_comment(tmp_path):
    files = {
        "clusters/dev/apps.yaml": ks("apps", "./apps"),
        "apps/widget.yaml": "# gitops-lint: disable=missing-crd\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: flux-system\n",
    }
    assert crd_findings(repo(tmp_path, files)) == []


# -- tables --------------------------------------------------------------------------


def test_chart_table_is_package_data_and_well_formed():
    table = chart_table()
    assert len(table.charts) >= 40
    for entry in table.charts:
        assert entry.name and entry.charts and entry.crds in ("directory", "templates", "runtime")
    assert table.for_chart("kube-prometheus-stack", None).groups == ("monitoring.coreos.com",)
    # generic chart names match only from their repository
    assert table.for_chart("base", "https://istio-release.storage.googleapis.com/charts") is not None
    assert table.for_chart("base", "https://example.com/charts") is None
    assert "cert-manager" in table.suggest("cert-manager.io")
    assert table.for_package("xpkg.upbound.io/upbound/provider-aws-s3:v1") != []


def test_builtin_kinds_table():
    assert is_builtin("", "ConfigMap") and builtin_namespaced("", "ConfigMap") is True
    assert builtin_namespaced("", "Namespace") is False
    assert builtin_namespaced("rbac.authorization.k8s.io", "ClusterRole") is False
    assert is_builtin("helm.toolkit.fluxcd.io", "HelmRelease")
    assert is_builtin("notification.toolkit.fluxcd.io", "Alert")
    assert not is_builtin("cert-manager.io", "Certificate")
    assert not is_builtin("apps", "Widget")


def test_severities_are_the_catalogs():
    from gitops_lint.rules import all_rules

    codes = {r.name: (r.code, r.severity) for r in all_rules()}
    assert codes["missing-crd"] == ("GL201", Severity.ERROR)
    assert codes["crd-order"] == ("GL202", Severity.ERROR)
    assert codes["crd-prune"] == ("GL203", Severity.ERROR)


def test_for_chart_by_name_finds_what_the_table_scan_finds():
    """The chart table is looked up by chart name (each HelmRelease of each cluster
    asks); the entry found is the first in table order that matches, as a scan finds."""
    from gitops_lint.model.crds import chart_table

    table = chart_table()
    names = sorted({c for e in table.charts for c in e.charts}) + ["no-such-chart", ""]
    urls = [None, "https://example.com/charts"] + sorted({r for e in table.charts for r in e.repositories})
    for name in names:
        for url in urls:
            scanned = next((e for e in table.charts if e.matches_chart(name, url)), None) if name else None
            assert table.for_chart(name, url) is scanned, (name, url)
