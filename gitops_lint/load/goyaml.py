"""go-yaml's scalars: how the Go programs Flux runs type a plain scalar, and print a string.

Two versions of go-yaml decide what a repository's YAML means, with different rules,
and gitops-lint must read (and, for substitution, print) as each one does:

* **v3** (``gopkg.in/yaml.v3``, inside kustomize's kyaml): how kustomize reads the
  resources it builds. YAML 1.2's core schema as Go parses it (:func:`go_resolve`,
  :func:`go_int`, :func:`go_timestamp`) and go-yaml v3's folded scalars
  (:func:`kyaml_folded`). The loader (:mod:`gitops_lint.load.loader`) reads every
  file with these rules.
* **v2** (``gopkg.in/yaml.v2``, behind ``sigs.k8s.io/yaml``): how Flux's post-build
  substitution prints an object before ``envsubst`` (:func:`emit_style`,
  :func:`double_quote_body`, :func:`go_format_float32`) and reads the result back with
  YAML 1.1's resolution (:func:`resolve_plain_scalar`, :func:`plain_safe`), used by
  :mod:`gitops_lint.substitute.engine`.

Plain functions of text, no YAML library state: one place to look up "what does Go
make of this scalar".
"""

from __future__ import annotations

import datetime
import math
import re
import struct
from typing import Any

from yaml.nodes import ScalarNode, SequenceNode

# -- go-yaml v3 (kyaml): scalars as kustomize reads them ---------------------------------
# kustomize parses with go-yaml v3 (kyaml), whose implicit types are YAML 1.2's
# core schema as Go parses it (gopkg.in/yaml.v3 resolve.go), not PyYAML's
# YAML 1.1: ``yes``/``on``/``y`` stay strings, ``0o17`` and ``1e3`` are
# numbers, ``0123`` is octal, and a date becomes the RFC 3339 text kustomize
# prints after its JSON round trip (never a Python date). Reading as PyYAML does would give a
# ConfigMap ``enabled: yes`` a boolean kustomize never sees.
STR_TAG = "tag:yaml.org,2002:str"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
MERGE_TAG = "tag:yaml.org,2002:merge"
_GO_SPECIAL = {
    **dict.fromkeys(("true", "True", "TRUE", "false", "False", "FALSE"), BOOL_TAG),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), NULL_TAG),
    **dict.fromkeys((f"{sign}{v}" for sign in ("", "+", "-") for v in (".inf", ".Inf", ".INF")), FLOAT_TAG),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), FLOAT_TAG),
    "<<": MERGE_TAG,
}
# strconv.ParseInt(s, 0, 64) / ParseUint after removing "_"
_V3_INT = re.compile(r"[-+]?(?:0[bB][01]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")
_V3_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_NUMERIC_START = frozenset("+-.0123456789")
_INT64_MIN, _UINT64_MAX = -(2**63), 2**64 - 1


def go_int(text: str) -> int | None:
    """The integer go-yaml v3 reads from a plain scalar, or None."""
    plain = text.replace("_", "")
    if not _V3_INT.fullmatch(plain):
        return None
    sign = -1 if plain[0] == "-" else 1
    digits = plain.lstrip("+-")
    if len(digits) > 1 and digits[0] == "0" and digits[1] in "01234567":
        value = int(digits, 8)  # a leading 0: Go's base-0 octal
    else:
        value = int(digits, 0)
    value *= sign
    return value if _INT64_MIN <= value <= _UINT64_MAX else None


# yaml.v3 parseTimestamp's layouts: "2006-1-2T15:4:5.999999999Z07:00" (also "t"),
# "2006-1-2 15:4:5.999999999" and "2006-1-2"
_GO_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?(Z|[-+]\d{2}:\d{2}))"
    r"|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?))?"
)


def go_timestamp(text: str) -> str | None:
    """A timestamp go-yaml v3 recognises, as kustomize prints it back (Go's
    RFC 3339 with nanoseconds, through JSON): ``2024-1-2`` -> ``2024-01-02T00:00:00Z``."""
    m = _GO_TIMESTAMP.fullmatch(text)
    if m is None:
        return None
    year, month, day = (int(g) for g in m.group(1, 2, 3))
    if m.group(4) is not None:
        hour, minute, second, frac, zone = int(m[4]), int(m[5]), int(m[6]), m[7], m[8]
    elif m.group(9) is not None:
        hour, minute, second, frac, zone = int(m[9]), int(m[10]), int(m[11]), m[12], "Z"
    else:
        hour = minute = second = 0
        frac, zone = None, "Z"
    try:
        # year 0 exists for Go; 2000 is a leap year like it
        datetime.datetime(year or 2000, month, day, hour, minute, second)
    except ValueError:
        return None
    if zone in ("+00:00", "-00:00"):
        zone = "Z"
    fraction = (frac or "")[:10].rstrip("0").rstrip(".")
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{fraction}{zone}"


