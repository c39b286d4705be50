"""A small, safe evaluator for the Go ``text/template`` subset ResourceSets use.

flux-operator renders each ResourceSet resource with Go's ``text/template``,
delimiters ``<< >>``, the slim-sprig functions plus ``slugify``, ``toYaml``
and ``inputs`` (``internal/builder/resourceset.go``, ``newTemplate``), and
``missingkey=error``. Real repositories use a small part of that language:
``<< inputs.x >>``, ``range``, ``if``/``else``, variables, pipelines through
``default``, ``quote``, ``toYaml | nindent``, ``printf``, ``get``, ``dig``.

This module evaluates that part and nothing else. It never runs code: the
template is parsed into a tree and walked; functions are a fixed table of
pure Python functions. Output and work are bounded. Anything outside the
subset (``define``, ``template``, an unknown function) raises
:class:`Unsupported`, and an error Go would raise too (a missing map key, a
call of a non-function) raises :class:`TemplateError`: the caller reports the
ResourceSet as not verifiable rather than guess.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import yaml

LEFT, RIGHT = "<<", ">>"
MAX_OUTPUT = 2_000_000  # characters one render may produce
MAX_STEPS = 200_000  # nodes evaluated by one render
MAX_DEPTH = 50  # nesting of blocks and parentheses


class TemplateError(Exception):
    """The template fails in Go too (flux-operator reports a build failure)."""


class Unsupported(Exception):
    """The template uses something this evaluator does not reproduce."""


# -- lexing -------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"\\\n]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<char>'(?:[^'\\\n]|\\.)+')
  | (?P<num>[-+]?(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][-+]?\d+)?))
  | (?P<decl>:=)
  | (?P<assign>=)
  | (?P<var>\$[A-Za-z0-9_]*)
  | (?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+)
  | (?P<dot>\.)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<pipe>\|)
  | (?P<comma>,)
    """,
    re.VERBOSE,
)


@dataclass
class _Tok:
    kind: str
    text: str


def _tokens(action: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(action):
        m = _TOKEN.match(action, pos)
        if m is None:
            raise TemplateError(f"unexpected {action[pos]!r} in action")
        kind = m.lastgroup or ""
        text = m.group()
        pos = m.end()
        if kind == "ws":
            continue
        out.append(_Tok(kind, text))
    return out


def _split(text: str) -> list[tuple[str, str]]:
    """The template as ("text", s) and ("action", s) pieces, trim markers applied."""
    pieces: list[tuple[str, str]] = []
    pos = 0
    trim_next = False
    while True:
        start = text.find(LEFT, pos)
        chunk = text[pos:] if start < 0 else text[pos:start]
        if trim_next:
            chunk = chunk.lstrip(" \t\r\n")
        if start < 0:
            if chunk:
                pieces.append(("text", chunk))
            return pieces
        inner_start = start + len(LEFT)
        if (
            text.startswith("- ", inner_start)
            or text.startswith("-\t", inner_start)
            or text.startswith("-\n", inner_start)
        ):
            chunk = chunk.rstrip(" \t\r\n")
            inner_start += 1
        if chunk:
            pieces.append(("text", chunk))
        lead = inner_start
        while lead < len(text) and text[lead] in " \t\r\n":
            lead += 1
        if text.startswith("/*", lead):
            close = text.find("*/", lead)
            end = text.find(RIGHT, close + 2) if close >= 0 else -1
            if end < 0:
                raise TemplateError("unclosed comment")
            trim_next = text[close + 2 : end].strip() == "-"
            pos = end + len(RIGHT)
            continue
        end = _action_end(text, inner_start)
        inner = text[inner_start:end]
        trim_next = False
        if inner.endswith((" -", "\t-", "\n-")):
            inner = inner[:-1]
            trim_next = True
        pieces.append(("action", inner))
        pos = end + len(RIGHT)


def _action_end(text: str, pos: int) -> int:
    """Where the action starting at ``pos`` closes (``>>`` outside string literals)."""
    i = pos
    while i < len(text):
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < len(text) and text[j] != c:
                if text[j] == "\\":
                    j += 1
                elif text[j] == "\n":
                    raise TemplateError("unterminated quoted string")
                j += 1
            i = j + 1
            continue
        if c == "`":
            j = text.find("`", i + 1)
            if j < 0:
                raise TemplateError("unterminated raw string")
            i = j + 1
            continue
        if text.startswith(RIGHT, i):
            return i
        i += 1
    raise TemplateError("unclosed action")


# -- parsing ------------------------------------------------------------------


@dataclass
class _Operand:
    kind: str  # lit, field, var, ident, pipe
    value: object = None
    chain: tuple[str, ...] = ()


@dataclass
class _Pipeline:
    decl: tuple[str, ...] = ()
    assign: bool = False  # "=" rather than ":="
    commands: list[list[_Operand]] = field(default_factory=list)


@dataclass
class _Node:
    kind: str  # text, action, if, range, with, break, continue
    text: str = ""
    pipe: _Pipeline | None = None
    body: list[_Node] = field(default_factory=list)
    orelse: list[_Node] = field(default_factory=list)


_STRING_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "\\": "\\",
    '"': '"',
    "'": "'",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}


