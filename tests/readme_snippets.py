"""The README's copy-paste snippets, so tests execute exactly what users copy."""

from __future__ import annotations

import re

from tests.conftest import PROJECT

BLOCK = re.compile(r'^```(\w+)(?:\s+title="([^"]+)")?\n(.*?)^```\s*$', re.M | re.S)


def readme_blocks() -> list[tuple[str, str | None, str]]:
    """(language, title, body) of every fenced block of README.md."""
    text = (PROJECT / "README.md").read_text(encoding="utf-8")
    return [(m.group(1), m.group(2), m.group(3)) for m in BLOCK.finditer(text)]


def readme_block(title: str) -> str:
    found = [body for _lang, t, body in readme_blocks() if t == title]
    assert len(found) == 1, f"README.md must hold exactly one block titled {title!r}"
    return found[0]
