"""core.plain: a value said to be plain comes back from JSON equal and of the same types."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from gitops_lint.core.plain import is_plain

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text()
)
_trees = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=3), st.integers(), st.booleans()), inner, max_size=4),
        st.tuples(inner),
    ),
    max_leaves=20,
)


def _typed(v):
    """``v`` with the type of every node beside it: 1 == 1.0 == True must not pass as equal."""
    if isinstance(v, dict):
        return ("dict", [(type(k).__name__, k, _typed(x)) for k, x in v.items()])
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, [_typed(x) for x in v])
    return (type(v).__name__, repr(v))


@given(_trees)
def test_a_plain_value_survives_json_exactly(value):
    if is_plain(value):
        assert _typed(json.loads(json.dumps(value))) == _typed(value)


def test_what_json_would_change_is_not_plain():
    shared = {"a": 1}
    for value in ({1: "x"}, ("a",), float("nan"), float("inf"), [shared, shared], {"a": [[]] * 2}):
        assert not is_plain(value), value

    class Tagged(str):
        pass

    assert not is_plain({"a": Tagged("x")})
    assert is_plain({"a": [1, 2.5, -0.0, True, None, "é\ud800"], "b": {"c": []}})