def _unquote(s: str) -> str:
    body = s[1:-1]
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = body[i + 1] if i + 1 < len(body) else ""
        if nxt in _STRING_ESCAPES:
            out.append(_STRING_ESCAPES[nxt])
            i += 2
        elif nxt in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[nxt]
            digits = body[i + 2 : i + 2 + width]
            try:
                out.append(chr(int(digits, 16)))
            except ValueError:
                raise TemplateError(f"bad escape in {s}") from None
            i += 2 + width
        else:
            raise TemplateError(f"unknown escape in {s}")
    return "".join(out)


def _number(text: str):
    t = text.replace("_", "")
    try:
        if re.fullmatch(r"[-+]?0[xX][0-9a-fA-F]+", t):
            return int(t, 16)
        if re.fullmatch(r"[-+]?\d+", t):
            return int(t)
        return float(t)
    except ValueError:
        raise TemplateError(f"bad number {text!r}") from None


class _Parser:
    def __init__(self, toks: list[_Tok], depth: int = 0):
        self.toks = toks
        self.i = 0
        self.depth = depth

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def pipeline(self, allow_decl: bool = True) -> _Pipeline:
        pipe = _Pipeline()
        if allow_decl:
            save = self.i
            names = []
            while self.peek() is not None and self.peek().kind == "var":
                names.append(self.take().text)
                if self.peek() is not None and self.peek().kind == "comma":
                    self.take()
                    continue
                break
            tok = self.peek()
            if names and tok is not None and tok.kind in ("decl", "assign"):
                self.take()
                pipe.decl = tuple(names)
                pipe.assign = tok.kind == "assign"
            else:
                self.i = save
        while True:
            cmd = self.command()
            if not cmd:
                raise TemplateError("missing command in pipeline")
            pipe.commands.append(cmd)
            tok = self.peek()
            if tok is None or tok.kind == "rparen":
                return pipe
            if tok.kind != "pipe":
                raise TemplateError(f"unexpected {tok.text!r} in pipeline")
            self.take()

    def command(self) -> list[_Operand]:
        ops: list[_Operand] = []
        while True:
            tok = self.peek()
            if tok is None or tok.kind in ("pipe", "rparen"):
                return ops
            ops.append(self.operand())

    def operand(self) -> _Operand:
        tok = self.take()
        if tok.kind == "str":
            op = _Operand("lit", _unquote(tok.text))
        elif tok.kind == "raw":
            op = _Operand("lit", tok.text[1:-1])
        elif tok.kind == "char":
            op = _Operand("lit", ord(_unquote('"' + tok.text[1:-1] + '"')[0]))
        elif tok.kind == "num":
            op = _Operand("lit", _number(tok.text))
        elif tok.kind == "field":
            return _Operand("field", None, tuple(tok.text[1:].split(".")))
        elif tok.kind == "dot":
            return _Operand("field", None, ())
        elif tok.kind == "var":
            op = _Operand("var", tok.text)
        elif tok.kind == "ident":
            if tok.text in ("true", "false"):
                op = _Operand("lit", tok.text == "true")
            elif tok.text == "nil":
                op = _Operand("lit", None)
            else:
                op = _Operand("ident", tok.text)
        elif tok.kind == "lparen":
            if self.depth >= MAX_DEPTH:
                raise Unsupported("template nests too deeply")
            inner = _Parser(self.toks, self.depth + 1)
            inner.i = self.i
            pipe = inner.pipeline(allow_decl=False)
            self.i = inner.i
            if self.peek() is None or self.peek().kind != "rparen":
                raise TemplateError("unclosed left paren")
            self.take()
            op = _Operand("pipe", pipe)
        else:
            raise TemplateError(f"unexpected {tok.text!r} in operand")
        nxt = self.peek()
        if nxt is not None and nxt.kind == "field" and op.kind in ("var", "ident", "pipe"):
            self.take()
            op.chain = tuple(nxt.text[1:].split("."))
        return op


