"""The rules' Context: shared indexes are typed properties, built once and only when asked.

A rule reads ``ctx.crd_index``, ``ctx.schemas``, ``ctx.flux_version``,
``ctx.objects_by_kind`` or ``ctx.other_sync_definitions``; the first rule that
asks builds it, the others of the same cluster reuse it, and a run whose rules
never ask never pays for it.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import pytest

import gitops_lint.rules as registry
from gitops_lint.lint import Linter
from gitops_lint.load.config import load_config
from gitops_lint.rules import Context, all_rules
from gitops_lint.vocabulary import vocabulary

FIXTURES = Path(__file__).parent / "fixtures"


def _contexts(name: str) -> list[Context]:
    root = str(FIXTURES / name)
    linter = Linter(root, load_config(root, known=vocabulary()))
    return [Context(linter.fs, linter.cache, linter.config, c) for c in linter.build_clusters([root])]


def _count(monkeypatch, module, name: str) -> list[int]:
    calls = [0]
    real = getattr(module, name)

    def counting(*args, **kwargs):
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return calls


def test_each_index_is_built_once_on_first_use(monkeypatch):
    from gitops_lint.discover import sources
    from gitops_lint.model import crds, flux_version
    from gitops_lint.schema import check

    built = {
        "crd_index": _count(monkeypatch, crds, "build_crd_index"),
        "flux_version": _count(monkeypatch, flux_version, "detect"),
        "schemas": _count(monkeypatch, check, "validate_cluster"),
        "other_sync_definitions": _count(monkeypatch, sources, "definitions_under"),
        "custom_objects": _count(monkeypatch, crds, "custom_objects"),
        "release_charts": _count(monkeypatch, crds, "ReleaseCharts"),
    }
    ctx = _contexts("defects")[0]
    assert all(c == [0] for c in built.values()), "nothing is built before a rule asks"
    for name, calls in built.items():
        first = getattr(ctx, name)
        assert getattr(ctx, name) is first
        assert calls == [1], name


def test_a_run_whose_rules_never_ask_never_builds(monkeypatch):
    from gitops_lint.model import crds, flux_version
    from gitops_lint.schema import check

    calls = [
        _count(monkeypatch, crds, "build_crd_index"),
        _count(monkeypatch, flux_version, "detect"),
        _count(monkeypatch, check, "validate_cluster"),
    ]
    root = str(FIXTURES / "defects")
    config = load_config(root)
    config.select = {"dependency-cycle", "yaml-syntax"}
    Linter(root, config).run([root])
    assert calls == [[0], [0], [0]]
    listed = _count(monkeypatch, crds, "custom_objects")
    config.select = {"missing-crd", "crd-order", "missing-namespace"}
    Linter(root, config).run([root])
    clusters = len(Linter(root, load_config(root)).build_clusters([root]))
    assert calls[0] == [clusters], "one CRD index per cluster, shared by the three rules"
    assert listed == [clusters], "one list of custom objects per cluster, for missing-crd and crd-order"


def test_objects_by_kind_keeps_the_clusters_order():
    for ctx in _contexts("defects") + _contexts("example"):
        by_kind = ctx.objects_by_kind
        assert sum(map(len, by_kind.values())) == len(ctx.cluster.objects)
        for kind, objects in by_kind.items():
            assert objects == [ro for ro in ctx.cluster.objects if ro.obj.get("kind") == kind]
            assert ctx.objects_of(kind) == objects
        assert ctx.objects_of("NoSuchKind") == []


def test_a_repository_context_has_no_cluster_index():
    from gitops_lint.core.errors import InternalError

    ctx = _contexts("defects")[0]
    repo = Context(ctx.fs, ctx.cache, ctx.config)
    with pytest.raises(InternalError):
        _ = repo.crd_index


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()))
def test_a_rule_that_declares_kinds_finds_nothing_without_them(fixture):
    """The runner skips a rule on a cluster without its kinds: that must lose no finding."""
    declared = [r for r in all_rules() if r.kinds is not None]
    assert declared, "at least one built-in rule declares its kinds"
    contexts = _contexts(fixture)
    for ctx in contexts:
        for rule in declared:
            if rule.applies_to(ctx):
                continue
            assert list(rule.check(ctx)) == [], f"{rule.name} on {ctx.cluster.name}"


def test_a_rule_with_kinds_is_not_called_on_a_cluster_without_them(monkeypatch, tmp_path):
    from gitops_lint.rules import crd_prune
    from tests.helpers import GOTK, lint_repo, write_tree

    seen: list[str] = []
    real = crd_prune.check

    def spy(ctx):
        seen.append(ctx.cluster.name)
        return real(ctx)

    rules = [dataclasses.replace(r, check=spy) if r.name == "crd-prune" else r for r in all_rules()]
    monkeypatch.setattr(registry, "_CACHE", rules)
    write_tree(tmp_path, GOTK)
    lint_repo(tmp_path)
    assert seen == [], "no CRD in the cluster: crd-prune is not called"
    write_tree(
        tmp_path,
        {
            "clusters/dev/crd.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
            "metadata: {name: widgets.example.com}\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n"
            "  scope: Namespaced\n  versions: [{name: v1, served: true, storage: true}]\n",
            "clusters/dev/flux-system/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\n"
            "kind: Kustomization\nresources:\n  - gotk-sync.yaml\n  - ../crd.yaml\n",
        },
    )
    lint_repo(tmp_path)
    assert seen, "a CRD in the cluster: crd-prune runs"


# -- Rule.reads: which indexes each built-in rule reads ------------------------------------

_INDEXES = sorted(
    name
    for name, value in vars(Context).items()
    if isinstance(value, functools.cached_property) and name != "objects_by_kind"  # a cheap grouping
)


def _recording_context(read: set[str]) -> type[Context]:
    """A Context that adds to ``read`` each index a rule asks for itself (not those an index
    asks for while it is built)."""
    building = [0]

    class Recording(Context):
        pass

    builders = {name: vars(Context)[name].func for name in _INDEXES}
    for name in _INDEXES:

        def get(self, build=builders[name], name=name):
            if not building[0]:
                read.add(name)
            building[0] += 1
            try:
                return build(self)
            finally:
                building[0] -= 1

        prop = functools.cached_property(get)
        prop.__set_name__(Recording, name)
        setattr(Recording, name, prop)
    return Recording


def test_every_built_in_rule_declares_the_indexes_it_reads():
    """``Rule.reads`` is what the runner splits one cluster's rules over two processes by
    (lint.Linter._split_rules): each rule, on a fresh context of every cluster of every
    fixture, asks for exactly the indexes it declares (over all of them)."""
    from gitops_lint.graph.dependson import build_graph

    observed: dict[str, set[str]] = {r.name: set() for r in all_rules()}
    for fixture in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        root = str(fixture)
        linter = Linter(root, load_config(root, known=vocabulary()))
        clusters = linter.build_clusters([root])
        for rule in all_rules():
            for cluster in clusters if rule.scope == registry.CLUSTER else [None]:
                context = _recording_context(observed[rule.name])
                graph = build_graph(cluster) if cluster is not None else None
                ctx = context(linter.fs, linter.cache, linter.config, cluster, graph)
                if rule.applies_to(ctx):
                    list(rule.check(ctx))
    assert {r.name: set(r.reads) for r in all_rules()} == observed
