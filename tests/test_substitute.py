"""Flux post-build substitution (gitops_lint.substitute.engine / gitops_lint.substitute.envsubst).

Expected values come from fluxcd/pkg envsubst (parse/parse.go, parse/scan.go,
funcs.go, template.go) and kustomize/kustomize_varsub.go; FLUX-SEMANTICS.md 1.3
lists the same forms. Where that table and the Go code disagree the code wins
(marked "code:").
"""

from __future__ import annotations

import copy
import math

import pytest

from gitops_lint.substitute.engine import (
    SUBSTITUTE_ANNOTATION,
    VAR_NAME,
    SubstitutionBudgetExceeded,
    SubstitutionError,
    Unresolved,
    emit_style,
    is_disabled,
    references,
    resolve_plain_scalar,
    substitute_object,
    substitute_string,
)

VARS = {
    "set": "VAL",
    "low": "hello",
    "empty": "",
    "D": "a.b.c",
    "P": "path/to/file",
    "F": "bash.string.txt",
    "U": "ünï",
}

MISSING_BRACE = "missing closing brace"
VAR_NAME_ERR = "unable to parse variable name"
BAD = "bad substitution"
FUNC_ERR = "unable to parse substitution within function"

# (input, expected result, unresolved names, errors) -- identical in strict and lax mode
TABLE = [
    # bare $name is never substituted
    ("$var", "$var", [], []),
    ("$set", "$set", [], []),
    ("$http_host", "$http_host", [], []),
    ("$((1+2))", "$((1+2))", [], []),
    ("{{ $labels.x }}", "{{ $labels.x }}", [], []),
    ("${set}", "VAL", [], []),
    ("x-${set}-y", "x-VAL-y", [], []),
    # undefined without default: left in place, reported
    ("${missing}", "${missing}", ["missing"], []),
    ("a ${missing} b ${set}", "a ${missing} b VAL", ["missing"], []),
    # escapes
    ("$${set}", "${set}", [], []),
    ("echo $$", "echo $", [], []),
    ("$$HOME $$1", "$HOME $1", [], []),
    ("$$$${x}", "$${x}", [], []),
    ("$$${set}", "$VAL", [], []),
    ("\\${set}", "\\VAL", [], []),
    ("some ${set}$${var$${set}$set${set}", "some VAL${var${set}$setVAL", [], []),  # pkg eval_test
    # defaults: all three identical, also for a set-but-empty variable
    ("${missing:=d}", "d", [], []),
    ("${missing=d}", "d", [], []),
    ("${missing:-d}", "d", [], []),
    ("${empty:=d}", "d", [], []),
    ("${empty=d}", "d", [], []),
    ("${set:=d}", "VAL", [], []),
    ("${missing:-}", "", [], []),
    ("${missing:+alt}", "alt", [], []),
    ("${set:+alt}", "VAL", [], []),
    ("${missing:?msg}", "msg", [], []),
    # nested / composite defaults
    ("${missing:=${set}}", "VAL", [], []),
    ("${missing:=a${set}b}", "aVALb", [], []),
    ("${missing:-${other:-x}}", "x", [], []),
    ("${missing:=$set}", "$set", [], []),
    ("${missing:=a:b}", "a:b", [], []),
    ("${missing:=http://x:8080/y}", "http://x:8080/y", [], []),
    ("${missing:=a}b}", "ab}", [], []),  # code: first } closes, "b}" is text (table says "a}")
    ("${missing:=$${set}}", "$VAL", [], []),  # code: $$ is no escape inside a default
    ("${missing:=x$$y}", "x$$y", [], []),
    ("${missing:-${missing2}}", "${missing:-${missing2}}", ["missing2"], []),
    ("${set:-${missing2}}", "${set:-${missing2}}", ["missing2"], []),  # args evaluated first
    # substring (byte offsets)
    ("${set:1}", "AL", [], []),
    ("${set:1:1}", "A", [], []),
    ("${set:-2}", "VAL", [], []),  # ":-" is the default operator
    ("${set: -2}", "VAL", [], []),  # strconv.Atoi(" -2") fails: the value is returned
    ("${set:0:-1}", "VA", [], []),  # newer pkg; older releases panic
    ("${set:5}", "", [], []),
    ("${set:x}", "VAL", [], []),
    ("${U:0:2}", "ü", [], []),
    # length and case
    ("${#set}", "3", [], []),
    ("${#U}", "5", [], []),  # UTF-8 bytes
    ("${low^}", "Hello", [], []),
    ("${low^^}", "HELLO", [], []),
    ("${set,}", "vAL", [], []),
    ("${set,,}", "val", [], []),
    ("${set,^}", "VAL", [], []),
    # prefix/suffix strip (glob; * also matches /)
    ("${F#*.}", "string.txt", [], []),
    ("${F##*.}", "txt", [], []),
    ("${F%.*}", "bash.string", [], []),
    ("${F%%.*}", "bash", [], []),
    ("${P#*/}", "to/file", [], []),
    ("${P##*/}", "file", [], []),
    ("${set#V}", "AL", [], []),
    ("${set#x}", "VAL", [], []),
    ("${F#[a-c]*.}", "string.txt", [], []),
    # replace
    ("${D/./-}", "a-b.c", [], []),
    ("${D//./-}", "a-b-c", [], []),
    ("${D/#a/X}", "X.b.c", [], []),
    ("${D/%c/X}", "a.b.X", [], []),
    ("${D/#x/X}", "a.b.c", [], []),
    ("${D/./}", "ab.c", [], []),
    ("${D/%c/}", "a.b.c", [], []),  # one argument: replaceSuffix returns the value
    ("${P/\\//-}", "path-to/file", [], []),
    ("${P//\\//-}", "path-to-file", [], []),
    ("${D/#/X}", "Xa.b.c", [], []),  # empty pattern (newer pkg)
    ("${D/$$/X}", "a.b.c", [], []),
    # parse errors: text left in place
    ("${missing-d}", "${missing-d}", [], [MISSING_BRACE]),
    ("${missing+d}", "${missing+d}", [], [MISSING_BRACE]),
    ("${set//}", "${set//}", [], [BAD]),
    ("${}", "${}", [], [VAR_NAME_ERR]),
    ("${ set }", "${ set }", [], [VAR_NAME_ERR]),
    ("${{x}}", "${{x}}", [], [VAR_NAME_ERR]),
    ("${{ secrets.X }}", "${{ secrets.X }}", [], [VAR_NAME_ERR]),
    ("${@}", "${@}", [], [VAR_NAME_ERR]),
    ("${*}", "${*}", [], [VAR_NAME_ERR]),
    ("${!v}", "${!v}", [], [VAR_NAME_ERR]),
    ("${", "${", [], [VAR_NAME_ERR]),
    ("${a.b}", "${a.b}", [], [MISSING_BRACE]),
    ("${my-var}", "${my-var}", [], [MISSING_BRACE]),
    ("${kubelet-identity-client-id}", "${kubelet-identity-client-id}", [], [MISSING_BRACE]),
    ("${v[0]}", "${v[0]}", [], [MISSING_BRACE]),
    ("${set", "${set", [], [MISSING_BRACE]),
    ("${#arr[@]}", "${#arr[@]}", [], [BAD]),
    ("${#}", "${#}", [], [BAD]),
    ("${set:}", "${set:}", [], [FUNC_ERR]),
    ("${set#}", "${set#}", [], [FUNC_ERR]),
    ("${missing:=abc", "${missing:=abc", [], [FUNC_ERR]),
    ("${low^^^}", "${low^^^}", [], [BAD]),
    ("${x:${a}b}", "${x:${a}b}", [], [BAD]),
    ("ok ${set} then ${bad-name}", "ok ${set} then ${bad-name}", [], [MISSING_BRACE]),
    # names Flux can never define still parse
    ("${1abc}", "${1abc}", ["1abc"], []),
    ("${__rate_interval}", "${__rate_interval}", ["__rate_interval"], []),
    ("${ünï}", "${ünï}", ["ünï"], []),
    ("${SET}", "${SET}", ["SET"], []),  # case-sensitive
]


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lax"])
@pytest.mark.parametrize(("text", "expected", "unresolved", "errors"), TABLE, ids=[r[0] for r in TABLE])
def test_expression_table(text, expected, unresolved, errors, strict):
    assert substitute_string(text, VARS, strict=strict) == (expected, unresolved, errors)


