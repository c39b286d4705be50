"""The repository being linted as it was at a Git ref, in a scratch directory.

``--new-only --base REF`` and ``diff --base REF`` compare the working tree
with the tree of a commit. That tree is read from the local object store of
the repository that holds the lint root, never fetched: a ref that is not
there (a shallow clone, a branch not fetched) is a one-line usage error that
says how to get it.

gitops-lint runs on pull requests from strangers, so the repository is
hostile input and git is run on a short leash:

- a fixed environment, nothing inherited (no ``GIT_DIR``, ``GIT_CONFIG_*``,
  ``GIT_EXEC_PATH``...): ``PATH``, a scratch ``HOME``, ``GIT_CONFIG_NOSYSTEM``,
  ``GIT_CONFIG_GLOBAL=/dev/null``, ``GIT_TERMINAL_PROMPT=0``, ``GIT_NO_LAZY_FETCH``
  (a partial clone must not fetch a missing blob), ``GIT_PROTOCOL_FROM_USER=0``;
- ``-c core.fsmonitor=false -c core.hooksPath=/dev/null -c protocol.allow=never``
  so a repository config cannot start a program or reach the network;
- only plumbing that reads objects: ``rev-parse``, ``ls-tree``, ``cat-file
  --batch``. No checkout, no ``git archive`` (which applies the tree's own
  ``.gitattributes``: ``export-ignore`` and ``export-subst`` would change what
  is linted);
- the files are written by this module, not by git: every path is checked
  (no absolute path, no ``..``, ``.`` or ``.git`` component, no NUL), files
  are created exclusively and without following links, symbolic links are
  made last and only when their target stays inside the tree (a link out is
  left out: the linter reports a link out of the root in the working tree,
  and the base needs no copy of it), submodules are left out (their commits
  are not in this object store), and the tree has a size and a file count
  limit.

The scratch directory is removed when the ``with`` block ends.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass

MAX_FILES = 200_000
MAX_BYTES = 1 << 30  # 1 GiB for the whole tree
FETCH_HINT = (
    "fetch it first (in GitHub Actions: actions/checkout with fetch-depth: 0; "
    "elsewhere: git fetch origin REF)"
)


class GitRefError(Exception):
    """The tree at the ref cannot be had; the message is the one line a user sees."""


@dataclass(frozen=True)
class Entry:
    mode: str
    oid: str
    size: int
    path: str  # relative to the work tree, POSIX


def git_env(home: str) -> dict[str, str]:
    """The whole environment git runs with: nothing from outside but ``PATH``."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "XDG_CONFIG_HOME": home,
        "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_NO_LAZY_FETCH": "1",
        "GIT_PROTOCOL_FROM_USER": "0",
        "GIT_OPTIONAL_LOCKS": "0",
    }


def git_command(worktree: str, *args: str) -> list[str]:
    """``git`` with the options that keep a repository's own config from running anything."""
    return [
        "git",
        "-c",
        "core.fsmonitor=false",
        "-c",
        "core.hooksPath=/dev/null",
        "-c",
        "protocol.allow=never",
        "-c",
        f"safe.directory={worktree}",
        "--no-replace-objects",
        *args,
    ]


class _Git:
    def __init__(self, cwd: str, home: str) -> None:
        self.cwd = cwd
        self.env = git_env(home)
        self.worktree = cwd

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        try:
            done = subprocess.run(
                git_command(self.worktree, *args),
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=300,
            )
        except FileNotFoundError:
            raise GitRefError("git is not installed (it reads the base from the repository)") from None
        except subprocess.TimeoutExpired:
            raise GitRefError(f"git {args[0]} did not finish in 300 s") from None
        if check and done.returncode != 0:
            first = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitRefError(f"git {args[0]}: {first[0] if first else 'failed'}")
        return done


def _check_ref(ref: str) -> None:
    if not ref or ref.startswith("-") or any(c in ref for c in "\0\n\r") or len(ref) > 1000:
        raise GitRefError(f"--base {ref!r}: not a Git ref")


def _safe_path(path: str) -> bool:
    if not path or "\0" in path or path.startswith("/") or "\\" in path and os.sep == "\\":
        return False
    parts = path.split("/")
    return all(p not in ("", ".", "..") and p.lower() != ".git" for p in parts)


def _symlink_inside(path: str, target: str) -> bool:
    if not target or "\0" in target or target.startswith("/"):
        return False
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    return joined != ".." and not joined.startswith("../")


def _entries(git: _Git, commit: str) -> list[Entry]:
    out = git.run("ls-tree", "-r", "-z", "-l", "--full-tree", commit).stdout
    entries = []
    total = 0
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, raw = record.partition(b"\t")
        mode, _kind, oid, size = meta.split()
        path = os.fsdecode(raw)
        if mode == b"160000" or not _safe_path(path):  # a submodule, or a path no checkout would write
            continue
        n = int(size) if size.isdigit() else 0
        total += n
        entries.append(Entry(mode.decode(), oid.decode(), n, path))
        if len(entries) > MAX_FILES or total > MAX_BYTES:
            raise GitRefError(
                f"the tree at the base is larger than {MAX_FILES} files or {MAX_BYTES >> 20} MiB"
            )
    return entries


