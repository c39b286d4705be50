"""Generated overlays, built by the built-in renderer and by ``kubectl kustomize``.

Each example writes a small base (a Deployment, a ConfigMap, a Service) and
an overlay drawing on the features real repositories combine: strategic
merge patches (merge keys, ``$patch: delete``), JSON 6902 patches, images,
namePrefix, namespace, labels/commonLabels, configMapGenerator literals.
Both builds must give the same objects in the same order (or both fail).

A second property needs no kubectl: whatever a kustomization holds (wrong
types, unknown fields, garbage patches), a build returns issues, never
raises.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitops_lint.core.fs import RepoFS
from gitops_lint.load.loader import DocumentCache, parse_text
from gitops_lint.render.kustomize import KNOWN_FIELDS, Kustomizer
from gitops_lint.render.types import FluxOverlay
from tests.conftest import needs_kubectl

# Letters only, two or more: no value reads as a bool/null/number in either
# YAML 1.1 (kustomization files) or YAML 1.2 (resources).
word = st.text(alphabet="abcdefghijkl", min_size=2, max_size=6)
container_names = st.sampled_from(["app", "side", "init", "proxy"])
images = st.sampled_from(
    ["nginx", "nginx:1.19", "envoy", "registry.local:5000/app:v1", "busybox@sha256:" + "a" * 64]
)
env_names = st.sampled_from(["ALPHA", "BETA", "GAMMA", "DELTA"])
protocol = st.sampled_from([{}, {}, {"protocol": "TCP"}, {"protocol": "UDP"}])


@st.composite
def containers(draw) -> list[dict]:
    names = draw(st.lists(container_names, min_size=1, max_size=3, unique=True))
    out = []
    for name in names:
        c: dict = {"name": name, "image": draw(images)}
        env = draw(st.lists(env_names, max_size=3, unique=True))
        if env:
            c["env"] = [{"name": e, "value": draw(word)} for e in env]
        ports = draw(st.lists(st.sampled_from([80, 443, 8080]), max_size=3, unique=True))
        if ports:
            c["ports"] = [{"containerPort": p, **draw(protocol)} for p in ports]
        out.append(c)
    return out


@st.composite
def smp_patch(draw) -> dict:
    patch_containers = []
    for name in draw(st.lists(container_names, min_size=1, max_size=2, unique=True)):
        c: dict = {"name": name}
        action = draw(st.sampled_from(["image", "env", "delete", "env-delete", "ports"]))
        if action == "image":
            c["image"] = draw(images)
        elif action == "env":
            c["env"] = [{"name": draw(env_names), "value": draw(word)}]
        elif action == "delete":
            c["$patch"] = "delete"
        elif action == "env-delete":
            c["env"] = [{"name": draw(env_names), "$patch": "delete"}]
        else:
            c["ports"] = [
                {"containerPort": p, **draw(protocol), **draw(st.sampled_from([{}, {"name": "web"}]))}
                for p in draw(st.lists(st.sampled_from([80, 81, 443]), min_size=1, max_size=2, unique=True))
            ]
        patch_containers.append(c)
    patch: dict = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": patch_containers}}},
    }
    if draw(st.booleans()):
        patch["metadata"]["labels"] = {draw(word): draw(word)}
    if draw(st.booleans()):
        patch["spec"]["replicas"] = draw(st.integers(0, 5))
    return patch


@st.composite
def json_patch(draw) -> list[dict]:
    ops = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["label", "replicas", "arg", "annotation-remove"]))
        if kind == "label":
            ops.append({"op": "add", "path": "/metadata/labels/" + draw(word), "value": draw(word)})
        elif kind == "replicas":
            ops.append({"op": "replace", "path": "/spec/replicas", "value": draw(st.integers(0, 9))})
        elif kind == "arg":
            ops.append({"op": "add", "path": "/spec/template/spec/containers/0/args", "value": [draw(word)]})
        else:
            ops.append({"op": "add", "path": "/metadata/annotations", "value": {draw(word): draw(word)}})
    return ops


@st.composite
def scenario(draw) -> tuple[list[dict], dict]:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": draw(containers()),
                    "volumes": [{"name": "cfg", "configMap": {"name": "cfg"}}],
                },
            },
        },
    }
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"k": draw(word)}}
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "svc"},
        "spec": {
            "selector": {"app": "web"},
            "ports": [
                {"port": p, **draw(protocol)}
                for p in draw(st.lists(st.sampled_from([80, 443, 53]), min_size=1, max_size=3, unique=True))
            ],
        },
    }
    base = [deployment, config, service]
    k: dict = {"resources": ["base.yaml"]}
    if draw(st.booleans()):
        k["namePrefix"] = draw(word) + "-"
    if draw(st.booleans()):
        k["namespace"] = draw(word)
    label_mode = draw(st.sampled_from(["none", "common", "labels", "labels-selectors"]))
    if label_mode == "common":
        k["commonLabels"] = {draw(word): draw(word)}
    elif label_mode != "none":
        k["labels"] = [
            {
                "pairs": {draw(word): draw(word)},
                "includeSelectors": label_mode == "labels-selectors",
                "includeTemplates": draw(st.booleans()),
            }
        ]
    if draw(st.booleans()):
        k["images"] = [
            {
                "name": draw(st.sampled_from(["nginx", "envoy", "registry.local:5000/app", "busybox"])),
                **draw(
                    st.sampled_from(
                        [
                            {"newTag": "v2"},
                            {"newName": "mirror.local/x"},
                            {"digest": "sha256:" + "b" * 64},
                            {"newName": "mirror.local/y", "newTag": "v3"},
                        ]
                    )
                ),
            }
        ]
    patches = []
    if draw(st.booleans()):
        patches.append({"patch": yaml.safe_dump(draw(smp_patch()))})
    if draw(st.booleans()):
        patches.append({"patch": yaml.safe_dump(draw(json_patch())), "target": {"kind": "Deployment"}})
    if draw(st.booleans()):
        service_patch = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "svc"},
            "spec": {
                "ports": [
                    {"port": p, **draw(protocol), **draw(st.sampled_from([{}, {"targetPort": 8080}]))}
                    for p in draw(st.lists(st.sampled_from([80, 443]), min_size=1, max_size=2, unique=True))
                ]
            },
        }
        patches.append({"patch": yaml.safe_dump(service_patch)})
    if patches:
        k["patches"] = patches
    if draw(st.booleans()):
        literals = draw(st.lists(word, min_size=1, max_size=3, unique=True))
        generator = {
            "name": draw(st.sampled_from(["cfg", "generated"])),
            "literals": [f"{x}={x}" for x in literals],
        }
        if generator["name"] == "cfg":
            generator["behavior"] = draw(st.sampled_from(["merge", "replace"]))
        k["configMapGenerator"] = [generator]
    return base, k


def _build_both(base: list[dict], kustomization: dict) -> tuple:
    with tempfile.TemporaryDirectory(prefix="gitops-lint-prop-") as tmp:
        root = Path(tmp)
        (root / "base.yaml").write_text(yaml.safe_dump_all(base))
        (root / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
        proc = subprocess.run(
            ["kubectl", "kustomize", "--load-restrictor=LoadRestrictionsNone", str(root)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        fs = RepoFS(str(root))
        result = Kustomizer(fs, DocumentCache(fs)).build("")
    return proc, result


@needs_kubectl
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_generated_overlay_matches_kubectl(data) -> None:
    base, kustomization = data
    proc, result = _build_both(base, kustomization)
    if proc.returncode != 0:
        assert result.issues, f"kubectl failed ({proc.stderr.strip()[:300]}), the renderer did not"
        return
    assert not result.issues, [i.message for i in result.issues]
    theirs = [d.data for d in parse_text(proc.stdout, "kubectl", kyaml=False).documents]
    ours = [r.obj for r in result.resources]
    assert ours == theirs


# -- robustness ---------------------------------------------------------------------

_KEYS = [
    "name", "path", "patch", "target", "kind", "literals", "files", "envs", "behavior", "options",
    "newTag", "newName", "digest", "count", "pairs", "includeSelectors", "fields", "source", "targets",
    "select", "fieldPaths", "order", "op", "value", "labelSelector", "namespace", "$patch", "containers",
]  # fmt: skip
_SCALARS = st.sampled_from(
    [None, 1, -1, True, "x", "a=b", "base.yaml", "../x", "", "Deployment", "cfg", "web", "/spec/x", "*", "(a|",
     "a=b,c in (d)", "- op: add\n  path: /x\n  value: 1", "kind: Deployment\nmetadata: {name: web}\n"]
)  # fmt: skip
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=3),
    max_leaves=12,
)


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(st.sampled_from(sorted(KNOWN_FIELDS)), _VALUES, min_size=1, max_size=5),
    st.booleans(),
)
def test_any_kustomization_builds_without_raising(fields: dict, flux: bool) -> None:
    kustomization = {"resources": ["base.yaml"], **fields}
    base = [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}]
    with tempfile.TemporaryDirectory(prefix="gitops-lint-prop-") as tmp:
        root = Path(tmp)
        (root / "base.yaml").write_text(yaml.safe_dump_all(base))
        (root / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
        fs = RepoFS(str(root))
        overlay = FluxOverlay(target_namespace="ns", components=["../x"]) if flux else None
        result = Kustomizer(fs, DocumentCache(fs)).build("", overlay)
    assert all(isinstance(r.obj, dict) for r in result.resources)
