"""A port of Flux's ``envsubst`` (fluxcd/pkg ``envsubst``, forked from drone/envsubst).

Faithful to the Go code, including its quirks (see FLUX-SEMANTICS.md 1.3):

* top level: ``$$`` -> ``$``, ``${`` opens an expression, any other ``$`` is text
  (so bare ``$name`` and ``\\${x}`` are never escapes);
* inside an expression the scanner of ``envsubst/parse/scan.go`` is reproduced
  rune for rune (accept functions, modes, the ``skip`` escape of ``$$``, ``\\/``
  and ``\\\\`` that only replace-operator arguments honour), so every form the Go
  parser rejects raises :class:`EnvsubstError` with Go's message;
* operators evaluate as ``envsubst/funcs.go`` does: lengths and substring offsets
  count UTF-8 bytes, ``#``/``%`` trim with a glob whose ``*`` also matches ``/``,
  unknown operator spellings (``${v,^}``) fall back to the plain value.

Versions: the parser accepts an empty replace pattern (``${v/#/x}``) and the
substring operator accepts a negative length (``${v:0:-1}``), as the newest
fluxcd/pkg does; older releases reject the first ("unable to parse substitution
within function") and panic on the second.

What this module adds to Go: every function node knows its source span, so an
unresolved expression can be left in the text exactly as written; nesting deeper
than :data:`MAX_NESTING` is refused instead of exhausting the Python stack.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

# Go's parse errors (envsubst/parse/parse.go)
ERR_BAD_SUBSTITUTION = "bad substitution"
ERR_MISSING_CLOSING_BRACE = "missing closing brace"
ERR_PARSE_VARIABLE_NAME = "unable to parse variable name"
ERR_PARSE_FUNC_SUBSTITUTION = "unable to parse substitution within function"
ERR_PARSE_DEFAULT_FUNCTION = "unable to parse default function"
ERR_TOO_DEEP = "expression nesting too deep"

MAX_NESTING = 64


class _Unknown:
    """A variable that is set in the cluster with a value gitops-lint cannot know offline
    (a SOPS-encrypted Secret value, a Secret an operator writes, an external source)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()

# Operators that supply their own value for an unset variable (template.go isDefaultOp)
DEFAULT_OPS = frozenset({"-", "+", "=", "?", ":-", ":+", ":=", ":?"})


class EnvsubstError(Exception):
    """A form Flux's envsubst parser rejects; ``position`` is where it stopped."""

    def __init__(self, message: str, start: int, position: int):
        super().__init__(message)
        self.message = message
        self.start = start  # index of the ``${`` of the outermost expression
        self.position = position


@dataclass(eq=False)
class Func:
    """A ``${...}`` expression (Go's FuncNode) with its span in the parsed text."""

    param: str
    name: str = ""  # operator, "" for a bare ${param}
    args: list = field(default_factory=list)  # of str | Func
    start: int = 0
    end: int = 0


# -- scanner (envsubst/parse/scan.go) ---------------------------------------

_EOF = ""
_T_ILLEGAL, _T_EOF, _T_IDENT, _T_LBRACK, _T_RBRACK = range(5)
_M_IDENT, _M_LBRACK, _M_RBRACK, _M_ESCAPE = 1, 2, 4, 8
_E_DOLLAR, _E_BACKSLASH = 1, 2
_E_ALL = _E_DOLLAR | _E_BACKSLASH


def _accept_ident(r: str, i: int) -> bool:
    # unicode.IsLetter / unicode.IsDigit (Nd) / '_'
    return r == "_" or r.isalpha() or r.isdecimal()


def _accept_colon(r, i):
    return r == ":"


def _accept_one_hash(r, i):
    return r == "#" and i == 1


def _accept_not_closing(r, i):
    return r != "}"


def _accept_hash(r, i):
    return r == "#" and i < 3


def _accept_percent(r, i):
    return r == "%" and i < 3


def _accept_default(r, i):
    return (i == 1 and r == ":") or (i == 2 and r in "=-?+" and r != "")


def _accept_replace(r, i):
    return (i == 1 and r == "/") or (i == 2 and r in "/#%" and r != "")


def _accept_one_equal(r, i):
    return i == 1 and r == "="


def _accept_one_colon(r, i):
    return i == 1 and r == ":"


def _reject_colon_close(r, i):
    return r != ":" and r != "}"


def _accept_slash(r, i):
    return r == "/"


def _accept_not_slash(r, i):
    return r != "/"


