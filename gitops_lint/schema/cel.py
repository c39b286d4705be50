"""``x-kubernetes-validations``: the CEL rules of CRD schemas, evaluated with cel-python.

The API server evaluates these rules on create with ``self`` bound to the
field's value; a rule that reads ``oldSelf`` is a transition rule and is
skipped on create, so it is skipped here too. Anything cel-python cannot
compile or evaluate (a Kubernetes CEL library function such as
``isURL()``/``quantity()``, a type it does not model) is skipped with a
debug note: an unevaluable rule is never a false error.

Building cel-python's Lark parser takes ~0.1 s of LALR table construction.
The tables ship with gitops-lint instead, as JSON
(``schemas/cel-parser.json``, made by ``tools/gen_cel_parser.py``
and stamped with the Lark version and grammar hash), loaded in ~15 ms when
the stamp matches the installed packages and built otherwise. Lark's own
cache is a pickle in a shared directory, which a linter run on strangers'
pull requests must not load. Nothing CEL-related is imported until a schema
with a rule meets an object, nor while every verdict a run asks for is one a
run before it kept (``gitops_lint.celcache``).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.data_files import bundled
from . import budget
from .cel_fast import UNDECIDED, compile_rule
from .debug_log import DebugLog

log = DebugLog("gitops_lint.schema.cel")

_ENV = None
_PROGRAMS: dict[str, Any] = {}
_BROKEN: set[str] = set()


@dataclass(frozen=True)
class RuleFailure:
    rule: str
    message: str
    field_path: str  # the rule's ``fieldPath`` (".spec.x") or ""
    reason: str


PARSER_FILE = bundled("cel-parser.json")


def _grammar() -> str:
    import celpy

    return (Path(celpy.__file__).parent / "cel.lark").read_text(encoding="utf-8")


def _options() -> dict:
    from celpy.celparser import CELParser

    return dict(
        parser="lalr",
        start="expr",
        g_regex_flags=re.M,
        lexer_callbacks={"IDENT": CELParser.ambiguous_literals},
        propagate_positions=True,
        maybe_placeholders=False,
        priority="invert",
    )


def stamp() -> str:
    """What a serialised parser was built from: Lark's version and the grammar's hash."""
    import lark

    return f"lark {lark.__version__} grammar {hashlib.sha256(_grammar().encode()).hexdigest()}"


def build_parser():
    """cel-python's parser, built from its grammar (~0.1 s of LALR table construction)."""
    import lark

    return lark.Lark(_grammar(), **_options())


