"""GL401 unresolved-variable: a ``${var}`` that no substitution source defines.

Since Flux 2.9 (kustomize-controller 1.9, StrictPostBuildSubstitutions on by
default) an undefined variable without a default fails the whole
Kustomization; before, it silently became an empty string: then, or when the
repository turns the ``StrictPostBuildSubstitutions`` gate off, the finding
is a warning (:mod:`gitops_lint.flux_version`). Only objects of a
Kustomization that substitutes are checked: without ``postBuild`` (or with no
variables and the default strategy) Flux never substitutes, and ``${x}``
reaches the cluster as written.
"""

from __future__ import annotations

from ..flux_version import flux_target
from ..model import Severity
from .base import Context, Hit, Rule


def check(ctx: Context):
    for ks in sorted(ctx.cluster.kustomizations.values(), key=lambda k: k.ref):
        if ks.missing_sources:
            continue  # missing-substitution-source already fails this Kustomization
        if ks.unchecked_sources:
            if ks.unresolved:
                names = sorted({u.name for _, u in ks.unresolved})
                yield Hit(
                    f"variables {', '.join(names)} could not be checked: "
                    f"{', '.join(ks.unchecked_sources)} lives outside Git "
                    "(give stand-in values under `variables:` in .gitops-lint.yaml)",
                    origin=ks.origin,
                    path=("spec", "postBuild", "substituteFrom"),
                    object=ks.ref,
                    severity=Severity.INFO,
                )
            continue
        who = f"{ks.ref.namespace}/{ks.ref.name}"
        flux = flux_target(ctx)
        if flux.strict_substitution:
            consequence, severity = f"the Kustomization fails (strict substitution: {flux.strict_reason})", None
        else:
            consequence, severity = f"Flux writes an empty string ({flux.strict_reason})", Severity.WARNING
        for ro, u in ks.unresolved:
            yield Hit(
                f"{u.expression} is not defined by any substitution source of Kustomization {who}: "
                f"{consequence}",
                origin=ro.origin,
                path=u.path,
                object=ro.ref,
                severity=severity,
            )


RULE = Rule("unresolved-variable", "GL401", Severity.ERROR, "a ${var} remains after substitution", check)