def _accept_casing(r, i):
    return (r == "," or r == "^") and i < 3


class _Scanner:
    """Go's scanner over an immutable string.

    Go's ``skip`` deletes the escape rune from its buffer; here the escape's
    index is remembered and left out of :meth:`string`, and the escaped rune is
    consumed, which is what the deletion amounts to. Positions stay those of the
    original text. Width is 1 per code point (0 at end of text, as in Go).
    """

    __slots__ = ("buf", "n", "pos", "start", "width", "mode", "escape", "accept", "skips")

    def __init__(self, buf: str, pos: int):
        self.buf = buf
        self.n = len(buf)
        self.pos = pos
        self.start = pos
        self.width = 0
        self.mode = 0
        self.escape = _E_ALL
        self.accept: Callable[[str, int], bool] = _accept_ident
        self.skips: list[int] = []

    def read(self) -> str:
        if self.pos >= self.n:
            self.width = 0
            return _EOF
        r = self.buf[self.pos]
        self.width = 1
        self.pos += 1
        return r

    def unread(self) -> None:
        self.pos -= self.width

    def peek(self) -> str:
        r = self.read()
        self.unread()
        return r

    def skip(self) -> None:
        self.skips.append(self.pos - 1)
        self.pos += 1

    def string(self) -> str:
        if not self.skips:
            return self.buf[self.start : self.pos]
        out, prev = [], self.start
        for k in self.skips:
            out.append(self.buf[prev:k])
            prev = k + 1
        out.append(self.buf[prev : self.pos])
        return "".join(out)

    def _i(self) -> int:
        return self.pos - self.start - len(self.skips)

    def scan(self) -> int:
        self.start = self.pos
        self.skips = []
        r = self.read()
        if r == _EOF:
            return _T_EOF
        if self._scan_lbrack(r):
            return _T_LBRACK
        if self._scan_rbrack(r):
            return _T_RBRACK
        if self._scan_ident(r):
            return _T_IDENT
        return _T_ILLEGAL

    def _scan_ident(self, r: str) -> bool:
        if not self.mode & _M_IDENT:
            return False
        if self._scan_escaped(r):
            self.skip()
        elif not self.accept(r, self._i()):
            return False
        accept = self.accept
        while True:
            r = self.read()
            if r == _EOF:
                self.unread()
                break
            if self._scan_lbrack(r):
                self.unread()
                self.unread()
                break
            if self._scan_escaped(r):
                self.skip()
                continue
            if not accept(r, self._i()):
                self.unread()
                break
        return True

    def _scan_lbrack(self, r: str) -> bool:
        if not self.mode & _M_LBRACK:
            return False
        if r == "$":
            if self.read() == "{":
                return True
            self.unread()
        return False

    def _scan_rbrack(self, r: str) -> bool:
        return bool(self.mode & _M_RBRACK) and r == "}"

    def _scan_escaped(self, r: str) -> bool:
        if not self.mode & _M_ESCAPE:
            return False
        if r == "$" and self.escape & _E_DOLLAR and self.peek() == "$":
            return True
        if r == "\\" and self.escape & _E_BACKSLASH:
            return self.peek() in ("/", "\\")
        return False


# -- parser (envsubst/parse/parse.go) -----------------------------------------


