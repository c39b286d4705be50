"""The package's imports go downwards only, through the pipeline's stages.

gitops-lint is a pipeline: load, discover, render, substitute, model, graph,
schema, rules, report, and the command line on top. Each stage is a package
that may import the stages below it and ``core`` (plain data and utilities),
never one above: a newcomer can read a stage knowing only what is below it,
and a change to the report cannot break the renderer. Every import counts,
at the top of a module, inside a function, or for type checking only.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gitops_lint"

# lowest first; the package's top-level modules (cli, lint, fix, ...) are the "app" stage
STAGES = ["core", "load", "discover", "render", "substitute", "model", "graph", "schema", "rules", "report"]
APP = len(STAGES)


# imports every module of a stage in a fresh interpreter, then lists the package's modules loaded
_LOADED = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps({"file": sys.modules["gitops_lint"].__file__,
                  "loaded": sorted(n for n in sys.modules if n.split(".")[0] == "gitops_lint")}))
"""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage_of(module: str) -> int:
    parts = module.split(".")
    if module == "gitops_lint":  # the package's __init__ holds only __version__
        return 0
    if len(parts) > 1 and parts[1] in STAGES:
        return STAGES.index(parts[1])
    return APP


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """Every gitops_lint module ``path`` imports, wherever the import statement is."""
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            targets = [
                f"{module}.{a.name}" if f"{module}.{a.name}" in modules else module for a in node.names
            ]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        for target in targets:
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in modules and target != name:
                found.add(target)
    return found


@functools.cache  # parsed once for the four tests (none changes it)
def import_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(files)
    return {name: imports_of(path, modules) for name, path in sorted(files.items())}


def test_every_module_belongs_to_a_known_stage_or_the_app():
    for name in import_graph():
        parts = name.split(".")
        if len(parts) > 2 or (len(parts) == 2 and (PACKAGE / parts[1]).is_dir()):
            assert parts[1] in STAGES, f"{name}: package {parts[1]!r} is not a stage of the pipeline"


def test_imports_go_downwards_only():
    upward = {
        f"{name} -> {target}"
        for name, targets in import_graph().items()
        for target in sorted(targets)
        if stage_of(target) > stage_of(name)
    }
    assert sorted(upward) == [], "imports of a higher stage"


def test_the_imports_have_no_cycle():
    # a package's __init__ re-exports its stage: importing it is importing its modules
    packages = {module_name(p) for p in PACKAGE.rglob("__init__.py")}
    edges = {n: {t for t in ts if t not in packages} for n, ts in import_graph().items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt) :] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_no_module_imports_a_private_name_of_another():
    offenders = []
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    for name, path in sorted(files.items()):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        offenders.append(f"{name}: {alias.name} from {'.' * node.level}{node.module or ''}")
    assert offenders == []


@pytest.mark.parametrize("stage", STAGES)
def test_importing_a_stage_loads_no_higher_stage(stage):
    """What the static test cannot see: what importing a stage really runs.

    ``python3 -c "import gitops_lint.load.config"`` must load nothing above
    the load stage: a stage is usable, and testable, with only the stages below
    it, and a command that needs only the config does not pay for the rules.
    """
    modules = sorted(name for name in import_graph() if stage_of(name) == STAGES.index(stage))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(PACKAGE.parent), os.environ.get("PYTHONPATH", "")]),
    }
    out = subprocess.run(
        [sys.executable, "-c", _LOADED, *modules],
        cwd=PACKAGE.parent,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(out.stdout)
    assert Path(found["file"]).resolve().parent == PACKAGE  # this checkout, not an installed copy
    assert [n for n in found["loaded"] if stage_of(n) > STAGES.index(stage)] == []


def test_the_readme_lists_the_stages_in_their_order():
    """README's "How the code is laid out" is what a newcomer reads first: it must name
    every stage, lowest first, as this test orders them."""
    import re

    text = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    section = text.split("## How the code is laid out", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"^\| `(\w+)/` \|", section, re.M) == STAGES
