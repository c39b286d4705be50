"""A cluster whose Flux Kustomizations are mutated at admission: variables are unverifiable.

kustomize-mutating-webhook (or a Kyverno mutate policy, or any webhook on
kustomizations) injects ``postBuild.substituteFrom`` into every Kustomization
as the API server admits it: an undefined variable in Git is then no proof.
"""

from __future__ import annotations

import pytest

from gitops_lint.core.data import Severity
from tests.helpers import GOTK, ks, lint_repo, write_tree

APP = {
    "clusters/dev/app.yaml": ks(
        "app", "./apps/demo", extra="  postBuild:\n    substitute:\n      APP: demo\n"
    ),
    "apps/demo/cm.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${APP}\n  namespace: default\n"
        "data:\n  domain: ${SECRET_DOMAIN}\n"
    ),
}

WEBHOOK = """apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: flux-vars
webhooks:
  - name: vars.example.com
    admissionReviewVersions: [v1]
    sideEffects: None
    clientConfig: {service: {name: vars, namespace: flux-system}}
    rules:
      - apiGroups: [kustomize.toolkit.fluxcd.io]
        apiVersions: [v1]
        operations: [CREATE, UPDATE]
        resources: [kustomizations]
"""

KYVERNO = """apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: flux-vars
spec:
  rules:
    - name: inject
      match:
        any:
          - resources:
              kinds: [kustomize.toolkit.fluxcd.io/v1/Kustomization]
      mutate:
        patchStrategicMerge:
          spec:
            postBuild:
              substituteFrom: [{kind: ConfigMap, name: vars}]
"""

CHART = """apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: kustomize-mutating-webhook
  namespace: flux-system
spec:
  interval: 1h
  url: oci://ghcr.io/xunholy/charts/kustomize-mutating-webhook
  ref: {tag: 0.12.0}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: kustomize-mutating-webhook
  namespace: flux-system
spec:
  interval: 1h
  chartRef: {kind: OCIRepository, name: kustomize-mutating-webhook}
"""


def _variable_findings(tmp_path, extra: dict[str, str]):
    root = write_tree(tmp_path, {**GOTK, **APP, **extra})
    result = lint_repo(root, "clusters/dev")
    return [(f.severity, f.message) for f in result.findings if f.rule == "unresolved-variable"]


def test_without_a_mutator_the_undefined_variable_is_an_error(tmp_path):
    found = _variable_findings(tmp_path, {})
    assert [s for s, _ in found] == [Severity.ERROR]
    assert "${SECRET_DOMAIN}" in found[0][1]


@pytest.mark.parametrize("mutator", [WEBHOOK, KYVERNO, CHART], ids=["webhook", "kyverno", "chart"])
def test_a_kustomization_mutator_makes_variables_unverifiable(tmp_path, mutator):
    found = _variable_findings(tmp_path, {"clusters/dev/mutator.yaml": mutator})
    assert [s for s, _ in found] == [Severity.INFO]
    assert "SECRET_DOMAIN could not be checked" in found[0][1]
    assert "mutates Flux Kustomizations at admission" in found[0][1]
