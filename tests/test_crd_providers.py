"""Who provides a CRD, and how sure gitops-lint is of it (issue "Accuracy II").

Opaque providers (content outside Git, charts or packages the table does not
know, bootstrap releases of unknown charts) make an unknown group
unverifiable, not missing; evident names make them providers; typos stay
errors; CNI charts and declared pre-installed groups exist before Flux; every
chart source identifies the chart; ENC[...] kinds are encrypted documents.
"""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from gitops_lint.lint import Linter
from gitops_lint.load.config import parse_config
from gitops_lint.model.crd_evidence import distance, evident, near
from gitops_lint.model.crds import build_crd_index, chart_table
from gitops_lint.model.flux import oci_chart_name
from tests.conftest import FIXTURES
from tests.helpers import ks, run_cli, write_tree
from tests.test_crds import CLUSTER, crd_findings, release, repo, where

WIDGET = "apiVersion: widgets.acme.io/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: flux-system\n"


# -- the fixtures ------------------------------------------------------------------------


def test_opaque_upstream_crd_kustomization():
    found = crd_findings(FIXTURES / "crdidx-opaque-upstream")
    # external-secrets.io is evident from the Kustomization's name and URL: served;
    # widgets.acme.io may be in the upstream content: one info, no error
    assert where(found) == [("apps/widget.yaml:2", "missing-crd", "info")]
    assert "could not be verified" in found[0][3]
    assert "Kustomization flux-system/crds-external-secrets" in found[0][3]


def test_oci_repository_chart_ref_of_a_known_chart():
    assert crd_findings(FIXTURES / "crdidx-oci-chartref") == []


def test_cni_chart_crds_exist_before_any_kustomization():
    # network-config does not depend on network, which applies the cilium release
    assert crd_findings(FIXTURES / "crdidx-cni") == []


def test_typo_next_to_an_opaque_provider_is_still_an_error():
    found = crd_findings(FIXTURES / "crdidx-typo")
    assert where(found) == [("network/gateway.yaml:2", "missing-crd", "error")]
    assert "did you mean gateway.networking.k8s.io/Gateway?" in found[0][3]


# -- opaque providers --------------------------------------------------------------------


def test_unknown_chart_makes_unknown_groups_unverifiable(tmp_path):
    files = {
        "clusters/dev/apps.yaml": ks("apps", "./apps"),
        "apps/widget.yaml": WIDGET,
    }
    root = repo(tmp_path, files)
    # no opaque provider at all: missing
    assert where(crd_findings(root)) == [("apps/widget.yaml:2", "missing-crd", "error")]
    write_tree(root, {"apps/gizmo.yaml": release("gizmo", "gizmo", "oci://ghcr.io/tools/charts/gizmo")})
    found = crd_findings(root)
    assert where(found) == [("apps/widget.yaml:2", "missing-crd", "info")]
    assert "HelmRelease flux-system/gizmo (chart gizmo, CRDs unknown to gitops-lint)" in found[0][3]


def test_one_info_per_group_names_the_relevant_providers_and_counts_the_others(tmp_path):
    files = {
        "clusters/dev/apps.yaml": ks("apps", "./apps"),
        "apps/widgets.yaml": WIDGET + "---\n" + WIDGET.replace("name: w", "name: w2"),
    }
    for i in range(5):
        files[f"apps/tool{i}.yaml"] = release(f"tool{i}", f"tool{i}", f"oci://ghcr.io/tools/charts/tool{i}")
    files["apps/crds.yaml"] = release(
        "platform-crds", "platform-crds", "oci://ghcr.io/tools/charts/platform-crds"
    )
    found = crd_findings(repo(tmp_path, files))
    assert where(found) == [("apps/widgets.yaml:2", "missing-crd", "info")]
    message = found[0][3]
    assert "(Widget; 2 objects)" in message
    # a release that looks like a CRD installer comes first, the rest are counted
    assert message.index("HelmRelease flux-system/platform-crds") < message.index(
        "HelmRelease flux-system/tool"
    )
    assert "and 3 other opaque providers" in message


