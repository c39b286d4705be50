"""GL603 missing-namespace: a namespaced object reaches the apply with no namespace.

kustomize-controller does not default an object's namespace to the
Kustomization's (fluxcd/pkg ssa: ``namespace not specified``): without a
kustomize ``namespace``, a Flux ``targetNamespace`` or ``metadata.namespace``
the whole apply fails. Whether a kind is namespaced comes from the built-in
kinds table or the CRD (or XRD) in the repository; a kind whose scope nothing
here states (a chart's CRD, an unknown kind) is not judged.
"""

from __future__ import annotations

from ..core.data import Severity, group_of
from .base import Context, Hit, Rule


def check(ctx: Context):
    index = ctx.crd_index
    for ro in ctx.cluster.objects:
        if ro.applied_by is None or ro.applied_by.kind != "Kustomization":
            continue  # a ResourceSet's objects: flux-operator's apply, not kustomize-controller's
        meta = ro.obj.get("metadata")
        if isinstance(meta, dict) and meta.get("namespace"):
            continue
        kind = str(ro.obj.get("kind") or "")
        if index.namespaced(group_of(str(ro.obj.get("apiVersion") or "")), kind) is not True:
            continue
        ks = ro.applied_by
        yield Hit(
            f"{kind} {ro.ref.name} is namespaced but has no namespace, and Kustomization "
            f"{ks.namespace}/{ks.name} gives it none (no targetNamespace, no kustomize namespace): "
            "Flux does not default it and the apply fails",
            origin=ro.origin,
            path=("metadata",),
            object=ro.ref,
        )


RULE = Rule(
    "missing-namespace",
    "GL603",
    Severity.ERROR,
    "a namespaced object reaches the apply without a namespace",
    check,
    reads=frozenset({"crd_index"}),
)
