"""Graph algorithms, property-tested: cycles found iff they exist, each one real."""

import networkx as nx
from hypothesis import given
from hypothesis import strategies as st

from gitops_lint.graph import find_cycles, to_mermaid

NODES = [("Kustomization", "flux-system", f"k{i}") for i in range(8)]


def _graph(edges):
    g = nx.DiGraph()
    g.add_nodes_from(NODES)
    for u, v in edges:
        g.add_edge(NODES[u], NODES[v], depends_index=0)
    return g


edge_lists = st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=20)


@given(edge_lists)
def test_cycles_reported_iff_graph_is_not_a_dag(edges):
    g = _graph(edges)
    cycles = find_cycles(g)
    assert bool(cycles) == (not nx.is_directed_acyclic_graph(g))


@given(edge_lists)
def test_every_reported_cycle_is_a_real_closed_walk(edges):
    g = _graph(edges)
    for cycle in find_cycles(g):
        assert cycle[0] == cycle[-1]
        assert cycle[0] == min(cycle)  # starts at its smallest member: stable output
        for u, v in zip(cycle, cycle[1:], strict=False):
            assert g.has_edge(u, v)


@given(edge_lists)
def test_one_cycle_per_knot(edges):
    g = _graph(edges)
    knots = [c for c in nx.strongly_connected_components(g) if len(c) > 1 or g.has_edge(*(list(c) * 2))]
    assert len(find_cycles(g)) == len(knots)


def test_applies_edges_are_not_dependencies():
    g = _graph([(0, 1)])
    g.add_edge(NODES[1], NODES[0], applies=True)
    assert find_cycles(g) == []


def test_mermaid_draws_dependency_before_dependent():
    g = _graph([(1, 0)])  # k1 dependsOn k0
    out = to_mermaid(g)
    assert out.startswith("graph TD\n")
    assert "Ku_flux_system_k0 --> Ku_flux_system_k1" in out
