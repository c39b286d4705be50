"""Cluster discovery as real repositories lay it out: one fixture per layout.

Each fixture under tests/fixtures/disc-* is a small repository with one way
of saying where Flux syncs from; the test says what a run must read there.
"""

from __future__ import annotations

import json
import shutil

import pytest

from gitops_lint.core.fs import RepoFS
from gitops_lint.discover.entries import Bootstrap, find_entries
from gitops_lint.load.config import Config, ConfigError, load_config, parse_config
from gitops_lint.load.loader import DocumentCache
from gitops_lint.model.cluster import in_artifact
from gitops_lint.root import guess_root
from gitops_lint.vocabulary import vocabulary
from tests.conftest import CORPUS, FIXTURES
from tests.helpers import lint_repo, run_cli, write_tree


def rendered(result) -> set[str]:
    """name of every Flux Kustomization the run rendered (not the entry's own sync)."""
    return {
        f"{c.name}:{ks.ref.name}"
        for c in result.clusters
        for ks in c.kustomizations.values()
        if not ks.synthetic and ks.source is not None and ks.source.status == "ok"
    }


def found(result, rule: str | None = None) -> list[str]:
    return sorted(
        f"{f.file}:{f.line} {f.rule} {f.severity.label}" for f in result.findings if rule in (None, f.rule)
    )


def test_sync_in_a_values_file_fed_through_a_config_map_generator():
    """The flux-instance chart's values in a file a configMapGenerator turns into valuesFrom."""
    repo = FIXTURES / "disc-values-sync"
    result = lint_repo(repo, "kubernetes/flux/cluster")
    entry = result.clusters[0].entry
    assert (entry.source_kind, entry.source_name) == ("GitRepository", "home-ops-kubernetes")
    assert entry.found_in == "kubernetes/apps/flux-system/flux-instance/app/helm/values.yaml"
    assert result.findings == []
    assert rendered(result) == {
        "kubernetes/flux/cluster:cluster-apps",
        "kubernetes/flux/cluster:flux-instance",
        "kubernetes/flux/cluster:web",
    }
    # the repository root finds the same entry
    assert [c.name for c in lint_repo(repo).clusters] == ["kubernetes/flux/cluster"]


def test_config_names_the_entries_of_a_flux_instance_made_outside_git():
    """A Terraform FluxInstance: the config's bootstrap.entries are the clusters; stale syncs are left out."""
    repo = FIXTURES / "disc-terraform"
    result = lint_repo(repo)
    assert [c.name for c in result.clusters] == ["kubernetes/clusters/live"]
    assert result.findings == [] and rendered(result) == {"kubernetes/clusters/live:apps"}
    without = lint_repo(repo, config=Config())
    assert [c.name for c in without.clusters] == [
        "kubernetes/clusters/live",
        "kubernetes/clusters/staging",
        "kubernetes/flux",
    ]


def test_live_flux_instance_wins_over_a_stale_gotk_sync(tmp_path):
    repo = FIXTURES / "disc-stale-gotk"
    code, out, err = run_cli(str(repo), "--root", str(repo))
    assert code == 0, out
    assert err == (
        "gitops-lint: clusters/prod: using the FluxInstance sync in clusters/prod/flux-instance.yaml; "
        "clusters/prod/flux-system/gotk-sync.yaml (gotk-sync) is not used\n"
    )
    result = lint_repo(repo, "clusters/prod")
    assert result.clusters[0].entry.source_name == "fleet"
    assert rendered(result) == {"clusters/prod:apps"}


def test_oci_artifact_of_a_subdirectory_pushed_by_ci():
    """`flux push artifact --path=./kubernetes`: every path of the OCI source is inside kubernetes/."""
    repo = FIXTURES / "disc-oci-root"
    result = lint_repo(repo)
    [cluster] = result.clusters
    assert (cluster.name, cluster.entry.source_root, cluster.entry.source_kind) == (
        "kubernetes/clusters/dev",
        "kubernetes",
        "OCIRepository",
    )
    assert result.findings == []
    assert rendered(result) == {"kubernetes/clusters/dev:apps", "kubernetes/clusters/dev:infra"}
    dirs = {ks.ref.name: ks.source.directory for ks in cluster.kustomizations.values() if not ks.synthetic}
    assert dirs == {"apps": "kubernetes/apps", "infra": "kubernetes/infra"}


