"""GL601 duplicate-object: two Flux Kustomizations apply the same object.

Each apply relabels the object with its own owner labels, so the two
Kustomizations fight over it on every reconciliation, and pruning one of
them deletes what the other still wants (flux2#2360).
"""

from __future__ import annotations

from collections import defaultdict

from ..model import Severity
from .base import Context, Hit, Rule


def _target(cluster, ro) -> str:
    """The cluster an object is applied to: a Kustomization with ``spec.kubeConfig``
    applies to a remote cluster (hub-and-spoke), where the same identity is
    another object."""
    ks = cluster.kustomizations.get(ro.applied_by.key())
    kube = ks.spec.get("kubeConfig") if ks is not None else None
    return f"{ks.ref.namespace}:{sorted(kube.items())!r}" if isinstance(kube, dict) else ""


def check(ctx: Context):
    cluster = ctx.cluster
    by_identity = defaultdict(list)
    for ro in cluster.objects:
        if ro.applied_by is None:
            continue
        ref = ro.ref
        if ref.key() == ro.applied_by.key():
            continue  # the bootstrap Kustomization applies itself
        by_identity[(_target(cluster, ro), *ref.key())].append(ro)
    for key in sorted(by_identity):
        group = sorted(by_identity[key], key=lambda ro: (ro.applied_by, ro.origin.file, ro.origin.line))
        owners = []
        for ro in group:
            if ro.applied_by not in owners:
                owners.append(ro.applied_by)
        if len(owners) < 2:
            continue
        first = owners[0]
        reported = {first}
        for ro in group:
            if ro.applied_by in reported:
                continue
            reported.add(ro.applied_by)
            yield Hit(
                f"{ro.ref.display()} is applied by Kustomization {ro.applied_by.namespace}/"
                f"{ro.applied_by.name} and also by Kustomization {first.namespace}/{first.name}: "
                "they overwrite each other and either may prune it",
                origin=ro.origin,
                object=ro.ref,
            )


RULE = Rule("duplicate-object", "GL601", Severity.ERROR, "two Kustomizations apply the same object", check)
