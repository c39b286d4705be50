"""``core.fs.RepoFS``: whether a name a directory a walk listed lacks exists, is a file or a
directory is answered from the listing, without a system call; every answer is the system's."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.core import fs as fs_module
from gitops_lint.core.fs import OutsideRoot, RepoFS


def counting(monkeypatch) -> list[str]:
    """The paths ``os.stat`` and ``os.lstat`` are asked about, through core.fs."""
    calls: list[str] = []
    real_stat, real_lstat = os.stat, os.lstat

    class Os:
        def __getattr__(self, name):
            return getattr(os, name)

        @staticmethod
        def stat(path, *args, **kwargs):
            calls.append(str(path))
            return real_stat(path, *args, **kwargs)

        @staticmethod
        def lstat(path, *args, **kwargs):
            calls.append(str(path))
            return real_lstat(path, *args, **kwargs)

    monkeypatch.setattr(fs_module, "os", Os())
    return calls


def tree(tmp_path):
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "kustomization.yaml").write_text("resources: []\n")
    (tmp_path / "apps" / "app.yaml").write_text("a: 1\n")
    (tmp_path / "other").mkdir()
    return tmp_path


def test_a_name_a_listed_directory_lacks_costs_no_system_call(tmp_path, monkeypatch):
    fs = RepoFS(str(tree(tmp_path)))
    assert list(fs.walk_files("apps")) == ["apps/app.yaml", "apps/kustomization.yaml"]
    calls = counting(monkeypatch)
    assert not fs.isfile("apps/kustomization.yml") and not fs.exists("apps/.sops.yaml")
    assert not fs.isdir("apps/missing")
    assert calls == []
    assert fs.isfile("apps/kustomization.yaml") and calls  # a listed name: asked of the system


def test_a_directory_no_walk_listed_and_a_name_matched_without_case_are_asked(tmp_path, monkeypatch):
    fs = RepoFS(str(tree(tmp_path)))
    list(fs.walk_files("apps"))
    calls = counting(monkeypatch)
    fs.isfile("other/.sops.yaml")  # "other" was not listed
    assert calls
    calls.clear()
    # on a case-insensitive file system this is the kustomization.yaml the walk listed
    assert fs.isfile("apps/Kustomization.yaml") == os.path.isfile(tmp_path / "apps" / "Kustomization.yaml")
    assert calls


NAMES = ["a.yaml", "B.yaml", "kustomization.yaml", "Kustomization", ".sops.yaml", "d", "é.yaml"]


@settings(max_examples=80, deadline=None)
@given(
    files=st.sets(st.tuples(st.sampled_from(["", "d", "d/e"]), st.sampled_from(NAMES)), max_size=8),
    link=st.sampled_from([None, "d", "d/a.yaml", "missing", "../outside"]),
    walked=st.sampled_from(["", "d", "l", None]),
    asked=st.lists(
        st.tuples(st.sampled_from(["", "d", "d/e", "x", "l", "l/e"]), st.sampled_from([*NAMES, "l"])),
        max_size=12,
    ),
)
def test_every_answer_is_the_systems_with_or_without_a_walk_first(
    tmp_path_factory, files, link, walked, asked
):
    top = tmp_path_factory.mktemp("t")
    (top / "outside").write_text("k: v\n")
    root = top / "root"
    root.mkdir()
    if link is not None:  # "l": a symlink, to a file or directory of the tree, nothing, or outside it
        (root / "l").symlink_to(link)
    for directory in {d for d, _ in files}:  # the directories first: "d" may be a file's name too
        (root / directory).mkdir(parents=True, exist_ok=True)
    for directory, name in sorted(files):
        target = root / directory / name
        if not target.exists():
            target.write_text("k: v\n")
    fs = RepoFS(str(root))
    if walked is not None:
        list(fs.walk_files(walked))
    for directory, name in asked:
        rel = f"{directory}/{name}" if directory else name
        path = root / rel
        outside = not os.path.realpath(path).startswith(os.path.realpath(root) + os.sep)
        try:
            real = fs.real(rel)
        except OutsideRoot:
            assert outside
            continue
        assert not outside and real == os.path.realpath(path)
        assert fs.exists(rel) == os.path.exists(path)
        assert fs.isfile(rel) == os.path.isfile(path)
        assert fs.isdir(rel) == os.path.isdir(path)
