"""Flux objects whose fields hold values of the wrong type (issue 15, point 6).

A stranger's pull request may write ``spec.patches: 5`` or ``sourceRef:
{name: [a]}``. The API server refuses such an object, so Flux never applies
it: gitops-lint must say so at the field's line, never stop with an internal
error, and report everything else of the run as before.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitops_lint.discover.flux_fields import SHAPES, ListOf, MapOf, Untyped, decode
from tests.helpers import GOTK, run_cli, write_tree

APPS = {
    "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
    "kind": "Kustomization",
    "metadata": {"name": "apps", "namespace": "flux-system", "labels": {"team": "a"}},
    "spec": {
        "interval": "10m",
        "path": "./apps",
        "prune": True,
        "wait": False,
        "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
        "dependsOn": [{"name": "zz"}],
        "targetNamespace": "web",
        "postBuild": {
            "substitute": {"domain": "example.com"},
            "substituteFrom": [{"kind": "ConfigMap", "name": "vars", "optional": True}],
        },
        "patches": [{"patch": "- op: add\n  path: /data/x\n  value: y\n", "target": {"kind": "ConfigMap"}}],
        "images": [{"name": "nginx", "newTag": "1.27"}],
        "healthChecks": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "c", "namespace": "web"}],
    },
}
# a second, independent Kustomization with a finding of its own (a file that does not parse)
OTHER = (
    "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
    "metadata:\n  name: zz\n  namespace: flux-system\n"
    "spec:\n  interval: 10m\n  path: ./other\n  prune: true\n"
    "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
)
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n"


def _repo(root: Path, apps_text: str, extra: dict[str, str] | None = None) -> Path:
    files = dict(GOTK)
    files.update(
        {
            "clusters/dev/apps.yaml": apps_text,
            "clusters/dev/zz.yaml": OTHER,
            "apps/cm.yaml": CM,
            "other/cm.yaml": CM.replace("name: c", "name: d\n  namespace: other"),
            "other/bad.yaml": "a: [\n",
        }
    )
    files.update(extra or {})
    (root / ".git").mkdir(parents=True, exist_ok=True)
    return write_tree(root, files)


def _lint(root: Path) -> list[dict]:
    code, out, err = run_cli(str(root), "--root", str(root), "--format", "json")
    assert code in (0, 1), err
    assert "internal error" not in err and "Traceback" not in err
    return json.loads(out)["findings"]


def _key(f: dict) -> tuple:
    return (f["file"], f["line"], f["rule"], f["message"])


def _others(findings: list[dict]) -> set[tuple]:
    """Findings of files the Kustomization under test neither is nor applies."""
    return {
        _key(f)
        for f in findings
        if f["file"] != "clusters/dev/apps.yaml" and not f["file"].startswith("apps/")
    }


def _dump(obj) -> str:
    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> set[tuple]:
    findings = _lint(_repo(tmp_path_factory.mktemp("base"), _dump(APPS)))
    assert any(f["file"] == "other/bad.yaml" and f["rule"] == "yaml-syntax" for f in findings)
    assert not any(f["rule"] == "kustomize-build" for f in findings), findings
    return _others(findings)


def _line_of(text: str, needle: str, after: int = 0) -> int:
    """The first line holding ``needle``; with ``anchor>needle``, the first after the anchor's."""
    if ">" in needle:
        anchor, needle = needle.split(">", 1)
        after = _line_of(text, anchor)
    return next(i for i, line in enumerate(text.splitlines(), 1) if i > after and needle in line)


