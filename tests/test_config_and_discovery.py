"""Config sources, stand-in variables, and cluster discovery from a repository root."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gitops_lint.core.fs import RepoFS
from gitops_lint.discover.entries import find_entries
from gitops_lint.load.config import ConfigError, load_config
from gitops_lint.load.loader import DocumentCache
from gitops_lint.vocabulary import vocabulary
from tests.conftest import CORPUS, FIXTURES
from tests.helpers import lint_repo, positions, run_cli, write_tree

KS = """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substituteFrom:
      - kind: ConfigMap
        name: tf-vars
"""
APP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: web
  namespace: default
data:
  domain: ${domain}
"""


@pytest.fixture
def tf_repo(tmp_path):
    return write_tree(tmp_path, {"clusters/dev/apps.yaml": KS, "apps/web.yaml": APP})


def test_undeclared_external_source_is_missing(tf_repo):
    assert positions(lint_repo(tf_repo)) == ["clusters/dev/apps.yaml:15 missing-substitution-source"]


def test_external_source_without_values_is_one_info_note(tf_repo):
    (tf_repo / ".gitops-lint.yaml").write_text("external: [ConfigMap/flux-system/tf-vars]\n")
    findings = lint_repo(tf_repo).findings
    assert [(f.rule, f.severity.label) for f in findings] == [("unresolved-variable", "info")]
    assert "domain" in findings[0].message and "tf-vars" in findings[0].message


def test_configured_variables_stand_in_for_the_source(tf_repo):
    (tf_repo / ".gitops-lint.yaml").write_text(
        "variables:\n  ConfigMap/flux-system/tf-vars:\n    domain: x.io\n"
    )
    assert lint_repo(tf_repo).findings == []
    (tf_repo / ".gitops-lint.yaml").write_text("variables:\n  ConfigMap/flux-system/tf-vars:\n    other: 1\n")
    assert positions(lint_repo(tf_repo)) == ["apps/web.yaml:7 unresolved-variable"]


def test_pyproject_section_is_read(tf_repo):
    (tf_repo / "pyproject.toml").write_text(
        '[tool.gitops-lint]\nexternal = ["ConfigMap/flux-system/tf-vars"]\n'
    )
    assert load_config(str(tf_repo), known=vocabulary()).external == {"ConfigMap/flux-system/tf-vars"}
    assert run_cli(str(tf_repo), "--root", str(tf_repo))[0] == 0


def test_var_flag_supplies_a_value(tf_repo):
    (tf_repo / ".gitops-lint.yaml").write_text("external: [ConfigMap/flux-system/tf-vars]\n")
    code, out, _ = run_cli(str(tf_repo), "--var", "domain=x.io")
    assert code == 0 and "info" not in out
    assert run_cli(str(tf_repo), "--var", "novalue")[0] == 2


@pytest.mark.parametrize(
    "text,line",
    [
        ("rules: [a]\n", 1),
        ("external:\n  - ConfigMap/x\n", 2),
        ("colour: red\n", 1),
        ("ignore:\n  - {rul: x}\n", 2),
    ],
)
def test_config_errors_name_the_line(tmp_path, text, line):
    (tmp_path / ".gitops-lint.yaml").write_text(text)
    with pytest.raises(ConfigError, match=rf"^\.gitops-lint\.yaml:{line}: "):
        load_config(str(tmp_path), known=vocabulary())


SPOKE_LAYERS = ("apps", "infra-configs", "infra-controllers", "tenants")


def test_repository_root_finds_every_bootstrap_layout(corpus):
    def entries(repo):
        fs = RepoFS(str(corpus / repo))
        return [e.path for e in find_entries(fs, DocumentCache(fs))]

    assert entries("onedr0p__home-ops") == ["kubernetes/flux/cluster"]  # FluxInstance chart values
    assert entries("billimek__k8s-gitops") == ["setup/flux/cluster"]
    assert entries("fluxcd__flux2-hub-spoke-example") == [  # hub/flux-system/gotk-sync.yaml, spokes
        *(f"clusters/{env}/{layer}" for env in ("production", "staging") for layer in SPOKE_LAYERS),
        "hub",
    ]
    assert entries("fluxcd__flux2-kustomize-helm-example") == ["clusters/production", "clusters/staging"]


@pytest.mark.slow
def test_no_traceback_on_any_fixture_or_corpus_repository():
    roots = [FIXTURES / "example", *sorted((FIXTURES / "defects").iterdir())]
    if CORPUS.is_dir():
        roots += sorted(p for p in CORPUS.iterdir() if p.is_dir())
    for root in roots:
        proc = subprocess.run(
            [sys.executable, "-m", "gitops_lint", str(root), "--root", str(root), "--format", "json"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode in (0, 1), (root, proc.stderr)
        # stderr carries one-line notes only (which sync was used, what another cluster applies)
        assert all(line.startswith("gitops-lint: ") for line in proc.stderr.splitlines()), (root, proc.stderr)
        assert "Traceback" not in proc.stderr, (root, proc.stderr)


def test_readme_configuration_example_is_a_valid_config(tmp_path):
    """The README's .gitops-lint.yaml is what users copy: it must load, every key understood."""
    from tests.readme_snippets import readme_block

    (tmp_path / ".gitops-lint.yaml").write_text(readme_block(".gitops-lint.yaml"))
    (tmp_path / "schemas" / "local").mkdir(parents=True)  # a `schemas:` directory must exist
    config = load_config(str(tmp_path), known=vocabulary())
    assert config.kube_version == "1.33" and config.flux_version == "2.9"
    assert config.crd_providers and config.schemas and config.ignore and config.variables
