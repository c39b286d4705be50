"""The shape walk of :func:`gitops_lint.discover.flux_fields.decode` dispatches on exact
types and skips the recursion into scalar fields; ``_read_plain`` (here), the walk by
``isinstance`` it replaced, is the oracle: both give the same copy and problems."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.discover import flux_fields as ff

scalar_shapes = st.sampled_from([ff.STRING, ff.BOOLEAN, ff.INTEGER, ff.OBJECT, ff.ANY])
field_names = st.sampled_from(["a", "b", "c", "spec", "name"])
shapes = st.recursive(
    scalar_shapes,
    lambda inner: st.one_of(
        inner.map(ff.ListOf),
        inner.map(ff.MapOf),
        inner.map(ff.Untyped),
        st.dictionaries(field_names, inner, max_size=4),
    ),
    max_leaves=12,
)
anything = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-3, 3),
        st.floats(allow_nan=False, width=16),
        st.sampled_from(["x", "${VAR}", "", "a${b}c"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(field_names, st.integers(0, 2)), inner, max_size=4),
    ),
    max_leaves=10,
)


def value_for(shape):
    """Values mostly of ``shape``, with a value of any type now and then."""
    if isinstance(shape, ff.Untyped):
        return value_for(shape.shape)
    if isinstance(shape, ff.ListOf):
        right = st.lists(value_for(shape.item), max_size=3)
    elif isinstance(shape, ff.MapOf):
        right = st.dictionaries(st.one_of(field_names, st.integers(0, 2)), value_for(shape.value), max_size=3)
    elif isinstance(shape, dict):
        right = st.fixed_dictionaries({}, optional={k: value_for(v) for k, v in shape.items()}).flatmap(
            lambda d: st.dictionaries(st.sampled_from(["extra", "more"]), anything, max_size=2).map(
                lambda extra: {**extra, **d}
            )
        )
    else:
        right = anything
    return st.one_of(right, right, right, anything)


def _read_plain(value: Any, shape: Any, path: tuple, problems: list[ff.Problem], api: bool) -> Any:
    """The walk by ``isinstance`` that :func:`ff._read` replaced: the oracle."""
    if value is None:
        return ff._MISSING
    if isinstance(shape, ff.Untyped):
        return _read_plain(value, shape.shape, path, problems, False)
    if shape == ff.ANY:
        return value
    expected = ff._expected(shape)
    if not _has_type(value, shape):
        if not (isinstance(value, str) and "${" in value):
            problems.append(ff.Problem(path, expected, ff.type_name(value), api))
        return ff._MISSING
    if isinstance(shape, dict):
        out = dict(value)
        for key, sub in shape.items():
            if key not in value:
                continue
            got = _read_plain(value[key], sub, (*path, key), problems, api)
            if got is ff._MISSING:
                del out[key]
            else:
                out[key] = got
        return out
    if isinstance(shape, ff.ListOf):
        items = []
        for i, item in enumerate(value):
            got = _read_plain(item, shape.item, (*path, i), problems, api)
            if got is not ff._MISSING:
                items.append(got)
        return items
    if isinstance(shape, ff.MapOf):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                problems.append(ff.Problem((*path, str(key)), "string key", ff.type_name(key), api))
                continue
            got = _read_plain(item, shape.value, (*path, key), problems, api)
            if got is not ff._MISSING:
                out[key] = got
        return out
    return value


def _has_type(value: Any, shape: Any) -> bool:
    if isinstance(shape, (dict, ff.MapOf)):
        return isinstance(value, dict)
    if isinstance(shape, ff.ListOf):
        return isinstance(value, list)
    if shape == ff.INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, ff._SCALARS[shape])


def _both(value, shape):
    fast, plain = [], []
    got = ff._read(value, shape, (), fast, True)
    want = _read_plain(value, shape, (), plain, True)
    return (got, fast), (want, plain)


@pytest.mark.slow  # hypothesis, a few hundred examples
@settings(deadline=None, max_examples=400)
@given(shapes.flatmap(lambda shape: st.tuples(st.just(shape), value_for(shape))))
def test_fast_walk_equals_the_plain_walk(case):
    shape, value = case
    (got, fast), (want, plain) = _both(value, shape)
    assert fast == plain
    assert got is ff._MISSING if want is ff._MISSING else got == want
    assert type(got) is type(want)


@pytest.mark.slow
@settings(deadline=None, max_examples=200)
@given(
    st.sampled_from(sorted(ff.SHAPES.values(), key=repr)).flatmap(
        lambda s: st.tuples(st.just(s), value_for(s))
    )
)
def test_flux_shapes_decode_as_the_plain_walk(case):
    shape, value = case
    (got, fast), (want, plain) = _both(value, shape)
    assert (got, fast) == (want, plain)


def test_a_kustomization_with_every_kind_of_problem():
    obj = {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": "x", "labels": {"a": "b", 1: "c", "d": 5}},
        "spec": {
            "path": 5,
            "prune": "${PRUNE}",
            "patches": [{"patch": ["no"], "target": {"kind": "A"}}, None, 3],
            "postBuild": {"substitute": {"A": "1", "B": True}},
            "decryption": None,
            "unknown": object,
        },
    }
    (got, fast), (want, plain) = _both(obj, ff.KUSTOMIZATION)
    assert (got, fast) == (want, plain)
    assert [p.message for p in ff.decode(obj).problems] == [p.message for p in plain]
