"""How SOPS marks what it encrypted: values, files, and `.sops.yaml` intent.

Everything here is recognition, never decryption (gitops-lint holds no keys).
Each rule is a port of getsops/sops code (v3.10/3.11), cited where it is used:

* an encrypted scalar is one ``ENC[AES256_GCM,data:...,iv:...,tag:...,type:...]``
  token (:func:`is_encrypted_value`);
* an encrypted YAML/JSON document carries a top-level ``sops`` mapping with
  ``mac``, ``lastmodified``, ``version``, the key groups, and the settings it
  was encrypted with (``encrypted_regex`` and friends): which leaves SOPS
  encrypts is :meth:`SopsRules.should_be_encrypted`, a port of ``sops.go``
  ``Tree.shouldBeEncrypted``; :func:`leaves` walks a document the way
  ``TreeBranch.walkBranch`` does;
* an encrypted file of another format (what a ``secretGenerator`` reads) is
  recognised by the marker bytes kustomize-controller's decryptor uses
  (``sopsFormatToMarkerBytes``): YAML ``mac: ENC[``, JSON and binary
  ``"mac": "ENC[``, dotenv ``sops_mac=ENC[``, INI ``[sops]``; a dotenv
  file's metadata are its ``sops_*`` lines;
* ``.sops.yaml`` ``creation_rules`` are matched the way SOPS matches them
  (``config/config.go`` ``parseCreationRuleForFile``): the first rule whose
  ``path_regex`` matches the file's path *relative to the config's
  directory* (unanchored, Go RE2 syntax); a rule without ``path_regex``
  matches everything; no match means SOPS refuses to encrypt the file with
  this config (``no matching creation rules found``).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from ..core.regex import GoRegex, GoRegexSet, RegexError, compile_go, search_set

# SOPS aes/cipher.go: ``^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]``,
# filled by ``Cipher.Encrypt`` with ``fmt.Sprintf("ENC[AES256_GCM,data:%s,iv:%s,tag:%s,type:%s]")``
# where the three fields are standard base64 and the type one of str, int, int64,
# float, bytes, bool, comment. SOPS's own regex is anchored at the start only
# (on decryption it ignores whatever follows the last ``]``); here the whole value
# must be one token, because text after it is committed in clear. The fields are
# character classes that cannot contain the separators, so matching is linear in
# the length of the value (no backtracking between ``(.+)`` groups).
_B64 = r"[A-Za-z0-9+/]+={0,2}"
ENC_VALUE = re.compile(rf"ENC\[AES256_GCM,data:{_B64},iv:{_B64},tag:{_B64},type:[a-z0-9]+\]\s*")
MARKERS = (b"mac: ENC[", b'"mac": "ENC[', b"sops_mac=ENC[", b"[sops]")
CONFIG_FILE = ".sops.yaml"
#: mapping keys a walk of one document may visit (aliases make a document a DAG)
WALK_BUDGET = 1_000_000


def is_encrypted_value(value: object) -> bool:
    """Is ``value`` exactly one SOPS ciphertext token (trailing whitespace aside)?"""
    return isinstance(value, str) and ENC_VALUE.fullmatch(value) is not None


def has_sops_marker(raw: bytes | str) -> bool:
    """Is this file content SOPS-encrypted, by kustomize-controller's marker test?"""
    data = raw.encode("utf-8", "replace") if isinstance(raw, str) else raw
    return any(m in data for m in MARKERS)


