"""The Flux version the cluster runs, and what it changes (issue 9).

Strict post-build substitution is on from Flux 2.9: an unresolved variable is
then an error (the Kustomization fails), before it a warning (Flux writes "").
The version comes from --flux-version, the config, the gotk-components.yaml
header or a FluxInstance; the feature gate's opt-out wins over the version.
"""

from __future__ import annotations

import os
import shutil

import pytest

from gitops_lint.model.flux_version import parse_version
from gitops_lint.substitute.engine import ALTERNATIVE, DOLLARS, RETYPED, substitute_object
from tests.conftest import FIXTURES
from tests.helpers import run_cli

DEFECT = FIXTURES / "defects" / "unresolved-variable"
HEADER = "clusters/dev/flux-system/gotk-components.yaml"


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(DEFECT, root)
    return root


def _lint(root, *args):
    # one line per finding, paths relative to the cwd: run from the repository
    cwd = os.getcwd()
    os.chdir(root)
    try:
        code, out, err = run_cli("clusters/dev", "--root", str(root), "--format", "concise", *args)
    finally:
        os.chdir(cwd)
    return code, out, err


def _set_header(root, version: str) -> None:
    path = root / HEADER
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(f"# Flux Version: {version}\n" + "".join(lines[1:]))


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("2.8", (2, 8)),
        ("v2.7.3", (2, 7)),
        ("2.9.x", (2, 9)),
        ("~2.8", (2, 8)),
        # a range selects the newest release it admits, as the Flux Operator resolves it
        (">=2.8.0", (2, 9)),
        (">= 2.3.0", (2, 9)),
        ("^2.3", (2, 9)),
        ("2.x", (2, 9)),
        ("<2.8", (2, 7)),
        (">=2.3, <2.8", (2, 7)),
        ("3", (3, 0)),
    ],
)
def test_version_forms(text, version):
    assert parse_version(text) == version


def test_unparsable_version_is_none():
    assert parse_version("latest") is None


def test_header_of_the_repository_decides(repo):
    _set_header(repo, "v2.9.0")
    code, out, _ = _lint(repo)
    assert code == 1 and "apps/dev/ingress.yaml:10:7: error GL401" in out and "the Kustomization fails" in out
    _set_header(repo, "v2.8.2")
    code, out, _ = _lint(repo)
    assert code == 0
    assert "Found 0 errors, 1 warning" in out
    assert (
        "Flux writes an empty string (Flux 2.8 from gotk-components.yaml: # Flux Version: v2.8.2 is lenient"
        in out
    )


def test_command_line_overrides_config_and_repository(repo):
    _set_header(repo, "v2.9.0")
    (repo / ".gitops-lint.yaml").write_text('flux-version: "2.9"\n')
    code, out, _ = _lint(repo, "--flux-version", "2.8")
    assert code == 0 and "1 warning" in out and "flux-version 2.8" in out
    (repo / ".gitops-lint.yaml").write_text('flux-version: "2.8"\n')
    code, out, _ = _lint(repo)
    assert code == 0 and "1 warning" in out


def test_config_version_must_be_a_quoted_version(repo):
    (repo / ".gitops-lint.yaml").write_text("fail-on: error\nflux-version: 2.10\n")
    code, out, err = _lint(repo)
    assert code == 2 and out == ""
    assert ".gitops-lint.yaml:2:" in err and "quoted" in err
    (repo / ".gitops-lint.yaml").write_text("flux-version: latest\n")
    code, _, err = _lint(repo)
    assert code == 2 and ".gitops-lint.yaml:1:" in err


def test_bad_command_line_version_is_a_usage_error(repo):
    code, out, err = _lint(repo, "--flux-version", "newest")
    assert code == 2 and out == "" and err.count("\n") == 1


