"""The built-in renderer against ``kubectl kustomize`` (kustomize v5.5), the oracle.

Every directory holding a kustomization file under ``tests/render_cases/``,
under ``tests/fixtures/`` and under each real repository of
``../shared/corpus/`` is built both ways and the objects compared: same identities, same content (order compared
too, kustomize's legacy sort is part of the contract). Where kubectl
fails (a missing file, a remote base with no network, a cycle, ...), the
built-in renderer must report an issue instead (or, for a document without
apiVersion or kind, the yaml-syntax rule must report it: one finding, not two).

Directories a Flux Kustomization points at that have *no* kustomization
file are built with the kustomization kustomize-controller would generate:
kubectl builds that generated file written next to a symlink to the
directory (nothing of the corpus is copied), the built-in renderer builds
the directory itself.

Flux Kustomization fields (``tests/render_cases/flux/*.flux.yaml``, ``path`` and the fields)
are compared the same way: kubectl builds a copy of the case with the
merged kustomization written in, as kustomize-controller writes it.

kubectl runs once per directory for the whole session, in parallel, and only
for the cases collected (``-k`` selects fewer).

**Sampling.** Building ~3,200 corpus directories with kubectl takes about five
minutes on two cores, too long for the suite (10 minutes in CI, all tests).
So the corpus is sampled deterministically: a directory is built when the
SHA-1 of its case id is divisible by ``CORPUS_STRIDE`` (about one in
``CORPUS_STRIDE``, the same ones on every run and machine), plus every
directory in ``EVER_DIFFERED`` (each one that ever differed from kubectl: a
regression test of its class). ``render_cases`` and the fixtures are always
built. ``GITOPS_LINT_DIFF_ALL=1`` builds the whole corpus (run it when the
renderer changes; add any directory that differs to ``EVER_DIFFERED``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from gitops_lint.core.fs import RepoFS
from gitops_lint.load.config import Config
from gitops_lint.load.loader import DocumentCache, parse_text
from gitops_lint.render import flux
from gitops_lint.render.kustomize import Kustomizer
from gitops_lint.render.types import FluxOverlay
from gitops_lint.rules import yaml_syntax
from gitops_lint.rules.base import Context
from tests.conftest import CORPUS, PROJECT, kubectl_available, needs_kubectl
from tests.helpers import in_sample

CASES = PROJECT / "tests" / "render_cases"
FIXTURES = PROJECT / "tests" / "fixtures"
# the example repository and every defect repository
FIXTURE_REPOS = [FIXTURES / "example", *sorted(p for p in (FIXTURES / "defects").iterdir() if p.is_dir())]
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

# Known, explained differences: (repository, directory) -> reason.
ALLOWLIST: dict[tuple[str, str], str] = {}

CORPUS_STRIDE = 6
# corpus directories that differed from kubectl once (repository, directory), by class
EVER_DIFFERED: frozenset[tuple[str, str]] = frozenset(
    {
        # folded block scalars with more-indented lines (go-yaml v3's extra line break)
        ("onedr0p__home-ops", "kubernetes/apps/o11y/grafana-operator/instance"),
        ("Tanguille__cluster", "kubernetes/apps/web3/monero/xmrig"),
        ("auricom__home-ops", "kubernetes/apps/volsync/volsync/app"),
        ("auricom__home-ops", "kubernetes/apps/volsync/volsync/maintenance"),
        ("gavinmcfall__home-ops", "kubernetes/apps/storage/volsync/app"),
        ("hmcts__sds-flux-config", "apps/admin/delete-hung-pods"),
        ("mirceanton__home-ops", "apps/github-actions/renovate/jobs"),
        ("mirceanton__home-ops", "apps/monitoring-system/kube-prometheus-stack/app"),
        ("mirceanton__home-ops", "apps/monitoring-system/kube-prometheus-stack/app/prometheus-rules"),
        ("mirceanton__home-ops", "apps/network-system/external-dns/mikrotik"),
        ("mirceanton__home-ops", "apps/security-system/external-secrets-operator/app"),
        ("mirceanton__home-ops", "apps/storage-system/volsync/app"),
        ("rwlove__home-ops", "kubernetes/apps/renovate/renovate-operator/jobs"),
        ("sulibot__home-ops", "kubernetes/apps/tier-1-infrastructure/volsync/app"),
        ("tyriis__home-ops", "kubernetes/main/apps/gaming/minecraft-java/crowlex-lobby-world"),
        ("zhorvath83__home-ops", "kubernetes/apps/networking/envoy-gateway/config"),
        ("zhorvath83__home-ops", "kubernetes/apps/volsync-system/volsync/app"),
        # an SMP patch drops the target's empty-valued (``key:``) null fields
        ("hmcts__sds-flux-config", "apps/jenkins/base"),
        ("hmcts__sds-flux-config", "apps/jenkins/jenkins"),
        ("hmcts__sds-flux-config", "apps/jenkins/ptl/00"),
        ("hmcts__sds-flux-config", "apps/jenkins/ptl/base"),
        ("hmcts__sds-flux-config", "apps/jenkins/ptlsbox/00"),
        ("hmcts__sds-flux-config", "apps/jenkins/ptlsbox/base"),
        # a custom kind named Namespace: neither renamed by `namespace:` nor sorted first
        ("hmcts__sds-flux-config", "apps/opal/dev/base"),
        # a kustomization whose only field is null: kustomize's "kustomization.yaml is empty"
        ("hmcts__sds-flux-config", "apps/neuvector/neuvector-crds"),
    }
)


@dataclass(frozen=True)
class Case:
    repo: str  # corpus repository name, or "render_cases"
    root: Path  # repository root
    rel: str  # directory, relative to root
    kind: str = "kustomization"  # or "generated" or "flux"

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.repo}:{self.rel or '.'}"


def _kustomization_dirs(root: Path) -> list[str]:
    out = []
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        if any(f in files for f in KUSTOMIZATION_FILES):
            rel = os.path.relpath(current, root)
            out.append("" if rel == "." else rel)
    return sorted(out)


_FLUX_KS = re.compile(r"apiVersion:\s*kustomize\.toolkit\.fluxcd\.io/")
_SPEC_PATH = re.compile(r"^\s+path:\s*[\"']?([^\"'\s#]+)", re.M)


def _generated_dirs(root: Path) -> list[str]:
    """spec.path directories of Flux Kustomizations that hold no kustomization file."""
    found: set[str] = set()
    for current, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            if not name.endswith((".yaml", ".yml")):
                continue
            try:
                text = (Path(current) / name).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if not _FLUX_KS.search(text) or "kind: Kustomization" not in text:
                continue
            for m in _SPEC_PATH.finditer(text):
                raw = m.group(1)
                if "$" in raw:
                    continue
                rel = os.path.normpath(raw.lstrip("./") or ".")
                rel = "" if rel == "." else rel
                target = root / rel
                if target.is_dir() and not any((target / f).is_file() for f in KUSTOMIZATION_FILES):
                    found.add(rel)
    return sorted(found)


def _sampled(case: Case) -> bool:
    if os.environ.get("GITOPS_LINT_DIFF_ALL") or (case.repo, case.rel) in EVER_DIFFERED:
        return True
    return in_sample(case.id, CORPUS_STRIDE)


def _cases() -> list[Case]:
    cases = [Case("render_cases", CASES, rel) for rel in _kustomization_dirs(CASES)]
    for root in FIXTURE_REPOS:
        cases += [Case(f"fixtures/{root.name}", root, rel) for rel in _kustomization_dirs(root)]
        cases += [Case(f"fixtures/{root.name}", root, rel, "generated") for rel in _generated_dirs(root)]
    cases += [
        Case("render_cases", CASES, yaml.safe_load(p.read_text())["path"], "flux")
        for p in sorted((CASES / "flux").glob("*.flux.yaml"))
    ]
    if CORPUS.is_dir():
        for repo in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
            corpus = [Case(repo.name, repo, rel) for rel in _kustomization_dirs(repo)]
            corpus += [Case(repo.name, repo, rel, "generated") for rel in _generated_dirs(repo)]
            cases += [c for c in corpus if _sampled(c)]
    return cases


ALL_CASES = _cases()


def _overlay(case: Case) -> FluxOverlay:
    data = next(
        d
        for d in (yaml.safe_load(p.read_text()) for p in (CASES / "flux").glob("*.flux.yaml"))
        if d["path"] == case.rel
    )
    return FluxOverlay(
        target_namespace=data.get("targetNamespace"),
        name_prefix=data.get("namePrefix"),
        name_suffix=data.get("nameSuffix"),
        patches=data.get("patches") or [],
        images=data.get("images") or [],
        components=data.get("components") or [],
        ignore_missing_components=bool(data.get("ignoreMissingComponents")),
    )


def _kubectl(path: Path) -> tuple[int, str, str]:
    proc = subprocess.run(
        ["kubectl", "kustomize", "--load-restrictor=LoadRestrictionsNone", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.returncode, proc.stdout, proc.stderr


def _prepare(case: Case, scratch: Path) -> Path:
    """The directory kubectl should build for ``case``."""
    if case.kind == "kustomization":
        return case.root / case.rel
    fs = RepoFS(str(case.root))
    if case.kind == "generated":
        work = scratch / re.sub(r"[^A-Za-z0-9]+", "_", case.id)
        work.mkdir(parents=True)
        (work / "src").symlink_to(case.root / case.rel, target_is_directory=True)
        generated = flux.generate(fs, case.rel, flux.SourceIgnore.for_repo(fs))
        generated["resources"] = ["src/" + r[2:] for r in generated.get("resources", [])]
        (work / "kustomization.yaml").write_text(yaml.safe_dump(generated))
        return work
    # flux: a copy of the render cases with the merged kustomization written in
    copy = scratch / "flux-cases"
    if not copy.exists():
        shutil.copytree(CASES, copy, symlinks=True)
    directory = copy / case.rel
    existing = [directory / f for f in KUSTOMIZATION_FILES if (directory / f).is_file()]
    if existing:
        kdata = yaml.safe_load(existing[0].read_text()) or {}
        for f in existing:
            f.unlink()
    else:
        kdata = flux.generate(RepoFS(str(copy)), case.rel)
    merged, errors = flux.merge_overlay(
        kdata, _overlay(case), existing=bool(existing), exists=lambda c: (directory / c).exists()
    )
    assert not errors
    (directory / "kustomization.yaml").write_text(yaml.safe_dump(merged, sort_keys=False))
    return directory


@pytest.fixture(scope="session")
def kubectl_results(request) -> dict[str, tuple[int, str, str]]:
    if not kubectl_available():
        pytest.skip("kubectl is not installed")
    # only the cases this session runs (``-k`` may select a few)
    wanted = {
        item.callspec.params["case"].id
        for item in request.session.items
        if getattr(item, "callspec", None) is not None and isinstance(item.callspec.params.get("case"), Case)
    }
    with tempfile.TemporaryDirectory(prefix="gitops-lint-render-") as tmp:
        scratch = Path(tmp)
        targets = {case.id: _prepare(case, scratch) for case in ALL_CASES if case.id in wanted}
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = dict(zip(targets, pool.map(_kubectl, targets.values())))
    return results


_renderers: dict[Path, Kustomizer] = {}


def _renderer(root: Path) -> Kustomizer:
    if root not in _renderers:
        fs = RepoFS(str(root))
        _renderers[root] = Kustomizer(fs, DocumentCache(fs))
    return _renderers[root]


def _syntax_findings(case: Case) -> list[str]:
    """yaml-syntax findings in files of this build: a document without apiVersion or kind
    is reported once, by that rule, and not again by the renderer."""
    k = _renderer(case.root)
    hits = yaml_syntax.check(Context(k.fs, k.cache, Config()))
    prefix = f"{case.rel}/" if case.rel else ""
    return [h.origin.file for h in hits if h.origin and h.origin.file.startswith(prefix)]


def _ident(obj: dict) -> str:
    meta = obj.get("metadata") or {}
    return json.dumps([obj.get("apiVersion"), obj.get("kind"), meta.get("namespace"), meta.get("name")])


def _mismatch(case: Case, result, code: int, out: str, err: str) -> str | None:
    """Why the two builds differ, or None."""
    issues = [(i.kind, i.message, f"{i.file}:{i.line}") for i in result.issues]
    if code != 0:
        if not issues and not _syntax_findings(case):
            return f"kubectl failed ({err.strip()[:300]}) but the built-in renderer reported nothing"
        return None
    if issues:
        return f"kubectl built it, the built-in renderer reported {issues}"
    loaded = parse_text(out, "kubectl-output", kyaml=False)
    if loaded.errors:
        return f"kubectl output does not parse: {loaded.errors[0].message}"
    theirs = [d.data for d in loaded.documents]
    ours = [r.obj for r in result.resources]
    theirs_by_id = {_ident(o): o for o in theirs}
    ours_by_id = {_ident(o): o for o in ours}
    if sorted(ours_by_id) != sorted(theirs_by_id):
        only_theirs = sorted(set(theirs_by_id) - set(ours_by_id))
        only_ours = sorted(set(ours_by_id) - set(theirs_by_id))
        return f"objects only in kubectl's output: {only_theirs}; only in ours: {only_ours}"
    for ident, obj in theirs_by_id.items():
        if ours_by_id[ident] != obj:
            return f"{ident} differs:\n  kubectl: {obj}\n  ours:    {ours_by_id[ident]}"
    if [_ident(o) for o in ours] != [_ident(o) for o in theirs]:
        return "same objects, different output order"
    return None


@needs_kubectl
@pytest.mark.parametrize("case", ALL_CASES, ids=[c.id for c in ALL_CASES])
def test_matches_kubectl(case: Case, kubectl_results) -> None:
    code, out, err = kubectl_results[case.id]
    overlay = _overlay(case) if case.kind == "flux" else None
    result = _renderer(case.root).build(case.rel, overlay)
    problem = _mismatch(case, result, code, out, err)
    reason = ALLOWLIST.get((case.repo, case.rel))
    if problem and reason:
        pytest.xfail(reason)
    assert problem is None, problem


def test_every_resource_has_an_origin() -> None:
    fs = RepoFS(str(CASES))
    result = Kustomizer(fs, DocumentCache(fs)).build("refs/overlay")
    assert result.resources
    for res in result.resources:
        assert res.origin.file.startswith("refs/")
        assert res.origin.line >= 1
