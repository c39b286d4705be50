"""GL602 health-check-target: a healthChecks entry names an object nothing will create.

After applying, Flux waits up to ``spec.timeout`` for every health-checked
object to be ready; one that never appears fails the Kustomization at every
reconciliation and holds back its dependents. ``apiVersion`` defaults to
``apps/v1`` when omitted (kustomize-controller
``inventory.ReferenceToObjMetadataSet``), so ``{kind: HelmRelease, name: x}``
without apiVersion is never healthy; ``namespace`` is not defaulted.

A health check may name any object of the cluster, not only the
Kustomization's own (a layer that waits for the HelmReleases its children
apply, a Kustomization gated on another's Deployment): an object some other
Kustomization applies is found, unless that Kustomization waits for this one
(then neither turns Ready: reported). What gitops-lint cannot see is
unverifiable, not missing: the content of an external source or remote
resource, and what a Helm chart creates (a Deployment in the release's
namespace, a CRD), whether Flux or a bootstrap helmfile installs it. Entries that content could satisfy are not reported.
"""

from __future__ import annotations

from ..core.data import FLUX_HELM_GROUP, Severity
from ..discover.sources import OK
from ..graph.dependson import node_key
from ..model.kinds import builtin_namespaced
from ..model.suspend import suspended_roots
from ..render.types import EXTERNAL
from .base import Context, Hit, Rule
from .crd_order import Ordering

ANY = "*"  # opaque content of unknown namespace


def _owners(cluster) -> tuple[dict, dict]:
    """Identity -> the Kustomizations applying it; and the same without namespace
    (kustomize namespaces custom kinds it cannot know are cluster-scoped; the
    API server drops it, and a health check without namespace finds them)."""
    exact: dict[tuple, set] = {}
    wide: dict[tuple, set] = {}
    for ro in cluster.objects:
        if ro.applied_by is None:
            continue
        g, k, ns, n = ro.ref.key()
        exact.setdefault((g, k, ns, n), set()).add(node_key(ro.applied_by))
        wide.setdefault((g, k, n), set()).add(node_key(ro.applied_by))
    return exact, wide


def _opaque_namespaces(ctx: Context) -> tuple[set[str], set[str]]:
    """Namespaces where unseen content may create objects: (charts, external content).
    A chart may also create cluster-scoped objects (its CRDs): ANY is in the
    first set as soon as a HelmRelease exists."""
    cluster = ctx.cluster
    charts: set[str] = set()
    external: set[str] = set()
    for release in cluster.helmreleases:
        charts.update((release.release_namespace, ANY))
    for ks in cluster.kustomizations.values():
        if (ks.source is not None and ks.source.status != OK) or any(
            i.kind == EXTERNAL for i in ks.build_issues
        ):
            external.add(ks.fields.target_namespace or ANY)
    return charts, external


def check(ctx: Context):
    cluster = ctx.cluster
    skipped = suspended_roots(cluster)
    exact, wide = _owners(cluster)
    charts, external = _opaque_namespaces(ctx)
    boot = ctx.bootstrap_files.release_namespaces
    if boot:
        charts |= boot | {ANY}
    order = Ordering(ctx.graph)
    for ks in sorted(cluster.kustomizations.values(), key=lambda k: k.ref):
        fields = ks.fields
        if ks.synthetic or not fields.health_checks or fields.wait:
            continue
        if ks.ref.key() in skipped or ks.source is None or ks.source.status != OK:
            continue  # suspended, or its content is not seen: nothing to verify against
        me = node_key(ks.ref)
        applied = {ro.ref.key() for ro in ks.objects}
        for hc in fields.health_checks:
            index, api_version, group = hc.index, hc.effective_api_version, hc.group
            kind, name, ns = hc.kind, hc.name, hc.namespace
            owners = exact.get((group, kind, ns, name)) or (wide.get((group, kind, name)) if not ns else None)
            if owners:
                # found; but an owner that waits for this Kustomization applies it only after
                # this one is Ready, which waits for it
                if me in owners or not all(me in order.before(o)[1] for o in owners):
                    continue
                later = sorted(owners)[0]
                message = (
                    f"healthChecks entry {kind} {ns + '/' if ns else ''}{name} is applied by Kustomization "
                    f"{later[1]}/{later[2]}, which depends on {ks.ref.namespace}/{ks.ref.name}: neither "
                    "turns Ready (Flux waits for it until the timeout)"
                )
                yield Hit(message, origin=ks.origin, path=("spec", "healthChecks", index), object=ks.ref)
                continue
            others = sorted(k for k in applied if k[1:] == (kind, ns, name))
            if others and not hc.api_version:
                message = (
                    f"healthChecks entry {kind}/{name} has no apiVersion, which defaults to apps/v1; "
                    f"the {kind} this Kustomization applies is in group {others[0][0]}: set apiVersion"
                )
            elif others:
                message = f"healthChecks entry {api_version} {kind}/{name} has the wrong apiVersion group"
            elif not ns and builtin_namespaced(group, kind):
                message = (
                    f"healthChecks entry {kind} {name} has no namespace, which Flux does not default: "
                    f"a {kind} is namespaced, so Kustomization {ks.ref.namespace}/{ks.ref.name} waits for "
                    "it until the timeout"
                )
            elif (ns or ANY) in external or ANY in external:
                continue  # external content (another repository, a remote resource) may apply it
            elif (ns or ANY) in charts and group != FLUX_HELM_GROUP:
                continue  # a chart may create it (a Deployment in the release namespace, a CRD)
            else:
                where = f"{ns}/{name}" if ns else name
                message = (
                    f"healthChecks entry {kind} {where} is applied by no Kustomization of this cluster, "
                    f"nor could a chart create it: Kustomization {ks.ref.namespace}/{ks.ref.name} waits for "
                    "it until the timeout"
                )
                if not ns:
                    message += " (namespace is not defaulted: give one for namespaced kinds)"
            yield Hit(message, origin=ks.origin, path=("spec", "healthChecks", index), object=ks.ref)


RULE = Rule(
    "health-check-target",
    "GL602",
    Severity.WARNING,
    "a healthChecks entry names an object nothing in the cluster applies",
    check,
    reads=frozenset({"bootstrap_files"}),
)
