"""Where secret values live in a repository, and whether SOPS protects them.

One inventory serves two masters: the ``plaintext-secret`` rule reports the
values that are committed in clear, and the redactor (:mod:`.redact`) keeps
every value that may be secret out of any output. Both must agree on what a secret
value is, so both read it from here.

Values are judged on the files *as written in the repository*, never on
rendered objects: kustomize-controller decrypts SOPS after the kustomize
build, so the renderer sees ciphertext exactly as this module does, but
post-build substitution may already have replaced a ``${var}`` in a rendered
object. Sources:

* ``v1/Secret`` documents (``data``, ``stringData``) of every YAML file the
  run read, patch files included, and Secret manifests embedded in a
  HelmRelease's ``values`` (charts' ``extraObjects``-style lists), plus a
  few chart value keys that are passwords by every chart's convention;
* kustomize ``secretGenerator`` entries: ``literals``, and the ``envs`` and
  ``files`` they read (Flux decrypts SOPS-encrypted sources before the build,
  so an encrypted source file is fine, whatever its format);
* files that a ``.sops.yaml`` creation rule designates as encrypted.

Which values SOPS protects is decided the way SOPS decides it (:mod:`.sops`):
a value is judged against the settings that govern it, the file's own SOPS
metadata when it is encrypted, else the ``.sops.yaml`` creation rule that
would encrypt it. A value those settings leave in clear is the author's
choice, not a leak, when the settings encrypt other values of the same
object; only when they leave the whole object in clear is it reported (as a
warning: the settings do not reach it, likely by mistake).
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

import re2

from ..core.data import FLUX_HELM_GROUP, ObjectRef, Origin, group_of, ref_of
from ..core.enums import StrEnum
from ..core.fs import FileTooLarge, OutsideRoot, RepoFS, join
from ..core.questions import derivable
from ..core.redact import Redactor, redact_leaves
from ..load.loader import DocumentCache, parse_text
from ..load.sops import (
    CONFIG_FILE,
    CreationRule,
    SopsConfig,
    SopsRules,
    document_metadata,
    dotenv_metadata,
    has_sops_marker,
    is_encrypted_value,
    leaves,
)
from ..load.top_level import may_have_key
from ..render.copy import deep_copy
from .secret_settings import cannot_be_secret, is_setting


class SecretStatus(StrEnum):
    """The verdict on one value a Secret would carry."""

    EMPTY = "empty"
    ENCRYPTED = "encrypted"
    VARIABLE = "variable"  # only ${var} references (Flux substitutes them) or $${var} escapes
    REFERENCE = "reference"  # a secret manager's reference, not the secret itself
    PLAINTEXT = "plaintext"
    SETTING = "setting"  # a documented non-credential field, or a value no credential fits
    UNENCRYPTED_BY_RULE = "unencrypted-by-rule"  # the SOPS settings leave this whole object in clear
    LEFT_IN_CLEAR = "left-in-clear"  # the SOPS settings leave this key in clear, and encrypt others: a choice
    ADDED_IN_CLEAR = "added-in-clear"  # SOPS file whose settings encrypt this value, but it is in clear
    DESIGNATED = "designated"  # a file .sops.yaml says is encrypted, and is not
    SENSITIVE = "sensitive"  # not a finding, but kept out of every output all the same


EMPTY = SecretStatus.EMPTY
ENCRYPTED = SecretStatus.ENCRYPTED
VARIABLE = SecretStatus.VARIABLE
REFERENCE = SecretStatus.REFERENCE
PLAINTEXT = SecretStatus.PLAINTEXT
SETTING = SecretStatus.SETTING
UNENCRYPTED_BY_RULE = SecretStatus.UNENCRYPTED_BY_RULE
LEFT_IN_CLEAR = SecretStatus.LEFT_IN_CLEAR
ADDED_IN_CLEAR = SecretStatus.ADDED_IN_CLEAR
DESIGNATED = SecretStatus.DESIGNATED
SENSITIVE = SecretStatus.SENSITIVE

LEAKS = frozenset({PLAINTEXT, UNENCRYPTED_BY_RULE, ADDED_IN_CLEAR, DESIGNATED})
#: statuses whose value the redactor keeps out of output
HIDDEN = LEAKS | {SENSITIVE}

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# a key kustomize accepts for a generated Secret (k8s IsConfigMapKey); anything else
# may be a value pasted without its key
_KEY = re.compile(r"[-._a-zA-Z0-9]+")
# RE2: with Python's re, each of 50,000 unterminated `$${` in a Secret value scanned to the
# end of the value (quadratic: 11 s); RE2 finds all matches in one linear pass
_VAR_REF = re2.compile(r"\$\$\{[^}]*\}|\$\{[_a-zA-Z][_a-zA-Z0-9]*\}")
# 1Password (`op://vault/item/field`), vals (`ref+vault://...`), argocd-vault-plugin (`<path:...>`)
_REFERENCE = re.compile(r"^\s*(op://[^\n]+|ref\+[a-z0-9]+://[^\n]+|<path:[^>\n]+>)\s*$")
# chart values that are passwords in every chart that has them (grafana, bitnami charts)
HELM_PASSWORD_KEYS = frozenset({"adminPassword", "rootPassword", "postgresPassword", "replicationPassword"})
#: nodes a walk of HelmRelease values may visit (aliases make values a DAG)
WALK_BUDGET = 1_000_000
# lines of a file that hold nothing: YAML document markers, comments, blanks
_NOTHING = re.compile(r"(---|\.\.\.)?\s*(#(\s.*)?)?")


@dataclass(frozen=True)
class Governance:
    """The SOPS settings that decide which values of a document are encrypted.

    ``encrypted``: they are the document's own metadata (SOPS ran with them);
    else they are the ``.sops.yaml`` creation rule SOPS would use for it.
    """

    rules: SopsRules
    encrypted: bool
    source: str  # "its SOPS metadata (encrypted_regex: ...)", ".sops.yaml creation rule 1 (...)"


def _judge(items: list[tuple[SecretStatus, tuple[str, ...]]], gov: Governance | None) -> list[SecretStatus]:
    """The final status of each (status, SOPS key path) value of one object under ``gov``.

    A value in clear that ``gov`` would encrypt: in an encrypted file it was
    added after encryption (and SOPS fails to decrypt the file); in a plain
    file it is plaintext. One that ``gov`` leaves in clear is the author's
    choice when ``gov`` reaches other values of the same object
    (``LEFT_IN_CLEAR``); when it reaches none, the first such value stands
    for the object (``UNENCRYPTED_BY_RULE``, one finding) and the rest are
    only kept out of output (``SENSITIVE``). A value the author's settings
    leave in clear by choice, or a documented setting, is public by the
    author's or the consumer's word, and is not masked in messages either.
    """
    if gov is None:
        return [status for status, _ in items]
    rules = gov.rules
    covered = any(
        status == ENCRYPTED or (status != EMPTY and rules.should_be_encrypted(keys)) for status, keys in items
    )
    out: list[SecretStatus] = []
    reported = False
    for status, keys in items:
        if status == SETTING:
            # not a credential, but SOPS still fails to decrypt a file with it in clear
            added = gov.encrypted and not rules.unencrypted_comment_regex and rules.should_be_encrypted(keys)
            out.append(ADDED_IN_CLEAR if added else SETTING)
        elif status != PLAINTEXT:
            out.append(status)
        elif rules.should_be_encrypted(keys):
            if not gov.encrypted:
                out.append(PLAINTEXT)
            else:  # a comment may have left it in clear, which gitops-lint does not read
                out.append(LEFT_IN_CLEAR if rules.unencrypted_comment_regex else ADDED_IN_CLEAR)
        elif covered:
            out.append(LEFT_IN_CLEAR)
        elif reported:
            out.append(SENSITIVE)
        else:
            reported = True
            out.append(UNENCRYPTED_BY_RULE)
    return out


@dataclass(frozen=True)
class SecretValue:
    """One value a Secret would carry, where it is written, and how it is protected.

    ``value`` is the secret itself: it is for the redactor only and must
    never reach a message.
    """

    status: SecretStatus
    what: str  # "Secret ns/name: stringData key 'password'" (never the value)
    value: str
    origin: Origin | None = None
    path: tuple = ()
    file: str | None = None  # explicit position, for files that are not YAML documents
    line: int | None = None
    object: ObjectRef | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", SecretStatus(self.status))  # a stray string fails here

    @property
    def leaks(self) -> bool:
        return self.status in LEAKS


# what may surround ${var}s in a templated value: separators and words of at most 7
# characters (a scheme, a path segment, a port), nothing as long as a password
_TEMPLATE_TEXT = re.compile(r"(?:[^A-Za-z0-9]|[A-Za-z0-9]{1,7}(?![A-Za-z0-9]))*")


def classify(value: object) -> SecretStatus:
    """The status of a value that is not inside a SOPS-encrypted document."""
    if value is None or isinstance(value, (dict, list)):
        return EMPTY  # not a value (and never str() a structure: aliases may make it huge)
    text = value if isinstance(value, str) else str(value)
    if text == "" or text.isspace():
        return EMPTY
    if is_encrypted_value(text):
        return ENCRYPTED
    rest = _VAR_REF.sub("", text).strip() if "${" in text else None
    if rest is not None and "${" not in rest and _TEMPLATE_TEXT.fullmatch(rest):
        # ${var}s joined by short literal text (``s3:${ENDPOINT}/restic/${APP}``):
        # Flux fills it from a substitution source; no run of the literal part is
        # long enough to be a credential (``app:hunter2-clear@${HOST}`` is still one)
        return VARIABLE
    if _REFERENCE.match(text):
        return REFERENCE
    return PLAINTEXT


def is_empty_file(text: str) -> bool:
    """Does a generator source hold nothing: only ``---``/``...`` markers, comments, blanks?

    A comment is ``#`` alone or followed by a space (``#hunter2`` on its own
    may be a password, and is not one).
    """
    return all(_NOTHING.fullmatch(line.strip()) for line in text.splitlines())


def _scalar(value: object) -> str | None:
    """A YAML scalar as text; ``None`` for null and for structures."""
    if value is None or isinstance(value, (dict, list)):
        return None
    return value if isinstance(value, str) else str(value)


def _decoded(value: str) -> str | None:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.decode("utf-8", "replace")


def _display(ref: ObjectRef) -> str:
    return f"Secret {ref.namespace}/{ref.name}" if ref.namespace else f"Secret {ref.name}"


def is_secret(obj: object) -> bool:
    return isinstance(obj, dict) and obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1"


def _object_name(obj: dict) -> str:
    kind = obj.get("kind")
    if not isinstance(kind, str) or not kind:
        return "document"  # an encrypted file that is not a Kubernetes object
    ref = ref_of(obj)
    who = f"{ref.namespace}/{ref.name}" if ref.namespace else ref.name
    return f"{kind} {who}"


def secret_values(
    obj: dict, origin: Origin, base: tuple = (), gov: Governance | None = None
) -> Iterator[SecretValue]:
    """The values of one Secret manifest ``obj`` found at ``base`` in the document at ``origin``.

    ``gov`` is the SOPS settings that govern the document, if any (see
    :func:`_judge`).
    """
    ref = ref_of(obj)
    keys_above = tuple(str(p) for p in base if isinstance(p, str))
    found: list[tuple[str, str, str, str, tuple[str, ...]]] = []  # section, key, status, plain, text
    for section in ("data", "stringData"):
        values = obj.get(section)
        if not isinstance(values, dict):
            continue
        for key in sorted(values, key=str):
            raw = values[key]
            if isinstance(raw, (dict, list)):
                continue  # not a Secret value at all (the API server refuses it); never str() it:
                # an alias bomb would expand to gigabytes
            text = "" if raw is None else raw if isinstance(raw, str) else str(raw)
            status = classify(text)
            plain = text
            if status == PLAINTEXT and section == "data":
                decoded = _decoded(text.strip())
                if decoded is not None:
                    plain = decoded
                    # a data value that is itself a SOPS file (secretGenerator of an
                    # encrypted file): kustomize-controller decrypts it
                    if has_sops_marker(decoded):
                        status = ENCRYPTED
                    elif classify(decoded) != PLAINTEXT:
                        status = classify(decoded)
            if status == PLAINTEXT and is_setting(obj, key, plain):
                status = SETTING
            found.append((section, key, status, plain, text, (*keys_above, section, str(key))))
    statuses = _judge([(status, keys) for _, _, status, _, _, keys in found], gov)
    for (section, key, _, plain, text, _), status in zip(found, statuses):
        what = f"{_display(ref)}: {section} key {str(key)!r}"
        detail = gov.source if gov is not None else ""
        yield SecretValue(status, what, plain, origin, (*base, section, key), object=ref, detail=detail)
        if plain != text and status in HIDDEN:
            # the base64 form is a secret too (redaction only)
            yield SecretValue(SENSITIVE, what, text, origin, (*base, section, key))


def _helm_values(doc_data: dict, origin: Origin, gov: Governance | None) -> Iterator[SecretValue]:
    """Secret manifests and well-known password keys inside a HelmRelease's ``spec.values``."""
    spec = doc_data.get("spec")
    values = spec.get("values") if isinstance(spec, dict) else None
    if not isinstance(values, (dict, list)) or not _may_hold_values(values):
        return
    owner = ref_of(doc_data)
    stack: list[tuple[object, tuple]] = [(values, ("spec", "values"))]
    seen: set[int] = set()
    budget = WALK_BUDGET
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        budget -= len(node)  # type: ignore[arg-type]
        if budget < 0:
            return  # an alias bomb: the renderer reports the document
        if isinstance(node, dict):
            if is_secret(node):
                yield from secret_values(node, origin, path, gov)
                continue
            for key in sorted(node, key=str, reverse=True):
                child = node[key]
                if isinstance(child, (dict, list)):
                    stack.append((child, (*path, key)))
                elif key in HELM_PASSWORD_KEYS and isinstance(child, str):
                    keys = tuple(str(p) for p in (*path, key) if isinstance(p, str))
                    # a chart password key is a password: settings that leave it in
                    # clear are reported (as a warning), whatever else they encrypt
                    (status,) = _judge([(classify(child), keys)], gov)
                    who = f"{owner.namespace}/{owner.name}" if owner.namespace else owner.name
                    what = f"HelmRelease {who}: values key {'.'.join(str(p) for p in (*path[2:], key))}"
                    detail = gov.source if gov is not None else ""
                    yield SecretValue(status, what, child, origin, (*path, key), object=owner, detail=detail)
        else:
            for i in range(len(node) - 1, -1, -1):  # type: ignore[arg-type]
                child = node[i]  # type: ignore[index]
                if isinstance(child, (dict, list)):
                    stack.append((child, (*path, i)))


