"""What the config and suppression comments may name, from the stages that define it.

The config and the comments are read by the load stage, first; the rules they
name and the Kubernetes versions with schemas belong to later stages. The
command line (this, the app) joins them: it hands the load stage a
:class:`~gitops_lint.load.config.Vocabulary` whose parts are looked up on first
use, so reading a config that names no rule loads no rule.
"""

from __future__ import annotations

from .load.config import Vocabulary
from .load.suppress import RuleNames


def _all_rules():
    from .rules import all_rules  # the registry loads plugins: only when a name is asked for

    return all_rules()


def _kube_versions() -> list[str]:
    from .schema.core import available_versions

    return available_versions()


def rule_names() -> RuleNames:
    """Every rule of the registry, built-in and plugin, by name and code."""
    return RuleNames(_all_rules)


def vocabulary() -> Vocabulary:
    """What a config may name: the registry's rules and the shipped Kubernetes versions."""
    return Vocabulary(rule_names(), _kube_versions)
