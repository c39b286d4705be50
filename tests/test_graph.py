"""Graph algorithms, property-tested against networkx (the oracle, a test dependency).

gitops-lint's own digraph replaced networkx in the lint path for start-up
time (gitops_lint/graph/digraph.py); its components, paths and cycles must be
networkx's.
"""

import re

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitops_lint.graph.dependson import (
    applies_edges,
    dependency_edges,
    find_cycles,
    labels,
    to_dot,
    to_mermaid,
    to_tree,
)
from gitops_lint.graph.digraph import DiGraph, shortest_path, strongly_connected_components
from tests.conftest import FIXTURES

EXAMPLE = FIXTURES / "example"
ENTRY = EXAMPLE / "clusters" / "mycluster-0"

NODES = [("Kustomization", "flux-system", f"k{i}") for i in range(8)]


def _graphs(edges):
    """The same dependsOn graph as gitops-lint's DiGraph and as networkx's."""
    ours, theirs = DiGraph(), nx.DiGraph()
    ours.add_nodes_from(NODES)
    theirs.add_nodes_from(NODES)
    for u, v in edges:
        ours.add_edge(NODES[u], NODES[v], depends_index=0)
        theirs.add_edge(NODES[u], NODES[v])
    return ours, theirs


edge_lists = st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=20)


@pytest.mark.slow
@given(edge_lists)
def test_components_are_networkx_components(edges):
    ours, theirs = _graphs(edges)
    found = strongly_connected_components(ours.nodes, ours.successors)
    assert sorted(map(sorted, found)) == sorted(map(sorted, nx.strongly_connected_components(theirs)))


@pytest.mark.slow
@given(edge_lists, st.integers(0, 7), st.integers(0, 7))
def test_shortest_path_has_networkx_length(edges, a, b):
    ours, theirs = _graphs(edges)
    path = shortest_path(NODES[a], NODES[b], ours.successors)
    if not nx.has_path(theirs, NODES[a], NODES[b]):
        assert path is None
        return
    assert len(path) == len(nx.shortest_path(theirs, NODES[a], NODES[b]))
    assert path[0] == NODES[a] and path[-1] == NODES[b]
    assert all(theirs.has_edge(u, v) for u, v in zip(path, path[1:], strict=False))


@pytest.mark.slow
def test_components_of_a_long_chain_do_not_recurse():
    g = DiGraph()
    for i in range(20000):
        g.add_edge(i, i + 1)
    g.add_edge(20000, 0)
    (component,) = strongly_connected_components(g.nodes, g.successors)
    assert len(component) == 20001


@pytest.mark.slow
@given(edge_lists)
def test_cycles_reported_iff_graph_is_not_a_dag(edges):
    ours, theirs = _graphs(edges)
    assert bool(find_cycles(ours)) == (not nx.is_directed_acyclic_graph(theirs))


@pytest.mark.slow
@given(edge_lists)
def test_every_reported_cycle_is_a_real_closed_walk(edges):
    ours, theirs = _graphs(edges)
    for cycle in find_cycles(ours):
        assert cycle[0] == cycle[-1]
        assert cycle[0] == min(cycle)  # starts at its smallest member: stable output
        for u, v in zip(cycle, cycle[1:], strict=False):
            assert theirs.has_edge(u, v)


@given(edge_lists)
def test_one_cycle_per_knot(edges):
    ours, theirs = _graphs(edges)
    knots = [
        c for c in nx.strongly_connected_components(theirs) if len(c) > 1 or theirs.has_edge(*(list(c) * 2))
    ]
    assert len(find_cycles(ours)) == len(knots)


def test_applies_edges_are_not_dependencies():
    ours, _ = _graphs([(0, 1)])
    ours.add_edge(NODES[1], NODES[0], applies=True)
    assert find_cycles(ours) == []


def test_mermaid_draws_dependency_before_dependent():
    ours, _ = _graphs([(1, 0)])  # k1 dependsOn k0
    out = to_mermaid(ours)
    assert out.startswith("graph TD\n")
    assert "Ku_flux_system_k0 --> Ku_flux_system_k1" in out


# -- the three drawings show one graph ------------------------------------------------
#
# Each drawing is parsed back into (dependsOn edges, applies edges, node labels) and
# compared with the graph it was drawn from: dependsOn as (dependent, dependency),
# applies as (parent, child), nodes as their (kind, namespace, name) keys.

EDGE_MERMAID = re.compile(r"^  (\w+) (-->|-\.->) (\w+)$")
NODE_MERMAID = re.compile(r'^  (\w+)\["([^"]*)"\]$')
EDGE_DOT = re.compile(r'^  "([^"]+)" -> "([^"]+)"( \[style=dashed\])?;$')
NODE_DOT = re.compile(r'^  "([^"]+)" \[label="([^"]*)"\];$')


def _key(text):
    kind, ns, name = text.split("/")
    return (kind, ns, name)


def parse_mermaid(out, graph):
    names = labels(graph)
    by_label = {v: k for k, v in names.items()}
    assert len(by_label) == len(names), "labels must name one node each"
    ids, depends, applies = {}, set(), set()
    for line in out.splitlines()[1:]:
        if line.startswith("  %%"):
            continue
        node, edge = NODE_MERMAID.match(line), EDGE_MERMAID.match(line)
        if node:
            ids[node.group(1)] = by_label[node.group(2)]
        else:
            assert edge, line
            a, b = ids[edge.group(1)], ids[edge.group(3)]
            (depends.add((b, a)) if edge.group(2) == "-->" else applies.add((a, b)))
    return set(ids.values()), depends, applies


