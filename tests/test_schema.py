"""Schema validation: core kinds, CRD and XRD conversion, CEL, registry, rules, import."""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitops_lint.cli import main
from gitops_lint.schema import cel
from gitops_lint.schema.core import available_versions, core_schemas, resolve_version
from gitops_lint.schema.crd import convert, crd_versions
from gitops_lint.schema.registry import BUNDLED, SchemaRegistry, schema_file_name
from gitops_lint.schema.validator import Validator
from gitops_lint.schema.xrd import xrd_versions
from tests.conftest import CORPUS, FIXTURES
from tests.helpers import lint_repo, write_tree

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "default"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {"name": "web", "image": "nginx", "resources": {"limits": {"cpu": 1, "memory": 512}}}
                ]
            },
        },
    },
}


def core(api_version, kind, version="1.33"):
    return Validator(core_schemas(version).schema(api_version, kind), "test")


def test_versions_are_resolved_like_kubernetes_validate():
    versions = available_versions()
    assert versions[0] == "1.25" and resolve_version(None) == versions[-1]
    assert resolve_version("1.33.4") == "1.33"
    assert resolve_version("1.20") == "1.25"
    assert resolve_version("v9.99") == versions[-1]


def test_core_kind_strict_unknown_field_and_types():
    v = core("apps/v1", "Deployment")
    assert v.errors(DEPLOYMENT) == []  # numeric quantities are accepted, as the API server does
    bad = copy.deepcopy(DEPLOYMENT)
    bad["spec"]["replica"] = 1
    bad["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": "http"}]
    del bad["spec"]["selector"]
    messages = {e.message: e.path for e in v.errors(bad)}
    assert messages == {
        "spec.replica: unknown field": ("spec", "replica"),
        "spec.selector: required field is missing": ("spec",),
        'spec.template.spec.containers[0].ports[0].containerPort: expected integer, got string "http"': (
            "spec",
            "template",
            "spec",
            "containers",
            0,
            "ports",
            0,
            "containerPort",
        ),
    }


def test_core_kinds_match_group_exactly():
    c = core_schemas("1.33")
    assert c.has("apps/v1", "Deployment") and not c.has("apps.example.com/v1", "Deployment")
    assert c.has("v1", "ConfigMap") and not c.has("v1", "Deploymentt")


def test_secret_values_are_never_printed():
    v = core("v1", "Secret")
    errors = v.errors(
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"token": 987654321}},
        redact=True,
    )
    assert errors and all("987654321" not in e.message for e in errors)


CRD = yaml.safe_load("""
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              x-kubernetes-validations:
                - {rule: "self.min <= self.max", message: min must not exceed max}
                - {rule: "self.size == oldSelf.size", message: immutable}
                - {rule: "isURL(self.size)", message: not evaluable by cel-python}
              properties:
                size: {type: string, enum: [small, large]}
                port: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}
                cpu:
                  x-kubernetes-int-or-string: true
                  anyOf: [{type: integer}, {type: string}]
                  pattern: ^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$
                min: {type: integer}
                max: {type: integer}
                free: {type: object, x-kubernetes-preserve-unknown-fields: true}
                note: {type: string, nullable: true}
                ratio: {type: number, minimum: 0, exclusiveMinimum: true}
                template: {type: object, x-kubernetes-embedded-resource: true, x-kubernetes-preserve-unknown-fields: true}
    - name: v0
      served: false
      storage: false
""")


def widget(**spec):
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"size": "small", **spec},
    }


def test_crd_conversion_semantics():
    ((api_version, kind, _, schema),) = crd_versions(CRD)  # the unserved version is skipped
    assert (api_version, kind) == ("example.com/v1", "Widget")
    v = Validator(convert(schema), "test")
    good = widget(
        port="http",
        cpu=0.5,
        free={"x": [1]},
        note=None,
        ratio=0.1,
        min=1,
        max=2,
        template={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}},
    )
    assert v.errors(good) == []
    assert v.errors(widget(port=8080, cpu="500m", values=None) | {}) != []  # unknown field "values"
    found = {
        e.message
        for e in v.errors(
            widget(size="medium", port=1.5, colour="red", min=3, max=2, ratio=0, template={"kind": "X"})
        )
    }
    assert found == {
        'spec.size: string "medium" is not one of "small", "large"',
        "spec.port: expected integer or string or null, got number 1.5",
        "spec.colour: unknown field",
        "spec: min must not exceed max (rule: self.min <= self.max)",
        "spec.ratio: must be > 0, got integer 0",
        "spec.template.apiVersion: required field is missing",
    }


