"""What a renderer takes and returns.

A renderer turns one kustomize directory (plus, for a Flux Kustomization, the
fields Flux merges into its kustomization) into the objects kustomize would
emit, each with the :class:`~gitops_lint.core.data.Origin` a person would edit.
Problems are data (:class:`BuildIssue`), never exceptions: the pipeline turns
them into findings with the kustomization file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..core.data import Origin
from ..core.enums import StrEnum


@dataclass
class Resource:
    """One object of a build. ``obj`` is owned by the caller: mutate freely."""

    obj: dict
    origin: Origin


class IssueKind(StrEnum):
    """What a :class:`BuildIssue` is."""

    MISSING = "missing-path"  # a path, resource, component or patch file does not exist
    ESCAPE = "escape"  # a reference leaves the repository root (.., absolute, symlink)
    EXTERNAL = "external"  # a remote resource (URL, git, OCI): noted, never fetched
    ERROR = "build-error"  # anything else kustomize would refuse
    NOTE = "note"  # not a problem of the repository: what was not checked, and why (info)
    # the API server refuses the object (a field Flux's apply rejects: discover.flux_fields)
    REFUSED = "refused"


MISSING = IssueKind.MISSING
ESCAPE = IssueKind.ESCAPE
EXTERNAL = IssueKind.EXTERNAL
ERROR = IssueKind.ERROR
NOTE = IssueKind.NOTE


@dataclass
class BuildIssue:
    kind: IssueKind
    message: str
    file: str
    line: int
    column: int = 1

    def __post_init__(self) -> None:
        self.kind = IssueKind(self.kind)  # a stray string fails here


@dataclass
class FluxOverlay:
    """The fields of a Flux Kustomization that kustomize-controller merges into
    the kustomization before building (fluxcd/pkg kustomize_generator.go)."""

    target_namespace: str | None = None
    name_prefix: str | None = None
    name_suffix: str | None = None
    patches: list[dict] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    ignore_missing_components: bool = False
    # where these fields were written, for issues about them
    origin: Origin | None = None


@dataclass
class BuildResult:
    resources: list[Resource]
    issues: list[BuildIssue] = field(default_factory=list)


class Renderer(Protocol):
    def build(self, path: str, overlay: FluxOverlay | None = None) -> BuildResult:
        """Build the repo-relative directory ``path`` ("" is the root)."""
        ...
