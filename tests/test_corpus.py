"""Real repositories are the measure of false positives.

Every entry of every repository in ../shared/corpus (SOURCES.md) must lint
with zero error findings, except the real defects listed below with their
explanation. Then defects are injected into a temporary copy of a corpus
repository, and each must be found.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from gitops_lint.model import Severity
from tests.conftest import CORPUS
from tests.helpers import lint_repo


def _removed_flux_api(apis: str) -> str:
    return (
        f"{apis}: removed in Flux 2.7/2.8 (FLUX-SEMANTICS 4.2); the repository states no Flux version "
        "(gotk-components.yaml is a placeholder), so it is linted for the newest Flux, where applying "
        "it fails with `no matches for kind`"
    )


# (repository, file, rule) -> why it is a real defect of that repository
KNOWN_DEFECTS: dict[tuple[str, str, str], str] = {
    (
        "onedr0p__home-ops",
        "kubernetes/apps/network/cloudflare-tunnel/ks.yaml",
        "missing-substitution-source",
    ): (
        "substituteFrom Secret network/cloudflare-tunnel-id-secret is created by nothing in Git (no "
        "manifest, no ExternalSecret target): it is made by hand in the cluster, and a repository "
        "linted by gitops-lint declares it under `external:`"
    ),
    (
        "fluxcd__flux2-monitoring-example",
        "monitoring/controllers/kube-prometheus-stack/release.yaml",
        "plaintext-secret",
    ): (
        "the HelmRelease commits Grafana's admin password in clear (values grafana.adminPassword: "
        "flux): the demo's documented login, but a plaintext credential in Git all the same; a "
        "real repository encrypts it with SOPS or uses the chart's admin.existingSecret"
    ),
    (
        "billimek__k8s-gitops",
        "kubernetes/kube-system/tailscale/connector.yaml",
        "crd-order",
    ): (
        "the tailscale-operator HelmRelease, whose chart installs the tailscale.com CRDs, is applied by "
        "the same Kustomization (cluster-apps) as this Connector, and the bootstrap helmfile "
        "(setup/bootstrap/helmfile.d/00-crds.yaml) does not pre-install them: on a new cluster the "
        "Connector's dry-run fails and blocks cluster-apps' whole apply stage, HelmRelease included"
    ),
    (
        "billimek__k8s-gitops",
        "kubernetes/default/cloudnative-pg/cluster/objectstore.yaml",
        "crd-order",
    ): (
        "same as the Connector: the ObjectStore (barmancloud.cnpg.io) and the plugin-barman-cloud "
        "HelmRelease that installs its CRD are both in cluster-apps, and 00-crds.yaml bootstraps "
        "cloudnative-pg but not the plugin"
    ),
    (
        "bjw-s-labs__home-ops",
        "kubernetes/components/dragonfly/cluster.yaml",
        "crd-order",
    ): (
        "the paperless Kustomization uses the dragonfly component (a Dragonfly object) without "
        "dependsOn dragonfly-operator (database), which installs the dragonflydb.io CRD and "
        "health-checks it; the six other users of the component (open-webui, litellm, nextcloud, "
        "manyfold, searxng, forgejo) all depend on it, and no bootstrap helmfile installs it"
    ),
    (
        "fluxcd__flux2-hub-spoke-example",
        "deploy/apps/podinfo.yaml",
        "deprecated-api",
    ): _removed_flux_api(
        "HelmRepository source.toolkit.fluxcd.io/v1beta2 and HelmRelease helm.toolkit.fluxcd.io/v2beta2"
    ),
    (
        "fluxcd__flux2-hub-spoke-example",
        "deploy/infra-controllers/cert-manager.yaml",
        "deprecated-api",
    ): _removed_flux_api(
        "HelmRepository source.toolkit.fluxcd.io/v1beta2 and HelmRelease helm.toolkit.fluxcd.io/v2beta2"
    ),
    (
        "fluxcd__flux2-hub-spoke-example",
        "deploy/infra-controllers/ingress-nginx.yaml",
        "deprecated-api",
    ): _removed_flux_api(
        "HelmRepository source.toolkit.fluxcd.io/v1beta2 and HelmRelease helm.toolkit.fluxcd.io/v2beta2"
    ),
    (
        "fluxcd__flux2-multi-tenancy",
        "infrastructure/kyverno/source.yaml",
        "deprecated-api",
    ): _removed_flux_api("OCIRepository source.toolkit.fluxcd.io/v1beta2"),
    (
        "stefanprodan__gitops-istio",
        "clusters/my-cluster/apps.yaml",
        "deprecated-api",
    ): _removed_flux_api("Kustomization kustomize.toolkit.fluxcd.io/v1beta2"),
    (
        "stefanprodan__gitops-istio",
        "clusters/my-cluster/istio.yaml",
        "deprecated-api",
    ): _removed_flux_api("Kustomization kustomize.toolkit.fluxcd.io/v1beta2"),
    (
        "stefanprodan__gitops-istio",
        "istio/system/flagger.yaml",
        "deprecated-api",
    ): _removed_flux_api(
        "HelmRepository source.toolkit.fluxcd.io/v1beta2 and HelmRelease helm.toolkit.fluxcd.io/v2beta1"
    ),
    (
        "stefanprodan__gitops-istio",
        "istio/system/istio.yaml",
        "deprecated-api",
    ): _removed_flux_api(
        "HelmRepository source.toolkit.fluxcd.io/v1beta1 and HelmRelease helm.toolkit.fluxcd.io/v2beta1"
    ),
}


def corpus_artifact(f) -> bool:
    """The corpus holds only the YAML of each repository (SOURCES.md): a generator or
    resource file with another extension (.lua, .sh, .json, .toml) was not copied."""
    return (
        f.rule == "missing-path"
        and "does not exist" in f.message
        and not re.search(r"\.ya?ml\b|/\s|/$", f.message.split(" does not exist")[0])
        and "spec.path" not in f.message
    )


def corpus_entries() -> list[tuple[str, str]]:
    sources = CORPUS / "SOURCES.md"
    if not sources.is_file():
        return []
    out = []
    for line in sources.read_text().splitlines():
        m = re.match(r"\|\s*`([^`]+)`\s*\|[^|]*\|([^|]*)\|", line)
        if m and (CORPUS / m.group(1)).is_dir():
            for entry in re.findall(r"`([^`]+)`", m.group(2)):
                out.append((m.group(1), entry))
    return out


ENTRIES = corpus_entries()


@pytest.mark.skipif(not ENTRIES, reason="../shared/corpus is not present")
@pytest.mark.parametrize("repo,entry", ENTRIES, ids=[f"{r}:{e}" for r, e in ENTRIES])
def test_corpus_entry_has_no_false_errors(repo, entry):
    result = lint_repo(CORPUS / repo, entry)
    errors = [
        f"{f.file}:{f.line} {f.rule} {f.message}"
        for f in result.findings
        if f.severity == Severity.ERROR
        and (repo, f.file, f.rule) not in KNOWN_DEFECTS
        and not corpus_artifact(f)
    ]
    assert errors == []
    assert result.summary["kustomizations"] >= 1


# -- defects injected into a temporary copy of a real repository -------------------------

ONEDR0P = "onedr0p__home-ops"
APPS = "kubernetes/apps"


@pytest.fixture
def onedr0p_copy(tmp_path) -> Path:
    if not (CORPUS / ONEDR0P).is_dir():
        pytest.skip("../shared/corpus/onedr0p__home-ops is not present")
    dest = tmp_path / ONEDR0P
    shutil.copytree(CORPUS / ONEDR0P, dest, symlinks=True)
    return dest


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _errors(root: Path) -> list[tuple[str, str, str]]:
    result = lint_repo(root, "kubernetes/flux/cluster")
    return [
        (f.rule, f.file, f.message)
        for f in result.findings
        if f.severity == Severity.ERROR
        and (ONEDR0P, f.file, f.rule) not in KNOWN_DEFECTS
        and not corpus_artifact(f)
    ]


def test_injected_cycle_is_found(onedr0p_copy):
    # cloudflare-tunnel already dependsOn cloudflare-dns; close the loop
    _edit(
        onedr0p_copy / APPS / "network/cloudflare-dns/ks.yaml",
        "spec:\n",
        "spec:\n  dependsOn:\n    - name: cloudflare-tunnel\n",
    )
    errors = _errors(onedr0p_copy)
    assert [(r, f) for r, f, _ in errors] == [("dependency-cycle", f"{APPS}/network/cloudflare-dns/ks.yaml")]
    assert "cloudflare-dns -> cloudflare-tunnel -> cloudflare-dns" in errors[0][2]


def test_injected_missing_dependency_is_found(onedr0p_copy):
    _edit(
        onedr0p_copy / APPS / "default/atuin/ks.yaml",
        "spec:\n",
        "spec:\n  dependsOn:\n    - name: postgres-nope\n",
    )
    errors = _errors(onedr0p_copy)
    assert [(r, f) for r, f, _ in errors] == [("missing-dependency", f"{APPS}/default/atuin/ks.yaml")]
    assert "postgres-nope" in errors[0][2]


def test_injected_missing_source_is_found(onedr0p_copy):
    _edit(onedr0p_copy / APPS / "default/atuin/ks.yaml", "    name: flux-system\n", "    name: flux-systen\n")
    errors = _errors(onedr0p_copy)
    assert [(r, f) for r, f, _ in errors] == [("missing-source", f"{APPS}/default/atuin/ks.yaml")]


def test_injected_missing_path_is_found(onedr0p_copy):
    _edit(onedr0p_copy / APPS / "default/atuin/ks.yaml", "default/atuin/app", "default/atuin/ap")
    errors = _errors(onedr0p_copy)
    assert [(r, f) for r, f, _ in errors] == [("missing-path", f"{APPS}/default/atuin/ks.yaml")]


def test_injected_unresolved_variable_is_found(onedr0p_copy):
    release = onedr0p_copy / APPS / "default/atuin/app/helmrelease.yaml"
    _edit(release, "spec:\n", "spec:\n  releaseName: ${ATUIN_RELEASE_NAME}\n")
    errors = _errors(onedr0p_copy)
    assert [(r, f) for r, f, _ in errors] == [
        ("unresolved-variable", f"{APPS}/default/atuin/app/helmrelease.yaml")
    ]
    assert "${ATUIN_RELEASE_NAME}" in errors[0][2]
