"""YAML loading with provenance, on libyaml's fast path.

Every file is parsed once, with ``yaml.CSafeLoader`` (libyaml's C parser and
composer; the safe constructor, so no tag can build an arbitrary Python
object). Documents remember their file and first line. A field's own line is
found lazily (:meth:`DocumentCache.field_position`) by composing the file again
only when a finding needs it: findings are rare, documents are many.

Departures from plain PyYAML:

* scalars are typed as kustomize's go-yaml v3 types them, not by YAML 1.1
  (:mod:`gitops_lint.load.goyaml`): ``yes`` stays a string, ``0123`` is octal;
* duplicate mapping keys are an error (PyYAML silently keeps the last one,
  the API server's strict decoding rejects them);
* an anchor redefined within a file is accepted, the later definition winning,
  as YAML 1.2 and kustomize (go-yaml) allow. libyaml's composer refuses it, so
  only such files take a slower pure-Python path.
"""

from __future__ import annotations

import bisect
import itertools
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from ..core.budget import MAX_DEPTH, MAX_FILE_NODES, Budget, BudgetExceeded
from ..core.data import Document, LoadError, Origin
from ..core.fs import FileTooLarge, OutsideRoot, RepoFS, content_hash
from .goyaml import (
    BOOL_TAG,
    FLOAT_TAG,
    INT_TAG,
    MERGE_TAG,
    NULL_TAG,
    STR_TAG,
    TIMESTAMP_TAG,
    go_int,
    go_resolve,
    go_timestamp,
    kyaml_folded,
)
from .parsed import ParsedFiles

_CLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SUPPRESS = re.compile(r"#\s*gitops-lint:\s*disable=([A-Za-z0-9_,\- ]+)")
# kustomize's names for a kustomization file (decoded by sigs.k8s.io/yaml, not kyaml)
KUSTOMIZATION_FILES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})


class DuplicateKeyError(ConstructorError):
    pass


