"""``diff`` reuses the head's build of a Flux Kustomization in the base when nothing
it reads changed (render_memo.py, issue 19), and its output is the same as without.

Each case writes a base and a head tree, runs ``diff`` with and without reuse, and
counts the built-in renderer's builds of the base (a spy on ``Kustomizer.build``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitops_lint.render.kustomize import Kustomizer
from tests.helpers import run_cli, write_tree
from tests.test_objdiff import GOTK, flux_ks

KUSTOMIZATION = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"


def cm(name: str, ns: str = "apps", value: str = "1") -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\ndata:\n  v: '{value}'\n"


def tree() -> dict[str, str]:
    files = dict(GOTK)
    files["clusters/dev/a.yaml"] = flux_ks("app-a", "./apps/a")
    files["clusters/dev/b.yaml"] = flux_ks("app-b", "./apps/b")
    files["clusters/dev/plain.yaml"] = flux_ks("plain", "./plain")
    files["clusters/dev/gen.yaml"] = flux_ks("gen", "./gen")
    files["clusters/dev/subst.yaml"] = (
        flux_ks("subst", "./subst")
        + "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: vars\n"
    )
    files["clusters/dev/vars.yaml"] = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: vars\n  namespace: flux-system\n"
        "data:\n  level: info\n"
    )
    files["shared/kustomization.yaml"] = KUSTOMIZATION + "resources:\n  - cm.yaml\n"
    files["shared/cm.yaml"] = cm("shared")
    for app in ("a", "b"):
        files[f"apps/{app}/kustomization.yaml"] = (
            KUSTOMIZATION + f"namespace: {app}\nresources:\n  - ../../shared\n  - own.yaml\n"
        )
        files[f"apps/{app}/own.yaml"] = cm(f"own-{app}")
    files["plain/one.yaml"] = cm("one", "plain")
    files["gen/kustomization.yaml"] = (
        KUSTOMIZATION
        + "namespace: gen\nconfigMapGenerator:\n  - name: settings\n    files:\n      - settings.txt\n"
    )
    files["gen/settings.txt"] = "colour=blue\n"
    files["subst/kustomization.yaml"] = KUSTOMIZATION + "resources:\n  - cm.yaml\n"
    files["subst/cm.yaml"] = cm("subst", "subst", "${level}")
    return files


class Spy:
    """Counts the built-in renderer's builds by directory."""

    def __init__(self, monkeypatch):
        self.paths: list[tuple[str, str]] = []  # (tree root, directory)
        original = Kustomizer.build

        def build(k, path, overlay=None):
            self.paths.append((k.fs.root, path))
            return original(k, path, overlay)

        monkeypatch.setattr(Kustomizer, "build", build)


def run_both(
    tmp_path: Path, base: dict[str, str], head: dict[str, str], monkeypatch
) -> tuple[str, list[str]]:
    """The diff output (asserted equal with and without reuse) and the base's builds with reuse."""
    for d in ("base", "head"):
        if (tmp_path / d).exists():
            shutil.rmtree(tmp_path / d)
    write_tree(tmp_path / "base", base)
    write_tree(tmp_path / "head", head)
    args = ("diff", "--base-dir", str(tmp_path / "base"), "--root", str(tmp_path / "head"))
    args += (str(tmp_path / "head/clusters/dev"), "--format", "json")
    spy = Spy(monkeypatch)
    code, reused, err = run_cli(*args)
    assert code == 0, err
    base_root = str((tmp_path / "base").resolve())
    base_builds = sorted({path for root, path in spy.paths if root == base_root})
    code, rebuilt, err = run_cli(*args, "--no-reuse")
    assert code == 0, err
    assert reused == rebuilt
    return reused, base_builds


def changed(**files: str) -> tuple[dict[str, str], dict[str, str]]:
    base = tree()
    head = dict(base)
    head.update(files)
    return base, head


def test_unchanged_tree_builds_nothing_twice(tmp_path, monkeypatch):
    base, head = changed()
    out, base_builds = run_both(tmp_path, base, head, monkeypatch)
    # only plain/ (Flux's generated kustomization lists a directory) is built again
    assert sorted(base_builds) == ["clusters/dev", "plain"]
    assert '"changed": 0' in out or "changes" in out


def test_one_app_changed_only_it_is_rebuilt(tmp_path, monkeypatch):
    base, head = changed(**{"apps/a/own.yaml": cm("own-a", value="2")})
    out, base_builds = run_both(tmp_path, base, head, monkeypatch)
    assert sorted(base_builds) == ["apps/a", "clusters/dev", "plain"]
    assert "own-a" in out


def test_shared_base_change_rebuilds_both(tmp_path, monkeypatch):
    base, head = changed(**{"shared/cm.yaml": cm("shared", value="2")})
    out, base_builds = run_both(tmp_path, base, head, monkeypatch)
    assert sorted(base_builds) == ["apps/a", "apps/b", "clusters/dev", "plain"]
    assert out.count('"name": "shared"') == 2


def test_substitution_value_change_shows(tmp_path, monkeypatch):
    base, head = changed(
        **{"clusters/dev/vars.yaml": tree()["clusters/dev/vars.yaml"].replace("info", "debug")}
    )
    out, base_builds = run_both(tmp_path, base, head, monkeypatch)
    assert "subst" not in base_builds  # reused: substitution runs on the copy, with the base's values
    assert '"info"' in out and '"debug"' in out


def test_generated_listing_change_rebuilt(tmp_path, monkeypatch):
    base, head = changed(**{"plain/two.yaml": cm("two", "plain")})
    out, base_builds = run_both(tmp_path, base, head, monkeypatch)
    assert "plain" in base_builds
    assert '"name": "two"' in out


def test_generator_input_change_rebuilt(tmp_path, monkeypatch):
    base, head = changed(**{"gen/settings.txt": "colour=red\n"})
    out, base_builds = run_both(tmp_path, base, head, monkeypatch)
    assert "gen" in base_builds
    assert "colour=red" in out


def test_second_kustomization_file_rebuilt(tmp_path, monkeypatch):
    base, head = changed()
    base["apps/b/kustomization.yml"] = KUSTOMIZATION  # the base had two: an error there
    out, base_builds = run_both(tmp_path, base, head, monkeypatch)
    assert "apps/b" in base_builds


FILES = sorted(k for k in tree() if not k.startswith("clusters/dev/flux-system"))


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.sampled_from(FILES), st.sampled_from(["1", "2", "${level}", "x: [", ""])),
        max_size=3,
    )
)
def test_property_reuse_never_changes_the_output(tmp_path, monkeypatch, edits):
    base, head = changed()
    for rel, value in edits:
        head[rel] = head[rel].replace("'1'", f"'{value}'") if value not in ("x: [", "") else value
    run_both(tmp_path, base, head, monkeypatch)


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv("GITOPS_LINT_NO_REUSE", raising=False)
