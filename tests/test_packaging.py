"""The package as users install it: a wheel, and an editable install, run from elsewhere.

The data gitops-lint ships lives at the project's top level (``schemas/``: the
CRD chart table, the Flux JSON schemas, the prebuilt CEL parser; ``rules/``:
the rule pages), not inside the package. A wheel must carry it, and the
installed code must find it there, not in a checkout that happens to be near:
so a copy of this working tree is built into a wheel, installed into a fresh
virtualenv (the dependencies come from this interpreter's site-packages), and
run from a directory outside any checkout. Each lookup is checked directly,
since two of them fail quietly: a CEL parser that is not found is rebuilt (0.1 s
slower), and a rule page that is not found becomes a summary.

The editable install (``pip install -e``) reads the checkout's own files; it
is built from the copy too, so adding a rule or a schema there is seen
without reinstalling.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import setuptools

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from gitops_lint.rules import all_rules
from tests.conftest import FIXTURES, PROJECT
from tests.helpers import copy_checkout

pytestmark = pytest.mark.slow  # builds a wheel and two venvs

TREE = ("pyproject.toml", "README.md", "gitops_lint", "schemas", "rules")
EXAMPLE = FIXTURES / "example"

PROBE = """
import json, gitops_lint
from gitops_lint.core import data_files
from gitops_lint.model.crds import chart_table
from gitops_lint.rules import all_rules
from gitops_lint.schema import cel, registry
print(json.dumps({
    "package": gitops_lint.__file__,
    "checkout": str(data_files.checkout()),
    "schemas": str(data_files.schemas_dir()),
    "charts": len(chart_table().charts),
    "flux": sorted(p.name for p in registry.BUNDLED.glob("*.json")),
    "cel": cel._load_parser() is not None,
    "rules": [r.name for r in all_rules()],
}))
"""


def test_the_listed_packages_are_the_package_directories():
    """pyproject.toml lists the packages (setuptools cannot map schemas/ into a package it finds):
    a new subpackage left out of the list would be missing from the wheel."""
    setup = tomllib.loads((PROJECT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = setuptools.find_namespace_packages(where=str(PROJECT), include=["gitops_lint", "gitops_lint.*"])
    assert sorted(setup["packages"]) == sorted([*found, "gitops_lint.schemas"])
    assert setup["package-dir"] == {"gitops_lint.schemas": "schemas"}
    assert not (PROJECT / "gitops_lint" / "schemas").exists()  # one copy, at the top level


def _run(*args, cwd: Path, **kw) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, **kw
    )


def _ok(run: subprocess.CompletedProcess) -> str:
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    return run.stdout


def _copy_tree(dest: Path) -> Path:
    return copy_checkout(dest, TREE)


@pytest.fixture(scope="module", params=["wheel", "editable"])
def installed(request, tmp_path_factory) -> tuple[str, Path, Path]:
    """(how, the venv's bin directory, the source copy it was built from)."""
    base = tmp_path_factory.mktemp(request.param)
    src = _copy_tree(base / "src")
    venv = base / "venv"
    _ok(_run(sys.executable, "-m", "venv", "--system-site-packages", venv, cwd=base))
    python = venv / "bin" / "python"
    if request.param == "wheel":
        wheels = base / "wheels"
        _ok(_run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", wheels, src, cwd=base))
        (wheel,) = wheels.glob("gitops_lint-*.whl")
        _ok(_run(python, "-m", "pip", "install", "--no-index", "--no-deps", "--quiet", wheel, cwd=base))
        shutil.rmtree(src)  # nothing may be read from the tree the wheel was built from
    else:
        # pip builds the editable wheel itself: its build backend comes from the package index
        _ok(_run(python, "-m", "pip", "install", "--no-deps", "--quiet", "-e", src, cwd=base))
    return request.param, venv / "bin", src


def test_installed_package_finds_its_data(installed, tmp_path):
    how, bin_dir, src = installed
    probe = json.loads(_ok(_run(bin_dir / "python", "-c", PROBE, cwd=tmp_path)))
    venv = bin_dir.parent
    if how == "wheel":
        assert Path(probe["package"]).is_relative_to(venv), probe  # not this checkout's copy
        assert probe["checkout"] == "None"
        assert Path(probe["schemas"]) == Path(probe["package"]).parent / "schemas"
    else:
        assert Path(probe["package"]).is_relative_to(src), probe
        assert Path(probe["checkout"]) == src and Path(probe["schemas"]) == src / "schemas"
    assert probe["charts"] > 0
    assert probe["flux"] == sorted(p.name for p in (PROJECT / "schemas" / "flux").glob("*.json"))
    assert probe["cel"] is True, "the shipped CEL parser was not loaded"
    assert probe["rules"] == [r.name for r in all_rules()]  # the entry points, all of them


def test_installed_cli_lints_and_explains_from_outside_the_checkout(installed, tmp_path):
    _how, bin_dir, _src = installed
    cli = bin_dir / "gitops-lint"
    args = ("--format", "json", "--root", EXAMPLE, EXAMPLE)
    report = json.loads(_ok(_run(cli, *args, cwd=tmp_path)))
    here = json.loads(_ok(_run(sys.executable, "-m", "gitops_lint", *args, cwd=PROJECT)))
    assert report == here and report["summary"]["kustomizations"] > 0
    for rule in all_rules():
        page = _ok(_run(cli, "explain", rule.code, cwd=tmp_path))
        assert page == (PROJECT / "rules" / f"{rule.name}.md").read_text(encoding="utf-8")
    catalog = _ok(_run(cli, "rules", cwd=tmp_path))
    assert [line.split()[1] for line in catalog.splitlines()] == [r.name for r in all_rules()]
