"""What a rule is, and what it receives.

A rule is data (name, code, default severity, one-line summary) plus a
``check`` function. The check receives a :class:`Context` (the whole model of
one cluster, or of the repository for file-level rules) and yields
:class:`Hit`s: a message and where it is. It never opens files or parses
YAML, never decides about suppression, and never formats output: the runner
turns hits into findings with file, line and column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..core.data import ObjectRef, Origin, Severity

if TYPE_CHECKING:
    from ..core.fs import RepoFS
    from ..graph.digraph import DiGraph
    from ..load.config import Config
    from ..load.loader import DocumentCache
    from ..model.cluster import Cluster

CLUSTER = "cluster"
REPOSITORY = "repository"


@dataclass(frozen=True)
class Hit:
    message: str
    origin: Origin | None = None
    path: tuple = ()  # field path inside the document at origin, for its line
    object: ObjectRef | None = None
    severity: Severity | None = None  # None: the rule's configured severity
    file: str | None = None  # explicit position, when there is no document
    line: int | None = None
    column: int | None = None


@dataclass
class Context:
    fs: RepoFS
    cache: DocumentCache
    config: Config
    cluster: Cluster | None = None
    graph: DiGraph | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    name: str
    code: str
    severity: Severity
    summary: str
    check: Callable[[Context], Iterable[Hit]]
    scope: str = CLUSTER
