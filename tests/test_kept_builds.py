"""Kustomize builds kept between lint runs (gitops_lint.buildcache, render.memo.KeepingRenderer).

A run that misses the whole-run cache (a file changed) reuses every build whose
fingerprint still holds: it prints exactly what a ``--no-cache`` run prints, and
builds again only what the change can affect. Each test lints a small fleet in a
temporary Git work tree with the cache on (the suite runs with it off: conftest).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gitops_lint import cache as cache_module
from gitops_lint.buildcache import SIDE, SecretPlaces, _storable
from gitops_lint.cache import open_cache
from gitops_lint.core import records
from gitops_lint.core.data import Document, Origin
from gitops_lint.core.fs import RepoFS, content_hash
from gitops_lint.core.records import record_checksum
from gitops_lint.load.config import load_config
from gitops_lint.load.loader import DocumentCache, LoadedFile
from gitops_lint.render import memo
from gitops_lint.render.kustomize import Kustomizer
from gitops_lint.render.memo import KeepingRenderer, KeptRecord, keeps_issues, source_document
from gitops_lint.render.types import BuildIssue, FluxOverlay
from gitops_lint.vocabulary import vocabulary
from tests.conftest import CORPUS
from tests.helpers import GOTK, corpus_sample, ks, run_cli, shard_records, write_tree

pytestmark = pytest.mark.usefixtures("cache_on")


def _gotk(cluster: str) -> dict[str, str]:
    return {
        k.replace("clusters/dev", f"clusters/{cluster}"): v.replace("clusters/dev", f"clusters/{cluster}")
        for k, v in GOTK.items()
    }


KUST = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
spec:
  selector: {matchLabels: {app: podinfo}}
  template:
    metadata: {labels: {app: podinfo}}
    spec:
      containers:
        - name: podinfo
          image: ghcr.io/stefanprodan/podinfo:6.5.0
          envFrom:
            - configMapRef: {name: podinfo-env}
"""

# two clusters whose apps share one base (accumulated once per run by the Kustomizer), a
# patch, a transformer configuration, a component, a Flux component that may be missing
FLEET = {
    **_gotk("dev"),
    **_gotk("prod"),
    "clusters/dev/apps.yaml": ks("apps", "./apps/dev"),
    "clusters/prod/apps.yaml": ks(
        "apps",
        "./apps/prod",
        extra="  targetNamespace: prod\n  components:\n    - ../components/extra\n  ignoreMissingComponents: true\n",
    ),
    "apps/base/kustomization.yaml": KUST + "resources:\n  - podinfo\n",
    "apps/base/podinfo/kustomization.yaml": KUST
    + "namespace: podinfo\nresources:\n  - deployment.yaml\n  - service.yaml\n"
    + "configMapGenerator:\n  - name: podinfo-env\n    literals: [LEVEL=info]\n",
    "apps/base/podinfo/deployment.yaml": DEPLOYMENT,
    "apps/base/podinfo/service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: podinfo\n"
    "spec:\n  selector: {app: podinfo}\n  ports: [{port: 9898}]\n",
    "apps/dev/kustomization.yaml": KUST
    + "resources:\n  - ../base\npatches:\n  - path: patch.yaml\nconfigurations:\n  - ../config/names.yaml\n",
    "apps/dev/patch.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\n"
    "spec:\n  replicas: 2\n",
    "apps/config/names.yaml": "nameReference:\n  - kind: ConfigMap\n    fieldSpecs:\n"
    "      - path: spec/configName\n        kind: Widget\n",
    "apps/prod/kustomization.yaml": KUST
    + "resources:\n  - ../base\n  - extra.yaml\ncomponents:\n  - ../components/labels\n"
    + "configurations:\n  - ../config/names.yaml\n",
    "apps/prod/extra.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  a: b\n",
    "apps/components/labels/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\n"
    "kind: Component\nlabels:\n  - pairs: {tier: web}\n",
}


@pytest.fixture
def fleet(tmp_path) -> Path:
    root = write_tree(tmp_path / "fleet", FLEET)
    (root / ".git").mkdir()
    return root


def lint(root: Path, *args: str) -> tuple[int, str, str]:
    return run_cli(str(root), "--root", str(root), "--format", "json", *args)


def forget_runs(root: Path) -> None:
    """Drop the whole-run entries: the next run misses them and finds the kept builds."""
    for entry in (root / cache_module.DIR_NAME).glob("v*/run-*.json"):
        entry.unlink()


def side_shards(root: Path) -> list[Path]:
    return sorted((root / cache_module.DIR_NAME).glob(f"v*/side-{SIDE}-*.rec"))


def side_bytes(root: Path) -> bytes:
    found = side_shards(root)
    assert found
    return b"".join(p.read_bytes() for p in found)


