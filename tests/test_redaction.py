"""No Secret value, nor its base64 form, in anything gitops-lint writes.

A repository with known secret values planted where outputs could quote
them (findings of every rule, yaml-syntax errors of a broken Secret file,
envsubst expressions, malformed generator literals, env file lines, error
messages, --debug tracebacks, `gitops-lint build`), linted in every format
the command line accepts: the formats are discovered from the parser and the
reporter registry, so a new reporter is covered without touching this test.
"""

from __future__ import annotations

import base64

import pytest

from gitops_lint.report import FORMATS
from tests.helpers import ks, lint_repo, report_formats, run_cli, write_tree

SECRETS = [
    "Lit3ral-S3cret-AAA",
    "MalformedS3cretBBB",
    "Env-S3cret-CCC",
    "Bare-S3cret-DDD",
    "Str1ngData-S3cret-EEE",
    "Subst-S3cret-FFF",
    "Data-S3cret-GGG",
    "Broken-S3cret-HHH",
    "Helm-S3cret-III",
    "Patch-S3cret-JJJ",
]
B64 = base64.b64encode(b"Data-S3cret-GGG").decode()

KS = ks("apps", "./apps", extra="  postBuild:\n    substitute: {cluster: dev}\n")
FILES = {
    "clusters/dev/apps.yaml": KS,
    "apps/kustomization.yaml": (
        "resources: [secret.yaml, broken.yaml, release.yaml]\n"
        "patches:\n  - path: patch.yaml\n"
        "secretGenerator:\n"
        "  - name: gen\n"
        "    literals: [PLAIN=Lit3ral-S3cret-AAA, MalformedS3cretBBB]\n"
        "    envs: [app.env]\n"
    ),
    "apps/app.env": "TOKEN=Env-S3cret-CCC\nBare-S3cret-DDD is not a variable\n",
    "apps/secret.yaml": (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: default}\n"
        "stringData:\n  password: Str1ngData-S3cret-EEE\n  dsn: 'x${y-Subst-S3cret-FFF}'\n"
        f"data:\n  token: {B64}\n"
    ),
    "apps/broken.yaml": (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: broken, namespace: default}\n"
        'stringData:\n  password: "Broken-S3cret-HHH\n  other: [\n'
    ),
    "apps/release.yaml": (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
        "metadata: {name: grafana, namespace: default}\n"
        "spec:\n  interval: 1h\n  chart: {spec: {chart: grafana, sourceRef: {kind: HelmRepository, name: x}}}\n"
        "  values:\n    adminPassword: Helm-S3cret-III\n"
    ),
    "apps/patch.yaml": (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: missing-target, namespace: default}\n"
        "stringData:\n  password: Patch-S3cret-JJJ\n"
    ),
}


def cli_formats() -> list[str]:
    return report_formats()


def assert_clean(text: str) -> None:
    leaked = [s for s in SECRETS if s in text or base64.b64encode(s.encode()).decode() in text]
    assert leaked == [], f"leaked {leaked}"


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    root = write_tree(tmp_path_factory.mktemp("redaction"), FILES)
    (root / ".git").mkdir()
    return root


def test_the_fixture_exercises_the_leak_paths(repo):
    result = lint_repo(repo)
    rules = {f.rule for f in result.findings}
    # each of these rules' messages would quote a value if nothing masked it
    assert {"plaintext-secret", "yaml-syntax", "invalid-substitution", "kustomize-build"} <= rules
    assert {"text", "json"} <= set(cli_formats())


@pytest.mark.parametrize("fmt", cli_formats())
def test_no_secret_in_any_cli_format(repo, fmt, monkeypatch, tmp_path):
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    code, out, err = run_cli(str(repo), "--root", str(repo), "--format", fmt)
    assert code == 1, err
    assert_clean(out + err)
    summary = tmp_path / "summary.md"
    if summary.exists():
        assert_clean(summary.read_text())


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_no_secret_in_any_registered_reporter(repo, fmt):
    result = lint_repo(repo)
    assert_clean(FORMATS[fmt](result.findings, result.summary))


def test_no_secret_in_build_output(repo):
    code, out, err = run_cli("build", str(repo / "apps"), "--root", str(repo))
    assert "kind: Secret" in out and "**REDACTED**" in out
    assert_clean(out + err)
    code, out, err = run_cli(
        "build", str(repo / "clusters" / "dev"), "--root", str(repo), "--kustomization", "flux-system/apps"
    )
    assert code == 0, err
    assert "kind: Secret" in out
    assert_clean(out + err)


def test_no_secret_in_internal_errors_and_debug_traces(repo, monkeypatch):
    from gitops_lint import rules

    def explode(ctx):
        raise ValueError("unexpected value Str1ngData-S3cret-EEE in " + B64)
        yield  # pragma: no cover

    broken = [
        r
        if r.name != "duplicate-object"
        else type(r)(r.name, r.code, r.severity, r.summary, explode, r.scope)
        for r in rules.all_rules()
    ]
    monkeypatch.setattr(rules, "_CACHE", broken)
    for extra in ([], ["--debug"]):
        code, out, err = run_cli(str(repo), "--root", str(repo), *extra)
        assert code == 2
        assert "ValueError" in err and "***" in err
        assert_clean(out + err)
    assert "Traceback" in err  # --debug still shows where it failed
