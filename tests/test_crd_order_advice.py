"""crd-order: one finding per missing ordering, advice Flux can run; suspended
subtrees; health checks on content gitops-lint cannot see.

The crdorder-* fixtures are small repositories; each test also breaks or
repairs its fixture in a temporary copy to show the finding is the planted
defect and nothing else.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gitops_lint.core.data import Severity
from tests.conftest import FIXTURES
from tests.helpers import GOTK, ks, lint_repo, write_tree


def copy(tmp_path: Path, name: str) -> Path:
    dest = tmp_path / name
    shutil.copytree(FIXTURES / name, dest)
    return dest


def found(root: Path, *rules: str) -> list[tuple[str, str, str, str]]:
    return [
        (f"{f.file}:{f.line}", f.rule, f.severity.label, f.message)
        for f in lint_repo(root).findings
        if not rules or f.rule in rules
    ]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


# -- suspended subtree ---------------------------------------------------------------


def test_suspended_subtree_raises_nothing_but_one_info():
    findings = lint_repo(FIXTURES / "crdorder-suspended").findings
    assert [(f.file, f.line, f.rule, f.severity) for f in findings] == [
        ("clusters/dev/apps.yaml", 8, "kustomize-build", Severity.INFO)
    ]
    assert (
        "has spec.suspend: true: Flux applies nothing of it nor of the 1 Kustomization" in findings[0].message
    )


def test_resumed_subtree_finds_what_the_fixture_planted(tmp_path):
    root = copy(tmp_path, "crdorder-suspended")
    edit(root / "clusters/dev/apps.yaml", "  suspend: true\n", "")
    assert sorted((pos, rule) for pos, rule, sev, _ in found(root) if sev != "info") == [
        ("apps/child.yaml:4", "crd-order"),
        ("apps/gadget.yaml:2", "missing-crd"),
        ("clusters/dev/apps.yaml:10", "crd-prune"),
        ("clusters/dev/apps.yaml:5", "crd-order"),
    ]


# -- one finding per (Kustomization, provider), namespaced dependsOn -------------------


def test_objects_of_one_missing_dependency_share_one_finding():
    result = found(FIXTURES / "crdorder-aggregated", "crd-order")
    assert [(pos, sev) for pos, _, sev, _ in result] == [
        ("clusters/dev/layers.yaml:35", "error"),
        ("clusters/dev/layers.yaml:35", "error"),
    ]
    certificates, widgets = (m for *_, m in result)
    assert widgets.startswith("5 objects (Gadget apps/g0, Widget apps/w0, Widget apps/w1 and 2 more)")
    assert "CustomResourceDefinitions gadgets.example.com, widgets.example.com" in widgets
    # the providers live in namespace platform: the entry must say so
    assert "add {name: crds, namespace: platform} to the dependsOn of apps" in widgets
    assert certificates.startswith("2 objects (Certificate apps/a, Certificate apps/b)")
    assert "add {name: controllers, namespace: platform} to the dependsOn of apps" in certificates
    # controllers already has wait: true
    assert "wait: true" not in certificates


def test_following_the_advice_clears_the_findings(tmp_path):
    root = copy(tmp_path, "crdorder-aggregated")
    edit(
        root / "clusters/dev/layers.yaml",
        "# depends on neither: one finding per provider, not one per object\n"
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n"
        "  namespace: flux-system\nspec:\n",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n"
        "  namespace: flux-system\nspec:\n  dependsOn:\n    - {name: crds, namespace: platform}\n"
        "    - {name: controllers, namespace: platform}\n",
    )
    assert found(root, "crd-order", "missing-crd") == []


def test_object_level_suppression_still_works(tmp_path):
    root = copy(tmp_path, "crdorder-aggregated")
    text = (root / "apps/certificates.yaml").read_text()
    (root / "apps/certificates.yaml").write_text(
        "\n---\n".join("# gitops-lint: disable=crd-order\n" + d for d in text.split("---\n"))
    )
    result = found(root, "crd-order")
    assert len(result) == 1 and result[0][3].startswith("5 objects")


# -- the gap is the ancestor's missing wait ------------------------------------------


def test_ancestor_applying_the_crd_kustomization_without_wait():
    (result,) = found(FIXTURES / "crdorder-ancestor-wait", "crd-order")
    pos, _, sev, message = result
    assert (pos, sev) == ("clusters/dev/layers.yaml:22", "error")
    assert (
        "apps waits for flux-system/infrastructure (dependsOn), which applies crds without waiting for it"
        in message
    )
    assert (
        "give infrastructure `wait: true` or a healthChecks entry {apiVersion: kustomize.toolkit.fluxcd.io/v1"
        in message
    )


def test_ancestor_with_wait_orders_the_dependent(tmp_path):
    root = copy(tmp_path, "crdorder-ancestor-wait")
    edit(
        root / "clusters/dev/layers.yaml",
        "  interval: 10m\n  path: ./infrastructure\n",
        "  wait: true\n  interval: 10m\n  path: ./infrastructure\n",
    )
    assert found(root, "crd-order") == []


# -- advice that would deadlock is never given ----------------------------------------

CRD = (
    (FIXTURES / "crdorder-ancestor-wait/crds/widgets.yaml").read_text()
    if (FIXTURES / "crdorder-ancestor-wait/crds/widgets.yaml").exists()
    else ""
)
WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: flux-system\n"


def test_objects_beside_the_child_that_provides_their_crd(tmp_path):
    # the layer applies the crds Kustomization and a Widget in one apply: the Widget's failed
    # dry-run blocks the crds Kustomization itself (never converges); a dependsOn of the layer
    # on its own child would never be satisfied either
    root = write_tree(
        tmp_path,
        {
            **GOTK,
            "clusters/dev/layer.yaml": ks("layer", "./layer"),
            "layer/crds.yaml": ks("crds", "./crds"),
            "layer/widget.yaml": WIDGET,
            "crds/widgets.yaml": CRD,
        },
    )
    (result,) = found(root, "crd-order")
    pos, _, sev, message = result
    assert (pos, sev) == ("clusters/dev/layer.yaml:4", "error")
    assert "Kustomization flux-system/layer itself applies it" in message
    assert "move it to a Kustomization that depends on {name: crds}" in message
    assert "to the dependsOn of layer" not in message


def test_provider_that_comes_after_the_dependent(tmp_path):
    root = write_tree(
        tmp_path,
        {
            **GOTK,
            "clusters/dev/layers.yaml": ks("base", "./base")
            + "---\n"
            + ks("crds", "./crds", depends=["base"]),
            "base/widget.yaml": WIDGET,
            "crds/widgets.yaml": CRD,
        },
    )
    (result,) = found(root, "crd-order")
    assert "which comes after Kustomization flux-system/base" in result[3]
    assert "to the dependsOn of base" not in result[3]


@pytest.mark.parametrize("wait", [True, False])
def test_wait_is_not_advised_to_a_parent_of_the_dependent(tmp_path, wait):
    # operators applies the chart and, as a child, the Kustomization that uses its CRD
    release = """apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: cnpg, namespace: flux-system}
