"""A kustomization file's fields as kustomize (and Flux) decode them.

kustomize reads ``kustomization.yaml`` with ``Kustomization.Unmarshal``
(kustomize api/types/kustomization.go): ``sigs.k8s.io/yaml.YAMLToJSON``,
then Go's ``encoding/json`` with ``DisallowUnknownFields`` into the Go
structs. kustomize-controller reads it the same way, without
``DisallowUnknownFields`` (fluxcd/pkg kustomize_generator.go,
``yaml.Unmarshal``), before it merges its own fields in and writes it back
with the canonical names. So, everywhere a kustomization is read:

* **Field names match case-insensitively.** ``encoding/json`` prefers the
  exact JSON name and otherwise takes the field whose name is equal under
  its folding (encoding/json fold.go ``foldName``: ASCII ``a``-``z`` to
  upper case, any other rune to the smallest rune of its
  ``unicode.SimpleFold`` orbit). ``Resources:``, ``apiversion:`` and
  ``configMapGenerator: [{Files: [...]}]`` are the fields kustomize knows;
  so are ``\u212a`` (KELVIN SIGN, in the orbit of ``k``) and ``\u017f``
  (LATIN SMALL LETTER LONG S, in the orbit of ``s``), the only non-ASCII
  runes that fold onto an ASCII letter. Map *keys* (``commonLabels``,
  ``openapi``, label ``pairs``) are data, never folded.
* **Two keys for one field**: ``YAMLToJSON`` re-marshals the document, so
  the JSON object's keys come in byte order, and each later key decodes
  into the same Go value: a list is replaced, a map or a struct is merged
  into (encoding/json decode.go reuses a non-nil map or pointer).
* **Unknown fields** are an error for kustomize (``invalid Kustomization:
  json: unknown field "x"``) at every level of a struct (a patch's
  ``targets:``), and silently dropped by Flux's decoding of the top-level
  kustomization it rewrites.

Every reader of a kustomization (the built-in renderer, the secret
inventory's ``secretGenerator`` check, ``--renderer kubectl``'s
kustomization writer) goes through :func:`decode`, so all of them see the
fields kustomize sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# -- the Go types (kustomize api/types, kyaml resid), as far as decoding needs them --------
# (the fields of kustomize v5.5, the one kubectl 1.32 embeds: each checked with kubectl)


@dataclass(frozen=True)
class Struct:
    """A Go struct: its JSON field names (embedded structs flattened) and their types."""

    name: str
    fields: tuple[tuple[str, object], ...]

    def lookup(self, key: str) -> str | None:
        """The field ``key`` decodes into: the exact name, else the first that folds equal."""
        names = [n for n, _ in self.fields]
        if key in names:
            return key
        folded = go_fold(key)
        return next((n for n in names if go_fold(n) == folded), None)

    def type_of(self, name: str) -> object:
        return dict(self.fields)[name]


@dataclass(frozen=True)
class ListOf:
    item: object


@dataclass(frozen=True)
class MapOf:
    """A Go map: keys are data (never folded), values of ``item`` type."""

    item: object = None


# scalar kinds: their zero value matters for kustomize's "kustomization is empty"
STRING, BOOL, INT = "string", "bool", "int"
ANY = None  # not decoded further (plugins, Helm charts, vars: the renderer refuses them anyway)

_GVK = (("group", STRING), ("version", STRING), ("kind", STRING))
_RESID = (*_GVK, ("name", STRING), ("namespace", STRING))
SELECTOR = Struct("Selector", (*_RESID, ("annotationSelector", STRING), ("labelSelector", STRING)))
PATCH = Struct("Patch", (("path", STRING), ("patch", STRING), ("target", SELECTOR), ("options", MapOf(BOOL))))
IMAGE = Struct(
    "Image",
    (("name", STRING), ("newName", STRING), ("newTag", STRING), ("digest", STRING), ("tagSuffix", STRING)),
)
REPLICA = Struct("Replica", (("name", STRING), ("count", INT)))
FIELD_SPEC = Struct("FieldSpec", (*_GVK, ("path", STRING), ("create", BOOL)))
LABEL = Struct(
    "Label",
    (
        ("pairs", MapOf(STRING)),
        ("includeSelectors", BOOL),
        ("includeTemplates", BOOL),
        ("fields", ListOf(FIELD_SPEC)),
    ),
)
GENERATOR_OPTIONS = Struct(
    "GeneratorOptions",
    (
        ("labels", MapOf(STRING)),
        ("annotations", MapOf(STRING)),
        ("disableNameSuffixHash", BOOL),
        ("immutable", BOOL),
    ),
)
_GENERATOR_ARGS = (
    ("namespace", STRING),
    ("name", STRING),
    ("behavior", STRING),
    ("literals", ListOf(STRING)),
    ("files", ListOf(STRING)),
    ("envs", ListOf(STRING)),
    ("env", STRING),
)
CONFIGMAP_ARGS = Struct("ConfigMapArgs", (*_GENERATOR_ARGS, ("options", GENERATOR_OPTIONS)))
SECRET_ARGS = Struct("SecretArgs", (*_GENERATOR_ARGS, ("options", GENERATOR_OPTIONS), ("type", STRING)))
FIELD_OPTIONS = Struct(
    "FieldOptions", (("delimiter", STRING), ("index", INT), ("encoding", STRING), ("create", BOOL))
)
SOURCE_SELECTOR = Struct("SourceSelector", (*_RESID, ("fieldPath", STRING), ("options", FIELD_OPTIONS)))
TARGET_SELECTOR = Struct(
    "TargetSelector",
    (
        ("select", SELECTOR),
        ("reject", ListOf(SELECTOR)),
        ("fieldPaths", ListOf(STRING)),
        ("options", FIELD_OPTIONS),
    ),
)
REPLACEMENT_FIELD = Struct(
    "ReplacementField",
    (("source", SOURCE_SELECTOR), ("targets", ListOf(TARGET_SELECTOR)), ("path", STRING)),
)
SORT_OPTIONS = Struct(
    "SortOptions",
    (
        ("order", STRING),
        (
            "legacySortOptions",
            Struct("LegacySortOptions", (("orderFirst", ListOf(STRING)), ("orderLast", ListOf(STRING)))),
        ),
    ),
)
OBJECT_META = Struct(
    "ObjectMeta",
    (
        ("name", STRING),
        ("namespace", STRING),
        ("labels", MapOf(STRING)),
        ("annotations", MapOf(STRING)),
    ),
)
_STRINGS = ListOf(STRING)
KUSTOMIZATION = Struct(
    "Kustomization",
    (
        ("kind", STRING),
        ("apiVersion", STRING),
        ("metadata", OBJECT_META),
        ("openapi", MapOf(STRING)),
        ("namePrefix", STRING),
        ("nameSuffix", STRING),
        ("namespace", STRING),
        ("commonLabels", MapOf(STRING)),
        ("labels", ListOf(LABEL)),
        ("commonAnnotations", MapOf(STRING)),
        ("patchesStrategicMerge", _STRINGS),
        ("patchesJson6902", ListOf(PATCH)),
        ("patches", ListOf(PATCH)),
        ("images", ListOf(IMAGE)),
        ("imageTags", ListOf(IMAGE)),
        ("replacements", ListOf(REPLACEMENT_FIELD)),
        ("replicas", ListOf(REPLICA)),
        ("vars", ListOf(ANY)),
        ("sortOptions", SORT_OPTIONS),
        ("resources", _STRINGS),
        ("components", _STRINGS),
        ("crds", _STRINGS),
        ("bases", _STRINGS),
        ("configMapGenerator", ListOf(CONFIGMAP_ARGS)),
        ("secretGenerator", ListOf(SECRET_ARGS)),
        ("helmGlobals", ANY),
        ("helmCharts", ListOf(ANY)),
        ("helmChartInflationGenerator", ListOf(ANY)),
        ("generatorOptions", GENERATOR_OPTIONS),
        ("configurations", _STRINGS),
        ("generators", _STRINGS),
        ("transformers", _STRINGS),
        ("validators", _STRINGS),
        ("buildMetadata", _STRINGS),
    ),
)
FIELDS = frozenset(n for n, _ in KUSTOMIZATION.fields)

# -- folding ------------------------------------------------------------------------------

# non-ASCII runes whose SimpleFold orbit holds an ASCII letter: KELVIN SIGN (k, K, U+212A)
# and LATIN SMALL LETTER LONG S (s, S, U+017F); foldRune takes the orbit's smallest rune
_FOLD_TO_ASCII = {"\u212a": "K", "\u017f": "S"}


def go_fold(name: str) -> str:
    """``encoding/json``'s ``foldName`` for comparing with ASCII names: equal results
    mean ``strings.EqualFold``. Other non-ASCII runes stay themselves: no rune outside
    the two above folds onto an ASCII name."""
    out = []
    for ch in name:
        if "a" <= ch <= "z":
            out.append(chr(ord(ch) - 32))
        elif ch >= "\x80":
            out.append(_FOLD_TO_ASCII.get(ch, ch))
        else:
            out.append(ch)
    return "".join(out)


# -- decoding -----------------------------------------------------------------------------


@dataclass
class Decoded:
    """A kustomization with the canonical field names kustomize decodes it into."""

    data: dict
    raw: dict
    # unknown fields, as paths of the raw document (kustomize refuses each)
    unknown: list[tuple] = field(default_factory=list)

    def source_path(self, path: tuple) -> tuple:
        """``path`` (canonical field names) as written in the file, for positions."""
        return source_path(self.raw, path, KUSTOMIZATION)

    def is_empty(self) -> bool:
        """kustomize's ``CheckEmpty``: nothing but apiVersion/kind differs from Go's zero
        value. An empty list (``resources: []``) is not zero; a null one is."""
        return all(
            _is_zero(self.data.get(n), t) for n, t in KUSTOMIZATION.fields if n not in ("kind", "apiVersion")
        )


def decode(data: dict) -> Decoded:
    """``data`` (a kustomization document) decoded into kustomize's fields."""
    unknown: list[tuple] = []
    out = _decode(data, KUSTOMIZATION, (), unknown)
    return Decoded(out, data, unknown)


