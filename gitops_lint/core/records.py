"""A warm-cache side entry's records: many small JSON texts by key, in a few shard files.

The finer caches (parsed files, kustomize builds: ``gitops_lint.cache``) keep
one record per parse or build. A run after a one-file change uses nearly all
of them and changes a few: a record is one line of one of ``SIDE_SHARDS``
files, chosen by its key, so the run rewrites only the shards whose records
changed, and reads a record's text without decoding the others.

Here: the shard of a key, a record's checksum, and the records as read
(:class:`SideRecords`). Reading and writing the files is the cache's
(``gitops_lint.cache``); what a record holds is its store's.
"""

from __future__ import annotations

import json
import zlib

#: a side entry is split in this many shards by its records' keys
SIDE_SHARDS = 16
#: the most text one shard holds: the cache does not read a file over ``cache.MAX_ENTRY_BYTES``
#: (64 MiB), and each record's line adds its key and checksum
MAX_SHARD_CHARS = 48 * 1024 * 1024


def side_shard(key: str) -> int:
    """The shard of a side entry that holds the record of ``key``."""
    return zlib.crc32(key.encode()) % SIDE_SHARDS


def record_checksum(key: str, payload: str) -> str:
    """What tells a whole record from a damaged one (a shard cut short, a byte changed on
    disk): CRC-32 of key and payload. Not a digest: the cache is no defence against who
    can write it (``gitops_lint.cache`` says what it trusts), and a run after a change
    checks every record it uses, megabytes of them (blake2b cost hmcts ~1.6 ms a MB,
    CRC-32 a seventh of that)."""
    return format(zlib.crc32(str(payload).encode(), zlib.crc32(f"{key}\t".encode())), "08x")


def fits(key: str, payload: str) -> bool:
    """Whether a record can be written as one line of a shard (ASCII JSON always can)."""
    return (
        key.isascii()
        and payload.isascii()
        and "\t" not in key
        and "\n" not in key
        and "\n" not in payload
        and bool(key)
    )


def within(rows: list[tuple[str, str]], room: int) -> list[tuple[str, str]]:
    """The first of ``rows`` (key, payload) whose payloads hold no more than ``room``
    characters together (:meth:`SideRecords.room`): what a store writes of a shard."""
    out, size = [], 0
    for row in rows:
        size += len(row[1])
        if size > room:
            break
        out.append(row)
    return out


class SideRecords:
    """A side entry's records as read: key -> payload text (JSON the store wrote).

    A shard is a header line (format, tool, cache instance, side entry and shard
    number: another one's shard holds nothing) and one line per record: its key,
    a checksum of key and payload, the payload, tab-separated. Reading a shard
    decodes nothing but its header; a record is checked against its checksum
    when it is used (:meth:`get`), so a damaged record is a miss and the
    records around it stay usable, and a record no run asks for is never decoded.
    """

    def __init__(self) -> None:
        self._rows: dict[str, tuple[str, str]] = {}  # key -> (checksum, payload), unchecked
        self._keys: dict[int, list[str]] = {}  # shard -> its keys, in their order
        self._sizes: dict[int, int] = {}  # shard -> the length of its records' text
        self.shards: set[int] = set()  # the shards read whole (a valid header)
        # the keys whose record matched its checksum (:meth:`get`): a run uses a record, then
        # its store carries it over, and neither hashes it a second time (:meth:`checksum`)
        self._checked: set[str] = set()

    @classmethod
    def from_rows(cls, rows: dict[str, str]) -> SideRecords:
        """Records held in memory (tests, a store made in one process), as if read."""
        records = cls()
        for key, payload in rows.items():
            shard = side_shard(key)
            records.shards.add(shard)
            records._rows[key] = (record_checksum(key, payload), payload)
            records._keys.setdefault(shard, []).append(key)
            records._sizes[shard] = records._sizes.get(shard, 0) + len(payload)
        return records

    def add_shard(self, shard: int, data: bytes | None, header: dict) -> None:
        if data is None:
            return
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            return
        end = text.find("\n")
        try:
            if json.loads(text if end < 0 else text[:end]) != header:
                return
        except (ValueError, RecursionError):
            return
        self.shards.add(shard)
        keys = self._keys[shard] = []
        size = 0
        # each line: key, checksum, payload, tab-separated (the payload may hold tabs). Found
        # by offsets into the text, not split: a shard of builds holds megabytes of payloads,
        # which splitting into lines and then fields would copy twice more
        rows, find, n = self._rows, text.find, len(text)
        pos = n if end < 0 else end + 1
        while pos < n:
            stop = find("\n", pos)
            if stop < 0:
                stop = n
            tab = find("\t", pos, stop)
            tab2 = find("\t", tab + 1, stop) if tab >= 0 else -1
            if tab2 >= 0:
                key = text[pos:tab]
                if side_shard(key) == shard and key not in rows:
                    rows[key] = (text[tab + 1 : tab2], text[tab2 + 1 : stop])
                    keys.append(key)
                    size += stop - tab2 - 1
            pos = stop + 1
        self._sizes[shard] = size

    def get(self, key: str) -> str | None:
        """The payload of ``key``, when its record is whole; None otherwise."""
        row = self._rows.get(key)
        if row is None:
            return None
        if key not in self._checked:
            if record_checksum(key, row[1]) != row[0]:
                return None
            self._checked.add(key)
        return row[1]

    def checksum(self, key: str, payload: str) -> str:
        """The checksum of a record ``(key, payload)`` to write: the one read with it, when
        :meth:`get` checked that record and ``payload`` is its payload; computed otherwise."""
        row = self._rows.get(key)
        if row is not None and key in self._checked and row[1] == payload:
            return row[0]
        return record_checksum(key, payload)

    def unchecked(self, key: str) -> str:
        """The payload of ``key`` as read, not checked: for a scan that can only drop it."""
        return self._rows[key][1]

    def __iter__(self):
        return iter(self._rows)

    def shard_keys(self, shard: int) -> list[str]:
        return self._keys.get(shard, [])

    def rows(self, shard: int) -> list[tuple[str, str]]:
        """The whole records of ``shard``, in order (what writing it unchanged would write)."""
        out = []
        for key in self.shard_keys(shard):
            payload = self.get(key)
            if payload is not None:
                out.append((key, payload))
        return out

    def room(self, shard: int, limit: int) -> int:
        """The text ``shard`` may hold when the side entry's records hold at most ``limit``
        together (the other shards as read; one shard at most ``MAX_SHARD_CHARS``)."""
        others = sum(self._sizes.values()) - self._sizes.get(shard, 0)
        return max(0, min(limit - others, MAX_SHARD_CHARS))

    def rows_as_read(self, shard: int) -> list[tuple[str, str]]:
        """The records of ``shard`` as read, unchecked: a shard to write that equals them is
        left as it is (one whose damaged record the store left out does not)."""
        rows = self._rows
        return [(key, rows[key][1]) for key in self.shard_keys(shard)]

    def __contains__(self, key: str) -> bool:
        return key in self._rows

    def __len__(self) -> int:
        return len(self._rows)


