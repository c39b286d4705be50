"""tools/new_rule.py, run on a copy of this working tree: what it writes passes the suite's checks.

The generated rule must load from the checkout (its entry point in
pyproject.toml is the registry), its page must pass tests/test_rule_pages.py,
its fixture tests/test_fixtures.py, and its module ruff; the copy's own
tests are run, so the checks are exactly the suite's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitops_lint.rules import all_rules
from tests.conftest import PROJECT
from tests.helpers import copy_checkout

TREE = ("pyproject.toml", "README.md", "gitops_lint", "schemas", "rules", "tools")
TESTS = ("conftest.py", "helpers.py", "test_rule_pages.py", "test_fixtures.py")


def _run(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.fixture
def copy(tmp_path) -> Path:
    return copy_checkout(tmp_path / "checkout", [*TREE, *(f"tests/{name}" for name in TESTS)])


def _next(series: str = "GL") -> str:
    codes = sorted(r.code for r in all_rules() if r.code.startswith(series))
    return f"GL{int(codes[-1][2:]) + 1:03d}"


@pytest.mark.slow
def test_new_rule_writes_a_rule_that_passes_the_suite(copy, tmp_path):
    script = copy / "tools" / "new_rule.py"
    made = _run(sys.executable, script, "widget-check", "--severity", "warning", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    code = _next()
    assert made.stdout.startswith(f"{code} widget-check: wrote")
    in_series = _run(sys.executable, script, "gadget-check", "--code", "GL2", cwd=tmp_path)
    assert in_series.returncode == 0 and in_series.stdout.startswith(f"{_next('GL2')} gadget-check"), (
        in_series
    )

    module = copy / "gitops_lint" / "rules" / "widget_check.py"
    assert (copy / "rules" / "widget-check.md").is_file()
    assert (copy / "tests" / "fixtures" / "defects" / "widget-check" / "expected.txt").is_file()
    assert 'widget-check = "gitops_lint.rules.widget_check:RULE"' in (copy / "pyproject.toml").read_text()

    listed = _run(
        sys.executable,
        "-c",
        "import json; from gitops_lint.rules import all_rules; "
        "print(json.dumps([[r.name, r.code, r.severity.label] for r in all_rules()]))",
        cwd=copy,
    )
    rules = json.loads(listed.stdout)
    assert ["widget-check", code, "warning"] in rules and len(rules) == len(all_rules()) + 2

    suite = _run(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/test_rule_pages.py",
        "tests/test_fixtures.py",
        "-k",
        "widget-check or gadget-check",
        cwd=copy,
    )
    assert suite.returncode == 0 and "8 passed" in suite.stdout, suite.stdout[-3000:]
    for check in (["check"], ["format", "--check"]):
        lint = _run(sys.executable, "-m", "ruff", *check, module, cwd=copy)
        assert lint.returncode == 0, lint.stdout + lint.stderr

    assert "widget-check" not in (PROJECT / "pyproject.toml").read_text()  # the copy, only


@pytest.mark.parametrize(
    "args, reason",
    [
        (["schema"], "rule 'schema' exists (GL501)"),
        (["new-check", "--code", "GL501"], "code GL501 is taken"),
        (["New_Check"], "lower-case words joined by '-'"),
        (["new-check", "--code", "X1"], "give a code (GL604) or a series (GL6)"),
    ],
)
def test_new_rule_refuses_before_writing(copy, tmp_path, args, reason):
    before = (copy / "pyproject.toml").read_text()
    run = _run(sys.executable, copy / "tools" / "new_rule.py", *args, cwd=tmp_path)
    assert run.returncode == 2 and reason in run.stderr, run.stderr
    assert (copy / "pyproject.toml").read_text() == before
    assert not (copy / "rules" / "new-check.md").exists()