def test_feature_gate_opt_out_makes_it_a_warning(repo):
    _set_header(repo, "v2.9.0")
    with (repo / HEADER).open("a") as fh:
        fh.write(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: kustomize-controller\n"
            "  namespace: flux-system\nspec:\n  selector:\n    matchLabels:\n      app: kustomize-controller\n"
            "  template:\n    metadata:\n      labels:\n        app: kustomize-controller\n"
            "    spec:\n      containers:\n        - name: manager\n          image: kc\n"
            "          args:\n            - --events-addr=http://notification-controller/\n"
        )
    code, out, _ = _lint(repo)
    assert code == 1, "strict until the gate is turned off"
    (repo / "clusters/dev/flux-system/kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources:\n  - gotk-components.yaml\n  - gotk-sync.yaml\n"
        "patches:\n  - target:\n      kind: Deployment\n      name: kustomize-controller\n"
        "    patch: |\n      - op: add\n        path: /spec/template/spec/containers/0/args/-\n"
        "        value: --feature-gates=StrictPostBuildSubstitutions=false\n"
    )
    code, out, _ = _lint(repo)
    assert code == 0 and "1 warning" in out
    assert "StrictPostBuildSubstitutions=false in Deployment flux-system/kustomize-controller" in out


def test_flux_instance_distribution_version(repo):
    (repo / HEADER).write_text("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n")
    (repo / "clusters/dev/flux-instance.yaml").write_text(
        "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n"
        "  namespace: flux-system\nspec:\n  distribution:\n    version: 2.8.x\n"
        "    registry: ghcr.io/fluxcd\n"
    )
    kfile = repo / "clusters/dev/kustomization.yaml"
    kfile.write_text(kfile.read_text() + "  - flux-instance.yaml\n")
    code, out, _ = _lint(repo)
    assert code == 0 and "FluxInstance flux-system/flux distribution.version 2.8.x" in out


def test_notes_for_text_flux_rewrites():
    obj = {"a": "echo $$ $${X}", "b": "${A:+alt} ${B:-d} ${C:?m}", "c": "kill $$; wait $$"}
    notes = substitute_object(obj, {"Z": "1"}).notes
    assert [(n.kind, n.path, n.expression, n.count) for n in notes] == [
        (DOLLARS, ("a",), "$$", 1),
        (ALTERNATIVE, ("b",), "${A:+alt}", 1),
        (ALTERNATIVE, ("b",), "${C:?m}", 1),
        (DOLLARS, ("c",), "$$", 2),
    ]


def test_no_notes_for_plain_defaults_and_deliberate_escapes():
    obj = {"a": "${A:=x} ${B:-y} $${C} $HOME", "b": "pid=$$$$ cost=$$$1"}
    assert substitute_object(obj, {"Z": "1"}).notes == []


def test_substitution_that_changes_a_type_is_recorded_without_the_value():
    """Flux re-reads its output as YAML: "${ID}" with ID=0123 is the integer 83 afterwards."""
    obj = {"metadata": {"annotations": {"id": "${ID}", "on": "${ON}", "text": "v${ID}"}}}
    result = substitute_object(obj, {"ID": "0123", "ON": "yes"})
    assert result.obj["metadata"]["annotations"] == {"id": 83, "on": True, "text": "v0123"}
    retyped = {n.path[-1]: (n.expression, n.type_name) for n in result.notes if n.kind == RETYPED}
    assert retyped == {"id": ("${ID}", "an integer"), "on": ("${ON}", "a boolean")}


def test_schema_finding_says_the_substitution_changed_the_type(repo):
    """issue 9: "${ID}" with ID=0123 reaches the API server as 83, and a label must be a string."""
    (repo / "clusters/dev/cluster-vars.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-vars\n  namespace: flux-system\n"
        "data:\n  cluster_name: '0123'\n  domain: example.com\n"
    )
    code, out, _ = _lint(repo, "--select", "schema")
    assert code == 1
    (line,) = [x for x in out.splitlines() if "GL501" in x]
    assert line.startswith("apps/dev/ingress.yaml:7:")
    assert "substituting ${cluster_name} produced text that YAML reads as an integer" in line
    # the same object without substitution: no schema error
    (repo / "clusters/dev/cluster-vars.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-vars\n  namespace: flux-system\n"
        "data:\n  cluster_name: dev\n  domain: example.com\n"
    )
    assert _lint(repo, "--select", "schema")[0] == 0


