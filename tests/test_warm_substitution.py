"""A kept build's objects without ``${`` or ``$$`` are taken as they are, not substituted (issue 18).

On a run that reuses kept kustomize builds (``render.memo.KeepingRenderer``), the
cluster builder skips substitution's walk for each decoded object whose JSON text
holds neither ``${`` nor ``$$`` (a bare ``$``, as in a CRD's ``pattern``, Flux leaves
as it is): the walk would return an equal copy and nothing else
(``substitute.engine.unchanged``). These tests hold that claim against the walk,
the decoding that says which objects hold a ``$``, and a warm run's output against a
cold one's.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint import cache as cache_module
from gitops_lint.core.data import Origin
from gitops_lint.model import cluster as cluster_module
from gitops_lint.render import memo
from gitops_lint.substitute import engine
from gitops_lint.substitute.engine import Variables, substitute_object, unchanged
from tests.helpers import GOTK, ks, run_cli, write_tree

# JSON values as a kept build holds them: string keys, no container twice
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
)


def _bare(text):
    """Texts in which every ``$`` is followed by something other than ``{`` or ``$``."""
    return text.map(lambda t: re.sub(r"\$(?=[{$])", "$a", t))


def _plain(alphabet: str, bare: bool = False):
    text = st.text(alphabet=alphabet, max_size=12)
    if bare:
        text = _bare(text)
    return st.recursive(
        _SCALARS | text,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
        max_leaves=25,
    )


_NO_DOLLAR = _plain("ab{}:-= /\n\u00e9\u2028'\"")
# texts with bare dollars: every ``$`` followed by something other than ``{`` or ``$``
_BARE_DOLLAR = _plain("ab{}$:-= /\n\u00e9\u2028'\"\\", bare=True)
_ANY = _plain("ab{}$:-= /\u00e9")
_VARIABLES = st.dictionaries(
    st.sampled_from(["a", "b", "A_1"]), st.text(alphabet="ab${}\n", max_size=5), max_size=3
)


def _expression(value) -> bool:
    """Does any key or string of ``value`` hold ``${`` or ``$$`` (what Flux may change)?"""
    if isinstance(value, str):
        return "${" in value or "$$" in value
    if isinstance(value, dict):
        return any(_expression(k) or _expression(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_expression(v) for v in value)
    return False


def _same(a, b) -> bool:
    """Equal as JSON values (``1``, ``1.0`` and ``true`` told apart)."""
    return json.dumps(a) == json.dumps(b)


def _substitutes_to_itself(obj, values) -> None:
    before = copy.deepcopy(obj)
    for variables in (Variables(values, False), Variables(values, True)):
        walked = substitute_object(obj, variables, strict=True)
        taken = unchanged(obj)
        assert _same(walked.obj, taken.obj)
        assert taken.obj is obj
        assert (walked.unresolved, walked.errors, walked.notes, walked.unknown) == ([], [], [], [])
        assert (taken.unresolved, taken.errors, taken.notes, taken.unknown) == ([], [], [], [])
    assert _same(obj, before)  # the walk never changes its input


@settings(max_examples=150, deadline=None)
@given(obj=st.dictionaries(st.text(alphabet="ab:{}", max_size=6), _NO_DOLLAR, max_size=5), values=_VARIABLES)
def test_an_object_without_a_dollar_substitutes_to_itself_and_nothing_else(obj, values):
    _substitutes_to_itself(obj, values)


@settings(max_examples=150, deadline=None)
@given(
    obj=st.dictionaries(_bare(st.text(alphabet="ab:{}$", max_size=6)), _BARE_DOLLAR, max_size=5),
    values=_VARIABLES,
)
def test_an_object_with_only_bare_dollars_substitutes_to_itself_and_nothing_else(obj, values):
    # "^[a-z]+$", "$HOME", "a$ {": Flux parses only text with "${" or "$$" (FLUX-SEMANTICS 1.3)
    _substitutes_to_itself(obj, values)


@settings(max_examples=150, deadline=None)
@given(objects=st.lists(st.dictionaries(st.text(alphabet="ab$", max_size=4), _ANY, max_size=4), max_size=5))
def test_decoding_a_kept_build_says_which_objects_hold_an_expression(objects):
    items = [(obj, Origin(f"f{i}.yaml", i + 1, i)) for i, obj in enumerate(objects)]
    text = memo.joined(memo.encode_items(items))
    decoded, spans, refs = memo._decode_served(text)
    assert decoded == memo._checked(json.loads(text))[0]  # as the whole text decodes
    assert refs == [None] * len(objects)
    texts = [text[a:b] for a, b in spans]
    assert texts == memo.encode_items(items)  # each item's span is its own text
    sizes, _ = memo.item_facts(texts, [o for _, o in decoded], refs, {})
    assert _same([o for o, _ in decoded], objects)
    assert [o for _, o in decoded] == [o for _, o in items]
    assert len(sizes) == len(objects)
    for (obj, origin), size in zip(items, sizes, strict=True):
        item_text = json.dumps([obj, [origin.file, origin.line, origin.doc_index]], separators=(",", ":"))
        if _expression(obj):  # never skips a substitution
            assert size is None
        else:  # and skips every other one, but for one with a "$" and an escape (é is "\\u00e9")
            assert (size is None) == ("$" in item_text and "\\u" in item_text)
        if size is not None:
            assert (
                size == len(memo.joined(memo.encode_items([(obj, origin)]))) - 2
            )  # without its list's brackets


def test_a_text_laid_out_otherwise_is_decoded_whole_without_spans():
    items = [({"kind": "A"}, Origin("a.yaml", 1, 0)), ({"kind": "B"}, Origin("b.yaml", 2, 1))]
    spaced = json.dumps([[o, [w.file, w.line, w.doc_index]] for o, w in items])
    assert memo._decode_served(spaced) == (items, None, [None, None])
    assert memo._decode_served("[]") == ([], [], [])
    for damaged in ("", "[", "[[{}]]", '[[{"a":1},["a",1,0]]', '[[{"a":1},["a",1,0]]]x', "{}"):
        assert memo._decode_served(damaged) == (None, None, None)


def test_an_escaped_dollar_in_a_kept_text_still_counts_as_a_dollar():
    # encode_items writes "$" as it is; a text written otherwise (escaped) must not skip
    # the substitution of an object that holds one
    text = '[[{"v":"\\u0024{X}"},["a.yaml",1,0]],[{"v":"plain"},["b.yaml",2,1]]]'
    decoded, spans, refs = memo._decode_served(text)
    assert decoded[0][0] == {"v": "${X}"}
    sizes, _ = memo.item_facts([text[a:b] for a, b in spans], [o for _, o in decoded], refs, {})
    assert sizes[0] is None and sizes[1] is not None


def test_a_dollar_before_an_escaped_brace_still_counts_as_an_expression():
    text = '[[{"v":"$\\u007bX}"},["a.yaml",1,0]],[{"v":"^[a-z]+$"},["b.yaml",2,1]]]'
    decoded, spans, refs = memo._decode_served(text)
    assert decoded[0][0] == {"v": "${X}"}
    sizes, _ = memo.item_facts([text[a:b] for a, b in spans], [o for _, o in decoded], refs, {})
    assert sizes[0] is None and sizes[1] is not None


def test_each_serving_of_a_kept_text_is_new_objects():
    text = memo.joined(memo.encode_items([({"spec": {"a": [1, {"b": "c"}]}}, Origin("a.yaml", 1, 0))]))
    first, _, _ = memo._decode_served(text)
    second, _, _ = memo._decode_served(text)
    first[0][0]["spec"]["a"][1]["b"] = "changed"  # a later change in place stays in its object
    assert second[0][0] == {"spec": {"a": [1, {"b": "c"}]}}


# -- a warm run -------------------------------------------------------------------------------

KUST = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
SUBSTITUTE = "  postBuild:\n    substitute:\n      DOMAIN: example.org\n      REPLICAS: '3'\n"
TREE = {
    **GOTK,
    "clusters/dev/apps.yaml": ks("apps", "./apps", extra=SUBSTITUTE),
    "apps/kustomization.yaml": KUST + "resources:\n  - plain.yaml\n  - vars.yaml\n",
    "apps/plain.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n  namespace: default\n"
    "data:\n  a: b\n",
    "apps/vars.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: vars\n  namespace: default\n"
    "data:\n  host: app.${DOMAIN}\n  replicas: ${REPLICAS}\n  missing: ${UNDEFINED_VAR}\n",
}


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    monkeypatch.delenv(cache_module.ENV_OFF, raising=False)
    monkeypatch.delenv(cache_module.ENV_DIR, raising=False)
    root = write_tree(tmp_path / "repo", TREE)
    (root / ".git").mkdir()
    return root


def test_a_warm_run_walks_only_the_objects_with_a_dollar_and_prints_the_cold_output(repo, monkeypatch):
    walked: list[str] = []
    original = cluster_module.substitute_object

    def counting(obj, *args, **kwargs):
        walked.append(obj["metadata"]["name"])
        return original(obj, *args, **kwargs)

    monkeypatch.setattr(cluster_module, "substitute_object", counting)
    for fmt in ("json", "text"):
        cold = run_cli(str(repo), "--root", str(repo), "--format", fmt, "--no-cache")
        assert "UNDEFINED_VAR" in cold[1]
        assert run_cli(str(repo), "--root", str(repo), "--format", fmt) == cold
        for entry in (repo / cache_module.DIR_NAME).glob("v*/run-*.json"):
            entry.unlink()
        walked.clear()
        assert run_cli(str(repo), "--root", str(repo), "--format", fmt) == cold
        # the first warm run walks it; the next takes what it made (buildcache.KeptSubstitutions)
        assert ("vars" in walked) == (fmt == "json")
        assert "plain" not in walked


# -- scalars' results shared across Kustomizations ------------------------------------------

_TEXTS = st.sampled_from(
    [
        "${A}",
        "a-${A}-${B}",
        "${A:=x}",
        "${B:-${A}}",
        "${C:+set}",
        "${A:?missing}",
        "$${A}",
        "${A",
        "${A}${C}",
        "true",
        "${B}",
        "x: ${A}",
        "${A/a/b}",
        "${#B}",
    ]
)
_VALUES = st.dictionaries(
    st.sampled_from(["A", "B", "C"]),
    st.sampled_from(["1", "true", "a b", "x\ny", "", "{a: b}", "null"]),
    max_size=3,
)


def _fresh(obj, variables):
    engine._ANALYSES.clear()
    engine._RESULTS.clear()
    return substitute_object(obj, variables, strict=True)


def _as_json(result) -> str:
    return json.dumps(
        [
            result.obj,
            *[
                [repr(x) for x in part]
                for part in (result.unresolved, result.errors, result.notes, result.unknown)
            ],
        ]
    )


@settings(max_examples=150, deadline=None)
@given(
    runs=st.lists(
        st.tuples(
            st.lists(_TEXTS, min_size=1, max_size=4), _VALUES, st.booleans(), st.sampled_from(["A", "B", "C"])
        ),
        min_size=1,
        max_size=5,
    )
)
def test_a_scalar_substitutes_the_same_whatever_was_substituted_before(runs):
    """The process-wide memo of scalars (by text, place and the values their expressions
    read) gives what a fresh computation gives, for variables known, unset or unknown."""
    engine._ANALYSES.clear()
    engine._RESULTS.clear()
    shared = []
    for texts, values, is_open, unknown in runs:
        obj = {"data": {t: t for t in texts}, "list": list(texts)}
        variables = Variables({**values, unknown: engine.UNKNOWN} if is_open else values, is_open)
        shared.append(
            (obj, values, is_open, unknown, _as_json(substitute_object(obj, variables, strict=True)))
        )
    for obj, values, is_open, unknown, got in shared:
        variables = Variables({**values, unknown: engine.UNKNOWN} if is_open else values, is_open)
        assert got == _as_json(_fresh(obj, variables))


def test_an_inner_expression_s_variable_is_part_of_the_memo_s_key():
    engine._ANALYSES.clear()
    engine._RESULTS.clear()
    obj = {"a": "${B:-${A}}", "b": "${B:=${C:-x}}"}
    for values in ({"B": "1", "A": "2", "C": "3"}, {"B": "1"}, {"A": "2"}, {"C": "3"}, {}):
        got = _as_json(substitute_object(obj, Variables(values), strict=True))
        assert got == _as_json(_fresh(obj, Variables(values)))
