"""Reporters format findings; they never decide anything."""

from __future__ import annotations

from collections.abc import Callable

from . import concise, github, json_report, junit, sarif, text

FORMATS: dict[str, Callable[..., str]] = {
    "text": text.render,
    "concise": concise.render,
    "json": json_report.render,
    "sarif": sarif.render,
    "github": github.render,
    "junit": junit.render,
}
