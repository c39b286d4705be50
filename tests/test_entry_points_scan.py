"""core/entry_points.py answers as importlib.metadata does, or not at all.

Each case lays out distributions in temporary ``sys.path`` directories and
compares :func:`scan` with importlib.metadata's answer over the same path: equal
entry points when scan answers, None (importlib.metadata decides) whenever
another distribution could declare the group or the layout is one scan does not
model.
"""

from __future__ import annotations

import itertools
import zipfile
from importlib import metadata

import pytest

from gitops_lint.core.entry_points import EntryPoint, scan

GROUP = "gitops_lint.rules"
OWN = "gitops-lint"


def dist(where, dirname: str, name: str, entry_points: str | None) -> None:
    info = where / dirname
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n\n")
    if entry_points is not None:
        (info / "entry_points.txt").write_text(entry_points)


def by_metadata(path: list[str]) -> list[tuple[str, str, str]]:
    """importlib.metadata.entry_points(group=GROUP) over ``path`` (its ``_unique`` by name)."""
    seen: set[str] = set()
    out = []
    for d in metadata.distributions(path=path):
        key = d._normalized_name
        if key in seen:
            continue
        seen.add(key)
        out += [(ep.name, ep.value, d.name) for ep in d.entry_points if ep.group == GROUP]
    return out


def by_scan(path: list[str]) -> list[tuple[str, str, str]] | None:
    found = scan(GROUP, OWN, path)
    return None if found is None else [(ep.name, ep.value, ep.dist.name) for ep in found]


OURS = f"[console_scripts]\ngitops-lint = gitops_lint.cli:entry\n\n[{GROUP}]\nschema = gitops_lint.rules.schema:RULE\n# a comment\nyaml-syntax=gitops_lint.rules.yaml_syntax:RULE\n"


def test_only_our_distribution_is_read_as_importlib_metadata_reads_it(tmp_path):
    dist(tmp_path / "a", "gitops_lint-0.1.0.dist-info", "gitops-lint", OURS)
    dist(tmp_path / "a", "other_pkg-2.0.dist-info", "other-pkg", "[console_scripts]\nx = y:z\n")
    dist(tmp_path / "a", "no_entry_points-1.0.dist-info", "no-entry-points", None)
    (tmp_path / "a" / "plain.egg-info").write_text("Name: plain\n")  # an egg-info file, not a directory
    path = [str(tmp_path / "a"), str(tmp_path / "missing")]
    assert (
        by_scan(path)
        == by_metadata(path)
        == [
            ("schema", "gitops_lint.rules.schema:RULE", "gitops-lint"),
            ("yaml-syntax", "gitops_lint.rules.yaml_syntax:RULE", "gitops-lint"),
        ]
    )


def test_the_first_of_two_copies_wins_as_in_importlib_metadata(tmp_path):
    dist(tmp_path / "a", "gitops_lint-0.2.0.dist-info", "gitops-lint", f"[{GROUP}]\nnew = m:RULE\n")
    dist(tmp_path / "b", "gitops_lint-0.1.0.dist-info", "gitops-lint", OURS)
    for path in ([str(tmp_path / "a"), str(tmp_path / "b")], [str(tmp_path / "b"), str(tmp_path / "a")]):
        assert by_scan(path) == by_metadata(path)
        assert by_scan(path) is not None


def test_nothing_installed_is_an_empty_answer(tmp_path):
    (tmp_path / "a").mkdir()
    assert by_scan([str(tmp_path / "a")]) == by_metadata([str(tmp_path / "a")]) == []


@pytest.mark.parametrize(
    "layout",
    ["plugin", "plugin-shadowed", "other-name-same-dir", "zip", "egg", "malformed"],
)
def test_anything_else_is_left_to_importlib_metadata(tmp_path, layout):
    a = tmp_path / "a"
    dist(a, "gitops_lint-0.1.0.dist-info", "gitops-lint", OURS)
    path = [str(a)]
    if layout == "plugin":
        dist(a, "acme_rules-1.0.dist-info", "acme-rules", f"[{GROUP}]\nacme = acme:RULE\n")
    elif layout == "plugin-shadowed":  # importlib.metadata would not list it; scan need not know that
        dist(a, "acme-1.0.dist-info", "acme", "")
        dist(tmp_path / "b", "acme-2.0.dist-info", "acme", f"[{GROUP}]\nacme = acme:RULE\n")
        path.append(str(tmp_path / "b"))
    elif layout == "other-name-same-dir":  # our directory name, someone else's Name
        dist(tmp_path / "b", "gitops_lint-9.dist-info", "not-gitops-lint", OURS)
        path = [str(tmp_path / "b")]
    elif layout == "zip":
        with zipfile.ZipFile(tmp_path / "z.zip", "w") as z:
            z.writestr("acme-1.0.dist-info/entry_points.txt", f"[{GROUP}]\nacme = acme:RULE\n")
        path.append(str(tmp_path / "z.zip"))
    elif layout == "egg":
        (tmp_path / "acme-1.0.egg" / "EGG-INFO").mkdir(parents=True)
        path.append(str(tmp_path / "acme-1.0.egg"))
    elif layout == "malformed":  # importlib.metadata raises on a line without "=": so must the run
        dist(a, "broken-1.0.dist-info", "broken", "[console_scripts]\nno equals sign\n")
    assert by_scan(path) is None


def test_a_finder_that_finds_distributions_is_left_to_importlib_metadata(tmp_path, monkeypatch):
    dist(tmp_path / "a", "gitops_lint-0.1.0.dist-info", "gitops-lint", OURS)
    assert by_scan([str(tmp_path / "a")]) is not None

    class Finder:
        @staticmethod
        def find_distributions(context=None):
            return iter(())

    monkeypatch.setattr("sys.meta_path", [*__import__("sys").meta_path, Finder()])
    assert by_scan([str(tmp_path / "a")]) is None


def test_this_environment_agrees_with_importlib_metadata():
    found = scan(GROUP, OWN)
    if found is None:
        pytest.skip("this environment has rule plugins or a layout scan leaves to importlib.metadata")
    installed = metadata.entry_points(group=GROUP)
    assert [(ep.name, ep.value, ep.dist.name) for ep in found] == [
        (ep.name, ep.value, ep.dist.name) for ep in installed
    ]


def test_an_entry_point_loads_what_its_value_names():
    ep = EntryPoint("x", "gitops_lint.core.entry_points:EntryPoint.load", GROUP)
    assert ep.load() is EntryPoint.load
    assert EntryPoint("x", "itertools", GROUP).load() is itertools
    with pytest.raises(ValueError):
        EntryPoint("x", "not a value!", GROUP).load()
