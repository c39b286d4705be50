"""Stored parses of files whose documents share containers through YAML aliases
(gitops_lint.core.sharing, gitops_lint.load.parsed): kept, and given back with the same
containers shared at the same places as a fresh parse, never with a cycle or a blow-up
a damaged entry could make.
"""

from __future__ import annotations

import copy
import json
import signal
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from gitops_lint import cache as cache_module
from gitops_lint.core.data import Document, Origin
from gitops_lint.core.fs import content_hash
from gitops_lint.core.records import record_checksum
from gitops_lint.core.sharing import apply_links, expanded_within, links, with_slots
from gitops_lint.load import loader, parsed
from gitops_lint.load.parsed import ParsedFiles, decode, encode
from tests.helpers import GOTK, ks, run_cli, write_tree
from tests.test_parsed_cache import assert_round_trip, drop_run_entries, shards

pytestmark = pytest.mark.usefixtures("cache_on")


@contextmanager
def deadline(seconds: int = 10):
    """Fail (instead of hanging the suite) when the block runs longer than ``seconds``."""

    def expired(*_):
        raise AssertionError(f"still running after {seconds} s: a cycle or a blow-up")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def identity_shape(roots: list) -> list[tuple]:
    """(path, container type, class) of every container reached, aliases expanded, in
    pre-order; two places share a class exactly when they hold the same object."""
    classes: dict[int, int] = {}
    out = []
    stack = [(r, (i,)) for i, r in reversed(list(enumerate(roots)))]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            out.append((path, "dict", classes.setdefault(id(value), len(classes))))
            stack.extend((v, (*path, k)) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            out.append((path, "list", classes.setdefault(id(value), len(classes))))
            stack.extend((v, (*path, i)) for i, v in reversed(list(enumerate(value))))
    return out


def stored_then_decoded(text: str, kyaml: bool = True):
    """(fresh parse, its entry, the entry decoded) of ``text``; entry None when not stored."""
    lf = loader.parse_text(text, "a/f.yaml", kyaml=kyaml)
    entry = encode(lf.documents, lf.errors, lf.empty_nulls, lf.sizes, len(text.encode()))
    return lf, entry, (decode(entry, "a/f.yaml", 1 << 30) if entry is not None else None)


def assert_kept(text: str) -> str:
    """The text's parse is stored, and decodes to the same data and the same sharing."""
    for kyaml in (True, False):
        assert assert_round_trip(text, kyaml), "not stored"
        lf, entry, back = stored_then_decoded(text, kyaml)
        docs = back[0]
        assert identity_shape([d.data for d in docs]) == identity_shape([d.data for d in lf.documents])
    return entry


# -- what is kept ---------------------------------------------------------------------


SHARING = {
    "mapping": "a: &x {b: 1, c: [1, 2]}\nd: *x\n",
    "sequence": "a: &l [1, {b: 2}]\nd: [*l, *l]\n",
    "nested": "a: &o {i: &i {k: v}, j: *i}\nb: *o\nc: [*i, *o]\n",
    "a sequence inside a shared mapping": "a: &o {s: &s [x]}\nb: {t: *s}\nc: *o\n",
    "documents": "a: &x {b: 1}\nc: *x\n---\na: &x {b: 2}\nd: [*x]\n---\nplain: 1\n",
    "merge key": (
        "base: &b {env: &e {A: '1'}, port: 80}\nsvc:\n  <<: *b\n  port: 81\nother: {<<: [*b], env2: *e}\n"
    ),
    "empty keys": "a: &x {b: , c: {d: }}\ne: *x\nf: [*x]\n",
    "a List's items": (
        "apiVersion: v1\nkind: List\nitems:\n"
        "  - &a {apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: &d {k: v}}\n"
        "  - *a\n"
        "  - {apiVersion: v1, kind: ConfigMap, metadata: {name: b}, data: *d}\n"
    ),
    "folded scalars": "a: &x\n  t: >\n    one\n    two\nb: *x\n",
    "an empty container": "a: &x {}\nb: *x\nc: &y []\nd: [*y, *x]\n",
    "helm release": (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: r}\nspec:\n"
        "  values:\n    common: &env\n      TZ: UTC\n      EMPTY:\n"
        "    controllers:\n      main:\n        containers:\n"
        "          app: {env: *env, probes: &p {liveness: {enabled: true}}}\n"
        "          side: {env: *env, probes: *p}\n"
    ),
    "a flow document": "[&a {x: 1}, *a, [*a]]\n",
}