# transformation operators on an undefined variable: error in strict, "" in lax
STRICT_LAX = [
    ("${missing^^}", "${missing^^}", ""),
    ("${missing,}", "${missing,}", ""),
    ("${#missing}", "${#missing}", "0"),
    ("${missing:1}", "${missing:1}", ""),
    ("${missing/a/b}", "${missing/a/b}", ""),
    ("${missing#p}", "${missing#p}", ""),
    ("${missing%%p}", "${missing%%p}", ""),
    ("x${missing//a/b}y", "x${missing//a/b}y", "xy"),
]


@pytest.mark.parametrize(("text", "strict_out", "lax_out"), STRICT_LAX)
def test_strict_vs_lax_transformations(text, strict_out, lax_out):
    assert substitute_string(text, VARS, strict=True) == (strict_out, ["missing"], [])
    assert substitute_string(text, VARS, strict=False) == (lax_out, [], [])


def test_default_operators_never_unresolved_in_either_mode():
    for op in (":=", "=", ":-", ":+", ":?"):
        for strict in (True, False):
            assert substitute_string("${missing" + op + "d}", {}, strict=strict)[1:] == ([], [])


def test_empty_value_is_set_in_strict_mode():
    assert substitute_string("a${empty}b", VARS, strict=True) == ("ab", [], [])
    assert substitute_string("${empty^^}", VARS, strict=True) == ("", [], [])


