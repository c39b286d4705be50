"""Clusters built and linted in forked worker processes give one process's output, byte for byte.

A run with several clusters shares them with worker processes
(``gitops_lint.core.forked``, ``Linter._shares``): the JSON and text reports,
the notes on stderr and the exit code must be those of the same run in one
process (GITOPS_LINT_JOBS=1), the summary's file and document counts included
(the parent takes over the files its workers loaded), and a Secret rendered in
one cluster masks its value in another cluster's finding. Whatever the
parallel path cannot reproduce exactly falls back to the serial one: a worker
that dies or raises, a budget that runs out, a rule that raises or loads a
file, a worker whose records for the warm cache cannot be merged, diff, an
external renderer. The lints of the tree as --fix would leave it (its files
overlaid in memory, which a forked worker holds too) share their clusters.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import pytest

from gitops_lint.core import forked
from gitops_lint.core.budget import Budget
from gitops_lint.lint import Linter
from gitops_lint.load.config import load_config
from gitops_lint.load.loader import DocumentCache, parse_text
from gitops_lint.vocabulary import vocabulary
from tests.conftest import CORPUS, FIXTURES, PROJECT
from tests.helpers import run_cli

FLEET = FIXTURES / "workers-fleet"
CLUSTERS = ["clusters/alpha", "clusters/beta", "clusters/gamma", "clusters/delta"]
SECRET = "Rendered-S3cret-QQQ"  # rendered into clusters/alpha's Secret, quoted by a finding of gamma


@pytest.fixture
def forks(monkeypatch):
    """Counts the forks of the run (the children's own forks are not seen: there are none)."""
    calls = []
    real = os.fork

    def counting():
        calls.append(1)
        return real()

    monkeypatch.setattr(os, "fork", counting)
    return calls


def lint(monkeypatch, jobs: int | None, *args: str, root=FLEET, paths=CLUSTERS) -> tuple[int, str, str]:
    if jobs is None:
        monkeypatch.delenv(forked.ENV_JOBS, raising=False)
    else:
        monkeypatch.setenv(forked.ENV_JOBS, str(jobs))
    return run_cli("--no-cache", "--root", str(root), *args, *(str(root / p) for p in paths))


def both(monkeypatch, *args: str, jobs: int = 2, **kw) -> tuple[tuple, tuple]:
    return lint(monkeypatch, 1, *args, **kw), lint(monkeypatch, jobs, *args, **kw)


# -- the same output ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "text"])
@pytest.mark.parametrize("jobs", [2, 3, 4])
def test_workers_print_what_one_process_prints(monkeypatch, forks, fmt, jobs):
    serial = lint(monkeypatch, 1, "--format", fmt)
    assert forks == []
    parallel = lint(monkeypatch, jobs, "--format", fmt)
    # the builds' workers, then the rules' (for the clusters after the first)
    assert len(forks) == (jobs - 1) + (min(jobs, len(CLUSTERS) - 1) - 1)
    assert parallel == serial
    code, out, _ = parallel
    assert code == 1 and all(code in out for code in ("GL001", "GL102", "GL104", "GL501"))


def test_a_secret_rendered_in_one_cluster_is_masked_in_another(monkeypatch):
    """gamma quotes the value alpha's Secret is rendered with; alone, gamma shows it (it is
    no secret of gamma's), with alpha built by a worker it is masked."""
    alone = lint(monkeypatch, 1, "--format", "text", paths=["clusters/gamma"])
    assert SECRET in alone[1]
    for jobs in (1, 2, 4):
        code, out, err = lint(monkeypatch, jobs, "--format", "json")
        assert SECRET not in out + err and '\\"***\\"' in out


def test_the_summary_counts_the_files_the_workers_loaded(monkeypatch):
    """The parent's document cache ends up with the files one process loads: the base every
    cluster renders once, each overlay's own files."""
    import json

    (_, serial, _), (_, parallel, _) = both(monkeypatch, "--format", "json")
    assert json.loads(parallel)["summary"] == json.loads(serial)["summary"]
    assert json.loads(serial)["summary"]["files"] == 26


def test_the_whole_repository_too(monkeypatch, forks):
    """From the root, the discovered entries are built in one process (applied_elsewhere),
    their rules in workers."""
    serial, parallel = both(monkeypatch, "--format", "json", paths=[""])
    assert parallel == serial
    assert len(forks) == 1


@pytest.mark.parametrize("jobs", ["1", " 1 "])
def test_one_job_never_forks(monkeypatch, jobs):
    def refuse():
        raise AssertionError("forked with GITOPS_LINT_JOBS=1")

    monkeypatch.setattr(os, "fork", refuse)
    monkeypatch.setenv(forked.ENV_JOBS, jobs)
    code, out, _ = run_cli("--no-cache", "--root", str(FLEET), *(str(FLEET / p) for p in CLUSTERS))
    assert code == 1 and "GL501" in out


def test_jobs_from_the_environment(monkeypatch):
    monkeypatch.setenv(forked.ENV_JOBS, "3")
    assert forked.jobs(8) == 3
    assert forked.jobs(2) == 2
    assert forked.jobs(1) == 1
    monkeypatch.setenv(forked.ENV_JOBS, "1")
    assert forked.jobs(8) == 1
    for unset in ("", "0", "many", "-2"):  # not a positive integer: automatic (the CLI refuses them)
        monkeypatch.setenv(forked.ENV_JOBS, unset)
        assert forked.jobs(8) == min(forked.cpus(), forked.MAX_AUTO_JOBS)
    monkeypatch.delattr(os, "fork")
    monkeypatch.setenv(forked.ENV_JOBS, "4")
    assert forked.jobs(8) == 1


def test_wanted_jobs_is_a_positive_integer_or_nothing():
    assert forked.wanted_jobs("") is None and forked.wanted_jobs("  ") is None
    assert forked.wanted_jobs("3") == 3 and forked.wanted_jobs(" 1 ") == 1
    for bad in ("0", "-2", "many", "1.5", "2x", "\u0663"):  # U+0663: a digit to str.isdigit, not to int()
        with pytest.raises(ValueError, match="GITOPS_LINT_JOBS must be a positive integer"):
            forked.wanted_jobs(bad)


@pytest.mark.parametrize("value", ["0", "many", "-1"])
def test_a_jobs_setting_that_is_not_a_count_is_refused_in_one_line(monkeypatch, value):
    # one cluster: the workers' module would never read it, so a typo must not pass unseen
    monkeypatch.setattr(os, "fork", lambda: pytest.fail("forked"))
    monkeypatch.setenv(forked.ENV_JOBS, value)
    code, out, err = run_cli("--no-cache", "--root", str(FLEET), str(FLEET / CLUSTERS[0]))
    assert code == 2 and out == ""
    assert (
        err
        == f"gitops-lint: error: GITOPS_LINT_JOBS must be a positive integer (1: one process), not {value!r}\n"
    )


def test_shares_are_consecutive_and_cover_every_cluster():
    for count in range(2, 20):
        for parts in range(2, min(count, 6) + 1):
            cut = forked.chunks(count, parts)
            assert [i for part in cut for i in part] == list(range(count))
            assert max(map(len, cut)) - min(map(len, cut)) <= 1


# -- falling back to one process ----------------------------------------------------------


def in_child(parent: int) -> bool:
    return os.getpid() != parent


def test_a_worker_that_dies_while_building(monkeypatch, forks):
    from gitops_lint.model.cluster import ClusterBuilder

    parent, real = os.getpid(), ClusterBuilder.build

    def build(self, entry):
        if in_child(parent) and entry.path == "clusters/gamma":
            os._exit(3)
        return real(self, entry)

    serial = lint(monkeypatch, 1, "--format", "json")
    monkeypatch.setattr(ClusterBuilder, "build", build)
    assert lint(monkeypatch, 2, "--format", "json") == serial
    assert len(forks) == 2


def test_no_process_left_to_fork(monkeypatch):
    import errno

    def refuse():
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    serial = lint(monkeypatch, 1, "--format", "json")
    before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    monkeypatch.setattr(os, "fork", refuse)
    assert lint(monkeypatch, 3, "--format", "json") == serial
    if before is not None:  # no pipe left open
        assert len(os.listdir("/proc/self/fd")) == before


def test_a_worker_that_raises_while_linting(monkeypatch):
    parent, real = os.getpid(), Linter._rules_of

    def rules_of(self, cluster, bootstrap, rules=None):
        if in_child(parent):
            raise RuntimeError("a worker's bug")
        return real(self, cluster, bootstrap, rules)

    serial = lint(monkeypatch, 1, "--format", "text")
    monkeypatch.setattr(Linter, "_rules_of", rules_of)
    assert lint(monkeypatch, 2, "--format", "text") == serial


def test_a_rule_that_raises_in_a_worker(monkeypatch):
    """Its internal error (exit 2, one note) is the one process's: the parent lints the
    workers' clusters again itself, in order."""
    import dataclasses

    from gitops_lint import rules

    def broken(real):
        def check(ctx):
            if ctx.cluster.name in ("clusters/beta", "clusters/delta"):
                raise ValueError("boom in " + ctx.cluster.name)
            return real(ctx)

        return check

    monkeypatch.setattr(
        rules,
        "_CACHE",
        [
            dataclasses.replace(r, check=broken(r.check)) if r.name == "missing-path" else r
            for r in rules.all_rules()
        ],
    )
    for fmt in ("json", "text"):
        serial, parallel = both(monkeypatch, "--format", fmt, "--show-info")
        assert parallel == serial
        code, out, err = parallel
        assert code == 2 and err.index("boom in clusters/beta") < err.index("boom in clusters/delta")


def test_a_rule_that_loads_a_file_in_a_worker(monkeypatch, forks):
    """A cluster's rules see the files an earlier cluster's rules loaded: a worker whose
    rules load one is not trusted, the parent lints its clusters again."""
    real = Linter._rules_of
    loaded = []

    def rules_of(self, cluster, bootstrap, rules=None):
        if cluster.name == "clusters/delta":
            loaded.append(os.getpid())
            self.cache.load("docs/owners.yaml", used=False)  # no render reads it, nor is it linted
        return real(self, cluster, bootstrap, rules)

    monkeypatch.setattr(Linter, "_rules_of", rules_of)
    serial = lint(monkeypatch, 1, "--format", "json")
    assert loaded == [os.getpid()]
    assert lint(monkeypatch, 2, "--format", "json") == serial
    # the worker's call is in its own memory: the second one seen here is the parent's own
    assert loaded == [os.getpid(), os.getpid()] and len(forks) == 2
    assert '"files": 27' in serial[1]


def _budget(monkeypatch, max_objects: int = 10**9, max_nodes: int = 10**9) -> None:
    real = DocumentCache.__init__

    def init(self, fs, parsed=None):
        real(self, fs, parsed)
        self.budget = Budget(max_objects=max_objects, max_nodes=max_nodes)

    monkeypatch.setattr(DocumentCache, "__init__", init)


def _objects_rendered() -> list[int]:
    """The run's rendered objects after each cluster, as one process counts them."""
    # one cluster per run: one process
    config = load_config(str(FLEET), known=vocabulary())
    linter = Linter(str(FLEET), config)
    counts = []
    for path in CLUSTERS:
        linter.cache.budget.objects = 0
        linter.build_clusters([str(FLEET / path)])
        counts.append(linter.cache.budget.objects)
    return [sum(counts[: i + 1]) for i in range(len(counts))]


@pytest.mark.parametrize("over", ["in the parent", "in a worker", "only together"])
def test_a_budget_that_runs_out(monkeypatch, over):
    """Each process counts its own share (two jobs: the parent builds alpha and beta, a
    worker gamma and delta): the parent adds them up before taking any, and a run over
    budget stops where one process's stops (its finding, its counts)."""
    totals = _objects_rendered()
    parent, worker = totals[1], totals[3] - totals[1]
    limit = {"in the parent": totals[0] - 1, "in a worker": parent, "only together": totals[3] - 1}[over]
    assert (parent > limit) == (over == "in the parent")
    assert (worker > limit) == (over != "only together")
    _budget(monkeypatch, limit)
    for fmt in ("json", "text"):
        serial, parallel = both(monkeypatch, "--format", fmt)
        assert parallel == serial
        assert "stopped here" in serial[1]


def test_a_budget_that_runs_out_after_the_builds(monkeypatch):
    """The parent counts what its workers spent: the linted files' scan, after the builds,
    runs out where one process's does."""
    monkeypatch.setenv(forked.ENV_JOBS, "1")  # counted as one process counts
    config = load_config(str(FLEET), known=vocabulary())
    linter = Linter(str(FLEET), config)
    seen = []
    real = Linter._load_linted_files

    def linted(self, paths):
        seen.append(self.cache.budget.nodes)
        real(self, paths)
        seen.append(self.cache.budget.nodes)

    monkeypatch.setattr(Linter, "_load_linted_files", linted)
    linter.build_clusters([str(FLEET / p) for p in CLUSTERS])
    built, scanned = seen
    assert built < scanned
    _budget(monkeypatch, max_nodes=built)
    serial, parallel = both(monkeypatch, "--format", "json")
    assert parallel == serial
    assert "stopped here" in serial[1]


def test_what_never_forks(monkeypatch):
    """The runs a worker could not reproduce: diff, an external renderer; and one cluster."""
    monkeypatch.setenv(forked.ENV_JOBS, "4")
    config = load_config(str(FLEET), known=vocabulary())
    assert Linter(str(FLEET), config)._shares(4) is not None
    assert Linter(str(FLEET), config)._shares(1) is None
    diff = Linter(str(FLEET), config)
    diff.render_memo = object()
    assert diff._shares(4) is None
    from gitops_lint.fix import OverlayFS

    fix = Linter(str(FLEET), config)  # fix's files overlaid in memory: a fork holds them too
    fix.fs = OverlayFS(str(FLEET), config.max_file_bytes, {})
    fix.cache = DocumentCache(fix.fs)
    assert fix._shares(4) is not None
    kubectl = load_config(str(FLEET), known=vocabulary())
    kubectl.renderer = "kubectl"
    assert Linter(str(FLEET), kubectl)._shares(4) is None


def test_the_lints_of_the_fixed_tree_share_their_clusters_and_refuse_what_one_process_refuses(
    monkeypatch, tmp_path
):
    """--fix checks its fixes by linting the tree as they would leave it; with two clusters
    those lints use workers, and --diff prints what one process prints: the safe fix, not
    the one that gives two objects one identity."""
    from gitops_lint.fix import OverlayFS
    from tests.helpers import gotk, ks, write_tree

    files = {}
    for cluster in ("dev", "prod"):
        files.update(gotk(cluster))
        files[f"clusters/{cluster}/apps.yaml"] = ks("apps", "./apps")
        files[f"clusters/{cluster}/web.yaml"] = ks("web", f"./web/{cluster}")
        files[f"web/{cluster}/web.yaml"] = (
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-{cluster}\ndata:\n  a: b\n---\n"
            f"apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: web\n"
        )
    files["apps/kustomization.yaml"] = "resources:\n  - a.yaml\n  - b.yaml\n"
    files["apps/a.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
    files["apps/b.yaml"] = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ns1\n---\n"
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns1\n"
    )
    root = write_tree(tmp_path / "repo", files)
    overlaid = []
    real_shares = Linter._shares

    def noting(self, count):
        shares = real_shares(self, count)
        if isinstance(self.fs, OverlayFS) and shares is not None:
            overlaid.append(count)
        return shares

    monkeypatch.setattr(Linter, "_shares", noting)
    paths = ["clusters/dev", "clusters/prod"]
    serial = lint(monkeypatch, 1, "--diff", root=root, paths=paths)
    assert overlaid == []
    parallel = lint(monkeypatch, 2, "--diff", root=root, paths=paths)
    assert overlaid and parallel == serial
    code, out, err = parallel
    assert "+++ b/web/dev/web.yaml" in out and "+++ b/web/prod/web.yaml" in out
    assert "apps/a.yaml" not in out and "left apps/a.yaml" in err and "already registered id" in err


# -- a warm cache's miss -------------------------------------------------------------------


def warm_lint(monkeypatch, jobs: int, repo, paths=CLUSTERS, fmt: str = "json") -> tuple[int, str, str]:
    """A run with the warm cache of Git copy ``repo`` (a miss when its run entry is absent)."""
    from gitops_lint import cache

    monkeypatch.delenv(cache.ENV_OFF, raising=False)
    monkeypatch.delenv(cache.ENV_DIR, raising=False)
    monkeypatch.setenv(forked.ENV_JOBS, str(jobs))
    return run_cli("--root", str(repo), "--format", fmt, *(str(repo / p) for p in paths))


def side_files(repo) -> dict[str, list[str]]:
    """The warm cache's side entries (parsed files, kept builds): shard file -> its records'
    lines in order (``key<TAB>checksum<TAB>payload``; the header, which names the cache's
    instance, left out)."""
    from gitops_lint import cache

    cache.wait_for_stores(str(repo / cache.DIR_NAME))  # a run of the command line stores after it ends
    return {
        p.name: p.read_text().split("\n")[1:] for p in sorted((repo / cache.DIR_NAME).glob("v*/side-*.rec"))
    }


def forget(repo, *, all_of_it: bool = False) -> None:
    """Delete the run entries (the next run misses), or the whole cache."""
    import shutil

    from gitops_lint import cache

    cache.wait_for_stores(str(repo / cache.DIR_NAME))
    if all_of_it:
        shutil.rmtree(repo / cache.DIR_NAME, ignore_errors=True)
    for p in (repo / cache.DIR_NAME).glob("v*/run-*.json"):
        p.unlink()


def warm_pair(monkeypatch, repo, jobs: int = 2, paths=CLUSTERS, fmt: str = "json"):
    """(output, side entries) of a serial warm miss, then of a workers' one, from the same
    state of ``repo``'s cache (its side entries as they are when called)."""
    import shutil

    from gitops_lint import cache

    # hard links: a copied cache is another instance, whose side entries are not trusted
    # (the cache replaces its files, never writes into them: the saved ones stay as they are)
    saved = repo.parent / (repo.name + "-saved-cache")
    if (repo / cache.DIR_NAME).is_dir():
        shutil.copytree(repo / cache.DIR_NAME, saved, copy_function=os.link)
    out = []
    for j in (1, jobs):
        shutil.rmtree(repo / cache.DIR_NAME, ignore_errors=True)
        if saved.is_dir():
            shutil.copytree(saved, repo / cache.DIR_NAME, copy_function=os.link)
        forget(repo)
        out.append((warm_lint(monkeypatch, j, repo, paths, fmt), side_files(repo)))
    shutil.rmtree(saved, ignore_errors=True)
    return out


@pytest.fixture
def fleet_copy(tmp_path):
    import shutil

    repo = tmp_path / "repo"
    shutil.copytree(FLEET, repo, symlinks=True)
    (repo / ".git").mkdir()
    return repo


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_warm_miss_with_workers_prints_and_keeps_what_one_process_does(monkeypatch, forks, fleet_copy, fmt):
    """A warm cache's miss shares the clusters with workers; its output is a cold serial
    run's, and the parsed files and builds it keeps for the next run are those one process
    keeps (what the workers parsed and built is merged into the parent's records)."""
    cold = lint(monkeypatch, 1, "--format", fmt, root=fleet_copy)
    (serial, serial_side), (parallel, parallel_side) = warm_pair(monkeypatch, fleet_copy, fmt=fmt)
    assert forks != []
    assert parallel == serial == cold
    names = {n.split("-")[1] for n in parallel_side}
    assert names == {"parsed", "builds", "positions"}  # positions: of its findings on fields
    assert parallel_side == serial_side
    # and a hit then prints it again
    assert warm_lint(monkeypatch, 2, fleet_copy, fmt=fmt) == cold


def test_the_next_run_after_a_change_from_what_workers_kept(monkeypatch, forks, fleet_copy):
    """From a cache a workers' run filled, a one-file change: the next run (which reuses the
    kept parses and builds) prints a cold run's output, and keeps what one process would."""
    warm_lint(monkeypatch, 2, fleet_copy)
    assert forks != []
    changed = fleet_copy / "apps/base/deployment.yaml"
    changed.write_text(changed.read_text().replace("\n", "\n# changed\n", 1))
    cold = lint(monkeypatch, 1, "--format", "json", root=fleet_copy)
    kept = _what_runs_keep(monkeypatch)
    (serial, serial_side), (parallel, parallel_side) = warm_pair(monkeypatch, fleet_copy)
    assert parallel == serial == cold
    assert parallel_side == serial_side
    # what the run took from the stores, as one process counts it
    (hits, used, reused), again = kept
    assert again == (hits, used, reused) and hits and used and reused


def _what_runs_keep(monkeypatch) -> list[tuple]:
    """For each run: the files whose parse came from the store, the entries used, the
    builds reused (what the parent holds when it stores the warm cache's side entries)."""
    real = Linter.store_warm
    seen = []

    def store_warm(self):
        parsed, kept = self.cache.parsed, self.kept
        seen.append((set(parsed.hits), set(parsed.used), set(kept.renderer.reused)))
        return real(self)

    monkeypatch.setattr(Linter, "store_warm", store_warm)
    return seen


def _parent_builds(monkeypatch) -> list[str]:
    """The entries this process (not a worker) builds."""
    from gitops_lint.model.cluster import ClusterBuilder

    parent, real, built = os.getpid(), ClusterBuilder.build, []

    def build(self, entry):
        if not in_child(parent):
            built.append(entry.path)
        return real(self, entry)

    monkeypatch.setattr(ClusterBuilder, "build", build)
    return built


@pytest.mark.parametrize("broken", ["inexact", "raises"])
def test_a_worker_whose_records_cannot_be_merged(monkeypatch, forks, fleet_copy, broken):
    """A worker whose kept builds are not exact (its renderer says its results may differ
    from a fresh run's), or that cannot hand its records back: the parent builds that
    worker's clusters itself, and prints and keeps what one process does."""
    from gitops_lint.load.parsed import ParsedFiles
    from gitops_lint.render.memo import KeepingRenderer

    (serial, serial_side), _ = warm_pair(monkeypatch, fleet_copy)
    parent = os.getpid()
    if broken == "inexact":
        real = KeepingRenderer.since

        def since(self, mark):
            new, reused, _ = real(self, mark)
            return new, reused, not in_child(parent)

        monkeypatch.setattr(KeepingRenderer, "since", since)
    else:
        real_since = ParsedFiles.since

        def since(self, mark):
            if in_child(parent):
                raise RuntimeError("no record")
            return real_since(self, mark)

        monkeypatch.setattr(ParsedFiles, "since", since)
    built = _parent_builds(monkeypatch)
    forget(fleet_copy, all_of_it=True)
    assert warm_lint(monkeypatch, 2, fleet_copy) == serial
    assert forks != [] and built == sorted(CLUSTERS)
    assert side_files(fleet_copy) == serial_side


def test_a_warm_miss_merges_the_workers_clusters(monkeypatch, forks, fleet_copy):
    """The parent builds only its own share: the workers' clusters are taken over."""
    built = _parent_builds(monkeypatch)
    warm_lint(monkeypatch, 2, fleet_copy)
    assert len(forks) >= 1 and built == sorted(CLUSTERS)[:2]


def test_one_cluster_forks_one_worker_for_its_rules():
    """A single-cluster run forks one worker, for the rules that read the schema check
    (Linter._split_rules), and imports no ``multiprocessing``; its other helper is the
    child that parses ahead (load.prefetch, a new interpreter)."""
    code = (
        "import os, sys\nforks = []\nreal = os.fork\n"
        "os.fork = lambda: forks.append(1) or real()\n"
        "from gitops_lint.cli import main\n"
        f"main(['--no-cache', '--root', {str(FLEET)!r}, {str(FLEET / 'clusters/gamma')!r}])\n"
        "print(len(forks), 'multiprocessing' in sys.modules)\n"
    )
    # as a user runs it: GITOPS_LINT_JOBS unset (set, the command line reads it with the module)
    env = {k: v for k, v in os.environ.items() if k != forked.ENV_JOBS}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT, check=False, env=env
    ).stdout
    assert out.strip().splitlines()[-1] == ("1" if forked.cpus() > 1 else "0") + " False"


