"""Keep secret values out of every line gitops-lint writes.

Rules and reporters never print a value on purpose (``plaintext-secret``
names keys, not values). This is the safety net for what nobody meant to
print: a message of another stage that quotes a piece of a Secret (an
envsubst expression with a default, a malformed generator literal, an env
file line that is not ``KEY=VALUE``), an internal error's text, a
``--debug`` traceback, the objects ``gitops-lint build`` prints.

The values come from :mod:`.secrets` (the files as written) and from the
rendered Secrets of each cluster (what substitution put there). A value
shorter than :data:`MIN_LENGTH` is not searched for: it cannot be told from
ordinary words, and masking every ``true`` would garble every message.
"""

from __future__ import annotations

import base64
import contextlib
import re
from collections.abc import Callable, Iterable

MIN_LENGTH = 4
MASK = "***"
_EXPRESSION = re.compile(r"\$\{[^}]*\}")


class Redactor:
    """The secret strings of one run, and the masking of text that may contain them.

    ``source`` gives the strings lazily: an internal error in the middle of a
    run is redacted with what the run has read so far (:meth:`refresh`).
    """

    def __init__(self, source: Callable[[], Iterable[object]] | None = None) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern | None = None
        self._source = source

    def refresh(self) -> None:
        """Pull the source's strings now (never raises: this runs on error paths too)."""
        if self._source is None:
            return
        # redaction must not turn one error into another
        with contextlib.suppress(Exception):
            self.update(self._source())

    def __bool__(self) -> bool:
        return bool(self._values)

    def add(self, value: object) -> None:
        """Remember a secret value: itself, its base64 form, its lines, its ``${...}`` parts."""
        if value is None or isinstance(value, (dict, list)):
            return
        text = value if isinstance(value, str) else str(value)
        forms = {text, text.strip()}
        forms.add(base64.b64encode(text.encode("utf-8", "replace")).decode("ascii"))
        forms.update(line.strip() for line in text.splitlines())
        forms.update(_EXPRESSION.findall(text))
        new = {f for f in forms if len(f) >= MIN_LENGTH} - self._values
        if new:
            self._values |= new
            self._pattern = None

    def update(self, values: Iterable[object]) -> None:
        for v in values:
            self.add(v)

    def is_secret(self, value: str) -> bool:
        """Is ``value`` as a whole one of the secret strings?"""
        return value in self._values or value.strip() in self._values

    def redact(self, text: str) -> str:
        if not self._values or not text:
            return text
        if self._pattern is None:
            # longest first, so a value containing another is masked whole
            ordered = sorted(self._values, key=lambda v: (-len(v), v))
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))
        return self._pattern.sub(MASK, text)

    def clear(self) -> None:
        self._values.clear()
        self._pattern = None


#: the process-wide redactor: filled by each lint run, used by the command line
#: for error messages and ``--debug`` traces
REDACTOR = Redactor()


def mask_secret(obj: dict) -> dict:
    """A copy of a ``v1/Secret`` whose values are masked, as ``flux build`` masks SOPS ones.

    Plaintext values become ``**REDACTED**`` (base64 in ``data``); SOPS
    ciphertext, ``${var}`` references and empty values are kept (they are
    what the repository holds, and harmless).
    """
    from .secrets import PLAINTEXT, _decoded, classify
    from .sops import has_sops_marker

    out = dict(obj)
    for section in ("data", "stringData"):
        values = obj.get(section)
        if not isinstance(values, dict):
            continue
        masked = {}
        for key, value in values.items():
            shown = classify(value) != PLAINTEXT
            if not shown and section == "data" and isinstance(value, str):
                decoded = _decoded(value.strip())
                shown = decoded is not None and (has_sops_marker(decoded) or classify(decoded) != PLAINTEXT)
            if shown:  # empty, ciphertext, ${var} only, a secret manager's reference
                masked[key] = value
            elif section == "data":
                masked[key] = base64.b64encode(b"**REDACTED**").decode("ascii")
            else:
                masked[key] = "**REDACTED**"
        out[section] = masked
    return out


def mask_objects(objects: list[dict], redactor: Redactor) -> list[dict]:
    """What ``gitops-lint build`` prints: Secrets masked, other secret values replaced.

    kubectl would print Secret data; a linter's output ends up in CI logs, so
    it does not. Values elsewhere (a chart password in HelmRelease values) are
    replaced where a whole string is a known secret value, which keeps the
    stream valid YAML.
    """
    from .render.copy import deep_copy

    redactor.refresh()
    out = []
    for obj in objects:
        if isinstance(obj, dict) and obj.get("kind") == "Secret":
            obj = mask_secret(obj)
        out.append(_replace_leaves(deep_copy(obj), redactor) if redactor else obj)
    return out


def _replace_leaves(node, redactor: Redactor):
    stack = [node]
    while stack:
        cur = stack.pop()
        items = cur.items() if isinstance(cur, dict) else enumerate(cur) if isinstance(cur, list) else ()
        for key, value in list(items):
            if isinstance(value, (dict, list)):
                stack.append(value)
            elif isinstance(value, str) and redactor.is_secret(value):
                cur[key] = "**REDACTED**"
    return node
