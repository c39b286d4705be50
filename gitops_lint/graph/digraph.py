"""A directed graph with attribute dicts: the part of ``networkx.DiGraph`` gitops-lint uses.

networkx was the first choice for the dependsOn DAG, but importing it costs
~100 ms, a sixth of a whole lint of a 500-file repository, for a graph of a
few hundred nodes on which gitops-lint needs only adjacency, strongly
connected components and a shortest path. Those live here, linear in the
graph's size; the tests check them against networkx (a test dependency).
The API mirrors networkx's (``graph.nodes[key]``, ``graph.edges[u, v]``,
``successors``, ``predecessors``) so code reads the same.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator


class _Nodes:
    __slots__ = ("_attrs",)

    def __init__(self, attrs: dict):
        self._attrs = attrs

    def __getitem__(self, key: Hashable) -> dict:
        return self._attrs[key]

    def __iter__(self) -> Iterator:
        return iter(self._attrs)

    def __len__(self) -> int:
        return len(self._attrs)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._attrs

    def __call__(self, data: bool = False) -> Iterable:
        return self._attrs.items() if data else self._attrs.keys()


class _Edges:
    __slots__ = ("_succ",)

    def __init__(self, succ: dict):
        self._succ = succ

    def __getitem__(self, edge: tuple) -> dict:
        u, v = edge
        return self._succ[u][v]

    def __iter__(self) -> Iterator[tuple]:
        return ((u, v) for u, targets in self._succ.items() for v in targets)

    def __len__(self) -> int:
        return sum(len(t) for t in self._succ.values())

    def __contains__(self, edge: tuple) -> bool:
        u, v = edge
        return v in self._succ.get(u, ())


class DiGraph:
    def __init__(self) -> None:
        self._attrs: dict = {}
        self._succ: dict = {}
        self._pred: dict = {}
        self.nodes = _Nodes(self._attrs)
        self.edges = _Edges(self._succ)

    def add_node(self, key: Hashable, **attrs) -> None:
        if key not in self._attrs:
            self._attrs[key] = {}
            self._succ[key] = {}
            self._pred[key] = {}
        self._attrs[key].update(attrs)

    def add_nodes_from(self, keys: Iterable[Hashable]) -> None:
        for key in keys:
            self.add_node(key)

    def add_edge(self, u: Hashable, v: Hashable, **attrs) -> None:
        self.add_node(u)
        self.add_node(v)
        data = self._succ[u].get(v)
        if data is None:
            data = self._succ[u][v] = self._pred[v][u] = {}
        data.update(attrs)

    def has_edge(self, u: Hashable, v: Hashable) -> bool:
        return v in self._succ.get(u, ())

    def successors(self, key: Hashable) -> Iterator:
        return iter(self._succ[key])

    def predecessors(self, key: Hashable) -> Iterator:
        return iter(self._pred[key])

    def __contains__(self, key: Hashable) -> bool:
        return key in self._attrs

    def __len__(self) -> int:
        return len(self._attrs)


Successors = Callable[[Hashable], Iterable]


def strongly_connected_components(nodes: Iterable, successors: Successors) -> list[set]:
    """Tarjan's algorithm, iterative (a 10,000-long dependsOn chain must not hit the recursion limit)."""
    index: dict = {}
    low: dict = {}
    on_stack: set = set()
    stack: list = []
    components: list[set] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(successors(root)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(successors(child))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    components.append(component)
    return components


def shortest_path(source: Hashable, target: Hashable, successors: Successors) -> list | None:
    """Breadth-first; neighbours in the order ``successors`` gives them."""
    if source == target:
        return [source]
    parent = {source: None}
    queue = deque([source])
    while queue:
        node = queue.popleft()
        for child in successors(node):
            if child in parent:
                continue
            parent[child] = node
            if child == target:
                path = [child]
                while parent[path[-1]] is not None:
                    path.append(parent[path[-1]])
                return path[::-1]
            queue.append(child)
    return None
