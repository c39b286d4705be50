"""The secret inventory's quick look at a HelmRelease's values (issue 18).

``model.secrets._helm_values`` walks a chart's values with paths and sorted keys;
``_may_hold_values`` walks them without either, first, and skips the walk when it
would find nothing. The property: whenever the quick look says nothing is there, the
full walk yields nothing (and the quick look never changes its input).
"""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.core.data import Origin
from gitops_lint.model import secrets

KEYS = st.sampled_from(
    ["a", "b", "adminPassword", "rootPassword", "kind", "apiVersion", "data", "stringData", 1]
)
LEAVES = st.none() | st.booleans() | st.integers(0, 9) | st.sampled_from(["x", "Secret", "v1", "hunter2", ""])


@st.composite
def values(draw):
    """Chart values; a container may be shared (a YAML alias makes values a DAG)."""
    made: list = []

    def node(depth: int):
        if made and draw(st.booleans()) and draw(st.integers(0, 3)) == 0:
            return draw(st.sampled_from(made))  # an alias of a container made before
        if depth > 3 or draw(st.integers(0, 2)) == 0:
            return draw(LEAVES)
        pick = draw(st.integers(0, 9))
        if pick == 0:  # what the walk reports: a Secret manifest, a password key's string
            out = {
                "apiVersion": "v1",
                "kind": "Secret",
                draw(st.sampled_from(["data", "stringData"])): node(depth + 1),
            }
            made.append(out)
            return out
        if pick == 1:
            out = {draw(st.sampled_from(["adminPassword", "postgresPassword"])): draw(LEAVES)}
            made.append(out)
            return out
        if draw(st.booleans()):
            out = {draw(KEYS): node(depth + 1) for _ in range(draw(st.integers(0, 4)))}
        else:
            out = [node(depth + 1) for _ in range(draw(st.integers(0, 3)))]
        made.append(out)
        return out

    root = node(0)
    return root if isinstance(root, (dict, list)) else {"a": root}


def _walk(values) -> list:
    """What the full walk yields, without the quick look before it."""
    release = {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "spec": {"values": values}}
    quick = secrets._may_hold_values
    secrets._may_hold_values = lambda _values: True
    try:
        return list(secrets._helm_values(release, Origin("hr.yaml", 1, 0), None))
    finally:
        secrets._may_hold_values = quick


@settings(max_examples=300, deadline=None)
@given(values())
def test_the_quick_look_skips_only_values_the_walk_finds_nothing_in(v):
    before = copy.deepcopy(v)
    if not secrets._may_hold_values(v):
        assert _walk(v) == []
    assert v == before


def test_the_quick_look_finds_what_the_walk_reports():
    secret = {"apiVersion": "v1", "kind": "Secret", "stringData": {"password": "hunter2"}}
    for v in ({"extraObjects": [secret]}, {"auth": {"adminPassword": "hunter2"}}, [{"rootPassword": "x"}]):
        assert secrets._may_hold_values(v)
        assert _walk(v)
    for v in ({"auth": {"adminPassword": {"existingSecret": "x"}}}, {"image": {"tag": "1.0"}}, []):
        assert not secrets._may_hold_values(v)
        assert _walk(v) == []


def test_values_over_the_budget_are_left_to_the_walk(monkeypatch):
    monkeypatch.setattr(secrets, "WALK_BUDGET", 3)
    wide = {"a": [1, 2, 3, 4], "z": {"adminPassword": "x"}}
    assert secrets._may_hold_values({"a": [1, 2, 3, 4]})  # over the budget: not skipped
    assert _walk(wide) == []  # the walk stops at the budget (in "a"), before the key
