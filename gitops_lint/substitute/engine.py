"""Flux post-build variable substitution, applied to one built object.

What kustomize-controller does per object (fluxcd/pkg ``kustomize/kustomize_varsub.go``
``SubstituteVariables``): skip it when labelled or annotated
``kustomize.toolkit.fluxcd.io/substitute: disabled``; serialise it to YAML
(kustomize ``Resource.AsYAML``: JSON -> go-yaml v2 emitter, so original quoting is
lost); run ``envsubst`` over that text (:mod:`gitops_lint.substitute.envsubst`); parse the
result back with go-yaml v2 (YAML 1.1 resolution, ``sigs.k8s.io/yaml.YAMLToJSON``).

Instead of printing and re-parsing the whole object, each string scalar (and
mapping key) is handled where it stands, which gives a path for every finding:

* the emitter's choice of style for the string is reproduced
  (:func:`emit_style`): plain, single-quoted, double-quoted or literal block;
* ``envsubst`` runs over the text as it would be printed in that style
  (single quotes doubled, double-quoted escapes), as Flux's does;
* a changed plain scalar is re-resolved like go-yaml v2 reads it
  (:func:`resolve_plain_scalar`), so ``"${ID}"`` with ``ID: "0123"`` becomes the
  integer 83, ``"${ON}"`` with ``ON: "yes"`` becomes ``True``, and an empty value
  becomes ``None``;
* a result that is not a simple plain scalar any more (a value with ``": "``,
  ``" #"``, a leading ``*``, ``&``, ``!``, ``[``, ``{``, quote, ...; a quoted scalar
  whose quoting the value broke) is parsed as the YAML fragment it would be in the
  printed document; a YAML error becomes a :class:`SubstitutionError`
  (Flux: ``envsubst error: YAMLToJSON: yaml: line N: ...``), a new structure
  (``- ${X}`` with ``X: "a: b"``) is kept as Flux would keep it.

Known approximations (documented in rules/unresolved-variable.md, "Flux semantics"):
an expression is parsed within one scalar (Flux's can run on into the next lines
of the document when a default is not closed: both fail or produce garbage);
a value that starts with a space in the first line of a literal block scalar, or
that contains ``\\r``, is not re-checked against the block's indentation.

Undefined variables are a linter's business, not Flux's: the expression is left
in the returned object as written and reported in ``unresolved`` (see
:class:`gitops_lint.substitute.envsubst.Evaluator` for which forms count); the caller
decides the severity from the Flux version (lax: Flux writes "", strict: Flux
fails the Kustomization).

Unknown values (the interface other stages rely on): a variable that exists in
the cluster with a value gitops-lint cannot know (:data:`UNKNOWN` in a
:class:`Variables`; or any name, when a source's keys are unknown) is never
substituted. Its expression stays in the object as written, as an unresolved
one does, and its field is reported in ``unknown``. The caller records both
lists on the rendered object (``RenderedObject.unresolved``: field paths that
hold a ``${...}`` Flux fills in and gitops-lint did not), and no rule judges
those fields; the schema check skips them (and any string still holding
``${``), so ciphertext or a guess never reaches a schema or a message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..core.enums import StrEnum
from ..core.fs import content_hash
from ..core.plain import is_plain
from ..load.goyaml import (
    BREAKS,
    DOUBLE,
    LITERAL,
    PLAIN,
    SINGLE,
    double_quote_body,
    emit_style,
    go_format_float32,
    plain_safe,
    resolve_plain_scalar,
)
from . import envsubst as _es
from .envsubst import UNKNOWN

SUBSTITUTE_ANNOTATION = "kustomize.toolkit.fluxcd.io/substitute"
# Flux: ^[_[:alpha:]][_[:alpha:][:digit:]]*$ in Go RE2 (ASCII; $ = end of text, hence \Z)
VAR_NAME = re.compile(r"^[_A-Za-z][_A-Za-z0-9]*\Z")

DEFAULT_BUDGET = 1_000_000  # container entries visited per object (aliases expand)


class SubstitutionBudgetExceeded(Exception):
    """The object expands (through shared sub-structures) past the node budget."""


@dataclass(frozen=True)
class Unresolved:
    name: str
    path: tuple
    expression: str


@dataclass(frozen=True)
class SubstitutionError:
    message: str
    path: tuple
    expression: str


@dataclass(frozen=True)
class SubstitutionNote:
    """Text Flux accepts but that probably does not do what its author meant."""

    kind: NoteKind
    path: tuple
    # the ``${...}`` expression(s), or ``$$``; never the surrounding text, which may be a secret
    expression: str
    count: int = 1
    type_name: str = ""  # RETYPED: what YAML made of the substituted text ("an integer", ...)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", NoteKind(self.kind))  # a stray string fails here


class NoteKind(StrEnum):
    """What a :class:`SubstitutionNote` is about."""

    RETYPED = "retyped"  # a string became a number, boolean or null once substituted
    DOLLARS = "dollars"  # a shell PID ``$$`` in unescaped text: Flux writes ``$``
    ALTERNATIVE = "alternative"  # ``${x:+alt}`` / ``${x:?msg}``: a plain default in Flux, not bash's meaning


RETYPED = NoteKind.RETYPED
DOLLARS = NoteKind.DOLLARS
ALTERNATIVE = NoteKind.ALTERNATIVE
_ALTERNATIVE_OPS = frozenset({"+", ":+", "?", ":?"})
# What users write (the shared corpus: every ``$$`` in text Flux substitutes): ``$$VAR``,
# ``$$(cmd)``, ``$$1``, ``$$((n+1))``, awk's ``$$4``, ``IFS=$$'\n'``, Grafana's ``$$__interval``:
# an escape whose ``$`` result is exactly what the author wants. The collapse changes meaning
# only for a shell's PID ``$$`` (``/tmp/x.$$``, ``kill $$``) in a script written without Flux
# in mind: a ``$$`` that no name, digit or bracket follows (a lone ``$`` once collapsed), in a
# text whose author shows no sign of knowing that ``$$`` collapses (``$$VAR``, ``$$(``; the
# documented ``$${VAR}`` escape alone is no such sign). Exactly two: ``$$$$`` keeps ``$$``.
_PID_DOLLARS = re.compile(r"(?<!\$)\$\$(?![\w${(*@#?!'|-])")
_ESCAPING_DOLLARS = re.compile(r"(?<!\$)\$\$(?:[\w(*@#?!'|-])")


_TYPE_NAMES = {bool: "a boolean", int: "an integer", float: "a number", type(None): "null"}


def _notes(body: str, nodes: list) -> tuple[tuple, ...]:
    """(kind, expression, count) for the text of one scalar, from its parse ``nodes``."""
    found: list[tuple[str, str, int]] = []
    if "$$" in body and _ESCAPING_DOLLARS.search(body) is None:
        n = len(_PID_DOLLARS.findall(body))
        if n:
            found.append((DOLLARS, "$$", n))
    if "+" in body or "?" in body:
        for f in _es.iter_funcs(nodes):
            if f.name in _ALTERNATIVE_OPS:
                found.append((ALTERNATIVE, body[f.start : f.end], 1))
    return tuple(found)


@dataclass
class SubstitutionResult:
    obj: Any
    unresolved: list[Unresolved]
    errors: list[SubstitutionError]
    notes: list[SubstitutionNote] = field(default_factory=list)
    # expressions left as written because their variable's value is unknown offline
    unknown: list[Unresolved] = field(default_factory=list)


_ITSELF = object()


class Variables(Mapping):
    """The variables of one Kustomization, some with values unknown offline.

    ``values`` maps a name to its text or to :data:`UNKNOWN` (set in the
    cluster, value not knowable: SOPS ciphertext, a Secret an operator
    writes). ``open``: a source's keys are unknown too (an external source, a
    Secret fed by a provider's keys), so any other name may be set: it is
    unknown, never unresolved.
    """

    __slots__ = ("values", "open", "memo", "normal")

    def __init__(self, values: Mapping[str, Any], open: bool = False):  # noqa: A002 - the source's keys are open
        self.values = dict(values)
        self.open = open
        # (text, where, strict) -> what substituting the scalar gave, for every object these
        # variables are substituted into (one Kustomization's build repeats its expressions);
        # it lives and dies with this object, which belongs to one run
        self.memo: dict = {}
        # these values without newlines (_normalize_vars); _ITSELF: no value has one
        self.normal: Any = None

    def get(self, name, default=None):
        v = self.values.get(name)
        if v is None:
            return UNKNOWN if self.open else default
        return v

    def __getitem__(self, name):
        v = self.get(name)
        if v is None:
            raise KeyError(name)
        return v

    def __iter__(self):
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def is_disabled(obj: dict) -> bool:
    """Label or annotation ``kustomize.toolkit.fluxcd.io/substitute`` equals ``disabled`` exactly."""
    if not isinstance(obj, dict):
        return False
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return False
    for field_name in ("labels", "annotations"):
        values = meta.get(field_name)
        if isinstance(values, dict) and values.get(SUBSTITUTE_ANNOTATION) == "disabled":
            return True
    return False


# -- go-yaml v2 scalar resolution (resolve.go) ---------------------------------

# -- re-reading substituted text --------------------------------------------------

_YAML_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)  # no implicit resolution
_SCALAR_TAGS_RESOLVED = frozenset(
    {
        "tag:yaml.org,2002:str",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null",
    }
)


class _YamlBreak(Exception):
    pass


def _json_key(v: Any) -> str:
    """sigs.k8s.io/yaml's conversion of a non-string YAML key to a JSON key."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_format_float32(v)
    raise _YamlBreak(
        f"YAMLToJSON: Unsupported map key of type: {type(v).__name__ if v is not None else 'nil'}"
    )


