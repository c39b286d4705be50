"""Real repositories are the measure of false positives.

Every entry of every repository in ../shared/corpus (SOURCES.md) must lint
with zero error findings, except the real defects listed below with their
explanation. Then defects are injected into a temporary copy of a corpus
repository, and each must be found.
"""

from __future__ import annotations

import functools
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from gitops_lint.core.data import Severity
from tests.conftest import CORPUS
from tests.helpers import lint_repo


@dataclass(frozen=True)
class Known:
    """A finding the corpus is expected to produce, `count` times in `file`.

    Every error is a real defect of that repository, checked by hand against Flux's
    behaviour (DESIGN.md "Certainty"); every warning is one the rule's page justifies.
    The reason says why: a reviewer reads it, not the code.
    """

    rule: str
    file: str
    count: int
    reason: str
    severity: str = "error"


# -- why each expected finding is right ----------------------------------------------------
# Errors were checked by hand against Flux's behaviour (DESIGN.md "Certainty"); warnings
# are the cases the rule pages justify. One constant per class, named where it is used.

CRD_ORDER = (
    "custom resources whose CRD is installed by a chart or CRD Kustomization that this "
    "Kustomization is not ordered after (no dependsOn, the same apply, or an ancestor that "
    "does not wait): on a new cluster Flux's dry-run fails with `no matches for kind` until "
    "the provider has run; one finding per (Kustomization, provider), at the dependent"
)
CRD_ORDER_UNWAITED = (
    "the Kustomization depends on the provider's Kustomization, but that one neither waits "
    "for nor health-checks the chart, so it is Ready before the CRDs exist"
)
CRD_PRUNE = (
    "a Kustomization with prune: true applies CRDs without kustomize.toolkit.fluxcd.io/prune: "
    "disabled: dropping one from the build deletes the CRD and every object of its kind"
)
DUPLICATE = (
    "the same object (after substitution) is applied by two Flux Kustomizations: they flip "
    "its kustomize.toolkit.fluxcd.io ownership labels and either one's prune deletes it"
)
UNRESOLVED_STRICT = (
    "a ${var} without default that no substitution source defines, in a Kustomization that "
    "substitutes, with strict substitution (Flux 2.9): the Kustomization fails (Grafana "
    "dashboard variables and a shell ${TOKEN} that should be written $${...})"
)
UNRESOLVED_LAX = (
    "a ${var} that no substitution source defines, under a Flux older than 2.9 (stated) or "
    "with strict substitution off: Flux writes an empty string"
)
SOURCE_OUTSIDE_GIT = (
    "substituteFrom names a ConfigMap/Secret that nothing Flux applies defines: created by a "
    "bootstrap script or by hand; a warning, with how to declare it under external:"
)
SOURCE_OF_ANOTHER_SYNC = (
    "the source is defined only under another sync's directory (a tree applied by hand or by "
    "another bootstrap), not by this cluster's tree: a warning, not a proven absence"
)
FLUX_API_REMOVED_LATER = (
    "a Flux API version that the stated (or assumed) Flux still serves but a newer Flux "
    "removes: a warning that upgrading Flux breaks the object"
)
K8S_ENDPOINTS = (
    "core/v1 Endpoints is deprecated since Kubernetes 1.33 (its own schema says so; "
    "discovery.k8s.io/v1 EndpointSlice replaces it)"
)
CORPUS_ARTIFACT = (
    "corpus artifact: the file exists upstream but SOURCES.md's export dropped it (binary or "
    "media files, sulibot's largest files, the one symlink of auricom)"
)
MONOSENSE_COREDNS = (
    "helmrelease.yaml also defines the OCIRepository coredns-charts that another resource "
    "defines: kustomize refuses the duplicate id (kubectl kustomize fails the same way)"
)
MONOSENSE_COMPONENT = (
    "components: allow-1password-connect names a directory that does not exist (only "
    "allow-1password-connect.yaml does): kustomize fails with no such file or directory"
)
MONOSENSE_GRAFANA_FIELD = (
    "${__field.labels.job} in a Grafana dashboard is a parse error of Flux's envsubst "
    "(missing closing brace) whenever the Kustomization substitutes: it fails in any mode"
)
MONOSENSE_DEPENDS = (
    "dependsOn names a Kustomization that this cluster never defines (it exists only in the "
    "other cluster, or nowhere): the dependent waits forever"
)
MONOSENSE_OCI_NAMESPACE = (
    "the OCIRepository has no metadata.namespace and its Kustomization gives none (the "
    "kustomization's namespace: is not set), so the apply fails and the HelmRelease's chartRef "
    "to it in observability names nothing"
)
HELMRELEASE_SPEC_VERSION = (
    "spec.version is not a field of HelmRelease v2: the server-side dry-run rejects the object "
    "(field not declared in schema)"
)
AURICOM_ROOK = (
    "dependsOn HelmRelease rook-ceph/rook-ceph-operator, which no manifest defines (the "
    "release is called rook-ceph): the release waits forever"
)
RAMBLURR_CLOUDFLARED = (
    "dependsOn HelmRelease network/cloudflared, whose ks.yaml is commented out of the network "
    "kustomization: the release waits forever"
)
GRAFANA_PASSWORD = (
    "the HelmRelease commits Grafana's admin password in clear (values grafana.adminPassword): "
    "the demo's documented login, a plaintext credential in Git all the same"
)
KES_SECRET_ID = "Secret minio/kes-configuration holds a Vault AppRole secret ID in clear in stringData"
DEVENV_SECRET = (
    "Secret media/immich-secret of the kind dev environment commits its database password in "
    "clear (stringData, no SOPS); one finding per key"
)
SULIBOT_CLEAR_SECRET = (
    "a Secret wholly in clear whose matching .sops.yaml rule would encrypt none of its keys: "
    "gitops-lint cannot tell identifiers from credentials, so a warning"
)

