"""crd-order advice, as a property: on any layout of Kustomizations (parents,
dependsOn, wait), a ``dependsOn`` the finding advises is one Flux can honour
(never on a Kustomization the dependent applies, never closing a cycle), and
adding it orders the objects: the finding goes away.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import GOTK, lint_repo, write_tree

CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
  annotations: {kustomize.toolkit.fluxcd.io/prune: disabled}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true}]
"""
WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: flux-system\n"
ADVICE = re.compile(r"add \{name: (k\d+)\} to the dependsOn of (k\d+)")


def kustomization(i: int, deps: list[int], wait: bool) -> str:
    lines = [
        "apiVersion: kustomize.toolkit.fluxcd.io/v1",
        "kind: Kustomization",
        f"metadata: {{name: k{i}, namespace: flux-system}}",
        "spec:",
        f"  path: ./k{i}",
        "  interval: 10m",
        "  prune: false",
        "  sourceRef: {kind: GitRepository, name: flux-system}",
    ]
    if wait:
        lines.append("  wait: true")
    if deps:
        lines.append("  dependsOn:")
        lines += [f"    - name: k{d}" for d in deps]
    return "\n".join(lines) + "\n"


@st.composite
def layouts(draw):
    n = draw(st.integers(2, 6))
    # parent[i] < i (or -1: the cluster entry applies it): a tree of Kustomizations
    parent = [draw(st.integers(-1, i - 1)) for i in range(n)]
    # dependsOn only on lower indexes: never a cycle to start with
    deps = [sorted(draw(st.sets(st.integers(0, i - 1), max_size=2))) if i else [] for i in range(n)]
    wait = [draw(st.booleans()) for _ in range(n)]
    p = draw(st.integers(0, n - 1))
    x = draw(st.integers(0, n - 1).filter(lambda v: v != p))
    return n, parent, deps, wait, p, x


def write(root: Path, layout, extra_dep: tuple[int, int] | None = None) -> None:
    n, parent, deps, wait, p, x = layout
    files = dict(GOTK)
    top = []
    children: dict[int, list[str]] = {i: [] for i in range(n)}
    for i in range(n):
        d = deps[i] + ([extra_dep[1]] if extra_dep and extra_dep[0] == i else [])
        text = kustomization(i, d, wait[i])
        if parent[i] < 0:
            files[f"clusters/dev/k{i}.yaml"] = text
            top.append(f"k{i}.yaml")
        else:
            files[f"k{parent[i]}/ks-k{i}.yaml"] = text
            children[parent[i]].append(f"ks-k{i}.yaml")
    for i in range(n):
        resources = list(children[i])
        if i == p:
            files[f"k{i}/crd.yaml"] = CRD
            resources.append("crd.yaml")
        if i == x:
            files[f"k{i}/widget.yaml"] = WIDGET
            resources.append("widget.yaml")
        files[f"k{i}/kustomization.yaml"] = (
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:"
            + ("".join(f"\n  - {r}" for r in resources) if resources else " []")
            + "\n"
        )
    files["clusters/dev/kustomization.yaml"] = (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - flux-system\n"
        + "".join(f"  - {t}\n" for t in top)
    )
    write_tree(root, files)


def descendants(parent: list[int], i: int) -> set[int]:
    out, grew = set(), True
    while grew:
        grew = False
        for c, p in enumerate(parent):
            if (p == i or p in out) and c not in out:
                out.add(c)
                grew = True
    return out


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layouts())
def test_advised_depends_on_is_valid_and_orders_the_objects(layout):
    n, parent, deps, wait, p, x = layout
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write(root, layout)
        findings = [f for f in lint_repo(root).findings if f.rule == "crd-order"]
        advised = {(int(d[1:]), int(t[1:])) for f in findings for t, d in ADVICE.findall(f.message)}
        for dependent, target in advised:
            # never a dependency on what the dependent applies (it would never exist first)
            assert target not in descendants(parent, dependent)
    for dependent, target in advised:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            write(root, layout, extra_dep=(dependent, target))
            after = lint_repo(root).findings
            assert not [f for f in after if f.rule == "dependency-cycle"]
            assert not [f for f in after if f.rule == "crd-order" and f"k{dependent}" in (f.object.name,)]
