"""A run's cache stores are written after its report, by a child the caller does not wait for.

``gitops_lint.cache`` ("After the report") and ``cli._detach_stores``: the process a
pre-commit hook or a CI step waits for ends with its report; a child that has left its
standard streams writes the run entry, the questions and the side entries, holding the
cache's store lock, and a run that starts meanwhile waits for the lock before it reads the
cache. An in-process call of ``cli.main`` (every other test) writes them before it returns.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from gitops_lint import cache, cli
from tests.conftest import FIXTURES, PROJECT
from tests.helpers import run_cli

fcntl = pytest.importorskip("fcntl")
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork: the stores are written in the run")

SCRIPT = """
import os, sys, time
sys.path[:0] = [{project!r}]
from gitops_lint import cli
from gitops_lint.cache import RunCache
from gitops_lint.load.config import load_config
from gitops_lint.vocabulary import vocabulary

root = sys.argv[1]
go, done = os.path.join(root, "go"), os.path.join(root, "done")
warm = RunCache(os.path.join(root, ".gitops-lint-cache"), root)
warm.compute_key(load_config(root, known=vocabulary()), [root])
if len(sys.argv) > 2:  # a file edited while the run reads the tree
    with open(os.path.join(root, sys.argv[2]), "a") as fh:
        fh.write("# edited\\n")

def store():
    while not os.path.exists(go):  # until the test says so
        time.sleep(0.01)
    print("from the child")  # its standard output is /dev/null
    with open(done, "w") as fh:
        fh.write(str(warm.still_the_tree()))