def _parse_action(text: str) -> _Pipeline:
    toks = _tokens(text)
    if not toks:
        raise TemplateError("missing value for command")
    p = _Parser(toks)
    pipe = p.pipeline()
    if p.peek() is not None:
        raise TemplateError(f"unexpected {p.peek().text!r}")
    return pipe


_BLOCK_WORDS = ("if", "range", "with")
_UNSUPPORTED_WORDS = ("define", "template", "block", "call")


def parse(text: str) -> list[_Node]:
    """The template as a tree; raises TemplateError or Unsupported."""
    pieces = _split(text)
    pos = 0

    def block(depth: int, stop: tuple[str, ...]) -> tuple[list[_Node], str, str]:
        """Nodes up to one of ``stop`` keywords; returns (nodes, keyword, rest of that action)."""
        nonlocal pos
        if depth > MAX_DEPTH:
            raise Unsupported("template nests too deeply")
        nodes: list[_Node] = []
        while pos < len(pieces):
            kind, body = pieces[pos]
            pos += 1
            if kind == "text":
                nodes.append(_Node("text", body))
                continue
            words = body.strip().split(None, 1)
            word = words[0] if words else ""
            rest = words[1] if len(words) > 1 else ""
            if word in ("end", "else"):
                if word not in stop:
                    raise TemplateError(f"unexpected {{{{{word}}}}}")
                return nodes, word, rest
            if word in _UNSUPPORTED_WORDS:
                raise Unsupported(f"'{word}' is not evaluated")
            if word in ("break", "continue"):
                nodes.append(_Node(word))
                continue
            if word in _BLOCK_WORDS:
                nodes.append(control(word, rest, depth))
                continue
            nodes.append(_Node("action", pipe=_parse_action(body)))
        if stop:
            raise TemplateError("unexpected EOF")
        return nodes, "", ""

    def control(word: str, rest: str, depth: int) -> _Node:
        node = _Node(word, pipe=_parse_action(rest))
        node.body, kw, tail = block(depth + 1, ("end", "else"))
        if kw == "else":
            tail_words = tail.split(None, 1)
            if tail_words and tail_words[0] in ("if", "with"):
                # `else if` / `else with`: a nested block closed by the same end
                node.orelse = [
                    control(tail_words[0], tail_words[1] if len(tail_words) > 1 else "", depth + 1)
                ]
            else:
                node.orelse, _, _ = block(depth + 1, ("end",))
        return node

    nodes, _, _ = block(0, ())
    return nodes


# -- values ------------------------------------------------------------------


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def go_str(v) -> str:
    """How Go's fmt prints a value with %v (what an action writes)."""
    if v is None:
        return "<no value>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _go_float(v)
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        return "[" + " ".join(_inner_str(x) for x in v) + "]"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{_inner_str(k)}:{_inner_str(v[k])}" for k in sorted(v, key=str)) + "]"
    return str(v)


def _inner_str(v) -> str:
    return "<nil>" if v is None else go_str(v)


def _go_float(f: float) -> str:
    if f != f:
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "+Inf" if f > 0 else "-Inf"
    if f == int(f) and abs(f) < 1e21:
        return str(int(f))
    text = repr(f)
    if "e" in text:
        mant, exp = text.split("e")
        sign = "-" if exp.startswith("-") else "+"
        return f"{mant}e{sign}{int(exp.lstrip('+-')):02d}"
    return text


