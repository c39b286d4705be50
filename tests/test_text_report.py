"""The text report a person reads: golden files of a repository with planted defects.

``tests/fixtures/text-report-defects`` (two clusters; errors, warnings, infos, fixable
findings; its README lists them) is linted as a user would, and the output compared byte
for byte with ``tests/data/text_report*.golden``. The README's sample run is that output
too. After an intended change of the report, regenerate the golden files and the README
sample with::

    GITOPS_LINT_REGENERATE_GOLDEN=1 python -m pytest tests/test_text_report.py

and read the diff before committing it.
"""

from __future__ import annotations

import io
import os
import re
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.core.data import Finding, ObjectRef, Severity
from gitops_lint.report import concise, text
from gitops_lint.report.text import TextOptions, output_width, use_color
from tests.conftest import FIXTURES, PROJECT
from tests.helpers import run_cli
from tests.readme_snippets import readme_block

FIXTURE = FIXTURES / "text-report-defects"
DATA = PROJECT / "tests" / "data"
REGENERATE = bool(os.environ.get("GITOPS_LINT_REGENERATE_GOLDEN"))
README_TITLE = "a run"
README_PROMPT = "$ cd tests/fixtures/text-report-defects\n$ gitops-lint .\n"
SUMMARY = {"files": 1, "documents": 1, "kustomizations": 1, "helmreleases": 0, "errors": 1, "warnings": 0}


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch):
    """The report as pre-commit and CI see it: not a terminal, no colour variables."""
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)


def _run(monkeypatch, cwd, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(cwd)
    code, out, err = run_cli(*args)
    assert code in (0, 1), err
    return code, out


def _golden(name: str, actual: str) -> None:
    path = DATA / name
    if REGENERATE:
        path.write_text(actual, encoding="utf-8")
    assert path.is_file(), f"{path} is missing: regenerate with GITOPS_LINT_REGENERATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8"), (
        f"the report differs from {path.name}; if intended, regenerate with GITOPS_LINT_REGENERATE_GOLDEN=1"
    )


# -- golden files --------------------------------------------------------------------


def test_text_report_matches_the_golden_file(monkeypatch):
    code, out = _run(monkeypatch, FIXTURE, ".")
    assert code == 1
    _golden("text_report.golden", out)
    # what the golden file must show, so a regeneration cannot lose it unnoticed
    lines = out.splitlines()
    assert "apps/base/podinfo/deployment.yaml" in lines  # grouped by file, path relative to cwd
    assert any("error    GL501 schema  Deployment/podinfo/podinfo" in x for x in lines)
    assert "(clusters/production, clusters/staging)" in out  # one entry for the shared defect
    assert out.count(" [*] ") == 3 and "[*] 3 fixable with --fix" in out
    assert "Not checked: " in out and "--show-info" in out and "  info  " not in out  # infos summed up
    assert lines[-1].startswith("Found 4 errors, 2 warnings, 2 info (")
    assert all(len(x) <= 100 for x in lines), "wrapped to 100 columns when not a terminal"
    assert "\x1b" not in out


def test_concise_format_matches_the_golden_file_with_paths_relative_to_the_cwd(monkeypatch):
    _, out = _run(monkeypatch, PROJECT, "tests/fixtures/text-report-defects", "--format", "concise")
    _golden("text_report_concise.golden", out)
    first = out.splitlines()[0]
    assert re.match(
        r"tests/fixtures/text-report-defects/apps/base/podinfo/deployment\.yaml:\d+:\d+: error GL501 ", first
    )
    assert " info GL103 " in out  # an editor shows everything, info included


def test_statistics_match_the_golden_file(monkeypatch):
    _, out = _run(monkeypatch, FIXTURE, ".", "--statistics")
    _golden("text_report_statistics.golden", out)
    assert re.search(r"^2  GL503  \[\*\] deprecated-api +warning$", out, re.M)
    assert "dependsOn" not in out  # the counts instead of the findings, as ruff does
    assert _run(monkeypatch, FIXTURE, ".", "--statistics", "--format", "concise")[1] == out
    code, _, err = run_cli(".", "--statistics", "--format", "json")
    assert code == 2 and err.count("\n") == 1 and "--statistics" in err


def test_the_readme_sample_is_the_real_output(monkeypatch):
    _, out = _run(monkeypatch, FIXTURE, ".")
    expected = README_PROMPT + out
    if REGENERATE:
        readme = PROJECT / "README.md"
        content = readme.read_text(encoding="utf-8")
        block = re.compile(rf'(^```console title="{README_TITLE}"\n).*?(^```$)', re.M | re.S)
        assert block.search(content), f"README.md has no block titled {README_TITLE!r}"
        readme.write_text(block.sub(lambda m: m.group(1) + expected + m.group(2), content), encoding="utf-8")
    assert readme_block(README_TITLE) == expected