def _release(name: str, chart: str, values: str = "") -> str:
    return (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
        f"metadata: {{name: {name}, namespace: flux-system}}\n"
        "spec:\n  interval: 1h\n  chart:\n    spec:\n"
        f"      chart: {chart}\n      sourceRef: {{kind: HelmRepository, name: charts}}\n" + values
    )


def test_each_release_chart_is_looked_up_once_per_cluster(tmp_path, monkeypatch):
    """The version and the gate both read the flux-instance HelmReleases: finding a
    release's chart (its sources looked up) is done once per release, not per reader."""
    from gitops_lint.core.fs import RepoFS
    from gitops_lint.load.config import load_config
    from gitops_lint.model import crds, flux_version
    from tests.helpers import lint_repo, write_tree

    instance = _release(
        "flux",
        "flux-instance",
        "  values:\n    instance:\n      distribution: {version: 2.8.x}\n"
        "      kustomize:\n        patches:\n          - patch: '--feature-gates=StrictPostBuildSubstitutions=false'\n",
    )
    others = "---\n".join(_release(f"app{i}", "podinfo") for i in range(3))
    write_tree(
        tmp_path,
        {
            "clusters/dev/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            "resources: [repo.yaml, releases.yaml, instance.yaml]\n",
            "clusters/dev/repo.yaml": "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\n"
            "metadata: {name: charts, namespace: flux-system}\nspec: {interval: 1h, url: https://example.com}\n",
            "clusters/dev/releases.yaml": others,
            "clusters/dev/instance.yaml": instance,
        },
    )
    cluster = lint_repo(tmp_path, "clusters/dev").clusters[0]
    looked_up = []
    real = crds.release_chart

    def counting(cl, release):
        looked_up.append(release.ref.name)
        return real(cl, release)

    monkeypatch.setattr(crds, "release_chart", counting)
    target = flux_version.detect(cluster, RepoFS(str(tmp_path)), load_config(str(tmp_path)))
    assert sorted(looked_up) == ["app0", "app1", "app2", "flux"]
    assert (
        target.version == (2, 8)
        and "HelmRelease flux-system/flux distribution.version 2.8.x" in target.source
    )
    assert not target.strict_substitution and "HelmRelease flux-system/flux" in target.strict_reason


def test_the_crd_index_and_the_version_share_the_release_charts(tmp_path, monkeypatch):
    """A rule context's CRD index and Flux version both read the cluster's release
    charts: each is looked up once for the two."""
    from gitops_lint.core.fs import RepoFS
    from gitops_lint.load.config import load_config
    from gitops_lint.load.loader import DocumentCache
    from gitops_lint.model import crds
    from gitops_lint.rules.base import Context
    from tests.helpers import lint_repo, write_tree

    write_tree(
        tmp_path,
        {
            "clusters/dev/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            "resources: [releases.yaml]\n",
            "clusters/dev/releases.yaml": "---\n".join(_release(f"app{i}", "podinfo") for i in range(3)),
        },
    )
    result = lint_repo(tmp_path, "clusters/dev")
    looked_up = []
    real = crds.release_chart
    monkeypatch.setattr(
        crds, "release_chart", lambda cl, release: looked_up.append(release) or real(cl, release)
    )
    fs = RepoFS(str(tmp_path))
    ctx = Context(fs, DocumentCache(fs), load_config(str(tmp_path)), result.clusters[0])
    assert ctx.flux_version.stated is False
    assert ctx.crd_index is not None
    assert sorted(r.ref.name for r in looked_up) == ["app0", "app1", "app2"]
