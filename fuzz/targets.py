"""Fuzz targets: each takes bytes and either returns or raises a real bug.

The property every target checks is the one DESIGN.md promises for any
input: no traceback (an exception escaping gitops-lint is a bug), no hang
(the fuzzer's per-input timeout), a valid report, and an exit status of 0
or 1 (2 would be an internal error on a repository, never expected here).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import sys
import tempfile

from gitops_lint.cli import main
from gitops_lint.load.loader import parse_text
from gitops_lint.load.sops import SopsRules, dotenv_metadata
from gitops_lint.load.top_level import may_be_of_kind, may_have_key
from gitops_lint.model.secrets import classify
from gitops_lint.substitute.envsubst import EnvsubstError, expand

SEPARATOR = b"\n=====\n"
# the mini repository a lint input is written into: one cluster directory
# whose kustomization renders the fuzzed manifest and a secretGenerator
FILES = (
    "clusters/c/app.yaml",
    "clusters/c/kustomization.yaml",
    "clusters/c/app.env",
    ".sops.yaml",
    "clusters/c/ks.yaml",
)
SEED_KUSTOMIZATION = b"""resources: [app.yaml, ks.yaml]
secretGenerator:
  - name: gen
    envs: [app.env]
    literals: [k=v]
"""
SEED_KS = b"""apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 10m
  path: ./clusters/c
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
  postBuild:
    substitute: {a: b}
