"""Print objects the way ``kubectl kustomize`` prints them.

kubectl's printer (go-yaml v2, a port of libyaml) emits every mapping with
its keys sorted, two-space indentation, list items at their parent key's
indentation, multi-line strings as literal blocks, long plain strings
folded at 80 columns, strings that would read back as another type in
double quotes (``"1"``, ``"yes"``, ``"y"``, ``""``), other strings that cannot
be plain in single quotes, and documents separated by ``---``. PyYAML's
pure-Python emitter, with the representer and resolver adjustments below,
prints the same text for the corpus repositories but for rare details
(how a long double-quoted string is folded).
"""

from __future__ import annotations

import yaml


class _OutputDumper(yaml.SafeDumper):
    """The pure-Python emitter: libyaml's (CSafeDumper) double-quotes ``*``, go-yaml does not."""


_STR = "tag:yaml.org,2002:str"
_TYPED = frozenset(f"tag:yaml.org,2002:{t}" for t in ("bool", "int", "float", "null", "timestamp"))
# go-yaml (YAML 1.1) also reads these as booleans, PyYAML does not
_GO_BOOLS = frozenset({"y", "Y", "n", "N"})


def _str(dumper: yaml.SafeDumper, value: str):
    if "\n" in value:
        return dumper.represent_scalar(_STR, value, style="|")
    if not value or value in _GO_BOOLS or dumper.resolve(yaml.ScalarNode, value, (True, False)) in _TYPED:
        # a string that would read back as a number, bool or null: go-yaml
        # double-quotes it
        return dumper.represent_scalar(_STR, value, style='"')
    return dumper.represent_scalar(_STR, value)


def _float(dumper: yaml.SafeDumper, value: float):
    """kustomize's objects pass through JSON: an integral float prints as an integer (``1e3`` -> 1000)."""
    if value.is_integer() and abs(value) < 1e21:
        return dumper.represent_int(int(value))
    return dumper.represent_float(value)


_OutputDumper.add_representer(str, _str)
_OutputDumper.add_representer(float, _float)
# go-yaml has no "value" (``=``) or "yaml" (``!``, ``&``, ``*``) implicit types:
# those strings are printed plain or single-quoted by kubectl, not forced
# into quotes as PyYAML's resolver would
_OutputDumper.yaml_implicit_resolvers = {
    first: [
        (tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:value", "tag:yaml.org,2002:yaml")
    ]
    for first, resolvers in yaml.SafeDumper.yaml_implicit_resolvers.items()
}


def to_yaml(obj: object) -> str:
    return yaml.dump(
        obj,
        Dumper=_OutputDumper,
        default_flow_style=False,
        sort_keys=True,
        allow_unicode=True,
        width=80,
        indent=2,
    )


def to_yaml_stream(objects: list[dict]) -> str:
    """``---``-separated YAML documents, as ``kubectl kustomize`` prints a build."""
    return "---\n".join(to_yaml(obj) for obj in objects)
