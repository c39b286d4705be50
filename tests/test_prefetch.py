"""Files parsed ahead by a child process (``gitops_lint.load.prefetch``) change nothing.

With a second CPU, a cold run starts a child that parses the repository's YAML files
from the end of the walk while the run parses from the front. The run takes a child's
parse only for the very bytes it read itself; its output must be the one-process
output byte for byte, whether it takes every file from the child, none, or the child
fails. The suite runs with ``GITOPS_LINT_JOBS=1`` (conftest), so each test here asks for
two jobs itself.
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

from gitops_lint.core import forked
from gitops_lint.core.fs import RepoFS
from gitops_lint.lint import Linter
from gitops_lint.load import prefetch
from gitops_lint.load.config import load_config
from gitops_lint.load.loader import parse_text
from gitops_lint.vocabulary import vocabulary
from tests.conftest import CORPUS, FIXTURES
from tests.helpers import run_cli

pytestmark = pytest.mark.skipif(not prefetch.available(), reason="no posix_spawn here")


def finished(pre: prefetch.Prefetch, timeout: float = 60.0) -> prefetch.Prefetch:
    """``pre`` once its child has written everything (the run itself never waits)."""
    deadline = time.monotonic() + timeout
    while pre._read >= 0:
        assert time.monotonic() < deadline, "the child did not finish"
        pre._receive()
        time.sleep(0.01)
    return pre


def _state(loaded) -> tuple:
    """What a parse holds, ``empty_nulls`` by document index (its keys are ids)."""
    index = {id(d.data): i for i, d in enumerate(loaded.documents)}
    return (
        [(d.data, d.origin) for d in loaded.documents],
        loaded.errors,
        {index[k]: v for k, v in loaded.empty_nulls.items()},
        loaded.sizes,
    )


def test_the_childs_parses_are_the_runs_parses_of_the_same_bytes(tmp_path):
    root = FIXTURES / "defects"
    fs = RepoFS(str(root), 1 << 20)
    pre = finished(prefetch.Prefetch(fs.root, fs.max_file_bytes))
    files = list(fs.walk_files(""))
    assert len(files) > 10
    for rel in files:
        raw = fs.read_bytes(rel)
        kyaml = os.path.basename(rel) not in ("kustomization.yaml", "kustomization.yml", "Kustomization")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            assert pre.take(rel, raw) is None
            continue
        if text.startswith("\ufeff") or "\x00" in text:
            continue
        assert _state(pre.take(rel, raw)) == _state(parse_text(text, rel, kyaml=kyaml)), rel
    assert pre.taken == len(files)
    assert pre.take(files[0], b"") is None  # taken once: the run caches its files


def test_other_bytes_are_parsed_by_the_run(tmp_path):
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n")
    pre = finished(prefetch.Prefetch(str(tmp_path), 1 << 20))
    assert pre.take("a.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n") is None
    assert pre.take("missing.yaml", b"") is None and pre.taken == 0


def test_the_child_reads_nothing_outside_the_root(tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("secret: value\n")
    root = tmp_path / "repo"
    (root / "linked").mkdir(parents=True)
    (root / "a.yaml").write_text("a: 1\n")
    (root / "escape.yaml").symlink_to(outside)
    (root / "linked" / "dir").symlink_to(tmp_path)
    pre = finished(prefetch.Prefetch(str(root), 1 << 20))
    assert set(pre._batches) == {"a.yaml"}


def _lint(monkeypatch, root, paths, jobs: str) -> Linter:
    monkeypatch.setenv(forked.ENV_JOBS, jobs)
    linter = Linter(str(root), load_config(str(root), known=vocabulary()))
    linter.result = linter.run([str(root / p) for p in paths])
    return linter


def _report(linter: Linter) -> list:
    return [(f.sort_key(), f.message) for f in linter.result.findings] + [linter.result.summary]


@pytest.mark.parametrize(
    "fixture,paths",
    [("example", ["clusters/mycluster-0"]), ("text-report-defects", [""]), ("sub-sops-values", [""])],
)
def test_a_run_that_takes_every_parse_from_the_child_reports_what_one_process_does(
    monkeypatch, fixture, paths
):
    root = FIXTURES / fixture
    real_init = prefetch.Prefetch.__init__

    def waiting(self, root, max_file_bytes):  # the child done before the run parses: every file from it
        real_init(self, root, max_file_bytes)
        finished(self)

    serial = _lint(monkeypatch, root, paths, "1")
    assert serial.cache.prefetch is None
    monkeypatch.setattr(prefetch.Prefetch, "__init__", waiting)
    ahead = _lint(monkeypatch, root, paths, "2")
    assert ahead.cache.prefetch.taken == len(ahead.cache.files) > 0
    assert ahead.cache.prefetch._pid == 0  # ended with the builds
    assert _report(ahead) == _report(serial)


def test_a_child_that_cannot_start_leaves_the_run_as_it_was(monkeypatch):
    def fail(root, max_file_bytes, write):
        raise OSError("no process left")

    monkeypatch.setattr(prefetch, "_spawn", fail)
    root = FIXTURES / "example"
    serial = _lint(monkeypatch, root, ["clusters/mycluster-0"], "1")
    failed = _lint(monkeypatch, root, ["clusters/mycluster-0"], "2")
    assert failed.cache.prefetch.taken == 0 and _report(failed) == _report(serial)


def test_one_job_starts_no_child(monkeypatch):
    started = []
    monkeypatch.setattr(prefetch, "_spawn", lambda root, size, write: started.append(1) or 0)
    _lint(monkeypatch, FIXTURES / "example", ["clusters/mycluster-0"], "1")
    assert started == []


@pytest.mark.usefixtures("cache_on")
def test_a_run_with_parses_kept_from_the_last_one_starts_no_child(monkeypatch, tmp_path):
    """After a one-file change the warm cache holds the other files' parses: nothing to do."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "example", root)
    (root / ".git").mkdir()
    monkeypatch.setenv(forked.ENV_JOBS, "2")
    started = []
    real_spawn = prefetch._spawn
    monkeypatch.setattr(
        prefetch, "_spawn", lambda root, size, write: started.append(1) or real_spawn(root, size, write)
    )
    built = []
    real_parse_ahead = Linter._parse_ahead
    monkeypatch.setattr(Linter, "_parse_ahead", lambda self: built.append(1) or real_parse_ahead(self))
    args = ("--root", str(root), str(root / "clusters/mycluster-0"))
    first = run_cli(*args)
    assert started == [1] and built == [1]
    crds = next(p for p in sorted(root.rglob("*.yaml")) if "crds" in p.parts)
    crds.write_text(crds.read_text() + "# changed\n")
    assert run_cli(*args) == first
    assert built == [1, 1] and started == [1]  # built again, every other file's parse kept


