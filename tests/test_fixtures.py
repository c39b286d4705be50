"""The example repository lints clean; each defect repository gives exactly its findings."""

from __future__ import annotations

import pytest

from tests.conftest import FIXTURES
from tests.helpers import lint_repo, positions

DEFECTS = (
    sorted(p for p in (FIXTURES / "defects").iterdir() if p.is_dir())
    if (FIXTURES / "defects").is_dir()
    else []
)


def test_example_repository_is_clean():
    result = lint_repo(FIXTURES / "example")
    assert [f"{f.file}:{f.line} {f.rule} {f.message}" for f in result.findings] == []
    assert result.summary["kustomizations"] >= 9
    assert result.summary["helmreleases"] >= 1


def test_example_cluster_dir_gives_the_same_as_the_root():
    root = FIXTURES / "example"
    by_dir = lint_repo(root, "clusters/mycluster-0")
    assert (
        by_dir.findings == []
        and by_dir.summary["kustomizations"] == lint_repo(root).summary["kustomizations"]
    )


@pytest.mark.parametrize("repo", DEFECTS, ids=lambda p: p.name)
def test_defect_repository_findings(repo):
    expected = sorted(
        line.strip() for line in (repo / "expected.txt").read_text().splitlines() if line.strip()
    )
    assert expected, "expected.txt lists no finding"
    assert {e.split()[1] for e in expected} == {repo.name}
    assert positions(lint_repo(repo)) == expected


@pytest.mark.parametrize(
    "repo",
    ["example", "crdidx-cni", "crdidx-oci-chartref", "crdorder-aggregated", "defects/health-check-target"],
)
def test_the_summary_counts_the_helmreleases_the_model_types(repo):
    """The summary counts, without typing them, the objects Cluster.helmreleases types
    (a worker's clusters arrive untyped): the same (cluster, release) pairs."""
    result = lint_repo(FIXTURES / repo)
    typed = {(c.name, *r.ref.key()) for c in result.clusters for r in c.helmreleases}
    assert typed and result.summary["helmreleases"] == len(typed)
