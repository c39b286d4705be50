"""``--renderer kubectl|kustomize``: the same pipeline on a real kustomize.

A ``kustomize`` stand-in (a script that logs its arguments and runs
``kubectl kustomize``) shows which command line gitops-lint uses and
whether kustomize was run at all: it must not be for a build that would
read outside the root or fetch a remote base.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from pathlib import Path

import pytest

from gitops_lint.render.external import error_message
from tests.conftest import FIXTURES, needs_kubectl
from tests.helpers import GOTK, ks, run_cli, write_tree

EXAMPLE = FIXTURES / "example"
ENTRY = str(EXAMPLE / "clusters" / "mycluster-0")


@pytest.fixture
def fake_kustomize(tmp_path, monkeypatch) -> Path:
    """A ``kustomize`` on PATH that records each call and delegates to kubectl."""
    log = tmp_path / "calls.log"
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "kustomize"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{log}"\n'
        '[ "$1" = build ] || exit 64\n'
        "shift\n"
        f'exec {shutil.which("kubectl")} kustomize "$@"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return log


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


@needs_kubectl
def test_kubectl_renderer_agrees_with_builtin_on_the_example():
    before = _tree_digest(EXAMPLE)
    builtin = run_cli(ENTRY, "--format", "json")
    real = run_cli(ENTRY, "--format", "json", "--renderer", "kubectl")
    assert real == builtin
    assert builtin[0] == 0
    assert _tree_digest(EXAMPLE) == before, "the working tree must never be written"


FLUX_FIELDS_REPO = {
    **GOTK,
    "clusters/dev/web.yaml": (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata:\n  name: web\n  namespace: flux-system\n"
        "spec:\n  interval: 10m\n  path: ./web\n  prune: true\n"
        "  targetNamespace: shop\n  namePrefix: dev-\n"
        "  images:\n    - name: nginx\n      newTag: 1.27.1\n"
        "  patches:\n    - target:\n        kind: Deployment\n"
        "      patch: |\n        - op: replace\n          path: /spec/replicas\n          value: 3\n"
        "  postBuild:\n    substitute:\n      color: blue\n"
        "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
    ),
    # no kustomization.yaml: Flux generates one
    "web/deployment.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
        "  labels:\n    color: ${color}\nspec:\n  replicas: 1\n"
        "  selector:\n    matchLabels:\n      app: web\n"
        "  template:\n    metadata:\n      labels:\n        app: web\n"
        "    spec:\n      containers:\n        - name: web\n          image: nginx:1.25\n"
        "          envFrom:\n            - configMapRef:\n                name: web-env\n"
    ),
    "web/nested/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-env\ndata:\n  A: b\n",
}


@needs_kubectl
def test_kubectl_renderer_applies_the_flux_kustomization_fields_like_builtin(tmp_path):
    """targetNamespace, namePrefix, images, patches, Flux's generated kustomization, then substitution."""
    repo = write_tree(tmp_path / "repo", FLUX_FIELDS_REPO)
    args = (
        "build",
        str(repo / "clusters" / "dev"),
        "--root",
        str(repo),
        "--kustomization",
        "flux-system/web",
    )
    builtin = run_cli(*args)
    real = run_cli(*args, "--renderer", "kubectl")
    assert builtin[0] == 0
    assert "name: dev-web\n  namespace: shop" in builtin[1]
    assert "image: nginx:1.27.1" in builtin[1] and "replicas: 3" in builtin[1] and "color: blue" in builtin[1]
    assert "name: dev-web-env" in builtin[1]  # the reference follows the prefix
    assert real == builtin


@needs_kubectl
def test_kustomize_renderer_runs_kustomize_build_with_flux_load_restrictor(fake_kustomize):
    code, out, _ = run_cli(ENTRY, "--renderer", "kustomize")
    assert code == 0, out
    calls = fake_kustomize.read_text().splitlines()
    assert calls, "kustomize was never run"
    assert all(c.startswith("build --load-restrictor=LoadRestrictionsNone ") for c in calls)
    # one process per distinct (directory, Flux fields), never the working tree itself
    assert len(calls) == len(set(calls))
    assert not any(str(EXAMPLE) in c for c in calls)


def test_absent_binary_is_a_one_line_usage_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    code, out, err = run_cli(ENTRY, "--renderer", "kustomize")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "`kustomize` is not on PATH" in err


def _escaping_repo(root: Path, outside: Path) -> Path:
    outside.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaked\n  namespace: default\n"
        "data:\n  x: ${never_defined}\n"
    )
    repo = root / "repo"
    write_tree(
        repo,
        {
            ".gitops-lint.yaml": "fail-on: error\n",
            **GOTK,
            "clusters/dev/apps.yaml": ks("apps", "./apps", extra="  postBuild:\n    substitute: {a: b}\n"),
            "apps/kustomization.yaml": (
                f"resources:\n  - ../../{outside.name}\n  - https://github.com/example/remote//base\n"
            ),
        },
    )
    return repo


@needs_kubectl
def test_a_build_reaching_outside_the_root_never_runs_kustomize(tmp_path, fake_kustomize):
    repo = _escaping_repo(tmp_path, tmp_path / "outside.yaml")
    code, out, _ = run_cli(
        str(repo / "clusters" / "dev"), "--root", str(repo), "--renderer", "kustomize", "--format", "concise"
    )
    assert "apps/kustomization.yaml:2:5: error GL104 " in out
    assert "never_defined" not in out and "leaked" not in out
    built = [c.split()[-1] for c in fake_kustomize.read_text().splitlines()]
    assert built and not any(c.rstrip("/").endswith("/apps") for c in built)


def test_klog_wrapping_is_removed_from_kubectl_errors():
    stderr = (
        'E1201 01:41:39.937488   17182 run.go:72] "command failed" '
        'err="no resource matches strategic merge patch \\"Deployment.v1.apps/x\\""\n'
    )
    assert error_message(stderr, 1) == 'no resource matches strategic merge patch "Deployment.v1.apps/x"'
    assert error_message("Error: accumulating resources: boom\n", 1) == "accumulating resources: boom"
    assert error_message("", 3) == "exit status 3"


@needs_kubectl
def test_merged_kustomization_keeps_scalars_as_written(tmp_path):
    """With Flux fields, the kustomization is rewritten for kubectl: `yes` must stay the string
    kustomize reads, not become PyYAML's boolean."""
    repo = write_tree(
        tmp_path / "repo",
        {
            **GOTK,
            "clusters/dev/apps.yaml": ks("apps", "./apps", extra="  targetNamespace: shop\n"),
            "apps/kustomization.yaml": "resources: [cm.yaml]\ncommonAnnotations:\n  enabled: yes\n",
            "apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  on: on\n",
        },
    )
    args = (
        "build",
        str(repo / "clusters" / "dev"),
        "--root",
        str(repo),
        "--kustomization",
        "flux-system/apps",
    )
    builtin = run_cli(*args)
    assert builtin[0] == 0 and 'enabled: "yes"' in builtin[1] and "namespace: shop" in builtin[1]
    assert run_cli(*args, "--renderer", "kubectl") == builtin
