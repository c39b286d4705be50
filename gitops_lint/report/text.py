"""The report a person reads: findings grouped by file, then a summary.

::

    clusters/production/infrastructure.yaml
      9:3  error    GL203 [*] crd-prune  Kustomization/flux-system/crds  (clusters/production)
           Kustomization flux-system/crds has prune: true and applies CustomResourceDefinition
           widgets.example.com without kustomize.toolkit.fluxcd.io/prune: disabled: ...

    Not checked: 1 remote, suspended or templated build input, 1 external source (--show-info
    lists them).
    [*] 3 fixable with --fix (--diff shows the changes).
    Found 4 errors, 2 warnings, 2 info (20 files, 25 documents, 8 Kustomizations, 0 HelmReleases).

Each finding has a header line (position, severity, code, the ``[*]`` mark
of a finding ``--fix`` repairs, rule, object and, when several clusters are
linted, the clusters) and its message on lines of its own, wrapped to the
terminal (100 columns when the output is not a terminal), so a long message
never makes a 300-column line. Info findings say what could not be checked
(DESIGN "Certainty"): they are summed up in one "Not checked" sentence and
listed with ``--show-info``. ``--statistics`` prints one line per rule
instead of the findings, as ruff does. The "Found ..." line is always the
last one (the github format reuses it).

Every text field goes through :func:`printable`; colour is ANSI SGR only
when asked for (:func:`use_color`). Nothing depends on the clock or on the
order of a dict that was not built from the sorted findings, so the same
input gives the same bytes.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TextIO

from ..core.data import Finding, Severity

# C0/C1 controls, DEL, the Unicode line and paragraph separators and the bidirectional
# controls: none may reach the terminal as written. An object name holding a newline
# would start a line of its own, and a line starting with ``::`` is a command to GitHub
# Actions, which reads the text pre-commit prints (``::add-mask::``, ``::error ...``);
# a bidi override shows text in another order than it has (CVE-2021-42574).
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
_CONTROL.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", 0x2028: "\\u2028", 0x2029: "\\u2029"})
_CONTROL.update({c: f"\\u{c:04x}" for c in (0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))})

DEFAULT_WIDTH = 100  # when the output is not a terminal (pre-commit, CI logs, a file)
MIN_WIDTH = 40
FIX_MARK = "[*]"

# what an info finding of each rule leaves unchecked, singular and plural, for the
# "Not checked" sentence; a rule not listed here (a plugin) is counted by its name
NOT_CHECKED = {
    "missing-source": ("external source", "external sources"),
    "kustomize-build": (
        "remote, suspended or templated build input",
        "remote, suspended or templated build inputs",
    ),
    "missing-crd": ("API group of custom resources", "API groups of custom resources"),
    "unresolved-variable": ("variable source unknown offline", "variable sources unknown offline"),
}

# ANSI SGR codes: bold, dim, and one colour per severity
_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"
_SEVERITY_STYLE = {Severity.ERROR: "\x1b[1;31m", Severity.WARNING: "\x1b[1;33m", Severity.INFO: "\x1b[1;36m"}
_FIX_STYLE = "\x1b[32m"


def printable(s: str) -> str:
    """``s`` with every control character written as an escape (``\\n``, ``\\x1b``)."""
    return s.translate(_CONTROL)


def use_color(choice: str, stream: TextIO, env: Mapping[str, str] = os.environ) -> bool:
    """Whether to colour: ``always``/``never`` as said; ``auto`` on a terminal only.

    In ``auto``, the order is the one CPython 3.13 uses for its own colours
    (``Lib/_colorize.py``): a non-empty ``NO_COLOR`` (no-color.org) turns colour
    off, then a non-empty ``FORCE_COLOR`` (force-color.org; CI logs that render
    ANSI) turns it on, then ``TERM=dumb`` turns it off, then the stream must be
    a terminal. An explicit ``--color`` beats both variables.
    """
    if choice in ("always", "never"):
        return choice == "always"
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    if env.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or stand-in stream
        return False


def output_width(stream: TextIO) -> int:
    """The terminal's width on a terminal, else :data:`DEFAULT_WIDTH` (never below 40)."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty:
        return DEFAULT_WIDTH
    import shutil

    return max(shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns, MIN_WIDTH)


