"""How much work checking one object against its schema may take.

A schema is written by the repository (a CRD, a ``schemas:`` directory), and
so is the object. YAML aliases let a 1.2 KB CRD expand to a schema of a
million nodes whose ``oneOf`` branches double at every level, and a CEL rule
can nest ``all()`` over every list it sees. Kubernetes bounds CEL with a cost
budget; gitops-lint bounds all of it, so that a hostile pull request costs
seconds, not hours:

* :data:`SCHEMA_NODES`: a schema that converts or compiles to more nodes is
  not used (every object of its kind: "schema too complex to check");
* :data:`OBJECT_STEPS`: validating one object may visit this many (schema
  node, value) steps in the fast yes/no path, and :data:`DETAIL_STEPS`
  keyword evaluations in jsonschema's detailed one (run only for an invalid
  object; each step costs ~30 times more there);
* CEL: :data:`CEL_PER_CALL` steps for one rule evaluation and
  :data:`CEL_PER_OBJECT` for all rules of one object, as the API server has
  ``PerCallLimit`` (1,000,000) and ``RuntimeCELCostBudget`` (10,000,000 per
  custom resource; k8s.io/apiserver ``pkg/apis/cel/config.go``). The steps
  are nodes of cel-python's syntax tree evaluated (about ten per cel-go cost
  unit, 30-70 us each; a comprehension's iteration counts 10 more for its
  frame), so the budgets are far lower: ~1 s and ~4 s. Running out is
  gitops-lint's limit, never a claim that the API server refuses the object.

Running out is never an error: the object gets one info finding saying it
was not checked and why (DESIGN.md, Certainty).
"""

from __future__ import annotations

SCHEMA_NODES = 50_000
OBJECT_STEPS = 500_000
DETAIL_STEPS = 200_000
CEL_PER_CALL = 20_000
CEL_PER_OBJECT = 60_000


class TooComplex(Exception):
    """A budget ran out; ``str()`` says which, for the "not checked" finding."""


class Steps:
    """The steps one object's validation may still take, and what went unchecked."""

    __slots__ = ("left", "limit", "what", "cel_left", "notes")

    def __init__(self, limit: int, what: str):
        self.left = limit
        self.limit = limit
        self.what = what
        self.cel_left = CEL_PER_OBJECT
        self.notes: list[str] = []  # what was skipped (CEL rules out of budget), in order

    def spend(self, n: int = 1) -> None:
        self.left -= n
        if self.left < 0:
            raise TooComplex(f"more than {self.limit:,} {self.what}")

    def restart(self, limit: int, what: str) -> None:
        """A new step allowance (the detailed path after the fast one); CEL's stays."""
        self.left = self.limit = limit
        self.what = what

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


#: the object being validated (one at a time: validation is single-threaded)
current: Steps | None = None


def spend(n: int = 1) -> None:
    if current is not None:
        current.spend(n)


class checking:
    """``with checking():`` -- a fresh :data:`OBJECT_STEPS` budget for one object."""

    def __init__(self, limit: int = OBJECT_STEPS):
        self.limit = limit
        self.saved: Steps | None = None

    def __enter__(self) -> Steps:
        global current
        self.saved = current
        current = Steps(self.limit, "schema validation steps for one object")
        return current

    def __exit__(self, *exc) -> None:
        global current
        current = self.saved
