"""GL203 crd-prune: a Kustomization with ``prune: true`` applies CRDs that Flux may delete.

With ``prune: true`` kustomize-controller deletes every object of its previous
inventory that the new build no longer contains; a CRD deleted takes every
object of its kind with it, cluster-wide. One bad commit (a moved path, a
removed resource line) is enough. A CRD annotated or labelled
``kustomize.toolkit.fluxcd.io/prune: disabled`` is never pruned
(FLUX-SEMANTICS.md §2.1).

CRDs that arrive with a HelmRelease are not concerned: helm-controller never
deletes the CRDs of a chart's ``crds/`` directory, with any
``install/upgrade.crds`` policy. Flux's own CRDs (gotk-components.yaml under
the bootstrap Kustomization) are what ``flux bootstrap`` generates and are
not reported. Nor is a suspended Kustomization: kustomize-controller neither
applies nor prunes anything of it while it is suspended.
"""

from __future__ import annotations

from ..core.data import Severity
from ..model.kinds import is_flux_group
from ..model.suspend import suspended_roots
from ..schema.registry import is_crd
from .base import Context, Hit, Rule

PRUNE = "kustomize.toolkit.fluxcd.io/prune"


def _prune_disabled(obj: dict) -> bool:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    for key in ("annotations", "labels"):
        marks = meta.get(key)
        if isinstance(marks, dict):
            value = marks.get(PRUNE)
            if isinstance(value, str) and value.lower() == "disabled":
                return True
    return False


def check(ctx: Context):
    cluster = ctx.cluster
    skipped = suspended_roots(cluster)
    for ks in sorted(cluster.kustomizations.values(), key=lambda k: k.ref):
        if not ks.fields.prune or ks.ref.key() in skipped:
            continue
        exposed = []
        for ro in ks.objects:
            obj = ro.obj
            if not is_crd(obj):
                continue
            spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
            if is_flux_group(str(spec.get("group") or "")) or _prune_disabled(obj):
                continue
            exposed.append(ro.ref.name)
        if not exposed:
            continue
        names = sorted(set(exposed))
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        yield Hit(
            f"Kustomization {ks.ref.namespace}/{ks.ref.name} has prune: true and applies "
            f"CustomResourceDefinition{'s' if len(names) > 1 else ''} {shown} without "
            f"{PRUNE}: disabled: a commit that drops {'one' if len(names) > 1 else 'it'} from the build "
            "deletes it and every object of its kind; set prune: false on this Kustomization "
            "(gitops-lint --fix will), or annotate each CRD",
            origin=ks.origin,
            path=("spec", "prune"),
            object=ks.ref,
        )


RULE = Rule(
    "crd-prune",
    "GL203",
    Severity.ERROR,
    "a Kustomization with prune: true applies CRDs not annotated prune: disabled",
    check,
    kinds=frozenset({"CustomResourceDefinition"}),
)