def test_config_says_the_artifact_root(tmp_path):
    """FluxInstance outside Git, no CI file: `bootstrap: {kind: OCIRepository, root: kubernetes}` says it."""
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "disc-oci-root", repo)
    shutil.rmtree(repo / ".github")
    (repo / "kubernetes" / "flux" / "instance.yaml").unlink()
    assert found(lint_repo(repo, "kubernetes/clusters/dev")) == [
        "kubernetes/clusters/dev/apps.yaml:12 missing-source warning",
        "kubernetes/clusters/dev/apps.yaml:8 missing-path error",
        "kubernetes/clusters/dev/infra.yaml:8 missing-path error",
    ]
    (repo / ".gitops-lint.yaml").write_text("bootstrap: {kind: OCIRepository, root: kubernetes}\n")
    result = lint_repo(repo, "kubernetes/clusters/dev")
    assert result.findings == [] and len(rendered(result)) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bootstrap: [a]\n", "bootstrap expects a mapping"),
        ("bootstrap: {kind: HelmRepository}\n", "bootstrap.kind expects one of"),
        ("bootstrap: {entries: clusters/a}\n", "bootstrap.entries expects a list"),
        ("bootstrap: {root: ../up}\n", "leaves the repository"),
        ("bootstrap: {path: x}\n", "unknown bootstrap setting 'path'"),
    ],
)
def test_bootstrap_config_errors(tmp_path, text, message):
    (tmp_path / ".gitops-lint.yaml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(str(tmp_path), known=vocabulary())


def test_bootstrap_config_is_parsed():
    cfg = parse_config(
        {"bootstrap": {"kind": "OCIRepository", "root": "./kubernetes/", "entries": ["a/b/"]}}, "x"
    )
    assert cfg.bootstrap == Bootstrap(kind="OCIRepository", root="kubernetes", entries=("a/b",))


def test_hub_and_spoke_root_equals_the_hub():
    """The hub applies clusters/staging to a spoke: it is not a cluster of its own."""
    repo = str(FIXTURES / "disc-hub-spoke")
    by_root = run_cli(repo, "--root", repo, "--format", "json")
    by_hub = run_cli(repo + "/hub", "--root", repo, "--format", "json")
    assert by_root[0] == by_hub[0] == 1
    assert json.loads(by_root[1])["findings"] == json.loads(by_hub[1])["findings"]
    assert [f["cluster"] for f in json.loads(by_root[1])["findings"]] == ["hub"]
    assert "clusters/staging: part of what hub applies" in by_root[2]
    assert run_cli(repo, "--root", repo)[1] == run_cli(repo + "/hub", "--root", repo)[1]


def test_unread_cluster_and_guessed_source_are_warnings():
    """Nothing rendered, or a bootstrap source guessed: a warning that says so, never a silent pass."""
    result = lint_repo(FIXTURES / "disc-unread")
    assert found(result) == [
        "clusters/empty:1 missing-source warning",
        "clusters/home/apps.yaml:12 missing-source warning",
    ]
    assert "home-ops is taken as the bootstrap source" in result.findings[1].message
    assert rendered(result) == {"clusters/home:apps"}


def test_source_root_from_where_the_sync_is_found():
    """`path: ./clusters/a` found at sub/clusters/a: the source root is sub/, and `..` clamps there."""
    repo = FIXTURES / "disc-sub-root"
    result = lint_repo(repo)
    [cluster] = result.clusters
    assert (cluster.name, cluster.entry.source_root) == ("sub/clusters/a", "sub")
    assert result.findings == []
    dirs = {ks.ref.name: ks.source.directory for ks in cluster.kustomizations.values()}
    assert dirs == {"flux-system": "sub/clusters/a", "apps": "sub/apps", "infra": "sub/infra"}
    assert lint_repo(repo, "sub/clusters/a").findings == []


@pytest.mark.parametrize(
    ("root", "path", "expected"),
    [("", "../apps", "apps"), ("sub", "../../x/../y", "sub/y"), ("", "/abs/p", "abs/p"), ("", "./", "")],
)
def test_spec_path_is_clamped_at_the_source_root(root, path, expected):
    assert in_artifact(root, path) == expected


def test_root_without_git_is_found_from_the_sync_and_said(tmp_path):
    repo = tmp_path / "export"
    shutil.copytree(FIXTURES / "disc-sub-root", repo)
    entry = repo / "sub" / "clusters" / "a"
    guess = guess_root(str(entry))
    assert (guess.root, bool(guess.how)) == (str(repo / "sub"), True)
    code, out, err = run_cli(str(entry))
    assert code == 0 and "0 errors" in out
    assert err == (
        f"gitops-lint: no .git above {entry}: using {repo / 'sub'} as the root "
        "(the path its flux-system/gotk-sync.yaml syncs); set --root to change it\n"
    )
    # .sops.yaml marks the root of a tree whose sync says nothing
    (entry / "flux-system" / "gotk-sync.yaml").unlink()
    assert guess_root(str(entry)).root == str(repo / "sub")
    assert "it holds .sops.yaml" in guess_root(str(entry)).how


def test_root_with_git_is_certain(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "clusters" / "a").mkdir(parents=True)
    assert guess_root(str(tmp_path / "clusters" / "a")) == type(guess_root(str(tmp_path)))(str(tmp_path), "")


def test_guessed_root_high_in_the_file_system_does_not_walk_it(tmp_path):
    files = {f"d{i}/x{j}.yaml": "a: 1\n" for i in range(5) for j in range(5)}
    write_tree(tmp_path, files)
    cfg = Config(walk_limit=10)
    with pytest.raises(Exception, match="holds more than 10 YAML files"):
        lint_repo(tmp_path, config=cfg)


def test_findings_in_a_shared_file_are_kept_per_cluster():
    """JSON: one finding per cluster; text: one line naming both clusters."""
    repo = str(FIXTURES / "disc-shared")
    code, out, _ = run_cli(repo, "--root", repo, "--format", "json")
    findings = json.loads(out)["findings"]
    assert [(f["rule"], f["cluster"]) for f in findings] == [
        ("missing-dependency", "clusters/a"),
        ("missing-dependency", "clusters/b"),
    ]
    code, out, _ = run_cli(repo, "--root", repo, "--format", "concise")
    lines = out.splitlines()
    assert len(lines) == 2 and lines[0].endswith("[clusters: clusters/a, clusters/b]")
    assert lines[1].startswith("Found 1 error, 0 warnings")
    code, out, _ = run_cli(repo, "--root", repo)
    assert out.count(" GL102 ") == 1 and "(clusters/a, clusters/b)" in out
    code, out, _ = run_cli(repo, "--root", repo, "--format", "github")
    assert out.count("::error ") == 1 and "[clusters: clusters/a, clusters/b]" in out


def test_corpus_entries_of_value_files_and_oci_syncs(corpus):
    """Real layouts: a values-file sync, an OCI FluxInstance outside its entry."""

    def entries(repo):
        fs = RepoFS(str(corpus / repo))
        return {e.path: (e.source_kind, e.source_name) for e in find_entries(fs, DocumentCache(fs))}

    assert entries("rwlove__home-ops")["kubernetes/flux/cluster"] == ("GitRepository", "home-ops-kubernetes")
    assert entries("tyriis__home-ops")["devenv/oci/flux"] == ("OCIRepository", "flux-system")


@pytest.fixture
def corpus():
    if not CORPUS.is_dir():
        pytest.skip("corpus not present")
    return CORPUS


def test_readme_bootstrap_example_is_a_valid_config(tmp_path):
    from tests.readme_snippets import readme_block

    (tmp_path / ".gitops-lint.yaml").write_text(readme_block("bootstrap"))
    boot = load_config(str(tmp_path), known=vocabulary()).bootstrap
    assert boot == Bootstrap(
        "OCIRepository",
        "flux-system",
        "flux-system",
        None,
        "kubernetes",
        ("kubernetes/clusters/cluster-101",),
    )


def test_self_applied_sync_is_an_entry_and_its_sources_are_not_missing():
    """A GitRepository and a Kustomization applying their own directory, applied by a bootstrap task.

    From the root it is an entry (and covers the FluxInstance's narrower one); from the
    narrower entry, what it applies is not proven missing: one warning names that sync.
    A source defined nowhere stays an error either way.
    """
    repo = FIXTURES / "disc-self-sync"
    result = lint_repo(repo)
    assert [c.name for c in result.clusters] == ["flux"]
    assert result.clusters[0].entry.found_in == "flux/config/cluster.yaml"
    assert found(result) == ["apps/podinfo.yaml:28 missing-source error"]
    narrow = lint_repo(repo, "flux/cluster")
    assert found(narrow) == [
        "apps/podinfo.yaml:13 missing-source warning",
        "apps/podinfo.yaml:28 missing-source error",
    ]
    assert "by the sync of flux (flux/config/cluster.yaml)" in narrow.findings[0].message


@pytest.mark.parametrize(
    ("bootstrap", "ref", "same"),
    [
        ("refs/heads/main", {"branch": "main"}, True),
        ("refs/heads/main", {"tag": "v1"}, False),
        ("refs/heads/main", None, True),
        (None, {"tag": "v1"}, True),
        ("refs/heads/main", {"branch": "main", "commit": "abc"}, False),
    ],
)
def test_another_revision_of_the_bootstrap_repository_is_not_this_checkout(bootstrap, ref, same):
    from gitops_lint.model.cluster import _same_revision

    assert _same_revision(bootstrap, ref) is same


def test_layout_descends_into_grouping_directories(tmp_path):
    """clusters/<env>/<nn> overlays of clusters/<env>/base: the overlays are the clusters."""
    base = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [apps.yaml]\n"
    overlay = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../base]\n"
    write_tree(
        tmp_path,
        {
            "clusters/dev/base/kustomization.yaml": base,
            "clusters/dev/base/apps.yaml": (
                FIXTURES / "disc-shared" / "clusters" / "a" / "infra.yaml"
            ).read_text(),
            "clusters/dev/00/kustomization.yaml": overlay,
            "clusters/dev/01/kustomization.yaml": overlay,
            "infra/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: default}\n",
        },
    )
    fs = RepoFS(str(tmp_path))
    assert [e.path for e in find_entries(fs, DocumentCache(fs))] == [
        "clusters/dev/00",
        "clusters/dev/01",
        "clusters/dev/base",
    ]
    result = lint_repo(tmp_path)
    assert [c.name for c in result.clusters] == ["clusters/dev/00", "clusters/dev/01"]
    assert result.findings == []


