"""Run gitops-lint in-process the way the command line does."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from gitops_lint.cli import main
from gitops_lint.config import Config, load_config
from gitops_lint.lint import Linter, LintResult


def lint_repo(root: Path | str, *paths: str, config: Config | None = None) -> LintResult:
    root = str(root)
    cfg = config if config is not None else load_config(root)
    return Linter(root, cfg).run([str(Path(root) / p) for p in paths] if paths else [root])


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


def positions(result: LintResult, min_severity=None) -> list[str]:
    """Findings as ``FILE:LINE RULE`` lines, the format of expected.txt."""
    return sorted(
        f"{f.file}:{f.line} {f.rule}"
        for f in result.findings
        if min_severity is None or f.severity >= min_severity
    )