class _FuncParser:
    """Parses one ``${...}`` starting right after its ``${``."""

    def __init__(self, text: str, pos: int, start: int):
        self.sc = _Scanner(text, pos)
        self.start = start
        self.depth = 0

    def fail(self, message: str):
        raise EnvsubstError(message, self.start, self.sc.pos)

    def parse_func(self) -> Func:
        self.depth += 1
        if self.depth > MAX_NESTING:
            self.fail(ERR_TOO_DEEP)
        try:
            return self._parse_func()
        finally:
            self.depth -= 1

    def _parse_func(self) -> Func:
        sc = self.sc
        sc.escape = _E_ALL
        if sc.peek() == "#":
            return self.parse_len()
        sc.accept = _accept_ident
        sc.mode = _M_IDENT
        if sc.scan() != _T_IDENT:
            self.fail(ERR_PARSE_VARIABLE_NAME)
        name = sc.string()
        c = sc.peek()
        if c == ":":
            return self.parse_default_or_substr(name)
        if c == "=":
            return self.parse_default(name)
        if c == "," or c == "^":
            return self.parse_casing(name)
        if c == "/":
            return self.parse_replace(name)
        if c == "#":
            return self.parse_remove(name, _accept_hash)
        if c == "%":
            return self.parse_remove(name, _accept_percent)
        sc.accept = _accept_ident
        sc.mode = _M_RBRACK
        if sc.scan() == _T_RBRACK:
            return Func(name)
        self.fail(ERR_MISSING_CLOSING_BRACE)

    def parse_param(self, accept, mode: int):
        sc = self.sc
        sc.accept = accept
        sc.mode = mode | _M_LBRACK
        tok = sc.scan()
        if tok == _T_LBRACK:
            start = sc.start
            node = self.parse_func()
            node.start, node.end = start, sc.pos
            return node
        if tok in (_T_IDENT, _T_RBRACK):
            return sc.string()
        self.fail(ERR_PARSE_FUNC_SUBSTITUTION)

    def parse_default_or_substr(self, name: str) -> Func:
        sc = self.sc
        sc.read()
        r = sc.peek()
        sc.unread()  # Go: width of the peeked rune (0 at end of text), not of ':'
        if r != _EOF and r in "=-?+":
            return self.parse_default(name)
        return self.parse_substr(name)

    def parse_substr(self, name: str) -> Func:
        sc = self.sc
        node = Func(name)
        sc.accept = _accept_one_colon
        sc.mode = _M_IDENT
        if sc.scan() != _T_IDENT:
            self.fail(ERR_BAD_SUBSTITUTION)
        node.name = sc.string()
        node.args.append(self.parse_param(_reject_colon_close, _M_IDENT))
        sc.accept = _accept_colon
        sc.mode = _M_IDENT | _M_RBRACK
        tok = sc.scan()
        if tok == _T_RBRACK:
            return node
        if tok != _T_IDENT:
            self.fail(ERR_BAD_SUBSTITUTION)
        node.args.append(self.parse_param(_accept_not_closing, _M_IDENT))
        self.consume_rbrack()
        return node

    def parse_remove(self, name: str, accept) -> Func:
        sc = self.sc
        node = Func(name)
        sc.accept = accept
        sc.mode = _M_IDENT
        if sc.scan() != _T_IDENT:
            self.fail(ERR_BAD_SUBSTITUTION)
        node.name = sc.string()
        node.args.append(self.parse_param(_accept_not_closing, _M_IDENT))
        self.consume_rbrack()
        return node

    def parse_replace(self, name: str) -> Func:
        sc = self.sc
        node = Func(name)
        sc.accept = _accept_replace
        sc.mode = _M_IDENT
        if sc.scan() != _T_IDENT:
            self.fail(ERR_BAD_SUBSTITUTION)
        node.name = sc.string()
        if sc.peek() == "/":  # empty pattern, ${v/#/x} (newer fluxcd/pkg)
            node.args.append("")
        else:
            node.args.append(self.parse_param(_accept_not_slash, _M_IDENT | _M_ESCAPE))
        sc.accept = _accept_slash
        sc.mode = _M_IDENT
        if sc.scan() != _T_IDENT:
            self.fail(ERR_BAD_SUBSTITUTION)
        if sc.peek() == "}":
            self.consume_rbrack()
            return node
        node.args.append(self.parse_param(_accept_not_closing, _M_IDENT | _M_ESCAPE))
        self.consume_rbrack()
        return node

    def parse_default(self, name: str) -> Func:
        sc = self.sc
        node = Func(name)
        sc.accept = _accept_one_equal if sc.peek() == "=" else _accept_default
        sc.mode = _M_IDENT
        if sc.scan() != _T_IDENT:
            self.fail(ERR_PARSE_DEFAULT_FUNCTION)
        node.name = sc.string()
        while True:
            if sc.peek() == "}":
                self.consume_rbrack()
                return node
            node.args.append(self.parse_param(_accept_not_closing, _M_IDENT))

    def parse_casing(self, name: str) -> Func:
        sc = self.sc
        node = Func(name)
        sc.accept = _accept_casing
        sc.mode = _M_IDENT
        if sc.scan() != _T_IDENT:
            self.fail(ERR_BAD_SUBSTITUTION)
        node.name = sc.string()
        self.consume_rbrack()
        return node

    def parse_len(self) -> Func:
        sc = self.sc
        node = Func("")
        sc.accept = _accept_one_hash
        sc.mode = _M_IDENT
        if sc.scan() != _T_IDENT:
            self.fail(ERR_BAD_SUBSTITUTION)
        node.name = sc.string()
        sc.accept = _accept_ident
        sc.mode = _M_IDENT
        if sc.scan() != _T_IDENT:
            self.fail(ERR_BAD_SUBSTITUTION)
        node.param = sc.string()
        self.consume_rbrack()
        return node

    def consume_rbrack(self) -> None:
        self.sc.mode = _M_RBRACK
        if self.sc.scan() != _T_RBRACK:
            self.fail(ERR_BAD_SUBSTITUTION)


