"""Deprecated and removed API versions: Kubernetes (by ``--kube-version``) and Flux
(by ``--flux-version`` / the repository's Flux version).

Kubernetes: the API deprecation guide's removals (1.16, 1.22, 1.25, 1.26,
1.27, 1.29, 1.32) and deprecations still served. Flux: FLUX-SEMANTICS §4.2,
from the components' CHANGELOGs; removal is of the CRD version itself, so an
object with a removed apiVersion fails with ``no matches for kind``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..flux_version import NEWEST as NEWEST_FLUX  # one place for "the newest Flux"


@dataclass(frozen=True)
class Deprecation:
    api_version: str
    kinds: frozenset[str] | None  # None: every kind of that apiVersion
    deprecated_in: tuple[int, int]
    removed_in: tuple[int, int] | None
    replacement: str  # apiVersion to use instead ("" when the kind is gone)
    product: str  # "Kubernetes" or "Flux"
    note: str = ""


def _k(api_version, kinds, dep, rem, repl, note=""):
    return Deprecation(api_version, frozenset(kinds) if kinds else None, dep, rem, repl, "Kubernetes", note)


def _f(api_version, kinds, dep, rem, repl, note=""):
    return Deprecation(api_version, frozenset(kinds) if kinds else None, dep, rem, repl, "Flux", note)


_WORKLOADS = ("Deployment", "DaemonSet", "ReplicaSet", "StatefulSet", "ControllerRevision")

KUBERNETES = [
    _k("extensions/v1beta1", ["Ingress"], (1, 14), (1, 22), "networking.k8s.io/v1"),
    _k("extensions/v1beta1", ["Deployment", "DaemonSet", "ReplicaSet"], (1, 9), (1, 16), "apps/v1"),
    _k("extensions/v1beta1", ["NetworkPolicy"], (1, 9), (1, 16), "networking.k8s.io/v1"),
    _k("extensions/v1beta1", ["PodSecurityPolicy"], (1, 11), (1, 16), "policy/v1beta1"),
    _k("apps/v1beta1", _WORKLOADS, (1, 9), (1, 16), "apps/v1"),
    _k("apps/v1beta2", _WORKLOADS, (1, 9), (1, 16), "apps/v1"),
    _k("networking.k8s.io/v1beta1", ["Ingress", "IngressClass"], (1, 19), (1, 22), "networking.k8s.io/v1"),
    _k("admissionregistration.k8s.io/v1beta1", None, (1, 16), (1, 22), "admissionregistration.k8s.io/v1"),
    _k("apiextensions.k8s.io/v1beta1", None, (1, 16), (1, 22), "apiextensions.k8s.io/v1"),
    _k("apiregistration.k8s.io/v1beta1", None, (1, 19), (1, 22), "apiregistration.k8s.io/v1"),
    _k("authentication.k8s.io/v1beta1", None, (1, 19), (1, 22), "authentication.k8s.io/v1"),
    _k("authorization.k8s.io/v1beta1", None, (1, 19), (1, 22), "authorization.k8s.io/v1"),
    _k("certificates.k8s.io/v1beta1", None, (1, 19), (1, 22), "certificates.k8s.io/v1"),
    _k("coordination.k8s.io/v1beta1", None, (1, 19), (1, 22), "coordination.k8s.io/v1"),
    _k("rbac.authorization.k8s.io/v1beta1", None, (1, 17), (1, 22), "rbac.authorization.k8s.io/v1"),
    _k("rbac.authorization.k8s.io/v1alpha1", None, (1, 17), (1, 22), "rbac.authorization.k8s.io/v1"),
    _k("scheduling.k8s.io/v1beta1", None, (1, 14), (1, 22), "scheduling.k8s.io/v1"),
    _k(
        "storage.k8s.io/v1beta1",
        ["CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"],
        (1, 19),
        (1, 22),
        "storage.k8s.io/v1",
    ),
    _k("batch/v1beta1", ["CronJob"], (1, 21), (1, 25), "batch/v1"),
    _k("discovery.k8s.io/v1beta1", None, (1, 21), (1, 25), "discovery.k8s.io/v1"),
    _k("events.k8s.io/v1beta1", None, (1, 21), (1, 25), "events.k8s.io/v1"),
    _k("autoscaling/v2beta1", None, (1, 22), (1, 25), "autoscaling/v2"),
    _k("policy/v1beta1", ["PodDisruptionBudget"], (1, 21), (1, 25), "policy/v1"),
    _k("policy/v1beta1", ["PodSecurityPolicy"], (1, 21), (1, 25), "", "replaced by Pod Security Admission"),
    _k("node.k8s.io/v1beta1", None, (1, 20), (1, 25), "node.k8s.io/v1"),
    _k("autoscaling/v2beta2", None, (1, 23), (1, 26), "autoscaling/v2"),
    _k("flowcontrol.apiserver.k8s.io/v1beta1", None, (1, 23), (1, 26), "flowcontrol.apiserver.k8s.io/v1"),
    _k("storage.k8s.io/v1beta1", ["CSIStorageCapacity"], (1, 24), (1, 27), "storage.k8s.io/v1"),
    _k("flowcontrol.apiserver.k8s.io/v1beta2", None, (1, 26), (1, 29), "flowcontrol.apiserver.k8s.io/v1"),
    _k("flowcontrol.apiserver.k8s.io/v1beta3", None, (1, 29), (1, 32), "flowcontrol.apiserver.k8s.io/v1"),
    _k("v1", ["Endpoints"], (1, 33), None, "discovery.k8s.io/v1", "use EndpointSlice"),
]

_SRC = "source.toolkit.fluxcd.io"
_NOTE = "notification.toolkit.fluxcd.io"
_IMG = "image.toolkit.fluxcd.io"
_KS = "kustomize.toolkit.fluxcd.io"
_HELM = "helm.toolkit.fluxcd.io"

FLUX = [
    # pre-GA alphas
    _f(f"{_SRC}/v1alpha1", None, (0, 0), (2, 0), f"{_SRC}/v1"),
    _f(f"{_KS}/v1alpha1", None, (0, 0), (2, 0), f"{_KS}/v1"),
    _f(f"{_HELM}/v2alpha1", None, (0, 0), (2, 0), f"{_HELM}/v2"),
    _f(f"{_NOTE}/v1alpha1", ["Alert", "Provider"], (0, 0), (2, 0), f"{_NOTE}/v1beta3"),
    _f(f"{_NOTE}/v1alpha1", ["Receiver"], (0, 0), (2, 0), f"{_NOTE}/v1"),
    _f(f"{_IMG}/v1alpha1", None, (0, 0), (2, 0), f"{_IMG}/v1"),
    _f(f"{_IMG}/v1alpha2", None, (0, 0), (2, 0), f"{_IMG}/v1"),
    # removed in Flux 2.7
    _f(f"{_SRC}/v1beta1", None, (2, 0), (2, 7), f"{_SRC}/v1"),
    _f(f"{_KS}/v1beta1", None, (2, 0), (2, 7), f"{_KS}/v1"),
    _f(f"{_NOTE}/v1beta1", ["Alert", "Provider"], (2, 0), (2, 7), f"{_NOTE}/v1beta3"),
    _f(f"{_NOTE}/v1beta1", ["Receiver"], (2, 0), (2, 7), f"{_NOTE}/v1"),
    _f(f"{_IMG}/v1beta1", None, (2, 0), (2, 7), f"{_IMG}/v1"),
    _f(f"{_HELM}/v2beta1", None, (2, 2), (2, 7), f"{_HELM}/v2"),
    # removed in Flux 2.8 (deprecated when the stable version shipped)
    _f(f"{_SRC}/v1beta2", ["GitRepository"], (2, 0), (2, 8), f"{_SRC}/v1"),
    _f(f"{_SRC}/v1beta2", ["HelmRepository", "HelmChart"], (2, 3), (2, 8), f"{_SRC}/v1"),
    _f(f"{_SRC}/v1beta2", ["Bucket"], (2, 4), (2, 8), f"{_SRC}/v1"),
    _f(f"{_SRC}/v1beta2", ["OCIRepository"], (2, 6), (2, 8), f"{_SRC}/v1"),
    _f(f"{_KS}/v1beta2", None, (2, 0), (2, 8), f"{_KS}/v1"),
    _f(f"{_HELM}/v2beta2", None, (2, 3), (2, 8), f"{_HELM}/v2"),
    # removed in Flux 2.9
    _f(f"{_NOTE}/v1beta2", ["Alert", "Provider"], (2, 2), (2, 9), f"{_NOTE}/v1beta3"),
    _f(f"{_NOTE}/v1beta2", ["Receiver"], (2, 1), (2, 9), f"{_NOTE}/v1"),
    _f(f"{_IMG}/v1beta2", None, (2, 7), (2, 9), f"{_IMG}/v1"),
    _f(f"{_NOTE}/v1beta3", ["Receiver"], (0, 0), (0, 0), f"{_NOTE}/v1", "Receiver never had v1beta3"),
]


def parse_minor(text) -> tuple[int, int] | None:
    m = re.match(r"^\s*v?(\d+)\.(\d+|x)", str(text or ""))
    if not m:
        return None
    if m.group(2) == "x":
        return NEWEST_FLUX if int(m.group(1)) == NEWEST_FLUX[0] else (int(m.group(1)), 99)
    return int(m.group(1)), int(m.group(2))


def find(
    api_version: str, kind: str, kube: tuple[int, int], flux: tuple[int, int]
) -> tuple[Deprecation, bool] | None:
    """(entry, removed) for an apiVersion/kind deprecated at these versions, else None."""
    for table, version in ((KUBERNETES, kube), (FLUX, flux)):
        for d in table:
            if d.api_version != api_version or (d.kinds is not None and kind not in d.kinds):
                continue
            if d.removed_in is not None and version >= d.removed_in:
                return d, True
            if version >= d.deprecated_in:
                return d, False
    return None


def show(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"
