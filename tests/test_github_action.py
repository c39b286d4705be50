"""The GitHub Action, the project's workflows and the README's example, checked by actionlint.

actionlint does not read an action's metadata file on its own; it checks
``action.yml`` through every workflow step that uses the local action
(``uses: ./``): unknown or missing inputs are errors. The structure of
``action.yml`` itself (a composite action whose inputs are the documented
ones, every ``run`` step with a shell, every ``inputs.X`` it uses declared) is
checked here directly.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT
from tests.readme_snippets import readme_block

WORKFLOWS = sorted((PROJECT / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = shutil.which("actionlint")
needs_actionlint = pytest.mark.skipif(
    ACTIONLINT is None, reason="actionlint is not installed (the `test` extra installs it on Linux x86-64)"
)


def _actionlint(cwd: Path, *files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ACTIONLINT, "-no-color", "-oneline", *map(str, files)], cwd=cwd, capture_output=True, text=True, timeout=120
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
    assert set(action["inputs"]) >= {"paths", "config", "fail-on", "sarif-file", "version"}
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name
        assert spec.get("required", False) is False and "default" in spec, name
    runs = action["runs"]
    assert runs["using"] == "composite"
    steps = runs["steps"]
    assert any(str(s.get("uses", "")).startswith("actions/setup-python@") for s in steps)
    for step in steps:
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step.get("shell") == "bash", step
    used = set(re.findall(r"inputs\.([\w-]+)", (PROJECT / "action.yml").read_text()))
    assert used <= set(action["inputs"]), used - set(action["inputs"])
    # inputs reach shell scripts through env, never by ${{ }} inside the script (injection)
    assert not any("${{" in step.get("run", "") for step in steps)


def test_action_lint_script_runs_gitops_lint_with_the_inputs(tmp_path):
    """The action's shell script, run here with bash, on the example and on a defect."""
    if shutil.which("bash") is None or shutil.which("gitops-lint") is None:
        pytest.skip("bash or the gitops-lint command is not installed")
    steps = yaml.safe_load((PROJECT / "action.yml").read_text())["runs"]["steps"]
    script = next(s["run"] for s in steps if s.get("name") == "Lint")
    fixtures = PROJECT / "tests" / "fixtures"

    def run(paths: str, args: str = "", sarif: str = "") -> subprocess.CompletedProcess:
        env = {
            "PATH": __import__("os").environ["PATH"],
            "PATHS": paths,
            "CONFIG": "",
            "FAIL_ON": "error",
            "SARIF_FILE": sarif,
            "EXTRA_ARGS": args,
        }
        return subprocess.run(["bash", "-e", "-c", script], cwd=PROJECT, env=env, capture_output=True, text=True)

    ok = run(str(fixtures / "example" / "clusters" / "mycluster-0"), sarif=str(tmp_path / "ok.sarif"))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert (tmp_path / "ok.sarif").read_text().startswith("{")
    cycle = fixtures / "defects" / "dependency-cycle"
    bad = run(f"{cycle}\n", args=f"--root {cycle}", sarif=str(tmp_path / "bad.sarif"))
    assert bad.returncode == 1
    assert "::error file=clusters/dev/apps.yaml,line=9,col=7,title=GL101 dependency-cycle::" in bad.stdout
    assert '"ruleId": "GL101"' in (tmp_path / "bad.sarif").read_text()