def test_the_report_is_byte_identical_across_runs(monkeypatch):
    outs = {_run(monkeypatch, FIXTURE, ".", *extra)[1] for extra in ([], [], ["--color", "never"])}
    assert len(outs) == 1


# -- what the layout promises ----------------------------------------------------------


def test_fixable_marks_are_what_fix_repairs(monkeypatch, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURE, repo)
    _, before = _run(monkeypatch, repo, ".", "--format", "concise")
    marked = sorted(x.split(": ", 1)[0] for x in before.splitlines() if " [*] " in x)
    code, out, err = run_cli(".", "--fix")
    fixed = sorted(x.split()[2] for x in err.splitlines() if x.startswith("gitops-lint: fixed "))
    assert len(marked) == len(fixed) == 3
    assert [m.rsplit(":", 1)[0] for m in marked] == fixed  # file:line, the same three
    assert "[*]" not in out and "fixable" not in out


def test_infos_are_listed_on_demand_and_when_they_fail_the_run(monkeypatch):
    _, hidden = _run(monkeypatch, FIXTURE, ".")
    _, shown = _run(monkeypatch, FIXTURE, ".", "--show-info")
    _, failing = _run(monkeypatch, FIXTURE, ".", "--fail-on", "info")
    assert "GL103" not in hidden and "GL105" not in hidden
    for out in (shown, failing):
        assert "info     GL103 missing-source" in out and "info     GL105 kustomize-build" in out
        assert "Not checked: " in out and "--show-info" not in out


def test_one_cluster_linted_names_no_cluster_and_paths_follow_the_cwd(monkeypatch):
    _, out = _run(monkeypatch, FIXTURE / "clusters" / "staging", ".")
    assert "(clusters/" not in out
    assert "../../apps/base/podinfo/deployment.yaml\n" in out
    assert "\napps.yaml\n" in out  # clusters/staging/apps.yaml seen from clusters/staging


def test_colour_only_when_asked_or_on_a_terminal(monkeypatch):
    _, plain = _run(monkeypatch, FIXTURE, ".")
    _, always = _run(monkeypatch, FIXTURE, ".", "--color", "always")
    assert "\x1b" not in plain
    assert "\x1b[1;31merror\x1b[0m    \x1b[1mGL501\x1b[0m" in always
    assert re.sub(r"\x1b\[[0-9;]*m", "", always) == plain  # colour adds codes, never moves text
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" in _run(monkeypatch, FIXTURE, ".")[1]
    assert "\x1b" not in _run(monkeypatch, FIXTURE, ".", "--color", "never")[1]
    assert "\x1b" not in _run(monkeypatch, FIXTURE, ".", "--format", "concise", "--color", "always")[1]


