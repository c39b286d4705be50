"""Work done in forked child processes, its result handed back through a pipe.

A lint of a repository that holds several clusters renders them one after
the other on one core, while CI runners have two to four. The linter
(:mod:`gitops_lint.lint`) hands a share of its clusters to child processes:
each is forked from the run as it stands, so it starts with everything the
run has read and made (no pickling on the way in), calls one function, and
writes the function's result, pickled, to a pipe, frame by frame. The parent,
done with its own share, unpickles each frame as it arrives: one CPU pickles
while the other unpickles, instead of one waiting for the other.

Nothing here writes to disk or to stdout: a result (which may hold a Secret's
value) stays in memory, as it would in one process. A child that raises, is
killed or writes something that does not unpickle yields :data:`FAILED`, and
the caller does the work itself: the parallel path is an optimisation, never
a different answer.

Only for platforms with ``fork`` (Linux, macOS, BSD); :func:`usable` says
whether to try. ``multiprocessing`` is not used: its import alone costs more
than a small run, and its pools pickle the work on the way in.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import pickle
import signal
from collections.abc import Callable

try:
    import fcntl
except ImportError:  # not on Windows, where nothing is forked either
    fcntl = None  # type: ignore[assignment]

#: the environment variable that sets how many processes share a run's clusters
ENV_JOBS = "GITOPS_LINT_JOBS"
#: at most this many processes unless GITOPS_LINT_JOBS asks for more
MAX_AUTO_JOBS = 4
#: what :meth:`Child.result` returns when the child did not hand a result back
FAILED = object()


def cpus() -> int:
    """The CPUs this process may run on (its affinity where the platform says it)."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        with contextlib.suppress(OSError):
            return len(affinity(0))
    return os.cpu_count() or 1


def wanted_jobs(text: str) -> int | None:
    """The count ``GITOPS_LINT_JOBS`` asks for: None when empty (automatic); ValueError
    when it is not a positive integer (the command line refuses it in one line, before
    the run: a typo must not silently mean "automatic")."""
    text = text.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise ValueError(f"{ENV_JOBS} must be a positive integer (1: one process), not {text[:20]!r}")
    return int(text)


def jobs(tasks: int) -> int:
    """How many processes (this one included) should share ``tasks`` units of work.

    ``GITOPS_LINT_JOBS`` (a positive integer) says it, 1 meaning none in
    parallel; unset or empty, the CPUs this process may use, at most
    :data:`MAX_AUTO_JOBS` (a value :func:`wanted_jobs` refuses, which the command
    line never lets through, too). Never more than ``tasks``; 1 without ``fork``.
    """
    if tasks < 2 or not hasattr(os, "fork"):
        return 1
    try:
        count = wanted_jobs(os.environ.get(ENV_JOBS, ""))
    except ValueError:
        count = None
    if count is None:
        count = min(cpus(), MAX_AUTO_JOBS)
    return max(1, min(count, tasks))


class Child:
    """One forked child running ``work()``; :meth:`result` waits for what it returned."""

    def __init__(self, work: Callable[[], object]):
        read, write = os.pipe()
        _widen(write)
        try:
            self.pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            raise
        if self.pid == 0:  # the child: never returns into the parent's code
            code = 1
            try:
                os.close(read)
                gc.disable()  # pickling a large result: the collector would only walk it
                result = work()
                # written frame by frame as it is pickled: the parent, done with its own part,
                # unpickles each frame while this one pickles the next (result())
                with os.fdopen(write, "wb") as out:
                    pickle.dump(result, out, protocol=pickle.HIGHEST_PROTOCOL)
                code = 0
            except BaseException:  # noqa: BLE001,S110 - any failure: the parent does the work itself
                pass
            finally:
                os._exit(code)
        os.close(write)
        self._read = read
        self._done = False

    def result(self) -> object:
        """The child's result, or :data:`FAILED`: unpickled from the pipe as the child writes
        it (a child that dies midway leaves a truncated pickle, which does not load), taken
        only when the child then exits with success."""
        paused = gc.isenabled()
        gc.disable()  # unpickling makes many containers and frees none of them
        try:
            # closed before the wait: a child still writing then fails at once, never blocks
            with os.fdopen(self._read, "rb") as stream:
                found = pickle.load(stream)
        except Exception:  # noqa: BLE001 - a truncated or foreign result: the parent does the work itself
            found = FAILED
        finally:
            if paused:
                gc.enable()
        _, status = os.waitpid(self.pid, 0)
        self._done = True
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            return FAILED
        return found

    def stop(self) -> None:
        """End the child if its result was not taken (the parent raised meanwhile)."""
        if self._done:
            return
        with contextlib.suppress(OSError):
            os.close(self._read)
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.waitpid(self.pid, 0)
        self._done = True


def _widen(pipe: int) -> None:
    """A pipe buffer of 1 MiB where the system allows it (Linux): the child writes a frame
    while the parent unpickles the one before, instead of waiting for it 64 KiB at a time."""
    size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if size is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(pipe, size, 1 << 20)


class Shares:
    """``count`` units of work cut into consecutive parts: the first is the caller's own,
    each other one a child's. The caller forks, does its part, then takes the children's
    results in order; :meth:`stop` (in a ``finally``) ends whatever is left."""

    def __init__(self, count: int, parts: int):
        self.parts = chunks(count, parts)
        self.children: list[Child] = []
        self.failed = False

    @property
    def start(self) -> int:
        """The first unit the children do (the caller's part is ``range(start)``)."""
        return self.parts[1].start

    def fork(self, work: Callable[[range], object]) -> None:
        """A child for each part but the first, running ``work(part)``."""
        # the objects made so far out of the cyclic collector's sight: a child's collections
        # would otherwise write to every one of them, copying the whole heap page by page
        gc.freeze()
        try:
            for part in self.parts[1:]:
                self.children.append(Child(functools.partial(work, part)))
        except OSError:  # no process left to fork: the caller does the work itself
            self.failed = True
        finally:
            gc.unfreeze()  # (in this process; the children keep theirs frozen)

    def results(self) -> list[object] | None:
        """What each child's ``work`` returned, in order; None when one of them failed."""
        out = []
        for child in self.children if not self.failed else ():
            found = child.result()
            if found is FAILED:
                return None
            out.append(found)
        return None if self.failed else out

    def stop(self) -> None:
        for child in self.children:
            child.stop()


def chunks(count: int, parts: int) -> list[range]:
    """``range(count)`` cut into ``parts`` consecutive runs of nearly equal length."""
    size, extra = divmod(count, parts)
    out, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        out.append(range(start, end))
        start = end
    return out
