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
* **Types are checked** as ``encoding/json`` checks them: a number where a
  list is expected (``literals: 5``), a list where a map is, a string where
  a list of strings is, a fraction for an integer, is an ``UnmarshalTypeError``
  (``cannot unmarshal number into Go struct field
  ConfigMapArgs.configMapGenerator.literals of type []string``), for Flux
  too. Each is recorded (:attr:`Decoded.type_errors`) and the value is left
  out, so :attr:`Decoded.data` holds only values of their declared type:
  a string, bool or int field is that or absent, a struct is a dict, a list
  is a list whose items have the item type, a map a dict of them. JSON
  ``null`` sets a list, map or struct pointer to nil (``None`` at the top
  of a field, dropped inside a map), and leaves an item of a list at its
  zero value (``""``, ``{}``, ``False``, ``0``), as Go does.

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
    pointers: bool = False  # ``[]*T`` in Go (only its name in messages differs)
    named: str = ""  # a named slice type (``types.FsSlice``), as messages print it


@dataclass(frozen=True)
class MapOf:
    """A Go map: keys are data (never folded), values of ``item`` type."""

    item: object = None


@dataclass(frozen=True)
class Opaque:
    """A Go struct decoded no further (plugins, Helm charts, vars: the built-in renderer
    refuses them); only that it is a mapping is checked."""

    name: str


# scalar kinds: their zero value matters for kustomize's "kustomization is empty"
STRING, BOOL, INT, INT64, SORT_ORDER = "string", "bool", "int", "int64", "types.SortOrder"
_STRING_KINDS = (STRING, SORT_ORDER)
_INT_KINDS = (INT, INT64)
ANY = None  # a value of no known type (below an Opaque, or past the end of a path)

