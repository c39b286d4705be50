"""Hostile regexes and schemas (issue 15, point 5): lint time as the input grows.

    python benchmarks/bench_hostile_regex.py [--runs 3] [--only CASE ...]

Each case is a small repository written to a temporary directory whose one
hostile input grows over three or more sizes; the time is the median wall
time of ``python -m gitops_lint DIR --root DIR --format json`` as a whole
process (interpreter start, ~1 s, included). Before RE2 and the budgets,
each of these hung from the size in the ``hung`` column; now every row must
stay under 10 s and grow at most linearly (a budget makes the largest sizes
flat: the rest is reported as "not checked").

| case | hostile input | size |
|---|---|---|
| crd-pattern | CRD ``pattern: ^(a+)+$``, a value of N ``a`` and a ``!`` | N |
| patch-target | kustomize patch target ``name: (a+)+$``, a ConfigMap named N ``a`` and ``x`` | N |
| image-name | kustomize ``images: [{name: (a+)+}]``, an image of N ``a`` and ``!`` | N |
| sops-regex | ``.sops.yaml`` ``path_regex``/``encrypted_regex: (a+)+$``, a Secret key of N ``a`` and ``!`` | N |
| sourceignore | ``.sourceignore`` ``*a*a*a*a*a*a*a*a*a*a*a*b``, a file named N ``a`` | N |
| label-selector | a patch target ``labelSelector`` ``a`` + N spaces + ``b`` | N |
| sops-enc | a Secret value ``ENC[AES256_GCM,data:`` + N ``a,iv:`` | N |
| oneof-doubling | a CRD whose ``oneOf`` names the level below twice (YAML aliases), depth N | N |
| cel-nested-all | a CEL rule nesting ``all()`` three deep over a list of N integers | N |
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

KS = """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec: {interval: 10m, path: ./apps, prune: false, sourceRef: {kind: GitRepository, name: flux-system}}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: flux-system, namespace: flux-system}
spec: {interval: 1m, url: https://example.com/x, ref: {branch: main}}
"""
EVIL = "(a+)+$"


def _crd(spec_schema: str) -> str:
    return (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata: {name: widgets.example.com}\nspec:\n  group: example.com\n"
        "  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}\n"
        "  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n"
        "    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n"
        "          spec:\n" + "".join(f"            {line}\n" for line in spec_schema.splitlines())
    )


def _widget(spec: str) -> str:
    return (
        f"apiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: w, namespace: default}}\nspec: {spec}\n"
    )


def _cm(name: str, extra: str = "") -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: '{name}', namespace: default{extra}}}\ndata: {{a: b}}\n"


def crd_pattern(n: int) -> dict[str, str]:
    return {
        "apps/kustomization.yaml": "resources: [crd.yaml, w.yaml]\n",
        "apps/crd.yaml": _crd(f"type: object\nproperties:\n  x: {{type: string, pattern: '^{EVIL}'}}"),
        "apps/w.yaml": _widget(f"{{x: '{'a' * n}!'}}"),
    }


def patch_target(n: int) -> dict[str, str]:
    return {
        "apps/kustomization.yaml": f"resources: [cm.yaml]\npatches:\n- target: {{kind: ConfigMap, name: '{EVIL}'}}\n"
        "  patch: |\n    - {op: add, path: /data/y, value: z}\n",
        "apps/cm.yaml": _cm("a" * n + "x"),
    }


def image_name(n: int) -> dict[str, str]:
    deploy = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: default}\n"
        "spec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, "
        f"spec: {{containers: [{{name: c, image: '{'a' * n}!'}}]}}}}}}\n"
    )
    return {
        "apps/kustomization.yaml": "resources: [d.yaml]\nimages:\n- {name: '(a+)+', newTag: v2}\n",
        "apps/d.yaml": deploy,
    }


def sops_regex(n: int) -> dict[str, str]:
    return {
        ".sops.yaml": f"creation_rules:\n- path_regex: '{EVIL}|\\.yaml$'\n  encrypted_regex: '{EVIL}'\n",
        "apps/kustomization.yaml": "resources: [s.yaml]\n",
        "apps/s.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\n"
        f"stringData:\n  ? '{'a' * n}!'\n  : hunter2hunter2\n",  # explicit key: no 1,024 limit
    }


def sourceignore(n: int) -> dict[str, str]:
    return {".sourceignore": "*a*a*a*a*a*a*a*a*a*a*a*b\n", f"apps/{'a' * n}": "x\n", "apps/cm.yaml": _cm("c")}


def label_selector(n: int) -> dict[str, str]:
    selector = "a" + " " * n + "b"
    return {
        "apps/kustomization.yaml": f"resources: [cm.yaml]\npatches:\n- target: {{labelSelector: '{selector}'}}\n"
        "  patch: |\n    - {op: add, path: /data/y, value: z}\n",
        "apps/cm.yaml": _cm("c"),
    }


def sops_enc(n: int) -> dict[str, str]:
    value = "ENC[AES256_GCM,data:" + "a,iv:" * n
    return {
        "apps/kustomization.yaml": "resources: [s.yaml]\n",
        "apps/s.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\n"
        f"stringData: {{k: '{value}'}}\n",
    }


def oneof_doubling(depth: int) -> dict[str, str]:
    anchors = ["x0: &l0 {type: object, properties: {v: {type: string, pattern: '^b$'}}}"]
    for k in range(1, depth + 1):
        anchors.append(f"x{k}: &l{k} {{oneOf: [*l{k - 1}, {{allOf: [*l{k - 1}], required: [v]}}]}}")
    schema = (
        "type: object\nx-defs:\n" + "".join(f"  {a}\n" for a in anchors) + f"properties:\n  a: *l{depth}\n"
    )
    return {
        "apps/kustomization.yaml": "resources: [crd.yaml, w.yaml]\n",
        "apps/crd.yaml": _crd(schema),
        "apps/w.yaml": _widget("{a: {v: c}}"),
    }


def cel_nested_all(n: int) -> dict[str, str]:
    rule = "self.l.all(a, self.l.all(b, self.l.all(c, a + b + c >= 0)))"
    return {
        "apps/kustomization.yaml": "resources: [crd.yaml, w.yaml]\n",
        "apps/crd.yaml": _crd(
            f'type: object\nproperties:\n  l: {{type: array, items: {{type: integer}}}}\nx-kubernetes-validations:\n- rule: "{rule}"\n'
        ),
        "apps/w.yaml": _widget("{l: [" + ",".join(["1"] * n) + "]}"),
    }


# case -> (files for size N, sizes, size at which the old code hung or took over 20 s)
CASES: dict[str, tuple[Callable[[int], dict[str, str]], tuple[int, ...], str]] = {
    "crd-pattern": (crd_pattern, (1_000, 10_000, 100_000), "30"),
    "patch-target": (patch_target, (1_000, 10_000, 100_000), "30"),
    "image-name": (image_name, (1_000, 10_000, 100_000), "30"),
    "sops-regex": (sops_regex, (1_000, 10_000, 100_000), "30"),
    "sourceignore": (sourceignore, (60, 120, 240), "200"),
    "label-selector": (label_selector, (10_000, 100_000, 500_000), "10,000 (4 s at 8,000)"),
    "sops-enc": (sops_enc, (1_400, 7_000, 28_000), "1,400 (before 8bff5a1)"),
    "oneof-doubling": (oneof_doubling, (8, 10, 12, 14), "13 (10 s), 14 (24 s)"),
    "cel-nested-all": (cel_nested_all, (10, 100, 1_000), "40 (30 s)"),
}


def run(directory: Path, runs: int) -> float:
    times = []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "gitops_lint",
                str(directory),
                "--root",
                str(directory),
                "--format",
                "json",
            ],
            capture_output=True,
            env=env,
            cwd=ROOT,
            timeout=120,
        )
        times.append(time.perf_counter() - start)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"gitops-lint failed on {directory}: {proc.stderr.decode()[-500:]}")
    return statistics.median(times)


def write(root: Path, files: dict[str, str]) -> None:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    for rel, text in {"clusters/c/ks.yaml": KS, **files}.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", nargs="*", choices=sorted(CASES), default=None)
    args = parser.parse_args()
    worst = 0.0
    print(f"{'case':<16} {'size':>8} {'median s':>9}   old code hung at")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only or CASES:
            make, sizes, hung = CASES[name]
            for size in sizes:
                directory = Path(tmp) / f"{name}-{size}"
                write(directory, make(size))
                seconds = run(directory, args.runs)
                worst = max(worst, seconds)
                print(f"{name:<16} {size:>8,} {seconds:>9.2f}   {hung}", flush=True)
    print(f"slowest: {worst:.2f} s ({'OK' if worst <= 10 else 'OVER'} the 10 s bound)")
    return 0 if worst <= 10 else 1


if __name__ == "__main__":
    sys.exit(main())
