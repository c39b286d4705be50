"""PyYAML's reader pattern, made on first use in the command line's process (load.lazy_reader).

Each check runs in a fresh interpreter: whether ``yaml.reader`` was imported with the
pattern deferred depends on what the process imported before, which pytest's own
process has long settled."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import PROJECT


def fresh(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_command_line_imports_pyyaml_with_the_pattern_deferred():
    """cli.entry installs it before any stage runs: the first import of yaml is deferred."""
    out = fresh(
        "import sys\n"
        "from gitops_lint import cli\n"
        "def main():\n"
        "    import yaml\n"
        "    print(type(yaml.reader.Reader.NON_PRINTABLE).__name__)\n"
        "    return 0\n"
        "cli.main = main\n"
        "cli.entry()\n"
    )
    assert out.strip() == "OnFirstUse"


def test_a_library_import_keeps_pyyaml_as_it_is():
    out = fresh(
        "import re, gitops_lint.lint, yaml\nprint(isinstance(yaml.reader.Reader.NON_PRINTABLE, re.Pattern))"
    )
    assert out.strip() == "True"


@pytest.mark.parametrize("text", ["a: \x07\n", "a: b\n", "k: \ufffe\n", "k: caf\u00e9 \U0001f600\n"])
def test_the_pure_python_reader_judges_as_with_the_compiled_pattern(text):
    """The deferred pattern compiles on first use to the pattern PyYAML compiles: the
    pure-Python reader accepts and refuses the same streams, with the same message."""
    code = (
        "import sys, yaml\n"
        "def judge(text):\n"
        "    try:\n"
        "        return repr(yaml.load(text, Loader=yaml.SafeLoader))\n"
        "    except yaml.YAMLError as exc:\n"
        "        return 'refused: ' + str(exc).splitlines()[0]\n"
        f"print(judge({text!r}))\n"
    )
    plain = fresh(code)
    deferred = fresh("from gitops_lint.load import lazy_reader\nlazy_reader.install()\n" + code)
    assert deferred == plain
    assert ("refused" in plain) == (text in ("a: \x07\n", "k: \ufffe\n"))


def test_every_other_import_is_left_to_the_other_finders():
    out = fresh(
        "import sys\n"
        "from gitops_lint.load import lazy_reader\n"
        "lazy_reader.install()\n"
        "import json, yaml\n"
        "print(lazy_reader._Finder in sys.meta_path, type(yaml.reader.Reader.NON_PRINTABLE).__name__,"
        " json.loads('[1]'), yaml.safe_load('a: 1'))\n"
    )
    assert out.split() == ["False", "OnFirstUse", "[1]", "{'a':", "1}"]
