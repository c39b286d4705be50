"""Resources as kustomize tracks them during a build.

kustomize does not only hold objects: each one carries its *id history*
(every group/version/kind/namespace/name it had before a transformer renamed
it, kept in ``config.kubernetes.io/previous*`` build annotations), the
prefixes and suffixes added on the way, and generator options (hash suffix,
merge behaviour). Patches find their target through that history, and name
references are rewritten at the end of the build by matching a referenced
name against *previous* names. :class:`Res` keeps the same data next to the
object instead of in annotations; the id lookups of kustomize's
``resWrangler`` (api/resmap/reswrangler.go) are done on lists of them.
"""

from __future__ import annotations

from typing import NamedTuple

from ..core.data import Origin
from .copy import deep_copy

# kustomize compares namespaces through ResId.EffectiveNamespace: an empty
# namespace on a namespaced kind is "default", a cluster-scoped kind has none.
DEFAULT_NS = "default"
NOT_A_NAMESPACE = "_non_namespaceable_"

# Kinds kustomize knows to be cluster scoped: the resource types of the
# Kubernetes 1.21.2 OpenAPI document embedded in kyaml (kyaml/openapi,
# IsCertainlyClusterScoped), keyed by apiVersion and kind exactly. Anything
# else, custom resources included, is treated as namespaced, so a
# kustomization ``namespace`` is set on it.
_CLUSTER_SCOPED_BY_GROUP: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "": (("v1",), ("Namespace", "Node", "PersistentVolume", "ComponentStatus")),
    "admissionregistration.k8s.io": (
        ("v1", "v1beta1"),
        ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"),
    ),
    "apiextensions.k8s.io": (("v1", "v1beta1"), ("CustomResourceDefinition",)),
    "apiregistration.k8s.io": (("v1", "v1beta1"), ("APIService",)),
    "authentication.k8s.io": (("v1", "v1beta1"), ("TokenReview",)),
    "authorization.k8s.io": (
        ("v1", "v1beta1"),
        ("SelfSubjectAccessReview", "SelfSubjectRulesReview", "SubjectAccessReview"),
    ),
    "certificates.k8s.io": (("v1", "v1beta1"), ("CertificateSigningRequest",)),
    "flowcontrol.apiserver.k8s.io": (("v1alpha1", "v1beta1"), ("FlowSchema", "PriorityLevelConfiguration")),
    "internal.apiserver.k8s.io": (("v1alpha1",), ("StorageVersion",)),
    "networking.k8s.io": (("v1", "v1beta1"), ("IngressClass",)),
    "node.k8s.io": (("v1", "v1alpha1", "v1beta1"), ("RuntimeClass",)),
    "policy": (("v1beta1",), ("PodSecurityPolicy",)),
    "extensions": (("v1beta1",), ("PodSecurityPolicy",)),
    "rbac.authorization.k8s.io": (("v1", "v1alpha1", "v1beta1"), ("ClusterRole", "ClusterRoleBinding")),
    "scheduling.k8s.io": (("v1", "v1alpha1", "v1beta1"), ("PriorityClass",)),
    "storage.k8s.io": (
        ("v1", "v1alpha1", "v1beta1"),
        ("StorageClass", "VolumeAttachment", "CSIDriver", "CSINode"),
    ),
}
CLUSTER_SCOPED: frozenset[tuple[str, str, str]] = frozenset(
    (g, v, k) for g, (versions, kinds) in _CLUSTER_SCOPED_BY_GROUP.items() for v in versions for k in kinds
)


def split_api_version(api_version: object) -> tuple[str, str]:
    """``apps/v1`` -> (``apps``, ``v1``); ``v1`` -> (``""``, ``v1``)."""
    text = api_version if isinstance(api_version, str) else ("" if api_version is None else str(api_version))
    group, sep, version = text.rpartition("/")
    return (group, version) if sep else ("", text)


class ResId(NamedTuple):
    """kustomize's resid.ResId: a group/version/kind plus namespace and name."""

    group: str
    version: str
    kind: str
    namespace: str
    name: str

    @property
    def cluster_scoped(self) -> bool:
        return (self.group, self.version, self.kind) in CLUSTER_SCOPED

    def effective_ns(self) -> str:
        if (self.group, self.version, self.kind) in CLUSTER_SCOPED:
            return NOT_A_NAMESPACE
        return self.namespace or DEFAULT_NS

    def equals(self, other: ResId) -> bool:
        """ResId.Equals: same gvk and name, same *effective* namespace."""
        return (
            self.name == other.name
            and self.kind == other.kind
            and self.group == other.group
            and self.version == other.version
            and self.effective_ns() == other.effective_ns()
        )

    def key(self) -> tuple[str, str, str, str, str]:
        """A hashable identity with the effective namespace (for duplicate checks)."""
        return (self.group, self.version, self.kind, self.effective_ns(), self.name)

    def gvk_selected(self, group: str = "", version: str = "", kind: str = "") -> bool:
        """Gvk.IsSelected: every non-empty selector field must be equal."""
        return (
            (not group or group == self.group)
            and (not version or version == self.version)
            and (not kind or kind == self.kind)
        )

    def display(self) -> str:
        api = f"{self.group}/{self.version}" if self.group else self.version
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{api or '?'} {self.kind} {ns}{self.name}"


def meta_of(obj: dict) -> dict:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


