"""A run reused in another tree that answers its questions alike (``core.observed``).

The claim: when the tree answers every question a stored run asked of it (through
``RepoFS`` and the walk's hashes) as it did, a fresh run prints what the stored one
printed. The tests below change each file of a repository in turn (delete it, change
it) and add files to its directories; whenever the cache serves the stored run, a run
without the cache must print exactly that. A read of the tree that escaped the record
would show as a served run that differs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from gitops_lint import cache as cache_module
from tests.conftest import CORPUS, FIXTURES
from tests.helpers import CORPUS_ALL, run_cli

pytestmark = pytest.mark.usefixtures("cache_on")


@pytest.fixture
def served(monkeypatch) -> list[bool]:
    """Whether each run was served by another tree's answers (``load_answered``)."""
    out: list[bool] = []
    real = cache_module.RunCache.load_answered

    def recording(self, *args, **kwargs):
        run = real(self, *args, **kwargs)
        out.append(run is not None)
        return run

    monkeypatch.setattr(cache_module.RunCache, "load_answered", recording)
    return out


def copy(source: Path, target: Path) -> Path:
    shutil.copytree(
        source, target, symlinks=True, ignore=shutil.ignore_patterns(".git", cache_module.DIR_NAME)
    )
    (target / ".git").mkdir()
    return target


def lint(root: Path, paths: list[str], *args: str) -> tuple[int, str, str]:
    return run_cli(*(str(root / p) for p in paths), "--root", str(root), "--format", "json", *args)


def files_of(root: Path) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in (".git", cache_module.DIR_NAME))
        out.extend(os.path.relpath(os.path.join(dirpath, f), root) for f in sorted(filenames))
    return out


def check_changes(root: Path, paths: list[str], changes, served: list[bool]) -> int:
    """Lint, then for each change: apply it, lint from the cache, undo it. A run the
    questions served prints what a run without the cache prints. Returns how many were served."""
    lint(root, paths)
    # the questions of the tree as it is: each change is asked against them (a run after a
    # change keeps its own; undone, the tree's exact entry serves and keeps those)
    asked = {p: p.read_bytes() for p in (root / cache_module.DIR_NAME).glob("v*/asked-*.json")}
    count = 0
    for apply, undo in changes:
        apply()
        served.clear()
        got = lint(root, paths)
        if served and served[-1]:
            count += 1
            assert got == lint(root, paths, "--no-cache"), apply.__doc__
        undo()
        for path, data in asked.items():
            path.write_bytes(data)
    return count


def deletion(root: Path, rel: str):
    path = root / rel
    saved = path.read_bytes()

    def apply():
        path.unlink()

    def undo():
        path.write_bytes(saved)

    apply.__doc__ = f"deleted {rel}"
    return apply, undo


def edit(root: Path, rel: str):
    path = root / rel
    saved = path.read_bytes()

    def apply():
        path.write_bytes(saved + b"\n# changed\n" if rel.endswith((".yaml", ".yml")) else saved + b"x\n")

    def undo():
        path.write_bytes(saved)

    apply.__doc__ = f"changed {rel}"
    return apply, undo


def addition(root: Path, directory: str, name: str, text: str):
    path = root / directory / name

    def apply():
        path.write_text(text)

    def undo():
        path.unlink()

    apply.__doc__ = f"added {directory}/{name}"
    return apply, undo


CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: added\n  namespace: default\ndata:\n  a: b\n"


def every_change(root: Path, files: list[str]) -> list:
    changes = []
    for rel in files:
        changes.append(deletion(root, rel))
        changes.append(edit(root, rel))
    for directory in sorted({os.path.dirname(rel) for rel in files}):
        changes.append(addition(root, directory, "zz-added.yaml", CONFIGMAP))
        changes.append(addition(root, directory, "zz-notes.txt", "a note\n"))
    return changes


