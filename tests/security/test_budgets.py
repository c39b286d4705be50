"""Issue 15.5, the quadratic half: inputs that grow in one dimension stay linear, and
one run has a global budget (gitops_lint/core/budget.py) that ends it with a finding.

Each timed case runs under a CPU-time ``deadline`` (with a wall-clock hang
guard) at a size where the old, quadratic code took more than ten times that
(measured on 2 shared cores: numbers in each test). The sizes are small enough for the suite; the
benchmark (benchmarks/bench_hostile.py) runs the whole-process versions.
"""

from __future__ import annotations

import contextlib
import functools
import signal
from pathlib import Path
from types import SimpleNamespace

import pytest

from gitops_lint.core import budget
from gitops_lint.core.data import Finding, ObjectRef, Origin, Severity
from gitops_lint.core.fs import RepoFS
from gitops_lint.load import loader
from gitops_lint.load.config import Config
from gitops_lint.load.loader import DocumentCache, parse_text
from gitops_lint.load.suppress import Suppressions
from gitops_lint.rules import duplicate_object
from gitops_lint.rules.base import Context
from gitops_lint.vocabulary import rule_names
from tests.helpers import GOTK, ks, least_seconds, lint_repo, write_tree
from tests.test_hostile import Expired
from tests.test_hostile import deadline as wall_deadline


@contextlib.contextmanager
def deadline(seconds: float):
    """Fail when the body uses more than ``seconds`` of CPU (a measure that a busy
    machine does not inflate), or hangs ten times that long on the wall clock."""

    def expired(signum, frame):
        raise Expired(f"still running after {seconds}s of CPU")

    old = signal.signal(signal.SIGPROF, expired)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        with wall_deadline(seconds * 10):
            yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)


CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d, namespace: default}\ndata: {a: b}\n"


@pytest.mark.slow
def test_field_positions_of_40000_values_in_one_mapping(tmp_path):
    # old: each lookup scanned the mapping; 10,000 lookups over 10,000 keys took 10 s,
    # four times more took sixteen times longer (about 170 s)
    n = 40_000
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n" + "".join(
        f"  k{i}: v\n" for i in range(n)
    )
    (tmp_path / "cm.yaml").write_text(text)
    cache = DocumentCache(RepoFS(str(tmp_path)))
    cache.load("cm.yaml")
    origin = Origin("cm.yaml", 1, 0)
    assert cache.field_position(origin, ("data", "k0")) == (5, 3)  # composes the file once, untimed
    with deadline(5):
        lines = [cache.field_position(origin, ("data", f"k{i}"))[0] for i in range(n)]
    assert lines == list(range(5, 5 + n))
    assert cache.field_position(origin, ("data", "absent")) == (4, 1)  # the deepest existing parent


@pytest.mark.slow
def test_duplicate_object_with_20000_owners_of_one_object():
    # old: the owner lists were searched per object: 5,000 owners took 25 s (about 400 s for 20,000)
    n = 20_000
    ref = ObjectRef("ConfigMap", "default", "shared", "v1")
    objects = [
        SimpleNamespace(
            ref=ref,
            applied_by=ObjectRef(
                "Kustomization", "flux-system", f"k{i:05}", "kustomize.toolkit.fluxcd.io/v1"
            ),
            obj={"metadata": {"name": "shared"}},
            origin=Origin("apps/cm.yaml", 1, 0),
            unresolved=[],
        )
        for i in range(n)
    ]
    cluster = SimpleNamespace(objects=objects, kustomizations={})
    with deadline(5):
        hits = list(duplicate_object.check(Context(None, None, Config(), cluster)))  # type: ignore[arg-type]
    assert len(hits) == 1
    assert f"and {n - 1 - duplicate_object.SHOWN} more" in hits[0].message
    assert "also by Kustomization flux-system/k00000" in hits[0].message


@pytest.mark.slow
def test_20000_documents_each_with_a_suppression_comment(tmp_path):
    # old: each comment was matched against each document and counted lines from the
    # start of the file: 5,000 documents took 44 s (about 700 s for 20,000)
    n = 20_000
    text = "---\n".join(
        f"# gitops-lint: disable={'plaintext-secret' if i % 2 else 'GL603'}\nkind: K{i}\nx: 1\n"
        for i in range(n)
    )
    (tmp_path / "cm.yaml").write_text(text)
    with deadline(20):
        loaded = parse_text(text, "cm.yaml")
        comments = Suppressions(
            RepoFS(str(tmp_path)), SimpleNamespace(files={"cm.yaml": loaded}), rule_names()
        )

        def finding(rule: str, line: int) -> Finding:
            return Finding(rule=rule, code="", severity=Severity.ERROR, message="", file="cm.yaml", line=line)

        rules = ["plaintext-secret" if i % 2 else "missing-namespace" for i in range(n)]
        hits = [comments.covers(finding(r, d.origin.line + 1)) for r, d in zip(rules, loaded.documents)]
    assert len(loaded.documents) == n and all(hits)
    assert loaded.documents[1].disabled_rules == frozenset({"plaintext-secret"})
    assert not comments.covers(finding("plaintext-secret", loaded.documents[0].origin.line + 1))


