"""loader._shape_problem, which counts scalars without visiting them, gives exactly the
verdict (the same message, or the same expanded size) of the walk that visited every node."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from gitops_lint.load import loader
from gitops_lint.load.loader import MAX_DEPTH, MAX_NODES, _shape_problem

STR = "tag:yaml.org,2002:str"


def visiting_every_node(root, limit: int) -> str | int:
    """The walk as it was before scalars were skipped (the oracle)."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    active: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            kids = loader._children(node)  # noqa: SLF001
            total = 1 + sum(size[id(c)] for c in kids)
            deepest = 1 + max((depth[id(c)] for c in kids), default=0)
            if deepest > MAX_DEPTH:
                return f"nesting deeper than {MAX_DEPTH} levels"
            if total > limit:
                return loader._over_budget(limit)  # noqa: SLF001
            size[key], depth[key] = total, deepest
            continue
        if key in size:
            continue
        if key in active:
            return "recursive YAML alias (a node that contains itself)"
        active.add(key)
        stack.append((node, True))
        for child in loader._children(node):  # noqa: SLF001
            cid = id(child)
            if cid in active:
                return "recursive YAML alias (a node that contains itself)"
            if cid not in size:
                stack.append((child, False))
    return size[id(root)]


@st.composite
def node_graphs(draw):
    """A document's node graph: collections over earlier nodes (aliases share them),
    sometimes a collection that holds an ancestor (a recursive alias), sometimes a chain
    deeper than MAX_DEPTH."""
    nodes: list = [ScalarNode(STR, f"s{i}") for i in range(draw(st.integers(1, 4)))]
    for _ in range(draw(st.integers(0, 12))):
        picks = draw(st.lists(st.integers(0, len(nodes) - 1), max_size=5))
        kids = [nodes[i] for i in picks]
        if draw(st.booleans()):
            nodes.append(SequenceNode("tag:yaml.org,2002:seq", kids))
        else:
            pairs = [(ScalarNode(STR, f"k{j}"), kid) for j, kid in enumerate(kids)]
            nodes.append(MappingNode("tag:yaml.org,2002:map", pairs))
    root = nodes[-1]
    if draw(st.booleans()) and isinstance(root, SequenceNode):
        root.value.append(root)  # a node that contains itself
    if draw(st.booleans()):
        chain = root
        scalar_first = draw(st.booleans())  # a scalar before the deeper child, or after it
        for _ in range(draw(st.sampled_from([2, MAX_DEPTH - 3, MAX_DEPTH - 2, MAX_DEPTH, MAX_DEPTH + 3]))):
            items = [ScalarNode(STR, "x"), chain] if scalar_first else [chain, ScalarNode(STR, "x")]
            chain = SequenceNode("tag:yaml.org,2002:seq", items)
        root = chain
    return root


@settings(max_examples=300)
@given(node_graphs(), st.sampled_from([0, 1, 2, 3, 7, 40, 1000, MAX_NODES]))
def test_skipping_scalars_gives_the_verdict_of_visiting_every_node(root, limit):
    assert _shape_problem(root, limit) == visiting_every_node(root, limit)


def test_a_lone_scalar_and_a_spent_budget():
    scalar = ScalarNode(STR, "a")
    assert _shape_problem(scalar, 5) == 1
    assert _shape_problem(scalar, 0) == visiting_every_node(scalar, 0)
    shared = SequenceNode("tag:yaml.org,2002:seq", [ScalarNode(STR, "a")] * 3)
    doc = MappingNode(
        "tag:yaml.org,2002:map", [(ScalarNode(STR, "a"), shared), (ScalarNode(STR, "b"), shared)]
    )
    assert _shape_problem(doc, MAX_NODES) == 1 + 2 + 2 * 4  # the alias expanded twice


def test_depth_counts_past_a_scalar_before_a_deeper_child():
    chain = SequenceNode("tag:yaml.org,2002:seq", [ScalarNode(STR, "a")])
    for _ in range(MAX_DEPTH + 3):
        chain = SequenceNode("tag:yaml.org,2002:seq", [ScalarNode(STR, "x"), chain])
    assert _shape_problem(chain, MAX_NODES) == f"nesting deeper than {MAX_DEPTH} levels"
    assert _shape_problem(chain, MAX_NODES) == visiting_every_node(chain, MAX_NODES)