def kept_payloads(root: Path) -> dict[str, str]:
    """Record key -> record text, as the shards hold them."""
    return shard_records(side_shards(root))


def kept_keys(root: Path) -> set[str]:
    return {json.loads(k)[0] for k in kept_payloads(root)}


@pytest.fixture
def inner_builds(monkeypatch) -> list[str]:
    """The directories the built-in renderer is asked to build (the kept ones are not)."""
    built: list[str] = []
    for name in ("build", "build_shared"):  # build_shared: the cluster builder's, uncopied
        original = getattr(Kustomizer, name)

        def counting(self, path, overlay=None, original=original):
            built.append(path)
            return original(self, path, overlay)

        monkeypatch.setattr(Kustomizer, name, counting)
    return built


def warm_after(root: Path, change, built: list[str]) -> set[str]:
    """Lint (keeping builds), apply ``change``, lint again missing the run entry: the
    directories built again. The second run prints what a --no-cache run prints."""
    first = lint(root)
    assert "internal error" not in first[2]
    assert first == lint(root, "--no-cache")
    change(root)
    forget_runs(root)
    built.clear()
    warm = lint(root)
    rebuilt = set(built)
    assert warm == lint(root, "--no-cache")
    return rebuilt


# -- only what a change can affect is built again -------------------------------------------


def test_unchanged_builds_are_all_reused(fleet, inner_builds):
    assert warm_after(fleet, lambda root: None, inner_builds) == set()
    assert {"apps/dev", "apps/prod", "clusters/dev", "clusters/prod"} <= kept_keys(fleet)


def test_a_changed_file_rebuilds_only_the_builds_that_read_it(fleet, inner_builds):
    def edit(root):
        (root / "apps/dev/patch.yaml").write_text(FLEET["apps/dev/patch.yaml"].replace("2", "3"))

    assert warm_after(fleet, edit, inner_builds) == {"apps/dev"}


def test_a_shared_file_rebuilds_every_build_that_read_it(fleet, inner_builds):
    def edit(root):
        (root / "apps/config/names.yaml").write_text(FLEET["apps/config/names.yaml"] + "# edited\n")

    assert warm_after(fleet, edit, inner_builds) == {"apps/dev", "apps/prod"}


def test_a_deleted_file_rebuilds_the_builds_that_read_it(fleet, inner_builds):
    assert warm_after(
        fleet, lambda root: (root / "apps/base/podinfo/service.yaml").unlink(), inner_builds
    ) == {"apps/dev", "apps/prod"}


def test_a_new_kustomization_file_in_a_listed_directory_rebuilds(fleet, inner_builds):
    def add(root):
        (root / "apps/base/podinfo/Kustomization").write_text(KUST + "resources: [service.yaml]\n")

    assert warm_after(fleet, add, inner_builds) == {"apps/dev", "apps/prod"}


def test_a_new_plain_file_in_a_listed_directory_rebuilds_nothing(fleet, inner_builds):
    def add(root):
        (root / "apps/base/podinfo/notes.txt").write_text("not read by kustomize\n")

    assert warm_after(fleet, add, inner_builds) == set()


def test_a_component_that_appears_rebuilds(fleet, inner_builds):
    def add(root):
        write_tree(
            root,
            {
                "apps/components/extra/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\n"
                "kind: Component\ncommonAnnotations: {extra: yes}\n"
            },
        )

    assert warm_after(fleet, add, inner_builds) == {"apps/prod"}


def test_a_component_that_disappears_rebuilds(fleet, inner_builds):
    write_tree(
        fleet,
        {
            "apps/components/extra/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\n"
            "kind: Component\ncommonAnnotations: {extra: yes}\n"
        },
    )
    assert warm_after(fleet, lambda root: shutil.rmtree(root / "apps/components/extra"), inner_builds) == {
        "apps/prod"
    }


def test_text_report_from_kept_builds_is_the_cold_one(fleet, inner_builds):
    (fleet / "apps/prod/extra.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: ${MISSING_VAR}\ndata: {a: b}\n"
    )
    cold = run_cli(str(fleet), "--root", str(fleet), "--no-cache")
    assert run_cli(str(fleet), "--root", str(fleet)) == cold
    forget_runs(fleet)
    inner_builds.clear()
    assert run_cli(str(fleet), "--root", str(fleet)) == cold
    assert inner_builds == []


# -- what a reused build hands on ------------------------------------------------------------

BUILDS = [
    ("clusters/dev", None),
    ("apps/dev", FluxOverlay()),
    ("clusters/prod", None),
    ("apps/prod", FluxOverlay(target_namespace="prod")),
    ("apps/dev", FluxOverlay()),
]


