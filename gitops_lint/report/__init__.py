"""Reporters format findings; they never decide anything."""

from __future__ import annotations

from collections.abc import Callable

from ..model import Finding
from . import github, json_report, junit, sarif, text

FORMATS: dict[str, Callable[[list[Finding], dict], str]] = {
    "text": text.render,
    "json": json_report.render,
    "sarif": sarif.render,
    "github": github.render,
    "junit": junit.render,
}
