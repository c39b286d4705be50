"""Known findings, and which findings of a run are new.

A repository with existing defects adopts gitops-lint by recording what it
has today (``--write-baseline FILE``) and failing only on what is added
(``--baseline FILE``), or, on a pull request, by comparing with the base
commit (``--new-only --base REF``). Both compare the same keys:

- the **fingerprint** SARIF carries in ``partialFingerprints`` (rule, file
  relative to the Git work tree, object, cluster, message; never the line),
  so a moved line is the same finding;
- a **rename key**, for a finding about an object: rule, object, cluster and
  the message with the file's name taken out. A renamed (or moved) file
  changes the fingerprint but not the rename key, so its findings are not
  new. A finding without an object (a YAML syntax error) has no rename key:
  the file is all that tells two of them apart.

Findings are a multiset: a key known 3 times and found 4 times is one new
finding. Keys are matched by fingerprint first, then what is left by
rename key, each in a fixed order, so the result is deterministic.

The baseline file (version 1) is JSON, sorted, one entry per distinct
fingerprint::

    {"version": 1, "tool": "gitops-lint",
     "findings": [{"rule": "dependency-cycle", "file": "clusters/dev/apps.yaml",
                   "object": "Kustomization flux-system/apps",
                   "fingerprint": "...", "renameKey": "...", "count": 1}]}

It holds no message (a person reads the rule, file and object; the message
is in the digest), so nothing a rule quoted from a Secret is written out. A
reader refuses any other ``version``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from .core.data import Finding
from .report import paths
from .report.sarif import fingerprint

VERSION = 1
MAX_BYTES = 64 << 20


class BaselineError(Exception):
    """A baseline file that cannot be read; the message is one line."""


@dataclass(frozen=True)
class Key:
    fingerprint: str
    rename: str  # "" when the finding has no object


def rename_key(f: Finding, prefix: str = "") -> str:
    """What a finding is about, without the file it is in ("" without an object)."""
    if f.object is None:
        return ""
    message = f.message
    if f.file:
        for name in sorted({paths.in_worktree(f.file, prefix), f.file}, key=len, reverse=True):
            message = message.replace(name, "")
    parts = ["rename", f.rule, f.object.display(), f.cluster or "", message]
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def key(f: Finding, prefix: str = "") -> Key:
    return Key(fingerprint(f, prefix), rename_key(f, prefix))


def new_findings(
    findings: list[Finding], known: Iterable[Key], prefix: str = ""
) -> tuple[list[Finding], int]:
    """The findings not matched by a known key, in their order, and how many were matched."""
    by_fp: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    for k in known:
        by_fp[k.fingerprint] += 1
        pairs[(k.fingerprint, k.rename)] += 1
    keys = [key(f, prefix) for f in findings]
    matched = [False] * len(findings)
    # first pass: the same fingerprint
    for i, k in enumerate(keys):
        if by_fp[k.fingerprint] > 0:
            by_fp[k.fingerprint] -= 1
            pairs[(k.fingerprint, k.rename)] -= 1
            matched[i] = True
    # second pass: what is left of the known, by rename key (a moved or renamed file)
    by_rename: Counter[str] = Counter()
    for (_fp, rename), n in sorted(pairs.items()):
        if rename and n > 0:
            by_rename[rename] += n
    for i, k in enumerate(keys):
        if not matched[i] and k.rename and by_rename[k.rename] > 0:
            by_rename[k.rename] -= 1
            matched[i] = True
    new = [f for f, m in zip(findings, matched) if not m]
    return new, len(findings) - len(new)


def keys_of(findings: list[Finding], prefix: str = "") -> list[Key]:
    return [key(f, prefix) for f in findings]


def dumps(findings: list[Finding], prefix: str = "") -> str:
    """The baseline file's text: deterministic, one entry per fingerprint with its count."""
    entries: dict[str, dict] = {}
    for f in findings:
        k = key(f, prefix)
        entry = entries.get(k.fingerprint)
        if entry is None:
            entries[k.fingerprint] = {
                "rule": f.rule,
                "file": paths.in_worktree(f.file, prefix) if f.file else None,
                "object": f.object.display() if f.object else None,
                "fingerprint": k.fingerprint,
                "renameKey": k.rename or None,
                "count": 1,
            }
        else:
            entry["count"] += 1
    ordered = sorted(
        entries.values(), key=lambda e: (e["file"] or "", e["rule"], e["object"] or "", e["fingerprint"])
    )
    doc = {"version": VERSION, "tool": "gitops-lint", "findings": ordered}
    return paths.json_text(json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True)) + "\n"


def load(path: str) -> list[Key]:
    """The keys a baseline file lists, each repeated ``count`` times."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise BaselineError(f"--baseline {path}: {exc.strerror or type(exc).__name__}") from None
    if len(raw) > MAX_BYTES:
        raise BaselineError(f"--baseline {path}: larger than {MAX_BYTES >> 20} MiB")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BaselineError(f"--baseline {path}: not JSON ({type(exc).__name__})") from None
    if not isinstance(doc, dict) or doc.get("version") != VERSION:
        version = doc.get("version") if isinstance(doc, dict) else None
        raise BaselineError(
            f"--baseline {path}: expected a gitops-lint baseline of version {VERSION}, got version "
            f"{version!r} (write one with --write-baseline)"
        )
    entries = doc.get("findings")
    if not isinstance(entries, list):
        raise BaselineError(f"--baseline {path}: 'findings' is not a list")
    keys: list[Key] = []
    for n, e in enumerate(entries):
        fp = e.get("fingerprint") if isinstance(e, dict) else None
        count = e.get("count", 1) if isinstance(e, dict) else None
        rename = (e.get("renameKey") or "") if isinstance(e, dict) else ""
        if (
            not isinstance(fp, str)
            or not isinstance(rename, str)
            or not isinstance(count, int)
            or isinstance(count, bool)
            or not 0 < count <= 1_000_000
        ):
            raise BaselineError(f"--baseline {path}: entry {n} needs a fingerprint and a count from 1")
        keys.extend([Key(fp, rename)] * count)
    return keys


def base_keys(
    root: str, config, lint_paths: list[str], ref: str, prefix: str = ""
) -> tuple[list[Key], list[str]]:
    """The keys of the findings of the repository at ``ref``: same config, same paths (mapped).

    A PATH (or the lint root) that the base does not have yet has no findings
    there. Also returns notes for stderr (the base run did not finish a rule).
    """
    import copy

    from . import gitref
    from .lint import Linter

    with gitref.materialize(root, ref) as base_root:
        if not os.path.isdir(base_root):
            return [], []
        mapped = [gitref.map_path(p, root, base_root) for p in lint_paths]
        present = [p for p in mapped if os.path.lexists(p)]
        if not present:
            return [], []
        result = Linter(base_root, copy.deepcopy(config)).run(present)
        notes = []
        if result.internal_errors:  # their text may quote the base; the count is enough
            notes.append(
                f"the base {ref} was not linted completely ({len(result.internal_errors)} rule runs "
                "did not finish): findings it missed show as new"
            )
        return keys_of(result.findings, prefix), notes
