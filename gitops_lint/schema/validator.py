"""One compiled schema: a fast yes/no, and jsonschema's detailed errors when it says no.

Errors come out as :class:`SchemaError` with the JSON path of the offending
field (for its line) and a message that names the path. Messages show short
values only, and none at all when the caller asks for redaction (Secrets).

Both paths run within the budgets of :mod:`.budget`; an object that runs out
gets one :class:`SchemaError` with ``not_checked`` set (an info finding), and
so does every object of a kind whose schema is too large to compile. Regexes
(``pattern``, ``patternProperties``) are Go regexps matched by RE2 in both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import budget, cel
from .budget import TooComplex
from .crd import TOO_COMPLEX
from .debug_log import DebugLog
from .fast import CEL_KEYWORD, TYPE_TESTS, Compiler, Unsupported, go_pattern

log = DebugLog("gitops_lint.schema")


@dataclass(frozen=True)
class SchemaError:
    path: tuple  # JSON path of the field the finding points at
    message: str
    value: Any = field(default=None, compare=False)  # the offending value (never printed whole)
    key: str | None = None  # the unknown field's name, for additionalProperties errors
    not_checked: bool = False  # a budget ran out: an info finding, never an error


def not_checked(reason: str) -> SchemaError:
    return SchemaError((), f"schema too complex to check ({reason}): not checked", not_checked=True)


def dotted(path) -> str:
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif step and all(c.isalnum() or c in "_-$" for c in str(step)):
            out += ("." if out else "") + str(step)
        else:
            out += f"[{json.dumps(str(step))}]"
    return out or "(root)"


def _type_name(v) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "object", "array"):
        if TYPE_TESTS[name](v):
            return name
    return type(v).__name__


def show(v, redact: bool = False) -> str:
    name = _type_name(v)
    if redact or name in ("object", "array"):
        return name if name in ("object", "array", "null") else f"{'an' if name == 'integer' else 'a'} {name}"
    text = json.dumps(v, default=str)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{name} {text}"


_VALIDATOR_CLASS = None


def _validator_class():
    """Draft 2020-12 with YAML dates as strings and CEL rules as a keyword."""
    global _VALIDATOR_CLASS
    if _VALIDATOR_CLASS is None:
        import jsonschema
        from jsonschema import validators

        base = jsonschema.Draft202012Validator

        def as_check(test):
            return lambda _checker, v: test(v)

        checker = base.TYPE_CHECKER.redefine_many({name: as_check(t) for name, t in TYPE_TESTS.items()})

        def cel_keyword(validator, rules, instance, schema):
            for failure in cel.evaluate(rules, instance):
                yield jsonschema.ValidationError(failure.message, validator_value=failure)

        def pattern(validator, patrn, instance, schema):
            rx = go_pattern(patrn)
            # a YAML date is a "string" to the type checker but not text to match (as in fast.py)
            if isinstance(instance, str) and rx is not None and not rx.search(instance):
                yield jsonschema.ValidationError(f"{instance!r} does not match {patrn!r}")

        def pattern_properties(validator, value, instance, schema):
            if not validator.is_type(instance, "object"):
                return
            for patrn, subschema in value.items():
                rx = go_pattern(patrn)
                for k, v in instance.items():
                    if rx is not None and rx.search(k):
                        yield from validator.descend(v, subschema, path=k, schema_path=patrn)

        def additional_properties(validator, ap, instance, schema):
            if not validator.is_type(instance, "object"):
                return
            props = schema.get("properties", {})
            patterns = [rx for rx in map(go_pattern, schema.get("patternProperties", {})) if rx is not None]
            extras = [k for k in instance if k not in props and not any(rx.search(k) for rx in patterns)]
            if validator.is_type(ap, "object"):
                for extra in extras:
                    yield from validator.descend(instance[extra], ap, path=extra)
            elif not ap and extras:
                yield jsonschema.ValidationError(
                    f"Additional properties are not allowed ({sorted(extras)!r})"
                )

        own = {
            CEL_KEYWORD: cel_keyword,
            "pattern": pattern,
            "patternProperties": pattern_properties,
            "additionalProperties": additional_properties,
        }
        keywords = {**base.VALIDATORS, **own}
        _VALIDATOR_CLASS = validators.extend(
            base, validators={k: _counted(f) for k, f in keywords.items()}, type_checker=checker
        )
    return _VALIDATOR_CLASS


def _counted(keyword):
    """A jsonschema keyword that spends one step of the object's budget per call."""

    def run(validator, value, instance, schema):
        budget.spend()
        return keyword(validator, value, instance, schema)

    return run