def truth(v) -> bool:
    """Go template truthiness: false, 0, nil and empty values are false."""
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    if _is_number(v):
        return v != 0
    if isinstance(v, (str, list, dict)):
        return len(v) > 0
    return True


def _to_int(v) -> int:
    """spf13/cast ToInt as sprig's ``int`` uses it: bad input gives 0."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return int(v)
    if isinstance(v, str):
        # strconv.ParseInt(s, 0, 0) after trimming a ".0" suffix: "08" and "1.5" give 0
        s = v.removesuffix(".0") if re.fullmatch(r"[-+]?\d+\.0", v) else v
        try:
            return int(s, 8) if re.fullmatch(r"[-+]?0\d+", s) else int(s, 0)
        except ValueError:
            return 0
    return 0


def _to_float(v) -> float:
    if isinstance(v, bool):
        return float(v)
    if _is_number(v):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            return 0.0
    return 0.0


def _strval(v) -> str:
    return v if isinstance(v, str) else go_str(v)


_GO_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\t": "\\t",
    "\r": "\\r",
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\v": "\\v",
}


def _go_quote(s: str) -> str:
    """Go's %q: a double-quoted string with Go escapes."""
    out = ['"']
    for ch in s:
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        elif not ch.isprintable():
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


class _GoDumper(yaml.SafeDumper):
    """YAML as sigs.k8s.io/yaml writes it: sorted keys, block style, literal
    multi-line strings, double quotes where a scalar needs quoting (go-yaml v2)."""

    def choose_scalar_style(self):
        style = super().choose_scalar_style()
        return '"' if style == "'" else style


# what go-yaml v2's emitter leaves unescaped (yaml_emitter_analyze_scalar's is_printable, plus
# the line feed): a string with any other character (a tab, a control character, NEL, U+FEFF,
# anything beyond the BMP) is written double-quoted and escaped. PyYAML with allow_unicode would
# write NEL into a literal block, where it reads back as a line break.
# Compiled when first used (its character class costs 3 to 4 ms to compile, and most runs
# render no template).
_GO_UNPRINTABLE = "[^\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd]"


@functools.cache
def _go_unprintable() -> re.Pattern[str]:
    return re.compile(_GO_UNPRINTABLE)


def _represent_str(dumper, data):
    if _go_unprintable().search(data):
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_GoDumper.add_representer(str, _represent_str)


def to_yaml(v) -> str:
    """flux-operator's ``toYaml``: sigs.k8s.io/yaml Marshal, trailing newline kept."""
    text = yaml.dump(
        v, Dumper=_GoDumper, sort_keys=True, default_flow_style=False, width=1 << 30, allow_unicode=True
    )
    if text.endswith("\n...\n"):
        text = text[: -len("...\n")]
    return text


def _empty(v) -> bool:
    return not truth(v)


def _fn_default(d, *given):
    if not given or _empty(given[0]):
        return d
    return given[0]


def _fn_quote(*args):
    return " ".join(_go_quote(_strval(a)) for a in args if a is not None)


def _fn_squote(*args):
    return " ".join(f"'{_strval(a)}'" for a in args if a is not None)


def _fn_indent(n, s):
    pad = " " * _to_int(n)
    return pad + _strval(s).replace("\n", "\n" + pad)


def _fn_nindent(n, s):
    return "\n" + _fn_indent(n, s)


def slugify(s) -> str:
    """gosimple/slug Make with flux-operator's settings (max 63, smart truncate)."""
    text = unicodedata.normalize("NFKD", _strval(s))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("&", " and ").replace("@", " at ")
    text = re.sub(r"[^a-z0-9-_]+", "-", text.lower())
    text = re.sub(r"-+", "-", text).strip("-_")
    if len(text) > 63:
        cut = text[:64]
        last = cut.rfind("-")
        text = cut[:last] if last > 0 else text[:63]
        text = text.strip("-")
    return text


