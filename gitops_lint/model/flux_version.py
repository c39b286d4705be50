"""Which Flux runs the cluster, and what follows from it.

Flux's behaviour changed under repositories that did not: strict post-build
substitution is on by default from Flux 2.9 (kustomize-controller 1.9,
``StrictPostBuildSubstitutions``; before, an undefined variable silently
became ""), and API versions are removed release by release. So the version
is read where the repository states it, first match wins:

1. ``--flux-version``, then ``flux-version:`` in the config;
2. what the cluster itself applies: a FluxInstance's (or the flux-instance
   chart's values') ``distribution.version``, which the Flux Operator
   enforces; an OCIRepository of ``.../fluxcd/flux-manifests`` with a tag
   (Flux managing itself); the ``# Flux Version: vX.Y.Z`` header ``flux
   bootstrap`` writes into gotk-components.yaml; the kustomize-controller
   or source-controller image tag (v1.N ships with Flux 2.N, FLUX-SEMANTICS
   §0); a kustomization beside the cluster's files that installs
   ``github.com/fluxcd/flux2/manifests/install?ref=vX``;
3. anywhere in the repository: a bootstrap kustomization installing
   ``flux2/manifests/install?ref=vX`` (or the release's install.yaml), or
   a gotk-components.yaml header (several: the oldest, so that an error
   claimed for it holds for each);

otherwise the newest Flux is *assumed*, and every message that depends on
the version says so. A semver range is resolved as the Flux Operator does,
to the newest release it admits (``2.x``: the newest 2.x; ``2.8.x``: 2.8).

The gate's opt-out, ``--feature-gates=StrictPostBuildSubstitutions=false`` in
the kustomize-controller arguments (a patch of gotk-components or of a
FluxInstance), turns strict substitution off whatever the version.
"""

from __future__ import annotations

import functools
import json
import posixpath
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import yaml

from ..core.fs import FileTooLarge, OutsideRoot
from ..core.versions import NEWEST_FLUX as NEWEST
from ..core.versions import parse_flux_version as parse_version
from .bootstrap_files import is_helmfile

if TYPE_CHECKING:  # plain data in, plain data out: no import cycle with config.py
    from ..core.fs import RepoFS
    from ..load.config import Config
    from .cluster import Cluster
    from .crds import ReleaseCharts

STRICT_SINCE = (2, 9)
STRICT_GATE_OFF = "StrictPostBuildSubstitutions=false"
_HEADER = re.compile(rb"#\s*Flux Version:\s*(v?(\d+)\.(\d+)[\w.+-]*)")
# flux2's install kustomization (any ref form) and the release's install.yaml
_INSTALL_REF = re.compile(r"github\.com/fluxcd/flux2/+manifests/install/?\?(?:[^#]*&)?ref=v?(\d+)\.(\d+)")
_INSTALL_YAML = re.compile(r"github\.com/fluxcd/flux2/releases/download/v?(\d+)\.(\d+)[^/]*/install\.yaml")
_FLUX_MANIFESTS = re.compile(r"^oci://[^?#]*/fluxcd/flux-manifests/?$")
# controllers whose minor follows Flux's own from Flux 2.0: vMAJOR 1, minor N -> Flux 2.N
_CONTROLLER_IMAGE = re.compile(r"/fluxcd/((?:kustomize|source)-controller:v1\.(\d+)\.\d+)")
_KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


class FluxVersionError(ValueError):
    """A ``--flux-version`` / ``flux-version:`` that is not MAJOR.MINOR[.PATCH]."""