def test_evident_provider_serves_on_request_only(tmp_path):
    files = {
        "clusters/dev/layers.yaml": ks("operators", "./operators", extra="  wait: true\n")
        + "---\n"
        + ks("apps", "./apps", depends=["operators"]),
        "operators/release.yaml": release(
            "toolhive-crds",
            "toolhive-operator-crds-x",
            "oci://ghcr.io/example/toolhive/toolhive-operator-crds-x",
        ),
        "apps/server.yaml": "apiVersion: toolhive.stacklok.dev/v1alpha1\nkind: MCPServer\nmetadata:\n  name: s\n  namespace: flux-system\n",
    }
    root = repo(tmp_path, files)
    assert crd_findings(root) == []
    # the index: providers() is certain unless asked for inferred ones
    linter = Linter(str(root), parse_config({}, "test"))
    (cluster,) = linter.build_clusters([str(root)])
    index = build_crd_index(cluster, linter.fs, linter.cache, linter.config)
    assert index.providers("toolhive.stacklok.dev", "MCPServer") == []
    (inferred,) = index.providers("toolhive.stacklok.dev", "MCPServer", inferred=True)
    assert not inferred.certain and inferred.object.name == "toolhive-crds"


def test_unknown_crossplane_package_is_opaque(tmp_path):
    files = {
        "clusters/dev/apps.yaml": ks("apps", "./apps"),
        "apps/provider.yaml": "apiVersion: pkg.crossplane.io/v1\nkind: Provider\nmetadata:\n  name: provider-gizmo\n"
        "spec:\n  package: xpkg.example.com/acme/provider-gizmo:v1.0.0\n",
        "apps/widget.yaml": WIDGET,
        "apps/gizmo.yaml": "apiVersion: gizmo.acme.io/v1\nkind: Gizmo\nmetadata:\n  name: g\n",
    }
    found = crd_findings(repo(tmp_path, files))
    # pkg.crossplane.io itself is not served (no crossplane chart): a real error;
    # gizmo.acme.io is evident from the package; widgets.acme.io is unverifiable
    assert ("apps/widget.yaml:2", "missing-crd", "info") in where(found)
    assert not [f for f in found if f[0].startswith("apps/gizmo.yaml")]


def test_bootstrap_helmfile_release_of_an_unknown_chart_is_opaque(tmp_path):
    files = {
        "clusters/dev/apps.yaml": ks("apps", "./apps"),
        "apps/widget.yaml": WIDGET,
        "bootstrap/helmfile.d/01-apps.yaml": "releases:\n  - name: platform\n    namespace: kube-system\n"
        "    chart: oci://ghcr.io/tools/charts/platform\n",
    }
    found = crd_findings(repo(tmp_path, files))
    assert where(found) == [("apps/widget.yaml:2", "missing-crd", "info")]
    assert "helmfile bootstrap/helmfile.d/01-apps.yaml (release platform" in found[0][3]


def test_bootstrap_helmfile_inline_values_switch_crds_off(tmp_path):
    files = {
        "clusters/dev/apps.yaml": ks("apps", "./apps"),
        "apps/issuer.yaml": "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: s\nspec:\n  selfSigned: {}\n",
        "bootstrap/helmfile.d/01-apps.yaml": "releases:\n  - name: cert-manager\n    namespace: cert-manager\n"
        "    chart: oci://quay.io/jetstack/charts/cert-manager\n    values:\n      - crds:\n          enabled: false\n",
    }
    root = repo(tmp_path, files)
    assert where(crd_findings(root)) == [("apps/issuer.yaml:2", "missing-crd", "error")]
    (root / "bootstrap/helmfile.d/01-apps.yaml").write_text(
        "releases:\n  - name: cert-manager\n    namespace: cert-manager\n"
        "    chart: oci://quay.io/jetstack/charts/cert-manager\n    set:\n      - {name: crds.enabled, value: true}\n"
    )
    assert crd_findings(root) == []


