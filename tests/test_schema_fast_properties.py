"""Property test: the compiled yes/no validator (schema/fast.py) agrees with jsonschema.

The compiler's shortcuts (a ``type`` list decided by the value's exact Python
type, checks joined without a generator, ``required`` as a key-set comparison,
the budget spent inline) must give jsonschema's verdict on any schema of the
subset and any value, dates, floats that are integers and booleans included.
(Where jsonschema itself fails, on a date under ``minLength``, there is no
verdict to compare.)
"""

from __future__ import annotations

import datetime
import itertools

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gitops_lint.schema.validator import Validator

pytestmark = pytest.mark.slow  # hypothesis properties, a few hundred examples each

TYPES = ["string", "integer", "number", "boolean", "object", "array", "null"]
KEYS = ["a", "b", "c"]

scalar_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.0, 1.0, 1.5, -2.0]),
    st.sampled_from(["", "x", "ab", "abc"]),
    st.just(datetime.date(2024, 1, 1)),
)
values = st.recursive(
    scalar_values,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.sampled_from(KEYS), children, max_size=3)
    ),
    max_leaves=10,
)


def _leaf_schema():
    return st.fixed_dictionaries(
        {},
        optional={
            "type": st.one_of(
                st.sampled_from(TYPES), st.lists(st.sampled_from(TYPES), min_size=1, max_size=3)
            ),
            "minLength": st.integers(0, 2),
            "maxLength": st.integers(0, 2),
            "minimum": st.integers(-1, 1),
            "enum": st.lists(scalar_values, min_size=1, max_size=3),
            "minItems": st.integers(0, 2),
            "maxProperties": st.integers(0, 2),
            "required": st.lists(st.sampled_from(KEYS), min_size=1, max_size=2, unique=True),
        },
    )


schemas = st.recursive(
    _leaf_schema(),
    lambda children: st.one_of(
        st.builds(
            lambda s, p: {**s, "properties": p},
            _leaf_schema(),
            st.dictionaries(st.sampled_from(KEYS), children, max_size=2),
        ),
        st.builds(
            lambda s, a: {**s, "additionalProperties": a}, _leaf_schema(), st.one_of(st.booleans(), children)
        ),
        st.builds(lambda s, i: {**s, "items": i}, _leaf_schema(), children),
        st.builds(
            lambda s, xs: {**s, "allOf": xs}, _leaf_schema(), st.lists(children, min_size=1, max_size=3)
        ),
        st.builds(
            lambda s, xs: {**s, "anyOf": xs}, _leaf_schema(), st.lists(children, min_size=1, max_size=3)
        ),
        st.builds(lambda s, x: {**s, "not": x}, _leaf_schema(), children),
    ),
    max_leaves=6,
)


@settings(deadline=None, max_examples=600)
@given(schemas, st.lists(values, min_size=1, max_size=4))
def test_compiled_validator_agrees_with_jsonschema(schema, objects):
    v = Validator(schema, "property test")
    assert v._fast is not None
    for obj in objects:
        try:
            expected = v._jsonschema().is_valid(obj)
        except TypeError:  # jsonschema takes a date for a string, then cannot measure its length
            assume(False)
        assert bool(v._fast(obj)) == expected, (schema, obj)


SCALARS = [None, True, False, 0, 3, -1, 0.0, 1.0, 1.5, float("inf"), "", "x", datetime.date(2024, 1, 1)]
SCALARS += [datetime.datetime(2024, 1, 1, 12, 0), [], [1], {}, {"a": 1}]


def test_every_type_list_agrees_with_jsonschema_on_every_kind_of_value():
    for size in (1, 2, 3):
        for names in itertools.permutations(TYPES, size):
            v = Validator({"type": list(names)}, "type list")
            for value in SCALARS:
                assert bool(v._fast(value)) == v._jsonschema().is_valid(value), (names, value)


def test_a_malformed_required_list_compiles_and_fails_when_checked_as_before():
    # ``required: [{a: 1}]`` (not names): the schema still compiles; checking a mapping
    # raises, which schema/check.py reports as "not evaluable", never as a finding
    v = Validator({"type": "object", "required": [{"a": 1}]}, "malformed")
    assert v._fast is not None
    assert v._fast(3) is False
    with pytest.raises(TypeError):
        v._fast({"x": 1})
