"""The command line contract: exit codes, JSON shape, determinism, config errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import FIXTURES
from tests.helpers import run_cli, write_tree

EXAMPLE = FIXTURES / "example"
CYCLE = FIXTURES / "defects" / "dependency-cycle"
WARNING_ONLY = FIXTURES / "defects" / "unknown-schema"  # one warning, no error


def test_clean_repository_exits_zero():
    code, out, err = run_cli(str(EXAMPLE / "clusters" / "mycluster-0"))
    assert code == 0, out + err
    assert out.startswith("Found 0 errors, 0 warnings")


def test_findings_exit_one_with_ruff_style_lines():
    code, out, _ = run_cli(str(CYCLE), "--root", str(CYCLE), "--format", "concise")
    assert code == 1
    first = out.splitlines()[0]
    path, line, col, rest = first.split(":", 3)
    assert path.endswith(".yaml") and line.isdigit() and col.isdigit()
    assert rest.startswith(" error GL101 dependsOn cycle: ")


def test_json_contract_version_1():
    code, out, _ = run_cli(str(CYCLE), "--root", str(CYCLE), "--format", "json")
    doc = json.loads(out)
    assert list(doc) == ["version", "findings", "summary"] and doc["version"] == 1
    assert list(doc["summary"]) == [
        "files",
        "documents",
        "kustomizations",
        "helmreleases",
        "errors",
        "warnings",
    ]
    f = doc["findings"][0]
    assert list(f) == ["rule", "code", "severity", "message", "file", "line", "column", "object", "cluster"]
    assert f["object"]["kind"] == "Kustomization" and f["object"]["apiVersion"].startswith(
        "kustomize.toolkit"
    )
    assert f["cluster"] == "clusters/dev"
    assert doc["summary"]["errors"] == sum(1 for x in doc["findings"] if x["severity"] == "error")


@pytest.mark.slow
def test_output_is_byte_identical_across_runs():
    args = [sys.executable, "-m", "gitops_lint", str(EXAMPLE), "--format", "json"]
    runs = {subprocess.run(args, capture_output=True, check=False).stdout for _ in range(2)}
    assert len(runs) == 1


def test_fail_on_warning_and_select(tmp_path):
    code, out, _ = run_cli(str(WARNING_ONLY), "--root", str(WARNING_ONLY))
    assert code == 0 and "Found 0 errors, 1 warning" in out  # warnings alone pass by default
    assert run_cli(str(WARNING_ONLY), "--root", str(WARNING_ONLY), "--fail-on", "warning")[0] == 1
    assert run_cli(str(WARNING_ONLY), "--root", str(WARNING_ONLY), "--fail-on", "error")[0] == 0
    code, out, _ = run_cli(str(CYCLE), "--root", str(CYCLE), "--ignore", "dependency-cycle")
    assert code == 0 and "GL101" not in out
    code, out, _ = run_cli(str(CYCLE), "--root", str(CYCLE), "--select", "GL6")
    assert code == 0


def test_unknown_rule_and_missing_path_are_usage_errors(tmp_path):
    code, _, err = run_cli(str(EXAMPLE), "--select", "no-such-rule")
    assert code == 2 and "unknown rule" in err and err[-1] == "\n" and err.count("\n") == 1
    code, _, err = run_cli(str(tmp_path / "absent"))
    assert code == 2 and "no such file or directory" in err


def test_bad_config_is_exit_two_with_file_and_line(tmp_path):
    write_tree(tmp_path, {".gitops-lint.yaml": "fail-on: error\nrules:\n  dependency-cycle: loud\n"})
    code, _, err = run_cli(str(tmp_path))
    assert code == 2
    assert err.strip() == (
        "gitops-lint: error: .gitops-lint.yaml:3: expected one of error, warning, info, off; got 'loud'"
    )


def test_config_can_turn_a_rule_off_and_ignore_by_path(tmp_path):
    import shutil

    repo = tmp_path / "repo"
    shutil.copytree(CYCLE, repo)
    (repo / ".gitops-lint.yaml").write_text("rules: {dependency-cycle: off}\n")
    assert run_cli(str(repo))[0] == 0
    (repo / ".gitops-lint.yaml").write_text('ignore:\n  - {rule: GL101, path: "clusters/**"}\n')
    assert run_cli(str(repo))[0] == 0
    (repo / ".gitops-lint.yaml").write_text('ignore:\n  - {rule: GL101, path: "apps/**"}\n')
    assert run_cli(str(repo))[0] == 1


def test_rules_catalog_and_explain():
    code, out, _ = run_cli("rules")
    assert code == 0 and "GL101  dependency-cycle" in out
    code, out, _ = run_cli("explain", "GL101")
    assert code == 0 and out.startswith("# dependency-cycle (GL101)")


def test_graph_formats():
    code, out, _ = run_cli("graph", str(EXAMPLE / "clusters" / "mycluster-0"))
    assert code == 0 and out.startswith("graph TD\n") and "-->" in out
    code, out, _ = run_cli("graph", str(EXAMPLE / "clusters" / "mycluster-0"), "--format", "dot")
    assert out.startswith("digraph flux {") and "->" in out
    code, out, _ = run_cli("graph", str(EXAMPLE / "clusters" / "mycluster-0"), "--format", "tree")
    assert out.startswith("Kustomization/flux-system/flux-system\n") and "└── " in out


def test_build_prints_a_yaml_stream_of_the_directory():
    import yaml

    code, out, err = run_cli("build", str(EXAMPLE / "apps" / "mycluster-0"), "--root", str(EXAMPLE))
    docs = [d for d in yaml.safe_load_all(out) if d]
    assert code == 0, err
    assert {d["metadata"]["name"] for d in docs} >= {"podinfo", "whoami"}


def test_build_kustomization_is_substituted():
    code, out, err = run_cli(
        "build", str(EXAMPLE / "clusters" / "mycluster-0"), "--kustomization", "flux-system/infrastructure"
    )
    assert code == 0, err
    assert "kind: HelmRelease" in out and "${cluster_name}" not in out and "${domain}" not in out
    code, _, err = run_cli("build", str(EXAMPLE / "clusters" / "mycluster-0"), "--kustomization", "x/y")
    assert code == 2 and "no Kustomization x/y" in err
