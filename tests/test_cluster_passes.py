"""The cluster build's second pass reuses the renders whose inputs did not change.

A cluster is rendered again when a substitution source turned out to exist only
after a Kustomization that reads it was rendered (``model.cluster``). Most
renders of that second pass have the same inputs as in the first (directory,
Flux fields, variables): their build and substitution are taken over instead of
being made again. The plain builder, which makes every render of every pass
afresh, is the oracle: the clusters must be equal.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_lint import lint
from gitops_lint.load.config import load_config
from gitops_lint.model.cluster import ClusterBuilder
from gitops_lint.render.kustomize import Kustomizer
from gitops_lint.vocabulary import vocabulary
from tests.conftest import FIXTURES


class _Fresh(ClusterBuilder):
    """The oracle: every render of every pass made afresh."""

    def _made_for(self, ks, variables):
        self._previous = {}
        return super()._made_for(ks, variables)


def _clusters(root: Path, *entries: str, builder=ClusterBuilder):
    cfg = load_config(str(root), known=vocabulary())
    saved = lint.ClusterBuilder
    lint.ClusterBuilder = builder
    try:
        linter = lint.Linter(str(root), cfg)
        return linter.build_clusters([str(root / e) for e in entries] or [str(root)])
    finally:
        lint.ClusterBuilder = saved


def _same(a, b) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.objects == y.objects
        assert list(x.kustomizations) == list(y.kustomizations)
        assert list(x.kustomizations.values()) == list(y.kustomizations.values())
        assert x.external_sources == y.external_sources


def test_second_pass_builds_only_what_changed(monkeypatch):
    """sub-order renders twice (each of apps and secrets reads a source the other applies):
    only apps, rendered in the first pass before the Secret it reads was known, is built again."""
    calls: list[tuple[str, bool]] = []
    for name in ("build", "build_shared"):
        build = getattr(Kustomizer, name)

        def counted(self, path, overlay=None, build=build):
            calls.append((path, overlay is not None and overlay.origin is not None))
            return build(self, path, overlay)

        monkeypatch.setattr(Kustomizer, name, counted)
    _clusters(FIXTURES / "sub-order")
    flux_builds = [path for path, flux in calls if flux]
    assert flux_builds == ["clusters/dev", "apps", "secrets", "apps"]


def test_second_pass_equals_the_plain_builder():
    root = FIXTURES / "sub-order"
    _same(_clusters(root), _clusters(root, builder=_Fresh))


@pytest.mark.slow
@pytest.mark.parametrize(
    "repo, entries",
    [
        ("rwlove__home-ops", ["kubernetes/flux/cluster"]),
        ("gavinmcfall__home-ops", ["kubernetes/flux/cluster"]),
        ("stuttgart-things__stuttgart-things", ["clusters/labul/proxmox/fluxdev-3"]),
    ],
)
def test_corpus_clusters_equal_the_plain_builder(corpus, repo, entries):
    root = corpus / repo
    _same(_clusters(root, *entries), _clusters(root, *entries, builder=_Fresh))


def test_second_pass_makes_no_reference_nor_flux_fields_twice(monkeypatch):
    """The second pass takes the first pass's objects over, and with them each object's
    reference and Flux fields, made once per object: they are what a fresh make gives."""
    from gitops_lint.core import data
    from gitops_lint.model import cluster as cluster_module

    made: dict[str, list[int]] = {"ref": [], "fields": []}
    ref_of, kustomization_spec = data.ref_of, cluster_module.kustomization_spec

    def counted_ref(obj, *args, **kwargs):
        made["ref"].append(id(obj))
        return ref_of(obj, *args, **kwargs)

    def counted_fields(obj, *args, **kwargs):
        made["fields"].append(id(obj))
        return kustomization_spec(obj, *args, **kwargs)

    monkeypatch.setattr(data, "ref_of", counted_ref)
    monkeypatch.setattr(cluster_module, "kustomization_spec", counted_fields)
    (cluster,) = _clusters(FIXTURES / "sub-order")
    monkeypatch.undo()
    kept = [ro.obj for ro in cluster.objects] + [ks.obj for ks in cluster.kustomizations.values()]
    assert made["fields"]
    for what in ("ref", "fields"):
        ids = [i for i in made[what] if any(id(o) == i for o in kept)]
        assert len(ids) == len(set(ids)), f"a {what} made twice for one object"
    for ro in cluster.objects:
        assert ro.ref == data.ref_of(ro.obj)
    for ks in cluster.kustomizations.values():
        assert ks.fields == kustomization_spec(ks.obj, ks.ref.namespace, ks.spec)