def _fn_get(d, key):
    if not isinstance(d, dict):
        raise TemplateError("get: not a map")
    return d.get(_strval(key), "")


def _fn_has_key(d, key):
    return isinstance(d, dict) and _strval(key) in d


def _fn_dig(*args):
    if len(args) < 3:
        raise TemplateError("dig needs at least three arguments")
    *keys, default, d = args
    cur = d
    for k in keys:
        if not isinstance(cur, dict) or _strval(k) not in cur:
            return default
        cur = cur[_strval(k)]
    return cur


def _fn_index(coll, *keys):
    cur = coll
    for k in keys:
        if isinstance(cur, dict):
            cur = cur.get(_strval(k))
        elif isinstance(cur, (list, str)):
            i = _to_int(k) if _is_number(k) else None
            if i is None or not 0 <= i < len(cur):
                raise TemplateError(f"index out of range: {k}")
            cur = cur[i]
        elif cur is None:
            raise TemplateError("index of untyped nil")
        else:
            raise TemplateError("can't index item")
    return cur


def _fn_len(v):
    if isinstance(v, (str, list, dict)):
        return len(v.encode("utf-8")) if isinstance(v, str) else len(v)
    raise TemplateError(f"len of {go_str(v)}")


def _compare_key(a, b):
    if _is_number(a) and _is_number(b):
        return a, b
    if isinstance(a, str) and isinstance(b, str):
        return a, b
    if isinstance(a, bool) and isinstance(b, bool):
        return a, b
    raise TemplateError("incompatible types for comparison")


def _fn_eq(a, *others):
    if not others:
        raise TemplateError("missing argument for comparison")
    for b in others:
        if a is None or b is None:
            if a is b:
                return True
            continue
        x, y = _compare_key(a, b)
        if x == y:
            return True
    return False


def _order(op):
    def fn(a, b):
        x, y = _compare_key(a, b)
        if isinstance(x, bool):
            raise TemplateError("invalid type for comparison")
        return op(x, y)

    return fn


_PRINTF = re.compile(r"%([-+# 0]*)(\d+|\*)?(?:\.(\d+))?([a-zA-Z%])")


def _fn_printf(fmt, *args):
    args_iter = iter(args)
    missing = object()

    def conv(m):
        flags, width, prec, verb = m.groups()
        if verb == "%":
            return "%"
        if width == "*":
            raise Unsupported("printf width from argument")
        arg = next(args_iter, missing)
        if arg is missing:
            return f"%!{verb}(MISSING)"
        if verb in "vs":
            text = _strval(arg) if verb == "s" or not isinstance(arg, float) else go_str(arg)
        elif verb == "d":
            if not _is_number(arg) or isinstance(arg, float):
                return f"%!d({type(arg).__name__}={go_str(arg)})"
            text = str(arg)
        elif verb == "q":
            text = _go_quote(_strval(arg))
        elif verb in "fFeEgG":
            if not _is_number(arg):
                return f"%!{verb}({go_str(arg)})"
            p = int(prec) if prec is not None else (6 if verb in "fFeE" else None)
            text = format(float(arg), f".{p}{verb}" if p is not None else verb)
        elif verb == "t":
            text = go_str(arg)
        elif verb in "xX":
            text = format(arg, verb) if isinstance(arg, int) else _strval(arg).encode().hex()
            text = text.upper() if verb == "X" else text
        else:
            raise Unsupported(f"printf verb %{verb}")
        if width:
            w = int(width)
            text = (
                text.ljust(w) if "-" in flags else text.rjust(w, "0" if "0" in flags and verb == "d" else " ")
            )
        return text

    out = _PRINTF.sub(conv, _strval(fmt))
    extra = list(args_iter)
    if extra:
        out += "%!(EXTRA " + ", ".join(f"{type(a).__name__}={go_str(a)}" for a in extra) + ")"
    return out


def _fn_print(*args):
    out = []
    for i, a in enumerate(args):
        if i and not isinstance(a, str) and not isinstance(args[i - 1], str):
            out.append(" ")
        out.append(_inner_str(a))
    return "".join(out)


