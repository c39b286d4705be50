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


def failure(exc: BaseException) -> str:
    """The answer of a question that raised: the exception's kind, never its text."""
    return "!" + type(exc).__name__
