"""The run's global budget: how much YAML one lint may load and render.

Every file is bounded on its own (``max-file-size``; at most
:data:`MAX_FILE_NODES` nodes once YAML aliases are expanded), but a
repository written by a stranger can still hold many such files, or make
thousands of Kustomizations render one large directory: each step stays
linear and the run still ends in an out-of-memory kill or a CI timeout. So
the run counts, across all files and clusters,

* *nodes*: every YAML node a loaded document expands to (aliases included),
  plus, for each object a Kustomization renders, the nodes of the document it
  comes from (rendering copies it);
* *objects*: the objects the Kustomizations render (substitution copies each).

Past either limit the run stops loading and rendering, reports one finding at
the file where the budget ran out (GL001 yaml-syntax, with the limit), and
ends with what it found in the files it did read. The limits are far above
real repositories: the largest corpus repositories load and render ~575,000
nodes (stuttgart-things) and ~6,000 objects (hmcts sds-flux-config), 35 and
80 times less (README "Limits"); issue 8's benchmark monorepo spends about
53 nodes per object (530,000 for 10,000 objects), so its 100,000 objects stay
well below too. At the limit a run holds a few GB.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InputError

#: nodes one file may expand to through YAML aliases (all its documents together)
MAX_FILE_NODES = 2_000_000
#: how deep one YAML document may nest (the loader refuses a deeper one, and a stored
#: parse whose links would make one deeper is not used: load.parsed)
MAX_DEPTH = 1000
#: nodes one run may load and render (all files, all clusters)
MAX_RUN_NODES = 20_000_000
#: objects one run may render (all Kustomizations of all clusters)
MAX_RUN_OBJECTS = 500_000


class BudgetExceeded(InputError):
    """The run spent its budget; ``file`` is where it ran out."""

    def __init__(self, what: str, limit: int, file: str):
        self.what = what
        self.limit = limit
        self.file = file
        super().__init__(f"{file}: {self.message()}")  # the one-line error of `build` and `graph`

    def message(self) -> str:
        return (
            f"gitops-lint stopped here: the run would load or render more than {self.limit:,} "
            f"{self.what} (its fixed budget against hostile input, not configurable); "
            "findings cover only what was read before this file; lint a narrower path "
            "(a cluster directory) to check the rest"
        )


@dataclass
class Budget:
    """Counters of one run; :meth:`spend_nodes` and :meth:`spend_objects` raise
    :class:`BudgetExceeded` once, and after that the run is marked exhausted."""

    max_nodes: int = MAX_RUN_NODES
    max_objects: int = MAX_RUN_OBJECTS
    nodes: int = 0
    objects: int = 0
    exceeded: BudgetExceeded | None = None

    def spend_nodes(self, count: int, file: str) -> None:
        self.nodes += count
        if self.nodes > self.max_nodes:
            self._exceed("YAML nodes", self.max_nodes, file)

    def spend_objects(self, count: int, nodes: int, file: str) -> None:
        self.objects += count
        if self.objects > self.max_objects:
            self._exceed("rendered objects", self.max_objects, file)
        self.spend_nodes(nodes, file)

    def _exceed(self, what: str, limit: int, file: str) -> None:
        if self.exceeded is None:
            self.exceeded = BudgetExceeded(what, limit, file)
        raise self.exceeded
