"""Output order of a build (kustomize's SortOrderTransformer).

kustomize v5 sorts the output with the *legacy* order unless the top-level
kustomization's ``sortOptions`` asks for ``fifo`` (accumulation order):
kinds of ``orderFirst`` come first in that order, kinds of ``orderLast``
last, every other kind in between; ties are broken by the string
``group_version_kind`` (``~G``/``~V`` standing for an empty group/version),
then by ``GVK|namespace|name`` (``~X`` for no namespace), compared as
strings.
"""

from __future__ import annotations

from .resource import Res

ORDER_FIRST = (
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
)
ORDER_LAST = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")


def _gvk_string(group: str, version: str, kind: str) -> str:
    return f"{group or '~G'}_{version or '~V'}_{kind or '~K'}"


def legacy_sort(resources: list[Res], first=ORDER_FIRST, last=ORDER_LAST) -> list[Res]:
    ranks: dict[str, int] = {}
    for i, kind in enumerate(first):
        ranks[kind] = -len(first) + i
    for i, kind in enumerate(last):
        ranks[kind] = 1 + i

    def key(res: Res):
        rid = res.cur_id()
        gvk = _gvk_string(rid.group, rid.version, rid.kind)
        return (ranks.get(rid.kind, 0), gvk, f"{gvk}|{rid.namespace or '~X'}|{rid.name or '~N'}")

    return sorted(resources, key=key)


def sort_resources(resources: list[Res], sort_options: object) -> list[Res]:
    if isinstance(sort_options, dict):
        if sort_options.get("order") == "fifo":
            return list(resources)
        legacy = sort_options.get("legacySortOptions")
        if isinstance(legacy, dict):
            first = tuple(str(k) for k in legacy.get("orderFirst") or [])
            last = tuple(str(k) for k in legacy.get("orderLast") or [])
            return legacy_sort(resources, first, last)
    return legacy_sort(resources)