def test_a_change_no_question_sees_reuses_the_run_and_others_do_not(tmp_path, served):
    root = copy(FIXTURES / "example", tmp_path / "example")
    paths = ["clusters/mycluster-0"]
    lint(root, paths)
    (root / "NOTES.md").write_text("release notes\n")  # nothing reads it
    served.clear()
    assert lint(root, paths) == lint(root, paths, "--no-cache")
    assert served == [True]
    rendered = next(p for p in sorted((root / "apps").rglob("*.yaml")))
    rendered.write_text(rendered.read_text() + "\n# changed\n")
    served.clear()
    lint(root, paths)
    assert served == [False]


@pytest.mark.slow
@pytest.mark.parametrize(
    "fixture,step", [("example", 1), ("defects", 8), ("text-report-defects", 1), ("sub-producers", 1)]
)
def test_every_change_of_a_fixture_served_prints_what_a_fresh_run_prints(fixture, step, tmp_path, served):
    """Each file (every ``step``-th: the same ones on every machine) deleted and changed,
    files added to each directory, as the pre-commit hook lints: the whole repository."""
    root = copy(FIXTURES / fixture, tmp_path / fixture)
    files = files_of(root)[::step]
    count = check_changes(root, ["."], every_change(root, files), served)
    if fixture == "example":
        assert count > 0  # its README.md and the notes added: no question sees them


