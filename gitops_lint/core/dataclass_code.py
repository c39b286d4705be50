"""The methods ``dataclasses`` writes for gitops-lint's classes, compiled ahead of time.

When a class is defined, Python's ``dataclasses`` writes the source text of each
method it adds (``__init__``, ``__repr__``, ``__eq__``, a frozen class's
``__setattr__`` and ``__delattr__``, ``__hash__``) and compiles it with ``exec``:
for gitops-lint's hundred dataclasses, some 470 compiles, about 30 ms of every
process's start, a third of its imports (issue 18: a warm run is mostly start-up).
The text depends only on the class definition and compiling the same text gives the
same code, so ``tools/gen_dataclass_code.py`` records the texts of gitops-lint's
classes and writes them, as ordinary functions, into a module the interpreter
caches as byte code like any other (``_dataclass_code_<python>.py``). :func:`install`
wraps ``dataclasses._create_fn``: a text found there takes that code, bound to the
class's module's globals as ``exec`` binds it; any other text (a class changed since,
another library's dataclass) is compiled as before. Nothing is installed on a Python
whose ``_create_fn`` is not the one the table was made for.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import sys
import types


def create_fn_stamp(create_fn) -> str:
    """What the table must have been made with: the byte code of ``_create_fn`` (whose
    text format the table's keys are written in) and the Python that ran it."""
    digest = hashlib.sha256()
    codes = [create_fn.__code__]
    while codes:  # its own code and its generator expression's; no address of anything
        code = codes.pop()
        digest.update(code.co_code)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                codes.append(const)
            else:
                digest.update(repr(const).encode())
    return f"{sys.version_info[0]}.{sys.version_info[1]} {digest.hexdigest()[:16]}"


def table_module() -> str:
    """The module holding this Python minor's table (tools/gen_dataclass_code.py writes it)."""
    return f"{__package__}._dataclass_code_{sys.version_info[0]}{sys.version_info[1]}"


def function_text(name, args, body, locals, return_type) -> str:
    """The text ``dataclasses._create_fn`` compiles (its own code, Python 3.10 to 3.12);
    ``locals`` gets ``_return_type`` as there."""
    return_annotation = ""
    if return_type is not dataclasses.MISSING:
        locals["_return_type"] = return_type
        return_annotation = "->_return_type"
    args = ",".join(args)
    body = "\n".join(f"  {b}" for b in body)
    txt = f" def {name}({args}){return_annotation}:\n{body}"
    local_vars = ", ".join(locals.keys())
    return f"def __create_fn__({local_vars}):\n{txt}\n return {name}"


def install() -> bool:
    """Serve ``dataclasses`` the compiled methods; False when there is no table for this
    Python (the classes are made as always)."""
    original = getattr(dataclasses, "_create_fn", None)
    if original is None or getattr(original, "compiled_ahead", False):
        return False
    try:
        table = importlib.import_module(table_module())
    except ImportError:
        return False
    if getattr(table, "STAMP", None) != create_fn_stamp(original):
        return False
    codes: dict[str, types.CodeType] = table.codes()

    def _create_fn(name, args, body, *, globals=None, locals=None, return_type=dataclasses.MISSING):
        if locals is None:
            locals = {}
        txt = function_text(name, args, body, locals, return_type)
        code = codes.get(txt)
        if code is None or globals is None or "__builtins__" not in globals:  # as always
            return original(name, args, body, globals=globals, locals=locals, return_type=return_type)
        return types.FunctionType(code, globals)(**locals)

    _create_fn.compiled_ahead = True  # type: ignore[attr-defined]
    dataclasses._create_fn = _create_fn
    return True
