"""``core.fs.RepoFS``: what it answers of a path (exists, isfile, isdir, its real path, or
that it leads outside the root) is what the system answers, whether or not a walk listed
the tree first (each directory listed once a run, core/fs.py)."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.core.fs import OutsideRoot, RepoFS

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
