"""gitops-lint's schema verdict against a real API server (a kind cluster).

For each fixture repository: its CRDs are applied (server-side) and every
namespace it uses is created, then every other rendered object is sent with
``kubectl apply --server-side --dry-run=server --validate=strict``. An object
the API server rejects as invalid must carry a ``schema`` finding, and an
object it accepts must not. Objects the server cannot judge on schema alone
(a kind it does not serve, a namespace it refuses, an admission webhook, an
unresolved ``${var}``) are not compared.

They need a cluster: where kubectl reaches none they are skipped with the
reason, unless GITOPS_LINT_REQUIRE_CLUSTER is set (the integration workflow
sets it, so a broken kind set-up fails instead of skipping). The probe is one
``kubectl cluster-info`` with a 5-second timeout, only when a kubeconfig
exists, so the normal suite pays nothing.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from gitops_lint.lint import Linter
from gitops_lint.load.config import load_config
from gitops_lint.rules import all_rules
from gitops_lint.vocabulary import vocabulary
from tests.conftest import FIXTURES

pytestmark = [pytest.mark.slow, pytest.mark.kubectl]  # against a live cluster, when one is reachable

INVALID = re.compile(
    r"is invalid|unknown field|strict decoding error|Invalid value|Required value|Unsupported value"
)
NOT_JUDGED = re.compile(
    r"no matches for kind|could not find the requested resource|NotFound|Forbidden|webhook"
)


@functools.lru_cache(maxsize=1)
def no_cluster_reason() -> str | None:
    if shutil.which("kubectl") is None:
        return "kubectl is not installed"
    configs = os.environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")
    if not any(Path(p).is_file() for p in configs.split(os.pathsep) if p):
        return "no kubeconfig (KUBECONFIG unset and ~/.kube/config absent): no cluster to test against"
    try:
        probe = subprocess.run(
            ["kubectl", "cluster-info", "--request-timeout=5s"], capture_output=True, text=True, timeout=15
        )
    except subprocess.TimeoutExpired:
        return "kubectl cluster-info timed out: no reachable cluster"
    if probe.returncode != 0:
        first = (probe.stderr.strip().splitlines() or ["unknown error"])[-1]
        return f"no reachable cluster: {first}"
    return None


@pytest.fixture(scope="module")
def cluster():
    reason = no_cluster_reason()
    if reason:
        if os.environ.get("GITOPS_LINT_REQUIRE_CLUSTER"):
            pytest.fail(f"GITOPS_LINT_REQUIRE_CLUSTER is set but {reason}")
        pytest.skip(reason)
    if "schema" not in {r.name for r in all_rules()}:
        pytest.skip("rule schema is not registered yet")


def kubectl(*args: str, obj: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["kubectl", *args],
        input=json.dumps(obj) if obj is not None else None,
        capture_output=True,
        text=True,
        timeout=120,
    )


def fixture_roots() -> list[Path]:
    defects = FIXTURES / "defects"
    return (
        [FIXTURES / "example", *sorted(p for p in defects.iterdir() if p.is_dir())]
        if defects.is_dir()
        else []
    )


@pytest.mark.parametrize("root", fixture_roots(), ids=lambda p: p.name)
def test_schema_verdict_agrees_with_the_api_server(cluster, root):
    result = Linter(str(root), load_config(str(root), known=vocabulary())).run([str(root)])
    flagged = {f.object.key() for f in result.findings if f.rule == "schema" and f.object}
    objects = {}
    for c in result.clusters:
        for ro in c.objects:
            if not ro.unresolved:
                objects.setdefault(ro.ref.key(), ro.obj)
    crds = [o for o in objects.values() if o.get("kind") == "CustomResourceDefinition"]
    namespaces = sorted(
        {
            str(o.get("metadata", {}).get("namespace"))
            for o in objects.values()
            if o.get("metadata", {}).get("namespace")
        }
    )
    for crd in crds:
        run = kubectl(
            "apply",
            "--server-side",
            "--force-conflicts",
            "--field-manager=gitops-lint-test",
            "-f",
            "-",
            obj=crd,
        )
        assert run.returncode == 0 or INVALID.search(run.stderr), run.stderr
    if crds:
        kubectl("wait", "--for=condition=established", "crd", "--all", "--timeout=60s")
    for ns in namespaces:
        kubectl(
            "apply",
            "--server-side",
            "-f",
            "-",
            obj={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
        )

    mismatches, judged = [], 0
    for key, obj in sorted(objects.items()):
        if obj.get("kind") in ("CustomResourceDefinition", "Namespace"):
            continue
        run = kubectl(
            "apply",
            "--server-side",
            "--dry-run=server",
            "--validate=strict",
            "--field-manager=gitops-lint-test",
            "-f",
            "-",
            obj=obj,
        )
        if run.returncode != 0 and not INVALID.search(run.stderr):
            assert NOT_JUDGED.search(run.stderr), f"{key}: unexpected kubectl error: {run.stderr}"
            continue
        judged += 1
        rejected = run.returncode != 0
        if rejected != (key in flagged):
            mismatches.append(
                f"{key}: API server {'rejects' if rejected else 'accepts'} "
                f"({run.stderr.strip()[:200]}), gitops-lint {'flags' if key in flagged else 'accepts'}"
            )
    assert not mismatches, "\n".join(mismatches)
    assert judged or not objects
