"""Field positions from one document's own lines give what the whole file's composition gives.

``DocumentCache.field_position`` composes only the document a finding is in,
from the file's text cut at that document's first line (issue 18: a finding in
one CRD of a 300 kB gotk-components.yaml composed all of it). The composition
of the whole file (``_composed``) is kept as the oracle: on generated YAML
streams of every shape (block and flow collections, every scalar style,
comments, explicit starts and ends, directives, anchors, tags, empty
documents, Lists) every node of every document has the same marks either way,
and every field position is the same; on the corpus, every document of every
file a lint loads does.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from yaml.nodes import MappingNode, SequenceNode

from gitops_lint.core.data import Origin
from gitops_lint.core.fs import RepoFS
from gitops_lint.load.loader import DocumentCache, parse_text

# -- a generator of YAML text ---------------------------------------------------------------

KEYS = st.sampled_from(["a", "b", "kind", "spec", "x y", "k-1", "0", "true", "'q'", '"d"', "? c"])
PLAIN = st.sampled_from(["v", "1", "yes", "null", "~", "a b", "x: y", "${VAR}", "é", "&notanchor", "-1", ""])


@st.composite
def scalars(draw, indent: int) -> str:
    """A scalar as written after ``key: `` or ``- `` (maybe on several lines)."""
    pad = " " * (indent + 2)
    style = draw(st.sampled_from(["plain", "single", "double", "literal", "folded", "multi"]))
    if style == "plain":
        return draw(PLAIN).replace(": ", "-") or "v"
    if style == "single":
        return "'" + draw(st.text(string.ascii_letters + " :#'", max_size=6)).replace("'", "''") + "'"
    if style == "double":
        return '"' + draw(st.text(string.ascii_letters + " :#\\n", max_size=6)).replace('"', "") + '"'
    if style == "multi":  # a plain scalar on two lines
        return f"first\n{pad}second"
    lines = draw(st.lists(st.sampled_from(["text", "", "  more", "# not a comment"]), min_size=1, max_size=3))
    header = ("|" if style == "literal" else ">") + draw(st.sampled_from(["", "-", "+", "2"]))
    body = "\n".join((pad + line) if line else "" for line in lines)
    return header + "\n" + body


@st.composite
def flows(draw, depth: int = 0) -> str:
    if depth > 2 or draw(st.booleans()):
        return draw(st.sampled_from(["1", "a", "'s'", '"d"', "[]", "{}", "null"]))
    items = draw(st.lists(flows(depth + 1), max_size=3))
    if draw(st.booleans()):
        return "[" + ", ".join(items) + "]"
    return "{" + ", ".join(f"k{i}: {v}" for i, v in enumerate(items)) + "}"


@st.composite
def blocks(draw, indent: int, depth: int, anchors: list) -> str:
    """A block mapping or sequence at ``indent`` (its first line unindented: the
    caller writes it after what precedes it on that line)."""
    pad = " " * indent
    lines = []
    if draw(st.booleans()):  # a mapping
        keys = draw(st.lists(KEYS, min_size=1, max_size=4, unique=True))
        for key in keys:
            lines.append(pad + key + ":" + draw(values(indent, depth, anchors)))
    else:
        for _ in range(draw(st.integers(1, 3))):
            lines.append(pad + "-" + draw(values(indent, depth, anchors, in_sequence=True)))
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), pad + "# a comment")
    if draw(st.booleans()):
        lines.insert(draw(st.integers(1, len(lines))), "")
    return "\n".join(lines)[indent:]


@st.composite
def values(draw, indent: int, depth: int, anchors: list, in_sequence: bool = False) -> str:
    """What follows ``key:`` or ``-``, leading space included."""
    prefix = ""
    if anchors is not None and draw(st.integers(0, 5)) == 0:
        name = f"n{len(anchors)}"
        anchors.append(name)
        prefix += f" &{name}"
    if draw(st.integers(0, 6)) == 0:
        prefix += " !!str" if draw(st.booleans()) else " !custom"
    kind = draw(st.sampled_from(["scalar", "flow", "block", "alias"] if depth < 3 else ["scalar", "flow"]))
    if kind == "alias" and anchors and not prefix:
        return " *" + draw(st.sampled_from(anchors))
    if kind == "block" and "!!str" not in prefix:
        child = indent + 2
        if in_sequence and not prefix and draw(st.booleans()):  # "- key: v" on the dash's line
            return " " + draw(blocks(indent + 2, depth + 1, anchors))
        return prefix + "\n" + " " * child + draw(blocks(child, depth + 1, anchors))
    if kind == "flow":
        return prefix + " " + draw(flows())
    return prefix + " " + draw(scalars(indent))


@st.composite
def documents(draw) -> str:
    anchors: list = []
    root = draw(st.sampled_from(["block", "block", "block", "flow", "scalar", "empty", "list"]))
    if root == "block":
        body = draw(blocks(0, 0, anchors))
    elif root == "flow":
        body = draw(flows())
    elif root == "scalar":
        body = draw(scalars(-2))
    elif root == "list":
        body = "apiVersion: v1\nkind: List\nitems:\n  - kind: A\n    spec: {x: 1}\n  - kind: B\n    spec:\n      y: 2\n"
    else:
        body = ""
    start = draw(st.sampled_from(["", "---", "--- ", "---\n# c", "--- !!map", "--- &top"]))
    if start.startswith("--- ") and (root != "block" or start == "--- "):
        start = "---" if root == "block" else start
    if start in ("--- !!map", "--- &top") and root != "block":
        start = "---"
    if root in ("flow", "scalar") and start == "---" and draw(st.booleans()):
        return f"--- {body}"  # the root on the start line
    return f"{start}\n{body}" if start else body


@st.composite
def streams(draw) -> str:
    docs = draw(st.lists(documents(), min_size=1, max_size=5))
    out = []
    for i, doc in enumerate(docs):
        if i and not doc.startswith("---"):
            doc = "---\n" + doc  # a later document needs its start
        if draw(st.integers(0, 8)) == 0:
            doc = "%YAML 1.1\n" + (doc if doc.startswith("---") else "---\n" + doc)
            if out and not out[-1].rstrip().endswith("..."):
                out.append("...")
        out.append(doc)
        if draw(st.integers(0, 5)) == 0:
            out.append("...")
        if draw(st.integers(0, 5)) == 0:
            out.append("# between documents\n")
    text = "\n".join(out)
    return text + draw(st.sampled_from(["\n", "", "\n\n", "\n# end\n"]))


# -- the comparison ----------------------------------------------------------------------------


def _same_tree(cut, cut_offset: int, whole) -> None:
    stack = [(cut, whole)]
    while stack:
        a, b = stack.pop()
        assert type(a) is type(b)
        assert (a.start_mark.line + cut_offset, a.start_mark.column) == (
            b.start_mark.line,
            b.start_mark.column,
        )
        assert (a.end_mark.line + cut_offset, a.end_mark.column) == (b.end_mark.line, b.end_mark.column)
        # (tags are not compared: a cut is composed for positions only, its scalars untyped)
        if isinstance(a, MappingNode):
            assert len(a.value) == len(b.value)
            for (ak, av), (bk, bv) in zip(a.value, b.value):
                stack.append((ak, bk))
                stack.append((av, bv))
        elif isinstance(a, SequenceNode):
            assert len(a.value) == len(b.value)
            stack.extend(zip(a.value, b.value))
        else:
            assert a.value == b.value


def _paths(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for key, value in list(data.items())[:6]:
            yield from _paths(value, (*prefix, key))
        yield (*prefix, "absent")
    elif isinstance(data, list):
        for i, value in enumerate(data[:4]):
            yield from _paths(value, (*prefix, i))
        yield (*prefix, len(data))


def check_file(cache: DocumentCache, rel: str) -> int:
    """Compare both ways on every document of a loaded file; the number cut."""
    oracle = DocumentCache(cache.fs)
    oracle._files = cache._files
    cut = 0
    for doc in cache.load(rel).documents:
        sliced = cache._sliced(doc.origin)
        whole = oracle._composed(doc.origin)
        assert whole is not None
        if sliced is not None:
            cut += 1
            _same_tree(sliced[0], sliced[1], whole[0])
        for path in _paths(doc.data):
            assert cache.field_position(doc.origin, path) == oracle_position(oracle, doc.origin, path)
    return cut


def oracle_position(oracle: DocumentCache, origin: Origin, path: tuple) -> tuple[int, int]:
    """field_position as it was: the whole file composed."""
    oracle._documents[(origin.file, origin.doc_index, origin.line)] = oracle._composed(origin)
    return oracle.field_position(origin, path)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(streams())
def test_a_cut_document_composes_as_in_its_file(tmp_path, text):
    assume(parse_text(text, "f.yaml").documents)  # a document that fails construction: the others
    (tmp_path / "f.yaml").write_text(text)
    cache = DocumentCache(RepoFS(str(tmp_path)))
    check_file(cache, "f.yaml")


def test_a_plain_file_is_cut_not_composed_whole(tmp_path):
    text = "kind: A\nspec: {x: 1}\n---\n# c\nkind: B\nspec:\n  list:\n    - name: x\n    - name: y\n...\n--- |\n  s\n"
    (tmp_path / "f.yaml").write_text(text)
    cache = DocumentCache(RepoFS(str(tmp_path)))
    assert check_file(cache, "f.yaml") == 3
    second = cache.load("f.yaml").documents[1]
    assert cache.field_position(second.origin, ("spec", "list", 1, "name")) == (9, 7)
    assert cache._nodes == {}  # the whole file was never composed


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\r\n---\r\nb: {c: 2}\r\n",  # \r\n: lines YAML counts differently from \n
        "a: &x 1\n---\nb: &x 2\n",  # an anchor name twice
        "%TAG !e! tag:example.com,2000:\n--- !e!thing\nb: 1\n---\nc: 2\n",  # a directive's handle
        "a: 1\n---\nb: 'x\u2028y'\nc: 2\n",  # a line separator
    ],
)
def test_what_may_read_differently_is_composed_whole(tmp_path, text):
    (tmp_path / "f.yaml").write_text(text, newline="")
    cache = DocumentCache(RepoFS(str(tmp_path)))
    check_file(cache, "f.yaml")
    docs = cache.load("f.yaml").documents
    assert docs
    if "%TAG" not in text:
        assert all(cache._sliced(d.origin) is None for d in docs)


def test_an_origin_that_is_no_documents_start_has_no_field_position(tmp_path):
    (tmp_path / "f.yaml").write_text("a: 1\n---\nb:\n  c: 2\n")
    cache = DocumentCache(RepoFS(str(tmp_path)))
    cache.load("f.yaml")
    for origin in (
        Origin("f.yaml", 4, 1),
        Origin("f.yaml", 3, 0),
        Origin("f.yaml", 3, 5),
        Origin("f.yaml", 99, 1),
    ):
        assert cache.field_position(origin, ("b", "c")) == (origin.line, 1)
    assert cache.field_position(Origin("f.yaml", 3, 1), ("b", "c")) == (4, 3)


def _corpus_repositories() -> dict[str, list[str]]:
    from tests.test_corpus import REPOSITORIES

    return REPOSITORIES


@pytest.mark.slow
@pytest.mark.parametrize("repo", sorted(_corpus_repositories()))
def test_every_corpus_finding_and_document_is_positioned_as_before(repo, monkeypatch):
    """Each field position a lint of the repository asks for, and every document of
    every file it loaded, the same cut or whole."""
    from tests.conftest import CORPUS
    from tests.helpers import lint_repo

    caches: list[DocumentCache] = []
    asked: list[tuple] = []
    real_init, real_position = DocumentCache.__init__, DocumentCache.field_position

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        caches.append(self)

    def position(self, origin, path):
        found = real_position(self, origin, path)
        asked.append((self, origin, tuple(path), found))
        return found

    monkeypatch.setattr(DocumentCache, "__init__", init)
    monkeypatch.setattr(DocumentCache, "field_position", position)
    lint_repo(CORPUS / repo, *_corpus_repositories()[repo])
    monkeypatch.undo()
    assert caches
    for cache, origin, path, found in asked:
        oracle = DocumentCache(cache.fs)
        oracle._files = cache._files
        assert found == oracle_position(oracle, origin, path), (origin, path)
    for cache in caches:
        for rel, loaded in sorted(cache.files.items()):
            if loaded.documents:
                check_file(cache, rel)


def test_a_document_in_several_files_is_composed_once(tmp_path, monkeypatch):
    """Each cluster's copy of gotk-components.yaml holds the same CRD: its text is
    composed once, and each file's positions count from its own lines."""
    from gitops_lint.load import loader

    crd = "kind: CustomResourceDefinition\nspec:\n  versions:\n    - name: v1\n      schema: {x: 1}\n"
    (tmp_path / "a.yaml").write_text(crd)
    (tmp_path / "b.yaml").write_text("kind: Namespace\n---\n" + crd)
    composed = []
    real = loader._PositionLoader

    class Counting(real):
        def __init__(self, stream):
            composed.append(stream)
            super().__init__(stream)

    cache = DocumentCache(RepoFS(str(tmp_path)))
    a, b = cache.load("a.yaml").documents[0], cache.load("b.yaml").documents[1]
    monkeypatch.setattr(loader, "_PositionLoader", Counting)
    path = ("spec", "versions", 0, "schema")
    assert cache.field_position(a.origin, path) == (5, 7)
    assert cache.field_position(b.origin, path) == (7, 7)
    assert composed == [crd]