def parse_dot(out, graph):
    lines = out.splitlines()
    assert lines[0] == "digraph flux {" and lines[-1] == "}"
    nodes, depends, applies, shown = set(), set(), set(), {}
    for line in lines[3:-1]:
        node, edge = NODE_DOT.match(line), EDGE_DOT.match(line)
        if node:
            nodes.add(_key(node.group(1)))
            shown[_key(node.group(1))] = node.group(2)
        else:
            assert edge, line
            a, b = _key(edge.group(1)), _key(edge.group(2))
            (applies.add((a, b)) if edge.group(3) else depends.add((b, a)))
    assert shown == labels(graph)
    return nodes, depends, applies


def parse_tree(out):
    nodes, depends, applies = set(), set(), set()
    stack = []  # (depth, key)
    for line in out.splitlines():
        m = re.match(r"^((?:│   |    )*)(├── |└── )?(\S+)(?:  \[dependsOn: (.*)\])?$", line)
        assert m, line
        depth = len(m.group(1)) // 4 + (1 if m.group(2) else 0)
        key = _key(m.group(3))
        nodes.add(key)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if depth:
            applies.add((stack[-1][1], key))
        stack.append((depth, key))
        for dep in (m.group(4) or "").split(", "):
            if dep:
                depends.add((key, _key(dep)))
    return nodes, depends, applies


def assert_drawings_agree(graph, root):
    truth = (set(graph.nodes), set(dependency_edges(graph)), set(applies_edges(graph)))
    assert parse_mermaid(to_mermaid(graph), graph) == truth
    assert parse_dot(to_dot(graph), graph) == truth
    assert parse_tree(to_tree(graph, root)) == truth


KINDS = ["Kustomization", "Kustomization", "HelmRelease"]


@st.composite
def flux_graphs(draw):
    """A root Kustomization applying a random tree of Flux objects, names repeating across
    namespaces, random dependsOn edges (cycles and dependencies on one's own child too)."""
    n = draw(st.integers(1, 9))
    keys = [("Kustomization", "flux-system", "flux-system")]
    for _ in range(n):
        key = (
            draw(st.sampled_from(KINDS)),
            draw(st.sampled_from(["flux-system", "apps"])),
            draw(st.sampled_from(["a", "b", "c-d", "c_d"])),
        )
        if key not in keys:
            keys.append(key)
    g = DiGraph()
    g.add_nodes_from(keys)
    for i, key in enumerate(keys[1:], 1):
        parent = keys[draw(st.integers(0, i - 1))]
        if parent[0] == "Kustomization":
            g.add_edge(parent, key, applies=True)
    for a, b in draw(
        st.lists(st.tuples(st.integers(0, len(keys) - 1), st.integers(0, len(keys) - 1)), max_size=8)
    ):
        g.add_edge(keys[a], keys[b])
        g.edges[keys[a], keys[b]].setdefault("depends_index", 0)
    return g, keys[0]


@given(flux_graphs())
def test_tree_mermaid_and_dot_show_the_same_graph(drawn):
    graph, root = drawn
    assert_drawings_agree(graph, root)


def test_the_example_repository_draws_the_same_graph_three_ways():
    from gitops_lint.graph.dependson import build_graph, node_key
    from gitops_lint.lint import Linter
    from gitops_lint.load.config import load_config
    from gitops_lint.vocabulary import vocabulary

    (cluster,) = Linter(str(EXAMPLE), load_config(str(EXAMPLE), known=vocabulary())).build_clusters(
        [str(ENTRY)]
    )
    graph = build_graph(cluster)
    assert applies_edges(graph) and dependency_edges(graph)
    assert_drawings_agree(graph, node_key(cluster.root.ref))


def test_labels_carry_the_namespace_only_where_names_repeat():
    g = DiGraph()
    g.add_nodes_from(
        [
            ("Kustomization", "flux-system", "apps"),
            ("Kustomization", "team-a", "apps"),
            ("Kustomization", "flux-system", "infra"),
            ("HelmRelease", "web", "apps"),
        ]
    )
    assert labels(g) == {
        ("Kustomization", "flux-system", "apps"): "flux-system/apps",
        ("Kustomization", "team-a", "apps"): "team-a/apps",
        ("Kustomization", "flux-system", "infra"): "infra",
        ("HelmRelease", "web", "apps"): "HelmRelease/apps",
    }


def test_mermaid_ids_stay_unique_where_sanitising_merges_names():
    g = DiGraph()
    g.add_nodes_from([("Kustomization", "x", "c-d"), ("Kustomization", "x", "c_d")])
    ids = [line.split("[")[0].strip() for line in to_mermaid(g).splitlines() if "[" in line]
    assert len(set(ids)) == 2


def test_readme_shows_the_example_repository_graph_as_the_tool_draws_it():
    """The README's rendered picture is the real output, not a drawing that drifted."""
    from tests.helpers import run_cli
    from tests.readme_snippets import readme_blocks

    code, out, err = run_cli("graph", str(ENTRY), "--format", "mermaid")
    assert code == 0, err
    blocks = [body for lang, _title, body in readme_blocks() if lang == "mermaid"]
    assert blocks == [out]
