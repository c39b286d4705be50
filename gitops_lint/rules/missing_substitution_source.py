"""GL402 missing-substitution-source: a substituteFrom ConfigMap/Secret does not exist.

Flux looks the source up in the Kustomization's own namespace; when it is
absent and not ``optional: true`` the reconciliation fails
(``substitute from 'ConfigMap/x' error: ... not found``). Sources created
outside Git (by Terraform, for instance) belong under ``external:`` or
``variables:`` in the config.
"""

from __future__ import annotations

from ..model import Severity
from .base import Context, Hit, Rule


def check(ctx: Context):
    for ks in sorted(ctx.cluster.kustomizations.values(), key=lambda k: k.ref):
        for index, ident in ks.missing_sources:
            yield Hit(
                f"substituteFrom {ident} is not defined by any manifest of this cluster "
                "(mark it optional: true, or declare it under external:/variables: if it lives outside Git)",
                origin=ks.origin,
                path=("spec", "postBuild", "substituteFrom", index),
                object=ks.ref,
            )


RULE = Rule(
    "missing-substitution-source",
    "GL402",
    Severity.ERROR,
    "a substituteFrom ConfigMap/Secret does not exist",
    check,
)
