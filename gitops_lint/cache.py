"""The warm-run cache: a lint run's printed results, reused while nothing they depend on changed.

A pre-commit hook lints the same repository again and again, mostly
unchanged. As ruff does, a run keeps what it printed in
``.gitops-lint-cache/`` at the repository root and the next run with the same
inputs prints it again without parsing or rendering anything.

**The key** is everything a lint result is a function of, hashed together:

* the tool: its version, the stat of every file of the package (an edited
  checkout is a new tool), the Python, and the stat of the ``site-packages``
  directories of ``sys.path`` (installing, upgrading or removing a
  dependency or a rule plugin adds or removes a ``*.dist-info`` there);
* the run: the root, the linted paths, and the whole effective config after
  the command line (``--select``, ``--ignore``, ``--var``, ``--kube-version``,
  ``--flux-version``, ``--fail-on``, the renderer, ...), in canonical form;
* the tree: every path under the root (files, directories, symlink targets:
  a new file in a directory that kustomize globs or that Flux's generated
  kustomization takes whole changes the result) with the content hash of
  every regular file.

**The hash memo** (``hashes.json``) makes the walk a ``stat`` per file: a
file's content hash is remembered with its (size, mtime, ctime, inode,
device) and used while all five are unchanged, as git's index does. A write
moves the ctime even when the mtime is set back and the size kept (no system
call sets the ctime), so a rewrite is seen. git's "racy" rule covers a write
within the clock's granularity of the hash: a file whose mtime or ctime is
not older than the walk's start by ``RACY_NS`` (3 s: coarse file system
clocks, a clock set back a little) is not remembered, so it is hashed again
every run until it is older, and the check after the run (see
**Concurrency**) reads it again. What stays trusted, as in git: that a
write to a file changes one of those five, which holds on local file
systems with a clock that does not jump back by more than ``RACY_NS``; a
tool that rewrites a file and then restores its mtime *and* ctime (possible
only by setting the system clock) is not seen. The memo is written only when
it changed (a file hashed now and remembered, or a remembered one gone), right
after the walk, with a checksum of its bytes; damaged or foreign, it is
empty (every file is hashed).

**Trust.** An entry is JSON (never pickle: nothing in a cache runs), checked
whole before use: its format, the tool fingerprint and key it was written
for, a checksum of its body, and the type of every field. A damaged,
truncated or foreign entry is a miss, and the run that follows writes a good
one over it. A side entry (below) is checked record by record: a shard's
header names its format, the tool, the cache instance, the side entry and
the shard; each record carries a checksum of its key and text, checked when
the record is used, and its text is checked field by field when decoded. A
damaged record is a miss (the records around it are used), a shard whose
header is not exactly ours holds nothing. A cache is trusted only in the directory that wrote it: its
``instance`` file records its own inode, so a cache directory that was
committed, copied or restored from elsewhere (which could hold an entry that
hides findings) is ignored and replaced.

**Concurrency.** Every file is written to a temporary file in the same
directory and moved into place with ``os.replace``: a reader sees a whole old
entry or a whole new one. Two runs writing the same entry write the same
content; two runs writing the same shard of a side entry each write a whole
shard, and the records only the loser had are built again by a later run (a
miss, never a wrong record). A run stores its result only when the tree,
stat'ed again after the lint, is still the one its key was made of (an
editor saving a file while the run read the tree): every path the same
kind, every file the same stat, and the files too recent for their stat to
be trusted (the racy rule) of the same content.

**After the report.** A command-line run writes its stores (the run entry, its
questions, the side entries) once its report is printed, in a child process
that leaves the run's standard streams: the hook or CI step that waits for
gitops-lint gets its exit status and output without waiting for them (a
platform without ``fork``, or a lock that cannot be taken, writes them first,
as an in-process call of ``cli.main`` always does). The child holds
``stores.lock`` in the cache directory while it writes; a run that starts
meanwhile waits for it (at most ``STORE_WAIT_S``) before it reads the cache,
so a run right after another finds what it stored.

**Confinement.** The cache is written only under the root, and only when the
root is a Git work tree (``.git`` at the root): never into an exported tree.
``GITOPS_LINT_CACHE_DIR`` names another directory (the user's choice);
``--no-cache`` or ``GITOPS_LINT_NO_CACHE=1`` turns it off. A cache directory
that is a symlink, or entries that are not regular files, are not used.

**Secrets.** A run entry holds what the run printed: findings and notes after
redaction, counts, and the sort keys of the fixable findings. Never a value
read from a Secret.

**Side entries** hold the finer caches below, for a run that misses (a file
changed). Each is ``SIDE_SHARDS`` (16) shard files of one record per line
(:mod:`.core.records`), a record in the shard its key hashes to: a run reads
the shards without decoding them, decodes a record only when it uses it, and
rewrites only the shards whose records changed (a one-file change: one or
two shards of each, a few small files), never those whose records are what it
read. Records that no longer apply are dropped when their shard is written.

The side entry ``parsed`` (:mod:`.load.parsed`) holds the parses of the
repository's files, by content hash, so that a run which misses re-parses
only the files that changed. It holds file contents, so it leaves out every
file that may hold a value read from a Secret, which is then parsed every
run: a document of kind ``Secret`` (any apiVersion), a SOPS-encrypted
document or value, a Secret manifest or ``kind: Secret`` patch written
anywhere inside a document, a chart password key, a ``secretGenerator``
(:func:`.load.parsed.holds_secret`); every file the run's secret inventory
read a value from (a generator's ``files``/``envs`` source) or a rendered
Secret came from; and every file whose text holds, in any form the redactor
knows, a value the run's redactor masks (a Secret's value pasted into a
ConfigMap). The last check covers the entries already stored too, so a value
that became secret since is dropped with the next write. Also left out: a
file whose documents JSON would not keep exactly (a key that is not a
string, a NaN; a container shared through YAML aliases is kept, written
once, see :mod:`.core.sharing`) and a file over ``--max-file-bytes``. A shard is written when a run parsed
something new to keep in it or must drop something from it; entries of
content no longer in the tree go then, or, when they are a quarter of their
shard, at the next run's write.

**Kept builds** (side entry ``builds``, :mod:`gitops_lint.buildcache`). A run
that misses (a file changed) still reuses every kustomize build whose inputs
did not change: a record holds a build's objects and origins as JSON, the
tree of files it loaded, and its fingerprint (the content hash of every file
it read, from this walk, the kustomization files of each directory it read,
whether each component Flux adds exists, the kustomization Flux generates
for a directory without one). Only a build without issues, reading no file
through a symlink, with every object plain JSON (``core.plain``). A build
whose output holds a ``Secret`` (a ``secretGenerator``'s, a plaintext one in
a resource file) or a SOPS-encrypted document, or that read a file holding a
SOPS marker or a value the secret inventory knows (``model.secrets``: a
Secret, a HelmRelease's password, a ``secretGenerator`` and its sources), or
whose objects hold a value the run's redactor masks (a Secret's value pasted
into a ConfigMap) is never stored: such a build may carry a Secret's value,
which the cache never holds; it is built again each run, and a kept record
that holds a value which became a Secret's since is dropped (every stored
record's text is searched after each run that stores, whatever its shard).
A record is keyed by its build (directory, Flux fields, ``--max-file-bytes``):
a build done again replaces its record in its shard, and the records of
builds whose files are gone leave when their shard is written. Post-build substitution is not part of a
build (it runs after it, with the run's variables), so no value substituted
from a Secret is either.

**Kept verdicts and positions** (side entries ``cel``, ``schema``, ``substituted``,
``positions``: :mod:`gitops_lint.celcache`, :mod:`gitops_lint.buildcache`,
:mod:`gitops_lint.positioncache`): pure functions of content keys, each under a digest of
what it is a function of; their modules say which.

**Questions** (``asked-<key>.json``, :mod:`.core.observed`). The key is
every path of the tree, yet a run reads few of them: a run records each
question it asks of the tree (through ``RepoFS``, and the content hashes the
finer caches take from the walk) with its answer (a file by its content hash,
or by what the filter that read it took from it), and keeps them beside its
entry, under the key without the tree. A run that misses asks them of its tree
again and, when every answer is the same, prints that run (and stores it under
its own key): the output is a function of those answers, the tool, the config
and the paths. A commit that changes only files no stage reads is then a hit.
The entry is sealed like the others; a question not of the form written is a
miss; a run whose workers' questions did not come back, or that read every
hash at once, keeps none.

**What bypasses it**: ``--fix``, ``--diff`` and ``--new-only`` (they need the
rendered model or a second tree), ``--renderer kubectl|kustomize`` (the
result depends on a binary outside the key), a run with an internal error
(never stored), manifests given as files, and the other commands (build,
graph, diff). Nothing here imports the renderer, the schemas or the rules:
a hit costs the interpreter, the tree walk and one small JSON file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import hashlib
import json
import os
import stat
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

try:
    import fcntl
except ImportError:  # Windows: no lock, no child process; the stores are written in the run
    fcntl = None  # type: ignore[assignment]

from . import __version__
from .core.data import Finding, ObjectRef, Severity
from .core.fs import READ_FLAGS, UNREADABLE, content_hasher
from .core.records import SIDE_SHARDS, SideRecords, fits, side_shard

DIR_NAME = ".gitops-lint-cache"
FORMAT = 1
ENV_DIR = "GITOPS_LINT_CACHE_DIR"
ENV_OFF = "GITOPS_LINT_NO_CACHE"
#: run entries kept; older ones (by mtime) are removed when a new one is written
KEEP_RUNS = 32
#: an entry larger than this is not read (a cache is small; a huge file is not ours)
MAX_ENTRY_BYTES = 64 * 1024 * 1024
#: a file modified this recently is hashed again next time: its mtime may not change on a rewrite
RACY_NS = 3_000_000_000
#: the format of a side entry's shards and of the hash memo (the run entries keep ``FORMAT``);
#: 3: records checked by CRC-32 (core.records.record_checksum)
SIDE_FORMAT = 3
_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by gitops-lint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def _dumps(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


# -- the key ---------------------------------------------------------------------------


def canonical(value):
    """``value`` (the config: dataclasses, sets, enums) as JSON whose text does not depend on
    hash seeds or insertion order; a type it does not know raises (the run is not cached)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return [type(value).__name__, value.name]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [
            type(value).__name__,
            {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)},
        ]
    if isinstance(value, dict):
        return ["dict", sorted(([canonical(k), canonical(v)] for k, v in value.items()), key=_dumps)]
    if isinstance(value, (set, frozenset)):
        return ["set", sorted((canonical(v) for v in value), key=_dumps)]
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    raise TypeError(f"no canonical form for {type(value).__name__}")