def _blobs(git: _Git, entries: list[Entry]) -> Iterator[tuple[Entry, bytes]]:
    """Each entry with its content, from one ``git cat-file --batch``."""
    proc = subprocess.Popen(
        git_command(git.worktree, "cat-file", "--batch"),
        cwd=git.cwd,
        env=git.env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None and proc.stdout is not None

    def feed() -> None:
        with contextlib.suppress(BrokenPipeError, OSError):
            for e in entries:
                proc.stdin.write(e.oid.encode() + b"\n")
            proc.stdin.close()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        for e in entries:
            header = proc.stdout.readline().split()
            if len(header) != 3 or header[1] != b"blob":
                raise GitRefError(f"{e.path}: blob {e.oid} is not in the object store; {FETCH_HINT}")
            size = int(header[2])
            if size > MAX_BYTES:
                raise GitRefError(f"{e.path}: larger than {MAX_BYTES >> 20} MiB")
            data = proc.stdout.read(size)
            proc.stdout.read(1)  # the newline after each object
            yield e, data
    finally:
        proc.stdout.close()
        proc.kill()
        proc.wait()
        writer.join(timeout=5)


def _write(top: str, entries: list[Entry], git: _Git) -> None:
    links = []
    made: set[str] = {""}
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    for e, data in _blobs(git, entries):
        if e.mode == "120000":
            links.append((e.path, os.fsdecode(data)))
            continue
        parent = posixpath.dirname(e.path)
        if parent not in made:
            os.makedirs(os.path.join(top, *parent.split("/")), exist_ok=True)
            made.add(parent)
        target = os.path.join(top, *e.path.split("/"))
        try:
            fd = os.open(target, flags, 0o755 if e.mode == "100755" else 0o644)
        except (FileExistsError, IsADirectoryError, NotADirectoryError):
            continue  # a hostile tree naming one path twice: the first one wins
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    # links last: no file above was written through one
    for path, dest in links:
        if not _symlink_inside(path, dest):
            continue
        parent = posixpath.dirname(path)
        with contextlib.suppress(OSError):
            os.makedirs(os.path.join(top, *parent.split("/")), exist_ok=True)
            os.symlink(dest, os.path.join(top, *path.split("/")))
    # a target that stays inside by its text may leave through another link (``l -> .``,
    # ``m -> l/..``): what a link resolves to decides
    real_top = os.path.realpath(top)
    for path, _ in links:
        link = os.path.join(top, *path.split("/"))
        real = os.path.realpath(link)
        if os.path.islink(link) and real != real_top and not real.startswith(real_top + os.sep):
            os.unlink(link)


def locate(root: str) -> tuple[str, str]:
    """The work tree that holds ``root`` and where ``root`` lies in it (POSIX, "" at the top).

    Found without git, as ``report.paths`` does: the nearest ancestor holding ``.git``.
    """
    start = os.path.realpath(root)
    cur = start
    while True:
        if os.path.lexists(os.path.join(cur, ".git")):
            rel = os.path.relpath(start, cur)
            return cur, "" if rel == os.curdir else rel.replace(os.sep, "/")
        parent = os.path.dirname(cur)
        if parent == cur:
            raise GitRefError(f"{root} is not in a Git repository (the base is read from Git)")
        cur = parent


def resolve(root: str, ref: str) -> str:
    """The commit ``ref`` names in the repository holding ``root``: a GitRefError when absent."""
    worktree, _ = locate(root)
    with _scratch_home() as home:
        return _resolve(_git(worktree, home), ref)


def _git(worktree: str, home: str) -> _Git:
    return _Git(worktree, home)


def _resolve(git: _Git, ref: str) -> str:
    _check_ref(ref)
    done = git.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    commit = done.stdout.decode("ascii", "replace").strip()
    if done.returncode == 0 and commit:
        return commit
    shallow = git.run("rev-parse", "--is-shallow-repository", check=False).stdout.strip() == b"true"
    why = "this is a shallow clone without it" if shallow else "no such commit in the local repository"
    raise GitRefError(f"--base {ref}: {why}; {FETCH_HINT.replace('REF', ref)}")


@contextlib.contextmanager
def _scratch_home() -> Iterator[str]:
    home = tempfile.mkdtemp(prefix="gitops-lint-home-")
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


@contextlib.contextmanager
def materialize(root: str, ref: str) -> Iterator[str]:
    """The tree of ``ref`` in a scratch directory; yields where ``root`` lies in it.

    ``root`` is the lint root (any directory inside a Git work tree); the whole
    work tree at ``ref`` is written, so a path that leaves the lint root
    resolves as it does in the checkout, and the yielded path is the lint root's
    counterpart (it may not exist when the base has no such directory). The
    directory is removed when the block ends. Raises GitRefError (one line)
    when git, the repository or the ref is missing.
    """
    worktree, prefix = locate(root)
    scratch = tempfile.mkdtemp(prefix="gitops-lint-base-")
    try:
        home = os.path.join(scratch, "home")
        top = os.path.join(scratch, "tree")
        os.mkdir(home)
        os.mkdir(top)
        git = _git(worktree, home)
        commit = _resolve(git, ref)
        _write(top, _entries(git, commit), git)
        yield os.path.join(top, *prefix.split("/")) if prefix else top
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def map_path(path: str, root: str, base_root: str) -> str:
    """``path`` (a PATH argument, under the lint root ``root``) as it lies under ``base_root``."""
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    if rel == os.curdir:
        return base_root
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        raise GitRefError(f"{path}: outside the root {root}, so it has no counterpart at the base")
    return os.path.join(base_root, rel)
