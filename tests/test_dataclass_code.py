"""The dataclass methods compiled ahead (gitops_lint.core.dataclass_code) are the ones
``dataclasses`` compiles itself: the same code for the same text, bound to the same
globals, and a text not in the table is compiled as always."""

from __future__ import annotations

import dataclasses
import importlib
import subprocess
import sys
import types

import pytest

from gitops_lint.core import dataclass_code
from tests.conftest import PROJECT


def _table():
    try:
        return importlib.import_module(dataclass_code.table_module())
    except ImportError:
        pytest.skip(f"no table for Python {sys.version_info[0]}.{sys.version_info[1]}")


def _shape(code: types.CodeType) -> tuple:
    """A code object without where it was compiled (file, first line, line table)."""
    return (
        code.co_code,
        code.co_names,
        code.co_varnames,
        code.co_freevars,
        code.co_cellvars,
        code.co_argcount,
        code.co_kwonlyargcount,
        code.co_flags,
        code.co_qualname,
        tuple(_shape(c) if isinstance(c, types.CodeType) else (type(c), c) for c in code.co_consts),
    )


def test_each_compiled_method_is_what_exec_makes_of_its_text():
    table = _table()
    codes = table.codes()
    assert len(codes) == len(table.TEXTS) > 400
    for text, code in codes.items():
        ns: dict = {}
        # as dataclasses.py compiles it: without this file's ``from __future__`` flags
        exec(compile(text, "<string>", "exec", dont_inherit=True), {"__builtins__": __builtins__}, ns)
        assert _shape(code) == _shape(ns["__create_fn__"].__code__), text.splitlines()[0]


def test_it_is_installed_and_the_classes_are_made_from_it():
    _table()
    create_fn = dataclasses._create_fn
    assert getattr(create_fn, "compiled_ahead", False)
    from gitops_lint.core.data import Origin

    init = Origin.__init__
    assert init.__code__.co_filename.endswith(".py")  # the table's, not exec's "<string>"
    assert init.__globals__ is sys.modules["gitops_lint.core.data"].__dict__
    assert init.__qualname__ == "Origin.__init__"
    o = Origin("a.yaml", 3, 0)
    assert (o.file, o.line) == ("a.yaml", 3) and o == Origin("a.yaml", 3, 0) and "a.yaml" in repr(o)


def test_a_class_not_in_the_table_is_compiled_as_before():
    """By dataclasses itself: its annotations evaluated (no ``from __future__`` flag of
    gitops-lint's modules leaks into the compile)."""
    _table()
    unlisted = dataclasses.make_dataclass(
        "Unlisted",
        [("a_field_no_gitops_lint_class_has", int), ("other", str, dataclasses.field(default="x"))],
        frozen=True,
    )
    u = unlisted(1)
    assert u.other == "x" and u == unlisted(1) and hash(u) == hash(unlisted(1))
    assert unlisted.__init__.__code__.co_filename == "<string>"
    assert unlisted.__init__.__annotations__["a_field_no_gitops_lint_class_has"] is int
    with pytest.raises(dataclasses.FrozenInstanceError):
        u.other = "y"


def test_the_table_holds_every_method_of_the_package():
    """tools/gen_dataclass_code.py --check, in a fresh interpreter (it imports every module)."""
    _table()
    done = subprocess.run(
        [sys.executable, str(PROJECT / "tools" / "gen_dataclass_code.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_another_create_fn_is_not_served(monkeypatch):
    """A Python whose ``_create_fn`` differs from the one the table was made for (another
    release): nothing is installed."""
    table = _table()
    monkeypatch.setattr(table, "STAMP", "3.11 0000000000000000")

    def original(name, args, body, *, globals=None, locals=None, return_type=dataclasses.MISSING):
        raise AssertionError("not called")

    monkeypatch.setattr(dataclasses, "_create_fn", original)
    assert dataclass_code.install() is False and dataclasses._create_fn is original
