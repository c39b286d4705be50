"""go-yaml's scalar rules (gitops_lint.load.goyaml): what is not covered by the loader's
and the substitution engine's own tests."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.load import goyaml

# the classes as first written: one regular expression each, whatever the text
_PRINTABLE_CLASS = "\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd"
_OLD_NON_PRINTABLE = re.compile(f"[^{_PRINTABLE_CLASS}]")
_OLD_PLAIN_CHARS = re.compile("[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]*\\Z")

_TEXT = st.text(
    st.one_of(
        st.sampled_from("a :#-'\"\n\t\r\x00\x7f\x85\xa0\u2028\u2029\ufeff\ufffe\U0001f600"),
        st.characters(),
    ),
    max_size=10,
)


@settings(max_examples=500, deadline=None)
@given(_TEXT)
def test_ascii_shortcut_finds_what_the_full_classes_find(text):
    """ASCII text is checked with the ASCII part of each class, other text with all of it."""
    old = _OLD_NON_PRINTABLE.search(text)
    new = goyaml._non_printable(text)
    assert (old and old.start()) == (new and new.start())
    plain = goyaml._PLAIN_CHARS_ASCII if text.isascii() else goyaml._unicode_pattern("plain")
    assert (plain.match(text) is not None) == (_OLD_PLAIN_CHARS.match(text) is not None)


def test_scalar_tables_are_not_compiled_at_import():
    """The wide character classes cost 18 ms to compile: a run that prints no non-ASCII
    string never pays it (a fresh interpreter, so the cache is empty)."""
    import subprocess
    import sys

    code = (
        "from gitops_lint.load import goyaml\n"
        "goyaml.emit_style('plain ascii: text'); goyaml.double_quote_body('a\\tb')\n"
        "print(goyaml._unicode_pattern.cache_info().currsize)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
