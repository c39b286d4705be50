"""The GitHub Action, the project's workflows and the README's example, checked by actionlint.

actionlint does not read an action's metadata file on its own; it checks
``action.yml`` through every workflow step that uses the local action
(``uses: ./``): unknown or missing inputs are errors. The structure of
``action.yml`` itself (a composite action whose inputs are the documented
ones, every ``run`` step with a shell, every ``inputs.X`` it uses declared) is
checked here directly.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT, venv_tool
from tests.helpers import copy_checkout
from tests.readme_snippets import readme_block

WORKFLOWS = sorted((PROJECT / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = venv_tool("actionlint")
needs_actionlint = pytest.mark.skipif(
    ACTIONLINT is None, reason="actionlint is not installed (the `test` extra installs it on Linux x86-64)"
)


def _actionlint(cwd: Path, *files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ACTIONLINT, "-no-color", "-oneline", *map(str, files)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_project_has_the_three_workflows():
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "gitops-lint.yml", "integration.yml"}


@needs_actionlint
def test_actionlint_passes_on_every_workflow_and_the_local_action(tmp_path):
    # a copy, so that actionlint resolves `uses: ./` against this action.yml and nothing else
    (tmp_path / ".git").mkdir()
    shutil.copy2(PROJECT / "action.yml", tmp_path / "action.yml")
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    for p in WORKFLOWS:
        shutil.copy2(p, wf / p.name)
    run = _actionlint(tmp_path, *sorted(wf.glob("*.yml")))
    assert run.returncode == 0, run.stdout + run.stderr


@needs_actionlint
def test_actionlint_passes_on_the_readme_workflow(tmp_path):
    (tmp_path / ".git").mkdir()
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    target = wf / "gitops-lint.yml"
    target.write_text(readme_block(".github/workflows/gitops-lint.yml"))
    run = _actionlint(tmp_path, target)
    assert run.returncode == 0, run.stdout + run.stderr


@needs_actionlint
def test_actionlint_catches_an_unknown_input_of_the_local_action(tmp_path):
    """The check above is real: a misspelt input of ``uses: ./`` fails."""
    (tmp_path / ".git").mkdir()
    shutil.copy2(PROJECT / "action.yml", tmp_path / "action.yml")
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    text = (PROJECT / ".github" / "workflows" / "gitops-lint.yml").read_text()
    (wf / "bad.yml").write_text(text.replace("sarif-file: example.sarif", "sarif-fil: example.sarif"))
    run = _actionlint(tmp_path, wf / "bad.yml")
    assert run.returncode == 1 and 'input "sarif-fil" is not defined' in run.stdout


def test_action_metadata_is_a_complete_composite_action():
    action = yaml.safe_load((PROJECT / "action.yml").read_text())
    assert action["name"] and action["description"]
    # no `version:`: gitops-lint is not on a package index, the action installs its own checkout
    assert set(action["inputs"]) == {
        "paths",
        "config",
        "fail-on",
        "sarif-file",
        "args",
        "base",
        "comment-file",
        "python-version",
    }
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name
        assert spec.get("required", False) is False and "default" in spec, name
    assert set(action["outputs"]) == {"errors", "warnings", "sarif-file", "comment-file"}
    steps = action["runs"]["steps"]
    ids = {s.get("id") for s in steps}
    for name, spec in action["outputs"].items():
        assert spec.get("description") and re.fullmatch(
            r"\$\{\{ steps\.([\w-]+)\.outputs\.[\w-]+ \}\}", spec["value"]
        )
        assert re.search(r"steps\.([\w-]+)\.", spec["value"]).group(1) in ids, name
    assert action["runs"]["using"] == "composite"
    for step in steps:
        assert step.get("name"), step
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step.get("shell") == "bash", step
    used = set(re.findall(r"inputs\.([\w-]+)", (PROJECT / "action.yml").read_text()))
    assert used <= set(action["inputs"]), used - set(action["inputs"])
    # inputs reach shell scripts through env, never by ${{ }} inside the script (injection)
    assert not any("${{" in step.get("run", "") for step in steps)


# the current major version of each action used: the action's own steps and the README's workflow
CURRENT = {
    "actions/setup-python": "v6",
    "actions/cache": "v6",
    "actions/checkout": "v6",
    "github/codeql-action/upload-sarif": "v4",
}


def _uses(doc: dict) -> list[str]:
    steps = doc["runs"]["steps"] if "runs" in doc else [s for j in doc["jobs"].values() for s in j["steps"]]
    return [s["uses"] for s in steps if "uses" in s]


def test_actions_used_are_at_their_current_major_version():
    action = _uses(yaml.safe_load((PROJECT / "action.yml").read_text()))
    readme = _uses(yaml.safe_load(readme_block(".github/workflows/gitops-lint.yml")))
    assert {u.split("@")[0] for u in action} == {"actions/setup-python", "actions/cache"}
    for uses in action + readme:
        name, _, ref = uses.partition("@")
        if name in CURRENT:
            assert ref == CURRENT[name], uses


def test_paths_and_args_are_split_like_shell_words():
    from gitops_lint.github_action import command_line

    env = {
        "INPUT_PATHS": "gitops/clusters/prod\n'gitops/clusters/my lab'",
        "INPUT_ARGS": '--root gitops --var "GREETING=hello world" --var X=$HOME',
        "INPUT_FAIL_ON": "warning",
        "INPUT_CONFIG": "ci/gitops lint.yaml",
    }
    assert command_line(env) == [
        "gitops/clusters/prod",
        "gitops/clusters/my lab",
        "--fail-on",
        "warning",
        "--config",
        "ci/gitops lint.yaml",
        "--root",
        "gitops",
        "--var",
        "GREETING=hello world",
        "--var",
        "X=$HOME",  # never expanded
    ]
    assert command_line({}) == [".", "--fail-on", "error"]


# -- the action's shell steps, run here with bash and a stand-in runner environment ----------

ACTION_FILES = ("pyproject.toml", "README.md", "action.yml", "gitops_lint", "rules", "schemas")


def _step(name: str) -> str:
    steps = yaml.safe_load((PROJECT / "action.yml").read_text())["runs"]["steps"]
    return next(s["run"] for s in steps if s.get("name") == name)


def _outputs(path: Path) -> dict[str, str]:
    """``$GITHUB_OUTPUT`` as the runner reads it: ``name=value`` and ``name<<DELIMITER`` blocks."""
    out: dict[str, str] = {}
    lines = iter(path.read_text().splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value = []
            for more in lines:
                if more == delimiter:
                    break
                value.append(more)
            out[name] = "\n".join(value)
        else:
            name, _, value = line.partition("=")
            out[name] = value
    return out


def _bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> str:
    """The action's "Locate the pip cache" and "Install gitops-lint" steps, run from a copy of
    this working tree as the action's checkout; returns the python the install step output."""
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    base = tmp_path_factory.mktemp("action")
    action_path = base / "action"
    copy_checkout(action_path, ACTION_FILES)
    runner_temp = base / "runner-temp"
    runner_temp.mkdir()
    env = {"PYTHON": sys.executable, "ACTION_PATH": str(action_path), "RUNNER_TEMP": str(runner_temp)}

    cache_out = base / "cache-output"
    run = _bash(_step("Locate the pip cache"), base, {**env, "GITHUB_OUTPUT": str(cache_out)})
    assert run.returncode == 0, run.stderr
    outputs = _outputs(cache_out)
    assert outputs["dir"] and re.fullmatch(r"[0-9a-f]{16}", outputs["key"]), outputs

    install_out = base / "install-output"
    run = _bash(_step("Install gitops-lint"), base, {**env, "GITHUB_OUTPUT": str(install_out)})
    if run.returncode != 0 and "pip" in run.stderr:
        pytest.fail(f"the install step failed (package index unreachable?):\n{run.stderr[-3000:]}")
    assert run.returncode == 0, run.stderr
    python = _outputs(install_out)["python"]
    assert Path(python).is_file() and Path(python).is_relative_to(runner_temp)
    return python