ONE_CLUSTER = [
    "example",
    "crdorder-aggregated",
    "crdidx-typo",
    "sub-producers",
    "sv-kube-1.34",
    "disc-hub-spoke",
]


@pytest.fixture
def taken(monkeypatch):
    """What each run of one cluster took from the worker running its rules (None: it ran
    them itself)."""
    calls = []
    take, split = Linter._take_shares, Linter._split_rules

    def taking(self, found, files):
        out = take(self, found, files)
        self.took = out
        return out

    def splitting(self, cluster, bootstrap):
        self.took = False  # no worker
        out = split(self, cluster, bootstrap)
        calls.append(self.took)
        return out

    monkeypatch.setattr(Linter, "_take_shares", taking)
    monkeypatch.setattr(Linter, "_split_rules", splitting)
    return calls


@pytest.mark.parametrize("fixture", ONE_CLUSTER)
def test_one_clusters_rules_in_two_processes_print_what_one_process_prints(monkeypatch, taken, fixture):
    root = FIXTURES / fixture
    for fmt in ("json", "text"):
        serial, parallel = both(monkeypatch, "--format", fmt, "--show-info", root=root, paths=[""])
        assert parallel == serial
    # two runs of one process, two with a worker whose findings were taken
    assert len(taken) == 4 and taken.count(False) == 2 and all(taken[i] not in (None, False) for i in (1, 3))


