"""The rule registry: pyproject's entry points are the one list, and plugins cannot swap a rule.

Third-party plugins are faked by patching ``entry_points`` where the registry
calls it; their rules are defined below and loaded by their import path, as
a real entry point would load them.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from dataclasses import dataclass

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import gitops_lint.rules as registry
from gitops_lint.core import data_files
from gitops_lint.core.data import Severity
from gitops_lint.core.errors import ConfigError
from gitops_lint.rules import GROUP, Hit, PluginError, Rule, all_rules
from tests.conftest import PROJECT
from tests.helpers import run_cli


def _nothing(ctx):
    return iter(())


def _everything(ctx):
    for ro in ctx.cluster.objects:
        yield Hit(f"{ro.ref.kind} seen", origin=ro.origin, object=ro.ref)


GOOD = Rule("seen-object", "GLX901", Severity.WARNING, "reports every object (a test plugin)", _everything)
OTHER = Rule("another-plugin", "GLX902", Severity.WARNING, "a second test plugin", _nothing)
SHADOW_NAME = Rule("schema", "GLX903", Severity.ERROR, "takes a built-in's name", _nothing)
SHADOW_CODE = Rule("my-schema", "GL501", Severity.ERROR, "takes a built-in's code", _nothing)
SAME_NAME = dataclasses.replace(GOOD, code="GLX904")
SAME_CODE = dataclasses.replace(GOOD, name="seen-object-again")
NOT_A_RULE = {"name": "dict-rule"}
HERE = __name__


@dataclass
class Dist:
    name: str


@dataclass
class FakeEntryPoint:
    """An entry point as importlib.metadata returns it, with the distribution that declares it."""

    name: str
    value: str
    group: str = GROUP
    dist: Dist | None = None

    def load(self):
        from importlib.metadata import EntryPoint

        return EntryPoint(self.name, self.value, self.group).load()


def plugin(name: str, attr: str, dist: str = "gitops-lint-extras") -> FakeEntryPoint:
    return FakeEntryPoint(name, f"{HERE}:{attr}", dist=Dist(dist))


@pytest.fixture
def fresh(monkeypatch):
    """A registry that loads again, with ``install(*entry_points)`` as what is installed."""
    monkeypatch.setattr(registry, "_CACHE", None)
    monkeypatch.setattr(registry, "_BUILTIN_NAMES", None)  # _load sets it from what it reads

    def install(*eps: FakeEntryPoint) -> None:
        def fake(group=None, **_):
            return [ep for ep in eps if ep.group == group]

        monkeypatch.setattr(registry, "entry_points", fake)

    install()
    yield install


def pyproject_rules() -> dict[str, str]:
    data = tomllib.loads((PROJECT / "pyproject.toml").read_text())
    return data["project"]["entry-points"][GROUP]


def test_builtins_are_the_entry_points_of_pyproject(fresh):
    table = pyproject_rules()
    rules = all_rules()
    assert {r.name for r in rules} == set(table)  # nothing installed: the checkout's list
    for r in rules:
        assert table[r.name] == f"{r.check.__module__}:RULE"  # each entry point is named for its rule
    assert len({r.code for r in rules}) == len(rules)
    assert [r.code for r in rules] == sorted(r.code for r in rules)


def test_installed_builtins_come_from_the_distribution_metadata(fresh, monkeypatch):
    """Installed from a wheel there is no pyproject.toml: the metadata's entry points are the list."""
    checkout_rules = [r.name for r in all_rules()]
    monkeypatch.setattr(registry, "checkout_pyproject", lambda: None)
    monkeypatch.setattr(registry, "_CACHE", None)
    metadata = [FakeEntryPoint(n, v, dist=Dist("gitops_lint")) for n, v in pyproject_rules().items()]
    fresh(*metadata)
    assert [r.name for r in all_rules()] == checkout_rules


def test_a_checkout_ignores_the_stale_metadata_of_an_installed_copy(fresh):
    """An editable install's metadata is written at install time; the checkout's list wins."""
    fresh(FakeEntryPoint("removed-rule", f"{HERE}:GOOD", dist=Dist("gitops-lint")))
    assert "seen-object" not in {r.name for r in all_rules()}


def test_a_plugin_is_registered_and_runs_with_suppression_and_config(fresh, tmp_path):
    fresh(plugin("seen-object", "GOOD"))
    assert [r.name for r in all_rules()][-1] == "seen-object"  # sorted by code
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: default}\n"
    (tmp_path / ".git").mkdir()
    (tmp_path / "cm.yaml").write_text(cm)
    code, out, err = run_cli(str(tmp_path), "--root", str(tmp_path), "--format", "github")
    assert code == 0 and "title=GLX901 seen-object::ConfigMap seen" in out, out + err
    (tmp_path / "cm.yaml").write_text(cm + "# gitops-lint: disable=GLX901\n")
    assert "GLX901" not in run_cli(str(tmp_path), "--root", str(tmp_path), "--format", "github")[1]
    (tmp_path / "cm.yaml").write_text(cm)
    code, out, _ = run_cli(str(tmp_path), "--root", str(tmp_path), "--ignore", "seen-object")
    assert code == 0 and "seen-object" not in out


