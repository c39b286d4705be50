"""Where one lint's time goes, stage by stage, in-process.

    python benchmarks/bench_stages.py REPO ENTRY... [--runs 3] [--warm-miss] [--change FILE]

Times, in one process, the stages of ``Linter.run`` on REPO (its cluster builds,
discovery, each rule, the filter) by wrapping them, and prints the median of
``--runs`` for each stage over 10 ms. ``--warm-miss``: each measured run is what a
run after a one-file change costs: the warm cache (in a temporary directory,
``GITOPS_LINT_CACHE_DIR``: nothing is written under REPO) is filled once, then
every run misses the whole-run entry (deleted before it) and takes every stored
parse and kustomize build; the key's walk and the stores after the run are
timed too; every kept build is used, as if the change touched no file a build
reads. ``--change FILE`` (implies ``--warm-miss``): what ``bench_lint.py --change``
times, in stages: REPO is copied to the temporary directory, and before each measured
run a comment naming the run is appended to FILE (repository-relative; pick one that
rendering reads), so the builds that read it are made again. Interpreter start-up and
imports are not included (see bench_lint.py for whole processes). The runs share one
process, so every run after the first reuses its process-wide memos (compiled schemas and
CEL programs, substitution results, CEL verdicts): the medians are a long-lived process's.
``--runs 1`` times a first run; bench_lint.py and bench_ab.py time fresh processes.
"""

from __future__ import annotations

import argparse
import gc
import glob
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("repo")
    ap.add_argument("entries", nargs="+")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warm-miss", action="store_true")
    ap.add_argument("--change", metavar="FILE", help="append a line to FILE before each run (a copy of REPO)")
    args = ap.parse_args()
    args.warm_miss = args.warm_miss or args.change is not None
    gc.set_threshold(1_000_000, 5, 1000)  # as cli.entry() does (cli._GC_THRESHOLD)
    scratch = tempfile.mkdtemp(prefix="bench-stages-")
    os.environ["GITOPS_LINT_CACHE_DIR"] = scratch
    os.environ.pop("GITOPS_LINT_NO_CACHE", None)

    from gitops_lint import cache, lint
    from gitops_lint.load.config import load_config
    from gitops_lint.model.cluster import ClusterBuilder
    from gitops_lint.vocabulary import vocabulary

    times: dict[str, list[float]] = defaultdict(list)
    current: dict[str, float] = defaultdict(float)

    def timed(owner, name: str, label: str) -> None:
        inner = getattr(owner, name)

        def wrapper(*a, **k):
            start = time.perf_counter()
            try:
                return inner(*a, **k)
            finally:
                current[label] += time.perf_counter() - start

        setattr(owner, name, wrapper)

    timed(ClusterBuilder, "build", "cluster builds")
    timed(lint, "plan_entries", "discovery")
    timed(lint.Linter, "_load_linted_files", "linted files")
    timed(lint.Linter, "_filter", "filter")
    findings = lint.Linter._findings

    def per_rule(self, rule, *a, **k):
        start = time.perf_counter()
        try:
            return findings(self, rule, *a, **k)
        finally:
            current[f"rule {rule.name}"] += time.perf_counter() - start

    lint.Linter._findings = per_rule
    repo = os.path.abspath(args.repo)
    if args.change is not None:  # never written under REPO: a copy of it
        repo = shutil.copytree(repo, os.path.join(scratch, "repository"), symlinks=True)
        # a file whose stat changed in the last RACY_NS is hashed again by every run (the
        # cache's racy rule): a repository a user edits is older than that, save the change
        time.sleep(cache.RACY_NS / 1e9 + 0.1)
    paths = [os.path.join(repo, e) for e in args.entries]
    config = load_config(repo, known=vocabulary())

    def once(run: int) -> None:
        if args.change is not None:
            with open(os.path.join(repo, args.change), "a", encoding="utf-8") as fh:
                fh.write(f"# bench_stages change {run}\n")
        start = time.perf_counter()
        warm = None
        if args.warm_miss:
            for stale in glob.glob(os.path.join(scratch, "v*", "run-*.json")):
                os.unlink(stale)
            warm = cache.open_cache(repo)
            warm.compute_key(config, paths)
            current["cache key (walk)"] += time.perf_counter() - start
        linter = lint.Linter(repo, config, warm=warm)
        run_start = time.perf_counter()
        linter.run(paths)
        current["run (all of the above)"] += time.perf_counter() - run_start
        if warm is not None:
            store = time.perf_counter()
            linter.store_warm()
            current["stores after the run"] += time.perf_counter() - store
        current["total"] += time.perf_counter() - start

    try:
        if args.warm_miss:
            once(0)  # fills the store
        for run in range(1, args.runs + 1):
            current.clear()
            once(run)
            for label, seconds in current.items():
                times[label].append(seconds)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for label, values in sorted(times.items(), key=lambda kv: -statistics.median(kv[1])):
        median = statistics.median(values)
        if median >= 0.01:
            print(f"{median:8.3f}  {label}")
    mode = (
        "cold"
        if not args.warm_miss
        else "warm miss"
        if args.change is None
        else f"after a change of {args.change}"
    )
    print(f"(seconds, medians of {args.runs} in-process runs, {mode}; python {sys.version.split()[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
