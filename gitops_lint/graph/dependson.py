"""The dependency graph of one cluster, and its drawings.

Nodes are the objects Flux orders: Kustomizations, HelmReleases and Flux
Operator ResourceSets, keyed by (kind, namespace, name). Edges point from an
object to what it needs: ``dependsOn`` edges (attribute ``depends_index``, from
the dependent to its dependency, the index of the entry in ``spec.dependsOn``)
and ``applies`` edges (attribute ``applies``, from a Kustomization to each
Flux object in its output); one edge may carry both. Every algorithm used on it is linear in the
size of the graph: strongly connected components for cycles, BFS for
reachability.

Each node carries its object (``obj``), its rendered object (``node``, None
for the bootstrap Kustomization synthesised from the entry), its ``ref``, its
parsed ``depends_on`` entries (:class:`~gitops_lint.model.flux.DependsOn`),
whether its Ready waits for what it applies (``wait``) and its
``health_checks``, and for a Kustomization its typed ``fields``
(:class:`~gitops_lint.model.flux.KustomizationSpec`): read once, from the
cluster's parse where the cluster holds the same object.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..core.data import ObjectRef, RenderedObject, group_of
from ..model.flux import (
    HELM_RELEASE_KIND,
    KUSTOMIZATION_KIND,
    RESOURCE_SET_KIND,
    DependsOn,
    Key,
    flux_depends_on,
    kustomization_spec,
)
from .digraph import DiGraph, shortest_path, strongly_connected_components

GRAPH_KINDS = {KUSTOMIZATION_KIND, HELM_RELEASE_KIND, RESOURCE_SET_KIND}

if TYPE_CHECKING:
    from ..model.cluster import Cluster

NodeKey = Key  # kind, namespace, name


def node_key(ref: ObjectRef) -> NodeKey:
    return (ref.kind, ref.namespace, ref.name)


def is_graph_object(obj: dict) -> bool:
    return (str(obj.get("kind")), group_of(str(obj.get("apiVersion", "")))) in GRAPH_KINDS


def dependencies_of(graph: DiGraph, key: NodeKey) -> list[DependsOn]:
    """The dependsOn entries of a node that Flux follows (well-formed), namespaces
    defaulted as Flux does.

    Kustomizations and HelmReleases may depend only on their own kind
    (kustomize-controller and helm-controller ``checkDependencies``);
    ResourceSets name any object with apiVersion/kind.
    """
    return [dep for dep in graph.nodes[key]["depends_on"] if dep.well_formed]


def _node(cluster: Cluster, ref: ObjectRef, obj: dict, ro: RenderedObject | None) -> dict:
    """A node's attributes, its Flux fields parsed once (the cluster's parse when it holds ``obj``)."""
    attrs: dict = {"ref": ref, "obj": obj, "node": ro}
    if ref.kind == KUSTOMIZATION_KIND[0]:
        ks = cluster.kustomizations.get(ref.key())
        fields = ks.fields if ks is not None and ks.obj is obj else kustomization_spec(obj, ref.namespace)
        attrs.update(
            fields=fields, depends_on=fields.depends_on, wait=fields.wait, health_checks=fields.health_checks
        )
        return attrs
    parsed = (cluster.helmrelease(ro) or cluster.resourceset(ro)) if ro is not None else None
    attrs["depends_on"] = parsed.depends_on if parsed is not None else flux_depends_on(obj, ref)
    attrs["wait"] = getattr(parsed, "wait", False)  # a ResourceSet's Ready waits for what it applies
    attrs["health_checks"] = ()
    return attrs


def build_graph(cluster: Cluster) -> DiGraph:
    graph = DiGraph()
    root = cluster.root
    graph.add_node(node_key(root.ref), **_node(cluster, root.ref, root.obj, None))
    for ro in cluster.objects:
        if is_graph_object(ro.obj):
            key = node_key(ro.ref)
            if key not in graph or graph.nodes[key].get("node") is None:
                graph.add_node(key, **_node(cluster, ro.ref, ro.obj, ro))
            if ro.applied_by is not None:
                parent = node_key(ro.applied_by)
                if parent != key:
                    graph.add_edge(parent, key, applies=True)
    for key in list(graph.nodes):
        for dep in dependencies_of(graph, key):
            if dep.target in graph:
                graph.add_edge(key, dep.target)
                graph.edges[key, dep.target].setdefault("depends_index", dep.index)
    return graph


def dependency_successors(graph: DiGraph, key: NodeKey) -> list[NodeKey]:
    """What ``key`` depends on (its dependsOn edges only), sorted."""
    return sorted(v for v in graph.successors(key) if "depends_index" in graph.edges[key, v])


def dependency_edges(graph: DiGraph) -> list[tuple[NodeKey, NodeKey]]:
    return sorted((u, v) for u, v in graph.edges if "depends_index" in graph.edges[u, v])


def find_cycles(graph: DiGraph) -> list[list[NodeKey]]:
    """One cycle per strongly connected component of the dependsOn edges.

    Each cycle starts at its smallest node so the report is stable; reporting
    one cycle per component (not every elementary cycle, which can be
    exponentially many) names the knot to untie.
    """
    succ = {key: dependency_successors(graph, key) for key in sorted(graph.nodes)}
    cycles = []
    for component in strongly_connected_components(succ, succ.__getitem__):
        if len(component) == 1:
            (only,) = component
            if only in succ[only]:
                cycles.append([only, only])
            continue
        start = min(component)

        def inside(key, component=component):
            return [v for v in succ[key] if v in component]

        # shortest way back to the start through the component
        best = None
        for first in inside(start):
            path = shortest_path(first, start, inside)
            if best is None or len(path) < len(best):
                best = path
        cycles.append([start, *best])
    return sorted(cycles)


# -- drawings ---------------------------------------------------------------
#
# The three drawings show one graph: every node, every dependsOn edge and every
# applies edge, told apart by style (mermaid ``-->`` and ``-.->``, dot solid and
# dashed, tree nesting and ``[dependsOn: ...]``). Arrows run the way Flux
# proceeds: from a dependency to its dependent, from a parent to what it applies.
# tests/test_graph.py parses all three back into edge sets and compares them.


def applies_edges(graph: DiGraph) -> list[tuple[NodeKey, NodeKey]]:
    """(parent, child) for each object a Kustomization applies, sorted."""
    return sorted((u, v) for u, v in graph.edges if graph.edges[u, v].get("applies"))


def labels(graph: DiGraph) -> dict[NodeKey, str]:
    """A short, unique label per node: ``name`` for a Kustomization, ``Kind/name`` otherwise,
    with the namespace (``ns/name``, ``Kind/ns/name``) when the kind and name repeat."""
    count: dict[tuple[str, str], int] = {}
    for kind, _ns, name in graph.nodes:
        count[(kind, name)] = count.get((kind, name), 0) + 1
    out = {}
    for key in graph.nodes:
        kind, ns, name = key
        short = f"{ns}/{name}" if count[(kind, name)] > 1 else name
        out[key] = short if kind == "Kustomization" else f"{kind}/{short}"
    return out


def _mermaid_ids(graph: DiGraph) -> dict[NodeKey, str]:
    """Readable mermaid node ids, made unique where sanitising merges two names."""
    ids: dict[NodeKey, str] = {}
    taken: set[str] = set()
    for key in sorted(graph.nodes):
        kind, ns, name = key
        base = re.sub(r"[^A-Za-z0-9_]", "_", f"{kind[:2]}_{ns}_{name}")
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}_{n}"
        taken.add(candidate)
        ids[key] = candidate
    return ids


def to_mermaid(graph: DiGraph) -> str:
    """``graph TD``: ``A --> B`` B dependsOn A; ``P -.-> C`` P applies C."""
    ids, names = _mermaid_ids(graph), labels(graph)
    lines = ["graph TD", "  %% A --> B: B dependsOn A;  P -.-> C: Kustomization P applies C"]
    for key in sorted(graph.nodes):
        lines.append(f'  {ids[key]}["{names[key].replace(chr(34), "#quot;")}"]')
    for u, v in dependency_edges(graph):
        lines.append(f"  {ids[v]} --> {ids[u]}")
    for u, v in applies_edges(graph):
        lines.append(f"  {ids[u]} -.-> {ids[v]}")
    return "\n".join(lines) + "\n"


def to_dot(graph: DiGraph) -> str:
    """Graphviz: solid ``A -> B`` B dependsOn A; dashed ``P -> C`` P applies C."""
    names = labels(graph)
    lines = ["digraph flux {", "  rankdir=TB;", "  node [shape=box];"]
    for key in sorted(graph.nodes):
        lines.append(f'  "{"/".join(key)}" [label="{names[key]}"];')
    for u, v in dependency_edges(graph):
        lines.append(f'  "{"/".join(v)}" -> "{"/".join(u)}";')
    for u, v in applies_edges(graph):
        lines.append(f'  "{"/".join(u)}" -> "{"/".join(v)}" [style=dashed];')
    lines.append("}")
    return "\n".join(lines) + "\n"


#: indentation levels ``graph --format tree`` draws; deeper lines stay at this indentation
#: (marked ``…``), or a chain 10,000 deep would print 200 MB of indentation
MAX_TREE_INDENT = 64


def to_tree(graph: DiGraph, root: NodeKey) -> str:
    """Like ``flux tree kustomization``: what each Kustomization applies, nested, each
    object with its ``[dependsOn: ...]``; objects nothing applies follow as roots of their own.

    Iterative (a chain of 10,000 Kustomizations each applying the next must
    not hit the recursion limit), and each Kustomization's subtree is printed
    once: one applied by two parents (a duplicate-object error) is shown again
    without its children, marked ``(shown above)``, so diamonds stacked level
    on level cannot print an exponential tree. Indentation stops growing after
    :data:`MAX_TREE_INDENT` levels, so the output stays linear in the graph.
    """

    def children(key):
        return sorted(v for v in graph.successors(key) if graph.edges[key, v].get("applies"))

    def line(key):
        deps = dependency_successors(graph, key)
        return "/".join(key) + (f"  [dependsOn: {', '.join('/'.join(d) for d in deps)}]" if deps else "")

    lines: list[str] = []
    expanded: set[NodeKey] = set()  # printed with its children

    def tree(top: NodeKey) -> None:
        lines.append(line(top))
        expanded.add(top)
        kids = children(top)
        # (children still to print, their list, prefix of their lines, depth), innermost last
        stack = [(iter(kids), kids, "", 0)]
        while stack:
            kids_iter, kids, prefix, depth = stack[-1]
            kid = next(kids_iter, None)
            if kid is None:
                stack.pop()
                continue
            last = kid == kids[-1]
            grandchildren = children(kid)
            repeat = kid in expanded and bool(grandchildren)
            deep = "… " if depth >= MAX_TREE_INDENT else ""
            branch = "└── " if last else "├── "
            lines.append(f"{prefix}{deep}{branch}{line(kid)}{' (shown above)' if repeat else ''}")
            if kid not in expanded:
                expanded.add(kid)
                inner = prefix + ("    " if last else "│   ") if depth < MAX_TREE_INDENT else prefix
                stack.append((iter(grandchildren), grandchildren, inner, depth + 1))

    has_parent = {v for _, v in applies_edges(graph)}
    tops = [root] if root in graph else []
    tops += sorted(k for k in graph.nodes if k not in has_parent and k != root)
    for top in tops:
        if top not in expanded:
            tree(top)
    # a cycle of applies edges has no top: start it at its smallest member
    for key in sorted(graph.nodes):
        if key not in expanded:
            tree(key)
    return "\n".join(lines) + "\n"
