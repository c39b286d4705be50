"""Small helpers shared by several rules."""

from __future__ import annotations

from ..graph.dependson import NodeKey


def show(key: NodeKey, same_namespace: bool = True) -> str:
    kind, ns, name = key
    return name if same_namespace or not ns else f"{ns}/{name}"


def show_ref(kind: str, namespace: str, name: str) -> str:
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"