# one case per class of field: (what replaces the field, the line that holds it, the field's name)
CASES = {
    "patches-not-a-list": ({"spec": {"patches": 5}}, "  patches:", "spec.patches"),
    "substituteFrom-not-a-list": (
        {"spec": {"postBuild": {"substituteFrom": 5}}},
        "  substituteFrom:",
        "spec.postBuild.substituteFrom",
    ),
    "substituteFrom-entry": (
        {"spec": {"postBuild": {"substituteFrom": [{"kind": ["a"], "name": "v"}]}}},
        "  substituteFrom:>- kind:",
        "spec.postBuild.substituteFrom[0].kind",
    ),
    "substitute-value-object": (
        {"spec": {"postBuild": {"substitute": {"domain": {"a": 1}}}}},
        "  domain:",
        "spec.postBuild.substitute.domain",
    ),
    "path-number": ({"spec": {"path": 5}}, "  path:", "spec.path"),
    "sourceRef-name-list": (
        {"spec": {"sourceRef": {"kind": "GitRepository", "name": ["a"]}}},
        "    name:",
        "spec.sourceRef.name",
    ),
    "sourceRef-kind-object": (
        {"spec": {"sourceRef": {"kind": {"a": 1}, "name": "x"}}},
        "    kind:",
        "spec.sourceRef.kind",
    ),
    "dependsOn-entry": ({"spec": {"dependsOn": ["zz"]}}, "  dependsOn:>- zz", "spec.dependsOn[0]"),
    "components": ({"spec": {"components": 5}}, "  components:", "spec.components"),
    "images": ({"spec": {"images": [{"name": ["a"]}]}}, "  images:>- name:", "spec.images[0].name"),
    "healthChecks": ({"spec": {"healthChecks": 5}}, "  healthChecks:", "spec.healthChecks"),
    "prune-string": ({"spec": {"prune": "true"}}, "  prune:", "spec.prune"),
    "wait-list": ({"spec": {"wait": [True]}}, "  wait:", "spec.wait"),
    "suspend-number": ({"spec": {"suspend": 1}}, "  suspend:", "spec.suspend"),
    "targetNamespace": ({"spec": {"targetNamespace": ["web"]}}, "  targetNamespace:", "spec.targetNamespace"),
    "name-number": ({"metadata": {"name": 5}}, "  name: 5", "metadata.name"),
    "name-list": ({"metadata": {"name": ["apps"]}}, "  name:", "metadata.name"),
    "labels-list": ({"metadata": {"labels": ["a"]}}, "  labels:", "metadata.labels"),
    "spec-string": ({"spec": "hello"}, "spec:", "spec"),
}