def _effects(renderer, cache: DocumentCache) -> list:
    """Per build: its objects and origins, the files it counted as read, and the files the
    run holds after it (in order), with what the rules read of them."""
    out = []
    for path, overlay in BUILDS:
        before, cache.used = cache.used, set()
        result = renderer.build(path, overlay)
        used, cache.used = cache.used, before | cache.used
        out.append(
            (
                [(r.obj, r.origin) for r in result.resources],
                sorted(used),
                list(cache.files),
                sorted(cache.manifests),
                cache.budget.nodes,
            )
        )
    return out


def _keeping(root: Path, records) -> tuple[KeepingRenderer, DocumentCache]:
    fs = RepoFS(str(root))
    cache = DocumentCache(fs)
    return KeepingRenderer(Kustomizer(fs, cache), fs, records, {}), cache


@pytest.mark.parametrize("kept", [{"apps/dev"}, {"apps/prod"}, {"apps/dev", "clusters/prod"}, set()])
def test_a_reused_build_has_the_effects_of_a_fresh_one(fleet, kept):
    """Whichever builds are reused, each build loads and counts what a fresh run's would:
    the Kustomizer's run-long memory of accumulated directories is replayed, and a fresh
    build does not count what a fresh run would have found accumulated (apps/base)."""
    fs = RepoFS(str(fleet))
    fresh_cache = DocumentCache(fs)
    expected = _effects(Kustomizer(fs, fresh_cache), fresh_cache)
    recording, cache = _keeping(fleet, {})
    assert _effects(recording, cache) == expected
    records = {k: r for k, r in recording.records.items() if k[0] in kept}
    for rec in records.values():
        from gitops_lint.render.memo import encode_items, joined

        rec.objects, rec.pending = joined(encode_items(rec.pending)), None
    reusing, cache = _keeping(fleet, records)
    assert _effects(reusing, cache) == expected
    assert {k[0] for k in reusing.reused} == kept
    assert reusing.exact


def test_shared_base_counts_once_per_run(fleet):
    """The case the replay exists for: after apps/dev (reused) accumulated apps/base, the
    fresh apps/prod build does not count apps/base's files as read (a fresh run's does not)."""
    fs = RepoFS(str(fleet))
    fresh_cache = DocumentCache(fs)
    expected = _effects(Kustomizer(fs, fresh_cache), fresh_cache)
    assert "apps/base/podinfo/deployment.yaml" not in expected[3][1]  # apps/prod's count
    assert "apps/base/podinfo/deployment.yaml" in expected[1][1]  # apps/dev's


def test_the_walk_and_the_memo_hash_files_alike(fleet):
    cfg = load_config(str(fleet), known=vocabulary())
    warm = open_cache(str(fleet))
    assert warm.compute_key(cfg, [str(fleet)]) is not None
    rel = "apps/dev/patch.yaml"
    assert warm.file_hashes()[rel] == content_hash((fleet / rel).read_bytes())


# -- what is never kept ----------------------------------------------------------------------

SECRET = "s3cr3t-Value-never-in-a-cache"
ENC = "ENC[AES256_GCM,data:c2VjcmV0,iv:aXY=,tag:dGFn,type:str]"


def _in_dev(name: str, text: str) -> dict[str, str]:
    """``text`` as apps/dev/``name``, one more resource of apps/dev."""
    return {
        f"apps/dev/{name}": text,
        "apps/dev/kustomization.yaml": FLEET["apps/dev/kustomization.yaml"].replace(
            "  - ../base\n", f"  - ../base\n  - {name}\n"
        ),
    }


PLAIN_SECRET = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  password: {SECRET}\n"
SOPS_SECRET = (
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ntype: Opaque\n"
    f"stringData:\n  password: {ENC}\nsops:\n  mac: {ENC}\n  version: 3.8.1\n"
    "  encrypted_regex: ^(data|stringData)$\n"
)
SOPS_CONFIGMAP = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: creds\n"
    f"data:\n  token: {ENC}\nsops:\n  mac: {ENC}\n  version: 3.8.1\n  encrypted_regex: ^(data|stringData)$\n"
)


