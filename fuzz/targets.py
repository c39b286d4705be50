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
import shutil
import tempfile

from gitops_lint.cli import main
from gitops_lint.envsubst import EnvsubstError, expand
from gitops_lint.loader import parse_text
from gitops_lint.secrets import classify
from gitops_lint.sops import SopsRules, dotenv_metadata

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
        SEPARATOR.join([secret, SEED_KUSTOMIZATION, b"A=1\nB=ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n",
                        b"creation_rules: [{path_regex: app}]\n", SEED_KS]),
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


def redaction_target(data: bytes) -> None:
    """A Secret value quoted by a message, any way: no run of WINDOW characters of it survives.

    ``data`` is a value, then (after a NUL byte) a message template whose
    ``{}`` receives the value whole, cut, case-changed, escaped or embedded
    in base64. For a value the redactor takes as secret, no window of any of
    its tainted forms (:func:`gitops_lint.redact.tainted_forms`) with at least MIN_DISTINCT
    distinct characters may remain in the redacted text, in any case.
    """
    import base64

    from gitops_lint.redact import MASK, MIN_DISTINCT, WINDOW, Redactor, _lower, tainted_forms

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
