"""The pre-commit hook, run by the real pre-commit on the README's configuration.

pre-commit installs a hook from a Git repository at a revision. This checkout's
working tree (not its last commit: the files under test may be uncommitted) is
copied into a throw-away repository and committed, and the README's
``.pre-commit-config.yaml`` snippet is pointed at it; that is what
``pre-commit try-repo`` does too, but try-repo ignores the user's config file,
and the snippet is what this test must execute. pre-commit then builds the
hook's virtualenv with pip (from the package index this machine is set up
for) and runs ``gitops-lint`` once on the whole repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import FIXTURES, PROJECT
from tests.readme_snippets import readme_block

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

HOOK_FILES = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "gitops_lint", "rules")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_AUTHOR_DATE": "2025-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2025-01-01T00:00:00Z",
}


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    out = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def _commit_all(repo: Path) -> str:
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--no-verify", "-m", "snapshot")
    return _git(repo, "rev-parse", "HEAD")


def _hook_repo(dest: Path) -> str:
    """This checkout's working tree, committed in a new repository; returns the commit."""
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    for name in HOOK_FILES:
        src = PROJECT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        else:
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return _commit_all(dest)


def _config(hook_repo: Path, rev: str) -> str:
    """The README snippet, pointed at the local hook repository."""
    snippet = readme_block(".pre-commit-config.yaml")
    config = yaml.safe_load(snippet)
    (entry,) = config["repos"]
    assert [h["id"] for h in entry["hooks"]] == ["gitops-lint"]
    return snippet.replace(entry["repo"], str(hook_repo)).replace(f"rev: {entry['rev']}", f"rev: {rev}")


def _pre_commit(repo: Path, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    env.pop("GITHUB_STEP_SUMMARY", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_hook_definition():
    (hook,) = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "gitops-lint" and hook["language"] == "python"
    assert hook["pass_filenames"] is False and hook["entry"] == "gitops-lint"
    assert hook["files"] == r"\.ya?ml$"


def test_real_pre_commit_fails_on_a_defect_and_passes_on_the_example(tmp_path):
    pytest.importorskip("pre_commit", reason="pre-commit is not installed (the `test` extra has it)")
    hook = tmp_path / "hook"
    rev = _hook_repo(hook)
    config = _config(hook, rev)
    home = tmp_path / "pre-commit-home"

    defect = tmp_path / "defect"
    shutil.copytree(FIXTURES / "defects" / "dependency-cycle", defect, ignore=shutil.ignore_patterns("expected.txt"))
    (defect / ".pre-commit-config.yaml").write_text(config)
    _commit_all(defect)
    run = _pre_commit(defect, home)
    out = run.stdout + run.stderr
    if run.returncode != 0 and "GL101" not in out and ("pip" in out or "virtualenv" in out):
        pytest.fail(f"pre-commit could not install the hook (package index unreachable?):\n{out[-3000:]}")
    assert run.returncode == 1, out
    assert "gitops-lint" in out and "Failed" in out
    # the text report: the file, then the finding's line and its message on a line of its own
    assert "\nclusters/dev/apps.yaml\n  9:7  error    GL101 dependency-cycle" in out
    assert "\n       dependsOn cycle: apps -> infra -> apps" in out

    clean = tmp_path / "clean"
    shutil.copytree(FIXTURES / "example", clean)
    (clean / ".pre-commit-config.yaml").write_text(config)
    _commit_all(clean)
    run = _pre_commit(clean, home)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Passed" in run.stdout
