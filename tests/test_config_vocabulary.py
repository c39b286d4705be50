"""The config names rules and Kubernetes versions that later stages define: they are passed in."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from gitops_lint.core.errors import ConfigError, InternalError
from gitops_lint.load.config import Vocabulary, parse_config
from gitops_lint.load.suppress import RuleNames, parse, problems


def _names(calls: list) -> RuleNames:
    def rules():
        calls.append(1)
        return [SimpleNamespace(name="no-cats", code="GL901")]

    return RuleNames(rules)


def test_the_config_resolves_rules_by_the_names_passed_in():
    known = Vocabulary(_names([]), lambda: ["1.31", "1.32"])
    cfg = parse_config({"rules": {"gl901": "off"}, "kube-version": "1.32"}, "x", known=known)
    assert cfg.rules == {"no-cats": None} and cfg.kube_version == "1.32"
    with pytest.raises(ConfigError, match=r"unknown rule 'no-cat' \(did you mean no-cats\?\)"):
        parse_config({"ignore": [{"rule": "no-cat"}]}, "x", known=known)
    with pytest.raises(ConfigError, match=r"no schemas shipped for it \(shipped: 1.31, 1.32\)"):
        parse_config({"kube-version": "1.33"}, "x", known=known)


def test_the_names_are_asked_for_only_when_the_config_uses_them():
    calls: list = []
    known = Vocabulary(_names(calls), lambda: calls.append("kube") or [])
    parse_config({"fail-on": "warning", "flux-version": "2.8"}, "x", known=known)
    assert calls == []
    # a caller that passes nothing gets a bug report, never a silently unchecked rule name
    with pytest.raises(InternalError):
        parse_config({"rules": {"no-cats": "off"}}, "x")


def test_suppression_comments_are_checked_against_the_names_passed_in():
    directives = parse("# gitops-lint: disable=GL901,no-cat\n")
    (found,) = problems(directives, _names([]))
    assert "unknown rule 'no-cat'" in found[1] and "did you mean no-cats?" in found[1]
