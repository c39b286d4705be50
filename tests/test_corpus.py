"""Real repositories are the measure of false positives.

Every entry of every repository in ../shared/corpus (SOURCES.md) must lint
with zero error findings, except the real defects listed below with their
explanation. Then defects are injected into a temporary copy of a corpus
repository, and each must be found.
"""

from __future__ import annotations

import functools
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from gitops_lint.model import Severity
from tests.conftest import CORPUS
from tests.helpers import lint_repo


@dataclass(frozen=True)
class Known:
    """A finding the corpus is expected to produce, `count` times in `file`.

    Every error is a real defect of that repository, checked by hand against Flux's
    behaviour (DESIGN.md "Certainty"); every warning is one the rule's page justifies.
    The reason says why: a reviewer reads it, not the code.
    """

    rule: str
    file: str
    count: int
    reason: str
    severity: str = "error"


# repository -> every error and warning expected when all its SOURCES.md entries are
# linted in one run (as ../shared/tools/corpus-report does). A change of a count is a
# change of behaviour: explain it in the commit that makes it.
EXPECTED: dict[str, list[Known]] = {}


def corpus_repositories() -> dict[str, list[str]]:
    """SOURCES.md: corpus directory -> its entry paths."""
    sources = CORPUS / "SOURCES.md"
    if not sources.is_file():
        return {}
    out: dict[str, list[str]] = {}
    for line in sources.read_text().splitlines():
        m = re.match(r"\|\s*`([^`]+)`\s*\|[^|]*\|([^|]*)\|", line)
        if m and (CORPUS / m.group(1)).is_dir():
            out[m.group(1)] = re.findall(r"`([^`]+)`", m.group(2))
    return out


REPOSITORIES = corpus_repositories()


def observed(result) -> Counter:
    return Counter(
        (f.rule, f.severity.label, f.file)
        for f in result.findings
        if f.severity in (Severity.ERROR, Severity.WARNING)
    )


@pytest.mark.skipif(not REPOSITORIES, reason="../shared/corpus is not present")
@pytest.mark.parametrize("repo", sorted(REPOSITORIES))
def test_corpus_repository_reports_only_known_findings(repo):
    result = lint_repo(CORPUS / repo, *REPOSITORIES[repo])
    expected = Counter()
    for k in EXPECTED.get(repo, []):
        expected[(k.rule, k.severity, k.file)] += k.count
    got = observed(result)
    unexpected = {k: n - expected[k] for k, n in got.items() if n > expected[k]}
    vanished = {k: n - got[k] for k, n in expected.items() if n > got[k]}
    assert (unexpected, vanished) == ({}, {}), (
        "findings differ from EXPECTED (rule, severity, file): +count are new, the other side vanished"
    )
    assert result.summary["kustomizations"] >= 1


def test_expectations_are_well_formed():
    for repo, known in EXPECTED.items():
        assert repo in REPOSITORIES or not REPOSITORIES, repo
        keys = [(k.rule, k.severity, k.file) for k in known]
        assert len(keys) == len(set(keys)), f"{repo}: one entry per (rule, severity, file)"
        for k in known:
            assert k.count >= 1 and k.severity in ("error", "warning") and len(k.reason) > 20, k


# -- defects injected into a temporary copy of a real repository -------------------------

ONEDR0P = "onedr0p__home-ops"
APPS = "kubernetes/apps"


@pytest.fixture
def onedr0p_copy(tmp_path) -> Path:
    if not (CORPUS / ONEDR0P).is_dir():
        pytest.skip("../shared/corpus/onedr0p__home-ops is not present")
    dest = tmp_path / ONEDR0P
    shutil.copytree(CORPUS / ONEDR0P, dest, symlinks=True)
    return dest


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _error_lines(root: Path) -> list[tuple[str, str, str]]:
    result = lint_repo(root, "kubernetes/flux/cluster")
    return [(f.rule, f.file, f.message) for f in result.findings if f.severity == Severity.ERROR]


@functools.lru_cache(maxsize=1)
def _baseline_errors() -> frozenset[tuple[str, str, str]]:
    return frozenset(_error_lines(CORPUS / ONEDR0P))


def _errors(root: Path) -> list[tuple[str, str, str]]:
    """The errors the injected defect adds to those of the repository as it is."""
    return [e for e in _error_lines(root) if e not in _baseline_errors()]


def test_injected_cycle_is_found(onedr0p_copy):
    # cloudflare-tunnel already dependsOn cloudflare-dns; close the loop
    _edit(
        onedr0p_copy / APPS / "network/cloudflare-dns/ks.yaml",
        "spec:\n",
        "spec:\n  dependsOn:\n    - name: cloudflare-tunnel\n",
    )
    errors = _errors(onedr0p_copy)
    assert [(r, f) for r, f, _ in errors] == [("dependency-cycle", f"{APPS}/network/cloudflare-dns/ks.yaml")]
    assert "cloudflare-dns -> cloudflare-tunnel -> cloudflare-dns" in errors[0][2]


def test_injected_missing_dependency_is_found(onedr0p_copy):
    _edit(
        onedr0p_copy / APPS / "default/atuin/ks.yaml",
        "spec:\n",
        "spec:\n  dependsOn:\n    - name: postgres-nope\n",
    )
    errors = _errors(onedr0p_copy)
    assert [(r, f) for r, f, _ in errors] == [("missing-dependency", f"{APPS}/default/atuin/ks.yaml")]
    assert "postgres-nope" in errors[0][2]


def test_injected_missing_source_is_found(onedr0p_copy):
    _edit(onedr0p_copy / APPS / "default/atuin/ks.yaml", "    name: flux-system\n", "    name: flux-systen\n")
    errors = _errors(onedr0p_copy)
    assert [(r, f) for r, f, _ in errors] == [("missing-source", f"{APPS}/default/atuin/ks.yaml")]


def test_injected_missing_path_is_found(onedr0p_copy):
    _edit(onedr0p_copy / APPS / "default/atuin/ks.yaml", "default/atuin/app", "default/atuin/ap")
    errors = _errors(onedr0p_copy)
    assert [(r, f) for r, f, _ in errors] == [("missing-path", f"{APPS}/default/atuin/ks.yaml")]


def test_injected_unresolved_variable_is_found(onedr0p_copy):
    release = onedr0p_copy / APPS / "default/atuin/app/helmrelease.yaml"
    _edit(release, "spec:\n", "spec:\n  releaseName: ${ATUIN_RELEASE_NAME}\n")
    errors = _errors(onedr0p_copy)
    assert [(r, f) for r, f, _ in errors] == [
        ("unresolved-variable", f"{APPS}/default/atuin/app/helmrelease.yaml")
    ]
    assert "${ATUIN_RELEASE_NAME}" in errors[0][2]
