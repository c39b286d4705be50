"""Admission mutators of Flux Kustomizations: what the API server changes after Git.

Some clusters run an admission webhook that rewrites every Flux Kustomization
as it is applied, most often to inject ``postBuild.substituteFrom`` (the
kustomize-mutating-webhook chart; a Kyverno ``mutate`` policy on
Kustomizations does the same). The Kustomization Flux reconciles is then not
the one in Git: variables it substitutes come from sources gitops-lint cannot
see, so an undefined ``${var}`` there is unverifiable, never a proof
(DESIGN.md, "Certainty").

A mutator is recognised from what the cluster applies: a
MutatingWebhookConfiguration whose rules cover ``kustomizations`` of
``kustomize.toolkit.fluxcd.io``, a Kyverno (Cluster)Policy with a mutate rule
matching kind Kustomization, or a HelmRelease of a chart known to install
such a webhook (the chart renders the configuration, which is not in Git).
"""

from __future__ import annotations

from ..core.data import FLUX_HELM_GROUP, FLUX_KS_GROUP, RenderedObject, group_of, is_kind
from .cluster import Cluster
from .crds import chart_identity

# charts whose only job is a webhook that mutates Flux Kustomizations
KUSTOMIZATION_MUTATOR_CHARTS = frozenset({"kustomize-mutating-webhook"})


def _strings(value) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _webhook_mutates(obj: dict) -> bool:
    for hook in obj.get("webhooks") or []:
        for rule in (hook.get("rules") or []) if isinstance(hook, dict) else []:
            if not isinstance(rule, dict):
                continue
            groups, resources = _strings(rule.get("apiGroups")), _strings(rule.get("resources"))
            if {"*", FLUX_KS_GROUP} & set(groups) and {"*", "kustomizations"} & set(resources):
                return True
    return False


def _kyverno_mutates(obj: dict) -> bool:
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    for rule in spec.get("rules") or []:
        if not isinstance(rule, dict) or "mutate" not in rule:
            continue
        match = rule.get("match") if isinstance(rule.get("match"), dict) else {}
        blocks = [match, *(b for k in ("any", "all") for b in (match.get(k) or []) if isinstance(b, dict))]
        for block in blocks:
            resources = block.get("resources") if isinstance(block.get("resources"), dict) else {}
            if any(k.split("/")[-1] == "Kustomization" for k in _strings(resources.get("kinds"))):
                return True
    return False


def kustomization_mutators(cluster: Cluster) -> list[tuple[str, RenderedObject]]:
    """The objects of the cluster that mutate Flux Kustomizations at admission (label, object)."""
    found: dict[str, RenderedObject] = {}
    for ro in cluster.objects:
        kind, obj = ro.obj.get("kind"), ro.obj
        if kind == "MutatingWebhookConfiguration" and _webhook_mutates(obj):
            found.setdefault(ro.ref.display(), ro)
        elif kind in ("ClusterPolicy", "Policy") and group_of(str(obj.get("apiVersion"))) == "kyverno.io":
            if _kyverno_mutates(obj):
                found.setdefault(ro.ref.display(), ro)
        elif is_kind(obj, FLUX_HELM_GROUP, "HelmRelease"):
            chart, _ = chart_identity(cluster, ro)
            if chart in KUSTOMIZATION_MUTATOR_CHARTS:
                found.setdefault(f"{ro.ref.display()} (chart {chart})", ro)
    return sorted(found.items())
