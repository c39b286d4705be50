"""One line per finding, ``path:line:col: CODE rule message``, then a summary."""

from __future__ import annotations

from ..model import Finding, Severity


def render(findings: list[Finding], summary: dict) -> str:
    lines = []
    for f in findings:
        where = f"{f.file}:{f.line}:{f.column}" if f.file else "-"
        lines.append(f"{where}: {f.code} {f.rule} {f.message}")
    infos = sum(1 for f in findings if f.severity == Severity.INFO)
    errors, warnings = summary["errors"], summary["warnings"]
    counts = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    if infos:
        counts += f", {infos} info"
    scope = (
        f"{summary['files']} files, {summary['documents']} documents, "
        f"{summary['kustomizations']} Kustomizations, {summary['helmreleases']} HelmReleases"
    )
    lines.append(f"Found {counts} ({scope}).")
    return "\n".join(lines) + "\n"
