"""Render one cluster the way Flux reconciles it: a tree of Flux Kustomizations.

Starting from the cluster entry (the directory the bootstrap Kustomization
applies), each Flux Kustomization is built with kustomize plus its own Flux
fields, its output substituted with its ``postBuild`` variables, and every
Flux Kustomization in that output is rendered in turn. The parent's
``spec.patches`` reach the child objects during the parent's build, exactly
as in kustomize-controller, so children inherit ``postBuild``/``prune``/
``decryption`` set that way.

A Kustomization is rendered only when what it needs is known: its source,
and the ConfigMaps/Secrets its substitution reads. Those usually come from a
parent; one rendered later is waited for, and only what is still absent when
nothing else can progress is treated as missing.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
from dataclasses import dataclass, field

from .config import Config
from .discover import Entry, git_ref
from .fs import OutsideRoot, RepoFS, normalize
from .loader import DocumentCache
from .model import (
    FLUX_KS_GROUP,
    FLUX_SOURCE_EXT_GROUP,
    ObjectRef,
    Origin,
    RenderedObject,
    group_of,
)
from .render.types import BuildIssue, FluxOverlay, Renderer
from .sources import (
    ESCAPE,
    EXTERNAL,
    MISSING,
    NOT_FOUND,
    OK,
    UNKNOWN_PATH,
    SourceResolution,
    copy_rules,
    map_artifact_path,
    normalize_url,
)
from .substitute import (
    RETYPED,
    SubstitutionBudgetExceeded,
    SubstitutionError,
    SubstitutionNote,
    Unresolved,
    is_disabled,
    substitute_object,
)

SOURCE_KINDS = ("GitRepository", "OCIRepository", "Bucket", "ExternalArtifact")


@dataclass
class FluxKustomization:
    """A Flux Kustomization of the cluster and what it applies."""

    ref: ObjectRef
    obj: dict
    origin: Origin | None  # None for the bootstrap Kustomization synthesised from the entry
    parent: ObjectRef | None
    source: SourceResolution | None = None
    objects: list[RenderedObject] = field(default_factory=list)
    build_issues: list[BuildIssue] = field(default_factory=list)
    substitutes: bool = False
    variables: dict[str, str] = field(default_factory=dict)
    # substituteFrom entries: (index, "Kind/ns/name") absent from the manifests
    missing_sources: list[tuple[int, str]] = field(default_factory=list)
    # external sources whose values are unknown: variables cannot be checked
    unchecked_sources: list[str] = field(default_factory=list)
    unresolved: list[tuple[RenderedObject, Unresolved]] = field(default_factory=list)
    substitution_errors: list[tuple[RenderedObject, SubstitutionError]] = field(default_factory=list)
    substitution_notes: list[tuple[RenderedObject, SubstitutionNote]] = field(default_factory=list)
    # variable name -> (where it came from, field path in the Kustomization), for findings
    variable_sources: dict[str, tuple[str, tuple]] = field(default_factory=dict)

    @property
    def spec(self) -> dict:
        spec = self.obj.get("spec")
        return spec if isinstance(spec, dict) else {}

    @property
    def synthetic(self) -> bool:
        return self.origin is None


@dataclass
class Cluster:
    entry: Entry
    kustomizations: dict[tuple, FluxKustomization]
    objects: list[RenderedObject]
    root: FluxKustomization
    # external sources noted once: (source "Kind/ns/name", first Kustomization using it)
    external_sources: dict[str, ObjectRef] = field(default_factory=dict)
    # an entry found by its layout has no sync that names its source: the source its
    # top Kustomizations use, defined nowhere, is taken as the bootstrap source
    # ((kind, namespace, name), the Kustomization that named it)
    assumed_source: tuple[tuple[str, str, str], ObjectRef] | None = None
    # the other entries the repository's syncs name (what else may be applied to this cluster)
    other_entries: list[Entry] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.entry.path or "."

    def find(self, kind: str, namespace: str, name: str) -> list[RenderedObject]:
        return self._index.get((kind, namespace, name), [])

    def __post_init__(self):
        self._index: dict[tuple[str, str, str], list[RenderedObject]] = {}
        for ro in self.objects:
            self.index(ro)

    def index(self, ro: RenderedObject) -> None:
        r = ro.ref
        self._index.setdefault((r.kind, r.namespace, r.name), []).append(ro)


def _string_map(value) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def source_values(obj: dict) -> dict[str, str]:
    """The variables a ConfigMap or Secret manifest supplies, as the API would return them."""
    if obj.get("kind") == "Secret":
        out = {}
        data = obj.get("data")
        if isinstance(data, dict):
            for k, v in data.items():
                try:
                    out[str(k)] = base64.b64decode(str(v), validate=True).decode("utf-8", "replace")
                except (binascii.Error, ValueError):
                    out[str(k)] = str(v)  # SOPS ciphertext or bad base64: the key still exists
        out.update(_string_map(obj.get("stringData")))
        return out
    return _string_map(obj.get("data"))


def _external_secret(cluster: Cluster, ns: str, name: str) -> bool:
    """Is Secret ns/name created by an external-secrets ExternalSecret of the cluster?

    Its keys and values live in a secret store: the Secret exists, but what
    it substitutes cannot be checked offline.
    """
    for ro in cluster.objects:
        obj = ro.obj
        if obj.get("kind") == "ExternalSecret" and ro.ref.namespace == ns:
            spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
            target = spec.get("target") if isinstance(spec.get("target"), dict) else {}
            if (target.get("name") or ro.ref.name) == name:
                return True
    return False


def _same_revision(bootstrap_ref: str | None, ref) -> bool:
    """Does a GitRepository of the bootstrap URL fetch the revision linted here?

    Another branch or tag of the same repository is other content: it is not
    this checkout. When either side does not say, it is taken as the same.
    """
    other = git_ref(ref)
    return bootstrap_ref is None or other is None or other == bootstrap_ref


def _in_source_root(entry: Entry) -> str:
    """The entry's path inside its bootstrap artifact (its repository path when outside it)."""
    root = entry.source_root
    if root and (entry.path == root or entry.path.startswith(root + "/")):
        return entry.path[len(root) :].lstrip("/")
    return entry.path


