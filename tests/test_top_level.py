"""The proofs from a file's lines that no document holds a word at its top level
(``load.top_level``): never wrong against the loader, and they spare discovery and the
secret inventory the parse of the CRD bundles every bootstrapped repository holds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.core.fs import RepoFS
from gitops_lint.discover.entries import discover
from gitops_lint.load.loader import DocumentCache, parse_text
from gitops_lint.load.top_level import may_be_of_kind, may_have_key
from tests.conftest import CORPUS, FIXTURES
from tests.security.test_budgets import deadline

KIND = "GitRepository"


def root_kinds(text: str) -> set[str]:
    """The top-level ``kind`` of every document the loader makes of ``text``."""
    return {
        d.data["kind"]
        for d in parse_text(text, "f.yaml").documents
        if isinstance(d.data, dict) and isinstance(d.data.get("kind"), str)
    }


CRD = """\
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gitrepositories.source.toolkit.fluxcd.io
spec:
  names:
    kind: GitRepository
    listKind: GitRepositoryList
  versions:
  - name: v1
    schema:
      openAPIV3Schema:
        description: GitRepository is the Schema for the gitrepositories API.
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
spec:
  sourceRef:
    kind: GitRepository
    name: flux-system
"""


@pytest.mark.parametrize(
    "text",
    [
        CRD,
        "kind: Kustomization\nspec:\n  sourceRef:\n    kind: GitRepository\n",
        "a: 1\n# kind: GitRepository\n",
        "apiVersion: v1\nkind: ConfigMap\n",  # the word absent
        "data:\n  x: |\n    kind: GitRepository\n",
    ],
)
def test_a_kind_named_only_below_the_top_level_is_proven_absent(text):
    assert KIND not in root_kinds(text)
    assert not may_be_of_kind(text, KIND)


@pytest.mark.parametrize(
    "text",
    [
        "kind: GitRepository\n",
        "apiVersion: v1\nkind:\n  GitRepository\n",
        "apiVersion: v1\nkind:\n# a comment\n  GitRepository\n",
        "kind: |-\n  GitRepository\n",
        'kind: "\\\n  GitRepository"\n',
        "  kind: GitRepository\n  apiVersion: v1\n",  # the root mapping indented
        "--- {\nmetadata: x,\n  kind: GitRepository }\n",  # a flow root on the marker's line
        "{\nmetadata: x,\n  kind: GitRepository }\n",
        "x: &k GitRepository\nkind: *k\n",  # an alias
        "metadata:\n  n: &m {kind: GitRepository}\n<<: *m\n",
        "<<:\n  kind: GitRepository\n",
        "? kind\n:\n  GitRepository\n",
        "metadata: x\n  y\rkind: GitRepository\n",  # a CR line break
        "metadata: x\n  y\u2028kind: GitRepository\n",
        "a: 1\n---\n  kind: GitRepository\n",
    ],
)
def test_a_possible_top_level_kind_is_never_ruled_out(text):
    assert may_be_of_kind(text, KIND)


@pytest.mark.parametrize(
    "text",
    [
        "apiVersion: v1\nkind:\n  GitRepository\n",
        'kind: "\\\n  GitRepository"\n',
        "{\nmetadata: x,\n  kind: GitRepository }\n",
        "x: &k GitRepository\nkind: *k\n",
        "metadata: x\n  y\rkind: GitRepository\n",
        "metadata: x\n  y\u2028kind: GitRepository\n",
    ],
)
def test_the_loader_reads_those_texts_as_a_top_level_kind(text):
    """The cases above are real: a proof that ignored them would miss a sync."""
    assert KIND in root_kinds(text)


def test_bytes_are_read_as_the_loader_reads_them():
    assert not may_be_of_kind(CRD.encode(), KIND)
    assert may_be_of_kind(b"kind: GitRepository\n", KIND)
    assert not may_have_key(b"apiVersion: v1\n", "sops")  # the word absent: not decoded at all
    assert may_have_key(b"\xff\xfe sops: x\n", "sops")  # not UTF-8: the loader decides


def test_a_sops_key_only_below_the_top_level_is_proven_absent():
    text = CRD + "---\nkind: Kustomization\nspec:\n  decryption:\n    provider: sops\n"
    assert "sops" not in root_keys(text)
    assert not may_have_key(text, "sops")
    assert may_have_key(text + "---\napiVersion: v1\nkind: Secret\nsops:\n  mac: x\n", "sops")
    assert may_have_key("a: 1\n---\n  sops: {mac: x}\n", "sops")  # an indented root


# documents written every way YAML allows a top-level ``kind: GitRepository`` or ``sops``
# key (and the word elsewhere): the value on its key's line or below it, in a block or
# quoted scalar, through an alias or a merge key, in a flow mapping over several lines, the
# root indented or on its marker's line, explicit keys, comments between, other line
# breaks than LF
KIND_WAYS = {
    "top": [
        "kind: GitRepository",
        "kind:\n  GitRepository",
        "kind:\n# between\n  GitRepository",
        "kind: |-\n  GitRepository",
        'kind: "\\\n  GitRepository"',
        "kind: 'GitRepository'",
        "kind: !!str GitRepository",
        "? kind\n: GitRepository",
        "? kind\n:\n  GitRepository",
        '"kind": GitRepository',
    ],
    "nested": [
        "spec:\n  names:\n    kind: GitRepository",
        "spec:\n  sourceRef: {kind: GitRepository,\n    name: x}",
        "metadata:\n  annotations:\n    a: |\n      kind: GitRepository",
        'description: "GitRepository is\n  a kind"',
        "# kind: GitRepository",
        "items:\n- kind: GitRepository",
    ],
    "alias": ["metadata:\n  n: &k GitRepository", "kind: *k"],
    "merge": ["metadata:\n  m: &m\n    kind: GitRepository", "<<: *m"],
    "flow": ["a: 1", "kind: GitRepository"],
}
SOPS_WAYS = {
    "top": [
        "sops:\n  mac: x",
        "sops: {mac: x}",
        "sops:\n# between\n  mac: x",
        '"sops": {mac: x}',
        "'sops':\n  mac: x",
        "? sops\n: {mac: x}",
        "sops: !!map\n  mac: x",
    ],
    "nested": [
        "spec:\n  decryption:\n    provider: sops",
        "spec:\n  sops:\n    mac: x",
        'description: "decrypted by sops\n  at apply"',
        "# sops: x",
        "items:\n- sops: {mac: x}",
    ],
    "alias": ["metadata:\n  n: &k sops", "*k : {mac: x}"],
    "merge": ["metadata:\n  m: &m\n    sops: {mac: x}", "<<: *m"],
    "flow": ["a: 1", "sops: {mac: x}"],
}


@st.composite
def documents(draw, ways: dict) -> str:
    """One document with the word at its top level (or not), written one of many ways."""
    others = draw(
        st.lists(st.sampled_from(["apiVersion: v1", "metadata:\n  name: x", *ways["nested"]]), max_size=4)
    )
    way = draw(st.sampled_from(["top", "alias", "merge", "flow", "flow-on-marker", "none"]))
    if way == "top":
        entries = [*others, draw(st.sampled_from(ways["top"]))]
    elif way in ("alias", "merge"):  # the anchor where the word is not at the top
        entries = [*others, *ways[way]]
    elif way in ("flow", "flow-on-marker"):
        inner = ",\n".join(draw(st.sampled_from(["  ", "", "    "])) + e for e in ways["flow"])
        text = draw(st.sampled_from(["", "  "])) + "{\n" + inner + "\n}"
        return ("--- " if way == "flow-on-marker" else "") + text
    else:
        entries = others or ["a: 1"]
    entries = draw(st.permutations(entries))
    text = "\n".join(entries)
    indent = draw(st.sampled_from([0, 0, 0, 2]))
    if indent:
        text = "\n".join(" " * indent + line if line else line for line in text.split("\n"))
    return text


def texts(ways: dict):
    return st.tuples(
        st.lists(documents(ways), min_size=1, max_size=3),
        st.sampled_from(["\n", "\n", "\r\n", "\r", "\u2028"]),
    ).map(lambda t: ("\n---\n".join(t[0]) + "\n").replace("\n", t[1]))


def root_keys(text: str) -> set:
    return {k for d in parse_text(text, "f.yaml").documents if isinstance(d.data, dict) for k in d.data}


@settings(max_examples=2000)
@given(texts(KIND_WAYS))
def test_never_false_when_the_loader_finds_the_kind_at_the_top(text):
    if KIND in root_kinds(text):
        assert may_be_of_kind(text, KIND)
        assert may_be_of_kind(text.encode(), KIND)  # a file's bytes, as the scans pass them


@settings(max_examples=2000)
@given(texts(SOPS_WAYS))
def test_never_false_when_the_loader_finds_the_key_at_the_top(text):
    if "sops" in root_keys(text):
        assert may_have_key(text, "sops")
        assert may_have_key(text.encode(), "sops")


def test_a_word_repeated_on_one_long_line_is_judged_once():
    """Linear in the text: each line is judged once, however often the word repeats on it
    (judging each occurrence scanned back to its line's start: 200,000 on a 2.8 MB line took
    minutes)."""
    text = "a:\n  " + "GitRepository " * 200_000 + "\n" + "b:\n  GitRepository\n" * 50_000
    with deadline(1.0):
        assert not may_be_of_kind(text, KIND)


def _yaml_files(root: Path):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            if name.endswith((".yaml", ".yml")):
                yield Path(dirpath) / name


@pytest.mark.slow
def test_never_false_on_a_corpus_or_fixture_file():
    """Every YAML file at hand, every top-level kind the loader finds in it."""
    roots = [FIXTURES] + ([CORPUS] if CORPUS.is_dir() else [])
    checked = spared = 0
    for root in roots:
        for path in _yaml_files(root):
            try:
                text = path.read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            for kind in root_kinds(text):
                assert may_be_of_kind(text, kind), path
                checked += 1
            for key in root_keys(text):
                if isinstance(key, str):
                    assert may_have_key(text, key), path
            if KIND in text and KIND not in root_kinds(text):
                spared += not may_be_of_kind(text, KIND)
    assert checked > 1000
    assert spared > 100  # the proof is also of use: most files naming the word are spared


def test_discovery_no_longer_parses_a_crd_bundle_but_finds_a_self_applied_sync(tmp_path):
    (tmp_path / "clusters" / "a" / "flux-system").mkdir(parents=True)
    (tmp_path / "clusters" / "a" / "flux-system" / "gotk-components.yaml").write_text(CRD)
    (tmp_path / "clusters" / "a" / "sync.yaml").write_text(
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n"
        "metadata:\n  name: flux-system\n  namespace: flux-system\n"
        "spec:\n  url: https://example.com/repo\n---\n"
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata:\n  name: flux-system\n  namespace: flux-system\n"
        "spec:\n  path: ./clusters/a\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
    )
    fs = RepoFS(str(tmp_path))
    cache = DocumentCache(fs)
    found = discover(fs, cache)
    assert list(found.entries) == ["clusters/a"]
    assert found.entries["clusters/a"].found_by == "self-applied sync"
    assert "clusters/a/flux-system/gotk-components.yaml" not in cache.files
    assert "clusters/a/sync.yaml" in cache.files
