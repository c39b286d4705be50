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

import pytest

from gitops_lint import cache as cache_module
from gitops_lint.buildcache import SIDE
from gitops_lint.cache import open_cache
from gitops_lint.core import records
from gitops_lint.core.fs import RepoFS, content_hash
from gitops_lint.core.records import record_checksum
from gitops_lint.load.config import load_config
from gitops_lint.load.loader import DocumentCache
from gitops_lint.render.kustomize import Kustomizer
from gitops_lint.render.memo import KeepingRenderer
from gitops_lint.render.types import FluxOverlay
from gitops_lint.vocabulary import vocabulary
from tests.conftest import CORPUS
from tests.helpers import GOTK, ks, run_cli, shard_records, write_tree


@pytest.fixture(autouse=True)
def cache_on(monkeypatch):
    monkeypatch.delenv(cache_module.ENV_OFF, raising=False)
    monkeypatch.delenv(cache_module.ENV_DIR, raising=False)


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
        from gitops_lint.render.memo import encode_objects

        rec.objects, rec.pending = encode_objects(rec.pending), None
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


@pytest.mark.parametrize(
    "files",
    [
        {  # a plaintext Secret in a resource file
            "apps/dev/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n"
            f"stringData:\n  password: {SECRET}\n",
            "apps/dev/kustomization.yaml": FLEET["apps/dev/kustomization.yaml"].replace(
                "  - ../base\n", "  - ../base\n  - secret.yaml\n"
            ),
        },
        {  # a secretGenerator
            "apps/dev/kustomization.yaml": FLEET["apps/dev/kustomization.yaml"]
            + f"secretGenerator:\n  - name: creds\n    literals: [password={SECRET}]\n",
        },
        {  # a HelmRelease's password in its values
            "apps/dev/release.yaml": "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
            "metadata:\n  name: grafana\nspec:\n  interval: 1h\n  chart:\n    spec:\n      chart: grafana\n"
            "      sourceRef: {kind: HelmRepository, name: grafana}\n"
            f"  values:\n    adminPassword: {SECRET}\n",
            "apps/dev/kustomization.yaml": FLEET["apps/dev/kustomization.yaml"].replace(
                "  - ../base\n", "  - ../base\n  - release.yaml\n"
            ),
        },
    ],
    ids=["secret", "secret-generator", "helm-password"],
)
def test_a_build_with_a_secret_value_is_not_kept(fleet, files):
    write_tree(fleet, files)
    lint(fleet)
    text = side_bytes(fleet)
    assert SECRET.encode() not in text
    assert "apps/dev" not in kept_keys(fleet)
    assert "apps/prod" in kept_keys(fleet)  # the others are


def test_a_sops_encrypted_document_is_not_kept(fleet):
    enc = "ENC[AES256_GCM,data:c2VjcmV0,iv:aXY=,tag:dGFn,type:str]"
    write_tree(
        fleet,
        {
            "apps/dev/creds.sops.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: creds\n"
            f"data:\n  token: {enc}\nsops:\n  mac: {enc}\n  version: 3.8.1\n",
            "apps/dev/kustomization.yaml": FLEET["apps/dev/kustomization.yaml"].replace(
                "  - ../base\n", "  - ../base\n  - creds.sops.yaml\n"
            ),
        },
    )
    lint(fleet)
    assert b"c2VjcmV0" not in side_bytes(fleet)
    assert "apps/dev" not in kept_keys(fleet)


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
    ],
    ids=["truncated", "shape", "nan", "tree", "key", "files", "field", "no-objects", "generated"],
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
    """Every corpus repository, linted with a cache outside it, then again without the
    whole-run entry: the second run takes every build it can from the kept ones and every
    parse it can from the stored ones (load.parsed), and its JSON output is byte-identical
    to a --no-cache run's. (test_cache's corpus test changes a file of a copy.)"""
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
    for repo, paths in sorted(_corpus().items()):
        root = CORPUS / repo
        args = ["--format", "json", "--root", str(root), *[str(root / p) for p in paths]]
        monkeypatch.setenv(cache_module.ENV_DIR, str(tmp_path / repo))
        parsed.clear()
        cold = run_cli("--no-cache", *args)
        cold_parses = len(parsed)
        assert run_cli(*args) == cold, repo
        for entry in (tmp_path / repo).glob("v*/run-*.json"):
            os.unlink(entry)
        parsed.clear()
        assert run_cli(*args) == cold, repo
        assert len(parsed) < cold_parses, f"{repo}: the parses came from the store"
    assert reused > 1000


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
    from gitops_lint.render import memo

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
