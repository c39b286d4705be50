"""Parsed files kept between runs: a file's :class:`~.loader.LoadedFile` by its content hash.

A run that misses the warm-run cache (one file changed) would otherwise parse
every file again, about half of a run on repositories of large files. The
loader asks :class:`ParsedFiles` first: when the file's content hash (from the
cache key's own walk of the tree, no second read) has an entry, the entry is
the file's parse, exactly as :func:`~.loader.parse_text` returned it
(documents with their data, origins, end lines and disabled rules, load
errors, the ``key:``-without-value paths, the node counts the run's budget is
charged). Otherwise the loader parses the file and records the result here
for the next run.

**An entry** is the JSON text of one parse, keyed by the content hash, with
``/k`` appended for a kustomization file (read without kyaml's folding: the
same bytes parse differently). The text holds no path: the run's path is put
back into every origin and error on the way out, so two files of the same
content share one entry. Document data is stored as itself (JSON keeps its
key order: the text is made here, never re-sorted); a file with a value JSON
would change (a key that is not a string, a NaN, a tuple, a ``str``
subclass) is not stored and is parsed every run. A mapping or sequence the
documents reach twice (a YAML anchor used through an alias, a merge key's
values, a List's items) is one Python object in a parse, and stays one: it is
written at its first place only, and the entry's sixth field lists the other
places as links (:mod:`~gitops_lint.core.sharing`; an entry without it, as
every file sharing nothing has, is read as it always was). Each entry is
checked when it is used (:func:`decode`): a wrong shape, a link that does not
point back to a container written before its place (which could make a
cycle), or links that expand past the node counts the entry charges the run,
is a miss, never a crash, a hang nor a wrong parse.

**Secrets.** A file that may hold a value read from a Secret is never stored
(:func:`holds_secret`, and the run's own secret inventory at write time, see
``Linter.store_warm``): it is parsed every run.

Nothing here knows about the cache directory: the command line hands the
loader the walk's hashes and the stored entries (records of the side entry's
shards, :mod:`~gitops_lint.core.records`: an entry's text is decoded when its
file is loaded, and checked against its checksum then), and writes back
through the warm-run cache (``gitops_lint.cache``) the shards
:meth:`ParsedFiles.shards` names: those that gain or lose an entry, so that a
one-file change rewrites one or two of sixteen.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping

from ..core.budget import MAX_DEPTH, MAX_FILE_NODES
from ..core.data import Document, LoadError, Origin
from ..core.fs import OutsideRoot, content_hash, normalize, walked_hash
from ..core.records import SIDE_SHARDS, SideRecords, side_shard, within
from ..core.sharing import apply_links, expanded_within, links, with_slots

#: the suffix of a kustomization file's key (parsed without kyaml's folded scalars)
KUSTOMIZATION_SUFFIX = "/k"

#: an entry with links is kept when its text is at most this many times its file's bytes
#: (+1 KB): data is written once, but the ``key:``-without-value paths are counted through
#: every alias (at most 1.6 on the 417 such files of 22 real repositories)
MAX_LINKED_RATIO = 4
#: the entries' text kept at most, together: a run reads them all
MAX_STORED_CHARS = 24 * 1024 * 1024
# chart values that model.secrets judges as passwords wherever they are (HELM_PASSWORD_KEYS)
PASSWORD_KEYS = frozenset({"adminPassword", "rootPassword", "postgresPassword", "replicationPassword"})
# a Secret manifest (or patch) written inside a string: an inline kustomize patch, a chart's
# extraObjects template, embedded YAML or JSON
_SECRET_IN_TEXT = re.compile(r"""kind["']?\s*:\s*["']?Secret\b""")


def holds_secret(documents: Iterable[Document]) -> bool:
    """Whether a file with these documents may hold a value read from a Secret.

    Broader than :mod:`gitops_lint.model.secrets` on purpose (a file wrongly
    left out is only parsed again): a document of kind ``Secret`` (any
    apiVersion), a SOPS-encrypted document (its ``sops`` metadata, or any
    value that is SOPS ciphertext), and anywhere in a document: a mapping of
    kind ``Secret`` with ``data`` or ``stringData`` (a manifest embedded in
    chart values), a patch whose ``target`` is of kind ``Secret``, a string
    that writes ``kind: Secret`` (an inline patch), a chart password key, a
    kustomize ``secretGenerator`` (its literals are Secret values; the key
    case-folded, as encoding/json matches a field name).
    """
    seen: set[int] = set()  # containers walked: one shared through aliases is walked once
    for doc in documents:
        data = doc.data
        if isinstance(data, dict) and (data.get("kind") == "Secret" or "sops" in data):
            return True
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, (dict, list)):
                if id(node) in seen:
                    continue
                seen.add(id(node))
            if isinstance(node, dict):
                kind = node.get("kind")
                if kind == "Secret" and ("data" in node or "stringData" in node):
                    return True
                target = node.get("target")
                if isinstance(target, dict) and target.get("kind") == "Secret":
                    return True
                for key, value in node.items():
                    if key in PASSWORD_KEYS or (isinstance(key, str) and key.casefold() == "secretgenerator"):
                        return True
                    if isinstance(value, (dict, list)):
                        stack.append(value)
                    elif isinstance(value, str) and _secret_text(value):
                        return True
            elif isinstance(node, list):
                for value in node:
                    if isinstance(value, (dict, list)):
                        stack.append(value)
                    elif isinstance(value, str) and _secret_text(value):
                        return True
            elif isinstance(node, str) and _secret_text(node):
                return True
    return False


