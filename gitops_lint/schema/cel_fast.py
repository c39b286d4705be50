"""The common CEL rules of CRDs, evaluated without the CEL interpreter.

Most ``x-kubernetes-validations`` rules in the wild are field presence and
string equality joined by ``&&``, ``||`` and ``!``: Flux's own
``(has(self.chart) && !has(self.chartRef)) || (!has(self.chart) &&
has(self.chartRef))``, "exactly one of" rules, ``self.metadata.name ==
'flux'``. cel-python takes ~90 ms to import and ~1 ms per evaluation; this
compiles that subset to a Python closure once per rule.

The closure answers True or False only when every step is clean; anything
else (a missing field read, a value that is not a map or not a string, an
unusual construct) returns :data:`UNDECIDED` and the caller asks
cel-python, so the subset can only agree with it (tests/test_cel_fast.py
compares the two on generated rules and objects).

Grammar (whitespace-insensitive)::

    expr    := and ("||" and)*
    and     := unary ("&&" unary)*
    unary   := "!" unary | "(" expr ")" | "has(" path ")" | operand (("==" | "!=") operand)?
    operand := path | 'string' | "string"
    path    := "self" ("." IDENT)*
"""

from __future__ import annotations

import re
from collections.abc import Callable

UNDECIDED = object()
_MISSING = object()

_TOKEN = re.compile(
    r"\s*(?:(?P<op>\|\||&&|==|!=|!|\(|\)|\.)|(?P<str>'[^'\\]*'|\"[^\"\\]*\")|(?P<ident>[A-Za-z_][A-Za-z0-9_]*))"
)


class _NotInSubset(Exception):
    pass


def _tokens(rule: str) -> list[str]:
    out, pos = [], 0
    rule = rule.rstrip()
    while pos < len(rule):
        m = _TOKEN.match(rule, pos)
        if m is None or m.end() == pos:
            raise _NotInSubset(rule[pos:])
        out.append(m.group(0).strip())
        pos = m.end()
    return out


class _Parser:
    def __init__(self, tokens: list[str]):
        self.t = tokens
        self.i = 0

    def peek(self) -> str | None:
        return self.t[self.i] if self.i < len(self.t) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok != expected):
            raise _NotInSubset(f"expected {expected!r}, got {tok!r}")
        self.i += 1
        return tok

    def expr(self):
        left = self.conj()
        while self.peek() == "||":
            self.take()
            right = self.conj()
            left = _logical(left, right, conjunction=False)
        return left

    def conj(self):
        left = self.unary()
        while self.peek() == "&&":
            self.take()
            right = self.unary()
            left = _logical(left, right, conjunction=True)
        return left

    def unary(self):
        tok = self.peek()
        if tok == "!":
            self.take()
            return _not(self.unary())
        if tok == "(":
            self.take()
            inner = self.expr()
            self.take(")")
            return inner
        if tok == "has":
            self.take()
            self.take("(")
            path = self.path()
            self.take(")")
            if not path:
                raise _NotInSubset("has(self)")
            return _has(path)
        left = self.operand()
        if self.peek() in ("==", "!="):
            op = self.take()
            right = self.operand()
            return _compare(left, right, op == "!=")
        raise _NotInSubset("a bare operand is not a boolean rule")

    def operand(self):
        tok = self.peek()
        if tok and tok[0] in "'\"":
            self.take()
            return ("lit", tok[1:-1])
        return ("path", self.path())

    def path(self) -> tuple[str, ...]:
        self.take("self")
        parts = []
        while self.peek() == ".":
            self.take()
            name = self.take()
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or name == "has":
                raise _NotInSubset(name)
            parts.append(name)
        if self.peek() == "(":
            raise _NotInSubset("a method call")
        return tuple(parts)


def _get(value, path: tuple[str, ...]):
    for name in path:
        if not isinstance(value, dict):
            return UNDECIDED
        value = value.get(name, _MISSING)
        if value is _MISSING:
            return UNDECIDED  # CEL: "no such key" error
    return value


def _has(path: tuple[str, ...]):
    parent, last = path[:-1], path[-1]

    def run(value):
        container = _get(value, parent)
        if container is UNDECIDED or not isinstance(container, dict):
            return UNDECIDED
        return last in container

    return run


def _compare(left, right, negate: bool):
    def side(operand, value):
        kind, data = operand
        return data if kind == "lit" else _get(value, data)

    def run(value):
        a, b = side(left, value), side(right, value)
        if type(a) is not str or type(b) is not str:
            return UNDECIDED  # only string equality is in the subset
        return (a != b) if negate else (a == b)

    return run


def _not(inner):
    def run(value):
        r = inner(value)
        return r if r is UNDECIDED else not r

    return run


def _logical(left, right, conjunction: bool):
    """``&&`` or ``||``. CEL's are commutative with respect to errors (the spec;
    cel-python's ``logical_and``/``logical_or`` too): a side that decides alone
    (``false`` for ``&&``, ``true`` for ``||``) gives the result whatever the other
    side is, an error included, so that is decided here; otherwise both must decide.
    Every side of the subset is a boolean or an error in CEL, never another value."""
    if conjunction:

        def run_and(value):
            a = left(value)
            if a is False:
                return False
            b = right(value)
            if b is False:
                return False
            if a is UNDECIDED or b is UNDECIDED:
                return UNDECIDED
            return True

        return run_and

    def run_or(value):
        a = left(value)
        if a is True:
            return True
        b = right(value)
        if b is True:
            return True
        if a is UNDECIDED or b is UNDECIDED:
            return UNDECIDED
        return False

    return run_or


_COMPILED: dict[str, Callable | None] = {}


def compile_rule(rule: str) -> Callable | None:
    """A closure value -> True/False/UNDECIDED, or None when the rule is outside the subset."""
    if rule not in _COMPILED:
        try:
            parser = _Parser(_tokens(rule))
            fn = parser.expr()
            if parser.peek() is not None:
                raise _NotInSubset("trailing text")
        except _NotInSubset:
            fn = None
        _COMPILED[rule] = fn
    return _COMPILED[rule]
