"""What a lint run learned of the repository tree, and whether a tree still answers alike.

A run reads the tree only through :class:`~gitops_lint.core.fs.RepoFS` and,
for a file whose parse or build the warm cache kept, through the content hash
the cache's walk took (``load.parsed``, ``render.memo``). Recording there every
question the run asked (does this path exist, what does this directory hold,
which YAML files are under it, what is this file's content, where does this
path lead) with the answer it got gives what the run's output is a function
of, beside the tool, the config and the paths linted (the warm cache's key).
When a later tree gives every one of those questions the same answer, the run
would print the same thing: a commit that changed only files no stage of the
run read (documentation, an image; discovery reads YAML, Terraform, shell and make files)
reuses the result.

An answer is plain JSON: a file by its content hash (or, read through
``RepoFS.derive``, by what a pure function of its bytes gave: a filter's
verdict, so that a change keeping it keeps the answer), a directory by its
sorted names, a failure by its exception's name. :func:`still_answers` asks the
questions again of the tree as it is now (``stat``, ``lstat``, listings: a
system call each, no file read when the walk hashed it). When it does not (a
file a render reads changed), the run that follows still takes what its
derive questions got for every file of unchanged content
(:meth:`Observations.derived`): discovery's filters read only what changed.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping

from .fs import FileTooLarge, RepoFS, content_hash, walked_hash
from .questions import (
    DERIVE,
    EXISTS,
    HASH,
    ISDIR,
    ISFILE,
    LISTDIR,
    READ,
    REAL,
    RELPATH,
    WALK,
    failure,
    function_named,
)


class Observations:
    """The questions one run asked of the tree, each with its first answer, in order."""

    def __init__(self, root: str, hashes: Mapping[str, str] | None = None, earlier: list | None = None):
        self.root = root
        self.hashes = hashes or {}  # the warm cache's walk: what a file read is known by
        # what the derive questions of an earlier run of the same config and paths got
        # (``earlier``: its questions, as stored), for the files whose content is unchanged
        self._derived = _derived_answers(earlier or [])
        self.asked: dict[tuple, object] = {}
        # the run asked something no question says (every file's hash at once): not kept
        self.unanswerable = False
        self.closed = False  # the run is over: what is read now (the stores) is not its

    @contextlib.contextmanager
    def aside(self):
        """What is read inside is not the run's: the stores of its caches, which the command
        line makes before the run's last questions (the fixes it plans for ``[*]``)."""
        closed, self.closed = self.closed, True
        try:
            yield
        finally:
            self.closed = closed

    def note(self, question: tuple, answer: object) -> None:
        if not self.closed:
            self.asked.setdefault(question, answer)

    def content(self, real: str, data: bytes) -> str:
        """A file's answer: its content hash, the walk's when it hashed that file (``real``:
        the file's path after symlinks, under the root)."""
        known = walked_hash(self.hashes, real[len(self.root) + 1 :].replace(os.sep, "/"))
        return known if known is not None else content_hash(data)

    def derived(self, question: tuple) -> list | None:
        """The answer ``[content hash, value]`` of a derive question (``RepoFS.derive``) that
        an earlier run got for the content the walk hashed now, or None: the function is
        pure, so the same bytes give the same value, and a run after a one-file change
        reads again only the files that changed for discovery's filters."""
        _, rel, name, args = question
        known = self._derived.get((rel, name, _args_key(args)))
        if known is None or walked_hash(self.hashes, rel) != known[0]:
            return None
        return [known[0], _plain(known[1])]

    # -- a run in worker processes (lint.Linter) ---------------------------------------
    def mark(self) -> int:
        return len(self.asked)

    def since(self, mark: int) -> list[tuple[tuple, object]]:
        return list(self.asked.items())[mark:]

    def merge(self, items: list[tuple[tuple, object]] | None) -> None:
        """A worker's questions (:meth:`since`); None, a worker that did not say them: the
        run's questions are then not all known."""
        if items is None:
            self.unanswerable = True
            return
        for question, answer in items:
            self.note(question, answer)

    def to_json(self) -> list:
        return [[*q, a] for q, a in self.asked.items()]


class RecordedHashes(Mapping):
    """The walk's content hashes as the finer caches read them, each read noted."""

    def __init__(self, hashes: Mapping[str, str], observed: Observations):
        self._hashes = hashes
        self._observed = observed

    def __getitem__(self, rel: str) -> str:
        value = self._hashes.get(rel)
        self._observed.note((HASH, rel), value)
        if value is None:
            raise KeyError(rel)
        return value

    def get(self, rel, default=None):
        value = self._hashes.get(rel)
        self._observed.note((HASH, rel), value)
        return default if value is None else value

    def __contains__(self, rel) -> bool:
        return self.get(rel) is not None

    def __iter__(self) -> Iterator[str]:
        self._everything()
        return iter(self._hashes)

    def __len__(self) -> int:
        self._everything()
        return len(self._hashes)

    def values(self):
        self._everything()
        return self._hashes.values()

    def _everything(self) -> None:
        """Every file's hash at once, during the run: no question says that much."""
        if not self._observed.closed:
            self._observed.unanswerable = True