def test_spec_path_with_a_variable_only_the_sync_could_fill_is_not_missing(tmp_path):
    """A ${var} in a top Kustomization's path is filled by the sync's postBuild (set outside
    this render): unknown, not missing. Under a parent without substitution it stays literal."""
    from tests.helpers import ks

    write_tree(
        tmp_path,
        {
            "clusters/dev/apps.yaml": ks("apps", "./apps/${ENVIRONMENT}"),
            "clusters/dev/infra.yaml": ks("infra", "./infra"),
            "infra/nested.yaml": ks("nested", "./apps/${ENVIRONMENT}"),
        },
    )
    assert found(lint_repo(tmp_path, "clusters/dev")) == ["infra/nested.yaml:8 missing-path error"]


def test_only_files_that_may_hold_a_sync_are_decoded(tmp_path, monkeypatch):
    """An app's ks.yaml names its GitRepository but holds none: no self-applied sync can
    be in it, so discovery does not decode its documents (nor those of a ConfigMap that
    says ``sync:``); a file with both still is."""
    from gitops_lint.discover import entries

    ks = (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata: {{name: {name}, namespace: flux-system}}\n"
        "spec:\n  interval: 10m\n  path: {path}\n  prune: true\n"
        "  sourceRef: {{kind: GitRepository, name: flux-system}}\n"
    )
    repo = (
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n"
        "metadata: {name: flux-system, namespace: flux-system}\n"
        "spec: {interval: 1m, url: https://example.com/fleet, ref: {branch: main}}\n"
    )
    write_tree(
        tmp_path,
        {
            "flux/config/cluster.yaml": repo + "---\n" + ks.format(name="flux", path="./flux"),
            "apps/podinfo/ks.yaml": ks.format(name="podinfo", path="./apps/podinfo/app"),
            "apps/podinfo/app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
            # says `sync:` (as a FluxInstance does) without being one
            "apps/podinfo/app/sync.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\ndata:\n  sync: x\n",
        },
    )
    decoded = []
    real = entries.decode
    monkeypatch.setattr(entries, "decode", lambda obj: decoded.append(obj.get("kind")) or real(obj))
    fs = RepoFS(str(tmp_path))
    found = entries.find_entries(fs, DocumentCache(fs))
    assert [(e.path, e.found_by, e.found_in) for e in found] == [
        ("flux", entries.SELF, "flux/config/cluster.yaml")
    ]
    assert decoded == ["GitRepository", "Kustomization"]
