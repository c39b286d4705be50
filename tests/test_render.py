"""Unit tests for the tricky parts of the built-in kustomize renderer.

The expected values were checked against ``kubectl kustomize`` (kustomize
v5.5); ``test_render_differential.py`` keeps checking them on real trees.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitops_lint.core.fs import RepoFS
from gitops_lint.load.loader import DocumentCache
from gitops_lint.render import flux, json6902, smp
from gitops_lint.render.generators import content_hash, parse_env, parse_literal
from gitops_lint.render.kustomize import Kustomizer, looks_remote
from gitops_lint.render.output import to_yaml_stream
from gitops_lint.render.selector import matches_labels
from gitops_lint.render.transform import new_image, split_image
from gitops_lint.render.types import ERROR, ESCAPE, EXTERNAL, MISSING, FluxOverlay
from tests.conftest import PROJECT
from tests.helpers import write_tree

CASES = PROJECT / "tests" / "render_cases"


def build(root: Path | str, path: str = "", overlay: FluxOverlay | None = None):
    fs = RepoFS(str(root))
    return Kustomizer(fs, DocumentCache(fs)).build(path, overlay)


def objects(result) -> dict[tuple[str, str], dict]:
    return {(r.obj["kind"], r.obj["metadata"]["name"]): r.obj for r in result.resources}


# -- strategic merge ---------------------------------------------------------------


def deployment(containers: list[dict], **spec) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"template": {"spec": {"containers": containers, **spec}}},
    }


def containers_of(obj: dict) -> list[dict]:
    return obj["spec"]["template"]["spec"]["containers"]


def test_smp_merges_containers_by_name_patch_elements_first() -> None:
    target = deployment([{"name": "a", "image": "a"}, {"name": "b", "image": "b"}])
    patch = deployment([{"name": "c", "image": "c"}, {"name": "a", "image": "a2"}])
    result = smp.apply_patch(target, patch)
    assert [(c["name"], c["image"]) for c in containers_of(result)] == [("c", "c"), ("a", "a2"), ("b", "b")]


def test_smp_env_by_name_and_patch_delete() -> None:
    target = deployment([{"name": "a", "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]}])
    patch = deployment(
        [{"name": "a", "env": [{"name": "Y", "$patch": "delete"}, {"name": "Z", "value": "3"}]}]
    )
    result = smp.apply_patch(target, patch)
    assert containers_of(result)[0]["env"] == [{"name": "Z", "value": "3"}, {"name": "X", "value": "1"}]


def test_smp_delete_container_and_whole_resource() -> None:
    target = deployment([{"name": "a"}, {"name": "b"}])
    result = smp.apply_patch(target, deployment([{"name": "a", "$patch": "delete"}]))
    assert [c["name"] for c in containers_of(result)] == ["b"]
    assert smp.apply_patch(deployment([]), {"kind": "Deployment", "$patch": "delete"}) is None


def test_smp_replace_and_null() -> None:
    target = deployment([{"name": "a", "resources": {"limits": {"cpu": "1"}}, "args": ["x"]}])
    patch = deployment(
        [{"name": "a", "resources": {"$patch": "replace", "requests": {"cpu": "2"}}, "args": None}]
    )
    result = smp.apply_patch(target, patch)
    assert containers_of(result)[0] == {"name": "a", "resources": {"requests": {"cpu": "2"}}}


def test_smp_ports_keyed_by_port_and_protocol() -> None:
    """A patch port without protocol does not replace a target port with protocol (kyaml)."""
    target = deployment([{"name": "a", "ports": [{"containerPort": 80, "protocol": "TCP", "name": "http"}]}])
    patch = deployment(
        [{"name": "a", "ports": [{"containerPort": 80, "name": "web"}, {"containerPort": 82}]}]
    )
    result = smp.apply_patch(target, patch)
    assert containers_of(result)[0]["ports"] == [
        {"containerPort": 82},
        {"containerPort": 80, "protocol": "TCP", "name": "http"},
    ]


def test_smp_non_associative_lists_and_custom_resources_are_replaced() -> None:
    target = deployment([{"name": "a"}], tolerations=[{"key": "x"}])
    result = smp.apply_patch(target, deployment([{"name": "a"}], tolerations=[{"key": "y"}]))
    assert result["spec"]["template"]["spec"]["tolerations"] == [{"key": "y"}]
    cr = {
        "apiVersion": "example.com/v1",
        "kind": "Foo",
        "spec": {"items": [{"name": "a", "v": 1}, {"name": "b"}]},
    }
    patched = smp.apply_patch(cr, {"spec": {"items": [{"name": "b", "v": 2}]}})
    assert patched["spec"]["items"] == [{"name": "b", "v": 2}]


def test_smp_finalizers_are_a_merged_set() -> None:
    target = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "finalizers": ["a", "b"]}}
    result = smp.apply_patch(target, {"metadata": {"finalizers": ["c", "a"]}})
    assert result["metadata"]["finalizers"] == ["c", "a", "b"]


def test_smp_map_onto_list_is_an_error() -> None:
    with pytest.raises(smp.MergeError):
        smp.apply_patch(
            deployment([{"name": "a", "env": []}]), deployment([{"name": "a", "env": {"$patch": "delete"}}])
        )


# -- JSON 6902 ---------------------------------------------------------------------


def test_json_patch_semantics_of_evanphx_v4() -> None:
    doc = {"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}
    json6902.apply_ops(doc, [{"op": "replace", "path": "/spec/replicas", "value": 2}])
    assert doc["spec"]["replicas"] == 2  # replace adds a missing object key
    json6902.apply_ops(doc, [{"op": "add", "path": "/spec/containers/-1", "value": {"name": "c"}}])
    assert [c["name"] for c in doc["spec"]["containers"]] == ["a", "b", "c"]
    json6902.apply_ops(doc, [{"op": "add", "path": "/metadata", "value": {"labels": {"a/b": "x"}}}])
    json6902.apply_ops(doc, [{"op": "move", "from": "/metadata/labels/a~1b", "path": "/metadata/labels/c"}])
    assert doc["metadata"]["labels"] == {"c": "x"}
    for bad in (
        {"op": "add", "path": "/nope/deep", "value": 1},
        {"op": "remove", "path": "/spec/nope"},
        {"op": "add", "path": "/spec/containers/9", "value": {}},
        {"op": "test", "path": "/spec/replicas", "value": 3},
        {"op": "frobnicate", "path": "/spec"},
    ):
        with pytest.raises(json6902.PatchError):
            json6902.apply_ops(doc, [bad])


# -- generators and hash -------------------------------------------------------------


def test_hash_suffix_matches_kustomize() -> None:
    # values from kubectl kustomize: the name is not part of the hash (kustomize's quirk)
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"a": "b"}}
    assert content_hash(cm) == "4h2mbtbbt6"
    cm["metadata"]["name"] = "something-else"
    assert content_hash(cm) == "4h2mbtbbt6"
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "x"},
        "type": "Opaque",
        "data": {"a": "Yg=="},
    }
    assert content_hash(secret) == content_hash({**secret, "metadata": {"name": "y"}})
    assert content_hash(secret) != content_hash({**secret, "type": "kubernetes.io/tls"})


def test_literal_and_env_parsing() -> None:
    assert parse_literal('QUOTED="a b"') == ("QUOTED", "a b")
    assert parse_literal("K=v=w") == ("K", "v=w")
    assert parse_env("# c\nA=1\n  B=two words\n\nC=\n") == [("A", "1"), ("B", "two words"), ("C", "")]


def test_generated_configmap_and_references(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "kustomization.yaml": "namePrefix: p-\nresources: [d.yaml]\n"
            "configMapGenerator:\n- name: cfg\n  literals: [a=b]\n",
            "d.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n"
            "    spec:\n      volumes: [{name: v, configMap: {name: cfg}}]\n",
        },
    )
    result = build(tmp_path)
    objs = objects(result)
    assert ("ConfigMap", "p-cfg-4h2mbtbbt6") in objs
    volume = objs[("Deployment", "p-d")]["spec"]["template"]["spec"]["volumes"][0]
    assert volume["configMap"]["name"] == "p-cfg-4h2mbtbbt6"
    generated = next(r for r in result.resources if r.obj["kind"] == "ConfigMap")
    assert (generated.origin.file, generated.origin.line) == ("kustomization.yaml", 4)


# -- namespace -----------------------------------------------------------------------


def test_namespace_skips_cluster_scoped_kinds(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "kustomization.yaml": "namespace: team\nresources: [r.yaml]\n",
            "r.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n---\n"
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: cr}\n---\n"
            "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\n"
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: crb}\n"
            "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cr}\n"
            "subjects: [{kind: ServiceAccount, name: default, namespace: x}, "
            "{kind: ServiceAccount, name: other, namespace: x}]\n",
        },
    )
    objs = objects(build(tmp_path))
    assert ("Namespace", "team") in objs  # kustomize renames Namespace objects
    assert "namespace" not in objs[("ClusterRole", "cr")]["metadata"]
    assert objs[("Widget", "w")]["metadata"]["namespace"] == "team"  # unknown kinds are namespaced
    subjects = objs[("ClusterRoleBinding", "crb")]["subjects"]
    assert [s["namespace"] for s in subjects] == ["team", "x"]


# -- generated kustomization (Flux) --------------------------------------------------------


def test_flux_generated_kustomization(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/b.yaml": "",
            "app/a.yml": "",
            "app/notes.txt": "",
            "app/data.json": "{}",
            "app/sub/c.yaml": "",
            "app/kust/kustomization.yaml": "resources: []\n",
            "app/kust/ignored.yaml": "",
            "app/.sops.yaml": "",
            ".github/workflows/ci.yaml": "",
            "empty/readme.md": "",
        },
    )
    fs = RepoFS(str(tmp_path))
    ignore = flux.SourceIgnore.for_repo(fs)
    generated = flux.generate(fs, "app", ignore)
    assert generated["resources"] == ["./a.yml", "./b.yaml", "./kust", "./sub/c.yaml"]
    assert flux.generate(fs, "empty", ignore) == {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": "_placeholder",
    }
    assert "./.github/workflows/ci.yaml" not in flux.generate(fs, "", ignore)["resources"]


def test_flux_sourceignore_replaces_the_defaults(tmp_path: Path) -> None:
    write_tree(
        tmp_path, {".sourceignore": "*.skip.yaml\n", "a.skip.yaml": "", "b.yaml": "", ".sops.yaml": ""}
    )
    fs = RepoFS(str(tmp_path))
    generated = flux.generate(fs, "", flux.SourceIgnore.for_repo(fs))
    assert generated["resources"] == ["./.sops.yaml", "./b.yaml"]


def test_flux_overlay_merge() -> None:
    kdata = {
        "resources": ["a.yaml"],
        "namePrefix": "file-",
        "patches": [{"path": "p.yaml"}],
        "images": [{"name": "app", "newName": "x/app", "newTag": "1"}],
    }
    overlay = FluxOverlay(
        target_namespace="ns",
        name_prefix="",
        name_suffix="-s",
        patches=[{"patch": "[]", "target": {"kind": "Deployment"}}],
        images=[{"name": "app", "digest": "sha256:abc"}, {"name": "other", "newTag": "2"}],
        components=["../c", "https://github.com/x/y", "../missing"],
        ignore_missing_components=True,
    )
    merged, errors = flux.merge_overlay(kdata, overlay, existing=True, exists=lambda c: c == "../c")
    assert merged["namespace"] == "ns"
    assert merged["namePrefix"] == "file-"  # an empty Flux value keeps the file's
    assert merged["nameSuffix"] == "-s"
    assert merged["patches"] == [{"path": "p.yaml"}, {"patch": "[]", "target": {"kind": "Deployment"}}]
    assert merged["components"] == ["../c"]
    assert errors == ["component path 'https://github.com/x/y' must be local and relative"]
    assert merged["images"] == [
        {"name": "app", "newName": "x/app", "newTag": "", "digest": "sha256:abc"},
        {"name": "other", "newTag": "2"},
    ]
    empty, _ = flux.merge_overlay({"configMapGenerator": []}, FluxOverlay(), existing=True, exists=bool)
    assert empty["buildMetadata"] == ["originAnnotations"]
    generated, _ = flux.merge_overlay(
        {"namespace": "_placeholder"}, FluxOverlay(), existing=False, exists=bool
    )
    assert "buildMetadata" not in generated


def test_overlay_drops_unknown_top_level_fields(tmp_path: Path) -> None:
    """Flux re-marshals the kustomization: a typo'd field is dropped, not an error."""
    write_tree(
        tmp_path,
        {
            "kustomization.yaml": "resources: [c.yaml]\nnamespacee: typo\n",
            "c.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
        },
    )
    assert [i.kind for i in build(tmp_path).issues] == [ERROR]
    assert build(tmp_path, "", FluxOverlay()).issues == []


