"""GL103 missing-source: a sourceRef, chart sourceRef or chartRef names no source.

kustomize-controller and helm-controller requeue until the source appears;
nothing is applied meanwhile. The bootstrap GitRepository (created by
``flux bootstrap`` or a FluxInstance's ``sync``) always exists. A source that
exists but lives outside this repository is noted once (info): its content is
not checked.
"""

from __future__ import annotations

from ..core.data import Severity, key_text
from ..discover.entries import CONFIG, LAYOUT
from ..discover.sources import NOT_FOUND, OK
from .base import Context, Hit, Rule


def _exists(ctx: Context, kind: str, ns: str, name: str) -> bool:
    cluster = ctx.cluster
    if cluster.find(kind, ns, name) or key_text(kind, ns, name, namespaced=True) in ctx.config.external:
        return True
    e = cluster.entry
    return (kind, ns, name) == (e.source_kind, e.source_namespace, e.source_name)


def _unread(ctx: Context):
    """Warnings for a cluster that gitops-lint could not read as Flux would.

    A silent pass on a repository that was not read is the worst outcome: when
    the entry's bootstrap source had to be guessed, or the entry renders
    nothing, say so.
    """
    cluster = ctx.cluster
    entry = cluster.entry
    if cluster.assumed_source is not None:
        (kind, ns, name), user = cluster.assumed_source
        ks = cluster.kustomizations[user.key()]
        yield Hit(
            f"{key_text(kind, ns, name, namespaced=True)} is taken as the bootstrap source of {cluster.name}: no FluxInstance "
            "or gotk-sync.yaml names the source this entry is synced from; if that is wrong, "
            "name it in the config (bootstrap: {kind, namespace, name})",
            origin=ks.origin,
            path=("spec", "sourceRef", "name"),
            object=user,
            severity=Severity.WARNING,
        )
    root = cluster.root
    if root.source is not None and root.source.status == OK and not cluster.objects and not root.build_issues:
        # (a build that failed has its own findings)
        if entry.found_in:
            why = f"the sync in {entry.found_in} points at it"
        elif entry.found_by == LAYOUT:
            why = "it was taken as a cluster entry by its layout"
        else:
            why = (
                "named as a cluster entry by the config"
                if entry.found_by == CONFIG
                else "named on the command line"
            )
        yield Hit(
            f"{cluster.name} renders no object ({why}): nothing of this cluster was checked; "
            "lint the directory Flux syncs, or name it in the config (bootstrap: {entries: [...]})",
            file=entry.path or ".",
            line=1,
            severity=Severity.WARNING,
        )


def _other_sync(ctx: Context, kind: str, ns: str, name: str):
    """The other sync entry of the repository whose directory defines this source, if any."""
    cluster = ctx.cluster
    if not cluster.other_entries:
        return None
    for file, file_ns in ctx.other_sync_definitions.get((kind, name), []):
        if file_ns in ("", ns):
            for entry in cluster.other_entries:
                if not entry.path or file.startswith(entry.path + "/"):
                    return entry
    return None


def check(ctx: Context):
    cluster = ctx.cluster
    yield from _unread(ctx)
    # sources this cluster's tree does not define but another sync of the repository
    # applies: not proven missing (the sync may reconcile into this cluster); one
    # warning per such sync, at the first reference
    elsewhere: dict[str, list[tuple[str, Hit]]] = {}

    def missing(kind, ns, name, hit: Hit):
        other = _other_sync(ctx, kind, ns, name)
        if other is None:
            return hit
        elsewhere.setdefault(other.path, []).append((key_text(kind, ns, name, namespaced=True), hit))
        return None

    for ks in sorted(cluster.kustomizations.values(), key=lambda k: k.ref):
        if ks.synthetic or ks.source is None:
            continue
        if ks.source.status == NOT_FOUND:
            ref = ks.fields.source_ref
            hit = Hit(
                f"sourceRef names {ks.source.detail}, which no manifest of this cluster defines"
                if ref is not None
                else "spec.sourceRef is missing: Flux cannot fetch anything to apply",
                origin=ks.origin,
                path=("spec", "sourceRef", "name") if ref is not None else ("spec",),
                object=ks.ref,
            )
            if ref is not None:
                hit = missing(*ref.key, hit)
            if hit is not None:
                yield hit
    for detail, user in sorted(cluster.external_sources.items()):
        ks = cluster.kustomizations[user.key()]
        yield Hit(
            f"{detail} is not this repository: what Kustomization {user.namespace}/{user.name} "
            "applies from it is not checked",
            origin=ks.origin,
            path=("spec", "sourceRef", "name"),
            object=user,
            severity=Severity.INFO,
        )
    for release in cluster.helmreleases:
        for path, ref in release.source_refs():
            if not ref.name:
                continue
            if not _exists(ctx, *ref.key):
                hit = missing(
                    *ref.key,
                    Hit(
                        f"{'.'.join(path)} names {ref.text}, which no manifest of this cluster defines",
                        origin=release.origin,
                        path=("spec", *path, "name"),
                        object=release.ref,
                    ),
                )
                if hit is not None:
                    yield hit
    for other_path, refs in sorted(elsewhere.items()):
        other = next(e for e in cluster.other_entries if e.path == other_path)
        names = sorted({ident for ident, _ in refs})
        first = min(
            (hit for _, hit in refs), key=lambda h: (h.origin.file, h.origin.line) if h.origin else ("", 0)
        )
        more = f" and {len(names) - 1} other source{'s' * (len(names) > 2)}" if len(names) > 1 else ""
        yield Hit(
            f"{names[0]}{more} used in {cluster.name} {'are' if more else 'is'} not applied by its tree "
            f"but by the sync of {other.path or '.'} ({other.found_in or other.found_by}); if that sync "
            f"reconciles into the same cluster {'they exist' if more else 'it exists'}: lint both "
            "entries together, or apply the sources from this tree",
            origin=first.origin,
            path=first.path,
            object=first.object,
            severity=Severity.WARNING,
        )


RULE = Rule(
    "missing-source",
    "GL103",
    Severity.ERROR,
    "a sourceRef names a source that does not exist",
    check,
    reads=frozenset({"other_sync_definitions"}),
)