def display(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


@dataclass(frozen=True)
class FluxTarget:
    version: tuple[int, int]
    source: str  # where the version was read, for messages ("assumed: ..." when nowhere)
    strict_substitution: bool
    strict_reason: str  # why substitution is (not) strict, for messages
    stated: bool = True  # False: no statement found, the newest Flux is assumed

    @property
    def label(self) -> str:
        return f"Flux {display(self.version)}"

    @property
    def described(self) -> str:
        """``Flux 2.8 (from X)`` or ``Flux 2.9 (assumed: ...)``, for messages."""
        return f"Flux {display(self.version)} ({'from ' if self.stated else ''}{self.source})"


ASSUMED = "assumed: the repository states no Flux version; set flux-version in the config"


def detect(
    cluster: Cluster | None, fs: RepoFS, config: Config, charts: ReleaseCharts | None = None
) -> FluxTarget:
    """``charts``: the cluster's release charts, when the caller keeps them (model.crds)."""
    # the flux-instance HelmReleases, looked for once (both the version and the gate
    # read them; finding a release's chart looks up its sources), when first needed
    instances = functools.cache(lambda: _flux_instance_releases(cluster, charts))
    found = _configured(config) or _from_cluster(cluster, fs, instances) or _from_repository(fs)
    version, source = found or (NEWEST, ASSUMED)
    stated = found is not None
    gate_off = _gate_off(cluster, instances)
    if gate_off:
        return FluxTarget(version, source, False, f"{STRICT_GATE_OFF} in {gate_off}", stated)
    if not stated:
        return FluxTarget(version, source, True, f"Flux {display(version)} {source}", stated)
    if version >= STRICT_SINCE:
        return FluxTarget(version, source, True, f"Flux {display(version)}, {source}", stated)
    return FluxTarget(
        version,
        source,
        False,
        f"Flux {display(version)} from {source} is lenient; strict substitution starts with Flux "
        f"{display(STRICT_SINCE)}",
        stated,
    )


def _configured(config: Config) -> tuple[tuple[int, int], str] | None:
    if not config.flux_version:
        return None
    version = parse_version(config.flux_version)
    if version is None:
        raise FluxVersionError(f"flux-version {config.flux_version!r}: expected a version such as 2.8")
    return version, f"flux-version {config.flux_version}"


def _from_cluster(
    cluster: Cluster | None, fs: RepoFS, instances: Callable[[], frozenset[int]]
) -> tuple[tuple[int, int], str] | None:
    if cluster is None:
        return None
    return (
        _from_flux_instance(cluster, instances())
        or _from_flux_manifests(cluster)
        or _oldest(_headers(fs, sorted({ro.origin.file for ro in cluster.objects})))
        or _from_images(cluster)
        or _oldest(_install_refs(fs, sorted(_kustomization_files(fs, cluster))))
    )


def _from_flux_instance(cluster: Cluster, instances: frozenset[int]) -> tuple[tuple[int, int], str] | None:
    from .crds import release_values  # the values a HelmRelease passes, valuesFrom included

    for ro in cluster.objects:
        if ro.obj.get("kind") == "FluxInstance":
            distribution = _spec(ro.obj).get("distribution")
        elif id(ro) in instances:
            values, _ = release_values(cluster, cluster.helmrelease(ro))
            instance = values.get("instance") if isinstance(values.get("instance"), dict) else {}
            distribution = instance.get("distribution")
        else:
            continue
        raw = distribution.get("version") if isinstance(distribution, dict) else None
        version = parse_version(raw) if raw is not None else None
        if version is not None:
            return version, f"{ro.ref.kind} {ro.ref.namespace}/{ro.ref.name} distribution.version {raw}"
    return None


def _from_flux_manifests(cluster: Cluster) -> tuple[tuple[int, int], str] | None:
    for ro in cluster.objects:
        if ro.obj.get("kind") != "OCIRepository":
            continue
        spec = _spec(ro.obj)
        if not _FLUX_MANIFESTS.match(str(spec.get("url") or "")):
            continue
        ref = spec.get("ref") if isinstance(spec.get("ref"), dict) else {}
        for key in ("semver", "tag"):  # semver wins over tag in source-controller
            raw = ref.get(key)
            version = parse_version(raw) if isinstance(raw, str) else None
            if version is not None:
                return (
                    version,
                    f"OCIRepository {ro.ref.namespace}/{ro.ref.name} ref.{key} {raw}",
                )
    return None


def _from_images(cluster: Cluster) -> tuple[tuple[int, int], str] | None:
    for ro in sorted(cluster.objects, key=lambda ro: (ro.origin.file, ro.origin.line)):
        if ro.ref.kind != "Deployment":
            continue
        m = _CONTROLLER_IMAGE.search(json.dumps(_spec(ro.obj), default=str))
        if m:
            return (2, int(m.group(2))), f"the image {m.group(1)}"
    return None


def _headers(fs: RepoFS, files, with_path: bool = False) -> list[tuple[tuple[int, int], str]]:
    """``# Flux Version:`` headers; named without the file's path when the file is the
    cluster's own, so that clusters sharing a file get one finding, not one each."""
    found = []
    for rel in files:
        if posixpath.basename(rel) != "gotk-components.yaml":
            continue
        try:
            head = fs.read_bytes(rel)[:512]
        except (OSError, OutsideRoot, FileTooLarge):
            continue
        m = _HEADER.search(head)
        if m:
            where = f"{rel}:1" if with_path else "gotk-components.yaml"
            found.append(
                ((int(m.group(2)), int(m.group(3))), f"{where}: # Flux Version: {m.group(1).decode()}")
            )
    return found


def _kustomization_files(fs: RepoFS, cluster: Cluster) -> set[str]:
    """The kustomization files of the directories the cluster's objects come from."""
    found = set()
    for directory in {posixpath.dirname(ro.origin.file) for ro in cluster.objects}:
        for name in _KUSTOMIZATION_FILES:
            rel = posixpath.join(directory, name) if directory else name
            if fs.isfile(rel):
                found.add(rel)
                break
    return found


def _install_refs(fs: RepoFS, files, with_path: bool = False) -> list[tuple[tuple[int, int], str]]:
    """Kustomizations whose resources install a Flux release from flux2's repository."""
    found = []
    for rel in files:
        try:
            text = fs.read_bytes(rel)
        except (OSError, OutsideRoot, FileTooLarge):
            continue
        if b"fluxcd/flux2" not in text:
            continue
        try:
            doc = yaml.load(text, Loader=yaml.CSafeLoader)  # noqa: S506 - safe loader
        except yaml.YAMLError:
            continue
        if not isinstance(doc, dict):
            continue
        for field in ("resources", "bases"):
            entries = doc.get(field)
            for entry in entries if isinstance(entries, list) else []:
                m = _INSTALL_REF.search(str(entry)) or _INSTALL_YAML.search(str(entry))
                if m:
                    found.append(
                        ((int(m.group(1)), int(m.group(2))), f"{rel}: {entry}" if with_path else str(entry))
                    )
    return found


def _oldest(found: list[tuple[tuple[int, int], str]]) -> tuple[tuple[int, int], str] | None:
    if not found:
        return None
    version, where = min(found)
    others = sorted({display(v) for v, _ in found if v != version})
    if others:
        where += f"; the oldest of the versions stated ({', '.join(others)} elsewhere)"
    return version, where


_REPOSITORY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _from_repository(fs: RepoFS) -> tuple[tuple[int, int], str] | None:
    """What a bootstrap file anywhere in the repository states; read once per run."""
    if fs in _REPOSITORY:
        return _REPOSITORY[fs]
    names = (*_KUSTOMIZATION_FILES, "gotk-components.yaml")
    files = [rel for rel in fs.walk_files("", suffixes=names) if posixpath.basename(rel) in names]
    helmfiles = [rel for rel in fs.walk_files("", suffixes=_HELMFILE_SUFFIXES) if is_helmfile(rel)]
    found = (
        _oldest(
            _install_refs(fs, [f for f in files if not f.endswith("gotk-components.yaml")], with_path=True)
        )
        or _oldest(_helmfile_instances(fs, helmfiles))
        or _oldest(_headers(fs, files, with_path=True))
    )
    _REPOSITORY[fs] = found
    return found


_HELMFILE_SUFFIXES = (".yaml", ".yml", ".yaml.gotmpl", ".yml.gotmpl")


_TEMPLATE_LINE = re.compile(r"^[ \t]*\{\{[^\n]*?\}\}[ \t]*$", re.M)
_TEMPLATE = re.compile(r"\{\{.*?\}\}")


def _load_all(fs: RepoFS, rel: str) -> list:
    """The YAML documents of a helmfile or values file; Go template actions are
    blanked (a line holding only one is dropped), so a template still reads."""
    try:
        text = fs.read_bytes(rel).decode("utf-8", "replace")
    except (OSError, OutsideRoot, FileTooLarge):
        return []
    if "{{" in text:
        text = _TEMPLATE.sub("TEMPLATE", _TEMPLATE_LINE.sub("", text))
    try:
        return list(yaml.load_all(text, Loader=yaml.CSafeLoader))  # noqa: S506 - safe loader
    except (yaml.YAMLError, ValueError):
        return []  # not YAML even so: not read


def _helmfile_instances(fs: RepoFS, files) -> list[tuple[tuple[int, int], str]]:
    """The flux-instance chart's ``instance.distribution.version`` in a helmfile's
    release values (inline, or a values file beside it): the Flux a helmfile
    bootstrap installs."""
    found = []
    for rel in files:
        for doc in _load_all(fs, rel):
            releases = doc.get("releases") if isinstance(doc, dict) else None
            for release in releases if isinstance(releases, list) else []:
                if not isinstance(release, dict) or not str(release.get("chart", "")).endswith(
                    "flux-instance"
                ):
                    continue
                values = release.get("values")
                for entry in values if isinstance(values, list) else []:
                    sources = [(entry, rel)] if isinstance(entry, dict) else []
                    if isinstance(entry, str) and "{{" not in entry:
                        path = posixpath.normpath(posixpath.join(posixpath.dirname(rel), entry))
                        sources = [(d, path) for d in _load_all(fs, path) if isinstance(d, dict)]
                    for data, where in sources:
                        instance = data.get("instance") if isinstance(data.get("instance"), dict) else {}
                        dist = (
                            instance.get("distribution")
                            if isinstance(instance.get("distribution"), dict)
                            else {}
                        )
                        raw = dist.get("version")
                        version = parse_version(raw) if raw is not None else None
                        if version is not None:
                            found.append((version, f"{where}: flux-instance distribution.version {raw}"))
    return found


def _spec(obj: dict) -> dict:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def _flux_instance_releases(cluster: Cluster | None, charts: ReleaseCharts | None) -> frozenset[int]:
    """``id()`` of the cluster's HelmReleases of the flux-instance chart (by chart.spec
    or through its chartRef)."""
    if cluster is None:
        return frozenset()
    if charts is None:
        from .crds import ReleaseCharts  # the chart the CRD index reads, its sources looked up

        charts = ReleaseCharts(cluster)
    found = set()
    for ro in cluster.objects:
        release = cluster.helmrelease(ro) if ro.obj.get("kind") == "HelmRelease" else None
        if release is not None and charts(release).name == "flux-instance":
            found.add(id(ro))
    return frozenset(found)


def _gate_off(cluster: Cluster | None, instances: Callable[[], frozenset[int]]) -> str | None:
    """Where the repository turns strict substitution off, if it does."""
    if cluster is None:
        return None
    releases = instances()
    for ro in cluster.objects:
        kind = ro.obj.get("kind")
        relevant = (
            (kind == "Deployment" and ro.ref.name == "kustomize-controller")
            or kind == "FluxInstance"
            or id(ro) in releases
        )
        if relevant and STRICT_GATE_OFF in json.dumps(ro.obj, default=str):
            ref = ro.ref
            return f"{ref.kind} {ref.namespace}/{ref.name} ({ro.origin.file})"
    return None
