"""Issue 12, classes 1, 7 and 8: one small repository per class (tests/fixtures/sv-*).

Each repository is what real ones do: it fails on the code before the fix and
passes after.
"""

from __future__ import annotations

from tests.conftest import FIXTURES
from tests.helpers import lint_repo


def _findings(repo: str, *paths: str) -> list[str]:
    result = lint_repo(FIXTURES / repo, *paths)
    return [f"{f.file}:{f.line} {f.rule} {f.severity.name.lower()} {f.message}" for f in result.findings]


def test_crd_and_priority_class_with_keyword_named_fields_are_valid():
    """Class 1: ``description`` and ``x-kubernetes-*`` are field names inside ``properties``."""
    assert _findings("sv-keyword-fields") == []
