"""GL501 schema: an object violates its schema.

Every object a Flux Kustomization applies is validated, after kustomize and
substitution, against the schema the cluster would use: the repository's own
CRDs (and Crossplane XRDs), the ``schemas:`` directories of the config, the
Flux schemas bundled with gitops-lint, and the core Kubernetes schemas of
``--kube-version``. Unknown fields are errors, as with the API server's strict
field validation, and CRD ``x-kubernetes-validations`` (CEL) rules are
evaluated. The finding points at the offending field's line.
"""

from __future__ import annotations

from ..core.data import Severity
from .base import Context, Hit, Rule


def check(ctx: Context):
    result = ctx.schemas
    for ro, err in result.errors:
        ref = ro.ref
        yield Hit(
            f"{err.message} ({ref.api_version} {ref.kind}){_retyped(ro, tuple(err.path))}",
            origin=ro.origin,
            path=err.path,
            object=ref,
            severity=Severity.INFO if err.not_checked else None,  # a budget ran out: what was not checked
        )


def _retyped(ro, path: tuple) -> str:
    """Why the value has the wrong type, when post-build substitution changed it: Flux
    re-reads its output as YAML, so "${ID}" with ID=0123 arrives as the integer 83."""
    found = ro.retyped.get(path)
    if found is None:
        return ""
    expressions, type_name = found
    return (
        f": substituting {expressions} produced text that YAML reads as {type_name}; "
        "quote the result through a variable holding a double quote "
        "(${quote}${VAR}${quote} with quote: '\"'), or make the field accept it"
    )


RULE = Rule(
    "schema",
    "GL501",
    Severity.ERROR,
    "an object violates its JSON schema",
    check,
    reads=frozenset({"schemas"}),
)
