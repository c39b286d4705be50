"""The rendered diff (:mod:`gitops_lint.report.objdiff`) as text, JSON, Markdown and unified YAML.

Every formatter takes ``redact``, the run's redactor (base and head): each
value, path and name is passed through it before it is written. Secret
values never reach a formatter (``objdiff`` hides them); ``redact`` is for
the rest (a chart password in HelmRelease values, a URL that embeds one).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable

from .objdiff import (
    ADDED,
    CHANGED,
    HIDDEN,
    REMOVED,
    REORDERED,
    ClusterDiff,
    FieldChange,
    hide_secret,
    summary,
)

Redact = Callable[[str], str]
#: version of the JSON document (stable contract, like the lint report's)
JSON_VERSION = 1
#: the default size limit of the Markdown report (a GitHub comment holds 65,536 characters)
MARKDOWN_LIMIT = 60000
#: the longest single value shown inline; longer ones are cut with an ellipsis
INLINE = 200
_SIGN = {ADDED: "+", REMOVED: "-", CHANGED: "~"}


def _identity(text: str) -> str:
    return text


def _shown(redact: Redact) -> Redact:
    """Redaction, then control characters escaped: what a terminal or CI log may show."""
    from .text import printable

    return lambda text: printable(redact(text))


def _inline(value: object, redact: Redact) -> str:
    """A value on one line: a scalar as YAML would write it, a map or list as JSON."""
    if isinstance(value, str):
        text = value if value and value.strip() == value and "\n" not in value else json.dumps(value)
    else:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    text = redact(text)
    return text if len(text) <= INLINE else text[: INLINE - 3] + "..."


def _multiline(value: object) -> bool:
    return isinstance(value, str) and "\n" in value.strip("\n")


def field_lines(fc: FieldChange, redact: Redact) -> list[str]:
    """The lines of one field change (a multi-line string as a line diff under its path)."""
    path = redact(fc.path)
    if fc.hidden:
        return [f"{path}: ({fc.change}, {HIDDEN})"]
    if fc.change == REORDERED:
        return [f"{path}: order changed: {_inline(fc.before, redact)} -> {_inline(fc.after, redact)}"]
    if fc.change == CHANGED and (_multiline(fc.before) or _multiline(fc.after)):
        b = str(fc.before).splitlines() if fc.before is not None else []
        a = str(fc.after).splitlines() if fc.after is not None else []
        lines = [f"{path}: (text changed)"]
        for line in list(difflib.unified_diff(b, a, lineterm="", n=1))[2:]:
            lines.append("  " + redact(line))
        return lines
    if fc.change == ADDED:
        return [f"{path}: (added) {_inline(fc.after, redact)}"]
    if fc.change == REMOVED:
        return [f"{path}: (removed) {_inline(fc.before, redact)}"]
    return [f"{path}: {_inline(fc.before, redact)} -> {_inline(fc.after, redact)}"]


def summary_line(diffs: list[ClusterDiff]) -> str:
    s = summary(diffs)
    if not diffs:
        return "No rendered object changes."
    counts = ", ".join(f"{s[k]} {k}" for k in (ADDED, CHANGED, REMOVED) if s[k])
    return (
        f"{counts} object{'s' if s[ADDED] + s[CHANGED] + s[REMOVED] != 1 else ''} in "
        f"{s['kustomizations']} Kustomization{'s' if s['kustomizations'] != 1 else ''} of "
        f"{s['clusters']} cluster{'s' if s['clusters'] != 1 else ''}."
    )


def _ks_title(kname: str, change: str, redact: Redact) -> str:
    extra = {ADDED: " (new)", REMOVED: " (removed)"}.get(change, "")
    return f"Kustomization {redact(kname)}{extra}"


def _ks_lines(ks, redact: Redact) -> list[str]:
    out = []
    for o in ks.objects:
        moved = ""
        if o.moved:
            moved = f" (moved {'to' if o.change == REMOVED else 'from'} Kustomization {redact(o.moved)})"
        out.append(f"{_SIGN[o.change]} {redact(o.key.display())}{moved}")
        for fc in o.fields:
            out.extend("    " + line for line in field_lines(fc, redact))
    return out


def to_text(diffs: list[ClusterDiff], redact: Redact = _identity) -> str:
    redact = _shown(redact)
    out = []
    for c in diffs:
        extra = {ADDED: " (new)", REMOVED: " (removed)"}.get(c.change, "")
        out.append(f"cluster {redact(c.name)}{extra}")
        for ks in c.kustomizations:
            out.append("  " + _ks_title(ks.name, ks.change, redact))
            out.extend("    " + line for line in _ks_lines(ks, redact))
    out.append(summary_line(diffs))
    return "\n".join(out) + "\n"


def _json_value(value: object, redact: Redact) -> object:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact(str(k)): _json_value(v, redact) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_value(v, redact) for v in value]
    return value


def to_json(diffs: list[ClusterDiff], redact: Redact = _identity) -> str:
    """Stable and deterministic: sorted clusters, Kustomizations, objects; sorted keys."""
    clusters = []
    for c in diffs:
        kss = []
        for ks in c.kustomizations:
            objects = []
            for o in ks.objects:
                ident = {k: redact(v) for k, v in o.key.to_json().items()}
                fields = []
                for fc in o.fields:
                    entry: dict = {"path": redact(fc.path), "change": fc.change}
                    if fc.hidden:
                        entry["hidden"] = True
                    else:
                        if fc.change != ADDED:
                            entry["before"] = _json_value(fc.before, redact)
                        if fc.change != REMOVED:
                            entry["after"] = _json_value(fc.after, redact)
                    fields.append(entry)
                entry_o: dict = {"object": ident, "change": o.change, "fields": fields}
                if o.moved:
                    entry_o["movedTo" if o.change == REMOVED else "movedFrom"] = redact(o.moved)
                objects.append(entry_o)
            ns, _, name = ks.name.partition("/")
            kss.append(
                {"namespace": redact(ns), "name": redact(name), "change": ks.change, "objects": objects}
            )
        clusters.append({"name": redact(c.name), "change": c.change, "kustomizations": kss})
    doc = {"version": JSON_VERSION, "clusters": clusters, "summary": summary(diffs)}
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _fence(lines: list[str]) -> str:
    """A fence longer than any run of backticks in ``lines`` (a value cannot close it)."""
    ticks = 3
    for line in lines:
        run = 0
        for ch in line:
            run = run + 1 if ch == "`" else 0
            ticks = max(ticks, run + 1)
    return "`" * ticks


def _escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_markdown(diffs: list[ClusterDiff], redact: Redact = _identity, limit: int = MARKDOWN_LIMIT) -> str:
    """For a pull-request comment or a job summary: a collapsed section per Kustomization.

    Sections are added while the document stays within ``limit`` characters;
    what does not fit is counted in a closing note.
    """
    redact = _shown(redact)
    head = ["### gitops-lint: rendered diff", "", summary_line(diffs), ""]
    body: list[str] = []
    size = sum(len(x) + 1 for x in head)
    left_out = 0
    for c in diffs:
        extra = {ADDED: " (new)", REMOVED: " (removed)"}.get(c.change, "")
        title = [f"#### Cluster `{_escape_html(redact(c.name))}`{extra}", ""]
        shown_title = False
        for ks in c.kustomizations:
            counts = ks.counts()
            tally = ", ".join(f"{counts[k]} {k}" for k in (ADDED, CHANGED, REMOVED) if counts[k])
            lines = [
                "<details>",
                f"<summary>{_escape_html(_ks_title(ks.name, ks.change, redact))}: {tally or 'no objects'}</summary>",
                "",
            ]
            diff_lines = _ks_lines(ks, redact)
            fence = _fence(diff_lines)
            lines += [fence + "diff", *diff_lines, fence, "", "</details>", ""]
            section = (title if not shown_title else []) + lines
            cost = sum(len(x) + 1 for x in section)
            if left_out or size + cost > limit - 200:
                left_out += 1
                continue
            body.extend(section)
            size += cost
            shown_title = True
    if left_out:
        body.append(
            f"_Truncated: {left_out} more Kustomization{'s' if left_out != 1 else ''} not shown "
            f"(the report is limited to {limit} characters; run `gitops-lint diff` for all of it)._"
        )
        body.append("")
    return "\n".join(head + body).rstrip("\n") + "\n"


def to_unified(diffs: list[ClusterDiff], redact: Redact = _identity) -> str:
    """A unified diff of each object's YAML (noise stripped, Secret values hidden)."""
    from ..render.output import to_yaml
    from .text import printable

    out: list[str] = []
    for c in diffs:
        for ks in c.kustomizations:
            for o in ks.objects:
                before = hide_secret(o.before) if o.before is not None else None
                after = hide_secret(o.after, o.before) if o.after is not None else None
                # redacted whole (a value the dumper folds over lines), escaped line by line
                b = [printable(x) for x in redact(to_yaml(before)).splitlines()] if before is not None else []
                a = [printable(x) for x in redact(to_yaml(after)).splitlines()] if after is not None else []
                name = printable(redact(f"{c.name}/{ks.name}/{o.key.display()}"))
                label_b = f"a/{name}" if before is not None else "/dev/null"
                label_a = f"b/{name}" if after is not None else "/dev/null"
                hunks = list(difflib.unified_diff(b, a, label_b, label_a, lineterm="", n=3))
                if not hunks:  # what changed is only what redaction masks
                    hunks = [f"# {name}: changed in values not shown (redacted)"]
                out.extend(hunks)
    return "\n".join(out) + ("\n" if out else "")


FORMATS = {"text": to_text, "json": to_json, "markdown": to_markdown, "unified": to_unified}
