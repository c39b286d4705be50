"""Paths as CI systems resolve them, and file names that are not UTF-8.

Findings name files relative to the lint root (``--root``, or the directory
holding the config). GitHub resolves an annotation's ``file=`` and a SARIF
``artifactLocation.uri`` against the root of the repository's Git work tree,
so when the lint root is a subdirectory (a monorepo whose Flux tree is
``gitops/``, ``--root gitops``) the paths must carry that subdirectory, or
the annotation lands nowhere.

The work tree is found without running git: the nearest ancestor of the lint
root holding ``.git``, a directory or (in a linked worktree or a submodule) a
file. ``GITHUB_WORKSPACE`` is only the fallback when there is no ``.git``
above the root (a tarball or an artifact instead of a checkout): the runner
itself makes an absolute annotation path relative to the workspace, but
``actions/checkout`` with ``path:`` puts the repository below the workspace,
and ``.git`` then names the right base where the workspace would not. With
neither, the paths stay relative to the lint root.

A file name that is not UTF-8 reaches Python as a str holding lone
surrogates (``os.fsdecode``'s ``surrogateescape``), which no UTF-8 encoder
accepts. Each format writes it its own way, without losing the bytes: a SARIF
URI percent-encodes the original bytes (RFC 3986: ``%FF``); JSON escapes the
surrogate (``\\udcff``, which ``os.fsencode(json.loads(...))`` turns back
into the bytes); text for people shows the byte as ``\\xff``.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Mapping
from urllib.parse import quote

_SURROGATE = re.compile("[\ud800-\udfff]")


def worktree(root: str, env: Mapping[str, str] = os.environ) -> str | None:
    """The Git work tree that holds ``root``, or None when nothing says where it is."""
    start = os.path.abspath(root)
    cur = start
    while True:
        if os.path.lexists(os.path.join(cur, ".git")):
            return cur
        parent = os.path.dirname(cur)
        if parent == cur:
            break
        cur = parent
    workspace = env.get("GITHUB_WORKSPACE")
    if workspace:
        workspace = os.path.abspath(workspace)
        if start == workspace or start.startswith(workspace.rstrip(os.sep) + os.sep):
            return workspace
    return None


def root_prefix(root: str | None, env: Mapping[str, str] = os.environ) -> str:
    """Where ``root`` lies in its work tree, as a POSIX path ("" at the top or when unknown)."""
    if not root:
        return ""
    base = worktree(root, env)
    if base is None:
        return ""
    rel = os.path.relpath(os.path.abspath(root), base)
    return "" if rel == os.curdir else rel.replace(os.sep, "/")


def in_worktree(file: str, prefix: str) -> str:
    """``file`` (relative to the lint root) relative to the work tree instead."""
    if not prefix or posixpath.isabs(file):
        return file
    return posixpath.normpath(posixpath.join(prefix, file))


def uri(path: str) -> str:
    """A relative URI reference for ``path``: its bytes percent-encoded as RFC 3986 says.

    Only the unreserved characters and ``/`` stay as they are; ``:`` is encoded
    too, so a first segment such as ``a:b.yaml`` cannot read as a scheme.
    """
    return quote(_utf8(path), safe="/")


def _utf8(s: str) -> bytes:
    """The bytes ``s`` was decoded from (``surrogateescape``); any other lone surrogate as UTF-8 would write it."""
    try:
        return s.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return s.encode("utf-8", "surrogatepass")


def readable(s: str) -> str:
    """``s`` with each undecodable byte shown as ``\\xNN``: text a person reads, always UTF-8."""
    if not _SURROGATE.search(s):
        return s
    return _utf8(s).decode("utf-8", "backslashreplace")


def json_text(doc: str) -> str:
    """JSON text (dumped with ``ensure_ascii=False``) with each lone surrogate as a ``\\uXXXX`` escape.

    Python keeps a lone surrogate as it is in ``ensure_ascii=False`` output,
    and then writing it fails (or emits bytes that are not UTF-8, which a JSON
    reader refuses); outside strings JSON text holds only ASCII, so the
    substitution touches nothing but string contents.
    """
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", doc)
