"""The kinds of question a run asks of the repository tree (``core.observed``), and the
answer of one that raised: here, apart, because ``core.fs`` notes them as it answers."""

from __future__ import annotations

REAL = "real"
RELPATH = "relpath"
EXISTS = "exists"
ISDIR = "isdir"
ISFILE = "isfile"
LISTDIR = "listdir"
READ = "read"
WALK = "walk"
HASH = "hash"
DERIVE = "derive"


def function_name(fn) -> str:
    """Where a module-level function is found again (``module:qualname``): a run notes what
    a function of a file's bytes gave, and a later run calls the same function."""
    name = f"{fn.__module__}:{fn.__qualname__}"
    if "<" in name:
        raise TypeError(f"{name}: not a module-level function")
    return name


def function_named(name: str):
    """The function :func:`function_name` named (only gitops-lint's own)."""
    import importlib

    module, _, qualname = name.partition(":")
    if not module.startswith("gitops_lint.") or not qualname or "<" in qualname:
        raise ValueError(name)
    found = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def failure(exc: BaseException) -> str:
    """The answer of a question that raised: the exception's kind, never its text."""
    return "!" + type(exc).__name__