def test_the_rules_of_one_cluster_shared_while_this_process_loads_files(monkeypatch, taken, fleet_copy):
    """One cluster of the fleet names a source that only another sync's directory defines:
    missing-source reads the other syncs' definitions, which loads their files
    (clusters/beta, ...) in this process while the worker runs the schema rules; the
    worker's findings are still taken (they never read the loaded files), and both print
    the same. Without the child that parses ahead, as a run after a change has none (with
    it, a cold run has every file when the rules start)."""
    monkeypatch.setattr(Linter, "_may_parse_ahead", lambda self: False)
    apps = (fleet_copy / "clusters/alpha/apps.yaml").read_text()
    (fleet_copy / "clusters/alpha/other.yaml").write_text(
        apps.replace("name: apps", "name: other").replace("name: flux-system}", "name: beta-only}")
    )
    (fleet_copy / "clusters/beta/source.yaml").write_text(
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n"
        "  name: beta-only\n  namespace: flux-system\nspec:\n  interval: 1m\n"
        "  url: https://example.com/beta.git\n  ref: {branch: main}\n"
    )
    loaded = []
    rules_of = Linter._rules_of

    def counting(self, cluster, bootstrap, rules=None):
        before = len(self.cache.files)
        out = rules_of(self, cluster, bootstrap, rules)
        loaded.append(len(self.cache.files) - before)
        return out

    monkeypatch.setattr(Linter, "_rules_of", counting)
    for fmt in ("json", "text"):
        serial, parallel = both(
            monkeypatch, "--format", fmt, "--show-info", root=fleet_copy, paths=["clusters/alpha"]
        )
        assert parallel == serial
        assert "beta-only" in serial[1]  # missing-source's finding (defined for clusters/beta only)
    assert loaded[0] > 0 and loaded[1] > 0  # the case this test is for: one process, then this one's share
    assert len(taken) == 4 and taken.count(False) == 2 and all(taken[i] not in (None, False) for i in (1, 3))


