"""Map a Flux Kustomization's ``sourceRef`` to a directory of this repository.

Flux builds ``spec.path`` inside the artifact of the referenced source. For
gitops-lint the artifact is this repository when the source is the bootstrap
GitRepository (the one the cluster's own sync Kustomization uses), another
GitRepository with the same URL, or an ExternalArtifact produced by a
source-watcher ArtifactGenerator whose copy rules take directories of this
repository. Anything else lives elsewhere: it is noted once, never fetched.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from ..core.enums import StrEnum
from ..core.fs import OutsideRoot, RepoFS, join, normalize


class SourceStatus(StrEnum):
    """What a Kustomization's ``sourceRef`` and ``spec.path`` resolve to."""

    OK = "ok"
    EXTERNAL = "external"  # the source exists but its content is not in this repository
    NOT_FOUND = "not-found"  # the source object itself is not in the manifests
    MISSING = "missing"  # the source is this repository but spec.path does not exist
    ESCAPE = "escape"  # spec.path leaves the repository root
    # spec.path still holds a ${var} no known substitution filled (a parent's postBuild
    # gitops-lint could not apply): where it points is unknown, so it is never "missing"
    UNKNOWN_PATH = "unknown-path"


OK = SourceStatus.OK
EXTERNAL = SourceStatus.EXTERNAL
NOT_FOUND = SourceStatus.NOT_FOUND
MISSING = SourceStatus.MISSING
ESCAPE = SourceStatus.ESCAPE
UNKNOWN_PATH = SourceStatus.UNKNOWN_PATH


@dataclass(frozen=True)
class SourceResolution:
    status: SourceStatus
    directory: str | None = None  # repo-relative directory of spec.path
    detail: str = ""  # what the source is (for notes and messages)

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", SourceStatus(self.status))  # a stray string fails here


def normalize_url(url: str) -> str:
    """Compare Git URLs by host and path: ssh://git@host/x/y.git == https://host/x/y."""
    u = url.strip().lower()
    u = re.sub(r"^[a-z+]+://", "", u)
    u = re.sub(r"^[^@/]+@", "", u)
    u = u.replace(":", "/", 1) if re.match(r"^[^/]+:[^/0-9]", u) else u
    u = re.sub(r":\d+/", "/", u, count=1)
    return u.removesuffix("/").removesuffix(".git")


@dataclass(frozen=True)
class CopyRule:
    """One ArtifactGenerator copy rule, reduced to a directory mapping."""

    artifact_prefix: str  # directory inside the generated artifact
    repo_prefix: str  # directory of this repository it comes from


def _glob_dir(path: str) -> str:
    """The directory part of a copy pattern before its first glob character."""
    parts = []
    for part in path.split("/"):
        if any(c in part for c in "*?["):
            break
        parts.append(part)
    return "/".join(parts)


def copy_rules(generator_spec: dict, artifact_name: str, repo_aliases: set[str]) -> list[CopyRule] | None:
    """Copy rules of ``artifact_name`` whose origin is this repository.

    Returns None when the generator has no such artifact, and an empty list
    when every rule copies from elsewhere.
    """
    for art in generator_spec.get("artifacts") or []:
        if not isinstance(art, dict) or art.get("name") != artifact_name:
            continue
        rules = []
        for rule in art.get("copy") or []:
            if not isinstance(rule, dict):
                continue
            src, dst = str(rule.get("from", "")), str(rule.get("to", ""))
            if not src.startswith("@") or "/" not in src:
                continue
            alias, _, rest = src[1:].partition("/")
            if alias not in repo_aliases:
                continue
            dst_dir = _glob_dir(dst.partition("/")[2]) if dst.startswith("@artifact") else ""
            src_dir = _glob_dir(rest)
            if "*" not in rest and "/" in rest and posixpath.splitext(rest)[1]:
                src_dir = posixpath.dirname(rest)  # a single file: map its directory
            rules.append(CopyRule(dst_dir.strip("/"), src_dir.strip("/")))
        return rules
    return None


def map_artifact_path(rules: list[CopyRule], path: str) -> str | None:
    """The repository directory for ``path`` inside a generated artifact.

    Picks the copy rule with the longest artifact prefix that contains the
    path. The artifact is a re-arrangement of repository directories; when
    it is a plain subtree move (the usual case) this is exact.
    """
    try:
        p = normalize(path)
    except OutsideRoot:
        return None
    best: CopyRule | None = None
    for rule in rules:
        pre = rule.artifact_prefix
        if (not pre or p == pre or p.startswith(pre + "/")) and (
            best is None or len(pre) > len(best.artifact_prefix)
        ):
            best = rule
    if best is None:
        return None
    rest = p[len(best.artifact_prefix) :].lstrip("/")
    try:
        return join(best.repo_prefix, rest) if rest else normalize(best.repo_prefix)
    except OutsideRoot:
        return None


def definitions_under(
    fs: RepoFS, cache, directories: list[str]
) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(kind, name) -> [(file, namespace or "")] of the objects written under ``directories``.

    The objects another sync of the repository applies: a source that this
    cluster's tree does not define may be applied to the same cluster that way
    (a bootstrap task's ``kubectl apply -k flux/config``), so it is not proven missing.
    """
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    seen = set()
    for directory in sorted(set(directories)):
        for rel in fs.walk_files(directory):
            if rel in seen:
                continue
            seen.add(rel)
            for doc in cache.load(rel, used=False).documents:
                obj = doc.data
                if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
                    continue
                meta = obj["metadata"]
                key = (str(obj.get("kind")), str(meta.get("name")))
                out.setdefault(key, []).append((rel, str(meta.get("namespace") or "")))
    return out
