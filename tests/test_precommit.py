"""The pre-commit hook, run by the real pre-commit on the README's configuration.

pre-commit installs a hook from a Git repository at a revision. This checkout's
working tree (not its last commit: the files under test may be uncommitted) is
copied into a throw-away repository and committed, and the README's
``.pre-commit-config.yaml`` snippet is pointed at it; that is what
``pre-commit try-repo`` does too, but try-repo ignores the user's config file,
and the snippet is what this test must execute. pre-commit then builds the
hook's virtualenv with pip (from the package index this machine is set up
for) and runs ``gitops-lint`` once on the whole repository.

``pre-commit try-repo`` is used where the user's config does not matter: a
commit that stages only a non-YAML file Flux reads (``app.env``) must run the
hook, and the release tag the README names must install and run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from tests.conftest import FIXTURES, PROJECT
from tests.helpers import copy_checkout
from tests.readme_snippets import readme_block

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

HOOK_FILES = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "gitops_lint", "rules", "schemas")
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
    copy_checkout(dest, HOOK_FILES)
    return _commit_all(dest)


def _config(hook_repo: Path, rev: str) -> str:
    """The README snippet, pointed at the local hook repository."""
    snippet = readme_block(".pre-commit-config.yaml")
    config = yaml.safe_load(snippet)
    (entry,) = config["repos"]
    assert [h["id"] for h in entry["hooks"]] == ["gitops-lint"]
    return snippet.replace(entry["repo"], str(hook_repo)).replace(f"rev: {entry['rev']}", f"rev: {rev}")


def _pre_commit(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    """``pre-commit ARGS`` in ``repo`` (default: ``run --all-files``)."""
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    env.pop("GITHUB_STEP_SUMMARY", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *(args or ("run", "--all-files")), "--color", "never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _installed(run: subprocess.CompletedProcess, marker: str) -> str:
    """The output, after failing clearly when pre-commit could not build the hook's environment."""
    out = run.stdout + run.stderr
    if run.returncode != 0 and marker not in out and ("pip" in out or "virtualenv" in out):
        pytest.fail(f"pre-commit could not install the hook (package index unreachable?):\n{out[-3000:]}")
    return out


def test_hook_definition():
    (hook,) = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "gitops-lint" and hook["language"] == "python"
    assert hook["pass_filenames"] is False and hook["entry"] == "gitops-lint"
    # Flux reads env files, generator inputs and .sops.yaml too: no file pattern can list them
    assert hook["always_run"] is True and "files" not in hook and "types" not in hook


@pytest.fixture(scope="module")
def working_hook(tmp_path_factory) -> tuple[Path, str, Path]:
    """(hook repository, its commit, PRE_COMMIT_HOME), shared: pre-commit builds the hook once."""
    pytest.importorskip("pre_commit", reason="pre-commit is not installed (the `test` extra has it)")
    base = tmp_path_factory.mktemp("pre-commit")
    hook = base / "hook"
    return hook, _hook_repo(hook), base / "pre-commit-home"


@pytest.mark.slow
def test_real_pre_commit_fails_on_a_defect_and_passes_on_the_example(tmp_path, working_hook):
    hook, rev, home = working_hook
    config = _config(hook, rev)

    defect = tmp_path / "defect"
    shutil.copytree(
        FIXTURES / "defects" / "dependency-cycle", defect, ignore=shutil.ignore_patterns("expected.txt")
    )
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


# -- a commit that stages only a file that is not YAML ----------------------------------

APP = {
    "clusters/dev/apps.yaml": (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n"
        "  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps\n  prune: true\n"
        "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
    ),
    "clusters/dev/source.yaml": (
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n"
        "  namespace: flux-system\nspec:\n  interval: 1m\n  url: https://example.invalid/fleet.git\n"
        "  ref:\n    branch: main\n"
    ),
    "apps/kustomization.yaml": (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: default\n"
        "secretGenerator:\n  - name: app-settings\n    envs:\n      - app.env\n"
    ),
    "apps/app.env": "# read by the secretGenerator\nPUBLIC_URL=\n",
}


@pytest.mark.slow
def test_a_commit_staging_only_an_env_file_runs_the_hook(tmp_path, working_hook):
    """The issue's case: a staged ``app.env`` with a plaintext password was skipped (files: *.yaml).

    try-repo builds the hook in a store of its own each time (~20 s): one run.
    """
    hook, rev, home = working_hook
    repo = tmp_path / "repo"
    for rel, text in APP.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    _commit_all(repo)
    try_repo = ("try-repo", str(hook), "gitops-lint", "--ref", rev)

    with (repo / "apps" / "app.env").open("a") as fh:
        fh.write("SMTP_PASSWORD=pl41ntext-in-git-7c1e\n")
    _git(repo, "add", "apps/app.env")
    run = _pre_commit(repo, home, *try_repo)
    out = _installed(run, "GL301")
    assert run.returncode == 1, out
    # the text report's layout is its own business: the file, the rule and the verdict
    assert "apps/app.env" in out and "GL301" in out and "Failed" in out
    assert "pl41ntext-in-git-7c1e" not in out  # never the value


# -- the README's snippets name a release that exists ------------------------------------


def _readme_rev() -> str:
    (entry,) = yaml.safe_load(readme_block(".pre-commit-config.yaml"))["repos"]
    return str(entry["rev"])


def test_readme_snippets_name_the_released_version():
    """pre-commit's ``rev:`` and the workflow's ``uses: ...@REV`` are one tag: ``v`` + the version."""
    version = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]["version"]
    assert _readme_rev() == f"v{version}"
    workflow = yaml.safe_load(readme_block(".github/workflows/gitops-lint.yml"))
    uses = [
        s["uses"]
        for job in workflow["jobs"].values()
        for s in job["steps"]
        if "gitops-lint@" in s.get("uses", "")
    ]
    assert uses and all(u.endswith(f"/gitops-lint@v{version}") for u in uses), uses


@pytest.mark.slow
def test_readme_rev_is_a_tag_of_this_repository_and_installs_with_pre_commit(tmp_path):
    """The snippet as written: its ``rev:`` is a tag here, and try-repo at that tag lints a defect.

    Skipped where that cannot be checked: outside a Git checkout, and in a
    checkout that holds no tag at all (a clone made without tags, or before the
    first release is tagged). A checkout with tags but not this one fails.
    """
    pytest.importorskip("pre_commit", reason="pre-commit is not installed (the `test` extra has it)")
    if not (PROJECT / ".git").exists():
        pytest.skip("not a Git checkout: the README's rev cannot be checked against the tags")
    rev = _readme_rev()
    tags = _git(PROJECT, "tag", "--list").split()
    if not tags:
        pytest.skip(f"this checkout has no tag at all: tag the release ({rev}) to check the README's rev")
    assert rev in tags, f"README's pre-commit rev {rev!r} is not a tag of this repository (tags: {tags})"

    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "--quiet", "--no-checkout", str(PROJECT), str(clone))
    home = tmp_path / "pre-commit-home"
    defect = tmp_path / "defect"
    shutil.copytree(
        FIXTURES / "defects" / "dependency-cycle", defect, ignore=shutil.ignore_patterns("expected.txt")
    )
    _commit_all(defect)
    run = _pre_commit(defect, home, "try-repo", str(clone), "gitops-lint", "--ref", rev, "--all-files")
    out = _installed(run, "GL101")
    assert run.returncode == 1 and "GL101" in out and "dependency-cycle" in out, out
