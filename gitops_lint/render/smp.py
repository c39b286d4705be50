"""Strategic merge patches, as kustomize (kyaml ``merge2``) applies them.

Reproduced behaviour (checked against ``kubectl kustomize``, kustomize v5):

* maps merge recursively; a ``null`` in the patch deletes the field;
  ``$patch: delete`` deletes the map (the whole resource at the top level),
  ``$patch: replace`` replaces it; a map added from the patch loses its
  ``null`` fields and directives;
* lists are merged only where the Kubernetes schema gives a merge key
  (containers and initContainers by ``name``, ports by ``containerPort`` and
  ``protocol``, env by ``name``, volumes by ``name``, volumeMounts by
  ``mountPath``, ...); every other list, and every list of a kind kustomize
  has no schema for (custom resources), is replaced by the patch's;
* kustomize merges with ``ListIncreaseDirection: prepend``: the patch's
  elements come first (in patch order, merged with the matching element),
  then the elements only the target has; a merged list of scalars with a
  merge strategy (``finalizers``) is the patch's values followed by the
  others. Where an element carries several merge-key values (a port with
  ``protocol``) kyaml keeps the target's order instead and puts only the
  new elements in front;
* elements are matched on the values of all their merge keys (a missing
  key is empty); a patch element that agrees with a target element only on
  its non-empty keys is dropped (a patch port without ``protocol`` does
  not override a target port that has ``protocol: TCP``: kyaml's quirk);
* an element carrying ``$patch: delete`` removes its match; one carrying
  ``$patch: replace`` that matches an existing element leaves it unchanged
  (kyaml's behaviour, not apimachinery's).

The schema below is the subset of the Kubernetes 1.21 OpenAPI document
(embedded in kyaml) that carries merge keys, keyed by apiVersion and kind.
"""

from __future__ import annotations

from .copy import deep_copy


class MergeError(Exception):
    """kustomize refuses the patch (e.g. a map patched onto a list)."""


class Schema:
    """The merge-relevant part of an OpenAPI schema node."""

    __slots__ = ("fields", "items", "keys", "merge")

    def __init__(
        self,
        fields: dict[str, Schema] | None = None,
        items: Schema | None = None,
        keys: tuple[str, ...] = (),
        merge: bool = False,
    ):
        self.fields = fields or {}
        self.items = items
        self.keys = keys
        self.merge = merge  # patch strategy "merge" on a list


_ANY = Schema()


def _list(keys: tuple[str, ...], items: Schema | None = None) -> Schema:
    return Schema(items=items or _ANY, keys=keys, merge=True)


META = Schema(
    fields={
        "finalizers": Schema(merge=True),
        "ownerReferences": _list(("uid",)),
    }
)
CONTAINER = Schema(
    fields={
        "ports": _list(("containerPort", "protocol")),
        "env": _list(("name",)),
        "volumeMounts": _list(("mountPath",)),
        "volumeDevices": _list(("devicePath",)),
    }
)
POD_SPEC = Schema(
    fields={
        "containers": _list(("name",), CONTAINER),
        "initContainers": _list(("name",), CONTAINER),
        "ephemeralContainers": _list(("name",), CONTAINER),
        "volumes": _list(("name",)),
        "imagePullSecrets": _list(("name",)),
        "hostAliases": _list(("ip",)),
        "topologySpreadConstraints": _list(("topologyKey", "whenUnsatisfiable")),
    }
)
POD_TEMPLATE = Schema(fields={"metadata": META, "spec": POD_SPEC})


def _root(**fields: Schema) -> Schema:
    return Schema(fields={"metadata": META, **fields})


def _spec(**fields: Schema) -> Schema:
    return _root(spec=Schema(fields=fields))


_WORKLOAD = _spec(template=POD_TEMPLATE)
_STATEFULSET = _spec(
    template=POD_TEMPLATE, volumeClaimTemplates=Schema(items=Schema(fields={"metadata": META}))
)
_CRONJOB = _spec(
    jobTemplate=Schema(fields={"metadata": META, "spec": Schema(fields={"template": POD_TEMPLATE})})
)
_WEBHOOKS = _root(webhooks=_list(("name",)))

ROOTS: dict[tuple[str, str], Schema] = {
    ("v1", "Pod"): _root(spec=POD_SPEC),
    ("v1", "ReplicationController"): _WORKLOAD,
    ("v1", "PodTemplate"): _root(template=POD_TEMPLATE),
    ("v1", "Service"): _spec(ports=_list(("port", "protocol"))),
    ("v1", "ServiceAccount"): _root(secrets=_list(("name",))),
    ("apps/v1", "Deployment"): _WORKLOAD,
    ("apps/v1", "ReplicaSet"): _WORKLOAD,
    ("apps/v1", "DaemonSet"): _WORKLOAD,
    ("apps/v1", "StatefulSet"): _STATEFULSET,
    ("batch/v1", "Job"): _WORKLOAD,
    ("batch/v1", "CronJob"): _CRONJOB,
    ("batch/v1beta1", "CronJob"): _CRONJOB,
    ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"): _WEBHOOKS,
    ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"): _WEBHOOKS,
    ("admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration"): _WEBHOOKS,
    ("admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration"): _WEBHOOKS,
}

