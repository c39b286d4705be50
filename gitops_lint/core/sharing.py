"""A forest whose containers YAML aliases share, as JSON: each container written once, plus links.

The loader makes a mapping or sequence reached twice through a YAML alias one
Python object, as PyYAML's SafeConstructor does, and later code relies on it
(the secret inventory walks chart values with a set of ``id()`` s, so a value
under a shared mapping is reported once). JSON undoes that sharing, and would
write a shared container out in full at every place it is reached: an alias
bomb's text. So a stored parse (:mod:`gitops_lint.load.parsed`) writes each
container at its first place only and names the others:

- :func:`links` walks the roots (a file's documents, in order) depth first, in
  pre-order (a dict's keys in their order, a list's items in theirs). The
  first time a container is reached it is written out; every later place is
  a *link* ``[slot, target]``: the path of that place and the path of the
  first one (paths are lists of ``str`` keys and ``int`` indices from the
  roots, so the first component is a document's position).
- :func:`with_slots` is the forest to dump: a copy of only the containers on
  the way to a link's slot, with ``None`` in the slot. It is a tree, linear in
  the distinct nodes.
- :func:`apply_links` puts the shared containers back after JSON decoding. The
  text may be damaged or hostile, so every link is checked before any is
  applied: both paths resolve in the tree as decoded (so neither goes through
  a slot), the slot holds ``None`` and is no other link's, the target is a
  dict or a list, and the target lies wholly before the slot in pre-order: it
  is not the slot nor an ancestor of it, and where their paths first differ
  the target's branch comes first in that container's order. Then no link can
  make a cycle: along a tree edge the pre-order position of a subtree's last
  node never grows, along a link edge it strictly falls (the target's subtree
  ends before the slot, which its parent's subtree holds), so a cycle could
  only be made of tree edges, and a tree has none. The encoder's links always
  pass: a first place comes before a later one in pre-order, and is not its
  ancestor (the loader refuses a recursive alias).
- :func:`expanded_within` bounds what the links can make of a small text (a
  "billion laughs" of links): the nodes the forest expands to and its depth,
  in one pass over the distinct containers.
"""

from __future__ import annotations

from .plain import shared_containers


def links(roots: list) -> list[list[list]] | None:
    """The links of ``roots`` (empty when no container is reached twice), or None when a
    value is not one JSON keeps exactly (:func:`~.plain.is_plain`'s refusals other than
    sharing: a key that is not a ``str``, a ``str`` or ``float`` subclass, a tuple, a NaN
    or an infinity)."""
    # first the plain test over the whole forest, one set of containers for all of it
    # (a List's items become documents that may share): most files share nothing, and
    # pay no paths
    shared = shared_containers(roots)
    if shared is None:
        return None
    if not shared:
        return []
    return _preorder_links(roots, shared)


def _preorder_links(roots: list, shared: set[int]) -> list[list[list]]:
    first: dict[int, tuple] = {}  # id of a shared container -> the path of its first place
    out: list[list[list]] = []
    stack: list[tuple] = [(roots[i], (i,)) for i in range(len(roots) - 1, -1, -1)]
    while stack:
        v, path = stack.pop()
        ident = id(v)
        if ident in shared:
            where = first.get(ident)
            if where is not None:
                out.append([list(path), list(where)])
                continue  # written at its first place: nothing under it is walked again
            first[ident] = path
        if type(v) is dict:
            stack.extend((item, (*path, k)) for k, item in reversed(v.items()) if type(item) in (dict, list))
        else:
            stack.extend((v[i], (*path, i)) for i in range(len(v) - 1, -1, -1) if type(v[i]) in (dict, list))
    return out


def with_slots(roots: list, found: list[list[list]]) -> list:
    """``roots`` with ``None`` at every link's slot: the containers on the way to a slot
    are copies, the rest is shared with ``roots`` (which is left as it was)."""
    out = list(roots)
    copies: dict[tuple, dict | list] = {}
    for slot, _ in found:
        parent: dict | list = out
        for depth in range(len(slot) - 1):
            at = tuple(slot[: depth + 1])
            child = copies.get(at)
            if child is None:
                original = parent[slot[depth]]
                child = dict(original) if type(original) is dict else list(original)
                parent[slot[depth]] = child
                copies[at] = child
            parent = child
        parent[slot[-1]] = None
    return out