def test_newlines_are_deleted_from_values_carriage_returns_kept():
    assert substitute_string("${X}", {"X": "a\nb\n"}) == ("ab", [], [])
    assert substitute_string("${X}", {"X": "a\r\nb"}) == ("a\rb", [], [])
    out = substitute_object({"data": {"k": "v=${X}"}}, {"X": "line1\nline2\n"})
    assert out.obj == {"data": {"k": "v=line1line2"}}


def test_values_are_not_rescanned():
    assert substitute_string("${A}", {"A": "${B}", "B": "no"}) == ("${B}", [], [])
    assert substitute_string("${A}", {"A": "$$"}) == ("$$", [], [])


# -- the disabled marker -------------------------------------------------------------


@pytest.mark.parametrize(
    ("meta", "disabled"),
    [
        ({"labels": {SUBSTITUTE_ANNOTATION: "disabled"}}, True),
        ({"annotations": {SUBSTITUTE_ANNOTATION: "disabled"}}, True),
        ({"annotations": {SUBSTITUTE_ANNOTATION: "Disabled"}}, False),
        ({"annotations": {SUBSTITUTE_ANNOTATION: "false"}}, False),
        ({"annotations": {SUBSTITUTE_ANNOTATION: " disabled"}}, False),
        ({"annotations": {"kustomize.toolkit.fluxcd.io/decrypt": "disabled"}}, False),
        ({"annotations": None, "labels": ["x"]}, False),
        ({}, False),
    ],
)
def test_is_disabled(meta, disabled):
    assert is_disabled({"metadata": meta}) is disabled


def test_is_disabled_tolerates_odd_objects():
    assert is_disabled({}) is False
    assert is_disabled({"metadata": "x"}) is False
    assert is_disabled([]) is False  # type: ignore[arg-type]


# -- objects: types, keys, paths --------------------------------------------------------

TYPES = {
    "ID": "123",
    "OCT": "0123",
    "ON": "yes",
    "Y": "y",
    "FLOAT": "1.10",
    "NULL": "null",
    "EMPTY": "",
    "TRUE": "true",
    "Q": '"',
    "HOST": "example.com",
    "VER": "1.2.3",
    "NINE": "09",
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("${ID}", 123),  # "${ID}" in Git loses its quotes before substitution
        ("${OCT}", 83),
        ("${ON}", True),
        ("${Y}", True),
        ("${FLOAT}", 1.1),
        ("${NULL}", None),
        ("${EMPTY}", None),
        ("${TRUE}", True),
        ("${NINE}", 9.0),
        ("${Q}${ID}${Q}", "123"),  # documented workaround: a variable holding a double quote
        ("${HOST}", "example.com"),
        ("${VER}", "1.2.3"),
        ("v${ID}", "v123"),
        ("${ID}${ID}", 123123),
        ("*.${HOST}", "*.example.com"),  # printed quoted: stays a string
        ("${ID} # note", "123 # note"),  # printed quoted (" #")
        ("id: ${ID}", "id: 123"),
        (" ${ID}", " 123"),
        ("${missing}", "${missing}"),
        ("${ID}-${missing}", "123-${missing}"),
        ("$${ID}", "${ID}"),
        ("${missing:=42}", 42),
        ("${missing:=false}", False),
        ("${missing:='42'}", "42"),  # the default's quotes become YAML quotes
    ],
)
def test_type_change_after_substitution(value, expected):
    out = substitute_object({"metadata": {"annotations": {"a": value}}}, TYPES)
    got = out.obj["metadata"]["annotations"]["a"]
    assert got == expected and type(got) is type(expected)


