"""GL602 health-check-target: a healthChecks entry names an object the Kustomization does not apply.

Flux waits for the named object to become healthy and times out when it never
appears. ``apiVersion`` defaults to ``apps/v1`` when omitted (kustomize-
controller ``inventory.ReferenceToObjMetadataSet``), so ``{kind: HelmRelease,
name: x}`` without apiVersion is never healthy; ``namespace`` is not
defaulted. Objects a HelmRelease of the Kustomization may create (a chart's
Deployment in the release's namespace) cannot be seen offline and are given
the benefit of the doubt.
"""

from __future__ import annotations

from ..model import FLUX_HELM_GROUP, Severity, group_of
from ..render.types import EXTERNAL
from .base import Context, Hit, Rule


def _helm_namespaces(ks) -> set[str]:
    out = set()
    for ro in ks.objects:
        obj = ro.obj
        if obj.get("kind") == "HelmRelease" and group_of(str(obj.get("apiVersion", ""))) == FLUX_HELM_GROUP:
            spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
            out.add(str(spec.get("targetNamespace") or ro.ref.namespace))
    return out


def check(ctx: Context):
    for ks in sorted(ctx.cluster.kustomizations.values(), key=lambda k: k.ref):
        checks = ks.spec.get("healthChecks")
        if ks.synthetic or not isinstance(checks, list) or ks.spec.get("wait") is True:
            continue
        applied = {ro.ref.key() for ro in ks.objects}
        # kustomize puts a namespace on custom kinds it cannot know are cluster-scoped;
        # the API server drops it, and a health check without namespace finds the object
        cluster_wide = {(g, k, n) for g, k, _, n in applied}
        helm_ns = _helm_namespaces(ks)
        opaque = bool(helm_ns) or any(i.kind == EXTERNAL for i in ks.build_issues)
        for index, hc in enumerate(checks):
            if not isinstance(hc, dict):
                continue
            api_version = str(hc.get("apiVersion") or "apps/v1")
            kind, name, ns = (
                str(hc.get("kind", "")),
                str(hc.get("name", "")),
                str(hc.get("namespace") or ""),
            )
            if (group_of(api_version), kind, ns, name) in applied:
                continue
            if not ns and (group_of(api_version), kind, name) in cluster_wide:
                continue
            others = sorted(k for k in applied if k[1:] == (kind, ns, name))
            if others and not hc.get("apiVersion"):
                message = (
                    f"healthChecks entry {kind}/{name} has no apiVersion, which defaults to apps/v1; "
                    f"the {kind} this Kustomization applies is in group {others[0][0]}: set apiVersion"
                )
            elif others:
                message = f"healthChecks entry {api_version} {kind}/{name} has the wrong apiVersion group"
            elif (ns in helm_ns or (not ns and opaque)) and group_of(api_version) != FLUX_HELM_GROUP:
                # may be created by a chart this Kustomization installs (a Deployment in the
                # release namespace, a CRD), or come from a remote resource: not knowable offline
                continue
            else:
                where = f"{ns}/{name}" if ns else name
                message = (
                    f"healthChecks entry {kind} {where} is not applied by Kustomization "
                    f"{ks.ref.namespace}/{ks.ref.name}: Flux waits for it until the timeout"
                )
                if not ns:
                    message += " (namespace is not defaulted: give one for namespaced kinds)"
            yield Hit(message, origin=ks.origin, path=("spec", "healthChecks", index), object=ks.ref)


RULE = Rule(
    "health-check-target",
    "GL602",
    Severity.WARNING,
    "a healthChecks entry names an object the Kustomization does not apply",
    check,
)
