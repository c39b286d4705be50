"""cel-python's verdicts kept between runs (``gitops_lint.celcache``): a run after a change
finds the verdicts of the run before, in another process, and prints what a run without the
cache prints; a damaged or foreign record is a miss; a value holding a secret is not kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitops_lint.celcache import SIDE, KeptVerdicts, record_key
from gitops_lint.core.records import SideRecords, side_shard
from tests.helpers import (
    GOTK,
    KUSTOMIZATION,
    RecordingWarm,
    kept_records,
    ks,
    lint_watching,
    side_shards,
    widget_crd,
    write_tree,
)

KUST = KUSTOMIZATION
# rules outside the fast subset (schema.cel_fast): cel-python evaluates them; the second
# reads two fields only (schema.cel._fields: the value's partial text)
CRD = widget_crd(
    """              type: object
              x-kubernetes-validations:
                - rule: "self.sizes.all(s, s > 0)"
                  message: every size is positive
                - rule: "self.low + self.keep <= self.high + 1"
                  message: low and keep within high
              properties:
                sizes: {type: array, items: {type: integer}}
                low: {type: integer}
                keep: {type: integer}
                high: {type: integer}
"""
)


def widget(name: str, sizes: list[int], low: int = 1) -> str:
    return (
        f"---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: {name}, namespace: default}}\n"
        f"spec: {{high: 5, sizes: {json.dumps(sizes)}, keep: 2, low: {low}}}\n"
    )


def _cluster(name: str, offset: int) -> dict[str, str]:
    """A cluster of its own widgets (other values than the others': other verdicts)."""
    gotk = {
        k.replace("clusters/dev", f"clusters/{name}"): v.replace("clusters/dev", f"clusters/{name}")
        for k, v in GOTK.items()
    }
    return {
        **gotk,
        f"clusters/{name}/crds.yaml": ks("crds", "./crds"),
        f"clusters/{name}/apps.yaml": ks("apps", f"./apps/{name}", depends=["crds"]),
        f"apps/{name}/kustomization.yaml": KUST + "resources: [widgets.yaml]\n",
        f"apps/{name}/widgets.yaml": widget("a", [offset + 1, 2])
        + widget("b", [offset + 3, -1])
        + widget("c", [offset + 4], low=9 + offset),
    }


# three clusters: with workers, the first's rules run here and the others' in a worker
# (lint.Linter._cluster_findings), whose verdicts come back to be kept
CLUSTERS = ("dev", "prod", "test")
TREE = {
    **{k: v for i, c in enumerate(CLUSTERS) for k, v in _cluster(c, 10 * i).items()},
    "crds/kustomization.yaml": KUST + "resources: [widget.yaml]\n",
    "crds/widget.yaml": CRD,
}
# per cluster: the first rule on each widget's sizes (3) and the second on c's fields (its
# own low); and the second on a's and b's fields, one text in every cluster (the rule reads
# low, keep and high only, the same in all)
VERDICTS = 4 * len(CLUSTERS) + 1


@pytest.fixture
def repo(tmp_path) -> Path:
    root = write_tree(tmp_path / "repo", TREE)
    (root / ".git").mkdir()
    return root


def lint(root: Path, *args: str, seed: str = "0", jobs: str = "1") -> dict:
    return lint_watching(root, *args, seed=seed, jobs=jobs, side=SIDE)


def change(root: Path, n: int) -> None:
    with open(root / "apps/dev/widgets.yaml", "a", encoding="utf-8") as fh:
        fh.write(f"# change {n}\n")


def kept(root: Path) -> dict[str, str]:
    return kept_records(root, SIDE)


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_run_after_a_change_finds_every_verdict_and_prints_what_a_cold_run_prints(repo, jobs):
    cold = lint(repo, "--no-cache", jobs=jobs)
    messages = [f["message"] for f in json.loads(cold["out"])["findings"]]
    assert any("every size is positive" in m for m in messages)  # b's -1
    assert any("low and keep within high" in m for m in messages)  # c's low: 9
    first = lint(repo, seed="1", jobs=jobs)
    assert first["new"] == VERDICTS and first["used"] == 0 and first["celpy"]
    assert len(kept(repo)) == VERDICTS
    change(repo, 1)
    again = lint(repo, seed="2", jobs=jobs)  # another hash seed: the same keys
    assert (again["new"], again["used"], again["celpy"]) == (0, VERDICTS, False)
    assert again["out"] == first["out"] == cold["out"]
    assert again["code"] == cold["code"] == 1


@pytest.mark.slow
def test_damaged_or_foreign_records_are_misses(repo):
    lint(repo)
    shards = side_shards(repo, SIDE)
    cold = lint(repo, "--no-cache")["out"]
    # one record's payload replaced (its checksum no longer holds), one whose verdict lies
    # with a checksum that holds is not possible without the key's text: see the unit test
    first = shards[0]
    lines = first.read_text().split("\n")
    key, checksum, _ = lines[1].split("\t")
    lines[1] = f"{key}\t{checksum}\t[true, 1]"
    first.write_text("\n".join(lines))
    shards[-1].write_bytes(b"\x00garbage")
    change(repo, 1)
    after = lint(repo)
    assert after["out"] == cold
    assert after["new"] >= 1 and after["celpy"]
    change(repo, 2)
    assert lint(repo)["new"] == 0  # the damaged records replaced by whole ones


def test_a_record_that_is_not_a_verdict_is_a_miss():
    text = '{"l": [1]}'
    rows = {
        record_key("r1", text): "[true, 3]",
        record_key("r2", text): '["yes", 3]',
        record_key("r3", text): "[false, -1]",
        record_key("r4", text): "[null, 2.5]",
        record_key("r5", text): "{}",
        record_key("r6", text): "[false]",
    }
    verdicts = KeptVerdicts(SideRecords.from_rows(rows))
    assert verdicts.get("r1", text) == (True, 3)
    assert verdicts.get("r1", '{"l": [2]}') is None  # another value
    assert all(verdicts.get(r, text) is None for r in ("r2", "r3", "r4", "r5", "r6", "r7"))
    assert verdicts.used == {record_key("r1", text)}


def test_a_value_holding_a_secret_is_not_kept_not_even_as_a_digest():
    verdicts = KeptVerdicts(SideRecords())
    verdicts.add("r", '{"password": "hunter2-xyz"}', False, 4)
    verdicts.add("r", '{"size": 3}', True, 2)
    warm = RecordingWarm(SIDE)
    verdicts.store(warm, lambda text: "hunter2-xyz" in text)
    stored = {k for rows in warm.written.values() for k, _ in rows}
    assert stored == {record_key("r", '{"size": 3}')}


def test_the_verdicts_used_come_first_and_unused_ones_are_bounded(monkeypatch):
    from gitops_lint import celcache

    monkeypatch.setattr(celcache, "MAX_UNUSED", 16 * 2)  # two unused per shard
    old = {record_key("r", str(i)): "[true, 1]" for i in range(200)}
    side = SideRecords.from_rows(old)
    verdicts = KeptVerdicts(side)
    used = [str(i) for i in range(0, 200, 7)]
    for text in used:
        assert verdicts.get("r", text) == (True, 1)
    for i in range(200, 260):
        verdicts.add("r", str(i), False, 1)
    warm = RecordingWarm(SIDE)
    verdicts.store(warm, lambda text: False)
    assert {side_shard(k) for k in verdicts.new} == set(warm.written)  # the shards it changed
    for shard, rows in warm.written.items():
        keys = [k for k, _ in rows]
        mine_used = [k for k in side.shard_keys(shard) if k in verdicts.used]
        mine_new = sorted(k for k in verdicts.new if side_shard(k) == shard)
        assert keys[: len(mine_used)] == mine_used
        assert keys[len(mine_used) : len(mine_used) + len(mine_new)] == mine_new
        assert len(keys) - len(mine_used) - len(mine_new) <= 2
