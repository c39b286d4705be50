"""Keep secret values, and every part of them, out of every line gitops-lint writes.

Rules and reporters never print a value on purpose (``plaintext-secret``
names keys, not values). This module is what stops the rest: a message of
another stage that quotes a Secret's value whole, cut short (``got string
"Zq8v...``), escaped (``'P\\xe4ss'``, ``\\"``), transformed by Flux's envsubst
(``${pw^^}``, ``${pw:0:20}``) or embedded in other text
(``postgres://app:${db_password}@db``); an object named from a secret; a
``--diff`` context line; what ``gitops-lint build`` prints; an internal
error's text or a ``--debug`` traceback.

**Taint at read.** The values come from :mod:`.secrets`: Secret ``data`` and
``stringData`` values of the files as written and of the rendered Secrets,
secretGenerator literals and the env/files sources they read (a malformed
literal or env line whole, since its "key" may be the value), chart
password keys, and the values of post-build variables that a Kustomization
takes from a Secret (``substituteFrom`` kind Secret, config ``variables:``
for ``Secret/ns/name``, and a ``--var`` standing in for a variable of a
Kustomization that reads a Secret; see :func:`.secrets.secret_variables`).

**Derived forms.** For each tainted value the redactor indexes the windows
of :data:`WINDOW` characters of: the value; its escaped forms (Python
``repr``, JSON with and without ``\\u`` escapes, YAML's quote doubling); its
base64 forms (standard and URL-safe) at the three byte alignments, so the
base64 of a text that *embeds* the value is caught too. Matching ignores
case, which covers every case transformation envsubst can apply (``^^``,
``,,``, ``^``, ``,``, ``~~``); a substring (``${pw:0:20}``, ``${pw#x}``) is
caught by its windows.

**Masking.** :meth:`Redactor.redact` slides a window over the text: a window
that is an indexed window of a tainted form starts a match, extended left
and right as far as the text and the form agree, and every maximal match
becomes ``***``. So no run of :data:`WINDOW` or more characters of a tainted
value survives (for a form longer than :data:`MAX_INDEXED` characters, a
multi-megabyte file, windows are indexed every ``s`` positions, and any run
of ``WINDOW + s - 1`` or more characters is masked). The scan is linear in
the text: each position is looked up once and a match's extension is never
revisited.

**What is not masked** (ordinary words must stay readable):

* a value is tainted only when it looks like a secret (:func:`secret_like`):
  at least :data:`MIN_SECRET` characters and :data:`MIN_DISTINCT` distinct
  ones, and either two classes of characters (lower, upper, digit, symbol
  other than ``-._``) or :data:`LONG` characters. ``admin``, ``true``,
  ``helm``, ``flux-system``, ``postgres``, ``grafana-admin`` are not;
* a window that is also a window of an identifier of the repository (an
  object's name or namespace, a mapping key, a label value, the value of a
  ``name``-like key outside a Secret's data: :func:`.secrets.public_identifiers`) is public and starts no match, so a
  secret ``flux-system-Xk93jdk2`` still masks ``flux-system-Xk93jdk2`` whole
  but never the namespace ``flux-system`` nor the key ``password``;
* a window of fewer than :data:`MIN_DISTINCT` distinct characters (runs of
  spaces or dashes in a PEM or config file) starts no match;
* a value of several lines is a file (a config, a script, a PEM bundle)
  whose comments and keys are ordinary text: its words are tainted one by
  one, each judged by :func:`secret_like` (:func:`tainted_forms`), and the
  base64 of the whole; no window spans whitespace, so the prose of a
  committed config never masks the same words in a message.

Where it applies: once on the findings (:meth:`Redactor.redact_finding`:
message, object name and namespace, so the JSON ``object`` and SARIF
``properties.object`` too) before any reporter sees them; on every string
(keys too) of what ``build`` prints (:func:`redact_leaves`, with Secrets
masked by :func:`.secrets.mask_objects`); on ``graph`` output, the ``--fix``
summary and ``--diff`` lines, the notes, and the command line's error paths
(the redactors of every run the command made: :func:`collecting`).

Each run has its own redactor (the Linter makes it and hands it the
run's sources of values); nothing here is shared by two runs of one process.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from itertools import compress

#: the shortest run of a tainted value that is masked wherever it appears
WINDOW = 8
#: a value shorter than this is never tainted: it cannot be told from ordinary words
MIN_SECRET = 8
#: distinct characters a tainted value, and a window that starts a match, must hold
MIN_DISTINCT = 4
#: a value this long is tainted whatever characters it holds (a lowercase passphrase)
LONG = 16
#: windows of a form longer than this are indexed every len/MAX_INDEXED positions
MAX_INDEXED = 1 << 16
MASK = "***"
_SEPARATORS = frozenset("-._")
_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


def secret_like(value: str) -> bool:
    """Is ``value`` long and varied enough to be a secret, not an ordinary word?"""
    text = value.strip()
    if len(text) < MIN_SECRET or len(set(text)) < MIN_DISTINCT:
        return False
    if len(text) >= LONG:
        return True
    classes = 0
    lower = upper = digit = other = False
    for ch in text:
        if ch.islower():
            lower = True
        elif ch.isupper():
            upper = True
        elif ch.isdigit():
            digit = True
        elif ch not in _SEPARATORS:
            other = True
    classes = lower + upper + digit + other
    return classes >= 2


def _windows(low: str, stride: int = 1):
    """The windows of :data:`WINDOW` characters of ``low`` starting every ``stride`` positions
    (the iteration runs in C: a 1 MB value is indexed in about a second)."""
    return map(
        low.__getitem__,
        map(slice, range(0, len(low) - WINDOW + 1, stride), range(WINDOW, len(low) + 1, stride)),
    )


def _lower(text: str) -> str:
    """``text`` in lower case, one character for one (``str.lower`` may grow ``İ``)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def _base64_forms(raw: bytes) -> list[str]:
    """The base64 text of ``raw`` as it appears inside the base64 of any longer text.

    For each byte alignment (0, 1 or 2 bytes before it), the characters that
    depend only on ``raw``.
    """
    out = []
    for k in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            enc = encode(bytes(k) + raw).decode("ascii").rstrip("=")
            start = (8 * k + 5) // 6
            end = len(enc) - (0 if (k + len(raw)) % 3 == 0 else 1)
            if end - start >= WINDOW:
                out.append(enc[start:end])
    return out


