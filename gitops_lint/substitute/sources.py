"""What a ``postBuild.substituteFrom`` entry finds in the cluster, known or not.

kustomize-controller reads each ``substituteFrom`` ConfigMap or Secret from the
cluster, not from Git. Offline, gitops-lint knows an object of the cluster in
one of three ways, and each says what is known of its keys and values:

* a manifest the cluster applies: ConfigMap ``data``; Secret ``data``
  (base64-decoded) and ``stringData``. A SOPS-encrypted value (``ENC[...]``,
  anchored as SOPS does) is decrypted by Flux in the cluster: its key exists,
  its value is unknown, and the ciphertext is never used as a value;
* an in-repo *producer* whose controller creates the Secret in the cluster
  (:data:`PRODUCERS` lists them, with why): the Secret is present, its values
  are unknown, its keys are known where the producer's spec fixes them
  (a SealedSecret's ``encryptedData``, an ExternalSecret with ``data`` only)
  and open otherwise (``dataFrom``, a template from elsewhere, a provider's
  own keys);
* the config: ``external:`` (present, keys and values unknown) and
  ``variables:`` (present, stand-in values).

An unknown value is never substituted: the ``${var}`` stays as written and
its field is recorded as not checkable (see :mod:`gitops_lint.substitute.engine`).

Facts are gathered from every object of the cluster (:class:`SourceIndex`),
so whether a source exists does not depend on which Kustomization happens
to be rendered first (:mod:`gitops_lint.model.cluster` renders again when a
Kustomization was rendered before a fact it needed was known).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..core.questions import derivable
from ..load.sops import is_encrypted_value


@dataclass(frozen=True)
class SourceFacts:
    """What one ConfigMap/Secret offers to substitution.

    ``values``: keys whose value is known. ``unknown``: keys that exist with a
    value gitops-lint cannot know. ``open``: the object may hold further keys,
    unknown ones (their names and values live outside Git). ``by``: how the
    object comes to exist, for messages ("" for a manifest).
    """

    values: tuple[tuple[str, str], ...] = ()
    unknown: frozenset[str] = frozenset()
    open: bool = False
    by: str = ""

    @property
    def keys(self) -> set[str]:
        return {k for k, _ in self.values} | set(self.unknown)


def _text(v) -> str:
    return "" if v is None else str(v)


def manifest_facts(obj: dict) -> SourceFacts:
    """The facts of a ConfigMap or Secret manifest (SOPS-encrypted values unknown)."""
    known: dict[str, str] = {}
    unknown: set[str] = set()

    def put(k, v: str | None) -> None:
        key = str(k)
        if v is None:
            known.pop(key, None)
            unknown.add(key)
        else:
            unknown.discard(key)
            known[key] = v

    if obj.get("kind") == "Secret":
        data = obj.get("data")
        if isinstance(data, dict):
            for k, v in data.items():
                if is_encrypted_value(v):
                    put(k, None)
                    continue
                try:
                    put(k, base64.b64decode(_text(v), validate=True).decode("utf-8", "replace"))
                except (binascii.Error, ValueError):
                    put(k, None)  # not base64: the API server would refuse it; value unknowable
        string_data = obj.get("stringData")
        if isinstance(string_data, dict):
            for k, v in string_data.items():
                put(k, None if is_encrypted_value(v) else _text(v))
    else:
        data = obj.get("data")
        if isinstance(data, dict):
            for k, v in data.items():
                put(k, None if is_encrypted_value(v) else _text(v))
    return SourceFacts(tuple(sorted(known.items())), frozenset(unknown))


# -- producers: controllers that create a Secret from an object in Git ----------


def _dict(v) -> dict:
    return v if isinstance(v, dict) else {}


def _meta(obj: dict) -> tuple[str, str]:
    meta = _dict(obj.get("metadata"))
    return _text(meta.get("namespace")), _text(meta.get("name"))


def _eso_keys(spec: dict) -> tuple[frozenset[str], bool]:
    """Keys of the Secret an ExternalSecret spec writes: (keys, open).

    external-secrets: ``data[].secretKey`` are the keys; ``dataFrom`` brings
    the provider's keys (open); a ``target.template`` with ``data`` replaces
    them with its own keys (``mergePolicy: Merge`` keeps both), and
    ``templateFrom`` adds keys from a ConfigMap/Secret (open).
    """
    data_keys = {
        _text(_dict(d).get("secretKey")) for d in spec.get("data") or [] if _dict(d).get("secretKey")
    }
    template = _dict(_dict(spec.get("target")).get("template"))
    if spec.get("dataFrom") or template.get("templateFrom"):
        return frozenset(data_keys | set(_dict(template.get("data")))), True
    if isinstance(template.get("data"), dict) and template["data"]:
        keys = {str(k) for k in template["data"]}
        if template.get("mergePolicy") == "Merge":
            keys |= data_keys
        return frozenset(keys), False
    return frozenset(data_keys), False


def _external_secret(obj: dict):
    spec = _dict(obj.get("spec"))
    target = _dict(spec.get("target"))
    if target.get("creationPolicy") == "None":
        return
    ns, name = _meta(obj)
    keys, is_open = _eso_keys(spec)
    yield ns, _text(target.get("name")) or name, SourceFacts((), keys, is_open, f"ExternalSecret {ns}/{name}")


def _sealed_secret(obj: dict):
    spec = _dict(obj.get("spec"))
    ns, name = _meta(obj)
    template = _dict(spec.get("template"))
    keys = frozenset(str(k) for k in _dict(spec.get("encryptedData"))) | frozenset(
        str(k) for k in _dict(template.get("data"))
    )
    facts = SourceFacts((), keys, False, f"SealedSecret {ns}/{name}")
    yield ns, name, facts
    tmeta = _dict(template.get("metadata"))
    if tmeta.get("name") and (tmeta.get("name"), tmeta.get("namespace") or ns) != (name, ns):
        yield _text(tmeta.get("namespace")) or ns, _text(tmeta.get("name")), facts


def _certificate(obj: dict):
    spec = _dict(obj.get("spec"))
    ns, name = _meta(obj)
    if spec.get("secretName"):
        # tls.crt and tls.key are always written; ca.crt and additional formats may be
        yield (
            ns,
            _text(spec["secretName"]),
            SourceFacts((), frozenset({"tls.crt", "tls.key"}), True, f"Certificate {ns}/{name}"),
        )


def _same_name(label: str):
    def produce(obj: dict):
        ns, name = _meta(obj)
        yield ns, name, SourceFacts((), frozenset(), True, f"{label} {ns}/{name}")

    return produce


def _vault(obj: dict):
    spec = _dict(obj.get("spec"))
    dest = _dict(spec.get("destination"))
    ns, name = _meta(obj)
    if dest.get("create") is True and dest.get("name"):
        yield ns, _text(dest["name"]), SourceFacts((), frozenset(), True, f"{obj.get('kind')} {ns}/{name}")


def _managed(reference: str, namespace_key: str, name_key: str):
    """A secret manager's object that writes the Secret named in ``spec.<reference>``
    (its values live in the manager: known to exist, unknown offline)."""

    def producer(obj: dict):
        ns, name = _meta(obj)
        ref = _dict(_dict(obj.get("spec")).get(reference))
        if ref.get(name_key):
            yield (
                _text(ref.get(namespace_key)) or ns,
                _text(ref[name_key]),
                SourceFacts((), frozenset(), True, f"{obj.get('kind')} {ns}/{name}"),
            )

    return producer


def _connection_secret(obj: dict):
    """Crossplane: a managed resource, composite or claim writes its connection details."""
    ref = _dict(_dict(obj.get("spec")).get("writeConnectionSecretToRef"))
    ns, name = _meta(obj)
    if ref.get("name"):
        yield (
            _text(ref.get("namespace")) or ns,
            _text(ref["name"]),
            SourceFacts((), frozenset(), True, f"{obj.get('kind')} {ns}/{name} (writeConnectionSecretToRef)"),
        )


# (API group, kind) -> the Secrets an object of that kind makes its controller create.
# Each is a controller whose documented job is to write a Secret named in the object:
PRODUCERS = {
    # external-secrets: the Secret is spec.target.name, defaulting to the ExternalSecret's name
    ("external-secrets.io", "ExternalSecret"): _external_secret,
    # sealed-secrets: the Secret takes the SealedSecret's name and namespace
    ("bitnami.com", "SealedSecret"): _sealed_secret,
    # cert-manager: the key pair lands in spec.secretName
    ("cert-manager.io", "Certificate"): _certificate,
    # 1Password Connect operator: a Secret named like the item
    ("onepassword.com", "OnePasswordItem"): _same_name("OnePasswordItem"),
    # Vault Secrets Operator: spec.destination.name when destination.create is set
    ("secrets.hashicorp.com", "VaultStaticSecret"): _vault,
    ("secrets.hashicorp.com", "VaultDynamicSecret"): _vault,
    ("secrets.hashicorp.com", "VaultPKISecret"): _vault,
    ("secrets.hashicorp.com", "HCPVaultSecretsApp"): _vault,
    # Infisical and Doppler operators: the managed Secret they name
    ("secrets.infisical.com", "InfisicalSecret"): _managed(
        "managedSecretReference", "secretNamespace", "secretName"
    ),
    ("secrets.doppler.com", "DopplerSecret"): _managed("managedSecret", "namespace", "name"),
}


def _group(api_version: object) -> str:
    text = _text(api_version)
    return text.rsplit("/", 1)[0] if "/" in text else ""


# -- ClusterExternalSecret: one ExternalSecret per selected namespace ------------


def _selector_matches(selector: dict, labels: dict | None) -> bool:
    """A Kubernetes label selector; ``labels`` None (namespace not in Git): may match."""
    if labels is None:
        return True
    for k, v in _dict(selector.get("matchLabels")).items():
        if labels.get(str(k)) != _text(v):
            return False
    for expr in selector.get("matchExpressions") or []:
        expr = _dict(expr)
        key, op = _text(expr.get("key")), expr.get("operator")
        values = {_text(v) for v in expr.get("values") or []}
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


@dataclass(frozen=True)
class _ClusterES:
    """A ClusterExternalSecret: the Secret ``name`` in every namespace it selects."""

    name: str
    facts: SourceFacts
    namespaces: frozenset[str]
    selectors: tuple[dict, ...]

    def selects(self, namespace: str, labels: dict | None) -> bool:
        if namespace in self.namespaces:
            return True
        return any(_selector_matches(s, labels) for s in self.selectors)


def _cluster_external_secret(obj: dict) -> _ClusterES | None:
    spec = _dict(obj.get("spec"))
    es_spec = _dict(spec.get("externalSecretSpec"))
    target = _dict(es_spec.get("target"))
    if target.get("creationPolicy") == "None":
        return None
    _, name = _meta(obj)
    es_name = _text(spec.get("externalSecretName")) or name
    keys, is_open = _eso_keys(es_spec)
    selectors = [_dict(s) for s in spec.get("namespaceSelectors") or []]
    if isinstance(spec.get("namespaceSelector"), dict):
        selectors.append(spec["namespaceSelector"])
    return _ClusterES(
        _text(target.get("name")) or es_name,
        SourceFacts((), keys, is_open, f"ClusterExternalSecret {name}"),
        frozenset(_text(n) for n in spec.get("namespaces") or []),
        tuple(selectors),
    )


@dataclass
class SourceIndex:
    """ConfigMaps and Secrets of one cluster, with what is known of each; filled as objects render."""

    manifests: dict[tuple[str, str, str], SourceFacts] = field(default_factory=dict)
    produced: dict[tuple[str, str, str], SourceFacts] = field(default_factory=dict)
    cluster_wide: list[_ClusterES] = field(default_factory=list)
    namespace_labels: dict[str, dict] = field(default_factory=dict)

    def add(self, obj: dict, namespace: str) -> None:
        """Take note of one rendered object (``namespace``: its effective namespace)."""
        kind = obj.get("kind")
        if kind in ("ConfigMap", "Secret") and obj.get("apiVersion") == "v1":
            _, name = _meta(obj)
            self.manifests[(str(kind), namespace, name)] = manifest_facts(obj)
            return
        if kind == "Namespace" and obj.get("apiVersion") == "v1":
            labels = _dict(_dict(obj.get("metadata")).get("labels"))
            self.namespace_labels[_meta(obj)[1]] = {str(k): _text(v) for k, v in labels.items()}
            return
        group = _group(obj.get("apiVersion"))
        if kind == "ClusterExternalSecret" and group == "external-secrets.io":
            ces = _cluster_external_secret(obj)
            if ces is not None:
                self.cluster_wide.append(ces)
            return
        produce = PRODUCERS.get((group, str(kind)))
        if produce is None and isinstance(_dict(obj.get("spec")).get("writeConnectionSecretToRef"), dict):
            produce = _connection_secret
        if produce is None:
            return
        for ns, name, facts in produce(obj):
            self.produced[("Secret", ns or namespace, name)] = facts

    def lookup(self, kind: str, namespace: str, name: str) -> SourceFacts | None:
        """What ``kind/namespace/name`` offers; None when nothing in the cluster makes it exist.

        A producer wins over a manifest of the same name: its controller writes
        the values in the cluster.
        """
        key = (kind, namespace, name)
        found = self.produced.get(key)
        if found is not None:
            return found
        found = self.manifests.get(key)
        if found is not None:
            return found
        if kind == "Secret":
            labels = self.namespace_labels.get(namespace)
            for ces in self.cluster_wide:
                if ces.name == name and ces.selects(namespace, labels):
                    return ces.facts
        return None


def configured_facts(
    ident: str, external: Iterable[str], variables: dict[str, dict[str, str]]
) -> SourceFacts | None:
    """A source the config declares: stand-in values, or external with nothing known."""
    if ident in variables:
        return SourceFacts(
            tuple(sorted(variables[ident].items())), frozenset(), False, "variables: in the config"
        )
    if ident in set(external):
        return SourceFacts((), frozenset(), True, "declared external in the config")
    return None


@derivable
def names_any(raw: bytes, names: tuple[str, ...] | list[str]) -> bool:
    """Whether a file's bytes spell any of ``names`` (``RepoFS.derive``: the files that do
    not are never parsed, and a change that keeps them so changes nothing)."""
    return any(n.encode() in raw for n in names)


def unapplied_manifests(fs, idents: Iterable[str]) -> dict[str, str]:
    """For each missing "Kind/ns/name", the first YAML file of the repository defining it.

    Such a file is applied by no Flux Kustomization of the cluster (else the
    source would not be missing): typically a bootstrap step (a Taskfile, a
    helmfile hook, ``kubectl apply``) creates the object from it. Only asked
    for when a source is missing; files are parsed apart from the document
    cache, so they neither count as linted nor raise findings of their own.
    """
    from ..core.fs import FileTooLarge, OutsideRoot  # noqa: PLC0415 - only on this rare path
    from ..load.loader import parse_text  # noqa: PLC0415

    wanted: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for ident in idents:
        kind, ns, name = ident.split("/", 2)
        wanted.setdefault((kind, name), []).append((ns, ident))
    found: dict[str, str] = {}
    loose: dict[str, str] = {}  # a manifest without a namespace: second choice
    if not wanted:
        return found
    names = tuple(sorted({name for _, name in wanted}))
    for rel in fs.walk_files(""):
        try:
            if not fs.derive(rel, names_any, names):
                continue
            raw = fs.read_bytes(rel)
        except (OSError, OutsideRoot, FileTooLarge):
            continue
        try:
            docs = parse_text(raw.decode("utf-8"), rel).documents
        except (UnicodeDecodeError, ValueError, RecursionError):
            continue
        for doc in docs:
            data = doc.data if isinstance(doc.data, dict) else {}
            ns, name = _meta(data)
            for want_ns, ident in wanted.get((_text(data.get("kind")), name), ()):
                if ns == want_ns:
                    found.setdefault(ident, rel)
                elif ns == "":
                    loose.setdefault(ident, rel)
    return {**loose, **found}