def tool_fingerprint() -> str:
    """What identifies this gitops-lint and what it runs with (see the module's docstring)."""
    package = os.path.dirname(os.path.abspath(__file__))
    parts: list = [__version__, sys.version, sys.executable]
    for dirpath, dirnames, filenames in os.walk(package):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith((".pyc", ".pyo")):
                continue
            with contextlib.suppress(OSError):
                st = os.stat(os.path.join(dirpath, name))
                parts.append(
                    [os.path.relpath(os.path.join(dirpath, name), package), st.st_size, st.st_mtime_ns]
                )
    for entry in sys.path:  # where dependencies and plugins are installed; not the cwd
        if os.path.basename(entry) not in ("site-packages", "dist-packages"):
            continue
        try:
            st = os.stat(entry or ".")
        except OSError:
            continue
        parts.append([entry, st.st_mtime_ns, st.st_ino])
    return _digest(_dumps(parts))


_DIR = ("dir",)
_GIT = ("git",)


def _scan(root: str, excluded: set[str]) -> dict[str, tuple]:
    """Every path under ``root`` (``/``-separated, relative) -> what it is: a regular file
    its ``(size, mtime_ns, ctime_ns, inode, device)``, a directory ``("dir",)``, a symlink
    its target, ``.git`` only that it is there (never read), what could not be listed or
    stat'ed the error's name. Nothing is opened: a FIFO or device could block or never end."""
    out: dict[str, tuple] = {}
    stack = [""]
    while stack:
        rel = stack.pop()
        prefix = rel + "/" if rel else ""
        try:
            with os.scandir(os.path.join(root, rel) if rel else root) as it:
                items = list(it)
        except OSError as exc:
            out[prefix] = ("unlistable", type(exc).__name__)
            continue
        for e in items:
            name = prefix + e.name
            if e.path in excluded:
                continue
            if e.name == ".git":
                out[name] = _GIT
                continue
            if e.is_dir(follow_symlinks=False):  # from the listing's d_type: no stat
                out[name] = _DIR
                stack.append(name)
                continue
            try:
                st = e.stat(follow_symlinks=False)
            except OSError as exc:
                out[name] = ("unstatable", type(exc).__name__)
                continue
            mode = st.st_mode
            if stat.S_ISREG(mode):
                out[name] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
            elif stat.S_ISDIR(mode):
                out[name] = _DIR
                stack.append(name)
            elif stat.S_ISLNK(mode):
                try:
                    out[name] = ("link", os.readlink(e.path))
                except OSError as exc:
                    out[name] = ("link?", type(exc).__name__)
            else:
                out[name] = ("other", stat.S_IFMT(mode))
    return out


