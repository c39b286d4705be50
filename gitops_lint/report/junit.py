"""JUnit XML, the report format CI systems other than GitHub read (GitLab, Jenkins, Azure).

Laid out as ruff's and kubeconform's JUnit output are: one ``<testsuite>`` per
file, named by its path, and one ``<testcase>`` per finding, named by the
rule's code and name, so a CI test view groups findings where a person fixes
them. Errors and warnings are ``<failure>`` (its ``type`` is the severity);
info findings say what gitops-lint could not check, so they are ``<skipped>``,
never a failure. A clean run is one passing test case, so the report is never
an empty test run.

No timestamps, host names or durations: the same input gives the same bytes.
Every text goes through :func:`printable` (no control character reaches the
XML, where XML 1.0 forbids most of them even escaped) and is then XML-escaped.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

from ..core.data import Finding, Severity
from .text import grouped, printable

# characters XML 1.0 does not allow at all (after printable(), only the non-characters are left)
_NOT_XML = re.compile("[\ufffe\uffff\ud800-\udfff]")


def _text(s: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", printable(s))


def _attr(s: str) -> str:
    return quoteattr(_text(s))


def _once(findings: list[Finding]) -> list[tuple[Finding, list[str]]]:
    """One test case per defect: a finding in a file several clusters render names them all."""
    return [(f, [c for c in clusters if c != "."]) for f, clusters in grouped(findings)]


def render(findings: list[Finding], summary: dict) -> str:
    by_file: dict[str, list[tuple[Finding, list[str]]]] = {}
    for f, clusters in _once(findings):
        by_file.setdefault(f.file or "-", []).append((f, clusters))
    findings = [f for cases in by_file.values() for f, _ in cases]
    failures = sum(1 for f in findings if f.severity > Severity.INFO)
    skipped = len(findings) - failures
    tests = len(findings) or 1
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuites name="gitops-lint" tests="{tests}" failures="{failures}" errors="0" skipped="{skipped}">',
    ]
    if not findings:
        lines += [
            '  <testsuite name="gitops-lint" tests="1" failures="0" errors="0" skipped="0">',
            '    <testcase name="no findings" classname="gitops-lint"/>',
            "  </testsuite>",
        ]
    for file in sorted(by_file):
        cases = by_file[file]
        fails = sum(1 for f, _ in cases if f.severity > Severity.INFO)
        lines.append(
            f'  <testsuite name={_attr(file)} tests="{len(cases)}" failures="{fails}" '
            f'errors="0" skipped="{len(cases) - fails}">'
        )
        for f, clusters in cases:
            where = f"{file}:{f.line}:{f.column}"
            obj = f" {f.object.display()}" if f.object else ""
            cluster = f" (cluster{'s' * (len(clusters) > 1)} {', '.join(clusters)})" if clusters else ""
            lines.append(
                f"    <testcase name={_attr(f'{f.code} {f.rule}')} classname={_attr(file)} "
                f'file={_attr(file)} line="{f.line}">'
            )
            body = escape(_text(f"{where}: {f.severity.label}{obj}{cluster}: {f.message}"))
            if f.severity > Severity.INFO:
                lines.append(
                    f"      <failure type={_attr(f.severity.label)} message={_attr(f.message)}>{body}</failure>"
                )
            else:
                lines.append(f"      <skipped message={_attr(f.message)}/>")
                lines.append(f"      <system-out>{body}</system-out>")
            lines.append("    </testcase>")
        lines.append("  </testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines) + "\n"