def _fn_dict(*args):
    out = {}
    for i in range(0, len(args), 2):
        out[_strval(args[i])] = args[i + 1] if i + 1 < len(args) else ""
    return out


def _fn_required(msg, v):
    if v is None or (isinstance(v, str) and v == ""):
        raise TemplateError(_strval(msg))
    return v


def _fn_fail(msg):
    raise TemplateError(_strval(msg))


def _fn_to_json(v):
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _fn_ternary(a, b, cond):
    return a if truth(cond) else b


def _fn_coalesce(*args):
    for a in args:
        if not _empty(a):
            return a
    return None


def _fn_join(sep, v):
    items = v if isinstance(v, list) else [v]
    return _strval(sep).join(_strval(x) for x in items)


def _fn_until(n):
    count = _to_int(n)
    if count > 10_000:
        raise Unsupported("until over 10000")
    return list(range(count))


def _fn_substr(start, end, s):
    s = _strval(s)
    a, b = _to_int(start), _to_int(end)
    if a < 0:
        return s[:b]
    if b < 0 or b > len(s):
        return s[a:]
    return s[a:b]


def _fn_trunc(n, s):
    s, c = _strval(s), _to_int(n)
    if c < 0 and len(s) + c > 0:
        return s[len(s) + c :]
    if c >= 0 and len(s) > c:
        return s[:c]
    return s


def _fn_repeat(n, s):
    count = _to_int(n)
    if count * len(_strval(s)) > MAX_OUTPUT:
        raise Unsupported("repeat output too large")
    return _strval(s) * count


def _fn_title(s):
    return re.sub(r"(^|[^\w'])(\w)", lambda m: m.group(1) + m.group(2).upper(), _strval(s))


def _int_op(op):
    def fn(*args):
        vals = [_to_int(a) for a in args]
        out = vals[0]
        for v in vals[1:]:
            out = op(out, v)
        return out

    return fn


def _div(a, b):
    if b == 0:
        raise TemplateError("integer divide by zero")
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _mod(a, b):
    if b == 0:
        raise TemplateError("integer divide by zero")
    return a - b * _div(a, b)


def _and(*args):
    for a in args:
        if not truth(a):
            return a
    return args[-1]


def _or(*args):
    for a in args:
        if truth(a):
            return a
    return args[-1]


