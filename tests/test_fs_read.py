"""``core.fs.read_up_to``: what a buffered reader's ``read(limit)`` gives, with the system's
calls alone (every run reads each YAML file of the repository through it)."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.core.fs import RepoFS, read_up_to


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=5000), limit=st.integers(min_value=1, max_value=6000))
def test_the_first_bytes_up_to_the_limit(tmp_path_factory, data, limit):
    path = tmp_path_factory.mktemp("r") / "f.yaml"
    path.write_bytes(data)
    with open(path, "rb") as fh:
        assert read_up_to(str(path), limit) == fh.read(limit)


def test_bytes_as_written_crlf_and_all():
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "f.yaml")
        data = b"a: 1\r\nb: \x00\xff\r\n" * 100_000  # larger than one read's pipe or page
        with open(path, "wb") as fh:
            fh.write(data)
        assert read_up_to(path, len(data) + 1) == data
        assert read_up_to(path, 7) == data[:7]


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    from gitops_lint.core import fs as fs_module
    from gitops_lint.core.fs import FileTooLarge

    (tmp_path / "big.yaml").write_bytes(b"x" * 100)
    (tmp_path / "small.yaml").write_bytes(b"k: v\n")
    opened: list[str] = []
    real = fs_module.read_up_to
    monkeypatch.setattr(fs_module, "read_up_to", lambda p, n: opened.append(p) or real(p, n))
    fs = RepoFS(str(tmp_path), max_file_bytes=50)
    try:
        fs.read_bytes("big.yaml")
    except FileTooLarge:
        pass
    else:
        raise AssertionError("a file over the limit was read")
    assert fs.read_bytes("small.yaml") == b"k: v\n"
    assert [os.path.basename(p) for p in opened] == ["small.yaml"]
