"""Parsed files kept between runs (gitops_lint.load.parsed): a warm miss re-parses only
what changed, and prints exactly what a ``--no-cache`` run prints.

Each test lints a repository in a temporary Git work tree (or, for the corpus, in
place with ``GITOPS_LINT_CACHE_DIR`` in tmp), with the cache turned on (the suite
runs with it off: conftest). Parses are counted by wrapping the loader's
``parse_text`` (what ``DocumentCache`` calls for a file it does not find stored).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from gitops_lint import cache as cache_module
from gitops_lint.core.fs import content_hash
from gitops_lint.core.records import SideRecords, record_checksum, side_shard
from gitops_lint.load import loader
from gitops_lint.load.parsed import (
    PASSWORD_KEYS,
    ParsedFiles,
    decode,
    encode,
    holds_secret,
)
from tests.conftest import FIXTURES
from tests.helpers import GOTK, ks, run_cli, shard_records, write_tree

DEFECTS = FIXTURES / "text-report-defects"
SECRET_VALUE = "Zq8vK2-hunter2-Pw9x"


pytestmark = pytest.mark.usefixtures("cache_on")


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """The files the document cache parses (in order), from when the fixture is asked for."""
    seen: list[str] = []
    real = loader.parse_text

    def counting(text, file, **kw):
        seen.append(file)
        return real(text, file, **kw)

    monkeypatch.setattr(loader, "parse_text", counting)
    return seen


def git_copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    (target / ".git").mkdir(exist_ok=True)
    return target


def lint(root: Path, *args: str, fmt: str = "json", paths=None) -> tuple[int, str, str]:
    where = [str(root)] if paths is None else [str(root / p) for p in paths]
    return run_cli(*where, "--root", str(root), "--format", fmt, *args)


def shards(root: Path) -> list[Path]:
    return sorted((root / cache_module.DIR_NAME).glob("v*/side-parsed-*.rec"))


def side_text(root: Path) -> str:
    found = shards(root)
    assert found
    return "".join(p.read_text() for p in found)


def stored_files(root: Path) -> dict[str, str]:
    """Entry key -> entry text, as the shards hold them."""
    return shard_records(shards(root))


def shards_as_written(found: dict[int, list[tuple[str, str]]]) -> dict[str, str]:
    return {k: text for rows in found.values() for k, text in rows}


def drop_run_entries(directory: Path) -> None:
    for path in directory.glob("v*/run-*.json"):
        path.unlink()


# a small repository whose files exercise what a parse carries: a List, a suppression
# comment, a ``key:`` with no value in a patch, a folded scalar in a resource and in a
# kustomization file, a file that is not YAML, an alias (a tree, no shared container)
TREE = {
    **GOTK,
    "clusters/dev/apps.yaml": ks("apps", "./apps"),
    "apps/kustomization.yaml": (
        "resources: [list.yaml, deploy.yaml, broken.yaml]\n"
        "patches:\n  - path: patch.yaml\n"
        "commonAnnotations:\n  note: >\n    folded\n    text\n"
    ),
    "apps/list.yaml": (
        "apiVersion: v1\nkind: List\nitems:\n"
        "  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: default}, data: {k: v}}\n"
        "  - {apiVersion: v1, kind: ConfigMap, metadata: {name: b, namespace: default}, data: {k: 1}}\n"
    ),
    "apps/deploy.yaml": (
        "# gitops-lint: disable=schema\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\n"
        "  annotations:\n    text: >\n      one\n      two\n"
        "spec:\n  replicas: &n 2\n  selector: {matchLabels: {app: web}}\n"
        "  template:\n    metadata: {labels: {app: web}}\n"
        "    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n"
        "          ports: [{containerPort: *n}]\n          resources:\n            limits: {cpu: 1}\n"
    ),
    "apps/patch.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\n"
        "spec:\n  template:\n    spec:\n      containers:\n        - name: web\n          resources:\n"
        "            limits:\n              cpu:\n"
    ),
    "apps/broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [unclosed\n",
    "apps/bad-type.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\nimmutable: maybe\n"
    ),
}


@pytest.fixture
def repo(tmp_path) -> Path:
    root = write_tree(tmp_path / "repo", TREE)
    (root / ".git").mkdir()
    return root


# -- (a) a warm miss parses only the changed file ------------------------------------------


def test_a_warm_miss_parses_only_the_changed_file(repo, parses):
    lint(repo)  # fills the run entry and the parsed files
    assert "apps/deploy.yaml" in parses
    target = repo / "apps" / "deploy.yaml"
    with open(target, "a", encoding="utf-8") as fh:
        fh.write("# changed\n")
    parses.clear()
    lint(repo)  # misses the run entry
    assert parses == ["apps/deploy.yaml"]


def test_nothing_new_parsed_writes_nothing(repo, parses):
    lint(repo)
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in shards(repo)}
    assert before
    drop_run_entries(repo / cache_module.DIR_NAME)
    parses.clear()
    lint(repo)
    assert parses == []
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in shards(repo)} == before


def test_entries_of_content_no_longer_in_the_tree_are_dropped(repo):
    lint(repo)
    old = content_hash((repo / "apps" / "deploy.yaml").read_bytes())
    assert old in stored_files(repo)
    (repo / "apps" / "deploy.yaml").write_text(TREE["apps/deploy.yaml"].replace("nginx:1.27", "nginx:1.28"))
    lint(repo)
    files = stored_files(repo)
    assert content_hash((repo / "apps" / "deploy.yaml").read_bytes()) in files
    # the old entry goes with the next write of its shard (a run pays for what changed)
    assert old not in files or side_shard(old) != side_shard(
        content_hash((repo / "apps" / "deploy.yaml").read_bytes())
    )


def _keys_of_shard(shard: int, count: int, salt: str) -> list[str]:
    keys = (content_hash(f"{salt}{i}".encode()) for i in range(10**6))
    return [k for k in keys if side_shard(k) == shard][:count] if count else []


def test_stale_entries_go_with_their_shard_or_when_they_are_a_quarter_of_it():
    new_text = b"a: 1\n"
    shard = side_shard(content_hash(new_text))
    present = _keys_of_shard(shard, 12, "present")
    hashes = {f"f{i}.yaml": k for i, k in enumerate(present)}
    rows = {k: "[]" for k in present}
    # one stale entry among twelve: the shard is not written for it alone
    one_stale = {**rows, _keys_of_shard(shard, 1, "gone")[0]: "[]"}
    assert ParsedFiles(hashes, SideRecords.from_rows(one_stale)).shards(set()) == {}
    # ... but with a new entry of its shard, it goes
    store = ParsedFiles({**hashes, "new.yaml": content_hash(new_text)}, SideRecords.from_rows(one_stale))
    lf = loader.parse_text(new_text.decode(), "new.yaml")
    store.record("new.yaml", True, new_text, lf.documents, lf.errors, lf.empty_nulls, lf.sizes)
    assert set(shards_as_written(store.shards(set()))) == {*present, content_hash(new_text)}
    # more stale entries than a quarter of the shard: written without them
    many = {**rows, **dict.fromkeys(_keys_of_shard(shard, 5, "gone"), "[]")}
    assert ParsedFiles(hashes, SideRecords.from_rows(many)).shards(set()) == {shard: list(rows.items())}


def test_a_kustomization_file_has_its_own_entry(tmp_path):
    # the same bytes as a resource and as a kustomization file: kyaml reads folded scalars
    # of the one and not the other, so each has its own entry
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  k: >\n    a\n      b\n    c\n"
    store = ParsedFiles(
        {"r.yaml": content_hash(text.encode()), "kustomization.yaml": content_hash(text.encode())}
    )
    for rel, kyaml in (("r.yaml", True), ("kustomization.yaml", False)):
        lf = loader.parse_text(text, rel, kyaml=kyaml)
        store.record(rel, kyaml, text.encode(), lf.documents, lf.errors, lf.empty_nulls, lf.sizes)
    files = shards_as_written(store.shards(set()))
    assert len(files) == 2
    again = ParsedFiles(store.hashes, SideRecords.from_rows(files))
    for rel, kyaml in (("r.yaml", True), ("kustomization.yaml", False)):
        docs = again.lookup(rel, kyaml, 1 << 20)[0]
        assert docs[0].data == loader.parse_text(text, rel, kyaml=kyaml).documents[0].data
    assert (
        again.lookup("r.yaml", True, 1 << 20)[0][0].data
        != again.lookup("kustomization.yaml", False, 1 << 20)[0][0].data
    )


# -- (b) identical output after a change ------------------------------------------------------


@pytest.mark.parametrize("source", ["tree", "defects"])
def test_a_run_from_stored_parses_prints_what_no_cache_prints(source, repo, tmp_path, parses):
    root = repo if source == "tree" else git_copy(DEFECTS, tmp_path / "defects")
    for fmt in ("json", "text"):
        lint(root, fmt=fmt)
    changed = root / ("apps/deploy.yaml" if source == "tree" else "apps/base/podinfo/deployment.yaml")
    with open(changed, "a", encoding="utf-8") as fh:
        fh.write("# a change\n")
    for fmt in ("json", "text"):
        cold = lint(root, "--no-cache", fmt=fmt)
        parses.clear()
        warm = lint(root, fmt=fmt)
        assert warm == cold, fmt
        if fmt == "json":  # (a text report plans --fix's [*] marks: a run of its own, uncached)
            assert str(changed.relative_to(root)) in parses
            assert len(parses) < len(list(root.rglob("*.yaml"))) / 2, "most files came from the store"


def test_a_smaller_max_file_bytes_is_not_bypassed_by_a_stored_parse(repo):
    lint(repo)
    drop_run_entries(repo / cache_module.DIR_NAME)
    (repo / ".gitops-lint.yaml").write_text("max-file-size: 200\n")
    cold = lint(repo, "--no-cache")
    assert "file too large" in cold[1]
    assert lint(repo) == cold


# -- (c) every corpus repository: all parses from the store ------------------------------
# (tests/test_kept_builds.py's corpus test: one test runs every repository from both stores,
# parsed files and builds, against --no-cache, and checks that fewer files were parsed)


# -- (d) secrets are never stored --------------------------------------------------------------

SOPS_SECRET = (
    "apiVersion: v1\nkind: Secret\nmetadata: {name: enc, namespace: default}\n"
    "stringData:\n  token: ENC[AES256_GCM,data:c2VjcmV0LWRvbWFpbg==,iv:aXZpdml2aXZpdml2,"
    "tag:dGFndGFndGFndGFn,type:str]\n"
    "sops:\n  mac: ENC[AES256_GCM,data:bWFjbWFj,iv:aXZpdml2aXZpdml2,tag:dGFndGFndGFndGFn,type:str]\n"
    "  encrypted_regex: ^(data|stringData)$\n  version: 3.9.0\n"
)
SECRET_FILES = {
    "apps/secret.yaml": (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\n"
        f"stringData: {{pw: {SECRET_VALUE}}}\n"
    ),
    "apps/other-secret.yaml": (  # any apiVersion
        "apiVersion: v2\nkind: Secret\nmetadata: {name: t, namespace: default}\n"
        "stringData: {pw: Kx7-other-Value-42}\n"
    ),
    "apps/sops.yaml": SOPS_SECRET,
    "apps/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain, namespace: default}\n",
    "apps/generated.yaml": "password: Gen-Source-Value-77x\n",  # a secretGenerator's file source
    "apps/release.yaml": (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: r, namespace: default}\n"
        "spec:\n  chart: {spec: {chart: c, sourceRef: {kind: HelmRepository, name: h}}}\n"
        "  values:\n    grafana:\n      adminPassword: Chart-Pass-Word-99\n"
    ),
}


@pytest.fixture
def secrets_repo(tmp_path) -> Path:
    root = write_tree(
        tmp_path / "repo",
        {
            **GOTK,
            "clusters/dev/apps.yaml": ks("apps", "./apps"),
            "apps/kustomization.yaml": (
                "resources: [secret.yaml, other-secret.yaml, sops.yaml, config.yaml, release.yaml]\n"
                "secretGenerator:\n  - name: gen\n    literals: [key=Literal-Value-55q]\n"
                "    files: [generated.yaml]\n"
            ),
            **SECRET_FILES,
        },
    )
    (root / ".git").mkdir()
    return root


def test_a_file_with_a_secret_is_not_stored(secrets_repo):
    lint(secrets_repo)
    files = stored_files(secrets_repo)
    text = side_text(secrets_repo)
    assert content_hash((secrets_repo / "apps" / "config.yaml").read_bytes()) in files
    for rel in SECRET_FILES:
        if rel != "apps/config.yaml":
            digest = content_hash((secrets_repo / rel).read_bytes())
            assert digest not in files and digest + "/k" not in files, rel
    kfile = content_hash((secrets_repo / "apps" / "kustomization.yaml").read_bytes()) + "/k"
    assert kfile not in files
    for value in (SECRET_VALUE, "Kx7-other-Value-42", "Gen-Source-Value-77x", "Chart-Pass-Word-99"):
        assert value not in text
    assert "Literal-Value-55q" not in text and "ENC[" not in text


def test_a_value_that_becomes_secret_drops_the_stored_file_holding_it(secrets_repo):
    pasted = secrets_repo / "apps" / "pasted.yaml"
    pasted.write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: p, namespace: default}}\ndata: {{v: Sx-{SECRET_VALUE}}}\n"
    )
    (secrets_repo / "apps" / "secret.yaml").write_text(SECRET_FILES["apps/config.yaml"])
    lint(secrets_repo)
    assert content_hash(pasted.read_bytes()) in stored_files(secrets_repo)
    (secrets_repo / "apps" / "secret.yaml").write_text(SECRET_FILES["apps/secret.yaml"])
    lint(secrets_repo)
    assert content_hash(pasted.read_bytes()) not in stored_files(secrets_repo)
    assert SECRET_VALUE not in side_text(secrets_repo)


@pytest.mark.parametrize(
    "text",
    [
        "kind: Secret\napiVersion: anything/v9\n",
        "apiVersion: v1\nkind: ConfigMap\nsops: {mac: x}\n",
        "apiVersion: v1\nkind: ConfigMap\ndata: {a: 'ENC[AES256_GCM,data:eA==,iv:eA==,tag:eA==,type:str]'}\n",
        "kind: HelmRelease\nspec:\n  values:\n    extraObjects:\n      - {kind: Secret, stringData: {a: b}}\n",
        "kind: Kustomization\nspec:\n  patches:\n    - patch: |\n        kind: Secret\n        stringData: {a: b}\n",
        'kind: Kustomization\npatches:\n  - patch: \'[{"op": "add", "path": "/data/x", "value": "eA=="}]\'\n'
        "    target: {kind: Secret}\n",
        "kind: HelmRelease\nspec: {values: {db: {postgresPassword: x}}}\n",
        "SecretGenerator: [{name: s, literals: [a=b]}]\n",
        "\u017fecretGenerator: [{name: s, literals: [a=b]}]\n",  # encoding/json folds the long s
    ],
)
def test_holds_secret(text):
    lf = loader.parse_text(text, "f.yaml")
    assert holds_secret(lf.documents)
    assert encode(lf.documents, lf.errors, lf.empty_nulls, lf.sizes, len(text)) is None


@pytest.mark.parametrize(
    "text",
    [
        "apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n",
        "kind: HelmRelease\nspec: {valuesFrom: [{kind: Secret, name: s}]}\n",  # a reference, no value
        "kind: Kustomization\nspec: {postBuild: {substituteFrom: [{kind: Secret, name: s}]}}\n",
        "kind: CustomResourceDefinition\ndescription: a Secret holds data\n",
    ],
)
def test_holds_no_secret(text):
    assert not holds_secret(loader.parse_text(text, "f.yaml").documents)


def test_the_password_keys_are_the_inventorys():
    from gitops_lint.model.secrets import HELM_PASSWORD_KEYS

    assert PASSWORD_KEYS == HELM_PASSWORD_KEYS


# -- (e) a damaged or foreign entry is a miss ------------------------------------------------


@pytest.mark.parametrize(
    "entry",
    [
        5,
        None,
        "not json",
        "[]",
        "{}",
        '[10, [["x", 1, 0, 2]], [], [], []]',  # a document without its rules
        '[10, [["x", true, 0, 2, []]], [], [], []]',  # a bool for a line
        '[10, [["x", 1, 0, 2, [3]]], [], [], []]',
        "[10, [], [[1, 1]], [], []]",
        '[10, [], [], [[0, [["a"]]]], []]',  # a position with no document
        '[10, [["x", 1, 0, 2, []]], [], [[0, [[1.5]]]], []]',
        '[10, [], [], [], [["0", 1]]]',
        "[10, [[NaN, 1, 0, 2, []]], [], [], []]",
        "[1e999]",
    ],
)
def test_a_wrong_typed_entry_is_a_miss(entry, repo, parses):
    lint(repo)
    cold = lint(repo, "--no-cache")
    target = content_hash((repo / "apps" / "deploy.yaml").read_bytes())
    (path,) = [p for p in shards(repo) if f"\n{target}\t" in p.read_text()]
    lines = path.read_text().split("\n")
    lines = [  # the record replaced, with a valid checksum
        f"{target}\t{record_checksum(target, entry)}\t{entry}" if line.startswith(target + "\t") else line
        for line in lines
    ]
    path.write_text("\n".join(lines))
    drop_run_entries(repo / cache_module.DIR_NAME)
    parses.clear()
    assert lint(repo) == cold
    assert "apps/deploy.yaml" in parses  # the bad entry was not used
    assert len(parses) < len(list(repo.rglob("*.yaml"))) / 2  # the others were
    again = stored_files(repo)
    assert isinstance(again[target], str) and decode(again[target], "x", 1 << 20) is not None  # replaced


# -- the round trip, entry by entry --------------------------------------------------------------


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def assert_round_trip(text: str, kyaml: bool = True) -> bool:
    """decode(encode(parse)) is the parse, field by field; False when not storable."""
    lf = loader.parse_text(text, "a/f.yaml", kyaml=kyaml)
    entry = encode(lf.documents, lf.errors, lf.empty_nulls, lf.sizes, len(text.encode()))
    if entry is None:
        return False
    docs, errors, nulls, sizes = decode(entry, "a/f.yaml", 1 << 30)
    assert len(docs) == len(lf.documents)
    for got, want in zip(docs, lf.documents):
        assert _same(got.data, want.data)
        assert (got.origin, got.end_line, got.disabled_rules) == (
            want.origin,
            want.end_line,
            want.disabled_rules,
        )
    assert errors == lf.errors
    assert list(sizes.items()) == list(lf.sizes.items())
    want_nulls = {
        i: lf.empty_nulls[id(d.data)] for i, d in enumerate(lf.documents) if id(d.data) in lf.empty_nulls
    }
    assert {i: nulls[id(d.data)] for i, d in enumerate(docs) if id(d.data) in nulls} == want_nulls
    assert len(nulls) == len(want_nulls)
    return True


@pytest.mark.parametrize(
    "text",
    [
        TREE["apps/list.yaml"],
        TREE["apps/deploy.yaml"],
        TREE["apps/patch.yaml"],
        TREE["apps/broken.yaml"],
        "a: 1.5\nb: 0o17\nc: 2001-12-14t21:59:43.10-05:00\nd: ~\ne:\nf: [x, {g: }]\n",
        "---\n---\n# gitops-lint: disable=schema,yaml-syntax\nk: v\n...\n---\nz: 1\n",
        "a: {b: 1}\na: 2\n",  # a duplicate key: an error, no document
    ],
)
def test_an_entry_round_trips(text):
    for kyaml in (True, False):
        assert assert_round_trip(text, kyaml)


@pytest.mark.parametrize(
    "text",
    [
        "1: one\n",  # a key that is not a string
        "a: .nan\n",
    ],
)
def test_what_json_would_change_is_not_stored(text):
    assert not assert_round_trip(text)


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
_trees = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(st.lists(_trees, min_size=1, max_size=3), st.sampled_from(["block", "flow"]))
def test_any_document_round_trips_or_is_not_stored(docs, style):
    text = yaml.safe_dump_all(docs, default_flow_style=style == "flow", sort_keys=False)
    assert_round_trip(text) or True


def test_the_content_hash_is_the_walks(repo):
    warm = cache_module.open_cache(str(repo))
    from gitops_lint.load.config import load_config
    from gitops_lint.vocabulary import vocabulary

    warm.compute_key(load_config(str(repo), known=vocabulary()), [str(repo)])
    hashes = warm.file_hashes()
    for rel in ("apps/deploy.yaml", "apps/kustomization.yaml"):
        assert hashes[rel] == content_hash((repo / rel).read_bytes())


def test_a_path_the_walk_did_not_hash_as_written_is_not_looked_up():
    store = ParsedFiles(
        {"a\\b.yaml": "0" * 40, "a/b.yaml": "1" * 40}, SideRecords.from_rows({"0" * 40: "[]", "1" * 40: "[]"})
    )
    assert store.key("a\\b.yaml", True) is None  # the loader would read a/b.yaml
    assert store.key("a/./b.yaml", True) is None
    assert store.key("a/b.yaml", True) == "1" * 40
    assert store.key("a/b.yaml", False) == "1" * 40 + "/k"


def test_a_file_changed_after_the_walk_is_not_recorded():
    text = b"a: 1\n"
    store = ParsedFiles({"f.yaml": content_hash(b"a: 0\n")})
    lf = loader.parse_text(text.decode(), "f.yaml")
    store.record("f.yaml", True, text, lf.documents, lf.errors, lf.empty_nulls, lf.sizes)
    assert store.new == {}


def test_a_shard_over_its_size_keeps_what_the_run_used_and_is_not_rewritten_for_nothing(monkeypatch):
    from gitops_lint.core import records
    from gitops_lint.load import parsed

    monkeypatch.setattr(records, "SIDE_SHARDS", 1)  # one shard: it holds all of MAX_STORED_CHARS
    monkeypatch.setattr(parsed, "SIDE_SHARDS", 1)
    texts = {f"f{i}.yaml": f"k: {i}\n" for i in range(6)}
    hashes = {rel: content_hash(t.encode()) for rel, t in texts.items()}
    store = ParsedFiles(hashes)
    for rel, t in texts.items():
        lf = loader.parse_text(t, rel)
        store.record(rel, True, t.encode(), lf.documents, lf.errors, lf.empty_nulls, lf.sizes)
    one = len(next(iter(store.new.values()))[0])
    monkeypatch.setattr(parsed, "MAX_STORED_CHARS", 3 * one)
    files = shards_as_written(store.shards(set()))
    assert len(files) == 3
    # the next run uses two stored entries and parses the others: nothing new fits, the
    # shard is handed back as it was read (the cache does not write it)
    again = ParsedFiles(hashes, SideRecords.from_rows(files))
    used = [rel for rel in texts if hashes[rel] in files][:2]
    for rel in texts:
        if again.lookup(rel, True, 1 << 20) is None:
            lf = loader.parse_text(texts[rel], rel)
            again.record(rel, True, texts[rel].encode(), lf.documents, lf.errors, lf.empty_nulls, lf.sizes)
    assert again.shards(set()) == {0: again.stored.rows(0)}
    # one entry used, the others not: the used one is kept first
    third = ParsedFiles(hashes, SideRecords.from_rows(files))
    third.lookup(used[1], True, 1 << 20)
    lf = loader.parse_text(texts["f5.yaml"], "f5.yaml")
    if hashes["f5.yaml"] not in files:
        third.record(
            "f5.yaml", True, texts["f5.yaml"].encode(), lf.documents, lf.errors, lf.empty_nulls, lf.sizes
        )
        kept = shards_as_written(third.shards(set()))
        assert hashes[used[1]] in kept and hashes["f5.yaml"] in kept


def test_unknown_secrets_store_nothing_and_the_run_still_prints(repo, monkeypatch):
    from gitops_lint import lint as lint_module

    cold = lint(repo, "--no-cache")

    def broken(self):
        raise RuntimeError("a bug in a secret source")
        yield  # a generator, as the real one

    monkeypatch.setattr(lint_module.Linter, "_tainted", broken)
    assert lint(repo) == cold
    assert not list((repo / cache_module.DIR_NAME).glob("v*/side-*"))  # nor kept builds


def test_a_long_tainted_value_is_searched_without_one_huge_automaton(monkeypatch):
    import base64

    import re2

    from gitops_lint.core.redact import tainted_matcher

    compiled: list[int] = []
    real = re2.compile

    def recording(pattern, *args):
        compiled.append(len(pattern))
        return real(pattern, *args)

    monkeypatch.setattr(re2, "compile", recording)
    whole = base64.b64encode(bytes(range(256)) * 1200).decode()  # a file a secretGenerator reads
    holds = tainted_matcher([whole, SECRET_VALUE])
    # (one automaton of a megabyte's forms took 3.6 s to compile and overflowed its memory)
    assert compiled and max(compiled) < 10_000
    assert holds(f"a: {SECRET_VALUE}") and holds(f"x{whole}y") and not holds("a: b")


# a Secret holding a kubeconfig: a value of several lines is tainted word by word
# (core.redact.tainted_forms), and "apiVersion", "certificate-authority-data" are words of it
KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
  - name: homelab
    cluster:
      certificate-authority-data: LS0tQ2VydC1Ba2VyLTk5cVhq
      server: https://10.31.103.4:6443
users:
  - name: admin
    user:
      token: Tk-91xQ-Lorem-Sekret-7
"""