def tainted_forms(value: str) -> list[str]:
    """The texts no run of :data:`WINDOW` characters of which may reach output.

    A value of one line: :func:`forms` of it, if it looks like a secret. A
    value of several lines is a file (a config, a script, a PEM bundle), whose
    comments and keys are ordinary text: each of its whitespace-separated
    words (surrounding punctuation removed) that looks like a secret, and the
    base64 of the whole. Runs never span whitespace there, so the prose of a
    committed config does not mask the same words in every message.
    """
    text = value.strip()
    raw = value.encode("utf-8", "replace")
    if "\n" not in text:
        if not secret_like(text):
            return []
        return forms(text) + (_base64_forms(raw) if text != value else [])
    out: list[str] = []
    for word in sorted({w.strip(_PUNCTUATION) for w in text.split()}):
        if secret_like(word):
            out.extend(forms(word))
    if secret_like(text):
        out.extend(_base64_forms(raw))
    return out


#: tainted forms longer than this are searched one by one, not in one automaton
MAX_PATTERN_FORM = 1024


def tainted_matcher(
    tainted: Iterable[str], never_masked: Callable[[str], bool] | None = None
) -> Callable[[str], bool]:
    """Whether a text holds one of the ``tainted`` values in one of the forms output could
    carry (:func:`tainted_forms`: as written, escaped, base64): what the warm cache's finer
    stores test an entry with before keeping it (a Secret's value written again elsewhere).
    ``never_masked`` (:meth:`Redactor.never_masked`) leaves out the forms the run's redactor
    prints as they are: a word of a multi-line value (a kubeconfig's ``apiVersion``) that is
    an identifier of the repository is ordinary text in every file, not a secret's.

    A long form (the base64 of a whole file a secretGenerator reads) is one substring
    search: in one automaton it would cost seconds to compile and overflow its memory.
    """
    found = sorted({f for value in tainted for f in tainted_forms(value)})
    holds_any = _matcher(found)
    if never_masked is None:
        return holds_any
    masked: list[Callable[[str], bool]] = []  # made at the first text that holds any form

    def holds(text: str) -> bool:
        if not holds_any(text):
            return False  # (and the identifiers never_masked reads are not read)
        if not masked:
            masked.append(_matcher([f for f in found if not never_masked(f)]))
        return masked[0](text)

    return holds


