"""Kinds every cluster serves without a CustomResourceDefinition from Git.

One table, used by every rule that must know whether a kind exists and
whether it is namespaced: the Kubernetes API groups built into the API server
(Kubernetes 1.33, plus kinds removed since 1.25 so older clusters still
resolve), and Flux's own kinds, whose CRDs ``flux bootstrap`` (or the Flux
Operator) installs before anything in the repository is applied.

``True`` means namespaced, ``False`` cluster-scoped (``kubectl api-resources``
NAMESPACED column).
"""

from __future__ import annotations

from ..core.data import (
    FLUX_HELM_GROUP,
    FLUX_KS_GROUP,
    FLUX_OPERATOR_GROUP,
    FLUX_SOURCE_EXT_GROUP,
    FLUX_SOURCE_GROUP,
)

N, C = True, False

KUBERNETES_KINDS: dict[str, dict[str, bool]] = {
    "": {
        "Binding": N,
        "ComponentStatus": C,
        "ConfigMap": N,
        "Endpoints": N,
        "Event": N,
        "LimitRange": N,
        "Namespace": C,
        "Node": C,
        "PersistentVolume": C,
        "PersistentVolumeClaim": N,
        "Pod": N,
        "PodTemplate": N,
        "ReplicationController": N,
        "ResourceQuota": N,
        "Secret": N,
        "Service": N,
        "ServiceAccount": N,
    },
    "admissionregistration.k8s.io": {
        "MutatingAdmissionPolicy": C,
        "MutatingAdmissionPolicyBinding": C,
        "MutatingWebhookConfiguration": C,
        "ValidatingAdmissionPolicy": C,
        "ValidatingAdmissionPolicyBinding": C,
        "ValidatingWebhookConfiguration": C,
    },
    "apiextensions.k8s.io": {"CustomResourceDefinition": C},
    "apiregistration.k8s.io": {"APIService": C},
    "apps": {
        "ControllerRevision": N,
        "DaemonSet": N,
        "Deployment": N,
        "ReplicaSet": N,
        "StatefulSet": N,
    },
    "authentication.k8s.io": {"SelfSubjectReview": C, "TokenReview": C},
    "authorization.k8s.io": {
        "LocalSubjectAccessReview": N,
        "SelfSubjectAccessReview": C,
        "SelfSubjectRulesReview": C,
        "SubjectAccessReview": C,
    },
    "autoscaling": {"HorizontalPodAutoscaler": N},
    "batch": {"CronJob": N, "Job": N},
    "certificates.k8s.io": {"CertificateSigningRequest": C, "ClusterTrustBundle": C},
    "coordination.k8s.io": {"Lease": N, "LeaseCandidate": N},
    "discovery.k8s.io": {"EndpointSlice": N},
    "events.k8s.io": {"Event": N},
    "flowcontrol.apiserver.k8s.io": {"FlowSchema": C, "PriorityLevelConfiguration": C},
    "internal.apiserver.k8s.io": {"StorageVersion": C},
    "networking.k8s.io": {
        "IPAddress": C,
        "Ingress": N,
        "IngressClass": C,
        "NetworkPolicy": N,
        "ServiceCIDR": C,
    },
    "node.k8s.io": {"RuntimeClass": C},
    # PodSecurityPolicy was removed in 1.25: deprecated-api reports it, not missing-crd
    "policy": {"PodDisruptionBudget": N, "PodSecurityPolicy": C},
    "rbac.authorization.k8s.io": {
        "ClusterRole": C,
        "ClusterRoleBinding": C,
        "Role": N,
        "RoleBinding": N,
    },
    "resource.k8s.io": {
        "DeviceClass": C,
        "DeviceTaintRule": C,
        "ResourceClaim": N,
        "ResourceClaimTemplate": N,
        "ResourceSlice": C,
    },
    "scheduling.k8s.io": {"PriorityClass": C},
    "storage.k8s.io": {
        "CSIDriver": C,
        "CSINode": C,
        "CSIStorageCapacity": N,
        "StorageClass": C,
        "VolumeAttachment": C,
        "VolumeAttributesClass": C,
    },
    "storagemigration.k8s.io": {"StorageVersionMigration": C},
}

# Flux's own kinds (FLUX-SEMANTICS.md §4.1); all namespaced. The Flux Operator's
# kinds are listed too: a cluster that uses them runs the operator before it
# runs Flux.
FLUX_KINDS: dict[str, dict[str, bool]] = {
    FLUX_SOURCE_GROUP: {
        "Bucket": N,
        "ExternalArtifact": N,
        "GitRepository": N,
        "HelmChart": N,
        "HelmRepository": N,
        "OCIRepository": N,
    },
    FLUX_SOURCE_EXT_GROUP: {"ArtifactGenerator": N},
    FLUX_KS_GROUP: {"Kustomization": N},
    FLUX_HELM_GROUP: {"HelmRelease": N},
    "notification.toolkit.fluxcd.io": {"Alert": N, "Provider": N, "Receiver": N},
    "image.toolkit.fluxcd.io": {"ImagePolicy": N, "ImageRepository": N, "ImageUpdateAutomation": N},
    FLUX_OPERATOR_GROUP: {
        "FluxInstance": N,
        "FluxReport": N,
        "ResourceSet": N,
        "ResourceSetInputProvider": N,
    },
}


def _merged() -> dict[tuple[str, str], bool]:
    out: dict[tuple[str, str], bool] = {}
    for table in (KUBERNETES_KINDS, FLUX_KINDS):
        for group, kinds in table.items():
            for kind, namespaced in kinds.items():
                out[(group, kind)] = namespaced
    return out


BUILTIN_KINDS: dict[tuple[str, str], bool] = _merged()


def is_builtin(group: str, kind: str) -> bool:
    """Is (group, kind) served by every cluster Flux runs on (no CRD from Git needed)?"""
    return (group, kind) in BUILTIN_KINDS


def builtin_namespaced(group: str, kind: str) -> bool | None:
    """True/False for a built-in kind, None when the kind is not built in."""
    return BUILTIN_KINDS.get((group, kind))


def is_flux_group(group: str) -> bool:
    return group in FLUX_KINDS or group.endswith(".toolkit.fluxcd.io")
