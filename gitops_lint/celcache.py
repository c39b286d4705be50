"""Verdicts kept between lint runs: the warm cache's ``cel`` and ``schema`` side entries.

The first holds cel-python's verdicts on CRD rules, the second the schema rule's
on whole objects (below); one class keeps both.

A CRD rule that the fast subset (``schema.cel_fast``) cannot decide costs a run
cel-python's import and environment (~50 ms), a parse of the rule (~5 ms each)
and about a millisecond per evaluation; a repository with Gateway API routes
pays some 0.2 s for them. A verdict is a pure function of the rule's text and
the value's JSON text (``schema.cel``'s in-process memo is keyed the same way)
and of the tool, which every record's shard header names: a run after a
one-file change finds nearly every verdict of the run before, and imports
nothing CEL-related when it finds them all.

A record's key is a digest of the rule and the value's text, never the text;
its payload is the verdict (true, false, or null: not evaluated) and the steps
the evaluation took, which the run charges as if it evaluated it again
(``schema.cel._spend``). A value holding what the run's redactor masks is not
kept, not even as a digest. The records this run used or made are written back;
of the others, the newest ``MAX_UNUSED`` (an object deleted, a branch not
checked out).

**Schema verdicts.** Validating a cluster's objects against their schemas is the
largest rule of a run after a one-file change (compiling the validators of the
kinds used, then walking every object): 40 of ~100 ms of rules on a home-ops
repository. An object found valid is a pure function of its content and of its
schema, so the records also keep "valid" under a digest of the schema's name
(``schema.registry.SchemaRegistry.identity``) and the object's content key
(``core.data.RenderedObject.content_key``: the object's text in its build's record,
its place included, and the substitution's variables), in the ``schema`` side entry (its
own unused records are dropped apart from CEL's). Only "valid" is kept: an invalid
object is validated again, for its messages. "Valid" is what the rule reports nothing
of: an object whose only errors are at values Flux fills in later (a ``${var}`` no
source fills or whose source lies outside Git, SOPS ciphertext), which the rule leaves
out, is kept so too (``replicas: ${REPLICAS}`` from a ConfigMap Terraform makes). A
content key is made of what the cache holds already (a build record's text, the hashes
of the files it names); one made through variables that hold what the redactor masks
is not kept.
"""

from __future__ import annotations

import json

from .core.fs import content_hash
from .core.records import KeptPayloads, SideRecords

SIDE = "cel"
SCHEMA_SIDE = "schema"
#: kept records this run did not use (all shards together)
MAX_UNUSED = 4096
#: a schema verdict's record: "valid" (the payload a CEL verdict of true with no steps has)
_VALID = json.dumps([True, 0])


def record_key(rule: str, text: str) -> str:
    return content_hash(f"{rule}\0{text}".encode())


class KeptVerdicts(KeptPayloads):
    """The ``cel`` or ``schema`` side entry of one run: what ``schema.cel`` and
    ``schema.check`` ask it and tell it."""

    @property
    def max_unused(self) -> int:  # the module's, read when the run stores
        return MAX_UNUSED

    def __init__(self, side: SideRecords, name: str = SIDE):
        super().__init__(side, name)

    def get(self, rule: str, text: str) -> tuple[bool | None, int] | None:
        """The kept verdict of ``rule`` on the value of JSON text ``text`` and its steps, or
        None: not kept, or a record that is not whole or not of this form (a miss)."""
        key = record_key(rule, text)
        payload = self.side.get(key)
        if payload is None:
            return None
        try:
            verdict, steps = json.loads(payload)
        except (ValueError, TypeError):
            return None
        if verdict not in (True, False, None) or type(steps) is not int or steps < 0:
            return None
        self.used.add(key)
        return verdict, steps

    def add(self, rule: str, text: str, verdict: bool | None, steps: int) -> None:
        self.put(record_key(rule, text), text, json.dumps([verdict, steps]))

    def valid(self, identity: str, content: str) -> bool:
        """Whether a run before found the object of content key ``content`` valid against
        the schema ``identity`` names (a record that is not whole: no)."""
        key = record_key(identity, content)
        if self.side.get(key) != _VALID:
            return False
        self.used.add(key)
        return True

    def add_valid(self, identity: str, content: str, text: str) -> None:
        """The object is valid against the schema; ``text``: what its content key was made
        of besides a kept build's text (checked for a secret's value before it is kept)."""
        self.put(record_key(identity, content), text, _VALID)
