"""Core Kubernetes kinds: the JSON schemas that kubernetes-validate ships, read directly.

kubernetes-validate keeps, per Kubernetes minor, a ``v1.X.0-local-strict``
directory whose ``_definitions.json`` holds every API type, with
``additionalProperties: false`` wherever the type lists its properties (the
API server's strict field validation: an unknown field is an error). Its own
``validate()`` re-reads and re-compiles the schema for every document; here
the definitions are read once per process and each kind's schema is inlined
(``$ref`` replaced by the shared definition dict) and compiled once.

Kinds are indexed by their ``x-kubernetes-group-version-kind``, never by file
name: kubernetes-validate's file names drop the group's domain, so a CRD kind
``Deployment`` in ``apps.example.com/v1`` would otherwise match ``apps/v1``.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re

from ..core.versions import kube_minor

_VERSION_DIR = re.compile(r"^v(\d+)\.(\d+)\.\d+-local-strict$")
_DROP = frozenset(
    {
        "description",
        "x-kubernetes-group-version-kind",
        "x-kubernetes-patch-merge-key",
        "x-kubernetes-patch-strategy",
        "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys",
        "x-kubernetes-map-type",
        "x-kubernetes-unions",
    }
)
# keywords whose value is one schema (or a boolean), and those whose value is a list of schemas
_SCHEMA_VALUED = frozenset({"additionalProperties", "items", "not"})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})


def schema_root() -> str | None:
    """The ``kubernetes-json-schema`` directory of the installed kubernetes-validate."""
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = os.path.join(list(spec.submodule_search_locations)[0], "kubernetes-json-schema")
    return root if os.path.isdir(root) else None


@functools.lru_cache(maxsize=1)
def _versions() -> tuple[str, ...]:
    root = schema_root()
    if root is None:
        return ()
    found = []
    for name in os.listdir(root):
        m = _VERSION_DIR.match(name)
        if m:
            found.append((int(m.group(1)), int(m.group(2))))
    return tuple(f"{a}.{b}" for a, b in sorted(found))


def available_versions() -> list[str]:
    """Kubernetes minors with strict schemas, oldest first ("1.25", ...); the installed
    package does not change while the process runs, so the directory is listed once."""
    return list(_versions())


def resolve_version(requested: str | None) -> str | None:
    """The schema version used for ``--kube-version``: the newest shipped one not newer
    than requested (kubernetes-validate's own rule), the oldest for an older request,
    the newest when nothing is requested."""
    versions = available_versions()
    if not versions:
        return None
    want = kube_minor(requested) if requested else None
    if want is None:
        return versions[-1]
    fitting = [v for v in versions if kube_minor(v) <= want]
    return fitting[-1] if fitting else versions[0]


def dir_for(version: str) -> str | None:
    """The directory of kubernetes-validate's schemas for a Kubernetes minor (kube_apis reads it too)."""
    root = schema_root()
    if root is None:
        return None
    for name in os.listdir(root):
        m = _VERSION_DIR.match(name)
        if m and f"{m.group(1)}.{m.group(2)}" == version:
            return os.path.join(root, name)
    return None


class CoreSchemas:
    """The core kinds of one Kubernetes version: ``(apiVersion, kind) -> schema``."""

    def __init__(self, version: str):
        self.version = version
        directory = dir_for(version)
        self._defs: dict = {}
        self._index: dict[tuple[str, str], str] = {}
        self._inlined: dict[str, dict] = {}
        self._groups: frozenset[str] | None = None
        if directory is None:
            return
        with open(os.path.join(directory, "_definitions.json"), encoding="utf-8") as fh:
            self._defs = json.load(fh).get("$defs", {})
        for name, d in self._defs.items():
            for gvk in d.get("x-kubernetes-group-version-kind") or []:
                group, ver, kind = gvk.get("group", ""), gvk.get("version", ""), gvk.get("kind", "")
                api_version = f"{group}/{ver}" if group else ver
                # a kind listed under several types (List, WatchEvent...) keeps its own type
                if (api_version, kind) not in self._index or name.endswith("." + kind):
                    self._index[(api_version, kind)] = name

    @property
    def definitions(self) -> dict:
        """The version's ``_definitions.json`` ``$defs``, as read (shared, do not modify)."""
        return self._defs

    def kinds(self) -> list[tuple[str, str]]:
        return sorted(self._index)

    def groups(self) -> frozenset[str]:
        """The API groups the version serves; asked once per object by the schema rules."""
        if self._groups is None:
            self._groups = frozenset(a.rpartition("/")[0] for a, _ in self._index)
        return self._groups

    def has(self, api_version: str, kind: str) -> bool:
        return (api_version, kind) in self._index

    def schema(self, api_version: str, kind: str) -> dict | None:
        name = self._index.get((api_version, kind))
        return None if name is None else self._inline_def(name)

    def _inline_def(self, name: str) -> dict:
        found = self._inlined.get(name)
        if found is not None:
            return found
        target: dict = {}
        self._inlined[name] = target  # before recursing: recursive types share the dict
        target.update(self._inline(self._defs.get(name, {})))
        return target

    def _inline(self, node):
        """One schema node with ``$ref`` replaced and annotations dropped.

        The walk knows where a schema sits: the keys of a ``properties`` map
        are field names, not keywords, so a field called ``description`` or
        ``x-kubernetes-list-type`` (PriorityClass.description, every
        JSONSchemaProps keyword of a CRD) is kept; ``enum``, ``required`` and
        ``default`` values are data and are copied as they are.
        """
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            return self._inline_def(ref.rsplit("/", 1)[-1])
        out = {}
        for key, value in node.items():
            if key in _DROP:
                continue
            if key == "properties" and isinstance(value, dict):
                out[key] = {name: self._inline(sub) for name, sub in value.items()}
            elif key in _SCHEMA_VALUED:
                out[key] = self._inline(value)
            elif key in _SCHEMA_LISTS and isinstance(value, list):
                out[key] = [self._inline(sub) for sub in value]
            else:
                out[key] = value
        union = _type_union(out.get("oneOf"))
        if union is not None:
            # IntOrString / Quantity: oneOf [string|null, integer|null] rejects null
            # (it matches both); the API server accepts null. A type list says the same.
            del out["oneOf"]
            out["type"] = union
        return out


def _type_union(branches) -> list | None:
    if not isinstance(branches, list) or not branches:
        return None
    names: list[str] = []
    for b in branches:
        if not isinstance(b, dict) or set(b) != {"type"}:
            return None
        t = b["type"]
        for n in [t] if isinstance(t, str) else t:
            if n not in names:
                names.append(n)
    return names


_CACHE: dict[str, CoreSchemas] = {}


def loaded(version: str) -> CoreSchemas | None:
    """The core schemas of ``version`` if a run already read them (kube_apis reuses their definitions)."""
    return _CACHE.get(version)


def core_schemas(version: str) -> CoreSchemas:
    """One :class:`CoreSchemas` per version per process."""
    found = _CACHE.get(version)
    if found is None:
        found = _CACHE[version] = CoreSchemas(version)
    return found
