"""Field positions kept between lint runs: the warm cache's ``positions`` side entry.

A finding on a field (a Kustomization's ``spec.dependsOn`` for crd-order, a value's key)
gives that field's line and column, which :meth:`load.loader.DocumentCache.finding_position`
finds by composing the document's YAML node tree again: the loader keeps no node trees
(load/loader.py). A run after a one-file change composed them again for every finding,
in every unchanged file: 3 to 4% of such a run on the corpus's largest repositories
(gavinmcfall's 106 crd-order findings, hmcts').

A position is a pure function of the file's bytes, of the document (its index and first
line), of the field's path, and of the tool, which every shard's header names. A record's
key is a digest of the file's content hash (the warm cache's walk's), the document and
the path; its payload is ``line,column``. A position is kept only when the bytes it was
found in are the bytes the walk hashed (a file saved during the run is not kept under
its old hash), and not when the path holds what the run's redactor masks (a field's
name, never its value, but checked as every side entry's text is).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import NamedTuple

from .core.data import Origin
from .core.fs import content_hash
from .core.records import KeptPayloads, SideRecords

SIDE = "positions"


class PositionKey(NamedTuple):
    """A position's record key, the text it is made of besides the file's hash (the path:
    checked for a secret's value before it is kept), and that hash, the walk's."""

    digest: str
    text: str
    file_hash: str


class KeptPositions(KeptPayloads):
    """The ``positions`` side entry of one run, over the walk's content hashes."""

    def __init__(self, side: SideRecords, hashes: Mapping[str, str]):
        super().__init__(side, SIDE)
        self.hashes = hashes

    def key(self, origin: Origin, path: tuple) -> PositionKey | None:
        """The position's key; None: not kept (a file the walk did not hash, a path step
        that is not a key or an index)."""
        file_hash = self.hashes.get(origin.file)
        if file_hash is None or not all(type(step) in (str, int) for step in path):
            return None
        text = json.dumps(list(path))
        digest = content_hash(f"{file_hash}\0{origin.doc_index}\0{origin.line}\0{text}".encode())
        return PositionKey(digest, text, file_hash)

    def get(self, key: str) -> tuple[int, int] | None:
        """The kept position, or None: not kept, or a record not of this form (a miss)."""
        payload = self.side.get(key)
        if payload is None:
            return None
        line, _, column = payload.partition(",")
        if not (line.isdigit() and column.isdigit() and line.isascii() and column.isascii()):
            return None
        self.used.add(key)
        return int(line), int(column)

    def add(self, key: PositionKey, position: tuple[int, int], raw_hash: str | None) -> None:
        """Keep ``position``, found in bytes of content hash ``raw_hash``: only when those are
        the bytes the walk hashed (a file saved during the run is not kept under its old hash)."""
        if raw_hash == key.file_hash:
            self.put(key.digest, key.text, f"{position[0]},{position[1]}")
