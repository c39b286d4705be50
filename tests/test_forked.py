"""The hand-over of a forked child's result (``core.forked.Child``): unpickled from the pipe
while the child still writes it, taken only whole and from a child that exited with
success; never a hang, whatever the child or the result does midway."""

from __future__ import annotations

import os
import signal

import pytest

from gitops_lint.core import forked

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")

BIG = 3 << 20  # more than the widened pipe holds: the child writes while the parent reads


@pytest.fixture(autouse=True)
def no_hang():
    """A hand-over that blocks fails the test in seconds instead of stalling the suite."""

    def expired(signum, frame):
        raise TimeoutError("the hand-over hung")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _exit_now(code: int):
    os._exit(code)


class DiesWhilePickled:
    """Pickling it ends the (child) process: what was written so far is a truncated pickle."""

    def __reduce__(self):
        _exit_now(7)


def _refuse():
    raise ValueError("refused while unpickling")


class RefusedWhenUnpickled:
    def __reduce__(self):
        return (_refuse, ())


def test_a_large_result_comes_back_whole():
    data = [os.urandom(BIG), {"k": list(range(50_000))}, "x" * 100_000]
    child = forked.Child(lambda: data)
    assert child.result() == data


def test_a_child_that_dies_while_writing_is_a_failure():
    child = forked.Child(lambda: [os.urandom(BIG), DiesWhilePickled(), os.urandom(BIG)])
    assert child.result() is forked.FAILED


def test_a_result_that_does_not_unpickle_ends_the_child_without_a_hang():
    """The parent stops reading at the first frame it cannot load; the child, still writing
    megabytes, must not be left blocked on a pipe nobody reads (the wait would never end)."""
    child = forked.Child(lambda: [RefusedWhenUnpickled(), os.urandom(4 * BIG)])
    assert child.result() is forked.FAILED


def test_a_child_that_fails_after_its_work_is_a_failure():
    def work():
        raise RuntimeError("a worker's bug")

    assert forked.Child(work).result() is forked.FAILED


def test_a_stopped_child_leaves_no_pipe_open():
    before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    child = forked.Child(lambda: os.urandom(4 * BIG))
    child.stop()
    if before is not None:
        assert len(os.listdir("/proc/self/fd")) == before
    for _ in range(3):
        assert forked.Child(lambda: [1, 2]).result() == [1, 2]
    if before is not None:
        assert len(os.listdir("/proc/self/fd")) == before
