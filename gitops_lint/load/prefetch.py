"""YAML files parsed ahead by a second process while the run builds.

A repository with one cluster renders on one core, and parsing its files is a
fifth of a cold run (issue 18). A parse is a function of a file's bytes alone,
and it crosses a pipe about five times faster than it is made. So a run with a
second CPU starts a child process that walks the repository's YAML files from
the end of the walk backwards, parses each, and writes the parses back in small
batches; the run parses what it needs in its own order, from the front. Before
parsing a file, the run looks it up among the batches written so far (never
waiting for one), so the two meet in the middle.

* The child is a new interpreter (``posix_spawn``), not a fork: a forked child
  shares the run's memory pages, and every page the run then writes (a
  reference count) would be copied for it, which costs more than the parses
  save. It runs without ``site`` (the path is handed over), reads what
  ``RepoFS`` lets it read (inside the root, no symlinked directory), writes
  nothing but the pipe, and is ended with the run's builds.
* A parse is taken only for the very bytes the run read: the run still reads
  every file itself, so what it asks of the tree, what it records for the next
  run and every error it reports are its own, and a file changed between the two
  reads is parsed again. A batch is unpickled only when the run asks for one of
  its files.
* A child that cannot start, fails or is slow only leaves the run parsing
  everything itself. ``GITOPS_LINT_JOBS=1`` starts none.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import struct
import sys

from ..core.fs import RepoFS

#: parses a batch holds (small, so the run finds the first ones early)
BATCH = 24
#: the most the run takes from the child (pickled parses, bytes): in a repository far larger
#: than what the run reads (a monorepo linted one cluster at a time) the child's output is
#: mostly files the run never asks for, held until the run ends
MAX_BYTES = 256 << 20
#: a batch's header: the length of its file names, the length of its pickled parses
_HEADER = struct.Struct("!II")


class Prefetch:
    """The child process, and the batches it has handed over so far."""

    def __init__(self, root: str, max_file_bytes: int):
        self.root, self.max_file_bytes = root, max_file_bytes
        self.taken = 0  # parses the run took (tests, measurements)
        self._pid = 0
        self._read = -1
        self._buffer = bytearray()
        self._received = 0
        self._batches: dict[str, bytes] = {}  # a file not taken yet -> its batch, pickled
        self._parsed: dict[str, tuple[bytes, object]] = {}  # unpickled, not taken yet
        read, write = os.pipe()
        try:
            self._pid = _spawn(root, max_file_bytes, write)
        except (OSError, TypeError, ValueError):  # no interpreter to start, no process left
            os.close(read)
            return
        finally:
            os.close(write)
        os.set_blocking(read, False)
        self._read = read

    def take(self, rel: str, raw: bytes):
        """The child's parse of ``rel`` when it parsed exactly ``raw``; else None."""
        found = self._parsed.pop(rel, None)
        if found is None:
            if self._read >= 0:
                self._receive()
            batch = self._batches.get(rel)
            if batch is not None:
                self._unpickle(batch)
                found = self._parsed.pop(rel, None)
        if found is None or found[0] != raw:
            return None
        self.taken += 1
        return found[1]

    def _receive(self) -> None:
        """Index every whole batch written so far, never waiting for the child."""
        while True:
            try:
                chunk = os.read(self._read, 1 << 20)
            except BlockingIOError:
                break
            except OSError:
                self.stop()
                break
            if not chunk:  # the child is done
                self.stop()
                break
            self._buffer += chunk
            self._received += len(chunk)
            if self._received > MAX_BYTES:  # enough: what else the run needs, it parses itself
                self.stop()
                break
        buf, start = self._buffer, 0
        while len(buf) - start >= _HEADER.size:
            names, size = _HEADER.unpack_from(buf, start)
            end = start + _HEADER.size + names + size
            if len(buf) < end:
                break
            first = start + _HEADER.size
            batch = bytes(buf[first + names : end])
            for rel in bytes(buf[first : first + names]).decode("utf-8", "surrogateescape").split("\0"):
                self._batches[rel] = batch
            start = end
        del buf[:start]

    def _unpickle(self, batch: bytes) -> None:
        paused = gc.isenabled()
        gc.disable()  # many new containers, none of them garbage
        try:
            parses = pickle.loads(batch)
        except Exception:  # noqa: BLE001 - a damaged batch: its files are parsed by the run
            parses = []
        finally:
            if paused:
                gc.enable()
        for rel, raw, loaded in parses:
            if self._batches.pop(rel, None) is not None:
                self._parsed[rel] = (raw, loaded)

    def stop(self) -> None:
        """End the child; the batches handed over stay takeable."""
        if self._read >= 0:
            with contextlib.suppress(OSError):
                os.close(self._read)
            self._read = -1
        if self._pid:
            with contextlib.suppress(OSError):
                os.kill(self._pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(self._pid, 0)
            self._pid = 0


def _spawn(root: str, max_file_bytes: int, write: int) -> int:
    """Start :func:`main` in a new interpreter writing to ``write``; its process id."""
    # the package's own directory first: an editable install finds it through a hook of ``site``
    package_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = [package_parent, *sys.path]
    code = (
        f"import sys; sys.path[:0] = {path!r}; "
        f"from gitops_lint.load.prefetch import main; main({root!r}, {max_file_bytes!r})"
    )
    null = os.open(os.devnull, os.O_RDWR)
    try:
        return os.posix_spawn(
            sys.executable,
            [sys.executable, "-S", "-c", code],
            dict(os.environ),
            file_actions=[
                (os.POSIX_SPAWN_DUP2, null, 0),
                (os.POSIX_SPAWN_DUP2, write, 1),
                (os.POSIX_SPAWN_DUP2, null, 2),
            ],
        )
    finally:
        os.close(null)


def available() -> bool:
    """Whether this platform can run a child the way :class:`Prefetch` does."""
    return hasattr(os, "posix_spawn") and hasattr(os, "set_blocking") and bool(sys.executable)


def start(root: str, max_file_bytes: int) -> Prefetch | None:
    """A child parsing ahead of a run, or None: one CPU for the run (``GITOPS_LINT_JOBS=1``,
    the process's affinity), or a platform that cannot start one (:func:`available`)."""
    from ..core.forked import jobs

    if jobs(2) < 2 or not available():
        return None
    return Prefetch(root, max_file_bytes)


def main(root: str, max_file_bytes: int) -> None:
    """The child: every YAML file of the walk, last first, parsed and written in batches to
    standard output (the pipe). It ends when done, or when the run ends it."""
    from .loader import decode_text, kyaml_file, parse_text

    gc.disable()  # parses are kept until written: nothing to collect
    fs = RepoFS(root, max_file_bytes)
    out = sys.stdout.fileno()
    batch: list = []
    for rel in reversed(list(fs.walk_files(""))):
        try:
            raw = fs.read_bytes(rel)
            text = decode_text(raw)
        except Exception:  # noqa: BLE001,S112 - unreadable, too large, not UTF-8: the run says so
            continue
        batch.append((rel, raw, parse_text(text, rel, kyaml=kyaml_file(rel))))
        if len(batch) >= BATCH:
            _send(out, batch)
            batch = []
    if batch:
        _send(out, batch)


def _send(out: int, batch: list) -> None:
    names = "\0".join(rel for rel, _, _ in batch).encode("utf-8", "surrogateescape")
    data = pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(names), len(data)) + names + data)
    while view:
        view = view[os.write(out, view) :]
