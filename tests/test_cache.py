"""The warm-run cache (gitops_lint.cache): a warm run prints exactly what a cold run prints.

Each test lints a copy of a repository in a temporary Git work tree (``.git``
at the root), with the cache turned on (the suite runs with it off: conftest);
"cold" is the same command with ``--no-cache``. A hit is proven by a Linter
that cannot run; a miss by a result that follows the change.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint import cache as cache_module
from gitops_lint import lint
from gitops_lint.core.fs import content_hash
from gitops_lint.core.records import SIDE_SHARDS, SideRecords, side_shard
from tests.conftest import CORPUS, FIXTURES, PROJECT
from tests.helpers import GOTK, ks, run_cli, write_tree

DEFECTS = FIXTURES / "text-report-defects"


pytestmark = pytest.mark.usefixtures("cache_on")


def git_copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    (target / ".git").mkdir(exist_ok=True)
    return target


@pytest.fixture
def repo(tmp_path) -> Path:
    return git_copy(DEFECTS, tmp_path / "repo")


class NoPipeline(Exception):
    pass


def _refuse(self, paths):
    raise NoPipeline(paths)


@pytest.fixture
def no_pipeline(monkeypatch):
    """A lint that must come from the cache: the Linter raises if asked to run."""
    monkeypatch.setattr(lint.Linter, "run", _refuse)


@pytest.fixture
def no_pipeline_later(monkeypatch):
    """``no_pipeline``, from when the test calls it."""
    return lambda: monkeypatch.setattr(lint.Linter, "run", _refuse)


def outputs(root: Path, *args: str, paths=None) -> dict[str, tuple[int, str, str]]:
    """The JSON and text reports of one lint of ``root`` (exit status, stdout, stderr)."""
    paths = [str(root)] if paths is None else [str(root / p) for p in paths]
    return {fmt: run_cli(*paths, "--root", str(root), "--format", fmt, *args) for fmt in ("text", "json")}


def entries(root: Path) -> list[Path]:
    return sorted((root / cache_module.DIR_NAME).glob("v*/run-*.json"))


# -- hits and misses ---------------------------------------------------------------------


def test_a_warm_run_prints_what_the_cold_run_printed(repo, no_pipeline_later):
    cold = outputs(repo, "--no-cache")
    others = {fmt: run_cli(str(repo), "--format", fmt, "--no-cache") for fmt in OTHER_FORMATS}
    assert not (repo / cache_module.DIR_NAME).exists(), "--no-cache writes nothing"
    assert outputs(repo) == cold  # fills the cache
    assert '"plaintext-secret"' in cold["json"][1] and "[*]" in cold["text"][1]
    no_pipeline_later()
    assert outputs(repo) == cold
    for fmt in OTHER_FORMATS:  # every format from the same entry
        assert run_cli(str(repo), "--format", fmt) == others[fmt], fmt


OTHER_FORMATS = ("concise", "sarif", "github", "junit")


def test_the_cache_directory_is_tagged_and_ignored(repo):
    outputs(repo)
    directory = repo / cache_module.DIR_NAME
    assert (directory / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (directory / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert len(entries(repo)) == 1  # json and text of one run share an entry


def asked_the_pipeline(result: tuple[int, str, str]) -> bool:
    code, _, err = result
    return code == 2 and "NoPipeline" in err


def test_without_an_entry_the_pipeline_runs(repo, no_pipeline):
    assert all(asked_the_pipeline(r) for r in outputs(repo).values())


def test_warm_after_a_change_follows_the_change(repo, monkeypatch):
    outputs(repo)
    target = repo / "apps" / "base" / "podinfo" / "deployment.yaml"
    target.write_text(target.read_text().replace('"9898"', "9898"))
    cold = outputs(repo, "--no-cache")
    assert outputs(repo) == cold
    assert "containerPort: expected integer" not in cold["json"][1]
    # and back: the first state's entry is used again, as it was
    target.write_text(target.read_text().replace("containerPort: 9898", 'containerPort: "9898"'))
    monkeypatch.setattr(lint.Linter, "run", _refuse)
    assert "containerPort: expected integer" in outputs(repo)["json"][1]


def test_a_touched_file_is_rehashed_and_still_a_hit(repo, monkeypatch):
    cold = outputs(repo)
    target = repo / "apps" / "base" / "podinfo" / "deployment.yaml"
    os.utime(target, ns=(10**18, 10**18))  # new mtime, same content
    monkeypatch.setattr(lint.Linter, "run", _refuse)
    assert outputs(repo) == cold


def _hashed(repo: Path) -> int:
    warm = cache_module.open_cache(str(repo))
    warm.compute_key(lint.Config(), [str(repo)])
    return warm._tree.hashed


def test_a_hit_remembers_the_hashes_the_miss_could_not(repo, monkeypatch):
    """Files written just before a run are hashed again next time (their mtime may not move
    on a rewrite); once they are old enough, the next run remembers them, hit or miss."""
    monkeypatch.setattr(cache_module, "RACY_NS", 10**18)  # the miss: every file is too recent
    outputs(repo)
    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    assert _hashed(repo) > 0
    outputs(repo)  # a hit
    assert _hashed(repo) == 0


def test_remembered_hashes_are_used_and_a_rewrite_is_seen(repo, monkeypatch):
    """Hashes are remembered per stat; a rewrite that keeps size and mtime changes the ctime."""
    monkeypatch.setattr(cache_module, "RACY_NS", 0)  # every file counts as old enough to remember
    outputs(repo)
    assert _hashed(repo) == 0
    target = repo / "apps" / "base" / "podinfo" / "deployment.yaml"
    st = target.stat()
    target.write_text(target.read_text().replace('"9898"', '"9899"'))  # same size
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert _hashed(repo) == 1
    after = outputs(repo)
    assert after == outputs(repo, "--no-cache")
    assert "9899" in after["json"][1]


def _stamps(repo: Path) -> dict[str, tuple[int, int]]:
    found = (repo / cache_module.DIR_NAME).rglob("*")
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in found if p.is_file()}


def test_a_run_after_no_change_writes_only_its_run_entry(repo, monkeypatch):
    """What a warm miss pays for is what changed: with nothing changed (the run entry gone),
    neither the hash memo nor a shard of the finer caches is written again."""
    monkeypatch.setattr(cache_module, "RACY_NS", 0)  # every file old enough to remember
    outputs(repo)
    # the first run's builds were new: the run after it keeps the schema verdicts of the
    # objects its kept builds serve (celcache), once
    for entry in entries(repo):
        entry.unlink()
    outputs(repo)
    before = _stamps(repo)
    assert "hashes.json" in before and any(name.startswith("side-") for name in before)
    for entry in entries(repo):
        entry.unlink()
    outputs(repo)
    after = _stamps(repo)
    # the run's own entries: its result, and the questions it asked of the tree (core.observed)
    assert {k: v for k, v in after.items() if not k.startswith(("run-", "asked-"))} == {
        k: v for k, v in before.items() if not k.startswith(("run-", "asked-"))
    }
    assert outputs(repo) == outputs(repo, "--no-cache")


def _walk(root: Path, memo: dict) -> tuple[cache_module.TreeState, str]:
    tree = cache_module.TreeState(str(root), set(), memo)
    return tree, tree.digest()


@settings(max_examples=30, deadline=None)
@given(content=st.binary(min_size=1, max_size=200), data=st.data())
def test_a_same_size_rewrite_with_the_old_mtime_is_seen(content, data):
    """The case a stat memo can miss: new content of the same size, the mtime set back.
    The ctime moves (no call sets it), so the remembered hash is not used."""
    at = data.draw(st.integers(0, len(content) - 1))
    other = content[:at] + bytes([(content[at] + 1) % 256]) + content[at + 1 :]
    saved = cache_module.RACY_NS
    cache_module.RACY_NS = 0  # every file old enough to remember
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "f.yaml"
            path.write_bytes(content)
            first, key = _walk(Path(tmp), {})
            assert "f.yaml" in first.new_memo  # remembered
            st_before = path.stat()
            path.write_bytes(other)
            os.utime(path, ns=(st_before.st_atime_ns, st_before.st_mtime_ns))
            assert path.stat().st_size == st_before.st_size
            again, key2 = _walk(Path(tmp), first.new_memo)
            assert again.hashed == 1 and key2 != key
            assert again.hashes["f.yaml"] == content_hash(other)
    finally:
        cache_module.RACY_NS = saved


def test_a_racy_file_is_hashed_again_even_when_its_stat_does_not_move(tmp_path, monkeypatch):
    """git's racy rule: a file written within RACY_NS of its hashing is not remembered, and the
    check after the run reads it again: a file system whose stat did not move on a rewrite
    (a coarse clock) still shows the change."""
    path = tmp_path / "f.yaml"
    path.write_bytes(b"a: 1\n")
    tree, key = _walk(tmp_path, {})
    assert tree.hashed == 1 and "f.yaml" not in tree.new_memo  # too recent to remember
    seen = cache_module._scan(str(tmp_path), set())
    path.write_bytes(b"a: 2\n")
    monkeypatch.setattr(cache_module, "_scan", lambda root, excluded: dict(seen))  # stat unchanged
    assert not tree.unchanged()
    assert _walk(tmp_path, tree.new_memo)[1] != key  # and the next walk reads it again


def test_a_remembered_hash_of_another_device_or_inode_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    (tmp_path / "f.yaml").write_bytes(b"a: 1\n")
    tree, key = _walk(tmp_path, {})
    row = tree.new_memo["f.yaml"]
    for at in (3, 4):  # inode, device
        forged = [*row[:at], row[at] + 1, *row[at + 1 : 5], "0" * 40]
        again, key2 = _walk(tmp_path, {"f.yaml": forged})
        assert again.hashed == 1 and key2 == key
    assert _walk(tmp_path, {"f.yaml": [*row[:5], "0" * 40]})[1] != key  # the row is what is trusted


@pytest.mark.parametrize(
    "change",
    [
        "a new file in a directory Flux's generated kustomization takes whole",
        "a new empty directory",
        "a removed file",
        "a symlink",
    ],
)
def test_a_change_to_the_tree_is_a_miss(tmp_path, change):
    root = write_tree(
        tmp_path / "repo",
        {
            **GOTK,
            "clusters/dev/apps.yaml": ks("apps", "./apps") + "---\n" + ks("infra", "./infra"),
            "apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: default}\n",
        },
    )
    (root / ".git").mkdir()
    before = outputs(root)
    if change.startswith("a new file"):
        (root / "apps" / "secret.yaml").write_text(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\nstringData: {pw: x}\n"
        )
    elif change == "a new empty directory":
        (root / "infra").mkdir()  # missing-path no more
    elif change == "a removed file":
        (root / "apps" / "cm.yaml").unlink()
    else:
        (root / "infra").symlink_to("apps")
    after = outputs(root)
    assert after == outputs(root, "--no-cache")
    assert after != before


@pytest.mark.parametrize(
    "option",
    [
        ("--select", "schema"),
        ("--ignore", "plaintext-secret"),
        ("--var", "cluster_name=x"),
        ("--kube-version", "1.30"),
        ("--flux-version", "2.8"),
        ("--fail-on", "warning"),
    ],
)
def test_the_command_line_config_is_part_of_the_key(repo, option):
    outputs(repo)
    assert outputs(repo, *option) == outputs(repo, *option, "--no-cache")


def test_the_config_file_is_part_of_the_key(repo):
    outputs(repo)
    (repo / ".gitops-lint.yaml").write_text("rules:\n  plaintext-secret: off\n")
    warm = outputs(repo)
    assert warm == outputs(repo, "--no-cache")
    assert '"plaintext-secret"' not in warm["json"][1]


def test_linted_paths_are_part_of_the_key(repo):
    outputs(repo, paths=["clusters/staging"])
    for paths in (["clusters/production"], ["clusters/staging", "clusters/production"]):
        assert outputs(repo, paths=paths) == outputs(repo, "--no-cache", paths=paths)


def test_baseline_reads_the_cached_findings(repo, tmp_path):
    baseline = tmp_path / "baseline.json"
    run_cli(str(repo), "--write-baseline", str(baseline), "--no-cache")
    cold = run_cli(str(repo), "--baseline", str(baseline), "--no-cache")
    run_cli(str(repo), "--format", "json")
    assert run_cli(str(repo), "--baseline", str(baseline)) == cold


def test_fix_and_diff_bypass_the_cache(repo, no_pipeline):
    for option in ("--fix", "--diff"):
        assert asked_the_pipeline(run_cli(str(repo), option))
    assert not entries(repo)


# -- where it is written ---------------------------------------------------------------


def test_no_cache_without_git_at_the_root(tmp_path):
    root = shutil.copytree(DEFECTS, tmp_path / "export")
    outputs(root)
    assert not (root / cache_module.DIR_NAME).exists()


@pytest.mark.parametrize("how", ["flag", "env"])
def test_no_cache_turns_it_off(repo, monkeypatch, how):
    if how == "env":
        monkeypatch.setenv(cache_module.ENV_OFF, "1")
        outputs(repo)
    else:
        outputs(repo, "--no-cache")
    assert not (repo / cache_module.DIR_NAME).exists()


def test_a_named_cache_directory(tmp_path, monkeypatch):
    root = shutil.copytree(DEFECTS, tmp_path / "export")  # no .git: only a named directory is used
    monkeypatch.setenv(cache_module.ENV_DIR, str(tmp_path / "elsewhere"))
    cold = outputs(root)
    assert list((tmp_path / "elsewhere").glob("v*/run-*.json"))
    monkeypatch.setattr(lint.Linter, "run", _refuse)
    assert outputs(root) == cold


def test_a_cache_directory_symlinked_out_is_not_used(repo, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / cache_module.DIR_NAME).symlink_to(outside)
    assert outputs(repo) == outputs(repo, "--no-cache")
    assert not list(outside.iterdir())


# -- corruption and trust ----------------------------------------------------------------


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def _garbage(path: Path) -> None:
    path.write_bytes(b"\x00\xff not json \x80" * 10)


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _edited(path: Path) -> None:  # a finding dropped, checksum left as it was
    data = json.loads(path.read_text())
    data["body"]["findings"] = data["body"]["findings"][1:]
    path.write_text(json.dumps(data))


def _resealed(path: Path) -> None:  # dropped, and the checksum recomputed: the shape is still checked
    data = json.loads(path.read_text())
    data["body"]["findings"][0][5] = "one"  # a line that is not a number
    data["checksum"] = cache_module._digest(cache_module._dumps(data["body"]))
    path.write_text(json.dumps(data))


def _foreign_format(path: Path) -> None:
    data = json.loads(path.read_text())
    data["format"] = cache_module.FORMAT + 1
    path.write_text(json.dumps(data))


def _foreign_tool(path: Path) -> None:
    data = json.loads(path.read_text())
    data["tool"] = "0" * 40
    path.write_text(json.dumps(data))


def _wrong_key(path: Path) -> None:
    data = json.loads(path.read_text())
    data["key"] = "0" * 40
    path.write_text(json.dumps(data))


def _a_directory(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _a_symlink_to_a_device(path: Path) -> None:
    path.unlink()
    path.symlink_to("/dev/zero")


def _deep_json(path: Path) -> None:
    path.write_text("[" * 100000 + "]" * 100000)


CORRUPTIONS = [
    _truncate,
    _garbage,
    _empty,
    _edited,
    _resealed,
    _foreign_format,
    _foreign_tool,
    _wrong_key,
    _a_directory,
    _a_symlink_to_a_device,
    _deep_json,
]


@pytest.mark.parametrize("corrupt", CORRUPTIONS, ids=lambda f: f.__name__.strip("_"))
def test_a_damaged_entry_is_ignored_and_rebuilt(repo, monkeypatch, corrupt):
    cold = outputs(repo, "--no-cache")
    outputs(repo)
    [entry] = entries(repo)
    corrupt(entry)
    assert outputs(repo) == cold
    # rebuilt: the next run is a hit again (a directory in its place stays a miss, never an error)
    if corrupt is not _a_directory:
        monkeypatch.setattr(lint.Linter, "run", _refuse)
        assert outputs(repo) == cold


@pytest.mark.parametrize("corrupt", [_truncate, _garbage, _edited], ids=lambda f: f.__name__.strip("_"))
def test_a_damaged_hash_memo_is_ignored(repo, corrupt, monkeypatch):
    monkeypatch.setattr(cache_module, "RACY_NS", 0)  # every file old enough to remember
    cold = outputs(repo, "--no-cache")
    outputs(repo)
    memo = next((repo / cache_module.DIR_NAME).glob("v*/hashes.json"))
    if corrupt is _edited:  # a hash replaced: the checksum in the header no longer matches
        head, body = memo.read_bytes().split(b"\n", 1)
        files = {k: [*v[:5], "0" * 40] for k, v in json.loads(body).items()}
        memo.write_bytes(head + b"\n" + json.dumps(files).encode())
    else:
        corrupt(memo)
    assert _hashed(repo) > 0  # not trusted: every file is read again
    assert outputs(repo) == cold


def test_a_cache_copied_from_elsewhere_is_not_trusted(repo, tmp_path):
    """A committed or restored cache directory may hold an entry that hides findings."""
    outputs(repo)
    [entry] = entries(repo)
    data = json.loads(entry.read_text())
    data["body"]["findings"] = []  # a forged entry: no findings, checksum recomputed
    data["checksum"] = cache_module._digest(cache_module._dumps(data["body"]))
    entry.write_text(json.dumps(data))
    # the directory replaced by a copy of itself, as git or a CI cache would restore it
    # (the original kept aside meanwhile: its inodes stay taken)
    directory = repo / cache_module.DIR_NAME
    directory.rename(tmp_path / "aside")
    shutil.copytree(tmp_path / "aside", directory)
    assert outputs(repo) == outputs(repo, "--no-cache")
    assert '"plaintext-secret"' in outputs(repo)["json"][1]


@pytest.mark.slow
def test_concurrent_runs_agree_and_leave_a_whole_cache(repo):
    """Four processes lint the same tree at once: same reports, and the cache they leave is good."""
    cold = outputs(repo, "--no-cache")["json"]
    env = {k: v for k, v in os.environ.items() if k != cache_module.ENV_OFF}
    env["PYTHONPATH"] = str(PROJECT)
    cmd = [sys.executable, "-m", "gitops_lint", str(repo), "--format", "json"]
    procs = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=PROJECT)
        for _ in range(4)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, results):
        assert (p.returncode, out.decode(), err.decode()) == cold
    cache_module.wait_for_stores(str(repo / cache_module.DIR_NAME))  # written after the runs end
    assert not list((repo / cache_module.DIR_NAME).rglob(".tmp-*")), "no temporary file left"
    out = subprocess.run(cmd, env=env, capture_output=True, cwd=PROJECT, timeout=300)
    assert (out.returncode, out.stdout.decode(), out.stderr.decode()) == cold


def test_a_file_edited_during_the_run_leaves_no_entry(repo, monkeypatch):
    """The key is made before the lint reads the tree: an edit in between would store the
    edited tree's result under the old tree's key."""
    target = repo / "apps" / "base" / "podinfo" / "deployment.yaml"
    original = target.read_text()
    run = lint.Linter.run

    def edit_then_run(self, paths):
        target.write_text(original.replace('"9898"', "9898"))
        return run(self, paths)

    monkeypatch.setattr(lint.Linter, "run", edit_then_run)
    run_cli(str(repo), "--format", "json")
    assert not entries(repo)
    monkeypatch.setattr(lint.Linter, "run", run)
    target.write_text(original)  # back to the state the key was made of
    assert outputs(repo) == outputs(repo, "--no-cache")


def test_an_internal_error_is_not_stored(repo, monkeypatch):
    import dataclasses

    from gitops_lint import rules

    def broken(ctx):
        raise RuntimeError("boom")
        yield

    monkeypatch.setattr(
        rules,
        "_CACHE",
        [dataclasses.replace(r, check=broken) if r.name == "missing-path" else r for r in rules.all_rules()],
    )
    code, _, err = run_cli(str(repo), "--format", "json")
    assert code == 2 and "internal error in rule missing-path" in err
    assert not entries(repo)


def test_the_cache_holds_no_secret_value(tmp_path):
    value = "Zq8vK2-hunter2-Pw9x"
    root = write_tree(
        tmp_path / "repo",
        {
            **GOTK,
            "clusters/dev/apps.yaml": ks("apps", "./apps"),
            "apps/kustomization.yaml": "resources: [secret.yaml, cm.yaml]\n",
            "apps/secret.yaml": (
                "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\n"
                f"stringData: {{pw: {value}}}\n"
            ),
            # a message that quotes the value: a ConfigMap field of the wrong type
            "apps/cm.yaml": (
                f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c, namespace: default}}\nimmutable: {value}\n"
            ),
        },
    )
    (root / ".git").mkdir()
    cold = outputs(root)
    assert "***" in cold["json"][1]
    for path in (root / cache_module.DIR_NAME).rglob("*"):
        if path.is_file():
            assert value not in path.read_text(errors="replace")
            assert value[:8] not in path.read_text(errors="replace")


# -- the corpus ------------------------------------------------------------------------


def corpus_repositories() -> dict[str, list[str]]:
    from tests.test_corpus import corpus_repositories as sources

    return sources()


def _changed_file(root: Path, entry: str) -> Path:
    """A YAML file the run reads: the first one under the entry (deterministic)."""
    for dirpath, dirnames, filenames in sorted(os.walk(root / entry)):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith((".yaml", ".yml")) and not os.path.islink(os.path.join(dirpath, name)):
                return Path(dirpath) / name
    raise AssertionError(f"no YAML file under {entry}")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(corpus_repositories()) or ["(none)"])
def test_warm_runs_match_cold_runs_on_the_corpus(name, tmp_path, monkeypatch):
    if not CORPUS.is_dir() or name == "(none)":
        pytest.skip("../shared/corpus is not present")
    entry_paths = corpus_repositories()[name]
    root = git_copy(CORPUS / name, tmp_path / name)
    cold_json = run_cli(
        *[str(root / e) for e in entry_paths], "--root", str(root), "--format", "json", "--no-cache"
    )
    warm = outputs(root, paths=entry_paths)  # a miss: fills the cache (text, then JSON from the same entry)
    assert warm["json"] == cold_json
    with monkeypatch.context() as m:
        m.setattr(lint.Linter, "run", _refuse)
        assert outputs(root, paths=entry_paths) == warm  # hits, byte for byte, both formats
        os.utime(_changed_file(root, entry_paths[0]))  # touched: rehashed, still a hit
        assert outputs(root, paths=entry_paths) == warm
    # one file changed: a document that the linted files' scan reports
    target = _changed_file(root, entry_paths[0])
    with open(target, "a", encoding="utf-8") as fh:
        fh.write("\n---\nkey: [unclosed\n")
    cold = run_cli(
        *[str(root / e) for e in entry_paths], "--root", str(root), "--format", "json", "--no-cache"
    )
    after = run_cli(*[str(root / e) for e in entry_paths], "--root", str(root), "--format", "json")
    assert after == cold
    assert after != cold_json, "the change shows"
    # changed again (the unclosed document's error moves a line down): the run takes the
    # schema verdicts the run before kept (celcache)
    with open(target, "a", encoding="utf-8") as fh:
        fh.write("\n")
    cold = run_cli(
        *[str(root / e) for e in entry_paths], "--root", str(root), "--format", "json", "--no-cache"
    )
    assert run_cli(*[str(root / e) for e in entry_paths], "--root", str(root), "--format", "json") == cold


# -- side entries (the finer caches' store) ------------------------------------------------


def _keyed(repo: Path) -> cache_module.RunCache:
    warm = cache_module.open_cache(str(repo))
    assert warm is not None
    from gitops_lint.load.config import load_config
    from gitops_lint.vocabulary import vocabulary

    assert warm.compute_key(load_config(str(repo), known=vocabulary()), [str(repo)]) is not None
    return warm


def _sharded(rows: dict[str, str]) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list[tuple[str, str]]] = {}
    for key, payload in rows.items():
        out.setdefault(side_shard(key), []).append((key, payload))
    return out


ROWS = {f"key{i}": json.dumps([i, "x" * i]) for i in range(48)}


def _shard_files(repo: Path, name: str = "parsed") -> dict[int, Path]:
    found = (repo / cache_module.DIR_NAME).glob(f"v*/side-{name}-*.rec")
    return {int(p.name.removeprefix(f"side-{name}-").removesuffix(".rec")): p for p in found}


def test_side_entries_round_trip_and_know_every_file_hash(repo):
    warm = _keyed(repo)
    hashes = warm.file_hashes()
    assert set(hashes) == {
        p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts
    } - {p.relative_to(repo).as_posix() for p in (repo / cache_module.DIR_NAME).rglob("*")}
    warm.write_records("parsed", SideRecords(), _sharded(ROWS))
    read = _keyed(repo).read_records("parsed")
    assert {k: read.get(k) for k in read} == ROWS
    assert not list(_keyed(repo).read_records("other"))


def test_a_change_rewrites_only_the_shards_of_its_records(repo):
    """What a run after a one-file change pays for: the shards whose records changed."""
    _keyed(repo).write_records("parsed", SideRecords(), _sharded(ROWS))
    before = {shard: path.stat().st_ino for shard, path in _shard_files(repo).items()}
    warm = _keyed(repo)
    read = warm.read_records("parsed")
    changed = side_shard("key7")
    shards = {shard: read.rows(shard) for shard in range(SIDE_SHARDS)}  # all handed back...
    shards[changed] = [(k, "[0]" if k == "key7" else p) for k, p in shards[changed]]  # ...one changed
    warm.write_records("parsed", read, shards)
    after = {shard: path.stat().st_ino for shard, path in _shard_files(repo).items()}
    assert [shard for shard in before if before[shard] != after[shard]] == [changed]
    assert _keyed(repo).read_records("parsed").get("key7") == "[0]"


def _lines(path: Path) -> list[str]:
    return path.read_text().split("\n")


def _damage_payload(path: Path) -> None:  # a byte of a record changed, its checksum kept
    lines = _lines(path)
    lines[1] = lines[1][:-1] + ("1" if lines[1][-1] != "1" else "2")
    path.write_text("\n".join(lines))


def _damage_checksum(path: Path) -> None:
    lines = _lines(path)
    key, checksum, payload = lines[1].split("\t")
    lines[1] = "\t".join([key, "0" * len(checksum), payload])
    path.write_text("\n".join(lines))


def _damage_key(path: Path) -> None:  # another key on the same record: the checksum binds them
    lines = _lines(path)
    key, checksum, payload = lines[1].split("\t")
    other = next(f"key{i}" for i in range(1000, 10**6) if side_shard(f"key{i}") == side_shard(key))
    lines[1] = "\t".join([other, checksum, payload])
    path.write_text("\n".join(lines))


def _damage_truncate(path: Path) -> None:  # the last record cut short
    path.write_bytes(path.read_bytes()[:-7])


def _damage_header(field: str, value):
    def damage(path: Path) -> None:
        lines = _lines(path)
        header = json.loads(lines[0])
        header[field] = value
        lines[0] = json.dumps(header)
        path.write_text("\n".join(lines))

    damage.__name__ = f"_header_{field}"
    return damage


def _damage_garbage(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"\x80\xff")


RECORD_DAMAGE = [_damage_payload, _damage_checksum, _damage_key, _damage_truncate]
SHARD_DAMAGE = [
    _damage_header("instance", "0" * 32),
    _damage_header("tool", "0" * 40),
    _damage_header("format", 1),
    _damage_header("side", "builds"),
    _damage_garbage,
]


@pytest.mark.parametrize("damage", RECORD_DAMAGE + SHARD_DAMAGE, ids=lambda f: f.__name__.strip("_"))
def test_a_damaged_or_foreign_side_record_is_a_miss(repo, damage):
    _keyed(repo).write_records("parsed", SideRecords(), _sharded(ROWS))
    shard = max(range(SIDE_SHARDS), key=lambda s: len(_sharded(ROWS).get(s, [])))
    path = _shard_files(repo)[shard]
    keys = [line.split("\t")[0] for line in _lines(path)[1:] if line]
    hit = keys[-1] if damage is _damage_truncate else keys[0]
    damage(path)
    read = _keyed(repo).read_records("parsed")
    found = {k: read.get(k) for k in ROWS}
    whole = {k: v for k, v in ROWS.items() if side_shard(k) != shard}
    assert {k: v for k, v in found.items() if side_shard(k) != shard} == whole  # other shards
    if damage in SHARD_DAMAGE:
        assert all(found[k] is None for k in keys)
    else:  # the damaged record, never a wrong one; the records around it stay usable
        assert found[hit] is None
        assert all(found[k] == ROWS[k] for k in keys if k != hit)


def test_a_shard_written_again_leaves_its_damaged_record_out(repo):
    """A store hands back a shard without the record it could not use: the shard is written
    again (not left as read, damage and all)."""
    _keyed(repo).write_records("parsed", SideRecords(), _sharded(ROWS))
    shard = max(range(SIDE_SHARDS), key=lambda s: len(_sharded(ROWS).get(s, [])))
    path = _shard_files(repo)[shard]
    damaged = _lines(path)[1].split("\t")[0]
    _damage_payload(path)
    warm = _keyed(repo)
    read = warm.read_records("parsed")
    warm.write_records("parsed", read, {shard: read.rows(shard)})
    assert damaged not in path.read_text()
    again = _keyed(repo).read_records("parsed")
    assert [k for k in ROWS if side_shard(k) == shard and again.get(k) != ROWS[k]] == [damaged]


def test_a_record_is_hashed_once_a_run_and_written_with_a_checksum_of_what_it_holds(repo, monkeypatch):
    """A record the run used is not hashed again when its store carries it over; a record
    written with another payload, or one never checked, gets its own checksum: a damaged
    record's checksum is never copied onto a record that would then pass for whole."""
    from gitops_lint.core import records as records_module

    _keyed(repo).write_records("parsed", SideRecords(), _sharded(ROWS))
    shard = max(range(SIDE_SHARDS), key=lambda s: len(_sharded(ROWS).get(s, [])))
    path = _shard_files(repo)[shard]
    keys = [line.split("\t")[0] for line in _lines(path)[1:] if line]
    _damage_checksum(path)  # the first record: its payload whole, its checksum not
    damaged, used, unused = keys[0], keys[1], keys[2]
    warm = _keyed(repo)
    read = warm.read_records("parsed")
    hashed: list[str] = []
    real = records_module.record_checksum
    monkeypatch.setattr(records_module, "record_checksum", lambda k, p: hashed.append(k) or real(k, p))
    assert read.get(used) == ROWS[used] and read.get(used) == ROWS[used] and read.get(damaged) is None
    assert hashed == [used, damaged]
    rows = [(k, ROWS[k]) for k in keys if k != unused] + [(unused, ROWS[unused])]
    warm.write_records("parsed", read, {shard: rows})
    assert used not in hashed[2:] and {damaged, unused} <= set(hashed[2:])
    again = _keyed(repo).read_records("parsed")
    assert all(again.get(k) == ROWS[k] for k in keys)  # the damaged one too: its payload was whole
    assert read.checksum(used, ROWS[used] + " ") == real(used, ROWS[used] + " ")


def test_a_shard_named_as_another_is_a_miss(repo):
    """A shard file copied over another's name (its header names its own number)."""
    _keyed(repo).write_records("parsed", SideRecords(), _sharded(ROWS))
    files = _shard_files(repo)
    files[1].write_bytes(files[0].read_bytes())
    read = _keyed(repo).read_records("parsed")
    assert all(read.get(k) is None for k in ROWS if side_shard(k) == 1)
    assert all(read.get(k) == v for k, v in ROWS.items() if side_shard(k) == 0)


def test_a_side_entry_is_not_written_when_the_tree_changed_during_the_run(repo):
    warm = _keyed(repo)
    (repo / "new.yaml").write_text("a: 1\n")
    warm.write_records("parsed", SideRecords(), _sharded(ROWS))
    assert not _shard_files(repo)
