"""ConfigMap and Secret generators, and kustomize's content hash suffix.

Reproduces kustomize's generators (api/internal/generators, api/kv):

* data comes from ``envs`` files, then ``literals``, then ``files``, a key
  repeated across them is an error; literal values lose one pair of
  surrounding quotes; env files skip blank and ``#`` lines, take
  ``KEY=VALUE`` (a bare ``KEY`` would read the process environment: here it
  is empty, so a lint is deterministic);
* a ConfigMap value that is not UTF-8 goes to ``binaryData`` (base64); every
  Secret value is base64 in ``data`` and ``type`` defaults to ``Opaque``;
* ``generatorOptions`` of the kustomization are merged into each
  generator's ``options`` with the *global* labels and annotations winning
  and ``disableNameSuffixHash``/``immutable`` OR-ed (MergeGlobalOptionsIntoLocal).

The hash (api/hasher) is computed at the very end of the build, on the
final object: sha256 of the JSON encoding of ``{"data", "kind", "name",
binaryData/stringData when they are maps, "type" for Secrets}``, first ten
hex digits with 0,1,3,a,e mapped to g,h,k,m,t. kustomize looks the name up
with the path ``metadata/name`` as a *single* key, so ``name`` is always the
empty string: the suffix depends on the content only.
"""

from __future__ import annotations

import base64
import json
import posixpath
import re

_CM_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")


class GeneratorError(Exception):
    """kustomize refuses the generator entry."""


def parse_literal(source: str) -> tuple[str, str]:
    if source.startswith("=") or "=" not in source:
        raise GeneratorError(f"invalid literal source {source}, expected key=value")
    key, value = source.split("=", 1)
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return key, value


def parse_file_source(source: str) -> tuple[str, str]:
    """``key=path`` or ``path`` (the key is the file's base name)."""
    if "=" not in source:
        return posixpath.basename(source), source
    key, path = source.split("=", 1)
    if not key:
        raise GeneratorError(f"key name for file path {path} missing")
    if not path:
        raise GeneratorError(f"file path for key name {key} missing")
    return key, path


def parse_env(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for i, line in enumerate(lines):
        if line.endswith("\r"):
            line = line[:-1]
        if i == 0 and line.startswith("\ufeff"):
            line = line[1:]
        line = line.lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not _ENV_NAME.match(key):
            raise GeneratorError(f"{key!r} is not a valid key name: a valid environment variable name")
        out.append((key, value if sep else ""))
    return out


def _valid_key(key: str) -> bool:
    return bool(_CM_KEY.match(key)) and len(key) <= 253 and key not in (".", "..")


def make_object(kind: str, args: dict, pairs: list[tuple[str, bytes | str]], options: dict) -> dict:
    """The ConfigMap or Secret a generator entry makes (before any transformer)."""
    name = args.get("name")
    if not name:
        raise GeneratorError(f"a {kind.lower()} must have a name")
    obj: dict = {"apiVersion": "v1", "kind": kind, "metadata": {"name": str(name)}}
    if args.get("namespace"):
        obj["metadata"]["namespace"] = str(args["namespace"])
    data: dict = {}
    binary: dict = {}
    seen: set[str] = set()
    for key, value in pairs:
        if not _valid_key(key):
            raise GeneratorError(f"{key!r} is not a valid key name for a {kind}")
        if key in seen:
            raise GeneratorError(f"{kind.lower()} {name} illegally repeats the key `{key}`")
        seen.add(key)
        raw = value.encode("utf-8") if isinstance(value, str) else value
        if kind == "Secret":
            data[key] = base64.b64encode(raw).decode("ascii")
            continue
        if isinstance(value, str):
            data[key] = value
        else:
            try:
                data[key] = raw.decode("utf-8")
            except UnicodeDecodeError:
                binary[key] = base64.b64encode(raw).decode("ascii")
    if data:
        obj["data"] = data
    if binary:
        obj["binaryData"] = binary
    if kind == "Secret":
        obj["type"] = str(args.get("type") or "Opaque")
    labels = options.get("labels")
    if isinstance(labels, dict) and labels:
        obj["metadata"]["labels"] = {str(k): _str(v) for k, v in labels.items()}
    annotations = options.get("annotations")
    if isinstance(annotations, dict) and annotations:
        obj["metadata"]["annotations"] = {str(k): _str(v) for k, v in annotations.items()}
    if options.get("immutable") is True:
        obj["immutable"] = True
    return obj


def _str(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def merge_options(local: object, global_: object) -> dict:
    """MergeGlobalOptionsIntoLocal: global labels/annotations override local ones."""
    out: dict = {}
    if isinstance(local, dict):
        out = {k: v for k, v in local.items()}
        for key in ("labels", "annotations"):
            if isinstance(out.get(key), dict):
                out[key] = dict(out[key])
    if isinstance(global_, dict):
        for key in ("labels", "annotations"):
            g = global_.get(key)
            if isinstance(g, dict):
                merged = dict(out.get(key) or {})
                merged.update(g)
                out[key] = merged
        if global_.get("disableNameSuffixHash") is True:
            out["disableNameSuffixHash"] = True
        if global_.get("immutable") is True:
            out["immutable"] = True
    return out


# -- hash ----------------------------------------------------------------------


def _go_json(value: object) -> str:
    """encoding/json.Marshal: sorted keys, compact, HTML characters escaped."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _field(obj: dict, key: str):
    if key not in obj or obj[key] is None:
        return ""
    value = obj[key]
    if isinstance(value, (dict, list)):
        return value
    return _str(value)


def content_hash(obj: dict) -> str:
    kind = obj.get("kind")
    if kind == "ConfigMap":
        m = {"kind": "ConfigMap", "name": "", "data": _field(obj, "data")}
        if isinstance(obj.get("binaryData"), dict):
            m["binaryData"] = obj["binaryData"]
    elif kind == "Secret":
        m = {"kind": "Secret", "type": _field(obj, "type"), "name": "", "data": _field(obj, "data")}
        if isinstance(obj.get("stringData"), dict):
            m["stringData"] = obj["stringData"]
    else:
        m = obj
    import hashlib  # only generators need it: keep it off the import path of every run

    digest = hashlib.sha256(_go_json(m).encode("utf-8")).hexdigest()[:10]
    return digest.translate(_ENCODE)


_ENCODE = str.maketrans({"0": "g", "1": "h", "3": "k", "a": "m", "e": "t"})
