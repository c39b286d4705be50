"""The rule registry: the entry points of the group ``gitops_lint.rules``.

There is one list of the built-in rules, pyproject.toml's
``[project.entry-points."gitops_lint.rules"]``, registered exactly as a
third party registers a plugin. Where it is read from depends on how the code
runs (``core/data_files.py``): an installed gitops-lint reads it from its
distribution's metadata; a source checkout (``python -m gitops_lint``, or an
editable install) reads the checkout's pyproject.toml itself, which is never
stale (metadata is written at install time) and works when nothing was
installed. So there is no second list in the code to keep in step.

A plugin, an entry point of any other distribution, may not take the name or
the code of a built-in rule, nor one another plugin took: a finding's rule
and code are what suppression comments, ``rules:``/``ignore:`` in the config,
``--select`` and CI baselines are keyed by, and a plugin that silently
replaced ``schema`` would change what all of them mean. Either is refused
with a one-line :class:`PluginError` (exit status 2), as is a plugin that
fails to load or is not a :class:`Rule`.
"""

from __future__ import annotations

from ..core.data import Severity
from ..core.data_files import PROJECT_NAME, checkout_pyproject
from ..core.entry_points import EntryPoint, scan
from ..core.errors import ConfigError
from .base import CLUSTER, REPOSITORY, Context, Hit, Rule

# what a plugin imports (README "Writing a rule plugin")
__all__ = [
    "CLUSTER",
    "REPOSITORY",
    "GROUP",
    "Context",
    "Hit",
    "PluginError",
    "Rule",
    "Severity",
    "all_rules",
]

GROUP = "gitops_lint.rules"

_CACHE: list[Rule] | None = None
_BUILTIN_NAMES: frozenset[str] | None = None


class PluginError(ConfigError):
    """A rule plugin that cannot be loaded or used."""


def all_rules() -> list[Rule]:
    """Every registered rule, sorted by code."""
    global _CACHE
    if _CACHE is None:
        _CACHE = _load()
    return _CACHE


def builtin_names() -> frozenset[str]:
    """The names of gitops-lint's own rules (their entry points' names, which are the
    rules' names; a plugin cannot take one), read without importing a rule."""
    global _BUILTIN_NAMES
    if _BUILTIN_NAMES is None:
        _BUILTIN_NAMES = frozenset(ep.name for ep in _entry_points()[0])
    return _BUILTIN_NAMES


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _distribution(ep) -> str | None:
    dist = getattr(ep, "dist", None)
    return _normal(dist.name) if dist is not None else None


def entry_points(group: str) -> list:
    """What is installed in ``group``: read directly when only gitops-lint declares it
    (``core/entry_points.py``), else by importlib.metadata, imported only then."""
    found = scan(group, PROJECT_NAME)
    if found is not None:
        return found
    from importlib.metadata import entry_points as installed

    return list(installed(group=group))


def _entry_points() -> tuple[list, list]:
    """(the built-in rules' entry points, every other distribution's in a stable order).

    The built-ins' come from the checkout's pyproject.toml when the code runs from one,
    else from the installed distribution's metadata; ``entry_points`` is read once (it
    scans every installed distribution)."""
    installed = entry_points(group=GROUP)
    plugins = [ep for ep in installed if _distribution(ep) != PROJECT_NAME]
    pyproject = checkout_pyproject()
    if pyproject is not None:
        table = pyproject["project"].get("entry-points", {}).get(GROUP, {})
        builtins = [EntryPoint(name, value, GROUP) for name, value in table.items()]
    else:
        builtins = [ep for ep in installed if _distribution(ep) == PROJECT_NAME]
    return builtins, sorted(plugins, key=lambda ep: (ep.name, ep.value))


def _describe(ep) -> str:
    dist = _distribution(ep)
    return f"rule plugin {ep.name!r} ({ep.value}{f', from {dist}' if dist else ''})"


def _load_plugin(ep) -> Rule:
    try:
        rule = ep.load()
    except Exception as exc:  # a broken third-party plugin must not crash the run
        raise PluginError(f"{_describe(ep)} failed to load: {exc}") from None
    if not isinstance(rule, Rule):
        raise PluginError(f"{_describe(ep)} is not a gitops_lint.rules.Rule")
    return rule


def _load() -> list[Rule]:
    global _BUILTIN_NAMES
    rules: list[Rule] = []
    taken: dict[str, str] = {}  # a name or code -> who registered it
    builtins, plugins = _entry_points()
    if _BUILTIN_NAMES is None:  # builtin_names(), from this one reading of the entry points
        _BUILTIN_NAMES = frozenset(ep.name for ep in builtins)
    for ep in builtins:
        rule = ep.load()  # a built-in that fails to import is a bug: let it surface as one
        if rule.name != ep.name:  # builtin_names() reads the entry points' names
            raise PluginError(f"the built-in rule {rule.name!r} is registered as {ep.name!r}")
        rules.append(rule)
        for key in (rule.name, rule.code):
            taken[key] = f"the built-in rule {rule.code} {rule.name}"
    for ep in plugins:
        rule = _load_plugin(ep)
        if any(rule is r for r in rules):
            continue  # one plugin seen twice (its distribution found twice on sys.path)
        for what, key in (("name", rule.name), ("code", rule.code)):
            if key in taken:
                raise PluginError(
                    f"{_describe(ep)} uses the {what} {key!r} of {taken[key]}: "
                    "a plugin's rule needs a name and a code of its own"
                )
        rules.append(rule)
        for key in (rule.name, rule.code):
            taken[key] = _describe(ep)
    return sorted(rules, key=lambda r: r.code)