def _node_value(node) -> Any:
    stack = [(node, None, None)]
    root: list = [None]
    while stack:
        n, parent, slot = stack.pop()
        if isinstance(n, yaml.ScalarNode):
            if not n.style and n.tag in _SCALAR_TAGS_RESOLVED:  # plain: None (Python) or "" (libyaml)
                v = resolve_plain_scalar(n.value)
            elif n.tag == "tag:yaml.org,2002:null":
                v = None
            else:
                v = n.value
        elif isinstance(n, yaml.SequenceNode):
            v = [None] * len(n.value)
            for i, child in enumerate(n.value):
                stack.append((child, v, i))
        elif isinstance(n, yaml.MappingNode):
            v = {}
            for kn, vn in n.value:
                if not isinstance(kn, yaml.ScalarNode):
                    raise _YamlBreak("YAMLToJSON: Unsupported map key of a collection type")
                k = _json_key(resolve_plain_scalar(kn.value) if not kn.style else kn.value)
                v[k] = None
                stack.append((vn, v, k))
        else:  # pragma: no cover - compose yields only these
            v = None
        if parent is None:
            root[0] = v
        else:
            parent[slot] = v
    return root[0]


def _parse_fragment(text: str) -> Any:
    try:
        node = yaml.compose(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as e:
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise _YamlBreak(f"YAMLToJSON: yaml: {problem}") from None
    if node is None:
        return None
    return _node_value(node)


_KEY, _VALUE, _ITEM = "key", "value", "item"
_FRAGMENT_KEY = "k"


def _reread(body: str, style: str, where: str) -> Any:
    """Read back a scalar printed in ``style`` whose printed body is now ``body``."""
    if style == LITERAL:
        return body
    if style == SINGLE and not (BREAKS & set(body)) and "'" not in body.replace("''", ""):
        value = body.replace("''", "'")
        return value
    if style == PLAIN:
        if body == "":
            if where == _KEY:
                raise _YamlBreak("YAMLToJSON: Unsupported map key of type: nil")
            return None
        if plain_safe(body):
            value = resolve_plain_scalar(body)
            return _json_key(value) if where == _KEY else value
        printed = body
    elif style == SINGLE:
        printed = "'" + body + "'"
    else:
        printed = '"' + body + '"'
    if where == _KEY:
        doc = _parse_fragment(printed + ": v")
        if not isinstance(doc, dict) or len(doc) != 1:
            raise _YamlBreak("YAMLToJSON: yaml: could not find expected ':'")
        return next(iter(doc))
    if where == _ITEM:
        doc = _parse_fragment("- " + printed)
        if not isinstance(doc, list) or len(doc) != 1:
            raise _YamlBreak("YAMLToJSON: yaml: did not find expected '-' indicator")
        return doc[0]
    doc = _parse_fragment(_FRAGMENT_KEY + ": " + printed)
    if not isinstance(doc, dict) or list(doc) != [_FRAGMENT_KEY]:
        raise _YamlBreak("YAMLToJSON: yaml: mapping values are not allowed in this context")
    return doc[_FRAGMENT_KEY]


# -- public API -------------------------------------------------------------------


def _normalize_vars(variables: Mapping[str, str]) -> Mapping[str, str]:
    if isinstance(variables, Variables):
        if variables.normal is None:  # once per Variables: its values do not change
            values = variables.values
            if all(v is UNKNOWN or (type(v) is str and "\n" not in v) for v in values.values()):
                variables.normal = _ITSELF
            else:
                variables.normal = Variables(
                    {
                        k: v if v is UNKNOWN else ("" if v is None else str(v)).replace("\n", "")
                        for k, v in values.items()
                    },
                    variables.open,
                )
        return variables if variables.normal is _ITSELF else variables.normal
    if all(type(v) is str and "\n" not in v for v in variables.values()):
        return variables
    return {k: ("" if v is None else str(v)).replace("\n", "") for k, v in variables.items()}


def _error_expression(text: str, err: _es.EnvsubstError) -> str:
    end = text.find("}", err.position)
    nl = text.find("\n", err.start)
    if end < 0 or (0 <= nl < end):
        end = nl - 1 if nl >= 0 else len(text) - 1
    return text[err.start : min(end + 1, err.start + 200)]


def substitute_string(
    text: str, variables: Mapping[str, str], *, strict: bool = True
) -> tuple[str, list[str], list[str]]:
    """Substitute one string as envsubst does: (result, unresolved names, error messages).

    Unresolved expressions stay in the result as written; on a parse error the
    text is returned unchanged with the error message.
    """
    try:
        result, unresolved = _es.expand(text, _normalize_vars(variables), strict)
    except _es.EnvsubstError as e:
        return text, [], [e.message]
    return result, [name for name, _ in unresolved], []


class _Walker:
    __slots__ = ("vars", "strict", "unresolved", "unknown", "errors", "notes", "cache")

    def __init__(self, variables, strict):
        self.vars = variables
        self.strict = strict
        self.unresolved: list[Unresolved] = []
        self.unknown: list[Unresolved] = []
        self.errors: list[SubstitutionError] = []
        self.notes: list[SubstitutionNote] = []
        # a scalar's result depends on its text, its place and the variables only: shared by
        # every object substituted with the same Variables (a plain mapping may change
        # between calls, so its results are kept for one object)
        self.cache: dict = variables.memo if isinstance(variables, Variables) else {}

    def scalar(self, s: str, where: str, pnode) -> Any:
        """Substitute string ``s`` found at ``pnode`` as a key, mapping value or item."""
        ck = (s, where, self.strict)
        hit = self.cache.get(ck)
        if hit is None:
            hit = self._compute(s, where)
            if not isinstance(hit[0], (dict, list)):
                self.cache[ck] = hit
        value, unresolved, error, notes, unknown = hit
        if unresolved or error or notes or unknown:
            path = _materialize(pnode)
            for name, expr in unresolved:
                self.unresolved.append(Unresolved(name, path, expr))
            for name, expr in unknown:
                self.unknown.append(Unresolved(name, path, expr))
            if error:
                self.errors.append(SubstitutionError(error[0], path, error[1]))
            for note in notes:
                self.notes.append(SubstitutionNote(note[0], path, *note[1:]))
        return value

    def _compute(self, s: str, where: str):
        found = _ANALYSES.get((s, where))
        if found is None:
            if len(_ANALYSES) >= _MEMO_LIMIT:
                _ANALYSES.clear()
            found = _ANALYSES[(s, where)] = _analyse(s, where)
        if len(found) == 1:  # nothing to evaluate: the same for any variables
            return found[0]
        style, body, nodes, params, notes = found
        get = self.vars.get
        # the evaluation reads the variables through ``get`` of each expression's name only
        key = (s, where, self.strict, tuple([get(p) for p in params]))
        hit = _RESULTS.get(key)
        if hit is None:
            hit = _evaluate(s, where, self.vars, self.strict, style, body, nodes, notes)
            if not isinstance(hit[0], (dict, list)):
                if len(_RESULTS) >= _MEMO_LIMIT:
                    _RESULTS.clear()
                _RESULTS[key] = hit
        return hit


# What substituting a scalar needs that does not depend on the variables, and what it gave,
# by the scalar's text and place (and the values its expressions read): shared by every
# Kustomization of the process (most expressions recur across a repository's apps, each with
# its own variables). Pure functions of their keys: emptied, never stale, when they grow.
_MEMO_LIMIT = 1 << 16
_ANALYSES: dict[tuple[str, str], tuple] = {}
_RESULTS: dict[tuple, tuple] = {}


def _analyse(s: str, where: str) -> tuple:
    """``(result,)`` for a scalar whose substitution is the same whatever the variables (no
    expression, or one Flux cannot parse); else its (emit style, body, parse, the names of its
    expressions, notes)."""
    style = emit_style(s, where == _KEY)
    if style == SINGLE:
        body = s.replace("'", "''")
    elif style == DOUBLE:
        body = double_quote_body(s)
    else:
        body = s
    if not _es.needs_parse(body):
        return ((s, (), None, (), ()),)
    try:
        nodes = _es.parse(body)
    except _es.EnvsubstError as e:
        return ((s, (), (e.message, _error_expression(body, e)), (), ()),)
    params = tuple(dict.fromkeys(f.param for f in _es.iter_funcs(nodes)))
    return style, body, nodes, params, _notes(body, nodes)


def _evaluate(s: str, where: str, variables, strict: bool, style, body: str, nodes: list, notes: tuple):
    """What substituting scalar ``s`` (analysed by :func:`_analyse`) gives with ``variables``."""
    try:
        evaluator = _es.Evaluator(variables, strict, body)
        out, unresolved = evaluator.run(nodes), evaluator.unresolved
    except _es.EnvsubstError as e:
        return s, (), (e.message, _error_expression(body, e)), (), ()
    unknown = tuple(evaluator.unknown)
    if out == body:
        return s, tuple(unresolved), None, notes, unknown
    try:
        value = _reread(out, style, where)
    except _YamlBreak as e:
        # a plain value keeps the substituted text (what Flux tried to read); keys and
        # quoted scalars keep their original text
        kept = out if style in (PLAIN, LITERAL) and where != _KEY else s
        return kept, tuple(unresolved), (str(e), s), notes, unknown
    if not isinstance(value, (str, dict, list)):
        expressions = " ".join(body[f.start : f.end] for f in nodes if isinstance(f, _es.Func))
        notes += ((RETYPED, expressions, 1, _TYPE_NAMES.get(type(value), type(value).__name__)),)
    return value, tuple(unresolved), None, notes, unknown


def _materialize(pnode) -> tuple:
    parts = []
    while pnode is not None:
        pnode, key = pnode
        parts.append(key)
    parts.reverse()
    return tuple(parts)


def substitute_object(
    obj: Any, variables: Mapping[str, str], *, strict: bool = True, budget: int = DEFAULT_BUDGET
) -> SubstitutionResult:
    """Substitute ``variables`` into a copy of ``obj`` with Flux's semantics.

    The caller checks :func:`is_disabled` and whether the Kustomization
    substitutes at all. Newlines are removed from the values, as Flux does.
    A :class:`Variables` keeps the results of the scalars it was substituted
    into, for the next objects: do not change it once made.
    Raises :class:`SubstitutionBudgetExceeded` when more than ``budget``
    container entries would be visited (alias bombs, cycles).
    """
    w = _Walker(_normalize_vars(variables), strict)
    if isinstance(obj, str):
        value = w.scalar(obj, _VALUE, None) if "$" in obj else obj
        return SubstitutionResult(value, w.unresolved, w.errors, w.notes, w.unknown)
    if not isinstance(obj, (dict, list, tuple)):
        return SubstitutionResult(obj, [], [])
    root_is_map = isinstance(obj, dict)
    root: Any = {} if root_is_map else []
    # The budget counts container entries: a container adds its length when the walk enters
    # it (the sum is the same as counting entry by entry, and so is whether it goes past).
    visited = len(obj)
    if visited > budget:
        raise SubstitutionBudgetExceeded(f"more than {budget} nodes")
    # depth-first, document order: (iterator over the source container, copy, path node, is a mapping)
    stack: list = [(iter(obj.items()) if root_is_map else enumerate(obj), root, None, root_is_map, id(obj))]
    on_path = {id(obj)}  # source containers being copied, to refuse a cyclic structure at once
    scalar = w.scalar
    while stack:
        it, dst, pnode, is_map, _ = stack[-1]
        # a path node (parent's node, key) is made only for a scalar with a ``$`` or a container
        if is_map:
            for k, v in it:
                key = k
                if type(k) is str and "$" in k:
                    key = scalar(k, _KEY, (pnode, k))
                tv = type(v)
                if tv is str:
                    if "$" in v:
                        v = scalar(v, _VALUE, (pnode, k))
                elif tv is dict or tv is list or (tv is not bool and isinstance(v, (dict, list, tuple, str))):
                    if isinstance(v, str):  # a str subclass
                        if "$" in v:
                            v = scalar(v, _VALUE, (pnode, k))
                    else:
                        vid = id(v)
                        if vid in on_path:
                            raise SubstitutionBudgetExceeded("cyclic structure (recursive alias)")
                        on_path.add(vid)
                        visited += len(v)
                        if visited > budget:
                            raise SubstitutionBudgetExceeded(f"more than {budget} nodes")
                        if isinstance(v, dict):
                            child = {}
                            stack.append((iter(v.items()), child, (pnode, k), True, vid))
                        else:
                            child = []
                            stack.append((enumerate(v), child, (pnode, k), False, vid))
                        dst[key] = child
                        break
                dst[key] = v
            else:
                on_path.discard(stack.pop()[4])
        else:
            append = dst.append
            for k, v in it:
                tv = type(v)
                if tv is str:
                    if "$" in v:
                        v = scalar(v, _ITEM, (pnode, k))
                elif tv is dict or tv is list or (tv is not bool and isinstance(v, (dict, list, tuple, str))):
                    if isinstance(v, str):
                        if "$" in v:
                            v = scalar(v, _ITEM, (pnode, k))
                    else:
                        vid = id(v)
                        if vid in on_path:
                            raise SubstitutionBudgetExceeded("cyclic structure (recursive alias)")
                        on_path.add(vid)
                        visited += len(v)
                        if visited > budget:
                            raise SubstitutionBudgetExceeded(f"more than {budget} nodes")
                        if isinstance(v, dict):
                            child = {}
                            stack.append((iter(v.items()), child, (pnode, k), True, vid))
                        else:
                            child = []
                            stack.append((enumerate(v), child, (pnode, k), False, vid))
                        append(child)
                        break
                append(v)
            else:
                on_path.discard(stack.pop()[4])
    return SubstitutionResult(root, w.unresolved, w.errors, w.notes, w.unknown)


def variables_key(variables: Variables | None) -> tuple[str, str] | None:
    """What :func:`substitute_object` makes of an object is a function of the object and of
    these (strict) variables: their canonical text and its digest, for a store that keys an
    object's verdict by its content (``core.data.RenderedObject.content_key``). The text may
    hold a Secret's value: the store checks it before it keeps anything derived from it.
    None when a value is not text (nothing this module makes, so not keyed)."""
    if not isinstance(variables, Variables):
        return None
    pairs = []
    for name, value in sorted(variables.values.items(), key=lambda item: str(item[0])):
        if type(name) is not str:
            return None
        if type(value) is str:
            pairs.append([name, value])
        elif value is UNKNOWN:
            pairs.append([name, None])
        else:
            return None
    text = json.dumps([pairs, bool(variables.open)], ensure_ascii=True, separators=(",", ":"))
    return content_hash(text.encode()), text


def encode_result(result: SubstitutionResult) -> str | None:
    """``result`` as ASCII JSON text that :func:`decode_result` makes an equal result of
    (values of the same types), for the substitutions kept between runs
    (``buildcache.KeptSubstitutions``); None when it would not be equal (a value JSON does
    not keep exactly, ``core.plain.is_plain``: a float that is not finite, a key that is not
    text, a tuple; a path that is not a tuple)."""
    rows = [
        result.obj,
        [[u.name, list(u.path), u.expression] for u in result.unresolved],
        [[e.message, list(e.path), e.expression] for e in result.errors],
        [[str(n.kind), list(n.path), n.expression, n.count, n.type_name] for n in result.notes],
        [[u.name, list(u.path), u.expression] for u in result.unknown],
    ]
    paths = (x.path for x in (*result.unresolved, *result.errors, *result.notes, *result.unknown))
    if not is_plain(rows) or not all(type(p) is tuple for p in paths):
        return None
    return json.dumps(rows, ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def decode_result(text: str) -> SubstitutionResult | None:
    """:func:`encode_result`'s result again (None: a text not of that form)."""
    try:
        obj, unresolved, errors, notes, unknown = json.loads(text)
        return SubstitutionResult(
            obj,
            [Unresolved(n, tuple(p), e) for n, p, e in unresolved],
            [SubstitutionError(m, tuple(p), e) for m, p, e in errors],
            [SubstitutionNote(k, tuple(p), e, c, t) for k, p, e, c, t in notes],
            [Unresolved(n, tuple(p), e) for n, p, e in unknown],
        )
    except (TypeError, ValueError, RecursionError):
        return None


def unchanged(obj: Any) -> SubstitutionResult:
    """What :func:`substitute_object` makes of ``obj`` when ``obj`` is a plain JSON value
    (dict with string keys, list, str, int, float, bool, None; no container twice) with no
    ``${`` nor ``$$`` in any key or string (a scalar without them is not parsed, see
    :func:`_analyse`: it stays as it is, with no note) and fewer entries than the walk's
    budget, except that the result is ``obj`` itself, not an equal copy: nothing
    substituted, unresolved or unknown, no error nor note. For a caller that owns ``obj``
    and needs no copy."""
    return SubstitutionResult(obj, [], [], [], [])


def _fallback_references(text: str):
    """Names after ``${`` in text Flux cannot parse (best effort, ``$$`` honoured)."""
    i, n = 0, len(text)
    while True:
        j = text.find("$", i)
        if j < 0 or j + 1 >= n:
            return
        if text[j + 1] == "$":
            i = j + 2
            continue
        if text[j + 1] != "{":
            i = j + 1
            continue
        k = j + 2
        if k < n and text[k] == "#":
            k += 1
        s = k
        while k < n and (text[k] == "_" or text[k].isalnum()):
            k += 1
        if k > s:
            rest = text[k : k + 2]
            has_default = rest[:1] == "=" or rest in (":=", ":-", ":?", ":+")
            yield text[s:k], has_default
        i = k if k > j + 1 else j + 2


def references(obj: Any, *, budget: int = DEFAULT_BUDGET) -> list[tuple[str, tuple, bool]]:
    """Every ``${name...}`` in string scalars and keys: (name, path, has_default).

    Nested expressions are listed too (``${A:-${B}}`` gives A with a default,
    then B without: Flux evaluates B even when A is set). Text Flux cannot
    parse is scanned leniently. ``$${x}`` is not a reference. Keys come before
    their value; document order otherwise.
    """
    out: list[tuple[str, tuple, bool]] = []
    cache: dict[str, list[tuple[str, bool]]] = {}

    def scan(text: str, pnode) -> None:
        if "${" not in text:
            return
        found = cache.get(text)
        if found is None:
            try:
                nodes = _es.parse(text)
            except _es.EnvsubstError:
                found = list(_fallback_references(text))
            else:
                found = [(f.param, f.name in _es.DEFAULT_OPS) for f in _es.iter_funcs(nodes)]
            cache[text] = found
        if found:
            path = _materialize(pnode)
            out.extend((name, path, has_default) for name, has_default in found)

    # (kind, node, path node): 0 value, 1 key text, 2 leaving a container
    stack: list[tuple[int, Any, Any]] = [(0, obj, None)]
    on_path: set[int] = set()
    visited = 0
    while stack:
        kind, node, pnode = stack.pop()
        if kind == 2:
            on_path.discard(node)
            continue
        visited += 1
        if visited > budget:
            raise SubstitutionBudgetExceeded(f"more than {budget} nodes")
        if isinstance(node, str):
            scan(node, pnode)
        elif kind == 1:
            continue
        elif isinstance(node, (dict, list, tuple)):
            if id(node) in on_path:
                raise SubstitutionBudgetExceeded("cyclic structure (recursive alias)")
            on_path.add(id(node))
            stack.append((2, id(node), None))
            if isinstance(node, dict):
                for k, v in reversed(list(node.items())):
                    stack.append((0, v, (pnode, k)))
                    stack.append((1, k, (pnode, k)))
            else:
                for i in range(len(node) - 1, -1, -1):
                    stack.append((0, node[i], (pnode, i)))
    return out
