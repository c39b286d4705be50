"""Run gitops-lint in-process the way the command line does."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from gitops_lint.cli import main
from gitops_lint.lint import Linter, LintResult
from gitops_lint.load.config import Config, load_config
from gitops_lint.vocabulary import vocabulary


def lint_repo(root: Path | str, *paths: str, config: Config | None = None) -> LintResult:
    root = str(root)
    cfg = config if config is not None else load_config(root, known=vocabulary())
    return Linter(root, cfg).run([str(Path(root) / p) for p in paths] if paths else [root])


def least_seconds(body: Callable[[], object], runs: int = 3, clock=time.process_time) -> float:
    """The least time ``body`` took over ``runs`` calls, by ``clock``. A linearity check of
    hostile input compares it with a bound far above the linear time and far below the
    quadratic one; the least of a few runs, not one, because a shared machine (a virtual
    CPU another guest holds, a collection of an earlier test's heap) can add seconds to any
    single run: seen once as 1.7 s of CPU for a 0.1 s lint."""
    spent = []
    for _ in range(runs):
        start = clock()
        body()
        spent.append(clock() - start)
    return min(spent)


#: ``GITOPS_LINT_CORPUS_ALL=1``: the corpus-wide equivalence tests that sample (the kept
#: builds' and the answered questions' corpus tests) take every repository and change
CORPUS_ALL = "GITOPS_LINT_CORPUS_ALL"


def in_sample(name: str, stride: int) -> bool:
    """Whether ``name`` is in the deterministic sample of about one in ``stride``: its
    SHA-1 is divisible by ``stride`` (the same on every machine and run)."""
    import hashlib

    return int(hashlib.sha1(name.encode()).hexdigest(), 16) % stride == 0


def corpus_sample(items: list[str], stride: int) -> list[str]:
    """About one in ``stride`` of ``items`` (:func:`in_sample`, as the kubectl differential
    test samples directories), or all of them under ``GITOPS_LINT_CORPUS_ALL=1``. The suite
    must stay under 10 minutes on two cores; the whole set is for a change of what those
    tests guard (the caches)."""
    if os.environ.get(CORPUS_ALL) or stride <= 1:
        return list(items)
    return [i for i in items if in_sample(i, stride)]


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


def positions(result: LintResult, min_severity=None) -> list[str]:
    """Findings as ``FILE:LINE RULE`` lines, the format of expected.txt."""
    return sorted(
        f"{f.file}:{f.line} {f.rule}"
        for f in result.findings
        if min_severity is None or f.severity >= min_severity
    )


# -- small Flux repositories ----------------------------------------------------------


def gotk(cluster: str = "dev") -> dict[str, str]:
    """A cluster entry at clusters/<cluster>: the bootstrap source and Kustomization."""
    base = f"clusters/{cluster}/flux-system"
    return {
        f"{base}/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - gotk-sync.yaml\n",
        f"{base}/gotk-sync.yaml": f"""apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m
  ref: {{branch: main}}
  url: ssh://git@github.com/example/fleet
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 10m
  path: ./clusters/{cluster}
  prune: true
  sourceRef: {{kind: GitRepository, name: flux-system}}
""",
    }


GOTK = gotk("dev")


KUSTOMIZATION = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"


def widget_crd(spec: str) -> str:
    """A CustomResourceDefinition of ``example.com/v1`` ``Widget`` whose ``spec`` field has
    the schema ``spec`` (YAML lines, indented as the value of ``spec:`` under ``properties``)."""
    return (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata: {name: widgets.example.com}\n"
        "spec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n"
        "  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema:\n"
        "        openAPIV3Schema:\n          type: object\n          properties:\n            spec:\n" + spec
    )


def ks(name: str, path: str, depends=(), extra: str = "") -> str:
    deps = "".join(f"    - name: {d}\n" for d in depends)
    return (
        f"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n"
        f"  namespace: flux-system\nspec:\n"
        + (f"  dependsOn:\n{deps}" if deps else "")
        + f"  interval: 10m\n  path: {path}\n  prune: true\n"
        "  sourceRef: {kind: GitRepository, name: flux-system}\n" + extra
    )


def report_formats() -> list[str]:
    """Every report format: each registered reporter (``gitops_lint.report.FORMATS``) and each
    ``--format`` choice of the command line, read from its usage line (public output, not
    argparse's internals), so a format added to either one is covered."""
    from gitops_lint.cli import lint_parser
    from gitops_lint.report import FORMATS

    choices = re.search(r"--format \{([^}]*)\}", lint_parser().format_usage())
    assert choices, "the usage line shows no --format {...} choices"
    return sorted(set(FORMATS) | set(choices.group(1).split(",")))


def copy_checkout(dest: Path, names) -> Path:
    """The named files and directories of this checkout, copied to ``dest`` without
    byte-code, build output or egg-info: what an install from a clean clone sees."""
    from tests.conftest import PROJECT

    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc", "build", "dist")
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        src = PROJECT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        else:
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def side_shards(root: Path, side: str) -> list[Path]:
    """The shard files of side entry ``side`` in the warm cache of repository ``root``."""
    from gitops_lint import cache as cache_module

    return sorted((root / cache_module.DIR_NAME).glob(f"v*/side-{side}-*.rec"))


def kept_records(root: Path, side: str) -> dict[str, str]:
    """Record key -> payload text of side entry ``side`` in ``root``'s warm cache."""
    return shard_records(side_shards(root, side))


def shard_records(paths) -> dict[str, str]:
    """Record key -> payload text of the warm cache's shard files ``paths`` (core/records.py:
    a header line, then ``key<TAB>checksum<TAB>payload`` per line)."""
    out = {}
    for path in paths:
        for line in path.read_text().split("\n")[1:]:
            if line:
                key, _, payload = line.split("\t", 2)
                out[key] = payload
    return out


class RecordingWarm:
    """Stands for the warm cache a store writes its records through
    (``RunCache.write_records``): what it wrote, by shard, for side entry ``side``."""

    def __init__(self, side: str):
        self.side = side
        self.written: dict[int, list[tuple[str, str]]] = {}

    def write_records(self, name, read, shards):
        assert name == self.side
        self.written.update(shards)


# a lint in its own process, with a hash seed of its own: its output, what the store of one
# side entry (core.records.KeptPayloads: CEL or schema verdicts, substitutions) found kept
# and made, and whether the run imported cel-python
_STORE_PROBE = """
import io, json, sys, contextlib
from gitops_lint import cli
from gitops_lint.core import records
side, seen = sys.argv.pop(1), {}
store = records.KeptPayloads.store
def spy(self, warm, holds):
    if self.name == side:
        seen["new"], seen["used"] = len(self.new), len(self.used)
    return store(self, warm, holds)
records.KeptPayloads.store = spy
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = cli.main(sys.argv[1:])
print(json.dumps({"code": code, "out": out.getvalue(), "celpy": "celpy" in sys.modules, **seen}))
"""


def lint_watching(root: Path, *args: str, side: str, seed: str = "0", jobs: str = "1") -> dict:
    """Every cluster under ``root/clusters`` linted (json, the warm cache on) in its own
    process; ``side``: the side entry whose store is watched."""
    from gitops_lint import cache as cache_module

    env = {k: v for k, v in os.environ.items() if k not in (cache_module.ENV_OFF, cache_module.ENV_DIR)}
    env.update(PYTHONHASHSEED=seed, GITOPS_LINT_JOBS=jobs)
    entries = sorted(str(p) for p in (root / "clusters").iterdir())
    cmd = [sys.executable, "-c", _STORE_PROBE, side, *entries, "--root", str(root), "--format", "json", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.splitlines()[-1])
