"""crd-order's ``Ordering.before``, memoized, against the closure written plainly.

``before`` reads each node's dependsOn targets once and queues the targets of
an upstream Kustomization once (issue 18: it was most of the rule's time on a
large dependsOn graph); what it returns must be the same closure as the
straightforward walk that re-reads and re-queues everything.
"""

from __future__ import annotations

from collections import deque

from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.graph.digraph import DiGraph
from gitops_lint.rules.crd_order import Ordering


def _plain_applied_after(graph: DiGraph, key) -> frozenset:
    seen: set = set()
    queue = deque([key])
    while queue:
        cur = queue.popleft()
        if cur not in graph:
            continue
        nxt = [v for v in graph.successors(cur) if "depends_index" in graph.edges[cur, v]]
        nxt += [u for u in graph.predecessors(cur) if graph.edges[u, cur].get("applies")]
        for n in nxt:
            if n not in seen and n != key:
                seen.add(n)
                queue.append(n)
    return frozenset(seen)


def _plain_before(graph: DiGraph, key) -> tuple[frozenset, frozenset]:
    """The walks as written before issue 18's memoization (the oracle)."""
    order = Ordering(graph)  # for _waited_children only

    def deps(k):
        if k not in graph:
            return []
        return [v for v in graph.successors(k) if "depends_index" in graph.edges[k, v]]

    applied = set(_plain_applied_after(graph, key))
    ready: set = set()
    queue = deque(d for u in {key} | applied for d in deps(u))
    while queue:
        r = queue.popleft()
        if r in ready:
            continue
        ready.add(r)
        upstream = _plain_applied_after(graph, r)
        applied.add(r)
        applied |= upstream
        queue.extend(deps(r))
        queue.extend(order._waited_children(r))
        for u in upstream:
            queue.extend(deps(u))
    applied.discard(key)
    return frozenset(applied), frozenset(ready)


def _node(i: int) -> tuple:
    return ("Kustomization", "flux-system", f"k{i}")


@st.composite
def graphs(draw):
    n = draw(st.integers(1, 9))
    graph = DiGraph()
    for i in range(n):
        graph.add_node(_node(i), wait=draw(st.booleans()), health_checks=[])
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
    for index, (u, v) in enumerate(draw(st.lists(pairs, max_size=14))):
        graph.add_edge(_node(u), _node(v), depends_index=index)  # cycles included
    for u, v in draw(st.lists(pairs, max_size=8)):
        graph.add_edge(_node(u), _node(v), applies=True)
    return n, graph


@settings(max_examples=300, deadline=None)
@given(graphs())
def test_before_is_the_plain_closure(drawn):
    n, graph = drawn
    order = Ordering(graph)
    for i in range(n):
        assert order.before(_node(i)) == _plain_before(graph, _node(i))
        assert order.applied_after(_node(i)) == _plain_applied_after(graph, _node(i))
    # asked again (memoized) and for a node outside the graph
    assert order.before(_node(0)) == _plain_before(graph, _node(0))
    assert order.before(_node(n)) == _plain_before(graph, _node(n))