@pytest.mark.slow
def test_a_corpus_repository_prints_what_one_process_prints(monkeypatch):
    repo = CORPUS / "gavinmcfall__home-ops"
    if not repo.is_dir():
        pytest.skip("corpus not present")
    args = ("--no-cache", "--root", str(repo), str(repo / "kubernetes/flux/cluster"))
    monkeypatch.setenv(forked.ENV_JOBS, "1")
    serial = run_cli(*args)
    monkeypatch.setenv(forked.ENV_JOBS, "2")
    taken = []
    real_take = prefetch.Prefetch.take

    def counting(self, rel, raw):
        found = real_take(self, rel, raw)
        taken.append(found is not None)
        return found

    monkeypatch.setattr(prefetch.Prefetch, "take", counting)
    assert run_cli(*args) == serial
    assert taken  # the run asked the child (how many it had ready depends on the machine)


def test_a_child_that_writes_more_than_the_run_takes_is_ended(monkeypatch):
    """A repository far larger than what the run reads: the run stops taking (and ends the
    child) past MAX_BYTES, and parses what else it needs itself, with the same report."""
    monkeypatch.setattr(prefetch, "MAX_BYTES", 4096)
    root = FIXTURES / "example"
    pre = finished(prefetch.Prefetch(str(root), 1 << 20))
    files = list(RepoFS(str(root), 1 << 20).walk_files(""))
    assert pre._received > 4096 and pre._pid == 0
    assert 0 < len(set(pre._batches)) < len(files)
    serial = _lint(monkeypatch, root, ["clusters/mycluster-0"], "1")
    real_init = prefetch.Prefetch.__init__

    def waiting(self, root, max_file_bytes):
        real_init(self, root, max_file_bytes)
        finished(self)

    monkeypatch.setattr(prefetch.Prefetch, "__init__", waiting)
    capped = _lint(monkeypatch, root, ["clusters/mycluster-0"], "2")
    assert 0 < capped.cache.prefetch.taken < len(capped.cache.files)
    assert _report(capped) == _report(serial)
