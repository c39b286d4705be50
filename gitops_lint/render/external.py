"""A real kustomize as the renderer: ``--renderer kubectl|kustomize``.

For users who want kustomize's exact output at the cost of a process per
build. Three things keep it inside gitops-lint's promises:

* **Nothing outside the root is read, nothing is fetched, nothing runs.**
  kustomize with ``--load-restrictor=LoadRestrictionsNone`` (what
  kustomize-controller passes) follows ``../..`` and absolute paths, and it
  fetches remote bases. So every build is first made by the built-in
  renderer, which goes through :class:`~gitops_lint.fs.RepoFS`: when that
  build reaches outside the root or names a remote resource, its result
  stands and kustomize is not run. kustomize then builds a *copy* of the
  repository (made through RepoFS, so a symlink out of the root is not
  copied), never the working tree. Plugins and exec functions stay off
  (neither ``--enable-alpha-plugins`` nor ``--enable-exec`` is passed),
  and so does ``--enable-helm``.
* **Flux's own kustomization.** As kustomize-controller does, the Flux
  Kustomization's fields are merged into the directory's kustomization (or
  into the one Flux generates when there is none) and the file is written
  into the copy before the build (:func:`flux.merge_overlay`).
* **Positions.** kustomize's output has no line numbers; each object takes
  the origin of the built-in renderer's object with the same identity, or
  else the directory's kustomization file.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile

import yaml

from ..fs import OutsideRoot, RepoFS
from ..loader import DocumentCache, parse_text
from ..model import Origin
from . import flux, kustfile
from .copy import deep_copy
from .kustomize import Kustomizer, _overlay_key
from .types import ERROR, ESCAPE, EXTERNAL, BuildIssue, BuildResult, FluxOverlay, Resource

TOOLS = ("kubectl", "kustomize")
TIMEOUT_SECONDS = 300


class RendererUnavailable(Exception):
    """The requested kustomize binary is not installed (a usage error)."""


def command(tool: str, binary: str, directory: str) -> list[str]:
    restrictor = "--load-restrictor=LoadRestrictionsNone"
    if tool == "kubectl":
        return [binary, "kustomize", restrictor, directory]
    return [binary, "build", restrictor, directory]


_KLOG = re.compile(r'^[EWI]\d{4} [\d:.]+\s+\d+ \S+\] "command failed" err="(.*)"$')


def error_message(stderr: str, status: int) -> str:
    """The last line of kustomize's stderr, without kubectl's klog wrapping."""
    lines = stderr.strip().splitlines()
    if not lines:
        return f"exit status {status}"
    line = lines[-1].strip()
    m = _KLOG.match(line)
    if m:
        line = m.group(1).replace('\\"', '"')
    return line.removeprefix("Error: ")


def _identity(obj: dict) -> tuple:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return (obj.get("apiVersion"), obj.get("kind"), meta.get("namespace"), meta.get("name"))


class ExternalKustomize:
    """Renderer running ``kubectl kustomize`` or ``kustomize build`` on a copy of the repository."""

    def __init__(self, fs: RepoFS, cache: DocumentCache, tool: str):
        if tool not in TOOLS:
            raise RendererUnavailable(f"--renderer {tool}: expected builtin, kubectl or kustomize")
        binary = shutil.which(tool)
        if binary is None:
            raise RendererUnavailable(
                f"--renderer {tool}: `{tool}` is not on PATH (install it, or use --renderer builtin)"
            )
        self.fs = fs
        self.tool = tool
        self.binary = binary
        self.guard = Kustomizer(fs, cache)
        self._copy: tempfile.TemporaryDirectory | None = None
        self._results: dict[tuple[str, str | None], BuildResult] = {}

    @property
    def workdir(self) -> str:
        if self._copy is None:
            self._copy = tempfile.TemporaryDirectory(prefix="gitops-lint-kustomize-")
            self._mirror(self._copy.name)
        return self._copy.name

    def _mirror(self, target: str) -> None:
        """Copy every file of the repository that RepoFS lets us read."""
        for rel in self.fs.walk_files("", suffixes=("",)):
            try:
                data = self.fs.read_bytes(rel)
            except (OSError, OutsideRoot):
                continue  # too large, unreadable, or out of the root: kustomize sees it missing
            dest = os.path.join(target, rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "wb") as fh:
                fh.write(data)

    def build(self, path: str, overlay: FluxOverlay | None = None) -> BuildResult:
        key = (path, _overlay_key(overlay))
        result = self._results.get(key)
        if result is None:
            result = self._results[key] = self._build(path, overlay)
        return BuildResult(
            [Resource(deep_copy(r.obj), r.origin) for r in result.resources], list(result.issues)
        )

    def _build(self, path: str, overlay: FluxOverlay | None) -> BuildResult:
        guard = self.guard.build(path, overlay)
        if any(i.kind in (ESCAPE, EXTERNAL) for i in guard.issues) or not self.fs.isdir(path):
            return guard  # kustomize would read outside the root or fetch: not run
        kfiles = self.guard.kustomization_files(path)
        anchor = kfiles[0] if kfiles else (path or ".")
        directory = os.path.join(self.workdir, path)
        restore = self._write_kustomization(path, directory, kfiles, overlay)
        if restore is None:
            return guard  # Flux would refuse the merge: the built-in renderer says why
        try:
            proc = subprocess.run(
                command(self.tool, self.binary, directory),
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                env={**os.environ, "KUSTOMIZE_PLUGIN_HOME": os.devnull},
            )
        except subprocess.TimeoutExpired:
            return BuildResult(
                [], [BuildIssue(ERROR, f"{self.tool} did not finish in {TIMEOUT_SECONDS} s", anchor, 1)]
            )
        finally:
            restore()
        if proc.returncode != 0:
            if guard.issues:
                return BuildResult([], guard.issues)  # both fail; the built-in one knows the line
            message = error_message(proc.stderr, proc.returncode).replace(self.workdir + os.sep, "")
            return BuildResult([], [BuildIssue(ERROR, f"{self.tool}: {message}", anchor, 1)])
        origins = {_identity(r.obj): r.origin for r in guard.resources}
        fallback = Origin(anchor, 1, 1)
        resources = [
            Resource(doc.data, origins.get(_identity(doc.data), fallback))
            for doc in parse_text(proc.stdout, anchor, kyaml=False).documents
            if isinstance(doc.data, dict)
        ]
        return BuildResult(resources, [])

    def _write_kustomization(self, path: str, directory: str, kfiles: list[str], overlay: FluxOverlay | None):
        """Write what kustomize-controller would build into the copy; return the undo
        (None when Flux itself would refuse the kustomization)."""
        if overlay is None and kfiles:
            return lambda: None
        saved: dict[str, bytes] = {}
        written = os.path.join(directory, "kustomization.yaml")

        def restore() -> None:
            if os.path.exists(written):
                os.unlink(written)
            for name, data in saved.items():
                with open(name, "wb") as fh:
                    fh.write(data)

        for rel in kfiles:
            name = os.path.join(self.workdir, rel)
            with open(name, "rb") as fh:
                saved[name] = fh.read()
            os.unlink(name)
        if kfiles:
            # read as the built-in renderer read it (go-yaml's scalar types, not PyYAML's)
            loaded = self.guard.cache.load(kfiles[0], manifest=False)
            first = loaded.documents[0].data if loaded.documents else {}  # empty file: empty kustomization
            kdata = None if loaded.errors else first
            if isinstance(kdata, dict):
                # Flux decodes it as kustomize does (field names case-insensitive, unknown
                # fields dropped) and writes it back with the canonical names
                kdata = kustfile.decode(kdata).data
        else:
            kdata = flux.generate(self.fs, path, self.guard.source_ignore)
        errors = [] if isinstance(kdata, dict) else ["not a mapping"]
        if overlay is not None and not errors:
            kdata, errors = flux.merge_overlay(
                kdata,
                overlay,
                existing=bool(kfiles),
                exists=lambda c: os.path.exists(os.path.join(directory, c)),
            )
        if errors:
            restore()
            return None
        with open(written, "w", encoding="utf-8") as fh:
            yaml.safe_dump(kdata, fh, sort_keys=False)
        return restore
