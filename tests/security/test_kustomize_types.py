"""Wrong value types in a kustomization are findings, never an internal error.

kustomize (and Flux) decode a kustomization with Go's ``encoding/json``: a
value of the wrong type (``literals: 5``, a list where a map is expected, a
fraction for an integer) is an ``UnmarshalTypeError`` naming the Go field.
gitops-lint decodes every field in one place (``render/kustfile.py``) and
reports each such value at its line; the renderer downstream only ever sees
values of their declared type, so nothing it does can crash on them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.core.fs import RepoFS
from gitops_lint.load.loader import DocumentCache
from gitops_lint.render import kustfile
from gitops_lint.render.kustomize import Kustomizer
from gitops_lint.render.types import ERROR
from tests.helpers import GOTK, ks, lint_repo, write_tree

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: b\n"
DEPLOY = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n"
    "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
    "    spec: {containers: [{name: web, image: nginx}]}\n"
)


def build(root: Path, path: str = "apps"):
    fs = RepoFS(str(root))
    return Kustomizer(fs, DocumentCache(fs)).build(path)


# the three of issue 15, with kustomize v5.5's own messages (checked with kubectl kustomize)
NAMED = [
    (
        "configMapGenerator:\n  - name: a\n    literals: 5\n",
        4,
        "cannot unmarshal number into Go struct field ConfigMapArgs.configMapGenerator.literals "
        "of type []string",
    ),
    (
        "replacements:\n  - source: {kind: ConfigMap, name: cm}\n    targets: 5\n",
        4,
        "cannot unmarshal number into Go struct field ReplacementField.replacements.targets "
        "of type []*types.TargetSelector",
    ),
    (
        "labels:\n  - pairs: {a: b}\n    fields: 5\n",
        4,
        "cannot unmarshal number into Go struct field Label.labels.fields of type []types.FieldSpec",
    ),
    ("commonLabels: [a]\n", 2, "cannot unmarshal array into Go struct field Kustomization.commonLabels"),
    ("namePrefix: 5\n", 2, "Kustomization.namePrefix of type string"),
    (
        "images: [5]\n",
        2,
        "cannot unmarshal number into Go struct field Kustomization.images of type types.Image",
    ),
    ("replicas: [{name: web, count: 1.5}]\n", 2, "cannot unmarshal number 1.5 into Go struct field Replica"),
    ("generatorOptions: {disableNameSuffixHash: 'yes'}\n", 2, "of type bool"),
]


@pytest.mark.parametrize("field,line,message", NAMED)
def test_a_wrong_type_is_a_kustomize_build_finding_and_the_run_goes_on(tmp_path, field, line, message):
    repo = write_tree(
        tmp_path,
        {
            **GOTK,
            "clusters/dev/apps.yaml": ks("apps", "./apps"),
            "clusters/dev/other.yaml": ks("other", "./other"),
            "apps/kustomization.yaml": "resources: [cm.yaml, deploy.yaml]\n" + field,
            "apps/cm.yaml": CM,
            "apps/deploy.yaml": DEPLOY,
            # the rest of the run: another Kustomization with a real defect of its own
            "other/kustomization.yaml": "resources: [missing.yaml]\n",
        },
    )
    result = lint_repo(repo, "clusters/dev")
    hits = [f for f in result.findings if f.rule == "kustomize-build" and f.file == "apps/kustomization.yaml"]
    assert [f.line for f in hits] == [line], [f.message for f in result.findings]
    assert message in hits[0].message and hits[0].message.startswith("invalid Kustomization: json: ")
    assert not any(f.rule == "internal-error" or "internal" in f.message for f in result.findings)
    assert any(f.rule == "missing-path" and f.file == "other/kustomization.yaml" for f in result.findings)


def test_null_is_go_zero_not_an_error():
    """null sets a list/map/pointer to nil and leaves a list item at its zero value."""
    decoded = kustfile.decode(
        {"namePrefix": None, "images": [None], "commonLabels": {"a": None}, "labels": [None, {"pairs": None}]}
    )
    assert decoded.type_errors == []
    assert decoded.data == {
        "namePrefix": None,
        "images": [{}],
        "commonLabels": {"a": ""},
        "labels": [{}, {"pairs": None}],
    }


def test_a_replacement_file_of_the_wrong_types_is_a_finding(tmp_path):
    write_tree(
        tmp_path,
        {
            "apps/kustomization.yaml": "resources: [cm.yaml]\nreplacements:\n  - path: repl.yaml\n",
            "apps/cm.yaml": CM,
            "apps/repl.yaml": "source: {kind: ConfigMap, name: cm}\ntargets: 5\n",
        },
    )
    result = build(tmp_path)
    assert [i.kind for i in result.issues] == [ERROR]
    assert "Replacement.targets of type []*types.TargetSelector" in result.issues[0].message


# -- the class: any field of any kustomization struct replaced by a value of another type ---

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["", "cm.yaml", "x", "a=b", "../x", "5"]),
)
WRONG = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "name", "x"]), inner, max_size=2)
    ),
    max_leaves=6,
)


def shaped(typ: object, depth: int = 0) -> st.SearchStrategy:
    """A value of ``typ``'s shape whose parts are, now and then, of any other type."""
    if depth > 4:
        return WRONG
    if isinstance(typ, kustfile.Struct):
        right = st.fixed_dictionaries(
            {},
            optional={
                name: shaped(t, depth + 1) for name, t in typ.fields if name not in ("kind", "apiVersion")
            },
        )
    elif isinstance(typ, kustfile.ListOf):
        right = st.lists(shaped(typ.item, depth + 1), max_size=2)
    elif isinstance(typ, kustfile.MapOf):
        right = st.dictionaries(st.sampled_from(["a", "b"]), shaped(typ.item, depth + 1), max_size=2)
    elif typ == kustfile.BOOL:
        right = st.booleans()
    elif typ in (kustfile.INT, kustfile.INT64):
        right = st.integers(-2, 3)
    elif isinstance(typ, kustfile.Opaque):
        right = st.just({})
    else:
        right = st.sampled_from(["cm.yaml", "ConfigMap", "cm", "a=b", "metadata.name", ""])
    return right if depth == 0 else st.one_of(right, right, WRONG)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(shaped(kustfile.KUSTOMIZATION))