def go_regex(text: object) -> GoRegex | None:
    """A SOPS regex (Go ``regexp``, RE2 syntax: mid-pattern ``(?i)``, ``\\z``) compiled
    with RE2, so that matching is linear whatever the repository wrote; ``None``
    when Go would refuse it or it is empty."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return compile_go(text)
    except RegexError:
        return None


@dataclass(frozen=True)
class SopsRules:
    """Partial-encryption settings: a file's SOPS metadata, or a creation rule.

    ``mac_only_encrypted`` changes only what the MAC covers, never which
    values are encrypted, so it does not appear here.
    """

    unencrypted_suffix: str = ""
    encrypted_suffix: str = ""
    unencrypted_regex: str = ""
    encrypted_regex: str = ""
    unencrypted_comment_regex: str = ""
    encrypted_comment_regex: str = ""

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
            text("unencrypted_comment_regex"),
            text("encrypted_comment_regex"),
        )

    def should_be_encrypted(self, path: tuple[str, ...]) -> bool:
        """``Tree.shouldBeEncrypted`` (sops.go) for a leaf under mapping keys ``path``.

        Every key of the path is tested (a match anywhere above the leaf
        counts), regexes are unanchored (``regexp.Match``), and the stages
        overwrite each other in SOPS's order: unencrypted_suffix,
        encrypted_suffix, unencrypted_regex, encrypted_regex, then the comment
        regexes, here with no comment next to the value (gitops-lint does not
        read comments): under ``encrypted_comment_regex`` nothing is encrypted
        unless a comment says so, under ``unencrypted_comment_regex`` the key
        test stands (callers never claim more than "left in clear" from it).
        """
        encrypted = True
        if self.unencrypted_suffix and any(p.endswith(self.unencrypted_suffix) for p in path):
            encrypted = False
        if self.encrypted_suffix:
            encrypted = any(p.endswith(self.encrypted_suffix) for p in path)
        if self.unencrypted_regex:
            pattern = go_regex(self.unencrypted_regex)
            if pattern is not None and any(pattern.search(p) for p in path):
                encrypted = False
        if self.encrypted_regex:
            pattern = go_regex(self.encrypted_regex)
            # a regex Go refuses: assume it covers the leaf (no finding of "by design")
            encrypted = pattern is None or any(pattern.search(p) for p in path)
        if self.encrypted_comment_regex:
            encrypted = False
        return encrypted

    def describe(self) -> str:
        for key in (
            "encrypted_regex",
            "unencrypted_regex",
            "encrypted_suffix",
            "unencrypted_suffix",
            "encrypted_comment_regex",
            "unencrypted_comment_regex",
        ):
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


def leaves(data: object, budget: int = WALK_BUDGET) -> Iterator[tuple[tuple[str, ...], tuple, object]]:
    """Every scalar leaf of a document as (mapping keys, full path, value), in order.

    ``TreeBranch.walkBranch``/``walkSlice`` (sops.go): the path SOPS tests
    holds the mapping keys only (a list item adds nothing); ``null`` is not
    a leaf (``walkValue`` returns it untouched); the top-level ``sops`` key is
    the metadata, not data. A walk that exceeds ``budget`` keys stops (an
    alias bomb: the loader reports the document).
    """
    stack: list[tuple[object, tuple[str, ...], tuple]] = [(data, (), ())]
    while stack:
        node, keys, path = stack.pop()
        if isinstance(node, dict):
            budget -= len(node)
            if budget < 0:
                return
            items = [(k, v) for k, v in node.items() if path or k != "sops"]
            for k, v in reversed(items):
                stack.append((v, (*keys, str(k)), (*path, k)))
        elif isinstance(node, list):
            budget -= len(node)
            if budget < 0:
                return
            for i in range(len(node) - 1, -1, -1):
                stack.append((node[i], keys, (*path, i)))
        elif node is not None:
            yield keys, path, node


# -- .sops.yaml -------------------------------------------------------------------


@dataclass(frozen=True)
class CreationRule:
    index: int
    path_regex: str
    pattern: GoRegex | None
    rules: SopsRules

    def describe(self, config_file: str) -> str:
        where = f"path_regex: {self.path_regex}" if self.path_regex else "no path_regex"
        return f"{config_file} creation rule {self.index + 1} ({where})"


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
            out.append(CreationRule(i, path_regex, go_regex(path_regex), SopsRules.from_metadata(item)))
        return cls(file, posixpath.dirname(file), tuple(out))

    @cached_property
    def _together(self) -> tuple[tuple[int, ...], GoRegexSet] | None:
        """The rules' ``path_regex``es searched in one pass, with each one's rule index
        (None for fewer than two, or when RE2 will not hold them together)."""
        patterned = [rule for rule in self.rules if rule.pattern is not None]
        if len(patterned) < 2:
            return None
        found = search_set(tuple(rule.pattern.pattern for rule in patterned))
        return (tuple(rule.index for rule in patterned), found) if found is not None else None

    def rule_for(self, rel: str) -> CreationRule | None:
        """The creation rule SOPS would use for repo-relative ``rel`` (first match wins).

        SOPS strips the config's directory from the absolute file path
        (``filepath.Rel`` / ``TrimPrefix``) and searches ``path_regex`` in
        the rest; a config found by SOPS's upward search is always an
        ancestor of the file.
        """
        prefix = f"{self.directory}/" if self.directory else ""
        if not rel.startswith(prefix):
            return None
        local = rel[len(prefix) :]
        together = self._together
        matched = {together[0][i] for i in together[1].matching(local)} if together is not None else None
        for rule in self.rules:
            if not rule.path_regex:
                return rule
            if rule.pattern is not None and (
                rule.index in matched if matched is not None else rule.pattern.search(local)
            ):
                return rule
        return None