def still_answers(questions: list, root: str, max_file_bytes: int, hashes: Mapping[str, str]) -> bool:
    """Whether the tree at ``root`` (its walk: ``hashes``) answers every question as recorded
    (:meth:`Observations.to_json`); False on any question not of that form."""
    fs = RepoFS(root, max_file_bytes)
    rest = []
    for row in questions:  # first what the walk's hashes answer alone: a changed file says no at once
        if not isinstance(row, list) or len(row) < 2 or not isinstance(row[0], str):
            return False
        kind = row[0]
        if kind in (HASH, READ):
            if len(row) != 3 or not isinstance(row[1], str):
                return False
            if kind == HASH:
                if hashes.get(row[1]) != row[2]:
                    return False
                continue
            if not isinstance(row[2], str):
                return False
            # a path the walk hashed is a file reached through directories only: read, it is
            # that content (of the size the answer's hash had, within the limit if it was)
            walked = walked_hash(hashes, row[1])
            if walked is not None and not row[2].startswith("!"):
                if walked != row[2]:
                    return False
                continue
        elif kind == DERIVE:
            # [derive, rel, function, args, [content hash, value] or a failure]: the same
            # content gives the same value; another content is read and asked again below
            if len(row) != 5 or not isinstance(row[1], str) or not isinstance(row[3], list):
                return False
            recorded = row[4]
            if isinstance(recorded, list):
                if len(recorded) != 2:
                    return False
                if hashes.get(row[1]) == recorded[0] and isinstance(recorded[0], str):
                    continue
                row = [*row[:4], recorded[1]]  # the value alone is compared
        rest.append(row)
    for row in rest:
        *question, recorded = row
        try:
            now = _ask(fs, question, hashes)
        except Exception:  # noqa: BLE001 - a question not of the form written: not answered alike
            return False
        if _plain(now) != recorded:
            return False
    return True


def _derived_answers(questions: list) -> dict[tuple[str, str, str], list]:
    """``(file, function, args as JSON) -> [content hash, value]`` of the derive questions
    among ``questions`` (:meth:`Observations.to_json`, read back) that got a value; a row
    not of that form is left out."""
    out: dict[tuple[str, str, str], list] = {}
    for row in questions:
        if not (isinstance(row, list) and len(row) == 5 and row[0] == DERIVE):
            continue
        _, rel, name, args, recorded = row
        if not (isinstance(rel, str) and isinstance(name, str) and isinstance(args, list)):
            continue
        if isinstance(recorded, list) and len(recorded) == 2 and isinstance(recorded[0], str):
            out[(rel, name, _args_key(args))] = recorded
    return out


def _args_key(args: list | tuple) -> str:
    """A derive question's arguments as a key: the same for a tuple and the list JSON gives
    back (most questions have none)."""
    return json.dumps(args) if args else ""


def _plain(answer):
    """An answer as JSON gives it back (tuples are lists)."""
    if isinstance(answer, (list, tuple)):
        return [_plain(a) for a in answer]
    return answer


def _ask(fs: RepoFS, question: list, hashes: Mapping[str, str]):
    kind, *args = question
    if kind == HASH:
        (rel,) = args
        return hashes.get(rel)
    if kind == READ:
        (rel,) = args
        return read_answer(fs, rel, hashes)
    if kind == DERIVE:
        rel, name, fn_args = args
        fn = function_named(name)
        try:
            data = fs.read_bytes(rel)
        except Exception as exc:  # noqa: BLE001 - as RepoFS notes it: the kind is the answer
            return failure(exc)
        return fn(data, *fn_args)
    try:
        if kind == REAL:
            return fs._from_root(fs.real(args[0]))
        if kind == RELPATH:
            return fs.relpath(args[0])
        if kind == EXISTS:
            return fs.exists(args[0])
        if kind == ISDIR:
            return fs.isdir(args[0])
        if kind == ISFILE:
            return fs.isfile(args[0])
        if kind == LISTDIR:
            return list(fs.listing(args[0]))
        if kind == WALK:
            rel, suffixes, taken = args
            return walk_answer(fs, rel, tuple(suffixes), taken)
    except Exception as exc:  # noqa: BLE001 - as RepoFS notes it: the kind is the answer
        return failure(exc)
    raise ValueError(kind)


def read_answer(fs: RepoFS, rel: str, hashes: Mapping[str, str]) -> str:
    """``fs.read_bytes(rel)``'s answer without reading a file the walk hashed."""
    try:
        real = fs.real(rel)
        st = os.stat(real)
        if not os.path.isfile(real):
            raise IsADirectoryError(rel)
        if st.st_size > fs.max_file_bytes:
            raise FileTooLarge(rel)
        known = walked_hash(hashes, os.path.relpath(real, fs.root).replace(os.sep, "/"))
        if known is not None:
            return known
        with open(real, "rb") as fh:
            return content_hash(fh.read(fs.max_file_bytes + 1))
    except Exception as exc:  # noqa: BLE001 - as RepoFS notes it: the kind is the answer
        return failure(exc)


def walk_answer(fs: RepoFS, rel: str, suffixes: tuple[str, ...], taken: int | None) -> list:
    """``fs.walk_files``'s answer: the files it yields (the first ``taken``: a walk its caller
    stopped there; None: all of them), and the directories it could not list on the way."""
    got: list[str] = []
    unlistable: list[tuple[str, str]] = []
    walk = fs._walk(rel, suffixes, unlistable)
    if taken != 0:
        for name in walk:  # no further than the run's walk went: the same directories listed
            got.append(name)
            if taken is not None and len(got) == taken:
                break
    walk.close()
    return [got, sorted(set(unlistable))]