@pytest.mark.parametrize(
    "root",
    # repositories where the builds leave files unloaded (in the others they load every one)
    [
        FIXTURES / name
        for name in ("example", "sv-kube-1.34", "workers-fleet", "defects", "text-report-defects")
    ]
    + [CORPUS / name for name in ("gavinmcfall__home-ops", "rwlove__home-ops")],
    ids=lambda p: p.name,
)
def test_the_worker_rules_do_not_read_the_loaded_files(root, monkeypatch):
    """What _split_rules relies on: the rules a worker runs (those reading the schema check)
    find the same with every file of the repository loaded as with only what the builds
    loaded; this process's rules may load files while the worker runs them."""
    monkeypatch.setattr(Linter, "_load_linted_files", lambda self, paths: None)
    from gitops_lint import lint as lint_module
    from gitops_lint.model.bootstrap_files import BootstrapFiles

    if not root.is_dir():
        pytest.skip("the shared corpus is not here")
    linter = Linter(str(root), load_config(str(root), known=vocabulary()))
    clusters = linter.build_clusters([str(root)])
    second = [r for r in linter.rules if r.reads & lint_module._SECOND_PROCESS]
    assert {r.name for r in second} >= {"schema", "unknown-schema"}

    def found() -> list:
        bootstrap = BootstrapFiles(linter.fs, linter.cache)
        return [f for c in clusters for f in linter._rules_of(c, bootstrap, second)]

    before, files = found(), len(linter.cache.files)
    for rel in linter.fs.walk_files(""):
        linter.cache.load(rel, used=False)
    assert len(linter.cache.files) > files  # the case this test is for
    assert found() == before