# API groups of built-in kinds: their objects have a schema (ObjectMeta's
# merge lists apply); custom resources have none.
BUILTIN_GROUPS = frozenset(
    {
        "",
        "apps",
        "batch",
        "autoscaling",
        "policy",
        "extensions",
        "networking.k8s.io",
        "rbac.authorization.k8s.io",
        "storage.k8s.io",
        "apiextensions.k8s.io",
        "admissionregistration.k8s.io",
        "scheduling.k8s.io",
        "coordination.k8s.io",
        "certificates.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "node.k8s.io",
        "apiregistration.k8s.io",
        "flowcontrol.apiserver.k8s.io",
    }
)
_META_ONLY = _root()


def schema_for(api_version: str, kind: str) -> Schema | None:
    root = ROOTS.get((api_version, kind))
    if root is not None:
        return root
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    return _META_ONLY if group in BUILTIN_GROUPS else None


# -- merging ------------------------------------------------------------------------

_DELETE = object()


def scalar_text(value: object) -> str:
    """A scalar as kyaml compares it (the YAML text of the node)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value)


def schemas_from_openapi(document: dict) -> dict[tuple[str, str], Schema]:
    """The roots of a kustomization's ``openapi: {path: ...}`` document (OpenAPI v2
    ``definitions`` with ``x-kubernetes-group-version-kind``). kustomize then uses this
    document *instead of* its built-in one: a kind it does not define has no merge keys."""
    definitions = document.get("definitions") if isinstance(document, dict) else None
    if not isinstance(definitions, dict):
        return {}
    memo: dict[str, Schema] = {}

    def convert(node: object) -> Schema:
        if not isinstance(node, dict):
            return _ANY
        ref = node.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[-1]
            if name not in memo:
                memo[name] = Schema()  # filled below; a recursive reference sees this one
                filled = convert(definitions.get(name))
                memo[name].fields, memo[name].items = filled.fields, filled.items
                memo[name].keys, memo[name].merge = filled.keys, filled.merge
            return memo[name]
        props = node.get("properties")
        fields = {str(k): convert(v) for k, v in props.items()} if isinstance(props, dict) else {}
        items = convert(node["items"]) if "items" in node else None
        strategy = str(node.get("x-kubernetes-patch-strategy") or "")
        key = node.get("x-kubernetes-patch-merge-key")
        keys = (str(key),) if key else ()
        return Schema(fields, items, keys, merge="merge" in strategy.split(","))

    roots: dict[tuple[str, str], Schema] = {}
    for name, node in definitions.items():
        gvks = node.get("x-kubernetes-group-version-kind") if isinstance(node, dict) else None
        for gvk in gvks if isinstance(gvks, list) else []:
            if isinstance(gvk, dict) and gvk.get("kind") and gvk.get("version"):
                group, version = str(gvk.get("group") or ""), str(gvk["version"])
                api_version = f"{group}/{version}" if group else version
                roots[(api_version, str(gvk["kind"]))] = convert({"$ref": f"#/definitions/{name}"})
    return roots


def apply_patch(
    target: dict, patch: dict, schemas: dict[tuple[str, str], Schema] | None = None
) -> dict | None:
    """Merge ``patch`` into ``target`` (mutated); ``None`` when the patch deletes it.

    ``schemas``: the roots of a custom OpenAPI document, when the build has one.
    """
    key = (str(target.get("apiVersion", "")), str(target.get("kind", "")))
    schema = schemas.get(key) if schemas is not None else schema_for(*key)
    result = _merge_map(target, patch, schema)
    return None if result is _DELETE else result


def _merge_map(dest: dict | None, patch: dict, schema: Schema | None):
    directive = patch.get("$patch")
    if directive == "delete":
        return _DELETE
    if directive == "replace" or dest is None:
        dest = {}
    for key, pv in patch.items():
        if key == "$patch":
            continue
        if pv is None:
            dest.pop(key, None)
            continue
        sub = schema.fields.get(key) if schema is not None else None
        dv = dest.get(key)
        if isinstance(pv, dict):
            if isinstance(dv, list):
                raise MergeError(f"wrong node kind: expected SequenceNode but got MappingNode at {key!r}")
            res = _merge_map(dv if isinstance(dv, dict) else None, pv, sub)
            if res is _DELETE:
                dest.pop(key, None)
            else:
                dest[key] = res
        elif isinstance(pv, list):
            if isinstance(dv, dict):
                raise MergeError(f"wrong node kind: expected MappingNode but got SequenceNode at {key!r}")
            res = _merge_list(dv if isinstance(dv, list) else None, pv, sub)
            if res is _DELETE:
                dest.pop(key, None)
            else:
                dest[key] = res
        else:
            if isinstance(dv, (dict, list)):
                raise MergeError(f"wrong node kind at {key!r}: cannot merge a scalar into a collection")
            dest[key] = pv
    return dest


def _merge_list(dest: list | None, patch: list, schema: Schema | None):
    if schema is None or not schema.merge:
        return deep_copy(patch)
    if not schema.keys:
        return _merge_scalar_set(dest or [], patch)
    return _merge_associative(dest or [], patch, schema)


def _merge_scalar_set(dest: list, patch: list) -> list:
    out: list = []
    seen: set[str] = set()
    for item in list(patch) + list(dest):
        if isinstance(item, (dict, list)):
            out.append(deep_copy(item))
            continue
        text = scalar_text(item)
        if text in seen:
            continue
        seen.add(text)
        out.append(item)
    return out


def _key_values(elem: object, keys: tuple[str, ...]) -> tuple[str, ...] | None:
    if not isinstance(elem, dict):
        return None
    return tuple(scalar_text(elem[k]) if k in elem and elem[k] is not None else "" for k in keys)


def _matches(elem: object, keys: list[str], values: list[str]) -> bool:
    if not isinstance(elem, dict):
        return False
    return all(not (k not in elem or scalar_text(elem[k]) != v) for k, v in zip(keys, values, strict=False))


def _full_match(elem: object, keys: tuple[str, ...], kv: tuple[str, ...]) -> bool:
    return _key_values(elem, keys) == kv


def _partial(kv: tuple[str, ...], keys: tuple[str, ...]) -> tuple[list[str], list[str]]:
    return [k for k, v in zip(keys, kv) if v], [v for v in kv if v]


def _merge_associative(dest: list, patch: list, schema: Schema):
    """Merge two lists of maps by their merge keys (see the module doc for the order).

    Elements are identified by the full tuple of their merge-key values (a
    missing key counts as empty). The merged elements are collected in
    order (patch elements first, then the target's others), a later one
    replacing an earlier one that agrees on its non-empty keys. When every
    element has at most one merge-key value, that is the result. When some
    element has several (a port with ``protocol``), kyaml instead keeps the
    target's order: every collected element that corresponds to a
    target element takes its place, the others go in front, except those
    that agree with a target element on their non-empty keys (dropped).
    """
    keys = schema.keys
    order: list[tuple[str, ...]] = []
    seen: set[tuple[str, ...]] = set()
    for source in (patch, dest):
        for elem in source:
            kv = _key_values(elem, keys)
            if kv is None or not any(kv) or kv in seen:
                continue
            seen.add(kv)
            order.append(kv)
    dest = list(dest)
    items: list = []
    for kv in order:
        vkeys, vvals = _partial(kv, keys)
        d = next((e for e in dest if _full_match(e, keys, kv)), None)
        p = next((e for e in patch if _full_match(e, keys, kv)), None)
        if p is None:
            merged = d
        else:
            directive = p.get("$patch")
            if directive == "delete":
                merged = None
            elif directive == "replace" and d is not None:
                merged = d
            else:
                # kyaml merges into a copy: the target element itself is
                # still there for a later, differently keyed match
                res = _merge_map(deep_copy(d) if d is not None else None, p, schema.items)
                merged = None if res is _DELETE else res
        if merged is None or merged == {}:
            dest = [e for e in dest if not _matches(e, vkeys, vvals)]
            items = [e for e in items if not _matches(e, vkeys, vvals)]
            continue
        for k, v in zip(vkeys, vvals):
            if k not in merged:
                merged[k] = v
        _set_element(items, vkeys, vvals, merged)
    if not any(sum(1 for v in kv if v) > 1 for kv in order):
        return items
    placed: dict[int, object] = {}
    front: list = []
    for item in items:
        kv = _key_values(item, keys) or ()
        idx = next((i for i, e in enumerate(dest) if _key_values(e, keys) == kv), None)
        if idx is not None and idx not in placed:
            placed[idx] = item
            continue
        ikeys, ivals = _partial(kv, keys)
        if any(
            _matches(e, ikeys, ivals) or _matches(item, *_partial(_key_values(e, keys) or (), keys))
            for e in dest
        ):
            continue
        front.append(item)
    return front + [placed.get(i, e) for i, e in enumerate(dest)]


def _set_element(items: list, keys: list[str], values: list[str], elem: dict) -> None:
    """kyaml's ElementSetter: replace the matching element(s), else append."""
    placed = False
    i = 0
    while i < len(items):
        if _matches(items[i], keys, values):
            if placed:
                del items[i]
                continue
            items[i] = elem
            placed = True
        i += 1
    if not placed:
        items.append(elem)
