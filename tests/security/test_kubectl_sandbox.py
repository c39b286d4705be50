"""``--renderer kubectl``: kustomize never reads, fetches or leaks what gitops-lint would not.

A spy on :class:`subprocess.Popen` records every process gitops-lint starts:
its command, environment, working directory and the files in it at that
moment. Each attack of issue 15 (point 4) is a kustomization written to make
kubectl read ``/proc/self/environ`` (the CI environment, tokens included),
``/dev/zero`` or a file outside the repository, or fetch a remote base; the
promise is that no such process starts, and that a process that does start
has an empty environment, resource limits and a copy holding only the files
of its build.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from gitops_lint.render import external
from tests.conftest import KUBECTL_MARKS
from tests.helpers import GOTK, ks, run_cli, write_tree

pytestmark = list(KUBECTL_MARKS)

TOKEN = "sekrit-0123456789abcdef-token"
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: default\ndata:\n  a: b\n"


class Started:
    """One process start seen by the spy."""

    def __init__(self, args, env, cwd, files):
        self.args, self.env, self.cwd, self.files = list(args), dict(env or {}), cwd, files
        # what the process could run by name, when it started
        self.on_path = [
            n for d in self.env.get("PATH", "").split(os.pathsep) if os.path.isdir(d) for n in os.listdir(d)
        ]


@pytest.fixture
def spy(monkeypatch) -> list[Started]:
    """Every subprocess.Popen (subprocess.run goes through it), with the files of its cwd."""
    started: list[Started] = []
    real = subprocess.Popen

    class SpyPopen(real):
        def __init__(self, args, *a, **kw):
            cwd = kw.get("cwd")
            files = {}
            if cwd:
                for p in sorted(Path(cwd).rglob("*")):
                    if p.is_file() or p.is_symlink():
                        files[str(p.relative_to(cwd))] = (
                            p.read_bytes() if not p.is_symlink() else b"<symlink>"
                        )
            started.append(Started(args, kw.get("env"), cwd, files))
            super().__init__(args, *a, **kw)

    monkeypatch.setattr(subprocess, "Popen", SpyPopen)
    monkeypatch.setenv("GITOPS_TEST_TOKEN", TOKEN)
    monkeypatch.setenv("GIT_ASKPASS", "/bin/true")
    return started


def repo_with(tmp_path: Path, apps: dict[str, str | bytes], extra: dict[str, str] | None = None) -> Path:
    """A cluster clusters/dev applying ./apps (the attack) and ./good (an honest build)."""
    repo = tmp_path / "repo"
    write_tree(
        repo,
        {
            **GOTK,
            "clusters/dev/apps.yaml": ks("apps", "./apps"),
            "clusters/dev/good.yaml": ks("good", "./good"),
            "good/kustomization.yaml": "resources: [cm.yaml]\n",
            "good/cm.yaml": CM.format(name="good"),
            "unrelated/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {k: v}\n",
            **(extra or {}),
        },
    )
    (repo / ".git").mkdir(exist_ok=True)
    for rel, content in apps.items():
        path = repo / "apps" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return repo


def lint(repo: Path, *extra: str) -> tuple[int, str, str]:
    return run_cli(str(repo / "clusters" / "dev"), "--root", str(repo), "--renderer", "kubectl", *extra)


def built_dirs(spy: list[Started]) -> list[str]:
    """The last component of each directory kustomize was asked to build."""
    return [os.path.basename(str(s.args[-1]).rstrip("/")) for s in spy]


def assert_sandboxed(spy: list[Started]) -> None:
    """Every process: an empty environment, the copy as cwd, nothing but its build's files."""
    assert spy, "kubectl was never run"
    for s in spy:
        assert TOKEN not in repr(s.env) and "GITOPS_TEST_TOKEN" not in s.env
        assert not any(k.startswith("GIT_") for k in s.env)
        assert set(s.env) <= set(external.sandbox_env("/x")), sorted(s.env)
        assert s.on_path == [] and s.env["PATH"].startswith(os.path.dirname(s.cwd))  # no git, no plugin
        assert s.env["HTTPS_PROXY"] == s.env["HTTP_PROXY"] == "http://127.0.0.1:9"
        assert s.args[-1].startswith(s.cwd)
        assert "--enable-helm" not in s.args and "--enable-alpha-plugins" not in s.args
        assert not any(name.startswith("unrelated/") for name in s.files)  # never referenced