def test_any_kustomization_of_wrong_types_yields_findings_never_an_exception(kustomization):
    kustomization.setdefault("resources", ["cm.yaml"])
    decoded = kustfile.decode(kustomization)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_tree(
            root,
            {
                "apps/kustomization.yaml": yaml.safe_dump(kustomization),
                "apps/cm.yaml": CM,
                "apps/deploy.yaml": DEPLOY,
            },
        )
        result = build(root)  # must not raise
    if decoded.type_errors:
        messages = [i.message for i in result.issues if i.kind == ERROR]
        assert messages and all(m in messages for _, m in decoded.type_errors)


@pytest.mark.parametrize(
    "config,message",
    [
        ("namePrefix: 5\n", "TransformerConfig.namePrefix of type types.FsSlice"),
        (
            "nameReference:\n  - kind: ConfigMap\n    fieldSpecs: 5\n",
            "NameBackReferences.nameReference.fieldSpecs",
        ),
        ("commonLabels: [{path: 5}]\n", "FieldSpec.commonLabels.path of type string"),
        ("nameReference: {kind: x}\n", "of type builtinconfig.nbrSlice"),
    ],
)
def test_a_configuration_file_of_the_wrong_types_is_a_finding(tmp_path, config, message):
    write_tree(
        tmp_path,
        {
            "apps/kustomization.yaml": "resources: [cm.yaml]\nconfigurations: [conf.yaml]\n",
            "apps/cm.yaml": CM,
            "apps/conf.yaml": config,
        },
    )
    result = build(tmp_path)
    assert [(i.kind, i.line) for i in result.issues] == [(ERROR, 2)]
    assert result.issues[0].message.startswith("configuration file conf.yaml: json: cannot unmarshal")
    assert message in result.issues[0].message
