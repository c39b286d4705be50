"""GL601 duplicate-object: two Flux Kustomizations apply the same object.

kustomize-controller labels every object it applies with its owner
(``kustomize.toolkit.fluxcd.io/name`` and ``/namespace``) and keeps it in
the Kustomization's inventory. Two Kustomizations applying one object
relabel it on every reconciliation (each sees drift the other made), and
garbage collection follows the inventory: removing the object from one of
them, or deleting that Kustomization with ``prune: true``, deletes what the
other still applies (FLUX-SEMANTICS.md §2.6, flux2#2360).

Identities are compared after substitution, as Flux applies them: objects
whose name differs only through per-Kustomization variables are distinct,
and an identity that still holds a variable gitops-lint could not resolve is
not a proven duplicate (unresolved-variable says why). A copy Flux does not
take ownership of (``kustomize.toolkit.fluxcd.io/ssa: IfNotPresent`` or
``Ignore``, ``reconcile: disabled``) is no claim, nor is anything under a
suspended Kustomization. One object written once and applied by several
Kustomizations (a shared component) is one finding naming them all.
"""

from __future__ import annotations

from collections import defaultdict

from ..core.data import Severity
from ..model.suspend import suspended_roots
from .base import Context, Hit, Rule

SHOWN = 3
NOT_OWNED = {"ssa": ("ifnotpresent", "ignore"), "reconcile": ("disabled",)}
_NOT_OWNED = tuple((f"kustomize.toolkit.fluxcd.io/{name}", values) for name, values in NOT_OWNED.items())


def _target(cluster, owner: tuple) -> str:
    """The cluster an object is applied to: a Kustomization with ``spec.kubeConfig``
    applies to a remote cluster (hub-and-spoke), where the same identity is
    another object."""
    ks = cluster.kustomizations.get(owner)
    kube = ks.fields.kube_config if ks is not None else None
    return f"{ks.ref.namespace}:{sorted(kube.items())!r}" if isinstance(kube, dict) else ""


def _claims(obj: dict) -> bool:
    """Does Flux take ownership of this object when it applies it?"""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return True
    for key in ("annotations", "labels"):
        marks = meta.get(key)
        if not isinstance(marks, dict) or not marks:
            continue
        for mark, values in _NOT_OWNED:
            value = marks.get(mark)
            if isinstance(value, str) and value.lower() in values:
                return False
    return True


def _known_identity(ro, ref) -> bool:
    if "${" in ref.name or "${" in ref.namespace:
        return False
    return not any(path[:2] in (("metadata", "name"), ("metadata", "namespace")) for _, path in ro.unresolved)


def check(ctx: Context):
    cluster = ctx.cluster
    skipped = suspended_roots(cluster)
    by_identity = defaultdict(list)
    for ro in cluster.objects:
        if ro.applied_by is None:
            continue
        owner = ro.applied_by.key()
        if owner in skipped:
            continue
        ref = ro.ref
        identity = ref.key()
        if identity == owner:
            continue  # the bootstrap Kustomization applies itself
        if not _known_identity(ro, ref) or not _claims(ro.obj):
            continue
        by_identity[(_target(cluster, owner), *identity)].append(ro)
    # one copy, one owner (most objects): only the others are sorted and looked at
    for key in sorted(key for key, copies in by_identity.items() if len(copies) > 1):
        group = sorted(by_identity[key], key=lambda ro: (ro.applied_by, ro.origin.file, ro.origin.line))
        # owners in order, each once: dicts, not lists (3,200 Kustomizations applying one
        # directory made the membership tests quadratic)
        owners = list(dict.fromkeys(ro.applied_by for ro in group))
        if len(owners) < 2:
            continue
        first = owners[0]
        # one finding per place the object is written, naming the other owners that apply it from there
        by_origin: dict = {}
        for ro in group:
            if ro.applied_by != first:
                by_origin.setdefault(ro.origin, {})[ro.applied_by] = None
        for origin, others in by_origin.items():
            names = [f"{o.namespace}/{o.name}" for o in others]
            shown = ", ".join(names[:SHOWN]) + (
                f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
            )
            yield Hit(
                f"{group[0].ref.display()} is applied by Kustomization{'s' * (len(others) > 1)} {shown} "
                f"and also by Kustomization {first.namespace}/{first.name}: they overwrite each other's "
                "ownership and either may prune it; let one Kustomization apply it",
                origin=origin,
                object=group[0].ref,
            )


RULE = Rule("duplicate-object", "GL601", Severity.ERROR, "two Kustomizations apply the same object", check)