def _matcher(found: list[str]) -> Callable[[str], bool]:
    import re2  # only a run that stores imports it (a warm hit never does)

    long = [f for f in found if len(f) > MAX_PATTERN_FORM]
    short = [f for f in found if len(f) <= MAX_PATTERN_FORM]
    pattern = None
    if short:
        options = re2.Options()
        options.max_mem = 64 << 20
        options.log_errors = False
        try:
            pattern = re2.compile("|".join(re2.escape(f) for f in short), options)
        except re2.error:  # still too large for one automaton: one search per form
            long = found
    if pattern is None:
        return lambda text: any(f in text for f in long)
    return lambda text: pattern.search(text) is not None or any(f in text for f in long)


def forms(value: str) -> list[str]:
    """The texts in which output may carry ``value`` (see the module docstring)."""
    found = [value]
    for escaped in (
        repr(value)[1:-1],
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        value.replace("'", "''"),
    ):
        if escaped not in found:
            found.append(escaped)
    found.extend(_base64_forms(value.encode("utf-8", "replace")))
    return found


def _common_prefix(a: str, ai: int, b: str, bi: int) -> int:
    """Length of the common prefix of ``a[ai:]`` and ``b[bi:]`` (chunked: linear, in C)."""
    n = min(len(a) - ai, len(b) - bi)
    k, step = 0, 16
    while k < n:
        m = min(step, n - k)
        if a[ai + k : ai + k + m] == b[bi + k : bi + k + m]:
            k += m
            step *= 2
        elif m > 16:
            step = 16
        else:
            while k < n and a[ai + k] == b[bi + k]:
                k += 1
            return k
    return k


def _common_suffix(a: str, aend: int, b: str, bend: int, limit: int) -> int:
    """Length of the common suffix of ``a[:aend]`` and ``b[:bend]``, at most ``limit``."""
    n = min(aend, bend, limit)
    k, step = 0, 16
    while k < n:
        m = min(step, n - k)
        if a[aend - k - m : aend - k] == b[bend - k - m : bend - k]:
            k += m
            step *= 2
        elif m > 16:
            step = 16
        else:
            while k < n and a[aend - k - 1] == b[bend - k - 1]:
                k += 1
            return k
    return k


