"""Reading an API group into a name: evidence and typos, for the CRD index.

Two questions the CRD index asks about a group it cannot prove served:

- :func:`evident`: does the name or URL of an opaque provider (a
  ``crds-external-secrets`` Kustomization applying
  ``github.com/external-secrets/...``, a chart ``toolhive-operator-crds``)
  make it evident that it installs this group? Such evidence is a hint for
  ordering, never a proof, so the match is strict: a label of the group
  must equal a run of the provider's name stripped of generic words
  (``crds``, ``operator``, ``helm``, ...), or extend its first
  distinctive word.
- :func:`near`: is the group one or two edits away from a group the cluster
  does serve (``gateway.networking.k8s.i0``)? Then it is a typo, not an
  unknown, and stays an error.
"""

from __future__ import annotations

import re
from functools import lru_cache

# words that say nothing about which API group a provider installs
GENERIC = frozenset(
    [
        "crd",
        "crds",
        "customresourcedefinitions",
        "operator",
        "operators",
        "chart",
        "charts",
        "helm",
        "helmrelease",
        "controller",
        "controllers",
        "manager",
        "k8s",
        "kubernetes",
        "kube",
        "system",
        "app",
        "apps",
        "config",
        "configs",
        "base",
        "bases",
        "deploy",
        "deployment",
        "install",
        "installs",
        "manifests",
        "manifest",
        "release",
        "releases",
        "oci",
        "github",
        "gitlab",
        "com",
        "io",
        "org",
        "net",
        "dev",
        "sh",
        "ghcr",
        "quay",
        "docker",
        "www",
        "main",
        "master",
        "cluster",
        "clusters",
        "mirror",
        "charts-mirror",
        "stable",
        "latest",
        "git",
        "http",
        "https",
        "raw",
        "githubusercontent",
        "download",
        "blob",
        "tree",
        "ref",
        "refs",
        "tags",
        "heads",
        "v1",
        "v2",
        "v3",
        "flux",
        "fluxcd",
        "infra",
        "infrastructure",
        "platform",
        "core",
        "default",
        "kustomize",
        "kustomization",
        "source",
        "sources",
        "ks",
        "hr",
        "oci-mirror",
        "registry",
        "the",
        "and",
        "for",
        "of",
        "home",
        "ops",
        "home-ops",
        "upstream",
        "vendor",
        "third",
        "party",
    ]
)

# labels of a group that cannot identify it (a TLD, or a word many groups share)
COMMON_LABELS = frozenset(
    [
        "io",
        "com",
        "org",
        "net",
        "dev",
        "sh",
        "k8s",
        "x-k8s",
        "sigs",
        "app",
        "cloud",
        "networking",
        "storage",
        "monitoring",
        "security",
        "policy",
        "policies",
        "operator",
        "cluster",
        "config",
        "metrics",
        "backup",
        "network",
        "gateway",
        "secrets",
        "apps",
        "batch",
        "core",
        "api",
        "apis",
        "extensions",
        "system",
        # cloud and platform vendors: their names are in too many groups
        "aws",
        "amazonaws",
        "azure",
        "microsoft",
        "gcp",
        "google",
        "googleapis",
        "crossplane",
        "upbound",
    ]
)

_SPLIT = re.compile(r"[^a-z0-9-]+")


def _words(name: str) -> list[str]:
    return [w for w in name.lower().split("-") if w and w not in GENERIC and not w.isdigit()]


def name_stems(text: str) -> list[list[str]]:
    """The distinctive words of each name in ``text`` (a name, a chart, or a URL).

    A URL gives one name per host label and path segment:
    ``https://github.com/dragonflydb/dragonfly-operator`` ->
    ``[["dragonflydb"], ["dragonfly"]]``.
    """
    out = []
    for part in _SPLIT.split(text.lower()):
        words = _words(part)
        if words:
            out.append(words)
    return out


def _label_matches(label: str, words: list[str]) -> bool:
    """A label equal to a run of the name's words (``barmancloud`` in
    ``cnpg-barman-cloud``), or extending its first word (``dragonflydb`` of
    ``dragonfly-operator``)."""
    for i in range(len(words)):
        for j in range(i + 1, len(words) + 1):
            run = words[i:j]
            if label in ("-".join(run), "".join(run)) and len(label) >= 4:
                return True
    first = words[0]
    return len(first) >= 5 and label.startswith(first) and len(label) - len(first) <= 3


def evident(group: str, names: tuple[str, ...] | list[str]) -> bool:
    """Do ``names`` (a provider's names and URLs) make it evident that it installs ``group``?"""
    return _evident(group, tuple(names))


@lru_cache(maxsize=1 << 16)
def _evident(group: str, names: tuple[str, ...]) -> bool:
    """A pure function of its arguments, asked for the same pairs by every object of a
    kind and every cluster of a repository: remembered for the process."""
    labels = [lab for lab in group.lower().split(".") if lab not in COMMON_LABELS]
    if not labels:
        return False
    for text in names:
        for words in name_stems(text):
            if any(_label_matches(label, words) for label in labels):
                return True
    return False


@lru_cache(maxsize=1 << 16)
def distance(a: str, b: str, limit: int = 2) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, capped at ``limit + 1``.

    A pure function of its arguments, remembered for the process (as ``_evident``):
    each cluster of a repository measures the same unserved groups against the
    same served ones, most of missing-crd's time on hmcts's 16 clusters."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] | None = None
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if prev2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return min(prev[-1], limit + 1)


def near(word: str, candidates, limit: int = 2) -> list[str]:
    """Candidates one to ``limit`` edits away from ``word``, closest first."""
    scored = sorted((distance(word, c, limit), c) for c in candidates if c != word)
    return [c for d, c in scored if 0 < d <= limit]
