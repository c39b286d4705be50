"""A bug is an internal error, never a "cannot read" or "cannot edit" verdict.

Each ``except`` that used to catch ``Exception`` names what the code expects
(a file that cannot be read, YAML a parser refuses, a path outside the root).
Here a callee is made to raise ``TypeError``, the shape of a bug: it must get
out (the command line reports it as an internal error, exit 2; a rule's as
an internal error of the rule), while the expected failures are still handled.
"""

from __future__ import annotations

import pytest

from gitops_lint import fix
from gitops_lint.core.data import Finding, Severity
from gitops_lint.core.fs import RepoFS
from gitops_lint.load import loader
from gitops_lint.load.loader import DocumentCache
from gitops_lint.schema.registry import SchemaRegistry
from tests.helpers import write_tree


def _bug(*_args, **_kwargs):
    raise TypeError("a bug")


# -- load/loader.py: field positions -------------------------------------------------------


def test_positions_of_a_file_that_does_not_parse_are_none(tmp_path):
    write_tree(tmp_path, {"bad.yaml": "a: [\n"})
    assert DocumentCache(RepoFS(str(tmp_path)))._compose("bad.yaml") == []
    assert DocumentCache(RepoFS(str(tmp_path)))._compose("gone.yaml") == []


def test_a_bug_while_composing_positions_gets_out(tmp_path, monkeypatch):
    write_tree(tmp_path, {"ok.yaml": "a: 1\n"})
    monkeypatch.setattr(loader, "compose_docs", _bug)
    with pytest.raises(TypeError):
        DocumentCache(RepoFS(str(tmp_path)))._compose("ok.yaml")


# -- schema/registry.py: a config's schema directory ---------------------------------------


class _FS:
    def __init__(self, read):
        self.read = read

    def isfile(self, rel):
        return True

    def read_bytes(self, rel):
        return self.read(rel)


def test_an_unreadable_schema_file_is_skipped():
    def unreadable(rel):
        raise PermissionError(rel)

    reg = SchemaRegistry(None, schema_dirs=["schemas"], fs=_FS(unreadable))
    assert reg.lookup("example.com/v1", "Widget") == (None, "")
    reg = SchemaRegistry(None, schema_dirs=["schemas"], fs=_FS(lambda rel: b"{not json"))
    assert reg.lookup("example.com/v1", "Widget") == (None, "")


def test_a_bug_while_reading_a_schema_file_gets_out():
    reg = SchemaRegistry(None, schema_dirs=["schemas"], fs=_FS(_bug))
    with pytest.raises(TypeError):
        reg.lookup("example.com/v1", "Widget")


def test_a_bug_in_the_schema_lookup_is_an_internal_error_of_the_rule(tmp_path, monkeypatch):
    from tests.helpers import GOTK, lint_repo

    schema = "schemas/gitrepository-source.toolkit.fluxcd.io-v1.json"
    write_tree(tmp_path, {**GOTK, ".gitops-lint.yaml": "schemas: [schemas]\n", schema: "{}"})
    real = RepoFS.read_bytes
    monkeypatch.setattr(RepoFS, "read_bytes", lambda self, rel: _bug() if rel == schema else real(self, rel))
    result = lint_repo(tmp_path)
    assert any("internal error in rule schema" in line for line in result.internal_errors)


# -- fix.py ------------------------------------------------------------------------------------


def test_an_edit_that_breaks_the_yaml_is_refused_but_a_bug_gets_out(monkeypatch):
    src = fix.SourceFile("a.yaml", "a: b\n")
    edit = fix.SetScalar(0, ("a",), "c", "c")
    assert fix.apply_edits(src, [edit]).text == "a: c\n"
    # ruamel.yaml verifies where gitops-lint's loader cannot (fix._verified): that path here
    monkeypatch.setattr(fix, "_verified", lambda src, text, expected: None)

    class Refusing:
        def load_all(self, text):
            from ruamel.yaml import YAMLError

            raise YAMLError("refused")

    monkeypatch.setattr(fix, "_yaml", Refusing)
    with pytest.raises(fix._Refused):
        fix.apply_edits(src, [edit])

    class Buggy:
        def load_all(self, text):
            raise TypeError("a bug")

    monkeypatch.setattr(fix, "_yaml", Buggy)
    with pytest.raises(TypeError):
        fix.apply_edits(src, [edit])


def test_the_directory_namespaces_skip_what_cannot_be_read_but_not_a_bug(tmp_path, monkeypatch):
    write_tree(
        tmp_path,
        {"d/a.yaml": "kind: X\n", "d/ns.yaml": "metadata: {namespace: team}\n", "d/bad.yaml": "a: [\n"},
    )
    store = fix.FileStore(str(tmp_path))
    assert fix._directory_namespaces(store, "d/a.yaml", {}) == {"team"}
    monkeypatch.setattr(fix.FileStore, "read", _bug)
    with pytest.raises(TypeError):
        fix._directory_namespaces(store, "d/a.yaml", {})


def test_a_bug_in_a_fixer_is_not_a_file_that_cannot_be_edited(tmp_path, monkeypatch):
    write_tree(tmp_path, {"a.yaml": "a: b\n"})
    finding = Finding("crd-prune", "GL203", Severity.ERROR, "m", "a.yaml", 1, 1)
    monkeypatch.setitem(fix.FIXERS, "crd-prune", _bug)
    with pytest.raises(TypeError):
        fix.plan_fixes(str(tmp_path), [finding], verify=False)

    def refusing(src, f):
        from ruamel.yaml import YAMLError

        raise YAMLError("refused")

    monkeypatch.setitem(fix.FIXERS, "crd-prune", refusing)
    report = fix.plan_fixes(str(tmp_path), [finding], verify=False)
    assert [left.reason for left in report.left] == ["cannot edit the file safely (YAMLError)"]


# -- render/external.py: the scratch copy for kubectl/kustomize ------------------------------


def _external(tmp_path, read):
    """An external renderer whose scratch copy reads through ``read`` (its guard reads the tree)."""
    from gitops_lint.render.external import ExternalKustomize
    from gitops_lint.render.kustomize import Kustomizer

    fs = RepoFS(str(tmp_path))

    class Copying(RepoFS):
        def read_bytes(self, rel):
            return read(rel) if rel.endswith("cm.yaml") else fs.read_bytes(rel)

    ext = ExternalKustomize.__new__(ExternalKustomize)
    ext.fs, ext.guard = Copying(str(tmp_path)), Kustomizer(fs, DocumentCache(fs))
    return ext


def test_a_file_the_external_build_cannot_copy_is_a_refusal_but_a_bug_gets_out(tmp_path):
    write_tree(
        tmp_path, {"app/kustomization.yaml": "resources: [cm.yaml]\n", "app/cm.yaml": "kind: ConfigMap\n"}
    )

    def unreadable(rel):
        raise PermissionError(rel)

    plan = _external(tmp_path, unreadable).plan("app", None)
    assert plan.refused and "could not be copied (PermissionError)" in plan.refused
    with pytest.raises(TypeError):
        _external(tmp_path, _bug).plan("app", None)
