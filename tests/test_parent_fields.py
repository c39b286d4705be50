"""Kustomizations whose fields come from a parent: the entry's self-managing
Kustomization (per-cluster patches, ``path: ./clusters/${ENVIRONMENT}``) and
children completed by a parent's ``spec.patches``."""

from __future__ import annotations

import shutil

import pytest

from gitops_lint.core.data import Severity
from gitops_lint.discover.entries import Entry
from gitops_lint.lint import Linter, make_renderer
from gitops_lint.load.config import load_config
from gitops_lint.model.cluster import ClusterBuilder
from gitops_lint.vocabulary import vocabulary
from tests.conftest import FIXTURES
from tests.helpers import lint_repo

REPO = FIXTURES / "rs-parent-fields"


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_each_cluster_renders_with_its_own_values(env):
    result = lint_repo(REPO, f"clusters/{env}")
    assert result.findings == []
    (cluster,) = result.clusters
    names = sorted(k[3] for k in cluster.kustomizations)
    # the self-managing flux-system is the root, not a second copy of the entry
    assert names == ["app", "apps", "flux-system"]
    assert cluster.root.ref.name == "flux-system" and not cluster.root.synthetic
    app = next(ks for ks in cluster.kustomizations.values() if ks.ref.name == "app")
    # sourceRef and prune came from the parent's spec.patches, the path from the root's variables
    assert app.spec["sourceRef"]["name"] == "flux-config" and app.spec["prune"] is True
    assert app.source.directory == f"apps/app/{env}"
    (settings,) = app.objects
    assert settings.obj["data"] == {"environment": env}


def test_no_object_is_applied_twice():
    result = lint_repo(REPO, "clusters/dev")
    (cluster,) = result.clusters
    refs = [(ro.ref.key(), ro.applied_by) for ro in cluster.objects]
    assert len(refs) == len(set(refs))
    assert not [f for f in result.findings if f.rule == "duplicate-object"]


def test_a_defect_below_the_root_is_found(tmp_path):
    repo = shutil.copytree(REPO, tmp_path / "repo")
    (repo / "apps/children/dev/app.yaml").write_text(
        (repo / "apps/children/dev/app.yaml").read_text() + "  dependsOn:\n    - name: database\n"
    )
    result = lint_repo(repo, "clusters/dev")
    assert [(f.rule, f.severity, f.file) for f in result.findings] == [
        ("missing-dependency", Severity.ERROR, "apps/children/dev/app.yaml")
    ]
    assert lint_repo(repo, "clusters/prod").findings == []


def test_the_self_managing_kustomization_may_have_any_name(tmp_path):
    """Named otherwise than the bootstrap default, it is still the root: the entry is rendered once."""
    repo = shutil.copytree(REPO, tmp_path / "repo")
    for rel in ("apps/flux-system/base/kustomize.yaml", "apps/flux-system/dev/kustomize.yaml"):
        f = repo / rel
        f.write_text(f.read_text().replace("name: flux-system", "name: cluster-sync", 1))
    result = lint_repo(repo, "clusters/dev")
    assert result.findings == []
    (cluster,) = result.clusters
    assert cluster.root.ref.name == "cluster-sync"
    assert sorted(k[3] for k in cluster.kustomizations) == ["app", "apps", "cluster-sync"]


# -- real repositories (entries as SOURCES.md names them) ----------------------------


def _build(root, entry: Entry):
    linter = Linter(str(root), load_config(str(root), known=vocabulary()))
    builder = ClusterBuilder(
        linter.fs, linter.cache, make_renderer(linter.config, linter.fs, linter.cache), linter.config
    )
    return builder.build(entry)


@pytest.mark.slow
def test_hmcts_clusters_render_every_kustomization(corpus):
    root = corpus / "hmcts__sds-flux-config"
    for path, count in (("clusters/demo/00", 20), ("clusters/prod/00", 27)):
        cluster = _build(root, Entry(path))
        statuses = {ks.ref.name: ks.source.status for ks in cluster.kustomizations.values()}
        assert set(statuses.values()) == {"ok"}, statuses
        assert len(statuses) == count, path


@pytest.mark.slow
def test_rwlove_children_take_their_source_from_the_parent(corpus):
    root = corpus / "rwlove__home-ops"
    cluster = _build(root, Entry("kubernetes/flux/cluster", source_name="home-ops-kubernetes"))
    ks = list(cluster.kustomizations.values())
    assert len(ks) == 235
    assert all(k.source is not None and k.source.status == "ok" for k in ks)


def test_the_same_repository_at_another_ref_is_not_the_content_in_hand(tmp_path):
    """A GitRepository of this URL pinned to a tag is another revision: its paths are not checked here."""
    repo = shutil.copytree(REPO, tmp_path / "repo")
    (repo / "apps/children/legacy.yaml").write_text(
        """apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: fleet-2023
  namespace: flux-system
spec:
  interval: 1h
  ref:
    tag: v2023
  url: https://github.com/example/fleet.git
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: legacy
  namespace: flux-system
spec:
  interval: 1h
  path: ./apps/removed-since
  prune: true
  sourceRef:
    kind: GitRepository
    name: fleet-2023
"""
    )
    base = repo / "clusters/base/kustomization.yaml"
    base.write_text(base.read_text() + "  - ../../apps/children/legacy.yaml\n")
    result = lint_repo(repo, "clusters/dev")
    assert [(f.rule, f.severity) for f in result.findings] == [("missing-source", Severity.INFO)]
    assert "tag v2023" in result.findings[0].message


def test_the_root_may_substitute_from_a_configmap_of_the_entry_itself(tmp_path):
    """Flux finds it from the previous reconciliation: it is not missing."""
    repo = shutil.copytree(REPO, tmp_path / "repo")
    patch = repo / "apps/flux-system/dev/kustomize.yaml"
    patch.write_text(
        patch.read_text().replace(
            '      ENVIRONMENT: "dev"\n',
            "      UNUSED: x\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-settings\n",
        )
    )
    (repo / "clusters/dev/settings.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings\n  namespace: flux-system\n"
        "data:\n  ENVIRONMENT: dev\n"
    )
    kustomization = repo / "clusters/dev/kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text().replace("  - ../base\n", "  - ../base\n  - settings.yaml\n")
    )
    result = lint_repo(repo, "clusters/dev")
    assert result.findings == []
    (cluster,) = result.clusters
    app = next(ks for ks in cluster.kustomizations.values() if ks.ref.name == "app")
    assert app.source.directory == "apps/app/dev"
