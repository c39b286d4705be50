"""One run, one state: two Linters in one process do not see each other.

What depends on a repository or a config (the redactor's secret values, the
secret inventory, the schemas a config's directories hold) belongs to the
run; only pure functions of immutable input (a compiled CEL program of a
string, a bundled schema, a validator compiled from a schema's text) are
shared by the process.
"""

from __future__ import annotations

import json
from pathlib import Path

from gitops_lint.lint import Linter
from gitops_lint.load.config import load_config
from gitops_lint.report.json_report import render as to_json
from tests.helpers import GOTK, run_cli, write_tree

SECRET = "Zq8vK3pL9mX2wQ7t"


def _schema(size_type: str) -> str:
    return json.dumps(
        {
            "type": "object",
            "properties": {
                "apiVersion": {"type": "string"},
                "kind": {"type": "string"},
                "metadata": {"type": "object"},
                "spec": {"type": "object", "properties": {"size": {"type": size_type}}},
            },
        }
    )


WIDGET = f"apiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: w, namespace: default}}\nspec:\n  size: {SECRET}\n"
KUSTOMIZATION = (
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
    "resources:\n  - gotk-sync.yaml\n  - ../widget.yaml\n{more}"
)


def _repo_a(root: Path) -> Path:
    """A repository whose config's schema wants an integer: its Widget's text is a finding,
    quoted in clear (nothing in A is a secret)."""
    return write_tree(
        root,
        {
            **GOTK,
            ".gitops-lint.yaml": "schemas: [schemas]\n",
            "schemas/widget-example.com-v1.json": _schema("integer"),
            "clusters/dev/widget.yaml": WIDGET,
            "clusters/dev/flux-system/kustomization.yaml": KUSTOMIZATION.format(more=""),
        },
    )


def _repo_b(root: Path) -> Path:
    """The same relative schema path wants a string here; and the same text is a
    plaintext Secret's value: a secret of B."""
    return write_tree(
        root,
        {
            **GOTK,
            ".gitops-lint.yaml": "schemas: [schemas]\n",
            "schemas/widget-example.com-v1.json": _schema("string"),
            "clusters/dev/widget.yaml": WIDGET,
            "clusters/dev/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\n"
            f"stringData:\n  password: {SECRET}\n",
            "clusters/dev/flux-system/kustomization.yaml": KUSTOMIZATION.format(more="  - ../secret.yaml\n"),
        },
    )


def _run(root: Path) -> tuple[str, Linter]:
    linter = Linter(str(root), load_config(str(root)))
    result = linter.run([str(root)])
    return to_json(result.findings, result.summary), linter


def test_two_linters_in_one_process_do_not_interfere(tmp_path):
    a, b = _repo_a(tmp_path / "a"), _repo_b(tmp_path / "b")
    first_a, linter_a = _run(a)
    out_b, linter_b = _run(b)
    again_a, _ = _run(a)
    assert again_a == first_a, "A's report does not depend on B having run"
    # A: the schema of A's config judged A's Widget, and A's report quotes its text in clear
    a_schema = [f for f in json.loads(first_a)["findings"] if f["rule"] == "schema"]
    assert a_schema and SECRET in a_schema[0]["message"]
    # B: B's schema (same relative path, other content) judged B's Widget: no schema finding
    b_findings = json.loads(out_b)["findings"]
    assert [f for f in b_findings if f["rule"] == "schema"] == []
    assert any(f["rule"] == "plaintext-secret" for f in b_findings)
    assert SECRET not in out_b
    # each run's redactor holds its own repository's values only
    assert linter_b.redactor.is_secret(SECRET)
    assert not linter_a.redactor.is_secret(SECRET)
    assert linter_a.redactor.redact(f"x {SECRET} y") == f"x {SECRET} y"


def test_b_run_alone_and_after_a_is_the_same(tmp_path):
    a, b = _repo_a(tmp_path / "a"), _repo_b(tmp_path / "b")
    alone, _ = _run(b)
    _run(a)
    after, _ = _run(b)
    assert after == alone


def test_a_command_does_not_mask_with_an_earlier_commands_secrets(tmp_path):
    """The command line's error paths mask what *this* command's runs read, not what
    a command before it in the same process read."""
    b = _repo_b(tmp_path / "b")
    code, _, _ = run_cli(str(b), "--format", "json")
    assert code == 1
    missing = tmp_path / f"no-{SECRET}"
    code, _, err = run_cli(str(missing))
    assert code == 2 and SECRET in err


def test_a_command_masks_its_own_runs_secrets_on_its_error_paths(tmp_path, monkeypatch):
    """A bug after the run: the internal error's text goes through the run's redactor."""
    from gitops_lint import cli

    b = _repo_b(tmp_path / "b")

    def broken(*_args, **_kwargs):
        raise RuntimeError(f"boom {SECRET}")

    monkeypatch.setattr(cli, "_report", broken)
    code, _, err = run_cli(str(b))
    assert code == 2 and "boom" in err and SECRET not in err
