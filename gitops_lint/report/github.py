"""GitHub Actions workflow commands: one annotation per finding, plus a job summary.

``::error file=F,line=L,col=C,title=CODE rule::message`` makes the runner
annotate the pull request's diff at that line. ``F`` is relative to the Git
work tree, which is what GitHub resolves it against, not to the lint root
(``report.paths``). Data and properties are escaped exactly as GitHub's
runner unescapes them (actions/toolkit ``packages/core/src/command.ts``):
``%``, CR and LF in the message, and also ``:`` and ``,`` in properties,
which would otherwise end a property. The Markdown job summary goes to the
file named by ``$GITHUB_STEP_SUMMARY``.

The last line, ``Found N errors, M warnings``, is this format's own (the
Action reads its counts from it), not the text report's summary.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping

from ..core.data import Finding, Severity
from . import paths
from .text import grouped  # one annotation per defect, its clusters named

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
# a job summary is at most 1 MiB: past this many rows the table says how many it left out
SUMMARY_ROWS = 200


def escape_data(s: str) -> str:
    return paths.readable(s).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def annotation(f: Finding, clusters: list[str] | None = None, prefix: str = "") -> str:
    props = []
    if f.file:
        props += [
            f"file={escape_property(paths.in_worktree(f.file, prefix))}",
            f"line={f.line}",
            f"col={f.column}",
        ]
    props.append(f"title={escape_property(f'{f.code} {f.rule}')}")
    clusters = clusters or []
    message = f.message + (f" [clusters: {', '.join(clusters)}]" if len(clusters) > 1 else "")
    return f"::{COMMANDS[f.severity]} {','.join(props)}::{escape_data(message)}"


def counts_line(findings: list[Finding], summary: dict) -> str:
    errors, warnings = summary["errors"], summary["warnings"]
    infos = sum(1 for f in findings if f.severity == Severity.INFO)
    out = f"Found {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    return out + (f", {infos} info" if infos else "")


def render(findings: list[Finding], summary: dict, root: str | None = None) -> str:
    """Annotations relative to the work tree of ``root`` (the lint root), then the counts."""
    prefix = paths.root_prefix(root)
    lines = [annotation(f, clusters, prefix) for f, clusters in grouped(findings)]
    lines.append(counts_line(findings, summary) + ".")
    return "\n".join(lines) + "\n"


def _cell(s: str) -> str:
    return paths.readable(s).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def step_summary(findings: list[Finding], summary: dict, root: str | None = None) -> str:
    """The Markdown job summary: a table of counts per severity and per rule, then the findings."""
    prefix = paths.root_prefix(root)
    infos = sum(1 for f in findings if f.severity == Severity.INFO)
    out = [
        "## gitops-lint",
        "",
        f"{counts_line(findings, summary)}.",
        "",
        "| errors | warnings | info | files | Kustomizations | HelmReleases |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {summary['errors']} | {summary['warnings']} | {infos} | {summary.get('files', 0)} "
        f"| {summary.get('kustomizations', 0)} | {summary.get('helmreleases', 0)} |",
    ]
    if not findings:
        return "\n".join(out) + "\n"
    per_rule = Counter((f.code, f.rule, f.severity) for f in findings)
    out += ["", "| rule | severity | findings |", "|---|---|---:|"]
    for (code, rule, severity), n in sorted(per_rule.items(), key=lambda kv: (-kv[0][2], kv[0][0])):
        out.append(f"| {code} {_cell(rule)} | {severity.label} | {n} |")
    out += ["", "| severity | location | rule | message |", "|---|---|---|---|"]
    for f in findings[:SUMMARY_ROWS]:
        where = f"`{_cell(paths.in_worktree(f.file, prefix))}:{f.line}`" if f.file else ""
        out.append(f"| {f.severity.label} | {where} | {f.code} {f.rule} | {_cell(f.message)} |")
    if len(findings) > SUMMARY_ROWS:
        out.append(
            f"\n{len(findings) - SUMMARY_ROWS} more findings are in the annotations and the SARIF report."
        )
    return "\n".join(out) + "\n"


def write_step_summary(
    findings: list[Finding], summary: dict, env: Mapping[str, str] = os.environ, root: str | None = None
) -> bool:
    """Append the job summary to ``$GITHUB_STEP_SUMMARY`` when it is set; True when written."""
    path = env.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(step_summary(findings, summary, root))
    return True