def test_fast_path_and_jsonschema_agree_on_crd_objects():
    v = Validator(convert(crd_versions(CRD)[0][3]), "test")
    assert v._fast is not None
    for obj in (widget(), widget(size=3), widget(port=[1]), widget(min=1, max=0), widget(note=None)):
        assert v._fast(obj) == v._jsonschema().is_valid(obj)


def test_cel_skips_what_it_cannot_evaluate():
    assert cel.evaluate([{"rule": "self.a > 1"}], {"a": 2}) == []
    assert [f.message for f in cel.evaluate([{"rule": "self.a > 1", "message": "m"}], {"a": 0})] == ["m"]
    assert (
        cel.evaluate(
            [{"rule": "self.a == oldSelf.a"}, {"rule": "isURL(self.a)"}, {"rule": "self.("}], {"a": 0}
        )
        == []
    )


XRD = yaml.safe_load("""
apiVersion: apiextensions.crossplane.io/v1
kind: CompositeResourceDefinition
metadata: {name: xdatabases.example.com}
spec:
  group: example.com
  names: {kind: XDatabase, plural: xdatabases}
  claimNames: {kind: Database, plural: databases}
  versions:
    - name: v1alpha1
      served: true
      referenceable: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                parameters:
                  type: object
                  properties: {storageGB: {type: integer, minimum: 1}}
""")


def test_xrd_gives_composite_and_claim_with_crossplane_fields():
    schemas = {kind: Validator(s, kind) for _, kind, _, s in xrd_versions(XRD)}
    assert set(schemas) == {"XDatabase", "Database"}
    claim = {
        "apiVersion": "example.com/v1alpha1",
        "kind": "Database",
        "metadata": {"name": "d"},
        "spec": {
            "parameters": {"storageGB": 20},
            "compositionSelector": {"matchLabels": {"a": "b"}},
            "writeConnectionSecretToRef": {"name": "db"},
            "compositeDeletePolicy": "Foreground",
        },
    }
    assert schemas["Database"].errors(claim) == []
    composite = {
        **claim,
        "kind": "XDatabase",
        "spec": {
            "parameters": {"storageGB": 1},
            "compositionRef": {"name": "c"},
            "resourceRefs": [],
            "claimRef": {"name": "d"},
            "writeConnectionSecretToRef": {"name": "db", "namespace": "x"},
        },
    }
    assert schemas["XDatabase"].errors(composite) == []
    claim["spec"]["parameters"]["storageGB"] = 0
    assert [e.message for e in schemas["Database"].errors(claim)] == [
        "spec.parameters.storageGB: must be >= 1, got integer 0"
    ]


def test_registry_order_repository_crd_wins_over_bundled():
    assert (BUNDLED / "kustomization-kustomize.toolkit.fluxcd.io-v1.json").is_file()
    reg = SchemaRegistry("1.33")
    v, source = reg.lookup("kustomize.toolkit.fluxcd.io/v1", "Kustomization")
    assert v is not None and source.startswith("bundled")
    assert reg.lookup("example.com/v1", "Widget") == (None, "")
    crd = copy.deepcopy(CRD)
    crd["spec"]["group"] = "kustomize.toolkit.fluxcd.io"
    crd["spec"]["names"]["kind"] = "Kustomization"

    class RO:
        obj = crd
        origin = type("O", (), {"file": "crds.yaml", "line": 1})()

    reg = SchemaRegistry("1.33", [RO()])
    assert reg.lookup("kustomize.toolkit.fluxcd.io/v1", "Kustomization")[1] == "CRD in crds.yaml"