class TreeState:
    """The digest of every path under the root, with file content hashes.

    ``memo`` maps a file to ``[size, mtime_ns, ctime_ns, inode, device, hash]``:
    a file whose stat is unchanged is not read again (see the module's docstring).
    """

    def __init__(self, root: str, excluded: set[str], memo: dict[str, list]):
        self.root = root
        self.excluded = excluded  # absolute paths left out (the cache directory)
        self.memo = memo
        self.new_memo: dict[str, list] = {}
        # root-relative path (``/``-separated) of every regular file -> its content hash, as
        # walked: what the finer caches (parsed files, kustomize builds) are keyed by
        self.hashes: dict[str, str] = {}
        self.hashed = 0  # files read this time
        self.remembered_more = False  # a file hashed this time is remembered from now on
        self._seen: dict[str, tuple] = {}
        self._racy: set[str] = set()  # files hashed but too recent to remember

    def digest(self) -> str:
        start = time.time_ns()
        seen = self._seen = _scan(self.root, self.excluded)
        rows: list = []
        for name in sorted(seen):
            what = seen[name]
            if len(what) == 5:
                value = self._hash(name, what, start)
                self.hashes[name] = value
                rows.append([name, "file", value])
            else:
                rows.append([name, *what])
        return _digest(_dumps(rows))

    def unchanged(self) -> bool:
        """Whether the tree is still the one :meth:`digest` walked: every path the same kind,
        every file of the same stat, and the files too recent to trust their stat (see the
        module's docstring) of the same content."""
        if _scan(self.root, self.excluded) != self._seen:
            return False
        return all(self._read(name) == self.hashes[name] for name in self._racy)

    def _hash(self, rel: str, sig: tuple, start: int) -> str:
        known = self.memo.get(rel)
        if (
            isinstance(known, list)
            and len(known) == 6
            and tuple(known[:5]) == sig
            and isinstance(known[5], str)
        ):
            self.new_memo[rel] = known
            return known[5]
        value = self._read(rel)
        if value.startswith(UNREADABLE):
            return value
        self.hashed += 1
        # git's racy rule: a stat is trusted only for a file written before the hash was taken,
        # to the file system's time granularity, with a margin (RACY_NS) for coarse or skewed clocks
        if max(sig[1], sig[2]) < start - RACY_NS:
            self.new_memo[rel] = [*sig, value]
            self.remembered_more = True
        else:
            self._racy.add(rel)
        return value

    def _read(self, rel: str) -> str:
        h = content_hasher()
        try:  # the system's calls alone, as core.fs.read_up_to reads: a cold run hashes every file
            fd = os.open(os.path.join(self.root, rel), READ_FLAGS)
            try:
                while chunk := os.read(fd, 1 << 20):
                    h.update(chunk)
            finally:
                os.close(fd)
        except OSError as exc:
            return f"{UNREADABLE}{type(exc).__name__}"
        return h.hexdigest()

    def memo_changed(self) -> bool:
        """Whether the memo to keep differs from the one read: a file hashed now is remembered,
        or a remembered one is gone or changed (written only then: a warm run writes nothing)."""
        return self.remembered_more or len(self.new_memo) != len(self.memo)


