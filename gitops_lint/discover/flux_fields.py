"""The fields gitops-lint reads from Flux objects, read with their types.

Every Flux object comes from a repository that may be a stranger's pull
request: any field may hold any YAML value (``spec.patches: 5``,
``sourceRef: {name: [a]}``). The API server validates a custom resource
against its CRD's OpenAPI schema and refuses the whole object when a field
has the wrong type (HTTP 422 ``Invalid value``): such a Kustomization is never
created, so Flux applies nothing of it, and the dry-run of the Kustomization
that applies it fails.

:func:`decode` reads one object through its :data:`SHAPES` entry, which lists
only the fields gitops-lint reads, with the type of each (the types of Flux's
v1 CRDs, the same in the older versions for these fields; a test keeps them
equal to the bundled schemas). It returns a copy in which every value of a
wrong type is left out (so code reading the copy sees only the types it
expects) and one :class:`Problem` per such value (what the API server refuses).

Two kinds of value are never a problem, only left out:

* ``null``: the API server drops a null optional field;
* a string still holding ``${`` where another type is expected: a
  post-build variable whose value is not known offline (or is undefined,
  which the substitution rules report); its final type is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.data import (
    FLUX_HELM_GROUP,
    FLUX_KS_GROUP,
    FLUX_OPERATOR_GROUP,
    FLUX_SOURCE_EXT_GROUP,
    FLUX_SOURCE_GROUP,
    group_of,
)

# BuildIssue.kind of a refused Kustomization or ResourceSet (kustomize-build reports it as info:
# the schema rule's error is the finding about the field; this says what was not applied)
REFUSED = "refused"


@dataclass(frozen=True)
class ListOf:
    """An array whose items have ``item``'s shape."""

    item: Any


@dataclass(frozen=True)
class MapOf:
    """An object of arbitrary keys whose values have ``value``'s shape."""

    value: Any


@dataclass(frozen=True)
class Untyped:
    """A value the CRD leaves open (``type: object`` and nothing more) that the controller
    decodes into ``shape``: the API server accepts any content, the controller then fails
    on the wrong type (a ResourceSet step whose ``resources`` is not a list)."""

    shape: Any


# scalar and open shapes: the JSON types of the CRD schemas
STRING, BOOLEAN, INTEGER, OBJECT, ANY = "string", "boolean", "integer", "object", "any"

# Shape = STRING | BOOLEAN | INTEGER | OBJECT | ANY | ListOf | MapOf | dict[str, Shape]
# (a dict is an object with those known fields; fields not listed are not read, not checked)

_NAMED = {"apiVersion": STRING, "kind": STRING, "name": STRING, "namespace": STRING}
_METADATA = {
    "name": STRING,
    "namespace": STRING,
    "labels": MapOf(STRING),
    "annotations": MapOf(STRING),
}
_COMMON_METADATA = {"labels": MapOf(STRING), "annotations": MapOf(STRING)}
_SELECTOR = {
    "group": STRING,
    "version": STRING,
    "kind": STRING,
    "name": STRING,
    "namespace": STRING,
    "labelSelector": STRING,
    "annotationSelector": STRING,
}
_PATCH = {"patch": STRING, "target": _SELECTOR}
_IMAGE = {"name": STRING, "newName": STRING, "newTag": STRING, "digest": STRING}
_SECRET_KEY_REF = {"name": STRING, "key": STRING}
_DEPENDENCY = {"name": STRING, "namespace": STRING, "readyExpr": STRING}

