"""The schema modules' debug messages still reach ``logging`` (imported when first used)."""

from __future__ import annotations

import logging

from gitops_lint.schema import cel, check, registry, validator


def test_a_debug_message_reaches_its_logger(caplog):
    with caplog.at_level(logging.DEBUG, logger="gitops_lint.schema"):
        check.log.debug("schema of %s %s not evaluable: %s", "v1", "Widget", "why")
        registry.log.debug("schema file %s unreadable", "x.json")
        validator.log.debug("schema of %s: no fast path (%s)", "x", "y")
        cel.log.debug("CEL rule skipped (cannot compile): %s", "rule")
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("gitops_lint.schema", logging.DEBUG, "schema of v1 Widget not evaluable: why"),
        ("gitops_lint.schema", logging.DEBUG, "schema file x.json unreadable"),
        ("gitops_lint.schema", logging.DEBUG, "schema of x: no fast path (y)"),
        ("gitops_lint.schema.cel", logging.DEBUG, "CEL rule skipped (cannot compile): rule"),
    ]