@pytest.mark.parametrize("text", SHARING.values(), ids=SHARING.keys())
def test_a_file_whose_documents_share_is_kept_with_its_sharing(text):
    entry = assert_kept(text)
    assert len(json.loads(entry)) == 6  # the links


def test_a_list_s_shared_items_stay_one_object():
    _, _, back = stored_then_decoded(SHARING["a List's items"])
    docs = back[0]
    assert len(docs) == 3 and docs[0].data is docs[1].data
    assert docs[2].data["data"] is docs[0].data["data"]


def test_the_text_stays_linear_in_the_distinct_nodes():
    # 16 levels of two aliases each: 2**17 leaves once expanded, a few lines written
    lines = ["l0: &l0 [x, y]"] + [f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}]" for i in range(1, 17)]
    text = "\n".join(lines) + "\n"
    lf, entry, back = stored_then_decoded(text)
    assert not lf.errors and lf.sizes[0] > 2**17
    assert entry is not None and len(entry) < 40 * len(text)
    docs = back[0]
    assert docs[0].data["l16"][0] is docs[0].data["l15"]
    assert back[3] == lf.sizes


def test_an_entry_much_longer_than_its_file_is_not_kept():
    # the empty keys of a shared mapping have a path through every alias: 2**15 places
    lines = ["l0: &l0 {a: , b: }"] + [f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}]" for i in range(1, 16)]
    text = "\n".join(lines) + "\n"
    lf, entry, _ = stored_then_decoded(text)
    assert not lf.errors and sum(map(len, lf.empty_nulls.values())) > 10**5
    assert entry is None
    assert_kept("\n".join(lines[:4]) + "\n")  # (a few aliases: kept)


def test_a_file_sharing_nothing_has_the_entry_it_always_had():
    text = "a: &n 1\nb: *n\nc: {d: [1, 2]}\n"
    lf, entry, _ = stored_then_decoded(text)
    assert len(json.loads(entry)) == 5


@pytest.mark.parametrize(
    "text",
    [
        "a: &x {1: b}\nc: *x\n",  # a key that is not a string, even when shared
        "a: &x {b: .nan}\nc: *x\n",
        "a: &x {b: 1}\nc: *x\nd: {kind: Secret, data: {k: dg==}}\n",
        "a: &x {adminPassword: hunter2}\nc: *x\n",  # a chart password key under a shared mapping
    ],
)
def test_what_json_would_change_or_a_secret_is_still_not_stored(text):
    _, entry, _ = stored_then_decoded(text)
    assert entry is None


def test_a_secret_check_walks_a_shared_container_once():
    # 60 levels of two places each: 2**60 places, 61 containers (the loader refuses such a
    # document, but holds_secret and links take any tree: each container once)
    bomb: list = ["x"]
    for _ in range(60):
        bomb = [bomb, bomb]
    docs = [Document({"a": bomb}, Origin("f", 1, 0), 1, frozenset())]
    with deadline():
        assert not parsed.holds_secret(docs)
        assert len(links([d.data for d in docs])) == 60


_keys = st.from_regex(r"x[a-z]{0,3}", fullmatch=True)
_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(-999, 999), st.from_regex(r"v[a-z]{0,3}", fullmatch=True)
)
_trees = st.recursive(
    _leaves,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_keys, inner, max_size=3)),
    max_leaves=6,
)
_containers = st.one_of(st.lists(_trees, max_size=3), st.dictionaries(_keys, _trees, max_size=3))


@st.composite
def shared_documents(draw) -> list:
    """Documents whose containers are shared: each document is made of blocks, a block's
    places may hold an earlier block (an alias, nested), and a block is placed one or
    more times. yaml.safe_dump writes the sharing as anchors and aliases."""
    docs = []
    for _ in range(draw(st.integers(1, 3))):
        blocks: list = []
        for _ in range(draw(st.integers(1, 4))):
            block = draw(_containers)
            stack = [block]
            while stack:
                node = stack.pop()
                for place in list(node) if isinstance(node, dict) else range(len(node)):
                    if blocks and draw(st.integers(0, 2)) == 0:
                        node[place] = blocks[draw(st.integers(0, len(blocks) - 1))]
                    elif isinstance(node[place], (dict, list)):
                        stack.append(node[place])
            blocks.append(block)
        picks = draw(st.lists(st.integers(0, len(blocks) - 1), min_size=1, max_size=4))
        if draw(st.booleans()):
            docs.append({f"x{n}": blocks[i] for n, i in enumerate(picks)})
        else:
            docs.append([blocks[i] for i in picks])
    return docs


