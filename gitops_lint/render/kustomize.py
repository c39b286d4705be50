"""The built-in kustomize renderer: ``kustomize build`` as Flux runs it, offline.

Orchestration only; each kustomize behaviour lives in its own module
(``smp``, ``json6902``, ``generators``, ``transform``, ``nameref``,
``replacements``, ``order``, ``flux``), and reading a kustomization's
resources, patches and generators is ``target_resources``',
``target_patches``' and ``target_generators``' (parts of :class:`_Target`,
on ``target_base``). The build follows kustomize v5's
``KustTarget`` (api/internal/target/kusttarget.go) step by step:

1. for each kustomization, *accumulate*: ``resources`` (files, then
   kustomization directories, each built on its own first), then
   ``components`` (built *into* the parent's resources, so they can patch
   them), then the transformer configuration (defaults, ``configurations``
   files and the children's), the generators (``configMapGenerator``,
   ``secretGenerator`` with create/merge/replace), then the transformers in
   kustomize's fixed order: ``patchesStrategicMerge``, ``patches``,
   ``namespace``, ``namePrefix``, ``nameSuffix``, ``labels``,
   ``commonLabels``, ``commonAnnotations``, ``patchesJson6902``,
   ``replicas``, ``images``, ``replacements``; resources annotated
   ``config.kubernetes.io/local-config`` are dropped;
2. at the top only: hash suffixes on generated ConfigMaps/Secrets, then the
   name references of every renamed object are fixed (``nameref``), then the
   output is sorted (legacy kind order unless ``sortOptions``).

Differences from kustomize are deliberate and few: a problem is recorded
as a :class:`BuildIssue` (with the kustomization file and the line of the
offending entry) and the build goes on without that entry, where kustomize
stops at the first error, so one build reports every problem; remote
resources are never fetched (``EXTERNAL``); nothing outside the repository
root is read (``ESCAPE``). Helm charts, plugins (``generators``,
``transformers``, ``validators``) and ``vars`` are not supported and say so.

A directory built twice with the same Flux fields is built once: the
result is cached and handed out as copies, and so is every kustomization
directory built as a resource of another (a shared base costs one build).
"""

from __future__ import annotations

import gc
import json
import posixpath

from ..core.data import Origin
from ..core.fs import OutsideRoot, RepoFS, join, normalize
from ..load.loader import DocumentCache, parse_text
from . import flux, kustfile, smp, transform
from .copy import deep_copy
from .fieldspec import FieldSpecError, TransformerConfig, parse_config
from .generators import content_hash
from .nameref import NameRefError, fix_references
from .order import sort_resources
from .target_base import LOCAL_CONFIG, Acc, looks_remote
from .target_generators import Generators
from .target_patches import Patches
from .target_resources import Cached, Resources
from .types import (
    ERROR,
    ESCAPE,
    MISSING,
    BuildIssue,
    BuildResult,
    FluxOverlay,
    Resource,
)

KUSTOMIZATION_VERSION = "kustomize.config.k8s.io/v1beta1"
COMPONENT_VERSION = "kustomize.config.k8s.io/v1alpha1"
ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
KNOWN_FIELDS = kustfile.FIELDS


_OUTSIDE: tuple = ("outside the root",)  # sentinel in Kustomizer._kinds


def overlay_key(overlay: FluxOverlay | None) -> str | None:
    """What of a Flux Kustomization's overlay changes a build, as a key: the memos
    (this one's, ``render.memo``'s, an external kustomize's) tell builds apart by it."""
    if overlay is None:
        return None
    data = {
        "t": overlay.target_namespace,
        "p": overlay.name_prefix,
        "s": overlay.name_suffix,
        "patches": overlay.patches,
        "images": overlay.images,
        "c": overlay.components,
        "i": overlay.ignore_missing_components,
    }
    return json.dumps(data, sort_keys=True, default=str)


