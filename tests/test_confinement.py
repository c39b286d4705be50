"""Every command on one hostile repository, under a spy on the machine.

DESIGN "Reliability and security" promises that nothing outside the root is
read or written, no network is touched, nothing from the repository runs,
and no Secret value (nor the CI environment) reaches any output. The other
hostile tests check one attack each through the findings; these check the
promises themselves, through what the interpreter actually did (``tests/spy``:
audit hooks see every open, listing, process start, connection and rename,
whatever API made them).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import needs_kubectl
from tests.helpers import GOTK, ks, run_cli
from tests.spy import spying, under

CANARY = "0utside-CANARY-v4lue"
ENV_CANARY = "tok3n-CANARY-from-the-environment"
PLAIN = "apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: default}}\nstringData: {{pw: {value}}}\n"


def hostile_repo(tmp_path: Path) -> tuple[Path, Path]:
    """A cluster whose directories reach out of the root every way a repository can."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(PLAIN.format(name="o", value=CANARY))
    (outside / "kustomization.yaml").write_text("resources: [secret.yaml]\n")
    (outside / "app.env").write_text(f"PW={CANARY}\n")
    (outside / ".gitops-lint.yaml").write_text(f"variables: {{X: {CANARY}}}\n")
    root = tmp_path / "repo"
    files = {
        **GOTK,
        "clusters/dev/apps.yaml": ks("apps", "./apps"),
        "clusters/dev/escape.yaml": ks("escape", "../outside"),
        "clusters/dev/absolute.yaml": ks("absolute", str(outside)),
        "clusters/dev/remote.yaml": ks("remote", "./remote"),
        "apps/kustomization.yaml": (
            f"resources: [{outside}/secret.yaml, ../../outside, link.yaml, linkdir, ns.yaml]\n"
            "secretGenerator:\n"
            f"  - {{name: g, envs: [../outside/app.env, /proc/self/environ], files: [{outside}/secret.yaml, link.yaml]}}\n"
            "configMapGenerator:\n  - {name: z, files: [/dev/zero, /etc/passwd]}\n"
        ),
        "apps/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n",
        "remote/kustomization.yaml": (
            "resources:\n  - https://github.com/example/fleet//base?ref=v1\n"
            "  - github.com/example/other/base\n  - git@github.com:example/third.git\n"
        ),
    }
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    (root / ".git").mkdir()
    os.symlink(outside / "secret.yaml", root / "apps" / "link.yaml")
    os.symlink(outside, root / "apps" / "linkdir")
    return root, outside


FORBIDDEN = ("/proc/self/environ", "/dev/zero", "/etc/passwd", os.path.expanduser("~"))


def check_confined(
    events, root: Path, outside: Path, out: str, err: str, *, may_write: bool = False, may_cache: bool = False
) -> None:
    escaped = [p for p in events.reads() if under(p, str(outside)) or p in FORBIDDEN]
    assert not escaped, f"read outside the root: {escaped}"
    cache = str(root / ".gitops-lint-cache")  # the warm-run cache, when it is on (gitops_lint.cache)
    written = [
        p
        for p in events.writes()
        if not (may_write and under(p, str(root))) and not (may_cache and under(p, cache))
    ]
    assert not written, f"written: {written}"
    assert not events.connections, f"network: {events.connections}"
    assert not events.processes, f"processes: {events.processes}"
    assert any(under(p, str(root)) for p in events.reads()), "the spy saw none of the run's reads"
    for text in (out, err):
        assert CANARY not in text and ENV_CANARY not in text
        assert "Traceback" not in text