@pytest.fixture
def kubeconfig_repo(tmp_path) -> Path:
    config = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d, namespace: default}\ndata: {a: b}\n"
    secret = (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: kubeconfig, namespace: default}\n"
        "stringData:\n  value: |\n" + "".join(f"    {line}\n" for line in KUBECONFIG.splitlines())
    )
    root = write_tree(
        tmp_path / "repo",
        {
            **GOTK,
            "clusters/dev/apps.yaml": ks("apps", "./apps"),
            "apps/kustomization.yaml": "resources: [secret.yaml, c0.yaml, c1.yaml, pasted.yaml]\n",
            "apps/secret.yaml": secret,
            "apps/c0.yaml": config % 0,
            "apps/c1.yaml": config % 1,
            # the kubeconfig's token written again: a secret's value outside its Secret
            "apps/pasted.yaml": (config % 2).replace("{a: b}", "{t: Tk-91xQ-Lorem-Sekret-7}"),
        },
    )
    (root / ".git").mkdir()
    return root


def test_the_ordinary_words_of_a_multi_line_secret_do_not_keep_every_manifest_out(kubeconfig_repo):
    """Every manifest holds "apiVersion", a word of the kubeconfig: the redactor prints it
    (a key of the repository), so the parsed-file store keeps what holds it; the token,
    which the redactor masks, still keeps the file it is pasted in out."""
    cold = lint(kubeconfig_repo, "--no-cache")
    assert lint(kubeconfig_repo) == cold
    files = stored_files(kubeconfig_repo)
    apps = kubeconfig_repo / "apps"
    for name in ("c0.yaml", "c1.yaml"):
        assert content_hash((apps / name).read_bytes()) in files, name
    for name in ("secret.yaml", "pasted.yaml"):
        assert content_hash((apps / name).read_bytes()) not in files, name
    assert "Tk-91xQ" not in side_text(kubeconfig_repo)
    drop_run_entries(next((kubeconfig_repo / cache_module.DIR_NAME).glob("v*")))
    assert lint(kubeconfig_repo) == cold


@example(["apiVersion: v1\nserver: https://10.31.103.4:6443\n"], ["apiVersion", "server"])
@given(
    st.lists(st.text("abcdefXYZ019-_:./ \n", min_size=8, max_size=40), min_size=1, max_size=4),
    st.lists(st.text("abcdefXYZ019-_.", min_size=1, max_size=20), max_size=8),
)
def test_a_form_left_out_of_the_store_check_is_one_the_redactor_prints(values, identifiers):
    """What ``never_masked`` drops from the store's check (``core.redact.tainted_matcher``) is
    printed as it is by the redactor of the same values and identifiers, alone or in text."""
    from gitops_lint.core.redact import Redactor, tainted_forms

    redactor = Redactor(lambda: values, lambda: identifiers)
    redactor.refresh()
    if values == ["apiVersion: v1\nserver: https://10.31.103.4:6443\n"]:  # the example: both kinds
        kinds = {redactor.never_masked(f) for v in values for f in tainted_forms(v)}
        assert kinds == {True, False}
    for value in values:
        for form in tainted_forms(value):
            if redactor.never_masked(form):
                assert redactor.redact(form) == form
                assert redactor.redact(f"key: {form}\n") == f"key: {form}\n"
