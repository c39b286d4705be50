"""How SOPS marks what it encrypted: values, files, and `.sops.yaml` intent.

Everything here is recognition, never decryption (gitops-lint holds no keys):

* an encrypted scalar is ``ENC[AES256_GCM,data:...,iv:...,tag:...,type:...]``
  (SOPS ``aes/cipher.go``: the regex ``^ENC\\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\\]``);
  SOPS leaves empty strings unencrypted (``isEmpty`` in ``Encrypt``), so an
  empty value in an encrypted file is not a plaintext secret;
* an encrypted YAML/JSON document carries a top-level ``sops`` mapping with
  ``mac``, ``lastmodified``, ``version``, the key groups, and at most one of
  ``unencrypted_suffix`` (the CLI default ``_unencrypted``), ``encrypted_suffix``,
  ``unencrypted_regex``, ``encrypted_regex``: which leaves SOPS encrypted is
  :meth:`SopsRules.should_be_encrypted`, a port of ``sops.go``
  ``Tree.shouldBeEncrypted`` (every component of the path is tested, regexes
  are unanchored, the stages overwrite each other in that order);
* an encrypted file of another format (what a ``secretGenerator`` reads) is
  recognised by the marker bytes kustomize-controller's decryptor uses
  (``sopsFormatToMarkerBytes``): YAML ``mac: ENC[``, JSON and binary
  ``"mac": "ENC[``, dotenv ``sops_mac=ENC[``, INI ``[sops]``; a dotenv
  file's metadata are its ``sops_*`` lines;
* ``.sops.yaml`` ``creation_rules`` are matched the way SOPS matches them:
  the first rule whose ``path_regex`` matches the path relative to the
  config's directory (a rule without ``path_regex`` matches everything).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

ENC_VALUE = re.compile(r"^ENC\[AES256_GCM,data:.+,iv:.+,tag:.+,type:.+\]", re.DOTALL)
MARKERS = (b"mac: ENC[", b'"mac": "ENC[', b"sops_mac=ENC[", b"[sops]")
CONFIG_FILE = ".sops.yaml"


def is_encrypted_value(value: object) -> bool:
    return isinstance(value, str) and ENC_VALUE.match(value) is not None


def has_sops_marker(raw: bytes | str) -> bool:
    """Is this file content SOPS-encrypted, by kustomize-controller's marker test?"""
    data = raw.encode("utf-8", "replace") if isinstance(raw, str) else raw
    return any(m in data for m in MARKERS)


def _regex(text: object) -> re.Pattern | None:
    """A Go RE2 pattern as a Python one; ``None`` when Python cannot compile it."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return re.compile(text)
    except re.error:
        return None


@dataclass(frozen=True)
class SopsRules:
    """The partial-encryption settings recorded in a file's SOPS metadata."""

    unencrypted_suffix: str = ""
    encrypted_suffix: str = ""
    unencrypted_regex: str = ""
    encrypted_regex: str = ""

    @classmethod
    def from_metadata(cls, meta: dict) -> SopsRules:
        def text(key: str) -> str:
            value = meta.get(key)
            return value if isinstance(value, str) else ""

        return cls(
            text("unencrypted_suffix"),
            text("encrypted_suffix"),
            text("unencrypted_regex"),
            text("encrypted_regex"),
        )

    def should_be_encrypted(self, path: tuple[str, ...]) -> bool:
        """``Tree.shouldBeEncrypted`` for a leaf at ``path`` (comments aside)."""
        encrypted = True
        if self.unencrypted_suffix and any(p.endswith(self.unencrypted_suffix) for p in path):
            encrypted = False
        if self.encrypted_suffix:
            encrypted = any(p.endswith(self.encrypted_suffix) for p in path)
        pattern = _regex(self.unencrypted_regex)
        if pattern is not None and any(pattern.search(p) for p in path):
            encrypted = False
        if self.encrypted_regex:
            pattern = _regex(self.encrypted_regex)
            # a regex Python cannot read: assume it covers the leaf (no finding of "by design")
            encrypted = pattern is None or any(pattern.search(p) for p in path)
        return encrypted

    def describe(self) -> str:
        for key in ("encrypted_regex", "unencrypted_regex", "encrypted_suffix", "unencrypted_suffix"):
            value = getattr(self, key)
            if value:
                return f"{key}: {value}"
        return "its SOPS settings"


def document_metadata(data: object) -> dict | None:
    """The ``sops`` metadata of a parsed YAML/JSON document, if it has any."""
    if isinstance(data, dict):
        meta = data.get("sops")
        if isinstance(meta, dict):
            return meta
    return None


def dotenv_metadata(text: str) -> dict | None:
    """The flattened ``sops_*`` metadata of a SOPS dotenv file (``None`` if plain)."""
    meta: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key.startswith("sops_"):
            meta[key[len("sops_") :]] = value
    return meta if is_encrypted_value(meta.get("mac")) else None


# -- .sops.yaml -------------------------------------------------------------------

# Paths of ordinary manifests: a creation rule whose path_regex matches one of
# them covers the repository's plain files too (Flux's own guide uses
# ``path_regex: .*.yaml`` with ``encrypted_regex: ^(data|stringData)$``), so it
# says how to encrypt a file, not that every matching file is encrypted.
_ORDINARY = (
    "deployment.yaml",
    "app/deployment.yaml",
    "apps/base/app/deployment.yaml",
    "kubernetes/apps/default/app/app/helmrelease.yaml",
    "clusters/production/apps.yaml",
    "infrastructure/configs/kustomization.yaml",
    "values.yaml",
    "config.env",
)


@dataclass(frozen=True)
class CreationRule:
    index: int
    path_regex: str
    pattern: re.Pattern | None
    rules: SopsRules

    @property
    def designates(self) -> bool:
        """Does this rule name a set of files that are meant to be encrypted?"""
        return self.pattern is not None and not any(self.pattern.search(p) for p in _ORDINARY)


@dataclass(frozen=True)
class SopsConfig:
    """One ``.sops.yaml``: its directory (repo-relative) and creation rules."""

    file: str
    directory: str
    rules: tuple[CreationRule, ...]

    @classmethod
    def from_data(cls, file: str, data: object) -> SopsConfig:
        out = []
        items = data.get("creation_rules") if isinstance(data, dict) else None
        for i, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                continue
            path_regex = item.get("path_regex")
            path_regex = path_regex if isinstance(path_regex, str) else ""
            out.append(CreationRule(i, path_regex, _regex(path_regex), SopsRules.from_metadata(item)))
        return cls(file, posixpath.dirname(file), tuple(out))

    def rule_for(self, rel: str) -> CreationRule | None:
        """The creation rule SOPS would use for repo-relative ``rel`` (first match wins)."""
        prefix = f"{self.directory}/" if self.directory else ""
        if not rel.startswith(prefix):
            return None
        local = rel[len(prefix) :]
        for rule in self.rules:
            if not rule.path_regex:
                return rule
            if rule.pattern is not None and rule.pattern.search(local):
                return rule
        return None
