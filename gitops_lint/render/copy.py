"""Fast deep copies of plain YAML data (dicts, lists, scalars).

Parsed documents are shared by every stage of a run (the document cache
parses each file once), and a build hands out objects its caller owns, so
the renderer copies a lot. ``copy.deepcopy`` pays for memo bookkeeping and
dispatch on every node; YAML data is only dicts, lists and immutable
scalars, so a two-branch recursive copier is several times faster.

YAML aliases make the parsed data a DAG: an alias bomb (a few lines that
expand to billions of nodes) would make an unbounded copy hang. The first
copy of a document out of the cache is therefore *budgeted*
(:func:`copy_budgeted`); copies of data the renderer already expanded once
use the plain :func:`deep_copy`.
"""

from __future__ import annotations

from typing import Any

#: nodes one document may expand to (aliases included) before it is refused
DEFAULT_NODE_BUDGET = 2_000_000


class TooLarge(Exception):
    """A document expands (through aliases) to more nodes than the budget."""


def deep_copy(obj: Any) -> Any:
    """Copy dicts and lists recursively; scalars are immutable and shared."""
    t = type(obj)
    if t is dict:
        return {k: (v if type(v) is str else deep_copy(v)) for k, v in obj.items()}
    if t is list:
        return [v if type(v) is str else deep_copy(v) for v in obj]
    return obj


def copy_budgeted(obj: Any, budget: int = DEFAULT_NODE_BUDGET) -> Any:
    """Like :func:`deep_copy`, but raise :class:`TooLarge` past ``budget`` nodes."""
    left = [budget]

    def walk(o: Any) -> Any:
        t = type(o)
        if t is dict:
            left[0] -= len(o)
            if left[0] < 0:
                raise TooLarge()
            return {k: (v if type(v) is str else walk(v)) for k, v in o.items()}
        if t is list:
            left[0] -= len(o)
            if left[0] < 0:
                raise TooLarge()
            return [v if type(v) is str else walk(v) for v in o]
        return o

    return walk(obj)
