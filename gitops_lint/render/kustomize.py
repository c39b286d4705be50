"""The built-in kustomize renderer: ``kustomize build`` as Flux runs it, offline.

Orchestration only; each kustomize behaviour lives in its own module
(``smp``, ``json6902``, ``generators``, ``transform``, ``nameref``,
``replacements``, ``order``, ``flux``). The build follows kustomize v5's
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
import re

from ..core.data import Origin
from ..core.fs import OutsideRoot, RepoFS, join, normalize
from ..load.loader import DocumentCache, parse_text
from . import flux, kustfile, smp, transform
from .copy import TooLarge, copy_budgeted, deep_copy
from .fieldspec import FieldSpecError, TransformerConfig, parse_config
from .generators import (
    GeneratorError,
    content_hash,
    make_object,
    merge_options,
    parse_env,
    parse_file_source,
    parse_literal,
)
from .json6902 import PatchError, apply_ops
from .nameref import NameRefError, fix_references
from .order import sort_resources
from .replacements import NoSource, ReplacementError, apply_replacement
from .resource import Res, ResId, split_api_version
from .selector import Selector, SelectorError, select
from .transform import TransformError
from .types import (
    ERROR,
    ESCAPE,
    EXTERNAL,
    MISSING,
    BuildIssue,
    BuildResult,
    FluxOverlay,
    Resource,
)

KUSTOMIZATION_VERSION = "kustomize.config.k8s.io/v1beta1"
COMPONENT_VERSION = "kustomize.config.k8s.io/v1alpha1"
LOCAL_CONFIG = "config.kubernetes.io/local-config"
ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
KNOWN_FIELDS = kustfile.FIELDS

_REMOTE = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*::|[a-z][a-z0-9+.-]*://|git@|gh:|"
    r"(?:github\.com|gitlab\.com|bitbucket\.org|dev\.azure\.com|ssh\.dev\.azure\.com)[/:])",
    re.IGNORECASE,
)


def looks_remote(entry: str) -> bool:
    """A kustomize remote target (URL, git, OCI), as opposed to a local path."""
    if _REMOTE.match(entry):
        return True
    return any(q in entry for q in ("?ref=", "?version=", "?timeout=", "?submodules="))


class _Skip(Exception):
    """An entry that became an issue: the build goes on without it."""


class _Acc:
    """kustomize's ResAccumulator: the resources so far and the transformer config."""

    __slots__ = ("resources", "config", "ids", "remote")

    def __init__(self, resources: list[Res], config: TransformerConfig, remote: bool = False):
        self.resources = resources
        self.config = config
        # current ids of ``resources`` (rebuilt when transformers changed the list)
        self.ids: set | None = None
        # a remote resource was skipped: what it holds is unknown, so "no resource
        # matches" cannot be proved
        self.remote = remote


class _Cached:
    """A kustomization directory accumulated once, reused as a resource of others."""

    __slots__ = ("resources", "config", "issues", "dirs", "openapi", "remote", "reads")

    def __init__(
        self,
        resources: list[Res],
        config: TransformerConfig,
        issues: list[BuildIssue],
        dirs,
        openapi=None,
        remote: bool = False,
        reads: tuple[str, ...] = (),
    ):
        self.resources = resources
        self.config = config
        self.issues = issues
        self.dirs = dirs
        # the build's openapi file once this directory was accumulated (it may set one)
        self.openapi = openapi
        self.remote = remote  # a remote resource was skipped somewhere below
        self.reads = reads  # the files accumulating it read (see _Run.reads)


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
        self._targets: dict[tuple[str, str | None], _Cached] = {}
        self._ignore: flux.SourceIgnore | None = None
        self._configs: dict[str, TransformerConfig] = {}
        self._kfiles: dict[str, list[str]] = {}
        self._kinds: dict[str, tuple[bool, bool]] = {}
        self._reads: dict[tuple[str, str | None], frozenset[str]] = {}

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
        objects, issues = cached
        return BuildResult([Resource(deep_copy(obj), origin) for obj, origin in objects], list(issues))


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
        positions: dict[tuple, tuple[str, int, int]] = {}
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
                for j in range(added):
                    positions[(f, before[f] + j)] = self._overlay_pos(where, ("spec", spec_field, j))
            for message in errors:
                file, line, col = self._overlay_pos(where, ("spec", "components"))
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
        acc = _Acc([], TransformerConfig.empty())
        target.accumulate(acc)
        return self.finish(target, acc)

    def _overlay_pos(self, origin: Origin | None, path: tuple) -> tuple[str, int, int]:
        if origin is None:
            return self.top_dir or ".", 1, 1
        line, col = self.cache.field_position(origin, path)
        return origin.file, line, col

    def _exists(self, base: str, rel: str) -> bool:
        try:
            return self.fs.exists(join(base, rel))
        except OutsideRoot:
            return False

    def finish(self, target: _Target, acc: _Acc) -> list[tuple[dict, Origin]]:
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


