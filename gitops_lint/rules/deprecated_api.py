"""GL503 deprecated-api: an apiVersion deprecated or removed at the chosen versions.

Kubernetes APIs are judged at ``--kube-version`` (default: the newest the
bundled schemas know), Flux APIs at ``--flux-version``, else the version the
repository states (``# Flux Version:`` of gotk-components.yaml, a
FluxInstance's ``distribution.version``), else the newest Flux. A removed
apiVersion makes the apply fail (``no matches for kind``), so it is reported
as an error unless the config sets this rule's severity; a deprecated one is
a warning with the replacement apiVersion.
"""

from __future__ import annotations

from ..flux_version import flux_target
from ..model import Severity
from ..schema.core import resolve_version
from ..schema.deprecations import find, parse_minor, show
from .base import Context, Hit, Rule


def check(ctx: Context):
    requested = ctx.config.kube_version
    kube = parse_minor(requested or resolve_version(None) or "1.37")
    flux = flux_target(ctx).version
    configured = any(k in ctx.config.rules for k in ("deprecated-api", "GL503"))
    seen = set()
    for ro in sorted(ctx.cluster.objects, key=lambda ro: (ro.origin.file, ro.origin.line)):
        api_version, kind = ro.obj.get("apiVersion"), ro.obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            continue
        found = find(api_version, kind, kube, flux)
        if found is None:
            continue
        d, removed = found
        key = (ro.origin, api_version, kind)
        if key in seen:
            continue
        seen.add(key)
        at = show(kube if d.product == "Kubernetes" else flux)
        if d.removed_in == (0, 0):
            state = f"does not exist ({d.note})"
        elif removed:
            state = f"was removed in {d.product} {show(d.removed_in)} (linted for {d.product} {at})"
        else:
            later = f", removed in {d.product} {show(d.removed_in)}" if d.removed_in else ""
            state = f"is deprecated since {d.product} {show(d.deprecated_in)}{later}"
        instead = f"use {d.replacement}" if d.replacement else (d.note or "no replacement")
        if d.note and d.replacement and d.removed_in != (0, 0):
            instead += f" ({d.note})"
        yield Hit(
            f"{kind} {api_version} {state}: {instead}",
            origin=ro.origin,
            path=("apiVersion",),
            object=ro.ref,
            severity=Severity.ERROR if removed and not configured else None,
        )


RULE = Rule("deprecated-api", "GL503", Severity.WARNING, "an apiVersion is deprecated or removed", check)