def needs_parse(text: str) -> bool:
    """False when :func:`parse` would return ``text`` itself (no ``${``, no ``$$``)."""
    return "$" in text and ("${" in text or "$$" in text)


# The forms nearly every real expression takes: ``${NAME}`` and a default without a nested
# expression (``${NAME:=text}``, ``${NAME:-text}``, ``${NAME=text}``, ...), ASCII names only.
# For these the scanner's path is fixed (an identifier, then ``}`` or a default operator,
# then text up to the first ``}``), so a match gives the node the parser would build; any
# other text (a ``$`` or an escape in the default, unicode names, other operators) goes
# through the parser. tests/test_envsubst_fastpath.py checks that the two agree.
_SIMPLE = re.compile(r"\$\{([A-Za-z0-9_]+)(?:(:[-=?+]|=)([^}$]*))?\}")


def parse(text: str) -> list:
    """Parse ``text`` into a list of ``str`` and :class:`Func`; raise :class:`EnvsubstError`.

    The top level is scanned with ``str.find`` (``$$`` -> ``$``, ``${`` opens an
    expression, any other character is text), which is what Go's scanner does
    there with ``acceptRune`` and the dollar escape.
    """
    nodes: list = []
    buf: list[str] = []
    i, n = 0, len(text)
    find = text.find
    simple = _SIMPLE.match
    while True:
        j = find("$", i)
        if j < 0:
            buf.append(text[i:])
            break
        buf.append(text[i:j])
        nxt = text[j + 1] if j + 1 < n else ""
        if nxt == "{":
            if buf:
                s = "".join(buf)
                if s:
                    nodes.append(s)
                buf = []
            m = simple(text, j)
            if m is not None:
                op, default = m.group(2, 3)
                i = m.end()
                node = Func(m.group(1), op or "", [default] if default else [], j, i)
            else:
                p = _FuncParser(text, j + 2, j)
                node = p.parse_func()
                node.start, node.end = j, p.sc.pos
                i = p.sc.pos
            nodes.append(node)
        elif nxt == "$":
            buf.append("$")
            i = j + 2
        else:
            buf.append("$")
            i = j + 1
    s = "".join(buf)
    if s:
        nodes.append(s)
    return nodes


def iter_funcs(nodes: list):
    """Every :class:`Func` of a parse, outer before inner, in text order (iterative)."""
    stack = [n for n in reversed(nodes) if isinstance(n, Func)]
    while stack:
        f = stack.pop()
        yield f
        stack.extend(a for a in reversed(f.args) if isinstance(a, Func))


# -- evaluation (envsubst/template.go, envsubst/funcs.go) ---------------------


def _atoi(s: str) -> int | None:
    """strconv.Atoi: optional sign, ASCII digits, int64 range."""
    body = s[1:] if s[:1] in ("+", "-") else s
    if not body or not body.isascii() or not body.isdigit():
        return None
    v = int(s)
    if not -(2**63) <= v < 2**63:
        return None
    return v


def _to_len(s, args):
    return str(len(s.encode("utf-8")))


def _map_runes(s: str, fn) -> str:
    # Go's unicode.ToUpper/ToLower map rune to rune (no 'ß' -> 'SS')
    out = []
    for c in s:
        m = fn(c)
        out.append(m if len(m) == 1 else c)
    return "".join(out)


def _to_lower(s, args):
    return s.lower() if s.isascii() else _map_runes(s, str.lower)


def _to_upper(s, args):
    return s.upper() if s.isascii() else _map_runes(s, str.upper)


def _to_lower_first(s, args):
    return _map_runes(s[:1], str.lower) + s[1:] if s else s


def _to_upper_first(s, args):
    return _map_runes(s[:1], str.upper) + s[1:] if s else s


def _to_default(s, args):
    if not s and args:
        return "".join(args)
    return s


