"""SARIF 2.1.0, the format GitHub code scanning (and most CI dashboards) read.

One ``reportingDescriptor`` per registered rule, whether or not it fired, so
a dashboard can show the whole catalog with each rule's page as help
(``help.markdown`` carries the whole page, which code scanning displays; no
``helpUri``: the project has no public address to link to, and a ``file:`` URI
to an installed copy means nothing on the code scanning page). Results
point at files relative to the Git work tree (not the lint root: see
``report.paths``) through the ``%SRCROOT%`` base id, as percent-encoded URI
references; the upload action resolves them against the checkout. Each
result carries a ``partialFingerprints`` entry made from the rule, file,
object, cluster and message, never the line, so an alert survives unrelated
edits above it; identical findings are told apart by their order.
"""

from __future__ import annotations

import hashlib
import json

from .. import __version__
from ..core.data import Finding, Severity
from ..rules import Rule, all_rules
from . import paths

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "gitopsLint/v1"

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _descriptor(rule: Rule) -> dict:
    from .pages import rule_help

    page = rule_help(rule)
    desc: dict = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.summary},
        "help": {
            "text": f"{rule.summary}. `gitops-lint explain {rule.name}` prints the page.",
            "markdown": page,
        },
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": ["flux", "gitops"]},
    }
    return desc


def fingerprint(f: Finding, prefix: str = "") -> str:
    """A digest of what the finding is about, independent of where the line moved."""
    file = paths.in_worktree(f.file, prefix) if f.file else ""
    parts = [f.rule, file, f.object.display() if f.object else "", f.cluster or "", f.message]
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _result(f: Finding, index: int, fp: str, prefix: str) -> dict:
    result: dict = {
        "ruleId": f.code,
        "ruleIndex": index,
        "level": LEVELS[f.severity],
        "message": {"text": f.message},
    }
    if f.file:
        result["locations"] = [
            {
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": paths.uri(paths.in_worktree(f.file, prefix)),
                        "uriBaseId": SRCROOT,
                    },
                    "region": {"startLine": max(f.line, 1), "startColumn": max(f.column, 1)},
                }
            }
        ]
    result["partialFingerprints"] = {FINGERPRINT_KEY: fp}
    props = {}
    if f.object:
        props["object"] = f.object.to_json()
    if f.cluster:
        props["cluster"] = f.cluster
    if props:
        result["properties"] = props
    return result


def to_sarif(findings: list[Finding], summary: dict, root: str | None = None) -> dict:
    """The SARIF log; with ``root`` (the lint root), file URIs are relative to its Git work tree."""
    prefix = paths.root_prefix(root)
    rules = list(all_rules())
    known = {r.code for r in rules}
    for f in findings:  # a finding of a rule that is not registered still gets a descriptor
        if f.code not in known:
            known.add(f.code)
            rules.append(Rule(f.rule, f.code, f.severity, f.rule, lambda ctx: ()))
    index = {r.code: i for i, r in enumerate(rules)}
    seen: dict[str, int] = {}
    results = []
    for f in findings:
        fp = fingerprint(f, prefix)
        seen[fp] = seen.get(fp, 0) + 1
        if seen[fp] > 1:
            fp = f"{fp}:{seen[fp]}"
        results.append(_result(f, index[f.code], fp, prefix))
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "gitops-lint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_descriptor(r) for r in rules],
                    }
                },
                "originalUriBaseIds": {
                    SRCROOT: {"description": {"text": "The root of the repository's Git work tree."}}
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
                "properties": {"summary": summary},
            }
        ],
    }


def render(findings: list[Finding], summary: dict, root: str | None = None) -> str:
    return paths.json_text(json.dumps(to_sarif(findings, summary, root), indent=2, ensure_ascii=False)) + "\n"
