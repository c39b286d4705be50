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

One missing ordering is one finding: the objects of one Kustomization whose
CRDs come from one provider, for the same reason, are reported together at
that Kustomization's ``dependsOn`` (or its name when it has none), naming how
many they are and the first few. The advice must be something Flux can run:

- a ``dependsOn`` entry carries ``namespace`` when the provider's
  Kustomization lives in another namespace (it defaults to the dependent's);
- ``wait: true`` is never advised to a Kustomization that has it, nor to one
  that applies the dependent (it would wait for its own dependent: a
  deadlock; a ``healthChecks`` entry on the provider is advised instead);
- a Kustomization never gets a ``dependsOn`` on one it applies, or on one that
  comes after it: those never turn Ready first. When the provider is applied
  by the dependent itself, the failed dry-run of the objects blocks the very
  apply that would create the provider (FLUX-SEMANTICS.md §2.5): the objects
  must move;
- when the dependent waits for an ancestor that applies the provider's
  Kustomization without waiting for it, the missing ``wait: true`` on that
  ancestor is named.

Objects under a suspended Kustomization are not applied: not reported.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from ..core.data import FLUX_HELM_GROUP, FLUX_KS_GROUP, ObjectRef, Severity
from ..graph.dependson import NodeKey, node_key
from ..model.crds import HELM, PACKAGE, XRD, Provider, target_of
from ..model.suspend import suspended_roots
from .base import Context, Hit, Rule

OK, WARN, ERROR = 0, 1, 2
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
SHOWN = 3  # objects named in a finding; the others are counted

# why a group of objects is not ordered after its provider
UNORDERED = "unordered"  # nothing orders the dependent after the provider's Kustomization
GAP = "gap"  # it waits for an ancestor that applies the provider without waiting for it
SAME = "same"  # the provider needs a controller and sits in the dependent itself
INSIDE = "inside"  # the dependent applies the provider's Kustomization: blocked by its own dry-run
AFTER = "after"  # the provider's Kustomization comes after the dependent: it cannot depend on it
EARLY = "early"  # applied after the provider's Kustomization applied, not after the controller acted
UNWAITED = "unwaited"  # depends on it, but its Ready does not wait for the controller


class Ordering:
    """What must have happened before a Kustomization starts, from the graph."""

    def __init__(self, graph):
        self.graph = graph
        self._applied: dict[NodeKey, frozenset[NodeKey]] = {}
        self._before: dict[NodeKey, tuple[frozenset[NodeKey], frozenset[NodeKey]]] = {}
        # the graph does not change while the rule runs: each node's dependsOn targets
        # are read from its edges once (before() asks for them many times over)
        self._depends: dict[NodeKey, list[NodeKey]] = {}
        self._applying: dict[NodeKey, list[NodeKey]] = {}
        self.by_node: dict[NodeKey, tuple] = {}  # graph node -> cluster key of a Kustomization

    def applied_after(self, key: NodeKey) -> frozenset[NodeKey]:
        """Kustomizations that have applied before ``key`` starts: its dependencies
        and parents, and theirs, transitively."""
        cached = self._applied.get(key)
        if cached is not None:
            return cached
        seen: set[NodeKey] = set()
        queue = deque([key])
        while queue:
            cur = queue.popleft()
            for n in (*self._deps(cur), *self._parents(cur)):
                if n not in seen and n != key:
                    seen.add(n)
                    queue.append(n)
        result = frozenset(seen)
        self._applied[key] = result
        return result

    def ancestors(self, key: NodeKey) -> list[NodeKey]:
        """The Kustomizations that apply ``key``, nearest first (its parent, the parent's parent ...)."""
        graph = self.graph
        out: list[NodeKey] = []
        cur = key
        while cur in graph:
            parents = sorted(u for u in graph.predecessors(cur) if graph.edges[u, cur].get("applies"))
            if not parents or parents[0] in out or parents[0] == key:
                break
            out.append(parents[0])
            cur = parents[0]
        return out

    def waits_for(self, waiter: NodeKey, key: NodeKey) -> bool:
        """Does ``waiter``'s Ready wait for ``key``, a Kustomization below it?
        Each Kustomization on the way down waits for the next (``wait: true``,
        or a health check naming it)."""
        chain = [key] + self.ancestors(key)
        if waiter not in chain[1:]:
            return False
        chain = chain[: chain.index(waiter) + 1]
        return all(child in self._waited_children(parent) for child, parent in zip(chain, chain[1:]))

    def _deps(self, key: NodeKey) -> list[NodeKey]:
        deps = self._depends.get(key)
        if deps is None:
            graph = self.graph
            deps = (
                [v for v in graph.successors(key) if "depends_index" in graph.edges[key, v]]
                if key in graph
                else []
            )
            self._depends[key] = deps
        return deps

    def _parents(self, key: NodeKey) -> list[NodeKey]:
        """The Kustomizations that apply ``key`` (read from the edges once, as ``_deps``)."""
        parents = self._applying.get(key)
        if parents is None:
            graph = self.graph
            parents = (
                [u for u in graph.predecessors(key) if graph.edges[u, key].get("applies")]
                if key in graph
                else []
            )
            self._applying[key] = parents
        return parents

    def _waited_children(self, key: NodeKey) -> list[NodeKey]:
        """Kustomizations whose Ready a Kustomization's own Ready waits for:
        with ``wait: true`` every child it applies, else those its
        ``healthChecks`` name."""
        graph = self.graph
        if key not in graph:
            return []
        data = graph.nodes[key]
        children = [
            v for v in graph.successors(key) if graph.edges[key, v].get("applies") and v[0] == "Kustomization"
        ]
        if data["wait"]:
            return children
        named = {
            ("Kustomization", hc.namespace, hc.name)
            for hc in data["health_checks"]
            if hc.kind == "Kustomization" and hc.group == FLUX_KS_GROUP
        }
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
        # the nodes whose dependencies are queued already: queueing them again adds
        # nothing to the sets (they are closures, whatever the order), only time
        expanded = {key} | applied
        queue = deque(d for u in expanded for d in self._deps(u))
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
            for u in upstream - expanded:
                queue.extend(self._deps(u))
            expanded |= upstream
        applied.discard(key)
        result = (frozenset(applied), frozenset(ready))
        self._before[key] = result
        return result


def _checks_provider(ks, provider: Provider) -> bool:
    """Does Kustomization ``ks`` become Ready only once ``provider`` has acted?"""
    obj = provider.object
    if obj is None:
        return True
    fields = ks.fields
    if fields.wait:
        return provider.kustomization is not None and ks.ref.key() == provider.kustomization.key()
    for hc in fields.health_checks:
        kind, name, ns, hc_group = hc.kind, hc.name, hc.namespace, hc.group
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


def _health_entry(provider: Provider) -> str:
    obj = provider.object
    if provider.how == HELM:
        return f"{{apiVersion: {FLUX_HELM_GROUP}/v2, kind: HelmRelease, name: {obj.name}, namespace: {obj.namespace}}}"
    return f"{{apiVersion: {obj.api_version}, kind: {obj.kind}, name: {obj.name}" + (
        f", namespace: {obj.namespace}}}" if obj.namespace and provider.how == PACKAGE else "}"
    )


def _fix_for(provider: Provider, wait_ok: bool = True) -> str:
    """What makes the provider's Kustomization Ready only once the controller acted.
    ``wait: true`` is left out where it would make that Kustomization wait for
    the dependent (a deadlock)."""
    entry = _health_entry(provider)
    if wait_ok:
        return f"`wait: true`, or a healthChecks entry {entry}"
    return f"a healthChecks entry {entry} (not `wait: true`: it would wait for the dependent, a deadlock)"


def _ks(ref: ObjectRef | NodeKey) -> str:
    if isinstance(ref, tuple):
        return f"{ref[1]}/{ref[2]}"
    return f"{ref.namespace}/{ref.name}"


def _dep_entry(target: NodeKey, dependent_ns: str) -> str:
    """A dependsOn entry: ``namespace`` defaults to the dependent's, so it is
    written when the target lives elsewhere."""
    _, ns, name = target
    return f"{{name: {name}" + (f", namespace: {ns}" if ns != dependent_ns else "") + "}"


@dataclass(frozen=True)
class Verdict:
    level: int
    case: str = ""
    provider: Provider | None = None
    via: NodeKey | None = None  # GAP: the ancestor without wait; INSIDE: the child blocked
    specific: bool = False  # the fix names the provider object (a health check on it)

    def group_key(self) -> tuple:
        """Objects with equal keys share one finding (one cause, one fix)."""
        p = self.provider
        obj = p.object if p is not None and self.specific else None
        return (
            self.case,
            str(p.kustomization) if p is not None else "",
            str(obj) if obj is not None else "",
            str(self.via or ""),
        )


def _verdict(cluster, order: Ordering, x, provider: Provider) -> Verdict:
    """Is Kustomization ``x`` ordered after ``provider``? Why not, when it is not."""
    if provider.is_global or provider.kustomization is None:
        return Verdict(OK)
    p_key = node_key(provider.kustomization)
    x_key = node_key(x.ref)
    applied, ready = order.before(x_key)
    if not provider.needs_health and (p_key == x_key or p_key in applied):
        return Verdict(OK)
    if provider.needs_health:
        if p_key == x_key:
            return Verdict(ERROR, SAME, provider, specific=True)
        if any(
            _checks_provider(cluster.kustomizations[k], provider) for k in _ks_keys(cluster, order, ready)
        ):
            return Verdict(OK)
        if p_key in ready:
            return Verdict(WARN, UNWAITED, provider, specific=True)
        if p_key in applied:
            return Verdict(ERROR, EARLY, provider, specific=True)
    p_ks = cluster.kustomizations.get(provider.kustomization.key())
    specific = provider.needs_health and (p_ks is None or not _checks_provider(p_ks, provider))
    above = order.ancestors(p_key)
    if x_key in above:
        # x applies the provider's Kustomization (maybe through children): the
        # Kustomization x applies on the way is in x's failing apply stage
        child = above[above.index(x_key) - 1] if above.index(x_key) > 0 else p_key
        return Verdict(ERROR, INSIDE, provider, via=child, specific=specific)
    p_applied, p_ready = order.before(p_key)
    if x_key in p_applied or x_key in p_ready:
        return Verdict(ERROR, AFTER, provider, specific=specific)
    if above and above[0] in ready:
        return Verdict(ERROR, GAP, provider, via=above[0], specific=specific)
    return Verdict(ERROR, UNORDERED, provider, specific=specific)


def _ks_keys(cluster, order: Ordering, keys):
    """The cluster's keys of the Kustomizations among graph nodes ``keys``."""
    if not order.by_node:
        order.by_node = {node_key(ks.ref): k for k, ks in cluster.kustomizations.items()}
    return [order.by_node[k] for k in sorted(keys) if k in order.by_node]


def _what(providers: list[Provider]) -> str:
    """The providers of one finding, for its message."""
    first = providers[0]
    objects = sorted({(p.object.kind, p.object.name) for p in providers if p.object is not None})
    if len(objects) > 1:
        names = [name for _, name in objects]
        shown = ", ".join(names[:SHOWN]) + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")
        kinds = sorted({kind for kind, _ in objects})
        return f"{kinds[0]}s {shown}" if len(kinds) == 1 else shown
    return first.describe()


def _controller(provider: Provider) -> str:
    return {HELM: "the chart has installed it", XRD: "Crossplane has established the XRD"}.get(
        provider.how, "Crossplane has installed the package" if provider.how == PACKAGE else "it is served"
    )


def _explain(cluster, order: Ordering, x, verdict: Verdict, providers: list[Provider], many: bool) -> str:
    """Why the objects of ``x`` are not ordered after the provider, and what to change."""
    them, these = ("them", "these objects") if many else ("it", "this object")
    comes = "their CRDs come" if many else "its CRD comes"
    provider = verdict.provider
    p_ref = provider.kustomization
    p_key = node_key(p_ref)
    x_key = node_key(x.ref)
    xn, pn = x.ref.name, p_ref.name
    what = _what(providers)
    controller = _controller(provider)
    p_ks = cluster.kustomizations.get(p_ref.key())
    needs = provider.needs_health and p_ks is not None and not _checks_provider(p_ks, provider)
    # wait: true on the provider's Kustomization would also wait for x when x is below it
    wait_ok = not order.waits_for(p_key, x_key) and p_key not in order.ancestors(x_key)
    also = f", and give {pn} {_fix_for(provider, wait_ok)}" if needs else ""
    case = verdict.case
    if case == SAME:
        entry = f", and give {xn} a healthChecks entry {_health_entry(provider)}" if needs else ""
        beside = f" (one {xn} does not apply: it has `wait: true`)" if x.fields.wait else ""
        return (
            f"{comes} from {what} in the same Kustomization {_ks(x.ref)}: Flux dry-runs {these} "
            f"before {controller}, and the failed dry-run blocks the whole apply, "
            f"the {provider.object.kind} included: move {them} to a Kustomization that depends on {xn}"
            + beside
            + entry
        )
    where = f"{what}, applied by Kustomization {_ks(p_ref)}"
    if case == INSIDE:
        child = verdict.via
        through = (
            f"applies {'it' if child == p_key else 'Kustomization ' + _ks(child) + ', which applies it'}"
        )
        return (
            f"{comes} from {where}; Kustomization {_ks(x.ref)} itself {through}: Flux dry-runs {these} "
            f"in the same apply as Kustomization {child[2]}, the failed dry-run blocks it, and "
            f"{pn} never runs: move {them} to a Kustomization that depends on {_dep_entry(p_key, x.ref.namespace)} "
            f"({xn} cannot depend on a Kustomization it applies)" + also
        )
    if case == AFTER:
        return (
            f"{comes} from {where}, which comes after Kustomization {_ks(x.ref)} (it depends on it, "
            f"or on what it applies): {xn} cannot depend on it; move {them} to a Kustomization that depends on "
            f"{_dep_entry(p_key, x.ref.namespace)}" + also
        )
    if case == UNWAITED:
        return (
            f"{comes} from {where}; {xn} waits for {pn} (dependsOn), but {pn} turns Ready as soon as it "
            f"has applied, before {controller}: give Kustomization {_ks(p_ref)} {_fix_for(provider, wait_ok)}"
        )
    if case == EARLY:
        if order.waits_for(p_key, x_key):
            return (
                f"{comes} from {where}; Kustomization {_ks(x.ref)} starts when {pn} applies it, not "
                f"once {controller}, and it cannot depend on {pn}, which waits for it: move "
                f"{provider.object.kind} {provider.object.name} to a Kustomization of its own with `wait: true` "
                f"and add that to the dependsOn of {xn}"
            )
        return (
            f"{comes} from {where}; Kustomization {_ks(x.ref)} starts when {pn} applies it, not once "
            f"{controller}: add {_dep_entry(p_key, x.ref.namespace)} to the dependsOn of {xn}" + also
        )
    if case == GAP:
        q = verdict.via
        q_wait = q not in order.ancestors(x_key)
        entry = f"{{apiVersion: {FLUX_KS_GROUP}/v1, kind: Kustomization, name: {pn}, namespace: {p_ref.namespace}}}"
        fix = f"`wait: true` or a healthChecks entry {entry}" if q_wait else f"a healthChecks entry {entry}"
        return (
            f"{comes} from {where}; {xn} waits for {_ks(q)} (dependsOn), which applies {pn} without "
            f"waiting for it, so {q[2]} turns Ready before {pn} has applied: give {q[2]} {fix}"
            + also
            + f" (or add {_dep_entry(p_key, x.ref.namespace)} to the dependsOn of {xn})"
        )
    return (
        f"{comes} from {where}, which Kustomization {_ks(x.ref)} does not depend on: add "
        f"{_dep_entry(p_key, x.ref.namespace)} to the dependsOn of {xn}" + also
    )


def _suppressed(ctx: Context, ro) -> bool:
    """The object's own ``# gitops-lint: disable=crd-order``, or a config
    ``ignore:`` on its path: the finding is at its Kustomization, the choice
    was made at the object."""
    origin = ro.origin
    if ctx.config.is_ignored(RULE_NAME, RULE_CODE, origin.file):
        return True
    loaded = ctx.cache.files.get(origin.file)
    for doc in loaded.documents if loaded is not None else ():
        if doc.disabled_rules and doc.origin.line <= origin.line <= doc.end_line:
            return RULE_NAME in doc.disabled_rules or RULE_CODE in doc.disabled_rules
    return False


@dataclass
class _Group:
    ks: object
    verdict: Verdict
    objects: list = field(default_factory=list)
    providers: list = field(default_factory=list)


def _objects_text(objects) -> str:
    if len(objects) == 1:
        ro, group, kind = objects[0]
        api = f"{group}/{kind}" if group else kind
        return f"{kind} {ro.ref.name} ({api}) may be applied before its CRD exists"
    names = [f"{kind} {ro.ref.display().split('/', 1)[1]}" for ro, _, kind in objects]
    shown = ", ".join(names[:SHOWN]) + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")
    return f"{len(objects)} objects ({shown}) may be applied before their CRDs exist"


def check(ctx: Context):
    cluster = ctx.cluster
    index = ctx.crd_index
    order = Ordering(ctx.graph)
    skipped = suspended_roots(cluster)
    memo: dict[tuple, Verdict] = {}
    groups: dict[tuple, _Group] = {}
    # (group, kind, target) -> its providers in the order tried: many objects share a kind
    ordered: dict[tuple[str, str, str], list] = {}
    for ro, group, kind, ks in ctx.custom_objects:
        if ks.ref.key() in skipped:
            continue  # Flux applies nothing under a suspended Kustomization
        where = (group, kind, target_of(ks))
        providers = ordered.get(where)
        if providers is None:
            providers = ordered[where] = sorted(
                index.providers(*where), key=lambda p: (p.how, str(p.kustomization), str(p.object))
            )
        if not providers:
            continue  # missing-crd
        best: Verdict | None = None
        for provider in providers:
            key = (ks.ref, provider)
            if key not in memo:
                memo[key] = _verdict(cluster, order, ks, provider)
            verdict = memo[key]
            if best is None or verdict.level < best.level:
                best = verdict
            if best.level == OK:
                break
        if best is None or best.level == OK or _suppressed(ctx, ro):
            continue
        entry = groups.setdefault((ks.ref, best.group_key()), _Group(ks, best))
        entry.objects.append((ro, group, kind))
        if best.provider not in entry.providers:
            entry.providers.append(best.provider)
    for key in sorted(groups):
        g = groups[key]
        ks, verdict = g.ks, g.verdict
        objects = sorted(g.objects, key=lambda o: (o[2], o[0].ref.name, o[0].ref.namespace))
        explanation = _explain(cluster, order, ks, verdict, g.providers, len(objects) > 1)
        message = f"{_objects_text(objects)}: {explanation}"
        if ks.origin is not None:
            origin = ks.origin
            path = ("spec", "dependsOn") if ks.fields.depends_on else ("metadata", "name")
        else:  # the bootstrap Kustomization has no document: point at the first object
            origin, path = objects[0][0].origin, ("kind",)
        yield Hit(
            message,
            origin=origin,
            path=path,
            object=ks.ref,
            severity=Severity.WARNING if verdict.level == WARN else None,
        )


RULE_NAME, RULE_CODE = "crd-order", "GL202"
RULE = Rule(
    RULE_NAME,
    RULE_CODE,
    Severity.ERROR,
    "an object's CRD is installed by a Kustomization or HelmRelease its Kustomization does not depend on",
    check,
    reads=frozenset({"crd_index", "custom_objects"}),
)
