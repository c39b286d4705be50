"""Real repositories are the measure of false positives.

Every entry of every repository in ../shared/corpus (SOURCES.md) must lint
with zero error findings, except the real defects listed below with their
explanation. Then defects are injected into a temporary copy of a corpus
repository, and each must be found.
"""

from __future__ import annotations

import re

import pytest

from gitops_lint.model import Severity
from tests.conftest import CORPUS
from tests.helpers import lint_repo

# (repository, file, rule) -> why it is a real defect of that repository
KNOWN_DEFECTS: dict[tuple[str, str, str], str] = {
    (
        "onedr0p__home-ops",
        "kubernetes/apps/network/cloudflare-tunnel/ks.yaml",
        "missing-substitution-source",
    ): (
        "substituteFrom Secret network/cloudflare-tunnel-id-secret is created by nothing in Git (no "
        "manifest, no ExternalSecret target): it is made by hand in the cluster, and a repository "
        "linted by gitops-lint declares it under `external:`"
    ),
}


def corpus_artifact(f) -> bool:
    """The corpus holds only the YAML of each repository (SOURCES.md): a generator or
    resource file with another extension (.lua, .sh, .json, .toml) was not copied."""
    return (
        f.rule == "missing-path"
        and "does not exist" in f.message
        and not re.search(r"\.ya?ml\b|/\s|/$", f.message.split(" does not exist")[0])
        and "spec.path" not in f.message
    )


def corpus_entries() -> list[tuple[str, str]]:
    sources = CORPUS / "SOURCES.md"
    if not sources.is_file():
        return []
    out = []
    for line in sources.read_text().splitlines():
        m = re.match(r"\|\s*`([^`]+)`\s*\|[^|]*\|([^|]*)\|", line)
        if m and (CORPUS / m.group(1)).is_dir():
            for entry in re.findall(r"`([^`]+)`", m.group(2)):
                out.append((m.group(1), entry))
    return out


ENTRIES = corpus_entries()


@pytest.mark.skipif(not ENTRIES, reason="../shared/corpus is not present")
@pytest.mark.parametrize("repo,entry", ENTRIES, ids=[f"{r}:{e}" for r, e in ENTRIES])
def test_corpus_entry_has_no_false_errors(repo, entry):
    result = lint_repo(CORPUS / repo, entry)
    errors = [
        f"{f.file}:{f.line} {f.rule} {f.message}"
        for f in result.findings
        if f.severity == Severity.ERROR
        and (repo, f.file, f.rule) not in KNOWN_DEFECTS
        and not corpus_artifact(f)
    ]
    assert errors == []
    assert result.summary["kustomizations"] >= 1
