"""A small compiler from JSON Schema (the subset Kubernetes schemas use) to Python closures.

jsonschema interprets a schema on every call: each keyword of each node is
looked up and dispatched again for every object. Nearly every object of a
real repository is valid, so the linter only needs a yes/no answer for them;
closures built once per schema node answer that several times faster. Only
an invalid object goes through jsonschema's ``iter_errors`` for the detailed
errors, so the two must agree: the keywords handled here follow JSON Schema
2020-12 exactly, and a schema using anything else raises :class:`Unsupported`
so that the caller uses jsonschema for the yes/no answer too.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

from ..core.regex import GoRegex, RegexError, compile_go
from . import budget as _budget
from .budget import SCHEMA_NODES, TooComplex, spend

Check = Callable[[Any], bool]

# keywords that never affect validity
ANNOTATIONS = frozenset(
    {
        "description",
        "title",
        "default",
        "examples",
        "example",
        "$schema",
        "$id",
        "$comment",
        "format",
        "readOnly",
        "writeOnly",
        "deprecated",
        "$anchor",
        "$defs",
        "definitions",
    }
)
CEL_KEYWORD = "x-kubernetes-validations"


class Unsupported(Exception):
    """The schema uses a keyword this compiler does not implement."""


def is_string(v) -> bool:
    # YAML timestamps (2024-01-01) reach Kubernetes as strings: sigs.k8s.io/yaml
    # converts YAML to JSON text before decoding.
    return isinstance(v, (str, datetime.date))


def is_integer(v) -> bool:
    if isinstance(v, bool):
        return False
    return isinstance(v, int) or (isinstance(v, float) and v.is_integer())


def is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "string": is_string,
    "integer": is_integer,
    "number": is_number,
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}


def json_equal(a, b) -> bool:
    """Equality as JSON sees it: ``true`` is not ``1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return a == b


def go_pattern(pattern) -> GoRegex | None:
    """A schema ``pattern`` as the API server compiles it (Go regexp, here RE2); ``None``
    when it does not compile: such a CRD is refused whole (check.py reports it), and a
    pattern that cannot be compiled is not checked rather than guessed."""
    if not isinstance(pattern, str):
        return None
    try:
        return compile_go(pattern)
    except RegexError:
        return None


def _canonical(v) -> str:
    return json.dumps(v, sort_keys=True, default=str)