def _alias_doc(i: int, levels: int = 5) -> str:
    """A document expanding to ~1,100,000 nodes: under one document's budget alone."""
    lines = ["  l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for j in range(1, levels + 1):
        lines.append(f"  l{j}: &l{j} [" + ", ".join([f"*l{j - 1}"] * 10) + "]")
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\ndata:\n" + "\n".join(lines) + "\n"


def test_the_alias_budget_is_per_file():
    # old: 100 such documents (60 KB) each passed and expanded to 4 GB downstream
    text = "---\n".join(_alias_doc(i) for i in range(100))
    with deadline(10):
        loaded = parse_text(text, "a.yaml")
    assert len(loaded.documents) == 1  # the second document crosses the file's 2,000,000
    assert len(loaded.errors) == 1 and "alias bomb" in loaded.errors[0].message
    assert "rest of the file" in loaded.errors[0].message
    assert loaded.errors[0].line == text.split("---\n")[0].count("\n") + 2  # the second document
    single = parse_text(_alias_doc(0), "b.yaml")
    assert not single.errors and single.nodes > 1_000_000


def _repo(tmp_path: Path, files: int, per_file: int) -> Path:
    tree = {**GOTK, "clusters/dev/apps.yaml": ks("apps", "./apps")}
    for f in range(files):
        tree[f"apps/f{f:03}.yaml"] = "---\n".join(CM % (f * per_file + i) for i in range(per_file))
    tree["apps/plain-secret.yaml"] = (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\nstringData: {pw: hunter2-long-value}\n"
    )
    (tmp_path / ".git").mkdir()
    return write_tree(tmp_path, tree)


def test_an_exceeded_node_budget_is_one_finding_and_the_run_ends_cleanly(tmp_path, monkeypatch):
    root = _repo(tmp_path, files=40, per_file=20)
    monkeypatch.setattr(loader, "Budget", functools.partial(budget.Budget, max_nodes=5_000))
    with deadline(30):
        result = lint_repo(root, config=Config())
    spent = [f for f in result.findings if "stopped here" in f.message]
    assert len(spent) == 1, [f.message for f in result.findings]
    assert spent[0].rule == "yaml-syntax" and spent[0].severity.name == "ERROR"
    assert "5,000 YAML nodes" in spent[0].message and spent[0].file.startswith(("apps/", "clusters/"))
    monkeypatch.undo()
    assert not [f for f in lint_repo(root, config=Config()).findings if "stopped here" in f.message]


def test_an_exceeded_object_budget_is_one_finding(tmp_path, monkeypatch):
    root = _repo(tmp_path, files=5, per_file=10)
    monkeypatch.setattr(loader, "Budget", functools.partial(budget.Budget, max_objects=20))
    with deadline(30):
        result = lint_repo(root, config=Config())
    spent = [f for f in result.findings if "stopped here" in f.message]
    assert len(spent) == 1 and "20 rendered objects" in spent[0].message
    assert spent[0].file.startswith("apps/f")


def test_build_over_budget_is_a_one_line_error(tmp_path, monkeypatch):
    from tests.helpers import run_cli

    root = _repo(tmp_path, files=5, per_file=10)
    monkeypatch.setattr(loader, "Budget", functools.partial(budget.Budget, max_nodes=100))
    with deadline(30):
        code, out, err = run_cli("build", str(root / "apps"), "--root", str(root))
    assert code == 2 and err.count("\n") == 1 and "stopped here" in err and "100 YAML nodes" in err, err


def _chain_cluster(n: int, suspended: int):
    """Kustomizations k0 ... k(n-1), each applied by the previous one; ``suspended`` is suspended."""
    kustomizations = {}
    parent = None
    for i in range(n):
        ref = ObjectRef("Kustomization", "flux-system", f"k{i}", "kustomize.toolkit.fluxcd.io/v1")
        ks_obj = SimpleNamespace(ref=ref, parent=parent, spec={"suspend": True} if i == suspended else {})
        kustomizations[ref.key()] = ks_obj
        parent = ref
    return SimpleNamespace(kustomizations=kustomizations)


def test_suspended_roots_of_a_chain_20000_deep():
    # old: each Kustomization walked its whole chain of parents: 1,000 nested
    # Kustomizations took 6 s of CPU in a lint, 2,000 took 30 s
    from gitops_lint.model.suspend import suspended_roots

    n = 20_000
    cluster = _chain_cluster(n, suspended=n // 2)
    with deadline(5):
        under = suspended_roots(cluster)  # type: ignore[arg-type]
    top = ObjectRef("Kustomization", "flux-system", f"k{n // 2}", "kustomize.toolkit.fluxcd.io/v1")
    assert len(under) == n - n // 2 and set(under.values()) == {top}
    # a cycle of parents (never rendered by Flux, but input): still an answer, no hang
    cyclic = _chain_cluster(3, suspended=1)
    first = next(iter(cyclic.kustomizations.values()))
    first.parent = list(cyclic.kustomizations.values())[-1].ref
    assert len(suspended_roots(cyclic)) == 3  # type: ignore[arg-type]


def test_graph_tree_of_a_chain_10000_deep_and_of_stacked_diamonds():
    # old: a recursive walk (RecursionError at 10,000), re-expanding every shared
    # subtree (2 ** 40 lines for 40 levels of two Kustomizations applying the next two)
    from gitops_lint.graph.dependson import to_tree
    from gitops_lint.graph.digraph import DiGraph

    chain = DiGraph()
    for i in range(10_000):
        chain.add_edge(("Kustomization", "ns", f"k{i}"), ("Kustomization", "ns", f"k{i + 1}"), applies=True)
    with deadline(10):
        text = to_tree(chain, ("Kustomization", "ns", "k0"))
    assert text.count("\n") == 10_001 and text.splitlines()[-1].endswith("Kustomization/ns/k10000")
    assert len(text) < 5_000_000  # indentation stops growing at 64 levels (was 200 MB)

    diamonds = DiGraph()
    for level in range(40):
        for a in "ab":
            for b in "ab":
                diamonds.add_edge(("K", "ns", f"{a}{level}"), ("K", "ns", f"{b}{level + 1}"), applies=True)
    diamonds.add_edge(("K", "ns", "root"), ("K", "ns", "a0"), applies=True)
    with deadline(10):
        text = to_tree(diamonds, ("K", "ns", "root"))
    assert text.count("\n") < 200 and "(shown above)" in text


@pytest.mark.slow
def test_10000_kustomizations_of_an_absent_source(tmp_path):
    # old: with nothing ready, one Kustomization was rendered and all others checked
    # again, per Kustomization: 2,000 took 4 s of CPU, 10,000 about 100 s
    from gitops_lint.lint import Linter

    n = 10_000
    docs = [ks(f"k{i}", "./apps").replace("name: flux-system}", "name: absent}") for i in range(n)]
    root = write_tree(
        tmp_path, {**GOTK, "clusters/dev/apps.yaml": "---\n".join(docs), "apps/cm.yaml": CM % 0}
    )
    (tmp_path / ".git").mkdir()
    with deadline(10):  # parsing takes most of it
        (cluster,) = Linter(str(root), Config()).build_clusters([str(root)])
    assert sum(k.ref.name.startswith("k") for k in cluster.kustomizations.values()) == n


@pytest.mark.slow
def test_alias_documents_across_files_spend_the_run_budget(tmp_path):
    # 20 files, each one document of ~1,100,000 nodes (under the file's 2,000,000):
    # 22,000,000 together, over the run's 20,000,000; the old code loaded them all and
    # rendering copied every expansion
    tree = {**GOTK, "clusters/dev/apps.yaml": ks("apps", "./apps")}
    for f in range(20):
        tree[f"apps/a{f:02}.yaml"] = _alias_doc(f).replace(
            "metadata: {name:", "metadata: {namespace: d, name:"
        )
    (tmp_path / ".git").mkdir()
    root = write_tree(tmp_path, tree)
    with deadline(30):
        result = lint_repo(root, config=Config())
    spent = [f for f in result.findings if "stopped here" in f.message]
    assert len(spent) == 1 and "20,000,000 YAML nodes" in spent[0].message
    assert spent[0].file.startswith("apps/a")


@pytest.mark.slow
@pytest.mark.parametrize("unit", ["${", "$${"])
def test_50000_unterminated_expressions_in_a_secret_value(tmp_path, unit):
    """Every stage that looks for `${...}` in a Secret value (envsubst, invalid-substitution,
    plaintext-secret's template test, redaction) is linear: Python's re on `$${[^}]*}`
    scanned to the end of the value from each of 50,000 starts (11 s)."""
    value = unit * 50_000
    secret = f"apiVersion: v1\nkind: Secret\nmetadata: {{name: s, namespace: default}}\nstringData:\n  v: '{value}'\n"
    root = write_tree(
        tmp_path,
        {
            **GOTK,
            "clusters/dev/apps.yaml": ks("apps", "./apps"),
            "apps/kustomization.yaml": "resources: [s.yaml]\n",
            "apps/s.yaml": secret,
            ".git/HEAD": "ref: refs/heads/main\n",
        },
    )
    # CPU time measured, not a deadline signal: the regex runs in C, and a rule that raises
    # (the deadline's exception) is isolated by the linter, not propagated
    results = []
    with wall_deadline(60):
        spent = least_seconds(lambda: results.append(lint_repo(root)))
    assert spent < 1.5  # about 0.1 s; the old `$${` pattern took 2.7 s
    assert results[0].findings  # the plaintext Secret, at least
