"""CRD ``openAPIV3Schema`` -> JSON Schema (2020-12), as the API server validates it.

A pure function of the schema. What the API server does, and so what this does:

- unknown fields are errors (strict field validation) wherever the structural
  schema lists ``properties`` or has no ``additionalProperties``, unless
  ``x-kubernetes-preserve-unknown-fields: true``;
- ``null`` is accepted for any typed field (the API server prunes nulls of
  non-nullable fields before validation); ``x-kubernetes-int-or-string`` is
  ``integer`` or ``string``, and a number too where the pattern is the
  resource-quantity pattern (``cpu: 0.5`` is accepted as a quantity);
- ``x-kubernetes-embedded-resource`` objects need ``apiVersion`` and ``kind``
  and may carry ``metadata``;
- the root ``metadata`` is ObjectMeta whatever the CRD says about it, and
  ``apiVersion``/``kind`` are always allowed at the root;
- OpenAPI v3's boolean ``exclusiveMinimum``/``exclusiveMaximum`` become
  JSON Schema's numeric form; a ``pattern`` is a Go regexp, matched with RE2
  (linear time, whatever the repository wrote); one Go refuses is dropped here
  (the API server refuses the whole CRD, which check.py reports on the CRD);
  formats stay annotations;
- ``x-kubernetes-validations`` are kept for the CEL keyword.

Inside ``allOf``/``anyOf``/``oneOf``/``not`` the structural rules do not
apply (those branches only add value validations), so nothing is closed
there.
"""

from __future__ import annotations

import json
from typing import Any

from .budget import SCHEMA_NODES, TooComplex
from .fast import go_pattern

#: the whole converted schema of a CRD over budget (validator.Validator reads it)
TOO_COMPLEX = "x-gitops-lint-too-complex"

_DROP = frozenset(
    {
        "description",
        "example",
        "externalDocs",
        "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys",
        "x-kubernetes-map-type",
        "x-kubernetes-preserve-unknown-fields",
        "x-kubernetes-int-or-string",
        "x-kubernetes-embedded-resource",
        "nullable",
        "title",
        "x-kubernetes-patch-merge-key",
        "x-kubernetes-patch-strategy",
        "x-metadata",
    }
)
_JUNCTORS = ("allOf", "anyOf", "oneOf")

OBJECT_META: dict[str, Any] = {
    "type": ["object", "null"],
    "properties": {
        "name": {"type": ["string", "null"]},
        "generateName": {"type": ["string", "null"]},
        "namespace": {"type": ["string", "null"]},
        "selfLink": {"type": ["string", "null"]},
        "uid": {"type": ["string", "null"]},
        "resourceVersion": {"type": ["string", "null"]},
        "generation": {"type": ["integer", "null"]},
        "creationTimestamp": {"type": ["string", "null"]},
        "deletionTimestamp": {"type": ["string", "null"]},
        "deletionGracePeriodSeconds": {"type": ["integer", "null"]},
        "labels": {"type": ["object", "null"], "additionalProperties": {"type": ["string", "null"]}},
        "annotations": {"type": ["object", "null"], "additionalProperties": {"type": ["string", "null"]}},
        "ownerReferences": {"type": ["array", "null"], "items": {"type": "object"}},
        "finalizers": {"type": ["array", "null"], "items": {"type": ["string", "null"]}},
        "managedFields": {"type": ["array", "null"], "items": {"type": "object"}},
    },
    "additionalProperties": False,
}


def _is_quantity_pattern(pattern) -> bool:
    return isinstance(pattern, str) and "(([KMGTPE]i)" in pattern


def _compiles(pattern) -> bool:
    return go_pattern(pattern) is not None


def convert_node(node, structural: bool = True):
    """One schema node; ``structural`` is False inside allOf/anyOf/oneOf/not."""
    return _convert(node, structural, {})


