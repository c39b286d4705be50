"""The rule registry.

Rules are plugins of the entry-point group ``gitops_lint.rules`` (the
built-in ones are registered the same way, in pyproject.toml). The list below
is the fallback for a source checkout that was never installed; a test keeps
it equal to the entry points.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from ..core.errors import ConfigError
from .base import CLUSTER, REPOSITORY, Context, Hit, Rule

__all__ = ["CLUSTER", "REPOSITORY", "Context", "Hit", "Rule", "all_rules", "BUILTIN"]

BUILTIN = {
    "yaml-syntax": "gitops_lint.rules.yaml_syntax",
    "dependency-cycle": "gitops_lint.rules.dependency_cycle",
    "missing-dependency": "gitops_lint.rules.missing_dependency",
    "missing-source": "gitops_lint.rules.missing_source",
    "missing-path": "gitops_lint.rules.missing_path",
    "kustomize-build": "gitops_lint.rules.kustomize_build",
    "unresolved-variable": "gitops_lint.rules.unresolved_variable",
    "missing-substitution-source": "gitops_lint.rules.missing_substitution_source",
    "invalid-substitution": "gitops_lint.rules.invalid_substitution",
    "duplicate-object": "gitops_lint.rules.duplicate_object",
    "health-check-target": "gitops_lint.rules.health_check_target",
    "missing-namespace": "gitops_lint.rules.missing_namespace",
    "plaintext-secret": "gitops_lint.rules.plaintext_secret",
    "missing-crd": "gitops_lint.rules.missing_crd",
    "crd-order": "gitops_lint.rules.crd_order",
    "crd-prune": "gitops_lint.rules.crd_prune",
    "schema": "gitops_lint.rules.schema",
    "unknown-schema": "gitops_lint.rules.unknown_schema",
    "deprecated-api": "gitops_lint.rules.deprecated_api",
}

_CACHE: list[Rule] | None = None


class PluginError(ConfigError):
    """A rule plugin that cannot be loaded or used."""


def all_rules() -> list[Rule]:
    """Every registered rule, sorted by code."""
    global _CACHE
    if _CACHE is None:
        rules: dict[str, Rule] = {}
        for ep in entry_points(group="gitops_lint.rules"):
            try:
                rule = ep.load()
            except Exception as exc:  # a broken third-party plugin must not crash the run
                raise PluginError(f"rule plugin {ep.name!r} ({ep.value}) failed to load: {exc}") from None
            if not isinstance(rule, Rule):
                raise PluginError(f"rule plugin {ep.name!r} ({ep.value}) is not a gitops_lint.rules.Rule")
            rules[rule.name] = rule
        for name, module in BUILTIN.items():
            if name not in rules:
                rules[name] = importlib.import_module(module).RULE
        _CACHE = sorted(rules.values(), key=lambda r: r.code)
    return _CACHE
