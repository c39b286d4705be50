"""Hostile repositories: each input is a finding or a one-line error, never a
traceback, a hang, a read outside the root, or code run from the repository.

Large inputs are generated at run time in tmp_path. Every lint runs under a
wall-clock guard, so a regression that hangs fails the test instead of the
suite.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import signal
from pathlib import Path

import pytest

from tests.helpers import run_cli

KS = """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 10m
  path: %s
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
"""
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\ndata: {a: b}\n"
PLAIN_SECRET = (
    "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\nstringData: {pw: outside-v4lue}\n"
)


class Expired(BaseException):
    """Not an Exception: the linter isolates a rule that raises one, which would turn an
    expired deadline into an internal-error finding and let the test pass."""


@contextlib.contextmanager
def deadline(seconds: float):
    """Fail (not hang) when the body runs longer than ``seconds``."""

    def expired(signum, frame):
        raise Expired(f"still running after {seconds}s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def repo(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    root = tmp_path / "repo"
    root.mkdir(exist_ok=True)
    (root / ".git").mkdir(exist_ok=True)
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    return root


def lint_json(root: Path, *args: str, seconds: float = 30) -> tuple[int, dict, str]:
    """The command line in JSON: exit 0/1 and a valid report, or exit 2 with one line."""
    with deadline(seconds):
        code, out, err = run_cli(str(root), "--root", str(root), "--format", "json", *args)
    assert "Traceback" not in err
    if code == 2:
        assert err.count("\n") == 1 and err.startswith("gitops-lint: error:"), err
        return code, {}, err
    assert code in (0, 1), err
    report = json.loads(out)
    assert report["version"] == 1
    return code, report, err


def messages(report: dict) -> list[str]:
    return [f"{f['file']}:{f['line']} {f['rule']} {f['message']}" for f in report["findings"]]


def test_unparsable_binary_non_utf8_and_empty_files(tmp_path):
    root = repo(
        tmp_path,
        {
            "apps/broken.yaml": "a: [1, 2\nb: }\n",
            "apps/binary.yaml": bytes(range(256)) * 8,
            "apps/latin1.yaml": "a: caf\xe9\n".encode("latin-1"),
            "apps/nul.yaml": b"a: b\x00c\n",
            "apps/empty.yaml": b"",
            "apps/only-comments.yaml": "# nothing\n---\n",
            "apps/ok.yaml": CM,
        },
    )
    code, report, _ = lint_json(root)
    found = {(f["file"], f["rule"]) for f in report["findings"]}
    assert code == 1
    assert {
        ("apps/broken.yaml", "yaml-syntax"),
        ("apps/binary.yaml", "yaml-syntax"),
        ("apps/latin1.yaml", "yaml-syntax"),
        ("apps/nul.yaml", "yaml-syntax"),
    } <= found
    assert not any(f.startswith(("apps/empty", "apps/only", "apps/ok")) for f, _ in found)


def test_a_50_mb_file_is_a_finding_and_the_limit_is_configurable(tmp_path):
    root = repo(tmp_path, {"apps/ok.yaml": CM})
    with open(root / "apps" / "huge.yaml", "wb") as fh:
        line = b"# " + b"x" * 1021 + b"\n"
        for _ in range(50 * 1024):
            fh.write(line)
    code, report, _ = lint_json(root, seconds=30)  # refused by its size, never parsed
    assert any("huge.yaml" in m and "file too large" in m and "limit" in m for m in messages(report))
    (root / "apps" / "huge.yaml").unlink()
    (root / "apps" / "medium.yaml").write_text(CM + "# " + "y" * 5000 + "\n")
    (root / ".gitops-lint.yaml").write_text("max-file-size: 4096\n")
    code, report, _ = lint_json(root)
    assert code == 1 and any("medium.yaml" in m and "limit 4096" in m for m in messages(report))
    (root / ".gitops-lint.yaml").write_text("max-file-size: -1\n")
    code, _, err = lint_json(root)
    assert code == 2 and ".gitops-lint.yaml:1" in err


@pytest.mark.slow
@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 10_000 + "]" * 10_000 + "\n",
        "a: " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\n",
        "a:\n" + "- " * 10_000 + "x\n",
    ],
    ids=["flow-sequences", "flow-mappings", "block-sequences"],
)
def test_10000_deep_nesting(tmp_path, text):
    root = repo(tmp_path, {"apps/deep.yaml": text})
    code, report, _ = lint_json(root)
    # gitops-lint's own limit, or, with a libyaml built with one (PyYAML's wheels for some
    # Pythons), the parser's: "while increasing flow level, exceeded maximum nesting depth"
    assert code == 1 and any(
        "apps/deep.yaml" in m and ("nesting deeper than" in m or "maximum nesting depth" in m)
        for m in messages(report)
    )


def _bomb(indent: str, levels: int = 9) -> str:
    """A billion laughs: 10 ** (levels + 1) scalars in a few lines."""
    lines = [f"{indent}l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        lines.append(f"{indent}l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


BOMBS = {
    "manifest": {
        "apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n" + _bomb("  ")
    },
    "secret": {
        "apps/s.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n" + _bomb("  ")
    },
    "kustomization-literals": {
        "apps/kustomization.yaml": "x:\n" + _bomb("  ") + "secretGenerator:\n- name: *l9\n  literals: *l9\n"
    },
    "kustomization-resources": {
        "apps/kustomization.yaml": "x:\n" + _bomb("  ") + "resources: *l9\nnamespace: *l9\n"
    },
    "helmrelease-values": {
        "apps/hr.yaml": "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: h}\n"
        "spec:\n  values:\n" + _bomb("    ") + "    adminPassword: *l9\n"
    },
    "flux-substitute": {
        "clusters/c/apps.yaml": (KS % "./apps") + "  postBuild:\n    substitute:\n" + _bomb("      "),
        "apps/cm.yaml": CM,
    },
    "sops-config": {".sops.yaml": "x:\n" + _bomb("  ") + "creation_rules: *l9\n", "apps/cm.yaml": CM},
}


@pytest.mark.parametrize("place", sorted(BOMBS))
def test_alias_bombs_finish_fast_with_a_finding(tmp_path, place):
    root = repo(tmp_path, BOMBS[place])
    code, report, _ = lint_json(root, seconds=30)  # a hang guard, not a benchmark
    if place == "sops-config":  # not a manifest: SOPS settings that cannot be read are ignored
        assert code == 0
    else:
        assert any("alias bomb" in m for m in messages(report)), messages(report)
    code, out, err = run_cli("build", str(root / "apps"), "--root", str(root))
    assert "Traceback" not in err and len(out) < 100_000


def test_alias_bomb_in_the_config_is_a_config_error(tmp_path):
    root = repo(tmp_path, {".gitops-lint.yaml": "crd-providers:\n" + _bomb("  "), "apps/cm.yaml": CM})
    code, _, err = lint_json(root)
    assert code == 2 and "alias bomb" in err


def test_recursive_alias_is_a_finding(tmp_path):
    root = repo(tmp_path, {"apps/r.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: c, x: *m}\n"})
    code, report, _ = lint_json(root)
    assert code == 1 and any("yaml-syntax" in m for m in messages(report))


def test_python_tags_are_findings_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    root = repo(
        tmp_path,
        {
            "apps/a.yaml": f"!!python/object/apply:os.system ['touch {marker}']\n",
            "apps/b.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: !!python/name:os.system\n",
            "apps/c.yaml": f"!!python/object/new:subprocess.check_call [[touch, '{marker}']]\n",
        },
    )
    code, report, _ = lint_json(root)
    assert not marker.exists()
    assert {f["file"] for f in report["findings"] if "is not allowed" in f["message"]} == {
        "apps/a.yaml",
        "apps/b.yaml",
        "apps/c.yaml",
    }


def test_symlink_loops(tmp_path):
    root = repo(
        tmp_path, {"apps/ok.yaml": CM, "apps/kustomization.yaml": "resources: [ok.yaml, a.yaml, loop]\n"}
    )
    os.symlink("b.yaml", root / "apps" / "a.yaml")
    os.symlink("a.yaml", root / "apps" / "b.yaml")
    os.symlink(".", root / "apps" / "loop")
    os.symlink("..", root / "apps" / "up")
    code, report, _ = lint_json(root)
    assert code == 1
    assert all(f["file"] == "apps/kustomization.yaml" for f in report["findings"]), messages(report)


def test_nothing_outside_the_root_is_opened(tmp_path, monkeypatch):
    """A file outside the root whose content would be a finding, reached every way a repository can."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(PLAIN_SECRET)
    (outside / "kustomization.yaml").write_text("resources: [secret.yaml]\n")
    (outside / "app.env").write_text("PW=outside-v4lue\n")
    files = {
        "clusters/c/apps.yaml": KS % "./apps",
        "clusters/c/escape.yaml": (KS % "../outside").replace("name: apps", "name: escape"),
        "clusters/c/absolute.yaml": (KS % str(outside)).replace("name: apps", "name: absolute"),
        "apps/kustomization.yaml": (
            f"resources: [{outside}/secret.yaml, ../../outside, link.yaml, linkdir]\n"
            "secretGenerator:\n"
            f"  - {{name: g, envs: [../../outside/app.env], files: [{outside}/secret.yaml, link.yaml]}}\n"
        ),
    }
    root = repo(tmp_path, files)
    os.symlink(outside / "secret.yaml", root / "apps" / "link.yaml")
    os.symlink(outside, root / "apps" / "linkdir")
    os.symlink(outside / "secret.yaml", root / "top-level-link.yaml")

    opened: list[str] = []
    real_open, real_os_open, real_scandir = builtins.open, os.open, os.scandir

    def spy_open(file, *args, **kwargs):
        opened.append(os.path.realpath(file) if isinstance(file, (str, bytes, os.PathLike)) else str(file))
        return real_open(file, *args, **kwargs)

    def spy_os_open(file, *args, **kwargs):  # how the repository's files are read (core.fs.read_up_to)
        opened.append(os.path.realpath(file))
        return real_os_open(file, *args, **kwargs)

    def spy_scandir(path="."):
        opened.append(os.path.realpath(path))
        return real_scandir(path)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(os, "open", spy_os_open)
    monkeypatch.setattr(os, "scandir", spy_scandir)
    code, report, _ = lint_json(root)
    monkeypatch.undo()
    assert code == 1
    assert any(p.startswith(str(root)) and p.endswith(".yaml") for p in opened)  # the spies saw the reads
    assert not [p for p in opened if p.startswith(str(outside))]
    assert not any("outside-v4lue" in m for m in messages(report))
    assert not any(f["rule"] == "plaintext-secret" for f in report["findings"])
    escapes = [m for m in messages(report) if "missing-path" in m]
    assert any("escape.yaml" in m for m in escapes) and any("apps/kustomization.yaml" in m for m in escapes)


