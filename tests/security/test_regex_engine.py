"""RE2 (gitops_lint.core.regex) agrees with Python's re on the syntax both share.

The repository's regexes moved from Python's ``re`` to RE2; on the common
subset (literals, classes, ``.``, repetition, alternation, groups, ``^``)
the two must give the same answer, so the move changes speed, not verdicts.
Where Go and Python differ (``$`` before a final newline, ``\\z``, mid-pattern
``(?i)``), RE2 follows Go: tests/security/test_regex_budgets.py pins those.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.core.regex import compile_go

ATOMS = st.sampled_from(["a", "b", "c", ".", "[ab]", "[^a]", r"\d", "x", "(?:a|b)"])


def _patterns():
    def extend(inner):
        return st.one_of(
            st.tuples(inner, st.sampled_from(["*", "+", "?", "{1,3}", "*?", ""])).map(
                lambda t: f"(?:{t[0]}){t[1]}"
            ),
            st.tuples(inner, inner).map("".join),
            st.tuples(inner, inner).map(lambda t: f"{t[0]}|{t[1]}"),
            inner.map(lambda p: f"({p})"),
        )

    return st.recursive(ATOMS, extend, max_leaves=8)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(pattern=_patterns(), anchored=st.booleans(), text=st.text(alphabet="abcx1", max_size=12))
def test_re2_and_python_agree_on_the_shared_syntax(pattern, anchored, text):
    if anchored:
        pattern = f"^(?:{pattern})"
    assert compile_go(pattern).search(text) == (re.search(pattern, text) is not None)
    assert compile_go(pattern).fullmatch(text) == (re.fullmatch(pattern, text) is not None)
