"""Property tests: the shortcuts of the substitution engine agree with its general path.

* :func:`gitops_lint.substitute.envsubst.parse` builds the node of a simple
  ``${NAME}`` / ``${NAME:=text}`` from one regular expression match; the
  scanner-driven parser (the port of Go's) must give the same nodes, spans and
  errors on any text.
* A :class:`Variables` keeps the results of its scalars for the next objects
  (``Variables.memo``): substituting many objects with one ``Variables`` gives
  what a fresh one per object gives, findings and their order included.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.substitute import envsubst
from gitops_lint.substitute.engine import UNKNOWN, Variables, substitute_object

pytestmark = pytest.mark.slow  # hypothesis properties, a few hundred examples each

# what the scanner treats specially, plus letters, digits, a non-ASCII letter and digit
PIECES = [
    "${",
    "}",
    "$",
    "$$",
    ":",
    "=",
    "-",
    "+",
    "?",
    "/",
    "#",
    "%",
    ",",
    "^",
    "\\",
    "A",
    "b_",
    "9",
    "é",
    "٣",
    " ",
    "\n",
]
texts = st.lists(st.sampled_from(PIECES), max_size=14).map("".join)


def _shape(nodes) -> list:
    out = []
    for n in nodes:
        if isinstance(n, envsubst.Func):
            out.append(("F", n.param, n.name, _shape(n.args), n.start, n.end))
        else:
            out.append(n)
    return out


def _parse(text: str):
    try:
        return _shape(envsubst.parse(text))
    except envsubst.EnvsubstError as e:
        return ("error", e.message, e.start, e.position)


@settings(deadline=None, max_examples=1500)
@given(texts)
def test_simple_expression_shortcut_matches_the_parser(text):
    fast = _parse(text)
    saved = envsubst._SIMPLE
    envsubst._SIMPLE = re.compile(r"(?!)")  # never matches: every expression goes through the parser
    try:
        general = _parse(text)
    finally:
        envsubst._SIMPLE = saved
    assert fast == general


def test_shortcut_is_taken_for_the_common_forms():
    for text, shape in [
        ("${A}", [("F", "A", "", [], 0, 4)]),
        ("x${A_1:=d f}y", ["x", ("F", "A_1", ":=", ["d f"], 1, 12), "y"]),
        ("${A=}", [("F", "A", "=", [], 0, 5)]),
        ("${A:-${B}}", [("F", "A", ":-", [("F", "B", "", [], 5, 9)], 0, 10)]),
    ]:
        assert _parse(text) == shape


NAMES = ["A", "B", "C"]
values = st.one_of(st.sampled_from(["", "x", "1", "a: b", "yes", "0x1F", "'q'", '"d"']), st.just(UNKNOWN))
variable_maps = st.dictionaries(st.sampled_from(NAMES), values, max_size=3)
scalars = st.lists(
    st.sampled_from(["${A}", "${B:=7}", "${C:-z}", "$$", "t ", "${", ": ", "${A:+w}", "'", "0", "${#A}"]),
    max_size=4,
).map("".join)
trees = st.recursive(
    st.one_of(st.none(), st.integers(0, 3), scalars),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.one_of(scalars, st.sampled_from(["k", "l"])), children, max_size=3),
    ),
    max_leaves=12,
)


def _outcome(result) -> tuple:
    return (repr(result.obj), result.unresolved, result.errors, result.notes, result.unknown)


@settings(deadline=None, max_examples=400)
@given(st.lists(trees, min_size=1, max_size=4), variable_maps, st.booleans(), st.booleans())
def test_shared_variables_agree_with_fresh_ones(objects, values, is_open, strict):
    shared = Variables(values, is_open)
    for obj in objects:
        fresh = substitute_object(obj, Variables(values, is_open), strict=strict)
        again = substitute_object(obj, shared, strict=strict)
        assert _outcome(again) == _outcome(fresh)
    # a strict and a lax run through the same Variables do not see each other's results
    for obj in objects:
        lax = substitute_object(obj, shared, strict=not strict)
        assert _outcome(lax) == _outcome(
            substitute_object(obj, Variables(values, is_open), strict=not strict)
        )
