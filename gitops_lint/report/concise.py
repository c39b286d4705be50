"""``--format concise``: one line per finding, for editors, ``grep`` and quickfix lists.

``path:line:col: severity CODE [*] message [clusters: a, b]``: the
``file:line:col:`` prefix that editors' error matchers (Vim's errorformat,
VS Code's problem matchers, Emacs' compilation mode) already read, then the
severity, the code, ruff's ``[*]`` mark when ``--fix`` repairs it, and the
message. Every finding is listed, info included (an editor shows them where
they are); a finding without a file starts with ``-``. The summary of the
text report follows (fixable count, then "Found ...").
"""

from __future__ import annotations

from ..core.data import Finding
from .text import (
    FIX_MARK,
    TextOptions,
    display_path,
    found_line,
    grouped,
    is_fixable,
    printable,
)


def line(f: Finding, clusters: list[str], options: TextOptions) -> str:
    where = f"{printable(display_path(f.file, options))}:{f.line}:{f.column}" if f.file else "-"
    mark = f" {FIX_MARK}" if is_fixable(f, clusters, options.fixable) else ""
    named = [c for c in clusters if c != "."]
    several = options.several_clusters if options.several_clusters is not None else len(named) > 1
    scope = (
        f" [{'clusters' if len(named) > 1 else 'cluster'}: {', '.join(named)}]" if several and named else ""
    )
    return f"{where}: {f.severity.label} {f.code}{mark} {printable(f.message + scope)}"


def render(findings: list[Finding], summary: dict, options: TextOptions | None = None) -> str:
    options = options or TextOptions()
    entries = grouped(findings)
    lines = [line(f, clusters, options) for f, clusters in entries]
    fixable = sum(1 for f, clusters in entries if is_fixable(f, clusters, options.fixable))
    if fixable:
        lines.append(f"{FIX_MARK} {fixable} fixable with --fix.")
    lines.append(found_line(findings, summary))
    return "\n".join(lines) + "\n"
