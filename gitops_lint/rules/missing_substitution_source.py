"""GL402 missing-substitution-source: a substituteFrom ConfigMap/Secret is in no manifest.

Flux looks the source up in the Kustomization's own namespace; when it is
absent and not ``optional: true`` the reconciliation fails
(``substitute from 'ConfigMap/x' error: ... not found``). But a source that
Git does not hold is very often created by something else (Terraform,
Ansible, a bootstrap script, ``kubectl create secret``): so this is a warning
by default, and the message says how to declare such a source under
``external:``. A Secret that an in-repo controller object creates (an
ExternalSecret, a SealedSecret, ...) is present, never missing
(:mod:`gitops_lint.substitute.sources`).

When a file of the repository holds a manifest of the source that no Flux
Kustomization applies to that namespace (a bootstrap step does), the
message names the file.

One missing source is one defect, however many Kustomizations read it: one
finding per source and cluster, at the first Kustomization (by namespace and
name) that reads it, naming how many do. Its variables are not reported one
by one as unresolved.
"""

from __future__ import annotations

from ..core.data import Severity
from .base import Context, Hit, Rule

_NAMED = 3  # Kustomizations named in the message


def check(ctx: Context):
    users: dict[str, list] = {}
    for ks in sorted(ctx.cluster.kustomizations.values(), key=lambda k: k.ref):
        for index, ident in ks.missing_sources:
            users.setdefault(ident, []).append((ks, index))
    defined = ctx.bootstrap_files.unapplied_manifests(users) if users else {}
    for ident, found in sorted(users.items()):
        ks, index = found[0]
        where = (
            f" ({defined[ident]} has a manifest of it, but no Flux Kustomization of this cluster "
            f"applies it to namespace {ident.split('/')[1]}: a bootstrap step may)"
            if ident in defined
            else ""
        )
        names = [f"{k.ref.namespace}/{k.ref.name}" for k, _ in found]
        if len(names) == 1:
            readers = f"Kustomization {names[0]} reads"
        else:
            more = f" and {len(names) - _NAMED} more" if len(names) > _NAMED else ""
            readers = f"{len(names)} Kustomizations ({', '.join(names[:_NAMED])}{more}) read"
        yield Hit(
            f"{readers} substituteFrom {ident}, which no manifest of this cluster defines and no "
            f"object of it creates{where}: Flux fails unless it exists in the cluster. If Terraform, a "
            "bootstrap script or another tool creates it, declare it in .gitops-lint.yaml "
            f"(external: [{ident}]; stand-in values under variables: check its variables); "
            "otherwise add it to Git or make the entry optional",
            origin=ks.origin,
            path=("spec", "postBuild", "substituteFrom", index),
            object=ks.ref,
        )


RULE = Rule(
    "missing-substitution-source",
    "GL402",
    Severity.WARNING,
    "a substituteFrom ConfigMap/Secret does not exist",
    check,
    reads=frozenset({"bootstrap_files"}),
)
