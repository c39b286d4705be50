"""cel-python's verdicts remembered by rule and value (``schema.cel._RESULTS``): the same
failures, the same steps charged to each object's budget, the same "not evaluated" notes
as evaluating every time, on rules outside the fast subset."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.schema import budget, cel

RULES = [
    "self.l.size() > 2 ? self.l.all(v, v > 0) : true",
    "self.l.exists_one(v, v == 1)",
    "self.l.all(x, self.l.all(y, x + y < 150))",  # quadratic: runs out on long lists
    "self.l.all(x, self.l.all(y, self.l.all(z, x + y + z < 300)))",  # cubic
    "self.s.matches('^a+$')",
    "size(self.l) < 3",
    "self.m.all(k, k.startsWith('a'))",
    "self.n + 1 > 2",  # an error when n is absent or not a number
    "self.s",  # not a boolean
]

values = st.fixed_dictionaries(
    {},
    optional={
        "l": st.lists(st.integers(-5, 120), max_size=20),
        "s": st.sampled_from(["", "a", "aaa", "ab", "é"]),
        "m": st.dictionaries(st.sampled_from(["a1", "b", "ac"]), st.integers(0, 3), max_size=3),
        "n": st.one_of(st.integers(0, 3), st.floats(0, 3), st.booleans(), st.text(max_size=2)),
    },
)
objects = st.lists(
    st.tuples(st.lists(st.sampled_from(RULES), min_size=1, max_size=5, unique=True), values),
    min_size=1,
    max_size=6,
)


def run(batch, remember: bool) -> list:
    out = []
    for rules, value in batch:
        if not remember:
            cel._RESULTS.clear()
        with budget.checking() as steps:
            failures = cel.evaluate([{"rule": r} for r in rules], value)
        out.append(([f.rule for f in failures], steps.cel_left, list(steps.notes)))
    return out


@settings(max_examples=40)
@given(objects)
def test_remembered_verdicts_are_the_verdicts(batch):
    backwards = list(reversed(batch))
    fresh, fresh_backwards = run(batch, remember=False), run(backwards, remember=False)
    run(batch, remember=True)  # fills the memo
    assert run(batch, remember=True) == fresh
    assert run(backwards, remember=True) == fresh_backwards  # other budgets left when met


def test_a_value_seen_again_is_not_evaluated_again(monkeypatch):
    cel._RESULTS.clear()
    rule = [{"rule": "self.l.exists_one(v, v == 1)"}]
    calls = []
    real = cel._run
    monkeypatch.setattr(cel, "_run", lambda *a: calls.append(1) or real(*a))
    for _ in range(3):
        assert cel.evaluate(rule, {"l": [1, 2]}) == []
        assert [f.rule for f in cel.evaluate(rule, {"l": [1, 1]})] == [rule[0]["rule"]]
    assert cel.evaluate(rule, {"l": [1.0, 2]}) == []  # 1.0 is another value than 1
    assert len(calls) == 3


def test_a_remembered_evaluation_still_runs_out_where_the_budget_is_spent():
    """Met first with a whole budget, then after other rules spent most of the object's:
    it runs out and says so, as evaluating it again would."""
    value = {"l": list(range(20))}  # each rule below: about 9,700 of the object's 60,000 steps
    rules = [f"self.l.all(x, self.l.all(y, x + y < {1000 + i}))" for i in range(7)]
    batch = [([rules[0]], value), (rules[1:] + rules[:1], value)]
    fresh = run(batch, remember=False)
    assert any("not evaluated" in note for note in fresh[1][2]), fresh
    assert run(batch, remember=True) == fresh
