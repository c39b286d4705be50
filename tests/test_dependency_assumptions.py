"""What gitops-lint assumes about its libraries' internals, asserted one by one.

pyproject.toml bounds the libraries whose internals or data layout the code
relies on (lark, cel-python, kubernetes-validate, PyYAML). An upgrade that
breaks an assumption would otherwise show up deep inside a rule, or not at
all: cel-python building its own parser (0.1 s per process, silently), a CEL
budget that no longer counts (a hostile rule runs for minutes), no core
schema at all (every Deployment "unknown"). Each test here names one
assumption and says what to do when it fails. Widening a bound in
pyproject.toml is: install the new release, run this file and the suite,
then widen.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from gitops_lint.schema import budget, cel
from gitops_lint.schema.core import available_versions, core_schemas, schema_root
from tests.conftest import PROJECT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# the libraries whose internals are relied on; each has a lower AND an upper bound
_BOUNDED = ("PyYAML", "jsonschema", "kubernetes-validate", "cel-python", "lark")


def _requirements() -> dict[str, str]:
    deps = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]["dependencies"]
    out = {}
    for dep in deps:
        m = re.match(r"^([A-Za-z0-9_.\-]+)\s*([^;]*)", dep)
        out[m.group(1)] = m.group(2).strip()
    return out


@pytest.mark.parametrize("name", _BOUNDED)
def test_the_installed_release_is_in_the_tested_range(name):
    requirement = pytest.importorskip("packaging.requirements").Requirement
    spec = _requirements()[name]
    ops = {s.operator for s in requirement(f"{name}{spec}").specifier}
    assert ops & {">=", ">", "=="} and ops & {"<", "<=", "=="}, f"{name}: lower and upper bound ({spec})"
    installed = metadata.version(name)
    assert requirement(f"{name}{spec}").specifier.contains(installed, prereleases=True), (
        f"{name} {installed} is outside the tested range {spec} in pyproject.toml: run "
        "tests/test_dependency_assumptions.py and the suite with it, then widen the bound"
    )


# -- cel-python and lark --------------------------------------------------------------


def test_cel_python_ships_its_lark_grammar_beside_its_package():
    """cel.py reads ``celpy/cel.lark`` to build (or stamp) the parser."""
    import celpy

    grammar = Path(celpy.__file__).parent / "cel.lark"
    assert grammar.is_file(), f"{grammar} is gone: gitops_lint/schema/cel.py's _grammar() reads it"
    assert re.search(r"^\s*expr\s*:", cel._grammar(), re.M), "the grammar's start rule 'expr' is gone"


def test_the_shipped_parser_tables_are_for_the_installed_lark_and_grammar():
    """Otherwise every process that meets a CEL rule builds the LALR tables (~0.1 s)."""
    assert cel._load_parser() is not None, (
        f"{cel.PARSER_FILE.name} is not for {cel.stamp()} (or lark's private Lark._load changed): "
        "run tools/gen_cel_parser.py"
    )


def test_lark_private_loader_round_trips_the_tables_as_json(tmp_path, monkeypatch):
    """``Lark.memo_serialize`` out, JSON, ``Lark.__new__`` + ``Lark._load`` in: the
    private loader gitops-lint uses instead of Lark's pickle cache."""
    import lark

    assert hasattr(lark.Lark, "_load"), "lark.Lark._load is gone: gitops_lint/schema/cel.py uses it"
    spec = importlib.util.spec_from_file_location("gen_cel_parser", PROJECT / "tools" / "gen_cel_parser.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    target = tmp_path / "cel-parser.json"
    monkeypatch.setattr(tool, "PARSER_FILE", target)
    monkeypatch.setattr(cel, "PARSER_FILE", target)
    assert tool.main() == 0
    loaded = cel._load_parser()
    assert loaded is not None, "lark's serialised tables no longer load through Lark._load"
    built = cel.build_parser()
    for rule in ("self.a > 1 && has(self.b)", "self.all(x, x.name in ['a', 'b'])", "!(self.c == 'x')"):
        assert loaded.parse(rule) == built.parse(rule)


def test_cel_python_uses_the_parser_set_on_its_class_attribute(monkeypatch):
    """cel.py hands its loaded parser to cel-python through ``CELParser.CEL_PARSER``;
    cel-python must use it rather than build its own."""
    import celpy
    from celpy.celparser import CELParser

    assert hasattr(CELParser, "CEL_PARSER"), "celpy.celparser.CELParser.CEL_PARSER is gone"
    assert callable(getattr(CELParser, "ambiguous_literals", None)), "CELParser.ambiguous_literals is gone"
    parser = cel._load_parser() or cel.build_parser()
    monkeypatch.setattr(CELParser, "CEL_PARSER", parser)
    env = celpy.Environment()
    prog = env.program(env.compile("self.x == 'a'"))
    assert CELParser.CEL_PARSER is parser, "cel-python replaced the parser it was given"
    assert prog.evaluate({"self": celpy.json_to_cel({"x": "a"})}) is not False


def test_the_counting_evaluator_sees_every_node_and_every_iteration():
    """The CEL budget counts ``Interpreter._visit_tree`` calls (lark's, which cel-python's
    ``Evaluator`` inherits) and ``Evaluator.sub_evaluator`` frames; if either is no longer
    called, the budget stops counting and a hostile rule runs unbounded."""
    from celpy.evaluation import Evaluator
    from lark.visitors import Interpreter

    assert hasattr(Interpreter, "_visit_tree"), "lark.visitors.Interpreter._visit_tree is gone"
    assert hasattr(Evaluator, "sub_evaluator"), "celpy.evaluation.Evaluator.sub_evaluator is gone"
    with budget.checking() as steps:
        assert cel.evaluate([{"rule": "self.l.all(x, x > 0)"}], {"l": [1, 2, 3, 4, 5]}) == []
    spent = budget.CEL_PER_OBJECT - steps.cel_left
    assert spent > 5 * cel._FRAME, f"only {spent} steps counted for 5 iterations"


def test_a_hostile_rule_runs_out_of_the_cel_budget():
    with budget.checking() as steps:
        rule = "self.l.all(x, self.l.all(y, self.l.all(z, z < 0)))"  # 10^6 iterations, all false
        assert cel.evaluate([{"rule": rule}], {"l": list(range(100))}) == []
    assert any("not evaluated" in note for note in steps.notes), steps.notes


# -- kubernetes-validate's file layout ------------------------------------------------


def test_kubernetes_validate_ships_strict_schema_directories():
    """schema/core.py reads ``kubernetes_validate/kubernetes-json-schema/v1.X.0-local-strict/
    _definitions.json`` directly (``$defs`` keyed by type, kinds by
    ``x-kubernetes-group-version-kind``, ``additionalProperties: false`` for strictness)."""
    root = schema_root()
    assert root is not None, "kubernetes_validate/kubernetes-json-schema/ is gone"
    strict = [n for n in os.listdir(root) if re.fullmatch(r"v\d+\.\d+\.\d+-local-strict", n)]
    assert strict, f"no v1.X.0-local-strict directory in {root}"
    assert len(strict) == len(available_versions())
    newest = sorted(strict, key=lambda n: tuple(map(int, re.findall(r"\d+", n)[:2])))[-1]
    with open(os.path.join(root, newest, "_definitions.json"), encoding="utf-8") as fh:
        defs = json.load(fh)["$defs"]
    deployment = defs["io.k8s.api.apps.v1.Deployment"]
    assert {"group": "apps", "kind": "Deployment", "version": "v1"} in deployment[
        "x-kubernetes-group-version-kind"
    ]
    assert defs["io.k8s.api.apps.v1.DeploymentSpec"].get("additionalProperties") is False


def test_core_schemas_index_the_usual_kinds():
    core = core_schemas(available_versions()[-1])
    for api_version, kind in (("v1", "ConfigMap"), ("apps/v1", "Deployment"), ("v1", "Secret")):
        schema = core.schema(api_version, kind)
        assert schema is not None, (api_version, kind)
        assert "metadata" in schema.get("properties", {}), (api_version, kind)
        assert schema.get("additionalProperties") is False, (api_version, kind)


def test_the_default_kube_version_is_the_one_the_corpus_was_reviewed_with():
    """The newest shipped schema set is the default ``--kube-version``: a kubernetes-validate
    that ships a newer one changes deprecated-api and schema findings. tests/test_corpus.py's
    counts were reviewed with 1.37: review them with the new release, then move the pin."""
    assert available_versions()[-1] == "1.37"


# -- PyYAML ---------------------------------------------------------------------------


def test_pyyaml_composer_keeps_anchors_in_a_dict_the_loader_can_rewrite():
    """load/loader.py's RedefiningLoader overrides ``Composer.compose_node`` and pops
    ``self.anchors`` so that a later anchor of the same name wins (as go-yaml does)."""
    from yaml.composer import Composer

    from gitops_lint.load.loader import RedefiningLoader

    assert hasattr(Composer, "compose_node")
    loader = RedefiningLoader("a: &x 1\nb: &x 2\nc: *x\n")
    try:
        assert isinstance(loader.anchors, dict)
        assert loader.get_single_data() == {"a": 1, "b": 2, "c": 2}
    finally:
        loader.dispose()


def test_pyyaml_has_libyaml_and_the_resolver_table_the_output_rewrites():
    assert hasattr(yaml, "CSafeLoader"), "PyYAML without libyaml: every file parses ~10x slower"
    table = yaml.SafeDumper.yaml_implicit_resolvers
    assert isinstance(table, dict)
    tags = {tag for resolvers in table.values() for tag, rx in resolvers if hasattr(rx, "match")}
    assert {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int"} <= tags


# -- the standard library -------------------------------------------------------------


def test_argparse_keeps_its_actions_list():
    """cli.py lists a parser's options through ``ArgumentParser._actions``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--x")
    assert any("--x" in a.option_strings for a in parser._actions)