FUNCS: dict[str, Callable] = {
    "default": _fn_default,
    "empty": _empty,
    "coalesce": _fn_coalesce,
    "ternary": _fn_ternary,
    "quote": _fn_quote,
    "squote": _fn_squote,
    "toYaml": to_yaml,
    "mustToYaml": to_yaml,
    "toJson": _fn_to_json,
    "mustToJson": _fn_to_json,
    "indent": _fn_indent,
    "nindent": _fn_nindent,
    "slugify": slugify,
    "int": _to_int,
    "int64": _to_int,
    "atoi": _to_int,
    "float64": _to_float,
    "toString": _strval,
    "lower": lambda s: _strval(s).lower(),
    "upper": lambda s: _strval(s).upper(),
    "title": _fn_title,
    "trim": lambda s: _strval(s).strip(" \t\n\r\v\f"),
    "trimAll": lambda cut, s: _strval(s).strip(_strval(cut)),
    "trimPrefix": lambda p, s: _strval(s).removeprefix(_strval(p)),
    "trimSuffix": lambda p, s: _strval(s).removesuffix(_strval(p)),
    "replace": lambda old, new, s: _strval(s).replace(_strval(old), _strval(new)),
    "contains": lambda sub, s: _strval(sub) in _strval(s),
    "hasPrefix": lambda p, s: _strval(s).startswith(_strval(p)),
    "hasSuffix": lambda p, s: _strval(s).endswith(_strval(p)),
    "repeat": _fn_repeat,
    "substr": _fn_substr,
    "trunc": _fn_trunc,
    "nospace": lambda s: re.sub(r"\s", "", _strval(s)),
    "splitList": lambda sep, s: _strval(s).split(_strval(sep)),
    "join": _fn_join,
    "list": lambda *a: list(a),
    "dict": _fn_dict,
    "get": _fn_get,
    "hasKey": _fn_has_key,
    "dig": _fn_dig,
    "keys": lambda *ds: [k for d in ds if isinstance(d, dict) for k in d],
    "sortAlpha": lambda v: sorted(_strval(x) for x in (v if isinstance(v, list) else [v])),
    "first": lambda v: v[0] if isinstance(v, list) and v else None,
    "last": lambda v: v[-1] if isinstance(v, list) and v else None,
    "has": lambda needle, v: isinstance(v, list) and needle in v,
    "uniq": lambda v: [x for i, x in enumerate(v) if x not in v[:i]] if isinstance(v, list) else v,
    "until": _fn_until,
    "index": _fn_index,
    "len": _fn_len,
    "printf": _fn_printf,
    "print": _fn_print,
    "println": lambda *a: " ".join(_inner_str(x) for x in a) + "\n",
    "eq": _fn_eq,
    "ne": lambda a, b: not _fn_eq(a, b),
    "lt": _order(lambda x, y: x < y),
    "le": _order(lambda x, y: x <= y),
    "gt": _order(lambda x, y: x > y),
    "ge": _order(lambda x, y: x >= y),
    "not": lambda v: not truth(v),
    "required": _fn_required,
    "fail": _fn_fail,
    "add": _int_op(lambda a, b: a + b),
    "sub": _int_op(lambda a, b: a - b),
    "mul": _int_op(lambda a, b: a * b),
    "div": _int_op(_div),
    "mod": _int_op(_mod),
    "max": lambda *a: max(_to_int(x) for x in a),
    "min": lambda *a: min(_to_int(x) for x in a),
    "add1": lambda a: _to_int(a) + 1,
    "b64enc": lambda s: base64.b64encode(_strval(s).encode()).decode(),
    "b64dec": lambda s: base64.b64decode(_strval(s).encode()).decode("utf-8", "replace"),
    "sha256sum": lambda s: hashlib.sha256(_strval(s).encode()).hexdigest(),
    "kindIs": lambda kind, v: _kind(v) == _strval(kind),
    "kindOf": lambda v: _kind(v),
    "toStrings": lambda v: [_strval(x) for x in (v if isinstance(v, list) else [v])],
}
_LAZY = {"and": _and, "or": _or}


def _kind(v) -> str:
    if v is None:
        return "invalid"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "slice"
    if isinstance(v, dict):
        return "map"
    return "invalid"


