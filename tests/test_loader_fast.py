"""The loader's fast paths build exactly what the general ones build.

parse_text constructs a plain tree (maps, lists, go-yaml's scalars) in one loop
(``_construct_tree``) and leaves everything else to PyYAML's SafeConstructor
(FastLoader). Both must agree on every value, type, key order, node count, empty
``key:`` fields and error: the general constructor is the oracle here.
"""

from __future__ import annotations

import math
import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.load import loader
from gitops_lint.load.loader import parse_text


def _canon(x) -> list:
    """Values with their types (True is not 1, 1.0 is not 1) and key order, as a flat list
    of tokens (iterative: a document may nest a thousand levels)."""
    out: list = []
    stack = [x]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            out.append(("map", len(v)))
            for k, item in reversed(list(v.items())):
                stack.extend((item, k))
        elif isinstance(v, list):
            out.append(("seq", len(v)))
            stack.extend(reversed(v))
        elif isinstance(v, float) and math.isnan(v):
            out.append(("float", "nan"))
        else:
            out.append((type(v).__name__, v))
    return out


def _sharing(x) -> list[int]:
    """Which containers are one object (a YAML alias): each container numbered at its first
    visit, in a fixed walk; the general constructor shares an aliased node's object."""
    numbers: dict[int, int] = {}
    out: list[int] = []
    stack = [x]
    while stack:
        v = stack.pop()
        if isinstance(v, (dict, list)):
            seen = id(v) in numbers
            out.append(numbers.setdefault(id(v), len(numbers)))
            if not seen:
                stack.extend(reversed(list(v.values()) if isinstance(v, dict) else v))
    return out


def _result(text: str, kyaml: bool):
    loaded = parse_text(text, "x.yaml", kyaml=kyaml)
    index = {id(d.data): i for i, d in enumerate(loaded.documents)}
    return (
        [
            (_canon(d.data), _sharing(d.data), d.origin, d.end_line, d.disabled_rules)
            for d in loaded.documents
        ],
        [(e.line, e.column, e.message) for e in loaded.errors],
        sorted((index.get(k, -1), sorted(map(repr, v))) for k, v in loaded.empty_nulls.items()),
        sorted(loaded.sizes.items()),
    )


def _general(text: str, kyaml: bool, monkeypatch):
    """parse_text with the tree path switched off: every document through FastLoader."""

    def slow(*args, **kwargs):
        raise loader._Slow

    with monkeypatch.context() as m:
        m.setattr(loader, "_construct_tree", slow)
        return _result(text, kyaml)


# scalars whose go-yaml v3 type is easy to get wrong, and texts that need quoting
_SCALARS = st.sampled_from(
    [
        "yes",
        "no",
        "on",
        "y",
        "true",
        "True",
        "FALSE",
        "null",
        "Null",
        "~",
        "",
        "0",
        "0123",
        "08",
        "0o17",
        "0x1F",
        "0b101",
        "1_000",
        "-12",
        "+3",
        "1e3",
        "1.5",
        ".5",
        "-.inf",
        ".NaN",
        "1.",
        "2024-1-2",
        "2024-01-02T03:04:05Z",
        "2024-01-02 3:4:5.5",
        "2024-13-01",
        "<<",
        "=",
        "a: b",
        "#x",
        "- x",
        "!t",
        "&a",
        "*a",
        "multi\nline",
        " lead",
        "trail ",
        "\u00e9t\u00e9",
        "x" * 30,
    ]  # fmt: skip
)
_VALUES = st.recursive(
    st.one_of(_SCALARS, st.integers(-(2**65), 2**65), st.floats(allow_nan=True), st.booleans(), st.none()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(_SCALARS, st.integers(0, 9)), inner, max_size=4),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_VALUES, min_size=1, max_size=3),
    st.sampled_from([None, "'", '"', "|", ">"]),
    st.booleans(),
    st.booleans(),
)
def test_tree_construction_matches_the_general_constructor(docs, style, flow, kyaml):
    text = yaml.safe_dump_all(docs, default_style=style, default_flow_style=flow, allow_unicode=True)
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert _result(text, kyaml) == _general(text, kyaml, monkeypatch)


