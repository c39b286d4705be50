"""Issue 19, point 2: only the findings a change introduces (``--new-only --base REF``,
``--baseline FILE``), and the repository at a ref read from the local object store
(gitops_lint.gitref), on small Git repositories made at test time."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from gitops_lint import baseline, gitref
from gitops_lint.cli import lint_parser
from gitops_lint.core.data import Finding, ObjectRef, Severity
from tests.helpers import GOTK, ks, run_cli, write_tree
from tests.spy import spying, under

pytestmark = pytest.mark.skipif(not shutil.which("git"), reason="git is not installed")

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: default\ndata: {a: b}\n"
BASE = {
    **GOTK,
    "clusters/dev/apps.yaml": ks("apps", "./apps", depends=("nope",)),  # an existing defect
    "apps/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
    "resources: [cm.yaml]\n",
    "apps/cm.yaml": CM,
}


def git(repo: Path, *args: str) -> str:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(repo.parent),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def make_repo(tmp_path: Path, files: dict[str, str] = BASE, sub: str = "") -> Path:
    """A repository whose first commit (tag ``base``) holds ``files`` (under ``sub``)."""
    repo = tmp_path / "repo"
    write_tree(repo / sub if sub else repo, files)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "tag", "base")
    return repo


def add_defect(root: Path, name: str = "infra", depends: str = "ghost") -> None:
    """A Kustomization of its own directory whose dependency does not exist."""
    write_tree(
        root,
        {
            f"clusters/dev/{name}.yaml": ks(name, f"./{name}", depends=(depends,)),
            f"{name}/cm.yaml": CM.replace("name: c", f"name: {name}"),
        },
    )


def commit(repo: Path, message: str = "head") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def new_only(repo: Path, *extra: str, root: Path | None = None) -> tuple[int, list[dict], str]:
    root = root or repo
    code, out, err = run_cli(
        str(root), "--root", str(root), "--format", "json", "--new-only", "--base", "base", *extra
    )
    return code, json.loads(out)["findings"] if out else [], err


def one_line_error(err: str) -> bool:
    return err.startswith("gitops-lint: error: ") and err.count("\n") == 1


# -- --new-only --base REF ---------------------------------------------------------------


def test_an_existing_defect_is_not_new_and_the_exit_status_follows_new_findings(tmp_path):
    repo = make_repo(tmp_path)
    code, out, _ = run_cli(str(repo), "--root", str(repo), "--format", "json")
    assert code == 1 and "missing-dependency" in out  # the defect is there without --new-only
    code, findings, err = new_only(repo)
    assert code == 0 and findings == [], err
    assert "1 not shown, already at base" in err


def test_an_added_defect_is_new(tmp_path):
    repo = make_repo(tmp_path)
    add_defect(repo)
    commit(repo)
    code, findings, _ = new_only(repo)
    assert code == 1
    assert [(f["rule"], f["object"]["name"]) for f in findings if f["severity"] == "error"] == [
        ("missing-dependency", "infra")
    ]


def test_an_uncommitted_defect_in_the_working_tree_is_new(tmp_path):
    repo = make_repo(tmp_path)
    add_defect(repo)
    code, findings, _ = new_only(repo)
    assert code == 1 and any(f["object"]["name"] == "infra" for f in findings)


def test_a_moved_line_is_not_new(tmp_path):
    repo = make_repo(tmp_path)
    apps = repo / "clusters/dev/apps.yaml"
    apps.write_text("# moved down by a comment\n\n\n" + apps.read_text())
    commit(repo)
    code, findings, err = new_only(repo)
    assert code == 0 and findings == [], err


def test_a_renamed_file_is_not_new(tmp_path):
    repo = make_repo(tmp_path)
    git(repo, "mv", "clusters/dev/apps.yaml", "clusters/dev/applications.yaml")
    commit(repo, "rename")
    code, out, _ = run_cli(str(repo), "--root", str(repo), "--format", "json")
    assert '"clusters/dev/applications.yaml"' in out  # the finding moved with the file
    code, findings, err = new_only(repo)
    assert code == 0 and findings == [], err


def test_a_second_copy_of_a_known_defect_is_new(tmp_path):
    """Counts matter: the base has the defect once, the head twice."""
    repo = make_repo(tmp_path)
    add_defect(repo, "apps2", "nope")
    commit(repo)
    code, findings, _ = new_only(repo)
    assert code == 1 and [f["object"]["name"] for f in findings if f["severity"] == "error"] == ["apps2"]


def test_a_lint_root_in_a_subdirectory_is_mapped(tmp_path):
    repo = make_repo(tmp_path, sub="gitops")
    root = repo / "gitops"
    code, findings, err = new_only(repo, root=root)
    assert code == 0 and findings == [], err
    add_defect(root)
    code, findings, err = new_only(repo, root=root)
    assert code == 1 and [f["file"] for f in findings if f["severity"] == "error"] == [
        "clusters/dev/infra.yaml"
    ]


def test_a_root_the_base_does_not_have_makes_every_finding_new(tmp_path):
    repo = make_repo(tmp_path, files={"README.md": "x\n"})
    write_tree(repo, BASE)
    code, findings, _ = new_only(repo)
    assert code == 1 and any(f["rule"] == "missing-dependency" for f in findings)


def test_a_missing_ref_is_a_one_line_error_that_says_how_to_fetch_it(tmp_path):
    repo = make_repo(tmp_path)
    code, out, err = run_cli(str(repo), "--root", str(repo), "--new-only", "--base", "origin/nope")
    assert code == 2 and one_line_error(err), err
    assert "origin/nope" in err and "fetch-depth: 0" in err


def test_a_shallow_clone_says_so(tmp_path):
    repo = make_repo(tmp_path)
    (repo / "x.txt").write_text("x\n")
    commit(repo)
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)],
        check=True,
        capture_output=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"},
    )
    code, _, err = run_cli(str(clone), "--root", str(clone), "--new-only", "--base", "HEAD~1")
    assert code == 2 and one_line_error(err) and "shallow clone" in err and "fetch-depth: 0" in err


@pytest.mark.parametrize("ref", ["--output=/tmp/x", "-h", "a\nb", ""])
def test_a_ref_that_is_an_option_is_refused(tmp_path, ref):
    repo = make_repo(tmp_path)
    code, _, err = run_cli(str(repo), "--root", str(repo), "--new-only", f"--base={ref}")
    assert code == 2 and one_line_error(err), err


def test_no_repository_is_a_one_line_error(tmp_path):
    root = write_tree(tmp_path / "plain", BASE)
    code, _, err = run_cli(str(root), "--root", str(root), "--new-only", "--base", "main")
    assert code == 2 and one_line_error(err) and "not in a Git repository" in err


def test_new_only_needs_base_and_base_needs_new_only(tmp_path):
    repo = make_repo(tmp_path)
    for args in (["--new-only"], ["--base", "base"]):
        code, _, err = run_cli(str(repo), "--root", str(repo), *args)
        assert code == 2 and one_line_error(err) and "--new-only and --base" in err


def test_the_text_summary_says_how_many_were_not_shown(tmp_path):
    repo = make_repo(tmp_path)
    code, out, _ = run_cli(str(repo), "--root", str(repo), "--new-only", "--base", "base")
    assert code == 0
    assert out.splitlines()[-1].startswith("Found 0 errors") and out.endswith(
        "; 1 not shown, already at base.\n"
    )


# -- gitref: hostile repositories --------------------------------------------------------


def test_only_git_runs_with_a_controlled_environment_and_writes_stay_in_scratch(tmp_path, monkeypatch):
    repo = make_repo(tmp_path)
    add_defect(repo)
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))  # must not reach git
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'core.fsmonitor'='touch /tmp/owned'")
    with spying() as events:
        code, out, err = run_cli(
            str(repo), "--root", str(repo), "--format", "json", "--new-only", "--base", "base"
        )
    assert code == 1, err
    assert events.processes, "git ran"
    for executable, argv, env, _cwd in events.processes:
        assert os.path.basename(argv[0]) == "git", (executable, argv)
        assert "core.fsmonitor=false" in argv and "core.hooksPath=/dev/null" in argv
        assert "protocol.allow=never" in argv
        assert env is not None and not [
            k for k in env if k.startswith("GIT_") and k not in gitref.git_env("")
        ]
        assert env["GIT_CONFIG_NOSYSTEM"] == "1" and env["GIT_TERMINAL_PROMPT"] == "0"
        assert under(os.path.realpath(env["HOME"]), os.path.realpath(os.environ.get("TMPDIR", "/tmp")))
    assert not events.connections
    assert events.writes() == [], events.writes()
    assert not any("gitops-lint-base-" in p for p in os.listdir(os.path.dirname(events.scratch()[0])))


def test_the_repositorys_own_config_runs_nothing(tmp_path):
    """A fsmonitor in .git/config is a program git would start on a status; ours turns it off."""
    repo = make_repo(tmp_path)
    planted = tmp_path / "owned"
    script = tmp_path / "monitor.sh"
    script.write_text(f"#!/bin/sh\ntouch {planted}\n")
    script.chmod(0o755)
    git(repo, "config", "core.fsmonitor", str(script))
    code, _, err = new_only(repo)
    assert code == 0, err
    assert not planted.exists()


def test_a_manifest_argument_refuses_the_pull_request_options(tmp_path):
    repo = make_repo(tmp_path)
    code, _, err = run_cli(str(repo / "apps" / "cm.yaml"), "--new-only", "--base", "base")
    assert code == 2 and one_line_error(err) and "not on a manifest" in err


def test_paths_that_leave_the_tree_and_links_out_are_not_written(tmp_path):
    repo = make_repo(tmp_path)
    os.symlink("/etc/passwd", repo / "apps" / "out")
    os.symlink("../../..", repo / "apps" / "up")
    os.symlink("cm.yaml", repo / "apps" / "in")
    os.symlink(".", repo / "dot")
    os.symlink("dot/..", repo / "escape")  # inside by its text, outside through the link
    commit(repo)
    with gitref.materialize(str(repo / "apps"), "HEAD") as base:
        assert base.endswith(os.path.join("tree", "apps"))
        assert os.path.islink(os.path.join(base, "in")) and Path(base, "in").read_text() == CM
        assert not os.path.lexists(os.path.join(base, "out"))
        assert not os.path.lexists(os.path.join(base, "up"))
        assert not os.path.lexists(os.path.join(os.path.dirname(base), "escape"))
        scratch = os.path.dirname(os.path.dirname(base))
    assert not os.path.exists(scratch)  # removed after the block


@pytest.mark.parametrize("path", ["/abs", "a/../b", "./a", "a//b", ".git/config", "a/.GIT/x", ""])
def test_unsafe_tree_paths_are_refused(path):
    assert not gitref._safe_path(path)


@pytest.mark.parametrize("path", ["a", "a/b.yaml", ".github/x", "a/.gitignore", "..a/b"])
def test_safe_tree_paths_are_accepted(path):
    assert gitref._safe_path(path)


def test_map_path(tmp_path):
    root = str(tmp_path / "r")
    assert gitref.map_path(root, root, "/s/tree") == "/s/tree"
    assert gitref.map_path(os.path.join(root, "clusters", "dev"), root, "/s") == "/s/clusters/dev"
    with pytest.raises(gitref.GitRefError):
        gitref.map_path(str(tmp_path), root, "/s")


# -- --baseline FILE ---------------------------------------------------------------------


def F(name: str, file: str = "clusters/dev/a.yaml", line: int = 1, message: str = "m") -> Finding:
    obj = ObjectRef("Kustomization", "flux-system", name, "kustomize.toolkit.fluxcd.io/v1")
    return Finding("missing-dependency", "GL102", Severity.ERROR, message, file, line, 1, obj, "clusters/dev")


def test_counts_matter_three_known_four_found_is_one_new():
    known = baseline.keys_of([F("a"), F("a"), F("a")])
    new, hidden = baseline.new_findings([F("a", line=n) for n in range(4)], known)
    assert (len(new), hidden) == (1, 3)


def test_a_finding_without_an_object_does_not_match_across_files():
    plain = Finding("yaml-syntax", "GL001", Severity.ERROR, "bad", "a.yaml", 1)
    other = Finding("yaml-syntax", "GL001", Severity.ERROR, "bad", "b.yaml", 1)
    assert baseline.new_findings([other], baseline.keys_of([plain]))[0] == [other]
    # with an object the file may change (a rename), and a message naming the file too
    renamed = F("a", file="b.yaml", message="in b.yaml")
    assert (
        baseline.new_findings([renamed], baseline.keys_of([F("a", message="in clusters/dev/a.yaml")]))[1] == 1
    )


def test_the_same_fingerprint_is_matched_before_a_rename():
    """Two copies, one renamed: the one that stayed matches its own entry, not the renamed one's."""
    known = baseline.keys_of([F("a", file="x.yaml"), F("a", file="y.yaml")])
    new, hidden = baseline.new_findings([F("a", file="y.yaml"), F("a", file="z.yaml")], known)
    assert (new, hidden) == ([], 2)
    new, _ = baseline.new_findings([F("a", file="y.yaml"), F("a", file="z.yaml"), F("a", "w.yaml")], known)
    assert len(new) == 1