def _secret_text(text: str) -> bool:
    return ("ENC[" in text) or ("Secret" in text and _SECRET_IN_TEXT.search(text) is not None)


def encode(documents: list[Document], errors: list[LoadError], empty_nulls: dict, sizes: dict, size: int):
    """The entry text of one parse of a file of ``size`` bytes, or None when it must not be
    stored (see the module's docstring)."""
    roots = [d.data for d in documents]
    shared = links(roots)
    if shared is None or holds_secret(documents):
        return None
    data = with_slots(roots, shared) if shared else roots
    position = {id(d.data): i for i, d in enumerate(documents)}
    nulls = []
    for ident, paths in empty_nulls.items():
        # an entry of a List document whose items were unwrapped names no document left: dropped
        if ident in position:
            nulls.append([position[ident], sorted([list(p) for p in paths], key=_path_key)])
    entry = [
        size,
        [
            [value, d.origin.line, d.origin.doc_index, d.end_line, sorted(d.disabled_rules)]
            for value, d in zip(data, documents)
        ],
        [[e.line, e.column, e.message] for e in errors],
        sorted(nulls, key=lambda n: n[0]),
        [[index, nodes] for index, nodes in sizes.items()],
    ]
    if shared:  # (a file that shares nothing has the entry it always had)
        entry.append(shared)
    try:
        # ASCII, one line: a record of a shard (core.records)
        text = json.dumps(entry, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return None
    if shared and len(text) > MAX_LINKED_RATIO * size + 1024:
        return None  # the empty-key paths of an alias bomb, say: more to read than to parse
    return text


def _path_key(path: list) -> list:
    return [(0, p) if isinstance(p, int) else (1, p) for p in path]


def _refuse_constant(name: str):
    raise ValueError(f"not JSON: {name}")


# one decoder for every entry (``json.loads`` with an option builds a new one per call)
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def _is_int(v) -> bool:
    return type(v) is int


def decode(text: str, rel: str, max_bytes: int):
    """(documents, errors, empty_nulls, sizes) of an entry for file ``rel``; None when the
    entry is not of the shape :func:`encode` writes, or the file is over ``max_bytes``."""
    try:
        entry = _DECODER.decode(text)
        if not isinstance(entry, list) or len(entry) not in (5, 6):
            return None
        size, docs, errors, nulls, sizes = entry[:5]
        if not _is_int(size) or size > max_bytes:
            return None  # a smaller --max-file-bytes now: the loader reports the file as too large
        if not isinstance(docs, list):
            return None
        for d in docs:
            if not (isinstance(d, list) and len(d) == 5):
                return None
            _, line, index, end, rules = d
            if not (_is_int(line) and _is_int(index) and _is_int(end) and isinstance(rules, list)):
                return None
            if not all(isinstance(r, str) for r in rules):
                return None
        roots = [d[0] for d in docs]
        if len(entry) == 6 and not _linked(roots, entry[5], sizes):
            return None
        documents = [
            Document(data, Origin(rel, d[1], d[2]), d[3], frozenset(d[4])) for data, d in zip(roots, docs)
        ]
        load_errors = []
        for e in errors:
            if not (isinstance(e, list) and len(e) == 3 and _is_int(e[0]) and _is_int(e[1])):
                return None
            if not isinstance(e[2], str):
                return None
            load_errors.append(LoadError(rel, e[0], e[1], e[2]))
        empty: dict[int, frozenset[tuple]] = {}
        for n in nulls:
            if not (isinstance(n, list) and len(n) == 2 and _is_int(n[0]) and isinstance(n[1], list)):
                return None
            if not 0 <= n[0] < len(documents) or not all(_is_path(p) for p in n[1]):
                return None
            empty[id(documents[n[0]].data)] = frozenset(tuple(p) for p in n[1])
        counts: dict[int, int] = {}
        for s in sizes:
            if not (isinstance(s, list) and len(s) == 2 and _is_int(s[0]) and _is_int(s[1])):
                return None
            counts[s[0]] = s[1]
        return documents, load_errors, empty, counts
    except (ValueError, TypeError, RecursionError):
        return None


def _linked(roots: list, shared, sizes) -> bool:
    """Whether ``shared`` are links (:mod:`~gitops_lint.core.sharing`) that are put back
    into ``roots``, and what they make expands to no more than the stored node counts
    charge the run (no more than the loader lets a file expand to, nor nest deeper)."""
    if not isinstance(sizes, list) or not all(isinstance(s, list) and len(s) == 2 for s in sizes):
        return False  # (checked again, as any entry's, by the caller)
    charged = sum(s[1] for s in sizes if _is_int(s[1]))
    if not apply_links(roots, shared):
        return False
    return expanded_within(roots, min(charged, MAX_FILE_NODES), MAX_DEPTH)


def _is_path(path) -> bool:
    return isinstance(path, list) and all(type(p) is str or type(p) is int for p in path)


class ParsedFiles:
    """The stored parses one run may use, and the parses it made that may be stored.

    ``hashes``: root-relative path -> content hash of every regular file, as
    the warm-run cache's walk saw it (the tree the run's key was made of).
    ``stored``: entry key -> entry text, from the last runs that wrote them
    (:class:`~gitops_lint.core.records.SideRecords`: a damaged one is absent).
    """

    def __init__(self, hashes: Mapping[str, str], stored: SideRecords | None = None):
        self.hashes = hashes
        self.stored = stored if stored is not None else SideRecords()
        # entry key -> (entry text, the paths parsed with that content this run)
        self.new: dict[str, tuple[str, set[str]]] = {}
        # files of this run whose parse came from a stored entry (tests, measurements)
        self.hits: set[str] = set()
        self.used: set[str] = set()  # the keys of those entries

    @classmethod
    def from_records(cls, hashes: Mapping[str, str], records: SideRecords) -> ParsedFiles:
        """The store over a side entry's records (a record is checked when it is used)."""
        return cls(hashes, records)

    def key(self, rel: str, kyaml: bool) -> str | None:
        """The entry key of file ``rel`` in this tree; None for a path the walk did not hash as
        written (a symlink, a path through one, an unnormalised path)."""
        value = walked_hash(self.hashes, rel)
        if value is None:
            return None
        try:
            if normalize(rel) != rel:  # the loader reads normalize(rel): maybe another file
                return None
        except OutsideRoot:
            return None
        return value if kyaml else value + KUSTOMIZATION_SUFFIX

    def lookup(self, rel: str, kyaml: bool, max_bytes: int):
        """The stored parse of ``rel`` (see :func:`decode`), or None."""
        key = self.key(rel, kyaml)
        text = self.stored.get(key) if key is not None else None
        if text is None:
            return None
        parts = decode(text, rel, max_bytes)
        if parts is not None:
            self.hits.add(rel)
            self.used.add(key)
        return parts

    def record(self, rel: str, kyaml: bool, raw: bytes, documents, errors, empty_nulls, sizes) -> None:
        """Keep this run's parse of ``rel`` (whose bytes were ``raw``) for storing."""
        key = self.key(rel, kyaml)
        if key is None:
            return
        if key in self.new:
            self.new[key][1].add(rel)
            return
        if content_hash(raw) != self.hashes[rel]:
            return  # changed since the walk: the run's key is of the other content
        text = encode(documents, errors, empty_nulls, sizes, len(raw))
        if text is not None:
            self.new[key] = (text, {rel})

    # -- a run's files loaded in worker processes (``Linter._build_share``) ------------------
    def mark(self) -> tuple:
        """What this run recorded so far, for :meth:`since` (in a worker, as it starts)."""
        return {k: len(rels) for k, (_, rels) in self.new.items()}, set(self.hits), set(self.used)

    def since(self, mark: tuple) -> tuple:
        """What this run recorded after ``mark``, in its order, for :meth:`merge`."""
        counts, hits, used = mark
        new = [(k, v) for k, v in self.new.items() if counts.get(k) != len(v[1])]  # paths only grow
        return new, self.hits - hits, self.used - used

    def merge(self, recorded: tuple) -> None:
        """Take over what a worker recorded (:meth:`since`) as if this run had loaded its
        files after its own: a parse new here is appended (the entries' order is the order
        one process would have recorded them in), one of a content recorded already adds
        its paths."""
        new, hits, used = recorded
        for key, (text, rels) in new:
            if key in self.new:
                self.new[key][1].update(rels)
            else:
                self.new[key] = (text, set(rels))
        self.hits |= hits
        self.used |= used

    def shards(
        self, secret_files: set[str], holds: Callable[[str], bool] = lambda _text: False
    ) -> dict[int, list[tuple[str, str]]]:
        """The shards of the side entry to write (each its whole list of ``(key, text)``):
        those that gain an entry of this run or must lose one; empty when none does.

        Kept in a shard written: the entries of content still in the tree. Left out, stored
        or new: every entry of the content of ``secret_files`` (files the run's secret
        inventory read values from), and every entry whose text holds one of the values
        the run's redactor masks (the value of a Secret written again in a ConfigMap) in
        any of its forms: ``holds`` (``core.redact.tainted_matcher``); a stored entry that
        does is dropped now, whatever shard it is in. An entry of content no longer in the
        tree goes when its shard is next written, or now when such entries are a quarter of
        their shard. A shard written keeps the whole side entry under ``MAX_STORED_CHARS``
        (the other shards as read): the entries this run used first.
        """
        stored = self.stored
        present = set(self.hashes.values())
        secret = {self.hashes[f] for f in secret_files if f in self.hashes}
        new = {
            k: text
            for k, (text, rels) in self.new.items()
            if not (rels & secret_files) and _content(k) not in secret and not holds(text)
        }
        purge = {k for k in stored if _content(k) in secret or holds(stored.unchecked(k))}
        touched = {side_shard(k) for k in new} | {side_shard(k) for k in purge}
        for shard in range(SIDE_SHARDS):
            keys = stored.shard_keys(shard)
            if shard not in touched and 4 * sum(_content(k) not in present for k in keys) > max(len(keys), 8):
                touched.add(shard)
        out: dict[int, list[tuple[str, str]]] = {}
        for shard in sorted(touched):
            limit = stored.room(shard, MAX_STORED_CHARS)
            rows = {
                k: stored.get(k)
                for k in stored.shard_keys(shard)
                if k not in purge and _content(k) in present
            }
            rows.update((k, text) for k, text in new.items() if side_shard(k) == shard)
            files = {k: text for k, text in rows.items() if text is not None}
            if sum(map(len, files.values())) > limit:
                # the entries this run used first, then by key: a shard the cache would not
                # read back (cache.MAX_ENTRY_BYTES) would cost every run a write and save nothing
                order = sorted(files, key=lambda k: (k not in self.used and k not in new, k))
                files = dict(within([(k, files[k]) for k in order], limit))
            out[shard] = list(files.items())
        return out


def _content(key: str) -> str:
    return key.removesuffix(KUSTOMIZATION_SUFFIX)
