"""A logger whose ``logging`` module is imported when a message is first logged.

The schema modules log only at debug level, for a developer's eyes (what could not be
compiled or evaluated, and is then skipped); ``logging`` (with ``traceback``, ``string``
and ``textwrap``) cost about 2.4 ms of every run's imports for messages nobody shows.
"""

from __future__ import annotations


class DebugLog:
    """``logging.getLogger(name).debug``, the module imported at the first call."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def debug(self, msg: str, *args) -> None:
        import logging

        logging.getLogger(self.name).debug(msg, *args)
