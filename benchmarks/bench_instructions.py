"""Two checkouts' instruction counts for the same lint, cold and after a one-file change.

    python benchmarks/bench_instructions.py OTHER_CHECKOUT [--repo NAME]... [--largest 5]

A shared machine's wall times vary by 5 to 15% from one run to the next (two runs of
the same commit on this session's machine: 45 and 110 ms apart after a change), so a
change worth 1 or 2% cannot be seen in them without hundreds of runs. The number of
instructions a process executes can: under valgrind's callgrind, with a fixed hash
seed, the same checkout on the same input executes the same instructions to the last
one (the import of every module a warm run imports: 524,121,527 twice), and two
checkouts of the same commit come within 0.1% (their paths differ in length, so do
the addresses of objects, and whatever a run orders by identity may do a little more
or less work). For each
repository, each checkout gets its own Git copy; a lint without cache writes the
byte-code, then one ``--no-cache`` lint and, after the cache is filled and a comment is
appended to ``bench_lint.rendered_file``, one warm lint run under callgrind. The cache is
filled as a repository's cache is after a few commits: by one lint, then one more after
a first change (not counted). A first run keeps no schema verdicts (an object's content
key is made from its build's record, which a run without kept builds makes only after
its report, in the stores child), so the run after it validates every object again: a
measure of that second run is not the steady state (``bench_lint.py --change``'s median
of five is). Until the fifteenth round the counted run was that second one.
Printed: the lint process's instructions (millions), other and this, and the change;
whether the JSON reports are the same. The two checkouts run at once (one core each).

Each run is one process (``GITOPS_LINT_JOBS=1``): with a child parsing ahead or
workers building clusters, which process does which part of the work depends on
timing, and the main process's count is no longer exact (sulibot's cold run: +0.9% for
a change that removes instructions). So the count is the run's whole work, not the
part a second CPU would take off what a hook waits for; the child that writes the
cache's stores after the report is not counted. Needs valgrind (``apt install
valgrind``); each run takes a minute or a few under it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_ab import stored_lint  # noqa: E402
from bench_lint import _NOT_PASSED, command, git_copy, largest, rendered_file  # noqa: E402


def counted(code: str, repo: Path, paths: list[str], out: Path, *extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in _NOT_PASSED}
    env.update(PYTHONPATH=code, PYTHONHASHSEED="0", GITOPS_LINT_JOBS="1")
    return subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}.%p", *command(repo, paths, *extra)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=code,
    )


def plain(code: str, repo: Path, paths: list[str], *extra: str) -> None:
    """One lint not counted (byte-code, the cache filled), its cache's stores written after it."""
    stored_lint(code, {k: v for k, v in os.environ.items() if k not in _NOT_PASSED}, repo, paths, *extra)


def instructions(out: Path, pid: int) -> int:
    """The main process's total: the file of its own pid (children write theirs)."""
    for line in Path(f"{out}.{pid}").read_text().splitlines():
        if line.startswith("summary:"):
            return int(line.split()[1])
    raise SystemExit(f"{out}.{pid}: no summary")


def both(codes: dict[str, str], copies: dict[str, Path], paths: list[str], tmp: Path, tag: str, *extra: str):
    """Run each checkout once under callgrind at the same time: (instructions, report) each."""
    started = {
        name: counted(code, copies[name], paths, tmp / f"{tag}-{name}", *extra)
        for name, code in codes.items()
    }
    reports = {name: proc.communicate()[0] for name, proc in started.items()}
    from gitops_lint.cache import DIR_NAME, wait_for_stores

    for copy in copies.values():  # the stores child runs under callgrind too: slow, and in the copy
        wait_for_stores(str(copy / DIR_NAME), timeout=600)
    return {name: (instructions(tmp / f"{tag}-{name}", started[name].pid), reports[name]) for name in codes}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("other", help="another checkout of gitops-lint (say, a worktree of main)")
    ap.add_argument("--corpus", default=str(HERE.parent.parent / "shared" / "corpus"))
    ap.add_argument("--largest", type=int, default=5)
    ap.add_argument("--repo", action="append", help="only this corpus repository (repeatable)")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: it counts the instructions")
    codes = {"other": str(Path(args.other).resolve()), "this": str(HERE.parent)}
    print(f"{'repository':<38} {'run':<7} {'other M':>9} {'this M':>9} {'change':>7}  report")
    with tempfile.TemporaryDirectory(prefix="bench-instructions-") as name:
        tmp = Path(name)
        for repo_name, paths in largest(Path(args.corpus), args.largest):
            if args.repo and repo_name not in args.repo:
                continue
            copies = {side: git_copy(Path(args.corpus) / repo_name, tmp / side / repo_name) for side in codes}
            target = rendered_file(copies["this"], paths).relative_to(copies["this"])
            for side, code in codes.items():
                plain(code, copies[side], paths, "--no-cache")  # byte-code
            cold = both(codes, copies, paths, tmp, f"{repo_name}-cold", "--no-cache")
            for side, code in codes.items():
                plain(code, copies[side], paths)  # fills the cache
                with open(copies[side] / target, "a", encoding="utf-8") as fh:
                    fh.write("# bench first change\n")
                plain(code, copies[side], paths)  # and its verdicts, as a run after a change does
            # no wait here: the fill's stores are written (plain waits for them), every other
            # file is older than the racy window (git_copy waited it out), and the appended
            # line changes the file's size, which the walk's stat memo sees at once
            for side in codes:
                with open(copies[side] / target, "a", encoding="utf-8") as fh:
                    fh.write("# bench change\n")
            warm = both(codes, copies, paths, tmp, f"{repo_name}-warm")
            for run, counts in (("cold", cold), ("change", warm)):
                (a, ra), (b, rb) = counts["other"], counts["this"]
                print(
                    f"{repo_name:<38} {run:<7} {a / 1e6:>9.1f} {b / 1e6:>9.1f} {(b - a) / a:>+7.2%}  "
                    f"{'same' if ra == rb else 'DIFFER'}"
                )
    print(
        "(instructions of the lint's process under callgrind, GITOPS_LINT_JOBS=1, PYTHONHASHSEED=0, --format json)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
