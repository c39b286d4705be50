"""Small helpers shared by several rules."""

from __future__ import annotations

from ..graph.dependson import NodeKey


def show(key: NodeKey, same_namespace: bool = True) -> str:
    kind, ns, name = key
    return name if same_namespace or not ns else f"{ns}/{name}"