class Kustomizer:
    """Renderer: kustomize build of a repository directory (see module doc)."""

    def __init__(self, fs: RepoFS, cache: DocumentCache):
        self.fs = fs
        self.cache = cache
        self._results: dict[tuple[str, str | None], tuple[list[tuple[dict, Origin]], list[BuildIssue]]] = {}
        self._targets: dict[tuple[str, str | None], Cached] = {}
        self._ignore: flux.SourceIgnore | None = None
        self._configs: dict[str, TransformerConfig] = {}
        self._kfiles: dict[str, list[str]] = {}
        self._kinds: dict[str, tuple[bool, bool]] = {}
        self._reads: dict[tuple[str, str | None], frozenset[str]] = {}
        # inline patch text -> (its documents, the first parse error's message)
        self._inline: dict[str, tuple[list, str | None]] = {}

    # the repository does not change during a run: directory listings and
    # file kinds are looked up once
    def kustomization_files(self, directory: str) -> list[str]:
        found = self._kfiles.get(directory)
        if found is None:
            found = self._kfiles[directory] = flux.find_kustomization(self.fs, directory)
        return found

    def path_kind(self, rel: str) -> tuple[bool, bool]:
        """(is a file, is a directory); raises OutsideRoot like RepoFS."""
        kind = self._kinds.get(rel)
        if kind is None:
            try:
                is_file = self.fs.isfile(rel)
                kind = (is_file, not is_file and self.fs.isdir(rel))
            except OutsideRoot:
                kind = _OUTSIDE
            self._kinds[rel] = kind
        if kind is _OUTSIDE:
            raise OutsideRoot(rel)
        return kind

    @property
    def source_ignore(self) -> flux.SourceIgnore:
        if self._ignore is None:
            self._ignore = flux.SourceIgnore.for_repo(self.fs)
        return self._ignore

    def reads(self, path: str, overlay: FluxOverlay | None = None) -> frozenset[str]:
        """The repository files kustomize reads for this build, as far as the built-in
        renderer followed it: every kustomization file of every directory it loaded and
        every file an entry named (resources, patches, generator sources, configurations,
        ...). ``--renderer kubectl`` copies exactly these (``render/external.py``)."""
        key = (path, overlay_key(overlay))
        if key not in self._reads:
            self.build(path, overlay)
        return self._reads[key]

    def inline_patch(self, text: str) -> tuple[list, str | None]:
        """An inline patch's documents (copies: the caller owns them) and the first parse
        error's message, parsed once per run: a Flux Kustomization's ``spec.patches`` are
        merged into each build of it, and sibling Kustomizations repeat the same few texts
        (the documents and messages of a text do not depend on the file it is written in)."""
        found = self._inline.get(text)
        if found is None:
            parsed = parse_text(text, "")
            error = parsed.errors[0].message if parsed.errors else None
            found = self._inline[text] = ([d.data for d in parsed.documents], error)
        docs, error = found
        return [deep_copy(d) for d in docs], error

    def decode_kustomization(self, kfile: str) -> kustfile.Decoded | None:
        """The kustomization file as the renderer reads it (None when it does not load:
        not UTF-8, not YAML, not a mapping); ``--renderer kubectl`` writes this for
        kustomize, so both read the same fields."""
        lf = self.cache.load(kfile)
        if lf.errors:
            return None
        if not lf.documents:
            return kustfile.decode({})
        data = lf.documents[0].data
        return kustfile.decode(data) if isinstance(data, dict) else None

    def build(self, path: str, overlay: FluxOverlay | None = None) -> BuildResult:
        objects, issues = self._result(path, overlay)
        return BuildResult([Resource(deep_copy(obj), origin) for obj, origin in objects], list(issues))

    def build_shared(self, path: str, overlay: FluxOverlay | None = None) -> BuildResult:
        """:meth:`build` without the copies: the objects are the ones this renderer keeps,
        which the caller must not change (the cluster builder substitutes most of them
        into new objects, and copies the others)."""
        objects, issues = self._result(path, overlay)
        return BuildResult([Resource(obj, origin) for obj, origin in objects], list(issues))

    def _result(self, path: str, overlay: FluxOverlay | None) -> tuple[list[tuple[dict, Origin]], list]:
        key = (path, overlay_key(overlay))
        cached = self._results.get(key)
        if cached is None:
            run = _Run(self)
            # a build allocates many small objects and frees none of them:
            # the cyclic collector would only slow it down
            paused = gc.isenabled()
            gc.disable()
            try:
                objects = run.top(path, overlay)
            except RecursionError:
                run.issue(ERROR, "nesting too deep to build", path or ".", 1)
                objects = []
            finally:
                if paused:
                    gc.enable()
            cached = (objects, _dedupe(run.issues))
            self._results[key] = cached
            self._reads[key] = frozenset(run.reads)
        return cached


def _dedupe(issues: list[BuildIssue]) -> list[BuildIssue]:
    seen = set()
    out = []
    for i in issues:
        k = (i.kind, i.message, i.file, i.line, i.column)
        if k not in seen:
            seen.add(k)
            out.append(i)
    return out


