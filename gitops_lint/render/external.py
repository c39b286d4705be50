"""A real kustomize as the renderer: ``--renderer kubectl|kustomize``.

For users who want kustomize's exact output at the cost of a process per
build. kustomize reads whatever its kustomization files name (with
``--load-restrictor=LoadRestrictionsNone``, what kustomize-controller
passes: ``../..``, absolute paths, ``/proc/self/environ``), fetches remote
bases with ``git`` and URLs over HTTP, runs plugins, reads env files'
bare ``KEY`` lines from its environment, and reads ``/dev/zero`` until memory
runs out. Every repository file is written by an attacker (a pull request),
so kustomize only runs when gitops-lint has proved that it can do none of it:

* **One parser.** Every build is first made by the built-in renderer,
  through :class:`~gitops_lint.core.fs.RepoFS`; when that build reaches outside
  the root, names a remote resource or a path that does not exist, its
  result stands and kustomize is not run. Each kustomization file kustomize
  could load is then decoded by the same code the built-in renderer uses
  (:meth:`Kustomizer.decode_kustomization`: the loader, then
  :func:`kustfile.decode`, field names matched case-insensitively as
  encoding/json matches them) and **written back canonically** into the
  copy: kustomize reads exactly the fields gitops-lint checked, never the
  bytes of the original (UTF-16, a BOM, YAML that two parsers read apart).
  A kustomization that does not decode (not UTF-8, not YAML, unknown fields,
  wrong types) is not handed to kustomize.
* **The pre-check** (:func:`precheck`) refuses any build whose
  kustomizations configure plugins or Helm (``generators``,
  ``transformers``, ``validators``, ``helm*``: a plugin config reads any file
  it names), or name, in any field that names a file or URL
  (:func:`kustfile.file_refs`), a URL or a path that leaves the copy.
* **A scratch copy holding only the files the build references** (the ones
  the built-in renderer read for it, :meth:`Kustomizer.reads`), written as
  regular files: no symlink, nothing else of the repository, the working
  tree is never touched.
* **A sandboxed process**: an empty environment (``PATH`` an empty
  directory, so no ``git``; ``HOME`` and ``TMPDIR`` scratch directories;
  HTTP(S) proxies pointing at a closed local port; no token, no ``GIT_*``),
  the copy as working directory, and limits set before ``exec``
  (:func:`sandbox_limits`): address space (the Go runtime starts under 768
  MiB; the limit is 2 GiB), CPU time, at most 1 MiB per file written, no core; plus a wall
  clock timeout. ``kubectl``/``kustomize`` must be the binary itself: a shim
  that needs ``PATH`` (asdf, mise) cannot run in that environment. Plugins, exec functions and Helm stay off (neither
  ``--enable-alpha-plugins``, ``--enable-exec`` nor ``--enable-helm``).

Anything the pre-check cannot prove safe keeps the built-in renderer's
result, with an info line saying why kustomize was not run.

* **Flux's own kustomization.** As kustomize-controller does, the Flux
  Kustomization's fields are merged into the directory's kustomization (or
  into the one Flux generates when there is none) before the build
  (:func:`flux.merge_overlay`).
* **Positions.** kustomize's output has no line numbers; each object takes
  the origin of the built-in renderer's object with the same identity, or
  else the directory's kustomization file.
"""

from __future__ import annotations

import os
import posixpath
import re
import resource
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

import yaml

from ..core.data import Origin
from ..core.fs import FileTooLarge, OutsideRoot, RepoFS, join
from ..load.loader import DocumentCache, parse_text
from . import flux, kustfile
from .copy import deep_copy
from .kustomize import Kustomizer, looks_remote, overlay_key
from .types import (
    ERROR,
    ESCAPE,
    EXTERNAL,
    MISSING,
    NOTE,
    BuildIssue,
    BuildResult,
    FluxOverlay,
    Resource,
)

TOOLS = ("kubectl", "kustomize")
TIMEOUT_SECONDS = 120  # wall clock
CPU_SECONDS = 60
FILE_BYTES = 1 << 20
MEMORY_BYTES = 2 << 30  # address space; the Go runtime of kubectl 1.32 needs about 600 MiB to start
KUSTOMIZATION_NAMES = frozenset(flux.KUSTOMIZATION_FILES)
# a closed port: any HTTP(S) request kustomize would make fails at once, without DNS
_NO_NETWORK = "http://127.0.0.1:9"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


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


