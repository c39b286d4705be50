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


def derivable(fn):
    """Mark a pure, module-level function of a file's bytes (and JSON arguments) as one
    ``RepoFS.derive`` may ask, and a later run call again by name (:func:`function_named`)."""
    fn.derivable = True
    return fn


def function_name(fn) -> str:
    """Where a :func:`derivable` function is found again (``module:qualname``): a run notes
    what a function of a file's bytes gave, and a later run calls the same function."""
    name = f"{fn.__module__}:{fn.__qualname__}"
    if "<" in name or not getattr(fn, "derivable", False):
        raise TypeError(f"{name}: not a derivable module-level function")
    return name


def function_named(name: str):
    """The :func:`derivable` function :func:`function_name` named: gitops-lint's own and
    marked so, never another (the name comes from a file of the cache)."""
    import importlib

    module, _, qualname = name.partition(":")
    if not module.startswith("gitops_lint.") or not qualname.isidentifier():
        raise ValueError(name)
    found = getattr(importlib.import_module(module), qualname)
    if not getattr(found, "derivable", False):
        raise ValueError(name)
    return found


def failure(exc: BaseException) -> str:
    """The answer of a question that raised: the exception's kind, never its text."""
    return "!" + type(exc).__name__