@pytest.mark.parametrize(
    "files",
    [
        {  # a secretGenerator: the Secret's values are not those of a document
            "apps/dev/kustomization.yaml": FLEET["apps/dev/kustomization.yaml"]
            + f"secretGenerator:\n  - name: creds\n    literals: [password={SECRET}]\n",
        },
        {  # a HelmRelease's password in its values: not a Secret, kept whole or not at all
            **_in_dev(
                "release.yaml",
                "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
                "metadata:\n  name: grafana\nspec:\n  interval: 1h\n  chart:\n    spec:\n      chart: grafana\n"
                "      sourceRef: {kind: HelmRepository, name: grafana}\n"
                f"  values:\n    adminPassword: {SECRET}\n",
            ),
        },
        {  # a Secret whose value a patch writes: not the value of the document it was loaded from
            **_in_dev(
                "secret.yaml",
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  password: x\n",
            ),
            "apps/dev/patch.yaml": FLEET["apps/dev/patch.yaml"]
            + f"---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  password: {SECRET}\n",
        },
        {  # SOPS ciphertext in what a record would hold itself (SOPS encrypted the metadata too)
            **_in_dev(
                "creds.sops.yaml",
                f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  annotations:\n    note: {ENC}\n"
                f"stringData:\n  password: {ENC}\nsops:\n  mac: {ENC}\n  version: 3.8.1\n",
            ),
        },
    ],
    ids=["secret-generator", "helm-password", "secret-patch", "sops-metadata"],
)
def test_a_build_with_a_secret_value_is_not_kept(fleet, files, inner_builds):
    write_tree(fleet, files)
    cold = lint(fleet, "--no-cache")
    assert lint(fleet) == cold
    text = side_bytes(fleet)
    assert SECRET.encode() not in text and b"c2VjcmV0" not in text
    assert "apps/dev" not in kept_keys(fleet)
    assert "apps/prod" in kept_keys(fleet)  # the others are
    forget_runs(fleet)
    inner_builds.clear()
    assert lint(fleet) == cold
    assert "apps/dev" in inner_builds and "apps/prod" not in inner_builds


@pytest.mark.parametrize(
    "files",
    [
        _in_dev("secret.yaml", PLAIN_SECRET),
        _in_dev("creds.sops.yaml", SOPS_SECRET),
        _in_dev("creds.sops.yaml", SOPS_CONFIGMAP),
        {  # kustomize rewrites the Secret's metadata (its namespace, a label): kept as built
            **_in_dev("creds.sops.yaml", SOPS_SECRET),
            "apps/dev/kustomization.yaml": FLEET["apps/dev/kustomization.yaml"].replace(
                "  - ../base\n", "  - ../base\n  - creds.sops.yaml\n"
            )
            + "namespace: team\nlabels:\n  - pairs: {owner: team}\n",
        },
    ],
    ids=["plaintext-secret", "sops-secret", "sops-configmap", "rewritten-metadata"],
)
def test_a_secret_is_kept_by_reference_to_its_document(fleet, files, inner_builds):
    """The build is kept with the Secret's (or SOPS document's) values left out; the next
    run takes them from the document the replay loads, and prints what a cold run does."""
    write_tree(fleet, files)
    cold = lint(fleet, "--no-cache")
    assert lint(fleet) == cold
    text = side_bytes(fleet)
    assert SECRET.encode() not in text and b"c2VjcmV0" not in text
    assert "apps/dev" in kept_keys(fleet)
    (record,) = [v for k, v in kept_payloads(fleet).items() if json.loads(k)[0] == "apps/dev"]
    referenced = [item for item in json.loads(record.partition("\t")[2]) if len(item) == 3]
    assert [sorted(item[0]) for item in referenced] == [["apiVersion", "kind", "metadata"]]
    forget_runs(fleet)
    inner_builds.clear()
    assert lint(fleet) == cold
    assert inner_builds == []  # every build served, the Secret's made whole again


def test_a_secret_file_edited_rebuilds_and_is_kept_again(fleet, inner_builds):
    write_tree(fleet, _in_dev("secret.yaml", PLAIN_SECRET))

    def edit(root):
        (root / "apps/dev/secret.yaml").write_text(PLAIN_SECRET.replace(SECRET, "another-" + SECRET))

    assert warm_after(fleet, edit, inner_builds) == {"apps/dev"}
    assert b"another-" not in side_bytes(fleet)
    assert "apps/dev" in kept_keys(fleet)


# -- a damaged record ------------------------------------------------------------------------


def _rewrite_side(root: Path, damage) -> None:
    """Damage the record of apps/dev (or add junk), then store it again with a valid checksum."""
    payloads = kept_payloads(root)
    (key,) = [k for k in payloads if json.loads(k)[0] == "apps/dev"]
    head, _, objects = payloads[key].partition("\t")
    record = {**json.loads(head), "objects": objects}
    damage(record)
    objects = record.pop("objects")
    payload = (json.dumps(record) + "\t" + objects) if isinstance(objects, str) else json.dumps(record)
    for path in side_shards(root):
        lines = path.read_text().split("\n")
        for i, line in enumerate(lines[1:], 1):
            if line.startswith(key + "\t"):
                lines[i] = f"{key}\t{record_checksum(key, payload)}\t{payload}"
        path.write_text("\n".join(lines))
    assert kept_payloads(root)[key] == payload


