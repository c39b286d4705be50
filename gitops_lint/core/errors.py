"""The errors that end a run, one hierarchy.

A run ends early for four reasons, and the command line treats each the same
way (a one-line message on stderr, exit status 2) while keeping the reason:
the *usage* was wrong (a flag, a path), the *configuration* is wrong
(``.gitops-lint.yaml``, a rule plugin), the *input* is beyond what one run may
read (a budget, a directory that is no repository): ``gitops-lint: error:
...``; or gitops-lint itself failed (*internal*): ``gitops-lint: internal
error: ... (rerun with --debug)``, like any exception that is not a
``GitopsLintError`` and escapes, which is a bug too. Problems of the
repository's content are never these: they are findings.
"""

from __future__ import annotations


class GitopsLintError(Exception):
    """An error that ends the run with a one-line message (exit status 2)."""

    kind = "error"


class UsageError(GitopsLintError):
    """Bad command-line input: a flag, a path, a reference."""

    kind = "usage"


class ConfigError(GitopsLintError):
    """A configuration problem (the config file, a rule plugin), formatted as ``file:line: message``."""

    kind = "config"


class InputError(GitopsLintError):
    """Input beyond what one run may read (a budget spent, a root that is no repository)."""

    kind = "input"


class InternalError(GitopsLintError):
    """gitops-lint broke one of its own contracts (a caller's bug): reported as an internal error."""

    kind = "internal"
