"""CI paths: GitHub annotations and SARIF name files relative to the Git work tree.

A monorepo whose Flux tree is ``gitops/`` is linted with ``--root gitops`` (or
with its config in ``gitops/``); GitHub resolves ``file=`` and SARIF URIs
against the repository, so both must say ``gitops/clusters/...``. And a file
name that is not UTF-8 must not end the run in any format.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gitops_lint.report import paths
from tests.conftest import FIXTURES, PROJECT
from tests.helpers import run_cli
from tests.test_reporters import _validator

CYCLE = FIXTURES / "defects" / "dependency-cycle"
ANNOTATION = "::error file=gitops/clusters/dev/apps.yaml,line=9,col=7,title=GL101 dependency-cycle::"


@pytest.fixture
def monorepo(tmp_path, monkeypatch) -> Path:
    """A repository (``.git`` at the top) whose Flux tree, with a dependsOn cycle, is ``gitops/``."""
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    repo = tmp_path / "repo"
    shutil.copytree(CYCLE, repo / "gitops", ignore=shutil.ignore_patterns("expected.txt"))
    (repo / ".git").mkdir()
    (repo / "README.md").write_text("app code lives here\n")
    return repo


def _uris(sarif_text: str) -> list[str]:
    doc = json.loads(sarif_text)
    return [
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for r in doc["runs"][0]["results"]
        for loc in r.get("locations", [])
    ]


def test_root_in_a_subdirectory_gives_work_tree_paths(monorepo, tmp_path, monkeypatch):
    gitops = str(monorepo / "gitops")
    code, out, _ = run_cli(gitops, "--root", gitops, "--format", "github")
    assert code == 1 and out.startswith(ANNOTATION), out
    code, out, _ = run_cli(gitops, "--root", gitops, "--format", "sarif")
    assert _uris(out) == ["gitops/clusters/dev/apps.yaml"]
    doc = json.loads(out)
    (result,) = doc["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert "%SRCROOT%" in doc["runs"][0]["originalUriBaseIds"]
    assert not list(_validator().iter_errors(doc))
    # the job summary names the same path
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    run_cli(gitops, "--root", gitops, "--format", "github")
    assert "`gitops/clusters/dev/apps.yaml:9`" in summary.read_text()
    # the text and JSON formats keep paths relative to the lint root (DESIGN: JSON contract)
    code, out, _ = run_cli(gitops, "--root", gitops, "--format", "json")
    assert json.loads(out)["findings"][0]["file"] == "clusters/dev/apps.yaml"


def test_config_in_a_subdirectory_makes_it_the_root_and_paths_still_resolve(monorepo):
    (monorepo / "gitops" / ".gitops-lint.yaml").write_text("fail-on: error\n")
    code, out, _ = run_cli(str(monorepo / "gitops" / "clusters" / "dev"), "--format", "github")
    assert code == 1 and out.startswith(ANNOTATION), out


def test_run_from_the_repository_root_needs_no_prefix(monorepo):
    code, out, _ = run_cli(str(monorepo), "--root", str(monorepo), "--format", "github")
    assert out.startswith(ANNOTATION), out


def test_git_file_of_a_linked_worktree_or_submodule_marks_the_work_tree(monorepo):
    (monorepo / ".git").rmdir()
    (monorepo / ".git").write_text("gitdir: /elsewhere/.git/worktrees/repo\n")
    gitops = str(monorepo / "gitops")
    code, out, _ = run_cli(gitops, "--root", gitops, "--format", "sarif")
    assert _uris(out) == ["gitops/clusters/dev/apps.yaml"]


def test_without_git_github_workspace_is_the_base_and_otherwise_the_root(monorepo, monkeypatch):
    (monorepo / ".git").rmdir()
    if paths.worktree(str(monorepo), {}) is not None:
        pytest.skip("the temporary directory lies inside a Git work tree")
    gitops = str(monorepo / "gitops")
    code, out, _ = run_cli(gitops, "--root", gitops, "--format", "sarif")
    assert _uris(out) == ["clusters/dev/apps.yaml"]
    monkeypatch.setenv("GITHUB_WORKSPACE", str(monorepo))
    code, out, _ = run_cli(gitops, "--root", gitops, "--format", "sarif")
    assert _uris(out) == ["gitops/clusters/dev/apps.yaml"]
    # a workspace that does not hold the root says nothing about it
    monkeypatch.setenv("GITHUB_WORKSPACE", str(monorepo / "elsewhere"))
    code, out, _ = run_cli(gitops, "--root", gitops, "--format", "sarif")
    assert _uris(out) == ["clusters/dev/apps.yaml"]


def test_path_helpers():
    assert paths.in_worktree("clusters/a.yaml", "gitops") == "gitops/clusters/a.yaml"
    assert paths.in_worktree("clusters/a.yaml", "") == "clusters/a.yaml"
    assert paths.uri("dir with space/ü.yaml") == "dir%20with%20space/%C3%BC.yaml"
    assert paths.uri("a:b.yaml") == "a%3Ab.yaml"  # never read as a scheme
    assert paths.uri("bad\udcff.yaml") == "bad%FF.yaml"
    assert paths.readable("bad\udcff.yaml") == "bad\\xff.yaml"
    assert paths.json_text('"bad\udcff"') == '"bad\\udcff"'


# -- file names that are not UTF-8 ----------------------------------------------------------

SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: x\nstringData:\n  password: hunter2hunter2\n"


@pytest.fixture
def undecodable(tmp_path) -> Path:
    repo = tmp_path / "repo"
    (repo / "clusters" / "dev").mkdir(parents=True)
    (repo / ".git").mkdir()
    name = os.path.join(os.fsencode(repo / "clusters" / "dev"), b"bad\xff.yaml")
    try:
        with open(name, "w") as fh:
            fh.write(SECRET)
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses file names that are not UTF-8")
    return repo


def _run(repo: Path, fmt: str) -> tuple[int, str]:
    """The real command, its stdout decoded strictly: the output must be UTF-8."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "PYTHONIOENCODING": "utf-8"}
    env.pop("GITHUB_STEP_SUMMARY", None)
    run = subprocess.run(
        [sys.executable, "-m", "gitops_lint", str(repo), "--root", str(repo), "--format", fmt],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stderr.decode("utf-8", "replace")
    return run.returncode, run.stdout.decode("utf-8")


@pytest.mark.slow
def test_non_utf8_file_name_in_sarif_is_percent_encoded(undecodable):
    _, out = _run(undecodable, "sarif")
    assert _uris(out) == ["clusters/dev/bad%FF.yaml"]
    assert not list(_validator().iter_errors(json.loads(out)))


@pytest.mark.slow
def test_non_utf8_file_name_in_json_is_an_escaped_surrogate_that_round_trips(undecodable):
    _, out = _run(undecodable, "json")
    assert '"file": "clusters/dev/bad\\udcff.yaml"' in out
    (finding,) = json.loads(out)["findings"]
    assert os.fsencode(finding["file"]) == b"clusters/dev/bad\xff.yaml"


@pytest.mark.slow
def test_non_utf8_file_name_in_github_annotations_shows_the_byte(undecodable):
    _, out = _run(undecodable, "github")
    assert out.startswith(
        "::error file=clusters/dev/bad\\xff.yaml,line=7,col=3,title=GL301 plaintext-secret::"
    )


def test_uri_and_json_text_keep_every_file_name_whole():
    """Any name, UTF-8 or not: the URI is ASCII and decodes to its bytes; JSON round-trips."""
    from urllib.parse import unquote_to_bytes

    from hypothesis import given
    from hypothesis import strategies as st

    segment = st.binary(min_size=1, max_size=12).filter(lambda b: b"/" not in b and b"\0" not in b)

    @given(st.lists(segment, min_size=1, max_size=4))
    def check(segments):
        raw = b"/".join(segments)
        name = raw.decode("utf-8", "surrogateescape")  # what os.fsdecode gives on Linux
        uri = paths.uri(name)
        assert uri.isascii() and unquote_to_bytes(uri) == raw
        assert ":" not in uri.split("/")[0]  # never a scheme
        text = paths.json_text(json.dumps({"file": name}, ensure_ascii=False))
        text.encode("utf-8")  # strict: the output is UTF-8
        assert json.loads(text)["file"].encode("utf-8", "surrogateescape") == raw
        paths.readable(name).encode("utf-8")  # annotations and the job summary: UTF-8 too

    check()


def test_job_summary_counts_per_severity_and_rule_and_caps_the_table():
    from gitops_lint.core.data import Finding, Severity
    from gitops_lint.report.github import SUMMARY_ROWS, step_summary

    many = [
        Finding("missing-path", "GL104", Severity.ERROR, f"gone {i}", f"a/{i}.yaml", 1, 1)
        for i in range(SUMMARY_ROWS + 5)
    ]
    many.append(Finding("deprecated-api", "GL503", Severity.WARNING, "old", "b.yaml", 2, 1))
    summary = {"errors": SUMMARY_ROWS + 5, "warnings": 1, "files": 9, "kustomizations": 2, "helmreleases": 0}
    text = step_summary(many, summary)
    assert f"| {SUMMARY_ROWS + 5} | 1 | 0 | 9 | 2 | 0 |" in text
    assert f"| GL104 missing-path | error | {SUMMARY_ROWS + 5} |" in text
    assert "| GL503 deprecated-api | warning | 1 |" in text
    assert text.count("| error | `a/") == SUMMARY_ROWS and "6 more findings" in text
