"""GL401 unresolved-variable: a ``${var}`` that no substitution source defines.

Since Flux 2.9 (kustomize-controller 1.9, StrictPostBuildSubstitutions on by
default) an undefined variable without a default fails the whole
Kustomization; before, it silently became an empty string: then, or when the
repository turns the ``StrictPostBuildSubstitutions`` gate off, the finding
is a warning (:mod:`gitops_lint.model.flux_version`). When no Flux version is
stated in the repository, the message says the version is assumed.

Only objects of a Kustomization that substitutes are checked: without
``postBuild`` (or with no variables and the default strategy) Flux never
substitutes, and ``${x}`` reaches the cluster as written. A variable is never
"unresolved" when a source whose keys are unknown could define it (an
``external:`` source, a Secret fed by a secret manager, a missing source that
missing-substitution-source reports once): one info per such source lists the
variables that could not be checked.

One finding per variable and document: a variable used twelve times in one
PrometheusRule is one defect (define it, or escape it as ``$${var}``).
"""

from __future__ import annotations

from ..core.data import Severity
from ..model.mutators import kustomization_mutators
from .base import Context, Hit, Rule

_LISTED = 8  # variable names named in one info line


def _unchecked(ctx: Context):
    """One info per source of unknown keys: the variables only it could define."""
    by_source: dict[str, list] = {}
    for ks in sorted(ctx.cluster.kustomizations.values(), key=lambda k: k.ref):
        if not ks.unchecked_sources:
            continue
        names = {u.name for _, u in ks.unknown if u.name not in ks.variable_sources}
        for ident in ks.unchecked_sources:
            entry = by_source.setdefault(ident, [ks, set(), 0])
            entry[1] |= names
            entry[2] += 1
    for ident, (ks, names, users) in sorted(by_source.items()):
        if not names:
            continue
        listed = sorted(names)
        more = f" and {len(listed) - _LISTED} more" if len(listed) > _LISTED else ""
        used = f" (used by {users} Kustomizations)" if users > 1 else ""
        yield Hit(
            f"variables {', '.join(listed[:_LISTED])}{more} could not be checked: {ident}{used} "
            "has keys that are not known offline (give stand-in values under `variables:` "
            "in .gitops-lint.yaml to check them)",
            origin=ks.origin,
            path=("spec", "postBuild", "substituteFrom"),
            object=ks.ref,
            severity=Severity.INFO,
        )


def check(ctx: Context):
    yield from _unchecked(ctx)
    mutators = kustomization_mutators(ctx.cluster)
    if mutators:
        # the Kustomizations Flux reconciles are not those in Git: what they
        # substitute is unknown, so an undefined variable proves nothing
        undefined = sorted({u.name for ks in ctx.cluster.kustomizations.values() for _, u in ks.unresolved})
        if undefined:
            listed = ", ".join(undefined[:_LISTED]) + (
                f" and {len(undefined) - _LISTED} more" if len(undefined) > _LISTED else ""
            )
            yield Hit(
                f"variables {listed} could not be checked: {', '.join(label for label, _ in mutators[:3])} mutates Flux "
                "Kustomizations at admission (their substitution sources are set outside Git)",
                origin=mutators[0][1].origin,
                object=mutators[0][1].ref,
                severity=Severity.INFO,
            )
        return
    flux = ctx.flux_version
    if flux.strict_substitution:
        consequence, severity = (
            f"the Kustomization fails (strict substitution: {flux.strict_reason})",
            None,
        )
    else:
        consequence, severity = f"Flux writes an empty string ({flux.strict_reason})", Severity.WARNING
    for ks in sorted(ctx.cluster.kustomizations.values(), key=lambda k: k.ref):
        who = f"{ks.ref.namespace}/{ks.ref.name}"
        groups: dict[tuple, list] = {}
        for ro, u in ks.unresolved:
            key = (u.name, ro.origin.file, ro.origin.doc_index)
            groups.setdefault(key, []).append((ro, u))
        for uses in groups.values():
            ro, u = uses[0]
            more = f" (and {len(uses) - 1} more uses in this document)" if len(uses) > 1 else ""
            yield Hit(
                f"{u.expression} is not defined by any substitution source of Kustomization {who}{more}: "
                f"{consequence}",
                origin=ro.origin,
                path=u.path,
                object=ro.ref,
                severity=severity,
            )


RULE = Rule(
    "unresolved-variable",
    "GL401",
    Severity.ERROR,
    "a ${var} remains after substitution",
    check,
    reads=frozenset({"flux_version"}),
)