def _merge(base: dict, change: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and value and key != "substitute":
            out[key] = _merge(out[key], value)
        elif key == "substitute":
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_wrong_type_is_a_refusal_at_its_line_and_the_run_goes_on(case, tmp_path, baseline):
    change, line_text, field = CASES[case]
    text = _dump(_merge(APPS, change))
    findings = _lint(_repo(tmp_path, text))
    line = _line_of(text, line_text)
    refused = [
        f for f in findings if f["rule"] == "kustomize-build" and "the API server refuses" in f["message"]
    ]
    assert len(refused) == 1, findings
    (f,) = refused
    assert (f["file"], f["line"], f["severity"]) == ("clusters/dev/apps.yaml", line, "info"), f
    assert field in f["message"] and "Flux applies nothing of it" in f["message"]
    # the error is the schema rule's, at the same line: one defect, one error
    errors = [x for x in findings if x["severity"] == "error" and x["file"] == "clusters/dev/apps.yaml"]
    assert errors and all(x["rule"] == "schema" for x in errors), errors
    assert line in {x["line"] for x in errors}
    # nothing of the refused Kustomization is rendered (its ./apps would be linted otherwise)
    assert not any(x["file"].startswith("apps/") for x in findings)
    assert _others(findings) == baseline


@pytest.mark.parametrize(
    ("kind", "text", "field"),
    [
        (
            "GitRepository",
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: g\n  namespace: flux-system\n"
            "spec:\n  interval: 1m\n  url: [a]\n  ref: {branch: 5}\n",
            "spec.url",
        ),
        (
            "OCIRepository",
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: o\n  namespace: flux-system\n"
            "spec:\n  interval: 1m\n  url: 5\n",
            "spec.url",
        ),
        (
            "HelmRelease",
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: h\n  namespace: flux-system\n"
            "spec:\n  interval: 1m\n  chart: 5\n  valuesFrom: 5\n",
            "spec.chart",
        ),
        (
            "ResourceSet",
            "apiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSet\nmetadata:\n  name: r\n  namespace: flux-system\n"
            "spec:\n  inputs: 5\n  inputsFrom: 5\n  resources: [5]\n",
            "spec.inputs",
        ),
    ],
    ids=["GitRepository", "OCIRepository", "HelmRelease", "ResourceSet"],
)
def test_other_flux_kinds_of_the_wrong_type_are_findings_not_crashes(kind, text, field, tmp_path, baseline):
    findings = _lint(_repo(tmp_path, _dump(APPS), {"clusters/dev/bad-kind.yaml": text}))
    line = _line_of(text, field.rsplit(".", 1)[-1] + ":")
    at = [f for f in findings if (f["file"], f["line"]) == ("clusters/dev/bad-kind.yaml", line)]
    assert any(f["rule"] == "schema" and f["message"].startswith(field) for f in at), findings
    refused = [f for f in findings if "refuses" in f["message"]]
    # a ResourceSet the API server refuses generates nothing: said once; other kinds are
    # read with the wrong field left out
    assert [f["line"] for f in refused] == ([line] if kind == "ResourceSet" else []), refused
    others = _others(findings) - {_key(f) for f in findings if f["file"] == "clusters/dev/bad-kind.yaml"}
    assert others == baseline


EA_KS = (
    "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ea\n"
    "  namespace: flux-system\nspec:\n  interval: 1m\n  path: ./\n  prune: true\n"
    "  sourceRef:\n    kind: ExternalArtifact\n    name: a\n"
)


@pytest.mark.parametrize(
    "text",
    [
        "apiVersion: source.extensions.fluxcd.io/v1beta1\nkind: ArtifactGenerator\nmetadata:\n  name: a\n"
        "  namespace: flux-system\nspec:\n  sources: 5\n  artifacts: 5\n" + EA_KS,
        "apiVersion: source.extensions.fluxcd.io/v1beta1\nkind: ArtifactGenerator\nmetadata:\n  name: a\n"
        "  namespace: flux-system\nspec:\n  sources: [5, {alias: [a], name: 5}]\n"
        "  artifacts: [5, {name: a, copy: 5}, {name: a, copy: [5, {from: [a], to: 5}]}]\n" + EA_KS,
        "apiVersion: source.extensions.fluxcd.io/v1beta1\nkind: ArtifactGenerator\nmetadata:\n  name: a\n"
        "  namespace: flux-system\nspec: [5]\n" + EA_KS,
    ],
    ids=["not-lists", "entries", "spec-list"],
)
def test_an_artifact_generator_of_the_wrong_types_is_read_around(text, tmp_path, baseline):
    findings = _lint(_repo(tmp_path, _dump(APPS), {"clusters/dev/gen.yaml": text}))
    assert any(f["rule"] == "schema" and f["file"] == "clusters/dev/gen.yaml" for f in findings)
    assert _others(findings) - {_key(f) for f in findings if f["file"] == "clusters/dev/gen.yaml"} == baseline


def test_a_resourceset_step_its_controller_cannot_read_generates_nothing(tmp_path, baseline):
    # steps[] is an open object in the CRD: the API server accepts it, flux-operator fails on it
    text = (
        "apiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSet\nmetadata:\n  name: r\n"
        "  namespace: flux-system\nspec:\n  steps:\n    - resources: 5\n"
    )
    findings = _lint(_repo(tmp_path, _dump(APPS), {"clusters/dev/rs.yaml": text}))
    (f,) = [f for f in findings if f["file"] == "clusters/dev/rs.yaml" and f["rule"] == "kustomize-build"]
    assert f["line"] == 8 and f["severity"] == "info"
    assert (
        "spec.steps[0].resources must be a list" in f["message"]
        and "controller cannot read it" in f["message"]
    )


def test_a_kind_that_is_a_list_is_no_internal_error(tmp_path, baseline):
    text = "apiVersion: v1\nkind: [ConfigMap]\nmetadata:\n  name: x\n"
    _lint(_repo(tmp_path, _dump(APPS), {"clusters/dev/odd.yaml": text}))


def test_a_variable_left_in_a_typed_field_is_not_a_refusal(tmp_path):
    # ${PRUNE} is set where gitops-lint cannot see (the bootstrap sync's postBuild):
    # its final type is unknown, so the object is not refused and is rendered
    text = _dump(APPS).replace("prune: true", "prune: ${PRUNE}")
    findings = _lint(_repo(tmp_path, text))
    assert not any("refuses" in f["message"] for f in findings), findings


def test_null_fields_are_absent_not_refused():
    obj = _merge(APPS, {"spec": {"patches": None, "wait": None}})
    decoded = decode(obj)
    assert not decoded.refused and "patches" not in decoded.obj["spec"]


# -- the shapes say what the bundled Flux schemas say --------------------------------


def _schema_type(node: dict) -> set[str]:
    t = node.get("type")
    types = set(t) if isinstance(t, list) else {t} if t else set()
    return types - {"null"}


def _walk(shape, schema: dict, path: str):
    if isinstance(shape, Untyped):  # open in the CRD: the controller's type, not the schema's
        assert _schema_type(schema) <= {"object"} and not schema.get("properties"), path
        return
    if isinstance(shape, dict):
        assert "object" in _schema_type(schema) or not _schema_type(schema), path
        props = schema.get("properties") or {}
        for key, sub in shape.items():
            if key in props:
                yield from _walk(sub, props[key], f"{path}.{key}")
    elif isinstance(shape, ListOf):
        assert _schema_type(schema) == {"array"}, path
        yield from _walk(shape.item, schema.get("items") or {}, f"{path}[]")
    elif isinstance(shape, MapOf):
        assert _schema_type(schema) == {"object"}, path
        yield from _walk(shape.value, schema.get("additionalProperties") or {}, f"{path}.*")
    else:
        yield path, shape, _schema_type(schema)


BUNDLED = Path(__file__).resolve().parents[2] / "schemas" / "flux"


@pytest.mark.parametrize("key", sorted(SHAPES))
def test_every_shape_matches_the_bundled_flux_schema(key):
    group, kind = key
    (path,) = [p for p in BUNDLED.glob(f"{kind.lower()}-{group}-*.json")]
    schema = json.loads(path.read_text())
    spec_shape = SHAPES[key]["spec"]
    checked = 0
    for where, shape, types in _walk(spec_shape, schema["properties"]["spec"], "spec"):
        if shape in ("any",) or not types:
            continue
        assert types == {shape}, (where, shape, types)
        checked += 1
    assert checked >= 3


# -- property: any field of a valid Kustomization, any wrong type --------------------


def _paths(obj, prefix=()):
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield (*prefix, i)
            yield from _paths(value, (*prefix, i))


FIELDS = [p for p in _paths(APPS) if p[0] not in ("apiVersion", "kind")]


def _type(value) -> str:
    return type(value).__name__


WRONG = st.one_of(
    st.integers(-5, 5),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False, width=16),
    st.text(alphabet="abcxyz", min_size=1, max_size=6),
    st.lists(st.integers(0, 3), max_size=2),
    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 3), max_size=2),
)


