"""Shared test set-up: hypothesis profiles, the ``slow``/``kubectl`` split, small helpers.

CI runs with HYPOTHESIS_PROFILE=ci: derandomized, so a run never flakes.

``pytest -m "not slow"`` is the quick run (80 s on two cores) while working; CI runs
everything. ``slow`` marks what takes long or starts other programs: the corpus,
kubectl, pre-commit, pip, hypothesis-heavy properties, many whole-process runs.
``kubectl`` marks every test that runs kubectl; the hooks below keep that true:
a test that starts a program named ``kubectl`` (seen by an audit hook, in its
setup or its body) or that skips for want of kubectl fails without the marker.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

# the suite writes no warm-run cache (gitops_lint.cache) into tests/fixtures or the checkout;
# tests/test_cache.py turns it on for its own copies
os.environ["GITOPS_LINT_NO_CACHE"] = "1"
# one process per run (tests count calls in-process); tests/test_workers.py sets it itself
os.environ["GITOPS_LINT_JOBS"] = "1"

PROJECT = Path(__file__).resolve().parent.parent
FIXTURES = PROJECT / "tests" / "fixtures"
CORPUS = PROJECT.parent / "shared" / "corpus"


@pytest.fixture
def cache_on(monkeypatch):
    """The warm-run cache as a user has it (this file turns it off for the suite): for the
    tests of the cache, each on its own copies (``pytestmark = usefixtures("cache_on")``)."""
    from gitops_lint import cache as cache_module

    monkeypatch.delenv(cache_module.ENV_OFF, raising=False)
    monkeypatch.delenv(cache_module.ENV_DIR, raising=False)


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    return CORPUS


def kubectl_available() -> bool:
    return shutil.which("kubectl") is not None


KUBECTL_ABSENT = "kubectl is not installed"
# a kubectl test is slow too: ``-m "not slow"`` never needs kubectl
KUBECTL_MARKS = (
    pytest.mark.kubectl,
    pytest.mark.slow,
    pytest.mark.skipif(not kubectl_available(), reason=KUBECTL_ABSENT),
)


def needs_kubectl(test):
    """Decorator of a test that runs kubectl; ``pytestmark = list(KUBECTL_MARKS)`` for a module."""
    for mark in KUBECTL_MARKS:
        test = mark(test)
    return test


# tests/test_corpus.py lints every corpus repository: slow. It is marked here because its
# expectations are edited by the integrator only (notes: do not edit it).
SLOW_MODULES = ("tests/test_corpus.py",)


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.split("::", 1)[0] in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


# -- every test that runs kubectl carries the `kubectl` marker -----------------------

STARTED: list[str] = []  # programs started (basenames) since the current test phase began


def _audit(event: str, args: tuple) -> None:
    # subprocess.Popen's audit event: (executable, args, cwd, env), executable as given or args[0]
    if event == "subprocess.Popen":
        with contextlib.suppress(TypeError, ValueError, IndexError):  # a raising hook fails the Popen
            STARTED.append(os.path.basename(os.fsdecode(args[0])))


sys.addaudithook(_audit)


def _kubectl_without_marker(item: pytest.Item) -> str | None:
    if item.get_closest_marker("kubectl") is not None:
        return None
    if "kubectl" in STARTED:
        return f"{item.nodeid} runs kubectl without the `kubectl` marker (tests.conftest.needs_kubectl)"
    for mark in item.iter_markers("skipif"):
        if "kubectl" in str(mark.kwargs.get("reason", "")):
            return f"{item.nodeid} skips for want of kubectl without the `kubectl` marker"
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    STARTED.clear()
    static = _kubectl_without_marker(item)  # before the skip: a skipped test is checked too
    if static is not None:
        pytest.fail(static, pytrace=False)
    result = yield
    problem = _kubectl_without_marker(item)
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    STARTED.clear()
    result = yield
    problem = _kubectl_without_marker(item)
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    return result


def venv_tool(name: str) -> str | None:
    """A console script of the test environment (actionlint, pre-commit, ruff): next to the
    running interpreter first, since a virtualenv used without being activated is not on PATH
    and its tools would be skipped for absent; then on PATH."""
    local = Path(sys.executable).parent / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which(name)
