"""A rule that raises is one internal finding, not the end of the run (issue 15, point 6).

The other rules still report; the raising rule is named (name and code) with
the exception's type only, never its text (which may quote a Secret); the run
exits 2 (an internal error) with the whole report printed.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from gitops_lint import rules as rules_module
from gitops_lint.rules import all_rules
from tests.helpers import GOTK, ks, report_formats, run_cli, write_tree

SECRET = "s3cr3t-Zq9-value-from-a-secret"


def _repo(root):
    files = dict(GOTK)
    files.update(
        {
            "clusters/dev/apps.yaml": ks("apps", "./apps", depends=["nowhere"]),
            "apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: default\n",
            "apps/s.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: default\n"
            f"stringData:\n  password: {SECRET}\n",
            "apps/bad.yaml": "a: [\n",
        }
    )
    (root / ".git").mkdir()
    return write_tree(root, files)


@pytest.fixture
def raising(monkeypatch):
    """missing-dependency (a cluster rule) raises after one real finding; plaintext-secret
    (a repository rule) raises at once, with a Secret's value in the exception's text."""
    original = all_rules()
    by_name = {r.name: r for r in original}

    def half_then_raise(ctx):
        yield from list(by_name["missing-dependency"].check(ctx))[:1]
        raise KeyError(f"boom {SECRET}")

    def raise_at_once(ctx):
        raise ValueError(f"password was {SECRET}")
        yield  # pragma: no cover

    patched = [
        dataclasses.replace(r, check=half_then_raise)
        if r.name == "missing-dependency"
        else dataclasses.replace(r, check=raise_at_once)
        if r.name == "plaintext-secret"
        else r
        for r in original
    ]
    monkeypatch.setattr(rules_module, "_CACHE", patched)
    return by_name


def test_a_raising_rule_is_one_internal_finding_and_the_others_report(tmp_path, raising):
    root = _repo(tmp_path)
    code, out, err = run_cli(str(root), "--root", str(root), "--format", "json")
    assert code == 2, err
    assert "Traceback" not in err and SECRET not in out + err
    findings = json.loads(out)["findings"]
    internal = [f for f in findings if "internal error in rule" in f["message"]]
    assert sorted((f["rule"], f["code"], f["severity"]) for f in internal) == [
        ("missing-dependency", raising["missing-dependency"].code, "info"),
        ("plaintext-secret", raising["plaintext-secret"].code, "info"),
    ]
    by_rule = {f["rule"]: f for f in internal}
    assert "internal error in rule missing-dependency (GL" in by_rule["missing-dependency"]["message"]
    assert ": KeyError" in by_rule["missing-dependency"]["message"]
    assert ": ValueError" in by_rule["plaintext-secret"]["message"]
    assert by_rule["missing-dependency"]["cluster"] == "clusters/dev"
    # what the raising rule found before it raised stays; the other rules ran
    assert any(f["rule"] == "missing-dependency" and "nowhere" in f["message"] for f in findings)
    assert any(f["rule"] == "yaml-syntax" and f["file"] == "apps/bad.yaml" for f in findings)
    # stderr says it once per rule, in one line each
    lines = [ln for ln in err.splitlines() if "internal error in rule" in ln]
    assert len(lines) == 2 and all(ln.startswith("gitops-lint: ") for ln in lines)


def test_every_format_prints_the_report_with_the_internal_finding(tmp_path, raising):
    root = _repo(tmp_path)
    for fmt in report_formats():
        code, out, err = run_cli(str(root), "--root", str(root), "--format", fmt)
        assert code == 2 and "internal error in rule missing-dependency" in out, (fmt, out, err)
        assert SECRET not in out + err


def test_without_a_raising_rule_the_exit_status_is_the_findings(tmp_path):
    root = _repo(tmp_path)
    code, out, _ = run_cli(str(root), "--root", str(root), "--format", "json")
    assert code == 1 and "internal error" not in out


def test_the_exception_text_is_redacted_on_stderr_and_the_traceback_only_with_debug(tmp_path, raising):
    root = _repo(tmp_path)
    code, out, err = run_cli(str(root), "--root", str(root))
    assert code == 2 and "Traceback" not in err
    assert "ValueError: password was ***" in err and SECRET not in out + err
    code, out, err = run_cli(str(root), "--root", str(root), "--debug")
    assert code == 2 and "Traceback" in err and "half_then_raise" in err
    assert SECRET not in out + err