class Res:
    """One resource of a build: the object plus kustomize's bookkeeping."""

    __slots__ = (
        "obj",
        "origin",
        "prev",
        "prefixes",
        "suffixes",
        "needs_hash",
        "behavior",
        "generated",
        "origin_note",
        "empty_nulls",
    )

    def __init__(
        self,
        obj: dict,
        origin: Origin,
        prev: list[ResId] | None = None,
        prefixes: list[str] | None = None,
        suffixes: list[str] | None = None,
        needs_hash: bool = False,
        behavior: str = "",
        generated: bool = False,
        origin_note: str | None = None,
        empty_nulls: frozenset[tuple] = frozenset(),
    ):
        self.obj = obj
        self.origin = origin
        # ids before each rename, oldest first (kustomize's previous*
        # annotations, stored with the effective namespace as kustomize does)
        self.prev = prev if prev is not None else []
        self.prefixes = prefixes if prefixes is not None else []
        self.suffixes = suffixes if suffixes is not None else []
        self.needs_hash = needs_hash
        self.behavior = behavior  # generator behavior: create / merge / replace
        self.generated = generated
        # the config.kubernetes.io/origin annotation (buildMetadata: originAnnotations)
        self.origin_note = origin_note
        # paths of fields written ``key:`` without a value (loader.empty_null_paths):
        # kyaml's merge drops them when a strategic merge patch is applied
        self.empty_nulls = empty_nulls

    def drop_empty_nulls(self, schema) -> None:
        """What kyaml's merge does to the target of a strategic merge patch: it walks
        every map, and the elements of the lists it merges by key (``schema``, an
        :class:`~gitops_lint.render.smp.Schema`, tells which), and drops the fields
        written without a value; other lists are kept whole."""
        for path in self.empty_nulls:
            node, sch = self.obj, schema
            for step in path[:-1]:
                if isinstance(step, int):
                    if sch is None or not sch.keys or not isinstance(node, list) or step >= len(node):
                        node = None
                        break
                    node, sch = node[step], sch.items
                else:
                    node = node.get(step) if isinstance(node, dict) else None
                    sch = sch.fields.get(step) if sch is not None else None
            if isinstance(node, dict) and path[-1] in node and node[path[-1]] is None:
                del node[path[-1]]
        self.empty_nulls = frozenset()

    def copy(self) -> Res:
        """An independent copy (object and bookkeeping)."""
        return Res(
            deep_copy(self.obj),
            self.origin,
            list(self.prev),
            list(self.prefixes),
            list(self.suffixes),
            self.needs_hash,
            self.behavior,
            self.generated,
            self.origin_note,
            self.empty_nulls,
        )

    # -- identity ------------------------------------------------------------
    @property
    def kind(self) -> str:
        return _text(self.obj.get("kind"))

    @property
    def name(self) -> str:
        return _text(meta_of(self.obj).get("name"))

    @property
    def namespace(self) -> str:
        return _text(meta_of(self.obj).get("namespace"))

    def gvk(self) -> tuple[str, str, str]:
        g, v = split_api_version(self.obj.get("apiVersion"))
        return g, v, self.kind

    def cur_id(self) -> ResId:
        # the hottest lookup of a build (every id match, every selection): the helpers
        # (split_api_version, meta_of, _text) inlined, same results
        obj = self.obj
        api = obj.get("apiVersion")
        if not isinstance(api, str):
            api = "" if api is None else str(api)
        g, sep, v = api.rpartition("/")
        if not sep:
            g, v = "", api
        kind = obj.get("kind")
        if type(kind) is not str:
            kind = _text(kind)
        meta = obj.get("metadata")
        if type(meta) is dict:
            ns = meta.get("namespace")
            if type(ns) is not str:
                ns = _text(ns)
            name = meta.get("name")
            if type(name) is not str:
                name = _text(name)
        elif isinstance(meta, dict):
            ns, name = _text(meta.get("namespace")), _text(meta.get("name"))
        else:
            ns = name = ""
        return ResId(g, v, kind, ns, name)

    def org_id(self) -> ResId:
        return self.prev[0] if self.prev else self.cur_id()

    def prev_ids(self) -> list[ResId]:
        """PrevIds: the stored ids, with the *current* group and version."""
        if not self.prev:
            return []
        g, v = split_api_version(self.obj.get("apiVersion"))
        return [ResId(g, v, p.kind, p.namespace, p.name) for p in self.prev]

    def store_previous_id(self) -> None:
        cur = self.cur_id()
        self.prev.append(ResId(cur.group, cur.version, cur.kind, cur.effective_ns(), cur.name))

    def any_id_matches(self, pred) -> bool:
        if self.prev:
            for rid in self.prev_ids():
                if pred(rid):
                    return True
        return pred(self.cur_id())

    def has_name(self, name: str) -> bool:
        """Is ``name`` its current name or one of its previous ones? (Every id match
        compares names, so this is a cheap test before :meth:`any_id_matches`.)"""
        if _text(meta_of(self.obj).get("name")) == name:
            return True
        return any(p.name == name for p in self.prev)

    # -- metadata helpers ------------------------------------------------------
    def meta(self, create: bool = True) -> dict:
        meta = self.obj.get("metadata")
        if not isinstance(meta, dict):
            meta = {}
            if create:
                self.obj["metadata"] = meta
        return meta

    def set_name(self, name: str) -> None:
        self.meta()["name"] = name

    def set_namespace(self, namespace: str) -> None:
        meta = self.meta()
        if namespace:
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)

    def labels(self) -> dict:
        value = meta_of(self.obj).get("labels")
        return value if isinstance(value, dict) else {}

    def annotations(self) -> dict:
        value = meta_of(self.obj).get("annotations")
        return value if isinstance(value, dict) else {}

    def copy_bookkeeping_from(self, other: Res) -> None:
        self.prev = list(other.prev)
        self.prefixes = list(other.prefixes)
        self.suffixes = list(other.suffixes)
        self.needs_hash = other.needs_hash
        self.behavior = other.behavior
