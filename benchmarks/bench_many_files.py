"""100,000 tiny files: how long one run takes, and that it reads every file and finds nothing.

    python benchmarks/bench_many_files.py [--files 100000] [--per-dir 1000] [--runs 3] [--timeout 600]

Issue 15 asked that a repository of 100,000 tiny files (one ConfigMap each, a
thousand per directory, no Flux object) lint without trouble. This was a test
(tests/test_hostile.py, about 50 s and 400 MB on 2 cores); its scale is a
benchmark's business, so it lives here and its assertions are this report's
``check`` column: the JSON summary counts every file, and no finding is reported.
The run is a whole process (``python -m gitops_lint ROOT --root ROOT --format
json``, interpreter start included), ``--runs`` times; the table shows the
median wall and CPU seconds and the peak memory (``os.wait4``). Exit status 1
when a check fails or a run times out.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def write_repository(root: Path, files: int, per_dir: int) -> None:
    """``files`` one-document files, ``per_dir`` to a directory under ``apps/``."""
    (root / ".git").mkdir(parents=True)
    for n in range(files):
        d, i = divmod(n, per_dir)
        directory = root / "apps" / f"d{d:03}"
        if i == 0:
            directory.mkdir(parents=True)
        fd = os.open(directory / f"f{i:04}.yaml", os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(
            fd, f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{d}-{i}, namespace: d}}\n".encode()
        )
        os.close(fd)


def one_run(root: Path, timeout: float) -> tuple[float, float, int, dict] | None:
    """(wall s, CPU s, peak MB, JSON report) of one whole-process run; None past ``timeout``."""
    cmd = [sys.executable, "-m", "gitops_lint", str(root), "--root", str(root), "--format", "json"]
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, env=env, cwd=PROJECT)
        while True:
            pid, _, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > timeout:
                proc.kill()
                os.wait4(proc.pid, 0)
                return None
            time.sleep(0.05)
        wall = time.perf_counter() - start
        out.seek(0)
        try:
            report = json.loads(out.read())
        except ValueError:
            report = {}
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024, report


def check(report: dict, files: int) -> str:
    """The old test's assertions: every file counted, no finding."""
    counted = report.get("summary", {}).get("files")
    findings = len(report.get("findings", [None]))
    if counted == files and findings == 0:
        return "ok"
    return f"FAILED: {counted} files counted of {files}, {findings} findings"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--per-dir", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="gl-many-files-"))
    try:
        root = tmp / "repo"
        write_repository(root, args.files, args.per_dir)
        walls, cpus, peaks, verdicts = [], [], [], []
        for _ in range(args.runs):
            got = one_run(root, args.timeout)
            if got is None:
                print(f"{args.files} files: a run took more than {args.timeout:.0f} s")
                return 1
            walls.append(got[0])
            cpus.append(got[1])
            peaks.append(got[2])
            verdicts.append(check(got[3], args.files))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'files':>8} {'median s':>9} {'cpu s':>7} {'peak MB':>8} {'us/file':>8}  check")
    median = statistics.median(walls)
    verdict = next((v for v in verdicts if v != "ok"), "ok")
    print(
        f"{args.files:>8} {median:>9.2f} {statistics.median(cpus):>7.2f} {int(statistics.median(peaks)):>8} "
        f"{median / args.files * 1e6:>8.1f}  {verdict}"
    )
    return 0 if verdict == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