def test_terraform_helm_release_installs_before_flux(tmp_path):
    files = {
        "clusters/dev/apps.yaml": ks("apps", "./apps"),
        "apps/cluster.yaml": CLUSTER,
        "terraform/cnpg.tf": 'resource "helm_release" "cnpg" {\n  name = "cnpg"\n'
        '  repository = "https://cloudnative-pg.github.io/charts"\n  chart = "cloudnative-pg"\n}\n',
    }
    assert crd_findings(repo(tmp_path, files)) == []


def test_chart_values_that_switch_crds_off_are_named_in_the_info(tmp_path):
    files = {
        "clusters/dev/apps.yaml": ks("apps", "./apps"),
        "apps/operator.yaml": release(
            "cnpg",
            "cloudnative-pg",
            "oci://ghcr.io/cloudnative-pg/charts/cloudnative-pg",
            "  values:\n    crds:\n      create: false\n",
        ),
        "apps/other.yaml": release("gizmo", "gizmo", "oci://ghcr.io/tools/charts/gizmo"),
        "apps/cluster.yaml": CLUSTER,
    }
    found = crd_findings(repo(tmp_path, files))
    assert where(found) == [("apps/cluster.yaml:2", "missing-crd", "info")]
    assert "crds.create is False" in found[0][3]


# -- installed before Flux ---------------------------------------------------------------


def test_cni_groups_are_presumed_when_no_cni_is_in_git(tmp_path):
    files = {
        "clusters/dev/apps.yaml": ks("apps", "./apps"),
        "apps/pool.yaml": "apiVersion: cilium.io/v2alpha1\nkind: CiliumLoadBalancerIPPool\nmetadata:\n  name: p\n",
        "apps/widget.yaml": WIDGET,
    }
    # the presumed CNI serves cilium.io only: no reason to doubt widgets.acme.io
    assert where(crd_findings(repo(tmp_path, files))) == [("apps/widget.yaml:2", "missing-crd", "error")]


def test_crd_providers_pre_installed(tmp_path):
    files = {
        "clusters/dev/apps.yaml": ks("apps", "./apps"),
        "apps/widget.yaml": WIDGET,
    }
    root = repo(tmp_path, files)
    for value in ("pre-installed", "external"):  # the new word, and the old free form
        config = parse_config({"crd-providers": {"*.acme.io": value}}, "test")
        assert crd_findings(root, config) == []


# -- chart identity ----------------------------------------------------------------------


def test_chart_names_from_every_source(tmp_path):
    files = {
        "clusters/dev/layers.yaml": ks("operators", "./operators", extra="  wait: true\n")
        + "---\n"
        + ks("apps", "./apps", depends=["operators"]),
        # chart.spec with an OCI HelmRepository
        "operators/repo.yaml": "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n"
        "  name: cnpg\n  namespace: flux-system\nspec:\n  type: oci\n  interval: 1h\n"
        "  url: oci://ghcr.io/cloudnative-pg/charts\n---\n"
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: cnpg\n  namespace: flux-system\n"
        "spec:\n  interval: 1h\n  chart:\n    spec:\n      chart: cloudnative-pg\n"
        "      sourceRef: {kind: HelmRepository, name: cnpg}\n",
        "apps/cluster.yaml": CLUSTER,
    }
    assert crd_findings(repo(tmp_path, files)) == []


def testoci_chart_name():
    assert oci_chart_name("oci://ghcr.io/org/charts/volsync") == "volsync"
    assert oci_chart_name("oci://ghcr.io/org/charts/volsync:0.1.0") == "volsync"
    assert oci_chart_name("oci://ghcr.io/org/charts/volsync@sha256:abc") == "volsync"
    assert oci_chart_name("oci://registry:5000/charts/volsync/") == "volsync"


def test_chart_table_keeps_a_source_per_entry():
    table = chart_table()
    assert table.for_chart("volsync-perfectra1n", None).groups == ("volsync.backube",)
    assert table.for_chart("coredns", None).groups == ()
    assert table.for_chart("cilium", None).before_flux
    assert table.for_chart("app-template", None).generic  # inspected through its values


