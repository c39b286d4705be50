"""Reporters format findings; they never decide anything."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping

# format -> module whose ``render`` prints it
_MODULES = {
    "text": "text",
    "concise": "concise",
    "json": "json_report",
    "sarif": "sarif",
    "github": "github",
    "junit": "junit",
}


class _Formats(Mapping[str, Callable[..., str]]):
    """The reporters by format name, each module imported when its format is asked for:
    a run prints one format, and junit's XML escaping alone pulls in urllib, http.client,
    email and ssl (15 ms of a start-up)."""

    def __getitem__(self, name: str) -> Callable[..., str]:
        module = _MODULES[name]  # KeyError for an unknown format, as a dict
        return importlib.import_module(f"{__name__}.{module}").render

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


FORMATS: Mapping[str, Callable[..., str]] = _Formats()