def test_baseline_round_trip_is_deterministic_and_holds_no_message(tmp_path):
    findings = [F("b", message="secret-ish text"), F("a"), F("a")]
    text = baseline.dumps(findings)
    assert text == baseline.dumps(list(reversed(findings)))
    doc = json.loads(text)
    assert doc["version"] == 1 and [e["count"] for e in doc["findings"]] == [2, 1]
    assert "secret-ish" not in text and "message" not in text
    path = tmp_path / "b.json"
    path.write_text(text)
    assert sorted(baseline.load(str(path)), key=str) == sorted(baseline.keys_of(findings), key=str)


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        '{"version": 2, "findings": []}',
        "[]",
        '{"version": 1, "findings": [{"count": 1}]}',
        '{"version": 1, "findings": [{"fingerprint": "x", "count": 0}]}',
    ],
)
def test_a_bad_baseline_is_a_one_line_error(tmp_path, content):
    repo = write_tree(tmp_path / "r", BASE)
    (tmp_path / "b.json").write_text(content)
    code, _, err = run_cli(str(repo), "--root", str(repo), "--baseline", str(tmp_path / "b.json"))
    assert code == 2 and one_line_error(err), err


def test_write_then_read_a_baseline_through_the_command_line(tmp_path):
    repo = make_repo(tmp_path)
    path = tmp_path / "baseline.json"
    code, _, err = run_cli(str(repo), "--root", str(repo), "--write-baseline", str(path))
    assert code == 0 and "recorded in" in err  # what is recorded is accepted
    first = path.read_text()
    run_cli(str(repo), "--root", str(repo), "--write-baseline", str(path))
    assert path.read_text() == first
    code, out, _ = run_cli(str(repo), "--root", str(repo), "--baseline", str(path))
    assert code == 0 and out.endswith(f"not shown, already in {path}.\n")
    (repo / "clusters/dev/apps.yaml").write_text("\n\n" + (repo / "clusters/dev/apps.yaml").read_text())
    add_defect(repo)
    code, out, err = run_cli(str(repo), "--root", str(repo), "--baseline", str(path), "--format", "json")
    names = [f["object"]["name"] for f in json.loads(out)["findings"] if f["severity"] == "error"]
    assert code == 1 and names == ["infra"]
    assert json.loads(out)["summary"]["errors"] == 1


def test_the_fingerprint_is_sarifs(tmp_path):
    repo = make_repo(tmp_path)
    path = tmp_path / "b.json"
    run_cli(str(repo), "--root", str(repo), "--write-baseline", str(path))
    _, out, _ = run_cli(str(repo), "--root", str(repo), "--format", "sarif")
    sarif = {r["partialFingerprints"]["gitopsLint/v1"] for r in json.loads(out)["runs"][0]["results"]}
    assert {e["fingerprint"] for e in json.loads(path.read_text())["findings"]} <= sarif


def test_options_are_documented():
    out = " ".join(lint_parser().format_help().split())
    assert "depth: 0" in out and all(
        o in out for o in ("--baseline", "--write-baseline", "--new-only", "--base")
    )
