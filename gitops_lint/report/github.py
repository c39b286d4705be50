"""GitHub Actions workflow commands: one annotation per finding, plus a job summary.

``::error file=F,line=L,col=C,title=CODE rule::message`` makes the runner
annotate the pull request's diff at that line. Data and properties are
escaped exactly as GitHub's runner unescapes them (actions/toolkit
``packages/core/src/command.ts``): ``%``, CR and LF in the message, and also
``:`` and ``,`` in properties, which would otherwise end a property. The
Markdown job summary goes to the file named by ``$GITHUB_STEP_SUMMARY``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ..model import Finding, Severity
from . import text

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def annotation(f: Finding, clusters: list[str] | None = None) -> str:
    props = []
    if f.file:
        props += [f"file={escape_property(f.file)}", f"line={f.line}", f"col={f.column}"]
    props.append(f"title={escape_property(f'{f.code} {f.rule}')}")
    message = text.message_with_clusters(f, clusters or [])
    return f"::{COMMANDS[f.severity]} {','.join(props)}::{escape_data(message)}"


def render(findings: list[Finding], summary: dict) -> str:
    # a finding several clusters share is one annotation naming them
    lines = [annotation(f, clusters) for f, clusters in text.grouped(findings)]
    lines.append(text.render(findings, summary).splitlines()[-1])  # the plain "Found ..." line
    return "\n".join(lines) + "\n"


def _counts(findings: list[Finding], summary: dict) -> str:
    errors, warnings = summary["errors"], summary["warnings"]
    infos = sum(1 for f in findings if f.severity == Severity.INFO)
    out = f"Found {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    return out + (f", {infos} info" if infos else "")


def _cell(s: str) -> str:
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def step_summary(findings: list[Finding], summary: dict) -> str:
    """The Markdown job summary: counts, then one table row per finding."""
    out = ["## gitops-lint", "", f"{_counts(findings, summary)}."]
    if findings:
        out += ["", "| severity | location | rule | message |", "|---|---|---|---|"]
        for f in findings:
            where = f"`{_cell(f.file)}:{f.line}`" if f.file else ""
            out.append(f"| {f.severity.label} | {where} | {f.code} {f.rule} | {_cell(f.message)} |")
    return "\n".join(out) + "\n"


def write_step_summary(findings: list[Finding], summary: dict, env: Mapping[str, str] = os.environ) -> bool:
    """Append the job summary to ``$GITHUB_STEP_SUMMARY`` when it is set; True when written."""
    path = env.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(step_summary(findings, summary))
    return True