# -- entries ---------------------------------------------------------------------------


@dataclass
class CachedResult:
    """A stored run in the shape of ``lint.LintResult`` that the reports read (imported from
    here, a hit needs none of the pipeline); a stored run had no internal error."""

    findings: list[Finding]
    summary: dict
    clusters: list = field(default_factory=list)  # one placeholder per cluster: only counted
    internal_errors: list[str] = field(default_factory=list)
    tracebacks: list[str] = field(default_factory=list)


@dataclass
class CachedRun:
    """What a lint run printed: enough to print it again exactly."""

    findings: list[Finding]
    summary: dict[str, int]
    notes: list[str]  # stderr lines after redaction, without the "gitops-lint: " prefix
    clusters: int
    fixable: list[tuple] | None  # sort keys of the findings --fix would repair (text reports)

    def result(self) -> CachedResult:
        return CachedResult(self.findings, self.summary, [None] * self.clusters)

    def to_json(self) -> dict:
        return {
            "findings": [_finding_json(f) for f in self.findings],
            "summary": [[k, v] for k, v in self.summary.items()],  # in order: the JSON report keeps it
            "notes": self.notes,
            "clusters": self.clusters,
            "fixable": None if self.fixable is None else [list(k) for k in self.fixable],
        }

    @classmethod
    def from_json(cls, data) -> CachedRun:
        """The entry's body; raises ``ValueError`` on anything but the exact shape written."""
        _expect(
            isinstance(data, dict) and set(data) == {"findings", "summary", "notes", "clusters", "fixable"}
        )
        pairs = data["summary"]
        _expect(isinstance(pairs, list) and all(isinstance(p, list) and len(p) == 2 for p in pairs))
        _expect(all(isinstance(k, str) and _is_int(v) for k, v in pairs))
        summary = dict(pairs)
        notes = data["notes"]
        _expect(isinstance(notes, list) and all(isinstance(n, str) for n in notes))
        _expect(_is_int(data["clusters"]) and data["clusters"] >= 0)
        fixable = data["fixable"]
        if fixable is not None:
            _expect(isinstance(fixable, list) and all(_is_sort_key(k) for k in fixable))
            fixable = [tuple(k) for k in fixable]
        _expect(isinstance(data["findings"], list))
        return cls(
            [_finding(x) for x in data["findings"]], dict(summary), list(notes), data["clusters"], fixable
        )


