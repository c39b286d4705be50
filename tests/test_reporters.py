"""The sarif and github reporters: schema-valid SARIF, GitHub's escaping, the job summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitops_lint.core.data import Finding, ObjectRef, Severity
from gitops_lint.report import FORMATS, paths
from gitops_lint.report.github import annotation, escape_data, escape_property, step_summary
from gitops_lint.report.sarif import FINGERPRINT_KEY, to_sarif
from gitops_lint.rules import all_rules
from tests.conftest import FIXTURES
from tests.helpers import report_formats, run_cli

CYCLE = FIXTURES / "defects" / "dependency-cycle"
# CI formats name files relative to the Git work tree holding the root (tests/test_ci_paths.py)
CYCLE_APPS = paths.in_worktree("clusters/dev/apps.yaml", paths.root_prefix(str(CYCLE), {}))
SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
SUMMARY = {"files": 1, "documents": 1, "kustomizations": 1, "helmreleases": 0, "errors": 1, "warnings": 1}


def _validator():
    jsonschema = pytest.importorskip("jsonschema")
    if not SCHEMA.is_file():  # to vendor: oasis-tcs/sarif-spec Schemata/sarif-schema-2.1.0.json
        pytest.skip(f"the SARIF 2.1.0 schema is not vendored at {SCHEMA.relative_to(Path(__file__).parent)}")
    schema = _errata(json.loads(SCHEMA.read_text(encoding="utf-8")))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _errata(schema: dict) -> dict:
    """The vendored file's two known defects (tests/data/README.md), corrected in memory as the
    approved errata do, so the file itself stays byte-identical to upstream:
    ``region``'s ``anyOf`` sits inside ``properties`` (oasis-tcs/sarif-spec#578), and the
    ``language`` patterns put ``(?i)`` after ``^``, which Python's re refuses."""
    region = schema["definitions"]["region"]
    region["anyOf"] = region["properties"].pop("anyOf")
    for owner in ("run", "toolComponent"):
        language = schema["definitions"][owner]["properties"]["language"]
        assert language["pattern"] == "^(?i)[a-zA]{2}(-[a-z]{2})?$"
        language["pattern"] = "(?i)^[a-z]{2}(-[a-z]{2})?$"
    return schema


def _sarif(*args: str) -> dict:
    code, out, err = run_cli(*args, "--format", "sarif")
    assert code in (0, 1), err
    return json.loads(out)


def test_sarif_of_a_defect_validates_against_the_2_1_0_schema():
    doc = _sarif(str(CYCLE), "--root", str(CYCLE))
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    (run,) = doc["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.code for r in all_rules()]  # one descriptor per rule
    cycle = next(r for r in rules if r["name"] == "dependency-cycle")
    assert cycle["help"]["markdown"].startswith("# dependency-cycle (GL101)")
    assert not any("helpUri" in r for r in rules)  # no public address: the page is the help
    (result,) = run["results"]
    assert result["ruleId"] == "GL101" and rules[result["ruleIndex"]]["id"] == "GL101"
    loc = result["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": CYCLE_APPS, "uriBaseId": "%SRCROOT%"}
    assert loc["region"] == {"startLine": 9, "startColumn": 7}


def test_sarif_of_a_clean_repository_and_of_odd_findings_validates():
    validator = _validator()
    clean = _sarif(str(FIXTURES / "example"))
    assert clean["runs"][0]["results"] == [] and not list(validator.iter_errors(clean))
    odd = [
        Finding("yaml-syntax", "GL001", Severity.INFO, "a\nb %", "dir with space/ü.yaml", 1, 1),
        Finding("not-registered", "GL999", Severity.WARNING, "no file", None, 1, 1),
    ]
    doc = to_sarif(odd, SUMMARY)
    assert not list(validator.iter_errors(doc))
    results = doc["runs"][0]["results"]
    assert results[0]["level"] == "note"
    assert (
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "dir%20with%20space/%C3%BC.yaml"
    )
    assert "locations" not in results[1] and results[1]["level"] == "warning"


def test_sarif_fingerprints_survive_moved_lines_and_separate_duplicates():
    ref = ObjectRef("Kustomization", "flux-system", "apps", "kustomize.toolkit.fluxcd.io/v1")
    a = Finding("dependency-cycle", "GL101", Severity.ERROR, "cycle", "c/apps.yaml", 9, 7, ref, "c")
    moved = Finding("dependency-cycle", "GL101", Severity.ERROR, "cycle", "c/apps.yaml", 30, 7, ref, "c")
    other = Finding("dependency-cycle", "GL101", Severity.ERROR, "cycle", "c/infra.yaml", 9, 7, ref, "c")

    def fps(findings):
        return [
            r["partialFingerprints"][FINGERPRINT_KEY]
            for r in to_sarif(findings, SUMMARY)["runs"][0]["results"]
        ]

    assert fps([a]) == fps([moved]) != fps([other])
    first, second = fps([a, moved])
    assert second == f"{first}:2"


def test_github_escaping_matches_the_runner():
    assert escape_data("50%\r\nnext: a,b") == "50%25%0D%0Anext: a,b"
    assert escape_property("dir:a,b%\n") == "dir%3Aa%2Cb%25%0A"
    f = Finding("missing-path", "GL104", Severity.WARNING, "path: ./a,b\nmissing 100%", "x:y,z.yaml", 3, 5)
    assert (
        annotation(f)
        == "::warning file=x%3Ay%2Cz.yaml,line=3,col=5,title=GL104 missing-path::path: ./a,b%0Amissing 100%25"
    )
    info = Finding("missing-source", "GL103", Severity.INFO, "external", None, 1, 1)
    assert annotation(info) == "::notice title=GL103 missing-source::external"


def test_github_format_and_job_summary(tmp_path, monkeypatch):
    summary_file = tmp_path / "summary.md"
    summary_file.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary_file))
    code, out, _ = run_cli(str(CYCLE), "--root", str(CYCLE), "--format", "github")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(
        f"::error file={CYCLE_APPS},line=9,col=7,title=GL101 dependency-cycle::dependsOn cycle"
    )
    assert lines[-1].startswith("Found 1 error, 0 warnings")
    text = summary_file.read_text()
    assert text.startswith("earlier step\n## gitops-lint\n")  # appended, never overwritten
    assert (
        f"| error | `{CYCLE_APPS}:9` | GL101 dependency-cycle | dependsOn cycle: apps -> infra -> apps"
        in text
    )


def test_github_summary_escapes_table_cells_and_is_skipped_without_the_variable(monkeypatch):
    f = Finding("missing-path", "GL104", Severity.ERROR, "a|b\nc", "f.yaml", 1, 1)
    assert "| a\\|b c |" in step_summary([f], SUMMARY)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    code, _, _ = run_cli(str(FIXTURES / "example"), "--format", "github")
    assert code == 0


@pytest.mark.parametrize("fmt", report_formats())
def test_every_format_is_registered_and_deterministic(fmt):
    assert set(FORMATS) >= {"text", "concise", "json", "sarif", "github", "junit"}
    assert fmt in FORMATS  # a --format choice without a reporter would fail at run time
    outs = {run_cli(str(CYCLE), "--root", str(CYCLE), "--format", fmt)[1] for _ in range(2)}
    assert len(outs) == 1 and "GL101" in outs.pop()