def test_an_honest_build_runs_sandboxed_on_a_copy_of_only_its_files(tmp_path, spy):
    repo = repo_with(
        tmp_path,
        {
            "kustomization.yaml": (
                "Resources: [cm.yaml, ../base]\nconfigMapGenerator:\n  - name: gen\n    namespace: default\n    Files: [k=data.txt]\n"
                "patches:\n  - path: patch.yaml\n"
            ),
            "cm.yaml": CM.format(name="cm"),
            "data.txt": "hello\n",
            "patch.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: default}\ndata: {a: c}\n",
            "notes.yaml": "not: referenced\n",
        },
        {
            "base/kustomization.yaml": "resources: [b.yaml]\n",
            "base/b.yaml": CM.format(name="b"),
            "base/ignored.yaml": "x: y\n",
        },
    )
    code, out, err = lint(repo)
    assert code == 0, out + err
    assert_sandboxed(spy)
    apps = next(s for s in spy if os.path.basename(s.args[-1]) == "apps")
    assert sorted(apps.files) == [
        "apps/cm.yaml",
        "apps/data.txt",
        "apps/kustomization.yaml",
        "apps/patch.yaml",
        "base/b.yaml",
        "base/kustomization.yaml",
    ]
    # kustomize reads the kustomization as gitops-lint decoded it: canonical field names
    assert apps.files["apps/kustomization.yaml"].startswith(b"resources:")
    assert b"Files" not in apps.files["apps/kustomization.yaml"]


@pytest.mark.parametrize(
    "entry", ["/proc/self/environ", "../../outside.yaml", "../../../../../../proc/self/environ"]
)
def test_capitalised_resources_out_of_the_root_never_reach_kubectl(tmp_path, spy, entry):
    (tmp_path / "outside.yaml").write_text(CM.format(name=TOKEN))
    repo = repo_with(tmp_path, {"kustomization.yaml": f"Resources:\n  - {entry}\n"})
    code, out, err = lint(repo, "--format", "json")
    assert TOKEN not in out + err
    assert "apps" not in built_dirs(spy)
    assert "leaves the repository root" in out
    assert_sandboxed(spy)  # the honest build next to it


def test_utf16_kustomization_is_refused_not_read_by_kubectl(tmp_path, spy):
    text = "resources: [cm.yaml]\nconfigMapGenerator:\n  - name: leak\n    files: [/proc/self/environ]\n"
    repo = repo_with(tmp_path, {"kustomization.yaml": text.encode("utf-16"), "cm.yaml": CM.format(name="x")})
    code, out, err = lint(repo, "--format", "json")
    assert TOKEN not in out + err and "SHELL=" not in out + err
    assert "apps" not in built_dirs(spy)
    assert "kubectl was not run for apps" in out and '"kustomize-build"' in out
    code, out, err = run_cli("build", str(repo / "apps"), "--root", str(repo), "--renderer", "kubectl")
    assert TOKEN not in out + err and "environ" not in out


@pytest.mark.parametrize("field", ["generators", "transformers", "validators", "Generators", "TRANSFORMERS"])
@pytest.mark.parametrize(
    "config",
    [
        "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata: {name: leak}\nfiles: [/proc/self/environ]\n",
        "apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: leak}\npath: /proc/self/environ\n",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n"
        "    config.kubernetes.io/function: |\n      exec: {path: /bin/sh}\n",
    ],
)
def test_plugin_configs_are_never_handed_to_kubectl(tmp_path, spy, field, config):
    repo = repo_with(
        tmp_path,
        {
            "kustomization.yaml": f"resources: [cm.yaml]\n{field}:\n  - plugin.yaml\n",
            "cm.yaml": CM.format(name="x"),
            "plugin.yaml": config,
        },
    )
    code, out, err = lint(repo, "--format", "json")
    assert TOKEN not in out + err
    assert "apps" not in built_dirs(spy)
    assert f"kubectl was not run for apps: apps/kustomization.yaml: {field.lower()} configures" in out