class _Stream(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_use_color_follows_no_color_then_force_color_then_the_terminal():
    tty, pipe = _Stream(True), _Stream(False)
    assert use_color("auto", tty, {}) and not use_color("auto", pipe, {})
    assert not use_color("auto", tty, {"NO_COLOR": "1"})
    assert use_color("auto", tty, {"NO_COLOR": ""})  # an empty NO_COLOR is unset (no-color.org)
    assert use_color("auto", pipe, {"FORCE_COLOR": "1"})
    assert not use_color("auto", pipe, {"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert not use_color("auto", tty, {"TERM": "dumb"})
    assert use_color("always", pipe, {"NO_COLOR": "1"}) and not use_color("never", tty, {"FORCE_COLOR": "1"})


def test_width_is_the_terminals_or_100(monkeypatch):
    import shutil as sh

    monkeypatch.setattr(sh, "get_terminal_size", lambda fallback=(80, 24): os.terminal_size((72, 24)))
    assert output_width(_Stream(True)) == 72 and output_width(_Stream(False)) == 100
    monkeypatch.setattr(sh, "get_terminal_size", lambda fallback=(80, 24): os.terminal_size((10, 24)))
    assert output_width(_Stream(True)) == 40


def test_messages_wrap_without_splitting_words_or_paths():
    url = "https://example.com/" + "a" * 80
    f = Finding("missing-path", "GL104", Severity.ERROR, f"word {'x' * 30} " * 4 + url, "f.yaml", 3, 5)
    out = text.render([f], SUMMARY, TextOptions(width=60))
    body = out.splitlines()[2:-2]
    assert all(len(x) <= 60 for x in body if url not in x)
    assert any(x.strip() == url for x in body)  # too long for a line: on its own, whole
    assert " ".join(x.strip() for x in body) == f.message


def test_a_long_object_and_cluster_list_wrap_under_the_header():
    ref = ObjectRef("Kustomization", "flux-system", "long-kustomization-name", "v1")
    clusters = [f"clusters/region-{i}/cluster-{i}" for i in range(5)]
    findings = [Finding("crd-prune", "GL203", Severity.ERROR, "m", "f.yaml", 9, 3, ref, c) for c in clusters]
    lines = text.render(findings, SUMMARY, TextOptions(width=60)).splitlines()
    assert lines[1] == "  9:3  error    GL203 crd-prune"
    assert lines[2] == "       Kustomization/flux-system/long-kustomization-name"
    assert all(len(x) <= 60 for x in lines[:-1])
    assert " ".join(x.strip() for x in lines[3:-3]) == f"({', '.join(clusters)})"


def test_control_characters_are_escaped_in_every_field():
    ref = ObjectRef("Secret", "ns\x1b[2J", "a\nb", "v1")
    f = Finding(
        "plaintext\x07",
        "GL301",
        Severity.ERROR,
        "m\n::error::x\u2028y\u202e",
        "d\r/f\x1b.yaml",
        1,
        1,
        ref,
        "c\n1",
    )
    g = Finding(
        "plaintext\x07",
        "GL301",
        Severity.ERROR,
        "m\n::error::x\u2028y\u202e",
        "d\r/f\x1b.yaml",
        1,
        1,
        ref,
        "c2",
    )
    for out in (
        text.render([f, g], SUMMARY),
        text.render([f, g], SUMMARY, TextOptions(statistics=True)),
        concise.render([f, g], SUMMARY),
    ):
        assert (
            "\x1b" not in out
            and "\r" not in out
            and "\x07" not in out
            and "\u2028" not in out
            and "\u202e" not in out
        )
        assert not any(line.startswith("::") for line in out.splitlines())
    h = Finding("schema", "GL501", Severity.ERROR, "m", "::error file=x::y.yaml", 1, 1)
    for out in (text.render([h], SUMMARY), concise.render([h], SUMMARY)):
        assert "./::error file=x::y.yaml" in out and not any(x.startswith("::") for x in out.splitlines())
    out = text.render([f, g], SUMMARY)
    assert "d\\r/f\\x1b.yaml" in out and "Secret/ns\\x1b[2J/a\\nb" in out and "(c\\n1, c2)" in out


def test_the_found_line_stays_last_for_the_github_format():
    info = Finding("missing-source", "GL103", Severity.INFO, "external", "a.yaml", 1, 1)
    out = text.render([info], SUMMARY, TextOptions(fixable=frozenset({info.sort_key()})))
    assert out.splitlines()[-1] == text.found_line([info], SUMMARY)
    assert out.splitlines()[0] == "Not checked: 1 external source (--show-info lists it)."


def test_a_finding_without_a_file_is_listed_under_no_file():
    f = Finding("yaml-syntax", "GL001", Severity.ERROR, "unreadable", None, 1, 1)
    assert text.render([f], SUMMARY).splitlines()[:3] == [
        "(no file)",
        "  1:1  error    GL001 yaml-syntax",
        "       unreadable",
    ]
    assert concise.render([f], SUMMARY).splitlines()[0] == "-: error GL001 unreadable"


_field = st.text(max_size=40)
_findings = st.lists(
    st.builds(
        Finding,
        rule=st.sampled_from(["schema", "missing-source", "crd-prune"]),
        code=st.sampled_from(["GL501", "GL103", "GL203"]),
        severity=st.sampled_from(list(Severity)),
        message=st.text(max_size=300),
        file=st.one_of(st.none(), _field),
        line=st.integers(1, 10_000),
        column=st.integers(1, 200),
        object=st.one_of(st.none(), st.builds(ObjectRef, _field, _field, _field)),
        cluster=st.one_of(st.none(), _field),
    ),
    max_size=6,
)


@pytest.mark.slow
@settings(max_examples=60)
@given(findings=_findings, width=st.integers(40, 160), show_info=st.booleans(), statistics=st.booleans())
def test_any_findings_give_printable_lines_ending_with_the_found_line(findings, width, show_info, statistics):
    findings = sorted(findings, key=Finding.sort_key)
    options = TextOptions(width=width, show_info=show_info, statistics=statistics)
    out = text.render(findings, SUMMARY, options)
    assert out == text.render(findings, SUMMARY, options)  # deterministic
    lines = out.splitlines()
    assert out.endswith("\n") and lines[-1] == text.found_line(findings, SUMMARY)
    for line in [*lines, *concise.render(findings, SUMMARY).splitlines()]:
        assert not any(_unsafe(c) for c in line), repr(line)
        assert not line.startswith("::")


def _unsafe(c: str) -> bool:
    """A character that moves the cursor, ends a line or reorders text on a terminal."""
    o = ord(c)
    return (
        o < 0x20
        or 0x7F <= o < 0xA0
        or o in (0x2028, 0x2029, 0x200E, 0x200F)
        or 0x202A <= o <= 0x202E
        or 0x2066 <= o <= 0x2069
    )
