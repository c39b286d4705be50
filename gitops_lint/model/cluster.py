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
nothing else can progress is treated as missing. Whether a substitution
source exists is a fact of the whole cluster, not of the render order: when a
Kustomization was rendered before a source it reads (or its producer, an
ExternalSecret for instance) appeared, the cluster is rendered again with the
facts of the first pass (:mod:`gitops_lint.substitute.sources`).
"""

from __future__ import annotations

import base64
import binascii
import posixpath
from dataclasses import dataclass, field

from ..core.data import (
    FLUX_KS_GROUP,
    FLUX_OPERATOR_GROUP,
    FLUX_SOURCE_EXT_GROUP,
    ObjectRef,
    Origin,
    RenderedObject,
    group_of,
    is_kind,
    key_text,
    ref_of,
)
from ..core.fs import OutsideRoot, RepoFS, content_hash, normalize
from ..discover.entries import Entry, git_ref
from ..discover.flux_fields import REFUSED, Decoded, decode, refusal
from ..discover.sources import (
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
from ..load.config import Config
from ..load.loader import DocumentCache
from ..render.copy import deep_copy
from ..render.kustomize import Kustomizer, overlay_key
from ..render.resourceset import PROVIDER_KIND, expand, is_resourceset
from ..render.resourceset import is_disabled as resourceset_disabled
from ..render.types import EXTERNAL as EXTERNAL_ISSUE
from ..render.types import BuildIssue, BuildResult, FluxOverlay, Renderer
from ..substitute.engine import (
    DEFAULT_BUDGET,
    RETYPED,
    UNKNOWN,
    SubstitutionBudgetExceeded,
    SubstitutionError,
    SubstitutionNote,
    Unresolved,
    Variables,
    is_disabled,
    substitute_object,
    unchanged,
    variables_key,
)
from ..substitute.sources import SourceFacts, SourceIndex, configured_facts
from .flux import HelmRelease, KustomizationSpec, ResourceSet, kustomization_spec, parse_flux_object

SOURCE_KINDS = ("GitRepository", "OCIRepository", "Bucket", "ExternalArtifact")
MAX_PASSES = 3  # renders of one cluster until its substitution facts are stable


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
    # sources whose keys are unknown (external, provider-fed): variables cannot be checked
    unchecked_sources: list[str] = field(default_factory=list)
    unresolved: list[tuple[RenderedObject, Unresolved]] = field(default_factory=list)
    # expressions left as written: their variable is set in the cluster, value unknown offline
    unknown: list[tuple[RenderedObject, Unresolved]] = field(default_factory=list)
    # substituteFrom "Kind/ns/name" -> what it offered (None: absent), as used for this render
    source_facts: dict[str, SourceFacts | None] = field(default_factory=dict)
    substitution_errors: list[tuple[RenderedObject, SubstitutionError]] = field(default_factory=list)
    substitution_notes: list[tuple[RenderedObject, SubstitutionNote]] = field(default_factory=list)
    # variable name -> (where it came from, field path in the Kustomization), for findings
    variable_sources: dict[str, tuple[str, tuple]] = field(default_factory=dict)

    @property
    def spec(self) -> dict:
        """``spec`` as read through its typed shape (:mod:`gitops_lint.discover.flux_fields`):
        the fields gitops-lint reads hold the types Flux's CRD declares."""
        obj = self.obj
        if getattr(self, "_decoded_of", None) is not obj:
            spec = decode(obj).obj.get("spec")
            self._decoded_spec = spec if isinstance(spec, dict) else {}
            self._decoded_of = obj
        return self._decoded_spec

    def seed_fields(self, obj: dict, fields: KustomizationSpec) -> None:
        """Take ``fields`` as :attr:`fields` of ``obj`` (made before for this very object)."""
        self._fields, self._fields_of = fields, obj

    def seed(self, decoded: Decoded) -> None:
        """Take ``spec`` from ``decoded``, a decode of ``obj`` made already (the builder
        decodes each object it renders once, to see whether the API server accepts it)."""
        spec = decoded.obj.get("spec")
        self._decoded_spec = spec if isinstance(spec, dict) else {}
        self._decoded_of = self.obj

    @property
    def fields(self) -> KustomizationSpec:
        """The Flux fields rules read, typed (:mod:`gitops_lint.model.flux`); parsed once
        per object (the bootstrap Kustomization's object is replaced when found)."""
        obj = self.obj
        if getattr(self, "_fields_of", None) is not obj:
            self._fields = kustomization_spec(obj, self.ref.namespace, self.spec)
            self._fields_of = obj
        return self._fields

    @property
    def synthetic(self) -> bool:
        return self.origin is None


