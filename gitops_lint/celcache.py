"""cel-python's verdicts kept between lint runs: the warm cache's ``cel`` side entry.

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
"""

from __future__ import annotations

import json
from collections.abc import Callable

from .cache import RunCache
from .core.fs import content_hash
from .core.records import SIDE_SHARDS, SideRecords, side_shard

SIDE = "cel"
#: kept records this run did not use (all shards together)
MAX_UNUSED = 4096


def record_key(rule: str, text: str) -> str:
    return content_hash(f"{rule}\0{text}".encode())


class KeptVerdicts:
    """The ``cel`` side entry of one run: what ``schema.cel`` asks it and tells it."""

    def __init__(self, side: SideRecords):
        self.side = side
        self.used: set[str] = set()
        self.new: dict[str, tuple[str, bool | None, int]] = {}  # key -> (value text, verdict, steps)

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
        key = record_key(rule, text)
        if self.side.get(key) is not None:
            self.used.add(key)
        else:
            self.new[key] = (text, verdict, steps)

    def merge(self, new: dict[str, tuple[str, bool | None, int]], used: set[str]) -> None:
        """What a worker process's rules found and made (``lint.Linter._rules_share``)."""
        self.new.update(new)
        self.used |= used

    def store(self, warm: RunCache, holds: Callable[[str], bool]) -> None:
        """Write back the shards this run changed: the verdicts it used and made (not one
        of a value ``holds`` tells holds a secret's value), then the newest unused ones."""
        if not self.new:
            return
        side = self.side
        new: dict[int, list[tuple[str, str]]] = {}
        for key, (text, verdict, steps) in self.new.items():
            if not holds(text):
                new.setdefault(side_shard(key), []).append((key, json.dumps([verdict, steps])))
        shards: dict[int, list[tuple[str, str]]] = {}
        for shard in sorted(new):
            kept = side.rows(shard)  # its whole records, in order
            used = [row for row in kept if row[0] in self.used]
            unused = [row for row in kept if row[0] not in self.used]
            # in the order the next run's ``unused`` keeps first: this run's, then the others'
            shards[shard] = used + sorted(new[shard]) + unused[: MAX_UNUSED // SIDE_SHARDS]
        warm.write_records(SIDE, side, shards)