KUSTOMIZATION = {
    "apiVersion": STRING,
    "kind": STRING,
    "metadata": _METADATA,
    "spec": {
        "interval": STRING,
        "retryInterval": STRING,
        "timeout": STRING,
        "path": STRING,
        "sourceRef": _NAMED,
        "dependsOn": ListOf(_DEPENDENCY),
        "postBuild": {
            "substitute": MapOf(STRING),
            "substituteFrom": ListOf({"kind": STRING, "name": STRING, "optional": BOOLEAN}),
        },
        "components": ListOf(STRING),
        "ignoreMissingComponents": BOOLEAN,
        "images": ListOf(_IMAGE),
        "patches": ListOf(_PATCH),
        "healthChecks": ListOf(_NAMED),
        "healthCheckExprs": ListOf(
            {"apiVersion": STRING, "kind": STRING, "current": STRING, "failed": STRING, "inProgress": STRING}
        ),
        "prune": BOOLEAN,
        "wait": BOOLEAN,
        "suspend": BOOLEAN,
        "force": BOOLEAN,
        "targetNamespace": STRING,
        "namePrefix": STRING,
        "nameSuffix": STRING,
        "serviceAccountName": STRING,
        "decryption": {"provider": STRING, "secretRef": {"name": STRING}},
        "kubeConfig": {"secretRef": _SECRET_KEY_REF, "configMapRef": {"name": STRING}},
        "commonMetadata": _COMMON_METADATA,
    },
}

_GIT_REF = {"branch": STRING, "tag": STRING, "semver": STRING, "name": STRING, "commit": STRING}
GIT_REPOSITORY = {
    "apiVersion": STRING,
    "kind": STRING,
    "metadata": _METADATA,
    "spec": {
        "url": STRING,
        "ref": _GIT_REF,
        "ignore": STRING,
        "include": ListOf({"repository": {"name": STRING}, "fromPath": STRING, "toPath": STRING}),
        "suspend": BOOLEAN,
    },
}
OCI_REPOSITORY = {
    "apiVersion": STRING,
    "kind": STRING,
    "metadata": _METADATA,
    "spec": {
        "url": STRING,
        "ref": {"tag": STRING, "semver": STRING, "digest": STRING},
        "layerSelector": {"mediaType": STRING, "operation": STRING},
        "ignore": STRING,
        "suspend": BOOLEAN,
    },
}
_POST_RENDERER = {"kustomize": {"patches": ListOf(_PATCH), "images": ListOf(_IMAGE)}}
HELM_RELEASE = {
    "apiVersion": STRING,
    "kind": STRING,
    "metadata": _METADATA,
    "spec": {
        "chart": {
            "spec": {
                "chart": STRING,
                "version": STRING,
                "sourceRef": _NAMED,
                "valuesFiles": ListOf(STRING),
            }
        },
        "chartRef": _NAMED,
        "values": OBJECT,
        "valuesFrom": ListOf(
            {
                "kind": STRING,
                "name": STRING,
                "valuesKey": STRING,
                "targetPath": STRING,
                "optional": BOOLEAN,
            }
        ),
        "dependsOn": ListOf(_DEPENDENCY),
        "targetNamespace": STRING,
        "releaseName": STRING,
        "storageNamespace": STRING,
        "serviceAccountName": STRING,
        "install": {"crds": STRING, "createNamespace": BOOLEAN},
        "upgrade": {"crds": STRING},
        "postRenderers": ListOf(_POST_RENDERER),
        "kubeConfig": {"secretRef": _SECRET_KEY_REF},
        "suspend": BOOLEAN,
    },
}
RESOURCE_SET = {
    "apiVersion": STRING,
    "kind": STRING,
    "metadata": _METADATA,
    "spec": {
        "inputs": ListOf(OBJECT),
        "inputsFrom": ListOf(
            {"apiVersion": STRING, "kind": STRING, "name": STRING, "selector": {"matchLabels": MapOf(STRING)}}
        ),
        "inputStrategy": {"name": STRING},
        "resources": ListOf(OBJECT),
        "resourcesTemplate": STRING,
        "steps": ListOf(Untyped({"resources": ListOf(OBJECT), "resourcesTemplate": STRING})),
        "dependsOn": ListOf(
            {
                "apiVersion": STRING,
                "kind": STRING,
                "name": STRING,
                "namespace": STRING,
                "ready": BOOLEAN,
                "readyExpr": STRING,
            }
        ),
        "commonMetadata": _COMMON_METADATA,
        "serviceAccountName": STRING,
        "wait": BOOLEAN,
    },
}

