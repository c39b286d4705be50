"""Deprecated and removed API versions: Kubernetes (by ``--kube-version``) and Flux
(by ``--flux-version`` / the repository's Flux version).

Kubernetes: derived from the schemas kubernetes-validate ships per version
(:mod:`.kube_apis`), never written from memory. Flux: FLUX-SEMANTICS §4.1/4.2
(the components' CHANGELOGs): for every kind, the API versions each Flux
serves, so that the advice given is valid for the Flux in use (Flux 2.2 has
no ``source.toolkit.fluxcd.io/v1`` HelmRepository, so it is never told to use
one). Removal is of the CRD version itself: an object with a removed
apiVersion fails with ``no matches for kind``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model.flux_version import NEWEST as NEWEST_FLUX  # one place for "the newest Flux"
from . import kube_apis

BEFORE_2_0 = (0, 0)  # "before Flux 2.0": served or removed by every Flux 2.x


@dataclass(frozen=True)
class FluxApi:
    """One apiVersion of some Flux kinds: the Flux minors that serve it."""

    api_version: str
    kinds: frozenset[str]
    introduced: tuple[int, int]
    deprecated: tuple[int, int] | None
    removed: tuple[int, int] | None


def _api(api_version, kinds, introduced, deprecated=None, removed=None) -> FluxApi:
    return FluxApi(api_version, frozenset(kinds), introduced, deprecated, removed)


_SRC = "source.toolkit.fluxcd.io"
_NOTE = "notification.toolkit.fluxcd.io"
_IMG = "image.toolkit.fluxcd.io"
_KS = "kustomize.toolkit.fluxcd.io"
_HELM = "helm.toolkit.fluxcd.io"
_OLD_SOURCES = ("GitRepository", "HelmRepository", "HelmChart", "Bucket")
_REFLECTOR = ("ImageRepository", "ImagePolicy")
_ALERTING = ("Alert", "Provider")
_B = BEFORE_2_0

FLUX = [
    # pre-GA alphas, long removed
    _api(f"{_SRC}/v1alpha1", _OLD_SOURCES, _B, _B, _B),
    _api(f"{_KS}/v1alpha1", ["Kustomization"], _B, _B, _B),
    _api(f"{_HELM}/v2alpha1", ["HelmRelease"], _B, _B, _B),
    _api(f"{_NOTE}/v1alpha1", [*_ALERTING, "Receiver"], _B, _B, _B),
    _api(f"{_IMG}/v1alpha1", [*_REFLECTOR, "ImageUpdateAutomation"], _B, _B, _B),
    _api(f"{_IMG}/v1alpha2", [*_REFLECTOR, "ImageUpdateAutomation"], _B, _B, _B),
    # v1beta1: removed in Flux 2.7
    _api(f"{_SRC}/v1beta1", _OLD_SOURCES, _B, (2, 0), (2, 7)),
    _api(f"{_KS}/v1beta1", ["Kustomization"], _B, (2, 0), (2, 7)),
    _api(f"{_NOTE}/v1beta1", [*_ALERTING, "Receiver"], _B, (2, 0), (2, 7)),
    _api(f"{_IMG}/v1beta1", _REFLECTOR, _B, (2, 1), (2, 7)),
    _api(f"{_IMG}/v1beta1", ["ImageUpdateAutomation"], _B, (2, 3), (2, 7)),
    _api(f"{_HELM}/v2beta1", ["HelmRelease"], _B, (2, 2), (2, 7)),
    # deprecated when the stable version shipped, removed in Flux 2.8
    _api(f"{_SRC}/v1beta2", ["GitRepository"], _B, (2, 0), (2, 8)),
    _api(f"{_SRC}/v1beta2", ["HelmRepository", "HelmChart"], _B, (2, 3), (2, 8)),
    _api(f"{_SRC}/v1beta2", ["Bucket"], _B, (2, 4), (2, 8)),
    _api(f"{_SRC}/v1beta2", ["OCIRepository"], _B, (2, 6), (2, 8)),
    _api(f"{_KS}/v1beta2", ["Kustomization"], _B, (2, 0), (2, 8)),
    _api(f"{_HELM}/v2beta2", ["HelmRelease"], (2, 2), (2, 3), (2, 8)),
    # removed in Flux 2.9
    _api(f"{_NOTE}/v1beta2", _ALERTING, _B, (2, 2), (2, 9)),
    _api(f"{_NOTE}/v1beta2", ["Receiver"], _B, (2, 0), (2, 9)),
    _api(f"{_IMG}/v1beta2", _REFLECTOR, (2, 1), (2, 7), (2, 9)),
    _api(f"{_IMG}/v1beta2", ["ImageUpdateAutomation"], (2, 3), (2, 7), (2, 9)),
    # current (FLUX-SEMANTICS §4.1)
    _api(f"{_SRC}/v1", ["GitRepository"], (2, 0)),
    _api(f"{_SRC}/v1", ["HelmRepository", "HelmChart"], (2, 3)),
    _api(f"{_SRC}/v1", ["Bucket"], (2, 4)),
    _api(f"{_SRC}/v1", ["OCIRepository"], (2, 6)),
    _api(f"{_SRC}/v1", ["ExternalArtifact"], (2, 7)),
    _api(f"{_KS}/v1", ["Kustomization"], (2, 0)),
    _api(f"{_HELM}/v2", ["HelmRelease"], (2, 3)),
    _api(f"{_NOTE}/v1beta3", _ALERTING, (2, 2)),  # Alert and Provider have no v1
    _api(f"{_NOTE}/v1", ["Receiver"], (2, 0)),
    _api(f"{_IMG}/v1", [*_REFLECTOR, "ImageUpdateAutomation"], (2, 7)),
]
FLUX_GROUPS = frozenset(a.api_version.rpartition("/")[0] for a in FLUX)


@dataclass(frozen=True)
class Verdict:
    """What the chosen version does with an apiVersion/kind, with valid advice."""

    product: str  # "Kubernetes" or "Flux"
    # "removed": not served at the version (apply fails); "removed-before": served by no
    # Kubernetes from the oldest shipped schemas on; "never": no Flux ever served it;
    # "not-yet": a newer version serves it; "removed-later": served, but a newer version
    # removes it; "deprecated": served and deprecated
    state: str
    deprecated_in: tuple[int, int] | None = None
    removed_in: tuple[int, int] | None = None
    replacement: str = ""  # what to use at the version judged (Kubernetes: "apiVersion Kind")
    final: str = ""  # Flux: the apiVersion the newest Flux serves, when not available yet
    final_since: tuple[int, int] | None = None  # the Flux that introduced ``final``
    introduced: tuple[int, int] | None = None  # for "not-yet"
    oldest: str = ""  # the oldest shipped Kubernetes, for "removed-before"

    @property
    def fails(self) -> bool:
        """Does applying the object fail at the version judged?"""
        return self.state in ("removed", "removed-before", "never", "not-yet")


def _served(api: FluxApi, flux: tuple[int, int]) -> bool:
    return api.introduced <= flux and (api.removed is None or flux < api.removed)


def _best(kind: str, group: str, flux: tuple[int, int]) -> FluxApi | None:
    """The newest apiVersion of ``kind`` that Flux ``flux`` serves, preferring undeprecated."""
    served = [
        a for a in FLUX if kind in a.kinds and a.api_version.startswith(group + "/") and _served(a, flux)
    ]
    if not served:
        return None
    return max(served, key=lambda a: (a.deprecated is None or flux < a.deprecated, a.introduced))


def _final(kind: str, group: str) -> FluxApi | None:
    """The apiVersion of ``kind`` that the newest known Flux serves."""
    return _best(kind, group, NEWEST_FLUX)


def _advice(api_version: str, kind: str, group: str, flux: tuple[int, int]) -> dict:
    """What to use at Flux ``flux`` instead of ``api_version``, and what the newest
    Flux wants when that is not available at ``flux`` yet."""
    best = _best(kind, group, flux)
    now = best.api_version if best is not None and best.api_version != api_version else ""
    final = _final(kind, group)
    later = final is not None and final.api_version not in (api_version, now)
    return {
        "replacement": now,
        "final": final.api_version if later else "",
        "final_since": final.introduced if later else None,
    }


def flux_api_introduced(api_version: str, kind: str) -> tuple[int, int] | None:
    """The Flux minor that first serves ``api_version`` for ``kind`` (None: not a Flux API)."""
    row = next((a for a in FLUX if a.api_version == api_version and kind in a.kinds), None)
    return row.introduced if row is not None else None


def judge_flux(api_version: str, kind: str, flux: tuple[int, int]) -> Verdict | None:
    group = api_version.rpartition("/")[0]
    if group not in FLUX_GROUPS:
        return None
    row = next((a for a in FLUX if a.api_version == api_version and kind in a.kinds), None)
    advice = _advice(api_version, kind, group, flux)
    if row is None:
        known = any(kind in a.kinds and a.api_version.startswith(group + "/") for a in FLUX)
        if not known or flux > NEWEST_FLUX:
            return None  # not a Flux kind of this group, or a Flux newer than this table
        return Verdict("Flux", "never", **advice)
    if row.removed is not None and flux >= row.removed:
        return Verdict("Flux", "removed", row.deprecated, row.removed, **advice)
    if row.introduced > flux:
        return Verdict("Flux", "not-yet", introduced=row.introduced, **advice)
    deprecated = row.deprecated is not None and flux >= row.deprecated
    if row.removed is None and not deprecated:
        return None
    state = "removed-later" if row.removed is not None else "deprecated"
    return Verdict("Flux", state, row.deprecated if deprecated else None, row.removed, **advice)


def judge_kubernetes(api_version: str, kind: str, kube: str) -> Verdict | None:
    found = kube_apis.judge(api_version, kind, kube)
    if found is None:
        return None
    return Verdict(
        "Kubernetes",
        found.state,
        deprecated_in=found.since if found.state == "deprecated" else None,
        removed_in=found.since if found.state in ("removed", "removed-later") else None,
        replacement=found.replacement,
        oldest=found.oldest,
    )


def find(api_version: str, kind: str, kube: str | None, flux: tuple[int, int]) -> Verdict | None:
    """The verdict on an apiVersion/kind at these versions (Kubernetes ``kube``, a
    shipped minor such as "1.34"; Flux ``flux``), else None."""
    if kube is not None:
        found = judge_kubernetes(api_version, kind, kube)
        if found is not None:
            return found
    return judge_flux(api_version, kind, flux)


def show(version: tuple[int, int]) -> str:
    if version == BEFORE_2_0:
        return "before 2.0"
    return f"{version[0]}.{version[1]}"