def _set(obj, path, value):
    out = copy.deepcopy(obj)
    node = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return out


def _field_line(text: str, path: tuple) -> int:
    """The line of the key (or list item) at ``path`` in ``text``."""
    node = yaml.compose(text)
    line = 1
    for step in path:
        if isinstance(node, yaml.MappingNode):
            key, node = next((k, v) for k, v in node.value if k.value == step)
            line = key.start_mark.line + 1
        else:
            node = node.value[step]
            line = node.start_mark.line + 1
    return line


def _get(obj, path):
    for step in path:
        obj = obj[step]
    return obj


@pytest.mark.slow
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(path=st.sampled_from(FIELDS), value=WRONG)
def test_any_field_of_any_wrong_type_is_findings_never_an_internal_error(
    tmp_path_factory, baseline, path, value
):
    old = _get(APPS, path)
    if _type(old) == _type(value) or (
        isinstance(old, (int, float))
        and isinstance(value, (int, float))
        and not isinstance(value, bool)
        and not isinstance(old, bool)
    ):
        return  # the same type: not what this property is about
    obj = _set(APPS, path, value)
    text = _dump(obj)
    findings = _lint(_repo(tmp_path_factory.mktemp("prop"), text))
    mine = [f for f in findings if f["file"] == "clusters/dev/apps.yaml"]
    assert any(f["rule"] in ("kustomize-build", "schema") and f["severity"] == "error" for f in mine), mine
    # at the field's line, or at the document's when kustomize itself refuses the resource
    # (no metadata, an empty name)
    assert {_field_line(text, path), 1} & {f["line"] for f in mine}, (path, value, mine)
    assert _others(findings) == baseline


def test_a_refused_sync_of_the_entry_is_said_and_the_entry_still_linted(tmp_path):
    files = {
        "clusters/dev/flux-system/gotk-sync.yaml": GOTK["clusters/dev/flux-system/gotk-sync.yaml"]
        + "  patches: 5\n"
    }
    root = _repo(tmp_path, _dump(APPS), files)
    findings = _lint(root)
    (f,) = [f for f in findings if "refuses" in f["message"]]
    assert f["file"] == "clusters/dev/flux-system/gotk-sync.yaml" and f["severity"] == "info"
    assert "this sync cannot be applied as written" in f["message"]
    assert any(x["file"] == "other/bad.yaml" for x in findings)  # the entry's tree is still linted