@given(shared_documents(), st.sampled_from(["block", "flow"]))
def test_shared_documents_round_trip_with_their_sharing(docs, style):
    text = yaml.safe_dump_all(docs, default_flow_style=style == "flow", sort_keys=False)
    assert_kept(text)


@given(shared_documents())
def test_the_links_put_back_what_they_took_out(docs):
    before = copy.deepcopy(docs)
    found = links(docs)
    slotted = with_slots(docs, found)
    assert docs == before and identity_shape(docs) == identity_shape(before)  # left as it was
    back = json.loads(json.dumps(slotted))
    assert apply_links(back, json.loads(json.dumps(found)))
    assert back == docs
    assert identity_shape(back) == identity_shape(docs)
    # written once: the text of the slotted forest has each distinct container once
    assert len(identity_shape(slotted)) == len({c for _, _, c in identity_shape(docs)})


# -- a damaged or hostile entry is a miss --------------------------------------------

BASE_TEXT = "a: &x {b: 1, c: [1, 2]}\nd: *x\ne: [&y [3], *y]\nf: null\ng: {h: null}\ni: [null, [4]]\n"


def _entry_with(links_field, data=None, sizes=None) -> str:
    _, entry, _ = stored_then_decoded(BASE_TEXT)
    fields = json.loads(entry)
    if data is not None:
        fields[1][0][0] = data
    if sizes is not None:
        fields[4] = sizes
    return json.dumps([*fields[:5], links_field])


def test_the_base_entry_is_kept_and_its_links_are_as_documented():
    _, entry, back = stored_then_decoded(BASE_TEXT)
    assert json.loads(entry)[5] == [[[0, "d"], [0, "a"]], [[0, "e", 1], [0, "e", 0]]]
    assert decode(_entry_with([[[0, "d"], [0, "a"]], [[0, "e", 1], [0, "e", 0]]]), "f", 1 << 20)
    assert back[0][0].data["d"] is back[0][0].data["a"]


DAMAGED = {
    "no such slot": [[[0, "zz"], [0, "a"]]],
    "a slot under a missing key": [[[0, "zz", "q"], [0, "a"]]],
    "no such target": [[[0, "d"], [0, "nope"]]],
    "a slot that is not null": [[[0, "e", 0], [0, "a"]]],
    "a target after its slot": [[[0, "d"], [0, "e", 0]]],
    "a target after its slot, same list": [[[0, "i", 0], [0, "i", 1]]],
    "the target is the slot": [[[0, "f"], [0, "f"]]],
    "the target is an ancestor of the slot": [[[0, "g", "h"], [0, "g"]]],
    "the target is the document of the slot": [[[0, "d"], [0]]],
    "the target is under the slot": [[[0, "d"], [0, "d", "b"]]],
    "a scalar target": [[[0, "d"], [0, "a", "b"]]],
    "a null target (another link's slot)": [[[0, "d"], [0, "a"]], [[0, "f"], [0, "d"]]],
    "one slot twice": [[[0, "d"], [0, "a"]], [[0, "d"], [0, "a"]]],
    "a cycle through two links": [[[0, "d"], [0, "g"]], [[0, "g", "h"], [0, "d"]]],
    "a bool index": [[[0, "e", True], [0, "e", 0]]],
    "a negative index": [[[0, "e", -1], [0, "e", 0]]],
    "an index past the end": [[[0, "e", 2], [0, "e", 0]]],
    "a key into a list": [[[0, "e", "1"], [0, "e", 0]]],
    "an index into a mapping": [[[0, 0], [0, "a"]]],
    "a document past the last": [[[1, "d"], [0, "a"]]],
    "an empty path": [[[], [0, "a"]]],
    "a float in a path": [[[0, "d"], [0.0, "a"]]],
    "a link of one path": [[[0, "d"]]],
    "a link of three paths": [[[0, "d"], [0, "a"], [0, "a"]]],
    "a link that is a mapping": [{"slot": [0, "d"], "target": [0, "a"]}],
    "links that are a mapping": {"a": 1},
    "links that are null": None,
    "links that are a string": "[[0]]",
}