def _real_rel(fs: RepoFS, rel: str) -> str:
    """``rel`` after symlinks, repo-relative (itself when it cannot be resolved)."""
    try:
        return fs.relpath(fs.real(rel))
    except (OutsideRoot, OSError):
        return rel


def _cycle(candidate: str, chain: tuple[str, ...]) -> bool:
    """kustomize refuses a directory equal to, or containing, one being built."""
    return any(candidate == root or candidate == "" or root.startswith(candidate + "/") for root in chain)


class _Target:
    """One kustomization (or Flux-generated one) and its accumulation."""

    def __init__(
        self,
        run: _Run,
        directory: str,
        kfile: str,
        kdata: dict,
        korigin: Origin | None,
        chain: tuple[str, ...],
        *,
        lenient: bool = False,
        generated: bool = False,
        positions: dict | None = None,
        decoded: kustfile.Decoded | None = None,
    ):
        self.run = run
        self.fs = run.fs
        self.cache = run.cache
        self.dir = directory
        self.kfile = kfile
        self.kdata = kdata
        self.korigin = korigin
        self.chain = chain
        self.lenient = lenient
        self.generated = generated
        self.positions = positions or {}
        # the file as written: its keys give positions and unknown fields
        self.decoded = decoded if decoded is not None else kustfile.decode(kdata)
        self.dirs: set[str] = {directory}
        self.cycle_error = False

    def _real(self, rel: str) -> str:
        return _real_rel(self.run.k.fs, rel)

    @property
    def kind(self) -> str:
        return str(self.kdata.get("kind") or "Kustomization")

    # -- positions and issues ---------------------------------------------------------
    def pos(self, *path) -> tuple[str, int, int]:
        if path[:2] in self.positions:
            return self.positions[path[:2]]
        if self.korigin is None:
            if self.generated and path[:1] == ("resources",) and len(path) > 1:
                entries = self.kdata.get("resources") or []
                if isinstance(path[1], int) and path[1] < len(entries):
                    return join(self.dir, entries[path[1]]), 1, 1
            return self.kfile, 1, 1
        line, col = self.cache.field_position(self.korigin, self.decoded.source_path(path))
        return self.kfile, line, col

    def _raw_pos(self, raw: tuple) -> tuple[int, int]:
        if self.korigin is None:
            return 1, 1
        return self.cache.field_position(self.korigin, raw)

    def issue(self, kind: str, message: str, *path) -> None:
        file, line, col = self.pos(*path)
        self.run.issue(kind, message, file, line, col)

    def items(self, key: str) -> list:
        value = self.kdata.get(key)
        if value is None:
            return []
        if isinstance(value, list):
            return value
        self.issue(ERROR, f"invalid Kustomization: {key} must be a list", key)
        return []

    # -- accumulation -------------------------------------------------------------------
    def accumulate(self, acc: _Acc) -> None:
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

    # -- resources ------------------------------------------------------------------------
    def resolve(self, entry: object, where: tuple, what: str) -> tuple[str, bool, bool]:
        """(repo-relative path, is file, is dir) of a local entry, or raise _Skip."""
        if not isinstance(entry, str) or not entry:
            self.issue(ERROR, f"invalid {what} entry {entry!r}", *where)
            raise _Skip
        if looks_remote(entry):
            self.issue(EXTERNAL, f"remote {what} {entry} is not fetched", *where)
            raise _Skip
        try:
            rel = join(self.dir, entry)
            is_file, is_dir = self.run.k.path_kind(rel)
        except OutsideRoot:
            self.issue(ESCAPE, f"{what} {entry} leaves the repository root", *where)
            raise _Skip from None
        if is_file:
            self.run.reads.append(rel)
        return rel, is_file, is_dir

    def resolve_file(self, entry: object, where: tuple, what: str) -> str | None:
        try:
            rel, is_file, is_dir = self.resolve(entry, where, what)
        except _Skip:
            return None
        if not is_file:
            if is_dir:
                self.issue(ERROR, f"{what} {entry} is a directory", *where)
            else:
                self.issue(MISSING, f"{what} {entry} does not exist", *where)
            return None
        return rel

    def add_resource(self, acc: _Acc, entry: object, where: tuple) -> None:
        if isinstance(entry, str) and looks_remote(entry):
            acc.remote = True
        try:
            rel, is_file, is_dir = self.resolve(entry, where, "resource")
        except _Skip:
            return
        if is_file:
            for res in self.load_resources(rel):
                self.append(acc, res, where)
        elif is_dir:
            self.add_directory(acc, rel, entry, where, component=False)
        else:
            self.issue(MISSING, f"resource {entry} does not exist", *where)

    def add_component(self, acc: _Acc, entry: object, where: tuple) -> None:
        if isinstance(entry, str) and looks_remote(entry):
            acc.remote = True
        try:
            rel, is_file, is_dir = self.resolve(entry, where, "component")
        except _Skip:
            return
        if not is_dir:
            if is_file:
                self.issue(ERROR, f"component {entry} must be a directory", *where)
            else:
                self.issue(MISSING, f"component {entry} does not exist", *where)
            return
        self.add_directory(acc, rel, entry, where, component=True)

    def add_directory(self, acc: _Acc, rel: str, entry: object, where: tuple, *, component: bool) -> None:
        if not self.run.k.kustomization_files(rel):
            self.issue(
                ERROR,
                f"unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' "
                f"in directory {rel or '.'!r}",
                *where,
            )
            return
        if _cycle(rel, self.chain) or _cycle(self._real(rel), tuple(self._real(d) for d in self.chain)):
            # real paths too: a symlinked directory (`loop -> .`) is the same directory, as
            # for kustomize, whose loader confirms directories with EvalSymlinks
            self.issue(ERROR, f"cycle detected: {entry} contains a kustomization being built", *where)
            self.cycle_error = True
            return
        chain = (*self.chain, rel)
        if component:
            child = self.run.target(rel, chain)
            if child is None:
                return
            if child.kind != "Component":
                self.issue(
                    ERROR, f"expected kind 'Component' for path '{rel}' but got '{child.kind}'", *where
                )
                return
            child.accumulate(acc)
            self.dirs |= child.dirs
            self.cycle_error = self.cycle_error or child.cycle_error
            return
        key = (rel, self.run.top_dir if self.run.origin_notes else None, self.run.openapi)
        cached = self.run.k._targets.get(key)
        if cached is not None and any(_cycle(d, chain) for d in cached.dirs if d != rel):
            cached = None
        if cached is None:
            child = self.run.target(rel, chain)
            if child is None:
                return
            if child.kind == "Component":
                self.issue(ERROR, f"expected kind != 'Component' for path '{rel}'", *where)
                return
            start = len(self.run.issues)
            start_reads = len(self.run.reads) - len(self.run.k.kustomization_files(rel))  # target() read them
            sub = _Acc([], TransformerConfig.empty())
            child.accumulate(sub)
            cached = _Cached(
                sub.resources,
                sub.config,
                self.run.issues[start:],
                frozenset(child.dirs),
                self.run.openapi,
                sub.remote,
                tuple(self.run.reads[start_reads:]),
            )
            if not child.cycle_error:
                self.run.k._targets[key] = cached
                cached = _Cached(
                    [r.copy() for r in sub.resources],
                    sub.config,
                    cached.issues,
                    cached.dirs,
                    cached.openapi,
                    cached.remote,
                    cached.reads,
                )
            else:
                self.cycle_error = True
        else:
            self.run.issues.extend(cached.issues)
            self.run.reads.extend(cached.reads)
            self.run.set_openapi(cached.openapi)  # what loading that directory did to the build
            cached = _Cached(
                [r.copy() for r in cached.resources],
                cached.config,
                cached.issues,
                cached.dirs,
                cached.openapi,
                cached.remote,
                cached.reads,
            )
        self.dirs |= cached.dirs
        acc.remote = acc.remote or cached.remote
        for res in cached.resources:
            self.append(acc, res, where)
        acc.config = acc.config.merged(cached.config)

    def load_resources(self, rel: str) -> list[Res]:
        lf = self.cache.load(rel)
        out: list[Res] = []
        note = posixpath.relpath(rel, self.run.top_dir or ".") if self.run.origin_notes else None
        for doc in lf.documents:
            data = doc.data
            items = [data]
            if (
                isinstance(data, dict)
                and str(data.get("kind", "")).endswith("List")
                and isinstance(data.get("items"), list)
            ):
                items = data["items"]
            for obj in items:
                if isinstance(obj, list):
                    continue
                problem = _invalid(obj)
                if problem:
                    # a document without apiVersion/kind is yaml-syntax's finding, not a second one here
                    if isinstance(obj, dict) and obj.get("apiVersion") and obj.get("kind"):
                        self.run.issue(ERROR, problem, rel, doc.origin.line)
                    if problem is not _NO_API_VERSION:
                        continue  # kustomize refuses it; Flux refuses only the missing apiVersion later
                meta = obj.get("metadata")
                annotations = meta.get("annotations") if isinstance(meta, dict) else None
                if isinstance(annotations, dict) and LOCAL_CONFIG in annotations:
                    continue
                try:
                    copied = copy_budgeted(obj)
                except TooLarge:
                    self.run.issue(
                        ERROR, "document expands to too many nodes (YAML aliases)", rel, doc.origin.line
                    )
                    continue
                out.append(
                    Res(
                        copied,
                        doc.origin,
                        origin_note=f"path: {note}\n" if note is not None else None,
                        empty_nulls=lf.empty_nulls.get(id(obj), frozenset()),
                    )
                )
        return out

    def append(self, acc: _Acc, res: Res, where: tuple) -> None:
        if acc.ids is None or len(acc.ids) != len(acc.resources):
            acc.ids = {r.cur_id().key() for r in acc.resources}
        cur = res.cur_id()
        key = cur.key()
        if key in acc.ids:
            self.issue(ERROR, f"may not add resource with an already registered id: {cur.display()}", *where)
            return
        acc.resources.append(res)
        acc.ids.add(key)

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

    # -- generators -----------------------------------------------------------------------
    def generate(self, acc: _Acc) -> None:
        global_opts = self.kdata.get("generatorOptions")
        for field_name, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
            for i, args in enumerate(self.items(field_name)):
                where = (field_name, i)
                if not isinstance(args, dict):
                    self.issue(ERROR, f"invalid {field_name} entry", *where)
                    continue
                try:
                    res = self.make_generated(kind, args, global_opts, where)
                except _Skip:
                    continue
                except GeneratorError as exc:
                    self.issue(ERROR, str(exc), *where)
                    continue
                self.absorb(acc, res, where)

    def read_source(self, path: str, where: tuple, what: str) -> bytes:
        rel = self.resolve_file(path, where, what)
        if rel is None:
            raise _Skip
        try:
            return self.fs.read_bytes(rel)
        except (OSError, OutsideRoot, Exception) as exc:  # FileTooLarge and friends
            self.issue(ERROR, f"cannot read {path}: {exc}", *where)
            raise _Skip from None

    def make_generated(self, kind: str, args: dict, global_opts: object, where: tuple) -> Res:
        pairs: list[tuple[str, bytes | str]] = []
        envs = [e for e in args.get("envs") or [] if e]
        if args.get("env"):
            envs.append(args["env"])
        for j, env in enumerate(envs):
            raw = self.read_source(str(env), (*where, "envs", j), "env file")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise GeneratorError(f"env file {env} has invalid utf8 bytes") from None
            pairs.extend(parse_env(text))
        for literal in args.get("literals") or []:
            pairs.append(parse_literal(str(literal)))
        for j, source in enumerate(args.get("files") or []):
            key, path = parse_file_source(str(source))
            pairs.append((key, self.read_source(path, (*where, "files", j), "file")))
        options = merge_options(args.get("options"), global_opts)
        obj = make_object(kind, args, pairs, options)
        file, line, _ = self.pos(*where)
        doc_index = self.korigin.doc_index if self.korigin is not None else 0
        note = None
        if self.run.origin_notes:
            configured_in = posixpath.relpath(self.kfile, self.run.top_dir or ".")
            note = f"configuredIn: {configured_in}\nconfiguredBy:\n  apiVersion: builtin\n  kind: {kind}Generator\n"
        behavior = str(args.get("behavior") or "create")
        if behavior not in ("create", "merge", "replace"):
            raise GeneratorError(f"invalid behavior {behavior!r}: must be create, merge or replace")
        return Res(
            obj,
            Origin(file, line, doc_index),
            needs_hash=options.get("disableNameSuffixHash") is not True,
            behavior=behavior,
            generated=True,
            origin_note=note,
        )

    def absorb(self, acc: _Acc, res: Res, where: tuple) -> None:
        """appendReplaceOrMerge: a generated object joins the accumulated resources."""
        rid = res.cur_id()
        matches = [r for r in acc.resources if r.any_id_matches(rid.equals)]
        if not matches:
            if res.behavior in ("merge", "replace"):
                self.issue(ERROR, f"id {rid.display()} does not exist; cannot merge or replace", *where)
                return
            acc.resources.append(res)
            return
        if len(matches) > 1:
            self.issue(ERROR, f"found multiple objects that could accept merge of {rid.display()}", *where)
            return
        old = matches[0]
        if res.behavior == "create":
            self.issue(ERROR, f"id {rid.display()} exists; behavior must be merge or replace", *where)
            return
        meta, old_meta = res.meta(), old.meta()
        labels = {**old.labels(), **res.labels()}
        annotations = {**old.annotations(), **res.annotations()}
        for key, value in (("labels", labels), ("annotations", annotations)):
            if value:
                meta[key] = value
            else:
                meta.pop(key, None)
        res.set_name(str(old_meta.get("name", "")))
        res.set_namespace(str(old_meta.get("namespace") or ""))
        # kustomize hashes a merged or replaced object only if both generators asked for it
        needs_hash, behavior = res.needs_hash and old.needs_hash, res.behavior
        res.copy_bookkeeping_from(old)
        res.needs_hash = needs_hash
        if behavior == "merge":
            for key in ("data", "binaryData"):
                merged = {}
                if isinstance(old.obj.get(key), dict):
                    merged.update(old.obj[key])
                if isinstance(res.obj.get(key), dict):
                    merged.update(res.obj[key])
                if merged:
                    res.obj[key] = merged
        acc.resources[acc.resources.index(old)] = res

    # -- transformers ---------------------------------------------------------------------
    def transform(self, acc: _Acc) -> None:
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

    def guard(self, fn, where: tuple, acc: _Acc | None = None) -> None:
        try:
            fn()
        except _Skip:
            pass
        except (transform.NoTarget, NoSource) as exc:
            if acc is not None and acc.remote:
                self.issue(
                    EXTERNAL,
                    f"{exc}: the resource may be a remote one, which is not fetched (not checked)",
                    *where,
                )
            else:
                self.issue(ERROR, str(exc), *where)
        except (
            TransformError,
            smp.MergeError,
            PatchError,
            SelectorError,
            ReplacementError,
            FieldSpecError,
            GeneratorError,
        ) as exc:
            self.issue(ERROR, str(exc), *where)

    # -- patches -------------------------------------------------------------------------
    def patch_docs(self, entry: dict, where: tuple) -> list:
        """The YAML documents of a patch (``path`` file or inline ``patch``)."""
        path, inline = entry.get("path"), entry.get("patch")
        if path and inline:
            self.issue(ERROR, "patch and path can't be set at the same time", *where)
            raise _Skip
        if path:
            rel = self.resolve_file(path, where, "patch file")
            if rel is None:
                raise _Skip
            # through the document cache: parsed once, and a file that does not
            # parse is reported by the pipeline (yaml-syntax), not here
            lf = self.cache.load(rel, manifest=False)
            if lf.errors:
                raise _Skip
            return [d.data for d in lf.documents]
        if isinstance(inline, str) and inline.strip():
            stripped = inline.lstrip()
            if stripped.startswith("["):
                try:
                    ops = json.loads(stripped)
                except ValueError:
                    ops = None
                if isinstance(ops, list):
                    return [ops]
            file, _, _ = self.pos(*where)
            lf = parse_text(inline, file)
            if lf.errors:
                self.issue(ERROR, f"unable to parse SM or JSON patch: {lf.errors[0].message}", *where)
                raise _Skip
            return [d.data for d in lf.documents]
        self.issue(ERROR, "must specify one of patch and path", *where)
        raise _Skip

    def parse_patch(self, docs: list, where: tuple):
        """('json', ops) or ('smp', [patch dicts]), as kustomize tells them apart."""
        if docs and isinstance(docs[0], list):
            return "json", docs[0]
        patches = []
        for doc in docs:
            if not isinstance(doc, dict):
                self.issue(ERROR, "unable to parse SM or JSON patch", *where)
                raise _Skip
            problem = _invalid(doc)
            if problem and problem is not _NO_API_VERSION:
                self.issue(ERROR, f"unable to parse SM or JSON patch: {problem}", *where)
                raise _Skip
            patches.append(doc)
        if not patches:
            self.issue(ERROR, "patch appears to be empty", *where)
            raise _Skip
        return "smp", patches

    def patch(self, acc: _Acc, entry: object, where: tuple) -> None:
        if not isinstance(entry, dict):
            self.issue(ERROR, "invalid patch entry: expected a mapping with patch or path", *where)
            return
        kind, content = self.parse_patch(self.patch_docs(entry, where), where)
        target = entry.get("target")
        selector = Selector.parse(target) if isinstance(target, dict) else None
        options = entry.get("options") if isinstance(entry.get("options"), dict) else {}
        if kind == "json":
            if selector is None:
                self.issue(ERROR, "must specify a target for JSON patch", *where)
                return
            for res in select(acc.resources, selector):
                res.store_previous_id()
                apply_ops(res.obj, content)
            return
        self.apply_smp(acc, content, selector, where, options)

    def apply_smp(
        self, acc: _Acc, patches: list[dict], selector: Selector | None, where: tuple, options: dict
    ) -> None:
        allow_name = options.get("allowNameChange") is True
        allow_kind = options.get("allowKindChange") is True
        if selector is None:
            for patch in patches:
                pid = _patch_id(patch)
                matches = [r for r in acc.resources if r.any_id_matches(pid.equals)]
                if not matches and acc.remote:
                    # the target may be in a remote resource, which is not fetched
                    self.issue(
                        EXTERNAL,
                        f"patch target {pid.display()} is not among the local resources; it may be in "
                        "a remote resource, which is not fetched, so the patch is not checked",
                        *where,
                    )
                    continue
                if len(matches) != 1:
                    what = "no matches" if not matches else "multiple matches"
                    self.issue(
                        ERROR,
                        f"{what} for Id {pid.display()}; failed to find unique target for patch",
                        *where,
                    )
                    continue
                self.apply_one(acc, matches[0], patch, allow_name, allow_kind, self.run.schemas)
            return
        for res in select(acc.resources, selector):
            for patch in patches:
                if res not in acc.resources:
                    break
                self.apply_one(acc, res, patch, allow_name, allow_kind, self.run.schemas)

    @staticmethod
    def apply_one(
        acc: _Acc, res: Res, patch: dict, allow_name: bool, allow_kind: bool, schemas: dict | None = None
    ) -> None:
        name, namespace, kind = res.name, res.namespace, res.kind
        if allow_name or allow_kind:
            res.store_previous_id()
        patch = dict(patch)
        patch["apiVersion"] = res.obj.get("apiVersion")
        if res.empty_nulls:
            key = (str(res.obj.get("apiVersion", "")), res.kind)
            res.drop_empty_nulls(schemas.get(key) if schemas is not None else smp.schema_for(*key))
        result = smp.apply_patch(res.obj, patch, schemas)
        if result is None:
            acc.resources.remove(res)
            return
        res.obj = result
        if not allow_kind:
            result["kind"] = kind
        if not allow_name:
            res.set_name(name)
        res.set_namespace(namespace)

    def patches_strategic_merge(self, acc: _Acc) -> None:
        entries = self.items("patchesStrategicMerge")
        for i, entry in enumerate(entries):
            where = ("patchesStrategicMerge", i)
            if not isinstance(entry, str):
                self.issue(ERROR, "invalid patchesStrategicMerge entry", *where)
                continue
            inline = parse_text(entry, self.kfile)
            docs = [d.data for d in inline.documents]
            if not inline.errors and docs and all(isinstance(d, dict) and d.get("kind") for d in docs):
                patches = docs
            else:
                try:
                    kind, patches = self.parse_patch(self.patch_docs({"path": entry}, where), where)
                except _Skip:
                    continue
                if kind != "smp":
                    self.issue(ERROR, "patchesStrategicMerge entry is not a strategic merge patch", *where)
                    continue
            self.guard(lambda p=patches, w=where: self.apply_smp(acc, p, None, w, {}), where)

    def patch_json6902(self, acc: _Acc, entry: object, where: tuple) -> None:
        if not isinstance(entry, dict):
            self.issue(ERROR, "invalid patchesJson6902 entry", *where)
            return
        target = entry.get("target")
        if not isinstance(target, dict):
            self.issue(ERROR, "must specify a target for patch", *where)
            return
        kind, content = self.parse_patch(self.patch_docs(entry, where), where)
        if kind != "json":
            self.issue(ERROR, "patchesJson6902 entry is not a JSON patch", *where)
            return
        for res in select(acc.resources, Selector.parse(target)):
            apply_ops(res.obj, content)

    def replacement(self, acc: _Acc, entry: object, where: tuple) -> None:
        if not isinstance(entry, dict):
            self.issue(ERROR, "invalid replacements entry", *where)
            return
        specs: list = [entry]
        if entry.get("path"):
            rel = self.resolve_file(entry["path"], where, "replacement file")
            if rel is None:
                return
            specs = []
            for doc in self.cache.load(rel).documents:
                entries = doc.data if isinstance(doc.data, list) else [doc.data]
                for value in entries:
                    if value is None:
                        continue
                    # typed as kustomize's yaml.Unmarshal types it: downstream trusts the types
                    spec, errors = kustfile.decode_as(value, kustfile.REPLACEMENT, "Replacement", "")
                    for _, message in errors[:1]:
                        self.issue(ERROR, f"replacement file {entry['path']}: {message}", *where)
                        return
                    specs.append(spec)
        for spec in specs:
            if isinstance(spec, dict):
                apply_replacement(acc.resources, spec)


def _invalid(obj: object) -> str | None:
    """Why kustomize (or Flux, for apiVersion) would refuse this document as a resource."""
    if not isinstance(obj, dict) or not isinstance(obj.get("metadata", {}), dict):
        return "missing Resource metadata"
    if not obj.get("kind"):
        return "missing kind in object"
    meta = obj.get("metadata") or {}
    if not meta.get("name") and not str(obj.get("kind")).endswith("List"):
        return "missing metadata.name in object"
    if not obj.get("apiVersion"):
        return _NO_API_VERSION
    return None


_NO_API_VERSION = "missing apiVersion in object (Flux refuses it)"


def _patch_id(patch: dict) -> ResId:
    group, version = split_api_version(patch.get("apiVersion"))
    meta = patch.get("metadata") if isinstance(patch.get("metadata"), dict) else {}
    return ResId(
        group,
        version,
        str(patch.get("kind") or ""),
        str(meta.get("namespace") or ""),
        str(meta.get("name") or ""),
    )


__all__ = ["Kustomizer", "looks_remote"]
