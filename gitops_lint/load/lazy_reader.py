"""PyYAML imported, by the command line, without the one pattern of it gitops-lint never uses.

``yaml.reader`` compiles at import ``Reader.NON_PRINTABLE``, a class of every
character outside YAML's printable set up to U+10FFFF. ``re`` builds that class
with a Python loop over the 65,536 code points of the Basic Multilingual Plane:
57 million instructions under callgrind, a third of importing PyYAML (``python
-c "import yaml"``: 163 million, 38 million of them the interpreter's start-up),
5 ms on a 3 GHz core, paid by every run, cold or warm. Only PyYAML's pure-Python
reader uses the pattern, to refuse a stream holding a non-printable character;
gitops-lint parses with libyaml (``yaml.CSafeLoader``, ``load.loader``), whose
reader does that check in C, except a file that redefines an anchor
(``load.loader.RedefiningLoader``, pure Python): a run that parses one compiles the
pattern then, as before; one that does not (a warm run keeps such a file's parse)
never does.

:func:`install` (called by ``cli.entry``, the process's entry point) has the
import of ``yaml.reader`` make that module's patterns on first use instead of at
import: the pattern object stands in for the compiled one and compiles it the
first time any of its attributes is asked for, so a pure-Python reader, if one
is ever used, checks exactly as before. A program that imports gitops_lint as a
library keeps PyYAML as it is: only the command line's own process installs it.
"""

from __future__ import annotations

import re
import sys
from importlib.machinery import PathFinder

MODULE = "yaml.reader"


class OnFirstUse:
    """A compiled pattern made the first time it is used (``re.compile``'s arguments)."""

    __slots__ = ("_args", "_compiled")

    def __init__(self, compile_, *args) -> None:
        self._args = (compile_, *args)
        self._compiled = None

    def __getattr__(self, name: str):
        if self._compiled is None:
            compile_, *args = self._args
            self._compiled = compile_(*args)
        return getattr(self._compiled, name)


class _Finder:
    """On ``sys.meta_path`` until ``yaml.reader`` is imported: its spec, whose module runs
    with ``re.compile`` deferring. Every other name is left to the other finders."""

    @classmethod
    def find_spec(cls, name: str, path=None, target=None):
        if name != MODULE:
            return None
        uninstall()
        spec = PathFinder.find_spec(name, path, target)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run = spec.loader.exec_module  # this spec's own loader: patched for this import only

        def exec_module(module) -> None:
            compile_ = re.compile

            def deferred(pattern, flags=0):
                return OnFirstUse(compile_, pattern, flags)

            re.compile = deferred
            try:
                run(module)
            finally:
                re.compile = compile_

        spec.loader.exec_module = exec_module
        return spec


def install() -> None:
    """Defer the patterns of ``yaml.reader`` when this process imports it (not yet imported)."""
    if MODULE not in sys.modules and _Finder not in sys.meta_path:
        sys.meta_path.insert(0, _Finder)


def uninstall() -> None:
    if _Finder in sys.meta_path:
        sys.meta_path.remove(_Finder)