def _to_substr(s, args):
    if not args:
        return s
    pos = _atoi(args[0])
    if pos is None:
        return s
    b = s.encode("utf-8")
    n = len(b)
    if pos < 0:
        pos = max(n + pos, 0)
    if len(args) == 1:
        return b[pos:].decode("utf-8", "replace") if pos < n else ""
    length = _atoi(args[1])
    if length is None:
        return s
    if length < 0:
        end = n + length
        if end < pos:
            return ""
        return b[pos:end].decode("utf-8", "replace")
    if pos + length >= n:
        return b[pos:].decode("utf-8", "replace") if pos < n else ""
    return b[pos : pos + length].decode("utf-8", "replace")


def _replace_all(s, args):
    if not args:
        return s
    return s.replace(args[0], args[1] if len(args) > 1 else "")


def _replace_first(s, args):
    if not args:
        return s
    return s.replace(args[0], args[1] if len(args) > 1 else "", 1)


def _replace_prefix(s, args):
    if len(args) != 2:
        return s
    if s.startswith(args[0]):
        return s.replace(args[0], args[1], 1)
    return s


def _replace_suffix(s, args):
    if len(args) != 2:
        return s
    if s.endswith(args[0]):
        return s[: len(s) - len(args[0])] + args[1]
    return s


class _BadPattern(Exception):
    pass


def _get_esc(chunk: str, i: int) -> tuple[str, int]:
    """path.getEsc: one (possibly escaped) character of a class; returns (rune, next index)."""
    n = len(chunk)
    if i >= n or chunk[i] == "-" or chunk[i] == "]":
        raise _BadPattern
    if chunk[i] == "\\":
        i += 1
        if i >= n:
            raise _BadPattern
    r = chunk[i]
    i += 1
    if i >= n:
        raise _BadPattern
    return r, i


def _match_chunk(chunk: str, s: str, si: int) -> int:
    """path.matchChunk; returns the index in ``s`` after the match, or -1."""
    ci, cn, sn = 0, len(chunk), len(s)
    while ci < cn:
        if si >= sn:
            return -1
        c = chunk[ci]
        if c == "[":
            r = s[si]
            si += 1
            ci += 1
            negated = ci < cn and chunk[ci] == "^"
            if negated:
                ci += 1
            match = False
            nrange = 0
            while True:
                if ci < cn and chunk[ci] == "]" and nrange > 0:
                    ci += 1
                    break
                lo, ci = _get_esc(chunk, ci)
                hi = lo
                if chunk[ci] == "-":
                    hi, ci = _get_esc(chunk, ci + 1)
                if lo <= r <= hi:
                    match = True
                nrange += 1
            if match == negated:
                return -1
        elif c == "?":
            si += 1
            ci += 1
        elif c == "\\":
            ci += 1
            if ci >= cn:
                raise _BadPattern
            if chunk[ci] != s[si]:
                return -1
            si += 1
            ci += 1
        else:
            if c != s[si]:
                return -1
            si += 1
            ci += 1
    return si


def _scan_chunk(pattern: str, pi: int) -> tuple[bool, str, int]:
    n = len(pattern)
    star = False
    while pi < n and pattern[pi] == "*":
        pi += 1
        star = True
    inrange = False
    i = pi
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 < n:
                i += 1
        elif c == "[":
            inrange = True
        elif c == "]":
            inrange = False
        elif c == "*" and not inrange:
            break
        i += 1
    return star, pattern[pi:i], i


def glob_match(pattern: str, name: str) -> bool:
    """Go's path.Match as copied into envsubst/path: ``*`` and ``?`` also match ``/``.

    No backtracking across stars (Go's algorithm): O(len(pattern) * len(name)).
    Raises :class:`_BadPattern` for a malformed pattern.
    """
    pi, pn = 0, len(pattern)
    ni, nn = 0, len(name)
    while pi < pn:
        star, chunk, pi = _scan_chunk(pattern, pi)
        if star and chunk == "":
            return True
        t = _match_chunk(chunk, name, ni)
        if t >= 0 and (t == nn or pi < pn):
            ni = t
            continue
        if star:
            matched = False
            for i in range(ni, nn):
                t = _match_chunk(chunk, name, i + 1)
                if t >= 0:
                    if pi >= pn and t < nn:
                        continue
                    ni = t
                    matched = True
                    break
            if matched:
                continue
        return False
    return ni == nn


_GLOB_META = frozenset("*?[\\")