@st.composite
def _documents_with_aliases(draw):
    """Documents in which some containers appear more than once (safe_dump writes them as
    ``&id001`` and ``*id001``), in mappings, lists and as the values of merge-free keys."""
    parts = draw(
        st.lists(
            st.one_of(st.lists(_VALUES, max_size=3), st.dictionaries(_SCALARS, _VALUES, max_size=3)),
            min_size=1,
            max_size=3,
        )
    )
    doc: dict = {}
    for i in range(draw(st.integers(1, 6))):
        pick = parts[draw(st.integers(0, len(parts) - 1))]
        doc[f"k{i}"] = pick if draw(st.booleans()) else [pick, draw(_VALUES), pick]
    return doc


@settings(max_examples=300, deadline=None)
@given(st.lists(_documents_with_aliases(), min_size=1, max_size=3), st.booleans(), st.booleans())
def test_documents_with_aliases_match_the_general_constructor(docs, flow, kyaml):
    text = yaml.safe_dump_all(docs, default_flow_style=flow, allow_unicode=True)
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert _result(text, kyaml) == _general(text, kyaml, monkeypatch)


@pytest.mark.slow
def test_corpus_files_with_aliases_match_the_general_constructor(monkeypatch):
    from tests.conftest import CORPUS

    if not CORPUS.is_dir():
        pytest.skip("no corpus")
    checked = 0
    for path in sorted(CORPUS.rglob("*.y*ml")):
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if "&" not in text or loader._ALIAS.search(text) is None:
            continue
        kyaml = path.name != "kustomization.yaml"
        assert _result(text, kyaml) == _general(text, kyaml, monkeypatch), path
        checked += 1
    assert checked > 500


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # duplicate keys: the general constructor's error
        "a: {b: 1, b: 2}\n---\nc: 3\n",
        "x:\n  - b: 1\n    b: 2\n  - c: {d: 1, d: 2}\n---\nok: 1\n",
        "base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n",  # aliases and merge keys
        "a: !!bool yes\nb: !!int abc\nc: !!float x\nd: !!timestamp 2024-1-2\ne: !!str 1\n",
        "a: !Ref x\nb: !custom {q: 1}\nc: !!set {x, y}\nd: !!binary aGVsbG8=\n",
        "? [a]\n: 1\n",  # a collection as a key
        "=: 1\n!!value x: 2\n",
        "x:\n  y:\n  z: null\n  w: ~\n  v: ''\n- bad\n",
        "x:\n  y:\n  z: null\n---\n- a:\n  b: 1\n",  # key: written empty
        "a:\n" + "".join("  " * i + "- \n" for i in range(1, 5)),
        "x: " + "[" * 1200 + "]" * 1200 + "\n",  # too deep
        "x: " + "[" * 999 + "]" * 999 + "\n",
        "a: >\n  x\n    y\n",  # folded, kustomize's extra line break
        "? >\n  folded\n    key\n: 1\n",
        "true: 1\nTrue: 2\n1: a\n01: b\n",
        "kind: List\napiVersion: v1\nitems:\n- kind: A\n- 3\n# gitops-lint: disable=schema\n",
    ],
)
@pytest.mark.parametrize("kyaml", [True, False])
def test_documents_the_tree_path_hands_back_come_out_the_same(text, kyaml, monkeypatch):
    assert _result(text, kyaml) == _general(text, kyaml, monkeypatch)


_OLD_ALIAS = re.compile(r"(?:^|[\s\[{,:?-])\*[^\s,\[\]{}]", re.M)


@settings(max_examples=500, deadline=None)
@given(st.text("ab *&:-,[]{}\n\t?\x85\u2028\u00a0", max_size=12))
def test_alias_pre_check_finds_what_the_original_pattern_found(text):
    """``_ALIAS`` starts with its literal now (a fast scan); it matches the same texts."""
    assert bool(loader._ALIAS.search(text)) == bool(_OLD_ALIAS.search(text))