# -- issues ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "case,kind,line,column",
    [
        ("missing-resource", MISSING, 3, 5),
        ("escape", ESCAPE, 2, 5),
        ("remote", EXTERNAL, 2, 5),
        ("missing-patch", MISSING, 3, 5),
        ("missing-component", MISSING, 2, 14),
        ("bad-json-patch", ERROR, 3, 5),
        ("smp-no-target", ERROR, 3, 5),
        ("dup-id", ERROR, 1, 42),
        ("unknown-field", ERROR, 2, 1),
        ("merge-missing", ERROR, 2, 5),
        ("component-as-resource", ERROR, 1, 13),
        ("no-kustomization-dir", ERROR, 1, 13),
    ],
)
def test_issue_file_and_line(case: str, kind: str, line: int, column: int) -> None:
    result = build(CASES, f"errors/{case}")
    first = result.issues[0]
    assert (first.kind, first.file, first.line, first.column) == (
        kind,
        f"errors/{case}/kustomization.yaml",
        line,
        column,
    )


def test_cycle_is_an_error(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {"a/kustomization.yaml": "resources: [../b]\n", "b/kustomization.yaml": "resources: [../a]\n"},
    )
    result = build(tmp_path, "a")
    assert [i.message for i in result.issues if "cycle" in i.message]