def _unlinked(data=None) -> list:
    """The documents' data of the base entry (or of ``data``) as decoded, no link applied."""
    return [d[0] for d in json.loads(_entry_with([], data=data))[1]]


@pytest.mark.parametrize("damaged", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_link_is_a_miss(damaged):
    with deadline():
        assert decode(_entry_with(damaged), "f.yaml", 1 << 20) is None
        roots = _unlinked()
        assert not apply_links(roots, damaged)  # refused by its checks, before any walk
        assert roots == _unlinked()  # and nothing applied


def test_a_cycle_an_entry_writes_with_its_own_data_is_a_miss():
    # {"a": {"p": null}, "b": {"q": null}}: a.p -> b comes after its slot, so does any link
    # closing a cycle
    data = {"a": {"p": None}, "b": {"q": None}}
    for damaged in (
        [[[0, "a", "p"], [0, "b"]], [[0, "b", "q"], [0, "a"]]],
        [[[0, "b", "q"], [0, "a"]], [[0, "a", "p"], [0, "b"]]],
        [[[0, "a", "p"], [0, "a"]]],
    ):
        with deadline():
            assert decode(_entry_with(damaged, data=data), "f.yaml", 1 << 20) is None
            assert not apply_links(_unlinked(data), damaged)
            # (were it applied, the expansion check would refuse the cycle)
            roots = _unlinked(data)
            roots[0]["a"]["p"], roots[0]["b"]["q"] = roots[0]["b"], roots[0]["a"]
            assert not expanded_within(roots, 10**6, 100)
    assert decode(_entry_with([[[0, "b", "q"], [0, "a"]]], data=data), "f.yaml", 1 << 20)


def test_links_that_expand_past_what_the_entry_charges_are_a_miss():
    # 2**40 places from 41 small lists, charged as a small file: a "billion laughs" of links
    data = {f"l{i}": [None, None] if i else ["x", "y"] for i in range(41)}
    bomb = [[[0, f"l{i}", j], [0, f"l{i - 1}"]] for i in range(1, 41) for j in (0, 1)]
    with deadline():
        assert decode(_entry_with(bomb, data=data, sizes=[[0, 10**9]]), "f.yaml", 1 << 20) is None
        assert decode(_entry_with(bomb[:20], data=data, sizes=[[0, 10**9]]), "f.yaml", 1 << 20)
        # within the file's limit but over what the entry charges the run
        assert decode(_entry_with(bomb[:20], data=data, sizes=[[0, 300]]), "f.yaml", 1 << 20) is None


def test_links_that_nest_past_the_loaders_limit_are_a_miss():
    assert parsed.MAX_DEPTH == loader.MAX_DEPTH
    # 1,100 lists, each holding the one before: a chain deeper than the loader builds
    count = loader.MAX_DEPTH + 100
    data = {f"l{i}": [None] if i else ["x"] for i in range(count)}
    chain = [[[0, f"l{i}", 0], [0, f"l{i - 1}"]] for i in range(1, count)]
    with deadline():
        assert decode(_entry_with(chain, data=data, sizes=[[0, 10**9]]), "f.yaml", 1 << 20) is None
        assert decode(_entry_with(chain[:900], data=data, sizes=[[0, 10**9]]), "f.yaml", 1 << 20)


def test_expanded_within_counts_as_the_loader():
    text = "a: &x {b: 1, c: [1, 2]}\nd: *x\ne: [&y [3], *y]\n"
    lf = loader.parse_text(text, "f.yaml")
    roots = [d.data for d in lf.documents]
    assert expanded_within(roots, lf.sizes[0], loader.MAX_DEPTH)
    assert not expanded_within(roots, lf.sizes[0] - 1, loader.MAX_DEPTH)
    assert expanded_within(roots, 10**6, 4) and not expanded_within(roots, 10**6, 3)


# -- end to end: a warm miss takes the aliased file from the store ------------------

RELEASE = (
    "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
    "metadata: {name: web, namespace: default}\nspec:\n  interval: 1h\n"
    "  chart:\n    spec:\n      chart: app-template\n      version: 3.0.0\n"
    "      sourceRef: {kind: HelmRepository, name: charts, namespace: flux-system}\n"
    "  values:\n    common: &env\n      TZ: Europe/Paris\n      OPTIONAL:\n"
    "    controllers:\n      main:\n        containers:\n"
    "          app:\n            image: {repository: ghcr.io/x/app, tag: '1.0'}\n"
    "            env: *env\n            probes: &probes\n              liveness: {enabled: true}\n"
    "          side:\n            env: *env\n            probes: *probes\n"
    "    hosts: &hosts [a.example.com, b.example.com]\n"
    "    ingress: {main: {hosts: *hosts, extra: {<<: *env, MORE: x}}}\n"
    "  valuesFrom:\n    - {kind: ConfigMap, name: missing-values}\n"
)
ALIASED_TREE = {
    **GOTK,
    "clusters/dev/apps.yaml": ks("apps", "./apps"),
    "apps/kustomization.yaml": "resources: [repo.yaml, release.yaml, config.yaml]\n",
    "apps/repo.yaml": (
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\n"
        "metadata: {name: charts, namespace: flux-system}\nspec: {url: https://charts.example.com}\n"
    ),
    "apps/release.yaml": RELEASE,
    "apps/config.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\ndata: &d {k: v}\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c2, namespace: default}\ndata: {k: v}\n"
    ),
}


