"""Field specs: where kustomize's transformers read and write.

Every builtin transformer (namespace, name prefix, labels, annotations,
images, replicas, name references) is configured by *field specs*: a
group/version/kind selector plus a slash-separated path such as
``spec/template/metadata/labels``. The defaults are kustomize's
(api/konfig/builtinpluginconsts); a kustomization's ``configurations:``
files add more (e.g. a ``nameReference`` so a generated ConfigMap's hashed
name reaches a HelmRelease's ``valuesFrom``).

Traversal follows kustomize's fieldspec filter (api/filters/fieldspec):
a list met on the way is walked element by element with the same remaining
path, ``name[]`` only marks that the field is a list (it is never created),
intermediate maps are created when the spec says ``create``, and a ``null``
met where a container is expected is turned into one.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MAP = "map"
SCALAR = "scalar"


class FieldSpecError(Exception):
    """A path crosses a scalar: kustomize refuses the build."""


_SPLIT = re.compile(r"(?<!\\)/")


def split_path(path: str) -> tuple[tuple[str, bool], ...]:
    """``a/b[]/c\\/d`` -> ((a, False), (b, True), (c/d, False))."""
    out = []
    for part in _SPLIT.split(path) if "\\" in path else path.split("/"):
        part = part.replace("\\/", "/")
        if part.endswith("[]"):
            out.append((part[:-2], True))
        else:
            out.append((part, False))
    return tuple(out)


class FieldSpec:
    """A group/version/kind selector and a path (immutable; ``parts`` is the split path)."""

    __slots__ = ("path", "group", "version", "kind", "create", "parts")

    def __init__(self, path: str, group: str = "", version: str = "", kind: str = "", create: bool = False):
        self.path = path
        self.group = group
        self.version = version
        self.kind = kind
        self.create = create
        self.parts = split_path(path)

    def __repr__(self) -> str:
        return f"FieldSpec({self.path!r}, group={self.group!r}, version={self.version!r}, kind={self.kind!r})"

    def matches(self, group: str, version: str, kind: str) -> bool:
        return (
            (not self.kind or self.kind == kind)
            and (not self.group or self.group == group)
            and (not self.version or self.version == version)
        )

    @classmethod
    def parse(cls, data: dict) -> FieldSpec:
        return cls(
            path=str(data.get("path") or ""),
            group=str(data.get("group") or ""),
            version=str(data.get("version") or ""),
            kind=str(data.get("kind") or ""),
            create=data.get("create") is True,
        )


# A setter gets the container and key of the field the path leads to.
Setter = Callable[[object, object], None]


def apply(obj: dict, spec: FieldSpec, setter: Setter, create_kind: str | None = None) -> None:
    """Call ``setter(container, key)`` for every field ``spec.path`` leads to in ``obj``."""
    _handle_map(obj, spec.parts, 0, spec.create and create_kind is not None, create_kind, setter)


def _walk(container, key, parts, i, create, create_kind, setter) -> None:
    if i == len(parts):
        setter(container, key)
        return
    value = container[key]
    if value is None:
        return
    if isinstance(value, dict):
        _handle_map(value, parts, i, create, create_kind, setter)
    elif isinstance(value, list):
        for idx in range(len(value)):
            _walk(value, idx, parts, i, create, create_kind, setter)
    else:
        raise FieldSpecError("expected sequence or mapping node")


def _handle_map(m: dict, parts, i, create, create_kind, setter) -> None:
    name, is_seq = parts[i]
    if not name:
        raise FieldSpecError("cannot set or create an empty field name")
    last = i == len(parts) - 1
    if name not in m:
        if not create or is_seq:
            return
        m[name] = ("" if create_kind == SCALAR else {}) if last else {}
    elif m[name] is None:
        # kustomize turns a null it meets into the node kind it expects
        if is_seq:
            m[name] = []
        elif create:
            m[name] = ("" if create_kind == SCALAR else {}) if last else {}
    _walk(m, name, parts, i + 1, create, create_kind, setter)


def has_field(obj: dict, spec: FieldSpec) -> bool:
    """Whether the first element of the path exists (kustomize's resHasField
    optimisation only checks that the referrer could hold the field)."""
    cur: object = obj
    for name, _ in spec.parts:
        if isinstance(cur, list):
            return True
        if not isinstance(cur, dict) or name not in cur:
            return False
        cur = cur[name]
    return True


# -- default configuration (api/konfig/builtinpluginconsts) -----------------------


def _fs(path: str, kind: str = "", group: str = "", version: str = "", create: bool = False) -> FieldSpec:
    return FieldSpec(path=path, group=group, version=version, kind=kind, create=create)


NAME_PREFIX = [_fs("metadata/name")]

_WORKLOAD_TEMPLATE = [
    ("ReplicationController", "", "v1"),
    ("Deployment", "", ""),
    ("ReplicaSet", "", ""),
    ("DaemonSet", "", ""),
    ("StatefulSet", "apps", ""),
    ("Job", "batch", ""),
]

_AFFINITY_SELECTORS = [
    "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
    "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
]

METADATA_LABELS = [
    _fs("metadata/labels", create=True),
    *[_fs("spec/template/metadata/labels", k, g, v, create=True) for k, g, v in _WORKLOAD_TEMPLATE],
    _fs("spec/volumeClaimTemplates[]/metadata/labels", "StatefulSet", "apps", create=True),
    _fs("spec/jobTemplate/metadata/labels", "CronJob", "batch", create=True),
    _fs("spec/jobTemplate/spec/template/metadata/labels", "CronJob", "batch", create=True),
]

COMMON_LABELS = [
    _fs("spec/selector", "Service", version="v1", create=True),
    _fs("spec/selector", "ReplicationController", version="v1", create=True),
    _fs("spec/selector/matchLabels", "Deployment", create=True),
    *[_fs(p, "Deployment", "apps") for p in _AFFINITY_SELECTORS],
    _fs("spec/selector/matchLabels", "ReplicaSet", create=True),
    _fs("spec/selector/matchLabels", "DaemonSet", create=True),
    _fs("spec/selector/matchLabels", "StatefulSet", "apps", create=True),
    *[_fs(p, "StatefulSet", "apps") for p in _AFFINITY_SELECTORS],
    _fs("spec/selector/matchLabels", "Job", "batch"),
    _fs("spec/jobTemplate/spec/selector/matchLabels", "CronJob", "batch"),
    _fs("spec/selector/matchLabels", "PodDisruptionBudget", "policy"),
    _fs("spec/podSelector/matchLabels", "NetworkPolicy", "networking.k8s.io"),
    _fs("spec/ingress/from/podSelector/matchLabels", "NetworkPolicy", "networking.k8s.io"),
    _fs("spec/egress/to/podSelector/matchLabels", "NetworkPolicy", "networking.k8s.io"),
    *METADATA_LABELS,
]

TEMPLATE_LABELS = list(METADATA_LABELS)

COMMON_ANNOTATIONS = [
    _fs("metadata/annotations", create=True),
    *[_fs("spec/template/metadata/annotations", k, g, v, create=True) for k, g, v in _WORKLOAD_TEMPLATE],
    _fs("spec/jobTemplate/metadata/annotations", "CronJob", "batch", create=True),
    _fs("spec/jobTemplate/spec/template/metadata/annotations", "CronJob", "batch", create=True),
]

NAMESPACE = [
    # metadata/namespace and RoleBinding subjects are implemented in code
    # (transform.py), as kustomize's namespace filter does ("hacks").
    _fs("metadata/name", "Namespace", create=True),
    _fs("spec/service/namespace", "APIService", "apiregistration.k8s.io", create=True),
    _fs(
        "spec/conversion/webhook/clientConfig/service/namespace",
        "CustomResourceDefinition",
        "apiextensions.k8s.io",
    ),
]

IMAGES = [
    _fs("spec/containers[]/image"),
    _fs("spec/initContainers[]/image"),
    _fs("spec/template/spec/containers[]/image"),
    _fs("spec/template/spec/initContainers[]/image"),
]

REPLICAS = [
    _fs("spec/replicas", "Deployment", create=True),
    _fs("spec/replicas", "ReplicationController", create=True),
    _fs("spec/replicas", "ReplicaSet", create=True),
    _fs("spec/replicas", "StatefulSet", create=True),
]


class NameBackRef:
    """A referenced kind and the fields (of other kinds) that hold its name."""

    __slots__ = ("group", "version", "kind", "referrers")

    def __init__(self, group: str, version: str, kind: str, referrers: list[FieldSpec]):
        self.group = group
        self.version = version
        self.kind = kind
        self.referrers = referrers


_POD_CONFIGMAP = [
    "volumes/configMap/name",
    "containers/env/valueFrom/configMapKeyRef/name",
    "initContainers/env/valueFrom/configMapKeyRef/name",
    "containers/envFrom/configMapRef/name",
    "initContainers/envFrom/configMapRef/name",
    "volumes/projected/sources/configMap/name",
]
_POD_SECRET = [
    "volumes/secret/secretName",
    "containers/env/valueFrom/secretKeyRef/name",
    "initContainers/env/valueFrom/secretKeyRef/name",
    "containers/envFrom/secretRef/name",
    "initContainers/envFrom/secretRef/name",
    "imagePullSecrets/name",
    "volumes/projected/sources/secret/name",
]
_TEMPLATED = ["Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job"]


def _pod_refs(paths: list[str], cronjob_paths: list[str] | None = None) -> list[FieldSpec]:
    out = [_fs(f"spec/{p}", "Pod", version="v1") for p in paths]
    for kind in _TEMPLATED:
        out += [_fs(f"spec/template/spec/{p}", kind) for p in paths]
    out += [_fs(f"spec/jobTemplate/spec/template/spec/{p}", "CronJob") for p in cronjob_paths or paths]
    return out


def _sa_like(path: str) -> list[FieldSpec]:
    return [
        _fs(f"spec/{path}", "Pod"),
        _fs(f"spec/template/spec/{path}", "StatefulSet"),
        _fs(f"spec/template/spec/{path}", "Deployment"),
        _fs(f"spec/template/spec/{path}", "ReplicationController"),
        _fs(f"spec/jobTemplate/spec/template/spec/{path}", "CronJob"),
        _fs(f"spec/template/spec/{path}", "Job"),
        _fs(f"spec/template/spec/{path}", "DaemonSet"),
    ]


NAME_REFERENCE: list[NameBackRef] = [
    *[
        NameBackRef("", "", k, [_fs("spec/scaleTargetRef/name", "HorizontalPodAutoscaler")])
        for k in ("Deployment", "ReplicationController", "ReplicaSet", "StatefulSet")
    ],
    NameBackRef(
        "",
        "v1",
        "ConfigMap",
        [
            *_pod_refs(
                _POD_CONFIGMAP,
                [
                    "volumes/configMap/name",
                    "volumes/projected/sources/configMap/name",
                    "containers/env/valueFrom/configMapKeyRef/name",
                    "initContainers/env/valueFrom/configMapKeyRef/name",
                    "containers/envFrom/configMapRef/name",
                    "initContainers/envFrom/configMapRef/name",
                ],
            ),
            _fs("spec/configSource/configMap", "Node"),
            _fs("rules/resourceNames", "Role"),
            _fs("rules/resourceNames", "ClusterRole"),
            _fs("metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap", "Ingress"),
            _fs(
                "spec/template/spec/containers/env/valueFrom/configMapKeyRef/name",
                "Service",
                "serving.knative.dev",
                "v1",
            ),
            _fs(
                "spec/template/spec/containers/envFrom/configMapRef/name",
                "Service",
                "serving.knative.dev",
                "v1",
            ),
        ],
    ),
    NameBackRef(
        "",
        "v1",
        "Secret",
        [
            *_pod_refs(
                _POD_SECRET,
                [
                    "volumes/secret/secretName",
                    "volumes/projected/sources/secret/name",
                    "containers/env/valueFrom/secretKeyRef/name",
                    "initContainers/env/valueFrom/secretKeyRef/name",
                    "containers/envFrom/secretRef/name",
                    "initContainers/envFrom/secretRef/name",
                    "imagePullSecrets/name",
                ],
            ),
            _fs("spec/tls/secretName", "Ingress"),
            _fs("metadata/annotations/ingress.kubernetes.io\\/auth-secret", "Ingress"),
            _fs("metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret", "Ingress"),
            _fs("metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret", "Ingress"),
            _fs("imagePullSecrets/name", "ServiceAccount"),
            _fs("parameters/secretName", "StorageClass"),
            _fs("parameters/adminSecretName", "StorageClass"),
            _fs("parameters/userSecretName", "StorageClass"),
            _fs("parameters/secretRef", "StorageClass"),
            _fs("rules/resourceNames", "Role"),
            _fs("rules/resourceNames", "ClusterRole"),
            _fs(
                "spec/template/spec/containers/env/valueFrom/secretKeyRef/name",
                "Service",
                "serving.knative.dev",
                "v1",
            ),
            _fs("spec/azureFile/secretName", "PersistentVolume"),
        ],
    ),
    NameBackRef(
        "",
        "v1",
        "Service",
        [
            _fs("spec/serviceName", "StatefulSet", "apps"),
            _fs("spec/rules/http/paths/backend/serviceName", "Ingress"),
            _fs("spec/backend/serviceName", "Ingress"),
            _fs("spec/rules/http/paths/backend/service/name", "Ingress"),
            _fs("spec/defaultBackend/service/name", "Ingress"),
            _fs("spec/service/name", "APIService", "apiregistration.k8s.io"),
            _fs(
                "webhooks/clientConfig/service",
                "ValidatingWebhookConfiguration",
                "admissionregistration.k8s.io",
            ),
            _fs(
                "webhooks/clientConfig/service",
                "MutatingWebhookConfiguration",
                "admissionregistration.k8s.io",
            ),
        ],
    ),
    NameBackRef(
        "rbac.authorization.k8s.io",
        "",
        "Role",
        [_fs("roleRef/name", "RoleBinding", "rbac.authorization.k8s.io")],
    ),
    NameBackRef(
        "rbac.authorization.k8s.io",
        "",
        "ClusterRole",
        [
            _fs("roleRef/name", "RoleBinding", "rbac.authorization.k8s.io"),
            _fs("roleRef/name", "ClusterRoleBinding", "rbac.authorization.k8s.io"),
        ],
    ),
    NameBackRef(
        "",
        "v1",
        "ServiceAccount",
        [
            _fs("subjects", "RoleBinding", "rbac.authorization.k8s.io"),
            _fs("subjects", "ClusterRoleBinding", "rbac.authorization.k8s.io"),
            *_sa_like("serviceAccountName"),
        ],
    ),
    NameBackRef(
        "",
        "v1",
        "PersistentVolumeClaim",
        _sa_like("volumes/persistentVolumeClaim/claimName"),
    ),
    NameBackRef(
        "",
        "v1",
        "PersistentVolume",
        [_fs("spec/volumeName", "PersistentVolumeClaim"), _fs("rules/resourceNames", "ClusterRole")],
    ),
    NameBackRef(
        "storage.k8s.io",
        "v1",
        "StorageClass",
        [
            _fs("spec/storageClassName", "PersistentVolume"),
            _fs("spec/storageClassName", "PersistentVolumeClaim"),
            _fs("spec/volumeClaimTemplates/spec/storageClassName", "StatefulSet"),
        ],
    ),
    NameBackRef(
        "scheduling.k8s.io",
        "v1",
        "PriorityClass",
        _sa_like("priorityClassName"),
    ),
    NameBackRef(
        "networking.k8s.io/v1",
        "",
        "IngressClass",
        [_fs("spec/ingressClassName", "Ingress")],
    ),
]


_ATTRS = (
    "name_prefix",
    "name_suffix",
    "common_labels",
    "template_labels",
    "common_annotations",
    "namespace",
    "images",
    "replicas",
)
_PART_IDS = iter(range(1, 1 << 62))


class TransformerConfig:
    """kustomize's builtinconfig.TransformerConfig: field specs per transformer.

    Configs are treated as immutable once built: :meth:`merged` returns a
    new config (or one of its operands when one already contains the
    other), so the default config shared by every kustomization is merged
    once, not once per kustomization.
    """

    __slots__ = (*_ATTRS, "name_reference", "parts", "_nameref_index")

    def __init__(
        self,
        name_prefix: list[FieldSpec],
        name_suffix: list[FieldSpec],
        common_labels: list[FieldSpec],
        template_labels: list[FieldSpec],
        common_annotations: list[FieldSpec],
        namespace: list[FieldSpec],
        name_reference: list[NameBackRef],
        images: list[FieldSpec],
        replicas: list[FieldSpec],
        parts: frozenset[int] = frozenset(),
    ):
        self.name_prefix = name_prefix
        self.name_suffix = name_suffix
        self.common_labels = common_labels
        self.template_labels = template_labels
        self.common_annotations = common_annotations
        self.namespace = namespace
        self.name_reference = name_reference
        self.images = images
        self.replicas = replicas
        # the atomic configs (defaults, each configurations file) merged in
        self.parts = parts
        self._nameref_index = None

    @classmethod
    def default(cls) -> TransformerConfig:
        return DEFAULT

    @classmethod
    def empty(cls) -> TransformerConfig:
        return EMPTY

    @classmethod
    def atomic(cls) -> TransformerConfig:
        """A fresh, empty config to fill from one ``configurations`` file."""
        return cls([], [], [], [], [], [], [], [], [], frozenset({next(_PART_IDS)}))

    def merged(self, other: TransformerConfig) -> TransformerConfig:
        """MergeConfig: union of the field specs, name references merged by kind."""
        if other.parts <= self.parts:
            return self
        if self.parts <= other.parts:
            return other
        out = TransformerConfig(
            *(list(getattr(self, a)) for a in _ATTRS[:6]),
            [NameBackRef(b.group, b.version, b.kind, list(b.referrers)) for b in self.name_reference],
            list(self.images),
            list(self.replicas),
            parts=self.parts | other.parts,
        )
        out.absorb(other)
        return out

    def absorb(self, other: TransformerConfig) -> None:
        """In-place merge, used while a config is being built."""
        for attr in _ATTRS:
            merge_specs(getattr(self, attr), getattr(other, attr))
        for ref in other.name_reference:
            for mine in self.name_reference:
                if (mine.group, mine.version, mine.kind) == (ref.group, ref.version, ref.kind):
                    merge_specs(mine.referrers, ref.referrers)
                    break
            else:
                self.name_reference.append(NameBackRef(ref.group, ref.version, ref.kind, list(ref.referrers)))

    def nameref_index(self) -> tuple[dict[str, list[tuple[FieldSpec, NameBackRef]]], list]:
        """Referrer field specs by referrer kind (and those for any kind)."""
        if self._nameref_index is None:
            by_kind: dict[str, list[tuple[FieldSpec, NameBackRef]]] = {}
            generic: list[tuple[FieldSpec, NameBackRef]] = []
            for backref in self.name_reference:
                for spec in backref.referrers:
                    if spec.kind:
                        by_kind.setdefault(spec.kind, []).append((spec, backref))
                    else:
                        generic.append((spec, backref))
            self._nameref_index = (by_kind, generic)
        return self._nameref_index


DEFAULT = TransformerConfig(
    list(NAME_PREFIX),
    list(NAME_PREFIX),
    list(COMMON_LABELS),
    list(TEMPLATE_LABELS),
    list(COMMON_ANNOTATIONS),
    list(NAMESPACE),
    list(NAME_REFERENCE),
    list(IMAGES),
    list(REPLICAS),
    parts=frozenset({0}),
)
EMPTY = TransformerConfig([], [], [], [], [], [], [], [], [], parts=frozenset())


def merge_specs(into: list[FieldSpec], more: list[FieldSpec]) -> None:
    """FsSlice.MergeAll: append the specs not already present (same gvk and path)."""
    have = {(s.group, s.version, s.kind, s.path) for s in into}
    for spec in more:
        key = (spec.group, spec.version, spec.kind, spec.path)
        if key not in have:
            have.add(key)
            into.append(spec)


_CONFIG_KEYS = {
    "namePrefix": "name_prefix",
    "nameSuffix": "name_suffix",
    "commonLabels": "common_labels",
    "templateLabels": "template_labels",
    "commonAnnotations": "common_annotations",
    "namespace": "namespace",
    "images": "images",
    "replicas": "replicas",
}


def parse_config(data: dict, into: TransformerConfig) -> TransformerConfig:
    """A ``configurations:`` file (kustomize's TransformerConfig YAML), added to ``into``."""
    cfg = into
    for key, attr in _CONFIG_KEYS.items():
        for item in data.get(key) or []:
            if isinstance(item, dict):
                getattr(cfg, attr).append(FieldSpec.parse(item))
    for item in data.get("nameReference") or []:
        if not isinstance(item, dict):
            continue
        group, version = "", ""
        if item.get("group"):
            group = str(item["group"])
        if item.get("version"):
            version = str(item["version"])
        api = item.get("apiVersion")
        if isinstance(api, str) and api:
            group, _, version = api.rpartition("/") if "/" in api else ("", "", api)
        refs = [FieldSpec.parse(fs) for fs in item.get("fieldSpecs") or [] if isinstance(fs, dict)]
        cfg.absorb(
            TransformerConfig(
                [],
                [],
                [],
                [],
                [],
                [],
                [NameBackRef(group, version, str(item.get("kind") or ""), refs)],
                [],
                [],
            )
        )
    return cfg