# -- ENC[...] kinds ----------------------------------------------------------------------


def test_encrypted_kind_is_an_info_without_ciphertext(tmp_path):
    cipher = "ENC[AES256_GCM,data:5g8R+fOG,iv:TxA7wufEwcmg8iohrWR8LoQUX4fomvKqopPBlPPEnsU=,tag:rUpdYM1qUN7j9sps+9ziDw==,type:str]"
    files = {
        "clusters/dev/apps.yaml": ks("apps", "./apps"),
        "apps/creds.sops.yaml": f"apiVersion: {cipher}\nkind: {cipher}\nmetadata:\n  name: creds\n"
        "  namespace: flux-system\nsops:\n  mac: ENC[AES256_GCM,data:abc,type:str]\n  version: 3.10.2\n",
    }
    root = repo(tmp_path, files)
    found = crd_findings(root)
    assert where(found) == [("apps/creds.sops.yaml:2", "missing-crd", "info")]
    code, out, _ = run_cli("--format", "json", "--select", "missing-crd", "--root", str(root), str(root))
    assert "5g8R+fOG" not in out and json.loads(out)["findings"]


# -- evidence and typos ------------------------------------------------------------------


def test_evident_names():
    assert evident("external-secrets.io", ["crds-external-secrets"])
    assert evident("kafka.strimzi.io", ["strimzi-kafka-operator"])
    assert evident("dragonflydb.io", ["https://github.com/dragonflydb/dragonfly-operator"])
    assert evident("toolhive.stacklok.dev", ["toolhive-operator-crds"])
    assert evident("barmancloud.cnpg.io", ["cnpg-barman-cloud-crds"])
    assert not evident("cert-manager.io", ["app-template", "oci://ghcr.io/bjw-s-labs/helm/app-template"])
    assert not evident("secrets.hashicorp.com", ["external-secrets"])
    assert not evident("monitoring.coreos.com", ["grafana", "monitoring"])


def test_near_groups():
    assert near("gateway.networking.k8s.i0", ["gateway.networking.k8s.io", "networking.k8s.io"]) == [
        "gateway.networking.k8s.io"
    ]
    assert near("cert-manager.io", ["cert-manager.io"]) == []


def _osa(a: str, b: str) -> int:
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@given(st.text("abc.-", max_size=8), st.text("abc.-", max_size=8))
def test_capped_distance_matches_the_full_one(a, b):
    assert distance(a, b, 2) == min(_osa(a, b), 3)
    assert distance(a, b, 2) == distance(b, a, 2)


def test_talos_extra_manifests_install_before_flux(tmp_path):
    gateway = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: g\n  namespace: flux-system\n"
    patch = (
        "cluster:\n  extraManifests:\n"
        "    - https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.2.0/standard-install.yaml\n"
    )
    files = {
        "clusters/dev/apps.yaml": ks("apps", "./apps"),
        "apps/gateway.yaml": gateway,
        "apps/widget.yaml": WIDGET,
    }
    root = repo(tmp_path, files)
    assert where(crd_findings(root)) == [
        ("apps/gateway.yaml:2", "missing-crd", "error"),
        ("apps/widget.yaml:2", "missing-crd", "error"),
    ]
    # a talhelper file: the patch is a YAML document inside a string
    indented = "".join(f"      {line}\n" for line in patch.splitlines())
    write_tree(
        root, {"talos/talconfig.yaml": f"clusterName: dev\ncontrolPlane:\n  patches:\n    - |-\n{indented}"}
    )
    assert where(crd_findings(root)) == [("apps/widget.yaml:2", "missing-crd", "error")]
    # an inline CRD is a provider of its kind; an unknown URL is opaque
    inline = (
        "cluster:\n  inlineManifests:\n    - name: widgets\n      contents: |\n"
        "        apiVersion: apiextensions.k8s.io/v1\n        kind: CustomResourceDefinition\n"
        "        metadata: {name: widgets.widgets.acme.io}\n"
        "        spec: {group: widgets.acme.io, names: {kind: Widget, plural: widgets}, scope: Namespaced}\n"
    )
    write_tree(root, {"talos/patches/widgets.yaml": inline})
    assert crd_findings(root) == []