"""


class Crash(Exception):
    """A property of gitops-lint was violated."""


def split(data: bytes) -> list[bytes]:
    parts = data.split(SEPARATOR)
    return (parts + [b""] * len(FILES))[: len(FILES)]


def seed_inputs() -> list[bytes]:
    """Starting points: fuzz/seeds/* (if any) and a few built-in repositories."""
    secret = b"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {password: ${a}x}\n"
    out = [
        SEPARATOR.join(
            [
                secret,
                SEED_KUSTOMIZATION,
                b"A=1\nB=ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n",
                b"creation_rules: [{path_regex: app}]\n",
                SEED_KS,
            ]
        ),
        SEPARATOR.join([b"a: &a [*a]\n", SEED_KUSTOMIZATION, b"", b"", SEED_KS]),
    ]
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
    if os.path.isdir(here):
        for name in sorted(os.listdir(here)):
            with open(os.path.join(here, name), "rb") as fh:
                out.append(fh.read())
    return out


class LintTarget:
    """Write the input as a small repository and run the command line on it."""

    def __init__(self) -> None:
        self.root = tempfile.mkdtemp(prefix="gitops-lint-fuzz-")
        os.makedirs(os.path.join(self.root, ".git"))

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def __call__(self, data: bytes) -> None:
        for rel, content in zip(FILES, split(data)):
            path = os.path.join(self.root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(content)
        for fmt in ("json", "text"):
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main([self.root, "--root", self.root, "--format", fmt])
            if code not in (0, 1):
                raise Crash(f"exit {code}: {err.getvalue()}")
            if fmt == "json":
                report = json.loads(out.getvalue())
                if report.get("version") != 1 or not isinstance(report.get("findings"), list):
                    raise Crash("json report without version 1 and findings")


def loader_target(data: bytes) -> None:
    """Any text through the loader: documents or LoadErrors, nothing else."""
    text = data.decode("utf-8", "replace").replace("\x00", "")
    loaded = parse_text(text, "f.yaml")
    for err in loaded.errors:
        if not isinstance(err.message, str) or err.line < 1:
            raise Crash(f"bad LoadError {err!r}")


def top_level_target(data: bytes) -> None:
    """load.top_level on any text is never wrong against the loader: every top-level key
    and ``kind`` the loader finds, the proofs say may be there. Within the proofs' stated
    assumption: the word is spelled out where it is written, which a text without escapes
    and ``binary`` tags guarantees for a word of letters, digits and ``._/-`` (folding and
    quoting change a scalar's text only by spaces, line breaks and quotes)."""
    text = data.decode("utf-8", "replace").replace("\x00", "")
    if "\\" in text or "binary" in text:
        return
    for doc in parse_text(text, "f.yaml").documents:
        if not isinstance(doc.data, dict):
            continue
        for key, value in doc.data.items():
            if isinstance(key, str) and _WORD.fullmatch(key) and not may_have_key(text, key):
                raise Crash(f"top-level key {key!r} ruled out")
            kind = value if key == "kind" and isinstance(value, str) and _WORD.fullmatch(value) else None
            if kind is not None and not may_be_of_kind(text, kind):
                raise Crash(f"top-level kind {kind!r} ruled out")


_WORD = re.compile(r"[A-Za-z0-9._/-]+")


def sops_target(data: bytes) -> None:
    """SOPS recognition on any text: metadata, partial-encryption rules, value classes."""
    text = data.decode("utf-8", "replace")
    meta = dotenv_metadata(text) or {}
    half = len(text) // 2
    rules = SopsRules(encrypted_regex=text[:half], unencrypted_suffix=text[half:])
    rules.should_be_encrypted(("data", text[:8]))
    classify(text)
    del meta


def envsubst_target(data: bytes) -> None:
    """Flux's envsubst on any text: a result or an EnvsubstError, nothing else."""
    text = data.decode("utf-8", "replace")
    with contextlib.suppress(EnvsubstError):
        expand(text, {"a": "1", "B_2": text[:16]}, strict=bool(len(text) % 2))


class KubectlPrecheckTarget:
    """``--renderer kubectl``'s pre-check on any kustomization bytes.

    Property: the pre-check never raises, and when it lets kustomize run, every
    kustomization it writes into the scratch copy, read back by another YAML parser
    (PyYAML, YAML 1.1 like kustomize's go-yaml v2) and decoded again, names only
    local paths that stay inside the copy, and every file of the copy is a plain
    relative path. No process is started (``plan`` only prepares the copy).
    """

    def __init__(self) -> None:
        self.root = tempfile.mkdtemp(prefix="gitops-lint-fuzz-kubectl-")
        os.makedirs(os.path.join(self.root, ".git"))
        files = {
            "apps/cm.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: b}\n",
            "apps/app.env": b"A=1\n",
            "apps/patch.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: c}\n",
            "base/kustomization.yaml": b"resources: [cm.yaml]\n",
            "base/cm.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: base}\n",
        }
        for rel, content in files.items():
            path = os.path.join(self.root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(content)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def __call__(self, data: bytes) -> None:
        import posixpath

        import yaml

        from gitops_lint.core.fs import RepoFS
        from gitops_lint.load.loader import DocumentCache
        from gitops_lint.render import external, kustfile

        if SEPARATOR in data:
            data = split(data)[1]  # the lint seeds: their kustomization
        with open(os.path.join(self.root, "apps", "kustomization.yaml"), "wb") as fh:
            fh.write(data)
        fs = RepoFS(self.root)
        try:
            renderer = external.ExternalKustomize(fs, DocumentCache(fs), "kubectl")
        except external.RendererUnavailable:
            # kubectl absent: plan() needs no binary, only the built-in renderer
            renderer = object.__new__(external.ExternalKustomize)
            renderer.fs, renderer.tool, renderer.binary = fs, "kubectl", "kubectl"
            renderer.guard = external.Kustomizer(fs, DocumentCache(fs))
            renderer._results = {}
        plan = renderer.plan("apps", None)
        if plan.refused is not None:
            return
        for rel, content in plan.files.items():
            if rel.startswith("/") or posixpath.normpath(rel) != rel or rel.startswith(".."):
                raise Crash(f"copy holds a file outside it: {rel!r}")
            if posixpath.basename(rel) not in external.KUSTOMIZATION_NAMES:
                continue
            reread = yaml.safe_load(content.decode("utf-8"))
            if not isinstance(reread, dict):
                raise Crash(f"{rel}: written kustomization is not a mapping")
            decoded = kustfile.decode(reread)
            if decoded.unknown or decoded.type_errors:
                raise Crash(f"{rel}: written kustomization does not decode cleanly: {decoded.unknown}")
            directory = posixpath.dirname(rel)
            if external.precheck(directory, decoded.data) is not None:
                raise Crash(
                    f"{rel}: accepted, but re-read it is refused: {external.precheck(directory, decoded.data)}"
                )
            for path, entry in kustfile.file_refs(decoded.data):
                if not external.inside(directory, entry) or external.looks_remote(entry):
                    raise Crash(f"{rel}: {path} = {entry!r} leaves the copy")


# -- fix: --fix on a small repository with fixable findings ------------------------------

FIX_FILES = ("apps/a.yaml", "apps/b.yaml", "apps/kustomization.yaml", "clusters/c/apps.yaml")
FIX_SYNC = b"""apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: flux-system, namespace: flux-system}
spec: {interval: 1m, url: ssh://git@example.com/fleet, ref: {branch: main}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: flux-system, namespace: flux-system}
spec:
  interval: 10m
  path: ./clusters/c
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
"""
# seeds with a fix of each fixer, and the trap of issue 15: a namespace that the
# objects beside it agree on, added to one of two same-named objects
FIX_SEEDS = (
    (
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ns1\ndata:\n  a: c\n"
        b"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns1\n",
        b"resources:\n  - a.yaml\n  - b.yaml\n",
        b"apiVersion: kustomize.toolkit.fluxcd.io/v1beta2\nkind: Kustomization\nmetadata:\n  name: apps\n"
        b"  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps\n  prune: true  # keep\n"
        b"  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
    ),
    (
        b"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: ws.example.com\n"
        b"spec:\n  group: example.com\n  names: {kind: W, plural: ws}\n  scope: Namespaced\n  versions:\n"
        b"    - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}\n",
        b"apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: GitRepository\nmetadata:\n  name: g\n"
        b"  namespace: flux-system\nspec:\n  interval: 1m\n  url: https://example.com/g\n",
        b"",
        b"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n"
        b"  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps\n  prune: true\n"
        b"  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
    ),
)
# the findings a fix must never add (fix.BREAKING)
FIX_BREAKING = ("yaml-syntax", "missing-path", "kustomize-build", "duplicate-object")


def fix_seed_inputs() -> list[bytes]:
    return [SEPARATOR.join(seed) for seed in FIX_SEEDS]


class FixTarget:
    """``--fix`` then lint again: no new build-breaking finding, nothing written outside the root.

    The repository sits in a directory next to ``outside/``; committed links from the
    repository point there (where a temporary file or a fixed file could go). After
    each input ``outside/`` holds exactly what it held, and the parent nothing else.
    """

    def __init__(self) -> None:
        self.parent = tempfile.mkdtemp(prefix="gitops-lint-fuzz-fix-")
        self.root = os.path.join(self.parent, "repo")
        self.outside = os.path.join(self.parent, "outside")
        os.makedirs(self.outside)
        with open(os.path.join(self.outside, "target.yaml"), "wb") as fh:
            fh.write(b"untouched\n")
        # how many inputs got a fix written, and how many a fix refused (said on close)
        self.fixed = self.refused = 0

    def close(self) -> None:
        shutil.rmtree(self.parent, ignore_errors=True)
        sys.stderr.write(f"fix: {self.fixed} inputs with a fix written, {self.refused} with a fix refused\n")

    def _write(self, data: bytes) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        os.makedirs(os.path.join(self.root, ".git"))
        files = dict(zip(FIX_FILES, (data.split(SEPARATOR) + [b""] * len(FIX_FILES))[: len(FIX_FILES)]))
        files["clusters/c/flux-system/gotk-sync.yaml"] = FIX_SYNC
        for rel, content in files.items():
            path = os.path.join(self.root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(content)
        target = os.path.join(self.outside, "target.yaml")
        for name in ("a.yaml", "b.yaml"):
            os.symlink(target, os.path.join(self.root, "apps", f"{name}.gitops-lint-fix"))
            for attempt in range(2):
                tmp = f".{name}.{os.getpid()}-{attempt}.gitops-lint-fix"
                os.symlink(target, os.path.join(self.root, "apps", tmp))

    def _lint(self, *extra: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([self.root, "--root", self.root, "--format", "json", *extra])
        if code not in (0, 1):
            raise Crash(f"exit {code} {' '.join(extra)}: {err.getvalue()}")
        return code, out.getvalue(), err.getvalue()

    @staticmethod
    def _breaking(report_text: str) -> dict:
        import re
        from collections import Counter

        found: Counter = Counter()
        for f in json.loads(report_text)["findings"]:
            if f["rule"] in FIX_BREAKING and f["severity"] != "info":
                found[(f["rule"], f["file"], re.sub(r"\d+", "N", f["message"]))] += 1
        return found

    def __call__(self, data: bytes) -> None:
        self._write(data)
        _, before, _ = self._lint()
        _, _, err = self._lint("--fix")
        self.fixed += " 0 fixed," not in err and " fixed," in err
        self.refused += "refused:" in err
        _, after, _ = self._lint()
        new = self._breaking(after) - self._breaking(before)
        if new:
            raise Crash(f"--fix added build-breaking findings: {sorted(new)}\n{err}")
        with open(os.path.join(self.outside, "target.yaml"), "rb") as fh:
            if fh.read() != b"untouched\n":
                raise Crash("--fix wrote through a link outside the root")
        if sorted(os.listdir(self.outside)) != ["target.yaml"] or sorted(os.listdir(self.parent)) != [
            "outside",
            "repo",
        ]:
            raise Crash(f"--fix created files outside the root: {os.listdir(self.parent)}")


def redaction_target(data: bytes) -> None:
    """A Secret value quoted by a message, any way: no run of WINDOW characters of it survives.

    ``data`` is a value, then (after a NUL byte) a message template whose
    ``{}`` receives the value whole, cut, case-changed, escaped or embedded
    in base64. For a value the redactor takes as secret, no window of any of
    its tainted forms (:func:`gitops_lint.core.redact.tainted_forms`) with at least MIN_DISTINCT
    distinct characters may remain in the redacted text, in any case.
    """
    import base64

    from gitops_lint.core.redact import MASK, MIN_DISTINCT, WINDOW, Redactor, _lower, tainted_forms

    head, _, tail = data.partition(b"\x00")
    value = head.decode("utf-8", "replace")[:4096]
    template = tail.decode("utf-8", "replace")[:4096] or "got {}"
    redactor = Redactor(lambda: [value])
    redactor.refresh()
    cut = len(template) % max(len(value), 1)
    quoted = [
        value,
        value[:cut],
        value[cut:],
        value[cut // 2 : len(value) - cut // 2],
        value.upper(),
        value.lower(),
        value.swapcase(),
        repr(value),
        json.dumps(value),
        json.dumps(value, ensure_ascii=False),
        value.replace("'", "''"),
        base64.b64encode((template + value).encode("utf-8", "replace")).decode(),
        base64.urlsafe_b64encode((template[:2] + value).encode("utf-8", "replace")).decode(),
    ]
    windows = set()
    for form in tainted_forms(value):
        low = _lower(form)
        windows.update(
            w
            for w in (low[i : i + WINDOW] for i in range(len(low) - WINDOW + 1))
            if len(set(w)) >= MIN_DISTINCT and MASK[0] not in w
        )
    for q in quoted:
        text = template.replace("{}", q) if "{}" in template else template + q
        out = _lower(redactor.redact(text))
        left = [w for w in windows if w in out]
        if left:
            raise Crash(f"window {left[0]!r} of the secret survives in {out[:200]!r}")
