"""GL503 deprecated-api: an apiVersion deprecated or removed at the versions in use.

Kubernetes APIs are judged at ``--kube-version`` (else the newest shipped
schemas, *assumed*), from what the shipped schemas of each version serve.
Flux APIs are judged at the Flux version the repository states (see
:mod:`gitops_lint.model.flux_version`), else at the newest Flux, *assumed*.

An apiVersion that the stated version does not serve (removed, never
existed, or newer than it) makes the apply fail (``no matches for kind``):
an error, unless the config sets this rule's severity. When the version is
only assumed, the cluster may still serve it: a warning that says so. One
that a newer version removes, or that is deprecated, is a warning. The
advice names an apiVersion the version in use serves; when it has none yet,
it says which Flux brings it.
"""

from __future__ import annotations

from ..core.data import Severity
from ..model.flux_version import NEWEST, FluxTarget
from ..schema.core import resolve_version
from ..schema.deprecations import Verdict, find, show
from .base import Context, Hit, Rule


def kube_version(ctx: Context) -> tuple[str | None, str]:
    """(shipped Kubernetes minor judged, how it was chosen) for messages."""
    version = resolve_version(ctx.config.kube_version)
    if ctx.config.kube_version:
        return version, f"linted for Kubernetes {version}"
    return version, f"linted for Kubernetes {version}, assumed: set kube-version in the config"


def check(ctx: Context):
    kube, kube_label = kube_version(ctx)
    flux = ctx.flux_version
    configured = any(k in ctx.config.rules for k in ("deprecated-api", "GL503"))
    seen = set()
    verdicts: dict[tuple[str, str], Verdict | None] = {}  # a cluster has few distinct kinds
    for ro in sorted(ctx.cluster.objects, key=lambda ro: (ro.origin.file, ro.origin.line)):
        api_version, kind = ro.obj.get("apiVersion"), ro.obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            continue
        if (api_version, kind) not in verdicts:
            verdicts[api_version, kind] = find(api_version, kind, kube, flux.version)
        verdict = verdicts[api_version, kind]
        if verdict is None:
            continue
        key = (ro.origin, api_version, kind)
        if key in seen:
            continue
        seen.add(key)
        if verdict.product == "Kubernetes":
            message = _kubernetes(kind, api_version, verdict, kube_label)
            stated = bool(ctx.config.kube_version) or verdict.state == "removed-before"
        else:
            message = _flux(kind, api_version, verdict, flux)
            stated = flux.stated
        error = verdict.fails and stated and not configured
        yield Hit(
            message,
            origin=ro.origin,
            path=("apiVersion",),
            object=ro.ref,
            severity=Severity.ERROR if error else None,
        )


def _kubernetes(kind: str, api_version: str, v: Verdict, label: str) -> str:
    instead = f"use {v.replacement}" if v.replacement else "no replacement is served"
    if v.state == "deprecated":
        return f"{kind} {api_version} is deprecated since Kubernetes {show(v.deprecated_in)} ({label}): {instead}"
    if v.state == "removed":
        return f"{kind} {api_version} was removed in Kubernetes {show(v.removed_in)} ({label}): {instead}"
    if v.state == "removed-later":
        return (
            f"{kind} {api_version} is removed in Kubernetes {show(v.removed_in)} ({label} still serves it): "
            f"{instead} before upgrading"
        )
    return f"{kind} {api_version} is served by no Kubernetes from {v.oldest} on: {instead}"


def _flux(kind: str, api_version: str, v: Verdict, flux: FluxTarget) -> str:
    at = flux.described
    later = f"{v.final} (from Flux {show(v.final_since)})" if v.final else ""
    if v.replacement:
        instead = f"use {v.replacement}" + (f" (or {later})" if later else "")
    elif later:
        instead = f"move to {later}"
    else:
        instead = "no replacement"
    if v.state == "removed":
        since = f" (deprecated since Flux {show(v.deprecated_in)})" if v.deprecated_in else ""
        return f"{kind} {api_version} was removed in Flux {show(v.removed_in)}{since}; {at} does not serve it: {instead}"
    if v.state == "never":
        return f"{kind} {api_version} exists in no Flux release (up to Flux {show(NEWEST)}); {at}: {instead}"
    if v.state == "not-yet":
        return f"{kind} {api_version} arrives in Flux {show(v.introduced)}; {at} does not serve it: {instead}"
    if v.state == "removed-later":
        dep = f"deprecated since Flux {show(v.deprecated_in)} and " if v.deprecated_in else ""
        return (
            f"{kind} {api_version} is {dep}removed in Flux {show(v.removed_in)}; {at} still serves it: "
            f"before upgrading to Flux {show(v.removed_in)}, {instead}"
        )
    return f"{kind} {api_version} is deprecated since Flux {show(v.deprecated_in)} ({at}): {instead}"


RULE = Rule(
    "deprecated-api",
    "GL503",
    Severity.WARNING,
    "an apiVersion is deprecated or removed",
    check,
    reads=frozenset({"flux_version"}),
)
