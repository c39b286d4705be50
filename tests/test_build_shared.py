"""The cluster builder substitutes the built-in renderer's kept objects without copying them first.

Substitution makes a new object (it copies every container as it walks), so the
copy the renderer used to hand out before it was made for nothing; the builder
now takes the renderer's own objects (``Kustomizer.build_shared``) and copies
only those it keeps as built. The plain way, substituting a copy, is the oracle.
"""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint import lint
from gitops_lint.load.config import load_config
from gitops_lint.model import cluster as cluster_module
from gitops_lint.render import kustomize
from gitops_lint.render.copy import deep_copy
from gitops_lint.substitute.engine import Variables, substitute_object
from gitops_lint.vocabulary import vocabulary
from tests.conftest import FIXTURES
from tests.helpers import GOTK, ks, write_tree

NAMES = ["A", "B", "c_1"]
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(["${A}", "x-${B:=d}", "$${A}", "${c_1}", "${nope}", "true", "${A", "a: b"]),
    st.text("ab $:{}-", max_size=6),
)
trees = st.recursive(
    scalar,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text("ab$", max_size=3), st.just("${A}")), children, max_size=4),
    ),
    max_leaves=25,
)
variable_maps = st.dictionaries(st.sampled_from(NAMES), st.text("ab1 :{}$", max_size=4), max_size=3)


def _containers(obj) -> list:
    out, stack = [], [obj]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            out.append(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            out.append(node)
            stack.extend(node)
    return out


@settings(deadline=None)
@given(st.dictionaries(st.text("ab", max_size=2), trees, max_size=4), variable_maps, st.booleans())
def test_substituting_the_object_itself_equals_substituting_a_copy(obj, values, open_):
    kept = copy.deepcopy(obj)
    plain = substitute_object(deep_copy(obj), Variables(values, open_), strict=True)
    shared = substitute_object(obj, Variables(values, open_), strict=True)
    assert obj == kept  # the renderer's object is left as it was
    assert (shared.obj, shared.unresolved, shared.errors, shared.notes, shared.unknown) == (
        plain.obj,
        plain.unresolved,
        plain.errors,
        plain.notes,
        plain.unknown,
    )
    mine = {id(c) for c in _containers(obj)}
    assert not any(id(c) in mine for c in _containers(shared.obj))  # nothing of it is shared


def _clusters(root, entries=()):
    cfg = load_config(str(root), known=vocabulary())
    return lint.Linter(str(root), cfg).build_clusters([str(root / e) for e in entries] or [str(root)])


def test_a_substituting_render_copies_nothing_the_renderer_built(tmp_path, monkeypatch):
    files = dict(GOTK)
    files["clusters/dev/apps.yaml"] = ks(
        "apps", "./apps", extra="  postBuild:\n    substitute:\n      NAME: web\n"
    )
    files["clusters/dev/plain.yaml"] = ks("plain", "./plain")
    files["apps/cm.yaml"] = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${NAME}\n  namespace: default\ndata:\n  a: b\n"
    )
    files["plain/cm.yaml"] = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n  namespace: default\ndata:\n  a: b\n"
    )
    root = write_tree(tmp_path, files)
    copied: list = []

    def counting(obj):
        copied.append(obj)
        return deep_copy(obj)

    monkeypatch.setattr(kustomize, "deep_copy", counting)
    monkeypatch.setattr(cluster_module, "deep_copy", counting, raising=False)
    [cluster] = _clusters(root)
    names = {ro.ref.name for ro in cluster.objects}
    assert {"web", "plain"} <= names
    assert all(obj.get("metadata", {}).get("name") != "${NAME}" for obj in copied)
    assert any(obj.get("metadata", {}).get("name") == "plain" for obj in copied)


def test_clusters_equal_the_copying_builder(monkeypatch):
    """The oracle: every object copied out of the renderer before substitution, as before."""
    root = FIXTURES / "sub-order"
    fast = _clusters(root)
    monkeypatch.setattr(kustomize.Kustomizer, "build_shared", kustomize.Kustomizer.build)
    plain = _clusters(root)
    assert [c.objects for c in fast] == [c.objects for c in plain]
    assert [list(c.kustomizations.values()) for c in fast] == [list(c.kustomizations.values()) for c in plain]
