"""GL201 missing-crd: an object's kind is served by nothing in the cluster.

Neither built into Kubernetes or Flux (:mod:`gitops_lint.kinds`), nor defined
by a CustomResourceDefinition or Crossplane XRD the cluster's Kustomizations
apply, nor installed by a HelmRelease whose chart the table
``schemas/crd-charts.yaml`` knows, nor by a Crossplane package, a bootstrap
helmfile, or ``crd-providers:`` in the configuration. Flux's dry-run of such
an object fails with ``no matches for kind``, and the whole apply stage of its
Kustomization with it (FLUX-SEMANTICS.md §2.5).
"""

from __future__ import annotations

from ..crds import chart_table, crd_index, custom_objects, target_of
from ..model import Severity
from .base import Context, Hit, Rule


def check(ctx: Context):
    cluster = ctx.cluster
    index = crd_index(ctx)
    table = chart_table()
    for ro, group, kind, ks in custom_objects(cluster):
        if index.providers(group, kind, target_of(ks)):
            continue
        api = f"{group}/{kind}" if group else kind
        message = (
            f"{kind} ({api}) is served by nothing in this cluster: no CustomResourceDefinition, "
            "Crossplane XRD, known Helm chart or crd-providers entry provides it"
        )
        reasons = sorted(set(index.disabled.get(group, ())))
        if reasons:
            message += "; " + "; ".join(reasons)
        suggestions = table.suggest(group)
        if suggestions:
            message += f"; its CRDs usually come from {' or '.join(suggestions)}"
        else:
            message += f"; add its CRD, or declare the object installing it under crd-providers: {{{group}: Kind/namespace/name}}"
        opaque = [r for r in index.opaque if target_of(cluster.kustomizations.get(r.key())) == target_of(ks)]
        if opaque:
            shown = ", ".join(f"{r.namespace}/{r.name}" for r in opaque[:3])
            message += (
                f" (the content of Kustomization {shown} is outside this repository and was not inspected)"
            )
        yield Hit(message, origin=ro.origin, path=("kind",), object=ro.ref)


RULE = Rule(
    "missing-crd",
    "GL201",
    Severity.ERROR,
    "an object's kind is built in nowhere and no CRD, chart, XRD or crd-providers entry provides it",
    check,
)
