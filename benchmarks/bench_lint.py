"""Full lint wall time per corpus repository, next to libyaml's parse time.

    python benchmarks/bench_lint.py [--runs 5] [--corpus ../shared/corpus] [--largest 5] [--all] [--format text]
    python benchmarks/bench_lint.py --warm [N] [--runs 5]
    python benchmarks/bench_lint.py --change [N] [--runs 5] [--root] [--unread]

Cold runs (issue 18): for the ``--largest`` repositories of ../shared/corpus (by the
bytes of their YAML files), the median wall time of N whole-process runs of
``python -m gitops_lint --root REPO ENTRY...`` with every entry of the repository
listed in SOURCES.md (what a pre-commit hook or CI pays, interpreter start included;
byte-code cached, as an installed package has it), and the median time
``yaml.load_all(..., CSafeLoader)`` takes over the same repository's YAML files in
one process: the floor a YAML-reading tool cannot go below. ``ratio`` is lint /
parse; the goal is 2.0. ``--all``: every entry of SOURCES.md, one process each.

``--warm``: cold, warm with nothing changed and warm after a change, on Git copies.
``--change``: cold and warm after a one-file change of a file rendering reads (each
measured run misses the whole-run entry and re-does what the change affects from the
finer caches), on Git copies; ``--unread``: of a file no run reads (a README: the stored
run's questions are answered alike, core.observed); see benchmarks/README.md.
``--format text``: every measured run prints the text report instead of JSON, as the
pre-commit hook and a terminal do (it plans the fixes of fixable findings, for ``[*]``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent


def _this_checkout() -> None:
    """This checkout's ``gitops_lint`` first on the path, for what the benchmark asks of it
    in its own process (once: ``run_time`` asks for every run)."""
    if sys.path[:1] != [str(HERE.parent)]:
        sys.path.insert(0, str(HERE.parent))


#: the report every measured run prints (--format): json, or text as the pre-commit hook and a
#: terminal print it (with a fixable finding, text also plans the fixes for its [*] marks)
FORMAT = "json"


def entries(corpus: Path) -> list[tuple[str, str]]:
    out = []
    for line in (corpus / "SOURCES.md").read_text().splitlines():
        m = re.match(r"\|\s*`([^`]+)`\s*\|[^|]*\|([^|]*)\|", line)
        if m and (corpus / m.group(1)).is_dir():
            out.extend((m.group(1), e) for e in re.findall(r"`([^`]+)`", m.group(2)))
    return out


def parse_time(repo: Path) -> float:
    files = yaml_files(repo)
    start = time.perf_counter()
    for p in files:
        with contextlib.suppress(yaml.YAMLError):
            list(yaml.load_all(p.read_bytes(), Loader=yaml.CSafeLoader))
    return time.perf_counter() - start


def lint_time(repo: Path, entry: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "gitops_lint", str(repo / entry), "--root", str(repo), "--format", FORMAT],
        stdout=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - start


# -- cold runs of the largest repositories ---------------------------------------------


def yaml_files(repo: Path) -> list[Path]:
    return [p for p in sorted(repo.rglob("*")) if p.suffix in (".yaml", ".yml") and p.is_file()]


def largest(corpus: Path, count: int) -> list[tuple[str, list[str]]]:
    """The ``count`` repositories with the most YAML bytes, each with all its entries."""
    by_repo: dict[str, list[str]] = {}
    for repo_name, entry in entries(corpus):
        by_repo.setdefault(repo_name, []).append(entry)
    size = {name: sum(p.stat().st_size for p in yaml_files(corpus / name)) for name in by_repo}
    return sorted(by_repo.items(), key=lambda item: -size[item[0]])[:count]


def cold_env(pyc: str) -> dict[str, str]:
    """The environment of a measured run: byte-code written to and read from ``pyc``
    (as an installed package has it; the shared machine sets PYTHONDONTWRITEBYTECODE),
    this checkout first on the path."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = pyc
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent), *[p for p in [env.get("PYTHONPATH")] if p]])
    return env


