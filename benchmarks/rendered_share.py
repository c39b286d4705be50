#!/usr/bin/env python3
"""Share of a repository's Flux Kustomizations that a lint run renders.

Usage (from the project's root):
    python3 benchmarks/rendered_share.py [--list] [--corpus] [REPO_OR_CORPUS_DIR ...]

With ``--corpus`` the arguments are directory names of ``../shared/corpus`` and the
entries are those SOURCES.md lists; without it each argument is a repository root
linted as ``gitops-lint ROOT`` (discovery decides the entries).

*total* counts the documents of the repository that are Flux Kustomizations
(``kustomize.toolkit.fluxcd.io``, ``kind: Kustomization``) with a ``spec.path`` or
``spec.sourceRef`` (a document with neither is a kustomize patch file, not an
object Flux could apply); *rendered* counts those a run reached. ``--list`` names the
ones not rendered with how far they got (not reached, external source, source not
found, path missing), so each can be judged (unreachable, or missed).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gitops_lint.core.data import FLUX_KS_GROUP, group_of  # noqa: E402
from gitops_lint.lint import Linter  # noqa: E402
from gitops_lint.load.config import load_config  # noqa: E402
from gitops_lint.vocabulary import vocabulary  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def corpus_entries(name: str) -> list[str]:
    for line in (CORPUS / "SOURCES.md").read_text().splitlines():
        m = re.match(r"\| `([^`]+)` \| [^|]+ \| ([^|]+) \|", line)
        if m and m.group(1) == name:
            return re.findall(r"`([^`]+)`", m.group(2))
    return []


def flux_kustomizations(linter: Linter) -> set[tuple[str, int]]:
    """(file, line) of every applicable Flux Kustomization document of the repository."""
    out = set()
    for rel in linter.fs.walk_files(""):
        for doc in linter.cache.load(rel, used=False).documents:
            obj = doc.data
            if not isinstance(obj, dict) or obj.get("kind") != "Kustomization":
                continue
            if group_of(str(obj.get("apiVersion", ""))) != FLUX_KS_GROUP:
                continue
            spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
            if "path" in spec or "sourceRef" in spec:
                out.add((rel, doc.origin.line))
    return out


def measure(root: str, paths: list[str], show: bool) -> tuple[int, int]:
    linter = Linter(root, load_config(root, known=vocabulary()))
    clusters = linter.build_clusters(paths)
    total = flux_kustomizations(linter)
    status: dict[tuple[str, int], str] = {}  # how far each Kustomization got, best over clusters
    rank = {"ok": 0, "external": 1, "missing": 2, "escape": 2, "not-found": 3}
    for cluster in clusters:
        mine = set()
        for ks in cluster.kustomizations.values():
            if ks.origin is None or ks.source is None:
                continue
            key = (ks.origin.file, ks.origin.line)
            if ks.source.status == "ok":
                mine.add(key)
            old = status.get(key)
            if old is None or rank.get(ks.source.status, 9) < rank.get(old, 9):
                status[key] = ks.source.status
        print(f"  {cluster.name}: {len(mine & total)} Kustomizations rendered")
    done = sum(1 for k in total if status.get(k) == "ok")
    print(f"{os.path.basename(root)}: {done}/{len(total)} rendered")
    if show:
        for file, line in sorted(total):
            state = status.get((file, line), "not reached")
            if state != "ok":
                print(f"    {state}: {file}:{line}")
    return done, len(total)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("targets", nargs="*")
    ap.add_argument("--corpus", action="store_true", help="targets are ../shared/corpus directory names")
    ap.add_argument("--list", action="store_true", help="name the Kustomizations not rendered")
    a = ap.parse_args()
    targets = a.targets
    if a.corpus and not targets:
        targets = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
    for target in targets:
        if a.corpus:
            root = str(CORPUS / target)
            paths = [os.path.join(root, p) for p in corpus_entries(target)] or [root]
        else:
            root, paths = os.path.abspath(target), [os.path.abspath(target)]
        measure(root, paths, a.list)
    return 0


if __name__ == "__main__":
    sys.exit(main())