_MISSING = object()


def _step(node, part):
    """The child ``part`` of ``node``, or _MISSING (no negative index, no bool, no key
    of another type)."""
    if type(node) is dict:
        if type(part) is str:
            return node.get(part, _MISSING)
    elif type(node) is list and type(part) is int and 0 <= part < len(node):
        return node[part]
    return _MISSING


def _is_path(path) -> bool:
    return type(path) is list and len(path) > 0 and all(type(p) is str or type(p) is int for p in path)


def apply_links(roots: list, found) -> bool:
    """Make every link's slot in ``roots`` hold its target (see the module's docstring);
    False, with ``roots`` unchanged, when any link fails a check."""
    if type(found) is not list:
        return False
    order: dict[int, dict[str, int]] = {}  # id(dict) -> position of each key, when asked
    slots: set[tuple] = set()
    plan: list[tuple] = []
    for link in found:
        if not (type(link) is list and len(link) == 2 and _is_path(link[0]) and _is_path(link[1])):
            return False
        slot, target = link
        # both resolved in the tree as decoded: no link is applied yet
        node = roots
        fork = None  # (container, slot's part, target's part) where the two paths part
        for i, part in enumerate(target):
            if fork is None:
                if i >= len(slot):
                    return False  # the target is under the slot
                if slot[i] != part:
                    fork = (node, slot[i], part)
            node = _step(node, part)
            if node is _MISSING:
                return False
        if fork is None or type(node) not in (dict, list):
            return False  # the target is the slot or an ancestor of it, or not a container
        parent = roots
        for part in slot[:-1]:
            parent = _step(parent, part)
            if parent is _MISSING:
                return False
        if _step(parent, slot[-1]) is not None:
            return False  # no such slot, or it holds a value of its own
        container, slot_part, target_part = fork
        if type(container) is list:
            if type(slot_part) is not int or not target_part < slot_part:
                return False
        else:
            positions = order.get(id(container))
            if positions is None:
                positions = order[id(container)] = {k: n for n, k in enumerate(container)}
            if type(slot_part) is not str or positions[target_part] >= positions.get(slot_part, -1):
                return False
        key = tuple(slot)
        if key in slots:
            return False
        slots.add(key)
        plan.append((parent, slot[-1], node))
    for parent, part, node in plan:
        parent[part] = node
    return True


def expanded_within(roots: list, max_nodes: int, max_depth: int) -> bool:
    """Whether ``roots`` expand to at most ``max_nodes`` nodes together (a scalar 1, a
    list 1 and its items', a dict 1 and 1 per key with its value's, as the loader counts
    a document's nodes) and each to at most ``max_depth`` levels. One pass over the
    distinct containers (each shared one is counted once, then by its count); a cycle,
    which :func:`apply_links` never makes, is refused too."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    active: set[int] = set()  # the containers being counted: one met again is a cycle
    total = 0
    for root in roots:
        if type(root) is not dict and type(root) is not list:
            total += 1
            continue
        # frames: [container, its container children left, nodes, depth] (each child first
        # counted as a scalar: 1 node, depth 2; a container child adds the rest when done)
        frames = [_frame(root)]
        active.add(id(root))
        while frames:
            frame = frames[-1]
            left = frame[1]
            while left:
                child = left.pop()
                ident = id(child)
                count = size.get(ident)
                if count is None:
                    if ident in active:
                        return False
                    active.add(ident)
                    frames.append(_frame(child))
                    break
                frame[2] += count - 1
                if depth[ident] >= frame[3]:
                    frame[3] = depth[ident] + 1
            else:
                frames.pop()
                node, _, nodes, deepest = frame
                if nodes > max_nodes or deepest > max_depth:
                    return False
                ident = id(node)
                size[ident], depth[ident] = nodes, deepest
                active.discard(ident)
                if frames:
                    parent = frames[-1]
                    parent[2] += nodes - 1
                    if deepest >= parent[3]:
                        parent[3] = deepest + 1
        total += size[id(root)]
        if total > max_nodes:
            return False
    return True


def _frame(node: dict | list) -> list:
    if type(node) is dict:
        values = node.values()
        nodes = 1 + 2 * len(node)
    else:
        values = node
        nodes = 1 + len(node)
    return [node, [c for c in values if type(c) is dict or type(c) is list], nodes, 2 if node else 1]
