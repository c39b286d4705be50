"""Every rule has a page in rules/, and the page's examples are true.

The Example section, written out as a repository, must produce findings of
that rule and no other; the Use instead section must produce none at all.
So the documentation cannot drift from the code.
"""

from __future__ import annotations

import re

import pytest

from gitops_lint.rules import all_rules
from tests.conftest import PROJECT
from tests.helpers import lint_repo, write_tree

HEADINGS = [
    "What it does",
    "Why is this bad?",
    "Example",
    "Use instead",
    "How to fix",
    "How to suppress",
]
BLOCK = re.compile(r'^```[\w-]*\s+title="([^"]+)"\n(.*?)^```\s*$', re.M | re.S)
RULES = all_rules()


def page(rule) -> str:
    path = PROJECT / "rules" / f"{rule.name}.md"
    assert path.is_file(), f"rules/{rule.name}.md is missing"
    return path.read_text()


def section(text: str, heading: str) -> str:
    m = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert m, f"section {heading!r} missing"
    return m.group(1)


def files_of(text: str) -> dict[str, str]:
    files = {name: body for name, body in BLOCK.findall(text)}
    assert files, "section has no file blocks"
    return files


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_page_structure(rule):
    text = page(rule)
    assert text.splitlines()[0] == f"# {rule.name} ({rule.code})"
    assert f"Default severity: **{rule.severity.label}**" in text
    found = re.findall(r"^## (.+)$", text, re.M)
    assert found[: len(HEADINGS)] == HEADINGS


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_example_triggers_only_this_rule(rule, tmp_path):
    root = write_tree(tmp_path, files_of(section(page(rule), "Example")))
    result = lint_repo(root)
    rules = {f.rule for f in result.findings}
    assert rules == {rule.name}, [f"{f.file}:{f.line} {f.rule} {f.message}" for f in result.findings]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_use_instead_is_clean(rule, tmp_path):
    root = write_tree(tmp_path, files_of(section(page(rule), "Use instead")))
    result = lint_repo(root)
    assert [f"{f.file}:{f.line} {f.rule} {f.message}" for f in result.findings] == []
