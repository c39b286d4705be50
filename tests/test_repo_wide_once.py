"""Repository-wide facts are computed once per run, and each run sees its own tree.

A fact that is a function of the repository's files, not of one cluster (the
directory tree, the bootstrap helmfiles' namespaces, the CRD providers a
Terraform or Talos file declares, the secret values of a file), is computed
once per run however many clusters the repository holds, and is held by the
run (its RepoFS, its Linter), never by the process: a second run on a changed
tree sees the change (issue 17, "one run, one state").
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from gitops_lint.core.fs import RepoFS
from tests.helpers import gotk, ks, lint_repo, write_tree

CLUSTERS = ("dev", "prod", "stg")


def _cluster(cluster: str) -> dict[str, str]:
    return {
        **gotk(cluster),
        f"clusters/{cluster}/apps.yaml": ks(
            "apps",
            "./apps",
            extra="  healthChecks:\n"
            "    - {apiVersion: apps/v1, kind: Deployment, name: webhook, namespace: cert-manager}\n",
        ),
    }


def fleet(root: Path, extra: dict[str, str] | None = None) -> Path:
    """Three clusters applying one ``apps`` directory, whose Kustomization waits for a
    Deployment nothing in Git applies."""
    files: dict[str, str] = {}
    for cluster in CLUSTERS:
        files.update(_cluster(cluster))
    files["apps/cm.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: default}\n"
    files.update(extra or {})
    return write_tree(root, files)


def lint(root: Path):
    return lint_repo(root, *(f"clusters/{c}" for c in CLUSTERS))


def rules_of(result) -> Counter:
    return Counter(f.rule for f in result.findings)


# -- the directory tree -------------------------------------------------------------------


def test_a_run_lists_each_directory_once(tmp_path, monkeypatch):
    """Discovery, the linted files, each cluster's CRD index and the secret inventory
    all walk the tree: between them each directory is listed once."""
    fleet(tmp_path)
    listed: Counter = Counter()
    real_scandir = os.scandir

    def counting(path="."):
        listed[os.fspath(path)] += 1
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", counting)
    lint(tmp_path)
    assert listed, "the run walked no directory"
    assert max(listed.values()) == 1, {p: n for p, n in listed.items() if n > 1}


def test_a_run_reads_each_file_once(tmp_path, monkeypatch):
    """Discovery, the document cache, the suppression comments and the secret
    inventory all read the files: between them each is opened once."""
    from gitops_lint.core import fs as fs_module

    fleet(tmp_path)
    opened: Counter = Counter()

    real = fs_module.read_up_to  # how RepoFS opens a file to read it

    def counting(path, limit):
        opened[os.fspath(path)] += 1
        return real(path, limit)

    monkeypatch.setattr(fs_module, "read_up_to", counting)
    lint(tmp_path)
    assert len(opened) > len(CLUSTERS)
    assert max(opened.values()) == 1, {p: n for p, n in opened.items() if n > 1}


def test_a_run_resolves_each_path_once(tmp_path, monkeypatch):
    """The renderer asks for the repository-relative form of each directory it builds,
    for every cluster: each path is resolved (``realpath``) once per run."""
    fleet(tmp_path)
    resolved: Counter = Counter()
    real_realpath = os.path.realpath

    def counting(path, *args, **kwargs):
        resolved[os.fspath(path)] += 1
        return real_realpath(path, *args, **kwargs)

    monkeypatch.setattr(os.path, "realpath", counting)
    lint(tmp_path)
    below = {p: n for p, n in resolved.items() if p.startswith(f"{tmp_path}{os.sep}")}
    assert below, "the renderer resolved no directory"
    # (the root itself is resolved by the config's loading too, apart from the run)
    assert max(below.values()) == 1, {p: n for p, n in below.items() if n > 1}


def test_a_run_stats_each_path_once(tmp_path, monkeypatch):
    """Whether a path is a file or a directory is asked once per run (and its size
    once more, when it is read), however many clusters build it."""
    fleet(tmp_path)
    asked: Counter = Counter()
    real_stat = os.stat

    def counting(path, *args, **kwargs):
        asked[os.fspath(path)] += 1
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", counting)
    lint(tmp_path)
    below = {p: n for p, n in asked.items() if p.startswith(f"{tmp_path}{os.sep}")}
    assert below, "the run asked about no path"
    assert max(below.values()) <= 2, {p: n for p, n in below.items() if n > 2}


def test_a_second_run_sees_a_file_added(tmp_path):
    fleet(tmp_path)
    secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\nstringData:\n  password: Zq8vK3pL9mX2wQ7t\n"
    assert "plaintext-secret" not in rules_of(lint(tmp_path))
    write_tree(tmp_path, {"apps/secret.yaml": secret})
    assert rules_of(lint(tmp_path))["plaintext-secret"] >= 1


def test_a_walk_gives_what_an_unmemoized_walk_gives(tmp_path):
    """Each walk, whatever came before it on the same RepoFS: the same files in the same order."""
    write_tree(
        tmp_path,
        {
            "a.yaml": "",
            "b.txt": "",
            "d/x.yml": "",
            "d/e/y.yaml": "",
            "d/e/z.tf": "",
            "d/helmfile.yaml.gotmpl": "",
            ".git/config.yaml": "",
        },
    )
    os.symlink(tmp_path / "d", tmp_path / "link")  # a symlinked directory: followed only as a start
    asks = [
        ("", (".yaml", ".yml")),
        ("", (".yaml", ".yml", ".tf")),
        ("d", (".yaml",)),
        ("link", (".yaml", ".yml")),
        ("", (".gotmpl",)),
        ("d/e", (".tf",)),
        ("missing", (".yaml",)),
        ("a.yaml", (".yaml",)),
    ]
    shared = RepoFS(str(tmp_path))
    for rel, suffixes in asks + asks:
        assert list(shared.walk_files(rel, suffixes)) == list(RepoFS(str(tmp_path)).walk_files(rel, suffixes))
    assert list(shared.walk_files("", (".yaml", ".yml"))) == ["a.yaml", "d/x.yml", "d/e/y.yaml"]


def test_a_walk_stopped_early_is_not_kept_whole(tmp_path):
    """``any()`` over a walk stops it: what it did not look at is walked by the next one."""
    write_tree(tmp_path, {"a/1.yaml": "", "b/2.yaml": ""})
    fs = RepoFS(str(tmp_path))
    assert any(True for _ in fs.walk_files(""))
    assert list(fs.walk_files("")) == ["a/1.yaml", "b/2.yaml"]


def test_an_unreadable_directory_is_reported_once_listed(tmp_path, monkeypatch):
    write_tree(tmp_path, {"a/1.yaml": "", "locked/2.yaml": ""})
    real_scandir = os.scandir

    def refusing(path="."):
        if os.path.basename(os.fspath(path)) == "locked":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    fs = RepoFS(str(tmp_path))
    assert list(fs.walk_files("")) == ["a/1.yaml"]
    assert list(fs.walk_files("", (".yml",))) == []
    assert fs.unreadable == {"locked": "Permission denied"}
    # the same directory reached by another name is reported by that name too
    os.symlink(tmp_path / "locked", tmp_path / "link")
    assert list(fs.walk_files("link")) == []
    assert fs.unreadable == {"locked": "Permission denied", "link": "Permission denied"}


# -- the bootstrap files (helmfiles, Terraform, Talos) -------------------------------------

WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: default}\n"
HELMFILE = """repositories:
  - {name: jetstack, url: https://charts.jetstack.io}
releases:
  - name: cert-manager
    namespace: NAMESPACE
    chart: jetstack/cert-manager
"""
TERRAFORM = """resource "helm_release" "widgets" {
  name       = "widgets"
  chart      = "widget-operator"
  repository = "https://example.com/charts"
}
"""
TALOS = """cluster:
  inlineManifests:
    - name: widget-crd
      contents: |
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: widgets.example.com}
        spec:
          group: example.com
          scope: Namespaced
          names: {kind: Widget, plural: widgets}
          versions: [{name: v1, served: true, storage: true}]
