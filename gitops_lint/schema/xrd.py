"""Crossplane CompositeResourceDefinitions: schemas for the composite kind and its claim.

An XRD's ``openAPIV3Schema`` describes only what the platform team added;
Crossplane generates the CRDs with its own machinery fields merged into
``spec`` (and ``status``). Without them every real claim that sets
``compositionSelector`` or ``writeConnectionSecretToRef`` would fail, so they
are added here, loosely typed where Crossplane's own types are open:

- composite (v1, and v2 with ``scope: LegacyCluster``): compositionRef,
  compositionSelector, compositionRevisionRef, compositionRevisionSelector,
  compositionUpdatePolicy, claimRef, environmentConfigRefs, resourceRefs,
  publishConnectionDetailsTo, writeConnectionSecretToRef;
- composite (v2 ``Namespaced``/``Cluster``): the same under ``spec.crossplane``;
- claim: compositionRef, compositionSelector, compositionRevisionRef,
  compositionRevisionSelector, compositionUpdatePolicy, compositeDeletePolicy,
  resourceRef, publishConnectionDetailsTo, writeConnectionSecretToRef.
"""

from __future__ import annotations

import copy

from .crd import convert

_OPEN = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
_NAME_REF = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
_SELECTOR = {
    "type": "object",
    "properties": {
        "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}
_UPDATE_POLICY = {"type": "string", "enum": ["Automatic", "Manual"]}
_REF_LIST = {"type": "array", "items": _OPEN}

_SHARED = {
    "compositionRef": _NAME_REF,
    "compositionSelector": _SELECTOR,
    "compositionRevisionRef": _NAME_REF,
    "compositionRevisionSelector": _SELECTOR,
    "compositionUpdatePolicy": _UPDATE_POLICY,
    "publishConnectionDetailsTo": _OPEN,
}
COMPOSITE_FIELDS = {
    **_SHARED,
    "claimRef": _OPEN,
    "environmentConfigRefs": _REF_LIST,
    "resourceRefs": _REF_LIST,
    "writeConnectionSecretToRef": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "namespace": {"type": "string"}},
        "required": ["name"],
    },
}
CLAIM_FIELDS = {
    **_SHARED,
    "compositeDeletePolicy": {"type": "string", "enum": ["Background", "Foreground"]},
    "resourceRef": _OPEN,
    "writeConnectionSecretToRef": {
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
    },
}
V2_CROSSPLANE = {
    "type": "object",
    "properties": {
        **_SHARED,
        "resourceRefs": _REF_LIST,
    },
}
_STATUS_FIELDS = {
    "conditions": {"type": "array", "items": _OPEN},
    "connectionDetails": _OPEN,
    "claimConditionTypes": {"type": "array", "items": {"type": "string"}},
    "crossplane": _OPEN,
}


def _with_fields(schema, spec_fields: dict, crossplane: bool) -> dict:
    base = copy.deepcopy(schema) if isinstance(schema, dict) else {"type": "object"}
    base.setdefault("type", "object")
    props = base.setdefault("properties", {})
    spec = props.setdefault("spec", {"type": "object"})
    spec.setdefault("type", "object")
    spec_props = spec.setdefault("properties", {})
    for k, v in spec_fields.items():
        spec_props.setdefault(k, v)
    if crossplane:
        spec_props.setdefault("crossplane", V2_CROSSPLANE)
    status = props.setdefault("status", {"type": "object"})
    status.setdefault("type", "object")
    status_props = status.setdefault("properties", {})
    for k, v in _STATUS_FIELDS.items():
        status_props.setdefault(k, v)
    return base


def xrd_versions(xrd: dict) -> list[tuple[str, str, str, dict]]:
    """``(apiVersion, kind, version, json_schema)`` for the composite and the claim of each
    served version of an XRD."""
    spec = xrd.get("spec") if isinstance(xrd, dict) else None
    if not isinstance(spec, dict) or not isinstance(spec.get("group"), str):
        return []
    group = spec["group"]
    names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
    claim_names = spec.get("claimNames") if isinstance(spec.get("claimNames"), dict) else {}
    v2 = str(xrd.get("apiVersion", "")).endswith("/v2")
    scope = spec.get("scope") or ("Namespaced" if v2 else "LegacyCluster")
    crossplane_block = v2 and scope != "LegacyCluster"
    out = []
    for v in spec.get("versions") or []:
        if not isinstance(v, dict) or not isinstance(v.get("name"), str) or v.get("served") is False:
            continue
        raw = (v.get("schema") or {}).get("openAPIV3Schema") if isinstance(v.get("schema"), dict) else None
        api_version = f"{group}/{v['name']}"
        if isinstance(names.get("kind"), str):
            composite_fields = {} if crossplane_block else COMPOSITE_FIELDS
            schema = convert(_with_fields(raw, composite_fields, crossplane_block))
            out.append((api_version, names["kind"], v["name"], schema))
        if isinstance(claim_names.get("kind"), str):
            schema = convert(_with_fields(raw, CLAIM_FIELDS, False))
            out.append((api_version, claim_names["kind"], v["name"], schema))
    return out