def _may_hold_values(values: dict | list) -> bool:
    """False when :func:`_helm_values`' walk of ``values`` yields nothing: it would visit
    every node (each once, within its budget) and meet neither a Secret manifest nor a
    password key holding a string. The same walk without its paths and sorted keys: most
    charts' values hold neither, and the walk with them was most of the secret inventory."""
    stack = [values]
    seen: set[int] = set()
    budget = WALK_BUDGET
    password_keys = HELM_PASSWORD_KEYS
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        budget -= len(node)
        if budget < 0:
            return True  # the walk stops here, with what it found before: it decides
        if isinstance(node, dict):
            if is_secret(node):
                return True
            for key, child in node.items():
                if isinstance(child, (dict, list)):
                    stack.append(child)
                elif key in password_keys and isinstance(child, str):
                    return True
        else:
            stack.extend(child for child in node if isinstance(child, (dict, list)))
    return False


def _added_in_clear(data: dict, origin: Origin, gov: Governance) -> Iterator[SecretValue]:
    """Values of an encrypted non-Secret document that its SOPS settings encrypt, in clear.

    SOPS's ``Tree.Decrypt`` decrypts every value its settings cover, and
    fails on one that is not ciphertext (``Could not decrypt value``): such a
    value was added after encryption, is public, and breaks decryption.
    """
    if gov.rules.unencrypted_comment_regex:
        return  # a comment may have left it in clear
    name = _object_name(data)
    for keys, path, value in leaves(data):
        if classify(value) == PLAINTEXT and gov.rules.should_be_encrypted(keys):
            what = f"{name}: key {'.'.join(keys)}"
            text = value if isinstance(value, str) else str(value)
            yield SecretValue(
                ADDED_IN_CLEAR, what, text, origin, path, object=ref_of(data), detail=gov.source
            )


