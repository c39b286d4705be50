"""The entry points of one group, read without importlib.metadata when that gives the same answer.

The rule registry (``gitops_lint.rules``) asks every run which installed
distributions declare rule plugins. ``importlib.metadata`` answers it, but
importing it costs a start-up about 15 ms (email, zipfile, csv, inspect ...) and
its scan builds a Distribution for each of the environment's packages; nearly
always the answer is "gitops-lint's own rules, and no plugin".

:func:`scan` reads the files importlib.metadata reads, the same way: each
``*.dist-info`` / ``*.egg-info`` directory of each ``sys.path`` directory, in
that order, the first of a name winning (``importlib.metadata._unique``), its
``entry_points.txt`` parsed as ``Sectioned`` parses it. It answers only when it
is sure to agree: the finders on ``sys.meta_path`` that can find distributions
are the standard ``PathFinder`` alone, every ``sys.path`` entry is a directory
(or absent) and none an ``.egg``, every file read parses, and no distribution
but ``own`` mentions the group at all. Anything else (a plugin, a zip on the path,
a custom finder) returns None, and the caller asks importlib.metadata, exactly as
before.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from importlib import import_module
from importlib.machinery import PathFinder

# importlib.metadata.EntryPoint.pattern
_PATTERN = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")
# what importlib.metadata's PathDistribution.read_text treats as "no such file"
_ABSENT = (FileNotFoundError, IsADirectoryError, KeyError, NotADirectoryError, PermissionError)


@dataclass(frozen=True)
class Distribution:
    """The name of the distribution that declares an entry point (its ``Name`` metadata)."""

    name: str


@dataclass(frozen=True)
class EntryPoint:
    """An entry point as importlib.metadata's: ``name = module:attr`` in ``group``."""

    name: str
    value: str
    group: str
    dist: Distribution | None = None

    def load(self):
        """The object the value names (importlib.metadata.EntryPoint.load)."""
        match = _PATTERN.match(self.value)
        if match is None:
            raise ValueError(f"malformed entry point value {self.value!r}")
        obj = import_module(match.group("module"))
        for attr in filter(None, (match.group("attr") or "").split(".")):
            obj = getattr(obj, attr)
        return obj


class _Unsure(Exception):
    """The files say something this reader does not model: importlib.metadata must answer."""


def normalize(name: str) -> str:
    """importlib.metadata's ``Prepared.normalize``: PEP 503 with underscores."""
    return re.sub(r"[-_.]+", "-", name).lower().replace("-", "_")


def scan(group: str, own: str, path: list | None = None) -> list[EntryPoint] | None:
    """``own``'s entry points of ``group`` when no other distribution on ``path`` (default
    ``sys.path``) can declare any, as importlib.metadata would list them; else None."""
    try:
        return _scan(group, normalize(own), sys.path if path is None else path)
    except _Unsure:
        return None


def _scan(group: str, own: str, path: list) -> list[EntryPoint]:
    if any(hasattr(f, "find_distributions") and f is not PathFinder for f in sys.meta_path):
        raise _Unsure  # another finder may add distributions
    seen: set[str] = set()
    found: list[EntryPoint] = []
    for entry in path:
        if not isinstance(entry, str) or os.path.basename(entry).lower().endswith(".egg"):
            raise _Unsure
        root = entry or "."
        try:
            children = os.listdir(root)
        except OSError:
            if os.path.exists(root):
                raise _Unsure from None  # a zip file: importlib.metadata reads inside it
            continue
        for child in children:
            low = child.lower()
            if not low.endswith((".dist-info", ".egg-info")):
                continue
            name = normalize(low.rpartition(".")[0].partition("-")[0])
            text = _read(os.path.join(root, child, "entry_points.txt"))
            sections = _sections(text)  # every file parses, as importlib.metadata parses them all
            first = name not in seen
            seen.add(name)
            if name != own:
                if group in text:
                    raise _Unsure  # a plugin, or something that looks like one
                continue
            if first and any(section == group for section, _, _ in sections):
                dist = Distribution(_metadata_name(os.path.join(root, child)))
                if normalize(dist.name) != own:
                    raise _Unsure
                found += [EntryPoint(n, v, group, dist) for section, n, v in sections if section == group]
    return found


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except _ABSENT:
        return ""
    except (OSError, UnicodeDecodeError):
        raise _Unsure from None


def _sections(text: str) -> list[tuple[str, str, str]]:
    """(section, name, value) of an entry_points.txt, as ``Sectioned.section_pairs`` reads it."""
    out = []
    section = None
    for line in map(str.strip, text.splitlines()):
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]")
            continue
        if section is None:
            continue
        name, sep, value = line.partition("=")
        if not sep:
            raise _Unsure  # importlib.metadata raises here: let it
        out.append((section, name.strip(), value.strip()))
    return out


def _metadata_name(info: str) -> str:
    """The ``Name`` header of a distribution's METADATA (or PKG-INFO)."""
    for filename in ("METADATA", "PKG-INFO"):
        text = _read(os.path.join(info, filename))
        if text:
            break
    for line in text.splitlines():
        if not line.strip():
            break
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == "name":
            return value.strip()
    raise _Unsure
