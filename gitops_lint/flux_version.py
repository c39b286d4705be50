"""Which Flux runs the cluster, and what follows from it.

Flux's behaviour changed under repositories that did not: strict post-build
substitution is on by default from Flux 2.9 (kustomize-controller 1.9,
``StrictPostBuildSubstitutions``; before, an undefined variable silently
became ""), and API versions are removed release by release. The version is
taken, first match wins, from ``--flux-version``, ``flux-version:`` in the
config, the ``# Flux Version: vX.Y.Z`` header ``flux bootstrap`` writes into
gotk-components.yaml, a FluxInstance's ``spec.distribution.version`` (also as
the values of the flux-instance chart); otherwise the newest Flux is assumed.
The gate's opt-out, ``--feature-gates=StrictPostBuildSubstitutions=false`` in
the kustomize-controller arguments (a patch of gotk-components or of a
FluxInstance), turns strict substitution off whatever the version.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .fs import FileTooLarge, OutsideRoot

if TYPE_CHECKING:  # plain data in, plain data out: no import cycle with config.py
    from .cluster import Cluster
    from .config import Config
    from .fs import RepoFS
    from .rules.base import Context

NEWEST = (2, 9)
STRICT_SINCE = (2, 9)
STRICT_GATE_OFF = "StrictPostBuildSubstitutions=false"
_HEADER = re.compile(rb"#\s*Flux Version:\s*v?(\d+)\.(\d+)")
_VERSION = re.compile(r"\s*[v=^~>]*\s*v?(\d+)(?:\.(\d+|x|X|\*))?")


class FluxVersionError(ValueError):
    """A ``--flux-version`` / ``flux-version:`` that is not MAJOR.MINOR[.PATCH]."""


def parse_version(text: str) -> tuple[int, int] | None:
    """``2.8``, ``v2.8.3``, ``2.9.x``, ``>=2.8.0`` -> (major, minor); ``2.x`` -> the newest 2.x."""
    m = _VERSION.match(str(text))
    if m is None:
        return None
    major, minor = int(m.group(1)), m.group(2)
    if minor is None or not minor.isdigit():
        return NEWEST if major == NEWEST[0] else (major, 0)
    return (major, int(minor))


def display(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


@dataclass(frozen=True)
class FluxTarget:
    version: tuple[int, int]
    source: str  # where the version was read, for messages
    strict_substitution: bool
    strict_reason: str  # why substitution is (not) strict, for messages

    @property
    def label(self) -> str:
        return f"Flux {display(self.version)}"


def flux_target(ctx: Context) -> FluxTarget:
    """The Flux of ctx's cluster, worked out on first use and kept on the context."""
    target = ctx.extra.get("flux_target")
    if target is None:
        target = ctx.extra["flux_target"] = detect(ctx.cluster, ctx.fs, ctx.config)
    return target


def detect(cluster: Cluster | None, fs: RepoFS, config: Config) -> FluxTarget:
    version, source = _configured(config) or _from_repository(cluster, fs) or (NEWEST, "the newest Flux")
    gate_off = _gate_off(cluster)
    if gate_off:
        return FluxTarget(version, source, False, f"{STRICT_GATE_OFF} in {gate_off}")
    if version >= STRICT_SINCE:
        return FluxTarget(version, source, True, f"Flux {display(version)}, {source}")
    return FluxTarget(
        version,
        source,
        False,
        f"Flux {display(version)} from {source} is lenient; strict substitution starts with Flux "
        f"{display(STRICT_SINCE)}",
    )


def _configured(config: Config) -> tuple[tuple[int, int], str] | None:
    if not config.flux_version:
        return None
    version = parse_version(config.flux_version)
    if version is None:
        raise FluxVersionError(f"flux-version {config.flux_version!r}: expected a version such as 2.8")
    return version, f"flux-version {config.flux_version}"


def _from_repository(cluster: Cluster | None, fs: RepoFS) -> tuple[tuple[int, int], str] | None:
    if cluster is None:
        return None
    headers = sorted(
        {ro.origin.file for ro in cluster.objects if posixpath.basename(ro.origin.file) == "gotk-components.yaml"}
    )
    for rel in headers:
        try:
            head = fs.read_bytes(rel)[:512]
        except (OSError, OutsideRoot, FileTooLarge):
            continue
        m = _HEADER.search(head)
        if m:
            return (int(m.group(1)), int(m.group(2))), f"{rel}:1"
    for ro in cluster.objects:
        spec = _spec(ro.obj)
        if ro.ref.kind == "FluxInstance":
            distribution = spec.get("distribution")
        elif _is_flux_instance_release(cluster, ro):
            values = spec.get("values") if isinstance(spec.get("values"), dict) else {}
            instance = values.get("instance") if isinstance(values.get("instance"), dict) else {}
            distribution = instance.get("distribution")
        else:
            continue
        raw = distribution.get("version") if isinstance(distribution, dict) else None
        version = parse_version(raw) if raw is not None else None
        if version is not None:
            return version, f"{ro.ref.kind} {ro.ref.namespace}/{ro.ref.name} distribution.version {raw}"
    return None


def _spec(obj: dict) -> dict:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def _is_flux_instance_release(cluster: Cluster, ro) -> bool:
    """A HelmRelease of the flux-instance chart (by chart.spec or through its chartRef)."""
    from .crds import chart_identity  # the CRD index's reading of a HelmRelease's chart

    return ro.ref.kind == "HelmRelease" and chart_identity(cluster, ro)[0] == "flux-instance"


def _gate_off(cluster: Cluster | None) -> str | None:
    """Where the repository turns strict substitution off, if it does."""
    if cluster is None:
        return None
    for ro in cluster.objects:
        ref = ro.ref
        relevant = (
            (ref.kind == "Deployment" and ref.name == "kustomize-controller")
            or ref.kind == "FluxInstance"
            or _is_flux_instance_release(cluster, ro)
        )
        if relevant and STRICT_GATE_OFF in json.dumps(ro.obj, default=str):
            return f"{ref.kind} {ref.namespace}/{ref.name} ({ro.origin.file})"
    return None