CORPUS_SAMPLES = {
    "gavinmcfall__home-ops": ["kubernetes/flux/cluster"],
    "stuttgart-things__stuttgart-things": ["clusters/labul"],
    "hmcts__sds-flux-config": ["clusters/prod/00"],  # one cluster of 16: the others' files derived
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CORPUS_SAMPLES))
def test_sampled_changes_of_corpus_repositories(name, tmp_path, served):
    source = CORPUS / name
    if not source.is_dir():
        pytest.skip("the shared corpus is not here")
    root = copy(source, tmp_path / name)
    files = files_of(root)
    # every kind of file, the same on every machine: 6 files and 4 additions, twice as many
    # under GITOPS_LINT_CORPUS_ALL=1 (tests/helpers.py; the suite's 10 minutes)
    full = bool(os.environ.get(CORPUS_ALL))
    sample = files[:: max(1, len(files) // (12 if full else 6))]
    changes = [c for rel in sample for c in (deletion(root, rel), edit(root, rel))]
    directories = sorted({os.path.dirname(rel) for rel in sample})
    changes += [
        addition(root, d, "zz-added.yaml", CONFIGMAP)
        for d in directories[:: max(1, len(directories) // (8 if full else 4))]
    ]
    count = check_changes(root, CORPUS_SAMPLES[name], changes, served)
    print(f"{name}: {count} of {len(changes)} changes served")


@pytest.mark.parametrize(
    "questions",
    [
        [["read", "clusters/mycluster-0/x.yaml", 7]],
        [["walk", "", [".yaml"]]],
        [["real", 5, "."]],
        # a function of gitops-lint's that is not a filter (it writes a file): never called
        [["derive", "README.md", "gitops_lint.cache:_write", ["/tmp/x"], True]],
        [["derive", "README.md", "os:remove", [], True]],
        [["nonsense", "a", "b"]],
        [["listdir"]],
        [[1, 2, 3]],
        "not a list",
    ],
)
def test_questions_not_of_the_form_written_are_a_miss(tmp_path, served, questions):
    """An entry whose seal holds but whose questions are not ours (a bug of another version,
    a hand edit) serves nothing and raises nothing."""
    import json

    root = copy(FIXTURES / "example", tmp_path / "example")
    paths = ["clusters/mycluster-0"]
    first = lint(root, paths)
    (asked,) = (root / cache_module.DIR_NAME).glob("v*/asked-*.json")
    head, _, body = asked.read_bytes().partition(b"\n")
    header = {k: v for k, v in json.loads(head).items() if k != "checksum"}
    data = json.loads(body)
    data["questions"] = questions
    asked.write_bytes(cache_module._sealed(header, cache_module._dumps(data)))
    (root / "NOTES.md").write_text("notes\n")
    served.clear()
    assert lint(root, paths) == first
    assert served == [False]


@pytest.mark.slow
def test_the_questions_of_worker_processes_come_back(tmp_path, served, monkeypatch):
    """Four clusters linted by two processes: a file only a worker's clusters read is a
    question of the run (a change to it is not served), as in one process."""
    from gitops_lint.core import forked

    monkeypatch.setenv(forked.ENV_JOBS, "2")
    root = copy(FIXTURES / "workers-fleet", tmp_path / "fleet")
    (root / "README.md").write_text("the fleet\n")
    paths = [f"clusters/{c}" for c in ("alpha", "beta", "delta", "gamma")]
    files = files_of(root)
    count = check_changes(root, paths, every_change(root, files), served)
    assert count > 0  # README.md: no cluster reads it


def asked(root: Path) -> set:
    """The questions of the run entry kept last, as (question, answer) text."""
    import json

    (entry,) = (root / cache_module.DIR_NAME).glob("v*/asked-*.json")
    body = json.loads(entry.read_bytes().partition(b"\n")[2])
    return {json.dumps(row).replace(str(root.resolve()), "<root>") for row in body["questions"]}


@pytest.mark.parametrize(
    "source,paths",
    [
        (FIXTURES / "workers-fleet", [f"clusters/{c}" for c in ("alpha", "beta", "delta", "gamma")]),
        pytest.param(
            CORPUS / "stuttgart-things__stuttgart-things",
            ["clusters/labul", "clusters/labda/vsphere/app"],
            marks=pytest.mark.slow,
        ),
    ],
)
def test_workers_ask_what_one_process_asks(source, paths, tmp_path, monkeypatch):
    """Each question one process asks, a run split among worker processes asks too (and
    keeps it): what a worker's clusters read comes back with them."""
    from gitops_lint.core import forked

    if not source.is_dir():
        pytest.skip("the shared corpus is not here")
    kept = {}
    for jobs in ("1", "2"):
        monkeypatch.setenv(forked.ENV_JOBS, jobs)
        root = copy(source, tmp_path / jobs)
        lint(root, paths)
        kept[jobs] = asked(root)
    assert kept["1"] <= kept["2"]


def test_questions_entries_are_pruned_like_runs(tmp_path, monkeypatch):
    """One questions' entry per tool, config and paths: those of paths no longer linted go,
    the newest ``KEEP_RUNS`` of them stay."""
    monkeypatch.setattr(cache_module, "KEEP_RUNS", 2)
    root = copy(FIXTURES / "example", tmp_path / "example")
    for paths in (["clusters/mycluster-0"], ["apps"], ["infrastructure"], ["clusters"]):
        lint(root, paths)
    entries = cache_module.DIR_NAME + "/v*/"
    assert len(list(root.glob(entries + "asked-*.json"))) == 2
    assert len(list(root.glob(entries + "run-*.json"))) == 2


def test_every_answer_is_noted_failures_by_their_kind(tmp_path):
    """A question that raised is noted with the exception's kind (a NUL in a path is a
    ValueError whatever the tree), and asked again of the tree it is answered alike."""
    from gitops_lint.core.fs import OutsideRoot, RepoFS
    from gitops_lint.core.observed import Observations, RecordedHashes, still_answers

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "f.yaml").write_text("k: v\n")
    fs = RepoFS(str(tmp_path))
    fs.observed = Observations(fs.root, {"a/f.yaml": "h1"})
    hashes = RecordedHashes({"a/f.yaml": "h1"}, fs.observed)
    with pytest.raises(ValueError):
        fs.exists("a/\0")
    with pytest.raises(OutsideRoot):
        fs.read_bytes("../x")
    with pytest.raises(KeyError):
        hashes["a/missing.yaml"]
    assert fs.isfile("a/f.yaml") and fs.listdir("a") == ["f.yaml"]
    assert list(fs.walk_files("")) == ["a/f.yaml"]
    asked = {tuple(row[:-1]): row[-1] for row in fs.observed.to_json()}
    assert asked[("exists", "a/\0")] == "!ValueError"
    assert asked[("read", "../x")] == "!OutsideRoot"
    assert asked[("hash", "a/missing.yaml")] is None
    import json

    questions = json.loads(json.dumps(fs.observed.to_json()))
    assert still_answers(questions, fs.root, fs.max_file_bytes, {"a/f.yaml": "h1"})
    (tmp_path / "a" / "g.yaml").write_text("k: w\n")
    assert not still_answers(questions, fs.root, fs.max_file_bytes, {"a/f.yaml": "h1", "a/g.yaml": "h2"})


def test_a_file_read_for_what_it_gives_is_asked_that_only(tmp_path, served):
    """A Terraform file is read for the Helm releases it declares (``RepoFS.derive``): a change
    that keeps them reuses the run, one that drops the release does not (a missing-crd error
    then), and a run of each
    prints what a run without the cache prints."""
    from tests.helpers import ks, write_tree
    from tests.test_crds import CLUSTER

    tf = (
        'resource "helm_release" "cnpg" {\n  name = "cnpg"\n'
        '  repository = "https://cloudnative-pg.github.io/charts"\n  chart = "cloudnative-pg"\n}\n'
    )
    root = write_tree(
        tmp_path / "repo",
        {
            "clusters/dev/apps.yaml": ks("apps", "./apps"),
            "apps/cluster.yaml": CLUSTER,
            "terraform/cnpg.tf": tf,
        },
    )
    (root / ".git").mkdir()
    paths = ["clusters/dev"]
    first = lint(root, paths, "--show-info")
    (root / "terraform/cnpg.tf").write_text("# the database operator\n" + tf)
    served.clear()
    assert lint(root, paths, "--show-info") == first == lint(root, paths, "--show-info", "--no-cache")
    assert served == [True]
    (root / "terraform/cnpg.tf").write_text('resource "null_resource" "nothing" {}\n')
    served.clear()
    dropped = lint(root, paths, "--show-info")
    assert served == [False]
    assert dropped == lint(root, paths, "--show-info", "--no-cache") and dropped != first


@pytest.mark.slow
def test_every_change_of_another_cluster_served_prints_what_a_fresh_run_prints(tmp_path, served):
    """One cluster of four linted: the others' files are read only for what discovery's
    filters give (``RepoFS.derive``), so a change of one that keeps it is served."""
    root = copy(FIXTURES / "workers-fleet", tmp_path / "fleet")
    count = check_changes(root, ["clusters/alpha"], every_change(root, files_of(root)), served)
    assert count > 0


def test_only_functions_marked_derivable_are_asked_or_called():
    from gitops_lint.core.questions import function_name, function_named
    from gitops_lint.discover.entries import sync_filter

    assert function_named(function_name(sync_filter)) is sync_filter
    for name in ("gitops_lint.cache:_write", "os:remove", "gitops_lint.discover.entries:find_syncs"):
        with pytest.raises(ValueError):
            function_named(name)
    with pytest.raises(TypeError):
        function_name(len)


def test_a_ci_file_is_asked_for_the_directories_it_pushes(tmp_path, served):
    """A workflow that pushes the OCI artifact a cluster syncs is read for the directories it
    pushes (``RepoFS.derive``): a change of its other steps reuses the run; a change of the
    pushed directory does not (here it changes no finding: the FluxInstance names the path
    too), and then prints what a run without the cache prints."""
    root = copy(FIXTURES / "disc-oci-root", tmp_path / "oci")
    paths = ["kubernetes/clusters/dev"]
    first = lint(root, paths)
    workflow = root / ".github/workflows/push.yaml"
    text = workflow.read_text()
    workflow.write_text(text.replace("runs-on: ubuntu-latest", "runs-on: ubuntu-24.04"))
    served.clear()
    assert lint(root, paths) == first == lint(root, paths, "--no-cache")
    assert served == [True]
    workflow.write_text(text.replace('--path="./kubernetes"', '--path="./elsewhere"'))
    served.clear()
    moved = lint(root, paths)
    assert served == [False]
    assert moved == lint(root, paths, "--no-cache")


# -- what an earlier run derived of a file, reused for the same content ------------------
@pytest.fixture
def derived(monkeypatch) -> list[tuple[str, bool]]:
    """(file, whether an earlier run's answer was reused) for each derive question of a
    run in this process (``GITOPS_LINT_JOBS=1``: no worker asks apart)."""
    from gitops_lint.core import observed

    out: list[tuple[str, bool]] = []
    real = observed.Observations.derived

    def recording(self, question):
        known = real(self, question)
        out.append((question[1], known is not None))
        return known

    monkeypatch.setattr(observed.Observations, "derived", recording)
    monkeypatch.setenv("GITOPS_LINT_JOBS", "1")
    return out


def test_a_run_after_a_change_derives_again_only_what_changed(tmp_path, served, derived):
    root = copy(FIXTURES / "example", tmp_path / "example")
    paths = ["clusters/mycluster-0"]
    lint(root, paths)
    changed = next(p for p in sorted((root / "apps").rglob("*.yaml")))
    changed.write_text(changed.read_text() + "\n# changed\n")
    derived.clear()
    got = lint(root, paths)
    assert served == [False, False]
    rel = changed.relative_to(root).as_posix()
    assert {f for f, reused in derived if not reused} == {rel}
    assert sum(reused for _, reused in derived) > 10
    assert got == lint(root, paths, "--no-cache")


def test_a_suppression_comment_added_to_a_file_is_seen_by_the_next_run(tmp_path, derived):
    """Whether a file may hold a suppression comment is derived of its bytes: the file that
    gains one is asked again, not answered from the run before."""
    root = copy(FIXTURES / "defects" / "schema", tmp_path / "schema")
    first = lint(root, ["."])
    web = root / "apps" / "web.yaml"
    text = web.read_text()
    assert "protocl" in first[1] and "gitops-lint" not in text
    web.write_text(text.replace("protocl: TCP", "protocl: TCP  # gitops-lint: disable-line=schema"))
    derived.clear()
    got = lint(root, ["."])
    assert ("apps/web.yaml", False) in derived and ("apps/widgets.yaml", True) in derived
    assert "protocl" not in got[1] and "minReplicas" in got[1]
    assert got == lint(root, ["."], "--no-cache")


def test_an_earlier_answer_is_reused_only_for_the_content_it_was_given_for():
    """``Observations.derived``: the walk's hash of the file now must be the one recorded; a
    row of the questions not of the form written is left out, never trusted."""
    from gitops_lint.core.observed import Observations

    name = "gitops_lint.discover.entries:sync_filter"
    earlier = [
        ["derive", "a.yaml", name, [], ["h1", [True, False]]],
        ["derive", "b.yaml", name, [], ["h2", [False, True]]],
        ["derive", "c.yaml", name, ["x", 1], ["h3", True]],
        ["derive", "d.yaml", name, [], "!OSError"],  # a failure: asked again
        ["derive", "e.yaml", name, {}, ["h5", True]],  # arguments not a list
        ["derive", "f.yaml", name, [], [5, True]],  # a hash not a string
        ["derive", "g.yaml", name, [], ["h7"]],
        ["read", "a.yaml", "h1"],
    ]
    hashes = {"a.yaml": "h1", "b.yaml": "changed", "c.yaml": "h3", "d.yaml": "h4", "e.yaml": "h5"}
    hashes |= {"f.yaml": 5, "g.yaml": "h7"}
    observed = Observations("/r", hashes, earlier)
    assert observed.derived(("derive", "a.yaml", name, ())) == ["h1", [True, False]]
    assert observed.derived(("derive", "b.yaml", name, ())) is None
    assert observed.derived(("derive", "c.yaml", name, ("x", 1))) == ["h3", True]
    assert observed.derived(("derive", "c.yaml", name, ("x", 2))) is None
    assert observed.derived(("derive", "a.yaml", "gitops_lint.x:other", ())) is None
    for rel in ("d.yaml", "e.yaml", "f.yaml", "g.yaml", "missing.yaml"):
        assert observed.derived(("derive", rel, name, ())) is None
    # each answer is the run's own: changing one changes nothing of the next
    observed.derived(("derive", "a.yaml", name, ()))[1].append("mutated")
    assert observed.derived(("derive", "a.yaml", name, ())) == ["h1", [True, False]]