@dataclass(frozen=True)
class TextOptions:
    """How to lay the report out; the defaults give plain, uncoloured text with root-relative paths."""

    color: bool = False
    width: int = DEFAULT_WIDTH
    root: str | None = None  # with cwd: paths are printed relative to cwd
    cwd: str | None = None
    statistics: bool = False
    show_info: bool = False
    # sort keys (Finding.sort_key) of the findings --fix would repair
    fixable: frozenset[tuple] = field(default_factory=frozenset)
    # several clusters linted: each finding names its clusters (None: more than one in the findings)
    several_clusters: bool | None = None


# -- shared with the other formats ---------------------------------------------------


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


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def counts(shown: list[Finding]) -> str:
    """``3 errors, 1 warning, 2 info``: infos only when there are some."""
    errors = sum(1 for f in shown if f.severity == Severity.ERROR)
    warnings = sum(1 for f in shown if f.severity == Severity.WARNING)
    infos = sum(1 for f in shown if f.severity == Severity.INFO)
    out = f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    return out + (f", {infos} info" if infos else "")


def found_line(findings: list[Finding], summary: dict) -> str:
    """The last line of the report: one count per defect (not per cluster), and what was read."""
    shown = [f for f, _ in grouped(findings)]
    scope = (
        f"{summary['files']} files, {summary['documents']} documents, "
        f"{summary['kustomizations']} Kustomizations, {summary['helmreleases']} HelmReleases"
    )
    return f"Found {counts(shown)} ({scope})."


def not_checked(infos: list[Finding]) -> str:
    """``1 Kustomization from an external source, 2 ...``: the info findings, counted by rule."""
    by_rule: dict[str, int] = {}
    for f in infos:
        by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
    parts = []
    for rule in sorted(by_rule):
        n = by_rule[rule]
        one, many = NOT_CHECKED.get(rule, (f"{rule} note", f"{rule} notes"))
        parts.append(_plural(n, one, many))
    return ", ".join(parts)


def is_fixable(f: Finding, clusters: list[str], fixable: frozenset[tuple]) -> bool:
    if not fixable:
        return False
    key = f.sort_key()
    return any(key[:-1] + ((c if c != "." else ""),) in fixable for c in clusters)


# -- the text report -----------------------------------------------------------------