def test_a_run_with_kept_schema_verdicts_runs_the_rules_of_one_cluster_itself(monkeypatch, taken, fleet_copy):
    """With a warm cache: the first run (an empty cache) and the next (the first keeps no
    schema verdicts) share the rules; a run after that takes the schema verdicts, and the
    schema check is too short to pay for a worker. Each prints what one process prints."""
    paths = ["clusters/alpha"]
    target = fleet_copy / "apps/alpha/kustomization.yaml"
    outputs = []
    for n in range(3):
        if n:
            target.write_text(target.read_text() + f"# change {n}\n")
        outputs.append(warm_lint(monkeypatch, 2, fleet_copy, paths))
        assert outputs[-1] == lint(monkeypatch, 1, "--format", "json", root=fleet_copy, paths=paths)
    shared = [t for t in taken if t is not False]
    assert len(taken) == 6 and len(shared) == 2 and all(t is not None for t in shared)
    assert taken[4] is False  # the third run with a worker allowed: none forked


def test_a_plugin_rule_reading_the_schema_check_runs_in_this_process(monkeypatch, taken, tmp_path):
    """Only built-in rules go to the worker: what a plugin's rule reads besides its
    declared indexes is not known. Its hits come from this process."""
    from gitops_lint import rules
    from gitops_lint.rules import CLUSTER, Hit, Rule, Severity, builtin_names

    assert builtin_names() == {r.name for r in rules.all_rules()}  # no plugin installed here
    ran_in = tmp_path / "pids"

    def check(ctx):
        with open(ran_in, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        yield Hit(
            f"{len(ctx.schemas.errors)} schema errors", file="clusters/mycluster-0/flux-system/gotk-sync.yaml"
        )

    plugin = Rule(
        "x-schema-count", "X901", Severity.WARNING, "counts", check, CLUSTER, reads=frozenset({"schemas"})
    )
    monkeypatch.setattr(rules, "_CACHE", [*rules.all_rules(), plugin])
    serial, parallel = both(monkeypatch, "--format", "json", root=FIXTURES / "example", paths=[""])
    assert parallel == serial and "X901" in serial[1]
    assert ran_in.read_text().split() == [str(os.getpid())] * 2
    assert taken[0] is False and taken[1] not in (None, False)  # the schema rules were shared


def test_a_split_rule_that_raises_or_loads_in_the_worker(monkeypatch, taken):
    """A worker's rule that raises, or loads a file: the parent runs every rule again, in
    order, and prints what one process prints, its internal errors in the same order."""
    import dataclasses

    from gitops_lint import rules

    parent = os.getpid()
    root = FIXTURES / "example"

    def broken(rule):
        def check(ctx):
            if rule.name == "schema" and in_child(parent):
                ctx.cache.load("README.md", used=False)
            if rule.name in ("missing-crd", "dependency-cycle"):
                raise ValueError("boom in " + rule.name)
            return rule.check(ctx)

        return check

    monkeypatch.setattr(rules, "_CACHE", [dataclasses.replace(r, check=broken(r)) for r in rules.all_rules()])
    for fmt in ("json", "text"):
        serial, parallel = both(monkeypatch, "--format", fmt, "--show-info", root=root, paths=[""])
        assert parallel == serial
        code, _, err = parallel
        assert code == 2 and err.index("boom in dependency-cycle") < err.index("boom in missing-crd")
    assert taken == [False, None, False, None]  # one process; the worker's work done again


# -- what crosses the pipe ----------------------------------------------------------------


def test_a_loaded_file_keeps_its_empty_fields_by_document():
    loaded = parse_text("a: 1\nb:\n---\nc:\n  d:\n", "x.yaml")
    back = pickle.loads(pickle.dumps(loaded))
    assert [back.empty_nulls.get(id(d.data)) for d in back.documents] == [
        loaded.empty_nulls.get(id(d.data)) for d in loaded.documents
    ]
    assert all(v is not None for v in back.empty_nulls.values()) and len(back.empty_nulls) == 2


def test_a_cluster_parses_its_helmreleases_again(tmp_path):
    from tests.helpers import gotk, ks, write_tree

    root = write_tree(
        tmp_path,
        {
            **gotk("dev"),
            "clusters/dev/apps.yaml": ks("apps", "./apps"),
            "apps/release.yaml": (
                "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: web, namespace: default}\n"
                "spec:\n  interval: 1h\n  chart: {spec: {chart: web, sourceRef: {kind: HelmRepository, name: x}}}\n"
            ),
        },
    )
    config = load_config(str(root), known=vocabulary())
    (cluster,) = Linter(str(root), config).build_clusters([str(root / "clusters/dev")])
    assert [r.ref.name for r in cluster.helmreleases] == ["web"]
    back = pickle.loads(pickle.dumps(cluster))
    assert back._parsed == {}
    assert [r.ref.name for r in back.helmreleases] == ["web"]
    assert back.find("HelmRelease", "default", "web")[0] is back.objects[-1]


# -- the corpus ---------------------------------------------------------------------------

MULTI = {
    "hmcts__sds-flux-config": ["clusters/demo/00", "clusters/demo/01", "clusters/dev/00", "clusters/prod/01"],
    "stuttgart-things__stuttgart-things": [
        "clusters/homerun/panda",
        "clusters/labda/vsphere/app",
        "clusters/labul/proxmox/fluxdev-3",
        "clusters/labul/vsphere/sthings-cicd",
    ],
}


@pytest.mark.slow
@pytest.mark.parametrize("repo", sorted(MULTI))
@pytest.mark.parametrize("whole", [False, True], ids=["entries", "root"])
def test_corpus_repositories(monkeypatch, repo, whole):
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    root = CORPUS / repo
    paths = [""] if whole else MULTI[repo]
    serial, parallel = both(monkeypatch, "--format", "json", root=root, paths=paths)
    assert parallel == serial


@pytest.mark.slow
@pytest.mark.parametrize("repo", sorted(MULTI))
def test_corpus_warm_misses(monkeypatch, tmp_path, repo):
    """On the corpus: a warm miss with workers prints what a cold serial run prints and keeps
    what a serial warm miss keeps; so does the next run after a one-file change."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    import shutil

    copy = tmp_path / "repo"
    shutil.copytree(CORPUS / repo, copy, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    (copy / ".git").mkdir()
    paths = MULTI[repo]
    cold = lint(monkeypatch, 1, "--format", "json", root=copy, paths=paths)
    (serial, serial_side), (parallel, parallel_side) = warm_pair(monkeypatch, copy, paths=paths)
    assert parallel == serial == cold
    assert parallel_side == serial_side
    changed = next(p for p in sorted((copy / paths[1]).rglob("*.yaml")) if p.is_file() and not p.is_symlink())
    changed.write_text(changed.read_text() + "\n# changed\n")
    cold = lint(monkeypatch, 1, "--format", "json", root=copy, paths=paths)
    kept = _what_runs_keep(monkeypatch)
    (serial, serial_side), (parallel, parallel_side) = warm_pair(monkeypatch, copy, paths=paths)
    assert parallel == serial == cold
    assert parallel_side == serial_side
    assert kept[0] == kept[1] and all(kept[0])


def test_what_a_run_keeps_does_not_depend_on_string_hashing(fleet_copy):
    """Two processes with different PYTHONHASHSEED write the same side entries (a kept
    build's files were once listed in a set's order), so that a workers' run's entries can
    be compared with a serial run's, and two runs write the same shard."""
    from gitops_lint import cache

    env = {k: v for k, v in os.environ.items() if k not in (cache.ENV_OFF, cache.ENV_DIR)}
    args = ["--root", str(fleet_copy), "--format", "json", *(str(fleet_copy / p) for p in CLUSTERS)]
    sides = []
    for seed in ("1", "2", "3"):
        forget(fleet_copy, all_of_it=True)
        subprocess.run(
            [sys.executable, "-m", "gitops_lint", *args],
            env={**env, "PYTHONHASHSEED": seed, forked.ENV_JOBS: "1"},
            cwd=PROJECT,
            capture_output=True,
            check=False,
        )
        sides.append(side_files(fleet_copy))
    assert sides[0] and sides[0] == sides[1] == sides[2]