cli._STORES.append((warm, store))
print("the report")
sys.stdout.flush()
cli._detach_stores()
os._exit(3)
"""


def _script(root, *edit: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT.format(project=str(PROJECT)), str(root), *edit],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _held(directory) -> bool:
    if not os.path.exists(os.path.join(directory, cache.STORE_LOCK)):
        return False
    fd = os.open(os.path.join(directory, cache.STORE_LOCK), os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_the_caller_has_the_report_and_status_while_the_stores_are_written(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "app.yaml").write_text("kind: ConfigMap\n")
    proc = _script(tmp_path)
    # the pipes ended and the status came while the child still waits to write
    assert (proc.returncode, proc.stdout, proc.stderr) == (3, "the report\n", "")
    directory = tmp_path / cache.DIR_NAME
    assert _held(directory) and not (tmp_path / "done").exists()
    # what a pre-commit hook does once the process has ended: the unstaged changes back
    (tmp_path / "app.yaml").write_text("kind: Secret\n")
    (tmp_path / "go").touch()
    cache.wait_for_stores(str(directory), timeout=120)
    assert not _held(directory)
    # the tree was the run's when the run ended: that answer is the one the stores take
    assert (tmp_path / "done").read_text() == "True"


def test_a_file_edited_while_the_run_read_the_tree_leaves_nothing_to_store(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "app.yaml").write_text("kind: ConfigMap\n")
    proc = _script(tmp_path, "app.yaml")
    assert (proc.returncode, proc.stdout) == (3, "the report\n")
    (tmp_path / "go").touch()
    cache.wait_for_stores(str(tmp_path / cache.DIR_NAME), timeout=120)
    assert not (tmp_path / "done").exists() and not _held(tmp_path / cache.DIR_NAME)


def test_a_run_waits_for_the_stores_being_written(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    held = cache.hold_stores(cache.RunCache(str(tmp_path / cache.DIR_NAME), str(tmp_path)))
    assert held is not None
    try:
        # another run's stores cannot take the lock: that run writes its own in the run
        assert cache.hold_stores(cache.RunCache(str(tmp_path / cache.DIR_NAME), str(tmp_path))) is None
        monkeypatch.setattr(cache, "STORE_WAIT_S", 0.3)
        start = time.monotonic()
        cache.wait_for_stores(str(tmp_path / cache.DIR_NAME), timeout=0.3)
        assert time.monotonic() - start >= 0.3  # waited the whole time, and no longer hangs
    finally:
        os.close(held)
    assert not _held(tmp_path / cache.DIR_NAME)


def _fleet(tmp_path):
    """A Git work tree copy of the workers fleet, and the arguments that lint it."""
    import shutil

    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "workers-fleet", repo)
    (repo / ".git").mkdir()
    return repo, [str(repo), "--root", str(repo), "--format", "json"]


def _command_line(code: str, args: list[str]) -> tuple[int, str, str]:
    """A command-line run (``cli.entry``, as ``gitops-lint``) after ``code``, in a new process."""
    env = {k: v for k, v in os.environ.items() if k not in (cache.ENV_OFF, cache.ENV_DIR)}
    env["PYTHONPATH"] = str(PROJECT)
    proc = subprocess.run(
        [sys.executable, "-c", f"{code}\nfrom gitops_lint.cli import entry\nentry()\n", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_a_command_line_run_finds_what_the_one_before_stored(tmp_path):
    """Two processes one after the other, as a hook runs: the second is a hit (it waited for
    the first one's stores), and prints what the first printed."""
    repo, args = _fleet(tmp_path)
    first = _command_line("", args)
    # a hit imports no stage: with the linter unimportable, a miss would end in an internal error
    assert _command_line("import sys; sys.modules['gitops_lint.lint'] = None", args) == first
    assert first[0] == 1 and '"findings"' in first[1]
    cache.wait_for_stores(str(repo / cache.DIR_NAME), timeout=120)
    assert list((repo / cache.DIR_NAME).glob("v*/run-*.json")), "the run entry was written"


def test_a_store_that_fails_costs_the_report_nothing(tmp_path, monkeypatch):
    """A bug in a store (or a cache that cannot be written) is no error of the run."""
    repo, _ = _fleet(tmp_path)
    cold = run_cli(str(repo), "--root", str(repo), "--format", "json", "--no-cache")

    def broken(*_args, **_kw):
        raise RuntimeError("a bug in a store")

    monkeypatch.setattr(cache.RunCache, "store", broken)
    assert run_cli(str(repo), "--root", str(repo), "--format", "json") == cold
    assert not cli._STORES


def test_opening_the_cache_waits_for_the_stores_first(tmp_path, monkeypatch):
    """What makes the run after another a hit when the other's child is still writing (the
    wait itself: test_a_run_waits_for_the_stores_being_written)."""
    (tmp_path / ".git").mkdir()
    monkeypatch.delenv(cache.ENV_OFF, raising=False)
    monkeypatch.delenv(cache.ENV_DIR, raising=False)
    waited = []
    monkeypatch.setattr(cache, "wait_for_stores", waited.append)
    assert cache.open_cache(str(tmp_path)) is not None
    assert waited == [str(tmp_path / cache.DIR_NAME)]
    assert cache.open_cache(str(tmp_path), no_cache=True) is None and len(waited) == 1


def test_the_lock_is_not_held_on_a_standard_stream(tmp_path):
    """A process started with standard input closed opens the lock on descriptor 0; the
    child writing the stores sets 0 to 2 to /dev/null, so the lock moves above them."""
    (tmp_path / ".git").mkdir()
    code = (
        "import os, sys\nos.close(0)\n"
        f"sys.path[:0] = [{str(PROJECT)!r}]\n"
        "from gitops_lint import cache\n"
        "c = cache.RunCache(os.path.join(sys.argv[1], '.gitops-lint-cache'), sys.argv[1])\n"
        "fd = cache.hold_stores(c)\n"
        "print(fd is not None and fd >= 3)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.stdout == "True\n", proc.stderr


def test_a_failure_before_the_child_costs_the_run_nothing(tmp_path):
    """Whatever goes wrong while the stores are handed to the child (here: taking the
    lock), the run's report and exit status are those it printed, with no traceback."""
    _, args = _fleet(tmp_path)
    broken = (
        "from gitops_lint import cache\n"
        "def hold(_):\n    raise RuntimeError('a bug while taking the lock')\n"
        "cache.hold_stores = hold"
    )
    assert _command_line(broken, args) == run_cli(*args, "--no-cache")
