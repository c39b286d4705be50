"""Issue 12, classes 1, 7 and 8: one small repository per class (tests/fixtures/sv-*).

Each repository is what real ones do: it fails on the code before the fix and
passes after.
"""

from __future__ import annotations

import shutil

import pytest

from gitops_lint.schema.core import available_versions
from gitops_lint.schema.deprecations import judge_kubernetes
from gitops_lint.schema.kube_apis import history, served
from tests.conftest import FIXTURES
from tests.helpers import lint_repo


def _findings(repo: str, *paths: str) -> list[str]:
    result = lint_repo(FIXTURES / repo, *paths)
    return [f"{f.file}:{f.line} {f.rule} {f.severity.name.lower()} {f.message}" for f in result.findings]


def test_crd_and_priority_class_with_keyword_named_fields_are_valid():
    """Class 1: ``description`` and ``x-kubernetes-*`` are field names inside ``properties``."""
    assert _findings("sv-keyword-fields") == []


# -- class 7: the Flux version the repository states -------------------------------------


def test_flux_2_2_from_a_bootstrap_kustomization():
    """Ramblurr-like: flux2/manifests/install?ref=v2.2.3 outside the cluster's tree."""
    found = _findings("sv-flux-2.2")
    stated = (
        "Flux 2.2 (from bootstrap/kustomization.yaml: github.com/fluxcd/flux2/manifests/install?ref=v2.2.3)"
    )
    assert [f.split(" ", 3)[:3] for f in found] == [
        ["apps/podinfo.yaml:1", "deprecated-api", "warning"],
        ["apps/podinfo.yaml:10", "deprecated-api", "warning"],
        ["apps/podinfo.yaml:24", "deprecated-api", "error"],
    ]
    assert all(stated in f for f in found)
    # Flux 2.2 has no HelmRepository v1 nor HelmRelease v2: never "use" them
    assert "move to source.toolkit.fluxcd.io/v1 (from Flux 2.3)" in found[0]
    assert (
        "use source.toolkit.fluxcd.io/v1" not in found[0] and "use helm.toolkit.fluxcd.io/v2 " not in found[1]
    )
    assert found[2].endswith(
        "arrives in Flux 2.3; " + stated + " does not serve it: use helm.toolkit.fluxcd.io/v2beta2"
    )


def _copy(tmp_path, repo: str):
    root = tmp_path / repo
    shutil.copytree(FIXTURES / repo, root)
    return root


def _lint(root) -> list[str]:
    return [
        f"{f.file}:{f.line} {f.rule} {f.severity.name.lower()} {f.message}" for f in lint_repo(root).findings
    ]


def test_no_stated_version_is_assumed_and_never_an_error(tmp_path):
    root = _copy(tmp_path, "sv-flux-2.2")
    (root / "bootstrap" / "kustomization.yaml").unlink()
    found = _lint(root)
    assert len(found) == 2
    assert all(
        " warning " in f and "Flux 2.9 (assumed: the repository states no Flux version" in f for f in found
    )
    assert "was removed in Flux 2.8 (deprecated since Flux 2.3)" in found[0]


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        (
            "flux.yaml",
            "apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: OCIRepository\nmetadata:\n  name: flux-manifests\n"
            "  namespace: flux-system\nspec:\n  interval: 10m\n  url: oci://ghcr.io/fluxcd/flux-manifests\n"
            "  ref:\n    tag: v2.2.3\n",
            "OCIRepository flux-system/flux-manifests ref.tag v2.2.3",
        ),
        (
            "flux-instance.yaml",
            "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n"
            "  namespace: flux-system\nspec:\n  distribution:\n    version: 2.2.x\n    registry: ghcr.io/fluxcd\n",
            "FluxInstance flux-system/flux distribution.version 2.2.x",
        ),
        (
            "controllers.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: kustomize-controller\n"
            "  namespace: flux-system\nspec:\n  selector:\n    matchLabels: {app: kc}\n  template:\n"
            "    metadata:\n      labels: {app: kc}\n    spec:\n      containers:\n        - name: manager\n"
            "          image: ghcr.io/fluxcd/kustomize-controller:v1.2.2\n",
            "the image kustomize-controller:v1.2.2",
        ),
    ],
)
def test_flux_version_stated_by_the_cluster(tmp_path, name, text, where):
    """What the cluster applies wins over a bootstrap file elsewhere (here: none)."""
    root = _copy(tmp_path, "sv-flux-2.2")
    (root / "bootstrap" / "kustomization.yaml").unlink()
    (root / "clusters/dev" / name).write_text(text)
    kfile = root / "clusters/dev/kustomization.yaml"
    kfile.write_text(kfile.read_text() + f"  - {name}\n")
    found = [f for f in _lint(root) if "apps/podinfo.yaml" in f]
    assert [f.split(" ", 3)[2] for f in found] == ["warning", "warning", "error"]
    assert all(f"Flux 2.2 (from {where}" in f for f in found)


def test_the_cluster_wins_over_a_bootstrap_file(tmp_path):
    root = _copy(tmp_path, "sv-flux-2.2")
    (root / "clusters/dev/flux-instance.yaml").write_text(
        "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n"
        "  namespace: flux-system\nspec:\n  distribution:\n    version: 2.x\n    registry: ghcr.io/fluxcd\n"
    )
    kfile = root / "clusters/dev/kustomization.yaml"
    kfile.write_text(kfile.read_text() + "  - flux-instance.yaml\n")
    found = [f for f in _lint(root) if "apps/podinfo.yaml" in f]
    assert [f.split(" ", 3)[2] for f in found] == ["error", "error"]
    assert all("Flux 2.9 (from FluxInstance flux-system/flux distribution.version 2.x)" in f for f in found)


