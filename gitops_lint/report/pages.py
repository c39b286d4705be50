"""Where a rule's documentation page lives, in a checkout and in an installed wheel.

The pages are written once, in ``rules/<name>.md`` at the repository root
(the test suite executes their examples). A wheel carries them as data files
under ``<prefix>/share/gitops-lint/rules/`` (pyproject.toml
``[tool.setuptools.data-files]``), so ``explain`` and the SARIF rule help work
from an installed package too. When neither copy is found (a third-party rule
without a page), the help is made from the rule's summary and its module
docstring, so a reporter never fails for want of a page.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

from ..core.data_files import checkout_rule_pages
from ..rules import Rule


def page_dirs() -> list[Path]:
    """Candidate directories of rule pages, checkout first."""
    dirs = [d for d in (checkout_rule_pages(),) if d is not None]
    for scheme_path in {sysconfig.get_path("data"), sys.prefix, getattr(sys, "base_prefix", sys.prefix)}:
        if scheme_path:
            dirs.append(Path(scheme_path) / "share" / "gitops-lint" / "rules")
    user = sysconfig.get_path("data", f"{'nt' if sys.platform == 'win32' else 'posix'}_user")
    if user:
        dirs.append(Path(user) / "share" / "gitops-lint" / "rules")
    return dirs


def rule_page(name: str) -> str | None:
    """The page ``rules/<name>.md`` of a rule, or None when no copy is installed."""
    for d in page_dirs():
        page = d / f"{name}.md"
        if page.is_file():
            return page.read_text(encoding="utf-8")
    return None


def rule_help(rule: Rule) -> str:
    """Markdown help for a rule: its page, or summary plus module docstring."""
    page = rule_page(rule.name)
    if page is not None:
        return page
    module = sys.modules.get(rule.check.__module__)
    doc = (module.__doc__ or "").strip() if module else ""
    text = f"# {rule.name} ({rule.code})\n\nDefault severity: **{rule.severity.label}**\n\n{rule.summary}\n"
    return text + (f"\n{doc}\n" if doc and doc != rule.summary else "")
