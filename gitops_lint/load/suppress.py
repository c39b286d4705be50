"""Suppression comments: which findings a ``# gitops-lint: ...`` comment silences.

Three forms, the first read by the loader for each document, the other two
read here from the file's text:

- ``# gitops-lint: disable=RULE[,RULE]`` inside a document: that document;
- ``# gitops-lint: disable-line=RULE`` on the finding's own line;
- ``# gitops-lint: disable-next-line=RULE`` on the line above the finding.

RULE is a rule name or code, in any case (``GL101``, ``gl101``,
``dependency-cycle``). A comment that names no known rule suppresses
nothing, and saying nothing about it would let a typo hide as a silenced
finding: :func:`directive_problems` lists each one, with the nearest rule
name, and the yaml-syntax rule reports it as a warning at the comment's line.
Which rules exist is the rule registry's business, a later stage: it is
passed in as :class:`RuleNames`.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from ..core.data import Finding
from ..core.fs import FileTooLarge, OutsideRoot, RepoFS
from ..core.questions import derivable

DIRECTIVES = ("disable", "disable-line", "disable-next-line")
# every comment that talks to gitops-lint, well-formed or not
_COMMENT = re.compile(r"#\s*gitops-lint\s*:\s*([A-Za-z][\w-]*)([^\n]*)")
_RULES = re.compile(r"\s*=\s*([A-Za-z0-9_,\- ]*)")


@dataclass(frozen=True)
class Directive:
    """One suppression comment as written."""

    line: int
    column: int
    kind: str  # one of DIRECTIVES, or what was written when it is none of them
    rules: tuple[str, ...]  # as written, stripped
    well_formed: bool  # ``KIND=RULE,...``


class RuleLike(Protocol):
    name: str
    code: str


class RuleNames:
    """The rules a run knows, by every spelling the config and comments may use.

    The rules are a later stage of the pipeline than the config and the comments
    that name them: the command line passes them in (the registry's ``all_rules``)
    and they are asked for on first use only, so a run whose config and comments
    name no rule never loads them.
    """

    def __init__(self, rules: Callable[[], Iterable[RuleLike]]):
        self._rules = rules
        self._known: dict[str, str] | None = None
        self._names: list[str] = []
        self._codes: list[str] = []

    def _load(self) -> dict[str, str]:
        """Every accepted spelling (name, code, upper or lower case) -> the rule's name."""
        if self._known is None:
            rules = list(self._rules())
            self._names = [r.name for r in rules]
            self._codes = [r.code.lower() for r in rules]
            self._known = {spelling.lower(): r.name for r in rules for spelling in (r.name, r.code)}
        return self._known

    def canonical(self, name: str) -> str | None:
        """The rule name that ``name`` (a name or code, any case) means, or None."""
        return self._load().get(name.strip().lower())

    def suggestion(self, name: str) -> str:
        """`` (did you mean X?)`` for the known rule nearest to ``name``, or ``""``."""
        self._load()
        import difflib  # only a name that is no rule's asks for a suggestion

        close = difflib.get_close_matches(name.lower(), self._names + self._codes, n=1, cutoff=0.6)
        if not close:
            return ""
        best = close[0]
        if best in self._codes:
            best = best.upper()
        return f" (did you mean {best}?)"


def parse(text: str) -> list[Directive]:
    """Every ``# gitops-lint:`` comment of a file's text, in order."""
    if "gitops-lint" not in text:
        return []
    out = []
    line, counted = 1, 0  # lines counted up to ``counted``: linear, not from the start per comment
    for m in _COMMENT.finditer(text):
        line += text.count("\n", counted, m.start())
        counted = m.start()
        column = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
        kind, rest = m.group(1), m.group(2)
        rules_m = _RULES.match(rest)
        rules = tuple(r.strip() for r in rules_m.group(1).split(",") if r.strip()) if rules_m else ()
        out.append(Directive(line, column, kind, rules, rules_m is not None and bool(rules)))
    return out


def problems(directives: list[Directive], names: RuleNames) -> list[tuple[Directive, str]]:
    """Each comment that does not do what it seems to say, with why."""
    out = []
    for d in directives:
        if d.kind not in DIRECTIVES:
            import difflib

            close = difflib.get_close_matches(d.kind.lower(), DIRECTIVES, n=1, cutoff=0.6)
            if close:  # a comment that only mentions gitops-lint is no directive
                out.append(
                    (
                        d,
                        f"unknown suppression comment {d.kind!r} (did you mean {close[0]}?): "
                        "it suppresses nothing",
                    )
                )
            continue
        if not d.well_formed:
            out.append(
                (
                    d,
                    f"suppression comment without rules: it suppresses nothing (expected `# gitops-lint: {d.kind}=RULE[,RULE]`)",
                )
            )
            continue
        for name in d.rules:
            if names.canonical(name) is None:
                out.append(
                    (
                        d,
                        f"unknown rule {name!r} in a suppression comment{names.suggestion(name)}: "
                        "it suppresses nothing (see `gitops-lint rules`)",
                    )
                )
    return out


class Suppressions:
    """The comments of a run's files, read once per file, asked per finding."""

    def __init__(self, fs: RepoFS, cache, names: RuleNames):
        self.fs = fs
        self.cache = cache
        self.names = names
        self._lines: dict[str, dict[int, frozenset[str]]] = {}
        self._spans: dict[str, tuple[list[tuple[int, int, frozenset[str]]], list[int]]] = {}

    def _line_rules(self, file: str) -> dict[int, frozenset[str]]:
        """Finding line -> the rule names silenced on it by line-level comments."""
        found = self._lines.get(file)
        if found is None:
            found = {}
            for d in parse(read_text(self.fs, file)):
                if d.kind not in ("disable-line", "disable-next-line") or not d.well_formed:
                    continue
                target = d.line if d.kind == "disable-line" else d.line + 1
                names = frozenset(n for n in map(self.names.canonical, d.rules) if n is not None)
                found[target] = found.get(target, frozenset()) | names
            self._lines[file] = found
        return found

    def _doc_spans(self, file: str) -> tuple[list[tuple[int, int, frozenset[str]]], list[int]]:
        """The file's documents with a ``disable=`` comment: (first line, last line, rule names),
        sorted, with their first lines for a binary search."""
        found = self._spans.get(file)
        if found is None:
            loaded = self.cache.files.get(file)
            spans = sorted(
                (
                    d.origin.line,
                    d.end_line,
                    frozenset(n for n in map(self.names.canonical, d.disabled_rules) if n),
                )
                for d in (loaded.documents if loaded is not None else ())
                if d.disabled_rules
            )
            found = self._spans[file] = (spans, [s[0] for s in spans])
        return found

    def covers(self, f: Finding) -> bool:
        if not f.file:
            return False
        # a binary search: 40,000 documents with as many findings must not compare each
        # finding with each document. Documents follow each other, so their ends never
        # decrease either: those holding the line are the last ones starting at or before it
        spans, starts = self._doc_spans(f.file)
        i = bisect.bisect_right(starts, f.line) - 1
        while i >= 0 and spans[i][1] >= f.line:
            if f.rule in spans[i][2]:
                return True
            i -= 1
        return f.rule in self._line_rules(f.file).get(f.line, ())


def read_text(fs: RepoFS, file: str) -> str:
    """A repository file's text for its comments ("" when it cannot be read, or holds none).

    Whether it can hold one is asked first, as a function of its bytes (``RepoFS.derive``):
    most files do not, and a warm run knows that of every unchanged file without reading
    it, and is not made a miss by a change of a file that still holds none."""
    try:
        if not fs.derive(file, mentions_gitops_lint):
            return ""
        raw = fs.read_bytes(file)
    except (OSError, OutsideRoot, FileTooLarge):
        return ""
    return raw.decode("utf-8", "replace")


@derivable
def mentions_gitops_lint(raw: bytes) -> bool:
    """Whether a file's bytes may hold a suppression comment (:func:`read_text`)."""
    return b"gitops-lint" in raw


def directive_problems(fs: RepoFS, files, names: RuleNames) -> Iterator[tuple[str, Directive, str]]:
    """(file, comment, why) for each suppression comment of ``files`` that does nothing."""
    for file in sorted(files):
        for d, why in problems(parse(read_text(fs, file)), names):
            yield file, d, why
