"""Issue 15, point 5 (regexes and schemas): hostile input finishes, and says what it skipped.

Every regex a repository writes is a Go regexp matched by RE2 (linear time),
and schema validation and CEL rules run within budgets. Each test runs its
body under a deadline: on the code before the fix, each of them hangs (Python's
backtracking, schemas expanded through aliases, CEL without a cost limit).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.test_hostile import deadline, repo

EVIL = "(a+)+$"  # exponential for a backtracking matcher on "aaaa...!"
SUBJECT = "a" * 40 + "!"

KS = """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec: {interval: 10m, path: ./apps, prune: false, sourceRef: {kind: GitRepository, name: flux-system}}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: flux-system, namespace: flux-system}
spec: {interval: 1m, url: https://example.com/x, ref: {branch: main}}
"""


def crd(spec_schema: str) -> str:
    return (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata: {name: widgets.example.com}\nspec:\n  group: example.com\n"
        "  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}\n"
        "  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n"
        "    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n"
        "          spec:\n" + "".join(f"            {line}\n" for line in spec_schema.splitlines())
    )


def widget(spec: str) -> str:
    return (
        f"apiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: w, namespace: default}}\nspec: {spec}\n"
    )


def lint_files(tmp_path: Path, files: dict[str, str], seconds: float = 30) -> list[dict]:
    """The JSON findings of a run on a small repository, within ``seconds``."""
    root = repo(tmp_path, {"clusters/c/ks.yaml": KS, **files})
    with deadline(seconds):
        code, out, err = run_cli(str(root), "--root", str(root), "--format", "json")
    assert code in (0, 1) and "Traceback" not in err, err
    return json.loads(out)["findings"]


# -- the regex module -------------------------------------------------------------------


def test_go_regexps_match_in_linear_time():
    from gitops_lint.core.regex import compile_go

    with deadline(5):
        assert not compile_go(EVIL).search(SUBJECT * 1000)
        assert compile_go("^(?:" + EVIL + ")$").search("a" * 100_000)


@pytest.mark.parametrize(
    "pattern, wording",
    [
        (r"(a)\1", "invalid escape sequence: `\\1`"),
        ("(?=a)", "invalid or unsupported Perl syntax: `(?=`"),
        ("(?<!a)b", "invalid or unsupported Perl syntax: `(?<!`"),
        ("+", "missing argument to repetition operator: `+`"),
        ("a{1001}", "invalid repeat count: `{1001}`"),
    ],
)
def test_what_go_refuses_is_refused_with_gos_wording(pattern, wording):
    from gitops_lint.core.regex import RegexError, compile_go, go_error

    err = go_error(pattern)
    assert err is not None and not err.ours
    assert str(err) == f"error parsing regexp: {wording}"
    with pytest.raises(RegexError):
        compile_go(pattern)


def test_go_syntax_python_lacks_is_accepted():
    from gitops_lint.core.regex import compile_go

    assert compile_go("a|(?i)B").search("b") and not compile_go("a|(?i)B").search("A")
    assert compile_go(r"x\z").search("x") and not compile_go("x$").search("x\n")  # $ is end of text in Go
    assert compile_go("^caf").search("caf\udce9")  # a non-UTF-8 name read with surrogateescape


# -- CRD pattern ------------------------------------------------------------------------


def test_crd_pattern_does_not_hang_and_still_finds_the_mismatch(tmp_path):
    findings = lint_files(
        tmp_path,
        {
            "apps/kustomization.yaml": "resources: [crd.yaml, w.yaml]\n",
            "apps/crd.yaml": crd(f"type: object\nproperties:\n  x: {{type: string, pattern: '^{EVIL}'}}"),
            "apps/w.yaml": widget(f"{{x: {SUBJECT}}}"),
        },
    )
    assert [(f["rule"], f["file"]) for f in findings if f["severity"] == "error"] == [
        ("schema", "apps/w.yaml")
    ]
    assert "does not match" in findings[0]["message"]


def test_crd_pattern_go_refuses_is_an_error_on_the_crd(tmp_path):
    findings = lint_files(
        tmp_path,
        {
            "apps/kustomization.yaml": "resources: [crd.yaml]\n",
            "apps/crd.yaml": crd("type: object\nproperties:\n  x: {type: string, pattern: '^(?!kube-)'}"),
        },
    )
    errors = [f for f in findings if f["severity"] == "error"]
    assert len(errors) == 1 and errors[0]["file"] == "apps/crd.yaml" and errors[0]["line"] == 19
    assert errors[0]["message"].startswith(
        "spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.x.pattern: "
        'Invalid value: "^(?!kube-)": must be a valid regular expression, but isn\'t: '
        "error parsing regexp: invalid or unsupported Perl syntax: `(?!`"
    )


# -- kustomize ----------------------------------------------------------------------------


def test_patch_target_name_regex_does_not_hang(tmp_path):
    findings = lint_files(
        tmp_path,
        {
            "apps/kustomization.yaml": (
                "resources: [cm.yaml]\npatches:\n- target: {kind: ConfigMap, name: '" + EVIL + "'}\n"
                "  patch: |\n    - {op: add, path: /data/y, value: z}\n"
                "- target: {kind: ConfigMap, name: '(x'}\n  patch: |\n    - {op: add, path: /data/y, value: z}\n"
            ),
            "apps/cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {'a' * 40}x, namespace: default}}\n"
            "data: {a: b}\n",
        },
    )
    errors = [f["message"] for f in findings if f["severity"] == "error"]
    assert len(errors) == 1 and "invalid regular expression '(x'" in errors[0], errors
    assert "error parsing regexp: missing closing ): " in errors[0]


def test_image_name_regex_does_not_hang():
    from gitops_lint.render.transform import new_image

    with deadline(5):
        assert new_image("a" * 40 + "!", {"name": "(a+)+", "newTag": "v2"}) is None
    assert new_image("nginx:1.27", {"name": "nginx", "newTag": "1.28"}) == "nginx:1.28"


def test_padded_label_selector_is_linear():
    from gitops_lint.render.selector import matches_labels, parse_label_selector

    with deadline(5):
        for text in ("a" + " " * 200_000 + "b", "a" + " " * 100_000 + "in" + " " * 100_000 + "(x"):
            with pytest.raises(Exception, match="unable to parse requirement"):
                parse_label_selector(text)
    assert matches_labels({"app": "web"}, " app = web , tier notin (db) ")


# -- SOPS -------------------------------------------------------------------------------------


def test_sops_regexes_do_not_hang():
    from gitops_lint.load.sops import SopsConfig, SopsRules

    config = SopsConfig.from_data(".sops.yaml", {"creation_rules": [{"path_regex": EVIL}, {}]})
    with deadline(5):
        assert config.rule_for(SUBJECT + ".yaml").index == 1  # the first rule does not match
        assert not SopsRules(encrypted_regex=EVIL).should_be_encrypted(("spec", SUBJECT))
        assert SopsRules(unencrypted_regex=EVIL).should_be_encrypted(("spec", SUBJECT))


def test_sops_ciphertext_test_is_linear():
    from gitops_lint.load.sops import is_encrypted_value

    head = "ENC[AES256_GCM,data:"
    shapes = [
        head + "a" * 7000,
        head + "a,iv:" * 1400,
        head + "a,iv:a,tag:a,type:" + "a" * 7000,
        head + "a,iv:a,tag:a,type:str]" + " " * 7000 + "x",
        (head + "a=,iv:a,tag:a,type:") * 300,
    ]
    with deadline(2):
        for value in shapes:
            for _ in range(20):
                assert not is_encrypted_value(value * 10)


# -- .sourceignore ----------------------------------------------------------------------------


def test_sourceignore_globs_do_not_hang():
    from gitops_lint.render.flux import SourceIgnore

    ignore = SourceIgnore([("", "*a*a*a*a*a*a*a*a*a*a*a*b"), ("", "**/tmp/")])
    with deadline(5):
        assert not ignore.ignored("a" * 250, False)
        assert ignore.ignored("x/tmp", True) and not ignore.ignored("x/tmp", False)


def test_sourceignore_in_a_repository_does_not_hang(tmp_path):
    findings = lint_files(
        tmp_path,
        {
            ".sourceignore": "*a*a*a*a*a*a*a*a*a*a*a*b\n",
            f"apps/{'a' * 200}.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\n",
        },
    )
    assert [f for f in findings if f["severity"] == "error"] == []


# -- schema budgets ---------------------------------------------------------------------------


def _doubling(depth: int) -> dict:
    """A schema whose oneOf doubles per level: each level names the one below twice
    (what YAML aliases make of a 1.2 KB CRD)."""
    node: dict = {"type": "object", "properties": {"v": {"type": "string", "pattern": "^b$"}}}
    for _ in range(depth):
        node = {"oneOf": [node, {"allOf": [node], "required": ["v"]}]}
    return {"type": "object", "properties": {"spec": {"type": "object", "properties": {"a": node}}}}


@pytest.mark.slow
def test_doubling_oneof_is_not_checked_within_the_budget():
    from gitops_lint.schema.crd import convert
    from gitops_lint.schema.validator import Validator

    with deadline(60):  # ~3 s on an idle machine; the old code expands 2^40 nodes
        validator = Validator(convert(_doubling(40)), "test")
        errors = validator.errors({"apiVersion": "example.com/v1", "kind": "W", "spec": {"a": {"v": "c"}}})
    assert [(e.path, e.not_checked) for e in errors] == [((), True)]
    assert errors[0].message.startswith("schema too complex to check (more than 500,000")


@pytest.mark.slow
def test_schema_over_the_node_budget_is_not_checked_and_says_so(tmp_path):
    from gitops_lint.schema.budget import SCHEMA_NODES
    from gitops_lint.schema.crd import convert
    from gitops_lint.schema.validator import Validator

    wide = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(SCHEMA_NODES + 1)}}
    validator = Validator(convert(wide), "test")
    errors = validator.errors({"apiVersion": "v", "kind": "K", "p1": 5})
    assert [e.message for e in errors] == [
        f"schema too complex to check (the schema has more than {SCHEMA_NODES:,} nodes): not checked"
    ]


def test_an_ordinary_invalid_object_is_still_an_error():
    from gitops_lint.schema.crd import convert
    from gitops_lint.schema.validator import Validator

    errors = Validator(convert(_doubling(3)), "test").errors(
        {"apiVersion": "v", "kind": "K", "spec": {"a": 5}}
    )
    assert errors and not any(e.not_checked for e in errors)


@pytest.mark.slow
def test_aliased_oneof_crd_in_a_repository_finishes(tmp_path):
    anchors = ["x0: &l0 {type: object, properties: {v: {type: string, pattern: '^b$'}}}"]
    for k in range(1, 12):
        anchors.append(f"x{k}: &l{k} {{oneOf: [*l{k - 1}, {{allOf: [*l{k - 1}], required: [v]}}]}}")
    schema = "type: object\nx-defs:\n" + "".join(f"  {a}\n" for a in anchors) + "properties:\n  a: *l11\n"
    start = time.monotonic()
    findings = lint_files(
        tmp_path,
        {
            "apps/kustomization.yaml": "resources: [crd.yaml, w.yaml]\n",
            "apps/crd.yaml": crd(schema),
            "apps/w.yaml": widget("{a: {v: c}}"),
        },
        seconds=60,
    )
    assert time.monotonic() - start < 60
    assert any(f["file"] == "apps/w.yaml" and f["rule"] == "schema" for f in findings)


# -- CEL cost -------------------------------------------------------------------------------


NESTED_ALL = "self.l.all(a, self.l.all(b, self.l.all(c, a + b + c >= 0)))"


@pytest.mark.slow
def test_nested_cel_comprehensions_stop_at_the_cost_budget():
    from gitops_lint.schema.crd import convert
    from gitops_lint.schema.validator import Validator

    schema = {
        "type": "object",
        "properties": {"l": {"type": "array", "items": {"type": "integer"}}},
        "x-kubernetes-validations": [{"rule": NESTED_ALL}, {"rule": "self.l.size() < 3", "message": "short"}],
    }
    validator = Validator(convert(schema), "test")
    with deadline(30):
        errors = validator.errors({"apiVersion": "v", "kind": "K", "l": list(range(300))})
    assert [(e.message, e.not_checked) for e in errors] == [
        ("(root): short (rule: self.l.size() < 3)", False),
        (
            f"CEL rule {NESTED_ALL!r} not evaluated: more than 20,000 evaluation steps, gitops-lint's budget "
            "(the API server allows 1,000,000 cost units per rule): not checked",
            True,
        ),
    ]


def test_cel_cost_budget_leaves_ordinary_rules_alone():
    from gitops_lint.schema.crd import convert
    from gitops_lint.schema.validator import Validator

    schema = {
        "type": "object",
        "properties": {"l": {"type": "array", "items": {"type": "integer"}}},
        "x-kubernetes-validations": [{"rule": "self.l.all(x, x >= 0)", "message": "negative"}],
    }
    validator = Validator(convert(schema), "test")
    assert validator.errors({"apiVersion": "v", "kind": "K", "l": list(range(100))}) == []
    errors = validator.errors({"apiVersion": "v", "kind": "K", "l": [*range(100), -1]})
    assert [(e.message, e.not_checked) for e in errors] == [
        ("(root): negative (rule: self.l.all(x, x >= 0))", False)
    ]


def test_cel_cost_in_a_repository_is_an_info(tmp_path):
    findings = lint_files(
        tmp_path,
        {
            "apps/kustomization.yaml": "resources: [crd.yaml, w.yaml]\n",
            "apps/crd.yaml": crd(
                "type: object\nproperties:\n  l: {type: array, items: {type: integer}}\n"
                f'x-kubernetes-validations:\n- rule: "{NESTED_ALL}"\n'
            ),
            "apps/w.yaml": widget("{l: [" + ",".join(["1"] * 200) + "]}"),
        },
    )
    assert [(f["rule"], f["severity"], f["file"]) for f in findings] == [("schema", "info", "apps/w.yaml")]