def test_multiline_strings_stay_strings():
    out = substitute_object({"data": {"script": "#!/bin/sh\necho ${ID}\necho $${HOME} $$1\n"}}, TYPES)
    assert out.obj == {"data": {"script": "#!/bin/sh\necho 123\necho ${HOME} $1\n"}}


def test_sequence_items_and_paths():
    obj = {"spec": {"args": ["--id=${ID}", "${ID}", "${nope}", {"x": "${ON}"}]}}
    out = substitute_object(obj, TYPES)
    assert out.obj == {"spec": {"args": ["--id=123", 123, "${nope}", {"x": True}]}}
    assert out.unresolved == [Unresolved("nope", ("spec", "args", 2), "${nope}")]
    assert out.errors == []


def test_map_keys_are_substituted():
    obj = {"data": {"${HOST}": "a", "${ID}": "b", "${ON}": "c", "key-${missing}": "d", "$${lit}": "e"}}
    out = substitute_object(obj, TYPES)
    # non-string keys become JSON keys again (sigs.k8s.io/yaml)
    assert out.obj == {
        "data": {"example.com": "a", "123": "b", "true": "c", "key-${missing}": "d", "${lit}": "e"}
    }
    assert out.unresolved == [Unresolved("missing", ("data", "key-${missing}"), "${missing}")]


def test_key_that_becomes_null_is_an_error():
    out = substitute_object({"data": {"${EMPTY}": "a"}}, TYPES)
    assert [e.path for e in out.errors] == [("data", "${EMPTY}")]
    assert out.obj == {"data": {"${EMPTY}": "a"}}


def test_parse_errors_in_objects():
    obj = {"spec": {"values": {"expr": "${{ secrets.TOKEN }}", "ok": "${ID}"}}, "x": ["${a.b}"]}
    out = substitute_object(obj, TYPES, strict=False)
    assert out.obj == {"spec": {"values": {"expr": "${{ secrets.TOKEN }}", "ok": 123}}, "x": ["${a.b}"]}
    assert out.errors == [
        SubstitutionError(VAR_NAME_ERR, ("spec", "values", "expr"), "${{ secrets.TOKEN }"),
        SubstitutionError(MISSING_BRACE, ("x", 0), "${a.b}"),
    ]


@pytest.mark.parametrize(
    ("where", "value", "result", "broken"),
    [
        ("map", "a: b", "a: b", True),  # mapping values are not allowed here
        ("list", "a: b", {"a": "b"}, False),  # - a: b is a mapping
        ("map", "*.example.com", "*.example.com", True),  # an alias
        ("map", "[1, 2]", [1, 2], False),
        ("map", "{a: 1}", {"a": 1}, False),
        ("map", "x #comment", "x", False),
        ("map", "&anchor v", "v", False),
        ("map", "'quoted'", "quoted", False),
        ("map", '"unbalanced', '"unbalanced', True),
        ("map", "@at", "@at", True),
        ("map", "  padded  ", "padded", False),
        ("map", "-", "-", True),
        ("map", "- x", "- x", True),
    ],
)
def test_yaml_significant_values(where, value, result, broken):
    obj = {"v": "${X}"} if where == "map" else {"v": ["${X}"]}
    out = substitute_object(obj, {"X": value})
    got = out.obj["v"] if where == "map" else out.obj["v"][0]
    assert got == result
    assert bool(out.errors) is broken
    if broken:
        assert out.errors[0].message.startswith("YAMLToJSON")


