"""GL202 crd-order: an object can reach the cluster before its CRD does.

Flux orders Kustomizations in two ways, and only these:

- ``dependsOn``: X starts only when every dependency is Ready (applied; and
  healthy when the dependency has ``wait: true`` or ``healthChecks``,
  FLUX-SEMANTICS.md §2.4);
- being applied: a child Kustomization does not exist until its parent
  applies it, and the parent applies nothing before its own dependencies are
  Ready. So a child starts after everything its parent waited for, and after
  the parent's CRDs (applied and established first, §2.5).

A CRD rendered by Kustomization P is served once P has applied: X is fine when
X is P, depends on P, or comes after P in the sense above. A CRD installed by
a HelmRelease H (or created by Crossplane from an XRD or a Provider package)
appears only once that controller has acted: X must depend on a Kustomization
whose Ready status waits for H (``wait: true`` on the Kustomization applying H,
or a ``healthChecks`` entry on H or on a workload in H's namespace). Depending
on the Kustomization that applies H without such a wait is the subtle case: a
warning that names the exact fix.
"""

from __future__ import annotations

from collections import deque

from ..crds import HELM, PACKAGE, XRD, Provider, crd_index, custom_objects, target_of
from ..graph import NodeKey, node_key
from ..model import FLUX_HELM_GROUP, FLUX_KS_GROUP, ObjectRef, Severity, group_of
from .base import Context, Hit, Rule

OK, WARN, ERROR = 0, 1, 2
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")


class Ordering:
    """What must have happened before a Kustomization starts, from the graph."""

    def __init__(self, graph):
        self.graph = graph
        self._applied: dict[NodeKey, frozenset[NodeKey]] = {}
        self._before: dict[NodeKey, tuple[frozenset[NodeKey], frozenset[NodeKey]]] = {}

    def applied_after(self, key: NodeKey) -> frozenset[NodeKey]:
        """Kustomizations that have applied before ``key`` starts: its dependencies
        and parents, and theirs, transitively."""
        cached = self._applied.get(key)
        if cached is not None:
            return cached
        graph = self.graph
        seen: set[NodeKey] = set()
        queue = deque([key])
        while queue:
            cur = queue.popleft()
            if cur not in graph:
                continue
            nxt = [v for v in graph.successors(cur) if "depends_index" in graph.edges[cur, v]]
            nxt += [u for u in graph.predecessors(cur) if graph.edges[u, cur].get("applies")]
            for n in nxt:
                if n not in seen and n != key:
                    seen.add(n)
                    queue.append(n)
        result = frozenset(seen)
        self._applied[key] = result
        return result

    def _deps(self, key: NodeKey) -> list[NodeKey]:
        graph = self.graph
        if key not in graph:
            return []
        return [v for v in graph.successors(key) if "depends_index" in graph.edges[key, v]]

    def _waited_children(self, key: NodeKey) -> list[NodeKey]:
        """Kustomizations whose Ready a Kustomization's own Ready waits for:
        with ``wait: true`` every child it applies, else those its
        ``healthChecks`` name."""
        graph = self.graph
        if key not in graph:
            return []
        spec = graph.nodes[key]["obj"].get("spec")
        spec = spec if isinstance(spec, dict) else {}
        children = [
            v for v in graph.successors(key) if graph.edges[key, v].get("applies") and v[0] == "Kustomization"
        ]
        if spec.get("wait") is True:
            return children
        named = set()
        for hc in spec.get("healthChecks") or []:
            if (
                isinstance(hc, dict)
                and hc.get("kind") == "Kustomization"
                and group_of(str(hc.get("apiVersion") or "apps/v1")) == FLUX_KS_GROUP
            ):
                named.add(("Kustomization", str(hc.get("namespace") or ""), str(hc.get("name", ""))))
        return [v for v in children if v in named]

    def before(self, key: NodeKey) -> tuple[frozenset[NodeKey], frozenset[NodeKey]]:
        """(applied, ready): Kustomizations that have applied, and that were
        Ready, before ``key`` starts. Ready ones are those ``key`` or anything
        applied before it names in ``dependsOn``, and, since a Ready
        Kustomization was started and waited for what it waits for, their own
        dependencies, parents and waited-for children."""
        cached = self._before.get(key)
        if cached is not None:
            return cached
        applied = set(self.applied_after(key))
        ready: set[NodeKey] = set()
        queue = deque(d for u in {key} | applied for d in self._deps(u))
        while queue:
            r = queue.popleft()
            if r in ready:
                continue
            ready.add(r)
            upstream = self.applied_after(r)
            applied.add(r)
            applied |= upstream
            queue.extend(self._deps(r))
            queue.extend(self._waited_children(r))
            for u in upstream:
                queue.extend(self._deps(u))
        applied.discard(key)
        result = (frozenset(applied), frozenset(ready))
        self._before[key] = result
        return result