class _Style:
    def __init__(self, on: bool):
        self.on = on

    def __call__(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self.on and code and text else text


def display_path(file: str, options: TextOptions) -> str:
    """``file`` (relative to the root) as a path relative to the current directory.

    A path starting with ``:`` gets ``./`` before it: a line starting with ``::``
    is a GitHub Actions command, and the path starts a line of the report.
    """
    path = file
    if options.root is not None and options.cwd is not None:
        try:
            path = os.path.relpath(os.path.join(options.root, file), options.cwd)
        except ValueError:  # another drive (Windows): no relative path exists
            path = os.path.join(options.root, file)
    return f"./{path}" if path.startswith(":") else path


def _several_clusters(findings: list[Finding], options: TextOptions) -> bool:
    if options.several_clusters is not None:
        return options.several_clusters
    return len({f.cluster for f in findings if f.cluster}) > 1


def _header(
    f: Finding, clusters: list[str], pos_width: int, several: bool, fixable: bool, style: _Style, width: int
) -> list[str]:
    """The finding's first line; the object and clusters go on to a line of their own past ``width``."""
    pos = f"{f.line}:{f.column}".rjust(pos_width)
    label = f.severity.label
    mark = f" {FIX_MARK}" if fixable else ""
    plain = f"  {pos}  {label:<7}  {f.code}{mark} {printable(f.rule)}"
    styled = (
        f"  {pos}  {style(label, _SEVERITY_STYLE[f.severity])}{' ' * (7 - len(label))}  "
        f"{style(f.code, _BOLD)}{' ' + style(FIX_MARK, _FIX_STYLE) if fixable else ''} {printable(f.rule)}"
    )
    extras = []  # (text, its style): widths are measured without the colour codes
    if f.object is not None:
        extras.append((printable(f.object.display()), ""))
    named = [c for c in clusters if c != "."]
    if several and named:
        extras.append((f"({printable(', '.join(named))})", _DIM))
    lines, length, indent = [styled], len(plain), 2 + pos_width + 2
    for text, code in extras:
        if length + 2 + len(text) <= width:
            lines[-1] += f"  {style(text, code)}"
            length += 2 + len(text)
        else:  # on lines of their own, at the message's indent (a long cluster list wraps)
            pieces = _wrap(text, width, indent)
            lines += [" " * indent + style(piece, code) for piece in pieces]
            length = indent + len(pieces[-1])
    return lines


def _wrap(text: str, width: int, indent: int) -> list[str]:
    # paths, URLs and names are never split: a word longer than the line overflows it
    return textwrap.wrap(
        text,
        width=max(width - indent, MIN_WIDTH // 2),
        break_long_words=False,
        break_on_hyphens=False,
    ) or [""]


def _listing(
    entries: list[tuple[Finding, list[str]]], options: TextOptions, style: _Style, several: bool
) -> list[str]:
    lines: list[str] = []
    by_file: dict[str | None, list[tuple[Finding, list[str]]]] = {}
    for entry in entries:  # the findings come sorted by file: insertion order is file order
        by_file.setdefault(entry[0].file, []).append(entry)
    # one column for the whole report, so every message starts at the same indent
    pos_width = max((len(f"{f.line}:{f.column}") for f, _ in entries), default=0)
    indent = 2 + pos_width + 2
    for file, group in by_file.items():
        if lines:
            lines.append("")
        lines.append(style(printable(display_path(file, options)) if file else "(no file)", _BOLD))
        for f, clusters in group:
            fixable = is_fixable(f, clusters, options.fixable)
            lines += _header(f, clusters, pos_width, several, fixable, style, options.width)
            lines += [" " * indent + line for line in _wrap(printable(f.message), options.width, indent)]
    return lines


def _statistics(entries: list[tuple[Finding, list[str]]], options: TextOptions, style: _Style) -> list[str]:
    """One line per rule, most frequent first: count, code, fix mark, rule, severities (ruff's --statistics)."""
    rows: dict[tuple[str, str], dict] = {}
    for f, clusters in entries:
        row = rows.setdefault((f.code, f.rule), {"n": 0, "fixable": 0, "severities": {}})
        row["n"] += 1
        row["fixable"] += is_fixable(f, clusters, options.fixable)
        row["severities"][f.severity] = row["severities"].get(f.severity, 0) + 1
    ordered = sorted(rows.items(), key=lambda item: (-item[1]["n"], item[0]))
    if not ordered:
        return []
    n_width = max(len(str(row["n"])) for _, row in ordered)
    code_width = max(len(code) for (code, _), _ in ordered)
    rule_width = max(len(printable(rule)) for (_, rule), _ in ordered)
    lines = []
    for (code, rule), row in ordered:
        sev = row["severities"]
        if len(sev) == 1:
            severity = next(iter(sev)).label
        else:
            severity = ", ".join(_plural(sev[s], s.label) for s in sorted(sev, reverse=True))
        mark = style(FIX_MARK, _FIX_STYLE) if row["fixable"] else " " * len(FIX_MARK)
        lines.append(
            f"{str(row['n']).rjust(n_width)}  {style(code.ljust(code_width), _BOLD)}  {mark} "
            f"{printable(rule).ljust(rule_width)}  {severity}"
        )
    return lines


def summary_lines(findings: list[Finding], summary: dict, options: TextOptions) -> list[str]:
    """What was not checked, what --fix repairs, then the "Found ..." line."""
    lines = []
    infos = [f for f, _ in grouped(findings) if f.severity == Severity.INFO]
    if infos:
        tail = "" if options.show_info else f" (--show-info lists {'it' if len(infos) == 1 else 'them'})"
        sentence = f"Not checked: {not_checked(infos)}{tail}."
        lines += _wrap(printable(sentence), options.width, 0)
    fixable = sum(1 for f, clusters in grouped(findings) if is_fixable(f, clusters, options.fixable))
    if fixable:
        lines.append(f"{FIX_MARK} {fixable} fixable with --fix (--diff shows the changes).")
    lines.append(found_line(findings, summary))
    return lines


def render(findings: list[Finding], summary: dict, options: TextOptions | None = None) -> str:
    options = options or TextOptions()
    style = _Style(options.color)
    entries = grouped(findings)
    listed = [(f, c) for f, c in entries if options.show_info or f.severity != Severity.INFO]
    several = _several_clusters(findings, options)
    body = (
        _statistics(listed, options, style)
        if options.statistics
        else _listing(listed, options, style, several)
    )
    tail = summary_lines(findings, summary, options)
    return "\n".join([*body, *([""] if body else []), *tail]) + "\n"