@pytest.mark.parametrize(
    "eps, message",
    [
        (
            [plugin("schema", "SHADOW_NAME")],
            f"rule plugin 'schema' ({HERE}:SHADOW_NAME, from gitops-lint-extras) "
            "uses the name 'schema' of the built-in rule GL501 schema",
        ),
        (
            [plugin("my-schema", "SHADOW_CODE")],
            "uses the code 'GL501' of the built-in rule GL501 schema",
        ),
        (
            [plugin("seen-object", "GOOD", "a"), plugin("seen-object-2", "SAME_NAME", "b")],
            f"rule plugin 'seen-object-2' ({HERE}:SAME_NAME, from b) uses the name "
            f"'seen-object' of rule plugin 'seen-object' ({HERE}:GOOD, from a)",
        ),
        (
            [plugin("seen-object", "GOOD", "a"), plugin("seen-object-again", "SAME_CODE", "b")],
            "uses the code 'GLX901' of rule plugin 'seen-object'",
        ),
        ([plugin("dict-rule", "NOT_A_RULE")], "is not a gitops_lint.rules.Rule"),
        ([plugin("gone", "NO_SUCH_RULE")], "failed to load"),
    ],
    ids=["builtin-name", "builtin-code", "two-plugins-name", "two-plugins-code", "not-a-rule", "broken"],
)
def test_a_plugin_that_would_swap_a_rule_is_refused(fresh, eps, message):
    fresh(*eps)
    with pytest.raises(PluginError) as info:
        all_rules()
    assert isinstance(info.value, ConfigError)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_refused_plugin_is_one_line_and_exit_status_2(fresh, tmp_path):
    fresh(plugin("schema", "SHADOW_NAME"))
    for args in (["rules"], [str(tmp_path), "--root", str(tmp_path)]):
        code, out, err = run_cli(*args)
        assert code == 2 and out == "", err
        assert err.count("\n") == 1 and "uses the name 'schema' of the built-in rule" in err, err
        assert "Traceback" not in err


def test_two_distinct_plugins_are_both_registered(fresh):
    fresh(plugin("another-plugin", "OTHER", "b"), plugin("seen-object", "GOOD", "a"))
    assert [r.name for r in all_rules()][-2:] == ["seen-object", "another-plugin"]


def test_the_checkout_is_recognised_by_its_pyproject(tmp_path, monkeypatch):
    assert data_files.checkout() == PROJECT
    package = tmp_path / "site-packages" / "gitops_lint"
    package.mkdir(parents=True)
    (tmp_path / "site-packages" / "pyproject.toml").write_text('[project]\nname = "something-else"\n')
    monkeypatch.setattr(data_files, "PACKAGE_DIR", package)
    data_files.checkout_pyproject.cache_clear()
    try:
        assert data_files.checkout() is None
        assert data_files.schemas_dir() == package / "schemas"
    finally:
        monkeypatch.undo()
        data_files.checkout_pyproject.cache_clear()
    assert data_files.checkout() == PROJECT


# -- the README's plugin, as a user copies it ---------------------------------------------------


def test_the_readme_plugin_runs_as_written(fresh, tmp_path, monkeypatch):
    from tests.readme_snippets import readme_block, readme_section

    package = tmp_path / "plugin" / "acme_gitops_rules"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "image_latest.py").write_text(readme_block("acme_gitops_rules/image_latest.py"))
    monkeypatch.syspath_prepend(str(tmp_path / "plugin"))
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "E,F,W,I,B,UP,SIM", str(package)],
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    declared = tomllib.loads(readme_block("acme-gitops-rules/pyproject.toml"))
    dist = Dist(declared["project"]["name"])
    fresh(*[FakeEntryPoint(n, v, dist=dist) for n, v in declared["project"]["entry-points"][GROUP].items()])
    (rule,) = [r for r in all_rules() if r.code == "ACME001"]
    assert rule.name == "image-latest"

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    web = readme_block("apps/web.yaml")
    (repo / "apps").mkdir()
    (repo / "apps" / "web.yaml").write_text(web)
    code, out, err = run_cli(str(repo / "apps"), "--root", str(repo), "--format", "json")
    findings = json.loads(out)["findings"]
    assert [(f["rule"], f["code"], f["file"], f["line"], f["severity"]) for f in findings] == [
        ("image-latest", "ACME001", "apps/web.yaml", 15, "warning")
    ], err
    assert "`apps/web.yaml:15`" in readme_section("Writing a rule plugin")
    assert code == 0  # a warning, below the default --fail-on error

    (repo / "apps" / "web.yaml").write_text(
        web.replace("kind: Deployment\n", "kind: Deployment\n# gitops-lint: disable=image-latest\n")
    )
    assert (
        json.loads(run_cli(str(repo / "apps"), "--root", str(repo), "--format", "json")[1])["findings"] == []
    )
    (repo / "apps" / "web.yaml").write_text(web)
    (repo / ".gitops-lint.yaml").write_text("rules: {image-latest: off}\n")
    assert (
        json.loads(run_cli(str(repo / "apps"), "--root", str(repo), "--format", "json")[1])["findings"] == []
    )
    (repo / ".gitops-lint.yaml").write_text("rules: {image-latest: error}\n")
    assert run_cli(str(repo / "apps"), "--root", str(repo))[0] == 1

    code, out, _ = run_cli("explain", "image-latest")
    assert code == 0 and "Pin a version tag or a digest" in out
    assert "ACME001  image-latest" in run_cli("rules")[1]


def test_loading_the_rules_names_the_builtins_without_reading_the_entry_points_again(fresh, monkeypatch):
    """builtin_names() after all_rules() (every cluster's rules, lint._split_rules) takes what
    the load read: the entry points are scanned once a run."""
    reads = []
    read = registry._entry_points
    monkeypatch.setattr(registry, "_entry_points", lambda: reads.append(1) or read())
    rules = all_rules()
    assert registry.builtin_names() == {r.name for r in rules}
    assert len(reads) == 1