def test_quoted_scalar_broken_by_value():
    # " ${X}" is printed single-quoted; a value with a quote breaks the quoting
    out = substitute_object({"v": " ${X}"}, {"X": "it's"})
    assert out.errors and out.obj == {"v": " ${X}"}
    out = substitute_object({"v": " ${X}"}, {"X": "fine"})
    assert out.obj == {"v": " fine"} and not out.errors
    # a tab forces double quotes; a double quote in the value breaks them
    out = substitute_object({"v": "\t${X}"}, {"X": 'say "hi"'})
    assert out.errors
    out = substitute_object({"v": "\t${X}"}, {"X": "ok"})
    assert out.obj == {"v": "\tok"} and not out.errors


def test_input_is_not_mutated_and_result_is_new():
    obj = {"a": {"b": ["${ID}", {"c": "${missing}"}]}, "${HOST}": [1, 2.5, None, True]}
    before = copy.deepcopy(obj)
    out = substitute_object(obj, TYPES)
    assert obj == before
    assert out.obj["a"] is not obj["a"] and out.obj["a"]["b"][1] is not obj["a"]["b"][1]
    out.obj["a"]["b"].append("x")
    assert obj == before


def test_shared_substructures_are_copied_per_use():
    shared = {"host": "${HOST}"}
    out = substitute_object({"a": shared, "b": shared, "c": [shared, "${nope}"]}, TYPES)
    assert out.obj["a"] == out.obj["b"] == {"host": "example.com"}
    assert out.obj["a"] is not out.obj["b"]
    assert [u.path for u in out.unresolved] == [("c", 1)]


@pytest.mark.slow
def test_budget_against_alias_bombs_and_cycles():
    layer = ["${ID}"] * 10
    for _ in range(7):
        layer = [layer] * 10  # 10**8 strings through shared lists
    with pytest.raises(SubstitutionBudgetExceeded):
        substitute_object({"x": layer}, TYPES, budget=100_000)
    with pytest.raises(SubstitutionBudgetExceeded):
        references({"x": layer}, budget=100_000)
    cyclic: list = []
    cyclic.append(cyclic)
    with pytest.raises(SubstitutionBudgetExceeded):
        substitute_object(cyclic, TYPES)
    with pytest.raises(SubstitutionBudgetExceeded):
        references(cyclic)
    assert substitute_object({"x": [["${ID}"] * 10] * 10}, TYPES, budget=200).obj["x"][9][9] == 123


@pytest.mark.slow
def test_deep_nesting_does_not_recurse():
    root = node = {}
    for _ in range(50_000):
        node["n"] = {}
        node = node["n"]
    node["v"] = "${missing}"
    out = substitute_object(root, {})
    assert len(out.unresolved) == 1 and len(out.unresolved[0].path) == 50_001
    assert len(references(root)) == 1


def test_expression_nesting_is_bounded():
    text = "${A:-" * 200 + "x" + "}" * 200
    result, unresolved, errors = substitute_string(text, {})
    assert result == text and errors == ["expression nesting too deep"]
    assert substitute_string("${A:-" * 20 + "x" + "}" * 20, {}) == ("x", [], [])


def test_scalars_and_other_roots():
    assert substitute_object("${ID}", TYPES).obj == 123
    assert substitute_object(5, TYPES).obj == 5
    assert substitute_object(None, TYPES).obj is None


# -- two-stage substitution (parent Kustomization, then the child's own build) ------------