class Redactor:
    """The tainted values of one run, and the masking of text that may quote them.

    ``source`` gives the values lazily: an internal error in the middle of a
    run is redacted with what the run has read so far (:meth:`refresh`).
    ``public`` gives the repository's identifiers, whose windows never start
    a match (read once, when the first tainted value is indexed).
    """

    def __init__(
        self,
        source: Callable[[], Iterable[object]] | None = None,
        public: Callable[[], Iterable] | None = None,
    ) -> None:
        self._source = source
        self._public_source = public
        self._values: set[str] = set()
        self._pending: list[list[str]] = []  # the tainted forms of values not indexed yet
        self._staged: list[tuple[str, range, list[str], list[bool]]] = []  # _gather's, not indexed
        self._grams: set[str] = set()  # every varied window of every form, public or not
        self._forms: list[str] = []
        self._index: dict[str, int] = {}  # window -> form number << 32 | offset
        self._public: set[str] | None = None
        found = _COLLECTING.get()
        if found is not None:
            found.add(self)

    def refresh(self) -> None:
        """Pull the source's values now (never raises: this runs on error paths too)."""
        if self._source is None:
            return
        # redaction must not turn one error into another
        with contextlib.suppress(Exception):
            self.update(self._source())

    def __bool__(self) -> bool:
        return bool(self._values)

    def add(self, value: object) -> None:
        """Taint a value (and its forms) if it looks like a secret."""
        if value is None or isinstance(value, (dict, list)):
            return
        text = value if isinstance(value, str) else str(value)
        if text in self._values:
            return
        found = tainted_forms(text)
        if found:
            self._values.update((text, text.strip()))
            self._pending.append(found)

    def update(self, values: Iterable[object]) -> None:
        for v in values:
            self.add(v)

    def is_secret(self, value: str) -> bool:
        """Is ``value`` as a whole one of the tainted values?"""
        return value in self._values or value.strip() in self._values

    # -- the index ----------------------------------------------------------
    def _public_windows(self) -> set[str]:
        if self._public is None:
            self._public = set()
            if self._public_source is not None:
                with contextlib.suppress(Exception):
                    for name in {_lower(n) for n in self._public_source() if len(n) >= WINDOW}:
                        starts = range(len(name) - WINDOW + 1)
                        self._public.update(
                            map(name.__getitem__, map(slice, starts, range(WINDOW, len(name) + 1)))
                        )
        return self._public

    def _gather(self) -> None:
        """The windows of the pending forms, and every varied one in :attr:`_grams`: a text
        none of whose windows is there needs no masking, whatever the repository's
        identifiers are (reading them, :meth:`_public_windows`, walks every document)."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        for found in pending:
            for form in found:
                low = _lower(form)
                stride = max(1, -(-len(low) // MAX_INDEXED))
                starts = range(0, len(low) - WINDOW + 1, stride)
                grams = list(_windows(low, stride))
                varied = list(map(MIN_DISTINCT.__le__, map(len, map(set, grams))))
                self._grams.update(compress(grams, varied))
                self._staged.append((low, starts, grams, varied))

    def _compile(self) -> None:
        self._gather()
        if not self._staged:
            return
        staged, self._staged = self._staged, []
        public = self._public_windows()
        for low, starts, grams, varied in staged:
            fid = len(self._forms)
            self._forms.append(low)
            private = map(public.__contains__, grams)
            keep = [v and not p for v, p in zip(varied, private)]
            codes = [fid << 32 | i for i in starts]
            # the first occurrence of a window in the form is where a match extends from
            self._index.update(
                zip(reversed(list(compress(grams, keep))), reversed(list(compress(codes, keep))))
            )

    def never_masked(self, form: str) -> bool:
        """Whether no window of ``form`` starts a match (each is a window of an identifier
        of the repository, or has fewer than :data:`MIN_DISTINCT` distinct characters):
        the redactor lets ``form`` through wherever it stands, so what may reach output
        may hold it."""
        varied = [w for w in _windows(_lower(form)) if len(set(w)) >= MIN_DISTINCT]
        if not varied:
            return True
        public = self._public_windows()
        return all(w in public for w in varied)

    # -- masking ------------------------------------------------------------
    def spans(self, text: str) -> list[tuple[int, int]]:
        """The maximal runs of ``text`` (start, end) that are runs of a tainted form."""
        if len(text) < WINDOW or not (self._values or self._pending):
            return []
        self._gather()
        low = _lower(text)
        if not any(map(self._grams.__contains__, _windows(low))):
            return []  # no window of a tainted form: the identifiers need not be read
        self._compile()
        index, form_list = self._index, self._forms
        if not index:
            return []
        out: list[list[int]] = []
        floor = 0  # a match never extends left into what an earlier one covered
        start, end = 0, len(low) - WINDOW + 1
        while start < end:
            starts = range(start, end)
            windows = map(low.__getitem__, map(slice, starts, range(start + WINDOW, end + WINDOW)))
            start = end
            for i in compress(starts, map(index.__contains__, windows)):  # the look-ups run in C
                code = index[low[i : i + WINDOW]]
                form, off = form_list[code >> 32], code & 0xFFFFFFFF
                right = i + WINDOW + _common_prefix(low, i + WINDOW, form, off + WINDOW)
                left = i - _common_suffix(low, i, form, off, i - floor)
                if out and left <= out[-1][1]:
                    out[-1][1] = max(out[-1][1], right)
                else:
                    out.append([left, right])
                floor = out[-1][1]
                if floor - WINDOW + 1 > i + 1:  # windows inside the match: resume after it
                    start = floor - WINDOW + 1
                    break
        return [(a, b) for a, b in out]

    def redact(self, text: str) -> str:
        if not text or len(text) < WINDOW:
            return text
        found = self.spans(text)
        if not found:
            return text
        parts, at = [], 0
        for start, end in found:
            parts.append(text[at:start])
            parts.append(MASK)
            at = end
        parts.append(text[at:])
        return "".join(parts)

    def redact_finding(self, finding) -> None:
        """Mask a finding's message and the name and namespace of its object, in place."""
        from dataclasses import replace

        finding.message = self.redact(finding.message)
        obj = finding.object
        if obj is not None:
            name, namespace = self.redact(obj.name), self.redact(obj.namespace)
            if (name, namespace) != (obj.name, obj.namespace):
                finding.object = replace(obj, name=name, namespace=namespace)

    def clear(self) -> None:
        self._values.clear()
        self._pending.clear()
        self._staged.clear()
        self._grams.clear()
        self._forms.clear()
        self._index.clear()
        self._public = None


