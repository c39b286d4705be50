"""GL101 dependency-cycle: dependsOn edges that form a cycle.

kustomize-controller and helm-controller wait for every dependency to be
Ready; a cycle never becomes Ready and nothing in it is ever applied, without
any error (FLUX-SEMANTICS 2.4: "Cycles deadlock silently").
"""

from __future__ import annotations

from ..core.data import Severity
from ..graph.dependson import find_cycles
from .base import Context, Hit, Rule
from .common import show


def check(ctx: Context):
    graph = ctx.graph
    for cycle in find_cycles(graph):
        same_ns = len({ns for _, ns, _ in cycle}) == 1
        names = " -> ".join(show(k, same_ns) for k in cycle)
        first, second = cycle[0], cycle[1]
        data = graph.nodes[first]
        node = data.get("node")
        index = graph.edges[first, second]["depends_index"]
        yield Hit(
            f"dependsOn cycle: {names} ({first[0]}s in a cycle wait for each other forever)",
            origin=node.origin if node else None,
            path=("spec", "dependsOn", index),
            object=data["ref"],
        )


RULE = Rule("dependency-cycle", "GL101", Severity.ERROR, "dependsOn edges form a cycle", check)
