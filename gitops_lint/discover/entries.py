"""Find the cluster entries of a repository and describe their bootstrap source.

A *cluster entry* is the directory Flux's own sync Kustomization applies:
what ``flux bootstrap --path`` points at, or a Flux Operator FluxInstance's
``spec.sync.path``. The sync object that names an entry may sit anywhere in
the repository (a FluxInstance under ``apps/flux-system``, the flux-instance
chart's values in a HelmRelease or in a values file that a
``configMapGenerator`` feeds to ``valuesFrom``, a ``gotk-sync.yaml``), so the
whole repository is scanned for them; the config's ``bootstrap:`` key names
what lives outside Git (a FluxInstance created by Terraform).

The sync also fixes the *source root*: the repository directory at the root of
the bootstrap artifact. ``path: ./clusters/a`` of a sync found at
``sub/clusters/a`` says the artifact is ``sub/`` (a directory pushed or
synced on its own), and a CI step ``flux push artifact --path=kubernetes``
says the OCI artifact is ``kubernetes/``. Every ``spec.path`` of the bootstrap
source resolves against that root.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, replace

from ..core.data import FLUX_KS_GROUP, FLUX_OPERATOR_GROUP, group_of, is_kind
from ..core.errors import InputError
from ..core.fs import FileTooLarge, OutsideRoot, RepoFS, normalize
from ..core.questions import derivable
from ..load.bootstrap import Bootstrap
from ..load.loader import DocumentCache
from ..load.top_level import may_be_of_kind
from .flux_fields import decode

# how an entry was found, strongest first: a live sync beats a gotk-sync.yaml
# left by an earlier `flux bootstrap`, which beats a directory name
CONFIG, INSTANCE, GOTK, SELF = "config", "FluxInstance", "gotk-sync", "self-applied sync"
LAYOUT, GIVEN = "layout", "command line"
_STRENGTH = {CONFIG: 0, INSTANCE: 1, GOTK: 2, SELF: 3, GIVEN: 4, LAYOUT: 5}


@dataclass(frozen=True)
class Entry:
    path: str  # repo-relative directory
    # how the bootstrap source of this entry is called (Flux bootstrap and the
    # Flux Operator both name it after the namespace: flux-system/flux-system)
    source_kind: str = "GitRepository"
    source_namespace: str = "flux-system"
    source_name: str = "flux-system"
    url: str | None = None
    # repository directory at the root of the bootstrap artifact: spec.paths of
    # the bootstrap source are relative to it
    source_root: str = ""
    found_by: str = GIVEN  # CONFIG, INSTANCE, GOTK, SELF, LAYOUT or GIVEN
    found_in: str | None = None  # file of the sync object that names the entry
    sync_name: str | None = None  # name of the sync Kustomization (default: the source's)
    ref: str | None = None  # the revision synced (refs/heads/main), when the sync says it

    @property
    def source_known(self) -> bool:
        """Is the bootstrap source named by a sync object or the config (not guessed)?"""
        return self.found_by in (CONFIG, INSTANCE, GOTK, SELF)


@dataclass(frozen=True)
class Sync:
    """A sync object found in the repository: what it applies, from which source."""

    path: str  # as written (relative to the source root)
    kind: str
    namespace: str
    name: str
    url: str | None
    file: str
    found_by: str  # INSTANCE, GOTK or SELF
    sync_name: str | None = None  # the sync Kustomization's own name
    ref: str | None = None


def _instance_sync(obj: dict, rel: str) -> Sync | None:
    """The sync of a FluxInstance, a flux-instance HelmRelease, or a flux-instance values file."""
    kind = obj.get("kind")
    group = group_of(str(obj.get("apiVersion", "")))
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    ns = str(meta.get("namespace") or "flux-system")
    if kind == "FluxInstance" and group == FLUX_OPERATOR_GROUP:
        sync = spec.get("sync")
    elif kind == "HelmRelease" and isinstance(spec.get("values"), dict):
        # the flux-instance Helm chart carries the FluxInstance spec in values.instance
        instance = spec["values"].get("instance")
        sync = instance.get("sync") if isinstance(instance, dict) else None
        ns = str(spec.get("targetNamespace") or ns)
    elif "kind" not in obj and "apiVersion" not in obj and isinstance(obj.get("instance"), dict):
        # a values file of that chart, fed to the HelmRelease by a configMapGenerator
        # (valuesFrom) or by a bootstrap helmfile; the release lives in flux-system
        sync = obj["instance"].get("sync")
    else:
        return None
    if not isinstance(sync, dict) or not isinstance(sync.get("path"), str):
        return None
    return Sync(
        sync["path"],
        str(sync.get("kind") or "GitRepository"),
        ns,
        str(sync.get("name") or ns),
        str(sync["url"]) if sync.get("url") else None,
        rel,
        INSTANCE,
        ref=git_ref(sync.get("ref")),
    )


def _gotk_sync(obj: dict, rel: str) -> Sync | None:
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    if not is_kind(obj, FLUX_KS_GROUP, "Kustomization") or not isinstance(spec.get("path"), str):
        return None
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    ref = spec.get("sourceRef") if isinstance(spec.get("sourceRef"), dict) else {}
    return Sync(
        spec["path"],
        str(ref.get("kind") or "GitRepository"),
        str(ref.get("namespace") or meta.get("namespace") or "flux-system"),
        str(ref.get("name") or "flux-system"),
        None,
        rel,
        GOTK,
        str(meta["name"]) if meta.get("name") else None,
    )


def _self_applied(docs: list[dict], rel: str) -> list[Sync]:
    """A Kustomization and its GitRepository in one file, applying the directory that holds it.

    That is a sync applied by hand or by a bootstrap task (``kubectl apply -k
    flux/config``): ``path: ./k8s/prod/flux`` in ``k8s/prod/flux/config/cluster.yaml``.
    A Kustomization of another repository's content (a tenant's sync) never
    applies its own directory, so it is not taken.
    """
    repos = _git_repositories(docs)
    found = []
    for obj in docs:
        sync = _gotk_sync(obj, rel)
        if sync is None or sync.kind != "GitRepository" or (sync.namespace, sync.name) not in repos:
            continue
        try:
            path = normalize(sync.path)
        except OutsideRoot:
            continue
        if path and not (rel.startswith(path + "/")):
            continue
        url, ref = repos[(sync.namespace, sync.name)]
        found.append(replace(sync, url=url, ref=ref, found_by=SELF))
    return found


def _git_repositories(docs: list[dict]) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    """(namespace, name) -> (url, ref) of the GitRepositories among ``docs``."""
    repos = {}
    for obj in docs:
        if obj.get("kind") == "GitRepository" and isinstance(obj.get("metadata"), dict):
            meta = obj["metadata"]
            spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
            url = str(spec["url"]) if spec.get("url") else None
            repos[(str(meta.get("namespace") or "flux-system"), str(meta.get("name")))] = (
                url,
                git_ref(spec.get("ref")),
            )
    return repos


def git_ref(ref) -> str | None:
    """A GitRepository ``spec.ref`` (or a FluxInstance ``sync.ref``) as one comparable string."""
    if isinstance(ref, str):
        return ref or None
    if not isinstance(ref, dict):
        return None
    for key, prefix in (("name", ""), ("commit", "commit:"), ("semver", "semver:"), ("tag", "refs/tags/")):
        if ref.get(key):
            return prefix + str(ref[key])
    if ref.get("branch"):
        return "refs/heads/" + str(ref["branch"])
    return None


def _may_name_an_instance(doc: dict) -> bool:
    """Can :func:`_instance_sync` find a sync in this document (as written)?"""
    return doc.get("kind") in ("FluxInstance", "HelmRelease") or (
        "kind" not in doc and "apiVersion" not in doc and "instance" in doc
    )


@derivable
def sync_filter(raw: bytes) -> list[bool]:
    """Whether a file's bytes may hold an instance sync, and a self-applied sync: the cheap
    filter before parsing (most files never need parsing here). A function of the bytes
    alone, asked through ``RepoFS.derive``: a file whose change keeps both answers does not
    change discovery."""
    # a FluxInstance, a HelmRelease of its chart or the chart's values (``instance:``)
    instance = b"sync:" in raw and (b"FluxInstance" in raw or b"HelmRelease" in raw or b"instance" in raw)
    # a GitRepository at a document's top level (False when the bytes never name it), not
    # only named below it as in the CRDs of a gotk-components.yaml (read from the text, see
    # load.top_level)
    selfsync = b"kustomize.toolkit.fluxcd.io" in raw and may_be_of_kind(raw, "GitRepository")
    return [instance, selfsync]


def find_syncs(fs: RepoFS, cache: DocumentCache, files: list[str]) -> list[Sync]:
    """Every sync object of ``files``: FluxInstances (and the chart's values) and gotk-sync Kustomizations."""
    found: list[Sync] = []
    for rel in files:
        gotk = posixpath.basename(rel) == "gotk-sync.yaml"
        instance = selfsync = False
        if not gotk:
            try:
                instance, selfsync = fs.derive(rel, sync_filter)
            except (OSError, OutsideRoot, FileTooLarge):
                continue
            if not (instance or selfsync):
                continue
        documents = [d.data for d in cache.load(rel, used=False).documents if isinstance(d.data, dict)]
        # decoding keeps a document's kind: a file in which no document can be a sync by
        # its kind (most files that name a GitRepository only refer to it, as an app's
        # ks.yaml does) has nothing to decode
        if not (
            gotk
            or (instance and any(_may_name_an_instance(d) for d in documents))
            or (selfsync and any(d.get("kind") == "GitRepository" for d in documents))
        ):
            continue
        # Flux objects read through their typed shapes: a field of the wrong type is left out
        docs = [decode(d).obj for d in documents]
        if gotk:
            repos = _git_repositories(docs)
            for sync in (_gotk_sync(o, rel) for o in docs):
                if sync is not None:
                    url, ref = repos.get((sync.namespace, sync.name), (None, None))
                    found.append(replace(sync, url=url, ref=ref))
            continue
        if instance:
            found.extend(s for s in map(lambda o: _instance_sync(o, rel), docs) if s is not None)
        if selfsync:
            found.extend(_self_applied(docs, rel))
    return found


_PUSH = re.compile(r"flux\s+push\s+artifact\s[\s\S]{0,400}?--path[= ]\s*[\"']?([^\s\"']+)")


def pushed_roots(fs: RepoFS) -> list[str]:
    """Directories CI or task files push as OCI artifacts (``flux push artifact --path=DIR``)."""
    roots = set()
    for rel in fs.walk_files("", (".yaml", ".yml", ".sh", "Makefile", "justfile", ".just")):
        try:
            roots.update(fs.derive(rel, pushed_paths))
        except (OSError, OutsideRoot, FileTooLarge):
            continue
    return sorted(roots)


@derivable
def pushed_paths(raw: bytes) -> list[str]:
    """The directories one file pushes (:func:`pushed_roots`), normalised, in text order: a
    function of its bytes alone (``RepoFS.derive``), so that a change of a script that
    pushes the same directories changes nothing of a run."""
    text = raw.decode("utf-8", "replace")
    if "push artifact" not in text:
        return []
    out = []
    for m in _PUSH.finditer(text):
        # `{{.ROOT_DIR}}/kubernetes`, `$GITHUB_WORKSPACE/kubernetes`: keep what follows the variable
        path = re.sub(r"^.*(\}\}|\}|\$[A-Za-z_]+)", "", m.group(1))
        try:
            out.append(normalize(path))
        except OutsideRoot:
            continue
    return out


def _source_root(fs: RepoFS, sync: Sync, artifact_roots: list[str]) -> str | None:
    """The repository directory the sync's path is relative to, or None when it names nothing."""
    try:
        path = normalize(sync.path)
    except OutsideRoot:
        return None
    candidates = []
    if sync.kind == "OCIRepository":
        candidates += artifact_roots
    # the nearest ancestor of the sync's own file that holds the path: a gotk-sync at
    # sub/clusters/a/flux-system/ syncing ./clusters/a says the artifact is sub/
    d = posixpath.dirname(sync.file)
    while d:
        candidates.append(d)
        d = posixpath.dirname(d)
    candidates.append("")
    for root in candidates:
        target = posixpath.join(root, path) if root else path
        if fs.isdir(target or "") and _has_yaml(fs, target):
            return root
    return None


def _cluster_dirs(fs: RepoFS, parent: str, depth: int = 3) -> list[str]:
    """The cluster directories of a ``clusters/`` layout.

    ``clusters/<name>`` is a cluster when it holds manifests itself; a
    directory that only groups others (``clusters/<env>/<nn>``,
    ``clusters/<site>/<platform>/<name>``) is looked into, a few levels deep.
    """
    out: list[str] = []
    if depth == 0 or not _inside(fs.isdir, parent):
        return out
    for name in fs.listdir(parent):
        rel = f"{parent}/{name}"
        if not _inside(fs.isdir, rel) or not _has_yaml(fs, rel):
            continue
        own = any(
            child.endswith((".yaml", ".yml")) and _inside(fs.isfile, f"{rel}/{child}")
            for child in fs.listdir(rel)
        )
        out.extend([rel] if own else _cluster_dirs(fs, rel, depth - 1))
    return out


def _inside(test, rel: str) -> bool:
    """``test(rel)``, False for a symlink that leaves the root (a stranger may commit one)."""
    try:
        return test(rel)
    except OutsideRoot:
        return False


def _has_yaml(fs: RepoFS, rel: str) -> bool:
    return any(True for _ in fs.walk_files(rel))


def _entry_of(fs: RepoFS, sync: Sync, artifact_roots: list[str], bootstrap: Bootstrap | None) -> Entry | None:
    root = (
        bootstrap.root if bootstrap and bootstrap.root is not None else _source_root(fs, sync, artifact_roots)
    )
    if root is None:
        return None
    try:
        path = normalize(posixpath.join(root, normalize(sync.path)))
    except OutsideRoot:
        return None
    return Entry(
        path,
        sync.kind,
        sync.namespace,
        sync.name,
        sync.url,
        root,
        sync.found_by,
        sync.file,
        sync.sync_name,
        sync.ref,
    )


def _configured(entry: Entry, bootstrap: Bootstrap | None) -> Entry:
    if bootstrap is None:
        return entry
    changes = {
        key: getattr(bootstrap, attr)
        for key, attr in (
            ("source_kind", "kind"),
            ("source_namespace", "namespace"),
            ("source_name", "name"),
            ("url", "url"),
            ("source_root", "root"),
        )
        if getattr(bootstrap, attr) is not None
    }
    if "source_namespace" in changes and "source_name" not in changes and not entry.source_known:
        changes["source_name"] = changes["source_namespace"]
    return replace(entry, **changes) if changes else entry


@dataclass
class Discovery:
    """Every sync of a repository, and the entries they name."""

    entries: dict[str, Entry]  # path -> the entry used
    shadowed: dict[str, list[Entry]]  # path -> weaker syncs of the same path (stale gotk-sync)

    def notes(self) -> list[str]:
        out = []
        for path, others in sorted(self.shadowed.items()):
            used = self.entries[path]
            for other in others:
                if other.found_in != used.found_in and other.found_by != used.found_by:
                    out.append(
                        f"{path or '.'}: using the {used.found_by} sync in {used.found_in}; "
                        f"{other.found_in} ({other.found_by}) is not used"
                    )
        return out


class TooManyFiles(InputError):
    """The root holds more YAML files than a guessed root may (not a repository?)."""


def discover(
    fs: RepoFS, cache: DocumentCache, bootstrap: Bootstrap | None = None, limit: int | None = None
) -> Discovery:
    """Entries named by sync objects anywhere in the repository (and by the config)."""
    files = []
    for rel in fs.walk_files(""):
        files.append(rel)
        if limit is not None and len(files) > limit:
            raise TooManyFiles(f"{fs.root} holds more than {limit} YAML files")
    syncs = find_syncs(fs, cache, files)
    roots = pushed_roots(fs) if any(s.kind == "OCIRepository" for s in syncs) else []
    found: dict[str, list[Entry]] = {}
    for sync in syncs:
        entry = _entry_of(fs, sync, roots, bootstrap)
        if entry is not None:
            found.setdefault(entry.path, []).append(entry)
    entries, shadowed = {}, {}
    for path, candidates in found.items():
        candidates.sort(key=lambda e: (_STRENGTH[e.found_by], e.found_in or ""))
        entries[path] = candidates[0]
        if len(candidates) > 1:
            shadowed[path] = candidates[1:]
    if bootstrap is not None and bootstrap.entries:
        entries = {
            p: _configured(replace(entries.get(p, Entry(p)), found_by=CONFIG), bootstrap)
            for p in bootstrap.entries
        }
        shadowed = {p: v for p, v in shadowed.items() if p in entries}
    else:
        entries = {p: _configured(e, bootstrap) for p, e in entries.items()}
    return Discovery(entries, shadowed)


def entry_for(disc: Discovery, rel: str, bootstrap: Bootstrap | None = None) -> Entry:
    """The entry for a directory named on the command line."""
    entry = disc.entries.get(rel)
    if entry is not None:
        return entry
    return _configured(Entry(rel), bootstrap)


def find_entries(
    fs: RepoFS, cache: DocumentCache, bootstrap: Bootstrap | None = None, disc: Discovery | None = None
) -> list[Entry]:
    """Every cluster entry of the repository, sorted by path, without duplicates."""
    disc = disc or discover(fs, cache, bootstrap)
    if bootstrap is not None and bootstrap.entries:
        return [disc.entries[k] for k in sorted(disc.entries)]
    candidates = dict(disc.entries)
    for rel in fs.walk_files(""):
        # `flux bootstrap --path X` commits X/flux-system/gotk-{components,sync}.yaml
        parts = rel.rsplit("/", 2)
        if (
            len(parts) == 3
            and parts[1] == "flux-system"
            and parts[2] in ("gotk-sync.yaml", "gotk-components.yaml")
        ):
            candidates.setdefault(parts[0], _configured(Entry(parts[0], found_by=LAYOUT), bootstrap))
    for parent in ("clusters", "kubernetes/clusters"):
        for rel in _cluster_dirs(fs, parent):
            candidates.setdefault(rel, _configured(Entry(rel, found_by=LAYOUT), bootstrap))
    if fs.isdir("kubernetes/flux/cluster"):
        candidates.setdefault(
            "kubernetes/flux/cluster",
            _configured(Entry("kubernetes/flux/cluster", found_by=LAYOUT), bootstrap),
        )
    return [candidates[k] for k in sorted(candidates)]
