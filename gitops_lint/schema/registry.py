"""Which schema validates an object, compiled once per (apiVersion, kind).

Sources, first match wins:

1. the repository's own CRDs (CustomResourceDefinition, and Crossplane
   CompositeResourceDefinition for its composite and claim kinds) among the
   cluster's rendered objects: what the cluster will really serve;
2. the ``schemas:`` directories of the config (kubeconform layout: files
   ``{kind}-{group}-{version}.json``, lowercase, as ``gitops-lint schemas
   import`` writes them, or ``{group}/{kind}_{version}.json``);
3. the Flux schemas bundled with the package (``schemas/flux``, installed as ``gitops_lint/schemas/flux``);
4. the core Kubernetes schemas of ``--kube-version`` (kubernetes-validate).

Compiled validators are a pure function of their schema, and shared by
every run of the process under a key that holds the schema itself (a
repository's CRD or schema file: its text) or names immutable data (a bundled
file, a Kubernetes version's schemas): two runs of two repositories never get
each other's validators. Which schema a run finds (the CRDs of its clusters,
its config's directories) is the run's own (:class:`SchemaRegistry`, one per
cluster).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..core.data import Origin, group_of, is_kind
from ..core.data_files import bundled
from ..core.fs import FileTooLarge, OutsideRoot, content_hash
from . import kube_apis
from .core import core_schemas, resolve_version
from .crd import convert, crd_versions
from .debug_log import DebugLog
from .validator import Validator
from .xrd import xrd_versions

log = DebugLog("gitops_lint.schema")

BUNDLED = bundled("flux")
CRD_GROUP = "apiextensions.k8s.io"
XRD_GROUP = "apiextensions.crossplane.io"

# (source kind, schema text or immutable name) -> compiled validator; see the module docstring
# ("crd-raw", a CRD version's schema as written) -> the validator of its conversion
_SHARED: dict[tuple, Validator | None] = {}


@dataclass
class Definition:
    """A kind defined in the repository: its schema and where it is written."""

    api_version: str
    kind: str
    origin: Origin
    raw: dict | None  # CRD openAPIV3Schema, or an XRD's converted schema
    converted: bool = False


def schema_file_name(api_version: str, kind: str) -> str:
    """``{kind}-{group}-{version}.json``, lowercase (kubeconform's convention)."""
    group, _, version = api_version.rpartition("/")
    return (f"{kind}-{group}-{version}.json" if group else f"{kind}-{version}.json").lower()


def is_crd(obj: dict) -> bool:
    return is_kind(obj, CRD_GROUP, "CustomResourceDefinition")


def is_xrd(obj: dict) -> bool:
    return is_kind(obj, XRD_GROUP, "CompositeResourceDefinition")


def repository_definitions(objects, definers: dict | None = None) -> dict[tuple[str, str], Definition]:
    """(apiVersion, kind) -> Definition for every CRD/XRD among ``objects`` (first wins,
    in file and line order); ``definers``, when given, gets the object of each."""
    found: dict[tuple[str, str], Definition] = {}
    ordered = sorted(
        (ro for ro in objects if is_crd(ro.obj) or is_xrd(ro.obj)),
        key=lambda ro: (ro.origin.file, ro.origin.line),
    )
    for ro in ordered:
        crd = is_crd(ro.obj)
        for api_version, kind, _, schema in crd_versions(ro.obj) if crd else xrd_versions(ro.obj):
            if (api_version, kind) not in found:
                found[(api_version, kind)] = Definition(api_version, kind, ro.origin, schema, not crd)
                if definers is not None:
                    definers[(api_version, kind)] = ro
    return found


class SchemaRegistry:
    def __init__(self, kube_version: str | None, objects=(), schema_dirs=(), fs=None):
        self.kube_version = resolve_version(kube_version)
        self._definers: dict[tuple[str, str], object] = {}
        self.definitions = repository_definitions(objects, self._definers)
        self.schema_dirs = list(schema_dirs)
        self.fs = fs
        self._local: dict[tuple[str, str], tuple[Validator | None, str]] = {}
        self._identities: dict[tuple[str, str], tuple[str, str] | None] = {}
        # (directory, apiVersion, kind) -> (path, schema, its canonical text) of a schemas: file
        self._dir_schemas: dict[tuple[str, str, str], tuple[str, dict, str] | None] = {}

    # -- lookups ----------------------------------------------------------
    def lookup(self, api_version: str, kind: str) -> tuple[Validator | None, str]:
        """(validator, source) for a kind; (None, "") when no schema is known."""
        key = (api_version, kind)
        found = self._local.get(key)
        if found is None:
            found = self._find(api_version, kind)
            self._local[key] = found
        return found

    def identity(self, api_version: str, kind: str) -> tuple[str, str] | None:
        """A name of the schema :meth:`lookup` would compile for a kind, without compiling
        it: equal in two runs only when the schema is (it names the defining CRD's content
        key, a ``schemas:`` file's text, a bundled file or a Kubernetes version's kind; the
        tool and its dependencies are in the kept verdicts' shard headers); and the text of
        the variables substituted into the CRD ("" when none), which may hold a Secret's
        value. None when there is no schema, or none to name cheaply (a CRD built in this
        run). A Kubernetes kind is named without reading the version's schemas: a name
        that finds a kept verdict was a served kind's when the verdict was kept."""
        key = (api_version, kind)
        try:
            return self._identities[key]
        except KeyError:
            found = self._identities[key] = self._identity(api_version, kind)
            return found

    def _identity(self, api_version: str, kind: str) -> tuple[str, str] | None:
        found = self._source(api_version, kind)
        if found is None:
            return None
        how, what = found
        if how == "crd":
            definer = self._definers.get((api_version, kind))
            content = getattr(definer, "content_key", None)
            made = content() if content is not None and what.raw is not None else None
            if made is None:
                return None
            return _name("xrd" if what.converted else "crd", made[0], api_version, kind), made[1]
        if how == "dir":
            path, _, text = what
            return _name("dir", path, text), ""
        if how == "bundled":
            return _name("bundled", what), ""
        return _name("core", what, api_version, kind), ""

    def _source(self, api_version: str, kind: str) -> tuple[str, object] | None:
        """Where a kind's schema comes from, first match wins (the module's docstring), for
        both :meth:`lookup` and :meth:`identity`: ("crd", its Definition), ("dir", (path,
        schema, its canonical text)), ("bundled", file name), ("core", the Kubernetes version,
        whose schemas may still not have the kind), or None."""
        d = self.definitions.get((api_version, kind))
        if d is not None:
            return "crd", d
        for directory in self.schema_dirs:
            key = (directory, api_version, kind)
            if key not in self._dir_schemas:
                schema = self._from_dir(directory, api_version, kind)
                # keyed by the content too: the same relative path holds another schema in
                # another repository (or after an edit), and must not get this one's validator
                self._dir_schemas[key] = (
                    None if schema is None else (*schema, json.dumps(schema[1], sort_keys=True, default=str))
                )
            if self._dir_schemas[key] is not None:
                return "dir", self._dir_schemas[key]
        name = schema_file_name(api_version, kind)
        if (BUNDLED / name).is_file():
            return "bundled", name
        if self.kube_version is not None:
            return "core", self.kube_version
        return None

    def _find(self, api_version: str, kind: str) -> tuple[Validator | None, str]:
        found = self._source(api_version, kind)
        if found is None:
            return None, ""
        how, what = found
        if how == "crd":
            d = what
            source = f"CRD in {d.origin.file}"
            if d.raw is None:
                return None, ""  # a CRD version without a schema validates nothing
            if d.converted:
                schema = d.raw
                text = json.dumps(schema, sort_keys=True, default=str)
                return _shared(("crd", text), lambda: Validator(schema, source)), source
            # each cluster of a repository renders the same CRDs: the validator of a
            # schema as written is remembered too, so that it is converted once
            try:
                raw = ("crd-raw", json.dumps(d.raw, sort_keys=True, default=str))
            except (TypeError, ValueError, RecursionError):  # keys of mixed types: not keyed so
                raw = None
            if raw is None or raw not in _SHARED:
                schema = convert(d.raw)
                text = json.dumps(schema, sort_keys=True, default=str)
                validator = _shared(("crd", text), lambda: Validator(schema, source))
                if raw is None:
                    return validator, source
                _SHARED[raw] = validator
            return _SHARED[raw], source
        if how == "dir":
            path, data, text = what
            return _shared(("dir", path, text), lambda: Validator(data, path)), path
        if how == "bundled":
            name = what
            return (
                _shared(("bundled", name), lambda: Validator(_read_json(BUNDLED / name), f"bundled {name}")),
                f"bundled schema {name}",
            )
        version = what
        if _named(version, api_version, kind):
            core = core_schemas(version)
            if core.has(api_version, kind):
                return (
                    _shared(
                        ("core", version, api_version, kind),
                        lambda: Validator(core.schema(api_version, kind), f"Kubernetes {version}"),
                    ),
                    f"Kubernetes {version}",
                )
        return None, ""

    def _from_dir(self, directory: str, api_version: str, kind: str):
        group, _, version = api_version.rpartition("/")
        candidates = [schema_file_name(api_version, kind)]
        if group:
            candidates.append(f"{group}/{kind.lower()}_{version}.json")
        for name in candidates:
            rel = os.path.normpath(os.path.join(directory, name))
            try:
                if self.fs is not None:
                    if not self.fs.isfile(rel):
                        continue
                    data = json.loads(self.fs.read_bytes(rel))
                else:
                    if not os.path.isfile(rel):
                        continue
                    data = _read_json(Path(rel))
            except (OSError, ValueError, OutsideRoot, FileTooLarge, RecursionError) as exc:
                # unreadable, not JSON (or not UTF-8), outside the root, too large, nested too deep
                log.debug("schema file %s unreadable: %s", rel, exc)
                continue
            if isinstance(data, dict):
                return rel, data
        return None

    def is_core_group(self, group: str) -> bool:
        """Is ``group`` served by Kubernetes itself (at any version of its schemas)?"""
        if self.kube_version is None:
            return group == "" or group.endswith(".k8s.io")
        return group in kube_apis.served_groups(self.kube_version)

    def served_versions(self, group: str, kind: str) -> list[str]:
        """apiVersions the repository's CRDs define for group/kind (for messages)."""
        return sorted(a for (a, k) in self.definitions if k == kind and group_of(a) == group)


def _named(version: str, api_version: str, kind: str) -> bool:
    """Could ``version`` serve ``kind`` at ``api_version``? Its definitions file names the
    kind, and it serves the group (the shipped tables, read without the file: a CRD's kind
    is ruled out without parsing 1.5 MB). The group too: a CRD may reuse a core kind's name
    (Azure Service Bus's ``Namespace``, a ``Role`` of another group), and a run whose other
    objects all have kept verdicts (celcache) would parse the version's schemas only to
    find that the kind is not there. ``CoreSchemas.has`` finds only a pair of its index,
    whose groups are ``served_groups``' (``CoreSchemas.groups``)."""
    names = kube_apis.kinds_named(version)
    if names is not None and kind not in names:
        return False
    return api_version.rpartition("/")[0] in kube_apis.served_groups(version)


def _name(*parts: str) -> str:
    return content_hash("\0".join(parts).encode())


def _shared(key: tuple, make) -> Validator | None:
    if key not in _SHARED:
        try:
            _SHARED[key] = make()
        # a repository's malformed schema fails to compile as TypeError & co. (schema/check.py
        # says why this stays broad): it validates nothing, and says nothing
        except Exception as exc:  # noqa: BLE001
            log.debug("schema %s does not compile: %s", key[:2], exc)
            _SHARED[key] = None
    return _SHARED[key]


def _read_json(path: Path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)