def _may_be_encrypted(fs: RepoFS, rel: str) -> bool:
    """Whether a document of ``rel`` may carry SOPS metadata (a top-level ``sops`` key),
    from its text (:mod:`..load.top_level`). A file that cannot be read is loaded, and its
    error reported, as before. Parsing every file a creation rule covers only to learn it
    is not encrypted was most of a one-cluster lint of a repository whose ``.sops.yaml``
    covers ``.*.yaml``: the other clusters' files, none of them read otherwise."""
    try:
        return fs.derive(rel, may_hold_sops_metadata)
    except (OSError, OutsideRoot, FileTooLarge):
        return True


@derivable
def may_hold_sops_metadata(raw: bytes) -> bool:
    """:func:`_may_be_encrypted`'s answer from a file's bytes (``RepoFS.derive``: a change of
    the file that keeps it does not change the inventory)."""
    return may_have_key(raw, "sops")


@dataclass(frozen=True)
class _Source:
    """The values of a file a secretGenerator reads (an env file, a file source):
    counted once per run however many generators read it, at the first one in
    file order (whose name its values carry)."""

    rel: str
    values: tuple[SecretValue, ...]


_GENERATOR = "SECRETGENERATOR"  # go_fold("secretGenerator"): the field encoding/json matches


class Inventory:
    """The secret values of the files one run read.

    What a file holds is worked out once per run (:meth:`_of_file`) and kept:
    the run's later calls, made once it has read more files, work out only
    those."""

    def __init__(self, fs: RepoFS, cache: DocumentCache):
        self.fs = fs
        self.cache = cache
        self._configs: dict[str, SopsConfig | None] = {}
        self._designating_rules: dict[str, frozenset[int]] = {}
        # file -> the creation rule of its own .sops.yaml (asked by _designating and again
        # by _creation_rule for the files read: the path_regexes are searched once)
        self._rules: dict[str, CreationRule | None] = {}
        self._files: dict[str, tuple[object, tuple[SecretValue | _Source, ...]]] = {}

    def values(self) -> list[SecretValue]:
        out: list[SecretValue] = []
        read_sources: set[str] = set()
        # the files this run read: every file under the linted paths (the linter
        # loads them) and every file a render read
        for rel in sorted(self.cache.files):
            for item in self._of_file(rel):
                if not isinstance(item, _Source):
                    out.append(item)
                elif item.rel not in read_sources:
                    read_sources.add(item.rel)
                    out.extend(item.values)
        return out

    def _of_file(self, rel: str) -> tuple[SecretValue | _Source, ...]:
        loaded = self.cache.files[rel]
        done = self._files.get(rel)
        if done is not None and done[0] is loaded:
            return done[1]
        items: list[SecretValue | _Source] = []
        file_values: list[SecretValue] = []
        encrypted_file = False
        kustomization = posixpath.basename(rel) in KUSTOMIZATION_FILES
        rule_gov = None if kustomization else self._creation_rule(rel)
        for doc in loaded.documents:
            data = doc.data
            meta = document_metadata(data)
            encrypted_file = encrypted_file or meta is not None
            if meta is not None:
                rules = SopsRules.from_metadata(meta)
                gov = Governance(rules, True, f"SOPS metadata ({rules.describe()})")
            else:
                gov = rule_gov[0] if rule_gov is not None else None
            if is_secret(data):
                file_values.extend(secret_values(data, doc.origin, (), gov))
            elif (
                isinstance(data, dict)
                and data.get("kind") == "HelmRelease"
                and group_of(str(data.get("apiVersion", ""))) == FLUX_HELM_GROUP
            ):
                file_values.extend(_helm_values(data, doc.origin, gov))
            elif kustomization and isinstance(data, dict):
                items.extend(file_values)
                file_values = []
                items.extend(self._generators(rel, doc, data))
            elif meta is not None and isinstance(data, dict):
                file_values.extend(_added_in_clear(data, doc.origin, gov))
        items.extend(file_values)
        if (
            rule_gov is not None
            and rule_gov[1]
            and loaded.documents
            and not encrypted_file
            and not any(v.leaks for v in file_values)
        ):
            items.extend(self._designated(rel, loaded, rule_gov[0]))
        self._files[rel] = (loaded, tuple(items))
        return self._files[rel][1]

    # -- .sops.yaml ----------------------------------------------------------------
    def _config(self, directory: str) -> SopsConfig | None:
        """The nearest ``.sops.yaml`` at or above ``directory`` (SOPS looks upward)."""
        if directory in self._configs:
            return self._configs[directory]
        rel = f"{directory}/{CONFIG_FILE}" if directory else CONFIG_FILE
        found: SopsConfig | None = None
        try:
            if self.fs.isfile(rel):
                text = self.fs.read_bytes(rel).decode("utf-8")
                docs = parse_text(text, rel).documents
                found = SopsConfig.from_data(rel, docs[0].data if docs else None)
        except (OSError, OutsideRoot, UnicodeDecodeError, Exception):
            found = None
        if found is None and directory:
            found = self._config(posixpath.dirname(directory))
        self._configs[directory] = found
        return found

    def _designating(self, config: SopsConfig) -> frozenset[int]:
        """The creation rules of ``config`` that name files the repository keeps encrypted.

        A rule designates the files it matches as encrypted when the
        repository encrypts some of them (a rule no file was ever encrypted
        with, like one for every ``helmrelease.yaml``, says how SOPS would
        encrypt one, not that any is) and it matches no kustomization file:
        kustomize reads those before Flux decrypts anything, so they are never
        encrypted, and a rule that covers one (Flux's guide's ``.*.yaml``, a
        rule for a whole cluster directory) is a rule for whichever files the
        author chooses to encrypt.
        """
        if config.file not in self._designating_rules:
            how, used = set(), set()
            # every YAML file the config governs, not only those loaded so far: what a
            # rule designates must not depend on the order in which files were read
            for rel in self.fs.walk_files(posixpath.dirname(config.file)):
                if self._config(posixpath.dirname(rel)) is not config:
                    continue
                rule = self._rule_for(config, rel)
                if rule is None:
                    continue
                if posixpath.basename(rel) in KUSTOMIZATION_FILES:
                    how.add(rule.index)
                elif _may_be_encrypted(self.fs, rel) and any(
                    document_metadata(doc.data) is not None
                    for doc in self.cache.load(rel, used=False).documents
                ):
                    used.add(rule.index)
            self._designating_rules[config.file] = frozenset(used - how)
        return self._designating_rules[config.file]

    def _creation_rule(self, rel: str) -> tuple[Governance, bool] | None:
        """The creation rule SOPS would encrypt ``rel`` with, and whether it designates it.

        See :meth:`_designating`: ``.*\\.sops\\.ya?ml`` designates, ``.*.yaml``
        does not.
        """
        if posixpath.basename(rel) == CONFIG_FILE:
            return None
        config = self._config(posixpath.dirname(rel))
        rule = self._rule_for(config, rel) if config is not None else None
        if config is None or rule is None:
            return None
        source = rule.describe(config.file)
        if rule.rules.describe() != "its SOPS settings":
            source = f"{source[:-1]}; {rule.rules.describe()})"
        gov = Governance(rule.rules, False, source)
        return gov, rule.index in self._designating(config)

    def _rule_for(self, config: SopsConfig, rel: str) -> CreationRule | None:
        """``config.rule_for(rel)``, where ``config`` is the file's own .sops.yaml."""
        if rel not in self._rules:
            self._rules[rel] = config.rule_for(rel)
        return self._rules[rel]

    def _designated(self, rel: str, loaded, gov: Governance) -> Iterator[SecretValue]:
        """One finding for a file a creation rule designates, at the first value SOPS would encrypt.

        A file whose every value that SOPS would encrypt is empty, a ``${var}``,
        a reference or a value no credential fits (or that has none: a
        Namespace under ``encrypted_regex: ^(data|stringData)$``) needs no
        encryption. Secrets in it are judged value by value instead.
        """
        for doc in loaded.documents:
            if is_secret(doc.data):
                continue  # its values are judged one by one (secret_values)
            for keys, path, value in leaves(doc.data):
                if (
                    classify(value) == PLAINTEXT
                    and gov.rules.should_be_encrypted(keys)
                    and not cannot_be_secret(str(value))
                ):
                    yield SecretValue(
                        DESIGNATED,
                        f"{rel} is meant to be SOPS-encrypted",
                        "",
                        doc.origin,
                        path,
                        detail=f"{gov.source}, which encrypts key {'.'.join(keys)}",
                    )
                    return

    # -- secretGenerator ------------------------------------------------------------
    def _read(self, base: str, path: str) -> tuple[str, bytes] | None:
        try:
            rel = join(base, path)
            return rel, self.fs.read_bytes(rel)
        except (OutsideRoot, OSError, Exception):  # missing-path / kustomize-build report it
            return None

    def _generators(self, kfile: str, doc, data: dict) -> Iterator[SecretValue | _Source]:
        from ..render.generators import GeneratorError, parse_file_source, parse_literal
        from ..render.kustfile import decode, go_fold

        # field names as kustomize matches them (`SecretGenerator:`, `Literals:`); a
        # kustomization without such a field (most) is not decoded for nothing
        if not any(isinstance(k, str) and len(k) == 15 and go_fold(k) == _GENERATOR for k in data):
            return
        decoded = decode(data)
        items = decoded.data.get("secretGenerator")
        if not isinstance(items, list):
            return
        base = posixpath.dirname(kfile)
        for i, args in enumerate(items):
            if not isinstance(args, dict):
                continue
            name = _scalar(args.get("name")) or "?"
            where = ("secretGenerator", i)
            literals = args.get("literals")
            for j, literal in enumerate(literals if isinstance(literals, list) else []):
                source = _scalar(literal)
                if source is None:
                    continue
                try:
                    key, value = parse_literal(source)
                except GeneratorError:
                    key, value = f"#{j + 1}", source  # malformed: the whole entry may be the value
                at = decoded.source_path((*where, "literals", j))
                if not _KEY.fullmatch(key):
                    # not a key kustomize accepts (``postgres://u:pw@h/db?sslmode=x``):
                    # the "key" is part of the value, and messages quote it as a key
                    key = f"#{j + 1}"
                    yield SecretValue(SENSITIVE, "", source, doc.origin, at)
                what = f"secretGenerator {name}: literal {key!r}"
                yield SecretValue(classify(value), what, value, doc.origin, at)
                if source != value and classify(value) in LEAKS:
                    yield SecretValue(SENSITIVE, what, source, doc.origin, at)
            envs = args.get("envs")
            sources = [_scalar(e) for e in (envs if isinstance(envs, list) else [])]
            sources.append(_scalar(args.get("env")))
            for env in sources:
                if not env:
                    continue
                got = self._read(base, env)
                if got is not None:
                    yield _Source(got[0], tuple(self._env_values(*got, name)))
            files = args.get("files")
            for source in files if isinstance(files, list) else []:
                if _scalar(source) is None:
                    continue
                try:
                    _, path = parse_file_source(str(source))
                except GeneratorError:
                    continue
                got = self._read(base, path)
                if got is not None:
                    yield _Source(got[0], tuple(self._file_value(*got, name)))

    def _env_values(self, rel: str, raw: bytes, name: str) -> Iterator[SecretValue]:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield from self._file_value(rel, raw, name)
            return
        meta = dotenv_metadata(text) if has_sops_marker(raw) else None
        if meta is not None:
            rules = SopsRules.from_metadata(meta)
            gov: Governance | None = Governance(rules, True, f"SOPS metadata ({rules.describe()})")
        else:
            rule_gov = self._creation_rule(rel)
            gov = rule_gov[0] if rule_gov is not None else None
        entries: list[tuple[str, int, str, str]] = []  # key, line, status, value
        for number, line in enumerate(text.split("\n"), start=1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            key, sep, value = stripped.partition("=")
            if meta is not None and key.startswith("sops_"):
                continue
            if sep and not _KEY.fullmatch(key):
                # not a key (``postgres://u:pw@h/db?sslmode=x``): the whole line may be the value
                yield SecretValue(SENSITIVE, "", stripped, file=rel, line=number)
            if not sep:
                # kustomize reads a bare KEY from its own environment; a line that is
                # not a name may be a pasted value: keep it out of every message
                yield SecretValue(SENSITIVE, "", stripped, file=rel, line=number)
                continue
            entries.append((key, number, classify(value), value))
        # SOPS's dotenv store: each KEY is a top-level key of the tree
        statuses = _judge([(status, (key,)) for key, _, status, _ in entries], gov)
        for (key, number, _, value), status in zip(entries, statuses):
            yield SecretValue(
                status,
                f"env file of secretGenerator {name}: key {key!r}",
                value,
                file=rel,
                line=number,
                detail=gov.source if gov is not None else "",
            )

    def _file_value(self, rel: str, raw: bytes, name: str) -> Iterator[SecretValue]:
        if has_sops_marker(raw):
            return
        text = raw.decode("utf-8", "replace")
        status = EMPTY if is_empty_file(text) else PLAINTEXT
        yield SecretValue(status, f"file read by secretGenerator {name}", text, file=rel, line=1)


# -- one inventory per run ------------------------------------------------------------


def inventory(fs: RepoFS, cache: DocumentCache) -> list[SecretValue]:
    """The secret values of the files ``cache`` holds (computed afresh: see :class:`SecretInventory`)."""
    return Inventory(fs, cache).values()


class SecretInventory:
    """One run's inventory, computed once per set of files its document cache holds.

    It belongs to the run (the Linter makes one and hands it to the rules'
    contexts and to its redactor), never to the process: two runs in one
    process each see their own repository's values, and a run's values are
    dropped with it.
    """

    def __init__(self, fs: RepoFS, cache: DocumentCache) -> None:
        self.fs = fs
        self.cache = cache
        self._values: list[SecretValue] | None = None
        self._files = -1
        self._inventory = Inventory(fs, cache)  # what each file holds, worked out once

    def values(self) -> list[SecretValue]:
        # the cache grows while a run reads files: a later call sees the files read since
        if self._values is None or self._files != len(self.cache.files):
            self._files = len(self.cache.files)
            self._values = self._inventory.values()
        return self._values


def hidden_strings(values: list[SecretValue], objects: Iterator | list = ()) -> Iterator[str]:
    """Every string the redactor must keep out of output.

    The inventory's (``values``) leaking and sensitive values, and the values
    of rendered Secrets (``objects``), where substitution may have put a value
    that came from another Secret.
    """
    for v in values:
        if v.value and v.status in HIDDEN:
            yield v.value
    for obj in objects:
        if not is_secret(obj):
            continue
        # judged as the files are: ciphertext, ${var}s, documented settings and values
        # the object's own SOPS settings leave in clear by choice are not secret
        meta = document_metadata(obj)
        gov = Governance(SopsRules.from_metadata(meta), True, "") if meta is not None else None
        data = obj.get("data")
        sops_env = isinstance(data, dict) and "sops_mac" in data  # from a SOPS dotenv file: Flux decrypts it
        for v in secret_values(obj, None, (), gov):  # type: ignore[arg-type]
            if sops_env and str(v.path[-1]).startswith("sops_"):
                continue
            if v.value and v.status in HIDDEN:
                yield v.value


def secret_variables(clusters: list, global_variables: dict[str, str]) -> Iterator[str]:
    """The values of post-build variables that stand for a Secret's values.

    A variable is tainted when the Kustomization takes it from a
    ``substituteFrom`` entry of kind Secret (read from the repository, or
    given by the config's ``variables: {Secret/ns/name: ...}``). A ``--var``
    value is tainted where it stands in for such a variable: one whose source
    is a Secret, or one no source names in a Kustomization that reads a
    Secret whose keys are unknown. A ``--var`` that only ever fills a
    ConfigMap's variable, and ``postBuild.substitute`` (written in Git, in
    clear), are not secrets.
    """
    for cluster in clusters:
        for ks in cluster.kustomizations.values():
            post = ks.spec.get("postBuild") if isinstance(ks.spec, dict) else None
            items = post.get("substituteFrom") if isinstance(post, dict) else None
            reads_secret = isinstance(items, list) and any(
                isinstance(i, dict) and i.get("kind") == "Secret" for i in items
            )
            for name, value in ks.variables.items():
                where = ks.variable_sources.get(name)
                source = where[0] if where else None
                from_secret = source is not None and source.startswith("Secret/")
                standing_in = source is None and reads_secret and global_variables.get(name) == value
                if from_secret or standing_in:
                    yield value


#: mapping keys whose string values name things (public identifiers)
_NAME_KEYS = frozenset({"name", "namespace", "kind", "apiVersion", "targetNamespace", "serviceAccountName"})


def public_identifiers(cache: DocumentCache) -> set[str]:
    """Names the repository uses in the open: the redactor never masks their parts.

    Every mapping key of every document the run read, the values of
    ``name``/``namespace``-like keys, and label values. A Secret's values are
    never among them (its keys are).
    """
    names: set = set()
    for rel in sorted(cache.files):
        for doc in cache.files[rel].documents:
            stack: list[tuple[object, bool]] = [(doc.data, False)]
            seen: set[int] = set()
            budget = WALK_BUDGET
            while stack and budget > 0:
                node, in_secret = stack.pop()
                if id(node) in seen:
                    continue
                seen.add(id(node))
                if isinstance(node, dict):
                    budget -= len(node)
                    names.update(node)
                    for key, child in node.items():
                        if isinstance(child, (dict, list)):
                            # a Secret's data/stringData values are never names
                            stack.append((child, in_secret or key in ("data", "stringData")))
                        elif not in_secret and key in _NAME_KEYS and isinstance(child, str):
                            names.add(child)
                    labels = node.get("labels") if not in_secret else None
                    if isinstance(labels, dict):
                        names.update(v for v in labels.values() if isinstance(v, str))
                elif isinstance(node, list):
                    budget -= len(node)
                    stack.extend((child, in_secret) for child in node if isinstance(child, (dict, list)))
    return {n for n in names if isinstance(n, str)}


# -- what `build` prints ----------------------------------------------------------------


def mask_secret(obj: dict) -> dict:
    """A copy of a ``v1/Secret`` whose values are masked, as ``flux build`` masks SOPS ones.

    Plaintext values become ``**REDACTED**`` (base64 in ``data``); SOPS
    ciphertext, ``${var}`` references and empty values are kept (they are
    what the repository holds, and harmless).
    """
    out = dict(obj)
    for section in ("data", "stringData"):
        values = obj.get(section)
        if not isinstance(values, dict):
            continue
        masked = {}
        for key, value in values.items():
            shown = classify(value) != PLAINTEXT
            if not shown and section == "data" and isinstance(value, str):
                decoded = _decoded(value.strip())
                shown = decoded is not None and (has_sops_marker(decoded) or classify(decoded) != PLAINTEXT)
            if shown:  # empty, ciphertext, ${var} only, a secret manager's reference
                masked[key] = value
            elif section == "data":
                masked[key] = base64.b64encode(b"**REDACTED**").decode("ascii")
            else:
                masked[key] = "**REDACTED**"
        out[section] = masked
    return out


def mask_objects(objects: list[dict], redactor: Redactor) -> list[dict]:
    """What ``gitops-lint build`` prints: Secrets masked, every other string redacted.

    kubectl would print Secret data; a linter's output ends up in CI logs, so
    it does not. Elsewhere (a chart password in HelmRelease values, a URL
    that embeds a substituted password, a name made from a secret) each
    string, keys included, is redacted on its own, which keeps the stream
    valid YAML (the serializer quotes a ``***`` as it needs).
    """
    redactor.refresh()
    out = []
    for obj in objects:
        if isinstance(obj, dict) and obj.get("kind") == "Secret":
            obj = mask_secret(obj)
        out.append(redact_leaves(deep_copy(obj), redactor) if redactor else obj)
    return out