def in_artifact(source_root: str, path: str) -> str:
    """The repository directory of ``path`` inside an artifact holding ``source_root``.

    kustomize-controller joins ``spec.path`` to the artifact with securejoin,
    which resolves ``..`` lexically and clamps it at the root: ``../apps`` is
    ``./apps``, never a read outside (FLUX-SEMANTICS, addenda).
    """
    clamped = posixpath.normpath("/" + path.replace("\\", "/")).lstrip("/")
    return normalize(posixpath.join(source_root, clamped) if source_root else clamped)


class ClusterBuilder:
    def __init__(self, fs: RepoFS, cache: DocumentCache, renderer: Renderer, config: Config):
        self.fs = fs
        self.cache = cache
        self.renderer = renderer
        self.config = config

    # -- entry point -----------------------------------------------------
    def build(self, entry: Entry) -> Cluster:
        # the entry's own sync Kustomization (named like its source unless the sync says otherwise)
        root_name = entry.sync_name or entry.source_name
        root_ref = ObjectRef("Kustomization", entry.source_namespace, root_name, f"{FLUX_KS_GROUP}/v1")
        root_obj = {
            "apiVersion": f"{FLUX_KS_GROUP}/v1",
            "kind": "Kustomization",
            "metadata": {"name": root_name, "namespace": entry.source_namespace},
            "spec": {
                "path": "./" + _in_source_root(entry),
                "prune": True,
                "sourceRef": {"kind": entry.source_kind, "name": entry.source_name},
            },
        }
        root = FluxKustomization(root_ref, root_obj, None, None)
        cluster = Cluster(entry, {root_ref.key(): root}, [], root)
        self._bootstrap_url = normalize_url(entry.url) if entry.url else None
        self._source_root = entry.source_root if _in_source_root(entry) != entry.path else ""
        pending = [root]
        while pending:
            progressed = False
            waiting = []
            for ks in pending:
                if self._ready(cluster, ks):
                    pending_new = self._render(cluster, ks)
                    waiting.extend(pending_new)
                    progressed = True
                else:
                    waiting.append(ks)
            if not progressed:
                # nothing can progress: what is still absent is missing
                first, *rest = waiting
                waiting = rest + self._render(cluster, first)
            pending = waiting
        return cluster

    # -- readiness -------------------------------------------------------
    def _ready(self, cluster: Cluster, ks: FluxKustomization) -> bool:
        if ks.synthetic:
            return True
        ns = ks.ref.namespace
        ref = ks.spec.get("sourceRef")
        if isinstance(ref, dict) and not self._is_bootstrap(cluster, ref, ns):
            kind, name = str(ref.get("kind", "")), str(ref.get("name", ""))
            if not cluster.find(kind, str(ref.get("namespace") or ns), name):
                generated = kind == "ExternalArtifact" and any(
                    ro.obj.get("kind") == "ArtifactGenerator" for ro in cluster.objects
                )
                if not generated:
                    return False
        post = ks.spec.get("postBuild")
        if isinstance(post, dict):
            for item in post.get("substituteFrom") or []:
                if isinstance(item, dict):
                    kind, name = str(item.get("kind", "")), str(item.get("name", ""))
                    if (
                        not cluster.find(kind, ns, name)
                        and f"{kind}/{ns}/{name}" not in self._known_external
                        and not (kind == "Secret" and _external_secret(cluster, ns, name))
                    ):
                        return False
        return True

    @property
    def _known_external(self) -> set[str]:
        return self.config.external | set(self.config.variables)

    def _is_bootstrap(self, cluster: Cluster, ref: dict, ns: str) -> bool:
        e = cluster.entry
        key = (ref.get("kind"), ref.get("namespace") or ns, ref.get("name"))
        if key == (e.source_kind, e.source_namespace, e.source_name):
            return True
        return cluster.assumed_source is not None and key == cluster.assumed_source[0]

    def _assume_bootstrap(self, cluster: Cluster, ks: FluxKustomization, key: tuple[str, str, str]) -> bool:
        """Take an undefined source of a top Kustomization as the bootstrap source.

        Only for an entry that no sync names (found by its layout or named on the
        command line): what its sync calls the source is unknown, and a Git or OCI
        source that no manifest defines is most likely that one, named otherwise.
        """
        if cluster.entry.source_known or ks.parent != cluster.root.ref:
            return False
        if key[0] not in ("GitRepository", "OCIRepository") or cluster.assumed_source is not None:
            return False
        cluster.assumed_source = (key, ks.ref)
        return True

    # -- source resolution -------------------------------------------------
    def resolve(self, cluster: Cluster, ks: FluxKustomization) -> SourceResolution:
        # a ${var} left in spec.path is unknown, not missing, when the parent's substitution
        # is not fully known: the entry's own sync (its postBuild is set outside what is
        # rendered here) or a parent with substitution sources outside Git
        parent = cluster.kustomizations.get(ks.parent.key()) if ks.parent else None
        self._unknown_substitution = (
            parent is None or parent is cluster.root or bool(parent.unchecked_sources)
        )
        spec = ks.spec
        ns = ks.ref.namespace
        ref = spec.get("sourceRef")
        raw_path = spec.get("path") or "./"
        if not isinstance(raw_path, str):
            raw_path = str(raw_path)
        if not isinstance(ref, dict):
            return SourceResolution(NOT_FOUND, detail="no sourceRef")
        kind, name = str(ref.get("kind", "")), str(ref.get("name", ""))
        src_ns = str(ref.get("namespace") or ns)
        ident = f"{kind}/{src_ns}/{name}"
        if ks.synthetic or self._is_bootstrap(cluster, ref, ns):
            return self._in_repo(raw_path, ident)
        found = cluster.find(kind, src_ns, name)
        if not found:
            if ident in self._known_external:
                return SourceResolution(EXTERNAL, detail=ident)
            if self._assume_bootstrap(cluster, ks, (kind, src_ns, name)):
                return self._in_repo(raw_path, ident)
            if kind == "ExternalArtifact":
                # ExternalArtifacts are created by an ArtifactGenerator, not written in Git
                return self._from_generator(cluster, src_ns, name, raw_path, ident)
            return SourceResolution(NOT_FOUND, detail=ident)
        src = found[0].obj
        if kind == "GitRepository":
            url = (src.get("spec") or {}).get("url")
            if (
                self._bootstrap_url is None
                and isinstance(url, str)
                and found[0].applied_by == cluster.root.ref
                and self._assume_bootstrap(cluster, ks, (kind, src_ns, name))
            ):
                # the entry defines its own sync (a GitRepository and a Kustomization
                # applied by hand): that GitRepository is this repository
                self._bootstrap_url = normalize_url(url)
            if (
                self._bootstrap_url
                and isinstance(url, str)
                and normalize_url(url) == self._bootstrap_url
                and _same_revision(cluster.entry.ref, (src.get("spec") or {}).get("ref"))
            ):
                return self._in_repo(raw_path, ident)
            return SourceResolution(EXTERNAL, detail=f"{ident} ({url})" if url else ident)
        if kind == "ExternalArtifact":
            return self._from_generator(cluster, src_ns, name, raw_path, ident)
        return SourceResolution(EXTERNAL, detail=ident)

    def _in_repo(self, raw_path: str, ident: str) -> SourceResolution:
        if "${" in raw_path and self._unknown_substitution:
            return SourceResolution(UNKNOWN_PATH, detail=ident)
        try:
            directory = in_artifact(self._source_root, raw_path)
        except OutsideRoot:
            return SourceResolution(ESCAPE, detail=ident)
        try:
            if not self.fs.isdir(directory):
                return SourceResolution(MISSING, directory, detail=ident)
        except OutsideRoot:
            return SourceResolution(ESCAPE, directory, detail=ident)
        return SourceResolution(OK, directory, detail=ident)

    def _from_generator(self, cluster, ns, name, raw_path, ident) -> SourceResolution:
        """An ExternalArtifact produced by an ArtifactGenerator from this repository."""
        for ro in cluster.objects:
            obj = ro.obj
            if (
                obj.get("kind") != "ArtifactGenerator"
                or group_of(str(obj.get("apiVersion"))) != FLUX_SOURCE_EXT_GROUP
            ):
                continue
            if ro.ref.namespace != ns:
                continue
            spec = obj.get("spec") or {}
            aliases = set()
            for src in spec.get("sources") or []:
                if isinstance(src, dict) and self._is_bootstrap(cluster, src, ns):
                    aliases.add(str(src.get("alias")))
            rules = copy_rules(spec, name, aliases)
            if rules is None:
                continue
            if not rules:
                return SourceResolution(EXTERNAL, detail=ident)
            directory = map_artifact_path(rules, raw_path)
            if directory is None:
                return SourceResolution(
                    MISSING, detail=f"{ident} (no copy rule of the artifact covers this path)"
                )
            return self._in_repo(directory, ident)
        return SourceResolution(NOT_FOUND, detail=ident)

    # -- variables -------------------------------------------------------
    def _variables(self, cluster: Cluster, ks: FluxKustomization) -> None:
        post = ks.spec.get("postBuild")
        if not isinstance(post, dict):
            return
        ns = ks.ref.namespace
        variables: dict[str, str] = dict(self.config.global_variables)
        for i, item in enumerate(post.get("substituteFrom") or []):
            if not isinstance(item, dict):
                continue
            kind, name = str(item.get("kind", "")), str(item.get("name", ""))
            ident = f"{kind}/{ns}/{name}"
            if ident in self.config.variables:
                variables.update(self.config.variables[ident])
                continue
            found = cluster.find(kind, ns, name)
            if found:
                values = source_values(found[-1].obj)
                variables.update(values)
                for key in values:
                    ks.variable_sources[key] = (ident, ("spec", "postBuild", "substituteFrom", i))
            elif ident in self.config.external or (kind == "Secret" and _external_secret(cluster, ns, name)):
                ks.unchecked_sources.append(ident)
            elif item.get("optional") is not True:
                ks.missing_sources.append((i, ident))
        inline = _string_map(post.get("substitute"))
        variables.update(inline)
        for key in inline:
            ks.variable_sources[key] = ("spec.postBuild.substitute", ("spec", "postBuild", "substitute", key))
        ks.variables = variables
        strategy = post.get("substituteStrategy")
        ks.substitutes = bool(variables) or strategy == "Always" or bool(ks.unchecked_sources)

    # -- rendering -------------------------------------------------------
    def _overlay(self, ks: FluxKustomization) -> FluxOverlay:
        spec = ks.spec

        def text(key):
            v = spec.get(key)
            return str(v) if v not in (None, "") else None

        return FluxOverlay(
            target_namespace=text("targetNamespace"),
            name_prefix=text("namePrefix"),
            name_suffix=text("nameSuffix"),
            patches=[p for p in spec.get("patches") or [] if isinstance(p, dict)],
            images=[i for i in spec.get("images") or [] if isinstance(i, dict)],
            components=[str(c) for c in spec.get("components") or []],
            ignore_missing_components=spec.get("ignoreMissingComponents") is True,
            origin=ks.origin,
        )

    def _render(self, cluster: Cluster, ks: FluxKustomization) -> list[FluxKustomization]:
        ks.source = self.resolve(cluster, ks)
        if ks.source.status == EXTERNAL and ks.source.detail not in self._known_external:
            cluster.external_sources.setdefault(ks.source.detail, ks.ref)
        if ks.source.status != OK:
            return []
        if (
            cluster.assumed_source is not None
            and ks.parent == cluster.root.ref
            and ks.source.directory == (cluster.root.source.directory if cluster.root.source else None)
        ):
            # the entry's own sync Kustomization, found in the entry: what it applies
            # is what the entry rendered (as with a gotk-sync.yaml)
            return []
        self._variables(cluster, ks)
        result = self.renderer.build(ks.source.directory or "", self._overlay(ks))
        ks.build_issues = result.issues
        children: list[FluxKustomization] = []
        for res in result.resources:
            obj = res.obj
            ro = RenderedObject(obj, res.origin, ks.ref)
            if ks.substitutes and not is_disabled(obj):
                try:
                    sub = substitute_object(obj, ks.variables, strict=True)
                except SubstitutionBudgetExceeded:
                    ks.substitution_errors.append(
                        (
                            ro,
                            SubstitutionError("object too large to substitute (alias expansion)", (), ""),
                        )
                    )
                else:
                    ro.obj = obj = sub.obj
                    for u in sub.unresolved:
                        ks.unresolved.append((ro, u))
                        ro.unresolved.append((u.name, u.path))
                    for err in sub.errors:
                        ks.substitution_errors.append((ro, err))
                    for note in sub.notes:
                        ks.substitution_notes.append((ro, note))
                        if note.kind == RETYPED:
                            ro.retyped[note.path] = (note.expression, note.type_name)
            ks.objects.append(ro)
            cluster.objects.append(ro)
            cluster.index(ro)
            child = self._as_kustomization(cluster, ks, ro)
            if child is not None:
                children.append(child)
        return children

    def _as_kustomization(self, cluster: Cluster, parent: FluxKustomization, ro: RenderedObject):
        obj = ro.obj
        if obj.get("kind") != "Kustomization" or group_of(str(obj.get("apiVersion", ""))) != FLUX_KS_GROUP:
            return None
        ref = ro.ref
        existing = cluster.kustomizations.get(ref.key())
        if existing is not None:
            if existing.synthetic:
                # the bootstrap Kustomization (gotk-sync.yaml) rendered from the entry itself
                existing.obj, existing.origin = obj, ro.origin
            return None
        child = FluxKustomization(ref, obj, ro.origin, parent.ref)
        cluster.kustomizations[ref.key()] = child
        return child