class Validator:
    """A schema compiled once; :meth:`errors` is what the schema rule calls per object."""

    def __init__(self, schema: dict, source: str):
        self.schema = schema
        self.source = source  # where the schema came from, for messages and debugging
        self._fast = None
        self._slow = None
        self.too_complex: str | None = schema.get(TOO_COMPLEX) if isinstance(schema, dict) else None
        if self.too_complex is not None:
            return
        try:
            self._fast = Compiler(cel.passes).compile(schema)
        except Unsupported as exc:
            log.debug("schema of %s: no fast path (%s)", source, exc)
        except TooComplex as exc:
            self.too_complex = str(exc)

    def _jsonschema(self):
        if self._slow is None:
            self._slow = _validator_class()(self.schema)
        return self._slow

    def is_valid(self, obj) -> bool:
        if self.too_complex is not None:
            return True  # not checked (errors() says so)
        if self._fast is not None:
            return self._fast(obj)
        return self._jsonschema().is_valid(obj)

    def errors(self, obj, redact: bool = False) -> list[SchemaError]:
        """The object's errors, or one ``not_checked`` entry when a budget runs out
        (plus one per CEL rule left unevaluated for its cost)."""
        if self.too_complex is not None:
            return [not_checked(self.too_complex)]
        with budget.checking() as steps:
            try:
                out = self._errors(obj, redact)
            except TooComplex as exc:
                return [not_checked(str(exc))]
        return out + [SchemaError((), note, not_checked=True) for note in steps.notes]

    def _errors(self, obj, redact: bool) -> list[SchemaError]:
        if self.is_valid(obj):
            return []
        if budget.current is not None:
            budget.current.restart(budget.DETAIL_STEPS, "schema keyword evaluations for one object")
        out: list[SchemaError] = []
        for err in self._jsonschema().iter_errors(obj):
            out.extend(_describe(err, redact))
        seen = set()
        unique = []
        for e in sorted(out, key=lambda e: (tuple(map(str, e.path)), e.message)):
            if (e.path, e.message) not in seen:
                seen.add((e.path, e.message))
                unique.append(e)
        return unique


def _describe(err, redact: bool) -> list[SchemaError]:
    path = tuple(err.absolute_path)
    where = dotted(path)
    v = err.instance
    kind = err.validator
    if kind == "additionalProperties":
        props = err.schema.get("properties") or {}
        extras = sorted(str(k) for k in v if k not in props) if isinstance(v, dict) else []
        return [
            SchemaError(path + (k,), f"{dotted(path + (k,))}: unknown field", v.get(k), key=k) for k in extras
        ]
    if kind == "required":
        missing = [r for r in err.validator_value if isinstance(v, dict) and r not in v]
        return [SchemaError(path, f"{dotted(path + (r,))}: required field is missing", None) for r in missing]
    if kind == "type":
        expected = err.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return [SchemaError(path, f"{where}: expected {expected}, got {show(v, redact)}", v)]
    if kind == "enum":
        allowed = ", ".join(
            json.dumps(x, default=str) for x in list(err.validator_value)[:10] if x is not None
        )
        more = ", ..." if len(err.validator_value) > 10 else ""
        return [SchemaError(path, f"{where}: {show(v, redact)} is not one of {allowed}{more}", v)]
    if kind == "const":
        return [SchemaError(path, f"{where}: must be {json.dumps(err.validator_value)}", v)]
    if kind == "pattern":
        return [SchemaError(path, f"{where}: {show(v, redact)} does not match {err.validator_value}", v)]
    if kind in ("minLength", "maxLength"):
        bound = "at least" if kind == "minLength" else "at most"
        return [SchemaError(path, f"{where}: must be {bound} {err.validator_value} characters long", v)]
    if kind in ("minItems", "maxItems"):
        bound = "at least" if kind == "minItems" else "at most"
        return [SchemaError(path, f"{where}: must have {bound} {err.validator_value} items", v)]
    if kind in ("minProperties", "maxProperties"):
        bound = "at least" if kind == "minProperties" else "at most"
        return [SchemaError(path, f"{where}: must have {bound} {err.validator_value} fields", v)]
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        op = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[kind]
        return [SchemaError(path, f"{where}: must be {op} {err.validator_value}, got {show(v, redact)}", v)]
    if kind == CEL_KEYWORD:
        failure = err.validator_value
        fpath = path
        if failure.field_path:
            fpath = path + tuple(p for p in failure.field_path.lstrip(".").split(".") if p)
        return [SchemaError(fpath, f"{where}: {failure.message} (rule: {failure.rule})", v)]
    if kind in ("anyOf", "oneOf"):
        branches = err.validator_value
        types = [b.get("type") for b in branches if isinstance(b, dict) and set(b) <= {"type"}]
        if types and len(types) == len(branches):
            names = " or ".join(t if isinstance(t, str) else "/".join(t) for t in types)
            return [SchemaError(path, f"{where}: expected {names}, got {show(v, redact)}", v)]
        if kind == "oneOf" and err.context == []:
            return [SchemaError(path, f"{where}: matches more than one allowed form", v)]
        # report the closest branch's own errors when one branch is clearly meant
        best = _best_branch(err)
        if best is not None:
            return [e for sub in best for e in _describe(sub, redact)]
        return [SchemaError(path, f"{where}: does not match any allowed form", v)]
    if kind == "not":
        return [SchemaError(path, f"{where}: is not allowed here", v)]
    return [
        SchemaError(path, f"{where}: fails {kind} {json.dumps(err.validator_value, default=str)[:60]}", v)
    ]


def _best_branch(err):
    """The branch with the fewest, deepest errors, if exactly one is best."""
    by_branch: dict[int, list] = {}
    for sub in err.context or []:
        by_branch.setdefault(sub.schema_path[0] if sub.schema_path else 0, []).append(sub)
    if not by_branch:
        return None
    ranked = sorted(
        by_branch.values(), key=lambda errs: (len(errs), -max(len(e.absolute_path) for e in errs))
    )
    if len(ranked) > 1 and len(ranked[0]) == len(ranked[1]):
        depth = max(len(e.absolute_path) for e in ranked[0])
        if depth == max(len(e.absolute_path) for e in ranked[1]):
            return None
    return ranked[0]