# -- class 8: the Kubernetes table, derived from the shipped schemas ----------------------


def test_mutating_admission_policy_v1beta1_is_served_by_kubernetes_1_34():
    assert _findings("sv-kube-1.34") == [
        "policies/flowschema.yaml:1 deprecated-api error FlowSchema flowcontrol.apiserver.k8s.io/v1beta3 was "
        "removed in Kubernetes 1.32 (linted for Kubernetes 1.34): use flowcontrol.apiserver.k8s.io/v1 FlowSchema"
    ]


def test_an_api_newer_than_the_kube_version_is_not_called_removed(tmp_path):
    root = _copy(tmp_path, "sv-kube-1.34")
    (root / ".gitops-lint.yaml").write_text('kube-version: "1.33"\n')
    found = _lint(root)
    assert not any("MutatingAdmissionPolicy" in f and "deprecated-api" in f for f in found)
    assert any(
        "unknown-schema warning no schema for admissionregistration.k8s.io/v1beta1 MutatingAdmissionPolicy "
        "(Kubernetes 1.33 has no MutatingAdmissionPolicy in admissionregistration.k8s.io/v1beta1, first served "
        "in Kubernetes 1.34" in f
        for f in found
    )


def test_kubernetes_verdicts_agree_with_the_shipped_schemas():
    """For every shipped version and every apiVersion/kind some shipped version serves:
    served -> never called removed; not served but by an older one -> removed after the
    last version serving it; served only by newer ones -> no verdict."""
    versions = available_versions()
    assert versions, "kubernetes-validate ships no schemas"
    every = {key for v in versions for key in served(v)}
    minor = lambda v: tuple(int(x) for x in v.split("."))  # noqa: E731
    for version in versions:
        for api_version, kind in sorted(every):
            verdict = judge_kubernetes(api_version, kind, version)
            serving = history(api_version, kind)
            if version in serving:
                assert verdict is None or not verdict.fails, (api_version, kind, version)
                if verdict is not None and verdict.state == "removed-later":
                    gone = verdict.removed_in
                    assert minor(version) < gone and f"{gone[0]}.{gone[1]}" not in serving
            elif minor(serving[0]) < minor(version):
                assert verdict is not None and verdict.state == "removed", (api_version, kind, version)
                last = max(v for v in serving if minor(v) < minor(version))
                assert minor(last) < verdict.removed_in <= minor(version)
                assert f"{verdict.removed_in[0]}.{verdict.removed_in[1]}" not in serving
            else:
                assert verdict is None, (api_version, kind, version)


def test_kubernetes_rows_that_were_wrong_from_memory():
    newest = available_versions()[-1]
    assert judge_kubernetes("admissionregistration.k8s.io/v1beta1", "MutatingAdmissionPolicy", "1.34") is None
    assert judge_kubernetes("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", newest).removed_in == (
        1,
        32,
    )
    gone = judge_kubernetes("extensions/v1beta1", "Ingress", newest)
    assert gone.state == "removed-before" and gone.replacement == "networking.k8s.io/v1 Ingress"
    endpoints = judge_kubernetes("v1", "Endpoints", newest)
    assert endpoints.state == "deprecated" and endpoints.deprecated_in == (1, 33)
    assert endpoints.replacement == "discovery.k8s.io/v1 EndpointSlice"


def test_flux_version_from_a_helmfile_bootstrap(tmp_path):
    """A helmfile release of the flux-instance chart, Go template and all."""
    root = _copy(tmp_path, "sv-flux-2.2")
    (root / "bootstrap" / "kustomization.yaml").unlink()
    (root / "bootstrap" / "helmfile.yaml.gotmpl").write_text(
        "releases:\n  - name: flux-instance\n    namespace: flux-system\n"
        "    chart: oci://ghcr.io/controlplaneio-fluxcd/charts/flux-instance\n"
        "    values:\n      - instance:\n          distribution:\n            version: v2.2.3\n"
        "          sync:\n            path: clusters/{{ .Environment.Name }}\n"
        "        replicas: {{ .Values.replicas }}\n"
        "{{- if .Values.extra }}\n      - values.yaml\n{{- end }}\n"
    )
    found = [f for f in _lint(root) if "apps/podinfo.yaml" in f]
    assert [f.split(" ", 3)[2] for f in found] == ["warning", "warning", "error"]
    assert all(
        "Flux 2.2 (from bootstrap/helmfile.yaml.gotmpl: flux-instance distribution.version v2.2.3)" in f
        for f in found
    )


def test_each_kind_of_a_cluster_is_judged_once(tmp_path, monkeypatch):
    """deprecated-api's verdict is a function of the apiVersion and kind (the versions are
    the cluster's): three objects of one deprecated kind are judged once, each reported."""
    from gitops_lint.rules import deprecated_api
    from tests.helpers import write_tree

    hpa = "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: h{i}, namespace: default}}\n"
    write_tree(
        tmp_path,
        {
            ".gitops-lint.yaml": 'kube-version: "1.33"\n',
            "clusters/dev/kustomization.yaml": "resources: [a.yaml, b.yaml, c.yaml]\n",
            **{f"clusters/dev/{n}.yaml": hpa.format(i=i) for i, n in enumerate("abc")},
        },
    )
    judged = []
    real = deprecated_api.find
    monkeypatch.setattr(deprecated_api, "find", lambda *args: judged.append(args[:2]) or real(*args))
    found = [f for f in lint_repo(tmp_path, "clusters/dev").findings if f.rule == "deprecated-api"]
    assert [f.file for f in found] == ["clusters/dev/a.yaml", "clusters/dev/b.yaml", "clusters/dev/c.yaml"]
    assert judged == [("autoscaling/v2beta2", "HorizontalPodAutoscaler")]