def _expect(condition: bool) -> None:
    if not condition:
        raise ValueError("malformed cache entry")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_sort_key(k) -> bool:
    return (
        isinstance(k, list)
        and len(k) == 7
        and all(isinstance(k[i], str) for i in (0, 3, 4, 5, 6))
        and _is_int(k[1])
        and _is_int(k[2])
    )


def _finding_json(f: Finding) -> list:
    obj = (
        None if f.object is None else [f.object.kind, f.object.namespace, f.object.name, f.object.api_version]
    )
    return [f.rule, f.code, int(f.severity), f.message, f.file, f.line, f.column, obj, f.cluster]


def _finding(row) -> Finding:
    _expect(isinstance(row, list) and len(row) == 9)
    rule, code, severity, message, file, line, column, obj, cluster = row
    _expect(all(isinstance(v, str) for v in (rule, code, message)))
    _expect(all(v is None or isinstance(v, str) for v in (file, cluster)))
    _expect(
        _is_int(line) and _is_int(column) and _is_int(severity) and severity in {int(s) for s in Severity}
    )
    ref = None
    if obj is not None:
        _expect(isinstance(obj, list) and len(obj) == 4 and all(isinstance(v, str) for v in obj))
        ref = ObjectRef(obj[0], obj[1], obj[2], obj[3])
    return Finding(rule, code, Severity(severity), message, file, line, column, ref, cluster)


# -- the cache directory ---------------------------------------------------------------


def cache_directory(root: str, no_cache: bool = False) -> str | None:
    """Where this run's cache lives, or None when it has none (see the module's docstring)."""
    if no_cache or os.environ.get(ENV_OFF, "") not in ("", "0"):
        return None
    named = os.environ.get(ENV_DIR, "")
    if named:
        return os.path.abspath(named)
    if not os.path.exists(os.path.join(root, ".git")):
        return None  # an exported tree (or one without history) is never written to
    return os.path.join(os.path.abspath(root), DIR_NAME)