# -- evaluation ---------------------------------------------------------------


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Evaluator:
    def __init__(self, functions: dict[str, Callable]):
        self.functions = functions
        self.out: list[str] = []
        self.size = 0
        self.steps = 0

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise Unsupported("template does too much work")

    def write(self, s: str) -> None:
        self.size += len(s)
        if self.size > MAX_OUTPUT:
            raise Unsupported("template output too large")
        self.out.append(s)

    def run(self, nodes: list[_Node], dot, scopes: list[dict]) -> None:
        for node in nodes:
            self.step()
            kind = node.kind
            if kind == "text":
                self.write(node.text)
            elif kind == "action":
                value = self.pipeline(node.pipe, dot, scopes)
                if not node.pipe.decl:
                    self.write(go_str(value))
            elif kind == "if":
                inner = [*scopes, {}]
                if truth(self.pipeline(node.pipe, dot, inner)):
                    self.run(node.body, dot, inner)
                else:
                    self.run(node.orelse, dot, inner)
            elif kind == "with":
                inner = [*scopes, {}]
                value = self.pipeline(node.pipe, dot, inner)
                if truth(value):
                    self.run(node.body, value, inner)
                else:
                    self.run(node.orelse, dot, inner)
            elif kind == "range":
                self.range(node, dot, scopes)
            elif kind == "break":
                raise _Break()
            elif kind == "continue":
                raise _Continue()

    def range(self, node: _Node, dot, scopes: list[dict]) -> None:
        pipe = node.pipe
        value = self.pipeline(_Pipeline(commands=pipe.commands), dot, scopes)
        if isinstance(value, dict):
            items = [(k, value[k]) for k in sorted(value, key=str)]
        elif isinstance(value, list):
            items = list(enumerate(value))
        elif _is_number(value) and not isinstance(value, float):
            if value > 10_000:
                raise Unsupported("range over a large integer")
            items = [(i, i) for i in range(value)]
        elif value is None:
            items = []
        else:
            raise TemplateError(f"range can't iterate over {go_str(value)}")
        if not items:
            self.run(node.orelse, dot, [*scopes, {}])
            return
        for key, elem in items:
            inner = [*scopes, {}]
            if len(pipe.decl) == 1:
                inner[-1][pipe.decl[0]] = elem
            elif len(pipe.decl) == 2:
                inner[-1][pipe.decl[0]] = key
                inner[-1][pipe.decl[1]] = elem
            try:
                self.run(node.body, elem, inner)
            except _Break:
                break
            except _Continue:
                continue

    def pipeline(self, pipe: _Pipeline, dot, scopes: list[dict]):
        value = _NOTHING
        for cmd in pipe.commands:
            value = self.command(cmd, dot, scopes, value)
        if pipe.decl:
            name = pipe.decl[-1]
            if pipe.assign:
                for scope in reversed(scopes):
                    if name in scope:
                        scope[name] = value
                        break
                else:
                    raise TemplateError(f"undefined variable: {name}")
            else:
                scopes[-1][name] = value
        return value

    def command(self, ops: list[_Operand], dot, scopes, final):
        self.step()
        first = ops[0]
        if first.kind == "ident":
            name = first.value
            if name in _LAZY:
                args = [self.operand(o, dot, scopes) for o in ops[1:]]
                if final is not _NOTHING:
                    args.append(final)
                if not args:
                    raise TemplateError(f"wrong number of args for {name}")
                result = _LAZY[name](*args)
            else:
                fn = self.functions.get(name)
                if fn is None:
                    raise Unsupported(f"function {name!r} is not evaluated")
                args = [self.operand(o, dot, scopes) for o in ops[1:]]
                if final is not _NOTHING:
                    args.append(final)
                try:
                    result = fn(*args)
                except (TemplateError, Unsupported):
                    raise
                except (TypeError, ValueError, IndexError, KeyError, AttributeError) as exc:
                    raise TemplateError(f"error calling {name}: {exc}") from None
            return self.chain(result, first.chain)
        if len(ops) > 1 or final is not _NOTHING:
            raise TemplateError("can't give argument to non-function")
        return self.operand(first, dot, scopes)

    def operand(self, op: _Operand, dot, scopes):
        if op.kind == "lit":
            return op.value
        if op.kind == "field":
            return self.chain(dot, op.chain)
        if op.kind == "var":
            name = op.value
            for scope in reversed(scopes):
                if name in scope:
                    return self.chain(scope[name], op.chain)
            raise TemplateError(f"undefined variable: {name}")
        if op.kind == "pipe":
            return self.chain(self.pipeline(op.value, dot, scopes), op.chain)
        if op.kind == "ident":
            # a function used as an argument is called with no arguments
            return self.command([op], dot, scopes, _NOTHING)
        raise TemplateError("bad operand")

    def chain(self, value, names: tuple[str, ...]):
        for name in names:
            if isinstance(value, dict):
                if name not in value:
                    raise TemplateError(f'map has no entry for key "{name}"')
                value = value[name]
            elif value is None:
                raise TemplateError(f"nil pointer evaluating interface {{}}.{name}")
            else:
                raise TemplateError(f"can't evaluate field {name} in type {_kind(value)}")
        return value


_NOTHING = object()


def render(text: str, inputs: dict | None) -> str:
    """``text`` rendered as flux-operator renders a ResourceSet template.

    ``inputs`` is what the template's ``inputs`` function returns; the data
    (dot) is nil, as in ``tp.Execute(b, nil)``.
    """
    nodes = parse(text)
    functions = dict(FUNCS)
    functions["inputs"] = lambda: inputs
    ev = _Evaluator(functions)
    try:
        ev.run(nodes, None, [{"$": None}])
    except (_Break, _Continue):
        raise TemplateError("break or continue outside range") from None
    except RecursionError:
        raise Unsupported("template nests too deeply") from None
    return "".join(ev.out)
