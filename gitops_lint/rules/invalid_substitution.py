"""GL403 invalid-substitution: text Flux's envsubst cannot parse, or does not mean.

A parse error aborts the whole Kustomization whenever substitution runs for
the object (``envsubst error: variable substitution failed``), in strict and
lax mode alike: ``${var-default}``, ``${a.b}``, ``${my-var}``, ``${{ x }}``.
Variable names of substitution sources are checked by Flux too: one key that
is not a valid name fails the Kustomization even when unused.

Two warnings for text Flux accepts but rewrites: ``${x:+alt}`` and
``${x:?msg}`` act as plain defaults (not bash's "alternative" and "error"),
and a shell's PID ``$$`` in a script that shows no sign of escaping for Flux
becomes ``$``. Every other ``$$`` (``$$VAR``, ``$$(cmd)``, ``$$__interval``)
is somebody escaping on purpose, and ``$`` is what they want: no finding
(rules/invalid-substitution.md says why).
"""

from __future__ import annotations

from ..core.data import Severity
from ..substitute.engine import ALTERNATIVE, RETYPED, VAR_NAME
from .base import Context, Hit, Rule


def check(ctx: Context):
    for ks in sorted(ctx.cluster.kustomizations.values(), key=lambda k: k.ref):
        who = f"Kustomization {ks.ref.namespace}/{ks.ref.name}"
        if ks.substitutes:
            for name in sorted(set(ks.variables) | set(ks.variable_sources)):
                if VAR_NAME.match(name) or name in ctx.config.global_variables:
                    continue
                source, path = ks.variable_sources.get(name, ("spec.postBuild", ("spec", "postBuild")))
                yield Hit(
                    f"variable name {name!r} from {source} is invalid (Flux requires "
                    f"^[_a-zA-Z][_a-zA-Z0-9]*$): kustomize-controller fails the whole {who}, "
                    "whether the variable is used or not",
                    origin=ks.origin,
                    path=path,
                    object=ks.ref,
                )
        for ro, err in ks.substitution_errors:
            yield Hit(
                f"{err.expression or 'text'}: {err.message} (Flux's envsubst rejects it and fails {who})",
                origin=ro.origin,
                path=err.path,
                object=ro.ref,
            )
        for ro, note in ks.substitution_notes:
            if note.kind == RETYPED:
                continue  # harmless unless the schema rejects the new type: the schema rule says so
            if note.kind == ALTERNATIVE:
                message = (
                    f"{note.expression}: Flux's envsubst treats this as a plain default "
                    "(the value when the variable is unset or empty, the variable otherwise), "
                    "not as bash's alternative value or error; write ${var:=default} for a default"
                )
            else:
                times = "" if note.count == 1 else f" ({note.count} times)"
                message = (
                    f"$${times} becomes $ when {who} substitutes this object, so a shell's "
                    "process id $$ turns into a lone $: write $$$$ to keep $$, or label the "
                    "object kustomize.toolkit.fluxcd.io/substitute: disabled"
                )
            yield Hit(message, origin=ro.origin, path=note.path, object=ro.ref, severity=Severity.WARNING)


RULE = Rule("invalid-substitution", "GL403", Severity.ERROR, "syntax Flux's envsubst rejects", check)
