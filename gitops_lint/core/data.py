"""Plain data shared by every stage of the pipeline.

load -> discover -> render -> substitute -> graph -> rules -> report: each
stage takes and returns these dataclasses and nothing else, so a stage can be
read, tested and replaced on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

FLUX_KS_GROUP = "kustomize.toolkit.fluxcd.io"
FLUX_HELM_GROUP = "helm.toolkit.fluxcd.io"
FLUX_SOURCE_GROUP = "source.toolkit.fluxcd.io"
FLUX_SOURCE_EXT_GROUP = "source.extensions.fluxcd.io"
FLUX_OPERATOR_GROUP = "fluxcd.controlplane.io"


class Severity(IntEnum):
    INFO = 0
    WARNING = 1
    ERROR = 2

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]


@dataclass(frozen=True, order=True)
class ObjectRef:
    """Identity of a Kubernetes object as Flux compares it (group, kind, namespace, name)."""

    kind: str
    namespace: str
    name: str
    api_version: str = ""

    @property
    def group(self) -> str:
        return group_of(self.api_version)

    def key(self) -> tuple[str, str, str, str]:
        # made once per ref (the rules ask tens of thousands of times a run), kept beside the
        # fields: equality, hashing, order, repr and replace() read the fields alone
        try:
            return self.__dict__["_key"]
        except KeyError:
            found = self.__dict__["_key"] = (group_of(self.api_version), self.kind, self.namespace, self.name)
            return found

    def display(self) -> str:
        return key_text(self.kind, self.namespace, self.name)

    def to_json(self) -> dict[str, str]:
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
        }


def key_text(kind: str, namespace: str, name: str, *, namespaced: bool = False) -> str:
    """An object's key as messages and the config write it: ``Kind/namespace/name``.

    An object without a namespace is ``Kind/name``. ``namespaced``: a reference to
    a namespaced object (a source, a substitution source), whose namespace
    Flux defaults to the referrer's; it keeps its three parts even when that
    namespace is empty, the form of ``external:`` keys and of the builder's
    source keys, which are split back on ``/``.
    """
    return f"{kind}/{namespace}/{name}" if namespace or namespaced else f"{kind}/{name}"


def group_of(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def is_kind(obj: dict, group: str, kind: str) -> bool:
    """Is ``obj`` a ``kind`` of API group ``group``, whatever its version?"""
    return obj.get("kind") == kind and group_of(str(obj.get("apiVersion") or "")) == group


@dataclass(frozen=True)
class Origin:
    """Where an object was written: the file a person would edit, and the line.

    ``line`` is the first line of the YAML document (or of the generator entry
    for generated ConfigMaps/Secrets). ``doc_index`` is the document's position
    in the file so a field's own line can be found later, lazily.
    """

    file: str
    line: int
    doc_index: int = 0


@dataclass
class Document:
    """One parsed YAML document with its provenance."""

    data: Any
    origin: Origin
    end_line: int
    disabled_rules: frozenset[str] = frozenset()


@dataclass
class LoadError:
    """A file that could not be read or parsed (becomes a yaml-syntax finding)."""

    file: str
    line: int
    column: int
    message: str


@dataclass
class Finding:
    rule: str
    code: str
    severity: Severity
    message: str
    file: str | None
    line: int
    column: int = 1
    object: ObjectRef | None = None
    cluster: str | None = None

    def sort_key(self) -> tuple:
        return (
            self.file or "",
            self.line,
            self.column,
            self.rule,
            self.message,
            self.object.display() if self.object else "",
            self.cluster or "",
        )


@dataclass
class RenderedObject:
    """An object a Flux Kustomization applies, after kustomize and substitution."""

    obj: dict
    origin: Origin
    applied_by: ObjectRef | None = None
    # JSON paths (tuples) of scalars that still hold a ${var} as written: undefined, or set
    # with a value unknown offline (SOPS, an operator's Secret, external); no rule judges them
    unresolved: list[tuple[str, tuple]] = field(default_factory=list)
    # JSON path -> (the ${...} expressions, the type) of a string that substitution
    # turned into a number, boolean or null (Flux re-reads its output as YAML)
    retyped: dict[tuple, tuple[str, str]] = field(default_factory=dict)

    @property
    def ref(self) -> ObjectRef:
        """The object's reference, made once per object it holds (substitution replaces
        ``obj``, nothing changes a rendered object in place): rules read it thousands of times."""
        obj = self.obj
        made = self.__dict__.get("_ref")
        if made is None or made[0] is not obj:
            made = self.__dict__["_ref"] = (obj, ref_of(obj))
        return made[1]

    def seed_ref(self, obj: dict, ref: ObjectRef) -> None:
        """Take ``ref`` as the reference of ``obj`` (``ref_of(obj)``, made before for this
        very object: a cluster's second pass takes the first pass's objects over)."""
        self.__dict__["_ref"] = (obj, ref)

    def content_key(self) -> tuple[str, str] | None:
        """A key naming ``obj``'s content in any run, and the text of what it was made of
        besides the build record's text (substitution's variables, which may hold a
        Secret's value; "" when none), or None: the object's build has no record (a first
        run, a build that cannot be kept), or it is no longer the object the key was made
        for. Made by the cluster's build from the record's text of the object
        (``render.memo.item_facts``); the schema verdicts kept between runs use it."""
        made = self.__dict__.get("_content")
        return None if made is None or made[0] is not self.obj else made[1]

    def seed_content_key(self, key: str, text: str) -> None:
        self.__dict__["_content"] = (self.obj, (key, text))


def ref_of(obj: dict, default_namespace: str = "") -> ObjectRef:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    meta = meta if isinstance(meta, dict) else {}
    return ObjectRef(
        kind=str(obj.get("kind") or ""),
        namespace=str(meta.get("namespace") or default_namespace or ""),
        name=str(meta.get("name") or ""),
        api_version=str(obj.get("apiVersion") or ""),
    )
