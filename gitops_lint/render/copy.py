"""Fast deep copies of plain YAML data (dicts, lists, scalars).

Parsed documents are shared by every stage of a run (the document cache
parses each file once), and a build hands out objects its caller owns, so
the renderer copies a lot. ``copy.deepcopy`` pays for memo bookkeeping and
dispatch on every node; YAML data is only dicts, lists and immutable
scalars, so a copier that only recurses into containers is several times
faster.

YAML aliases make the parsed data a DAG, and kustomize expands them (an
anchored map used twice becomes two independent maps: a transformer that
changes one must not change the other), so the copy expands them too. An
alias bomb (a few lines that expand to billions of nodes) would then make an
unbounded copy hang: the first copy of a document out of the cache is
*budgeted* (:func:`copy_budgeted`); copies of data the renderer already
expanded once use the plain :func:`deep_copy`.
"""

from __future__ import annotations

from typing import Any

#: nodes one document may expand to (aliases included) before it is refused
DEFAULT_NODE_BUDGET = 2_000_000

_CONTAINERS = (dict, list)


class TooLarge(Exception):
    """A document expands (through aliases) to more nodes than the budget."""


def deep_copy(obj: Any) -> Any:
    """Copy dicts and lists recursively; scalars are immutable and shared.

    A container is copied whole in C (``.copy()``), then only its entries that are
    containers are replaced by their copies: most entries of YAML data are scalars.
    """
    t = type(obj)
    if t is dict:
        out = obj.copy()
        for k, v in obj.items():
            tv = type(v)
            if tv is dict or tv is list:
                out[k] = deep_copy(v)
        return out
    if t is list:
        out = obj.copy()
        for i, v in enumerate(obj):
            tv = type(v)
            if tv is dict or tv is list:
                out[i] = deep_copy(v)
        return out
    return obj


class _Budget:
    __slots__ = ("left",)

    def __init__(self, left: int):
        self.left = left

    def copy(self, obj: Any) -> Any:
        self.left -= len(obj)
        if self.left < 0:
            raise TooLarge()
        walk = self.copy
        out = obj.copy()
        if type(obj) is dict:
            for k, v in obj.items():
                tv = type(v)
                if tv is dict or tv is list:
                    out[k] = walk(v)
        else:
            for i, v in enumerate(obj):
                tv = type(v)
                if tv is dict or tv is list:
                    out[i] = walk(v)
        return out


def copy_budgeted(obj: Any, budget: int = DEFAULT_NODE_BUDGET) -> Any:
    """Like :func:`deep_copy`, but raise :class:`TooLarge` past ``budget`` nodes."""
    if type(obj) not in _CONTAINERS:
        return obj
    return _Budget(budget).copy(obj)
