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
    """ASCII text is checked with the ASCII part of each class, other text by code point."""
    assert goyaml._non_printable(text) == (_OLD_NON_PRINTABLE.search(text) is not None)
    if text.isascii():
        plain = goyaml._PLAIN_CHARS_ASCII.match(text) is not None
    else:
        plain = goyaml._all_in(text, goyaml._PLAIN_RANGES)
    assert plain == (_OLD_PLAIN_CHARS.match(text) is not None)


def test_every_code_point_is_printable_and_plain_as_the_classes_say():
    """The ranges stand in for the character classes (which the regex engine compiles in
    5 ms): the same answer for each of the 1,114,112 code points, alone and after a
    character that is not ASCII."""
    for o in range(0x110000):
        c = chr(o)
        assert goyaml._non_printable(c) == (_OLD_NON_PRINTABLE.search(c) is not None), hex(o)
        assert goyaml._non_printable("é" + c) == (_OLD_NON_PRINTABLE.search("é" + c) is not None), hex(o)
        assert goyaml._all_in("é" + c, goyaml._PLAIN_RANGES) == (_OLD_PLAIN_CHARS.match("é" + c) is not None)


def test_non_ascii_text_compiles_no_wide_class():
    """A run that meets a non-ASCII string pays no regex compile of the wide classes (a
    fresh interpreter: the regex cache is empty)."""
    import subprocess
    import sys

    code = (
        "import re\nfrom gitops_lint.load import goyaml\n"
        "goyaml.emit_style('plain ascii: text'); goyaml.emit_style('caf\\u00e9 \\u2713 r\\u00e9sum\\u00e9')\n"
        "goyaml.double_quote_body('a\\tb\\u00e9')\n"
        "print(any('\\ufefe' in str(k[1]) for k in re._cache))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr
