"""The suite's split: ``pytest -m "not slow"`` is the quick run, ``kubectl`` marks what runs kubectl.

The markers are registered with ``--strict-markers`` (a typo is an error, not a
test that silently stays in the quick run), every kubectl test is slow too, and
tests/conftest.py fails a test that starts kubectl, or skips for want of it,
without the ``kubectl`` marker: checked here on a small suite run by a nested pytest.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import PROJECT, venv_tool

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


def test_the_markers_are_registered_and_strict():
    options = tomllib.loads((PROJECT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "--strict-markers" in options["addopts"].split()
    assert {m.split(":", 1)[0] for m in options["markers"]} == {"slow", "kubectl"}


def test_every_kubectl_test_is_slow_too(request):
    """``-m "not slow"`` never needs kubectl (in this session's selection)."""
    kubectl = [i for i in request.session.items if i.get_closest_marker("kubectl")]
    assert [i.nodeid for i in kubectl if not i.get_closest_marker("slow")] == []


NESTED = """
import subprocess

import pytest


def _fake(tmp_path, name):
    program = tmp_path / name
    program.write_text("#!/bin/sh\\nexit 0\\n")
    program.chmod(0o755)
    subprocess.run([str(program)], check=True)


def test_unmarked_runs_kubectl(tmp_path):
    _fake(tmp_path, "kubectl")


@pytest.mark.kubectl
def test_marked_runs_kubectl(tmp_path):
    _fake(tmp_path, "kubectl")


def test_unmarked_runs_another_program(tmp_path):
    _fake(tmp_path, "kustomize")


@pytest.mark.skipif(True, reason="kubectl is not installed")
def test_unmarked_skips_for_want_of_kubectl():
    pass


@pytest.fixture(scope="module")
def built_by_kubectl(tmp_path_factory):
    _fake(tmp_path_factory.mktemp("fixture"), "kubectl")


def test_unmarked_uses_a_fixture_that_runs_kubectl(built_by_kubectl):
    pass
"""


@pytest.mark.slow
def test_conftest_fails_a_kubectl_test_without_the_marker(tmp_path):
    (tmp_path / "test_nested.py").write_text(textwrap.dedent(NESTED))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-q", "-rfE"]
        + [
            "-c",
            str(PROJECT / "pyproject.toml"),
            "--rootdir",
            str(tmp_path),
            str(tmp_path / "test_nested.py"),
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = run.stdout + run.stderr
    failed = sorted(
        line.split("::")[1].split()[0] for line in out.splitlines() if line.startswith(("FAILED", "ERROR"))
    )
    assert failed == [
        "test_unmarked_runs_kubectl",
        "test_unmarked_skips_for_want_of_kubectl",
        "test_unmarked_uses_a_fixture_that_runs_kubectl",
    ], out
    assert "runs kubectl without the `kubectl` marker" in out
    assert "skips for want of kubectl without the `kubectl` marker" in out
    assert "2 passed" in out, out


def test_tools_are_found_next_to_the_interpreter_of_a_venv_that_is_not_activated(tmp_path, monkeypatch):
    """A venv's console scripts sit next to its python; run without activating it, PATH lacks them."""
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    tool = bin_dir / "actionlint"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(bin_dir / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert venv_tool("actionlint") == str(tool)
    assert venv_tool("no-such-tool") is None
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "pre-commit").write_text("#!/bin/sh\n")
    (elsewhere / "pre-commit").chmod(0o755)
    monkeypatch.setenv("PATH", os.pathsep.join([str(elsewhere)]))
    assert venv_tool("pre-commit") == str(Path(elsewhere / "pre-commit"))
