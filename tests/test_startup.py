"""What a gitops-lint process imports: only what its run uses (issue 18, start-up).

Every run pays its imports, a warm hit most of all (its work is a few milliseconds).
Each test runs the command line in a fresh interpreter and looks at ``sys.modules``
at its end: modules a run does not need must not be there, and a run that does need
them (a fixable finding, a rule plugin) must still get them. No timing is asserted.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gitops_lint import cli, fix

PROJECT = Path(__file__).resolve().parents[1]
EXAMPLE = PROJECT / "tests" / "fixtures" / "example"
DEFECTS = PROJECT / "tests" / "fixtures" / "defects"

# the probe: the command line's main() as `gitops-lint` runs it, then the modules it left
PROBE = textwrap.dedent(
    """
    import os, sys
    from gitops_lint.cli import main
    try:
        code = main(sys.argv[1:])
    except SystemExit as exc:  # --version and --help exit from argparse
        code = exc.code
    with open(os.environ["PROBE_OUT"], "w") as fh:
        fh.write(repr([code, sorted(sys.modules)]))
    """
)

# imported by no plain lint: the fixer and its YAML round-trip library (a run with no
# fixable finding), importlib.metadata (no rule plugin installed) and what it pulls in
NOT_IN_A_LINT = ("gitops_lint.fix", "ruamel.yaml", "importlib.metadata", "email", "csv", "zipfile")
# imported by no --version and no warm hit: the YAML parser and every stage of a lint
# (tempfile only where site does not import it already, as this machine's certifi hook does)
NOT_IN_A_HIT = (
    "yaml",
    "gitops_lint.load.loader",
    "gitops_lint.lint",
    "gitops_lint.rules",
    "difflib",
    "tempfile",
)


def imported(tmp_path, *args: str, env: dict[str, str] | None = None, pythonpath: str | None = None):
    out = tmp_path / "modules.txt"
    run_env = {**os.environ, **(env or {}), "PROBE_OUT": str(out)}
    run_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT), pythonpath) if p)
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=PROJECT,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.exists(), proc.stderr
    code, modules = ast.literal_eval(out.read_text())
    return code, set(modules), proc


@functools.lru_cache(maxsize=1)
def interpreter_modules() -> frozenset[str]:
    """What this interpreter imports before any code runs (``site`` and its ``.pth`` hooks:
    an environment's, not gitops-lint's)."""
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; print(repr(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return frozenset(ast.literal_eval(proc.stdout))


def absent(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """The ``names`` (or any submodule of one) found in ``modules``, beyond the interpreter's own."""
    extra = modules - interpreter_modules()
    return sorted(m for m in extra for n in names if m == n or m.startswith(n + "."))


def test_a_lint_imports_neither_the_fixer_nor_importlib_metadata(tmp_path):
    code, modules, proc = imported(
        tmp_path, "--no-cache", "--root", str(EXAMPLE), str(EXAMPLE), env={"GITOPS_LINT_NO_CACHE": "1"}
    )
    assert code == 0, proc.stderr
    assert "Found 0 errors" in proc.stdout
    assert "gitops_lint.rules.schema" in modules  # the run did run the rules
    assert absent(modules, NOT_IN_A_LINT) == []


def test_version_and_help_import_no_stage(tmp_path):
    for args in (["--version"], ["--help"]):
        code, modules, proc = imported(tmp_path, *args)
        assert code == 0, proc.stderr
        assert (
            absent(modules, (*NOT_IN_A_HIT, *NOT_IN_A_LINT, "gitops_lint.load", "gitops_lint.core.data"))
            == []
        )


def test_a_warm_hit_imports_no_yaml_parser_and_no_stage(tmp_path):
    """A repository without a config file: a hit reads its key and its entry, nothing else."""
    repo = DEFECTS / "missing-dependency"
    env = {"GITOPS_LINT_CACHE_DIR": str(tmp_path / "cache"), "GITOPS_LINT_NO_CACHE": ""}
    first = imported(tmp_path, "--root", str(repo), str(repo), env=env)
    code, modules, proc = imported(tmp_path, "--root", str(repo), str(repo), env=env)
    assert code == first[0] == 1 and proc.stdout == first[2].stdout, proc.stderr
    assert "missing-dependency" in proc.stdout
    assert "gitops_lint.cache" in modules
    assert absent(modules, (*NOT_IN_A_HIT, *NOT_IN_A_LINT)) == []


@pytest.mark.parametrize("rule", ["deprecated-api", "missing-namespace"])
def test_a_fixable_finding_still_gets_its_mark_and_its_fix(tmp_path, rule):
    repo = DEFECTS / rule
    code, modules, proc = imported(tmp_path, "--no-cache", "--root", str(repo), str(repo))
    assert "fixable with --fix" in proc.stdout, proc.stdout + proc.stderr
    assert "gitops_lint.fix" in modules
    code, modules, proc = imported(tmp_path, "--diff", "--root", str(repo), str(repo))
    assert proc.stdout.startswith("---"), proc.stderr
    assert code == 1 and "gitops_lint.fix" in modules


def test_the_fixable_rules_are_the_fixers():
    """cli.FIXABLE_RULES decides whether a run imports the fixer: it must name every fixer."""
    assert set(fix.FIXERS) == cli.FIXABLE_RULES
    assert set(fix.fixable_rules()) == cli.FIXABLE_RULES


def test_an_installed_plugin_is_still_found_through_importlib_metadata(tmp_path):
    """A distribution that declares a rule plugin: the registry asks importlib.metadata."""
    site = tmp_path / "site"
    (site / "acme_rules").mkdir(parents=True)
    (site / "acme_rules" / "__init__.py").write_text(
        textwrap.dedent(
            """
            from gitops_lint.rules import REPOSITORY, Rule, Severity

            def check(ctx):
                return []

            RULE = Rule(
                code="ACME001", name="acme-nothing", severity=Severity.WARNING, scope=REPOSITORY,
                summary="finds nothing", check=check,
            )
            """
        )
    )
    info = site / "acme_rules-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-rules\nVersion: 1.0\n\n")
    (info / "entry_points.txt").write_text("[gitops_lint.rules]\nacme-nothing = acme_rules:RULE\n")
    code, modules, proc = imported(tmp_path, "rules", pythonpath=str(site))
    assert code == 0, proc.stderr
    assert "ACME001" in proc.stdout and "acme-nothing" in proc.stdout
    assert "importlib.metadata" in modules
    code, modules, proc = imported(
        tmp_path, "--no-cache", "--format", "json", "--root", str(EXAMPLE), str(EXAMPLE), pythonpath=str(site)
    )
    assert code == 0 and json.loads(proc.stdout)["findings"] == [], proc.stderr


def test_the_version_is_the_distribution_version():
    """--version, the cache key and SARIF read gitops_lint.__version__, a constant (no
    importlib.metadata at start-up): it must be the version a wheel or an editable install
    is built with, so that a release changes what the cache is keyed by."""
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    import gitops_lint

    assert gitops_lint.__version__ == project["version"]