@pytest.mark.parametrize(
    "damage",
    [
        lambda r: r.update(objects="[1, 2"),
        lambda r: r.update(objects="[[1, 2]]"),
        lambda r: r.update(objects='[[{"a": NaN}, ["f", 1, 0]]]'),
        lambda r: r.update(tree=[["X", 1]]),
        lambda r: r.update(key=["apps/dev", 3, 10]),
        lambda r: r.update(files=["apps/dev/patch.yaml"]),
        lambda r: r.pop("listings"),
        lambda r: r.update(objects=None),  # no tab: a fingerprint without objects
        lambda r: r.update(generated={"resources": 1}),
        # issues: only a remote resource at a file the build read is kept (keeps_issues)
        lambda r: r["issues"].append(
            ["missing-path", "x does not exist", "apps/dev/kustomization.yaml", 1, 1]
        ),
        lambda r: r["issues"].append(["external", "remote x", "clusters/dev/apps.yaml", 1, 1]),  # not read
        lambda r: r["issues"].append(["external", "remote x", "apps/dev/kustomization.yaml", "1", 1]),
        lambda r: r.pop("issues"),
    ],
    ids=[
        "truncated",
        "shape",
        "nan",
        "tree",
        "key",
        "files",
        "field",
        "no-objects",
        "generated",
        "issue-kind",
        "issue-file",
        "issue-line",
        "no-issues",
    ],
)
def test_a_damaged_record_is_a_miss(fleet, inner_builds, damage):
    cold = lint(fleet, "--no-cache")
    assert lint(fleet) == cold
    _rewrite_side(fleet, damage)
    forget_runs(fleet)
    inner_builds.clear()
    assert lint(fleet) == cold
    assert "apps/prod" not in inner_builds  # the other records are whole
    assert "apps/dev" in inner_builds  # the damaged record is built again


def test_junk_among_the_records_is_ignored(fleet, inner_builds):
    cold = lint(fleet, "--no-cache")
    assert lint(fleet) == cold
    for path in side_shards(fleet):  # a line of junk, and a record of junk with a valid checksum
        key = json.dumps(["apps/none", None, 1])
        junk = f"{key}\t{record_checksum(key, '[1]')}\t[1]"
        path.write_text(path.read_text().replace("\n", "\nnot a record\n" + junk + "\n", 1))
    forget_runs(fleet)
    inner_builds.clear()
    assert lint(fleet) == cold
    assert "apps/prod" not in inner_builds and "apps/dev" not in inner_builds  # the records around it


# -- the corpus ------------------------------------------------------------------------------


def _corpus() -> dict[str, list[str]]:
    from tests.test_corpus import REPOSITORIES

    return REPOSITORIES


@pytest.mark.slow
@pytest.mark.skipif(not (CORPUS / "SOURCES.md").is_file(), reason="../shared/corpus is not present")
def test_corpus_runs_from_the_finer_caches_print_the_cold_output(tmp_path, monkeypatch):
    """Corpus repositories (about half, the same ones everywhere; all under
    GITOPS_LINT_CORPUS_ALL=1), linted with a cache outside it, then again without the
    whole-run entry: the second run takes every build it can from the kept ones and every
    parse it can from the stored ones (load.parsed), and its JSON output is byte-identical
    to a --no-cache run's. (test_cache's corpus test, on every repository, changes a file
    of a copy: those runs take the builds the change does not reach from the kept ones.)"""
    from gitops_lint.load import loader

    reused = 0
    parsed: list[str] = []
    original, parse_text = KeepingRenderer._replay, loader.parse_text

    def replay(self, nodes):
        nonlocal reused
        reused += 1
        return original(self, nodes)

    def counting(text, file, **kw):
        parsed.append(file)
        return parse_text(text, file, **kw)

    monkeypatch.setattr(KeepingRenderer, "_replay", replay)
    monkeypatch.setattr(loader, "parse_text", counting)
    repositories = _corpus()
    sampled = corpus_sample(sorted(repositories), 2)
    for repo in sampled:
        paths, root = repositories[repo], CORPUS / repo
        args = ["--format", "json", "--root", str(root), *[str(root / p) for p in paths]]
        monkeypatch.setenv(cache_module.ENV_DIR, str(tmp_path / repo))
        parsed.clear()
        cold = run_cli("--no-cache", *args)
        cold_parses = len(parsed)
        assert run_cli(*args) == cold, repo
        for entry in (tmp_path / repo).glob("v*/run-*.json"):
            os.unlink(entry)
        parsed.clear()
        before = reused
        assert run_cli(*args) == cold, repo
        assert len(parsed) < cold_parses, f"{repo}: the parses came from the store"
        assert reused > before, f"{repo}: the builds came from the kept ones"