def encode(value):
    """JSON-ready form of Lark's serialised tables: tuples and dicts with non-string keys tagged."""
    if isinstance(value, dict):
        if all(type(k) is str for k in value) and not {"__d", "__t"} & value.keys():
            return {k: encode(v) for k, v in value.items()}
        return {"__d": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {"__t": [encode(v) for v in value]}
    if isinstance(value, bool) or value is None or isinstance(value, (str, float)):
        return value
    if isinstance(value, int):
        return int(value)  # RegexFlag and other int enums
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _decode(obj: dict):
    if len(obj) == 1 and "__t" in obj:
        return tuple(obj["__t"])
    if len(obj) == 1 and "__d" in obj:
        return {k: v for k, v in obj["__d"]}
    return obj


def _load_parser():
    """The parser from schemas/cel-parser.json (tools/gen_cel_parser.py), when it was
    made from the installed Lark and grammar; JSON, never a pickle. None otherwise."""
    import lark

    try:
        payload = json.loads(PARSER_FILE.read_text(encoding="utf-8"), object_hook=_decode)
        if payload.get("stamp") != stamp():
            log.debug("cel-parser.json is for %s, not %s: building the parser", payload.get("stamp"), stamp())
            return None
        parser = lark.Lark.__new__(lark.Lark)
        return parser._load(
            {"data": payload["data"], "memo": payload["memo"]},
            lexer_callbacks=_options()["lexer_callbacks"],
        )
    except Exception as exc:  # a missing or damaged file: build instead
        log.debug("cel-parser.json not usable (%s): building the parser", exc)
        return None


class OutOfCost(BaseException):
    """A rule's evaluation ran out of steps. A BaseException: cel-python turns the
    ``Exception``s its functions raise into CEL error values, and this must not be one."""


class _Meter:
    __slots__ = ("left",)

    def __init__(self, limit: int):
        self.left = limit


_METER: _Meter | None = None  # the rule being evaluated (one at a time)
_FRAME = 10  # steps one comprehension iteration's frame costs (measured: ~10 node visits)


def _tick(n: int) -> None:
    meter = _METER
    if meter is not None:
        meter.left -= n
        if meter.left < 0:
            raise OutOfCost


def _runner_class():
    """cel-python's interpreter, counting one step per syntax-tree node it evaluates
    (a comprehension's body counts once per element): the cost the API server bounds
    with cel-go's cost units (``PerCallLimit``), measured the way cel-python can."""
    import celpy
    from celpy.evaluation import Evaluator

    class CountingEvaluator(Evaluator):
        def sub_evaluator(self, ast):
            _tick(_FRAME)  # a comprehension's iteration: a cloned activation per element
            return CountingEvaluator(ast, activation=self.activation)

        def _visit_tree(self, tree):
            _tick(1)
            return super()._visit_tree(tree)

    class CountingRunner(celpy.InterpretedRunner):
        def evaluate(self, context):
            return CountingEvaluator(ast=self.ast, activation=self.new_activation()).evaluate(context)

    return CountingRunner


def _environment():
    global _ENV
    if _ENV is None:
        import celpy
        from celpy.celparser import CELParser

        if CELParser.CEL_PARSER is None:
            CELParser.CEL_PARSER = _load_parser() or build_parser()
        _ENV = celpy.Environment(runner_class=_runner_class())
    return _ENV


def _run(prog, activation, rule: str) -> tuple[object, int]:
    """``prog.evaluate`` within the rule's step budget: :data:`budget.CEL_PER_CALL`, and
    what is left of the object's :data:`budget.CEL_PER_OBJECT`: its result (or the
    exception it raised) and the steps it took. Out of steps: the rule is not evaluated
    (it passes), the object's budget records why, and :class:`OutOfCost` is raised."""
    global _METER
    steps = budget.current
    limit = _limit(steps)
    if steps is not None and limit <= 0:
        steps.note(
            f"CEL rules after the first {budget.CEL_PER_OBJECT:,} evaluation steps of this object "
            "not evaluated: gitops-lint's budget (the API server's is 10,000,000 cost units): not checked"
        )
        raise OutOfCost
    meter = _Meter(limit)
    _METER = meter
    outcome: object
    try:
        outcome = prog.evaluate(activation)
    except OutOfCost:
        if steps is not None:
            steps.note(
                f"CEL rule {_short(rule)} not evaluated: more than {limit:,} evaluation steps, "
                "gitops-lint's budget (the API server allows 1,000,000 cost units per rule): not checked"
            )
        raise
    except Exception as exc:  # noqa: BLE001 - cel-python raises what its functions raise: the caller skips the rule
        outcome = exc
    finally:
        _METER = None
        used = limit - max(meter.left, 0)
        if steps is not None:
            steps.cel_left -= used
    return outcome, used


def _limit(steps) -> int:
    """The steps one evaluation may take now: the rule's budget, within what is left of the
    object's (``steps``: the object's budget, None outside one)."""
    return budget.CEL_PER_CALL if steps is None else min(budget.CEL_PER_CALL, steps.cel_left)


def _spend(used: int) -> bool:
    """Charge the steps a remembered evaluation took, as :func:`_run` would have: False
    (nothing charged) when it would not run within the budget left now, which only
    evaluating it again reports as it does."""
    steps = budget.current
    limit = _limit(steps)
    if limit <= 0 or used > limit:
        return False
    if steps is not None:
        steps.cel_left -= used
    return True


def _short(rule: str) -> str:
    rule = " ".join(rule.split())
    return repr(rule if len(rule) <= 80 else rule[:77] + "...")


def _program(rule: str):
    prog = _PROGRAMS.get(rule)
    if prog is None and rule not in _BROKEN:
        try:
            env = _environment()
            prog = env.program(env.compile(rule))
        except Exception as exc:  # noqa: BLE001 - cel-python raises what its grammar and
            # builtins raise for CEL it does not support; the rule is then not checked (an
            # info says so), never a finding
            log.debug("CEL rule skipped (cannot compile): %s: %s", rule, exc)
            _BROKEN.add(rule)
            return None
        _PROGRAMS[rule] = prog
    return prog


_OLD_SELF = re.compile(r"\boldSelf\b")
_SELF = re.compile(r"\bself\b(\.([A-Za-z_]\w*)(\s*\()?)?")
_FIELDS: dict[str, frozenset[str] | None] = {}


def _fields(rule: str) -> frozenset[str] | None:
    """The top-level fields a rule reads when it only uses ``self.<field>``; None when it
    uses ``self`` as a whole (``self.size()``, ``self == x``, macros). Converting only those
    fields to CEL values keeps a HelmRelease's large ``values`` out of the conversion."""
    if rule not in _FIELDS:
        names: set[str] | None = set()
        for m in _SELF.finditer(rule):
            if not m.group(1) or m.group(3):
                names = None
                break
            names.add(m.group(2))
        _FIELDS[rule] = frozenset(names) if names is not None else None
    return _FIELDS[rule]


def evaluate(rules: list, value) -> list[RuleFailure]:
    """The rules ``value`` fails; rules that cannot be evaluated count as passed."""
    failures: list[RuleFailure] = []
    whole: list = []  # the whole value as cel-python reads it: plain form, its text, activation
    for item in rules or []:
        if not isinstance(item, dict) or not isinstance(item.get("rule"), str):
            continue
        rule = item["rule"]
        if _OLD_SELF.search(rule):
            continue  # transition rule: only checked on update
        fast = compile_rule(rule)
        verdict = fast(value) if fast is not None else UNDECIDED
        if verdict is UNDECIDED:
            verdict = _interpreted(rule, value, whole)
        if verdict is False:
            failures.append(_failure(item, rule))
    return failures


#: cel-python's verdicts by rule and value (the value's JSON text, :func:`_text_of`): an
#: object rendered in several clusters of a repository meets the same rules with the same
#: value in each, and one evaluation takes about a millisecond. Each with the steps it
#: took, charged again when used. A pure function of its key, cleared when it holds more
#: text than this:
_RESULTS: dict[tuple[str, str], tuple[bool | None, int]] = {}
_RESULTS_CHARS = 0  # the keys' text in _RESULTS
MAX_RESULTS_CHARS = 16 * 1024 * 1024

#: the verdicts kept between runs (``celcache.KeptVerdicts``: ``get(rule, text)``,
#: ``add(rule, text, verdict, steps)``), set by the linter for the run of a warm cache
kept = None


def _interpreted(rule: str, value, whole: list) -> bool | None:
    """cel-python's verdict on ``value``: None when the rule is not evaluated (out of
    steps, an error, a value it cannot convert, a result that is not a boolean, a rule it
    cannot compile). Remembered first (in this process, then between runs: a run that
    finds every verdict never imports cel-python); a remembered verdict was evaluated,
    so its rule compiles."""
    global _RESULTS_CHARS
    if rule in _BROKEN:
        return None
    fields = _fields(rule)
    partial = fields is not None and isinstance(value, dict)  # only the fields the rule reads
    try:
        if partial:
            plain = _plain({k: v for k, v in value.items() if k in fields})  # in its order
            text, act = _text_of(plain), None
        else:
            if not whole:
                plain = _plain(value)
                whole.extend([plain, _text_of(plain), None])
            plain, text, act = whole
    except Exception as exc:  # noqa: BLE001 - as above: not checked, never a finding
        log.debug("CEL value not convertible: %s", exc)
        return None
    key = (rule, text) if text is not None else None
    known = _RESULTS.get(key) if key is not None else None
    if kept is not None and key is not None:
        if known is None:
            known = kept.get(rule, text)
        else:  # remembered in this process: kept for the next run too
            kept.add(rule, text, *known)
    if known is not None and _spend(known[1]):
        return known[0]
    prog = _program(rule)
    if prog is None:
        return None
    import celpy

    try:
        if act is None:
            act = {"self": celpy.json_to_cel(plain)}
            if not partial:
                whole[2] = act
    except Exception as exc:  # noqa: BLE001 - as above: not checked, never a finding
        log.debug("CEL value not convertible: %s", exc)
        return None
    try:
        outcome, used = _run(prog, act, rule)
    except OutOfCost:
        return None  # not evaluated: the object's "not checked" note says so
    verdict = _verdict(outcome, rule)
    if key is not None:
        if _RESULTS_CHARS > MAX_RESULTS_CHARS:
            _RESULTS.clear()
            _RESULTS_CHARS = 0
        _RESULTS[key] = (verdict, used)
        _RESULTS_CHARS += len(rule) + len(text)
        if kept is not None:
            kept.add(rule, text, verdict, used)
    return verdict


def _text_of(plain) -> str | None:
    """``plain``'s JSON text (which tells ``1`` from ``1.0``, ``true`` and ``"1"``, and keeps
    key order), or None, not remembered, for a value of another type than JSON's."""
    try:
        return json.dumps(plain, ensure_ascii=False, default=_not_json)
    except (TypeError, ValueError, RecursionError):
        return None


def _not_json(value):
    raise TypeError(type(value).__name__)


def _verdict(outcome: object, rule: str) -> bool | None:
    if isinstance(outcome, Exception):
        log.debug("CEL rule skipped (cannot evaluate): %s: %s", rule, outcome)
        return None
    if outcome is True or (type(outcome).__name__ == "BoolType" and bool(outcome)):
        return True
    if type(outcome).__name__ == "BoolType" or outcome is False:
        return False
    log.debug("CEL rule skipped (no boolean result): %s: %r", rule, outcome)
    return None


def _failure(item: dict, rule: str) -> RuleFailure:
    message = item.get("message")
    return RuleFailure(
        rule=rule,
        message=str(message) if isinstance(message, str) and message else f"failed rule: {rule}",
        field_path=str(item.get("fieldPath") or ""),
        reason=str(item.get("reason") or "FieldValueInvalid"),
    )


def passes(rules: list, value) -> bool:
    return not evaluate(rules, value)


def _plain(value):
    """Dates to strings, as the object reaches the API server as JSON."""
    import datetime

    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value
