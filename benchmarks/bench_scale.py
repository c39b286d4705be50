"""Lint time and peak memory on generated monorepos of 1,000 / 10,000 / 100,000 objects.

    python benchmarks/bench_scale.py [--runs 5] [--sizes 1000,10000,100000]
                                     [--clusters auto|N] [--layers 8] [--objects-per-component 10]

Each size is a synthetic layered Flux monorepo written by gen_monorepo.py
(clusters x layers x components x objects, dependsOn chains, postBuild
substitutions, a CRD layer and custom resources in later layers; 8 layers and
10 objects per component by default). Shape: with ``--clusters auto`` (the
default) clusters and components per layer both grow by sqrt(10) per decade
(2 clusters x 7 components at 1,000 objects, 6 x 25 at 10,000, 20 x 75 at
100,000), so every overlay stays a realistic size; ``--clusters 2`` keeps the
cluster count and grows only the components, so one overlay holds up to
~7,500 objects and ~750 ``images`` entries (a stress test of per-overlay
cost). Repositories are cached under ``--cache-dir`` (default:
$TMPDIR/gitops-lint-bench-scale), keyed by the parameters and the
generator's source, so reruns skip generation.

For each size: one untimed run checks that the lint is clean (exit 0, no
finding: the generated repository is valid), then ``--runs`` timed
whole-process runs of

    python -m gitops_lint ROOT --root ROOT --format json

(interpreter start included, the working tree's gitops_lint on PYTHONPATH).
Reported: objects (rendered across all clusters, Flux objects included),
YAML files, median wall time, objects per second, microseconds per object,
the ratio of microseconds per object to the smallest size's (the target:
within 1.5x from 1,000 to 100,000), the marginal microseconds per object
between consecutive sizes (start-up excluded: the slope of the curve), and
peak memory: the maximum resident set size of each run, read from
``os.wait4`` for that run's process alone (median over runs; with worker
processes it is the largest single process, not their sum). Targets of
issue 8: 100,000 objects in under 60 s and under 2 GB.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(HERE))

import gen_monorepo  # noqa: E402


def clusters_for(size: int, clusters: str) -> int:
    """``auto``: 2 clusters at 1,000 objects, x sqrt(10) per decade (6 at 10,000, 20 at 100,000)."""
    if clusters != "auto":
        return int(clusters)
    return max(1, round(2 * (size / 1000) ** 0.5))


def repo_for(size: int, args: argparse.Namespace) -> tuple[Path, dict]:
    """The generated repository of about ``size`` objects (cached) and its counts."""
    clusters = clusters_for(size, args.clusters)
    components = gen_monorepo.components_for(size, clusters, args.layers, args.objects_per_component)
    params = (clusters, args.layers, components, args.objects_per_component, args.seed)
    digest = hashlib.sha256(Path(gen_monorepo.__file__).read_bytes()).hexdigest()[:10]
    key = "c{}-l{}-k{}-o{}-s{}-".format(*params) + digest
    root = Path(args.cache_dir) / key
    marker = root / ".bench-counts.json"
    if marker.is_file():
        return root, json.loads(marker.read_text())
    tmp = Path(args.cache_dir) / f"{key}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    start = time.perf_counter()
    counts = gen_monorepo.generate(str(tmp), *params)
    counts["generate_s"] = round(time.perf_counter() - start, 2)
    (tmp / ".bench-counts.json").write_text(json.dumps(counts))
    shutil.rmtree(root, ignore_errors=True)
    os.rename(tmp, root)
    print(f"  generated {root} in {counts['generate_s']} s", file=sys.stderr)
    return root, counts


def lint_once(root: Path, env: dict[str, str], out) -> tuple[float, int, int]:
    """(wall seconds, exit status, peak RSS in KiB) of one whole-process lint run."""
    cmd = [sys.executable, "-m", "gitops_lint", str(root), "--root", str(root), "--format", "json"]
    out.seek(0)
    out.truncate()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, env=env, cwd=str(PROJECT))
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen.wait
    return seconds, proc.returncode, usage.ru_maxrss  # KiB on Linux


def git_state() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(PROJECT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(PROJECT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head}{' + uncommitted changes' if dirty else ''}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sizes", default="1000,10000,100000", help="comma-separated object counts")
    ap.add_argument(
        "--clusters",
        default="auto",
        help="clusters per repository; auto (default): 2 at 1,000 objects, 6 at 10,000, 20 at 100,000",
    )
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--objects-per-component", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "gitops-lint-bench-scale"))
    args = ap.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    os.makedirs(args.cache_dir, exist_ok=True)

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT), *[p for p in [env.get("PYTHONPATH")] if p]])

    rows = []
    base_us = None
    prev = None
    header = (
        f"{'size':>7} {'shape':>9} {'objects':>8} {'files':>6} {'median s':>9} {'obj/s':>8} "
        f"{'us/obj':>7} {'ratio':>6} {'marg us':>7} {'peak MB':>8} {'findings':>8}  runs (s)"
    )
    states = []
    for size in sizes:
        states.append(git_state())
        root, counts = repo_for(size, args)
        with tempfile.TemporaryFile("w+") as out:
            _, status, _ = lint_once(root, env, out)  # untimed: checks the repository lints clean
            out.seek(0)
            try:
                report = json.load(out)
                findings = len(report["findings"])
            except (ValueError, KeyError):
                findings = -1
            if status != 0 or findings:
                print(f"  {root}: exit {status}, {findings} findings (expected 0)", file=sys.stderr)
            times, peaks = [], []
            for _ in range(args.runs):
                seconds, _, peak = lint_once(root, env, out)
                times.append(seconds)
                peaks.append(peak)
        med = statistics.median(times)
        objects = counts["objects"]
        us = med / objects * 1e6
        if base_us is None:
            base_us = us
        marginal = f"{(med - prev[0]) / (objects - prev[1]) * 1e6:>7.1f}" if prev else f"{'-':>7}"
        prev = (med, objects)
        shape = f"{counts['clusters']}x{counts['components']}"
        rows.append(
            f"{size:>7} {shape:>9} {objects:>8} {counts['files']:>6} {med:>9.2f} {objects / med:>8.0f} "
            f"{us:>7.1f} {us / base_us:>6.2f} {marginal} {statistics.median(peaks) / 1024:>8.0f} "
            f"{findings:>8}  " + " ".join(f"{t:.2f}" for t in times)
        )
        print(rows[-1] if len(rows) > 1 else header + "\n" + rows[-1], flush=True)
    print(
        f"(medians of {args.runs} whole-process runs; ratio = us/object over the {sizes[0]}-object size's; "
        f"shape = clusters x components per layer (--clusters {args.clusters}), {args.layers} layers, "
        f"{args.objects_per_component} objects/component; "
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores; gitops-lint at {git_state()})"
    )
    if len(set(states)) > 1:  # the working tree changed while the benchmark ran
        print("  code measured per size: " + ", ".join(f"{n}: {st}" for n, st in zip(sizes, states)))
    print("targets: 100,000 objects < 60 s and < 2048 MB; ratio <= 1.5 from 1,000 to 100,000")
    return 0


if __name__ == "__main__":
    sys.exit(main())
