"""Graph algorithms, property-tested against networkx (the oracle, a test dependency).

gitops-lint's own digraph replaced networkx in the lint path for start-up
time (gitops_lint/digraph.py); its components, paths and cycles must be
networkx's.
"""

import networkx as nx
from hypothesis import given
from hypothesis import strategies as st

from gitops_lint.digraph import DiGraph, shortest_path, strongly_connected_components
from gitops_lint.graph import find_cycles, to_mermaid

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


@given(edge_lists)
def test_components_are_networkx_components(edges):
    ours, theirs = _graphs(edges)
    found = strongly_connected_components(ours.nodes, ours.successors)
    assert sorted(map(sorted, found)) == sorted(map(sorted, nx.strongly_connected_components(theirs)))


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


def test_components_of_a_long_chain_do_not_recurse():
    g = DiGraph()
    for i in range(20000):
        g.add_edge(i, i + 1)
    g.add_edge(20000, 0)
    (component,) = strongly_connected_components(g.nodes, g.successors)
    assert len(component) == 20001


@given(edge_lists)
def test_cycles_reported_iff_graph_is_not_a_dag(edges):
    ours, theirs = _graphs(edges)
    assert bool(find_cycles(ours)) == (not nx.is_directed_acyclic_graph(theirs))


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
    knots = [c for c in nx.strongly_connected_components(theirs) if len(c) > 1 or theirs.has_edge(*(list(c) * 2))]
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
