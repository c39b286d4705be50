"""Hostile inputs that used to be quadratic (or worse): size -> median seconds.

    python benchmarks/bench_hostile.py [--runs 3] [--timeout 120] [--case NAME ...] [--scale 1.0]

Each case writes a small Flux repository whose one dimension grows (values in
one mapping, Kustomizations applying one directory, ``${`` in one value, alias
documents in one file, ...) at three or more sizes, and runs

    python -m gitops_lint ROOT --root ROOT --format json

as a whole process (interpreter start included) ``--runs`` times per size,
printing the median wall time, CPU time and peak memory of the run (``os.wait4``).
A run over ``--timeout`` seconds is killed and shown as ``>TIMEOUT``: the old,
quadratic code does that at the largest sizes. Linear code shows the time per
unit (last column) staying flat as the size grows. Issue 15's bar: none over
10 s at its largest size.
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
from collections.abc import Callable
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

GOTK_SYNC = """apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: flux-system, namespace: flux-system}
spec: {interval: 1m, ref: {branch: main}, url: ssh://git@github.com/example/fleet}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: flux-system, namespace: flux-system}
spec:
  interval: 10m
  path: ./clusters/dev
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
"""


def ks(name: str, path: str, extra: str = "") -> str:
    return (
        f"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        f"metadata: {{name: {name}, namespace: flux-system}}\n"
        f"spec:\n  interval: 10m\n  path: {path}\n  prune: true\n"
        "  sourceRef: {kind: GitRepository, name: flux-system}\n" + extra
    )


def base(root: Path, files: dict[str, str]) -> Path:
    """A cluster entry at clusters/dev plus ``files``."""
    (root / ".git").mkdir(parents=True, exist_ok=True)
    files = {
        "clusters/dev/flux-system/kustomization.yaml": "resources: [gotk-sync.yaml]\n",
        "clusters/dev/flux-system/gotk-sync.yaml": GOTK_SYNC,
        **files,
    }
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


# -- the inputs ------------------------------------------------------------------


def configmap_values(root: Path, n: int) -> Path:
    """One ConfigMap with ``n`` data values, each a finding at its own field (a number
    where the schema wants a string): one field position per value."""
    data = "".join(f"  k{i}: {i}\n" for i in range(n))
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big, namespace: default}\ndata:\n" + data
    return base(root, {"clusters/dev/apps.yaml": ks("apps", "./apps"), "apps/cm.yaml": cm})


def shared_directory(root: Path, n: int) -> Path:
    """``n`` Kustomizations applying one directory of 10 objects: each object has ``n`` owners."""
    cm = "---\n".join(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: shared{i}, namespace: default}}\ndata: {{a: b}}\n"
        for i in range(10)
    )
    many = "---\n".join(ks(f"k{i}", "./apps") for i in range(n))
    return base(root, {"clusters/dev/apps.yaml": many, "apps/cm.yaml": cm})


def invalid_dollars(root: Path, n: int) -> Path:
    """A substituted ConfigMap value holding ``n`` times an unterminated ``${``."""
    value = "${a " * n
    cm = (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c, namespace: default}}\ndata:\n  v: '{value}'\n"
    )
    post = "  postBuild:\n    substitute: {x: y}\n"
    return base(root, {"clusters/dev/apps.yaml": ks("apps", "./apps", post), "apps/cm.yaml": cm})


def alias_documents(root: Path, n: int) -> Path:
    """``n`` documents in one file, each expanding through aliases to ~1,000,000 nodes
    (each under the old per-document budget of 2,000,000)."""
    levels = ["  l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 6):
        levels.append(f"  l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    doc = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d, namespace: default}\ndata:\n" + "\n".join(
        levels
    )
    text = "\n---\n".join(doc % i for i in range(n)) + "\n"
    return base(root, {"clusters/dev/apps.yaml": ks("apps", "./apps"), "apps/cm.yaml": text})


def many_documents(root: Path, n: int) -> Path:
    """``n`` documents in one file, each with a suppression comment and a finding."""
    doc = (
        "# gitops-lint: disable=plaintext-secret\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d}\ndata: {a: b}\n"
    )
    text = "---\n".join(doc % i for i in range(n))
    return base(root, {"clusters/dev/apps.yaml": ks("apps", "./apps"), "apps/cm.yaml": text})


def many_files(root: Path, n: int) -> Path:
    """``n`` files in one directory, each a ConfigMap."""
    files = {
        f"apps/f{i:06}.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}, namespace: d}}\n"
        for i in range(n)
    }
    return base(root, {"clusters/dev/apps.yaml": ks("apps", "./apps"), **files})


def many_patches(root: Path, n: int) -> Path:
    """A kustomization with ``n`` patches of one Deployment."""
    patches = "".join(
        f"  - target: {{kind: Deployment, name: web}}\n    patch: |\n"
        f"      - {{op: add, path: /metadata/labels/l{i}, value: v{i}}}\n"
        for i in range(n)
    )
    dep = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default, labels: {a: b}}\n"
        "spec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n"
        "    spec: {containers: [{name: c, image: nginx}]}\n"
    )
    return base(
        root,
        {
            "clusters/dev/apps.yaml": ks("apps", "./apps"),
            "apps/kustomization.yaml": "resources: [dep.yaml]\npatches:\n" + patches,
            "apps/dep.yaml": dep,
        },
    )


def many_variables(root: Path, n: int) -> Path:
    """One substituted file with ``n`` values, each an undefined ``${}`` (a finding each)."""
    data = "".join(f"  k{i}: ${{missing_{i}}}\n" for i in range(n))
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\ndata:\n" + data
    post = "  postBuild:\n    substitute: {x: y}\n"
    return base(root, {"clusters/dev/apps.yaml": ks("apps", "./apps", post), "apps/cm.yaml": cm})


def depends_chain(root: Path, n: int) -> Path:
    """``n`` Kustomizations, each depending on the previous one (a chain ``n`` deep)."""
    docs = []
    for i in range(n):
        dep = f"  dependsOn: [{{name: k{i - 1}}}]\n" if i else ""
        docs.append(ks(f"k{i}", "./apps", dep))
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\ndata: {a: b}\n"
    cm = cm.replace("name: c,", "name: c, annotations: {kustomize.toolkit.fluxcd.io/ssa: IfNotPresent},")
    return base(root, {"clusters/dev/apps.yaml": "---\n".join(docs), "apps/cm.yaml": cm})


def nested_chain(root: Path, n: int) -> Path:
    """``n`` Kustomizations, each applying the directory of the next (nesting ``n`` deep)."""
    files = {"clusters/dev/apps.yaml": ks("k0", "./n/0")}
    for i in range(n):
        nxt = ks(f"k{i + 1}", f"./n/{i + 1}") if i + 1 < n else ""
        cm = (
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}, namespace: default}}\ndata: {{a: b}}\n"
        )
        files[f"n/{i}/objects.yaml"] = cm + ("---\n" + nxt if nxt else "")
    return base(root, files)


def missing_sources(root: Path, n: int) -> Path:
    """``n`` Kustomizations whose source is not in Git (each waits, then renders)."""
    docs = [ks(f"k{i}", "./apps").replace("name: flux-system}", "name: absent}") for i in range(n)]
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\ndata: {a: b}\n"
    return base(root, {"clusters/dev/apps.yaml": "---\n".join(docs), "apps/cm.yaml": cm})


CASES: dict[str, tuple[Callable[[Path, int], Path], list[int], str]] = {
    "configmap-values": (configmap_values, [10_000, 20_000, 40_000], "values in one mapping"),
    "shared-directory": (shared_directory, [800, 1_600, 3_200], "Kustomizations applying one directory"),
    "invalid-dollars": (invalid_dollars, [12_500, 25_000, 50_000], "unterminated ${ in one value"),
    "alias-documents": (alias_documents, [25, 50, 100], "alias documents in one file"),
    "many-documents": (many_documents, [5_000, 10_000, 20_000], "documents in one file"),
    "many-files": (many_files, [5_000, 10_000, 20_000], "files in one directory"),
    "many-patches": (many_patches, [500, 1_000, 2_000], "patches in one kustomization"),
    "many-variables": (many_variables, [10_000, 20_000, 40_000], "${} in one file"),
    "depends-chain": (depends_chain, [2_500, 5_000, 10_000], "Kustomizations in one dependsOn chain"),
    "nested-chain": (nested_chain, [1_000, 2_000, 4_000], "Kustomizations each applying the next"),
    "missing-sources": (
        missing_sources,
        [1_000, 2_000, 4_000],
        "Kustomizations waiting for an absent source",
    ),
}


def peak_run(cmd: list[str], timeout: float) -> tuple[float, int, float] | None:
    """Wall seconds, peak RSS (MB) and CPU seconds (user + system) of one process, or
    None when it ran out of time. CPU time says more than wall time on a busy machine."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=PROJECT)
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            return time.perf_counter() - start, usage.ru_maxrss // 1024, usage.ru_utime + usage.ru_stime
        if time.perf_counter() > deadline:
            proc.kill()
            os.wait4(proc.pid, 0)
            return None
        time.sleep(0.02)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--case", action="append", choices=sorted(CASES))
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply every size (e.g. 0.25 for a quick look)"
    )
    args = parser.parse_args(argv)
    print(f"{'case':18} {'size':>8} {'median s':>9} {'cpu s':>7} {'peak MB':>8} {'us/unit':>9}  unit")
    for name in args.case or list(CASES):
        make, sizes, unit = CASES[name]
        for size in (max(1, int(s * args.scale)) for s in sizes):
            tmp = Path(tempfile.mkdtemp(prefix=f"gl-hostile-{name}-"))
            try:
                root = make(tmp / "repo", size)
                cmd = [
                    sys.executable,
                    "-m",
                    "gitops_lint",
                    str(root),
                    "--root",
                    str(root),
                    "--format",
                    "json",
                ]
                times, peaks, cpus = [], [], []
                for _ in range(args.runs):
                    got = peak_run(cmd, args.timeout)
                    if got is None:
                        times = []
                        break
                    times.append(got[0])
                    peaks.append(got[1])
                    cpus.append(got[2])
                if not times:
                    print(
                        f"{name:18} {size:>8} {'>' + str(int(args.timeout)):>9} {'-':>7} {'-':>8} {'-':>9}  {unit}"
                    )
                    continue
                median = statistics.median(times)
                print(
                    f"{name:18} {size:>8} {median:>9.2f} {statistics.median(cpus):>7.2f} "
                    f"{int(statistics.median(peaks)):>8} "
                    f"{median / size * 1e6:>9.1f}  {unit}",
                    flush=True,
                )
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