def _checks_provider(ks, provider: Provider) -> bool:
    """Does Kustomization ``ks`` become Ready only once ``provider`` has acted?"""
    obj = provider.object
    if obj is None:
        return True
    spec = ks.spec
    if spec.get("wait") is True:
        return provider.kustomization is not None and ks.ref.key() == provider.kustomization.key()
    for hc in spec.get("healthChecks") or []:
        if not isinstance(hc, dict):
            continue
        kind, name = str(hc.get("kind", "")), str(hc.get("name", ""))
        hc_group = group_of(str(hc.get("apiVersion") or "apps/v1"))
        ns = str(hc.get("namespace") or "")
        if kind == obj.kind and name == obj.name and hc_group == obj.group and ns in ("", obj.namespace):
            return True
        if (
            provider.how == HELM
            and kind in WORKLOADS
            and hc_group == "apps"
            and ns == provider.release_namespace
        ):
            return True
    return False


def _fix_for(provider: Provider) -> str:
    obj = provider.object
    if provider.how == HELM:
        return (
            f"`wait: true`, or a healthChecks entry {{apiVersion: {FLUX_HELM_GROUP}/v2, kind: HelmRelease, "
            f"name: {obj.name}, namespace: {obj.namespace}}}"
        )
    entry = f"{{apiVersion: {obj.api_version}, kind: {obj.kind}, name: {obj.name}" + (
        f", namespace: {obj.namespace}}}" if obj.namespace and provider.how == PACKAGE else "}"
    )
    return f"`wait: true`, or a healthChecks entry {entry}"


def _ks(ref: ObjectRef) -> str:
    return f"{ref.namespace}/{ref.name}"


def _verdict(cluster, order: Ordering, x, provider: Provider) -> tuple[int, str]:
    """(OK/WARN/ERROR, explanation) for the objects of Kustomization ``x`` and one provider."""
    if provider.is_global or provider.kustomization is None:
        return OK, ""
    p_ref = provider.kustomization
    p_key = node_key(p_ref)
    x_key = node_key(x.ref)
    what = provider.describe()
    where = f"{what}, applied by Kustomization {_ks(p_ref)}"
    applied, ready = order.before(x_key)
    if not provider.needs_health:
        if p_key == x_key or p_key in applied:
            return OK, ""
        return ERROR, (
            f"its CRD is {where}, which Kustomization {_ks(x.ref)} does not depend on: "
            f"add {{name: {p_ref.name}"
            + (f", namespace: {p_ref.namespace}" if p_ref.namespace != x.ref.namespace else "")
            + f"}} to the dependsOn of {x.ref.name}"
        )
    controller = {HELM: "the chart has installed it", XRD: "Crossplane has established the XRD"}.get(
        provider.how, "Crossplane has installed the package"
    )
    if p_key == x_key:
        return ERROR, (
            f"its CRD comes from {what} in the same Kustomization {_ks(x.ref)}: Flux dry-runs the object "
            f"before {controller}, and the failed dry-run blocks the whole apply; move the object to a "
            f"Kustomization that depends on {x.ref.name}, which should health-check it"
        )
    if any(_checks_provider(cluster.kustomizations[k], provider) for k in _ks_keys(cluster, ready)):
        return OK, ""
    if p_key in ready:
        return WARN, (
            f"its CRD comes from {where}; {x.ref.name} waits for {p_ref.name} (dependsOn), but {p_ref.name} turns Ready "
            f"as soon as it has applied, before {controller}: give Kustomization {_ks(p_ref)} {_fix_for(provider)}"
        )
    if p_key in applied:
        return ERROR, (
            f"its CRD comes from {where}; Kustomization {_ks(x.ref)} starts when {p_ref.name} applies it, "
            f"not once {controller}: make {x.ref.name} depend on a Kustomization that health-checks "
            f"{provider.object.kind} {provider.object.name}"
        )
    return ERROR, (
        f"its CRD comes from {where}, which Kustomization {_ks(x.ref)} does not depend on: add "
        f"{{name: {p_ref.name}}} to the dependsOn of {x.ref.name}, and give {p_ref.name} {_fix_for(provider)}"
    )


def _ks_keys(cluster, keys):
    by_node = {node_key(ks.ref): k for k, ks in cluster.kustomizations.items()}
    return [by_node[k] for k in sorted(keys) if k in by_node]


def check(ctx: Context):
    cluster = ctx.cluster
    index = crd_index(ctx)
    order = Ordering(ctx.graph)
    memo: dict[tuple, tuple[int, str]] = {}
    for ro, group, kind, ks in custom_objects(cluster):
        providers = index.providers(group, kind, target_of(ks))
        if not providers:
            continue  # missing-crd
        best: tuple[int, str] | None = None
        for provider in sorted(providers, key=lambda p: (p.how, str(p.kustomization), str(p.object))):
            key = (ks.ref, provider)
            if key not in memo:
                memo[key] = _verdict(cluster, order, ks, provider)
            verdict = memo[key]
            if best is None or verdict[0] < best[0]:
                best = verdict
            if best[0] == OK:
                break
        if best is None or best[0] == OK:
            continue
        api = f"{group}/{kind}" if group else kind
        yield Hit(
            f"{kind} {ro.ref.name} ({api}) may be applied before its CRD exists: {best[1]}",
            origin=ro.origin,
            path=("kind",),
            object=ro.ref,
            severity=Severity.WARNING if best[0] == WARN else None,
        )


RULE = Rule(
    "crd-order",
    "GL202",
    Severity.ERROR,
    "an object's CRD is installed by a Kustomization or HelmRelease its Kustomization does not depend on",
    check,
)