class _Run:
    """One top-level build: issues, the top directory, the cycle chain."""

    def __init__(self, k: Kustomizer):
        self.k = k
        self.fs = k.fs
        self.cache = k.cache
        self.issues: list[BuildIssue] = []
        # repo-relative files this build read or named (kustomization files, resource
        # files, patch files, generator sources...), in order, for --renderer kubectl
        self.reads: list[str] = []
        self.top_dir = ""
        self.origin_notes = False
        # kustomize's global OpenAPI schema: the built-in one, until a kustomization of
        # this build loads its own (``openapi: {path: ...}``), which then replaces it
        self.openapi: str | None = None
        self.schemas: dict | None = None

    def set_openapi(self, rel: str | None, where: _Target | None = None) -> None:
        if rel == self.openapi:
            return
        self.openapi = rel
        if rel is None:
            self.schemas = None
            return
        loaded = self.cache.load(rel, manifest=False)
        document = loaded.documents[0].data if loaded.documents else None
        if loaded.errors or not isinstance(document, dict):
            if where is not None:
                where.issue(ERROR, f"openapi file {rel} is not a JSON or YAML OpenAPI document", "openapi")
            self.schemas = {}
            return
        self.schemas = smp.schemas_from_openapi(document)

    def issue(self, kind: str, message: str, file: str, line: int, column: int = 1) -> None:
        self.issues.append(BuildIssue(kind, message, file, line, column))

    # -- top level ------------------------------------------------------------------
    def top(self, path: str, overlay: FluxOverlay | None) -> list[tuple[dict, Origin]]:
        try:
            path = normalize(path)
            is_dir = self.fs.isdir(path)
        except OutsideRoot:
            self.issue(ESCAPE, f"path {path!r} leaves the repository root", path or ".", 1)
            return []
        if not is_dir:
            self.issue(MISSING, f"directory {path!r} does not exist", path or ".", 1)
            return []
        self.top_dir = path
        kfiles = self.k.kustomization_files(path)
        self.reads.extend(kfiles)
        # (field, index) of an entry the Flux Kustomization added -> (its origin, its path)
        positions: dict[tuple, tuple[Origin | None, tuple]] = {}
        if kfiles:
            kfile = kfiles[0]
            loaded = self.load_kustomization(kfile)
            if loaded is None:
                return []
            decoded, korigin = loaded
            kdata = decoded.data
            if len(kfiles) > 1:
                self.issue(ERROR, f"found multiple kustomization files under {path or '.'}", kfile, 1)
        else:
            kfile = f"{path}/kustomization.yaml" if path else "kustomization.yaml"
            korigin = None
            kdata = flux.generate(self.fs, path, self.k.source_ignore)
            decoded = kustfile.decode(kdata)
        if overlay is not None:
            before = {f: _length(kdata.get(f)) for f in ("patches", "components")}
            kdata, errors = flux.merge_overlay(
                kdata, overlay, existing=bool(kfiles), exists=lambda c: self._exists(path, c)
            )
            where = overlay.origin
            for f, spec_field in (("patches", "patches"), ("components", "components")):
                added = _length(kdata.get(f)) - before[f]
                for j in range(added):  # where in the Flux Kustomization, looked up for an issue only
                    positions[(f, before[f] + j)] = (where, ("spec", spec_field, j))
            for message in errors:
                file, line, col = self.overlay_pos(where, ("spec", "components"))
                self.issue(ERROR, message, file, line, col)
        self.origin_notes = "originAnnotations" in _strings(kdata.get("buildMetadata"))
        target = _Target(
            self,
            path,
            kfile,
            kdata,
            korigin,
            (path,),
            lenient=overlay is not None,
            generated=not kfiles,
            positions=positions,
            decoded=decoded,
        )
        acc = Acc([], TransformerConfig.empty())
        target.accumulate(acc)
        return self.finish(target, acc)

    def overlay_pos(self, origin: Origin | None, path: tuple) -> tuple[str, int, int]:
        """File, line and column of ``path`` in the Flux Kustomization at ``origin``."""
        if origin is None:
            return self.top_dir or ".", 1, 1
        line, col = self.cache.field_position(origin, path)
        return origin.file, line, col

    def _exists(self, base: str, rel: str) -> bool:
        try:
            return self.fs.exists(join(base, rel))
        except OutsideRoot:
            return False

    def finish(self, target: _Target, acc: Acc) -> list[tuple[dict, Origin]]:
        resources = acc.resources
        for res in resources:
            if res.needs_hash:
                res.store_previous_id()
                res.set_name(f"{res.name}-{content_hash(res.obj)}")
        try:
            fix_references(resources, acc.config)
        except (NameRefError, FieldSpecError) as exc:
            file, line, col = target.pos()
            self.issue(ERROR, str(exc), file, line, col)
        ordered = sort_resources(resources, target.kdata.get("sortOptions"))
        out = []
        for res in ordered:
            obj = res.obj
            meta = obj.get("metadata")
            if self.origin_notes and res.origin_note is not None and isinstance(meta, dict):
                annotations = meta.get("annotations")
                if not isinstance(annotations, dict):
                    annotations = meta["annotations"] = {}
                annotations[ORIGIN_ANNOTATION] = res.origin_note
            elif isinstance(meta, dict) and "annotations" in meta and meta["annotations"] in (None, {}):
                # kustomize rewrites every object's annotations at the end (dropping
                # its own bookkeeping ones): an empty or null map disappears
                del meta["annotations"]
            out.append((obj, res.origin))
        return out

    # -- loading ----------------------------------------------------------------------
    def load_kustomization(self, kfile: str) -> tuple[kustfile.Decoded, Origin] | None:
        lf = self.cache.load(kfile)
        if lf.errors or not lf.documents:
            if not lf.errors:
                # an empty kustomization file is an empty kustomization
                return kustfile.decode({}), Origin(kfile, 1, 0)
            return None
        doc = lf.documents[0]
        if not isinstance(doc.data, dict):
            self.issue(ERROR, "a kustomization must be a mapping", kfile, doc.origin.line)
            return None
        return kustfile.decode(doc.data), doc.origin

    def target(self, directory: str, chain: tuple[str, ...]) -> _Target | None:
        kfiles = self.k.kustomization_files(directory)
        if not kfiles:
            return None
        self.reads.extend(kfiles)
        loaded = self.load_kustomization(kfiles[0])
        if loaded is None:
            return None
        decoded, korigin = loaded
        if len(kfiles) > 1:
            self.issue(ERROR, f"found multiple kustomization files under {directory or '.'}", kfiles[0], 1)
        return _Target(self, directory, kfiles[0], decoded.data, korigin, chain, decoded=decoded)


