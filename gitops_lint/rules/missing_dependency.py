"""GL102 missing-dependency: a dependsOn entry names nothing that exists.

Flux requeues a Kustomization whose dependency is not found every 30 s,
forever (``dependency 'ns/name' not found``). Dependencies link objects of
the same kind only: a Kustomization cannot wait for a HelmRelease.
"""

from __future__ import annotations

from ..core.data import Severity, key_text
from ..graph.dependson import GRAPH_KINDS, dependencies_of
from .base import Context, Hit, Rule

_GRAPH_KIND_NAMES = {kind for kind, _ in GRAPH_KINDS}


def check(ctx: Context):
    graph = ctx.graph
    for key, data in sorted(graph.nodes(data=True)):
        node = data.get("node")
        if node is None:
            continue
        for dep in dependencies_of(graph, key):
            target = dep.target
            if target in graph or target[0] not in _GRAPH_KIND_NAMES:
                continue
            kind, ns, name = target
            message = f"dependsOn {key_text(kind, ns, name)}, which no manifest of this cluster defines"
            others = sorted(k for k in _GRAPH_KIND_NAMES if k != kind and (k, ns, name) in graph)
            if others and key[0] != "ResourceSet":
                message += f" (a {others[0]} of that name exists, but {kind} dependsOn only links {kind}s)"
            elif not dep.namespace_given:
                message += f" (namespace defaults to the dependent's, {ns})"
            yield Hit(message, origin=node.origin, path=("spec", "dependsOn", dep.index), object=data["ref"])


RULE = Rule(
    "missing-dependency",
    "GL102",
    Severity.ERROR,
    "a dependsOn entry names an object that does not exist",
    check,
)
