"""Output order of a build (kustomize's SortOrderTransformer).

kustomize v5 sorts the output with the *legacy* order unless the top-level
kustomization's ``sortOptions`` asks for ``fifo`` (accumulation order):
kinds of ``orderFirst`` come first in that order, kinds of ``orderLast``
last, every other kind in between; ties are broken by the string
``group_version_kind`` (``~G``/``~V`` standing for an empty group/version),
then by ``GVK|namespace|name`` (``~X`` for no namespace), compared as
strings; between two kinds named ``Namespace`` where one is the core
Namespace, the ``group_version_kind`` comparison is reversed (kustomize
sortordertransformer.go ``gvkLessThan``), so the core one comes first.
"""

from __future__ import annotations

from functools import cmp_to_key

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
        return (ranks.get(rid.kind, 0), gvk, f"{gvk}|{rid.namespace or '~X'}|{rid.name or '~N'}", rid)

    def compare(a: tuple, b: tuple) -> int:
        if a[:2] == b[:2]:
            return (a[2] > b[2]) - (a[2] < b[2])
        if a[0] != b[0]:
            return -1 if a[0] < b[0] else 1
        ga, gb = a[3], b[3]
        if ga.kind == gb.kind == "Namespace" and (not ga.group or not gb.group):
            # kustomize's gvkLessThan: between two Namespace kinds, one of them core,
            # the comparison is reversed (the core Namespace comes first)
            return -1 if a[1] > b[1] else 1
        return -1 if a[1] < b[1] else 1

    keyed = sorted(((key(r), r) for r in resources), key=cmp_to_key(lambda x, y: compare(x[0], y[0])))
    return [r for _, r in keyed]


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