def _keys(value: dict) -> list:
    """Keys in the order encoding/json sees them: YAMLToJSON marshals a Go map, in byte
    order (which for UTF-8 is code point order); a key that is not a string is no field."""
    return sorted(
        (k for k in value if isinstance(k, str)),
    ) + [k for k in value if not isinstance(k, str)]


def _decode(value: object, typ: object, path: tuple, unknown: list) -> object:
    if isinstance(typ, Struct) and isinstance(value, dict):
        out: dict = {}
        for key in _keys(value):
            name = typ.lookup(key) if isinstance(key, str) else None
            if name is None:
                unknown.append((*path, key))
                continue
            ftype = typ.type_of(name)
            decoded = _decode(value[key], ftype, (*path, key), unknown)
            out[name] = _merge(out[name], decoded, ftype) if name in out else decoded
        return out
    if isinstance(typ, ListOf) and isinstance(value, list):
        return [_decode(v, typ.item, (*path, i), unknown) for i, v in enumerate(value)]
    if isinstance(typ, MapOf) and isinstance(value, dict):
        return dict(value)
    return value


def _merge(old: object, new: object, typ: object) -> object:
    """A second key for the same field decoded into the value the first one left."""
    if new is None:
        # null sets a list, map or pointer to nil and leaves any other value alone
        return None if isinstance(typ, (ListOf, MapOf, Struct)) or typ is ANY else old
    if isinstance(old, dict) and isinstance(new, dict):
        if isinstance(typ, MapOf):
            return {**old, **new}
        if isinstance(typ, Struct):
            out = dict(old)
            for name, value in new.items():
                out[name] = _merge(out[name], value, typ.type_of(name)) if name in out else value
            return out
    return new