def test_bundled_helmrelease_cel_rule():
    v, _ = SchemaRegistry(None).lookup("helm.toolkit.fluxcd.io/v2", "HelmRelease")
    hr = {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": "x"},
        "spec": {"interval": "10m", "values": None},
    }
    assert [e.message for e in v.errors(hr)] == [
        "spec: either chart or chartRef must be set (rule: (has(self.chart) && !has(self.chartRef)) || "
        "(!has(self.chart) && has(self.chartRef)))"
    ]
    hr["spec"]["chartRef"] = {"kind": "OCIRepository", "name": "x"}
    assert v.errors(hr) == []


def test_unresolved_variables_are_not_schema_errors(tmp_path):
    root = write_tree(
        tmp_path,
        {
            "clusters/dev/apps.yaml": """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
  postBuild:
    substitute: {REPLICAS: "3"}
""",
            "apps/web.yaml": """apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: ${REPLICAS}
  minReadySeconds: ${READY_SECONDS}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx}]
""",
        },
    )
    result = lint_repo(root)
    assert [(f.rule, f.line) for f in result.findings] == [("unresolved-variable", 6)]


def test_kube_version_flag_selects_schemas(tmp_path, capsys):
    root = write_tree(
        tmp_path,
        {
            "apps/flow.yaml": """apiVersion: flowcontrol.apiserver.k8s.io/v1beta3
kind: FlowSchema
metadata: {name: x}
spec:
  priorityLevelConfiguration: {name: global-default}
""",
            "clusters/dev/apps.yaml": """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec: {interval: 10m, path: ./apps, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}
""",
        },
    )
    args = [
        str(root),
        "--root",
        str(root),
        "--format",
        "json",
        "--select",
        "schema,deprecated-api,unknown-schema",
    ]
    main([*args, "--kube-version", "1.30"])
    old = json.loads(capsys.readouterr().out)["findings"]
    assert [(f["rule"], f["severity"]) for f in old] == [("deprecated-api", "warning")]
    main([*args, "--kube-version", "1.33"])
    new = json.loads(capsys.readouterr().out)["findings"]
    assert [(f["rule"], f["severity"]) for f in new] == [("deprecated-api", "error")]
    assert "removed in Kubernetes 1.32" in new[0]["message"]


def test_schemas_import_and_config_directory(tmp_path, capsys):
    crd_file = tmp_path / "crd.yaml"
    crd_file.write_text(yaml.safe_dump_all([CRD, XRD]))
    assert main(["schemas", "import", str(crd_file), "--out", str(tmp_path / "out")]) == 0
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [
        "database-example.com-v1alpha1.json",
        "widget-example.com-v1.json",
        "xdatabase-example.com-v1alpha1.json",
    ]
    assert schema_file_name("example.com/v1", "Widget") == "widget-example.com-v1.json"
    (tmp_path / "repo").mkdir()
    reg = SchemaRegistry(None, schema_dirs=[str(tmp_path / "out")])
    v, source = reg.lookup("example.com/v1", "Widget")
    assert source.endswith("widget-example.com-v1.json") and v.errors(widget(colour=1))
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [")
    assert main(["schemas", "import", str(bad), "--out", str(tmp_path / "o2")]) == 2
    assert "bad.yaml:" in capsys.readouterr().err


# -- property: objects generated from a converted schema pass; mutated ones fail --------


def _schemas():
    leaf = st.sampled_from(
        [
            {"type": "string"},
            {"type": "integer"},
            {"type": "boolean"},
            {"type": "number"},
            {"type": "string", "enum": ["a", "b"]},
            {"x-kubernetes-int-or-string": True},
            {"type": "string", "maxLength": 5},
        ]
    )
    return st.recursive(
        leaf,
        lambda children: st.one_of(
            st.dictionaries(
                st.from_regex(r"[a-z]{1,6}", fullmatch=True), children, min_size=1, max_size=4
            ).map(lambda props: {"type": "object", "properties": props, "required": sorted(props)[:1]}),
            children.map(lambda c: {"type": "array", "items": c}),
        ),
        max_leaves=8,
    )


def _instance(schema, draw):
    if schema.get("x-kubernetes-int-or-string"):
        return draw(st.one_of(st.integers(), st.text(max_size=5)))
    t = schema["type"]
    if "enum" in schema:
        return draw(st.sampled_from(schema["enum"]))
    if t == "object":
        return {k: _instance(v, draw) for k, v in schema["properties"].items()}
    if t == "array":
        return [_instance(schema["items"], draw) for _ in range(draw(st.integers(0, 2)))]
    return draw(
        {
            "string": st.text(max_size=schema.get("maxLength", 8)),
            "integer": st.integers(),
            "boolean": st.booleans(),
            "number": st.floats(allow_nan=False, allow_infinity=False),
        }[t]
    )


@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=_schemas(), data=st.data())
def test_generated_objects_validate_and_mutations_fail(schema, data):
    root = {"type": "object", "properties": {"spec": schema}}
    v = Validator(convert(root), "prop")
    value = _instance(schema, data.draw)
    obj = {"apiVersion": "x.io/v1", "kind": "X", "metadata": {"name": "n"}, "spec": value}
    assert v.errors(obj) == []
    # mutation 1: an unknown field at the root of the object
    assert v.errors({**obj, "unknownField": 1}) != []
    # mutation 2: a value of the wrong type where the schema is typed
    wrong = {"string": 12345, "integer": "x", "boolean": "x", "number": "x", "object": "x", "array": "x"}
    if "type" in schema:
        assert v.errors({**obj, "spec": wrong[schema["type"]]}) != []
    # mutation 3: an unknown field inside a closed object
    if schema.get("type") == "object":
        assert v.errors({**obj, "spec": {**value, "zzUnknown": 1}}) != []


