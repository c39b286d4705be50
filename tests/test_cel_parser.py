"""The CEL parser shipped as JSON tables is the parser cel-python would build.

schemas/cel-parser.json saves ~0.1 s of LALR construction per
process; it must parse every rule exactly as the freshly built parser does,
and gitops-lint must fall back to building when it is stale or damaged.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.schema import cel

RULES = [
    "self.a > 1 && self.b.size() < 3",
    "has(self.x) ? self.y == 'a' : true",
    "self.all(k, k in ['a', 'b'])",
    "!(self.replicas >= 0)",
    "self.foo.matches('^[a-z]+$') || size(self.l) == 0",
    "1.5 + 2u - -3",
    "{'a': [1, 2]}.a[0] == 1 && null == null",
    "b'\\x00' != b''",
    "(has(self.chart) && !has(self.chartRef)) || (!has(self.chart) && has(self.chartRef))",
    "self.exists_one(x, x.name == 'a') && self.map(x, x * 2).filter(y, y > 3).size() == 2",
]


@pytest.fixture(scope="module")
def parsers():
    shipped = cel._load_parser()
    if shipped is None:
        pytest.skip(f"schemas/cel-parser.json is not for {cel.stamp()}: run tools/gen_cel_parser.py")
    return shipped, cel.build_parser()


@pytest.mark.parametrize("rule", RULES)
def test_shipped_tables_parse_like_the_built_parser(parsers, rule):
    shipped, built = parsers
    assert shipped.parse(rule) == built.parse(rule)


_ATOM = st.sampled_from(["self", "self.a", "1", "2u", "1.5", "'s'", "true", "null", "[1, 2]", "size(self.b)"])
_OP = st.sampled_from([" + ", " - ", " * ", " == ", " != ", " < ", " >= ", " && ", " || ", " in "])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_ATOM, _OP), min_size=1, max_size=6), _ATOM)
def test_generated_expressions_parse_alike(parsers, pairs, last):
    shipped, built = parsers
    text = "".join(a + op for a, op in pairs) + last
    assert shipped.parse(text) == built.parse(text)


def test_a_stale_or_damaged_file_falls_back_to_building(tmp_path, monkeypatch):
    stale = tmp_path / "cel-parser.json"
    payload = json.loads(cel.PARSER_FILE.read_text())
    payload["stamp"] = "lark 0.0 grammar 0"
    stale.write_text(json.dumps(payload))
    monkeypatch.setattr(cel, "PARSER_FILE", stale)
    assert cel._load_parser() is None
    stale.write_text("{not json")
    assert cel._load_parser() is None
