"""What a YAML text may hold at a document's top level, decided from its lines alone.

Two scans read every file of a repository but look only at the top level of its
documents: discovery, for sync objects (a GitRepository beside the Kustomization that
applies it), and the secret inventory, for files a ``.sops.yaml`` rule covers that are
encrypted (a top-level ``sops`` key). Both first filter on bytes, and parsing a file that
passes costs far more than reading it. Most files that pass name the word only below the
top level: every ``flux bootstrap`` repository keeps a ``gotk-components.yaml`` per
cluster (300 to 700 KB of CustomResourceDefinitions, whose ``spec.names.kind`` is
``GitRepository`` and whose descriptions mention ``sops``), and an app's Flux
Kustomization names its ``sourceRef``'s kind. :func:`may_be_of_kind` and
:func:`may_have_key` prove from the text that no document can hold the word at the top,
so the file need not be parsed to know it; when they cannot prove it they say so, and the
caller parses.

The proof is sound (never False for a text in which the loader finds such a document),
on the assumption the byte filters before it already make, a little narrowed: the word is
spelled out where it is written, not through escapes (``"Git\\x52epository"``, an escaped
line break) or a ``!!binary`` tag. (Folding and quoting change a scalar's text only by
spaces, line breaks and quotes, so they cannot make a word.) It rests on YAML's block
structure:

- every key of a block mapping that starts at column 0 is on a line at column 0 (an
  implicit key is one line), so an *indented* occurrence of the word is not a top-level
  key: it lies in the value of the nearest column-0 line above it (its owner), or in a
  scalar that started there;
- when the owner is a plain key other than ``key``, the occurrence is not the value of
  ``key`` either: a value written on later lines follows its key with only blank and
  comment lines between, and a scalar spanning a column-0 line holds more than the word;
- a line starting with ``#`` is a comment, or in a quoted scalar that holds more than the
  word.

Anything else is "cannot prove": an occurrence at column 0; a document whose first
content line is not a plain key at column 0 (a flow mapping, a sequence, an indented root,
a root on its document marker's line, ``? `` keys); an owner that is not a plain key
(``<<``, ``? ``, ``:``, a quoted key, a document marker); a text that may hold aliases
(``kind: *a`` takes its value from elsewhere, ``<<: *a`` its keys); line breaks other
than ``\\n`` and ``\\r\\n`` (YAML also breaks lines at ``\\r``, NEL, LS and PS); a tab
where indentation starts.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from .loader import may_alias

# a line at column 0 that is content: not blank, not a comment, not indented (after the
# first line: a pattern that starts with a literal is scanned for quickly)
_FIRST = re.compile(r"[^ \t\r\n#][^\n]*")
_COLUMN0 = re.compile(r"\n([^ \t\r\n#][^\n]*)")
# a document marker or a directive: the document that follows starts again
_MARKER = re.compile(r"(?:---|\.\.\.)(?:[ \t\r]|$)|%")
# a plain one-word key and its colon, then a space or the line's end
_PLAIN_KEY = re.compile(r"([A-Za-z0-9_][A-Za-z0-9_./-]*):(?:[ \t]|\r?$)")
# a line of content before a document's first column-0 line: its root is not at column 0
_INDENTED_CONTENT = re.compile(r"^[ \t]+[^ \t\r\n#]", re.M)
# a line break of YAML other than LF and CRLF (CRLF is LF here: its CR ends the line's text)
_LONE_CR = re.compile(r"\r(?!\n)")


def may_be_of_kind(text: str | bytes, kind: str) -> bool:
    """False only when no document of ``text`` can be a mapping whose ``kind`` is ``kind``
    (see the module's docstring); True when one can, or when this cannot tell (bytes that
    are not UTF-8: the loader says what it makes of them)."""
    return _may_be_at_top(text, kind, "kind")


def may_have_key(text: str | bytes, key: str) -> bool:
    """False only when no document of ``text`` can be a mapping with the key ``key``."""
    return _may_be_at_top(text, key, key)


def _may_be_at_top(text: str | bytes, word: str, key: str) -> bool:
    """Whether ``word`` may be a top-level key of a document of ``text``, or the value of
    its top-level ``key``."""
    if isinstance(text, bytes):  # a file's bytes: most never name the word, and stay undecoded
        if word.encode() not in text:
            return False
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            return True
    if word not in text:
        return False
    if may_alias(text) or "\x85" in text or "\u2028" in text or "\u2029" in text:
        return True
    if "\r" in text and _LONE_CR.search(text):
        return True
    starts: list[int] = []  # the column-0 content lines, in order
    # each one's plain key when its document is a block mapping at column 0 (the lines
    # that can own an indented occurrence), else None
    owners: list[str | None] = []
    document_ok = False
    previous_end: int | None = 0  # where the text after the last marker (or the start) begins
    on_marker = False  # the document's root starts on its marker line (``--- {``, ``--- !!map``)
    for start, line in _column0(text):
        starts.append(start)
        if _MARKER.match(line):
            owners.append(None)
            rest = line[3:].strip() if line.startswith(("---", "...")) else ""
            document_ok, previous_end, on_marker = (
                False,
                start + len(line),
                bool(rest) and not rest.startswith("#"),
            )
            continue
        plain = _PLAIN_KEY.match(line)
        if previous_end is not None:  # the first content line at column 0 of a document
            document_ok = (
                plain is not None
                and not on_marker
                and not _INDENTED_CONTENT.search(text, previous_end, start)
            )
            previous_end = None
        owners.append(plain.group(1) if plain is not None and document_ok else None)
    position = text.find(word)
    while position != -1:
        # the line's verdict holds for every occurrence on it: judged once, then the next
        # line (each line's text is scanned once, however often the word repeats on it).
        # A line starting with ``#`` is passed over: a comment, or in a quoted scalar that
        # holds more than the word.
        line_start = text.rfind("\n", 0, position) + 1
        if text[line_start] != "#":
            if text[line_start] != " ":  # at column 0, or indented with a tab
                return True
            owner = bisect.bisect_right(starts, line_start) - 1
            if owner < 0 or owners[owner] is None or owners[owner].lower() == key.lower():
                return True
        line_end = text.find("\n", position)
        if line_end == -1:
            return False
        position = text.find(word, line_end)
    return False


def _column0(text: str) -> Iterator[tuple[int, str]]:
    """Each content line at column 0, with its offset."""
    first = _FIRST.match(text)
    if first:
        yield 0, first.group()
    for m in _COLUMN0.finditer(text):
        yield m.start(1), m.group(1)
