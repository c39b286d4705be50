"""Statuses as Enums whose members are their strings.

A status that several modules compare (a source's resolution, a secret
value's verdict, a build issue's kind) is an Enum, so a typo is an
AttributeError and a reader can list the values in one place; its members
are ``str`` so every message, JSON field and comparison with the old string
stays the same (``f"{SourceStatus.OK}" == "ok"``). ``enum.StrEnum`` from
Python 3.11; the same behaviour on 3.10.
"""

from __future__ import annotations

import sys
from enum import Enum

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:  # pragma: no cover - Python 3.10

    class StrEnum(str, Enum):
        """A str-valued Enum whose ``str()`` and ``format()`` are its value."""

        def __str__(self) -> str:
            return str(self.value)

        def __format__(self, spec: str) -> str:
            return format(str(self.value), spec)


__all__ = ["StrEnum"]
