"""A spy on everything a run does to the machine: file opens, directory
listings, process starts, network connections, renames and deletions.

Monkeypatching ``builtins.open`` misses ``os.open``, ``io.open``, pathlib and
C extensions; Python's audit hooks (PEP 578) see them all, at the point where
the interpreter performs the operation. A hook cannot be removed once added,
so one hook is installed for the whole test session and records only while a
:func:`spying` block is active.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass, field

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


@dataclass
class Events:
    opened: list[tuple[str, bool]] = field(default_factory=list)  # (real path, for writing)
    listed: list[str] = field(default_factory=list)
    processes: list[tuple[str, list[str], dict | None, str | None]] = field(default_factory=list)
    connections: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # renamed, removed, linked
    created_dirs: list[str] = field(default_factory=list)

    def reads(self) -> list[str]:
        return [p for p, write in self.opened if not write] + self.listed

    def writes(self) -> list[str]:
        """Writes outside the directories the run created for itself (scratch copies).

        Names relative to a directory descriptor count as the run's own only
        when it made a scratch directory: that is where such writes go.
        """
        mine = self.created_dirs
        return [
            p
            for p in [p for p, write in self.opened if write] + self.changed + mine
            if not any(p != d and under(p, d) for d in mine)
            and p not in self.scratch()
            and p != os.devnull
            and not (p.startswith(RELATIVE) and self.scratch())
        ]

    def scratch(self) -> list[str]:
        """Directories the run made and removed again: private scratch space."""
        removed = set(self.changed)
        return [d for d in self.created_dirs if d in removed]


_active: list[Events] = []


RELATIVE = "relative:"


def _real(path: object, dir_fd: object = None) -> str:
    """The real path, or ``relative:NAME`` for a name opened relative to an unknown directory.

    The ``open`` audit event does not carry ``dir_fd``: a name opened relative
    to a directory descriptor (how a scratch copy is written safely) cannot be
    placed, and resolving it against the working directory would be wrong.
    """
    if isinstance(path, int):
        return f"<fd {path}>"
    try:
        path = os.fsdecode(path)  # type: ignore[arg-type]
    except TypeError:
        return repr(path)
    if isinstance(dir_fd, int) and dir_fd >= 0 and not os.path.isabs(path):
        with contextlib.suppress(OSError):
            return os.path.realpath(os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), path))
    if not os.path.isabs(path):
        return RELATIVE + path
    return os.path.realpath(path)


def _is_write(mode: object, flags: object) -> bool:
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return True
    return isinstance(flags, int) and bool(flags & _WRITE_FLAGS)


def _hook(event: str, args: tuple) -> None:
    if not _active:
        return
    events = _active[-1]
    if event == "open":
        path, mode, flags = (tuple(args) + (None, None, None))[:3]
        if path is not None and not isinstance(path, int):  # an fd was recorded when its path was opened
            events.opened.append((_real(path), _is_write(mode, flags)))
    elif event in ("os.scandir", "os.listdir"):
        events.listed.append(_real(args[0] if args else "."))
    elif event == "subprocess.Popen":
        executable, argv, cwd, env = (tuple(args) + (None,) * 4)[:4]
        events.processes.append((str(executable), [str(a) for a in (argv or [])], env, cwd and str(cwd)))
    elif event in ("os.exec", "os.posix_spawn", "os.spawn", "os.system", "os.fork", "os.forkpty"):
        events.processes.append((event, [repr(a) for a in args], None, None))
    elif event == "socket.connect" or event == "socket.getaddrinfo":
        events.connections.append(repr(args[1:] if event == "socket.connect" else args))
    elif event == "os.mkdir":
        events.created_dirs.append(_real(args[0], args[2] if len(args) > 2 else None))
    elif event in ("os.rename", "os.remove", "os.rmdir", "os.symlink", "os.link", "os.truncate"):
        events.changed.extend(_real(a) for a in args[:2] if isinstance(a, (str, bytes, os.PathLike)))


_installed = False


@contextlib.contextmanager
def spying():
    """Record what the body does; bytecode writing is off so imports write nothing."""
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True
    events = Events()
    bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    _active.append(events)
    try:
        yield events
    finally:
        _active.pop()
        sys.dont_write_bytecode = bytecode


def under(path: str, directory: str) -> bool:
    directory = os.path.realpath(directory)
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)
