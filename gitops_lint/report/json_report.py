"""The JSON contract, version 1 (DESIGN.md "JSON output").

A file name that is not UTF-8 is written with its lone surrogates escaped
(``"bad\\udcff.yaml"``), so the output stays UTF-8 and round-trips through
``os.fsencode`` (see ``report.paths``).
"""

from __future__ import annotations

import json

from ..core.data import Finding
from . import paths


def finding_to_dict(f: Finding) -> dict:
    return {
        "rule": f.rule,
        "code": f.code,
        "severity": f.severity.label,
        "message": f.message,
        "file": f.file,
        "line": f.line,
        "column": f.column,
        "object": f.object.to_json() if f.object else None,
        "cluster": f.cluster,
    }


def render(findings: list[Finding], summary: dict) -> str:
    doc = {
        "version": 1,
        "findings": [finding_to_dict(f) for f in findings],
        "summary": {
            k: summary[k]
            for k in ("files", "documents", "kustomizations", "helmreleases", "errors", "warnings")
        },
    }
    return paths.json_text(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"
