"""Property tests: substitution against a small, independent reference model.

The model implements only the subset ``${name}``, ``${name:=d}``, ``${name:-d}``,
``${name=d}``, ``$${...}``/``$$`` and plain text, straight from the documented
semantics (FLUX-SEMANTICS.md 1.3): ``$$`` -> ``$``; a default applies when the
variable is unset or empty; an undefined bare variable is left as written and
reported.
"""

from __future__ import annotations

import copy
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.substitute.engine import references, substitute_object, substitute_string

pytestmark = pytest.mark.slow  # hypothesis properties, a few hundred examples each

NAMES = ["A", "B", "c_1", "_x", "Z9"]
PLAIN_ALPHABET = "ab -:=/.x$"  # no braces: an expression only comes from the pieces below
DEFAULT_ALPHABET = "ab -:=/.x"
NAME_CHARS = set(string.ascii_letters + string.digits + "_")


def model(text: str, variables: dict[str, str]) -> tuple[str, list[str]]:
    """Recursive-descent evaluator of the subset (text must be well formed)."""
    out: list[str] = []
    unresolved: list[str] = []

    def expression(i: int) -> int:
        # text[i:] starts right after "${"
        j = i
        while text[j] in NAME_CHARS:
            j += 1
        name = text[i:j]
        if text[j] == "}":
            if name in variables:
                out.append(variables[name])
            else:
                out.append("${" + name + "}")
                unresolved.append(name)
            return j + 1
        op_len = 1 if text[j] == "=" else 2  # "=", ":=", ":-"
        end = text.index("}", j)
        default = text[j + op_len : end]
        value = variables.get(name, "")
        out.append(value if value else default)
        return end + 1

    i = 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
        elif text.startswith("${", i):
            i = expression(i + 2)
        else:
            out.append(text[i])
            i += 1
    return "".join(out), unresolved


names = st.sampled_from(NAMES)
plain = st.text(PLAIN_ALPHABET, max_size=6)
default_text = st.text(DEFAULT_ALPHABET, max_size=5)
piece = st.one_of(
    plain,
    names.map(lambda n: "${" + n + "}"),
    st.tuples(names, st.sampled_from([":=", ":-", "="]), default_text).map(
        lambda t: "${" + t[0] + t[1] + t[2] + "}"
    ),
    names.map(lambda n: "$${" + n + "}"),
)
texts = st.lists(piece, max_size=8).map("".join)
values = st.text(string.ascii_letters + string.digits + " ${}:-./#'\"", max_size=6)
variable_maps = st.dictionaries(names, values, max_size=len(NAMES))


@settings(deadline=None)
@given(texts, variable_maps, st.booleans())
def test_substitute_string_matches_model(text, variables, strict):
    expected, unresolved = model(text, variables)
    assert substitute_string(text, variables, strict=strict) == (expected, unresolved, [])


@settings(deadline=None)
@given(st.text().filter(lambda t: "$" not in t), variable_maps, st.booleans())
def test_text_without_dollar_is_unchanged(text, variables, strict):
    assert substitute_string(text, variables, strict=strict) == (text, [], [])
    assert substitute_object({"k": text, text: [text]}, variables, strict=strict).obj == {
        "k": text,
        text: [text],
    }


@settings(deadline=None)
@given(
    st.text(DEFAULT_ALPHABET, max_size=8),
    st.text(st.characters(blacklist_characters="$\n"), max_size=12),
    st.text(DEFAULT_ALPHABET, max_size=8),
)
def test_value_without_dollar_appears_verbatim(pre, value, post):
    assert substitute_string(pre + "${X}" + post, {"X": value}) == (pre + value + post, [], [])


json_like = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), texts, st.text(max_size=8)),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(texts, st.text(max_size=4)), children, max_size=4),
    ),
    max_leaves=20,
)


@settings(deadline=None)
@given(json_like, variable_maps, st.booleans())
def test_substitution_never_mutates_its_input(obj, variables, strict):
    before = copy.deepcopy(obj)
    result = substitute_object(obj, variables, strict=strict)
    assert obj == before
    stack = [(obj, result.obj)]
    while stack:  # no container of the result is one of the input's
        a, b = stack.pop()
        if isinstance(a, (dict, list)) and isinstance(b, (dict, list)):
            assert a is not b
            if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
                stack.extend(zip(a, b, strict=True))


@settings(deadline=None)
@given(st.text(max_size=30), variable_maps, st.booleans())
def test_arbitrary_text_never_raises(text, variables, strict):
    result, unresolved, errors = substitute_string(text, variables, strict=strict)
    if errors:
        assert result == text and not unresolved
    out = substitute_object({"k": text, "l": [text], text: 1}, variables, strict=strict)
    assert isinstance(out.obj, dict)
    references({"k": text, text: [text]})


@settings(deadline=None)
@given(texts)
def test_references_agree_with_substitution(text):
    # every referenced name without a default is unresolved when nothing is defined
    bare = [name for name, _, has_default in references({"k": text}) if not has_default]
    assert substitute_string(text, {})[1] == bare