ARTIFACT_GENERATOR = {
    "apiVersion": STRING,
    "kind": STRING,
    "metadata": _METADATA,
    "spec": {
        "sources": ListOf({"alias": STRING, "kind": STRING, "name": STRING, "namespace": STRING}),
        "artifacts": ListOf(
            {
                "name": STRING,
                "copy": ListOf({"from": STRING, "to": STRING, "exclude": ListOf(STRING)}),
            }
        ),
    },
}

# (API group, kind) -> shape: every Flux kind whose fields gitops-lint reads
SHAPES: dict[tuple[str, str], dict] = {
    (FLUX_KS_GROUP, "Kustomization"): KUSTOMIZATION,
    (FLUX_SOURCE_GROUP, "GitRepository"): GIT_REPOSITORY,
    (FLUX_SOURCE_GROUP, "OCIRepository"): OCI_REPOSITORY,
    (FLUX_HELM_GROUP, "HelmRelease"): HELM_RELEASE,
    (FLUX_OPERATOR_GROUP, "ResourceSet"): RESOURCE_SET,
    (FLUX_SOURCE_EXT_GROUP, "ArtifactGenerator"): ARTIFACT_GENERATOR,
}


@dataclass(frozen=True)
class Problem:
    """A field the API server refuses: where it is and what it holds."""

    path: tuple  # keys and indexes from the object's root
    expected: str  # "string", "boolean", "list", ...
    got: str  # the YAML type found
    api: bool = True  # False: the API server accepts it, the controller fails on it (Untyped)

    @property
    def field(self) -> str:
        out = ""
        for step in self.path:
            out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
        return out or "the object"

    @property
    def message(self) -> str:
        return f"{self.field} must be {_article(self.expected)}, not {_article(self.got)}"


@dataclass(frozen=True)
class Decoded:
    """An object as read through its shape: the well-typed copy and what was left out."""

    obj: dict
    problems: tuple[Problem, ...] = ()

    @property
    def refused(self) -> bool:
        """Does the API server refuse the object, or its controller fail to read it?"""
        return bool(self.problems)

    @property
    def by_api(self) -> bool:
        """Is it the API server that refuses it (else the controller, on an open field)?"""
        return any(p.api for p in self.problems)

    def describe(self, limit: int = 3) -> str:
        """The problems in one line (the first ``limit``, then how many more)."""
        shown = "; ".join(p.message for p in self.problems[:limit])
        more = len(self.problems) - limit
        return shown + (f"; and {more} more" if more > 0 else "")


def shape_of(obj: Any) -> dict | None:
    """The shape of a Flux object gitops-lint reads fields of, or None."""
    if not isinstance(obj, dict):
        return None
    kind, api_version = obj.get("kind"), obj.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(api_version, str):
        return None
    return SHAPES.get((group_of(api_version), kind))


def decode(obj: Any, shape: dict | None = None) -> Decoded:
    """``obj`` read through ``shape`` (default: its kind's; an unknown kind is taken as is).

    A non-mapping is decoded as an empty object with one problem at the root.
    """
    if shape is None:
        shape = shape_of(obj)
        if shape is None:
            return Decoded(obj if isinstance(obj, dict) else {}, () if isinstance(obj, dict) else _root(obj))
    problems: list[Problem] = []
    value = _read(obj, shape, (), problems, True)
    if not isinstance(value, dict):
        return Decoded({}, tuple(problems))
    return Decoded(value, tuple(problems))


def _root(obj: Any) -> tuple[Problem, ...]:
    return (Problem((), "object", type_name(obj)),)


_SCALARS = {STRING: str, BOOLEAN: bool, OBJECT: dict}
_MISSING = object()