def _convert(node, structural: bool, memo: dict):
    """A node reached twice (YAML aliases make a schema a DAG: a 1.2 KB CRD can name
    2^20 paths) is converted once, and the result is shared, so the validators built
    from it (compiled once per node) stay as small as the file."""
    if not isinstance(node, dict):
        return {}
    key = (id(node), structural)
    found = memo.get(key)
    if found is not None:
        return found
    if len(memo) >= SCHEMA_NODES:
        raise TooComplex(f"the schema has more than {SCHEMA_NODES:,} nodes")
    out: dict[str, Any] = {}
    memo[key] = out  # filled below; a node is never its own descendant (no recursive aliases)
    for key, value in node.items():
        if key in _DROP:
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {str(k): _convert(v, structural, memo) for k, v in value.items()}
        elif key == "additionalProperties":
            out[key] = _convert(value, structural, memo) if isinstance(value, dict) else bool(value)
        elif key == "items":
            if isinstance(value, dict):
                out[key] = _convert(value, structural, memo)
            elif isinstance(value, list) and value:
                out[key] = _convert(value[0], structural, memo)
        elif key in _JUNCTORS and isinstance(value, list):
            out[key] = [_convert(v, False, memo) for v in value]
        elif key == "not":
            out[key] = _convert(value, False, memo)
        elif key == "pattern":
            if _compiles(value):
                out[key] = value
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            continue  # handled below with minimum/maximum
        elif key == "type" and not isinstance(value, str):
            continue
        elif key == "required" and isinstance(value, list):
            out[key] = [str(x) for x in value]
        elif key in ("enum",) and isinstance(value, list):
            out[key] = list(value)
        elif key == "x-kubernetes-validations":
            if isinstance(value, list):
                out[key] = [v for v in value if isinstance(v, dict) and isinstance(v.get("rule"), str)]
        elif key in ("$ref", "$defs", "definitions", "patternProperties", "dependencies", "prefixItems"):
            continue  # not allowed in structural schemas
        else:
            out[key] = value
    for bound, flag in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if node.get(flag) is True and bound in out:
            out[flag] = out.pop(bound)
    if node.get("x-kubernetes-int-or-string") is True:
        # the structural anyOf [integer, string] that comes with it says the same
        out.pop("type", None)
        if _is_quantity_pattern(out.get("pattern")):
            out["type"] = ["integer", "number", "string"]
        else:
            out["type"] = ["integer", "string"]
        out["anyOf"] = [b for b in out.get("anyOf", []) if set(b) - {"type"}] or None
        if out["anyOf"] is None:
            del out["anyOf"]
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    embedded = node.get("x-kubernetes-embedded-resource") is True
    if embedded:
        props = out.setdefault("properties", {})
        props.setdefault("apiVersion", {"type": "string"})
        props.setdefault("kind", {"type": "string"})
        props["metadata"] = _meta_for(props.get("metadata"))
        out["required"] = sorted(set(out.get("required", [])) | {"apiVersion", "kind"})
        out.setdefault("type", "object")
    if structural and out.get("type") == "object" and not preserve and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if structural or node.get("nullable") is True:
        # the API server prunes null from non-nullable fields before validating
        # (`values:` left empty is accepted), so null is never a type error
        t = out.get("type")
        if isinstance(t, str):
            out["type"] = [t, "null"]
        elif isinstance(t, list) and "null" not in t:
            out["type"] = [*t, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def _meta_for(declared) -> dict:
    """ObjectMeta; a CRD may only restrict ``name``/``generateName`` further."""
    meta = dict(OBJECT_META)
    if isinstance(declared, dict) and isinstance(declared.get("properties"), dict):
        props = dict(meta["properties"])
        for key in ("name", "generateName"):
            extra = declared["properties"].get(key)
            if isinstance(extra, dict):
                props[key] = {**convert_node(extra), "type": ["string", "null"]}
        meta["properties"] = props
    return meta


def convert(open_api_v3_schema) -> dict:
    """A CRD version's ``openAPIV3Schema`` as a JSON Schema for whole objects of that kind;
    one over :data:`budget.SCHEMA_NODES` nodes becomes ``{TOO_COMPLEX: reason}``, which
    validates nothing and says so on every object of the kind."""
    try:
        root = convert_node(open_api_v3_schema if isinstance(open_api_v3_schema, dict) else {})
    except TooComplex as exc:
        return {TOO_COMPLEX: str(exc)}
    root.setdefault("type", "object")
    props = root.setdefault("properties", {})
    props["apiVersion"] = {"type": "string"}
    props["kind"] = {"type": "string"}
    props["metadata"] = _meta_for(
        (open_api_v3_schema or {}).get("properties", {}).get("metadata")
        if isinstance(open_api_v3_schema, dict)
        else None
    )
    if not (
        isinstance(open_api_v3_schema, dict)
        and open_api_v3_schema.get("x-kubernetes-preserve-unknown-fields") is True
    ):
        root["additionalProperties"] = False
    root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return root


def crd_versions(crd: dict) -> list[tuple[str, str, str, dict | None]]:
    """``(apiVersion, kind, version, openAPIV3Schema)`` for each served version of a
    CustomResourceDefinition (``apiextensions.k8s.io/v1``, and v1beta1's top-level
    ``validation``)."""
    spec = crd.get("spec") if isinstance(crd, dict) else None
    if not isinstance(spec, dict):
        return []
    group = spec.get("group")
    names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
    kind = names.get("kind")
    if not isinstance(group, str) or not isinstance(kind, str):
        return []
    shared = spec.get("validation", {}) if isinstance(spec.get("validation"), dict) else {}
    out = []
    versions = spec.get("versions")
    if isinstance(versions, list) and versions:
        for v in versions:
            if not isinstance(v, dict) or not isinstance(v.get("name"), str):
                continue
            if v.get("served") is False:
                continue
            schema = (
                (v.get("schema") or {}).get("openAPIV3Schema") if isinstance(v.get("schema"), dict) else None
            )
            if schema is None:
                schema = shared.get("openAPIV3Schema")
            out.append((f"{group}/{v['name']}", kind, v["name"], schema))
    elif isinstance(spec.get("version"), str):
        out.append((f"{group}/{spec['version']}", kind, spec["version"], shared.get("openAPIV3Schema")))
    return out


def pattern_errors(crd: dict) -> list[tuple[tuple, str]]:
    """``(path, message)`` for each ``pattern`` of a CRD's schemas that Go's regexp refuses.

    The API server compiles every ``pattern`` when the CRD is created
    (apiextensions-apiserver ``validateValueValidation``: ``regexp.Compile``) and
    refuses the CRD otherwise, with ``<path>.pattern: Invalid value: "<pattern>":
    must be a valid regular expression, but isn't: <Go's error>``. A backreference
    or a lookaround (ECMA-262 has them, Go does not) is such a pattern. A pattern
    refused only for RE2's memory bound is not reported (Go would take it).
    """
    from ..core.regex import go_error

    spec = crd.get("spec") if isinstance(crd, dict) else None
    if not isinstance(spec, dict):
        return []
    roots: list[tuple[tuple, object]] = []
    versions = spec.get("versions")
    for i, v in enumerate(versions if isinstance(versions, list) else []):
        schema = v.get("schema") if isinstance(v, dict) else None
        if isinstance(schema, dict):
            roots.append(
                (("spec", "versions", i, "schema", "openAPIV3Schema"), schema.get("openAPIV3Schema"))
            )
    validation = spec.get("validation")
    if isinstance(validation, dict):
        roots.append((("spec", "validation", "openAPIV3Schema"), validation.get("openAPIV3Schema")))
    out: list[tuple[tuple, str]] = []
    visited = 0
    # (node, parent entry, step): paths are built only for the patterns reported
    stack: list[tuple[object, object, object]] = [(node, None, path) for path, node in reversed(roots)]
    while stack and visited < SCHEMA_NODES:
        entry = stack.pop()
        node = entry[0]
        if not isinstance(node, dict):
            continue
        visited += 1
        pattern = node.get("pattern")
        if isinstance(pattern, str):
            err = go_error(pattern)
            if err is not None and not err.ours:
                shown = pattern if len(pattern) <= 60 else pattern[:57] + "..."
                why = f"must be a valid regular expression, but isn't: {err}"
                out.append(((*_path_of(entry), "pattern"), f"Invalid value: {json.dumps(shown)}: {why}"))
        for key, value in reversed(node.items()):
            if key in ("properties", "patternProperties") and isinstance(value, dict):
                stack.extend((v, entry, (key, k)) for k, v in reversed(value.items()))
            elif key in ("additionalProperties", "not", "additionalItems", "items") and isinstance(
                value, dict
            ):
                stack.append((value, entry, (key,)))
            elif key in ("allOf", "anyOf", "oneOf", "items") and isinstance(value, list):
                stack.extend((v, entry, (key, j)) for j, v in reversed(list(enumerate(value))))
    return out


def _path_of(entry) -> tuple:
    steps: list[tuple] = []
    while entry is not None:
        steps.append(entry[2])
        entry = entry[1]
    return tuple(part for step in reversed(steps) for part in step)
