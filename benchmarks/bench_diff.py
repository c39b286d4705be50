"""Pull-request mode against a plain lint: a one-file change on a real repository.

    python benchmarks/bench_diff.py [--runs 3] [--repo hmcts__sds-flux-config] [--corpus ../shared/corpus]

Issue 19 asks that ``gitops-lint diff`` of a one-file change on the largest
corpus repository cost at most 2x a single lint. The repository is copied
into a temporary directory, committed as the base, then one file that Flux
renders (the first HelmRelease found) is changed and committed as the head.
Each command runs as a whole process (interpreter start included), ``--runs``
times; the medians and the ratios to ``lint`` are printed:

* ``lint``: ``gitops-lint ROOT --format json``
* ``diff``: ``gitops-lint diff --base base ROOT --format json``
* ``new-only``: ``gitops-lint ROOT --new-only --base base --format json``

The corpus is read, never written; the copy is removed at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def git(repo: Path, *args: str) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(repo.parent),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
    }
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def one_file_change(repo: Path) -> Path:
    """Bump ``replicas`` (or add a label) in the first HelmRelease file, as a one-line change."""
    for path in sorted(repo.rglob("*.yaml")):
        if ".git" in path.parts:
            continue
        text = path.read_text(errors="replace")
        if "kind: HelmRelease" in text and "\n  values:" in text:
            path.write_text(text.replace("\n  values:", "\n  values:\n    benchChange: 1", 1))
            return path
    raise SystemExit(f"{repo}: no HelmRelease with values to change")


def timed(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--repo", default="hmcts__sds-flux-config")
    ap.add_argument("--corpus", default=str(HERE.parent.parent / "shared" / "corpus"))
    args = ap.parse_args()
    source = Path(args.corpus) / args.repo
    if not source.is_dir():
        raise SystemExit(f"{source}: not found (the corpus is optional; pass --corpus)")
    with tempfile.TemporaryDirectory(prefix="gitops-lint-bench-diff-") as tmp:
        repo = Path(tmp) / "repo"
        shutil.copytree(source, repo, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "base")
        git(repo, "tag", "base")
        changed = one_file_change(repo)
        git(repo, "commit", "-q", "-am", "head")
        gl = [sys.executable, "-m", "gitops_lint"]
        root = str(repo)
        lint = timed([*gl, root, "--root", root, "--format", "json"], args.runs)
        diff = timed([*gl, "diff", "--base", "base", root, "--root", root, "--format", "json"], args.runs)
        new = timed(
            [*gl, root, "--root", root, "--new-only", "--base", "base", "--format", "json"], args.runs
        )
        print(f"{args.repo}: one-line change in {changed.relative_to(repo)}, medians of {args.runs} runs")
        print(f"{'command':<10} {'median s':>9} {'x lint':>7}")
        for name, seconds in (("lint", lint), ("diff", diff), ("new-only", new)):
            print(f"{name:<10} {seconds:9.2f} {seconds / lint:7.2f}")


if __name__ == "__main__":
    main()
