"""One line per finding, ``path:line:col: CODE rule message``, then a summary."""

from __future__ import annotations

from ..model import Finding, Severity


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
        where = f"{f.file}:{f.line}:{f.column}" if f.file else "-"
        lines.append(f"{where}: {f.code} {f.rule} {message_with_clusters(f, clusters)}")
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