class Compiler:
    """Compiles schema nodes once each (recursive schemas share their closures)."""

    def __init__(self, cel: Callable[[list, Any], bool] | None = None):
        self._memo: dict[int, Check] = {}
        self._keep: list = []  # the schema nodes whose id() is a memo key stay alive
        self.cel = cel
        self.nodes = 0  # compiled so far, against budget.SCHEMA_NODES

    def compile(self, schema) -> Check:
        if schema is True or schema == {}:
            return _true
        if schema is False:
            return _false
        if not isinstance(schema, dict):
            raise Unsupported(f"schema node {schema!r}")
        key = id(schema)
        found = self._memo.get(key)
        if found is not None:
            return found
        self.nodes += 1
        if self.nodes > SCHEMA_NODES:
            raise TooComplex(f"the schema has more than {SCHEMA_NODES:,} nodes")
        cell: list[Check] = []
        self._memo[key] = lambda v: cell[0](v)  # placeholder while compiling a cycle
        self._keep.append(schema)
        fn = self._node(schema)
        cell.append(fn)
        self._memo[key] = fn
        return fn

    def _node(self, s: dict) -> Check:
        checks: list[Check] = []
        for key in s:
            if key not in ANNOTATIONS and key not in _HANDLED and not key.startswith("x-"):
                raise Unsupported(key)
        if "type" in s:
            t = s["type"]
            names = [t] if isinstance(t, str) else list(t)
            tests = [TYPE_TESTS[n] for n in names]
            if len(tests) == 1:
                checks.append(tests[0])
            else:
                checks.append(_any_type(names, tests))
        if "enum" in s:
            allowed = list(s["enum"])
            checks.append(lambda v: any(json_equal(v, e) for e in allowed))
        if "const" in s:
            const = s["const"]
            checks.append(lambda v: json_equal(v, const))
        self._strings(s, checks)
        self._numbers(s, checks)
        self._objects(s, checks)
        self._arrays(s, checks)
        for word in ("allOf", "anyOf", "oneOf"):
            if word in s:
                subs = [self.compile(x) for x in s[word]]
                # each branch checks the same value again: nested junctors multiply (budget)
                if word == "allOf":
                    checks.append(lambda v, subs=subs: spend(len(subs)) or all(f(v) for f in subs))
                elif word == "anyOf":
                    checks.append(lambda v, subs=subs: spend(len(subs)) or any(f(v) for f in subs))
                else:
                    checks.append(lambda v, subs=subs: spend(len(subs)) or sum(1 for f in subs if f(v)) == 1)
        if "not" in s:
            inner = self.compile(s["not"])
            checks.append(lambda v: spend() or not inner(v))
        if CEL_KEYWORD in s and self.cel is not None:
            rules = s[CEL_KEYWORD]
            cel = self.cel
            checks.append(lambda v: cel(rules, v))
        return _all_of(checks)

    def _strings(self, s: dict, checks: list) -> None:
        if "pattern" in s:
            # a Go regexp (the API server's regexp.Compile), matched by RE2 in linear time
            rx = go_pattern(s["pattern"])
            if rx is not None:
                checks.append(lambda v: not isinstance(v, str) or rx.search(v))
        if "minLength" in s:
            n = s["minLength"]
            checks.append(lambda v: not isinstance(v, str) or len(v) >= n)
        if "maxLength" in s:
            m = s["maxLength"]
            checks.append(lambda v: not isinstance(v, str) or len(v) <= m)

    def _numbers(self, s: dict, checks: list) -> None:
        for word, test in (
            ("minimum", lambda v, x: v >= x),
            ("maximum", lambda v, x: v <= x),
            ("exclusiveMinimum", lambda v, x: v > x),
            ("exclusiveMaximum", lambda v, x: v < x),
        ):
            if word in s:
                bound = s[word]
                if isinstance(bound, bool):
                    raise Unsupported(f"boolean {word}")
                checks.append(lambda v, bound=bound, test=test: not is_number(v) or test(v, bound))
        if "multipleOf" in s:
            step = s["multipleOf"]

            def multiple(v, step=step):
                if not is_number(v):
                    return True
                if isinstance(step, float) or isinstance(v, float):
                    q = v / step
                    return q == int(q) if q == q and abs(q) != float("inf") else False
                return v % step == 0

            checks.append(multiple)

    def _objects(self, s: dict, checks: list) -> None:
        props = s.get("properties")
        addl = s.get("additionalProperties", True)
        required = list(s.get("required") or [])
        if props is not None or addl is not True:
            compiled = {k: self.compile(v) for k, v in (props or {}).items()}
            if addl is True:
                extra: Check | None = None
                closed = False
            elif addl is False:
                extra, closed = None, True
            else:
                extra, closed = self.compile(addl), False

            def obj(v, compiled=compiled, extra=extra, closed=closed):
                if not isinstance(v, dict):
                    return True
                steps = _budget.current  # budget.spend, inlined: this runs for every mapping
                if steps is not None:
                    steps.spend(len(v))
                for k, val in v.items():
                    f = compiled.get(k)
                    if f is not None:
                        if not f(val):
                            return False
                    elif closed or extra is not None and not extra(val):
                        return False
                return True

            checks.append(obj)
        if required:
            try:
                wanted = frozenset(required)
            except TypeError:  # a malformed schema (``required: [{a: 1}]``): fails when checked, as before
                checks.append(lambda v: not isinstance(v, dict) or all(r in v for r in required))
            else:
                checks.append(lambda v: not isinstance(v, dict) or v.keys() >= wanted)
        if "minProperties" in s:
            n = s["minProperties"]
            checks.append(lambda v: not isinstance(v, dict) or len(v) >= n)
        if "maxProperties" in s:
            m = s["maxProperties"]
            checks.append(lambda v: not isinstance(v, dict) or len(v) <= m)

    def _arrays(self, s: dict, checks: list) -> None:
        if "items" in s:
            items = s["items"]
            if isinstance(items, list):
                raise Unsupported("items as a list")
            each = self.compile(items)
            if each is not _true:

                def every(v, each=each):
                    if not isinstance(v, list):
                        return True
                    steps = _budget.current
                    if steps is not None:
                        steps.spend(len(v))
                    for x in v:  # noqa: SIM110 - a loop, not a generator: the hottest path
                        if not each(x):
                            return False
                    return True

                checks.append(every)
        if "minItems" in s:
            n = s["minItems"]
            checks.append(lambda v: not isinstance(v, list) or len(v) >= n)
        if "maxItems" in s:
            m = s["maxItems"]
            checks.append(lambda v: not isinstance(v, list) or len(v) <= m)
        if s.get("uniqueItems") is True:
            checks.append(lambda v: not isinstance(v, list) or len({_canonical(x) for x in v}) == len(v))


_HANDLED = frozenset(
    {
        "type",
        "enum",
        "const",
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "properties",
        "additionalProperties",
        "required",
        "minProperties",
        "maxProperties",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
    }
)


def _true(v) -> bool:
    return True


# the exact Python types that pass a JSON Schema type name for every value of the type
_EXACT_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def _any_type(names: list, tests: list) -> Check:
    """``type: [a, b, ...]``: one dictionary lookup for a value whose exact type passes;
    the tests themselves for the rest (subclasses, dates, a float that is an integer)."""
    exact = frozenset(t for n in names for t in _EXACT_TYPES[n])

    def any_type(v) -> bool:
        if type(v) in exact:
            return True
        for test in tests:  # noqa: SIM110 - a loop, not a generator: the hottest path
            if test(v):
                return True
        return False

    return any_type


def _all_of(checks: list) -> Check:
    """Every check passes, in order, stopping at the first that fails (no generator:
    this is the validator's innermost call)."""
    if not checks:
        return _true
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        a, b = checks
        return lambda v: bool(a(v) and b(v))
    if len(checks) == 3:
        a, b, c = checks
        return lambda v: bool(a(v) and b(v) and c(v))

    def every(v) -> bool:
        for check in checks:  # noqa: SIM110 - a loop, not a generator: the hottest path
            if not check(v):
                return False
        return True

    return every


def _false(v) -> bool:
    return False