def test_spec_path_and_absolute_resources_are_findings(tmp_path):
    files = {
        "clusters/c/apps.yaml": KS % "../../etc",
        "apps/kustomization.yaml": "resources: [/etc/passwd, ../../../etc/hosts]\n",
        "clusters/c/other.yaml": (KS % "./apps").replace("name: apps", "name: other"),
    }
    root = repo(tmp_path, files)
    code, report, _ = lint_json(root)
    found = messages(report)
    assert code == 1
    assert any(m.startswith("clusters/c/apps.yaml") and "missing-path" in m for m in found)
    assert sum(m.startswith("apps/kustomization.yaml") and "missing-path" in m for m in found) == 2


def test_directory_named_like_a_file_and_a_fifo(tmp_path):
    root = repo(
        tmp_path,
        {"apps/x.yaml/inner.yaml": CM, "apps/kustomization.yaml": "resources: [x.yaml, pipe.yaml]\n"},
    )
    os.mkfifo(root / "apps" / "pipe.yaml")  # opening it would block forever
    code, report, _ = lint_json(root, seconds=20)
    assert code == 1 and all(f["file"] == "apps/kustomization.yaml" for f in report["findings"])


def test_unreadable_file(tmp_path, monkeypatch):
    root = repo(tmp_path, {"apps/secret.yaml": CM, "apps/kustomization.yaml": "resources: [secret.yaml]\n"})
    target = root / "apps" / "secret.yaml"
    if os.geteuid() != 0:
        target.chmod(0)
    else:
        # root reads mode-000 files: make the read fail the way it would for anyone else
        real_open = builtins.open

        def denied(file, *args, **kwargs):
            if os.path.realpath(file) == str(target.resolve()):
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", denied)
        real_os_open = os.open  # how the repository's files are read (core.fs.read_up_to)

        def denied_os(path, *args, **kwargs):
            if isinstance(path, str) and os.path.realpath(path) == str(target.resolve()):
                raise PermissionError(13, "Permission denied", path)
            return real_os_open(path, *args, **kwargs)

        monkeypatch.setattr(os, "open", denied_os)
    try:
        code, report, _ = lint_json(root)
    finally:
        target.chmod(0o644)
    assert code == 1
    assert any("apps/secret.yaml" in m and "cannot read file" in m for m in messages(report))