class RunCache:
    """The cache directory of one root: lookups and stores of whole runs."""

    def __init__(self, directory: str, root: str):
        self.directory = directory
        self.root = os.path.abspath(root)
        self.entries = os.path.join(directory, f"v{FORMAT}-{__version__}")
        self.usable = self._usable()
        self.instance = self._instance() if self.usable else None
        self.tool = tool_fingerprint()
        self._memo_file = os.path.join(self.entries, "hashes.json")
        self._tree: TreeState | None = None
        self.key: str | None = None
        self.run_key: str | None = None  # the key without the tree: the questions' entry
        self._linted: list[str] = []
        self._still: bool | None = None  # _unchanged(), asked once at the end of a run
        # the questions the last run of this config and paths asked (load_answered), when
        # this tree does not answer them alike: what they derived of unchanged files is reused
        self.asked_before: list = []

    def _usable(self) -> bool:
        """Whether the directory (and its entries' directory) is a plain directory that may be
        read and written: under the root unless the user named it, never through a symlink."""
        named = os.environ.get(ENV_DIR, "") != ""
        if not named and os.path.dirname(os.path.realpath(self.directory)) != os.path.realpath(self.root):
            return False
        for directory in (self.directory, self.entries):
            try:
                st = os.lstat(directory)
            except FileNotFoundError:
                continue
            except OSError:
                return False
            if not stat.S_ISDIR(st.st_mode):
                return False
        return True

    # -- key ---------------------------------------------------------------------------
    def compute_key(self, config, paths: list[str]) -> str | None:
        """The run's key, or None when the config has a part with no canonical form."""
        if not self.usable:
            return None
        try:
            settings = canonical(config)
        except TypeError:
            return None
        if self.instance is None:
            try:
                self._prepare()
            except OSError:
                return None
            if self.instance is None:
                return None
        real = os.path.realpath(self.root)
        linted = [os.path.relpath(os.path.realpath(os.path.abspath(p)), real) for p in paths]
        excluded = {os.path.abspath(self.directory), os.path.realpath(self.directory)}
        self._tree = TreeState(real, excluded, self._load_memo())
        tree = self._tree.digest()
        if self._tree.memo_changed():
            with contextlib.suppress(OSError):  # files hashed this time are not hashed next time
                self._store_memo()
        run = [FORMAT, self.tool, self.instance or "", self.root, real, linted, settings]
        self.key = _digest(_dumps([*run, tree]))
        self.run_key = _digest(_dumps(run))
        self._linted = [os.path.realpath(os.path.abspath(p)) for p in paths]
        return self.key

    # -- lookups -----------------------------------------------------------------------
    def load(self, need_fixable: bool) -> CachedRun | None:
        """The run stored under the key, if whole, ours and (for a text report) with its fixable marks."""
        return self._load_entry(self.key, need_fixable)

    def _load_entry(self, key: str | None, need_fixable: bool) -> CachedRun | None:
        if key is None or self.instance is None:
            return None
        data = _read_json(self._entry_path(key))
        try:
            _expect(isinstance(data, dict) and set(data) == {"format", "tool", "key", "checksum", "body"})
            _expect(data["format"] == FORMAT and data["tool"] == self.tool and data["key"] == key)
            _expect(data["checksum"] == _digest(_dumps(data["body"])))
            run = CachedRun.from_json(data["body"])
        except (ValueError, TypeError, KeyError):
            return None
        if need_fixable and run.fixable is None:
            return None
        return run

    def load_answered(self, need_fixable: bool, max_file_bytes: int) -> CachedRun | None:
        """The run stored for the same tool, config and paths in another tree, when this tree
        answers every question that run asked of its tree alike (``core.observed``): the run
        would print the same. Stored under this tree's key too, for the next run."""
        if self.run_key is None or self.instance is None or self._tree is None:
            return None
        body = _unseal(_read_bytes(self._answers_path()), self._answers_header())
        try:
            data = json.loads(body) if body is not None else None
            _expect(isinstance(data, dict) and set(data) == {"run", "questions"})
            _expect(isinstance(data["run"], str) and isinstance(data["questions"], list))
        except (ValueError, RecursionError):
            return None
        self.asked_before = data["questions"]
        if not all(os.path.isdir(p) for p in self._linted):
            return None
        from .core.observed import still_answers

        if not still_answers(
            data["questions"], os.path.realpath(self.root), max_file_bytes, self._tree.hashes
        ):
            return None
        run = self._load_entry(data["run"], need_fixable)
        if run is not None:
            self.store(run)
        return run

    def store_answers(self, observed) -> None:
        """Keep the questions the run stored under the key asked of the tree (``observed``:
        ``core.observed.Observations``), for :meth:`load_answered`; not when one of them
        could not be written as a question, or a walk was still open."""
        if self.key is None or self.run_key is None or not self.usable or not self._unchanged():
            return
        if observed is None or observed.unanswerable:
            return
        with contextlib.suppress(OSError):
            if not self._prepare():
                return
            body = _dumps({"run": self.key, "questions": observed.to_json()})
            if len(body) + 4096 > MAX_ENTRY_BYTES:  # more than a lookup reads back, with its header
                return
            _write(self._answers_path(), _sealed(self._answers_header(), body))
            self._prune()

    def _answers_path(self) -> str:
        return os.path.join(self.entries, f"asked-{self.run_key}.json")

    def _answers_header(self) -> dict:
        return {"format": SIDE_FORMAT, "tool": self.tool, "instance": self.instance, "key": self.run_key}

    # -- stores ------------------------------------------------------------------------
    def store(self, run: CachedRun) -> None:
        """Write ``run`` under the key; a cache that cannot be written is no error."""
        if self.key is None or not self.usable or not self._unchanged():
            return
        with contextlib.suppress(OSError):
            if not self._prepare():
                return
            body = run.to_json()
            entry = {
                "format": FORMAT,
                "tool": self.tool,
                "key": self.key,
                "checksum": _digest(_dumps(body)),
                "body": body,
            }
            _write(self._entry_path(self.key), _dumps(entry))
            self._prune()

    # -- side entries: the finer caches (keyed inside by content hashes) -------------------
    def file_hashes(self) -> dict[str, str]:
        """Root-relative path -> content hash of every regular file, as the key's walk saw it
        (empty before :meth:`compute_key`). A hash starting ``unreadable:`` is no content."""
        return self._tree.hashes if self._tree is not None else {}

    def read_records(self, name: str) -> SideRecords:
        """The records of side entry ``name`` (a finer cache: parsed files, builds) from every
        shard that is whole, written by this tool and this cache instance; a shard that is not
        holds nothing (a miss, never an error), a record is checked when it is used."""
        records = SideRecords()
        if self.instance is None or not name.isidentifier():
            return records
        for shard in range(SIDE_SHARDS):
            records.add_shard(
                shard, _read_bytes(self._shard_path(name, shard)), self._side_header(name, shard)
            )
        return records

    def write_records(self, name: str, read: SideRecords, shards: dict[int, list[tuple[str, str]]]) -> None:
        """Store the shards of side entry ``name`` given (each its whole list of ``(key,
        payload)``, in order), when the tree is still the one the key was made of; a shard
        whose records are those ``read`` is not written. A cache that cannot be written is no
        error. A payload must hold nothing read from a Secret (see the module's docstring)."""
        if self.key is None or not self.usable or not name.isidentifier() or not self._unchanged():
            return
        with contextlib.suppress(OSError):
            if not self._prepare():
                return
            with contextlib.suppress(FileNotFoundError):  # the single entry of the first format
                os.unlink(os.path.join(self.entries, f"side-{name}.json"))
            for shard, rows in sorted(shards.items()):
                rows = [(k, p) for k, p in rows if fits(k, p) and side_shard(k) == shard]
                if shard in read.shards and rows == read.rows_as_read(shard):
                    continue
                head = _dumps(self._side_header(name, shard))
                lines = [f"{k}\t{read.checksum(k, p)}\t{p}\n" for k, p in rows]
                _write(self._shard_path(name, shard), head + b"\n" + "".join(lines).encode("ascii"))

    def _side_header(self, name: str, shard: int) -> dict:
        return {
            "format": SIDE_FORMAT,
            "tool": self.tool,
            "instance": self.instance,
            "side": name,
            "shard": shard,
        }

    def _shard_path(self, name: str, shard: int) -> str:
        return os.path.join(self.entries, f"side-{name}-{shard:02d}.rec")

    def still_the_tree(self) -> bool:
        """Whether the tree is still the one the key was made of, asked now, once: the stores
        written after the run's report (cli) take this answer, given as the run ends, not
        one given after a pre-commit hook put the unstaged changes back."""
        return self._unchanged()

    def _unchanged(self) -> bool:
        """Is the tree still the one the key was made of? A file edited while the run read
        the tree must not leave a result under a key it does not match."""
        if self._tree is None:
            return False
        if self._still is None:
            self._still = self._tree.unchanged()
        return self._still

    def _store_memo(self) -> None:
        if self._tree is not None and self.instance is not None:
            _write(
                self._memo_file,
                _sealed({"format": SIDE_FORMAT, "instance": self.instance}, _dumps(self._tree.new_memo)),
            )

    def _entry_path(self, key: str) -> str:
        return os.path.join(self.entries, f"run-{key}.json")

    def _load_memo(self) -> dict[str, list]:
        """The remembered hashes, when whole and ours (a row is checked where it is used)."""
        if not self.instance:
            return {}
        body = _unseal(_read_bytes(self._memo_file), {"format": SIDE_FORMAT, "instance": self.instance})
        try:
            files = json.loads(body) if body is not None else None
        except (ValueError, RecursionError):
            return {}
        return files if isinstance(files, dict) else {}

    def _instance(self) -> str | None:
        """The cache's identity, when the directory is the one its ``instance`` file was written in."""
        data = _read_json(os.path.join(self.directory, "instance"))
        if not isinstance(data, dict):
            return None
        try:
            st = os.stat(os.path.join(self.directory, "instance"), follow_symlinks=False)
        except OSError:
            return None
        salt = data.get("salt")
        if data.get("ino") != st.st_ino or data.get("dev") != st.st_dev or not isinstance(salt, str):
            return None  # copied, committed or restored from elsewhere
        return salt

    def _prepare(self) -> bool:
        """Create the directory with its .gitignore, CACHEDIR.TAG and instance file, when
        missing; False when it is not a plain directory (a symlink planted in the checkout)."""
        for directory in (self.directory, self.entries):
            if not os.path.lexists(directory):
                os.makedirs(directory, exist_ok=True)
            if not stat.S_ISDIR(os.lstat(directory).st_mode):
                self.usable = False
                return False
        for name, text in ((".gitignore", "# created by gitops-lint\n*\n"), ("CACHEDIR.TAG", _TAG)):
            path = os.path.join(self.directory, name)
            if not os.path.lexists(path):
                _write(path, text.encode())
        if self.instance is None:
            self.instance = _write_instance(os.path.join(self.directory, "instance"))
        return True

    def _prune(self) -> None:
        """Keep the newest ``KEEP_RUNS`` run entries, and as many questions' entries (one per
        tool, config and paths: a config or a set of paths no longer linted leaves one)."""
        found: dict[str, list[tuple[int, str]]] = {"run-": [], "asked-": []}
        with os.scandir(self.entries) as it:
            for e in it:
                kind = (
                    "run-" if e.name.startswith("run-") else "asked-" if e.name.startswith("asked-") else None
                )
                if kind is not None and e.name.endswith(".json") and e.is_file(follow_symlinks=False):
                    found[kind].append((e.stat(follow_symlinks=False).st_mtime_ns, e.path))
        for entries in found.values():
            entries.sort(reverse=True)
            for _, path in entries[KEEP_RUNS:]:
                with contextlib.suppress(OSError):
                    os.unlink(path)