_TOO_LARGE = object()  # a substitution that went over its budget (alias expansion)
_UNSET = object()


@dataclass
class _Made:
    """What one render of a Kustomization made from its inputs (:meth:`ClusterBuilder._made_for`):
    the build's issues, and each object with its origin and substitution (None: not
    substituted, ``_TOO_LARGE``: over budget, left as built) and its content key and the text
    of what else the key was made of (:meth:`core.data.RenderedObject.content_key`; None: an
    object of a build without a record, or variables without a key)."""

    inputs: tuple
    issues: list[BuildIssue]
    resources: list[tuple[Origin, dict, object, tuple[str, str] | None]]


@dataclass
class PendingResourceSet:
    """A rendered ResourceSet waiting for its input providers to be rendered."""

    applier: FluxKustomization  # the Kustomization that applies the ResourceSet
    ro: RenderedObject

    @property
    def ref(self) -> ObjectRef:
        """The parent of what the ResourceSet generates: the ResourceSet itself."""
        return self.ro.ref


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
        # id(rendered object) -> (its object when parsed, the parse): each parsed once
        self._parsed: dict[int, tuple[dict, HelmRelease | ResourceSet | None]] = {}
        self._typed: tuple[int, list[HelmRelease], list[ResourceSet]] = (-1, [], [])

    def __getstate__(self) -> dict:
        # a cluster built in a worker process crosses a pipe (lint.py): the parses keyed by
        # id() would name other objects once unpickled, so they are left out and made again
        state = dict(self.__dict__)
        state.pop("_parsed", None)
        state.pop("_typed", None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._parsed = {}
        self._typed = (-1, [], [])

    def _parse(self, ro: RenderedObject) -> HelmRelease | ResourceSet | None:
        if ro.obj.get("kind") not in ("HelmRelease", "ResourceSet"):
            return None
        found = self._parsed.get(id(ro))
        if found is None or found[0] is not ro.obj:
            found = self._parsed[id(ro)] = (ro.obj, parse_flux_object(ro))
        return found[1]

    def helmrelease(self, ro: RenderedObject) -> HelmRelease | None:
        """``ro`` as a typed HelmRelease (None when it is not a HelmRelease of Flux's group)."""
        parsed = self._parse(ro)
        return parsed if isinstance(parsed, HelmRelease) else None

    def resourceset(self, ro: RenderedObject) -> ResourceSet | None:
        """``ro`` as a typed ResourceSet (None when it is not a ResourceSet of Flux Operator's group)."""
        parsed = self._parse(ro)
        return parsed if isinstance(parsed, ResourceSet) else None

    def _all_typed(self) -> tuple[int, list[HelmRelease], list[ResourceSet]]:
        # rendering only appends objects (each substituted before): the lists of a given
        # length of ``objects`` stay right
        if self._typed[0] != len(self.objects):
            parsed = [self._parse(ro) for ro in self.objects]
            self._typed = (
                len(self.objects),
                [p for p in parsed if isinstance(p, HelmRelease)],
                [p for p in parsed if isinstance(p, ResourceSet)],
            )
        return self._typed

    @property
    def helmreleases(self) -> list[HelmRelease]:
        """The cluster's HelmReleases, in the order they were rendered."""
        return self._all_typed()[1]

    @property
    def resourcesets(self) -> list[ResourceSet]:
        """The cluster's ResourceSets, in the order they were rendered."""
        return self._all_typed()[2]

    def index(self, ro: RenderedObject) -> None:
        r = ro.ref
        self._index.setdefault((r.kind, r.namespace, r.name), []).append(ro)

    def unindex(self, ro: RenderedObject) -> None:
        r = ro.ref
        found = self._index.get((r.kind, r.namespace, r.name), [])
        if ro in found:
            found.remove(ro)


def _spec_of(obj: dict) -> dict:
    """An object's ``spec`` read through its typed shape (an empty one when it is not a mapping)."""
    spec = decode(obj).obj.get("spec")
    return spec if isinstance(spec, dict) else {}


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
        # substitution sources: the whole cluster's, from a previous pass (None in the first),
        # and those seen so far in this pass
        self._facts: SourceIndex | None = None
        self._seen = SourceIndex()
        # Kustomization key -> what its render made, in this pass and in the previous one
        self._made: dict[tuple, _Made] = {}
        self._previous: dict[tuple, _Made] = {}
        self._decodes: dict[int, tuple[dict, Decoded]] = {}  # id(object) -> (object, its decode)
        # id(object) -> (object, its reference / its Flux fields) from the pass before: the next
        # pass takes most objects over, and each is made once per object (nothing changes one)
        self._refs: dict[int, tuple[dict, ObjectRef]] = {}
        self._fields: dict[int, tuple[dict, KustomizationSpec]] = {}
        self._variables_keys: dict[tuple, tuple[str, str] | None] = {}  # see _variables_key

    # -- entry point -----------------------------------------------------
    def build(self, entry: Entry) -> Cluster:
        """Render the cluster; again, with the first pass's facts, when a render used a fact too early."""
        self._facts = None
        self._made = {}
        try:
            for _ in range(MAX_PASSES):
                self._seen = SourceIndex()
                self._previous, self._made = self._made, {}
                cluster = self._build_pass(entry)
                if not self._facts_changed(cluster):
                    break
                self._facts = self._seen
                self._refs = {id(ro.obj): (ro.obj, ro.ref) for ro in cluster.objects}
                self._fields = {
                    id(ks.obj): (ks.obj, ks.fields)
                    for ks in cluster.kustomizations.values()
                    if not ks.synthetic
                }
        finally:
            self._made, self._previous, self._decodes = {}, {}, {}
            self._refs, self._fields = {}, {}
        return cluster

    def _facts_changed(self, cluster: Cluster) -> bool:
        for ks in cluster.kustomizations.values():
            for ident, used in ks.source_facts.items():
                kind, ns, name = ident.split("/", 2)
                if self._seen.lookup(kind, ns, name) != used:
                    return True
        return False

    def _build_pass(self, entry: Entry) -> Cluster:
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
        self._bootstrap_refs: set[tuple[str, str, str]] = set()
        self._root_preview: dict[tuple[str, str, str], tuple[dict, Origin]] = {}
        self._resourcesets: list[PendingResourceSet] = []
        self._expanded: set[tuple[str, str, str, str]] = set()
        self._source_root = entry.source_root if _in_source_root(entry) != entry.path else ""
        self._adopt_self_manager(cluster)
        pending = self._render_root(cluster)
        while pending or self._resourcesets:
            progressed = False
            waiting = []
            for ks in pending:
                if self._ready(cluster, ks):
                    pending_new = self._render(cluster, ks)
                    waiting.extend(pending_new)
                    progressed = True
                else:
                    waiting.append(ks)
            still = []
            for item in self._resourcesets:
                if self._providers_known(cluster, item.ro):
                    waiting.extend(self._expand(cluster, item))
                    progressed = True
                else:
                    still.append(item)
            self._resourcesets = still
            if not progressed:
                # nothing can progress: what is still absent is missing
                if self._resourcesets:
                    waiting.extend(self._expand(cluster, self._resourcesets.pop(0)))
                else:
                    # render the next one as is; the others are checked again only once something
                    # that _ready reads has changed (10,000 Kustomizations of an absent source
                    # were otherwise rechecked after each: quadratic)
                    state = self._ready_state(cluster)
                    done, children = 0, []
                    while done < len(waiting) and not children and self._ready_state(cluster) == state:
                        children = self._render(cluster, waiting[done])
                        done += 1
                    waiting = waiting[done:] + children
            pending = waiting
        return cluster

    # -- the entry's own Kustomization -------------------------------------
    def _adopt_self_manager(self, cluster: Cluster) -> None:
        """Take the entry's self-managing Kustomization as the cluster's root.

        The entry usually holds the Kustomization that applies the entry itself
        (``flux-system`` in gotk-sync.yaml, or a per-cluster patch of a shared
        one). Flux reconciles the entry with *its* fields: its ``postBuild``
        variables reach every object of the entry (``path:
        ./clusters/${ENVIRONMENT}/${CLUSTER}`` on the children), its patches and
        decryption apply, and its ``sourceRef`` names the bootstrap source
        under whatever name the repository gives it. The entry directory is
        built once more, without Flux fields, to find it: the tree below is
        still rendered once, and the object is not a second root.
        """
        entry = cluster.entry
        # only read: the built-in renderer's objects uncopied, a copy of the few kept; only
        # the kinds read below (a kept build decodes only those: its CRDs are skipped)
        preview, shared = self._build_kinds(
            entry.path, frozenset({"ConfigMap", "Secret", "Kustomization", entry.source_kind})
        )
        for res in preview.resources:
            obj = res.obj
            if obj.get("kind") in ("ConfigMap", "Secret"):
                r = ref_of(obj)
                self._root_preview[(r.kind, r.namespace, r.name)] = (
                    deep_copy(obj) if shared else obj,
                    res.origin,
                )
        for res in preview.resources:
            obj = res.obj
            if not is_kind(obj, FLUX_KS_GROUP, "Kustomization"):
                continue
            decoded = decode(obj)
            if decoded.refused:
                continue  # the API server refuses it: it manages nothing (reported when rendered)
            spec = decoded.obj.get("spec") if isinstance(decoded.obj.get("spec"), dict) else {}
            ref = spec.get("sourceRef")
            if not isinstance(ref, dict) or ref.get("kind") != entry.source_kind:
                continue
            if self._own_path(obj, spec) != _in_source_root(entry):
                continue
            ks_ref = ref_of(obj)
            source = (
                str(ref.get("kind")),
                str(ref.get("namespace") or ks_ref.namespace),
                str(ref.get("name", "")),
            )
            if entry.url and not self._same_url(preview.resources, source, entry.url):
                continue
            self._bootstrap_refs.add(source)
            root = cluster.root
            del cluster.kustomizations[root.ref.key()]
            root.ref, root.obj, root.origin = ks_ref, deep_copy(obj) if shared else obj, res.origin
            cluster.kustomizations[ks_ref.key()] = root
            return

    def _render_root(self, cluster: Cluster) -> list[FluxKustomization]:
        """Render the root first, with the entry's own ConfigMaps and Secrets in view.

        An adopted root may substitute from a ConfigMap or Secret that the
        entry itself holds (``cluster-settings`` next to gotk-sync.yaml): in
        the cluster it exists from the previous reconciliation. The entry's
        preview stands in for it while the root's variables are read.
        """
        stand_ins = []
        if not cluster.root.synthetic:
            for obj, origin in self._root_preview.values():
                ro = RenderedObject(obj, origin, None)
                stand_ins.append(ro)
                cluster.index(ro)
        try:
            return self._render(cluster, cluster.root)
        finally:
            for ro in stand_ins:
                cluster.unindex(ro)

    def _own_path(self, obj: dict, spec: dict) -> str | None:
        """The Kustomization's spec.path after its own substitution, normalised."""
        path = spec.get("path") or "./"
        if not isinstance(path, str):
            return None
        post = spec.get("postBuild")
        if "${" in path and isinstance(post, dict):
            ns = ref_of(obj).namespace
            variables: dict[str, str] = {}
            for item in post.get("substituteFrom") or []:
                if isinstance(item, dict):
                    found = self._root_preview.get((str(item.get("kind")), ns, str(item.get("name"))))
                    if found is not None:
                        variables.update(source_values(found[0]))
            variables.update(_string_map(post.get("substitute")))
            try:
                path = substitute_object(path, variables, strict=True).obj
            except (SubstitutionBudgetExceeded, SubstitutionError):
                return None
            if not isinstance(path, str) or "${" in path:
                return None
        try:
            return normalize(path)
        except OutsideRoot:
            return None

    def _same_url(self, resources, source: tuple[str, str, str], url: str) -> bool:
        """False only when the named source is in the entry with another URL."""
        for res in resources:
            r = ref_of(res.obj)
            if (r.kind, r.namespace, r.name) == source:
                other = _spec_of(res.obj).get("url")
                return not isinstance(other, str) or normalize_url(other) == normalize_url(url)
        return True

    # -- readiness -------------------------------------------------------
    def _ready_state(self, cluster: Cluster) -> tuple:
        """What :meth:`_ready` depends on that a render can change."""
        return len(cluster.objects), cluster.assumed_source, len(self._bootstrap_refs)

    def _ready(self, cluster: Cluster, ks: FluxKustomization) -> bool:
        if ks.synthetic or ks is cluster.root:
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
        post = ks.fields.post_build
        for item in post.substitute_from if post is not None else ():
            if (
                self._source(item.kind, ns, item.name) is None
                and key_text(item.kind, ns, item.name, namespaced=True) not in self._known_external
            ):
                return False
        return True

    def _source(self, kind: str, ns: str, name: str) -> SourceFacts | None:
        """A substitution source: from the whole cluster once known, else from what has rendered."""
        return (self._facts or self._seen).lookup(kind, ns, name)

    @property
    def _known_external(self) -> set[str]:
        return self.config.external | set(self.config.variables)

    def _is_bootstrap(self, cluster: Cluster, ref: dict, ns: str) -> bool:
        e = cluster.entry
        key = (ref.get("kind"), ref.get("namespace") or ns, ref.get("name"))
        if not all(isinstance(k, str) for k in key):
            return False  # a wrong type names no source (the object is refused, reported apart)
        if key == (e.source_kind, e.source_namespace, e.source_name) or key in self._bootstrap_refs:
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
        ident = key_text(kind, src_ns, name, namespaced=True)
        if ks.synthetic or self._is_bootstrap(cluster, ref, ns):
            return self._in_repo(raw_path, ident)
        found = cluster.find(kind, src_ns, name)
        if found and kind == "GitRepository" and self._bootstrap_url is None and self._bootstrap_refs:
            # the self-managing Kustomization names the bootstrap source: its URL is this repository
            for alias in sorted(self._bootstrap_refs):
                for ro in cluster.find(*alias):
                    url = _spec_of(ro.obj).get("url")
                    if isinstance(url, str):
                        self._bootstrap_url = normalize_url(url)
        if not found:
            if ident in self._known_external:
                return SourceResolution(EXTERNAL, detail=ident)
            if self._assume_bootstrap(cluster, ks, (kind, src_ns, name)):
                return self._in_repo(raw_path, ident)
            if kind == "ExternalArtifact":
                # ExternalArtifacts are created by an ArtifactGenerator, not written in Git
                return self._from_generator(cluster, src_ns, name, raw_path, ident)
            return SourceResolution(NOT_FOUND, detail=ident)
        src = decode(found[0].obj).obj
        if kind == "GitRepository":
            url = _spec_of(src).get("url")
            if self._bootstrap_url and isinstance(url, str) and normalize_url(url) == self._bootstrap_url:
                if self._other_revision(cluster, src) or not _same_revision(
                    cluster.entry.ref, _spec_of(src).get("ref")
                ):
                    # same repository, another branch or tag: not the content in hand
                    return SourceResolution(EXTERNAL, detail=f"{ident} ({url}, {self._revision(src)})")
                return self._in_repo(raw_path, ident)
            return SourceResolution(EXTERNAL, detail=f"{ident} ({url})" if url else ident)
        if kind == "ExternalArtifact":
            return self._from_generator(cluster, src_ns, name, raw_path, ident)
        return SourceResolution(EXTERNAL, detail=ident)

    def _other_revision(self, cluster: Cluster, src: dict) -> bool:
        """Does this GitRepository follow another ref than the bootstrap source?

        Unknown when the bootstrap GitRepository is not among the manifests
        (then it counts as the same revision, as before).
        """
        e = cluster.entry
        for kind, ns, name in sorted(
            {(e.source_kind, e.source_namespace, e.source_name), *self._bootstrap_refs}
        ):
            for ro in cluster.find(kind, ns, name):
                if ro.obj.get("kind") == "GitRepository":
                    return self._revision(ro.obj) != self._revision(src)
        return False

    @staticmethod
    def _revision(git_repository: dict) -> str:
        """A GitRepository's spec.ref as one comparable string (``branch main``)."""
        spec = _spec_of(git_repository)
        ref = spec.get("ref") if isinstance(spec.get("ref"), dict) else {}
        parts = [f"{k} {ref[k]}" for k in ("commit", "name", "semver", "tag", "branch") if ref.get(k)]
        return ", ".join(parts) or "default branch"

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
            if not is_kind(obj, FLUX_SOURCE_EXT_GROUP, "ArtifactGenerator"):
                continue
            if ro.ref.namespace != ns:
                continue
            spec = _spec_of(obj)  # read through its shape: a field of the wrong type is left out
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
    def _variables(self, cluster: Cluster, ks: FluxKustomization) -> Variables | None:
        """The Kustomization's variables (Flux's order: substituteFrom entries, later ones
        overriding, then ``substitute``); values unknown offline are :data:`UNKNOWN`."""
        post = ks.spec.get("postBuild")
        if not isinstance(post, dict):
            return None
        ns = ks.ref.namespace
        values: dict = {}
        is_open = False
        entries = ks.fields.post_build.substitute_from if ks.fields.post_build else ()
        for item in entries:  # the typed entries keep their index as written (a null counts)
            i, kind, name = item.index, item.kind, item.name
            ident = key_text(kind, ns, name, namespaced=True)
            facts = configured_facts(ident, (), self.config.variables)
            if facts is None:
                facts = self._source(kind, ns, name)
                ks.source_facts[ident] = facts
            if facts is None:
                facts = configured_facts(ident, self.config.external, {})
            if facts is None:
                if item.optional:
                    continue  # Flux: an absent optional source is present and empty
                ks.missing_sources.append((i, ident))
                facts = SourceFacts(open=True)  # its keys and values are what is missing
            if facts.open:
                is_open = True
                # a source of unknown keys may override any earlier value
                values = dict.fromkeys(values, UNKNOWN)
                if facts.by and ident not in ks.unchecked_sources:
                    ks.unchecked_sources.append(ident)
            where = (ident, ("spec", "postBuild", "substituteFrom", i))
            for key, value in facts.values:
                values[key] = value
                ks.variable_sources[key] = where
            for key in facts.unknown:
                values[key] = UNKNOWN
                ks.variable_sources[key] = where
        inline = _string_map(post.get("substitute"))
        values.update(inline)
        for key in inline:
            ks.variable_sources[key] = ("spec.postBuild.substitute", ("spec", "postBuild", "substitute", key))
        for key, value in self.config.global_variables.items():  # --var: stand-ins for the unknown
            if values.get(key, UNKNOWN if is_open else None) in (UNKNOWN, None):
                values[key] = value
        ks.variables = {k: v for k, v in values.items() if v is not UNKNOWN}
        strategy = post.get("substituteStrategy")
        # with unknown keys or values, Flux may well have variables: assume it substitutes
        ks.substitutes = bool(values) or strategy == "Always" or is_open
        return Variables(values, is_open)

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
        variables = self._variables(cluster, ks)
        made = self._made_for(ks, variables)
        ks.build_issues = list(made.issues)
        children: list[FluxKustomization] = []
        refs = self._refs
        for origin, obj, sub, content in made.resources:
            ro = RenderedObject(obj, origin, ks.ref)
            known = refs.get(id(obj))
            if known is not None and known[0] is obj:
                ro.seed_ref(obj, known[1])
            if content is not None:
                ro.seed_content_key(*content)
            if sub is _TOO_LARGE:
                ks.substitution_errors.append(
                    (ro, SubstitutionError("object too large to substitute (alias expansion)", (), ""))
                )
            elif sub is not None:
                for u in sub.unresolved:
                    ks.unresolved.append((ro, u))
                    ro.unresolved.append((u.name, u.path))
                for u in sub.unknown:  # a field no rule may judge: its value is unknown
                    ks.unknown.append((ro, u))
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
            self._seen.add(ro.obj, ro.ref.namespace)
            if not self._accepted(ks, f"Kustomization {ks.ref.namespace}/{ks.ref.name}", ro):
                continue
            child = self._as_kustomization(cluster, ks, ro)
            if child is not None:
                children.append(child)
            if is_resourceset(obj) and not resourceset_disabled(obj):
                self._resourcesets.append(PendingResourceSet(ks, ro))
        return children

    def _made_for(self, ks: FluxKustomization, variables: Variables | None) -> _Made:
        """The Kustomization's build and substitution: the previous pass's when made from the
        same inputs (a second pass re-renders the cluster for the few renders whose
        substitution facts changed; every other render is what it was)."""
        overlay = self._overlay(ks)
        directory = ks.source.directory or "" if ks.source else ""
        inputs = (
            directory,
            overlay_key(overlay),  # as the renderers tell builds apart (``1`` is not ``true``)
            overlay.origin,
            ks.substitutes,
            None if variables is None else (variables.values, variables.open),
        )
        key = ks.ref.key()
        made = self._previous.pop(key, None)  # each used once: a pass never shares an object
        if made is None or made.inputs != inputs:
            made = self._make(ks, inputs, directory, overlay, variables)
        else:
            for origin, _, _, _ in made.resources:
                self.cache.spend_render(origin)  # the run's budget (budget.py), as a build
        self._made[key] = made
        return made

    def _build(
        self, directory: str, overlay: FluxOverlay, okey: str | None = None
    ) -> tuple[BuildResult, bool, list[int | None] | None, list[str | None] | None]:
        """The renderer's build; whether its objects are the plain built-in renderer's
        own (:meth:`Kustomizer.build_shared`), not copies: the caller copies what it keeps
        as built (other renderers, warm, diff, external, hand out copies already); and, for
        a kept build's objects, what :meth:`render.memo.KeepingRenderer.build_served` says
        of each, its size and content key (None: built now). ``okey``:
        ``overlay_key(overlay)``, when made already."""
        renderer = self.renderer
        if type(renderer) is Kustomizer:
            return renderer.build_shared(directory, overlay), True, None, None
        # render.memo.KeepingRenderer; on the class, as _build_kinds looks: a wrapper that
        # hands unknown attributes to what it wraps (``__getattr__``) must not be bypassed
        if getattr(type(renderer), "build_served", None) is not None:
            result, sizes, keys = renderer.build_served(directory, overlay, okey)
            return result, False, sizes, keys
        return renderer.build(directory, overlay), False, None, None

    def _build_kinds(self, directory: str, kinds: frozenset[str]) -> tuple[BuildResult, bool]:
        """:meth:`_build` without Flux fields, for the objects of ``kinds`` only (others may be
        left out): a kept build decodes only theirs (``KeepingRenderer.build_kinds``, looked
        up on the class: a wrapper's ``__getattr__`` must not hand the call past it)."""
        if getattr(type(self.renderer), "build_kinds", None) is not None:
            return self.renderer.build_kinds(directory, FluxOverlay(), kinds), False
        result, shared, _, _ = self._build(directory, FluxOverlay())
        return result, shared

    def _make(self, ks, inputs: tuple, directory: str, overlay: FluxOverlay, variables) -> _Made:
        # the built-in renderer's objects uncopied: substitution makes new ones (it copies
        # every container as it walks), so only an object kept as built is copied here
        result, shared, sizes, keys = self._build(directory, overlay, inputs[1])
        # a kept build's objects, decoded from its JSON text, are new plain values: one whose
        # text holds no ``${`` nor ``$$`` substitutes to an equal copy of itself and nothing
        # else (see substitute.engine.unchanged, render.memo._size), so it is taken as it is,
        # without the walk (its text's length bounds its entries: under the walk's budget,
        # the walk would not refuse it)
        made = _Made(inputs, list(result.issues), [])
        substituted = _UNSET  # variables_key(variables), made for the first object that needs it
        kept = self.renderer.substitutions if keys is not None else None  # buildcache.KeptSubstitutions
        for i, res in enumerate(result.resources):
            self.cache.spend_render(res.origin)  # the run's budget (budget.py)
            built = obj = res.obj
            sub = None
            key = keys[i] if keys is not None else None
            content = None if key is None else (key, "")
            if ks.substitutes and not is_disabled(obj):
                size = sizes[i] if sizes is not None else None
                if size is not None and size <= DEFAULT_BUDGET:
                    made.resources.append((res.origin, obj, unchanged(obj), content))
                    continue
                if key is not None:  # what substitution makes is a function of the object and the variables
                    if substituted is _UNSET:
                        substituted = self._variables_key(variables)
                    content = (
                        None
                        if substituted is None
                        else (content_hash(f"{key}\0{substituted[0]}".encode()), substituted[1])
                    )
                    sub = kept.result(content[0]) if kept is not None and content is not None else None
                if sub is None:
                    try:
                        sub = substitute_object(obj, variables, strict=True)
                    except SubstitutionBudgetExceeded:
                        sub = _TOO_LARGE
                    else:
                        if kept is not None and content is not None:
                            kept.put(content[0], content[1], sub)
                if sub is not _TOO_LARGE:
                    obj = sub.obj
            if shared and obj is built:
                obj = deep_copy(obj)
            made.resources.append((res.origin, obj, sub, content))
        return made

    def _variables_key(self, variables) -> tuple[str, str] | None:
        """``variables_key(variables)``, made once per set of values in a run: most
        Kustomizations of a cluster substitute the same settings, in every pass."""
        try:
            seen = (tuple(variables.values.items()), variables.open)
            found = self._variables_keys.get(seen, _UNSET)
        except (AttributeError, TypeError):  # not a Variables, or a value that is not hashable
            return variables_key(variables)
        if found is _UNSET:
            found = self._variables_keys[seen] = variables_key(variables)
        return found

    def _decode(self, obj: dict) -> Decoded:
        """``decode(obj)``, once per object of this build (an object a pass takes over from
        the previous one is the same object: nothing changes a rendered object in place)."""
        found = self._decodes.get(id(obj))
        if found is None or found[0] is not obj:
            found = self._decodes[id(obj)] = (obj, decode(obj))
        return found[1]

    def _accepted(self, applier: FluxKustomization, by: str, ro: RenderedObject) -> bool:
        """Is ``ro`` a Kustomization or ResourceSet the API server accepts? A refused one
        is never created: not rendered, one info line on ``applier`` (:mod:`.flux_fields`)."""
        r = ro.ref
        decoded = self._decode(ro.obj) if r.kind in ("Kustomization", "ResourceSet") else None
        if decoded is None or not decoded.refused:
            return True
        line, column = self.cache.field_position(ro.origin, decoded.problems[0].path)
        message = refusal(r, decoded, by, own_sync=r.key() == applier.ref.key())
        applier.build_issues.append(BuildIssue(REFUSED, message, ro.origin.file, line, column))
        return False

    # -- flux-operator ResourceSets ------------------------------------------
    def _providers_known(self, cluster: Cluster, ro: RenderedObject) -> bool:
        rs = cluster.resourceset(ro)
        ns = ro.ref.namespace
        for item in rs.inputs_from if rs is not None else ():
            if item.name and not self._provider(cluster, ns, item.name):
                return False
        return True

    def _provider(self, cluster: Cluster, ns: str, name: str) -> dict | None:
        for ro in cluster.find(PROVIDER_KIND, ns, name):
            if group_of(str(ro.obj.get("apiVersion", ""))) == FLUX_OPERATOR_GROUP:
                return ro.obj
        return None

    def _expand(self, cluster: Cluster, item: PendingResourceSet) -> list[FluxKustomization]:
        """The ResourceSet's generated objects join the cluster, applied by the ResourceSet."""
        ro = item.ro
        if ro.ref.key() in self._expanded:
            return []  # one ResourceSet is expanded once, even when a ResourceSet generates itself
        self._expanded.add(ro.ref.key())
        result = expand(ro.obj, lambda ns, name: self._provider(cluster, ns, name))
        if result.unverifiable:
            item.applier.build_issues.append(
                BuildIssue(
                    EXTERNAL_ISSUE,
                    f"ResourceSet {ro.ref.namespace}/{ro.ref.name}: {result.unverifiable}",
                    ro.origin.file,
                    ro.origin.line,
                )
            )
            return []
        children = []
        for gen in result.objects:
            line, _ = self.cache.field_position(ro.origin, gen.path)
            origin = Origin(ro.origin.file, line, ro.origin.doc_index)
            new = RenderedObject(gen.obj, origin, ro.ref)
            self.cache.spend_render(origin)
            cluster.objects.append(new)
            cluster.index(new)
            seen = getattr(self, "_seen", None)  # the substitution facts of this pass, where tracked
            if seen is not None:
                seen.add(new.obj, new.ref.namespace)
            if not self._accepted(item.applier, f"ResourceSet {ro.ref.namespace}/{ro.ref.name}", new):
                continue
            child = self._as_kustomization(cluster, item, new)  # type: ignore[arg-type]
            if child is not None:
                children.append(child)
            if is_resourceset(gen.obj) and not resourceset_disabled(gen.obj):
                self._resourcesets.append(PendingResourceSet(item.applier, new))
        return children

    def _as_kustomization(self, cluster: Cluster, parent: FluxKustomization, ro: RenderedObject):
        obj = ro.obj
        if not is_kind(obj, FLUX_KS_GROUP, "Kustomization"):
            return None
        ref = ro.ref
        existing = cluster.kustomizations.get(ref.key())
        if existing is not None:
            if existing.synthetic or existing is cluster.root:
                # the bootstrap Kustomization (gotk-sync.yaml) rendered from the entry itself
                existing.obj, existing.origin = obj, ro.origin
            return None
        child = FluxKustomization(ref, obj, ro.origin, parent.ref)
        child.seed(self._decode(obj))
        known = self._fields.get(id(obj))
        if known is not None and known[0] is obj:
            child.seed_fields(obj, known[1])
        cluster.kustomizations[ref.key()] = child
        return child
