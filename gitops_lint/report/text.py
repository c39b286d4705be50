"""One line per finding, ``path:line:col: CODE rule message``, then a summary."""

from __future__ import annotations

from ..model import Finding, Severity

# C0/C1 controls, DEL and the Unicode line and paragraph separators: none may reach
# the terminal as written. An object name holding a newline would start a line of
# its own, and a line starting with ``::`` is a command to GitHub Actions, which
# reads the text pre-commit prints (``::add-mask::``, ``::error ...``).
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
_CONTROL.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", 0x2028: "\\u2028", 0x2029: "\\u2029"})


def printable(s: str) -> str:
    """``s`` with every control character written as an escape (``\\n``, ``\\x1b``)."""
    return s.translate(_CONTROL)


def grouped(findings: list[Finding]) -> list[tuple[Finding, list[str]]]:
    """One line per defect: a finding in a file several clusters share names its clusters."""
    groups: dict[tuple, tuple[Finding, list[str]]] = {}
    for f in findings:
        key = (f.file, f.line, f.column, f.rule, f.message, f.object, f.severity)
        if key in groups:
            groups[key][1].append(f.cluster or ".")
        else:
            groups[key] = (f, [f.cluster or "."])
    return list(groups.values())


def message_with_clusters(f: Finding, clusters: list[str]) -> str:
    return f.message + (f" [clusters: {', '.join(clusters)}]" if len(clusters) > 1 else "")


def render(findings: list[Finding], summary: dict) -> str:
    lines = []
    grouped_findings = grouped(findings)
    for f, clusters in grouped_findings:
        where = f"{printable(f.file)}:{f.line}:{f.column}" if f.file else "-"
        lines.append(f"{where}: {f.code} {f.rule} {printable(message_with_clusters(f, clusters))}")
    shown = [f for f, _ in grouped_findings]
    infos = sum(1 for f in shown if f.severity == Severity.INFO)
    errors = sum(1 for f in shown if f.severity == Severity.ERROR)
    warnings = sum(1 for f in shown if f.severity == Severity.WARNING)
    counts = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    if infos:
        counts += f", {infos} info"
    scope = (
        f"{summary['files']} files, {summary['documents']} documents, "
        f"{summary['kustomizations']} Kustomizations, {summary['helmreleases']} HelmReleases"
    )
    lines.append(f"Found {counts} ({scope}).")
    return "\n".join(lines) + "\n"
