"""Regenerate schemas/flux/*.json (a maintainer's tool, not run by the linter).

    pip download --no-deps --python-version 3.14 --only-binary=:all: \
        cloudcoil-models-fluxcd==2.9.5.1 -d /tmp/w && unzip -q /tmp/w/*.whl -d /tmp/cc
    python tools/gen_flux_schemas.py /tmp/cc/cloudcoil/models/fluxcd

The source is cloudcoil-models-fluxcd (Apache-2.0), whose pydantic models are
generated from the Flux 2.9 CRDs: field names, required fields, enums,
patterns and length bounds. It is read with ``ast`` (nothing is imported).
The models drop the CRDs' ``x-kubernetes-validations``, so the CEL rules the
Flux CRDs declare are added from ``CEL`` below, as the CRDs state them. The
Flux Operator kinds (FluxInstance, ResourceSet) have no such package: their
schemas are written by hand in ``OPERATOR`` (spec fields that are known are
typed, the rest is left open: a missing field must never become an error).
``status`` is left open everywhere: objects in Git carry none.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gitops_lint.schema.crd import convert  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "schemas" / "flux"

DURATION = "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"

# (kind, JSON path of the node) -> x-kubernetes-validations, as in the Flux CRDs
CEL = {
    ("HelmRelease", ("spec",)): [
        {
            "rule": "(has(self.chart) && !has(self.chartRef)) || (!has(self.chart) && has(self.chartRef))",
            "message": "either chart or chartRef must be set",
        },
    ],
    ("Kustomization", ("spec", "kubeConfig")): [
        {
            "rule": "has(self.secretRef) || has(self.configMapRef)",
            "message": "exactly one of spec.kubeConfig.secretRef or spec.kubeConfig.configMapRef must be specified",
        },
        {
            "rule": "!has(self.secretRef) || !has(self.configMapRef)",
            "message": "exactly one of spec.kubeConfig.secretRef or spec.kubeConfig.configMapRef must be specified",
        },
    ],
}

OPEN = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
STR = {"type": "string"}
OPERATOR = {
    ("fluxcd.controlplane.io/v1", "FluxInstance"): {
        "type": "object",
        "x-kubernetes-validations": [
            {
                "rule": "self.metadata.name == 'flux'",
                "message": "the only accepted name for a FluxInstance is 'flux'",
            },
        ],
        "properties": {
            "spec": {
                "type": "object",
                "x-kubernetes-preserve-unknown-fields": True,
                "required": ["distribution"],
                "properties": {
                    "distribution": {
                        "type": "object",
                        "x-kubernetes-preserve-unknown-fields": True,
                        "required": ["version", "registry"],
                        "properties": {
                            "version": STR,
                            "registry": STR,
                            "artifact": STR,
                            "imagePullSecret": STR,
                            "variant": STR,
                        },
                    },
                    "components": {"type": "array", "items": STR},
                    "cluster": OPEN,
                    "kustomize": OPEN,
                    "sync": {
                        "type": "object",
                        "x-kubernetes-preserve-unknown-fields": True,
                        "required": ["kind", "url"],
                        "properties": {
                            "kind": {"type": "string", "enum": ["OCIRepository", "GitRepository", "Bucket"]},
                            "url": STR,
                            "ref": STR,
                            "path": STR,
                            "pullSecret": STR,
                            "provider": STR,
                            "interval": {"type": "string", "pattern": DURATION},
                            "name": STR,
                        },
                    },
                    "sharding": OPEN,
                    "storage": OPEN,
                    "commonMetadata": OPEN,
                    "migrateResources": {"type": "boolean"},
                    "wait": {"type": "boolean"},
                },
            },
            "status": OPEN,
        },
    },
    ("fluxcd.controlplane.io/v1", "ResourceSet"): {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "x-kubernetes-preserve-unknown-fields": True,
                "properties": {
                    "inputs": {"type": "array", "items": OPEN},
                    "inputsFrom": {"type": "array", "items": OPEN},
                    "inputStrategy": OPEN,
                    "resources": {"type": "array", "items": OPEN},
                    "resourcesTemplate": STR,
                    "steps": {"type": "array", "items": OPEN, "maxItems": 20},
                    "dependsOn": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                            "required": ["apiVersion", "kind", "name"],
                            "properties": {
                                "apiVersion": STR,
                                "kind": STR,
                                "name": STR,
                                "namespace": STR,
                                "ready": {"type": "boolean"},
                                "readyExpr": STR,
                            },
                        },
                    },
                    "serviceAccountName": STR,
                    "wait": {"type": "boolean"},
                    "commonMetadata": OPEN,
                },
            },
            "status": OPEN,
        },
    },
    ("fluxcd.controlplane.io/v1", "ResourceSetInputProvider"): {
        "type": "object",
        "properties": {"spec": OPEN, "status": OPEN},
    },
}


class Models:
    def __init__(self, root: Path):
        self.classes: dict[str, ast.ClassDef] = {}
        self.resources: list[tuple[str, ast.ClassDef]] = []
        for path in sorted(root.rglob("*.py")):
            tree = ast.parse(path.read_text())
            for node in tree.body:
                if isinstance(node, ast.ClassDef):
                    self.classes[f"{path.parent.name}.{path.stem}.{node.name}"] = node
                    self.classes.setdefault(node.name, node)
                    if any(isinstance(b, ast.Name) and b.id == "Resource" for b in node.bases):
                        self.resources.append((f"{path.parent.name}.{path.stem}", node))
        self.module = ""

    def lookup(self, name: str) -> ast.ClassDef | None:
        return self.classes.get(f"{self.module}.{name}") or self.classes.get(name)

    def fields(self, cls: ast.ClassDef):
        for stmt in cls.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                yield stmt.target.id, stmt.annotation, stmt.value is not None

    def class_schema(self, name: str) -> dict:
        cls = self.lookup(name)
        if cls is None:
            raise KeyError(name)
        if any(isinstance(b, ast.Subscript) and getattr(b.value, "id", "") == "RootModel" for b in cls.bases):
            for fname, ann, _ in self.fields(cls):
                if fname == "root":
                    return self.schema(ann)[0]
        props, required = {}, []
        for fname, ann, has_default in self.fields(cls):
            schema, alias = self.schema(ann)
            key = alias or fname
            props[key] = schema
            if not has_default:
                required.append(key)
        out = {"type": "object", "properties": props}
        if required:
            out["required"] = required
        return out

    def schema(self, ann) -> tuple[dict, str | None]:
        """(schema, alias) of an annotation expression."""
        if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr):
            parts = [
                p for p in (ann.left, ann.right) if not (isinstance(p, ast.Constant) and p.value is None)
            ]
            if len(parts) == 1:
                return self.schema(parts[0])
            return {"anyOf": [self.schema(p)[0] for p in parts]}, None
        if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
            return self.schema(ast.parse(ann.value, mode="eval").body)
        if isinstance(ann, ast.Name):
            simple = {
                "str": {"type": "string"},
                "int": {"type": "integer"},
                "float": {"type": "number"},
                "bool": {"type": "boolean"},
                "Any": {"x-kubernetes-preserve-unknown-fields": True},
                "AwareDatetime": {"type": "string"},
                "ObjectMeta": {"type": "object"},
            }
            if ann.id in simple:
                return dict(simple[ann.id]), None
            return self.class_schema(ann.id), None
        if isinstance(ann, ast.Subscript):
            head = getattr(ann.value, "id", "")
            args = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
            if head == "list":
                return {"type": "array", "items": self.schema(args[0])[0]}, None
            if head == "dict":
                value = self.schema(args[1])[0]
                if value == {"x-kubernetes-preserve-unknown-fields": True}:
                    return {"type": "object", "x-kubernetes-preserve-unknown-fields": True}, None
                return {"type": "object", "additionalProperties": value}, None
            if head == "Literal":
                values = [a.value for a in args]
                return {
                    "type": "string" if all(isinstance(v, str) for v in values) else "integer",
                    "enum": values,
                }, None
            if head == "Annotated":
                schema, _ = self.schema(args[0])
                alias = None
                for extra in args[1:]:
                    if isinstance(extra, ast.Call) and getattr(extra.func, "id", "") == "Field":
                        for kw in extra.keywords:
                            v = ast.literal_eval(kw.value)
                            if kw.arg == "alias":
                                alias = v
                            elif kw.arg in ("pattern", "ge", "le", "max_length", "min_length"):
                                word = {
                                    "ge": "minimum",
                                    "le": "maximum",
                                    "max_length": "maxLength",
                                    "min_length": "minLength",
                                    "pattern": "pattern",
                                }[kw.arg]
                                target = schema
                                if "anyOf" in schema:
                                    continue
                                target[word] = v
                return schema, alias
        raise ValueError(ast.dump(ann))


# enums of the models that are narrower than what the controllers accept: the
# notification-controller takes any kind in an Alert's eventSources (Flux Operator
# kinds such as FluxInstance are used there in real repositories)
OPEN_ENUMS = {("Alert", ("spec", "eventSources", "*", "kind"))}


def _open_enums(kind: str, schema: dict) -> None:
    for k, path in OPEN_ENUMS:
        if k != kind:
            continue
        node = schema
        for step in path:
            node = node["items"] if step == "*" else node["properties"][step]
        node.pop("enum", None)


def _place_cel(kind: str, schema: dict) -> None:
    for (k, path), rules in CEL.items():
        if k != kind:
            continue
        node = schema
        for step in path:
            node = node["properties"][step]
        node["x-kubernetes-validations"] = rules


def main(root: str) -> None:
    models = Models(Path(root))
    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    for module, cls in models.resources:
        models.module = module
        api_version = kind = None
        fields = {}
        for fname, ann, _ in models.fields(cls):
            fields[fname] = ann
        ann = fields["api_version"]
        lit = ann.slice.elts[0] if isinstance(ann, ast.Subscript) else None
        api_version = lit.slice.value if isinstance(lit, ast.Subscript) else None
        kind = fields["kind"].slice.value
        spec = models.schema(fields["spec"])[0] if "spec" in fields else None
        schema = {"type": "object", "properties": {"status": OPEN}}
        if spec is not None:
            schema["properties"]["spec"] = spec
            if any(n == "spec" for n, _, d in models.fields(cls) if not d):
                schema["required"] = ["spec"]
        _place_cel(kind, schema)
        _open_enums(kind, schema)
        written.append(_write(api_version, kind, schema))
    for (api_version, kind), schema in OPERATOR.items():
        written.append(_write(api_version, kind, schema))
    print("\n".join(sorted(written)))


def _write(api_version: str, kind: str, openapi: dict) -> str:
    group, version = api_version.split("/")
    name = f"{kind.lower()}-{group}-{version}.json"
    out = convert(openapi)
    out["x-gitops-lint-gvk"] = {"apiVersion": api_version, "kind": kind}
    (OUT / name).write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    return name


if __name__ == "__main__":
    main(sys.argv[1])