def sandbox_limits() -> None:
    """``preexec_fn``: the child's resource limits, set between fork and exec."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 1))
    # kustomize writes to a pipe, never a file: nothing it writes can fill a disk
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_BYTES, FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def sandbox_env(scratch: str) -> dict[str, str]:
    """The whole environment kustomize gets: nothing of gitops-lint's own."""
    return {
        "PATH": os.path.join(scratch, "bin"),  # empty: no git, no plugin, no helm
        "HOME": os.path.join(scratch, "home"),
        "TMPDIR": os.path.join(scratch, "tmp"),
        "KUSTOMIZE_PLUGIN_HOME": os.devnull,
        "HTTP_PROXY": _NO_NETWORK,
        "HTTPS_PROXY": _NO_NETWORK,
        "http_proxy": _NO_NETWORK,
        "https_proxy": _NO_NETWORK,
        "NO_PROXY": "",
        "no_proxy": "",
    }


@dataclass
class Plan:
    """What kustomize would get: the files of the copy (repo-relative path -> bytes), or
    why it must not run. ``quiet``: the built-in result already says why (its issue)."""

    files: dict[str, bytes] = field(default_factory=dict)
    refused: str | None = None
    quiet: bool = False


def inside(directory: str, entry: str) -> bool:
    """``entry``, relative to the repo-relative ``directory``, stays inside the copy (which
    holds regular files and directories only, so lexical is real)."""
    if entry.startswith("/") or "\0" in entry:
        return False
    joined = posixpath.normpath(posixpath.join(directory or ".", entry))
    return joined != ".." and not joined.startswith("../") and not joined.startswith("/")


def precheck(directory: str, data: dict) -> str | None:
    """Why kustomize must not build a kustomization ``data`` (decoded, canonical) of the
    repo-relative ``directory``, or None."""
    for name in kustfile.PLUGIN_FIELDS:
        if data.get(name):
            return f"{name} configures kustomize plugins or Helm, which can read any file or run code"
    for path, entry in kustfile.file_refs(data):
        where = kustfile.describe(path)
        if looks_remote(entry) or _SCHEME.match(entry):
            return f"{where} names a URL ({entry!r}), which kustomize would fetch"
        if not inside(directory, entry):
            return f"{where} names {entry!r}, outside the repository"
    return None


def _identity(obj: dict) -> tuple:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return (obj.get("apiVersion"), obj.get("kind"), meta.get("namespace"), meta.get("name"))