def go_resolve(kind, value, implicit) -> str:
    """go-yaml v3's tag for a node (yaml.v3 ``resolve``); a drop-in for Resolver.resolve."""
    if kind is not ScalarNode:
        return "tag:yaml.org,2002:seq" if kind is SequenceNode else "tag:yaml.org,2002:map"
    if not implicit[0]:
        return STR_TAG  # quoted
    tag = _GO_SPECIAL.get(value)
    if tag is not None:
        return tag
    if value[0] not in _NUMERIC_START:
        return STR_TAG
    if go_int(value) is not None:
        return INT_TAG
    if len(value) >= 8 and value[4] == "-" and go_timestamp(value) is not None:
        return TIMESTAMP_TAG
    if _V3_FLOAT.fullmatch(value.replace("_", "")):
        return FLOAT_TAG
    return STR_TAG


# -- go-yaml v3 (kyaml): folded block scalars as kustomize reads them -------------------
# kustomize keeps resources (and patches) as kyaml (go-yaml v3) nodes, with their style,
# and turns each into JSON by printing it as YAML and reading that back (kyaml
# RNode.MarshalJSON). go-yaml v3 prints a folded scalar (``>``, ``>-``, ``>+``) so that one
# more line break comes back where a normal line is followed by a more-indented one (one
# starting with a space or a tab): ``>\n  a\n    b\n`` is ``"a\n\n  b\n"`` in kustomize's
# output (checked with kubectl kustomize v5.5), ``"a\n  b\n"`` for libyaml and the spec.
# Flux applies kustomize's output, so resources are read that way. The kustomization file
# itself is decoded through sigs.k8s.io/yaml (go-yaml v2) and keeps no style: as libyaml.
# Known gap: a value kustomize rewrites from its text (a ConfigMap's data after a
# ``behavior: merge`` generator) loses the folded style and the extra break; here it keeps it.


def kyaml_folded(value: str) -> str:
    """libyaml's value of a folded block scalar, as it comes out of kustomize.

    In libyaml's result each more-indented line starts right after a line break
    (it is never folded), and a run of normal lines folded together starts with a
    normal line; so "the previous content line was normal" can be read off the
    value: a segment after a ``\n`` that starts with a blank, preceded (across
    empty lines) by a segment that does not, gets go-yaml's extra line break.
    """
    if "\n " not in value and "\n\t" not in value:
        return value
    out: list[str] = []
    previous_normal = False  # no content line yet counts as not normal
    for index, segment in enumerate(value.split("\n")):
        if segment:
            blank = segment[0] in " \t"
            if blank and previous_normal and index:
                out.append("")
            previous_normal = not blank
        out.append(segment)
    return "\n".join(out)


# -- go-yaml v2 (sigs.k8s.io/yaml): plain scalars as Flux's substitution reads them back ---

