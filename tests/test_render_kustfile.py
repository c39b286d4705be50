"""A kustomization's field names, matched as Go's encoding/json matches them.

``tests/render_cases/fieldcase`` is built by ``kubectl kustomize`` too (the
differential test); these tests pin the rules and every reader of a
kustomization: the renderer, the secret inventory, ``--renderer kubectl``.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.core.fs import RepoFS
from gitops_lint.load.loader import DocumentCache
from gitops_lint.render import kustfile
from gitops_lint.render.kustomize import Kustomizer
from gitops_lint.render.types import ERROR
from tests.conftest import PROJECT, needs_kubectl
from tests.helpers import lint_repo, write_tree

CASES = PROJECT / "tests" / "render_cases"


def build(root, path: str = ""):
    fs = RepoFS(str(root))
    return Kustomizer(fs, DocumentCache(fs)).build(path)


@pytest.mark.parametrize(
    "key,field",
    [
        ("resources", "resources"),
        ("Resources", "resources"),
        ("RESOURCES", "resources"),
        ("apiversion", "apiVersion"),
        ("\u212aind", "kind"),  # KELVIN SIGN folds with k
        ("name\u017fuffix", "nameSuffix"),  # LATIN SMALL LETTER LONG S folds with s
        ("namesuffix", "nameSuffix"),
        ("resource", None),
        ("re-sources", None),
        ("\u0131mages", None),  # dotless i is not in the orbit of i
        ("\u0130mages", None),  # nor is the dotted capital I
        ("ﬁles", None),  # a ligature never folds to two letters
    ],
)
def test_field_lookup_follows_encoding_json(key, field) -> None:
    assert kustfile.KUSTOMIZATION.lookup(key) == field


def test_nested_structs_fold_and_maps_keep_their_keys() -> None:
    decoded = kustfile.decode(
        {
            "ConfigMapGenerator": [{"Name": "a", "FILES": ["x"], "options": {"Labels": {"Tier": "1"}}}],
            "commonLabels": {"Team": "a"},
            "Patches": [{"Target": {"Kind": "Deployment", "labelselector": "a=b"}, "patch": "p"}],
        }
    )
    assert decoded.data == {
        "configMapGenerator": [{"name": "a", "files": ["x"], "options": {"labels": {"Tier": "1"}}}],
        "commonLabels": {"Team": "a"},
        "patches": [{"target": {"kind": "Deployment", "labelSelector": "a=b"}, "patch": "p"}],
    }
    assert decoded.unknown == []
    assert decoded.source_path(("configMapGenerator", 0, "files", 0)) == ("ConfigMapGenerator", 0, "FILES", 0)


def test_two_keys_for_one_field_decode_in_byte_order() -> None:
    # YAMLToJSON sorts the keys: "Resources" < "resources", so the lower-case list wins;
    # maps and structs are decoded into, so their entries merge
    decoded = kustfile.decode(
        {
            "resources": ["a"],
            "Resources": ["b"],
            "CommonLabels": {"x": "1", "y": "1"},
            "commonLabels": {"y": "2"},
            "GeneratorOptions": {"disableNameSuffixHash": True},
            "generatorOptions": {"labels": {"l": "v"}},
        }
    )
    assert decoded.data["resources"] == ["a"]
    assert decoded.data["commonLabels"] == {"x": "1", "y": "2"}
    assert decoded.data["generatorOptions"] == {"disableNameSuffixHash": True, "labels": {"l": "v"}}
    assert decoded.source_path(("resources", 0)) == ("resources", 0)


def test_unknown_fields_at_every_level() -> None:
    decoded = kustfile.decode({"resource": ["a"], "patches": [{"targets": {}, "patch": "x"}]})
    assert sorted(decoded.unknown, key=str) == [("patches", 0, "targets"), ("resource",)]


@pytest.mark.parametrize(
    "data,empty",
    [
        ({}, True),
        ({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}, True),
        ({"resources": None}, True),  # null: a nil slice
        ({"namespace": ""}, True),  # the zero string
        ({"resources": []}, False),  # an empty, non-nil slice
        ({"commonLabels": {}}, False),
        ({"generatorOptions": {}}, False),  # a non-nil pointer
        ({"Namespace": "x"}, False),
    ],
)
def test_empty_is_go_zero(data, empty) -> None:
    assert kustfile.decode(data).is_empty() is empty


_VARIANTS = {"k": "kK\u212a", "s": "sS\u017f"}


@st.composite
def _spelling(draw, name: str) -> str:
    out = ""
    for ch in name:
        options = _VARIANTS.get(ch.lower(), ch.lower() + ch.upper())
        out += draw(st.sampled_from(options))
    return out


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_spelling_of_a_field_is_that_field(data) -> None:
    name = data.draw(st.sampled_from(sorted(kustfile.FIELDS)))
    spelled = data.draw(_spelling(name))
    assert kustfile.KUSTOMIZATION.lookup(spelled) == name
    decoded = kustfile.decode({spelled: None})
    assert list(decoded.data) == [name] and decoded.unknown == []
    # decoding is idempotent: the canonical form decodes to itself
    assert kustfile.decode(decoded.data).data == decoded.data


def test_renderer_reads_folded_fields() -> None:
    result = build(CASES, "fieldcase")
    assert not result.issues
    names = sorted(r.obj["metadata"]["name"] for r in result.resources)
    assert names == ["settings-y", "web-y"]  # nameſuffix sorts after NameSuffix and wins
    web = next(r.obj for r in result.resources if r.obj["kind"] == "Deployment")
    assert web["spec"]["replicas"] == 3
    assert web["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"
    assert web["metadata"]["labels"] == {"Team": "a", "Owner": "b"}


def test_unknown_nested_field_is_reported_at_its_line() -> None:
    result = build(CASES, "errors/unknown-nested-field")
    unknown = [i for i in result.issues if "unknown field" in i.message]
    assert [(i.kind, i.message, i.line, i.column) for i in unknown] == [
        (ERROR, "invalid Kustomization: unknown field 'targets' in patches[0]", 4, 5)
    ]


def test_null_resources_is_an_empty_kustomization() -> None:
    result = build(CASES, "errors/null-resources")
    assert [i.message for i in result.issues] == ["kustomization.yaml is empty"]


def test_positions_follow_the_written_key(tmp_path) -> None:
    write_tree(tmp_path, {"kustomization.yaml": "Kind: Kustomization\n\nResources:\n  - missing.yaml\n"})
    result = build(tmp_path)
    assert [(i.message, i.line, i.column) for i in result.issues] == [
        ("resource missing.yaml does not exist", 4, 5)
    ]


def test_secret_generator_with_folded_fields_is_inventoried(tmp_path) -> None:
    root = write_tree(
        tmp_path,
        {
            "clusters/c/flux-system/gotk-sync.yaml": (
                "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n"
                "metadata: {name: flux-system, namespace: flux-system}\n"
                "spec: {interval: 1m, url: 'https://example.com/r'}\n---\n"
                "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
                "metadata: {name: apps, namespace: flux-system}\n"
                "spec: {interval: 1m, path: ./apps, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}\n"
            ),
            "apps/kustomization.yaml": (
                "Resources: []\nSecretGenerator:\n  - Name: db\n    Namespace: default\n"
                "    Literals:\n      - password=hunter2\n"
            ),
        },
    )
    result = lint_repo(root, "clusters/c")
    hits = [(f.file, f.line) for f in result.findings if f.rule == "plaintext-secret"]
    assert hits == [("apps/kustomization.yaml", 6)]
    assert all("hunter2" not in f.message for f in result.findings)


@needs_kubectl
def test_kubectl_renderer_writes_canonical_fields(tmp_path) -> None:
    from gitops_lint.render.external import ExternalKustomize
    from gitops_lint.render.types import FluxOverlay

    write_tree(
        tmp_path,
        {
            "app/kustomization.yaml": "RESOURCES: [cm.yaml]\nNameSuffix: -s\nbogus: 1\n",
            "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
        },
    )
    fs = RepoFS(str(tmp_path))
    result = ExternalKustomize(fs, DocumentCache(fs), "kubectl").build(
        "app", FluxOverlay(target_namespace="t")
    )
    assert not result.issues
    assert [(r.obj["metadata"]["name"], r.obj["metadata"]["namespace"]) for r in result.resources] == [
        ("c-s", "t")
    ]


@pytest.mark.parametrize(
    "data,unknown",
    [
        # each checked with kubectl kustomize (kustomize v5.5)
        ({"patches": [{"patch": "x", "options": {"allowNameChange": True}}]}, []),
        ({"images": [{"name": "x", "tagSuffix": "-a"}]}, []),
        ({"generatorOptions": {"immutable": True}}, []),
        ({"configMapGenerator": [{"name": "g", "options": {"immutable": True}}]}, []),
        (
            {"labels": [{"pairs": {"a": "b"}, "includeVolumeClaimTemplates": True}]},
            [("labels", 0, "includeVolumeClaimTemplates")],
        ),
        ({"metadata": {"name": "x", "foo": 1}}, [("metadata", "foo")]),
    ],
)
def test_fields_of_kustomize_5_5(data, unknown) -> None:
    decoded = kustfile.decode(data)
    assert decoded.unknown == unknown
    if not unknown:
        assert decoded.data == data  # kept, not dropped as unknown