def command(repo: Path, paths: list[str], *extra: str) -> list[str]:
    """The command line of one whole-process lint of ``paths`` (repository-relative) of
    ``repo``, printing the ``FORMAT`` report (every benchmark of a whole process runs it)."""
    linted = [str(repo / p) for p in paths]
    return [sys.executable, "-m", "gitops_lint", *linted, "--root", str(repo), "--format", FORMAT, *extra]


def cold_run(repo: Path, repo_entries: list[str], env: dict[str, str]) -> float:
    """Wall time of one whole-process lint of the repository (every entry at once)."""
    start = time.perf_counter()
    subprocess.run(command(repo, repo_entries), stdout=subprocess.DEVNULL, env=env, check=False)
    return time.perf_counter() - start


def cold_table(corpus: Path, count: int, runs: int) -> None:
    print(
        f"{'repository':<38} {'entries':>7} {'files':>6} {'YAML MB':>7} {'parse s':>8} {'lint s':>8} {'ratio':>6}"
    )
    with tempfile.TemporaryDirectory(prefix="gitops-lint-pyc-") as pyc:
        env = cold_env(pyc)
        for repo_name, repo_entries in largest(corpus, count):
            repo = corpus / repo_name
            files = yaml_files(repo)
            megabytes = sum(p.stat().st_size for p in files) / 1e6
            cold_run(repo, repo_entries, env)  # warm-up: byte-code cache, file system cache
            parses, lints = [], []
            for _ in range(runs):  # alternated: both sides see the same minutes of a shared machine
                parses.append(parse_time(repo))
                lints.append(cold_run(repo, repo_entries, env))
            parse, lint = statistics.median(parses), statistics.median(lints)
            print(
                f"{repo_name:<38} {len(repo_entries):>7} {len(files):>6} {megabytes:>7.1f} "
                f"{parse:>8.3f} {lint:>8.3f} {lint / parse:>6.1f}"
            )


def all_entries_table(corpus: Path, runs: int) -> None:
    print(f"{'repository:entry':<58} {'files':>6} {'parse s':>8} {'lint s':>8} {'ratio':>6}")
    for repo_name, entry in entries(corpus):
        repo = corpus / repo_name
        nfiles = len(yaml_files(repo))
        parse = statistics.median(parse_time(repo) for _ in range(runs))
        lint = statistics.median(lint_time(repo, entry) for _ in range(runs))
        print(f"{repo_name + ':' + entry:<58} {nfiles:>6} {parse:>8.3f} {lint:>8.3f} {lint / parse:>6.1f}")


# -- warm runs (--warm): the cache of gitops_lint.cache -------------------------------


def git_copy(repo: Path, target: Path) -> Path:
    """A copy of ``repo`` made a Git work tree: the cache is written only there. Returned once
    its files are older than the racy window, as a repository a user edits is (the copy
    gives every file a new ctime): otherwise the first warm runs would hash every file
    again (``cache.RACY_NS``, git's racy rule: a stat is trusted only once it is older)."""
    import shutil

    _this_checkout()
    from gitops_lint.cache import RACY_NS

    shutil.copytree(repo, target, symlinks=True)
    if subprocess.run(["git", "init", "-q", str(target)], check=False).returncode != 0:
        (target / ".git").mkdir()
    time.sleep(RACY_NS / 1e9 + 0.1)
    return target


# the cache as a user has it; byte-code caches as an installed package has them
_NOT_PASSED = ("GITOPS_LINT_NO_CACHE", "GITOPS_LINT_CACHE_DIR", "PYTHONDONTWRITEBYTECODE")