def _length(value: object) -> int:
    return len(value) if isinstance(value, list) else 0


def _strings(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    return []


class _Target(Resources, Patches, Generators):
    """One kustomization (or Flux-generated one) and its accumulation: kustomize's
    ``KustTarget``. The steps and the transformer order are here; its resources and
    components (``target_resources``), patches (``target_patches``) and generators
    (``target_generators``) are parts of their own, on the shared ``target_base``."""

    # -- accumulation -------------------------------------------------------------------
    def accumulate(self, acc: Acc) -> None:
        if not self.check_fields():
            return
        openapi = self.kdata.get("openapi")
        if isinstance(openapi, dict) and openapi.get("path"):
            rel = self.resolve_file(openapi["path"], ("openapi", "path"), "openapi file")
            if rel is not None:
                self.run.set_openapi(rel, self)
        for i, entry in enumerate(self.items("resources")):
            self.add_resource(acc, entry, ("resources", i))
        for i, entry in enumerate(self.items("bases")):
            self.add_resource(acc, entry, ("bases", i))
        for i, entry in enumerate(self.items("components")):
            self.add_component(acc, entry, ("components", i))
        config = TransformerConfig.default()
        for i, entry in enumerate(self.items("configurations")):
            extra = self.load_config(entry, ("configurations", i))
            if extra is not None:
                config = config.merged(extra)
        acc.config = acc.config.merged(config)
        for i, entry in enumerate(self.items("crds")):
            self.resolve_file(entry, ("crds", i), "CRD file")
        self.generate(acc)
        self.transform(acc)
        acc.resources[:] = [r for r in acc.resources if LOCAL_CONFIG not in r.annotations()]

    def check_fields(self) -> bool:
        k = self.kdata
        if not self.lenient:
            # kustomize decodes strictly (Flux's rewrite of the top kustomization drops them)
            for raw in self.decoded.unknown:
                where = f" in {kustfile.describe(raw[:-1])}" if len(raw) > 1 else ""
                self.run.issue(
                    ERROR,
                    f"invalid Kustomization: unknown field {raw[-1]!r}{where}",
                    self.kfile,
                    *self._raw_pos(raw),
                )
        if self.decoded.type_errors:
            # encoding/json stops kustomize (and Flux's own decoding) at a value of the
            # wrong type: the kustomization is not built, each such value is reported
            for raw, message in self.decoded.type_errors:
                self.run.issue(ERROR, message, self.kfile, *self._raw_pos(raw))
            return False
        if not self.lenient and not self.generated and self.decoded.is_empty():
            # kustomize's CheckEmpty: kustomization.yaml is empty
            self.issue(ERROR, f"{posixpath.basename(self.kfile)} is empty")
            return False
        kind = self.kind
        if kind not in ("Kustomization", "Component"):
            self.issue(ERROR, "kind should be Kustomization or Component", "kind")
            return False
        api = k.get("apiVersion")
        required = COMPONENT_VERSION if kind == "Component" else KUSTOMIZATION_VERSION
        if api and api != required:
            self.issue(ERROR, f"apiVersion for {kind} should be {required}", "apiVersion")
            return False
        for key in ("helmCharts", "helmChartInflationGenerator"):
            if k.get(key):
                self.issue(
                    ERROR, "must specify --enable-helm: Flux does not inflate Helm charts in kustomize", key
                )
        for key in ("generators", "transformers", "validators"):
            if k.get(key):
                self.issue(
                    ERROR, f"kustomize plugins ({key}) are not supported by the built-in renderer", key
                )
        if k.get("vars"):
            self.issue(ERROR, "vars are not supported by the built-in renderer (use replacements)", "vars")
        return True

    def load_config(self, entry: object, where: tuple) -> TransformerConfig | None:
        rel = self.resolve_file(entry, where, "configuration file")
        if rel is None:
            return None
        configs = self.run.k._configs
        if rel not in configs:
            cfg = TransformerConfig.atomic()
            # transformer config, not Kubernetes objects
            for doc in self.cache.load(rel, manifest=False).documents:
                if isinstance(doc.data, dict):
                    # its fields typed as kustomize types them (parse_config trusts them)
                    _, errors = kustfile.decode_as(
                        doc.data, kustfile.TRANSFORMER_CONFIG, "TransformerConfig", ""
                    )
                    if errors:
                        self.issue(ERROR, f"configuration file {entry}: {errors[0][1]}", *where)
                        return None
                    parse_config(doc.data, cfg)
            configs[rel] = cfg
        return configs[rel]

    # -- transformers ---------------------------------------------------------------------
    def transform(self, acc: Acc) -> None:
        acc.ids = None  # transformers rename and remove resources
        k = self.kdata
        cfg = acc.config
        self.patches_strategic_merge(acc)
        for i, patch in enumerate(self.items("patches")):
            self.guard(lambda p=patch, i=i: self.patch(acc, p, ("patches", i)), ("patches", i))
        namespace = k.get("namespace")
        if namespace:
            self.guard(
                lambda: transform.set_namespace(acc.resources, str(namespace), cfg.namespace), ("namespace",)
            )
        if k.get("namePrefix"):
            prefix = str(k["namePrefix"])
            self.guard(
                lambda: transform.add_affix(acc.resources, prefix, cfg.name_prefix, suffix=False),
                ("namePrefix",),
            )
        if k.get("nameSuffix"):
            suffix = str(k["nameSuffix"])
            self.guard(
                lambda: transform.add_affix(acc.resources, suffix, cfg.name_suffix, suffix=True),
                ("nameSuffix",),
            )
        for i, entry in enumerate(self.items("labels")):
            if not isinstance(entry, dict):
                self.issue(ERROR, "invalid labels entry", "labels", i)
                continue
            pairs = entry.get("pairs") if isinstance(entry.get("pairs"), dict) else {}
            self.guard(
                lambda p=pairs, e=entry: transform.set_map_entries(
                    acc.resources, p, transform.label_specs(e, cfg)
                ),
                ("labels", i),
            )
        common_labels = k.get("commonLabels")
        if isinstance(common_labels, dict) and common_labels:
            self.guard(
                lambda: transform.set_map_entries(acc.resources, common_labels, cfg.common_labels),
                ("commonLabels",),
            )
        common_annotations = k.get("commonAnnotations")
        if isinstance(common_annotations, dict) and common_annotations:
            self.guard(
                lambda: transform.set_map_entries(acc.resources, common_annotations, cfg.common_annotations),
                ("commonAnnotations",),
            )
        for i, patch in enumerate(self.items("patchesJson6902")):
            self.guard(
                lambda p=patch, i=i: self.patch_json6902(acc, p, ("patchesJson6902", i)),
                ("patchesJson6902", i),
            )
        replicas = [r for r in self.items("replicas") if isinstance(r, dict)]
        for i, entry in enumerate(replicas):
            self.guard(
                lambda e=entry: transform.set_replicas(acc.resources, [e], cfg.replicas), ("replicas", i), acc
            )
        images = self.items("images") + self.items("imageTags")
        if images:  # an error is the structure's, met by the first entry in kustomize
            self.guard(lambda: transform.set_images(acc.resources, images, cfg.images), ("images", 0))
        for i, entry in enumerate(self.items("replacements")):
            self.guard(
                lambda e=entry, i=i: self.replacement(acc, e, ("replacements", i)), ("replacements", i), acc
            )


__all__ = ["Kustomizer", "looks_remote"]
