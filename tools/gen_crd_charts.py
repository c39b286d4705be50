"""Regenerate schemas/crd-charts.json: schemas/crd-charts.yaml as JSON.

The table of where CRDs come from is written and reviewed as YAML (with its comments);
parsing it costs every run that judges CRDs (missing-crd, crd-order) ~5 ms, reading the
same data as JSON ~0.1 ms. The JSON is stamped with the YAML's content hash: a YAML
edited since is read itself, as before, and tests/test_crd_charts_table.py fails until
this is run again.

    python tools/gen_crd_charts.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml  # noqa: E402

from gitops_lint.core.data_files import bundled  # noqa: E402
from gitops_lint.core.fs import content_hash  # noqa: E402
from gitops_lint.load.loader import FastLoader  # noqa: E402
from gitops_lint.model.crds import CHARTS_FILE, CHARTS_JSON  # noqa: E402


def main() -> int:
    raw = bundled(CHARTS_FILE).read_bytes()
    data = yaml.load(raw.decode("utf-8"), Loader=FastLoader)  # noqa: S506 - a safe loader
    text = json.dumps({"stamp": content_hash(raw), "data": data}, ensure_ascii=True, separators=(",", ":"))
    if json.loads(text)["data"] != data:
        print(f"{CHARTS_FILE}: holds a value JSON does not keep", file=sys.stderr)
        return 1
    target = bundled(CHARTS_JSON)
    target.write_text(text + "\n")
    print(f"wrote {target} ({target.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
