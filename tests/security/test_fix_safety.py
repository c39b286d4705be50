"""``--fix`` on a stranger's repository (issue 15, point 1).

A fix never leaves a file kustomize then refuses (adding ``namespace: ns1`` to
one of two same-named objects gave both one identity), and ``--fix`` writes
nothing outside the root, and nothing but the files it reports as fixed:
every file open for writing, every rename is watched.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers import GOTK, ks, run_cli, write_tree

CM_NO_NS = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n"
CM_NS1 = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ns1\ndata:\n  a: c\n"
    "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns1\n"
)
# a fix that is safe: a ConfigMap beside a Service that names its namespace
WEB = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-settings  # keep\ndata:\n  a: b\n"
    "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: web\n"
    "spec:\n  ports:\n    - port: 80\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n"
)


def _repo(root: Path) -> Path:
    files = dict(GOTK)
    files.update(
        {
            "clusters/dev/apps.yaml": ks("apps", "./apps"),
            "clusters/dev/web.yaml": ks("web", "./web"),
            "apps/kustomization.yaml": "resources:\n  - a.yaml\n  - b.yaml\n",
            "apps/a.yaml": CM_NO_NS,
            "apps/b.yaml": CM_NS1,
            "web/web.yaml": WEB,
        }
    )
    (root / ".git").mkdir(parents=True)
    return write_tree(root, files)


@pytest.mark.slow
def test_a_fix_that_would_create_a_duplicate_id_is_refused_and_the_others_applied(tmp_path):
    root = _repo(tmp_path / "repo")
    code, out, err = run_cli(str(root), "--root", str(root), "--fix", "--format", "json")
    # the safe fix is written, the one that gives two objects one identity is not
    assert (root / "apps/a.yaml").read_text() == CM_NO_NS
    assert "  name: web-settings  # keep\n  namespace: web\n" in (root / "web/web.yaml").read_text()
    assert "fixed web/web.yaml:3 missing-namespace: added metadata.namespace: web" in err
    (left,) = [ln for ln in err.splitlines() if "left apps/a.yaml" in ln]
    assert "refused: with this fix, kustomize-build would report apps/kustomization.yaml:" in left
    assert "already registered id" in left
    # lint again: the finding is still there, and no build breaks
    after = [(f["rule"], f["file"], f["line"]) for f in json.loads(out)["findings"]]
    assert not [f for f in after if f[0] == "kustomize-build"]
    assert ("missing-namespace", "apps/a.yaml", 3) in after and code == 1


def test_diff_shows_only_the_fixes_that_keep_every_build(tmp_path):
    root = _repo(tmp_path / "repo")
    code, out, err = run_cli(str(root), "--root", str(root), "--diff")
    assert code == 1 and "+++ b/web/web.yaml" in out and "apps/a.yaml" not in out
    assert (root / "web/web.yaml").read_text() == WEB  # --diff writes nothing


def test_the_lints_of_the_fixed_tree_parse_again_only_the_fixed_files(tmp_path, monkeypatch):
    """Each verifying lint takes the first run's parse of every file the fixes leave
    alone (a parse is a function of the bytes): only a fixed file is parsed twice, and
    the fix the overlay refuses is still refused."""
    from gitops_lint.load import loader

    root = _repo(tmp_path / "repo")
    monkeypatch.setenv("GITOPS_LINT_JOBS", "1")
    parsed: Counter = Counter()
    real_read = loader.DocumentCache._read

    def counting_read(self, rel, kyaml):
        parsed[rel] += 1
        return real_read(self, rel, kyaml)

    monkeypatch.setattr(loader.DocumentCache, "_read", counting_read)
    code, out, _ = run_cli(str(root), "--root", str(root), "--diff")
    assert code == 1 and "+++ b/web/web.yaml" in out and "apps/a.yaml" not in out
    again = {rel for rel, n in parsed.items() if n > 1}
    assert again == {"web/web.yaml", "apps/a.yaml"}, parsed
    assert parsed["apps/kustomization.yaml"] == 1 and parsed["apps/b.yaml"] == 1


@pytest.mark.usefixtures("cache_on")
def test_the_marks_after_a_change_reuse_the_kept_builds_and_say_what_a_cold_run_says(tmp_path, monkeypatch):
    """The text report's [*] marks lint the fixed tree; after a one-file change (a warm
    miss) that lint takes the builds the run just kept, wherever they read no fixed
    file, and the report is the one a run without any cache prints."""
    from gitops_lint.lint import Linter

    root = _repo(tmp_path / "repo")
    monkeypatch.setenv("GITOPS_LINT_JOBS", "1")
    args = ("--root", str(root), str(root))
    run_cli(*args)  # fills the cache
    (root / "apps/b.yaml").write_text(CM_NS1 + "# changed\n")  # read by a build: a miss
    served = []
    real_build = Linter.build_clusters

    def noting(self, paths):
        clusters = real_build(self, paths)
        if self.builds_from is not None:
            served.append(len(self.kept.renderer.reused) if self.kept is not None else None)
        return clusters

    monkeypatch.setattr(Linter, "build_clusters", noting)
    warm = run_cli(*args)
    assert served and all(n for n in served), served  # each lint of the fixed tree reused builds
    served.clear()
    cold = run_cli("--no-cache", *args)
    assert served == [] and warm == cold
    code, out, _ = warm
    assert code == 1 and "[*]" in out and "1 fixable with --fix" in out


def _corpus_plans(repo: str):
    """The run of a corpus repository with many fixable findings, and a planner of their
    fixes as the text report plans them: ``plan()`` -> ``fix.FixReport``; (linter, plan)."""
    from gitops_lint.cli import _fix_plan
    from gitops_lint.lint import Linter
    from gitops_lint.load.config import load_config
    from gitops_lint.vocabulary import vocabulary
    from tests.conftest import CORPUS
    from tests.test_corpus import corpus_repositories

    root = CORPUS / repo
    if not root.is_dir():
        pytest.skip("corpus not present")
    paths = [str(root / e) for e in corpus_repositories()[repo]]
    config = load_config(str(root), known=vocabulary())
    linter = Linter(str(root), config)
    result = linter.run(paths)
    fixable = [f for f in result.findings if f.rule in ("crd-prune", "deprecated-api", "missing-namespace")]
    assert fixable
    return linter, lambda: _fix_plan(str(root), config, linter, result, paths, fixable)


def _same_plan(a, b) -> None:
    """Every fix applied or left alike, with its reason, and every fixed text."""
    assert a.applied and a.after == b.after and a.before == b.before
    assert [(x.finding.sort_key(), x.description) for x in a.applied] == [
        (x.finding.sort_key(), x.description) for x in b.applied
    ]
    assert [(x.finding.sort_key(), x.reason) for x in a.left] == [
        (x.finding.sort_key(), x.reason) for x in b.left
    ]


@pytest.mark.parametrize("repo", ["stuttgart-things__stuttgart-things", "sulibot__home-ops"])
def test_the_fix_plan_is_the_same_with_the_first_runs_parses(repo):
    """On corpus repositories with many fixable findings: the plan does not change when the
    verifying lints take the first run's parses."""
    linter, plan = _corpus_plans(repo)
    with_parses = plan()
    linter.cache.budget.exceeded = "as if the first run had run out: nothing is taken from it"
    _same_plan(with_parses, plan())