def _is_zero(value: object, typ: object) -> bool:
    if value is None:
        return True
    if typ == STRING:
        return value == ""
    if typ == BOOL:
        return value is False
    if typ == INT:
        return value == 0 and not isinstance(value, bool)
    return False  # a non-nil list, map or pointer, even empty


def source_path(raw: object, path: tuple, typ: object = KUSTOMIZATION) -> tuple:
    """The raw keys of a canonical ``path``: for a struct, the key that won (the last
    of those folding to the field, in encoding/json's order)."""
    out: list = []
    node, t = raw, typ
    for step in path:
        if isinstance(t, Struct) and isinstance(node, dict) and isinstance(step, str):
            keys = [k for k in _keys(node) if isinstance(k, str) and t.lookup(k) == step]
            if not keys:
                return (*out, step, *path[len(out) + 1 :])
            key = keys[-1]
            out.append(key)
            node, t = node[key], t.type_of(step)
        elif isinstance(node, list) and isinstance(step, int):
            out.append(step)
            node = node[step] if 0 <= step < len(node) else None
            t = t.item if isinstance(t, ListOf) else ANY
        else:
            out.append(step)
            node = node.get(step) if isinstance(node, dict) else None
            t = t.item if isinstance(t, MapOf) else ANY
    return tuple(out)


def describe(path: tuple) -> str:
    """``patches[0].targets`` for a raw path."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text
