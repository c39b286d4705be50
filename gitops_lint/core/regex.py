"""Regular expressions that come from the repository, compiled with RE2.

Every regex gitops-lint reads from a file is written by whoever opened the
pull request, so it must not be able to hang the run. Python's ``re``
backtracks: ``^(a+)+$`` against 30 ``a`` and a ``!`` takes seconds, 40 take
hours. RE2 (google-re2) matches in time linear in the text, and its syntax
*is* the syntax of the tools whose regexes these are, all Go programs using
``regexp`` (RE2 semantics):

* CRD ``pattern``: OpenAPI says ECMA-262, but the API server compiles it with
  Go's ``regexp.Compile`` and refuses the CRD otherwise
  (apiextensions-apiserver ``validation.go``: ``must be a valid regular
  expression, but isn't: <error>``);
* kustomize target ``name``/``namespace`` (``types.SelectorRegex``, anchored
  as ``^(?:...)$``) and the images transformer's ``name``;
* SOPS ``path_regex``, ``encrypted_regex``, ``unencrypted_regex``
  (``regexp.MustCompile``/``regexp.Compile`` in ``config.go``/``sops.go``);
* gitignore globs of ``.sourceignore``, translated to a regex here.

A pattern RE2 cannot express (a backreference ``\\1``, a lookaround ``(?=``)
is one Go refuses too: :class:`RegexError` carries Go's wording, and the
caller turns it into the finding the tool would give. A pattern RE2 refuses
only for its memory bound (:attr:`RegexError.ours`) is not something Go
would refuse: callers skip the check instead of reporting it.

Matching works on the UTF-8 bytes of the text, like Go; a text holding lone
surrogates (a non-UTF-8 file name read with ``surrogateescape``) is matched
on its raw bytes.
"""

from __future__ import annotations

from functools import lru_cache

import re2

#: RE2's memory bound for one compiled program (its default, 8 MiB): Go has no such
#: bound, so a pattern over it is "not checked", never "invalid"
MAX_MEM = 8 << 20

_OPTIONS = re2.Options()
_OPTIONS.max_mem = MAX_MEM
_OPTIONS.log_errors = False  # RE2 logs parse errors to stderr otherwise

# RE2's error texts (re2/regexp.cc CodeText) -> Go's (regexp/syntax ErrorCode)
_GO_WORDING = {
    "invalid escape sequence": "invalid escape sequence",
    "invalid character class": "invalid character class",
    "invalid character class range": "invalid character class range",
    "missing ]": "missing closing ]",
    "missing )": "missing closing )",
    "unexpected )": "unexpected )",
    "trailing \\": "trailing backslash at end of expression",
    "no argument for repetition operator": "missing argument to repetition operator",
    "missing argument to repetition operator": "missing argument to repetition operator",
    "invalid repetition size": "invalid repeat count",
    "bad repetition operator": "invalid nested repetition operator",
    "invalid perl operator": "invalid or unsupported Perl syntax",
    "invalid UTF-8": "invalid UTF-8",
    "invalid named capture group": "invalid named capture",
}


class RegexError(ValueError):
    """A pattern RE2 does not compile; ``str()`` is Go's ``error parsing regexp: ...``."""

    def __init__(self, message: str, ours: bool = False):
        super().__init__(message)
        self.ours = ours  # refused for RE2's memory bound, not for its syntax


def _go_message(raw: str) -> tuple[str, bool]:
    text = raw.strip()
    if "pattern too large" in text:
        return f"pattern too large for gitops-lint's regex memory bound ({MAX_MEM >> 20} MiB)", True
    code, sep, arg = text.partition(": ")
    wording = _GO_WORDING.get(code)
    if wording is None:
        return f"error parsing regexp: {text}", False
    return f"error parsing regexp: {wording}: `{arg}`" if sep else f"error parsing regexp: {wording}", False


class GoRegex:
    """A compiled RE2 program; :meth:`search` and :meth:`fullmatch` answer yes or no."""

    __slots__ = ("pattern", "_rx")

    def __init__(self, pattern: str, rx):
        self.pattern = pattern
        self._rx = rx

    def search(self, text: str) -> bool:
        """Go's ``MatchString``: a match anywhere (the pattern's own anchors aside)."""
        return self._rx.search(_text(text)) is not None

    def fullmatch(self, text: str) -> bool:
        return self._rx.fullmatch(_text(text)) is not None


class GoRegexSet:
    """Which of several patterns match a text, found in one pass over it (RE2::Set): for
    each, the answer its :meth:`GoRegex.search` gives. For patterns tried in turn on many
    texts (a ``.sops.yaml``'s creation rules on every file of a repository: a dozen
    searches a file, each a call into RE2, were most of a secret inventory)."""

    __slots__ = ("_set", "patterns")

    def __init__(self, patterns: tuple[str, ...], rx_set):
        self.patterns = patterns
        self._set = rx_set

    def __reduce__(self):  # RE2's program does not pickle (a worker's result may hold one)
        return search_set, (self.patterns,)

    def matching(self, text: str) -> set[int]:
        """The positions (in the order given to :func:`search_set`) of those that match."""
        return set(self._set.Match(_text(text)) or ())


@lru_cache(maxsize=256)
def search_set(patterns: tuple[str, ...]) -> GoRegexSet | None:
    """``patterns`` (each one :func:`compile_go` compiles) searched together, with the
    options each is compiled with; None when RE2 will not hold them in one program (its
    memory bound): the caller searches them one by one."""
    rx_set = re2.Set.SearchSet(_OPTIONS)
    try:
        for position, pattern in enumerate(patterns):
            if rx_set.Add(pattern) != position:
                return None
        rx_set.Compile()  # raises when over the memory bound
    except re2.error:
        return None
    return GoRegexSet(patterns, rx_set)


def _text(text: str) -> str | bytes:
    if not isinstance(text, str):
        return text if isinstance(text, bytes) else str(text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape" if _escaped_only(text) else "replace")
    return text


def _escaped_only(text: str) -> bool:
    return all(not 0xD800 <= ord(c) <= 0xDFFF or 0xDC80 <= ord(c) <= 0xDCFF for c in text)


@lru_cache(maxsize=2048)
def _compile(pattern: str) -> GoRegex | RegexError:
    try:
        pattern.encode("utf-8")
    except UnicodeEncodeError:
        return RegexError("error parsing regexp: invalid UTF-8")
    try:
        return GoRegex(pattern, re2.compile(pattern, _OPTIONS))
    except re2.error as exc:
        raw = exc.args[0] if exc.args else ""
        raw = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        message, ours = _go_message(raw)
        return RegexError(message, ours)


def compile_go(pattern: str) -> GoRegex:
    """``pattern`` compiled as Go's ``regexp.Compile`` would (cached); raises :class:`RegexError`."""
    found = _compile(pattern)
    if isinstance(found, RegexError):
        raise RegexError(str(found), found.ours)
    return found


def go_error(pattern: str) -> RegexError | None:
    """Why Go (or RE2's memory bound) refuses ``pattern``; ``None`` when it compiles."""
    found = _compile(pattern)
    return found if isinstance(found, RegexError) else None


def escape(text: str) -> str:
    """``text`` as a literal in RE2 syntax."""
    return re2.escape(text)