def test_a_secret_value_written_again_elsewhere_is_not_kept(fleet):
    """A Secret's value pasted into a ConfigMap: the build reads no Secret, but holds the
    value the redactor masks. Not kept; and a kept record that holds a value which has
    become a Secret's since is dropped by the next write."""
    write_tree(
        fleet,
        {
            "apps/dev/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
            f"data:\n  token: {SECRET}\n",
            "apps/dev/kustomization.yaml": FLEET["apps/dev/kustomization.yaml"].replace(
                "  - ../base\n", "  - ../base\n  - settings.yaml\n"
            ),
        },
    )
    lint(fleet)
    assert "apps/dev" in kept_keys(fleet)  # nothing secret about it yet
    write_tree(
        fleet,
        {
            "unused/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n"
            f"stringData:\n  password: {SECRET}\n"
        },
    )
    lint(fleet)
    assert SECRET.encode() not in side_bytes(fleet)
    assert "apps/dev" not in kept_keys(fleet)
    assert "apps/prod" in kept_keys(fleet)
    forget_runs(fleet)
    lint(fleet)  # built again, and not kept
    assert SECRET.encode() not in side_bytes(fleet)


def test_a_run_that_cannot_be_sure_is_built_again_without_kept_builds(fleet, inner_builds, monkeypatch):
    """When a fresh build's count of files read cannot be made a fresh run's (a cycle found
    through a symlink), the renderer says so and the run is built again from nothing."""
    assert lint(fleet) == lint(fleet, "--no-cache")
    (fleet / "apps/prod/extra.yaml").write_text(FLEET["apps/prod/extra.yaml"] + "  c: d\n")
    forget_runs(fleet)
    monkeypatch.setattr(KeepingRenderer, "_counted", lambda self, log, targets, configs: None)
    inner_builds.clear()
    warm = lint(fleet)
    assert "apps/dev" in inner_builds  # kept, but built again with the rest
    assert warm == lint(fleet, "--no-cache")


def test_the_entry_keeps_to_its_size(fleet, inner_builds, monkeypatch):
    """Past the size the cache reads back, the builds this run used come first, and the rest
    are built again next time."""
    from gitops_lint import buildcache

    for module in (buildcache, records, cache_module):  # one shard: it holds all of MAX_CHARS
        monkeypatch.setattr(module, "SIDE_SHARDS", 1)
    cold = lint(fleet, "--no-cache")
    assert lint(fleet) == cold
    everything = kept_keys(fleet)
    sizes = sorted(len(p) for p in kept_payloads(fleet).values())
    monkeypatch.setattr(buildcache, "MAX_CHARS", sizes[0] + 1)
    (fleet / "apps/dev/patch.yaml").write_text(FLEET["apps/dev/patch.yaml"].replace("2", "4"))
    assert "internal error" not in lint(fleet)[2]  # apps/dev built anew: the entry is written again
    assert 0 < len(kept_keys(fleet)) < len(everything)
    forget_runs(fleet)
    inner_builds.clear()
    assert lint(fleet) == lint(fleet, "--no-cache")
    assert inner_builds


def test_a_build_larger_than_a_shard_s_share_is_kept(fleet, monkeypatch):
    """The size bound is the whole entry's (and a shard's readable size), not an even share
    per shard: one large build (a bundle of CRDs) is kept whatever its shard."""
    from gitops_lint import buildcache

    lint(fleet)
    size = len(next(p for k, p in kept_payloads(fleet).items() if json.loads(k)[0] == "apps/dev"))
    total = sum(len(p) for p in kept_payloads(fleet).values())
    monkeypatch.setattr(buildcache, "MAX_CHARS", total + size)  # room for apps/dev's again
    assert size * records.SIDE_SHARDS > total + size  # over an even share of the bound
    (fleet / "apps/dev/patch.yaml").write_text(FLEET["apps/dev/patch.yaml"].replace("2", "4"))
    lint(fleet)
    assert "apps/dev" in kept_keys(fleet)


def test_a_kustomizer_that_reads_its_memory_otherwise_turns_kept_builds_off(fleet, inner_builds, monkeypatch):
    """The record of what a build loaded follows how the Kustomizer reads its memory of
    accumulated directories; read another way (a later change to the renderer), the run
    is built again without kept builds rather than replayed wrongly."""

    assert lint(fleet) == lint(fleet, "--no-cache")
    (fleet / "apps/prod/extra.yaml").write_text(FLEET["apps/prod/extra.yaml"] + "  c: d\n")
    forget_runs(fleet)
    original = memo._WatchedTargets.get
    monkeypatch.setattr(
        memo._WatchedTargets, "get", lambda self, key, d=None: (key in self, original(self, key, d))[1]
    )
    inner_builds.clear()
    warm = lint(fleet)
    assert "apps/dev" in inner_builds
    assert warm == lint(fleet, "--no-cache")


# -- what a record holds of a Secret, guard by guard (buildcache._storable) ------------------