def test_symlink_out_of_the_root_is_an_escape(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\n")
    repo = tmp_path / "repo"
    write_tree(repo, {"kustomization.yaml": "resources:\n  - link.yaml\n  - /etc/passwd\n"})
    os.symlink(outside / "secret.yaml", repo / "link.yaml")
    result = build(repo)
    assert result.resources == []
    assert [(i.kind, i.line) for i in result.issues] == [(ESCAPE, 2), (ESCAPE, 3)]


def test_remote_references() -> None:
    for remote in (
        "https://github.com/org/repo//deploy?ref=v1",
        "github.com/org/repo/deploy?ref=main",
        "git@github.com:org/repo.git",
        "oci://ghcr.io/org/manifests:1.0",
        "git::https://example.com/repo",
    ):
        assert looks_remote(remote), remote
    for local in ("../base", "deploy.yaml", "./github.com.yaml"):
        assert not looks_remote(local), local


# -- cache ---------------------------------------------------------------------------


def test_results_are_cached_and_handed_out_as_copies() -> None:
    class CountingCache(DocumentCache):
        loads = 0

        def load(self, rel, **kwargs):
            self.loads += 1
            return super().load(rel, **kwargs)

    fs = RepoFS(str(CASES))
    cache = CountingCache(fs)
    k = Kustomizer(fs, cache)
    first = k.build("refs/overlay")
    loads = cache.loads
    first.resources[0].obj["metadata"]["name"] = "mutated by the caller"
    second = k.build("refs/overlay")
    assert second.resources[0].obj["metadata"]["name"] != "mutated by the caller"
    assert second.resources[0].obj is not first.resources[0].obj
    assert loads > 0 and cache.loads == loads  # the second build is the first's result: nothing read


# -- small helpers -------------------------------------------------------------------


def test_images() -> None:
    assert split_image("registry:5000/app:v1@sha256:abc") == ("registry:5000/app", "v1", "sha256:abc")
    assert new_image("nginx:1.19", {"name": "nginx", "newTag": "2"}) == "nginx:2"
    assert new_image("nginx:1@sha256:" + "a" * 64, {"name": "nginx", "newTag": "2"}) == "nginx:2"
    assert new_image("nginxx", {"name": "nginx", "newTag": "2"}) is None
    assert new_image("redis", {"name": "red.s", "newTag": "7"}) == "redis:7"  # kustomize does not escape


def test_label_selectors() -> None:
    labels = {"app": "web", "tier": "front"}
    assert matches_labels(labels, "app=web,tier in (front, back)")
    assert matches_labels(labels, "!missing,app!=db")
    assert not matches_labels(labels, "tier notin (front)")


def test_yaml_stream_like_kubectl() -> None:
    text = to_yaml_stream(
        [
            {"kind": "ConfigMap", "apiVersion": "v1", "data": {"b": "yes", "a": "1\n2\n", "c": ""}},
            {"kind": "X"},
        ]
    )
    assert text == (
        'apiVersion: v1\ndata:\n  a: |\n    1\n    2\n  b: "yes"\n  c: ""\nkind: ConfigMap\n---\nkind: X\n'
    )