# repository -> every error and warning expected when all its SOURCES.md entries are
# linted in one run (as ../shared/tools/corpus-report does). A change of a count is a
# change of behaviour: explain it in the commit that makes it.
EXPECTED: dict[str, list[Known]] = {
    "Diaoul__home-ops": [
        Known(
            "crd-order", "kubernetes/apps/database/cloudnative-pg/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"
        ),
        Known(
            "crd-order",
            "kubernetes/apps/kube-system/node-feature-discovery/ks.yaml",
            1,
            CRD_ORDER_UNWAITED,
            "warning",
        ),
    ],
    "Ramblurr__home-ops": [
        Known("crd-order", "k8s/prod/apps/work-invoiceninja/invoiceninja-public-pvc/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "k8s/prod/apps/work-invoiceninja/invoiceninja-storage-pvc/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "k8s/prod/core/observability/kube-prometheus-stack/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "k8s/prod/core/observability/loki/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "k8s/prod/core/observability/smartctl-exporter/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "k8s/prod/core/observability/thanos/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "k8s/prod/core/rook-ceph/rook-ceph/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "k8s/prod/core/volsync-system/volsync/ks.yaml", 1, CRD_ORDER),
        Known(
            "crd-order",
            "k8s/prod/apps/work-invoiceninja/invoiceninja-public-pvc/ks.yaml",
            1,
            CRD_ORDER_UNWAITED,
            "warning",
        ),
        Known(
            "crd-order",
            "k8s/prod/apps/work-invoiceninja/invoiceninja-storage-pvc/ks.yaml",
            1,
            CRD_ORDER_UNWAITED,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/auth/authentik/app/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/auth/authentik/redis/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/cert-manager/cert-manager/app/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/database/app-db/app/helmrelease-userinit.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/database/crunchy-postgres-operator/operator/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/database/redis/app/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/external-secrets/external-secrets/app/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/external-secrets/external-secrets/stores/onepassword/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/kube-system/cilium/app/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/kube-system/intel-device-plugin/app/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/kube-system/intel-device-plugin/gpu/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/kube-system/metrics-server/app/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/kube-system/node-feature-discovery/app/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/kube-system/reloader/app/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/network/echo-server/app/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/network/ingress-nginx/external-homeassistant/external-home-assistant.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/network/ingress-nginx/external-work/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/network/ingress-nginx/external/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/network/ingress-nginx/internal/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/network/k8s-gateway/app/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/observability/alertmanager-silencer/app/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/observability/grafana/app/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/observability/kube-prometheus-stack/app/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/observability/loki/app/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/observability/smartctl-exporter/app/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/observability/thanos/app/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/observability/unpoller/app/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/observability/vector/app/agent/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/observability/vector/app/aggregator/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/openebs-system/openebs/app/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/rook-ceph/rook-ceph/app/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/rook-ceph/rook-ceph/cluster/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/volsync-system/snapshot-controller/app/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/core/volsync-system/volsync/app/helmrelease.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known("deprecated-api", "k8s/prod/flux/config/flux.yaml", 1, FLUX_API_REMOVED_LATER, "warning"),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/actions-runner-controller.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/authentik.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/backube.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/bitnami.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/bjw-s.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/cilium.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/crunchy-userinit.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/crunchydata.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/descheduler.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/external-dns.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/external-secrets.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/grafana.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/influxdata-charts.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/ingress-nginx.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/intel.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/invoiceninja.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/jetstack.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/k8s-gateway.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/metrics-server.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/node-feature-discovery.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/openebs.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/piraeus.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/prometheus-community.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/rook-ceph.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/stakater.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "k8s/prod/flux/repositories/helm/weaveworks.yaml",
            1,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "missing-dependency",
            "k8s/prod/core/network/ingress-nginx/external-work/helmrelease.yaml",
            1,
            RAMBLURR_CLOUDFLARED,
        ),
        Known(
            "missing-dependency",
            "k8s/prod/core/network/ingress-nginx/external/helmrelease.yaml",
            1,
            RAMBLURR_CLOUDFLARED,
        ),
    ],
    "Tanguille__cluster": [
        Known("crd-order", "kubernetes/apps/ai/hermes/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/ai/odysseus/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/ai/omniroute/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/ai/opencode/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/default/changedetection/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/default/dumbassets/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/default/karakeep/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/default/nextcloud/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/media/bazarr/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/media/brrpolice/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/media/fileflows/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/media/jellyfin/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/media/prowlarr/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/media/qbittorrent/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/media/qui/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/media/radarr/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/media/seerr/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/media/sonarr/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/media/wizarr/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/ai/toolhive/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known(
            "crd-order",
            "kubernetes/apps/observability/exporters/kepler/ks.yaml",
            1,
            CRD_ORDER_UNWAITED,
            "warning",
        ),
        Known("duplicate-object", "kubernetes/components/nfs-media/configmap.yaml", 1, DUPLICATE),
    ],
    "ahgraber__homelab-gitops-k3s": [
        Known(
            "deprecated-api",
            "kubernetes/apps/network/external-services/services/garage-s3.yaml",
            1,
            K8S_ENDPOINTS,
            "warning",
        ),
        Known(
            "deprecated-api",
            "kubernetes/apps/network/external-services/services/garage-webui.yaml",
            1,
            K8S_ENDPOINTS,
            "warning",
        ),
        Known(
            "deprecated-api",
            "kubernetes/apps/network/external-services/services/homeassistant.yaml",
            1,
            K8S_ENDPOINTS,
            "warning",
        ),
        Known(
            "duplicate-object",
            "kubernetes/apps/flux-system/flux-instance/app/observability/notification.yaml",
            2,
            DUPLICATE,
        ),
        Known("duplicate-object", "kubernetes/apps/observability/vpa/app/source.yaml", 1, DUPLICATE),
        Known(
            "missing-substitution-source",
            "kubernetes/apps/network/cloudflared/ks.yaml",
            1,
            SOURCE_OUTSIDE_GIT,
            "warning",
        ),
    ],
    "auricom__home-ops": [
        Known("crd-order", "kubernetes/apps/default/atuin/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/default/authelia/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/default/bookstack/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/default/esphome/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/default/exercisediary/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/default/freshrss/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/default/homelab/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/default/joplin/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/default/linkding/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/default/lldap/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/default/qui/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/default/redlib/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/default/sharry/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/default/vaultwarden/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/default/vikunja/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/default/zigbee2mqtt/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/kube-system/intel-device-plugin/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/database/influx/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/autobrr/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/bazarr/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/booklore/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/esphome/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/exercisediary/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/filebrowser/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known(
            "crd-order", "kubernetes/apps/default/home-assistant/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"
        ),
        Known("crd-order", "kubernetes/apps/default/homebox/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/immich/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/jellyfin/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/komf/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/komga/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/lidarr/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/lms/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known(
            "crd-order", "kubernetes/apps/default/mesh-organizer/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"
        ),
        Known("crd-order", "kubernetes/apps/default/navidrome/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/opengist/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/prowlarr/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/prpilot/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/qbittorrent/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/qui/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known(
            "crd-order", "kubernetes/apps/default/radarr-archive/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"
        ),
        Known("crd-order", "kubernetes/apps/default/radarr/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/readeck/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/recyclarr/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/resilio-sync/ks.yaml", 2, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/sabnzbd/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/seerr/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/shelfmark/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/sonarr/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/spoolman/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/tandoor/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/default/zigbee2mqtt/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known(
            "crd-order",
            "kubernetes/apps/kube-system/node-feature-discovery/ks.yaml",
            1,
            CRD_ORDER_UNWAITED,
            "warning",
        ),
        Known("crd-order", "kubernetes/apps/network/envoy-gateway/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/network/multus/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-order", "kubernetes/apps/volsync/volsync/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known(
            "duplicate-object",
            "kubernetes/apps/volsync/volsync/maintenance/prometheusrule.yaml",
            1,
            DUPLICATE,
        ),
        Known(
            "missing-dependency",
            "kubernetes/apps/kube-system/snapshot-controller/app/helmrelease.yaml",
            1,
            AURICOM_ROOK,
        ),
        Known("missing-path", "kubernetes/apps/observability/kustomization.yaml", 1, CORPUS_ARTIFACT),
        Known(
            "missing-substitution-source",
            "kubernetes/apps/network/cloudflare-tunnel/ks.yaml",
            1,
            SOURCE_OUTSIDE_GIT,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "kubernetes/apps/default/bazarr/app/kustomization.yaml",
            1,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "kubernetes/apps/default/komf/app/kustomization.yaml",
            1,
            UNRESOLVED_LAX,
            "warning",
        ),
    ],
    "billimek__k8s-gitops": [
        Known("crd-order", "setup/flux/cluster/cluster.yaml", 2, CRD_ORDER),
    ],
    "bjw-s-labs__home-ops": [
        Known("crd-order", "kubernetes/apps/selfhosted/paperless/ks.yaml", 1, CRD_ORDER),
    ],
    "fluxcd__flux2-hub-spoke-example": [
        Known("deprecated-api", "deploy/apps/podinfo.yaml", 2, FLUX_API_REMOVED_LATER, "warning"),
        Known(
            "deprecated-api",
            "deploy/infra-controllers/cert-manager.yaml",
            2,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "deploy/infra-controllers/ingress-nginx.yaml",
            2,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
    ],
    "fluxcd__flux2-monitoring-example": [
        Known(
            "plaintext-secret",
            "monitoring/controllers/kube-prometheus-stack/release.yaml",
            1,
            GRAFANA_PASSWORD,
        ),
    ],
    "fluxcd__flux2-multi-tenancy": [
        Known("deprecated-api", "infrastructure/kyverno/source.yaml", 2, FLUX_API_REMOVED_LATER, "warning"),
    ],
    "gavinmcfall__home-ops": [
        Known("crd-order", "kubernetes/apps/cortex/lighthouse/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/cortex/mempalace-bridge/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/cortex/mempalace/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/database/influxdb3/ks.yaml", 2, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/database/mariadb/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/downloads/bazarr-foreign/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/downloads/bazarr-uhd/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/downloads/bazarr/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/downloads/cross-seed/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/downloads/kapowarr/ks.yaml", 2, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/downloads/lidarr/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/downloads/lncrawl/ks.yaml", 2, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/downloads/metube/ks.yaml", 2, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/downloads/qbittorrent/ks.yaml", 2, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/downloads/radarr-uhd/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/downloads/radarr/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/downloads/sabnzbd/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/downloads/shelfmark/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/downloads/slskd/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/downloads/sonarr-foreign/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/downloads/sonarr-uhd/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/downloads/sonarr/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/downloads/suwayomi/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/downloads/tqm/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/downloads/tranga/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/downloads/unpackerr/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/entertainment/audiobookshelf/ks.yaml", 3, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/entertainment/immich/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/entertainment/kavita/ks.yaml", 2, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/entertainment/komf/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/entertainment/mangarr/ks.yaml", 2, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/entertainment/navidrome/ks.yaml", 2, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/entertainment/pasta/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/entertainment/plex/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/entertainment/seerr/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/entertainment/tautulli/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/flux-system/flux-instance/ks.yaml", 2, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/flux-system/weave-gitops/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/games/game-scout/ks.yaml", 2, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/games/livingdex/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/games/romm/ks.yaml", 2, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/home-automation/home-assistant/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/home-automation/n8n/ks.yaml", 2, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/home-automation/postcraft/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/home-automation/teslamate/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/home/bentopdf/ks.yaml", 2, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/home/bookstack/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/home/calibre-web-automated/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/home/dev-box/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/home/filebrowser/ks.yaml", 2, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/home/linkwarden/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/home/manyfold/ks.yaml", 2, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/home/paperless/ks.yaml", 4, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/home/searxng/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/home/spyglass/ks.yaml", 2, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/home/thelounge/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/kube-system/cilium/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/kube-system/zot/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/network/cloudflare-ddns/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/network/envoy-gateway/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/network/external-dns-unifi/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/network/external-services/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/network/tailscale/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/observability/exporters/blackbox-exporter/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/observability/exporters/ipmi-exporter/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/observability/exporters/snmp-exporter/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/observability/exporters/tautulli-exporter/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/observability/notifiarr/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/observability/otel-collector/ks.yaml", 2, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/observability/unpoller/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/plane/plane/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/rook-ceph/rook-ceph/ks.yaml", 2, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/security/oauth2-proxy/ks.yaml", 2, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/security/pocket-id/ks.yaml", 2, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/storage/kopia/ks.yaml", 2, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/storage/minio-console/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/storage/syncthing/ks.yaml", 3, CRD_ORDER),
        Known("crd-order", "kubernetes/flux/cluster/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/network/envoy-gateway/ks.yaml", 1, CRD_ORDER_UNWAITED, "warning"),
        Known("crd-prune", "kubernetes/apps/database/cloudnative-pg/ks.yaml", 1, CRD_PRUNE),
        Known(
            "deprecated-api",
            "kubernetes/apps/network/external-services/app/truenas/endpoints.yaml",
            1,
            K8S_ENDPOINTS,
            "warning",
        ),
        Known(
            "deprecated-api",
            "kubernetes/apps/network/external-services/app/unifi/endpoints.yaml",
            1,
            K8S_ENDPOINTS,
            "warning",
        ),
        Known(
            "deprecated-api",
            "kubernetes/apps/network/external-services/app/voron/endpoints.yaml",
            1,
            K8S_ENDPOINTS,
            "warning",
        ),
        Known(
            "deprecated-api",
            "kubernetes/apps/observability/exporters/jetkvm-power/app/endpoints.yaml",
            1,
            K8S_ENDPOINTS,
            "warning",
        ),
        Known(
            "missing-source",
            "kubernetes/apps/cert-manager/cert-manager/app/helmrelease.yaml",
            1,
            SOURCE_OF_ANOTHER_SYNC,
            "warning",
        ),
        Known(
            "missing-substitution-source", "kubernetes/flux/cluster/ks.yaml", 2, SOURCE_OUTSIDE_GIT, "warning"
        ),
    ],
    "hmcts__sds-flux-config": [
        Known("crd-order", "apps/admin/base/kustomize.yaml", 16, CRD_ORDER),
        Known("crd-order", "apps/monitoring/base/kustomize.yaml", 14, CRD_ORDER),
        Known(
            "duplicate-object",
            "apps/flux-system/ptlsbox/base/aso-controller-settings-patch.yaml",
            1,
            DUPLICATE,
        ),
        Known("unresolved-variable", "apps/admin/base/kustomize.yaml", 14, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/admin/delete-hung-pods/cron.yaml", 6, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable", "apps/admin/external-dns/external-dns.yaml", 1, UNRESOLVED_LAX, "warning"
        ),
        Known("unresolved-variable", "apps/appreg/appreg-api/appreg-api.yaml", 5, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable",
            "apps/appreg/appreg-frontend/appreg-frontend.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known("unresolved-variable", "apps/appreg/base/kustomize.yaml", 5, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/aspnet/base/kustomize.yaml", 1, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable",
            "apps/azure-devops/azure-devops-agent-keda/azure-devops-agent.yaml",
            6,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known("unresolved-variable", "apps/azure-devops/base/kustomize.yaml", 6, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable",
            "apps/azureserviceoperator-system/base/kustomize.yaml",
            7,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known("unresolved-variable", "apps/cath/base/kustomize.yaml", 2, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/cath/cath-api/cath-api.yaml", 1, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/cath/cath-crons/cath-crons.yaml", 1, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable", "apps/cath/cath-postgres/cath-postgres.yaml", 1, UNRESOLVED_LAX, "warning"
        ),
        Known("unresolved-variable", "apps/cath/cath-web/cath-web.yaml", 1, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/cortex/base/kustomize.yaml", 1, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/cortex/cortex-xdr/cortex-xdr.yaml", 1, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/courtfines/base/kustomize.yaml", 6, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable",
            "apps/courtfines/courtfines-app/courtfines-app.yaml",
            6,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known("unresolved-variable", "apps/cronjob/base/kustomize.yaml", 1, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable", "apps/cronjob/cronjobtest/cronjobtest.yaml", 1, UNRESOLVED_LAX, "warning"
        ),
        Known(
            "unresolved-variable",
            "apps/darts-modernisation/base/kustomize.yaml",
            6,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/darts-modernisation/darts-api/darts-api.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/darts-modernisation/darts-automated-tasks/darts-automated-tasks.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/darts-modernisation/darts-external-component-test-harness/darts-external-component-test-harness.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/darts-modernisation/darts-gateway/darts-gateway.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/darts-modernisation/darts-portal/darts-portal.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known("unresolved-variable", "apps/dynatrace/base/kustomize.yaml", 4, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/dynatrace/dynakube/kustomize.yaml", 4, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable",
            "apps/dynatrace/dynatrace-crds-upgrade/kustomize.yaml",
            3,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/dynatrace/dynatrace-crds/kustomize.yaml",
            1,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known("unresolved-variable", "apps/dynatrace/dynatrace-operator.yaml", 4, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/flux-system/base/kustomize.yaml", 7, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable",
            "apps/flux-system/demo/base/gotk-components.yaml",
            2,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/flux-system/dev/base/gotk-components.yaml",
            2,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/flux-system/ithc/base/gotk-components.yaml",
            2,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/flux-system/prod/base/gotk-components.yaml",
            2,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/flux-system/ptl/base/gotk-components.yaml",
            1,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/flux-system/ptlsbox/base/gotk-components.yaml",
            1,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/flux-system/sbox/base/gotk-components.yaml",
            2,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/flux-system/stg/base/gotk-components.yaml",
            2,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/flux-system/test/base/gotk-components.yaml",
            2,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known("unresolved-variable", "apps/hmi/base/kustomize.yaml", 2, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/juror-digital/base/kustomize.yaml", 2, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable", "apps/juror-digital/jd-bureau/jd-bureau.yaml", 2, UNRESOLVED_LAX, "warning"
        ),
        Known(
            "unresolved-variable", "apps/juror-digital/jd-public/jd-public.yaml", 2, UNRESOLVED_LAX, "warning"
        ),
        Known(
            "unresolved-variable",
            "apps/juror-digital/moj-reverse-proxy/moj-reverse-proxy.yaml",
            2,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known("unresolved-variable", "apps/juror/base/kustomize.yaml", 6, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/juror/juror-api/juror-api.yaml", 5, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable", "apps/juror/juror-bureau/juror-bureau.yaml", 5, UNRESOLVED_LAX, "warning"
        ),
        Known(
            "unresolved-variable",
            "apps/juror/juror-er-portal/juror-er-portal.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/juror/juror-eric-shir/juror-adf-shir.yaml",
            2,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known("unresolved-variable", "apps/juror/juror-pnc/juror-pnc.yaml", 5, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable", "apps/juror/juror-public/juror-public.yaml", 5, UNRESOLVED_LAX, "warning"
        ),
        Known(
            "unresolved-variable",
            "apps/juror/juror-scheduler-api/juror-scheduler-api.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/juror/juror-scheduler-execution/juror-scheduler-execution.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known("unresolved-variable", "apps/keda/base/kustomize.yaml", 7, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/keda/keda/keda.yaml", 7, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/kube-system/base/kustomize.yaml", 7, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/mailrelay/base/kustomize.yaml", 2, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/mailrelay/mailrelay/mailrelay.yaml", 2, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/mailrelay2/base/kustomize.yaml", 2, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable", "apps/mailrelay2/mailrelay2/mailrelay2.yaml", 2, UNRESOLVED_LAX, "warning"
        ),
        Known("unresolved-variable", "apps/met/base/kustomize.yaml", 2, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/met/batch-jobs/batch-jobs.yaml", 4, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable",
            "apps/met/pod-delete-cron/pod-delete-cron.yaml",
            2,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known("unresolved-variable", "apps/met/themis-fe/themis-fe.yaml", 2, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/mi/base/kustomize.yaml", 5, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/mi/mi-adf-shir-2/mi-adf-shir.yaml", 5, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/mi/mi-adf-shir/mi-adf-shir.yaml", 5, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable",
            "apps/mi/mi-azure-functions/mi-azure-functions.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/mi/mi-house-keeping-service/mi-house-keeping-service.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known("unresolved-variable", "apps/monitoring/base/kustomize.yaml", 12, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable",
            "apps/monitoring/flux-monitoring/kustomization.yaml",
            14,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/monitoring/kube-prometheus-stack/kube-prometheus-stack.yaml",
            6,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known("unresolved-variable", "apps/my-time/base/kustomize.yaml", 1, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable", "apps/my-time/my-time-api/my-time-api.yaml", 1, UNRESOLVED_LAX, "warning"
        ),
        Known(
            "unresolved-variable",
            "apps/my-time/my-time-frontend/my-time-frontend.yaml",
            1,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known("unresolved-variable", "apps/neuvector/base/kustomize.yaml", 4, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable",
            "apps/neuvector/fluentbit-log/fluentbit-log.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/neuvector/neuvector-crds/kustomize.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/neuvector/neuvector-crds/neuvector-crds.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known("unresolved-variable", "apps/neuvector/neuvector/neuvector.yaml", 4, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/opal/base/kustomize.yaml", 6, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable",
            "apps/opal/opal-external-api/opal-external-api.yaml",
            2,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/opal/opal-file-handler-service/opal-file-handler-service.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/opal/opal-fines-service/opal-fines-service.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/opal/opal-frontend-test/opal-frontend-test.yaml",
            1,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable", "apps/opal/opal-frontend/opal-frontend.yaml", 5, UNRESOLVED_LAX, "warning"
        ),
        Known(
            "unresolved-variable",
            "apps/opal/opal-legacy-db-stub/opal-legacy-db-stub.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/opal/opal-log-audit-service/opal-log-audit-service.yaml",
            1,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/opal/opal-logging-service/opal-logging-service.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/opal/opal-maintenance-service/opal-maintenance-service.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/opal/opal-rm-frontend/opal-rm-frontend.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/opal/opal-user-service/opal-user-service.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known("unresolved-variable", "apps/pdda/base/kustomize.yaml", 4, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable",
            "apps/pdda/pdda-public-display-data-aggregator/pdda-public-display-data-aggregator.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pdda/pdda-public-display-manager/pdda-public-display-manager.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known("unresolved-variable", "apps/pdm/base/kustomize.yaml", 1, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable",
            "apps/pip/account-management-clear-audit-cron/pip-account-management-clear-audit-cron.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pip/account-management-inactive-verification-cron/pip-account-management-inactive-verification-cron.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pip/account-management-media-reporting-cron/pip-account-management-media-reporting-cron.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pip/account-management/pip-account-management.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known("unresolved-variable", "apps/pip/base/kustomize.yaml", 6, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable",
            "apps/pip/data-management-expired-artefacts-cron/pip-data-management-expired-artefacts-cron.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pip/data-management-no-match-artefacts-cron/pip-data-management-no-match-artefacts-cron.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pip/data-management-scheduled-subscriptions-cron/pip-data-management-scheduled-subscriptions-cron.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pip/data-management-subscriptions-cron/pip-data-management-subscriptions-cron.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pip/data-management/pip-data-management.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known("unresolved-variable", "apps/pip/frontend/pip-frontend.yaml", 5, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable",
            "apps/pip/publication-services/pip-publication-services.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pip/refresh-views-cron/pip-refresh-views-cron.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known("unresolved-variable", "apps/pre/base/kustomize.yaml", 5, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable",
            "apps/pre/pre-api-cron-capture-session-status-correction/pre-api-cron-capture-session-status-correction.yaml",
            3,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pre/pre-api-cron-check-for-missing-recordings/pre-api-cron-check-for-missing-recordings.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pre/pre-api-cron-cleanup-b2c-alternative-emails/pre-api-cron-cleanup-b2c-alternative-emails.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pre/pre-api-cron-cleanup-live-events/pre-api-cron-cleanup-live-events.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pre/pre-api-cron-cleanup-null-durations/pre-api-cron-cleanup-null-durations.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pre/pre-api-cron-cleanup-streaming-locators/pre-api-cron-cleanup-streaming-locators.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pre/pre-api-cron-close-pending-cases/pre-api-cron-close-pending-cases.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pre/pre-api-cron-get-scheduled-bookings/pre-api-cron-get-scheduled-bookings.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pre/pre-api-cron-perform-edit-requests/pre-api-cron-perform-edit-requests.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pre/pre-api-cron-perform-re-encode-requests/pre-api-cron-perform-re-encode-requests.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pre/pre-api-cron-process-capture-sessions/pre-api-cron-process-capture-sessions.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pre/pre-api-cron-re-encode-recordings/pre-api-cron-re-encode-recordings.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pre/pre-api-cron-start-live-events/pre-api-cron-start-live-events.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pre/pre-api-cron-update-alt-email-field/pre-api-cron-update-alt-email-field.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pre/pre-api-cron-update-recordings-visibility/pre-api-cron-update-recordings-visibility.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pre/pre-api-cron-vodafone-etl-fetch-data/pre-api-cron-vodafone-etl-fetch-data.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pre/pre-api-cron-vodafone-etl-migrate-resolved/pre-api-cron-vodafone-etl-migrate-resolved.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pre/pre-api-cron-vodafone-etl-post-migration/pre-api-cron-vodafone-etl-post-migration.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pre/pre-api-cron-vodafone-etl-process-full/pre-api-cron-vodafone-etl-process-full.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/pre/pre-api-cron-vodafone-mk-import/pre-api-cron-vodafone-mk-import.yaml",
            4,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known("unresolved-variable", "apps/pre/pre-api/pre-api.yaml", 5, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/pre/pre-portal/pre-portal.yaml", 5, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/rota/base/kustomize.yaml", 4, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/toffee/base/kustomize.yaml", 7, UNRESOLVED_LAX, "warning"),
        Known(
            "unresolved-variable", "apps/toffee/frontend/toffee-frontend.yaml", 6, UNRESOLVED_LAX, "warning"
        ),
        Known(
            "unresolved-variable",
            "apps/toffee/recipe-backend/toffee-recipe-backend.yaml",
            6,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "apps/toffee/recipe-receiver/toffee-recipe-receiver.yaml",
            6,
            UNRESOLVED_LAX,
            "warning",
        ),
    ],
    "mirceanton__home-ops": [
        Known("crd-order", "apps/games/steam-sunshine/app.ks.yaml", 2, CRD_ORDER),
        Known("crd-order", "apps/media/immich/app.ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "apps/monitoring-system/ipmi-exporter/app.ks.yaml", 1, CRD_ORDER),
        Known("missing-path", "apps/default/homer/app/kustomization.yaml", 1, CORPUS_ARTIFACT),
        Known("unresolved-variable", "apps/ai/litellm/app/kustomization.yaml", 1, UNRESOLVED_STRICT),
        Known("unresolved-variable", "apps/finance/firefly/app/helm-release.yaml", 1, UNRESOLVED_STRICT),
        Known("unresolved-variable", "apps/maker/bambuddy/app/kustomization.yaml", 1, UNRESOLVED_STRICT),
        Known("unresolved-variable", "apps/media/karakeep/app/kustomization.yaml", 1, UNRESOLVED_STRICT),
    ],
    "monosense-io__k8s-gitops": [
        Known(
            "deprecated-api",
            "kubernetes/bases/dragonfly-operator/operator/ocirepository.yaml",
            2,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "deprecated-api",
            "kubernetes/bases/fluent-bit-operator/operator/ocirepository.yaml",
            2,
            FLUX_API_REMOVED_LATER,
            "warning",
        ),
        Known(
            "invalid-substitution",
            "kubernetes/infrastructure/observability/dashboards/observability/victoria-metrics-cluster.yaml",
            2,
            MONOSENSE_GRAFANA_FIELD,
        ),
        Known(
            "kustomize-build",
            "kubernetes/infrastructure/networking/coredns/app/kustomization.yaml",
            2,
            MONOSENSE_COREDNS,
        ),
        Known("missing-dependency", "kubernetes/clusters/apps/messaging-kafka.yaml", 2, MONOSENSE_DEPENDS),
        Known(
            "missing-dependency",
            "kubernetes/infrastructure/observability/victoria-logs/ks.yaml",
            2,
            MONOSENSE_DEPENDS,
        ),
        Known(
            "missing-dependency",
            "kubernetes/infrastructure/observability/victoria-metrics/vmagent/ks.yaml",
            1,
            MONOSENSE_DEPENDS,
        ),
        Known(
            "missing-dependency",
            "kubernetes/infrastructure/observability/victoria-metrics/vmcluster/ks.yaml",
            1,
            MONOSENSE_DEPENDS,
        ),
        Known(
            "missing-dependency",
            "kubernetes/infrastructure/security/networkpolicy/ks.yaml",
            1,
            MONOSENSE_DEPENDS,
        ),
        Known(
            "missing-namespace",
            "kubernetes/infrastructure/observability/victoria-logs/ocirepository.yaml",
            2,
            MONOSENSE_OCI_NAMESPACE,
        ),
        Known(
            "missing-namespace",
            "kubernetes/infrastructure/observability/victoria-metrics/vmcluster/ocirepository.yaml",
            2,
            MONOSENSE_OCI_NAMESPACE,
        ),
        Known(
            "missing-path",
            "kubernetes/infrastructure/security/networkpolicy/external-secrets/kustomization.yaml",
            2,
            MONOSENSE_COMPONENT,
        ),
        Known(
            "missing-source",
            "kubernetes/infrastructure/observability/victoria-logs/helmrelease.yaml",
            2,
            MONOSENSE_OCI_NAMESPACE,
        ),
        Known(
            "missing-source",
            "kubernetes/infrastructure/observability/victoria-metrics/vmagent/helmrelease.yaml",
            2,
            MONOSENSE_OCI_NAMESPACE,
        ),
        Known(
            "missing-source",
            "kubernetes/infrastructure/observability/victoria-metrics/vmcluster/helmrelease.yaml",
            2,
            MONOSENSE_OCI_NAMESPACE,
        ),
        Known(
            "schema",
            "kubernetes/infrastructure/observability/victoria-logs/helmrelease.yaml",
            2,
            HELMRELEASE_SPEC_VERSION,
        ),
        Known(
            "schema",
            "kubernetes/infrastructure/observability/victoria-metrics/vmagent/helmrelease.yaml",
            2,
            HELMRELEASE_SPEC_VERSION,
        ),
        Known(
            "schema",
            "kubernetes/infrastructure/observability/victoria-metrics/vmcluster/helmrelease.yaml",
            2,
            HELMRELEASE_SPEC_VERSION,
        ),
        Known(
            "unresolved-variable",
            "kubernetes/infrastructure/observability/dashboards/databases/cloudnative-pg-cluster.yaml",
            2,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "kubernetes/infrastructure/observability/victoria-metrics/vmcluster/helmrelease.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "kubernetes/workloads/platform/databases/cloudnative-pg/poolers/gitlab-pooler.yaml",
            2,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "kubernetes/workloads/platform/databases/cloudnative-pg/poolers/harbor-pooler.yaml",
            2,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "kubernetes/workloads/platform/databases/cloudnative-pg/poolers/keycloak-pooler.yaml",
            2,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "kubernetes/workloads/platform/databases/cloudnative-pg/poolers/synergyflow-pooler.yaml",
            2,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "kubernetes/workloads/platform/databases/cloudnative-pg/shared-cluster/backup-validation.yaml",
            17,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "kubernetes/workloads/platform/databases/cloudnative-pg/shared-cluster/cluster.yaml",
            13,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "kubernetes/workloads/platform/databases/cloudnative-pg/shared-cluster/databases.yaml",
            3,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "kubernetes/workloads/platform/databases/cloudnative-pg/shared-cluster/externalsecrets.yaml",
            5,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "kubernetes/workloads/platform/databases/cloudnative-pg/shared-cluster/prometheusrule.yaml",
            1,
            UNRESOLVED_LAX,
            "warning",
        ),
        Known(
            "unresolved-variable",
            "kubernetes/workloads/platform/databases/cloudnative-pg/shared-cluster/scheduledbackup.yaml",
            2,
            UNRESOLVED_LAX,
            "warning",
        ),
    ],
    "onedr0p__home-ops": [
        Known(
            "missing-substitution-source",
            "kubernetes/apps/network/cloudflare-tunnel/ks.yaml",
            1,
            SOURCE_OUTSIDE_GIT,
            "warning",
        ),
    ],
    "rwlove__home-ops": [
        Known(
            "duplicate-object", "kubernetes/components/repos/app-template/ocirepository.yaml", 11, DUPLICATE
        ),
        Known(
            "missing-path", "kubernetes/apps/home/wyoming-services/app/kustomization.yaml", 1, CORPUS_ARTIFACT
        ),
    ],
    "stefanprodan__gitops-istio": [
        Known("deprecated-api", "clusters/my-cluster/apps.yaml", 1, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "clusters/my-cluster/istio.yaml", 2, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "istio/system/flagger.yaml", 3, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "istio/system/istio.yaml", 4, FLUX_API_REMOVED_LATER, "warning"),
    ],
    "stuttgart-things__stuttgart-things": [
        Known("crd-order", "clusters/labul/vsphere/sthings-app1/flux-system/gotk-sync.yaml", 1, CRD_ORDER),
        Known("crd-order", "clusters/labul/vsphere/xplane-dev/flux-system/gotk-sync.yaml", 2, CRD_ORDER),
        Known("deprecated-api", "apps/argo-cd/pre-release.yaml", 2, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "apps/argo-cd/release.yaml", 2, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "apps/argo-cd/requirements.yaml", 4, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "apps/argo-events/release.yaml", 1, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "apps/argo-events/requirements.yaml", 1, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "apps/argo-workflows/pre-release.yaml", 1, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "apps/argo-workflows/release.yaml", 1, FLUX_API_REMOVED_LATER, "warning"),
        Known(
            "deprecated-api", "apps/argo-workflows/requirements.yaml", 2, FLUX_API_REMOVED_LATER, "warning"
        ),
        Known("deprecated-api", "apps/crossplane/post-release.yaml", 4, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "apps/crossplane/release.yaml", 4, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "apps/crossplane/requirements.yaml", 8, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "apps/github-arc/release.yaml", 2, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "apps/github-arc/requirements.yaml", 2, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "apps/github-rss/release.yaml", 2, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "apps/github-rss/requirements.yaml", 2, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "apps/gitlab-runner/release.yaml", 1, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "apps/gitlab-runner/requirements.yaml", 1, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "apps/minio/pre-release.yaml", 1, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "apps/minio/release.yaml", 1, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "apps/minio/requirements.yaml", 2, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "apps/mosquitto/release.yaml", 1, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "apps/mosquitto/requirements.yaml", 1, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "apps/tekton/post-release.yaml", 3, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "apps/tekton/release.yaml", 3, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "apps/tekton/requirements.yaml", 3, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "infra/cert-manager/post-release.yaml", 2, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "infra/cert-manager/release.yaml", 2, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "infra/cert-manager/requirements.yaml", 4, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "infra/ingress-nginx/release.yaml", 2, FLUX_API_REMOVED_LATER, "warning"),
        Known(
            "deprecated-api", "infra/ingress-nginx/requirements.yaml", 2, FLUX_API_REMOVED_LATER, "warning"
        ),
        Known("deprecated-api", "infra/longhorn/release.yaml", 1, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "infra/longhorn/requirements.yaml", 1, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "infra/metallb/post-release.yaml", 2, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "infra/metallb/release.yaml", 2, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "infra/metallb/requirements.yaml", 4, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "infra/nfs-csi/post-release.yaml", 4, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "infra/nfs-csi/release.yaml", 4, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "infra/nfs-csi/requirements.yaml", 8, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "infra/openebs/release.yaml", 5, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "infra/openebs/requirements.yaml", 5, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "infra/rancher/pre-release.yaml", 1, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "infra/rancher/release.yaml", 1, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "infra/rancher/requirements.yaml", 2, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "infra/vault/pre-release.yaml", 1, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "infra/vault/release.yaml", 1, FLUX_API_REMOVED_LATER, "warning"),
        Known("deprecated-api", "infra/vault/requirements.yaml", 2, FLUX_API_REMOVED_LATER, "warning"),
        Known("duplicate-object", "apps/github-rss/requirements.yaml", 4, DUPLICATE),
        Known("duplicate-object", "clusters/labda/vsphere/manager/crossplane.yaml", 1, DUPLICATE),
        Known("duplicate-object", "clusters/labul/vsphere/xplane-dev/secrets.yaml", 1, DUPLICATE),
        Known(
            "missing-substitution-source",
            "clusters/labul/proxmox/fluxdev-3/mqtt.yaml",
            1,
            SOURCE_OUTSIDE_GIT,
            "warning",
        ),
        Known(
            "missing-substitution-source",
            "clusters/labul/vsphere/sthings-app1/app.yaml",
            3,
            SOURCE_OUTSIDE_GIT,
            "warning",
        ),
        Known("plaintext-secret", "clusters/labda/vsphere/app/kes.yaml", 1, KES_SECRET_ID),
        Known("unresolved-variable", "apps/argo-cd/pre-release.yaml", 4, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/argo-cd/release.yaml", 3, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/crossplane/secrets.yaml", 4, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "apps/github-rss/release.yaml", 32, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "infra/metallb/post-release.yaml", 1, UNRESOLVED_LAX, "warning"),
        Known("unresolved-variable", "infra/vault/pre-release.yaml", 2, UNRESOLVED_LAX, "warning"),
    ],
    "sulibot__home-ops": [
        Known("crd-order", "kubernetes/apps/tier-1-infrastructure/blackbox-exporter/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-1-infrastructure/gatus/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-1-infrastructure/grafana/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-1-infrastructure/keda/ks.yaml", 1, CRD_ORDER),
        Known(
            "crd-order", "kubernetes/apps/tier-1-infrastructure/kube-prometheus-stack/ks.yaml", 1, CRD_ORDER
        ),
        Known("crd-order", "kubernetes/apps/tier-1-infrastructure/silence-operator/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-1-infrastructure/snmp-exporter/ks.yaml", 1, CRD_ORDER),
        Known(
            "crd-order", "kubernetes/apps/tier-2-applications/actions-runner-controller/ks.yaml", 1, CRD_ORDER
        ),
        Known("crd-order", "kubernetes/apps/tier-2-applications/actual/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/atuin/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/audiobookshelf/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/authentik-outpost/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/authentik/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/autobrr/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/baserow/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/bookshelf/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/calibre-web-automated/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/cloudbeaver/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/cross-seed/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/filebrowser/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/firefly/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/flaresolverr/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/freshrss/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/go2rtc/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/grimmory/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/homepage/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/immich-frame/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/immich/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/karakeep/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/kopia/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/lazylibrarian/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/lidarr/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/multi-scrobbler/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/n8n/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/notifier/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/nzbget/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/ollama/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/opencloud/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/openhands/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/paperless-gpt/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/paperless/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/plex/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/prowlarr/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/qbittorrent/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/qui/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/radarr-4k/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/seerr/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/shelfmark/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/slskd/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/smtp-relay/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/sonarr-4k/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/sportarr/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/tautulli/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/twenty/ks.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/apps/tier-2-applications/whisparr/ks.yaml", 1, CRD_ORDER),
        Known("crd-prune", "kubernetes/apps/tier-0-foundation/ceph-csi/ks.yaml", 1, CRD_PRUNE),
        Known("crd-prune", "kubernetes/apps/tier-0-foundation/cilium/ks.yaml", 1, CRD_PRUNE),
        Known(
            "deprecated-api",
            "kubernetes/apps/tier-1-infrastructure/openbao-observability/app/targets.yaml",
            1,
            K8S_ENDPOINTS,
            "warning",
        ),
        Known(
            "deprecated-api",
            "kubernetes/apps/tier-1-infrastructure/proxmox-observability/app/prometheus-targets.yaml",
            4,
            K8S_ENDPOINTS,
            "warning",
        ),
        Known(
            "duplicate-object",
            "kubernetes/apps/tier-0-foundation/external-secrets/namespace.yaml",
            2,
            DUPLICATE,
        ),
        Known(
            "duplicate-object",
            "kubernetes/apps/tier-0-foundation/snapshot-controller-crds/volumesnapshotclasses.yaml",
            1,
            DUPLICATE,
        ),
        Known(
            "duplicate-object",
            "kubernetes/apps/tier-0-foundation/snapshot-controller-crds/volumesnapshotcontents.yaml",
            1,
            DUPLICATE,
        ),
        Known(
            "duplicate-object",
            "kubernetes/apps/tier-0-foundation/snapshot-controller-crds/volumesnapshots.yaml",
            1,
            DUPLICATE,
        ),
        Known(
            "duplicate-object",
            "kubernetes/apps/tier-1-infrastructure/kube-prometheus-stack/app/alertmanagerconfig.yaml",
            1,
            DUPLICATE,
        ),
        Known(
            "missing-path",
            "kubernetes/apps/tier-2-applications/authentik/app/kustomization.yaml",
            1,
            CORPUS_ARTIFACT,
        ),
        Known(
            "plaintext-secret",
            "kubernetes/apps/tier-2-applications/kopia/app/kopia-repository-subvolume-secret.yaml",
            1,
            SULIBOT_CLEAR_SECRET,
            "warning",
        ),
    ],
    "tyriis__home-ops": [
        Known("crd-order", "kubernetes/main/apps/argo-system/argo-events/flux-sync.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/main/apps/cnpg-system/cnpg/flux-sync.yaml", 2, CRD_ORDER),
        Known("crd-order", "kubernetes/main/apps/hermes-agent/flux-sync.yaml", 4, CRD_ORDER),
        Known("crd-order", "kubernetes/main/apps/observability/loki/flux-sync.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/main/apps/observability/unpoller/flux-sync.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/main/flux/flux-sync.yaml", 1, CRD_ORDER),
        Known("crd-order", "kubernetes/utility/apps/secops/pocket-id/flux-sync.yaml", 1, CRD_ORDER),
        Known(
            "duplicate-object",
            "kubernetes/main/apps/atlantis-system/techtales-io/terraform-vault/external-secret.yaml",
            1,
            DUPLICATE,
        ),
        Known(
            "duplicate-object",
            "kubernetes/main/apps/observability/kube-prometheus-stack/app/helm-repository.yaml",
            1,
            DUPLICATE,
        ),
        Known("plaintext-secret", "devenv/oci/apps/media/immich/app/secret.yaml", 3, DEVENV_SECRET),
    ],
}


def corpus_repositories() -> dict[str, list[str]]:
    """SOURCES.md: corpus directory -> its entry paths."""
    sources = CORPUS / "SOURCES.md"
    if not sources.is_file():
        return {}
    out: dict[str, list[str]] = {}
    for line in sources.read_text().splitlines():
        m = re.match(r"\|\s*`([^`]+)`\s*\|[^|]*\|([^|]*)\|", line)
        if m and (CORPUS / m.group(1)).is_dir():
            out[m.group(1)] = re.findall(r"`([^`]+)`", m.group(2))
    return out


REPOSITORIES = corpus_repositories()


def observed(result) -> Counter:
    return Counter(
        (f.rule, f.severity.label, f.file)
        for f in result.findings
        if f.severity in (Severity.ERROR, Severity.WARNING)
    )


@pytest.mark.skipif(not REPOSITORIES, reason="../shared/corpus is not present")
@pytest.mark.parametrize("repo", sorted(REPOSITORIES))
def test_corpus_repository_reports_only_known_findings(repo):
    result = lint_repo(CORPUS / repo, *REPOSITORIES[repo])
    expected = Counter()
    for k in EXPECTED.get(repo, []):
        expected[(k.rule, k.severity, k.file)] += k.count
    got = observed(result)
    unexpected = {k: n - expected[k] for k, n in got.items() if n > expected[k]}
    vanished = {k: n - got[k] for k, n in expected.items() if n > got[k]}
    assert (unexpected, vanished) == ({}, {}), (
        "findings differ from EXPECTED (rule, severity, file): +count are new, the other side vanished"
    )
    assert result.summary["kustomizations"] >= 1


def test_expectations_are_well_formed():
    for repo, known in EXPECTED.items():
        assert repo in REPOSITORIES or not REPOSITORIES, repo
        keys = [(k.rule, k.severity, k.file) for k in known]
        assert len(keys) == len(set(keys)), f"{repo}: one entry per (rule, severity, file)"
        for k in known:
            assert k.count >= 1 and k.severity in ("error", "warning") and len(k.reason) > 20, k


# -- defects injected into a temporary copy of a real repository -------------------------

ONEDR0P = "onedr0p__home-ops"
APPS = "kubernetes/apps"


@pytest.fixture
def onedr0p_copy(tmp_path) -> Path:
    if not (CORPUS / ONEDR0P).is_dir():
        pytest.skip("../shared/corpus/onedr0p__home-ops is not present")
    dest = tmp_path / ONEDR0P
    shutil.copytree(CORPUS / ONEDR0P, dest, symlinks=True)
    return dest


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _error_lines(root: Path) -> list[tuple[str, str, str]]:
    result = lint_repo(root, "kubernetes/flux/cluster")
    return [(f.rule, f.file, f.message) for f in result.findings if f.severity == Severity.ERROR]


@functools.lru_cache(maxsize=1)
def _baseline_errors() -> frozenset[tuple[str, str, str]]:
    return frozenset(_error_lines(CORPUS / ONEDR0P))


def _errors(root: Path) -> list[tuple[str, str, str]]:
    """The errors the injected defect adds to those of the repository as it is."""
    return [e for e in _error_lines(root) if e not in _baseline_errors()]


def test_injected_cycle_is_found(onedr0p_copy):
    # cloudflare-tunnel already dependsOn cloudflare-dns; close the loop
    _edit(
        onedr0p_copy / APPS / "network/cloudflare-dns/ks.yaml",
        "spec:\n",
        "spec:\n  dependsOn:\n    - name: cloudflare-tunnel\n",
    )
    errors = _errors(onedr0p_copy)
    assert [(r, f) for r, f, _ in errors] == [("dependency-cycle", f"{APPS}/network/cloudflare-dns/ks.yaml")]
    assert "cloudflare-dns -> cloudflare-tunnel -> cloudflare-dns" in errors[0][2]


def test_injected_missing_dependency_is_found(onedr0p_copy):
    _edit(
        onedr0p_copy / APPS / "default/atuin/ks.yaml",
        "spec:\n",
        "spec:\n  dependsOn:\n    - name: postgres-nope\n",
    )
    errors = _errors(onedr0p_copy)
    assert [(r, f) for r, f, _ in errors] == [("missing-dependency", f"{APPS}/default/atuin/ks.yaml")]
    assert "postgres-nope" in errors[0][2]


def test_injected_missing_source_is_found(onedr0p_copy):
    _edit(onedr0p_copy / APPS / "default/atuin/ks.yaml", "    name: flux-system\n", "    name: flux-systen\n")
    errors = _errors(onedr0p_copy)
    assert [(r, f) for r, f, _ in errors] == [("missing-source", f"{APPS}/default/atuin/ks.yaml")]


def test_injected_missing_path_is_found(onedr0p_copy):
    _edit(onedr0p_copy / APPS / "default/atuin/ks.yaml", "default/atuin/app", "default/atuin/ap")
    errors = _errors(onedr0p_copy)
    assert [(r, f) for r, f, _ in errors] == [("missing-path", f"{APPS}/default/atuin/ks.yaml")]


def test_injected_unresolved_variable_is_found(onedr0p_copy):
    release = onedr0p_copy / APPS / "default/atuin/app/helmrelease.yaml"
    _edit(release, "spec:\n", "spec:\n  releaseName: ${ATUIN_RELEASE_NAME}\n")
    errors = _errors(onedr0p_copy)
    assert [(r, f) for r, f, _ in errors] == [
        ("unresolved-variable", f"{APPS}/default/atuin/app/helmrelease.yaml")
    ]
    assert "${ATUIN_RELEASE_NAME}" in errors[0][2]