def _check_duplicates(node: MappingNode) -> bool:
    """Raise on a duplicate key; return whether a value is written empty (``key:``)."""
    seen: dict[object, object] = {}
    empty = False
    for key_node, value_node in node.value:
        if not value_node.value and value_node.tag == NULL_TAG and not value_node.style:
            empty = True
        if not isinstance(key_node, ScalarNode) or key_node.tag == MERGE_TAG:
            continue
        key = key_node.value
        if key in seen:
            raise DuplicateKeyError(
                None,
                None,
                f"duplicate mapping key {key!r} (first defined on line {seen[key].line + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark
    return empty


class _DuplicateCheckingConstructor(SafeConstructor):
    def construct_mapping(self, node, deep=False):
        if isinstance(node, MappingNode):
            _check_duplicates(node)
        return super().construct_mapping(node, deep=deep)


def _construct_unknown_tag(constructor, node):
    """Unknown tags (``!env_var``, ``=``) are legal YAML: keep the plain data.

    Python-specific tags are refused outright: nothing in a repository may
    name a Python object, even one that would never be built.
    """
    if node.tag.startswith("tag:yaml.org,2002:python/"):
        raise ConstructorError(None, None, f"tag {node.tag!r} is not allowed", node.start_mark)
    if isinstance(node, MappingNode):
        return SafeConstructor.construct_mapping(constructor, node, deep=True)
    if isinstance(node, SequenceNode):
        return constructor.construct_sequence(node, deep=True)
    return constructor.construct_scalar(node)


_DuplicateCheckingConstructor.add_constructor(None, _construct_unknown_tag)


def _construct_go_int(constructor, node) -> int | str:
    value = go_int(constructor.construct_scalar(node))
    return value if value is not None else constructor.construct_scalar(node)  # an explicit !!int tag


def _go_float(text: str) -> float | str:
    special = text.lower().lstrip("+")
    if special in (".inf", "-.inf", ".nan"):
        return {".inf": float("inf"), "-.inf": float("-inf"), ".nan": float("nan")}[special]
    try:
        return float(text.replace("_", ""))
    except ValueError:
        return text


def _construct_go_float(constructor, node) -> float | str:
    return _go_float(constructor.construct_scalar(node))


def _construct_go_timestamp(constructor, node) -> str:
    text = constructor.construct_scalar(node)
    return go_timestamp(text) or text


class FastLoader(_CLoader, _DuplicateCheckingConstructor):  # type: ignore[misc,valid-type]
    """libyaml parser and composer, safe constructor with duplicate-key checks,
    go-yaml v3's implicit types (and, with ``kyaml``, its folded scalars)."""

    kyaml = False
    # ids of mapping nodes holding a ``key:`` with nothing after it (see empty_null_paths)
    empty_keys: dict | None = None
    # nodes constructed so far (keys, values, items): the run's budget counts them
    constructed = 0

    def construct_mapping(self, node, deep=False):
        if isinstance(node, MappingNode):
            self.constructed += 2 * len(node.value)
            if _check_duplicates(node) and self.empty_keys is not None:
                self.empty_keys[id(node)] = node
        return SafeConstructor.construct_mapping(self, node, deep=deep)

    def construct_sequence(self, node, deep=False):
        if isinstance(node, SequenceNode):
            self.constructed += len(node.value)
        return SafeConstructor.construct_sequence(self, node, deep=deep)

    # libyaml's composer (PyYAML's Cython CParser) calls these three per node: go_resolve
    # itself rather than a method that calls it, and two C callables that do nothing for
    # the path resolvers this loader never registers (Resolver's own methods are Python
    # calls that return at once): three Python calls less per node of every file
    resolve = staticmethod(go_resolve)
    descend_resolver = {}.get  # (parent, index) -> None
    ascend_resolver = ().__len__  # () -> 0


# -- constructing a plain tree without PyYAML's general constructor ------------------------
# SafeConstructor handles every tag, recursive structures and merge keys through a
# generator per collection and a method call per node: a third of parsing a repository.
# A Kubernetes document is a tree of maps, lists and go-yaml's scalars; _construct_tree
# builds exactly what FastLoader would (same values, key order and node count, collections
# in the same breadth-first order) in one loop, and hands the document back to FastLoader
# (_Slow) at anything else: another tag, a merge key, a collection as a key, a duplicate
# key (FastLoader raises the error, with its message and mark).
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_BOOL_VALUES = SafeConstructor.bool_values


class _Slow(Exception):
    """The document needs FastLoader's general constructor."""


def _scalar(node: ScalarNode, kyaml: bool):
    """FastLoader's value for a scalar node (its constructors for go-yaml's tags)."""
    tag, value = node.tag, node.value
    if tag == STR_TAG:
        return kyaml_folded(value) if kyaml and node.style == ">" else value
    if tag == NULL_TAG:
        return None
    if tag == INT_TAG:
        number = go_int(value)
        return value if number is None else number
    if tag == BOOL_TAG:
        flag = _BOOL_VALUES.get(value.lower())
        if flag is None:
            raise _Slow  # SafeConstructor's KeyError, as before
        return flag
    if tag == FLOAT_TAG:
        return _go_float(value)
    if tag == TIMESTAMP_TAG:
        return go_timestamp(value) or value
    raise _Slow


_TOO_DEEP = object()


def _construct_tree(root, kyaml: bool, empty_keys: dict, limit: int | None, aliased: bool = False):
    """(data, nodes counted) of a document, as FastLoader constructs it;
    ``_TOO_DEEP`` when ``limit`` is given and the tree nests deeper (as ``_depth_ok``).

    ``aliased``: the document has YAML aliases (already checked by _shape_problem: no
    bomb, no recursion, not too deep), so a collection node reached again is the same
    Python object, as SafeConstructor's memo of constructed nodes makes it (nodes
    counted are then those of the unshared tree, which the caller does not use).
    Raises _Slow when the document needs the general constructor. Marks mappings
    with a ``key:`` written empty in ``empty_keys`` only when it succeeds.
    """
    cls = root.__class__
    if cls is ScalarNode:
        return _scalar(root, kyaml), 0
    if cls is MappingNode and root.tag == _MAP_TAG:
        data: dict | list = {}
    elif cls is SequenceNode and root.tag == _SEQ_TAG:
        data = []
    else:
        raise _Slow
    count = 0
    marked = []
    made: dict[int, dict | list] | None = {} if aliased else None  # id(node) -> its object
    # breadth first, as SafeConstructor's state generators run; appended while iterated
    queue: list[tuple] = [(root, data, 1)]
    for node, out, depth in queue:
        if limit is not None and depth >= limit and node.value:
            return _TOO_DEEP  # its children are deeper than the limit
        child_depth = depth + 1
        if out.__class__ is dict:
            pairs = node.value
            count += 2 * len(pairs)
            seen = set()
            empty = False
            for key_node, value_node in pairs:
                if key_node.__class__ is not ScalarNode:
                    raise _Slow
                key = key_node.value
                if key in seen:
                    raise _Slow  # FastLoader reports the duplicate key
                seen.add(key)
                if key_node.tag != STR_TAG or (kyaml and key_node.style == ">"):
                    if key_node.tag == MERGE_TAG:
                        raise _Slow
                    key = _scalar(key_node, kyaml)
                vcls = value_node.__class__
                if vcls is ScalarNode:
                    tag = value_node.tag
                    if tag == STR_TAG and value_node.style != ">":
                        out[key] = value_node.value
                    else:
                        if not value_node.value and tag == NULL_TAG and not value_node.style:
                            empty = True
                        out[key] = _scalar(value_node, kyaml)
                elif vcls is MappingNode and value_node.tag == _MAP_TAG:
                    if made is None:  # (inline: the path of nearly every document)
                        child: dict | list = {}
                        out[key] = child
                        queue.append((value_node, child, child_depth))
                    else:
                        out[key] = _child(value_node, {}, made, queue, child_depth)
                elif vcls is SequenceNode and value_node.tag == _SEQ_TAG:
                    if made is None:
                        child = []
                        out[key] = child
                        queue.append((value_node, child, child_depth))
                    else:
                        out[key] = _child(value_node, [], made, queue, child_depth)
                else:
                    raise _Slow
            if empty:
                marked.append(node)
        else:
            items = node.value
            count += len(items)
            append = out.append
            for item in items:
                icls = item.__class__
                if icls is ScalarNode:
                    append(item.value if item.tag == STR_TAG and item.style != ">" else _scalar(item, kyaml))
                elif icls is MappingNode and item.tag == _MAP_TAG:
                    if made is None:
                        child = {}
                        append(child)
                        queue.append((item, child, child_depth))
                    else:
                        append(_child(item, {}, made, queue, child_depth))
                elif icls is SequenceNode and item.tag == _SEQ_TAG:
                    if made is None:
                        child = []
                        append(child)
                        queue.append((item, child, child_depth))
                    else:
                        append(_child(item, [], made, queue, child_depth))
                else:
                    raise _Slow
    for node in marked:
        empty_keys[id(node)] = node
    return data, count


def _child(node, new: dict | list, made: dict | None, queue: list, depth: int) -> dict | list:
    """The object of a collection node: ``new``, queued to be filled, or (in a document
    with aliases) the one already made for the same node."""
    if made is not None:
        known = made.get(id(node))
        if known is not None:
            return known
        made[id(node)] = new
    queue.append((node, new, depth))
    return new


def empty_null_paths(root, marked: dict) -> frozenset[tuple]:
    """Paths of the fields written ``key:`` with no value (list indices as ints).

    go-yaml v3 reads them as null like ``~`` and ``null``, but kyaml's merge
    drops them from an object an SMP patch is applied to, and keeps the
    explicit ones (checked against kubectl kustomize v5.5): the renderer needs
    to tell them apart, which the constructed ``None`` cannot.
    """
    out: set[tuple] = set()
    stack = [(root, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, SequenceNode):
            stack.extend((item, (*path, i)) for i, item in enumerate(node.value))
            continue
        if not isinstance(node, MappingNode):
            continue
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                continue
            here = (*path, key_node.value)
            if isinstance(value_node, (MappingNode, SequenceNode)):
                stack.append((value_node, here))
            elif (
                id(node) in marked
                and isinstance(value_node, ScalarNode)
                and value_node.value == ""
                and value_node.tag == NULL_TAG
                and not value_node.style
            ):
                out.add(here)
    return frozenset(out)


def _construct_str(constructor, node) -> str:
    """SafeConstructor's ``!!str``, one call shorter, with kyaml's folded scalars."""
    if node.__class__ is not ScalarNode:
        return constructor.construct_scalar(node)  # raises the usual error
    if node.style == ">" and constructor.kyaml:
        return kyaml_folded(node.value)
    return node.value


FastLoader.add_constructor(None, _construct_unknown_tag)
FastLoader.add_constructor(STR_TAG, _construct_str)
for _loader in (FastLoader, _DuplicateCheckingConstructor):
    _loader.add_constructor(INT_TAG, _construct_go_int)
    _loader.add_constructor(FLOAT_TAG, _construct_go_float)
    _loader.add_constructor(TIMESTAMP_TAG, _construct_go_timestamp)


class _RedefiningComposer(Composer):
    """Composer that lets a later anchor of the same name replace the earlier one."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.events.AliasEvent):
            return super().compose_node(parent, index)
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self.anchors.pop(anchor, None)
        return super().compose_node(parent, index)


class RedefiningLoader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    _RedefiningComposer,
    _DuplicateCheckingConstructor,
    yaml.resolver.Resolver,
):
    def __init__(self, stream):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        _RedefiningComposer.__init__(self)
        SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)

    def resolve(self, kind, value, implicit):
        return go_resolve(kind, value, implicit)


@dataclass
class LoadedFile:
    documents: list[Document]
    errors: list[LoadError]
    # id(document data) -> paths of its ``key:`` fields without a value (empty_null_paths)
    empty_nulls: dict[int, frozenset[tuple]] = field(default_factory=dict)
    # document index -> nodes it expands to (aliases included): the run's budget
    sizes: dict[int, int] = field(default_factory=dict)

    @property
    def nodes(self) -> int:
        return sum(self.sizes.values())

    def __getstate__(self) -> dict:
        # a file loaded in a worker process crosses a pipe (lint.py): ``empty_nulls`` is
        # keyed by id() of its documents' data, which unpickling changes; kept by index
        position = {id(d.data): i for i, d in enumerate(self.documents)}
        state = dict(self.__dict__)
        state["empty_nulls"] = {position[k]: v for k, v in self.empty_nulls.items() if k in position}
        return state

    def __setstate__(self, state: dict) -> None:
        by_index = state.pop("empty_nulls")
        self.__dict__.update(state)
        self.empty_nulls = {id(self.documents[i].data): v for i, v in by_index.items()}


def kyaml_file(rel: str) -> bool:
    """Whether ``rel`` is read as kustomize reads a resource (:func:`parse_text`'s ``kyaml``):
    every file but a kustomization file. The document cache and load.prefetch's child parse
    alike by it, so that one's parse stands for the other's."""
    return posixpath.basename(rel) not in KUSTOMIZATION_FILES


def decode_text(raw: bytes) -> str:
    """A file's bytes as the loader reads them: UTF-8, a byte-order mark dropped, no NUL
    (UnicodeDecodeError otherwise); load.prefetch's child reads them so too."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if b"\x00" in raw:
        raise UnicodeDecodeError("utf-8", raw, raw.index(b"\x00"), raw.index(b"\x00") + 1, "NUL byte")
    return raw.decode("utf-8")


def _suppressions(text: str) -> list[tuple[int, frozenset[str]]]:
    if "gitops-lint:" not in text:
        return []
    out = []
    line, counted = 1, 0  # lines counted incrementally: one comment per document must stay linear
    for m in _SUPPRESS.finditer(text):
        line += text.count("\n", counted, m.start())
        counted = m.start()
        rules = frozenset(r.strip() for r in m.group(1).split(",") if r.strip())
        out.append((line, rules))
    return out


def _mark_error(file: str, exc: yaml.YAMLError) -> LoadError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if problem.startswith("found undefined alias"):
        problem = "found undefined alias"  # its name is the file's text, maybe a secret (as libyaml says)
    context = getattr(exc, "context", None)
    message = f"{context}, {problem}" if context and "duplicate" not in problem else problem
    if mark is None:
        return LoadError(file, 1, 1, message)
    return LoadError(file, mark.line + 1, mark.column + 1, message)


def compose_docs(loader) -> list:
    """Every document of ``loader``'s stream as a node tree, before construction.

    The nodes keep each key's and value's line and column, for positions (the
    config reports its errors at them), and are what is checked for alias bombs
    and deep nesting before any Python object is built. The caller disposes of
    the loader.
    """
    nodes = []
    while loader.check_node():
        nodes.append(loader.get_node())
    return nodes


# an alias token: ``*name`` where a node may start (may also match inside a quoted
# string: then the document is walked for nothing, never skipped wrongly)
# (written with the literal first, which the regex engine scans for quickly: the same
# matches as ``(?:^|[\s\[{,:?-])\*[^\s,\[\]{}]`` under re.M, a hundred times faster on text
# with no ``*``; the look-behind holds the character before the ``*`` and the ``*``)
_ALIAS = re.compile(r"\*(?<![^\s\[{,:?-].)[^\s,\[\]{}]", re.S)


def may_alias(text: str) -> bool:
    """Whether a node of ``text`` may be an alias (True for some texts that hold none; an
    alias needs an anchor, without one the text is refused)."""
    return "&" in text and _ALIAS.search(text) is not None


def _surely_shallow(text: str) -> bool:
    """True when the text cannot nest MAX_DEPTH deep, so no node walk is needed.

    A block collection nested in another starts at a greater column, or (a
    sequence as a mapping's value) at the same column once before the next
    ``- `` adds two: block depth is at most about twice the widest line. Each
    flow level needs a bracket. The bound is loose, and only ever says "walk
    the nodes" too often, never too rarely.
    """
    widest = max(map(len, text.splitlines()), default=0)
    return 2 * widest + text.count("[") + text.count("{") + 4 < MAX_DEPTH


def _depth_ok(node, limit: int = MAX_DEPTH) -> bool:
    """Iterative depth check so 10,000-deep nesting is a finding, not a RecursionError."""
    stack = [(node, 1)]
    seen: set[int] = set()
    while stack:
        n, d = stack.pop()
        if d > limit:
            return False
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, SequenceNode):
            stack.extend((c, d + 1) for c in n.value)
        elif isinstance(n, MappingNode):
            for k, v in n.value:
                stack.append((k, d + 1))
                stack.append((v, d + 1))
    return True


#: nodes one file's documents may expand to through aliases, together (the renderer's
#: copy budget is per document: a file of many documents under it each still exploded)
MAX_NODES = MAX_FILE_NODES


def _children(n) -> list:
    if isinstance(n, SequenceNode):
        return n.value
    if isinstance(n, MappingNode):
        return [c for pair in n.value for c in pair]
    return []


def _shape_problem(root, limit: int = MAX_NODES) -> str | int:
    """Why a composed document cannot be handed to the rest of the pipeline, or its
    expanded size (nodes, aliases expanded) when it can.

    One iterative pass over the node graph (aliases make it a DAG, and a
    recursive alias a cycle) computes each node's *expanded* size and depth
    once, so a "billion laughs" document is refused here, in time linear in
    its text, before any traversal downstream (rendering copies, substitution,
    the secret inventory, reporters) could expand it. ``limit``: what is left
    of the file's budget.

    Scalars (most nodes) are leaves of size and depth 1 that can be neither too
    deep nor recursive, nor over a ``limit`` of at least 1: they are counted
    where their collection is finished instead of being visited (half the
    steps of a document with anchors). With nothing left of the budget every
    node is visited, so the first one finished refuses the document, as it
    always did.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    active: set[int] = set()
    scalar = ScalarNode if limit >= 1 else None  # the leaves not visited
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            total = 1
            deepest = 1
            for c in _children(node):
                if c.__class__ is scalar:
                    total += 1
                    if deepest < 2:
                        deepest = 2
                else:
                    cid = id(c)
                    total += size[cid]
                    if depth[cid] >= deepest:
                        deepest = depth[cid] + 1
            if deepest > MAX_DEPTH:
                return f"nesting deeper than {MAX_DEPTH} levels"
            if total > limit:
                return _over_budget(limit)
            size[key], depth[key] = total, deepest
            continue
        if key in size:
            continue
        if key in active:
            return "recursive YAML alias (a node that contains itself)"
        active.add(key)
        stack.append((node, True))
        for child in _children(node):
            if child.__class__ is scalar:
                continue
            cid = id(child)
            if cid in active:
                return "recursive YAML alias (a node that contains itself)"
            if cid not in size:
                stack.append((child, False))
    return size[id(root)]


def _over_budget(limit: int) -> str:
    if limit == MAX_NODES:
        return f"document expands to more than {MAX_NODES:,} nodes through YAML aliases (alias bomb)"
    return (
        f"the documents of this file expand to more than {MAX_NODES:,} nodes through YAML "
        "aliases (alias bomb): this document and the rest of the file are not loaded"
    )


def parse_text(text: str, file: str, *, kyaml: bool = True) -> LoadedFile:
    """Parse a multi-document YAML text into documents with provenance.

    ``kyaml``: read folded block scalars as kustomize reads resources (see
    :func:`kyaml_folded`); off for a kustomization file and for YAML that a
    Go program printed.
    """
    try:
        loader = FastLoader(text)
        try:
            nodes = compose_docs(loader)
        finally:
            loader.dispose()
    except ComposerError as exc:
        if "duplicate anchor" not in str(exc):
            return LoadedFile([], [_mark_error(file, exc)])
        try:
            loader = RedefiningLoader(text)
            nodes = compose_docs(loader)
        except yaml.YAMLError as exc2:
            return LoadedFile([], [_mark_error(file, exc2)])
        except RecursionError:
            return LoadedFile([], [LoadError(file, 1, 1, f"nesting deeper than {MAX_DEPTH} levels")])
    except yaml.YAMLError as exc:
        return LoadedFile([], [_mark_error(file, exc)])
    except RecursionError:
        return LoadedFile([], [LoadError(file, 1, 1, f"nesting deeper than {MAX_DEPTH} levels")])

    constructor = FastLoader("")
    constructor.kyaml = kyaml
    constructor.empty_keys = {}
    empty_nulls: dict[int, frozenset[tuple]] = {}
    docs: list[Document] = []
    errors: list[LoadError] = []
    sizes: dict[int, int] = {}
    disabled_by_doc = _comments_by_document(_suppressions(text), nodes)
    # no alias, nothing can expand: a tree, whose depth is all there is to check
    has_anchors = may_alias(text)
    shallow = not has_anchors and _surely_shallow(text)
    spent = 0  # nodes of this file's documents so far (MAX_NODES bounds them together)
    for index, node in enumerate(nodes):
        start = node.start_mark.line + 1
        end = node.end_mark.line + 1
        expanded = None
        tree = None  # (data, nodes counted) when built without the general constructor
        if has_anchors:
            shape = _shape_problem(node, MAX_NODES - spent if spent < MAX_NODES else 0)
            problem, expanded = (shape, None) if isinstance(shape, str) else (None, shape)
            if problem is None and not constructor.state_generators:
                try:
                    tree = _construct_tree(node, kyaml, constructor.empty_keys, None, aliased=True)
                except _Slow:
                    tree = None
        else:  # a tree: no expansion possible, only the depth to check
            problem = None
            if not constructor.state_generators:  # else: what a failed document left runs first
                try:
                    tree = _construct_tree(
                        node, kyaml, constructor.empty_keys, None if shallow else MAX_DEPTH
                    )
                except _Slow:
                    tree = None
            if tree is _TOO_DEEP or (tree is None and not shallow and not _depth_ok(node)):
                problem = f"nesting deeper than {MAX_DEPTH} levels"
        if problem is not None:
            errors.append(LoadError(file, start, 1, problem))
            if "alias bomb" in problem and spent:
                break  # the file's budget is spent: the rest of it is not loaded
            continue
        before = constructor.constructed
        if tree is not None:
            data, counted = tree
            constructor.constructed += counted
        else:
            try:
                data = constructor.construct_document(node)
            except yaml.YAMLError as exc:
                errors.append(_mark_error(file, exc))
                continue
            except RecursionError:
                errors.append(LoadError(file, start, 1, f"nesting deeper than {MAX_DEPTH} levels"))
                continue
        size = expanded if expanded is not None else 1 + constructor.constructed - before
        spent += size
        if data is None:
            continue
        sizes[index] = size
        if constructor.empty_keys:
            empty_nulls[id(data)] = empty_null_paths(node, constructor.empty_keys)
            constructor.empty_keys = {}
        docs.append(Document(data, Origin(file, start, index), end, disabled_by_doc.get(index, frozenset())))
    constructor.dispose()
    docs.extend(_unwrap_lists(docs))
    docs = [d for d in docs if not _is_list(d.data)]
    return LoadedFile(docs, errors, empty_nulls, sizes)


def _comments_by_document(
    suppress: list[tuple[int, frozenset[str]]], nodes: list
) -> dict[int, frozenset[str]]:
    """Rules disabled per document index: a suppression comment belongs to the document
    whose span holds it.

    A comment just above a document (between the previous document's end and
    this one's start, e.g. right after ``---``) belongs to the document below:
    document ``i`` owns the lines after document ``i-1``'s end up to its own
    end, so the owner of a line is found by binary search over the ends
    (linear in documents and comments together, not their product).
    """
    out: dict[int, frozenset[str]] = {}
    if not suppress or not nodes:
        return out
    ends = [n.end_mark.line + 1 for n in nodes]
    for line, rules in suppress:
        index = bisect.bisect_left(ends, line)
        if index < len(nodes):
            out[index] = out.get(index, frozenset()) | rules
    return out


def _is_list(data) -> bool:
    return (
        isinstance(data, dict)
        and isinstance(data.get("kind"), str)
        and data["kind"].endswith("List")
        and isinstance(data.get("items"), list)
        and str(data.get("apiVersion", "")) in ("v1", "")
    )


def _unwrap_lists(docs: list[Document]) -> list[Document]:
    out = []
    for d in docs:
        if _is_list(d.data):
            for item in d.data["items"]:
                if isinstance(item, dict):
                    out.append(Document(item, d.origin, d.end_line, d.disabled_rules))
    return out


_UNCUT = object()  # a file whose documents are only composed with the whole file
# line breaks YAML counts besides \n (and a BOM, which may start a later document)
_OTHER_BREAKS = "\r\x85\u2028\u2029\ufeff"
# every anchor's name (libyaml's anchor characters), and other text: a superset
_ANCHOR_NAME = re.compile(r"&([0-9A-Za-z_-]+)")


class _PositionLoader(FastLoader):
    """FastLoader's composer for field positions only: a node's tag is not needed,
    so scalars are not typed (go_resolve, a Python call per scalar, was a third of
    composing a document for its positions)."""

    resolve = staticmethod(lambda kind, value, implicit: "?")


@dataclass
class _Cut:
    """A file's text, and each document's (first line, index) -> last line."""

    text: str
    ends: dict[tuple[int, int], int]
    # characters before each line (without its \n), accumulated: built when first asked
    before: list[int] | None = None

    def line_start(self, line: int) -> int | None:
        """Offset of 0-based ``line``; None past the text's last line."""
        if self.before is None:
            self.before = list(itertools.accumulate(map(len, self.text.split("\n")), initial=0))
        # the line's offset: the characters of the lines before it, and their \n
        return self.before[line] + line if line < len(self.before) - 1 else None


class DocumentCache:
    """Each file of the repository parsed at most once per run.

    ``parsed``: parses kept from earlier runs (:mod:`.parsed`), used for a file
    whose content they hold and given this run's parses to keep; None (no warm
    cache) parses every file.
    """

    def __init__(
        self, fs: RepoFS, parsed: ParsedFiles | None = None, reuse: Mapping[str, LoadedFile] | None = None
    ):
        self.fs = fs
        self.parsed = parsed
        # files another run of this process parsed from the same bytes (fix.py's lint of the
        # fixed tree: every file it did not change): a parse is a function of the text alone
        self.reuse = reuse
        # files a forked child parses ahead of this run (load.prefetch), set by the linter
        self.prefetch = None
        self._files: dict[str, LoadedFile] = {}
        self._nodes: dict[str, list] = {}
        # (file, document index, line) -> (node, first line) of the document (field_position)
        self._documents: dict[tuple, tuple[object, int] | None] = {}
        # file -> what cutting its documents apart needs (_cut_points)
        self._slicing: dict[str, object] = {}
        # a document's text (cut from its file) -> its composed root, None if it fails
        self._pieces: dict[str, object] = {}
        # id(mapping node) -> {key text: (key node, value node)}, first key wins (field_position)
        self._keys: dict[int, dict[str, tuple]] = {}
        # the findings' positions kept between runs (positioncache.KeptPositions), set by the
        # linter with a warm cache; and the content hash of the bytes each was found in (_text)
        self.kept_positions = None
        self._raw_hashes: dict[str, str] = {}
        # what the whole run may load and render (budget.py)
        self.budget = Budget()
        # files read because Flux would read them (rendering), as opposed to
        # files merely scanned to discover cluster entries
        self.used: set[str] = set()
        # used files read as Kubernetes objects (not kustomize configuration files)
        self.manifests: set[str] = set()

    def load(self, rel: str, *, used: bool = True, manifest: bool = True) -> LoadedFile:
        if used:
            self.used.add(rel)
            if manifest:
                self.manifests.add(rel)
        cached = self._files.get(rel)
        if cached is not None:
            return cached
        if self.budget.exceeded is not None:
            # the run is over budget: nothing more is read (the finding is at the file where it ran out)
            return LoadedFile([], [])
        result = self.reuse.get(rel) if self.reuse is not None else None
        if result is None:
            kyaml = kyaml_file(rel)
            stored = (
                self.parsed.lookup(rel, kyaml, self.fs.max_file_bytes) if self.parsed is not None else None
            )
            result = LoadedFile(*stored) if stored is not None else self._read(rel, kyaml)
        try:
            self.budget.spend_nodes(result.nodes, rel)
        except BudgetExceeded:
            self._files[rel] = LoadedFile([], [])
            raise
        self._files[rel] = result
        return result

    def adopt(self, files: dict[str, LoadedFile]) -> None:
        """Take files another process of this run loaded (a worker, see lint.py), in order,
        as if loaded here; those loaded here already stay. The caller accounts for the
        budget, and for ``used`` and ``manifests``."""
        for rel, loaded in files.items():
            self._files.setdefault(rel, loaded)

    def _read(self, rel: str, kyaml: bool) -> LoadedFile:
        try:
            raw = self.fs.read_bytes(rel)
            text = decode_text(raw)
        except UnicodeDecodeError:
            return LoadedFile([], [LoadError(rel, 1, 1, "file is not UTF-8 text")])
        except FileTooLarge as exc:
            return LoadedFile([], [LoadError(rel, 1, 1, f"file too large to lint ({exc})")])
        except OutsideRoot:
            return LoadedFile([], [LoadError(rel, 1, 1, "path resolves outside the repository root")])
        except OSError as exc:
            return LoadedFile([], [LoadError(rel, 1, 1, f"cannot read file: {exc.strerror or exc}")])
        ahead = self.prefetch.take(rel, raw) if self.prefetch is not None else None
        result = ahead if ahead is not None else parse_text(text, rel, kyaml=kyaml)
        if self.parsed is not None:
            self.parsed.record(
                rel, kyaml, raw, result.documents, result.errors, result.empty_nulls, result.sizes
            )
        return result

    def spend_render(self, origin: Origin) -> None:
        """Charge the run's budget for one rendered object: the nodes of its document
        (a Kustomization's render copies it). Raises BudgetExceeded."""
        loaded = self._files.get(origin.file)
        nodes = loaded.sizes.get(origin.doc_index, 1) if loaded is not None else 1
        self.budget.spend_objects(1, nodes, origin.file)

    @property
    def files(self) -> dict[str, LoadedFile]:
        return self._files

    def finding_position(self, origin: Origin, path: tuple) -> tuple[int, int]:
        """:meth:`field_position`, for a rule's finding: with a warm cache, a position an
        earlier run found in the same bytes is taken as it is (``positioncache``). Only the
        findings' are kept: a build's are kept with its record, and asked in a worker
        process they would not come back (the records kept are those one process keeps)."""
        kept = self.kept_positions
        key = kept.key(origin, path) if kept is not None else None
        if key is not None:
            position = kept.get(key.digest)
            if position is not None:
                return position
        position = self.field_position(origin, path)
        if key is not None:
            kept.add(key, position, self._raw_hashes.get(origin.file))
        return position

    def field_position(self, origin: Origin, path: tuple) -> tuple[int, int]:
        """Line and column of the field at ``path`` in the document at ``origin``.

        Falls back to the deepest existing parent (a field added by a patch has
        no line of its own), and to the document start.
        """
        found = self._document_node(origin)
        if found is None:
            # not a document of the file (a List item's, a generated object's origin)
            return origin.line, 1
        node, offset = found
        best = node
        for step in path:
            nxt = None
            if isinstance(node, MappingNode):
                pair = self._key_index(node).get(str(step))
                if pair is not None:
                    best, nxt = pair
            elif isinstance(node, SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
                nxt = node.value[step]
                best = nxt
            if nxt is None:
                break
            node = nxt
        return best.start_mark.line + 1 + offset, best.start_mark.column + 1

    def _document_node(self, origin: Origin) -> tuple[object, int] | None:
        """The node tree of the document at ``origin`` and the line its marks count
        from, composed once per run; None when no document of the file starts there.

        Only that document is composed, from the file's text cut at its first
        line (:meth:`_sliced`): a finding in the twentieth CRD of a 300 kB
        gotk-components.yaml no longer composes the other thirty. The whole
        file's composition (:meth:`_composed`) remains where a cut could read
        differently, and is what the cut is tested against.
        """
        key = (origin.file, origin.doc_index, origin.line)
        if key in self._documents:
            return self._documents[key]
        found = self._sliced(origin)
        if found is None:
            found = self._composed(origin)
        self._documents[key] = found
        return found

    def _composed(self, origin: Origin) -> tuple[object, int] | None:
        """The document's node from the composition of the whole file."""
        nodes = self._nodes.get(origin.file)
        if nodes is None:
            nodes = self._compose(origin.file)
            self._nodes[origin.file] = nodes
        if origin.doc_index >= len(nodes):
            return None
        node = nodes[origin.doc_index]
        if origin.line != node.start_mark.line + 1:
            return None
        return node, 0

    def _sliced(self, origin: Origin) -> tuple[object, int] | None:
        """The document's node composed from its own lines alone, or None when that
        cannot be known to give what the whole file's composition gives.

        A document loaded from this file starts at ``origin.line`` with that
        index (so the whole file composes, and its root is there) and ends at
        its recorded ``end_line``. Its lines, from the first to the one where
        the next token starts (which ends the root), read alone as the first
        document of a stream, compose to the same nodes: the same text with
        the same columns, whose lines are counted from the cut. Anchors are
        per document, and a tag handle of a ``%TAG`` directive left above the
        cut fails the composition (then the whole file is composed). The root
        must start on the cut's first line and end on the recorded last one.

        Not cut: a text with line breaks other than ``\n`` (YAML counts ``\r``,
        NEL, LS and PS as breaks too), or with a repeated anchor name anywhere
        (libyaml refuses a redefined anchor, and the whole file was then
        composed by the pure-Python loader, whose marks are its own).
        """
        cut = self._slicing.get(origin.file)
        if cut is None:
            cut = self._slicing[origin.file] = self._cut_points(origin.file)
        if cut is _UNCUT:
            return None
        end_line = cut.ends.get((origin.line, origin.doc_index))
        first = origin.line - 1
        begin = cut.line_start(first) if end_line is not None and end_line >= origin.line else None
        if begin is None:
            return None
        stop = cut.line_start(end_line)
        piece = cut.text[begin : len(cut.text) if stop is None else stop]
        # the same document in several files (each cluster's copy of gotk-components.yaml)
        # is composed once: equal text, equal nodes
        if piece in self._pieces:
            node = self._pieces[piece]
        else:
            loader = _PositionLoader(piece)
            try:
                node = loader.get_node() if loader.check_node() else None
            except (yaml.YAMLError, RecursionError):
                node = None
            finally:
                loader.dispose()
            self._pieces[piece] = node
        if node is None or node.start_mark.line != 0 or node.end_mark.line + 1 + first != end_line:
            return None
        return node, first

    def _cut_points(self, rel: str) -> _Cut | object:
        """What cutting the documents of a loaded file apart needs, or ``_UNCUT`` when
        they are composed only with the whole file."""
        loaded = self._files.get(rel)
        if loaded is None or not loaded.documents:
            return _UNCUT
        try:
            text = self._text(rel)
        except (OSError, ValueError, OutsideRoot, FileTooLarge):
            return _UNCUT
        if any(ch in text for ch in _OTHER_BREAKS):
            return _UNCUT
        if "&" in text:
            names = _ANCHOR_NAME.findall(text)
            if len(names) != len(set(names)):
                return _UNCUT
        return _Cut(text, {(d.origin.line, d.origin.doc_index): d.end_line for d in loaded.documents})

    def _key_index(self, node: MappingNode) -> dict[str, tuple]:
        """The mapping's fields by key text, built once per node: one finding per value
        of a 40,000-value ConfigMap must not scan the mapping each time."""
        index = self._keys.get(id(node))
        if index is None:
            index = {}
            for k, v in node.value:
                if isinstance(k, ScalarNode):
                    index.setdefault(k.value, (k, v))
            self._keys[id(node)] = index
        return index

    def _text(self, rel: str) -> str:
        """The file's text, for its positions; with kept positions, the hash of its bytes
        noted (:meth:`finding_position` keeps a position only when they are the walk's)."""
        raw = self.fs.read_bytes(rel)
        if self.kept_positions is not None and rel not in self._raw_hashes:
            self._raw_hashes[rel] = content_hash(raw)
        return decode_text(raw)

    def _compose(self, rel: str) -> list:
        try:
            text = self._text(rel)
            loader = FastLoader(text)
            try:
                return compose_docs(loader)
            finally:
                loader.dispose()
        except ComposerError:
            try:
                return compose_docs(RedefiningLoader(text))
            except (yaml.YAMLError, RecursionError):
                return []
        except (OSError, ValueError, OutsideRoot, FileTooLarge, yaml.YAMLError, RecursionError):
            # unreadable, not UTF-8, outside the root, too large, not YAML, nested too deep:
            # no positions (the finding points at the document); anything else is a bug
            return []