def _trim_shortest(s: str, arg: str) -> str:
    if not (_GLOB_META & set(arg)):  # a literal pattern matches only itself
        return s[len(arg) :] if arg and s.startswith(arg) else s
    shortest = ""
    for i in range(len(s)):
        cand = s[: len(s) - i]
        try:
            if glob_match(arg, cand):
                shortest = cand
        except _BadPattern:
            return s
    return s[len(shortest) :] if shortest else s


def _trim_longest(s: str, arg: str) -> str:
    if not (_GLOB_META & set(arg)):
        return s[len(arg) :] if arg and s.startswith(arg) else s
    for i in range(len(s)):
        cand = s[: len(s) - i]
        try:
            if glob_match(arg, cand):
                return s[len(cand) :]
        except _BadPattern:
            return s
    return s


def _trim_shortest_prefix(s, args):
    return _trim_shortest(s, args[0]) if args else s


def _trim_longest_prefix(s, args):
    return _trim_longest(s, args[0]) if args else s


def _trim_shortest_suffix(s, args):
    # Go reverses the value and the pattern (a class like [a-z] then breaks; faithful)
    return _trim_shortest(s[::-1], args[0][::-1])[::-1] if args else s


def _trim_longest_suffix(s, args):
    return _trim_longest(s[::-1], args[0][::-1])[::-1] if args else s


_FUNCS = {
    ",": _to_lower_first,
    ",,": _to_lower,
    "^": _to_upper_first,
    "^^": _to_upper,
    "##": _trim_longest_prefix,
    "%": _trim_shortest_suffix,
    "%%": _trim_longest_suffix,
    ":": _to_substr,
    "/#": _replace_prefix,
    "/%": _replace_suffix,
    "/": _replace_first,
    "//": _replace_all,
}


def _lookup_func(name: str, nargs: int):
    if name == "#":
        return _to_len if nargs == 0 else _trim_shortest_prefix
    return _FUNCS.get(name, _to_default)


class Evaluator:
    """Evaluates parsed nodes against ``variables``.

    Differences from Go, by design (the linter reports instead of failing):
    an expression that cannot be resolved evaluates to its own source text and
    every variable responsible is collected in :attr:`unresolved` as
    ``(name, expression text)``. "Unresolved" means: referenced bare
    (``${x}``) and undefined, in strict and lax mode alike; or, in strict mode
    only, undefined under a transformation operator (``${x^^}``, ``${#x}``...);
    in lax mode those evaluate with "" as Flux does. Default operators never
    make their own variable unresolved. An expression with an unresolved
    argument is unresolved as a whole (Go evaluates arguments first, so strict
    Flux fails on ``${set:-${missing}}`` too).

    A variable whose value is :data:`UNKNOWN` (``variables.get`` may return it)
    makes its expression, whatever the operator, evaluate to its own source
    text, collected in :attr:`unknown`: Flux fills it in, but with a value
    gitops-lint cannot know, so nothing may judge the result.
    """

    __slots__ = ("get", "strict", "text", "unresolved", "unknown")

    def __init__(self, variables: Mapping[str, str], strict: bool, text: str):
        self.get = variables.get
        self.strict = strict
        self.text = text
        self.unresolved: list[tuple[str, str]] = []
        self.unknown: list[tuple[str, str]] = []

    def run(self, nodes: list) -> str:
        out = []
        for node in nodes:
            out.append(node if isinstance(node, str) else self.func(node)[0])
        return "".join(out)

    def func(self, node: Func) -> tuple[str, bool]:
        ok = True
        args = []
        for a in node.args:
            if isinstance(a, str):
                args.append(a)
            else:
                text, aok = self.func(a)
                args.append(text)
                ok = ok and aok
        v = self.get(node.param)
        if v is UNKNOWN:
            self.unknown.append((node.param, self.text[node.start : node.end]))
            return self.text[node.start : node.end], False
        if v is None:
            if node.name == "" or (self.strict and node.name not in DEFAULT_OPS):
                self.unresolved.append((node.param, self.text[node.start : node.end]))
                return self.text[node.start : node.end], False
            v = ""
        if not ok:
            return self.text[node.start : node.end], False
        return _lookup_func(node.name, len(args))(v, args), True


def expand(text: str, variables: Mapping[str, str], strict: bool = True) -> tuple[str, list[tuple[str, str]]]:
    """Substitute ``text``; return (result, [(name, expression)]) or raise EnvsubstError.

    ``variables`` values are used as given (the caller strips newlines).
    """
    if not needs_parse(text):
        return text, []
    nodes = parse(text)
    ev = Evaluator(variables, strict, text)
    return ev.run(nodes), ev.unresolved