def _record_of(objects, files) -> tuple:
    """A new build's record of ``objects`` (dict, Origin), reading ``files`` (rel -> text,
    parsed as the run's document cache would), and that cache's files."""

    loaded = {}
    for rel, docs in files.items():
        loaded[rel] = LoadedFile(
            [Document(d, Origin(rel, 1 + 10 * i, i), 9 + 10 * i) for i, d in enumerate(docs)], []
        )
    pending = [(obj, Origin(rel, 1 + 10 * i, i)) for obj, rel, i in objects]
    rec = KeptRecord(("apps/dev", None, 1), dict.fromkeys(files, "h"), {}, {}, [], None, None, pending)
    return rec, loaded


class _NoFiles:
    def read_bytes(self, rel):
        return b"plain: yes\n"


SECRET_DOC = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "creds"},
    "stringData": {"password": SECRET},
}


def _stored_text(objects, files, places=()):
    rec, loaded = _record_of(objects, files)
    stored = _storable(rec, _NoFiles(), SecretPlaces(frozenset(places)), loaded, {})
    return None if stored is None else stored[0]


def test_a_secret_as_loaded_is_kept_without_its_values():
    built = {**SECRET_DOC, "metadata": {"name": "creds", "namespace": "team"}}
    text = _stored_text([(built, "s.yaml", 0)], {"s.yaml": [SECRET_DOC]}, [("s.yaml", 0)])
    assert text is not None and SECRET not in text
    assert json.loads(text) == [
        [
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": "team"}},
            ["s.yaml", 1, 0],
            ["apiVersion", "kind", "metadata", "stringData"],
        ]
    ]


@pytest.mark.parametrize(
    "built, source",
    [
        ({**SECRET_DOC, "stringData": {"password": "patched"}}, SECRET_DOC),  # a value rewritten
        ({**SECRET_DOC, "data": {"a": "eA=="}}, SECRET_DOC),  # a key the document lacks
        ({**SECRET_DOC, "stringData": {"password": 1.0}}, {**SECRET_DOC, "stringData": {"password": 1}}),
        ({**SECRET_DOC, "metadata": {"name": ENC}}, SECRET_DOC),  # ciphertext it would hold itself
    ],
    ids=["value", "key", "type", "ciphertext"],
)
def test_a_secret_not_as_loaded_is_not_kept(built, source):
    assert _stored_text([(built, "s.yaml", 0)], {"s.yaml": [source]}, [("s.yaml", 0)]) is None


def test_a_secret_value_in_a_document_not_kept_by_reference_leaves_the_build_out():
    release = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "b"}}
    files = {"r.yaml": [release]}
    assert _stored_text([(release, "r.yaml", 0)], files) is not None
    assert _stored_text([(release, "r.yaml", 0)], files, [("r.yaml", 0)]) is None  # e.g. a chart password


def test_a_file_no_longer_as_the_run_read_it_leaves_the_build_out():
    """The stores are written after the run (cli._detach_stores): a file read then for its
    SOPS marker is taken only with the content the run read (the walk's hash)."""
    from gitops_lint.core.fs import content_hash

    release = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "b"}}
    rec, loaded = _record_of([(release, "r.yaml", 0)], {"r.yaml": [release]})
    places = SecretPlaces(frozenset())
    now = content_hash(_NoFiles().read_bytes("r.yaml"))
    assert _storable(rec, _NoFiles(), places, loaded, {}, {"r.yaml": now}) is not None
    rec, loaded = _record_of([(release, "r.yaml", 0)], {"r.yaml": [release]})
    assert _storable(rec, _NoFiles(), places, loaded, {}, {"r.yaml": content_hash(b"other")}) is None


def test_a_document_found_twice_at_one_place_is_not_a_source():

    at = Origin("s.yaml", 1, 0)
    assert source_document(LoadedFile([Document(SECRET_DOC, at, 5)], []), at) is SECRET_DOC
    assert source_document(LoadedFile([Document(SECRET_DOC, at, 5)] * 2, []), at) is None
    assert source_document(None, at) is None


def _damage_reference(change):
    def damage(record):
        items = json.loads(record["objects"])
        for item in items:
            if len(item) == 3:
                change(item)
        record["objects"] = json.dumps(items)

    return damage


@pytest.mark.parametrize(
    "change",
    [
        lambda item: item[2].append("data"),  # a key its document does not have
        lambda item: item[1].__setitem__(2, 7),  # a document the file does not have
        lambda item: item[1].__setitem__(0, "apps/dev/patch.yaml"),  # another file's document
        lambda item: item[0].__setitem__("stringData", {"password": "x"}),  # a value held itself
        lambda item: item[2].__setitem__(0, "kind"),  # a key twice
    ],
    ids=["key", "document", "file", "held", "twice"],
)
def test_a_damaged_reference_is_never_served(fleet, inner_builds, change):
    """A record whose Secret cannot be made whole as written is not served: the run is
    done again without kept builds and prints what a cold run prints."""
    write_tree(fleet, _in_dev("secret.yaml", PLAIN_SECRET))
    cold = lint(fleet, "--no-cache")
    assert lint(fleet) == cold
    _rewrite_side(fleet, _damage_reference(change))
    forget_runs(fleet)
    inner_builds.clear()
    assert lint(fleet) == cold
    assert "apps/dev" in inner_builds


