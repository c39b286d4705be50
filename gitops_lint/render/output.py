"""Print objects the way ``kubectl kustomize`` prints them.

kubectl's printer emits every mapping with its keys sorted, two-space
indentation, list items at their parent key's indentation, multi-line
strings as literal blocks, and documents separated by ``---``. PyYAML's
emitter with a literal-block representer for multi-line strings produces
the same layout; scalar quoting follows YAML 1.1 rules where go-yaml
follows its own (e.g. go-yaml also quotes ``"y"``), the only visible
difference left.
"""

from __future__ import annotations

import yaml

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _OutputDumper(_Dumper):  # type: ignore[misc, valid-type]
    pass


_STR = "tag:yaml.org,2002:str"


def _str(dumper: yaml.SafeDumper, value: str):
    if "\n" in value:
        return dumper.represent_scalar(_STR, value, style="|")
    if not value or dumper.resolve(yaml.ScalarNode, value, (True, False)) != _STR:
        # a string that would read back as a number, bool or null: go-yaml
        # double-quotes it
        return dumper.represent_scalar(_STR, value, style='"')
    return dumper.represent_scalar(_STR, value)


_OutputDumper.add_representer(str, _str)


def to_yaml(obj: object) -> str:
    return yaml.dump(
        obj,
        Dumper=_OutputDumper,
        default_flow_style=False,
        sort_keys=True,
        allow_unicode=True,
        width=2**31 - 1,
        indent=2,
    )


def to_yaml_stream(objects: list[dict]) -> str:
    """``---``-separated YAML documents, as ``kubectl kustomize`` prints a build."""
    return "---\n".join(to_yaml(obj) for obj in objects)
