"""Creation rules searched together (``core.regex.search_set``, RE2::Set) pick the rule the
one-by-one search picks: SOPS's first match, on every path."""

from __future__ import annotations

import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.core.regex import search_set
from gitops_lint.load.sops import SopsConfig

FRAGMENTS = [
    "talos/",
    "kubernetes/",
    ".*",
    "\\.sops\\.ya?ml$",
    "^",
    "$",
    "\\z",
    "(?i)secret",
    "secret",
    "[a-z]+",
    "\\d",
    "é",
    "(a|b)",
    "x{2,}",
    "[",  # refused: the rule never matches
    "(?=x)",  # refused (a lookahead): the rule never matches
    "/",
    "yaml",
]
PARTS = ["talos", "kubernetes", "apps", "SECRET", "secret", "a.sops.yaml", "x.yml", "é", "xx", "b1", "\udcff"]

patterns = st.lists(st.sampled_from(FRAGMENTS), max_size=4).map("".join)
rules = st.lists(st.one_of(patterns, st.just(None)), min_size=1, max_size=8)
paths = st.lists(st.sampled_from(PARTS), min_size=1, max_size=4).map("/".join)


def one_by_one(config: SopsConfig, rel: str):
    """SOPS's first match, each rule searched in turn (the definition)."""
    prefix = f"{config.directory}/" if config.directory else ""
    if not rel.startswith(prefix):
        return None
    local = rel[len(prefix) :]
    for rule in config.rules:
        if not rule.path_regex:
            return rule
        if rule.pattern is not None and rule.pattern.search(local):
            return rule
    return None


@settings(max_examples=1500)
@given(rules, st.lists(paths, min_size=1, max_size=6), st.sampled_from(["", "sub"]))
def test_the_rule_found_together_is_the_first_that_matches(regexes, rels, directory):
    items = [{} if r is None else {"path_regex": r} for r in regexes]
    config = SopsConfig.from_data(
        f"{directory}/.sops.yaml" if directory else ".sops.yaml", {"creation_rules": items}
    )
    for rel in rels:
        for path in (rel, f"{directory}/{rel}" if directory else rel):
            assert config.rule_for(path) == one_by_one(config, path)


def test_a_set_survives_pickling_and_answers_the_same():
    together = search_set(("^talos/", "kubernetes/.*\\.sops\\.ya?ml$", "(?i)readme"))
    assert together is not None
    again = pickle.loads(pickle.dumps(together))
    for text in ("talos/a", "kubernetes/a.sops.yml", "README", "x"):
        assert again.matching(text) == together.matching(text)
    assert together.matching("kubernetes/talos/README.sops.yaml") == {1, 2}