_GVK = (("group", STRING), ("version", STRING), ("kind", STRING))
_RESID = (*_GVK, ("name", STRING), ("namespace", STRING))
SELECTOR = Struct("Selector", (*_RESID, ("annotationSelector", STRING), ("labelSelector", STRING)))
PATCH = Struct("Patch", (("path", STRING), ("patch", STRING), ("target", SELECTOR), ("options", MapOf(BOOL))))
IMAGE = Struct(
    "Image",
    (("name", STRING), ("newName", STRING), ("newTag", STRING), ("digest", STRING), ("tagSuffix", STRING)),
)
REPLICA = Struct("Replica", (("name", STRING), ("count", INT64)))
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
        ("reject", ListOf(SELECTOR, pointers=True)),
        ("fieldPaths", ListOf(STRING)),
        ("options", FIELD_OPTIONS),
    ),
)
REPLACEMENT_FIELD = Struct(
    "ReplacementField",
    (("source", SOURCE_SELECTOR), ("targets", ListOf(TARGET_SELECTOR, pointers=True)), ("path", STRING)),
)
# a replacement of a ``replacements[].path`` file
REPLACEMENT = Struct(
    "Replacement", (("source", SOURCE_SELECTOR), ("targets", ListOf(TARGET_SELECTOR, pointers=True)))
)
# a ``configurations:`` file (kustomize builtinconfig.TransformerConfig)
_FS_SLICE = ListOf(FIELD_SPEC, named="types.FsSlice")
TRANSFORMER_CONFIG = Struct(
    "TransformerConfig",
    (
        ("namePrefix", _FS_SLICE),
        ("nameSuffix", _FS_SLICE),
        ("namespace", _FS_SLICE),
        ("commonLabels", _FS_SLICE),
        ("templateLabels", _FS_SLICE),
        ("labels", _FS_SLICE),
        ("commonAnnotations", _FS_SLICE),
        (
            "nameReference",
            ListOf(
                Struct("NameBackReferences", (*_GVK, ("fieldSpecs", _FS_SLICE))),
                named="builtinconfig.nbrSlice",
            ),
        ),
        ("varReference", _FS_SLICE),
        ("images", _FS_SLICE),
        ("replicas", _FS_SLICE),
    ),
)
SORT_OPTIONS = Struct(
    "SortOptions",
    (
        ("order", SORT_ORDER),
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
        ("vars", ListOf(Opaque("Var"))),
        ("sortOptions", SORT_OPTIONS),
        ("resources", _STRINGS),
        ("components", _STRINGS),
        ("crds", _STRINGS),
        ("bases", _STRINGS),
        ("configMapGenerator", ListOf(CONFIGMAP_ARGS)),
        ("secretGenerator", ListOf(SECRET_ARGS)),
        ("helmGlobals", Opaque("HelmGlobals")),
        ("helmCharts", ListOf(Opaque("HelmChart"))),
        ("helmChartInflationGenerator", ListOf(Opaque("HelmChartArgs"))),
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
    # values of the wrong type: (path of the raw document, encoding/json's message)
    type_errors: list[tuple[tuple, str]] = field(default_factory=list)

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
    decoder = _Decoder()
    out = decoder.value(data, KUSTOMIZATION, (), KUSTOMIZATION.name, ())
    return Decoded(out if isinstance(out, dict) else {}, data, decoder.unknown, decoder.errors)


def decode_as(
    value: object, typ: object, context: str, prefix: str
) -> tuple[object, list[tuple[tuple, str]]]:
    """``value`` decoded as a ``typ`` (a replacement file's entries, say): the typed value
    and the type errors; ``context`` names the Go struct in messages, ``prefix`` starts
    them. Unknown fields are dropped, as ``yaml.Unmarshal`` without
    ``DisallowUnknownFields`` drops them."""
    decoder = _Decoder(prefix)
    out = decoder.value(value, typ, (), context, ())
    return out, decoder.errors


def _keys(value: dict) -> list:
    """Keys in the order encoding/json sees them: YAMLToJSON marshals a Go map, in byte
    order (which for UTF-8 is code point order); a key that is not a string is no field."""
    return sorted(
        (k for k in value if isinstance(k, str)),
    ) + [k for k in value if not isinstance(k, str)]


def go_type(typ: object) -> str:
    """The Go type's name as encoding/json's errors print it."""
    if isinstance(typ, (Struct, Opaque)):
        return f"types.{typ.name}"
    if isinstance(typ, ListOf):
        if typ.named:
            return typ.named
        return "[]" + ("*" if typ.pointers else "") + go_type(typ.item)
    if isinstance(typ, MapOf):
        return "map[string]" + go_type(typ.item)
    return str(typ)


def json_type(value: object) -> str:
    """The JSON type YAMLToJSON gives a YAML value (for encoding/json's messages)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string"  # strings, and the scalars YAMLToJSON turns into strings (timestamps)


_INT64 = 2**63


def _zero(typ: object) -> object:
    """Go's zero value of an item of ``typ`` (what null leaves in a list)."""
    if typ in _STRING_KINDS:
        return ""
    if typ == BOOL:
        return False
    if typ in _INT_KINDS:
        return 0
    if isinstance(typ, (Struct, Opaque)):
        return {}
    return None  # a nil list or map


def _map_key(key: object) -> str:
    """YAMLToJSON writes every map key as a JSON string."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return key if isinstance(key, str) else str(key)


class _Decoder:
    """One decode: ``value`` returns the typed value, or ``None`` for a type error."""

    def __init__(self, prefix: str = "invalid Kustomization: ") -> None:
        self.prefix = prefix
        self.unknown: list[tuple] = []
        self.errors: list[tuple[tuple, str]] = []

    def mismatch(self, value: object, typ: object, path: tuple, struct: str, fields: tuple) -> None:
        what = json_type(value)
        if what == "number" and typ in _INT_KINDS:
            what = f"number {_go_number(value)}"
        where = ".".join((struct, *fields))
        self.errors.append(
            (
                path,
                f"{self.prefix}json: cannot unmarshal {what} into Go struct field {where} "
                f"of type {go_type(typ)}",
            )
        )

    def value(self, value: object, typ: object, path: tuple, struct: str, fields: tuple) -> object:
        if value is None or typ is ANY:
            return value
        if isinstance(typ, Struct):
            if not isinstance(value, dict):
                return self.mismatch(value, typ, path, struct, fields)
            out: dict = {}
            for key in _keys(value):
                name = typ.lookup(key) if isinstance(key, str) else None
                if name is None:
                    self.unknown.append((*path, key))
                    continue
                ftype = typ.type_of(name)
                decoded = self.value(value[key], ftype, (*path, key), typ.name, (*fields, name))
                if decoded is None and value[key] is not None:
                    continue  # a type error: the field keeps the value it had
                out[name] = _merge(out[name], decoded, ftype) if name in out else decoded
            return out
        if isinstance(typ, Opaque):
            if not isinstance(value, dict):
                return self.mismatch(value, typ, path, struct, fields)
            return value
        if isinstance(typ, ListOf):
            if not isinstance(value, list):
                return self.mismatch(value, typ, path, struct, fields)
            items = []
            for i, item in enumerate(value):
                decoded = self.value(item, typ.item, (*path, i), struct, fields)
                items.append(_zero(typ.item) if decoded is None else decoded)
            return items
        if isinstance(typ, MapOf):
            if not isinstance(value, dict):
                return self.mismatch(value, typ, path, struct, fields)
            entries = {}
            for key, item in value.items():
                decoded = self.value(item, typ.item, (*path, key), struct, fields)
                if decoded is not None:
                    entries[_map_key(key)] = decoded
                elif item is None:
                    entries[_map_key(key)] = _zero(typ.item)
            return entries
        if typ in _STRING_KINDS:
            if isinstance(value, (bool, int, float, dict, list)):
                return self.mismatch(value, typ, path, struct, fields)
            return value if isinstance(value, str) else str(value)
        if typ == BOOL:
            return value if isinstance(value, bool) else self.mismatch(value, typ, path, struct, fields)
        if typ in _INT_KINDS:
            if isinstance(value, float) and value.is_integer() and -_INT64 <= value < _INT64:
                return int(value)
            if isinstance(value, int) and not isinstance(value, bool) and -_INT64 <= value < _INT64:
                return value
            return self.mismatch(value, typ, path, struct, fields)
        return value


def _go_number(value: object) -> str:
    """How YAMLToJSON writes a number (what encoding/json quotes in the message)."""
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        text = repr(value)
        if "e" in text:
            mantissa, exp = text.split("e")
            text = f"{mantissa}e{'+' if not exp.startswith('-') else '-'}{exp.lstrip('+-').zfill(2)}"
        return text.removesuffix(".0") if "e" not in text else text
    return str(value)


def _merge(old: object, new: object, typ: object) -> object:
    """A second key for the same field decoded into the value the first one left."""
    if new is None:
        # null sets a list, map or pointer to nil and leaves any other value alone
        return None if isinstance(typ, (ListOf, MapOf, Struct, Opaque)) or typ is ANY else old
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
    if typ in _STRING_KINDS:
        return value == ""
    if typ == BOOL:
        return value is False
    if typ in _INT_KINDS:
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


# -- what a kustomization makes kustomize read --------------------------------------------

# fields whose entries are files, directories or URLs kustomize loads
_PATH_LISTS = (
    "resources",
    "bases",
    "components",
    "crds",
    "configurations",
    "patchesStrategicMerge",  # a path, or an inline patch (checked as a path all the same)
    "generators",
    "transformers",
    "validators",
)
# fields that make kustomize run or configure plugins (which read any file they are told to)
PLUGIN_FIELDS = (
    "generators",
    "transformers",
    "validators",
    "helmGlobals",
    "helmCharts",
    "helmChartInflationGenerator",
)


def file_refs(data: dict) -> list[tuple[tuple, str]]:
    """Every (canonical path, entry) of a decoded kustomization that names a file, a
    directory or a URL kustomize would load (``data`` as :func:`decode` returns it)."""
    out: list[tuple[tuple, str]] = []

    def add(path: tuple, value: object) -> None:
        if isinstance(value, str):
            out.append((path, value))

    for name in _PATH_LISTS:
        for i, entry in enumerate(_list(data.get(name))):
            add((name, i), entry)
    for name in ("patches", "patchesJson6902", "replacements"):
        for i, entry in enumerate(_list(data.get(name))):
            if isinstance(entry, dict) and entry.get("path"):
                add((name, i, "path"), entry["path"])
    openapi = data.get("openapi")
    if isinstance(openapi, dict) and "path" in openapi:
        add(("openapi", "path"), openapi["path"])
    for name in ("configMapGenerator", "secretGenerator"):
        for i, entry in enumerate(_list(data.get(name))):
            if not isinstance(entry, dict):
                continue
            for j, source in enumerate(_list(entry.get("files"))):
                # ``key=path`` or ``path`` (kustomize's ParseFileSource)
                if isinstance(source, str):
                    add((name, i, "files", j), source.split("=", 1)[1] if "=" in source else source)
            for j, env in enumerate(_list(entry.get("envs"))):
                add((name, i, "envs", j), env)
            if entry.get("env"):
                add((name, i, "env"), entry["env"])
    return out


def _list(value: object) -> list:
    return value if isinstance(value, list) else []