class Redactors:
    """Several runs' redactors as one.

    A command may make several runs (``diff``'s base and head, ``--fix``'s
    re-run, ``--new-only``'s run at the base): what any of them read is kept
    out of what the command writes on its error paths and in ``--debug``
    traces.
    """

    def __init__(self, redactors: Iterable[Redactor] = ()) -> None:
        self._redactors: list[Redactor] = []
        for r in redactors:
            self.add(r)

    def add(self, redactor: Redactor) -> None:
        if all(r is not redactor for r in self._redactors):
            self._redactors.append(redactor)

    def refresh(self) -> None:
        for r in self._redactors:
            r.refresh()

    def redact(self, text: str) -> str:
        for r in self._redactors:
            text = r.redact(text)
        return text

    def is_secret(self, value: str) -> bool:
        return any(r.is_secret(value) for r in self._redactors)


# the redactors made inside a `collecting()` block (None outside one): scoped to the
# caller that opened it (the command line, for one command), never to the process
_COLLECTING: ContextVar[Redactors | None] = ContextVar("gitops_lint_redactors", default=None)


@contextlib.contextmanager
def collecting() -> Iterator[Redactors]:
    """Every :class:`Redactor` made inside the block joins the :class:`Redactors` it yields.

    The command line opens one per command, so that its error paths mask the
    values of every run the command made; a library caller that makes two
    runs without one gets two independent redactors and nothing shared.
    """
    found = Redactors()
    token = _COLLECTING.set(found)
    try:
        yield found
    finally:
        _COLLECTING.reset(token)


def collected() -> Redactors:
    """The redactors of the enclosing :func:`collecting` block (none outside one)."""
    found = _COLLECTING.get()
    return found if found is not None else Redactors()


def redact_leaves(node, redactor: Redactor):
    """``node`` (plain YAML data, changed in place) with every string, keys too, redacted."""
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            for key in list(cur):
                value = cur[key]
                new_key = redactor.redact(key) if isinstance(key, str) else key
                if isinstance(value, (dict, list)):
                    stack.append(value)
                elif isinstance(value, str):
                    value = redactor.redact(value)
                if new_key != key:
                    del cur[key]
                    cur[new_key] = value
                else:
                    cur[key] = value
        elif isinstance(cur, list):
            for i, value in enumerate(cur):
                if isinstance(value, (dict, list)):
                    stack.append(value)
                elif isinstance(value, str):
                    cur[i] = redactor.redact(value)
    return node