@pytest.fixture
def aliased_repo(tmp_path) -> Path:
    root = write_tree(tmp_path / "repo", ALIASED_TREE)
    (root / ".git").mkdir()
    return root


@pytest.fixture
def loads(monkeypatch) -> dict[str, list]:
    """Per file of the run: the documents' data each load gave, and whether it was parsed."""
    seen: dict[str, list] = {"parsed": [], "stored": {}}
    real_parse, real_lookup = loader.parse_text, ParsedFiles.lookup

    def parse(text, file, **kw):
        seen["parsed"].append(file)
        return real_parse(text, file, **kw)

    def lookup(self, rel, kyaml, max_bytes):
        found = real_lookup(self, rel, kyaml, max_bytes)
        if found is not None:
            seen["stored"][rel] = [d.data for d in found[0]]
        return found

    monkeypatch.setattr(loader, "parse_text", parse)
    monkeypatch.setattr(ParsedFiles, "lookup", lookup)
    return seen


def _lint(root: Path, *args: str, fmt: str = "json"):
    return run_cli(str(root), "--root", str(root), "--format", fmt, *args)


def test_a_warm_miss_takes_an_aliased_file_from_the_store(aliased_repo, loads):
    for fmt in ("json", "text"):
        _lint(aliased_repo, fmt=fmt)
    assert "apps/release.yaml" in loads["parsed"]
    drop_run_entries(aliased_repo / cache_module.DIR_NAME)
    for fmt in ("json", "text"):
        cold = _lint(aliased_repo, "--no-cache", fmt=fmt)
        loads["parsed"].clear()
        loads["stored"].clear()
        warm = _lint(aliased_repo, fmt=fmt)
        assert warm == cold, fmt
        drop_run_entries(aliased_repo / cache_module.DIR_NAME)
        if fmt == "json":
            assert "apps/release.yaml" not in loads["parsed"]
            stored = loads["stored"]["apps/release.yaml"]
            fresh = [d.data for d in loader.parse_text(RELEASE, "apps/release.yaml").documents]
            assert stored == fresh
            assert identity_shape(stored) == identity_shape(fresh)
            values = stored[0]["spec"]["values"]
            containers = values["controllers"]["main"]["containers"]
            assert containers["app"]["env"] is values["common"] is containers["side"]["env"]


def test_a_damaged_link_in_the_store_is_parsed_again(aliased_repo, loads):
    _lint(aliased_repo)
    cold = _lint(aliased_repo, "--no-cache")
    target = content_hash((aliased_repo / "apps" / "release.yaml").read_bytes())
    (path,) = [p for p in shards(aliased_repo) if f"\n{target}\t" in p.read_text()]
    lines = path.read_text().split("\n")
    for n, line in enumerate(lines):
        if line.startswith(target + "\t"):
            fields = json.loads(line.split("\t", 2)[2])
            slot, first = fields[5][0]
            fields[5][0] = [first, slot]  # the target after its slot (a cycle, once applied)
            entry = json.dumps(fields, separators=(",", ":"))
            lines[n] = f"{target}\t{record_checksum(target, entry)}\t{entry}"
    path.write_text("\n".join(lines))
    drop_run_entries(aliased_repo / cache_module.DIR_NAME)
    loads["parsed"].clear()
    with deadline(60):
        assert _lint(aliased_repo) == cold
    assert "apps/release.yaml" in loads["parsed"]