def _read(value: Any, shape: Any, path: tuple, problems: list[Problem], api: bool) -> Any:
    """``value`` if it has ``shape`` (recursively cleaned), else _MISSING (and a problem).

    The hottest walk of a run (rules decode thousands of objects): dispatched on the
    shape's type, the expected type's name made only for a problem.
    """
    if value is None:
        return _MISSING
    kind = type(shape)
    if kind is dict:
        if not isinstance(value, dict):
            return _wrong(value, shape, path, problems, api)
        out = dict(value)
        for key, sub in shape.items():
            if key not in value:
                continue
            item = value[key]
            if item is None:
                del out[key]
                continue
            if type(sub) is str and sub != INTEGER:  # a scalar or open field: no recursion
                if sub == ANY or isinstance(item, _SCALARS[sub]):
                    continue  # kept as it is in the copy
                got = _wrong(item, sub, (*path, key), problems, api)
            else:
                got = _read(item, sub, (*path, key), problems, api)
            if got is _MISSING:
                del out[key]
            else:
                out[key] = got
        return out
    if kind is str:
        if shape == ANY:
            return value
        if shape == INTEGER:
            if isinstance(value, int) and not isinstance(value, bool):
                return value
        elif isinstance(value, _SCALARS[shape]):
            return value
        return _wrong(value, shape, path, problems, api)
    if kind is Untyped:
        return _read(value, shape.shape, path, problems, False)
    if kind is ListOf:
        if not isinstance(value, list):
            return _wrong(value, shape, path, problems, api)
        items = []
        for i, item in enumerate(value):
            got = _read(item, shape.item, (*path, i), problems, api)
            if got is not _MISSING:
                items.append(got)
        return items
    if kind is MapOf:
        if not isinstance(value, dict):
            return _wrong(value, shape, path, problems, api)
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                problems.append(Problem((*path, str(key)), "string key", type_name(key), api))
                continue
            got = _read(item, shape.value, (*path, key), problems, api)
            if got is not _MISSING:
                out[key] = got
        return out
    raise TypeError(f"not a field shape: {shape!r}")  # shapes are this module's types, never subclassed


def _wrong(value: Any, shape: Any, path: tuple, problems: list[Problem], api: bool) -> Any:
    """A value of the wrong type: left out, a problem unless it is an unknown ``${...}``."""
    if not (isinstance(value, str) and "${" in value):
        problems.append(Problem(path, _expected(shape), type_name(value), api))
    return _MISSING


def _expected(shape: Any) -> str:
    if isinstance(shape, (dict, MapOf)):
        return "object"
    if isinstance(shape, ListOf):
        return "list"
    return str(shape)


def type_name(value: Any) -> str:
    """The YAML/JSON type of a parsed value, as a person reads it."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    if value is None:
        return "null"
    return type(value).__name__  # a YAML timestamp or binary value


def _article(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def refusal(ref: Any, decoded: Decoded, by: str, *, own_sync: bool = False) -> str:
    """What a refused Kustomization or ResourceSet means, for its info line.

    ``ref`` is its ObjectRef, ``by`` what applies it ("Kustomization ns/name");
    ``own_sync``: it is the cluster entry's own sync, whose directory is still
    linted as a plain bootstrap Kustomization applies it.
    """
    name = f"{ref.namespace}/{ref.name}" if ref.namespace else ref.name
    if own_sync:
        what = (
            "the API server refuses the object, so this sync cannot be applied as written "
            "(flux bootstrap, or the sync applying itself, fails); the entry was linted as a "
            "plain bootstrap Kustomization would apply it"
        )
    elif decoded.by_api:
        what = (
            f"the API server refuses the object, so {by} cannot create it and Flux applies "
            "nothing of it; what it would apply was not checked"
        )
    else:
        what = "its controller cannot read it, so it applies nothing; what it would apply was not checked"
    return f"{ref.kind} {name}: {decoded.describe()}: {what}"
