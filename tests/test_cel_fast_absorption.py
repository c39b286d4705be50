"""CEL's ``&&``/``||`` absorb an error on one side when the other decides alone.

``!has(self.interval) || (has(self.policy) && self.policy == 'Always')`` on an
object without ``interval`` is true in CEL (the API server's cel-go and
cel-python alike) although ``self.policy`` is an error there: the fast subset
decides it too, and must still agree with cel-python everywhere it decides.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from gitops_lint.schema.cel_fast import UNDECIDED, compile_rule
from tests.test_cel_fast import _celpy, _object, _rule

IMAGE_REPOSITORY = [  # Flux's ImageRepository rules (image-reflector-controller v1)
    "!has(self.interval) || (has(self.digestReflectionPolicy) && self.digestReflectionPolicy == 'Always')",
    "has(self.interval) || !has(self.digestReflectionPolicy) || self.digestReflectionPolicy != 'Always'",
]


def test_a_side_that_decides_alone_decides_the_rule():
    first, second = (compile_rule(r) for r in IMAGE_REPOSITORY)
    assert first({}) is True
    assert first({"interval": "1m"}) is False  # false && error: false
    assert first({"interval": "1m", "digestReflectionPolicy": "Always"}) is True
    assert second({}) is True
    assert second({"digestReflectionPolicy": "Always"}) is False
    assert compile_rule("self.a == 'x' && has(self.b)")({}) is False  # error && false: false
    assert compile_rule("self.a == 'x' && has(self.b)")({"b": 1}) is UNDECIDED  # error && true: error
    assert compile_rule("self.a == 'x' || has(self.b)")({"b": 1}) is True  # error || true: true
    for rule in [*IMAGE_REPOSITORY, "self.a == 'x' && has(self.b)", "self.a == 'x' || has(self.b)"]:
        for obj in ({}, {"interval": "1m"}, {"digestReflectionPolicy": "Always"}, {"b": 1}):
            if compile_rule(rule)(obj) is UNDECIDED:
                continue
            assert compile_rule(rule)(obj) == _celpy(rule, obj), (rule, obj)


@pytest.mark.slow
@settings(max_examples=1500, deadline=None)
@given(_rule, _object)
def test_absorbing_subset_agrees_with_cel_python(rule, value):
    verdict = compile_rule(rule)(value)
    if verdict is not UNDECIDED:
        assert verdict == _celpy(rule, value), (rule, value)
