"""``gitops-lint FILE.yaml`` and ``gitops-lint -``: manifests judged on their own.

A manifest alone says nothing about the repository around it: whether its
``dependsOn`` targets, sources, paths, CRDs or substitution sources exist is a
question only the whole repository answers. So a single file gets only the
rules that judge a manifest by its own content (:data:`FILE_RULES`); the
others need a cluster directory or the repository root.

The manifests are copied into a scratch directory and linted there as one
cluster entry, through the same pipeline as a repository (kustomize's view of
the files, the same schemas and the same secret inventory); findings are
reported against the paths as given, ``-`` for standard input.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line asks is_file_argument of every run: it imports nothing
    from .lint import LintResult
    from .load.config import Config

# the rules that need nothing but the manifest itself
FILE_RULES = ("yaml-syntax", "schema", "deprecated-api", "plaintext-secret")
STDIN = "-"
_DIR = "manifests"


def is_file_argument(path: str) -> bool:
    return path == STDIN or os.path.isfile(path)


def lint_files(paths: list[str], config: Config, stdin=None) -> tuple[LintResult, list[str]]:
    """Findings of :data:`FILE_RULES` on the manifests ``paths`` (``-``: ``stdin``), and notes."""
    if stdin is None and STDIN in paths:
        if sys.stdin is None or not hasattr(sys.stdin, "buffer"):
            from .core.errors import UsageError

            raise UsageError("-: no standard input to read")
        stdin = sys.stdin.buffer
    selected = set(FILE_RULES) if config.select is None else config.select & set(FILE_RULES)
    config.select = selected  # a selection of repository rules only selects nothing here
    config.schemas = []  # `schemas:` directories are the repository's; there is none here
    import tempfile

    with tempfile.TemporaryDirectory(prefix="gitops-lint-") as tmp:
        os.mkdir(os.path.join(tmp, _DIR))
        shown: dict[str, str] = {}  # scratch path -> path as given
        for i, path in enumerate(paths):
            data = stdin.read() if path == STDIN else _read(path)
            name = "stdin.yaml" if path == STDIN else os.path.basename(path)
            if not name.endswith((".yaml", ".yml")):
                name += ".yaml"  # Flux's generated kustomization reads YAML files only
            if f"{_DIR}/{name}" in shown:
                name = f"{i}-{name}"
            with open(os.path.join(tmp, _DIR, name), "wb") as fh:
                fh.write(data)
            shown[f"{_DIR}/{name}"] = path if path == STDIN else os.path.normpath(path)
        from .lint import Linter  # not for is_file_argument: the command line asks it first

        linter = Linter(tmp, config)
        result = linter.run([os.path.join(tmp, _DIR)])
    for f in result.findings:
        if f.file is not None:
            f.file = shown.get(f.file, f.file)
        f.cluster = None
    result.findings.sort(key=lambda f: f.sort_key())
    notes = [n for n in linter.notes if not n.startswith(_DIR)]
    return result, notes


def _read(path: str) -> bytes:
    from .core.errors import UsageError

    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or type(exc).__name__}") from None
