"""Which files are helmfiles or Talos configs, asked of every file of a repository.

The answers are found by a substring test first (issue 18: the path functions ran
for each of a repository's files, per question); what they say must not change.
"""

from __future__ import annotations

import posixpath

from hypothesis import given
from hypothesis import strategies as st

from gitops_lint.model.bootstrap_files import is_helmfile, is_talos

SEGMENTS = st.sampled_from(
    ["helmfile", "helmfile.d", "helmfile.yaml", "talos", "talosctl", "talconfig.yaml", "tal", "a", "x.yaml"]
)


def _helmfile(rel: str) -> bool:
    base = posixpath.basename(rel)
    return base.startswith("helmfile") or posixpath.basename(posixpath.dirname(rel)) in (
        "helmfile",
        "helmfile.d",
    )


def _talos(rel: str) -> bool:
    parts = rel.split("/")
    return posixpath.basename(rel).startswith("talconfig") or any(p.startswith("talos") for p in parts[:-1])


@given(st.lists(SEGMENTS | st.text(max_size=8), min_size=1, max_size=4).map("/".join))
def test_the_names_are_judged_as_by_their_paths(rel):
    assert is_helmfile(rel) == _helmfile(rel)
    assert is_talos(rel) == _talos(rel)
