"""GL403 invalid-substitution: text Flux's envsubst cannot parse.

A parse error aborts the whole Kustomization whenever substitution runs for
the object (``envsubst error: variable substitution failed``), in strict and
lax mode alike: ``${var-default}``, ``${a.b}``, ``${my-var}``, ``${{ x }}``.
Variable names of substitution sources are checked by Flux too: one key that
is not a valid name fails the Kustomization even when unused.
"""

from __future__ import annotations

from ..model import Severity
from ..substitute import VAR_NAME
from .base import Context, Hit, Rule


def check(ctx: Context):
    for ks in sorted(ctx.cluster.kustomizations.values(), key=lambda k: k.ref):
        if ks.substitutes:
            for name in sorted(ks.variables):
                if not VAR_NAME.match(name) and name not in ctx.config.global_variables:
                    yield Hit(
                        f"variable name {name!r} is invalid (Flux requires ^[_a-zA-Z][_a-zA-Z0-9]*$): "
                        "kustomize-controller fails the whole Kustomization",
                        origin=ks.origin,
                        path=("spec", "postBuild"),
                        object=ks.ref,
                    )
        for ro, err in ks.substitution_errors:
            yield Hit(
                f"{err.expression or 'text'}: {err.message} (Flux's envsubst rejects it and fails "
                f"Kustomization {ks.ref.namespace}/{ks.ref.name})",
                origin=ro.origin,
                path=err.path,
                object=ro.ref,
            )


RULE = Rule("invalid-substitution", "GL403", Severity.ERROR, "syntax Flux's envsubst rejects", check)
