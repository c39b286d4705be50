"""Two checkouts of gitops-lint, entry by entry of the corpus, in the same minutes.

    python benchmarks/bench_ab.py OTHER_CHECKOUT [--runs 3] [--corpus ../shared/corpus]
        [--repo NAME]... [--cache] [--root]
    python benchmarks/bench_ab.py OTHER_CHECKOUT --change [--runs 9] [--largest 5] [--repo NAME]...

For every entry of the corpus's SOURCES.md (one whole-process cold lint each, as a user
lints one cluster: ``python -m gitops_lint REPO/ENTRY --root REPO --format json``), the
median wall time with OTHER_CHECKOUT's code and with this checkout's, run alternately so
that both see the same load of a shared machine, whether their findings are the same, and
the files each parsed (the summary's count). Byte-code is written for both (the machine
may set PYTHONDONTWRITEBYTECODE: a checkout without byte-code would pay for compiling
every run). ``--cache``: with the warm cache as a user has it (default: ``--no-cache``).
``--root``: each repository's root once instead of each entry (what the pre-commit hook
lints: every entry discovery finds, every YAML file judged as written).

``--change``: what ``bench_lint.py --change`` times, for both checkouts in the same minutes:
the ``--largest`` repositories (all their entries at once), each copied twice to a temporary
Git work tree (one per checkout: their caches are their own), the cache filled once, then
before each measured run a comment naming it appended to the same file of each copy
(``bench_lint.rendered_file``); runs alternated, and their order flipped every round (a
shared machine's noise then falls on both alike). Medians and the median of the paired
differences (this - other, negative: this checkout is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_lint import _NOT_PASSED, command, entries, git_copy, largest, machine, rendered_file  # noqa: E402


def lint(code: str, env: dict[str, str], repo: Path, paths: list[str], *extra: str) -> tuple[float, bytes]:
    """Wall time and JSON report of one whole-process lint of ``paths`` with ``code``'s gitops-lint."""
    start = time.perf_counter()
    out = subprocess.run(
        command(repo, paths, *extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=dict(env, PYTHONPATH=code),
        cwd=code,
        check=False,
    ).stdout
    return time.perf_counter() - start, out


def stored_lint(
    code: str, env: dict[str, str], repo: Path, paths: list[str], *extra: str
) -> tuple[float, bytes]:
    """:func:`lint`, then a wait for the cache's stores its run writes after the report
    (untimed: the next run starts with them written and has the CPU to itself)."""
    from gitops_lint.cache import DIR_NAME, wait_for_stores

    done = lint(code, env, repo, paths, *extra)
    wait_for_stores(str(repo / DIR_NAME), timeout=60)
    return done


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("other", help="another checkout of gitops-lint (say, a worktree of main)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--corpus", default=str(HERE.parent.parent / "shared" / "corpus"))
    ap.add_argument("--repo", action="append", help="only this corpus repository (repeatable)")
    ap.add_argument("--cache", action="store_true")
    ap.add_argument("--root", action="store_true", help="lint each repository's root once, not each entry")
    ap.add_argument("--change", action="store_true", help="warm runs after a one-file change (see above)")
    ap.add_argument("--largest", type=int, default=5, help="with --change: the N largest repositories")
    args = ap.parse_args()
    codes = {"other": str(Path(args.other).resolve()), "this": str(HERE.parent)}
    if args.change:
        return change(codes, Path(args.corpus), args.runs, args.largest, args.repo)
    env = {k: v for k, v in os.environ.items() if k not in _NOT_PASSED}
    if not args.cache:
        env["GITOPS_LINT_NO_CACHE"] = "1"

    def run(code: str, repo: Path, entry: str) -> tuple[float, dict]:
        elapsed, out = lint(code, env, repo, [entry])
        try:
            return elapsed, json.loads(out)
        except ValueError:
            return elapsed, {}

    corpus = Path(args.corpus)
    total = {name: 0.0 for name in codes}
    print(f"{'repository:entry':<72} {'other s':>8} {'this s':>8}  findings  files")
    listed = entries(corpus)
    if args.root:
        listed = [(name, "") for name in dict.fromkeys(name for name, _ in listed)]
    for repo_name, entry in listed:
        if args.repo and repo_name not in args.repo:
            continue
        repo = corpus / repo_name
        results = {name: run(code, repo, entry)[1] for name, code in codes.items()}  # also the warm-up
        times: dict[str, list[float]] = {name: [] for name in codes}
        for _ in range(args.runs):
            for name, code in codes.items():
                times[name].append(run(code, repo, entry)[0])
        median = {name: statistics.median(t) for name, t in times.items()}
        for name in codes:
            total[name] += median[name]
        a, b = results["other"], results["this"]
        same = "same" if a.get("findings") == b.get("findings") and a else "DIFFER"
        files = f"{a.get('summary', {}).get('files')} -> {b.get('summary', {}).get('files')}"
        print(
            f"{repo_name + ':' + (entry or '.'):<72} {median['other']:>8.3f} {median['this']:>8.3f}  {same:<8}  {files}"
        )
    print(f"{'sum of medians':<72} {total['other']:>8.2f} {total['this']:>8.2f}")
    return 0


def change(codes: dict[str, str], corpus: Path, runs: int, count: int, only: list[str] | None) -> int:
    import tempfile

    env = {k: v for k, v in os.environ.items() if k not in _NOT_PASSED}

    def run(code: str, repo: Path, paths: list[str]) -> tuple[float, bytes]:
        return stored_lint(code, env, repo, paths)

    print(f"{'repository':<38} {'other s':>8} {'this s':>8} {'diff ms':>8}  findings")
    with tempfile.TemporaryDirectory(prefix="bench-ab-change-") as tmp:
        for repo_name, paths in largest(corpus, count):
            if only and repo_name not in only:
                continue
            copies = {name: git_copy(corpus / repo_name, Path(tmp) / name / repo_name) for name in codes}
            target = rendered_file(copies["this"], paths).relative_to(copies["this"])
            outputs = {name: run(code, copies[name], paths)[1] for name, code in codes.items()}  # fills
            times: dict[str, list[float]] = {name: [] for name in codes}
            for i in range(runs):
                order = list(codes) if i % 2 == 0 else list(codes)[::-1]
                for name in order:
                    with open(copies[name] / target, "a", encoding="utf-8") as fh:
                        fh.write(f"# bench change {i}\n")
                    elapsed, out = run(codes[name], copies[name], paths)
                    times[name].append(elapsed)
                    outputs[name] = out
            diffs = [b - a for a, b in zip(times["other"], times["this"])]
            same = "same" if outputs["other"] == outputs["this"] else "DIFFER"
            print(
                f"{repo_name:<38} {statistics.median(times['other']):>8.3f} {statistics.median(times['this']):>8.3f} "
                f"{statistics.median(diffs) * 1000:>+8.1f}  {same}"
            )
    print(f"(medians of {runs} alternated runs after a one-file change each, whole processes, --format json)")
    print(machine())
    return 0


if __name__ == "__main__":
    sys.exit(main())
