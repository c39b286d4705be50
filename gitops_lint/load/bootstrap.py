"""The config's ``bootstrap:`` key: what the repository does not say about its sync.

A FluxInstance created by Terraform, or an OCI artifact pushed from CI, leaves
no sync object in Git; the config names it instead, and discovery uses it. It
is read with the rest of the config, before discovery runs, so it lives here
as plain data.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.fs import OutsideRoot, normalize


@dataclass(frozen=True)
class Bootstrap:
    """The config's ``bootstrap:`` key: what the repository does not say about its sync."""

    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    url: str | None = None
    root: str | None = None  # repository directory at the root of the artifact
    entries: tuple[str, ...] = ()  # cluster directories, repository-relative


_BOOTSTRAP_KEYS = {"kind", "namespace", "name", "url", "root", "entries"}
_SOURCE_KINDS = ("GitRepository", "OCIRepository", "Bucket", "ExternalArtifact")


def parse_bootstrap(value) -> tuple[Bootstrap | None, tuple, str]:
    """The config's ``bootstrap:`` value, or (None, field path, what is wrong)."""
    if not isinstance(value, dict):
        return None, (), "bootstrap expects a mapping (kind, namespace, name, url, root, entries)"
    for key in value:
        if key not in _BOOTSTRAP_KEYS:
            return (
                None,
                (key,),
                f"unknown bootstrap setting {key!r} (expected one of {', '.join(sorted(_BOOTSTRAP_KEYS))})",
            )
    for key in ("kind", "namespace", "name", "url", "root"):
        if key in value and not isinstance(value[key], str):
            return None, (key,), f"bootstrap.{key} expects a string"
    if "kind" in value and value["kind"] not in _SOURCE_KINDS:
        return None, ("kind",), f"bootstrap.kind expects one of {', '.join(_SOURCE_KINDS)}"
    entries = value.get("entries", [])
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        return None, ("entries",), "bootstrap.entries expects a list of directories"
    try:
        root = normalize(value["root"]) if "root" in value else None
        paths = tuple(normalize(e) for e in entries)
    except OutsideRoot as exc:
        return None, (), f"bootstrap: {exc} leaves the repository"
    return (
        Bootstrap(
            value.get("kind"), value.get("namespace"), value.get("name"), value.get("url"), root, paths
        ),
        (),
        "",
    )