class ExternalKustomize:
    """Renderer running ``kubectl kustomize`` or ``kustomize build`` in a sandbox (module doc)."""

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
        self._results: dict[tuple[str, str | None], BuildResult] = {}

    def build(self, path: str, overlay: FluxOverlay | None = None) -> BuildResult:
        key = (path, overlay_key(overlay))
        result = self._results.get(key)
        if result is None:
            result = self._results[key] = self._build(path, overlay)
        return BuildResult(
            [Resource(deep_copy(r.obj), r.origin) for r in result.resources], list(result.issues)
        )

    def _build(self, path: str, overlay: FluxOverlay | None) -> BuildResult:
        guard = self.guard.build(path, overlay)
        if any(i.kind in (ESCAPE, EXTERNAL, MISSING) for i in guard.issues) or not self.fs.isdir(path):
            return guard  # kustomize would read outside the root, fetch, or fail: not run
        kfiles = self.guard.kustomization_files(path)
        anchor = kfiles[0] if kfiles else (path or ".")
        plan = self.plan(path, overlay)
        if plan.refused is not None:
            if plan.quiet:
                return guard
            note = BuildIssue(
                NOTE,
                f"{self.tool} was not run for {path or '.'}: {plan.refused}; the built-in renderer's "
                "result stands",
                anchor,
                1,
            )
            return BuildResult(guard.resources, [*guard.issues, note])
        with tempfile.TemporaryDirectory(prefix="gitops-lint-kustomize-") as scratch:
            root = os.path.join(scratch, "root")
            for sub in ("bin", "home", "tmp", "root"):
                os.mkdir(os.path.join(scratch, sub), 0o700)
            for rel, data in plan.files.items():
                dest = os.path.join(root, rel)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with open(dest, "xb") as fh:
                    fh.write(data)
            try:
                proc = subprocess.run(
                    command(self.tool, self.binary, os.path.join(root, path) if path else root),
                    capture_output=True,
                    text=True,
                    errors="replace",
                    timeout=TIMEOUT_SECONDS,
                    env=sandbox_env(scratch),
                    cwd=root,
                    stdin=subprocess.DEVNULL,
                    preexec_fn=sandbox_limits,
                    start_new_session=True,
                )
            except subprocess.TimeoutExpired:
                message = f"{self.tool} did not finish in {TIMEOUT_SECONDS} s"
                return BuildResult([], [BuildIssue(ERROR, message, anchor, 1)])
        if proc.returncode != 0:
            if guard.issues:
                return BuildResult([], guard.issues)  # both fail; the built-in one knows the line
            message = (
                error_message(proc.stderr, proc.returncode).replace(root + os.sep, "").replace(root, ".")
            )
            return BuildResult([], [BuildIssue(ERROR, f"{self.tool}: {message}", anchor, 1)])
        origins = {_identity(r.obj): r.origin for r in guard.resources}
        fallback = Origin(anchor, 1, 1)
        resources = [
            Resource(doc.data, origins.get(_identity(doc.data), fallback))
            for doc in parse_text(proc.stdout, anchor, kyaml=False).documents
            if isinstance(doc.data, dict)
        ]
        return BuildResult(resources, [])

    def plan(self, path: str, overlay: FluxOverlay | None) -> Plan:
        """The scratch copy for one build, or why kustomize must not run (module doc)."""
        plan = Plan()
        reads = self.guard.reads(path, overlay)
        directories = {path} | {
            posixpath.dirname(r) for r in reads if posixpath.basename(r) in KUSTOMIZATION_NAMES
        }
        for rel in sorted(reads):
            if posixpath.basename(rel) in KUSTOMIZATION_NAMES and posixpath.dirname(rel) in directories:
                continue  # written below, from the decoded kustomization
            try:
                plan.files[rel] = self.fs.read_bytes(rel)
            except (OSError, ValueError, OutsideRoot, FileTooLarge) as exc:  # any refusal to read it
                plan.refused = f"{rel} could not be copied ({type(exc).__name__})"
                return plan
        for directory in sorted(directories):
            kfiles = self.guard.kustomization_files(directory)
            if directory == path and (overlay is not None or not kfiles):
                documents = self._flux_kustomization(path, kfiles, overlay, plan)
                if documents is None:
                    return plan
            else:
                documents = {}
                for kfile in kfiles:
                    decoded = self.guard.decode_kustomization(kfile)
                    if decoded is None:
                        plan.refused = (
                            f"{kfile} is not a kustomization gitops-lint can read (UTF-8 YAML mapping)"
                        )
                        return plan
                    if decoded.unknown or decoded.type_errors:
                        plan.refused, plan.quiet = f"kustomize refuses {kfile}", True
                        return plan
                    documents[kfile] = decoded.data
            for kfile, data in documents.items():
                reason = precheck(directory, data)
                if reason is not None:
                    plan.refused = f"{kfile}: {reason}"
                    return plan
                plan.files[kfile] = yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode("utf-8")
        return plan

    def _flux_kustomization(
        self, path: str, kfiles: list[str], overlay: FluxOverlay | None, plan: Plan
    ) -> dict | None:
        """The kustomization kustomize-controller builds: the directory's own (or the one
        it generates) with the Flux Kustomization's fields merged in; None (and why, in
        ``plan``) when it is not to be built."""
        if kfiles:
            decoded = self.guard.decode_kustomization(kfiles[0])
            if decoded is None:
                plan.refused = f"{kfiles[0]} is not a kustomization gitops-lint can read (UTF-8 YAML mapping)"
                return None
            if decoded.type_errors:
                plan.refused, plan.quiet = f"Flux refuses {kfiles[0]}", True
                return None
            # Flux decodes it as kustomize does (field names case-insensitive, unknown
            # fields dropped) and writes it back with the canonical names
            kdata = decoded.data
        else:
            kdata = flux.generate(self.fs, path, self.guard.source_ignore)
        if overlay is not None:
            kdata, errors = flux.merge_overlay(
                kdata,
                overlay,
                existing=bool(kfiles),
                exists=lambda c: self._exists(path, c),
            )
            if errors:
                plan.refused, plan.quiet = "Flux would refuse the kustomization", True
                return None
        written = posixpath.join(path, "kustomization.yaml") if path else "kustomization.yaml"
        return {written: kdata}

    def _exists(self, base: str, rel: str) -> bool:
        try:
            return self.fs.exists(join(base, rel))
        except OutsideRoot:
            return False
