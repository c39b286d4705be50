"""GL105 kustomize-build: kustomize would refuse to build a directory.

A build error fails the whole Flux Kustomization: nothing in it is applied.
Missing files are missing-path (GL104); everything else kustomize refuses
(a strategic merge patch matching no resource, conflicting generators, two
resources with one identity) is reported here, at the kustomization line.
Remote resources are noted (info): they are never fetched, so their content
is not checked. So is the content of a suspended Kustomization (one info line,
see :mod:`gitops_lint.model.suspend`), and that of a Kustomization or ResourceSet the
API server refuses because a field has the wrong type (one info line at the
field; the schema rule reports the field itself, see :mod:`gitops_lint.discover.flux_fields`).
"""

from __future__ import annotations

from ..core.data import Severity
from ..discover.flux_fields import REFUSED
from ..model.suspend import suspended_roots
from ..render.types import ERROR, EXTERNAL, NOTE
from .base import Context, Hit, Rule


def check(ctx: Context):
    for ks in sorted(ctx.cluster.kustomizations.values(), key=lambda k: k.ref):
        for issue in ks.build_issues:
            if issue.kind == ERROR:
                yield Hit(issue.message, file=issue.file, line=issue.line, column=issue.column)
            elif issue.kind in (EXTERNAL, NOTE, REFUSED):  # remote; not run by kubectl; refused by the API
                yield Hit(
                    issue.message,
                    file=issue.file,
                    line=issue.line,
                    column=issue.column,
                    severity=Severity.INFO,
                )
    cluster = ctx.cluster
    under = suspended_roots(cluster)
    for ref in sorted(set(under.values())):
        ks = cluster.kustomizations[ref.key()]
        inner = sum(1 for top in under.values() if top == ref) - 1
        yield Hit(
            f"Kustomization {ref.namespace}/{ref.name} has spec.suspend: true: Flux applies nothing of it"
            + (f" nor of the {inner} Kustomization{'s' * (inner != 1)} it applies" if inner else "")
            + "; its content was not checked",
            origin=ks.origin,
            path=("spec", "suspend"),
            object=ref,
            severity=Severity.INFO,
        )


RULE = Rule("kustomize-build", "GL105", Severity.ERROR, "kustomize cannot build a directory", check)