COMMANDS = {
    "lint-json": ("--format", "json"),
    "lint-text": ("--format", "text"),
    "lint-sarif": ("--format", "sarif"),
    "lint-github": ("--format", "github"),
    "lint-diff": ("--diff",),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_lint_reads_writes_and_runs_nothing_outside_the_root(tmp_path, monkeypatch, command):
    root, outside = hostile_repo(tmp_path)
    monkeypatch.setenv("GITOPS_LINT_TEST_TOKEN", ENV_CANARY)
    with spying() as events:
        code, out, err = run_cli(str(root / "clusters" / "dev"), "--root", str(root), *COMMANDS[command])
    assert code == (0 if command == "lint-diff" else 1), err  # --diff reports the diff, not findings
    check_confined(events, root, outside, out, err)
    if command == "lint-json":
        assert '"missing-path"' in out


@pytest.mark.parametrize("cache", ["on", "off"])
def test_the_cache_is_the_one_write_of_a_lint(tmp_path, monkeypatch, cache):
    """With the warm-run cache on, a lint writes under the root's .gitops-lint-cache/ and nowhere
    else; a second run (a hit) reads nothing outside the root either."""
    root, outside = hostile_repo(tmp_path)
    monkeypatch.delenv("GITOPS_LINT_NO_CACHE", raising=False)
    monkeypatch.delenv("GITOPS_LINT_CACHE_DIR", raising=False)
    args = (str(root / "clusters" / "dev"), "--root", str(root), "--format", "json")
    args += ("--no-cache",) if cache == "off" else ()
    for _ in range(2):
        with spying() as events:
            code, out, err = run_cli(*args)
        assert code == 1, err
        check_confined(events, root, outside, out, err, may_cache=True)
        assert '"missing-path"' in out
    assert (root / ".gitops-lint-cache").is_dir() == (cache == "on")
    if cache == "off":
        assert not events.writes()


@pytest.mark.parametrize("name", [".gitops-lint.yaml", "pyproject.toml"])
def test_a_config_symlinked_out_is_not_opened(tmp_path, name):
    root, outside = hostile_repo(tmp_path)
    os.symlink(outside / ".gitops-lint.yaml", root / name)
    with spying() as events:
        code, out, err = run_cli(str(root / "clusters" / "dev"), "--root", str(root), "--format", "json")
    assert code == 2 and err.count("\n") == 1, err
    assert not [p for p in events.reads() if under(p, str(outside))]
    assert CANARY not in out + err


def test_fix_writes_only_the_files_it_fixes(tmp_path, monkeypatch):
    root, outside = hostile_repo(tmp_path)
    (root / "apps" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata: {a: b}\n"
    )
    kust = root / "apps" / "kustomization.yaml"
    kust.write_text(kust.read_text().replace("ns.yaml]", "ns.yaml, cm.yaml]"))
    (root / "clusters" / "dev" / "crds.yaml").write_text(ks("crds", "./crds"))
    (root / "crds").mkdir()
    (root / "crds" / "crd.yaml").write_text(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata: {name: widgets.example.com}\nspec:\n  group: example.com\n"
        "  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n"
        "  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]\n"
    )
    os.symlink(outside / "planted", root / "clusters" / "dev" / "crds.yaml.gitops-lint-fix")
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and not p.is_symlink()}
    with spying() as events:
        code, out, err = run_cli(
            str(root / "clusters" / "dev"), "--root", str(root), "--fix", "--format", "json"
        )
    check_confined(events, root, outside, out, err, may_write=True)
    assert not (outside / "planted").exists()
    changed = {p for p, data in before.items() if p.read_bytes() != data}
    assert changed, "the fixture offers a fix"
    renamed_to = {p for p in events.writes() if not p.endswith(".gitops-lint-fix")}
    assert renamed_to <= {str(p) for p in changed} | {str(root / "clusters" / "dev")}, renamed_to


@pytest.mark.parametrize("command", ["build", "graph"])
def test_build_and_graph_stay_inside(tmp_path, monkeypatch, command):
    root, outside = hostile_repo(tmp_path)
    monkeypatch.setenv("GITOPS_LINT_TEST_TOKEN", ENV_CANARY)
    target = root / ("apps" if command == "build" else "clusters/dev")
    with spying() as events:
        code, out, err = run_cli(command, str(target), "--root", str(root))
    assert code in (0, 1, 2), err
    check_confined(events, root, outside, out, err)


@needs_kubectl
def test_the_kubectl_renderer_gets_no_environment_and_no_repository(tmp_path, monkeypatch):
    """kustomize runs, but on a scratch copy, with nothing of the CI environment."""
    root, outside = hostile_repo(tmp_path)
    monkeypatch.setenv("GITOPS_LINT_TEST_TOKEN", ENV_CANARY)
    with spying() as events:
        code, out, err = run_cli(
            str(root / "clusters" / "dev"), "--root", str(root), "--renderer", "kubectl", "--format", "json"
        )
    assert code == 1, err
    started, events.processes = events.processes, []
    assert started, "kubectl ran for the safe directories"
    for _executable, argv, env, cwd in started:
        assert os.path.basename(argv[0]) in ("kubectl", "kustomize"), argv
        assert env is not None and ENV_CANARY not in env.values(), "the CI environment reached kustomize"
        assert not any(under(os.path.realpath(a), str(root)) for a in argv[1:] if a.startswith("/")), argv
        assert cwd is None or not under(os.path.realpath(cwd), str(root))
    check_confined(events, root, outside, out, err)
