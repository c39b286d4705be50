"""Full lint wall time per corpus repository, next to libyaml's parse time.

    python benchmarks/bench_lint.py [--runs 5] [--corpus ../shared/corpus]

For each entry of ../shared/corpus/SOURCES.md: the median wall time of N
whole-process runs of ``python -m gitops_lint ENTRY --root REPO`` (what a
pre-commit hook pays, interpreter start included), and the median time
``yaml.load_all(..., CSafeLoader)`` takes over the same repository's YAML
files in one process: the floor a YAML-reading tool cannot go below.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent


def entries(corpus: Path) -> list[tuple[str, str]]:
    out = []
    for line in (corpus / "SOURCES.md").read_text().splitlines():
        m = re.match(r"\|\s*`([^`]+)`\s*\|[^|]*\|([^|]*)\|", line)
        if m and (corpus / m.group(1)).is_dir():
            out.extend((m.group(1), e) for e in re.findall(r"`([^`]+)`", m.group(2)))
    return out


def parse_time(repo: Path) -> float:
    files = [p for p in sorted(repo.rglob("*")) if p.suffix in (".yaml", ".yml") and p.is_file()]
    start = time.perf_counter()
    for p in files:
        with contextlib.suppress(yaml.YAMLError):
            list(yaml.load_all(p.read_bytes(), Loader=yaml.CSafeLoader))
    return time.perf_counter() - start


def lint_time(repo: Path, entry: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "gitops_lint", str(repo / entry), "--root", str(repo), "--format", "json"],
        stdout=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--corpus", default=str(HERE.parent.parent / "shared" / "corpus"))
    args = ap.parse_args()
    corpus = Path(args.corpus)
    print(f"{'repository:entry':<58} {'files':>6} {'parse s':>8} {'lint s':>8} {'ratio':>6}")
    for repo_name, entry in entries(corpus):
        repo = corpus / repo_name
        nfiles = sum(1 for p in repo.rglob("*") if p.suffix in (".yaml", ".yml"))
        parse = statistics.median(parse_time(repo) for _ in range(args.runs))
        lint = statistics.median(lint_time(repo, entry) for _ in range(args.runs))
        print(f"{repo_name + ':' + entry:<58} {nfiles:>6} {parse:>8.3f} {lint:>8.3f} {lint / parse:>6.1f}")
    print(
        f"(medians of {args.runs} runs; lint is a whole process, python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
