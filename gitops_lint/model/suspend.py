"""Suspended Kustomizations: the part of a cluster Flux does not apply.

kustomize-controller does not reconcile a Kustomization with
``spec.suspend: true``: it neither builds, applies nor prunes its content
(``Reconcile`` returns early when ``spec.suspend`` is set). The Kustomizations
it would apply do not exist on a cluster built from Git; on a running cluster
they exist only as an earlier revision left them, which Git no longer shows.
Either way nothing of the subtree is what Git describes, so no finding about
it is a proof: rules report nothing under it, and one info line (kustomize-
build) says what was skipped. The suspended Kustomization itself is applied
by its parent as usual (its own document is checked).

Objects of the subtree still count as providers (a CRD, a HelmRelease):
suspension is usually temporary and the cluster most likely has them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..core.data import ObjectRef, Origin

if TYPE_CHECKING:
    from .cluster import Cluster, FluxKustomization


def is_suspended(ks: FluxKustomization) -> bool:
    return ks.spec.get("suspend") is True


def _top_suspended(kustomizations: dict, ks: FluxKustomization) -> ObjectRef | None:
    """The furthest suspended ancestor of ``ks`` (itself included), walking parents
    until one repeats (the slow path, only for a cycle of parents)."""
    chain = []
    cur: FluxKustomization | None = ks
    seen: set[tuple] = set()
    while cur is not None and cur.ref.key() not in seen:
        seen.add(cur.ref.key())
        chain.append(cur)
        cur = kustomizations.get(cur.parent.key()) if cur.parent is not None else None
    top = next((c for c in reversed(chain) if is_suspended(c)), None)
    return top.ref if top is not None else None


def suspended_roots(cluster: Cluster) -> dict[tuple, ObjectRef]:
    """Every Kustomization of a suspended subtree -> the suspended Kustomization
    at its top (itself when it is suspended and no ancestor is).

    Each Kustomization's answer is remembered, so a chain of 10,000
    Kustomizations each applying the next is walked once, not once per link.
    """
    kustomizations = cluster.kustomizations
    top: dict[tuple, ObjectRef | None] = {}
    for ks in kustomizations.values():
        if ks.ref.key() in top:
            continue
        chain: list[FluxKustomization] = []
        on_chain: set[tuple] = set()
        cur: FluxKustomization | None = ks
        cycle = False
        while cur is not None:
            k = cur.ref.key()
            if k in top:
                break
            if k in on_chain:
                cycle = True
                break
            on_chain.add(k)
            chain.append(cur)
            cur = kustomizations.get(cur.parent.key()) if cur.parent is not None else None
        if cycle:
            for c in chain:
                top[c.ref.key()] = _top_suspended(kustomizations, c)
            continue
        above = top[cur.ref.key()] if cur is not None else None
        for c in reversed(chain):  # from the top down: the first suspended one stays the top
            if above is None and is_suspended(c):
                above = c.ref
            top[c.ref.key()] = above
    out: dict[tuple, ObjectRef] = {}
    for key, ks in kustomizations.items():
        found = top[ks.ref.key()]
        if found is not None:
            out[key] = found
    return out


@dataclass(frozen=True)
class Skipped:
    """Where findings of a suspended subtree would point: the documents of its
    objects, and the build issues of its Kustomizations, unless something
    Flux does apply shares them (a component used by both)."""

    origins: frozenset[Origin]
    positions: frozenset[tuple[str, int]]

    @classmethod
    def of(cls, cluster: Cluster) -> Skipped:
        under = suspended_roots(cluster)
        if not under:
            return cls(frozenset(), frozenset())
        skipped_o, active_o = set(), set()
        skipped_p, active_p = set(), set()
        for key, ks in cluster.kustomizations.items():
            origins, positions = (skipped_o, skipped_p) if key in under else (active_o, active_p)
            origins.update(ro.origin for ro in ks.objects)
            positions.update((i.file, i.line) for i in ks.build_issues if i.file)
        return cls(frozenset(skipped_o - active_o), frozenset(skipped_p - active_p))

    def covers(self, origin: Origin | None, file: str | None, line: int | None) -> bool:
        if origin is not None:
            return origin in self.origins
        return file is not None and (file, line or 1) in self.positions