def _lint(
    python: str, cwd: Path, tmp_path: Path, **inputs: str
) -> tuple[subprocess.CompletedProcess, dict, str]:
    output, summary = tmp_path / "github-output", tmp_path / "step-summary.md"
    output.write_text("")
    summary.write_text("")
    env = {
        "GITOPS_LINT_PYTHON": python,
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        **{f"INPUT_{k.upper()}": v for k, v in inputs.items()},
    }
    run = _bash(_step("Lint"), cwd, env)
    return run, _outputs(output), summary.read_text()


@pytest.mark.slow
def test_action_steps_install_and_lint_a_monorepo_with_quoted_arguments(installed, tmp_path):
    """A repository whose Flux tree is ``my gitops/`` (a space), linted with ``--root 'my gitops'``."""
    repo = tmp_path / "repo"
    cycle = PROJECT / "tests" / "fixtures" / "defects" / "dependency-cycle"
    shutil.copytree(cycle, repo / "my gitops", ignore=shutil.ignore_patterns("expected.txt"))
    (repo / ".git").mkdir()
    run, outputs, summary = _lint(
        installed,
        repo,
        tmp_path,
        paths="'my gitops'",
        args="--root 'my gitops' --var \"GREETING=hello world\"",
        fail_on="error",
        sarif_file="out.sarif",
        config="",
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert (
        "::error file=my gitops/clusters/dev/apps.yaml,line=9,col=7,title=GL101 dependency-cycle::"
        in run.stdout
    )
    assert outputs == {"errors": "1", "warnings": "0", "sarif-file": "out.sarif", "comment-file": ""}
    sarif = json.loads((repo / "out.sarif").read_text())
    (result,) = sarif["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "my%20gitops/clusters/dev/apps.yaml"
    assert summary.count("## gitops-lint") == 1  # written once, by the github run
    assert "| errors | warnings | info |" in summary and "| 1 | 0 | 0 |" in summary
    assert "| GL101 dependency-cycle | error | 1 |" in summary


@pytest.mark.slow
def test_action_lint_step_on_a_clean_repository_and_on_bad_input(installed, tmp_path):
    example = PROJECT / "tests" / "fixtures" / "example"
    run, outputs, summary = _lint(
        installed, example, tmp_path, paths="", args="", fail_on="error", sarif_file="", config=""
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert outputs == {"errors": "0", "warnings": "0", "sarif-file": "", "comment-file": ""}
    assert "Found 0 errors, 0 warnings" in summary
    # an unbalanced quote is one error line, not a traceback; a usage error is exit 2
    run, outputs, _ = _lint(installed, example, tmp_path, paths=".", args="--root 'oops")
    assert run.returncode == 2 and run.stdout.startswith("::error title=gitops-lint action::"), run.stdout
    run, outputs, _ = _lint(installed, example, tmp_path, paths=".", args="--fail-on nonsense")
    assert run.returncode == 2 and outputs["errors"] == ""


# -- on a pull request: new findings annotated, the rendered diff in the summary ---------------


def test_base_ref_of_a_pull_request_and_the_base_input():
    from gitops_lint.github_action import base_ref, diff_command_line

    pr = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "main"}
    assert base_ref(pr) == "origin/main"
    assert base_ref({**pr, "INPUT_BASE": "none"}) == ""
    assert base_ref({**pr, "INPUT_BASE": "v1.2"}) == "v1.2"
    assert base_ref({"GITHUB_EVENT_NAME": "push", "GITHUB_BASE_REF": ""}) == ""
    env = {"INPUT_PATHS": "'my dir'", "INPUT_ARGS": "--root gitops --fail-on warning --var 'A=b c'"}
    assert diff_command_line(env, "origin/main") == [
        "diff",
        "my dir",
        "--base",
        "origin/main",
        "--format",
        "markdown",
        "--root",
        "gitops",
        "--var",
        "A=b c",
    ]


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("git"), reason="git is not installed")
def test_on_a_pull_request_only_new_findings_are_annotated_and_the_diff_is_summarised(tmp_path, monkeypatch):
    from gitops_lint.github_action import main as action_main
    from tests.test_new_only import add_defect, commit, git, make_repo

    repo = make_repo(tmp_path)  # its base commit already has a missing dependency (nope)
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    add_defect(repo)  # the change: a Kustomization depending on 'ghost'
    commit(repo)
    summary, outputs, comment = tmp_path / "summary.md", tmp_path / "out", tmp_path / "comment.md"
    monkeypatch.chdir(repo)
    env = {
        **os.environ,
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_BASE_REF": "main",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
        "INPUT_PATHS": ".",
        "INPUT_COMMENT_FILE": str(comment),
    }
    out = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(out, encoding="utf-8"))
    status = action_main(env)
    sys.stdout.flush()
    annotations = [ln for ln in out.getvalue().decode().splitlines() if ln.startswith("::error")]
    assert status == 1
    assert len(annotations) == 1 and "ghost" in annotations[0] and "nope" not in annotations[0]
    written = summary.read_text()
    assert "What this change does to the clusters" in written and "infra" in written
    assert comment.read_text() in written
    assert "comment-file<<" in outputs.read_text()