# -- every CRD of the corpus converts, compiles, and agrees between the two validators ----


def _corpus_crds():
    """The CRDs and XRDs of the corpus (its repositories install theirs from charts, so there
    are few) and of the project's fixtures."""
    out = []
    paths = sorted(CORPUS.rglob("*.y*ml")) if CORPUS.is_dir() else []
    for path in paths + sorted(FIXTURES.rglob("*.y*ml")):
        text = path.read_text(errors="replace")
        if "CustomResourceDefinition" not in text:
            continue
        try:
            docs = list(yaml.load_all(text, Loader=yaml.CSafeLoader))
        except yaml.YAMLError:
            continue
        out.extend(
            (path, d)
            for d in docs
            if isinstance(d, dict)
            and d.get("kind") in ("CustomResourceDefinition", "CompositeResourceDefinition")
        )
    return out


@pytest.mark.slow
def test_every_corpus_crd_converts_and_compiles():
    crds = _corpus_crds()
    assert crds
    for path, doc in crds:
        versions = (
            crd_versions(doc)
            if doc["kind"] == "CustomResourceDefinition"
            else [(a, k, n, s) for a, k, n, s in xrd_versions(doc)]
        )
        for api_version, kind, _, schema in versions:
            if schema is None:
                continue
            converted = convert(schema) if doc["kind"] == "CustomResourceDefinition" else schema
            v = Validator(converted, f"{path}:{kind}")
            assert v._fast is not None, (path, kind)
            empty = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}}
            assert v._fast(empty) == v._jsonschema().is_valid(empty)


def test_a_crd_every_cluster_renders_is_converted_once(monkeypatch):
    """Each cluster's registry finds the same CRD among its objects: its schema is
    converted to a validator's once for the process, and validates in each."""
    from gitops_lint.schema import registry

    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "gizmos.convert-once.example.com"},
        "spec": {
            "group": "convert-once.example.com",
            "names": {"kind": "Gizmo", "plural": "gizmos"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}
                            },
                        }
                    },
                }
            ],
        },
    }
    converted = []
    monkeypatch.setattr(registry, "convert", lambda raw: converted.append(raw) or convert(raw))
    bad = {"apiVersion": "convert-once.example.com/v1", "kind": "Gizmo", "spec": {"size": "big"}}
    for _ in range(3):  # three clusters: three registries, each with its own copy of the CRD
        objects = [RenderedObjectStub(copy.deepcopy(crd))]
        validator, source = SchemaRegistry("1.33", objects).lookup("convert-once.example.com/v1", "Gizmo")
        assert source == "CRD in crd.yaml"
        assert [e.message for e in validator.errors(bad)] == [
            'spec.size: expected integer or null, got string "big"'
        ]
    assert len(converted) == 1


class RenderedObjectStub:
    def __init__(self, obj):
        from gitops_lint.core.data import Origin

        self.obj = obj
        self.origin = Origin("crd.yaml", 1, 0)
