"""``core.records.SideRecords.add_shard``: a shard's lines read by offsets give what splitting
them gave (the reading it replaced, kept here as the oracle), for any text."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.core.records import SIDE_SHARDS, SideRecords, record_checksum, side_shard

HEADER = {"format": 2, "side": "parsed", "shard": 3}


def split_reading(shard: int, data: bytes, header: dict):
    """add_shard as it was: the text split into lines, each line partitioned at its tabs."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return None
    head, _, rest = text.partition("\n")
    try:
        if json.loads(head) != header:
            return None
    except (ValueError, RecursionError):
        return None
    rows, keys, size = {}, [], 0
    for line in rest.split("\n"):
        key, sep, row = line.partition("\t")
        checksum, sep2, payload = row.partition("\t")
        if sep and sep2 and side_shard(key) == shard and key not in rows:
            rows[key] = (checksum, payload)
            keys.append(key)
            size += len(payload)
    return rows, keys, size


def read(shard: int, data: bytes, header: dict):
    records = SideRecords()
    records.add_shard(shard, data, header)
    if shard not in records.shards:
        return None
    return records._rows, records.shard_keys(shard), records._sizes[shard]


PIECES = st.sampled_from(["\t", "\n", "k", "x", "0", "{}", "\t\t", "\n\n", "é", "[1]"])


@settings(max_examples=300, deadline=None)
@given(
    shard=st.integers(min_value=0, max_value=SIDE_SHARDS - 1),
    body=st.lists(st.one_of(PIECES, st.text(alphabet="ab\t\nc", max_size=8)), max_size=40),
    header_line=st.sampled_from([json.dumps(HEADER), "{", "", json.dumps({**HEADER, "shard": 4})]),
    trailing=st.booleans(),
)
def test_any_shard_text_reads_as_splitting_read_it(shard, body, header_line, trailing):
    text = header_line + ("\n" if header_line or body else "") + "".join(body) + ("\n" if trailing else "")
    data = text.encode("utf-8")
    assert read(shard, data, HEADER) == split_reading(shard, data, HEADER)


def test_records_of_a_written_shard():
    keys = [k for k in (f"key{i}" for i in range(200)) if side_shard(k) == 3][:5]
    payloads = [json.dumps([i, "a\tb"]) for i in range(len(keys))]  # JSON: a tab is escaped
    lines = ["\t".join([k, record_checksum(k, p), p]) for k, p in zip(keys, payloads)]
    data = (json.dumps(HEADER) + "\n" + "\n".join(lines) + "\n").encode()
    records = SideRecords()
    records.add_shard(3, data, HEADER)
    assert records.shard_keys(3) == keys
    assert [records.get(k) for k in keys] == payloads
    assert read(3, data, HEADER) == split_reading(3, data, HEADER)
