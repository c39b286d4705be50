"""Field positions kept between runs (``positioncache``, the ``positions`` side entry).

A run after a change takes the line and column of each finding on a field of an unchanged
file from the run before, and prints what a run without the cache prints; a file whose
text moved its fields is another key; a position found in bytes other than the walk's
is not kept; a damaged record is a miss; a path holding what the redactor masks is not
kept.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitops_lint.core.data import Origin
from gitops_lint.core.fs import RepoFS, content_hash
from gitops_lint.core.records import SideRecords
from gitops_lint.load.loader import DocumentCache
from gitops_lint.positioncache import SIDE, KeptPositions
from tests.helpers import (
    GOTK,
    KUSTOMIZATION,
    RecordingWarm,
    gotk,
    kept_records,
    ks,
    lint_watching,
    side_shards,
    widget_crd,
    write_tree,
)

CRD = widget_crd(
    "              type: object\n              properties:\n                size: {type: integer, maximum: 10}\n"
)


def widget(name: str, size: int) -> str:
    return (
        f"---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: {name}, namespace: default}}\n"
        f"spec:\n  size: {size}\n"
    )


def tree(clusters=("dev",)) -> dict[str, str]:
    """Clusters whose apps apply Widgets without waiting for their CRD (crd-order, on the apps
    Kustomization's ``metadata.name``), two of them too large (schema, on ``spec.size``)."""
    files = {}
    for name in clusters:
        files.update(GOTK if name == "dev" else gotk(name))
        files[f"clusters/{name}/crds.yaml"] = ks("crds", "./crds")
        files[f"clusters/{name}/apps.yaml"] = ks("apps", "./apps")
        files[f"clusters/{name}/other.yaml"] = ks("other", "./other")
    files["crds/kustomization.yaml"] = KUSTOMIZATION + "resources: [widget.yaml]\n"
    files["crds/widget.yaml"] = CRD
    files["apps/kustomization.yaml"] = KUSTOMIZATION + "resources: [widgets.yaml]\n"
    files["apps/widgets.yaml"] = widget("a", 1) + widget("b", 11) + widget("c", 12)
    files["other/kustomization.yaml"] = KUSTOMIZATION + "resources: [other.yaml]\n"
    files["other/other.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: o, namespace: default}\n"
    return files


def make(tmp_path: Path, **kwargs) -> Path:
    root = write_tree(tmp_path / "repo", tree(**kwargs))
    (root / ".git").mkdir()
    return root


def lint(root: Path, *args: str, seed: str = "0", jobs: str = "1") -> dict:
    return lint_watching(root, *args, seed=seed, jobs=jobs, side=SIDE)


def touch(root: Path, n: int) -> None:
    """A change of a file no finding is in: the run misses its whole-run entry."""
    with open(root / "other/other.yaml", "a", encoding="utf-8") as fh:
        fh.write(f"# change {n}\n")


def kept(root: Path) -> dict[str, str]:
    return kept_records(root, SIDE)


def placed(out: str) -> list[tuple[str, str, int, int]]:
    return sorted((f["rule"], f["file"], f["line"], f["column"]) for f in json.loads(out)["findings"])


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_run_after_a_change_takes_the_kept_positions_and_prints_what_a_cold_run_prints(tmp_path, jobs):
    # with workers, some clusters' rules run in a worker, whose positions come back to be kept
    root = make(tmp_path, clusters=("dev", "prod", "test"))
    cold = lint(root, "--no-cache", jobs=jobs)
    found = placed(cold["out"])
    assert ("schema", "apps/widgets.yaml", 12, 3) in found and ("schema", "apps/widgets.yaml", 18, 3) in found
    assert ("crd-order", "clusters/dev/apps.yaml", 4, 3) in found
    first = lint(root, seed="1", jobs=jobs)
    assert first["used"] == 0 and first["new"] > 0 and len(kept(root)) == first["new"]
    touch(root, 1)
    second = lint(root, seed="2", jobs=jobs)  # another hash seed: the same keys
    assert (second["used"], second["new"]) == (first["new"], 0)
    assert second["out"] == first["out"] == cold["out"]


@pytest.mark.slow
def test_a_file_whose_fields_moved_is_another_key(tmp_path):
    root = make(tmp_path)
    first = lint(root)
    widgets = root / "apps/widgets.yaml"
    widgets.write_text("# a comment\n# and another\n" + widgets.read_text())  # every line 2 down
    warm = lint(root)
    cold = lint(root, "--no-cache")
    assert warm["out"] == cold["out"]
    assert ("schema", "apps/widgets.yaml", 14, 3) in placed(cold["out"])
    # the Kustomization's position is taken; the Widgets' are found again, in the new text
    assert (warm["used"], warm["new"]) == (first["new"] - 2, 2)


@pytest.mark.slow
def test_a_damaged_record_is_a_miss(tmp_path):
    root = make(tmp_path)
    first = lint(root)
    for shard in side_shards(root, SIDE):
        lines = shard.read_text().split("\n")
        for i, line in enumerate(lines[1:], 1):
            if line:
                key, checksum, _ = line.split("\t")
                lines[i] = f"{key}\t{checksum}\t1,1"  # the checksum no longer holds
        shard.write_text("\n".join(lines))
    touch(root, 1)
    warm = lint(root)
    assert (warm["used"], warm["new"]) == (0, first["new"])
    assert warm["out"] == lint(root, "--no-cache")["out"]


DOC = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\ndata:\n  key: value\n"


def _cache(tmp_path: Path, walked: str | None) -> tuple[DocumentCache, KeptPositions, Origin]:
    (tmp_path / "m.yaml").write_text(DOC)
    cache = DocumentCache(RepoFS(str(tmp_path)))
    loaded = cache.load("m.yaml")
    kept = KeptPositions(SideRecords(), {"m.yaml": walked} if walked is not None else {})
    cache.kept_positions = kept
    return cache, kept, loaded.documents[0].origin


def test_a_position_is_kept_only_when_found_in_the_walks_bytes(tmp_path):
    cache, kept, origin = _cache(tmp_path, content_hash(DOC.encode()))
    assert cache.finding_position(origin, ("data", "key")) == (6, 3)
    assert [payload for _, payload in kept.new.values()] == ["6,3"]
    # the walk hashed other bytes (the file saved during the run): found, not kept
    cache, kept, origin = _cache(tmp_path, content_hash(b"other bytes"))
    assert cache.finding_position(origin, ("data", "key")) == (6, 3)
    assert kept.new == {}
    # a file the walk did not hash: nothing to key it by
    cache, kept, origin = _cache(tmp_path, None)
    assert cache.finding_position(origin, ("data", "key")) == (6, 3) and kept.new == {}


def test_a_kept_position_is_taken_without_composing_and_a_malformed_one_is_a_miss(tmp_path):
    cache, kept, origin = _cache(tmp_path, content_hash(DOC.encode()))
    key = kept.key(origin, ("data", "key"))
    assert key is not None and kept.key(origin, ("data", 1.5)) is None
    for payload, expected in (("40,7", (40, 7)), ("x,1", (6, 3)), ("-1,2", (6, 3)), ("5", (6, 3))):
        side = SideRecords.from_rows({key.digest: payload})
        cache, kept, origin = _cache(tmp_path, content_hash(DOC.encode()))
        kept.side = side
        assert cache.finding_position(origin, ("data", "key")) == expected


def test_a_path_holding_a_masked_value_is_not_kept(tmp_path):
    cache, kept, origin = _cache(tmp_path, content_hash(DOC.encode()))
    cache.finding_position(origin, ("data", "key"))
    cache.finding_position(origin, ("metadata", "name"))
    warm = RecordingWarm(SIDE)
    kept.store(warm, lambda text: "key" in text)  # as if the redactor masked "key"
    rows = [row for shard in warm.written.values() for row in shard]
    assert [payload for _, payload in rows] == ["4,3"]