def _read_bytes(path: str) -> bytes | None:
    """The content of ``path``, a regular file of ours (not followed through a symlink), or None."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_ENTRY_BYTES:
            return None
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            return fh.read()
    except OSError:
        return None
    finally:
        if fd >= 0:
            os.close(fd)


def _read_json(path: str):
    """The JSON in ``path``, a regular file of ours (not followed through a symlink), or None."""
    data = _read_bytes(path)
    try:
        return json.loads(data) if data is not None else None
    except (ValueError, RecursionError):
        return None


def _sealed(header: dict, body: bytes) -> bytes:
    """``body`` behind a header line that names it and holds its checksum (see :func:`_unseal`)."""
    return _dumps({**header, "checksum": _digest(body)}) + b"\n" + body


def _unseal(data: bytes | None, header: dict) -> bytes | None:
    """The body of :func:`_sealed` ``data``, when its header is ``header`` and its checksum
    holds: checked on the bytes, nothing is decoded to check it."""
    if data is None:
        return None
    head, sep, body = data.partition(b"\n")
    try:
        found = json.loads(head) if sep else None
    except (ValueError, RecursionError):
        return None
    if not isinstance(found, dict) or found != {**header, "checksum": _digest(body)}:
        return None
    return body


def _replace(path: str, content: Callable[[os.stat_result], bytes]) -> None:
    """``path`` replaced in one step by a temporary file of the same directory, holding
    ``content`` of that file's own stat (its inode survives ``os.replace``)."""
    import tempfile  # a hit writes nothing: tempfile (shutil, random) is for a store

    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-", suffix=".json")
    try:
        st = os.fstat(fd)
        with os.fdopen(fd, "wb") as fh:
            fh.write(content(st))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _write(path: str, data: bytes) -> None:
    _replace(path, lambda _st: data)


