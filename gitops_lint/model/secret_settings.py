"""Secret values that are settings, not credentials.

Some consumers read their configuration from a Secret and document which of
its fields are credentials; the others (a repository URL, a type, an Azure
tenant ID, a sync period) are settings that are public by the consumer's own
documentation. A value that cannot carry a secret at all (a boolean, a
duration, a small count) is a setting wherever it is. Neither is a leak when
committed in clear, so ``plaintext-secret`` does not report them; every other
key of the same Secret is judged as usual.

Only documented contracts are listed, each with its source; a field that may
hold a credential (a URL with a password in it, Argo CD's ``username``) is
never a setting.
"""

from __future__ import annotations

import re

# Argo CD declarative setup (argo-cd docs/operator-manual/declarative-setup.md,
# argocd-repositories.yaml, argocd-repo-creds.yaml): repositories, credential
# templates and clusters are Secrets labelled argocd.argoproj.io/secret-type; their
# credentials are username/password, bearerToken, sshPrivateKey, tlsClientCert*,
# githubAppPrivateKey, gcpServiceAccountKey and a cluster's config. A url or proxy
# with user:password@ in it is a credential too.
ARGOCD_LABEL = "argocd.argoproj.io/secret-type"
ARGOCD_SETTINGS = frozenset(
    {
        "type",
        "url",
        "name",
        "project",
        "enableOCI",
        "enableLfs",
        "insecure",
        "insecureOCIForceHttp",
        "forceHttpBasicAuth",
        "proxy",
        "noProxy",
        "githubAppID",
        "githubAppInstallationID",
        "githubAppEnterpriseBaseUrl",
        "useAzureWorkloadIdentity",
        "server",
        "namespaces",
        "clusterResources",
    }
)
# Azure identity (the Azure SDKs' EnvironmentCredential variables, also read by
# Azure Service Operator's aso-controller-settings Secret): the client, tenant and
# subscription IDs identify an application and where it acts; the credential is
# AZURE_CLIENT_SECRET, a certificate, or a federated token (workload identity).
AZURE_IDENTIFIERS = frozenset({"AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID"})

_BOOLEAN = re.compile(r"(?i:true|false)")
_DURATION = re.compile(r"(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+")  # Go time.ParseDuration
_COUNT = re.compile(r"\d{1,3}")
_URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@\s]*:[^/@\s]*@", re.IGNORECASE)


def cannot_be_secret(value: str) -> bool:
    """A boolean, a Go duration or a count of at most three digits: no credential fits."""
    text = value.strip()
    return bool(_BOOLEAN.fullmatch(text) or _DURATION.fullmatch(text) or _COUNT.fullmatch(text))


def is_setting(secret: dict, key: object, value: str) -> bool:
    """Is ``value`` at ``key`` of the Secret manifest ``secret`` a documented setting?"""
    if cannot_be_secret(value):
        return True
    name = str(key)
    if name in AZURE_IDENTIFIERS:
        return True
    metadata = secret.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    if isinstance(labels, dict) and ARGOCD_LABEL in labels and name in ARGOCD_SETTINGS:
        return not _URL_PASSWORD.match(value.strip())
    return False