@pytest.mark.parametrize(
    "entry",
    [
        "https://github.com/example/remote//base?ref=v1",
        "git::https://example.com/org/repo.git//base",
        "HTTPS://example.com/cm.yaml",
        "github.com/example/remote/base",
    ],
)
def test_a_remote_base_starts_no_process_and_no_process_can_reach_the_network(tmp_path, spy, entry):
    repo = repo_with(
        tmp_path,
        {"kustomization.yaml": f"resources:\n  - cm.yaml\n  - {entry}\n", "cm.yaml": CM.format(name="x")},
    )
    lint(repo)
    assert "apps" not in built_dirs(spy)
    assert not any("git" in os.path.basename(str(s.args[0])) for s in spy)
    assert_sandboxed(spy)


def test_a_url_or_outside_path_in_any_file_field_is_refused(tmp_path, spy):
    """Entries the built-in renderer never resolves (a patch with both ``path`` and ``patch``
    is an error before its path is looked at) are checked all the same: kustomize's loader
    fetches an http(s) URL given for any file."""
    for path in ("https://example.com/p.yaml", "/proc/self/environ", "../../../etc/passwd"):
        repo = repo_with(
            tmp_path / path.replace("/", "_"),
            {
                "kustomization.yaml": f"resources: [cm.yaml]\npatches:\n  - path: '{path}'\n    patch: 'x: y'\n",
                "cm.yaml": CM.format(name="x"),
            },
        )
        lint(repo)
        assert "apps" not in built_dirs(spy)


def test_dev_zero_is_refused_and_the_memory_limit_holds_anyway(tmp_path, spy):
    repo = repo_with(
        tmp_path,
        {
            "kustomization.yaml": "resources: [cm.yaml]\ngenerators: [gen.yaml]\n",
            "cm.yaml": CM.format(name="x"),
            "gen.yaml": "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata: {name: z}\nfiles: [/dev/zero]\n",
        },
    )
    lint(repo)
    assert "apps" not in built_dirs(spy)
    # defence in depth: were kubectl ever to read /dev/zero, the limits end it fast
    scratch = tmp_path / "scratch"
    for sub in ("bin", "home", "tmp", "root"):
        (scratch / sub).mkdir(parents=True)
    (scratch / "root" / "kustomization.yaml").write_text(
        "configMapGenerator:\n  - name: z\n    files: [/dev/zero]\n"
    )
    start = time.monotonic()
    proc = subprocess.run(
        external.command("kubectl", external.shutil.which("kubectl"), str(scratch / "root")),
        capture_output=True,
        env=external.sandbox_env(str(scratch)),
        cwd=str(scratch / "root"),
        preexec_fn=external.sandbox_limits,
        timeout=120,
    )
    assert proc.returncode != 0 and b"out of memory" in proc.stderr
    assert time.monotonic() - start < 60


def test_the_ci_environment_never_appears_in_build_output(tmp_path, spy):
    """The token is in gitops-lint's environment; no output of any route may hold it."""
    repo = repo_with(
        tmp_path,
        {
            "kustomization.yaml": "resources: [cm.yaml]\ngenerators: [g.yaml]\n",
            "cm.yaml": CM.format(name="x"),
            "g.yaml": "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata: {name: e}\nfiles: [/proc/self/environ]\n",
            "k/kustomization.yaml": "resources: [../cm.yaml]\nconfigMapGenerator:\n  - name: e\n    envs: [../a.env]\n",
            "a.env": "A=1\nGITOPS_TEST_TOKEN\n",
        },
    )
    for args in (
        ("build", str(repo / "apps"), "--root", str(repo)),
        ("build", str(repo / "apps" / "k"), "--root", str(repo)),
        (str(repo / "clusters" / "dev"), "--root", str(repo), "--format", "json"),
    ):
        code, out, err = run_cli(*args, "--renderer", "kubectl")
        assert TOKEN not in out + err
    assert_sandboxed(spy)