def run_time(repo: Path, entry_paths: list[str], *extra: str) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one whole-process lint: until the process
    ends, what a hook waits for. The cache stores it writes after its report, in a child
    of its own (README "Cache"), are waited for after the timing, so that the next run
    starts with them written and has the CPU to itself; their CPU is not counted (the
    system hands that child to init, not to this process)."""
    _this_checkout()
    from gitops_lint.cache import DIR_NAME, wait_for_stores

    before = os.times()
    start = time.perf_counter()
    subprocess.run(
        command(repo, entry_paths, *extra),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if k not in _NOT_PASSED},
        check=False,
    )
    wall = time.perf_counter() - start
    after = os.times()
    wait_for_stores(str(repo / DIR_NAME), timeout=60)
    return wall, (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )


def medians(samples: list[tuple[float, float]]) -> str:
    return (
        f"{statistics.median(w for w, _ in samples):>7.3f} {statistics.median(c for _, c in samples):>6.3f}"
    )


def machine() -> str:
    """What one machine's seconds are worth next to another's, printed under every table:
    the median of three runs of a fixed pure-Python loop (the interpreter's speed on this
    CPU, which a lint's time follows) and of five bare interpreter start-ups (``python -c
    pass``: what site-packages' ``.pth`` files add to every process; a pre-commit hook's
    own virtual environment has none but its own). The tables of benchmarks/README.md
    come from machines up to 2.5 times apart: compare rows measured with the same figures."""

    def loop() -> float:
        start = time.perf_counter()
        total = 0
        for i in range(3_000_000):
            total += i
        return time.perf_counter() - start

    def bare() -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=False)
        return time.perf_counter() - start

    steps = statistics.median(loop() for _ in range(3))
    startup = statistics.median(bare() for _ in range(5))
    return (
        f"machine: a 3,000,000-step Python loop {steps:.3f} s, interpreter start-up {startup * 1000:.0f} ms"
    )


def warm(corpus: Path, runs: int, n: int) -> None:
    """Cold (--no-cache), warm with nothing changed, warm after a one-file change: medians.

    Each repository is copied to a temporary Git work tree (the corpus itself is
    never written). The one-file change appends a comment naming the run to the
    file ``--change`` edits (``rendered_file``): new content each time, so each of
    those runs is a miss of the run cache.
    """
    head = "  wall s  cpu s"
    print(f"{'repository':<36} {'files':>6} | cold{head} | warm{head} | 1-file{head}")
    with tempfile.TemporaryDirectory(prefix="bench-warm-") as tmp:
        for repo_name, paths in largest(corpus, n):
            repo = git_copy(corpus / repo_name, Path(tmp) / repo_name)
            nfiles = len(yaml_files(repo))
            cold = [run_time(repo, paths, "--no-cache") for _ in range(runs)]
            run_time(repo, paths)  # fills the cache
            hit = [run_time(repo, paths) for _ in range(runs)]
            target = rendered_file(repo, paths)
            changed = []
            for i in range(runs):
                with open(target, "a", encoding="utf-8") as fh:
                    fh.write(f"# bench change {i}\n")
                changed.append(run_time(repo, paths))
            print(
                f"{repo_name:<36} {nfiles:>6} |    {medians(cold)} |    {medians(hit)} |      {medians(changed)}"
            )
    print(
        f"(medians of {runs} runs, whole processes, --format {FORMAT}, python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f})"
    )
    print(machine())


# -- a warm run after a one-file change (--change): what a pre-commit hook pays -------------


def rendered_file(repo: Path, repo_entries: list[str]) -> Path:
    """The file a one-file change edits: one that rendering reads, chosen the same way on
    every machine. The first (by path) ``helmrelease.yaml`` a render of the repository reads,
    else the first file it reads holding a HelmRelease, else the first manifest it reads."""
    _this_checkout()
    from gitops_lint.lint import Linter
    from gitops_lint.load.config import load_config
    from gitops_lint.vocabulary import vocabulary

    linter = Linter(str(repo), load_config(str(repo), known=vocabulary()))
    linter.build_clusters([str(repo / e) for e in repo_entries])
    read = sorted(linter.cache.manifests)

    def helm(rel: str) -> bool:
        return any(
            isinstance(d.data, dict) and d.data.get("kind") == "HelmRelease"
            for d in linter.cache.files[rel].documents
        )

    for choice in (
        [r for r in read if os.path.basename(r) == "helmrelease.yaml"],
        [r for r in read if helm(r)],
        read,
    ):
        if choice:
            return repo / choice[0]
    raise SystemExit(f"{repo.name}: a render reads no file")


def unread_file(repo: Path) -> Path | None:
    """A file no run of gitops-lint reads, chosen the same way on every machine: the first
    (by path) Markdown file, else text file or image, outside ``.git`` (not a shell script,
    a Makefile or a Terraform file: discovery reads those)."""
    for suffix in (".md", ".txt", ".png"):
        found = sorted(p for p in repo.rglob(f"*{suffix}") if ".git" not in p.parts and p.is_file())
        if found:
            return found[0]
    return None


def change(corpus: Path, runs: int, n: int, root: bool = False, unread: bool = False) -> None:
    """Cold (--no-cache) and warm after a one-file change, on a Git copy of each repository.

    The cache is filled by one run; then each measured run first appends a comment line
    naming the run to the same file (``rendered_file``): new content each time, so every
    measured run misses the whole-run entry and re-does what that change affects, from
    the finer caches (parsed files, builds). Medians of ``runs``, whole processes.
    ``root``: lint the repository root, as the pre-commit hook does (every entry discovery
    finds, every YAML file of the repository judged), instead of SOURCES.md's entries;
    the changed file is the same. ``unread``: the changed file is one no run reads
    (``unread_file``: a README), which the stored run's questions show (core.observed).
    """
    head = "  wall s  cpu s"
    print(f"{'repository':<36} {'files':>6} | cold{head} | 1-file{head} | changed file")
    with tempfile.TemporaryDirectory(prefix="bench-change-") as tmp:
        for repo_name, paths in largest(corpus, n):
            repo = git_copy(corpus / repo_name, Path(tmp) / repo_name)
            nfiles = len(yaml_files(repo))
            target = unread_file(repo) if unread else rendered_file(repo, paths)
            if target is None:
                print(f"{repo_name:<36} (no file to change)")
                continue
            linted = [""] if root else paths
            run_time(repo, linted)  # fills the caches (and byte-code)
            cold, changed = [], []
            for i in range(runs):  # alternated: both see the same minutes of a shared machine
                cold.append(run_time(repo, linted, "--no-cache"))
                with open(target, "a", encoding="utf-8") as fh:
                    fh.write(f"# bench change {i}\n")
                changed.append(run_time(repo, linted))
            print(
                f"{repo_name:<36} {nfiles:>6} |    {medians(cold)} |      {medians(changed)} | "
                f"{target.relative_to(repo)}"
            )
    print(
        f"(medians of {runs} runs, whole processes, --format {FORMAT}, python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f})"
    )
    print(machine())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--corpus", default=str(HERE.parent.parent / "shared" / "corpus"))
    ap.add_argument("--largest", type=int, default=5, help="cold runs of the N largest repositories")
    ap.add_argument("--all", action="store_true", help="every entry of SOURCES.md, one process each")
    ap.add_argument(
        "--warm",
        type=int,
        nargs="?",
        const=5,
        metavar="N",
        help="instead: cold / warm / warm after a one-file change on the N largest repositories (default 5)",
    )
    ap.add_argument(
        "--change",
        type=int,
        nargs="?",
        const=5,
        metavar="N",
        help="instead: cold / warm after a one-file change (a file rendering reads) on the N largest repositories",
    )
    ap.add_argument(
        "--root",
        action="store_true",
        help="with --change: lint each repository's root, as the pre-commit hook does, not its entries",
    )
    ap.add_argument(
        "--unread",
        action="store_true",
        help="with --change: change a file no run reads (a README), not one rendering reads",
    )
    ap.add_argument(
        "--format",
        choices=("json", "text"),
        default="json",
        help="the report each measured run prints (default json; text: what the pre-commit hook prints, "
        "which plans the fixes of fixable findings for its [*] marks)",
    )
    args = ap.parse_args()
    global FORMAT
    FORMAT = args.format
    corpus = Path(args.corpus)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    if args.warm:
        warm(corpus, args.runs, args.warm)
        return
    if args.change:
        change(corpus, args.runs, args.change, root=args.root, unread=args.unread)
        return
    if args.all:
        all_entries_table(corpus, args.runs)
    else:
        cold_table(corpus, args.largest, args.runs)
    print(
        f"(medians of {args.runs} runs; lint is a whole process, --format {FORMAT}, python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cores, load average {load:.1f} at the start)"
    )
    print(machine())


if __name__ == "__main__":
    main()