def test_text_output_escapes_control_characters_so_no_line_is_a_workflow_command(tmp_path):
    # pre-commit prints the text format inside GitHub Actions, where a line that starts
    # with "::" is a command (::add-mask::, ::error ...): a name holding a newline must
    # not start one
    from tests.helpers import GOTK, run_cli, write_tree

    name = "web\\n::error file=x::pwned\\u2028::add-mask::y\\x1b[31m"
    write_tree(
        tmp_path,
        {
            **GOTK,
            "clusters/dev/cm.yaml": f'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "{name}"\ndata: {{a: b}}\n',
        },
    )
    code, out, err = run_cli("--root", str(tmp_path), str(tmp_path / "clusters/dev"), "--format", "text")
    assert code == 1 and "missing-namespace" in out
    for line in (out + err).splitlines():
        assert not line.startswith("::")
    assert "\x1b" not in out and "\u2028" not in out
    assert "web\\n::error" in out  # shown, escaped


@pytest.mark.parametrize("name", [".gitops-lint.yaml", "pyproject.toml"])
def test_a_config_symlinked_out_of_the_root_is_refused_unread(tmp_path, name):
    from tests.helpers import GOTK, run_cli, write_tree

    outside = tmp_path / "outside.txt"
    outside.write_text("kube-version: hunter2-outside-secret\n")
    repo = write_tree(tmp_path / "repo", dict(GOTK))
    (repo / name).symlink_to(outside)
    code, out, err = run_cli("--root", str(repo), str(repo / "clusters/dev"))
    assert code == 2 and f"{name}:1: refused" in err
    assert "hunter2" not in out + err


def test_an_oversized_config_is_refused_before_it_is_parsed(tmp_path):
    from tests.helpers import GOTK, run_cli, write_tree

    repo = write_tree(tmp_path, dict(GOTK))
    (repo / ".gitops-lint.yaml").write_text("# padding\n" * 1_200_000)  # 12 MB
    code, _, err = run_cli("--root", str(repo), str(repo / "clusters/dev"))
    assert code == 2 and "too large" in err
