"""Issue 16, points 6 and 7: mistakes are never accepted silently, and the conventions
users bring from ruff and kubeconform (--exit-zero, --output-file, --format junit,
line-level suppression, a single manifest or standard input)."""

from __future__ import annotations

import io
import os
import re
import shutil
import sys
import xml.etree.ElementTree as ET

import pytest

from gitops_lint.cli import lint_parser
from gitops_lint.core.data import Finding, ObjectRef, Severity
from gitops_lint.report import junit
from tests.conftest import FIXTURES
from tests.helpers import GOTK, ks, lint_repo, run_cli, write_tree

EXAMPLE = FIXTURES / "example"
CYCLE = FIXTURES / "defects" / "dependency-cycle"

SUBSTITUTED = ks("apps", "./apps", extra="  postBuild:\n    substitute:\n      known: x\n")


def one_line_error(err: str) -> bool:
    return err.startswith("gitops-lint: error: ") and err.count("\n") == 1 and err.endswith("\n")


def cm(data: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\ndata:\n{data}"


@pytest.fixture
def repo(tmp_path):
    return write_tree(tmp_path / "repo", {**GOTK, "clusters/dev/apps.yaml": SUBSTITUTED})


# -- point 6: mistakes ------------------------------------------------------------------


def test_a_mistyped_command_is_an_unknown_command_not_a_missing_directory():
    code, out, err = run_cli("grpah", str(EXAMPLE))
    assert code == 2 and out == "" and one_line_error(err)
    assert "unknown command 'grpah' (did you mean graph?)" in err and "directory" not in err


def test_a_path_that_exists_is_linted_whatever_its_name(tmp_path, monkeypatch):
    shutil.copytree(CYCLE, tmp_path / "grpah")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli("grpah", "--root", "grpah")
    assert code == 1 and "GL101" in out


def test_a_missing_path_says_so():
    code, _, err = run_cli("no/such/dir")
    assert code == 2 and one_line_error(err) and "no/such/dir: no such file or directory" in err


@pytest.mark.parametrize("version", ["abc", "1.20", "1.99"])
def test_a_kube_version_without_schemas_is_refused_with_the_shipped_list(version):
    code, _, err = run_cli(str(EXAMPLE), "--kube-version", version)
    assert code == 2 and one_line_error(err)
    assert f"--kube-version '{version}'" in err and "1.33" in err


def test_a_kube_version_in_the_config_is_checked_with_its_line(repo):
    (repo / ".gitops-lint.yaml").write_text('fail-on: error\nkube-version: "1.12"\n')
    code, _, err = run_cli(str(repo))
    assert code == 2 and one_line_error(err)
    assert ".gitops-lint.yaml:2: kube-version '1.12': no schemas shipped" in err


def test_a_schemas_directory_that_does_not_exist_is_a_config_error(repo):
    (repo / ".gitops-lint.yaml").write_text("schemas:\n  - schemas/here\n  - schemas/gone\n")
    (repo / "schemas" / "here").mkdir(parents=True)
    code, _, err = run_cli(str(repo))
    assert code == 2 and one_line_error(err)
    assert ".gitops-lint.yaml:3: schemas: 'schemas/gone' does not exist" in err


@pytest.mark.parametrize(
    "text,line,name,close",
    [
        ("rules:\n  missing-pth: off\n", 2, "missing-pth", "missing-path"),
        ("fail-on: error\nignore:\n  - {rule: dependncy-cycle, path: 'a/**'}\n", 3, "dependncy-cycle", None),
        ("rules:\n  GL9999: warning\n", 2, "GL9999", None),
    ],
)
def test_an_unknown_rule_in_the_config_names_file_line_and_the_nearest_rule(repo, text, line, name, close):
    (repo / ".gitops-lint.yaml").write_text(text)
    code, _, err = run_cli(str(repo))
    assert code == 2 and one_line_error(err)
    assert f".gitops-lint.yaml:{line}: unknown rule '{name}'" in err
    if close:
        assert f"did you mean {close}?" in err
    if name == "dependncy-cycle":
        assert "did you mean dependency-cycle?" in err


def test_an_unknown_rule_on_the_command_line_suggests_the_nearest():
    code, _, err = run_cli(str(EXAMPLE), "--ignore", "plaintext-secrets")
    assert code == 2 and one_line_error(err) and "did you mean plaintext-secret?" in err


def test_lower_case_codes_work_everywhere_a_code_is_accepted(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(CYCLE, repo)
    assert run_cli(str(repo), "--select", "gl101")[0] == 1
    assert run_cli(str(repo), "--ignore", "gl101")[0] == 0
    assert run_cli(str(repo), "--ignore", "gl1")[0] == 0
    assert run_cli(str(repo), "--select", "gl6")[0] == 0
    (repo / ".gitops-lint.yaml").write_text("rules: {gl101: off}\n")
    assert run_cli(str(repo))[0] == 0
    (repo / ".gitops-lint.yaml").write_text('ignore:\n  - {rule: gl101, path: "clusters/**"}\n')
    assert run_cli(str(repo))[0] == 0


def test_explain_takes_a_lower_case_code_and_suggests_the_nearest_rule():
    code, out, _ = run_cli("explain", "gl101")
    assert code == 0 and out.startswith("# dependency-cycle (GL101)")
    code, _, err = run_cli("explain", "crd-ordr")
    assert code == 2 and one_line_error(err) and "did you mean crd-order?" in err


def test_every_subcommand_documents_its_arguments(monkeypatch):
    import argparse

    from gitops_lint import cli

    parsers = []

    def capture(self, args=None, namespace=None):
        parsers.append(self)
        raise SystemExit(0)  # stop before the command runs

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", capture)
    for command in ("graph", "build", "explain"):
        with pytest.raises(SystemExit):
            cli.COMMANDS[command](["x"])
    assert len(parsers) == 3
    for parser in parsers:
        for action in parser._actions:
            assert action.help, (parser.prog, action.dest)


def test_standard_input_absent_is_one_line(monkeypatch):
    monkeypatch.setattr(sys, "stdin", None)
    code, _, err = run_cli("-")
    assert code == 2 and one_line_error(err) and "no standard input" in err


def test_a_directory_that_cannot_be_read_is_a_finding(repo, monkeypatch):
    write_tree(
        repo,
        {"apps/ok.yaml": cm("  a: b\n"), "apps/locked/x.yaml": cm("  a: b\n").replace("name: a", "name: x")},
    )
    real = os.scandir

    def scandir(path="."):
        if str(path).endswith(os.sep + "locked"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr("gitops_lint.core.fs.os.scandir", scandir)
    findings = lint_repo(repo).findings
    assert [(f.rule, f.severity, f.file) for f in findings] == [
        ("yaml-syntax", Severity.WARNING, "apps/locked")
    ]
    assert "cannot be read (Permission denied)" in findings[0].message


@pytest.mark.parametrize("target", ["absent", "file"])
def test_build_of_a_missing_directory_or_a_file_is_one_line(tmp_path, target):
    (tmp_path / "file").write_text("a: 1\n")
    code, out, err = run_cli("build", str(tmp_path / target))
    assert code == 2 and out == "" and one_line_error(err)
    assert ("no such directory" if target == "absent" else "not a directory") in err


def test_help_documents_every_option_the_commands_and_the_exit_status():
    out = lint_parser().format_help()
    for action in lint_parser()._actions:
        for option in action.option_strings:
            assert option in out, option
        assert action.help, action.dest
    for command in ("graph", "build", "rules", "explain", "schemas import"):
        assert f"gitops-lint {command}" in out
    assert "exit status:" in out and re.search(r"^  2  usage", out, re.M)
    from gitops_lint.single import FILE_RULES

    assert all(rule in out for rule in FILE_RULES)  # which rules a single manifest gets


# -- point 7: conventions -----------------------------------------------------------------


def test_exit_zero_reports_but_exits_zero():
    code, out, _ = run_cli(str(CYCLE), "--root", str(CYCLE), "--exit-zero")
    assert code == 0 and "GL101" in out
    assert run_cli("/no/such/dir", "--exit-zero")[0] == 2  # an error is still an error


def test_output_file_is_written_instead_of_stdout(tmp_path):
    target = tmp_path / "out" / "report.json"
    target.parent.mkdir()
    code, out, _ = run_cli(str(CYCLE), "--root", str(CYCLE), "--format", "json", "--output-file", str(target))
    assert code == 1 and out == ""
    assert '"GL101"' in target.read_text()
    assert os.listdir(target.parent) == ["report.json"]  # no temporary file left


def test_output_file_replaces_a_symlink_instead_of_writing_through_it(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    link = tmp_path / "report.txt"
    link.symlink_to(victim)
    run_cli(str(CYCLE), "--root", str(CYCLE), "--output-file", str(link))
    assert victim.read_text() == "keep me\n"
    assert not link.is_symlink() and "GL101" in link.read_text()


def test_output_file_in_a_missing_directory_is_one_line(tmp_path):
    code, _, err = run_cli(str(CYCLE), "--root", str(CYCLE), "--output-file", str(tmp_path / "no" / "r.txt"))
    assert code == 2 and one_line_error(err) and "--output-file" in err


def test_line_level_suppression(repo):
    write_tree(
        repo,
        {
            "apps/cm.yaml": cm(
                "  a: ${one}   # gitops-lint: disable-line=unresolved-variable\n"
                "  # gitops-lint: disable-next-line=GL401\n"
                "  b: ${two}\n"
                "  c: ${three}\n"
                "  d: ${four}  # gitops-lint: disable-line=gl401,schema\n"
            )
        },
    )
    assert [(f.rule, f.line) for f in lint_repo(repo).findings] == [("unresolved-variable", 10)]


def test_line_level_suppression_works_in_an_env_file(repo):
    write_tree(
        repo,
        {
            "clusters/dev/apps.yaml": ks("apps", "./apps"),
            "apps/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            "namespace: default\nsecretGenerator:\n  - name: s\n    envs: [app.env]\n",
            "apps/app.env": "A=plain-one\n# gitops-lint: disable-next-line=plaintext-secret\nB=plain-two\n",
        },
    )
    assert [(f.rule, f.file, f.line) for f in lint_repo(repo).findings] == [
        ("plaintext-secret", "apps/app.env", 1)
    ]


def test_a_document_suppression_takes_lower_case_codes(repo):
    write_tree(repo, {"apps/cm.yaml": "# gitops-lint: disable=gl401\n" + cm("  a: ${one}\n")})
    assert lint_repo(repo).findings == []


@pytest.mark.parametrize(
    "comment,message",
    [
        (
            "# gitops-lint: disable-line=unresolved-variabel",
            "unknown rule 'unresolved-variabel' in a suppression",
        ),
        (
            "# gitops-lint: disable-next-lin=unresolved-variable",
            "unknown suppression comment 'disable-next-lin'",
        ),
        ("# gitops-lint: disable=GL4O1", "unknown rule 'GL4O1'"),
        ("# gitops-lint: disable-line", "suppression comment without rules"),
    ],
)
def test_a_suppression_comment_that_names_no_rule_is_a_warning_at_its_line(repo, comment, message):
    write_tree(repo, {"apps/cm.yaml": cm(f"  a: ${{one}}  {comment}\n")})
    findings = lint_repo(repo).findings
    warnings = [f for f in findings if f.rule == "yaml-syntax"]
    assert [(f.severity, f.file, f.line) for f in warnings] == [(Severity.WARNING, "apps/cm.yaml", 7)]
    assert message in warnings[0].message and "suppresses nothing" in warnings[0].message
    assert any(f.rule == "unresolved-variable" for f in findings)  # nothing was suppressed


def test_a_comment_that_only_mentions_gitops_lint_is_no_directive(repo):
    write_tree(repo, {"apps/cm.yaml": "# gitops-lint: this file is checked in CI\n" + cm("  a: b\n")})
    assert lint_repo(repo).findings == []


SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: default\nstringData:\n  pw: hunter2-value\n"
DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: many
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers: [{name: c, image: nginx}]
"""


def test_a_single_manifest_gets_the_file_rules_only(tmp_path):
    path = tmp_path / "web.yaml"
    text = DEPLOY + "---\n" + ks("apps", "./nowhere", depends=["absent"]) + "---\n" + SECRET
    path.write_text(text)
    secret_line = text.splitlines().index("  pw: hunter2-value") + 1
    code, out, err = run_cli(str(path), "--format", "json")
    import json

    findings = json.loads(out)["findings"]
    assert code == 1, err
    assert sorted((f["rule"], f["file"], f["line"]) for f in findings) == [
        ("plaintext-secret", str(path), secret_line),
        ("schema", str(path), 7),
    ]
    assert "hunter2" not in out + err
    assert err == ""


def test_standard_input_is_a_manifest_named_dash(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(DEPLOY.encode())))
    code, out, _ = run_cli("-", "--format", "concise")
    assert code == 1
    assert out.splitlines()[0].startswith("-:7:")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(DEPLOY.encode())))
    code, out, _ = run_cli("-", "--format", "text")  # grouped under the file name "-"
    assert out.splitlines()[0] == "-"


def test_files_and_directories_are_not_mixed(tmp_path):
    (tmp_path / "a.yaml").write_text(SECRET)
    code, _, err = run_cli(str(tmp_path / "a.yaml"), str(EXAMPLE))
    assert code == 2 and one_line_error(err)


# -- junit ----------------------------------------------------------------------------------


def _finding(message, file="apps/a.yaml", severity=Severity.ERROR, line=3, rule=("schema", "GL501")):
    return Finding(
        rule[0],
        rule[1],
        severity,
        message,
        file,
        line,
        2,
        ObjectRef("ConfigMap", "default", "a", "v1"),
        "clusters/dev",
    )


def test_junit_is_valid_xml_one_suite_per_file_and_deterministic():
    findings = [
        _finding('bad\x1b[31m red \x00 nul \ufffe <tag> & "quote"\nnext'),
        _finding("not checked", severity=Severity.INFO, line=9, rule=("missing-source", "GL103")),
        _finding("other", file="clusters/dev/apps.yaml", severity=Severity.WARNING),
    ]
    out = junit.render(findings, {})
    assert out == junit.render(list(findings), {})
    root = ET.fromstring(out)
    assert root.tag == "testsuites" and root.get("tests") == "3" and root.get("failures") == "2"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert sorted(suites) == ["apps/a.yaml", "clusters/dev/apps.yaml"]
    cases = suites["apps/a.yaml"].findall("testcase")
    assert [c.get("name") for c in cases] == ["GL501 schema", "GL103 missing-source"]
    failure = cases[0].find("failure")
    assert failure.get("type") == "error" and "\\x1b[31m" in failure.get("message")
    assert "<tag>" in failure.text and "\x1b" not in out and "\x00" not in out and "\ufffe" not in out
    assert cases[1].find("skipped") is not None and cases[1].find("failure") is None


def test_junit_names_the_clusters_of_a_shared_file_once():
    shared = [_finding("bad"), _finding("bad")]
    shared[1].cluster = "clusters/prod"
    root = ET.fromstring(junit.render(shared, {}))
    (case,) = root.findall("testsuite/testcase")
    assert "(clusters clusters/dev, clusters/prod)" in case.find("failure").text


def test_junit_of_a_clean_run_is_one_passing_case():
    root = ET.fromstring(junit.render([], {}))
    assert root.get("tests") == "1" and root.get("failures") == "0"
    assert root.find("testsuite/testcase").get("name") == "no findings"


def test_junit_from_the_command_line(tmp_path):
    code, out, _ = run_cli(str(CYCLE), "--root", str(CYCLE), "--format", "junit")
    assert code == 1
    assert ET.fromstring(out).find("testsuite/testcase").get("name") == "GL101 dependency-cycle"


def test_an_internal_error_is_reported_as_one_not_as_a_usage_error(monkeypatch, capsys):
    """InternalError (a broken contract inside gitops-lint) is a bug: the internal-error
    line and exit 2, never `gitops-lint: error:` as if the user had erred."""
    from gitops_lint import cli
    from gitops_lint.core.errors import InternalError

    def broken(argv):
        raise InternalError("a caller forgot known=")

    monkeypatch.setattr(cli, "cmd_lint", broken)
    assert cli.main(["."]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gitops-lint: internal error: InternalError: a caller forgot known=")
    assert "(rerun with --debug)" in err