spec: {interval: 1h, url: oci://ghcr.io/cloudnative-pg/charts/cloudnative-pg, ref: {tag: "1.0.0"}}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: cnpg, namespace: flux-system}
spec: {interval: 1h, chartRef: {kind: OCIRepository, name: cnpg}}
"""
    cluster = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: db\n  namespace: flux-system\nspec:\n  instances: 1\n"
    root = write_tree(
        tmp_path,
        {
            **GOTK,
            "clusters/dev/operators.yaml": ks(
                "operators", "./operators", extra="  wait: true\n" if wait else ""
            ),
            "operators/cnpg.yaml": release,
            # with wait: true on operators a dependsOn would deadlock: db has none then
            "operators/db.yaml": ks("db", "./db", depends=[] if wait else ["operators"]),
            "db/cluster.yaml": cluster,
        },
    )
    (result,) = found(root, "crd-order")
    message = result[3]
    if wait:
        # operators waits for db (wait: true), db waits for operators: never advised
        assert "it cannot depend on operators, which waits for it" in message
    else:
        assert "give Kustomization flux-system/operators a healthChecks entry" in message
        assert "(not `wait: true`: it would wait for the dependent, a deadlock)" in message


# -- health checks on what cannot be seen ----------------------------------------------


def test_health_check_on_external_content_is_unverifiable():
    result = found(FIXTURES / "crdorder-external-health", "health-check-target")
    assert [(pos, sev) for pos, _, sev, _ in result] == [("clusters/dev/apps.yaml:12", "warning")]
    assert "Deployment apps/frontend is applied by no Kustomization" in result[0][3]


def test_health_check_on_an_object_another_kustomization_applies(tmp_path):
    root = copy(tmp_path, "crdorder-external-health")
    write_tree(
        root,
        {
            "clusters/dev/frontend.yaml": ks("frontend", "./frontend"),
            "frontend/deployment.yaml": (root / "apps/podinfo.yaml")
            .read_text()
            .replace("podinfo", "frontend"),
        },
    )
    edit(root / "clusters/dev/kustomization.yaml", "  - apps.yaml\n", "  - apps.yaml\n  - frontend.yaml\n")
    assert found(root, "health-check-target") == []
    # unless that Kustomization waits for this one: neither turns Ready
    (root / "clusters/dev/frontend.yaml").write_text(ks("frontend", "./frontend", depends=["apps"]))
    (result,) = found(root, "health-check-target")
    assert "is applied by Kustomization flux-system/frontend, which depends on flux-system/apps" in result[3]
