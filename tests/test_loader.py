import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.core.data import Origin
from gitops_lint.core.fs import OutsideRoot, RepoFS, normalize
from gitops_lint.load.loader import DocumentCache, parse_text


def test_documents_know_file_and_first_line():
    text = "# comment\napiVersion: v1\nkind: A\n---\n\n---\napiVersion: v1\nkind: B\n"
    loaded = parse_text(text, "x.yaml")
    assert [(d.data["kind"], d.origin.line) for d in loaded.documents] == [("A", 2), ("B", 7)]
    assert not loaded.errors


def test_duplicate_key_is_an_error_at_the_second_occurrence():
    loaded = parse_text("a: 1\nb:\n  c: 1\n  c: 2\n", "x.yaml")
    assert [(e.line, "duplicate" in e.message) for e in loaded.errors] == [(4, True)]


def test_merge_keys_are_not_duplicates():
    loaded = parse_text("base: &b {x: 1}\nother:\n  <<: *b\n  x: 2\n", "x.yaml")
    assert loaded.documents[0].data["other"] == {"x": 2}
    assert not loaded.errors


def test_redefined_anchor_is_accepted_later_wins():
    loaded = parse_text("a: &n 1\nb: *n\nc: &n 2\nd: *n\n", "x.yaml")
    assert loaded.documents[0].data == {"a": 1, "b": 1, "c": 2, "d": 2}


def test_unparsable_yaml_reports_line():
    loaded = parse_text("a: 1\nb: [1, 2\nc: 3\n", "x.yaml")
    assert loaded.documents == [] and loaded.errors and loaded.errors[0].line >= 2


def test_python_tags_are_refused_unknown_tags_kept():
    assert parse_text("x: !!python/object/apply:os.system ['true']\n", "x").errors
    assert parse_text("x: !env_var HOME\n", "x").documents[0].data == {"x": "HOME"}


def test_list_kind_is_unwrapped():
    loaded = parse_text("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: A}\n", "x")
    assert [d.data["kind"] for d in loaded.documents] == ["A"]


@pytest.mark.slow
def test_deep_nesting_is_an_error_not_a_crash():
    assert parse_text("[" * 3000 + "]" * 3000, "x").errors


def test_suppression_comment_belongs_to_its_document():
    text = "a: 1\n---\n# gitops-lint: disable=missing-path, GL101\nb: 2\n"
    docs = parse_text(text, "x").documents
    assert docs[0].disabled_rules == frozenset()
    assert docs[1].disabled_rules == {"missing-path", "GL101"}


def test_field_position_is_lazy_and_exact(tmp_path):
    (tmp_path / "f.yaml").write_text("kind: A\n---\nkind: B\nspec:\n  list:\n    - name: x\n    - name: y\n")
    cache = DocumentCache(RepoFS(str(tmp_path)))
    doc = cache.load("f.yaml").documents[1]
    assert cache.field_position(doc.origin, ("spec", "list", 1)) == (7, 7)
    assert cache.field_position(doc.origin, ("spec", "list", 1, "name")) == (7, 7)
    assert cache.field_position(doc.origin, ("spec", "absent")) == (4, 1)
    assert cache.field_position(Origin("f.yaml", 3, 1), ()) == (3, 1)


def test_non_utf8_and_missing_files_become_errors(tmp_path):
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00garbage")
    cache = DocumentCache(RepoFS(str(tmp_path)))
    assert cache.load("bin.yaml").errors
    assert cache.load("absent.yaml").errors


def test_paths_cannot_leave_the_root(tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("secret: 1\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "link.yaml").symlink_to(outside)
    fs = RepoFS(str(repo))
    with pytest.raises(OutsideRoot):
        fs.read_bytes("link.yaml")
    with pytest.raises(OutsideRoot):
        normalize("../outside.yaml")
    assert list(fs.walk_files()) == []
    assert DocumentCache(fs).load("link.yaml").documents == []


def _has_alias_events(text: str) -> bool:
    return any(isinstance(e, yaml.AliasEvent) for e in yaml.parse(text))


_shared = st.recursive(
    st.one_of(st.integers(0, 3), st.text("ab *&:", max_size=4)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from("xyz"), inner, max_size=3)
    ),
    max_leaves=6,
)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(_shared, st.booleans(), st.integers(0, 3))
def test_alias_pre_check_never_misses_an_alias(value, flow, copies):
    """The loader skips the alias-bomb walk only for text without an alias token: whatever
    way an emitter writes aliases (block or flow, as key or value), the pre-check sees them."""
    from gitops_lint.load.loader import _ALIAS

    doc = {"shared": value, "uses": [value] * copies, "map": {"k": value}}
    text = yaml.dump(doc, default_flow_style=flow)
    if _has_alias_events(text):
        assert _ALIAS.search(text), text


def test_real_paths_agree_with_os_realpath(tmp_path):
    """RepoFS resolves one component at a time (one lstat per path); it must give what
    os.path.realpath gives, and refuse exactly what realpath puts outside the root."""
    import os

    outside = tmp_path / "outside"
    (outside / "d").mkdir(parents=True)
    root = tmp_path / "repo"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "f.yaml").write_text("x: 1\n")
    os.symlink("b", root / "a" / "to-b")
    os.symlink("../a/b/f.yaml", root / "a" / "to-f")
    os.symlink(str(outside), root / "out")
    os.symlink("../../outside/d", root / "a" / "rel-out")
    os.symlink("loop2", root / "loop1")
    os.symlink("loop1", root / "loop2")
    os.symlink("missing-target", root / "dangling")
    fs = RepoFS(str(root))
    real_root = os.path.realpath(root)
    for rel in [
        "", "a", "a/b", "a/b/f.yaml", "a/to-b", "a/to-b/f.yaml", "a/to-f", "out", "out/d",
        "a/rel-out", "a/rel-out/x", "loop1", "loop1/x", "dangling", "nothing/here", "a/b/f.yaml/x",
    ]:  # fmt: skip
        expected = os.path.realpath(os.path.join(root, rel) if rel else root)
        inside = expected == real_root or expected.startswith(real_root + os.sep)
        if inside:
            assert fs.real(rel) == expected, rel
        else:
            with pytest.raises(OutsideRoot):
                fs.real(rel)
