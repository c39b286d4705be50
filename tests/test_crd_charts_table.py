"""schemas/crd-charts.json is schemas/crd-charts.yaml, made ahead (tools/gen_crd_charts.py)."""

from __future__ import annotations

import json

import yaml

from gitops_lint.core.data_files import bundled
from gitops_lint.core.fs import content_hash
from gitops_lint.load.loader import FastLoader
from gitops_lint.model import crds


def _from_yaml() -> dict:
    return yaml.load(bundled(crds.CHARTS_FILE).read_text("utf-8"), Loader=FastLoader)  # noqa: S506


def test_the_shipped_json_is_the_yaml_as_it_is_now():
    # fails after an edit of crd-charts.yaml until `python tools/gen_crd_charts.py` is run
    made = bundled(crds.CHARTS_JSON)
    assert made.is_file(), "run python tools/gen_crd_charts.py"
    payload = json.loads(made.read_text("utf-8"))
    assert payload["stamp"] == content_hash(bundled(crds.CHARTS_FILE).read_bytes()), (
        "run tools/gen_crd_charts.py"
    )
    assert payload["data"] == _from_yaml()
    assert crds.chart_data() is not None and crds.chart_data() == _from_yaml()


def test_a_stale_or_damaged_json_is_not_used(monkeypatch, tmp_path):
    for name, text in (
        ("stale.json", '{"stamp": "0", "data": {"charts": []}}'),
        ("damaged.json", "{"),
        ("wrong.json", '{"stamp": "x", "data": []}'),
    ):
        (tmp_path / name).write_text(text)
        (tmp_path / crds.CHARTS_FILE).write_bytes(bundled(crds.CHARTS_FILE).read_bytes())
        monkeypatch.setattr(
            crds, "bundled", lambda part, name=name: tmp_path / (name if part.endswith(".json") else part)
        )
        assert crds.chart_data() == _from_yaml(), name
