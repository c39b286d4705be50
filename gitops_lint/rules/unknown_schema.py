"""GL502 unknown-schema: no schema is known for an object's apiVersion and kind.

Such objects are not validated at all. Reported once per apiVersion/kind and
cluster, at its first object, with the number of objects left unchecked.

By default only the gaps a person can close in the repository are reported:
a Kubernetes API group whose version/kind the schemas of ``--kube-version``
do not have, and a kind whose CRD (or XRD) is in the repository but lacks
that version or a schema. A kind whose CRD arrives inside a Helm chart has
no schema offline, through no fault of the repository, so it is not
reported unless this rule's severity is set in the config
(``rules: {unknown-schema: error}``, or ``warning``): then every kind
without a schema is. API versions that deprecated-api reports (deprecated
or removed) are left to that rule.
"""

from __future__ import annotations

from collections import defaultdict

from ..core.data import Severity, group_of
from ..schema.core import resolve_version
from ..schema.deprecations import find
from ..schema.kube_apis import history
from .base import Context, Hit, Rule


def check(ctx: Context):
    result = ctx.schemas
    by_kind = defaultdict(list)
    for ro in result.unknown:
        by_kind[(str(ro.obj.get("apiVersion")), str(ro.obj.get("kind")))].append(ro)
    kube = resolve_version(ctx.config.kube_version)
    flux = ctx.flux_version.version
    strict = any(k in ctx.config.rules for k in ("unknown-schema", "GL502"))
    registry = result.registry
    for (api_version, kind), objects in sorted(by_kind.items()):
        if find(api_version, kind, kube, flux) is not None:
            continue  # deprecated or removed: deprecated-api says so, with the replacement
        first = min(objects, key=lambda ro: (ro.origin.file, ro.origin.line))
        group = group_of(api_version)
        served = registry.served_versions(group, kind)
        if (api_version, kind) in registry.definitions:
            why = "its CRD in this repository has no schema for this version"
        elif served:
            why = f"the CRD in this repository defines {', '.join(served)}, not {api_version}"
        elif registry.is_core_group(group):
            newer = history(api_version, kind)
            since = f", first served in Kubernetes {newer[0]}" if newer else ""
            why = f"Kubernetes {registry.kube_version} has no {kind} in {api_version}{since}"
        elif strict:
            why = "no CRD in the repository, no bundled or configured schema"
        else:
            continue  # a CRD from a Helm chart (or missing: missing-crd's business)
        count = f"{len(objects)} object{'s' if len(objects) != 1 else ''} not validated"
        yield Hit(
            f"no schema for {api_version} {kind} ({why}; {count}): add the CRD's schema with "
            "`gitops-lint schemas import` and `schemas:` in the config",
            origin=first.origin,
            path=("apiVersion",),
            object=first.ref,
        )


RULE = Rule(
    "unknown-schema",
    "GL502",
    Severity.WARNING,
    "no schema is known for an object's apiVersion/kind",
    check,
    reads=frozenset({"flux_version", "schemas"}),
)
