"""Post-build substitution's results kept with the builds (``buildcache.KeptSubstitutions``).

A run after a change takes what substitution made of each object of a kept build from the
run before, by the object's content key (the kept text and the variables), and prints what
a run without the cache prints; other variables are another key; a result made through a
Secret's value is never written to the cache; JSON keeps a result exactly or not at all.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitops_lint import cache as cache_module
from gitops_lint.buildcache import SUBSTITUTED_SIDE
from gitops_lint.substitute.engine import (
    SubstitutionError,
    SubstitutionNote,
    SubstitutionResult,
    Unresolved,
    decode_result,
    encode_result,
)
from tests.helpers import kept_records, lint_watching, side_shards
from tests.test_schema_kept import LABEL, make, touch


def lint(root: Path, *args: str, jobs: str = "1") -> dict:
    return lint_watching(root, *args, jobs=jobs, side=SUBSTITUTED_SIDE)


def kept(root: Path) -> dict[str, str]:
    return kept_records(root, SUBSTITUTED_SIDE)


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_run_after_a_change_takes_the_kept_substitutions(tmp_path, jobs):
    # with workers, clusters are built in a worker too, whose substitutions come back to be kept
    root = make(tmp_path, clusters=("dev", "prod", "test"))
    cold = lint(root, "--no-cache", jobs=jobs)
    first = lint(root, jobs=jobs)  # every build new: nothing keyed
    assert first.get("new", 0) == 0 and not kept(root)
    touch(root, 1)
    second = lint(root, jobs=jobs)  # the apps' build kept: b substituted, one result per cluster's variables
    assert second["used"] == 0 and second["new"] >= 1
    assert len(kept(root)) == second["new"]
    touch(root, 2)
    third = lint(root, jobs=jobs)
    assert (third["new"], third["used"]) == (0, second["new"])
    assert third["out"] == second["out"] == first["out"] == cold["out"]


@pytest.mark.slow
def test_other_variables_substitute_again(tmp_path):
    root = make(tmp_path)
    lint(root)
    touch(root, 1)
    lint(root)
    apps = root / "clusters/dev/apps.yaml"
    apps.write_text(apps.read_text().replace("SIZE: '3'", "SIZE: '7'"))
    warm = lint(root)
    assert warm["used"] == 0 and warm["new"] == 1  # b, under its new key
    cold = lint(root, "--no-cache")
    assert warm["out"] == cold["out"]


@pytest.mark.slow
def test_a_result_made_through_a_secrets_value_is_never_written(tmp_path):
    root = make(tmp_path, source="secret")
    lint(root)
    touch(root, 1)
    second = lint(root)
    assert second["new"] == 1 and not kept(root)  # b's variables hold the Secret's value
    touch(root, 2)
    assert lint(root)["out"] == lint(root, "--no-cache")["out"]
    for path in (root / cache_module.DIR_NAME).rglob("*"):
        if path.is_file():
            assert LABEL.encode() not in path.read_bytes(), path


@pytest.mark.slow
def test_a_damaged_record_is_substituted_again(tmp_path):
    root = make(tmp_path)
    lint(root)
    touch(root, 1)
    lint(root)
    (shard,) = side_shards(root, SUBSTITUTED_SIDE)
    lines = shard.read_text().split("\n")
    key, checksum, payload = lines[1].split("\t")
    lines[1] = f"{key}\t{checksum}\t{payload.replace(':3', ':4')}"  # b's size, its checksum kept
    shard.write_text("\n".join(lines))
    touch(root, 2)
    warm = lint(root)
    assert (warm["used"], warm["new"]) == (0, 1)
    assert warm["out"] == lint(root, "--no-cache")["out"]


# -- the encoding -------------------------------------------------------------------------

_paths = st.lists(st.one_of(st.text(max_size=5), st.integers(0, 9)), max_size=4).map(tuple)
_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)
_results = st.builds(
    SubstitutionResult,
    st.dictionaries(st.text(max_size=5), _json, max_size=4),
    st.lists(st.builds(Unresolved, st.text(max_size=5), _paths, st.text(max_size=8)), max_size=2),
    st.lists(st.builds(SubstitutionError, st.text(max_size=8), _paths, st.text(max_size=8)), max_size=2),
    st.lists(
        st.builds(
            SubstitutionNote,
            st.sampled_from(["retyped", "dollars", "alternative"]),
            _paths,
            st.text(max_size=8),
            st.integers(1, 3),
            st.sampled_from(["", "an integer"]),
        ),
        max_size=2,
    ),
    st.lists(st.builds(Unresolved, st.text(max_size=5), _paths, st.text(max_size=8)), max_size=2),
)


def _floats(value) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [f for v in value for f in _floats(v)] if isinstance(value, list) else []


@given(_results)
def test_a_result_is_kept_exactly_or_not_at_all(result):
    text = encode_result(result)
    if any(not math.isfinite(f) for f in _floats(result.obj)):
        assert text is None  # JSON holds no NaN or infinity
        return
    assert text is not None and text.isascii() and "\n" not in text
    back = decode_result(text)
    assert back == result
    assert json.dumps(back.obj) == json.dumps(result.obj)  # the same types, keys in order
    assert all(type(p) is tuple for r in back.unresolved + back.unknown + back.errors for p in [r.path])


def test_values_json_would_change_are_not_kept():
    assert encode_result(SubstitutionResult({"a": (1, 2)}, [], [])) is None  # a tuple reads back a list
    assert encode_result(SubstitutionResult({1: "x"}, [], [])) is None  # a key that is not text
    assert encode_result(SubstitutionResult({"a": [1.0, True]}, [], [])) is not None
    assert decode_result('[{"a":1},[],[],[["nonsense",[],"",1,""]],[]]') is None
    assert decode_result("[1, 2]") is None and decode_result("{") is None