def test_two_stage_substitution_through_child_kustomization():
    child_ks = {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": "apps", "namespace": "flux-system"},
        "spec": {
            "path": "./apps/${CLUSTER}",
            "postBuild": {
                "substitute": {
                    "domain": "${CLUSTER_DOMAIN}",
                    "greeting": "$${GREETING:=hi}",
                    "literal": "$${NOT_FOR_PARENT}",
                }
            },
        },
    }
    parent_vars = {"CLUSTER": "prod", "CLUSTER_DOMAIN": "prod.example.com"}
    stage1 = substitute_object(child_ks, parent_vars)
    assert stage1.unresolved == [] and stage1.errors == []
    spec = stage1.obj["spec"]
    assert spec["path"] == "./apps/prod"
    assert spec["postBuild"]["substitute"] == {
        "domain": "prod.example.com",
        "greeting": "${GREETING:=hi}",
        "literal": "${NOT_FOR_PARENT}",
    }
    child_vars = spec["postBuild"]["substitute"]
    app = {"metadata": {"annotations": {"host": "app.${domain}", "lit": "${literal}", "g": "${greeting}"}}}
    stage2 = substitute_object(app, child_vars)
    # values are inserted verbatim: the child's own variables are not expanded again
    assert stage2.obj["metadata"]["annotations"] == {
        "host": "app.prod.example.com",
        "lit": "${NOT_FOR_PARENT}",
        "g": "${GREETING:=hi}",
    }


def test_disabled_child_is_the_callers_decision():
    ks = {"metadata": {"annotations": {SUBSTITUTE_ANNOTATION: "disabled"}}, "spec": {"path": "${X}"}}
    assert is_disabled(ks)
    assert substitute_object(ks, {"X": "z"}).obj["spec"]["path"] == "z"  # substitute_object does not check
    assert substitute_object(ks, {"X": "y"}).obj["spec"]["path"] is True  # YAML 1.1: y is a boolean


# -- references ---------------------------------------------------------------------------


def test_references():
    obj = {
        "a": "${A:-${B}} $${C} ${D/x/y} ${E:=1}",
        "${K}": ["${L}", "$L"],
        "bad": "${x-y} ${z}",
        "n": 5,
    }
    assert references(obj) == [
        ("A", ("a",), True),
        ("B", ("a",), False),
        ("D", ("a",), False),
        ("E", ("a",), True),
        ("K", ("${K}",), False),
        ("L", ("${K}", 0), False),
        ("x", ("bad",), False),  # unparsable text: lenient scan
        ("z", ("bad",), False),
    ]


# -- helpers: YAML resolution and emitter style -----------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0123", 83),
        ("123", 123),
        ("-5", -5),
        ("+1", 1),
        ("1_000", 1000),
        ("0x1F", 31),
        ("0o17", 15),
        ("0b11", 3),
        ("09", 9.0),
        ("1.10", 1.1),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("1.", 1.0),
        ("true", True),
        ("True", True),
        ("yes", True),
        ("Y", True),
        ("on", True),
        ("OFF", False),
        ("n", False),
        ("NO", False),
        ("null", None),
        ("~", None),
        ("", None),
        ("yEs", "yEs"),
        ("nil", "nil"),
        ("1.2.3", "1.2.3"),
        ("2024-01-01", "2024-01-01"),  # timestamps decode to strings
        ("1:30", "1:30"),  # no base-60 in go-yaml v2
        ("1e999", "1e999"),
        ("18446744073709551615", 18446744073709551615),
        ("inf", "inf"),
        ("0x", "0x"),
        ("-", "-"),
    ],
)
def test_resolve_plain_scalar(text, expected):
    got = resolve_plain_scalar(text)
    assert got == expected and type(got) is type(expected)


def test_resolve_plain_scalar_special_floats():
    assert resolve_plain_scalar(".inf") == math.inf
    assert resolve_plain_scalar("-.Inf") == -math.inf
    assert math.isnan(resolve_plain_scalar(".NaN"))


@pytest.mark.parametrize(
    ("text", "style"),
    [
        ("${X}", "plain"),
        ("https://${H}:8443/x", "plain"),
        ("a: ${X}", "single"),
        ("${X} #c", "single"),
        ("*.${D}", "single"),
        (" ${X}", "single"),
        ("-", "single"),
        ("123", "double"),
        ("true", "double"),
        ("", "double"),
        ("a\nb", "literal"),
        ("a \nb", "double"),
        ("a\tb", "double"),
        ("\U0001f600${X}", "double"),
    ],
)
def test_emit_style(text, style):
    assert emit_style(text) == style


def test_var_name_regex_is_ascii_and_anchored():
    assert VAR_NAME.match("cluster_env") and VAR_NAME.match("_X1")
    for bad in ("1abc", "my-var", "tls.crt", "ünï", "abc\n", ""):
        assert not VAR_NAME.match(bad)
