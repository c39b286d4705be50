"""Where the files that ship with gitops-lint are, in a source checkout and once installed.

The project's top level holds, beside the package, the data it ships:
``schemas/`` (the bundled Flux JSON schemas, the chart table ``crd-charts.yaml``,
the prebuilt CEL parser), ``rules/`` (one page per rule) and ``pyproject.toml``
(whose entry points are the rule registry, see ``gitops_lint.rules``).

A wheel lays them out differently: ``schemas/`` becomes ``gitops_lint/schemas``
inside the package (pyproject's ``package-dir`` mapping), the rule pages go to
``<prefix>/share/gitops-lint/rules`` (``report/pages.py``), and pyproject.toml
is not installed at all (its entry points are in the distribution's metadata).

Which of the two applies is decided once: the code runs from a checkout when
the directory above the package holds this project's ``pyproject.toml``. An
editable install runs from its checkout too, so data added or edited there is
seen without reinstalling; and a checkout run with ``python -m gitops_lint``
while another copy is installed reads its own data, never the other copy's.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

PROJECT_NAME = "gitops-lint"
PACKAGE_DIR = Path(__file__).resolve().parents[1]
"""The ``gitops_lint`` package directory (a checkout's, or site-packages')."""


@lru_cache(maxsize=1)
def checkout_pyproject() -> dict | None:
    """The checkout's pyproject.toml, parsed, when the code runs from a checkout; else None."""
    path = PACKAGE_DIR.parent / "pyproject.toml"
    if not path.is_file():
        return None  # installed: no TOML parser to import
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: tomli is a dependency there
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    project = data.get("project")
    if not isinstance(project, dict) or project.get("name") != PROJECT_NAME:
        return None  # some other project's file above site-packages, say
    return data


def checkout() -> Path | None:
    """The project's top level when the code runs from a source checkout (editable or not)."""
    return PACKAGE_DIR.parent if checkout_pyproject() is not None else None


def schemas_dir() -> Path:
    """The bundled data: the checkout's ``schemas/``, or ``gitops_lint/schemas`` in a wheel."""
    top = checkout()
    return top / "schemas" if top is not None else PACKAGE_DIR / "schemas"


def bundled(*parts: str) -> Path:
    """A file (or directory) of the bundled data, e.g. ``bundled("flux")``."""
    return schemas_dir().joinpath(*parts)


def checkout_rule_pages() -> Path | None:
    """The checkout's ``rules/`` (the rule pages), or None when installed from a wheel."""
    top = checkout()
    return top / "rules" if top is not None else None