def _write_instance(path: str) -> str:
    """A new ``instance`` file naming its own inode."""
    salt = os.urandom(16).hex()
    _replace(path, lambda st: _dumps({"salt": salt, "ino": st.st_ino, "dev": st.st_dev}))
    return salt


def open_cache(root: str, no_cache: bool = False) -> RunCache | None:
    directory = cache_directory(root, no_cache)
    if directory is None:
        return None
    wait_for_stores(directory)
    return RunCache(directory, root)


#: the file the stores written after a run's report hold locked (see the module's docstring)
STORE_LOCK = "stores.lock"
#: how long a run waits for the stores of a run before it, at most (seconds)
STORE_WAIT_S = 5.0
#: how the lock is opened, by the run that takes it and the one that waits for it: never
#: through a symlink planted in the cache directory, never inherited by another program
_LOCK_FLAGS = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def hold_stores(cache: RunCache) -> int | None:
    """A descriptor holding ``cache``'s store lock exclusively, for the stores written after
    the run's report (a forked child inherits it, and the lock lasts until its last holder
    ends); None when it cannot be had at once (no ``flock``, a cache that cannot be
    written, the stores of another run being written): the caller writes them itself."""
    if fcntl is None or not cache.usable:
        return None
    fd = -1
    try:
        if not cache._prepare():
            return None
        fd = os.open(os.path.join(cache.directory, STORE_LOCK), os.O_RDWR | os.O_CREAT | _LOCK_FLAGS, 0o600)
        if fd < 3:  # a standard stream was closed: the child sets 0 to 2 to /dev/null
            fd, low = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3), fd
            os.close(low)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd
    except OSError:
        if fd >= 0:
            os.close(fd)
        return None


def wait_for_stores(directory: str, timeout: float = STORE_WAIT_S) -> None:
    """Return once no run's stores are being written to the cache in ``directory`` (see
    :func:`hold_stores`), or after ``timeout`` seconds: a run that starts right after
    another reads what that one stored, and a child that never ends delays a run, never
    hangs it."""
    if fcntl is None:
        return
    try:
        fd = os.open(os.path.join(directory, STORE_LOCK), os.O_RDONLY | _LOCK_FLAGS)
    except OSError:  # no lock file: no run ever wrote its stores after its report here
        return
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return
                time.sleep(0.002)
            except OSError:
                return
    finally:
        os.close(fd)
