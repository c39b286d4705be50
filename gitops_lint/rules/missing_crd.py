"""GL201 missing-crd: an object's kind is served by nothing in the cluster.

Neither built into Kubernetes or Flux (:mod:`gitops_lint.model.kinds`), nor defined
by a CustomResourceDefinition or Crossplane XRD the cluster's Kustomizations
apply, nor installed by a HelmRelease whose chart the table
``schemas/crd-charts.yaml`` knows, nor by a Crossplane package, a bootstrap
helmfile or Terraform release, a CNI chart, or ``crd-providers:`` in the
configuration. Flux's dry-run of such an object fails with ``no matches for
kind``, and the whole apply stage of its Kustomization with it
(FLUX-SEMANTICS.md §2.5).

What cannot be known is not missing: when the cluster has opaque providers
(content outside the repository, charts or packages the table does not
know, bootstrap releases of unknown charts), a kind nothing known serves is
*unverifiable*: one info per group names the providers most likely to serve
it and counts the others. Two cases stay errors, because no opaque content
makes them right: a group or kind one or two edits from one the cluster
serves (a typo: "did you mean"), and a cluster with no opaque provider.

A document whose ``kind`` or ``apiVersion`` is a SOPS ``ENC[...]`` value is
not a custom resource: SOPS encrypted its identity, so Flux's kustomize-
controller, which decrypts before it builds, sees a plain object, while no
offline tool can say which one (FLUX-SEMANTICS.md FLX-SOPS-01): one info,
never the ciphertext.
"""

from __future__ import annotations

from collections import defaultdict

from ..core.data import Severity
from ..model.crds import chart_table, target_of
from .base import Context, Hit, Rule

SHOWN = 3  # opaque providers named in a message; the others are counted


def _encrypted(text: str) -> bool:
    return "ENC[" in text


def check(ctx: Context):
    index = ctx.crd_index
    table = chart_table()
    unverified: dict[tuple[str, str], list] = defaultdict(list)
    memo: dict[tuple[str, str, str], tuple] = {}
    for ro, group, kind, ks in ctx.custom_objects:
        api_version = str(ro.obj.get("apiVersion", ""))
        if _encrypted(kind) or _encrypted(api_version):
            yield Hit(
                "kind or apiVersion is SOPS-encrypted (ENC[...]): the object's type cannot be known "
                "offline and its CRD was not checked; SOPS should leave apiVersion, kind and metadata "
                "in clear (encrypted_regex: ^(data|stringData)$)",
                origin=ro.origin,
                path=("kind",),
                object=None,  # its kind is the ciphertext: never printed
                severity=Severity.INFO,
            )
            continue
        target = target_of(ks)
        if index.providers(group, kind, target):
            continue
        key = (target, group, kind)
        if key not in memo:
            typo = index.typo_of(group, kind, target)
            # a typo of a served group stays one even if an opaque provider's name matches it
            served = typo is None and bool(index.providers(group, kind, target, inferred=True))
            # the opaque providers (sorted: evidence, names) only matter for an unverified kind
            opaque = index.relevant_opaque(group, target) if typo is None and not served else []
            memo[key] = (typo, served, opaque)
        typo, served, opaque = memo[key]
        if served:
            continue
        api = f"{group}/{kind}" if group else kind
        if opaque and typo is None:
            unverified[(target, group)].append((ro, kind, opaque))
            continue
        message = (
            f"{kind} ({api}) is served by nothing in this cluster: no CustomResourceDefinition, "
            "Crossplane XRD, known Helm chart or crd-providers entry provides it"
        )
        if typo is not None:
            message += f"; did you mean {typo}?"
        reasons = sorted(set(index.disabled.get(group, ())))
        if reasons:
            message += "; " + "; ".join(reasons)
        suggestions = table.suggest(group)
        if typo is None and suggestions:
            message += f"; its CRDs usually come from {' or '.join(suggestions)}"
        elif typo is None:
            message += (
                f"; add its CRD, or declare the object installing it under crd-providers: "
                f"{{{group}: Kind/namespace/name}} (or pre-installed)"
            )
        yield Hit(message, origin=ro.origin, path=("kind",), object=ro.ref)
    for (_target, group), items in unverified.items():
        ro, _, opaque = items[0]
        kinds = sorted({k for _, k, _ in items})
        shown = "; ".join(p.describe() for p in opaque[:SHOWN])
        others = len(opaque) - SHOWN
        more = f"; and {others} other opaque provider{'s' if others > 1 else ''}" if others > 0 else ""
        count = f"{len(items)} object{'s' if len(items) > 1 else ''}"
        reasons = sorted(set(index.disabled.get(group, ())))
        why = f" ({'; '.join(reasons)})" if reasons else ""
        yield Hit(
            f"{group} ({', '.join(kinds)}; {count}) could not be verified: no CRD or known chart in the "
            f"repository serves it{why}, and its CRDs may come from content gitops-lint does not inspect: "
            f"{shown}{more}. Declare the provider under crd-providers: to check it",
            origin=ro.origin,
            path=("kind",),
            object=ro.ref,
            severity=Severity.INFO,
        )


RULE = Rule(
    "missing-crd",
    "GL201",
    Severity.ERROR,
    "an object's kind is built in nowhere and no CRD, chart, XRD or crd-providers entry provides it",
    check,
    reads=frozenset({"crd_index", "custom_objects"}),
)