class WriteSpy:
    """Every path opened for writing, and every rename's destination."""

    WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

    def __init__(self, monkeypatch):
        self.writes: list[str] = []
        self.renamed: list[str] = []
        real_open, real_os_open = builtins.open, os.open
        real_replace, real_rename = os.replace, os.rename

        def spy_open(file, mode="r", *args, **kwargs):
            if isinstance(file, (str, bytes, os.PathLike)) and re.search(r"[wax+]", mode):
                self.writes.append(os.fsdecode(file))
            return real_open(file, mode, *args, **kwargs)

        def spy_os_open(path, flags, *args, **kwargs):
            if flags & self.WRITE_FLAGS:
                self.writes.append(os.fsdecode(path))
            return real_os_open(path, flags, *args, **kwargs)

        def spy_replace(src, dst, *args, **kwargs):
            self.renamed.append(os.fsdecode(dst))
            return real_replace(src, dst, *args, **kwargs)

        def spy_rename(src, dst, *args, **kwargs):
            self.renamed.append(os.fsdecode(dst))
            return real_rename(src, dst, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", spy_open)
        monkeypatch.setattr(io, "open", spy_open)
        monkeypatch.setattr(os, "open", spy_os_open)
        monkeypatch.setattr(os, "replace", spy_replace)
        monkeypatch.setattr(os, "rename", spy_rename)


def _inside(path: str, root: Path) -> bool:
    real_root = os.path.realpath(root)
    where = os.path.realpath(os.path.dirname(os.path.abspath(path)))
    return where == real_root or where.startswith(real_root + os.sep)


def test_fix_writes_only_the_files_it_reports_and_nothing_outside_the_root(tmp_path, monkeypatch):
    root = _repo(tmp_path / "repo")
    outside = tmp_path / "outside.txt"
    outside.write_text("untouched\n")
    # committed links where a temporary file or the fixed file could go
    (root / "web/web.yaml.gitops-lint-fix").symlink_to(outside)
    for attempt in range(3):
        (root / f"web/.web.yaml.{os.getpid()}-{attempt}.gitops-lint-fix").symlink_to(outside)
    (root / "apps/c.yaml").symlink_to(outside)
    spy = WriteSpy(monkeypatch)
    code, out, err = run_cli(str(root), "--root", str(root), "--fix")
    monkeypatch.undo()
    assert "Traceback" not in err and code in (0, 1), err
    fixed = set(re.findall(r"fixed (\S+):\d+ ", err))
    assert fixed == {"web/web.yaml"}
    assert all(_inside(p, root) for p in spy.writes), spy.writes
    assert sorted(os.path.relpath(p, os.path.realpath(root)) for p in spy.renamed) == sorted(fixed)
    assert outside.read_text() == "untouched\n"
    assert not (root / "web/web.yaml").is_symlink()


@pytest.mark.parametrize("name", [".link", "0-link.yaml"])
def test_a_symlink_out_of_the_root_in_a_cluster_directory_is_no_crash(tmp_path, name):
    # found by the fix verifier: discovery asked isfile() of a link leaving the root (listed
    # before the cluster's own YAML files, so looked at first)
    root = _repo(tmp_path / "repo")
    (root / "clusters/dev" / name).symlink_to("/etc/passwd")
    code, out, err = run_cli(str(root), "--root", str(root))
    assert code in (0, 1) and "Traceback" not in err and "internal error" not in err, err


# -- property: --fix never adds a build-breaking finding ---------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

BREAKING = ("yaml-syntax", "missing-path", "kustomize-build", "duplicate-object")

OBJECT = st.tuples(st.sampled_from(["a", "b"]), st.sampled_from([None, "ns1", "ns2"]))
FILE = st.lists(OBJECT, min_size=1, max_size=3)
LAYOUT = st.lists(FILE, min_size=1, max_size=3)


def _doc(name: str, namespace: str | None) -> str:
    ns = f"  namespace: {namespace}\n" if namespace else ""
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n{ns}data:\n  k: v\n"


def _breaking(out: str) -> Counter:
    import json

    return Counter(
        (f["rule"], f["file"], re.sub(r"\d+", "N", f["message"]))
        for f in json.loads(out)["findings"]
        if f["rule"] in BREAKING and f["severity"] != "info"
    )


@pytest.mark.slow
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(layout=LAYOUT, listed=st.booleans())
def test_fix_never_adds_a_build_breaking_finding(tmp_path_factory, layout, listed):
    """Same-named ConfigMaps with and without namespaces, in one or more files of a
    directory (listed in a kustomization.yaml or not): whatever missing-namespace
    fixes, the builds break no more than before."""
    root = tmp_path_factory.mktemp("fixprop")
    files = dict(GOTK)
    files["clusters/dev/apps.yaml"] = ks("apps", "./apps")
    files["apps/ns.yaml"] = "".join(
        f"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {n}\n" for n in ("ns1", "ns2")
    )
    names = []
    for i, objects in enumerate(layout):
        files[f"apps/f{i}.yaml"] = "---\n".join(_doc(n, ns) for n, ns in objects)
        names.append(f"f{i}.yaml")
    if listed:
        files["apps/kustomization.yaml"] = "resources:\n" + "".join(f"  - {n}\n" for n in ["ns.yaml", *names])
    (root / ".git").mkdir()
    write_tree(root, files)
    _, before, _ = run_cli(str(root), "--root", str(root), "--format", "json")
    code, _, err = run_cli(str(root), "--root", str(root), "--format", "json", "--fix")
    assert code in (0, 1) and "Traceback" not in err, err
    _, after, _ = run_cli(str(root), "--root", str(root), "--format", "json")
    assert not (_breaking(after) - _breaking(before)), err


@pytest.mark.parametrize("repo", ["stuttgart-things__stuttgart-things", "sulibot__home-ops"])
def test_the_fix_plan_is_the_same_verified_by_either_parser(repo, monkeypatch):
    """Each edit verified by gitops-lint's loader where both parsers read the file alike
    (``fix._verified``) gives the plan ruamel.yaml's verification of every edit gives."""
    from gitops_lint import fix

    _, plan = _corpus_plans(repo)
    real, quick = fix._verified, []
    monkeypatch.setattr(fix, "_verified", lambda *a: quick.append(real(*a)) or quick[-1])
    fast = plan()
    monkeypatch.setattr(fix, "_verified", lambda *a: None)
    assert any(q is not None for q in quick)
    _same_plan(fast, plan())
