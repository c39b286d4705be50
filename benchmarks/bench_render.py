"""Built-in kustomize renderer vs ``kubectl kustomize``, on a real repository.

Renders every directory holding a kustomization file of the largest corpus
repository (../shared/corpus/bjw-s-labs__home-ops by default):

* built-in: one Python process renders all of them (start-up, imports,
  YAML parsing and every build included), timed from the outside;
* kubectl: one ``kubectl kustomize --load-restrictor=LoadRestrictionsNone``
  process per directory, the times summed.

Each side is run ``--runs`` times (default 5) and the median reported. The
Python side runs as an installed package runs: the real interpreter (not a
pyenv shim), byte-code caching on (in a scratch directory; one untimed
warm-up run fills it), and without the interpreter's ``site`` start-up
hooks (``-S``, site-packages put on ``PYTHONPATH`` instead): development
containers install ``.pth`` files that import unrelated packages (a CA
injector importing ``certifi``) at every interpreter start, which is not
gitops-lint's cost. ``--site`` keeps them. With ``--check`` the objects of
both sides are compared first (the speed-up is only meaningful if they
agree).

Usage: python benchmarks/bench_render.py [REPO] [--runs N] [--check] [--site]
"""

from __future__ import annotations

import argparse
import os
import site
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_REPO = PROJECT.parent / "shared" / "corpus" / "bjw-s-labs__home-ops"
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

# The whole built-in side, as one process: argv = root, then directories.
BUILTIN = """
import sys
from gitops_lint.core.fs import RepoFS
from gitops_lint.load.loader import DocumentCache
from gitops_lint.render.kustomize import Kustomizer
root = sys.argv[1]
fs = RepoFS(root)
renderer = Kustomizer(fs, DocumentCache(fs))
count = 0
for rel in sys.argv[2:]:
    count += len(renderer.build("" if rel == "." else rel).resources)
print(count)
"""


def overlays(root: Path) -> list[str]:
    out = []
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        if any(f in files for f in KUSTOMIZATION_FILES):
            out.append(os.path.relpath(current, root))
    return sorted(out)


def run_builtin(root: Path, dirs: list[str], env: dict[str, str], flags: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, *flags, "-c", BUILTIN, str(root), *dirs],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return time.perf_counter() - start, int(proc.stdout.strip())


def run_kubectl(root: Path, dirs: list[str]) -> tuple[float, list[float]]:
    each = []
    for rel in dirs:
        start = time.perf_counter()
        subprocess.run(
            ["kubectl", "kustomize", "--load-restrictor=LoadRestrictionsNone", str(root / rel)],
            capture_output=True,
        )
        each.append(time.perf_counter() - start)
    return sum(each), each


def check(root: Path, dirs: list[str]) -> int:
    """Directories whose objects differ between the two renderers."""
    sys.path.insert(0, str(PROJECT))
    from gitops_lint.core.fs import RepoFS
    from gitops_lint.load.loader import DocumentCache, parse_text
    from gitops_lint.render.kustomize import Kustomizer

    fs = RepoFS(str(root))
    renderer = Kustomizer(fs, DocumentCache(fs))
    differ = 0
    for rel in dirs:
        proc = subprocess.run(
            ["kubectl", "kustomize", "--load-restrictor=LoadRestrictionsNone", str(root / rel)],
            capture_output=True,
            text=True,
        )
        result = renderer.build("" if rel == "." else rel)
        if proc.returncode != 0:
            ok = bool(result.issues)
        else:
            ok = [d.data for d in parse_text(proc.stdout, "kubectl").documents] == [
                r.obj for r in result.resources
            ]
        if not ok:
            differ += 1
            print(f"  differs: {rel}")
    return differ


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", nargs="?", default=str(DEFAULT_REPO))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--check", action="store_true", help="compare the objects of both sides first")
    parser.add_argument("--site", action="store_true", help="keep the interpreter's site start-up hooks")
    args = parser.parse_args()
    root = Path(args.repo).resolve()
    if not root.is_dir():
        print(f"{root}: not a directory (the corpus is at ../shared/corpus)", file=sys.stderr)
        return 2
    dirs = overlays(root)
    print(f"repository: {root.name}, {len(dirs)} kustomization directories")
    if args.check:
        differ = check(root, dirs)
        print(f"check: {len(dirs) - differ}/{len(dirs)} directories identical")

    with tempfile.TemporaryDirectory(prefix="gitops-lint-pyc-") as pyc:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = pyc
        paths = [str(PROJECT)]
        flags: list[str] = []
        if not args.site:
            flags = ["-S"]
            paths += site.getsitepackages()
        env["PYTHONPATH"] = os.pathsep.join(paths + [p for p in [env.get("PYTHONPATH")] if p])
        run_builtin(root, dirs, env, flags)  # warm-up: byte-code cache
        builtin = []
        kubectl = []
        per_overlay: list[float] = []
        objects = 0
        for _ in range(args.runs):
            seconds, objects = run_builtin(root, dirs, env, flags)
            builtin.append(seconds)
            total, each = run_kubectl(root, dirs)
            kubectl.append(total)
            per_overlay.extend(each)

    b, k = statistics.median(builtin), statistics.median(kubectl)
    rows = [
        ("", "built-in (1 process)", "kubectl kustomize"),
        ("overlays", str(len(dirs)), str(len(dirs))),
        ("objects rendered", str(objects), ""),
        (f"total, median of {args.runs}", f"{b * 1000:8.0f} ms", f"{k * 1000:8.0f} ms"),
        (
            "per overlay",
            f"{b / len(dirs) * 1000:8.2f} ms",
            f"{statistics.median(per_overlay) * 1000:8.2f} ms",
        ),
        ("runs (s)", " ".join(f"{x:.2f}" for x in builtin), " ".join(f"{x:.2f}" for x in kubectl)),
    ]
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(width[i]) for i, cell in enumerate(row)))
    print(f"speed-up: {k / b:.1f}x (goal: 20x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
