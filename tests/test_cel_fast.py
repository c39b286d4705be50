"""The CEL subset evaluated in Python agrees with cel-python wherever it decides.

Rules are generated from the subset's grammar, objects from small maps whose
fields are strings, numbers, lists, maps or absent; cel-python is the oracle.
Where cel-python raises (a missing field read, a type mismatch), the subset
must stay undecided, so the caller asks cel-python and skips the rule.
"""

from __future__ import annotations

import celpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.schema.cel_fast import UNDECIDED, compile_rule

FIELDS = ["a", "b", "c"]
_path = st.lists(st.sampled_from(FIELDS), min_size=0, max_size=2).map(lambda p: ".".join(["self", *p]))
_nonempty_path = st.lists(st.sampled_from(FIELDS), min_size=1, max_size=2).map(
    lambda p: ".".join(["self", *p])
)
_literal = st.sampled_from(["'x'", "'y'", '"x"', "''"])
_atom = st.one_of(
    _nonempty_path.map(lambda p: f"has({p})"),
    st.tuples(_path, st.sampled_from(["==", "!="]), _literal).map(" ".join),
    st.tuples(_literal, st.sampled_from(["==", "!="]), _nonempty_path).map(" ".join),
)
_rule = st.recursive(
    _atom,
    lambda inner: st.one_of(
        inner.map(lambda r: f"!({r})"),
        st.tuples(inner, st.sampled_from(["&&", "||"]), inner).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
    ),
    max_leaves=5,
)
_leaf = st.one_of(
    st.sampled_from(["x", "y", ""]), st.integers(-2, 2), st.booleans(), st.lists(st.just("x"), max_size=1)
)
_value = st.recursive(
    _leaf, lambda inner: st.dictionaries(st.sampled_from(FIELDS), inner, max_size=3), max_leaves=6
)
_object = st.dictionaries(st.sampled_from(FIELDS), _value, max_size=3)

_env = celpy.Environment()


def _celpy(rule: str, value) -> bool | None:
    try:
        result = _env.program(_env.compile(rule)).evaluate({"self": celpy.json_to_cel(value)})
    except Exception:
        return None
    return bool(result) if isinstance(result, (bool, celpy.celtypes.BoolType)) else None


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(_rule, _object)
def test_subset_agrees_with_cel_python(rule, value):
    fast = compile_rule(rule)
    assert fast is not None, rule
    verdict = fast(value)
    if verdict is UNDECIDED:
        return
    assert verdict == _celpy(rule, value), (rule, value)


def test_rules_outside_the_subset_are_left_to_cel_python():
    for rule in [
        "self.size() > 1",
        "self.a.startsWith('x')",
        "self.x > 1",
        "self.all(k, k != 'a')",
        "has(self)",
    ]:
        assert compile_rule(rule) is None, rule


def test_flux_rules_are_in_the_subset():
    chart = "(has(self.chart) && !has(self.chartRef)) || (!has(self.chart) && has(self.chartRef))"
    fast = compile_rule(chart)
    assert fast({"chart": {}}) is True and fast({"chart": {}, "chartRef": {}}) is False and fast({}) is False
    assert compile_rule("self.metadata.name == 'flux'")({"metadata": {"name": "other"}}) is False