# -- builds with issues ----------------------------------------------------------------------

REMOTE = FLEET["apps/dev/kustomization.yaml"].replace(
    "  - ../base\n", "  - ../base\n  - https://example.com/crds.yaml\n"
)


def test_a_build_with_a_remote_resource_is_kept_with_its_issue(fleet, inner_builds):
    """A remote resource is never fetched: the build's issue says so, from the kustomization
    file's text alone, so the build is kept with it and the next run reports it again."""
    write_tree(fleet, {"apps/dev/kustomization.yaml": REMOTE})
    cold = lint(fleet, "--no-cache")
    assert "example.com/crds.yaml" in cold[1]
    assert lint(fleet) == cold
    assert "apps/dev" in kept_keys(fleet)
    forget_runs(fleet)
    inner_builds.clear()
    assert lint(fleet) == cold
    assert inner_builds == []


def test_a_build_with_a_missing_path_is_not_kept(fleet, inner_builds):
    """Whether a path exists is not in the record: a build that did not find one is built
    again, so that the file added next is seen."""
    write_tree(
        fleet,
        {
            "apps/dev/kustomization.yaml": FLEET["apps/dev/kustomization.yaml"].replace(
                "../base\n", "../base\n  - gone.yaml\n"
            )
        },
    )

    def add(root):
        (root / "apps/dev/gone.yaml").write_text(FLEET["apps/prod/extra.yaml"])

    assert warm_after(fleet, add, inner_builds) == {"apps/dev"}


def test_only_remote_resources_at_a_file_read_are_issues_a_record_keeps():

    files = {"apps/dev/kustomization.yaml": "h"}
    remote = BuildIssue("external", "remote resource x is not fetched", "apps/dev/kustomization.yaml", 3)
    assert keeps_issues([], files) and keeps_issues([remote], files)
    assert not keeps_issues([BuildIssue("external", "m", "clusters/dev/apps.yaml", 3)], files)
    for kind in ("missing-path", "escape", "build-error", "note", "refused"):
        assert not keeps_issues([remote, BuildIssue(kind, "m", "apps/dev/kustomization.yaml", 3)], files)


# -- kept by reference, as a property: stored without its values, served whole ---------------

_KEY = st.sampled_from(
    ["data", "stringData", "sops", "type", "immutable", "x", "apiVersion", "kind", "metadata"]
)
_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(
    built=st.dictionaries(_KEY, _VALUE, max_size=7),
    extra=st.dictionaries(st.sampled_from(["a", "b", "metadata", "kind"]), _VALUE, max_size=3),
    marker=st.text(alphabet="QZ", min_size=12, max_size=12),
)
def test_an_object_kept_by_reference_is_served_as_built(built, extra, marker):
    """Whatever a Secret's keys and their order, and whatever else its document holds: the
    record holds none of the values it takes from the document, and serving it gives the
    object as built, key order included, as new containers."""
    built = {**built, "kind": "Secret", "stringData": {"password": marker}}
    assume("ENC[" not in json.dumps(built))  # SOPS ciphertext in what a record holds: not kept
    source = {**extra, **{k: v for k, v in built.items() if k not in {"apiVersion", "kind", "metadata"}}}
    origin = Origin("s.yaml", 1, 0)
    files = {"s.yaml": LoadedFile([Document(source, origin, 9)], [])}
    rec = KeptRecord(
        ("d", None, 1), {"s.yaml": "h"}, {}, {}, [], None, None, [(json.loads(json.dumps(built)), origin)]
    )
    stored = _storable(rec, RepoFS("."), SecretPlaces(frozenset({("s.yaml", 0)})), files, {"s.yaml": False})
    assert stored is not None
    text, keys, sizes, lengths, kinds = stored
    assert kinds == ["Secret"] and lengths == [len(text) - 2]
    assert marker not in text and keys == [
        memo.item_facts([text[1:-1]], [origin], [list(built)], rec.files)[1][0]
    ]
    objects, spans, refs = memo._decode_served(text)
    assert (sizes, keys) == memo.item_facts(
        [text[a:b] for a, b in spans], [o for _, o in objects], refs, rec.files
    )  # written with the record as a run serving it would make them
    served = KeepingRenderer._whole(SimpleNamespace(cache=SimpleNamespace(files=files)), objects, refs)
    assert served == [(built, origin)]
    assert list(served[0][0]) == list(built)
    assert sizes == [None]  # substituted as an object holding a `$` would be: never skipped
    assert served[0][0]["stringData"] is not source["stringData"]