class KeptPayloads:
    """Records a run looks up by key and adds to, written back after it (a store over one
    side entry's :class:`SideRecords`): the records it used first, then those it made
    (``new``: key -> (the text its key was made of that may hold a secret's value, the
    value), encoded by :meth:`encode` when written), then the newest it did not use, at most
    ``max_unused`` of those (all shards together). A record made from a text holding a value
    the run's redactor masks is not kept, not even as a digest of it."""

    #: kept records this run did not use (all shards together)
    max_unused = 4096
    #: about the most text all records may hold together (None: not bounded)
    max_chars: int | None = None
    #: the payloads may hold a document's values (not only digests): one that holds what the
    #: redactor masks is not written, and a kept one is dropped
    purge_tainted = False

    def __init__(self, side: SideRecords, name: str):
        self.side = side
        self.name = name  # the side entry
        self.used: set[str] = set()
        self.new: dict[str, tuple[str, object]] = {}

    def payload(self, key: str) -> str | None:
        """The record's payload, when it is whole (then the run used it)."""
        payload = self.side.get(key)
        if payload is not None:
            self.used.add(key)
        return payload

    def put(self, key: str, text: str, value: object) -> None:
        if self.side.get(key) is not None:
            self.used.add(key)
        else:
            self.new[key] = (text, value)

    def merge(self, new: dict[str, tuple[str, object]], used: set[str]) -> None:
        """What a worker process found and made."""
        self.new.update(new)
        self.used |= used

    def encode(self, value: object) -> str | None:
        """A new record's payload (None: not kept)."""
        return value if isinstance(value, str) else None

    def store(self, warm, holds) -> None:
        """Write back the shards this run changed (``warm.write_records``); ``holds`` tells a
        text holding a value the run's redactor masks (``core.redact.tainted_matcher``)."""
        side = self.side
        purge = {k for k in side if holds(side.unchecked(k))} if self.purge_tainted else set()
        if not self.new and not purge:
            return
        new: dict[int, list[tuple[str, str]]] = {}
        checked: dict[str, bool] = {}  # one text is shared by many records (a Kustomization's variables)
        for key, (text, value) in self.new.items():
            secret = checked.get(text)
            if secret is None:
                secret = checked[text] = bool(holds(text))
            payload = None if secret else self.encode(value)
            if payload is None or not fits(key, payload) or (self.purge_tainted and holds(payload)):
                continue
            new.setdefault(side_shard(key), []).append((key, payload))
        shards: dict[int, list[tuple[str, str]]] = {}
        for shard in sorted(set(new) | {side_shard(k) for k in purge}):
            kept = [row for row in side.rows(shard) if row[0] not in purge]  # its whole records, in order
            used = [row for row in kept if row[0] in self.used]
            unused = [row for row in kept if row[0] not in self.used]
            # in the order the next run's ``unused`` keeps first: this run's, then the others'
            rows = used + sorted(new.get(shard, ())) + unused[: self.max_unused // SIDE_SHARDS]
            shards[shard] = rows if self.max_chars is None else within(rows, side.room(shard, self.max_chars))
        warm.write_records(self.name, side, shards)