def test_typos_and_real_neighbour_groups(tmp_path):
    gateway_crd = (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata:\n  name: gateways.gateway.networking.k8s.io\n  annotations: {kustomize.toolkit.fluxcd.io/prune: disabled}\n"
        "spec: {group: gateway.networking.k8s.io, names: {kind: Gateway, plural: gateways}, scope: Namespaced,"
        " versions: [{name: v1, served: true, storage: true}]}\n"
    )
    files = {
        "clusters/dev/layers.yaml": ks("operators", "./operators", extra="  wait: true\n")
        + "---\n"
        + ks("apps", "./apps", depends=["operators"]),
        "operators/eso.yaml": release(
            "external-secrets", "external-secrets", "oci://ghcr.io/external-secrets/charts/external-secrets"
        ),
        "operators/gateway.yaml": gateway_crd,
        "operators/crds.yaml": release("externalsecrets-crds", "x", "oci://ghcr.io/tools/charts/x"),
        # a real group two edits from a served one that does not define the kind: not a typo
        "apps/route.yaml": "apiVersion: gateway.networking.x-k8s.io/v1alpha1\nkind: XListenerSet\nmetadata:\n"
        "  name: r\n  namespace: flux-system\n",
        # a typo of a served group, even though an opaque provider's name matches it
        "apps/secret.yaml": "apiVersion: externalsecrets.io/v1\nkind: ExternalSecret\nmetadata:\n"
        "  name: s\n  namespace: flux-system\n",
    }
    found = crd_findings(repo(tmp_path, files))
    assert where(found) == [
        ("apps/route.yaml:2", "missing-crd", "info"),
        ("apps/secret.yaml:2", "missing-crd", "error"),
    ]
    assert "did you mean external-secrets.io/ExternalSecret?" in found[1][3]


def test_generic_chart_is_read_through_its_values(tmp_path):
    files = {
        "clusters/dev/apps.yaml": ks("apps", "./apps"),
        "apps/widget.yaml": WIDGET,
        "apps/echo.yaml": release("echo", "app-template", "oci://ghcr.io/bjw-s-labs/helm/app-template"),
    }
    root = repo(tmp_path, files)
    # an app-template release renders only its values: no reason to doubt
    assert where(crd_findings(root)) == [("apps/widget.yaml:2", "missing-crd", "error")]
    # one named after the group may run the controller that registers it
    write_tree(
        root,
        {
            "apps/ctl.yaml": release(
                "widget-controller", "app-template", "oci://ghcr.io/bjw-s-labs/helm/app-template"
            )
        },
    )
    assert crd_findings(root) == []
    # values holding a CustomResourceDefinition make it opaque
    (root / "apps/ctl.yaml").unlink()
    (root / "apps/echo.yaml").write_text(
        release(
            "echo",
            "app-template",
            "oci://ghcr.io/bjw-s-labs/helm/app-template",
            "  values:\n    rawResources:\n      crd:\n        apiVersion: apiextensions.k8s.io/v1\n"
            "        kind: CustomResourceDefinition\n",
        )
    )
    assert where(crd_findings(root)) == [("apps/widget.yaml:2", "missing-crd", "info")]


def test_unreadable_terraform_file_is_skipped(tmp_path):
    files = {"clusters/dev/apps.yaml": ks("apps", "./apps"), "apps/widget.yaml": WIDGET}
    root = repo(tmp_path, files)
    (root / "big.tf").write_text('resource "helm_release" "x" {\n  chart = "gizmo"\n}\n' + "#" * 5000)
    config = parse_config({"max-file-size": 2000}, "test")
    assert where(crd_findings(root, config)) == [("apps/widget.yaml:2", "missing-crd", "error")]