"""


def test_the_bootstrap_files_are_read_once_per_run(tmp_path, monkeypatch):
    """Three clusters ask for the CRD index and the bootstrap namespaces: each
    bootstrap file is read (a Talos inline manifest parsed) as often as for one."""
    import yaml

    fleet(
        tmp_path,
        {
            "apps/widget.yaml": WIDGET,
            "bootstrap/helmfile.yaml": HELMFILE.replace("NAMESPACE", "cert-manager"),
            "terraform/main.tf": TERRAFORM,
            "talos/controlplane.yaml": TALOS,
        },
    )
    reads: Counter = Counter()
    real_read = RepoFS._read_bytes  # what read_bytes and derive (a function of the bytes) read
    real_load_all = yaml.load_all

    def read_bytes(self, rel):
        reads[rel] += 1
        return real_read(self, rel)

    def load_all(stream, Loader):  # noqa: N803 - yaml's own name
        if isinstance(stream, str) and "widgets.example.com" in stream:
            reads["inline manifest"] += 1
        return real_load_all(stream, Loader=Loader)

    monkeypatch.setattr(RepoFS, "_read_bytes", read_bytes)
    monkeypatch.setattr(yaml, "load_all", load_all)
    bootstrap = ("bootstrap/helmfile.yaml", "terraform/main.tf", "inline manifest")

    one = lint_repo(tmp_path, "clusters/dev")
    for_one = {rel: reads[rel] for rel in bootstrap}
    reads.clear()
    three = lint(tmp_path)
    assert {rel: reads[rel] for rel in bootstrap} == for_one
    assert for_one["terraform/main.tf"] == for_one["inline manifest"] == 1
    # what the files provide is seen by every cluster
    assert [
        f.rule for f in one.findings + three.findings if f.rule in ("missing-crd", "health-check-target")
    ] == []


def test_a_second_run_sees_a_bootstrap_file_change(tmp_path):
    fleet(tmp_path, {"bootstrap/helmfile.yaml": HELMFILE.replace("NAMESPACE", "other")})
    first = lint(tmp_path)
    assert rules_of(first)["health-check-target"] == len(CLUSTERS)
    write_tree(tmp_path, {"bootstrap/helmfile.yaml": HELMFILE.replace("NAMESPACE", "cert-manager")})
    assert "health-check-target" not in rules_of(lint(tmp_path))


def test_a_second_run_sees_a_crd_provider_added(tmp_path):
    fleet(tmp_path, {"apps/widget.yaml": WIDGET})
    assert rules_of(lint(tmp_path))["missing-crd"] == len(CLUSTERS)
    write_tree(tmp_path, {"talos/controlplane.yaml": TALOS})
    assert "missing-crd" not in rules_of(lint(tmp_path))
    (tmp_path / "talos/controlplane.yaml").unlink()
    assert rules_of(lint(tmp_path))["missing-crd"] == len(CLUSTERS)
    write_tree(tmp_path, {"terraform/main.tf": TERRAFORM})
    assert rules_of(lint(tmp_path))["missing-crd"] == 0


# -- the secret inventory -------------------------------------------------------------------

PASSWORD = "Zq8vK3pL9mX2wQ7t"


def _secret(name: str) -> str:
    return (
        f"apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: default}}\n"
        f"stringData:\n  password: {PASSWORD}{name}\n"
    )


def test_a_files_secret_values_are_worked_out_once_per_run(tmp_path, monkeypatch):
    """The run asks for its secret values when a rule needs them and again at its end,
    once it has read more files: only the files read since are worked out again."""
    from gitops_lint.load.loader import DocumentCache
    from gitops_lint.model import secrets

    write_tree(tmp_path, {"a.yaml": _secret("a"), "b.yaml": _secret("b")})
    worked: Counter = Counter()
    real = secrets.secret_values

    def counting(data, origin, *args, **kwargs):
        worked[origin.file] += 1
        return real(data, origin, *args, **kwargs)

    monkeypatch.setattr(secrets, "secret_values", counting)
    fs = RepoFS(str(tmp_path))
    cache = DocumentCache(fs)
    inventory = secrets.SecretInventory(fs, cache)
    cache.load("a.yaml")
    assert [v.value for v in inventory.values()] == [PASSWORD + "a"]
    cache.load("b.yaml")
    assert [v.value for v in inventory.values()] == [PASSWORD + "a", PASSWORD + "b"]
    assert worked == {"a.yaml": 1, "b.yaml": 1}
    # a new run (its own cache) reads the files as they are now
    write_tree(tmp_path, {"a.yaml": _secret("c")})
    fresh = DocumentCache(RepoFS(str(tmp_path)))
    fresh.load("a.yaml")
    assert [v.value for v in secrets.SecretInventory(fresh.fs, fresh).values()] == [PASSWORD + "c"]


def test_an_env_file_two_generators_read_counts_once_at_the_first(tmp_path):
    """Its values are kept once, named after the generator of the first kustomization
    in file order, whichever kustomization the run read first."""
    from gitops_lint.load.loader import DocumentCache
    from gitops_lint.model.secrets import SecretInventory

    def kustomization(name: str) -> str:
        return (
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            f"secretGenerator:\n  - name: {name}\n    envs: [../shared.env]\n"
        )

    write_tree(
        tmp_path,
        {
            "a/kustomization.yaml": kustomization("first"),
            "b/kustomization.yaml": kustomization("second"),
            "shared.env": f"TOKEN={PASSWORD}\n",
        },
    )
    fs = RepoFS(str(tmp_path))
    cache = DocumentCache(fs)
    inventory = SecretInventory(fs, cache)
    cache.load("b/kustomization.yaml")
    assert [(v.what, v.value) for v in inventory.values()] == [
        ("env file of secretGenerator second: key 'TOKEN'", PASSWORD)
    ]
    cache.load("a/kustomization.yaml")
    assert [(v.what, v.value) for v in inventory.values()] == [
        ("env file of secretGenerator first: key 'TOKEN'", PASSWORD)
    ]


# -- the manifests a bootstrap step may apply ---------------------------------------------------

VARS = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cluster-vars, namespace: flux-system}\ndata: {A: b}\n"
)


def _reading_vars(cluster: str) -> dict[str, str]:
    return {
        f"clusters/{cluster}/settings.yaml": ks(
            "settings",
            "./apps",
            extra="  postBuild:\n    substituteFrom:\n      - {kind: ConfigMap, name: cluster-vars}\n",
        )
    }


def test_a_missing_sources_manifest_is_looked_for_once_per_run(tmp_path, monkeypatch):
    extra = {"bootstrap/vars.yaml": VARS}
    for cluster in CLUSTERS:
        extra.update(_reading_vars(cluster))
    fleet(tmp_path, extra)
    reads: Counter = Counter()
    real_read = RepoFS.read_bytes

    def read_bytes(self, rel):
        reads[rel] += 1
        return real_read(self, rel)

    monkeypatch.setattr(RepoFS, "read_bytes", read_bytes)
    one = lint_repo(tmp_path, "clusters/dev")
    for_one = reads["bootstrap/vars.yaml"]
    reads.clear()
    three = lint(tmp_path)
    assert reads["bootstrap/vars.yaml"] == for_one
    for result, clusters in ((one, 1), (three, len(CLUSTERS))):
        said = [f.message for f in result.findings if f.rule == "missing-substitution-source"]
        assert len(said) == clusters
        assert all("bootstrap/vars.yaml has a manifest of it" in m for m in said)


def test_a_second_run_sees_a_bootstrap_manifest_removed(tmp_path):
    fleet(tmp_path, {"bootstrap/vars.yaml": VARS, **_reading_vars("dev"), **_reading_vars("prod")})

    def said():
        return [f.message for f in lint(tmp_path).findings if f.rule == "missing-substitution-source"]

    assert all("bootstrap/vars.yaml has a manifest" in m for m in said())
    (tmp_path / "bootstrap/vars.yaml").unlink()
    assert said() and not any("has a manifest" in m for m in said())