_RESOLVE_MAP: dict[str, Any] = {}
for _v, _words in (
    (True, ("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON")),
    (False, ("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF")),
    (None, ("", "~", "null", "Null", "NULL")),
    (math.nan, (".nan", ".NaN", ".NAN")),
    (math.inf, (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")),
    (-math.inf, ("-.inf", "-.Inf", "-.INF")),
):
    for _w in _words:
        _RESOLVE_MAP[_w] = _v
del _v, _words, _w

_HINT_NUM = frozenset("+-0123456789")  # 'S'/'D': timestamp, int, float
_V2_INT = re.compile(r"([+-]?)(?:0[xX]([0-9a-fA-F]+)|0[bB]([01]+)|0[oO]([0-7]+)|(0[0-7]*)|([1-9][0-9]*))\Z")
_V2_UINT = re.compile(r"(?:0[xX]([0-9a-fA-F]+)|0[bB]([01]+)|0[oO]([0-7]+)|(0[0-7]*)|([1-9][0-9]*))\Z")
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?\Z")
_BASE60_FLOAT = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?\Z")
_TIMESTAMP_START = re.compile(r"[0-9]{4}-")
_BASES = (16, 2, 8, 8, 10)


def _v2_int(text: str, signed: bool) -> int | None:
    m = (_V2_INT if signed else _V2_UINT).match(text)
    if m is None:
        return None
    groups = m.groups()
    sign, digits = (groups[0], groups[1:]) if signed else ("", groups)
    for base, d in zip(_BASES, digits, strict=True):
        if d is not None:
            v = int(d, base)
            break
    if sign == "-":
        v = -v
    if signed:
        return v if -(2**63) <= v < 2**63 else None
    return v if v < 2**64 else None


def _v2_float(text: str) -> float | None:
    v = float(text)
    return None if math.isinf(v) else v  # strconv.ParseFloat: out of range is an error


def _resolve_v2(text: str) -> tuple[str, Any]:
    """go-yaml v2 ``resolve("", text)`` for a plain scalar: (tag, value)."""
    if text in _RESOLVE_MAP:
        v = _RESOLVE_MAP[text]
        if v is None:
            return "null", None
        return ("bool" if isinstance(v, bool) else "float"), v
    c = text[:1]
    if c == ".":
        if _DOT_FLOAT.match(text):
            v = _v2_float(text)
            if v is not None:
                return "float", v
    elif c in _HINT_NUM and c:
        # Timestamps (dddd-m-d...) decode to strings into interface{}, and no
        # such text is an int or float, so they need no case of their own.
        if _TIMESTAMP_START.match(text):
            return "timestamp", text
        plain = text.replace("_", "")
        v = _v2_int(plain, True)
        if v is None:
            v = _v2_int(plain, False)
        if v is not None:
            return "int", v
        if _YAML_STYLE_FLOAT.match(plain):
            f = _v2_float(plain)
            if f is not None:
                return "float", f
    return "str", text


def resolve_plain_scalar(text: str) -> Any:
    """The value go-yaml v2 (YAML 1.1 rules) gives the plain scalar ``text``.

    ``None`` for ``""``/``~``/``null``; ``bool`` for ``y/Y/yes/Yes/YES/true/.../on/off``;
    ``int`` for decimal, ``0x``, ``0o``, ``0b`` and leading-zero octal (``0123`` -> 83),
    underscores ignored; ``float`` for ``1.10``, ``1e3``, ``.5``, ``09`` (not octal: a
    float), ``.inf``, ``.nan``; everything else, timestamps included, a ``str``.
    """
    return _resolve_v2(text)[1]


# -- go-yaml v2: the style a string is printed in (encode.go stringv, emitterc.go analyze/select)

PLAIN, SINGLE, DOUBLE, LITERAL = "plain", "single", "double", "literal"
BREAKS = frozenset("\r\n\x85\u2028\u2029")
_FIRST_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")


# The classes below reach far beyond ASCII, which the regex engine compiles into tables
# slowly (3.2 and 1.6 ms, in every run that meets a non-ASCII scalar): ASCII text is
# checked with the ASCII part of the class, other text character by character against
# the class's ranges (tests/test_goyaml.py compares them with the classes as regular
# expressions for every code point).
_NON_PRINTABLE_ASCII = re.compile("[^\n\x20-\x7e]")
_PLAIN_CHARS_ASCII = re.compile("[\x20-\x7e]*\\Z")
# go-yaml's is_printable: \n, 0x20-0x7E, 0xA0-0xD7FF, 0xE000-0xFFFD but not U+FEFF;
# it rejects U+0085 and everything beyond the BMP
_PRINTABLE_RANGES = ((0x0A, 0x0A), (0x20, 0x7E), (0xA0, 0xD7FF), (0xE000, 0xFEFE), (0xFF00, 0xFFFD))
# a plain scalar that reads back as itself: printable, no line break
_PLAIN_RANGES = ((0x20, 0x7E), (0xA0, 0x2027), (0x202A, 0xD7FF), (0xE000, 0xFEFE), (0xFF00, 0xFFFD))


def _all_in(s: str, ranges: tuple[tuple[int, int], ...]) -> bool:
    for c in s:
        o = ord(c)
        for low, high in ranges:  # noqa: SIM110 - the loop is the fast path
            if low <= o <= high:
                break
        else:
            return False
    return True


def _non_printable(s: str) -> bool:
    """Whether ``s`` holds a character go-yaml's is_printable refuses."""
    if s.isascii():
        return _NON_PRINTABLE_ASCII.search(s) is not None
    return not _all_in(s, _PRINTABLE_RANGES)


_BREAK_CLASS = "\r\n\x85\u2028\u2029"
_BREAK_RE = re.compile(f"[{_BREAK_CLASS}]")
_BREAK_SPACE = re.compile(f"[{_BREAK_CLASS}] ")
_SPACE_BREAK = re.compile(f" [{_BREAK_CLASS}]")
# after the first character: ':' followed by a blank or the end, '#' preceded by a blank or break
_INNER_BLOCK_INDICATOR = re.compile(f"(?s).:(?:[ \t]|\\Z)|[ \t{_BREAK_CLASS}]#")


def _printable(c: str) -> bool:
    return not _non_printable(c)


def _analyze(s: str) -> tuple[bool, bool, bool]:
    """(block_plain_allowed, single_quoted_allowed, block_allowed) for a non-empty ``s``.

    emitterc.go yaml_emitter_analyze_scalar, block context, unicode output.
    """
    first = s[0]
    last = s[-1]
    block_ind = (
        s.startswith(("---", "..."))
        or first in _FIRST_INDICATORS
        or (first in "?:-" and (len(s) == 1 or s[1] in " \t"))
        or _INNER_BLOCK_INDICATOR.search(s) is not None
    )
    line_breaks = _BREAK_RE.search(s) is not None
    special = _non_printable(s)
    break_space = line_breaks and _BREAK_SPACE.search(s) is not None
    space_break = line_breaks and _SPACE_BREAK.search(s) is not None
    trailing_space = last == " "
    block_plain = not (
        first == " "
        or trailing_space
        or first in BREAKS
        or last in BREAKS
        or break_space
        or line_breaks
        or block_ind
    )
    single = not break_space
    block = not trailing_space
    if space_break or special:
        block_plain = single = block = False
    return block_plain, single, block


def emit_style(s: str, key: bool = False) -> str:
    """The style go-yaml v2 prints the string ``s`` in (block context; ``key``: simple key)."""
    if "\n" in s:
        style = LITERAL
    else:
        tag = _resolve_v2(s)[0]
        style = PLAIN if tag == "str" and not _BASE60_FLOAT.match(s) else DOUBLE
    if s == "":
        block_plain, single, block = True, True, False
    else:
        block_plain, single, block = _analyze(s)
    if style == PLAIN and (not block_plain or (s == "" and key)):
        style = SINGLE
    if style == SINGLE and not single:
        style = DOUBLE
    if style == LITERAL and (not block or key):
        style = DOUBLE
    return style


_DQ_ESCAPES = {
    "\0": "0",
    "\a": "a",
    "\b": "b",
    "\t": "t",
    "\n": "n",
    "\v": "v",
    "\f": "f",
    "\r": "r",
    "\x1b": "e",
    '"': '"',
    "\\": "\\",
    "\x85": "N",
    "\xa0": "_",
    "\u2028": "L",
    "\u2029": "P",
}


def double_quote_body(s: str) -> str:
    """The inside of go-yaml's double-quoted form of ``s`` (write_double_quoted)."""
    out = []
    for c in s:
        if c == '"' or c == "\\" or c in BREAKS or c == "\ufeff" or not _printable(c):
            esc = _DQ_ESCAPES.get(c)
            if esc is None:
                o = ord(c)
                esc = f"x{o:02X}" if o <= 0xFF else f"u{o:04X}" if o <= 0xFFFF else f"U{o:08X}"
            out.append("\\" + esc)
        else:
            out.append(c)
    return "".join(out)


def plain_safe(t: str) -> bool:
    """``t`` reads back, after ``key: `` or ``- `` or before ``: ``, as one plain scalar ``t``."""
    c = t[0]
    if c in _FIRST_INDICATORS or c in " \t":
        return False
    if c in "-?:" and (len(t) == 1 or t[1] in " \t"):
        return False
    if t[-1] in " \t:" or ": " in t or ":\t" in t or " #" in t or "\t#" in t:
        return False
    return _PLAIN_CHARS_ASCII.match(t) is not None if t.isascii() else _all_in(t, _PLAIN_RANGES)


def _f32(f: float) -> float:
    try:
        return struct.unpack("f", struct.pack("f", f))[0]
    except OverflowError:
        return math.copysign(math.inf, f)


def go_format_float32(f: float) -> str:
    """strconv.FormatFloat(f, 'g', -1, 32), as sigs.k8s.io/yaml prints a float map key."""
    f = _f32(f)
    if math.isnan(f):
        return ".nan"
    if math.isinf(f):
        return ".inf" if f > 0 else "-.inf"
    for p in range(1, 10):  # shortest digits that read back as the same float32
        text = f"{abs(f):.{p - 1}e}"
        if _f32(float(text)) == abs(f):
            break
    mant, exp_text = text.split("e")
    exp = int(exp_text)
    digits = mant.replace(".", "").rstrip("0") or "0"
    if exp < -4 or exp >= 6:  # Go: %e when shortest and the exponent is outside [-4, 6)
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        body += f"e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    elif exp >= 0:
        whole, frac = digits[: exp + 1].ljust(exp + 1, "0"), digits[exp + 1 :]
        body = whole + ("." + frac if frac else "")
    else:
        body = "0." + "0" * (-exp - 1) + digits
    return ("-" if math.copysign(1.0, f) < 0 else "") + body
