"""Which Kubernetes serves which apiVersion/kind, read from the shipped schemas.

kubernetes-validate ships one schema set per Kubernetes minor (1.25 onward).
A kind's ``x-kubernetes-group-version-kind`` in a version's definitions says
that this Kubernetes serves it; the definition's own description says when
the API is deprecated ("Deprecated: This API is deprecated in v1.33+. Use
discoveryv1.EndpointSlice."). So removals and deprecations are derived from
the data, never written from memory: an apiVersion/kind that an older shipped
version serves and the chosen one does not was removed in the first version
after the last one serving it. An apiVersion that no shipped version serves,
of a group Kubernetes serves, for a kind Kubernetes serves elsewhere, was
removed before the oldest shipped version (``apps/v1beta1 Deployment``).

The other versions' definitions are read only when an object's apiVersion is
not served by the chosen version (about 20 ms each), once per process.
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..core.data_files import bundled
from ..core.versions import kube_minor
from .core import available_versions, core_schemas, dir_for, loaded, schema_root

# The one API group Kubernetes dropped entirely before 1.25 (its last kinds,
# Ingress and friends, went in 1.22), so no shipped schema names it.
RETIRED_GROUPS = frozenset({"extensions"})

_DEPRECATED = re.compile(r"Deprecated: This API is deprecated in v(\d+)\.(\d+)\+\.?[ \t]*(Use [^\n]+)?")
_USE = re.compile(r"Use (?:[a-z]+)v\d+(?:alpha\d+|beta\d+)?\.([A-Z]\w+)")
_STABILITY = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


@dataclass(frozen=True)
class KubeApi:
    """What the shipped schemas say about one apiVersion/kind at one Kubernetes version."""

    api_version: str
    kind: str
    # "deprecated" (still served, the schema says deprecated), "removed-later" (still
    # served, a newer shipped version does not), "removed", "removed-before" (no shipped
    # version serves it)
    state: str
    since: tuple[int, int] | None  # deprecated since / removed in; None for "removed-before"
    replacement: str  # "apiVersion Kind" served at the chosen version ("" when none)
    oldest: str  # the oldest shipped Kubernetes minor, for "removed before" messages


_MINORS: dict[str, tuple[int, int]] = {}  # shipped version -> (major, minor): a few entries


def _minor(version: str) -> tuple[int, int]:
    """(major, minor) of a shipped schema version, which is always well formed."""
    minor = _MINORS.get(version)
    if minor is None:
        minor = kube_minor(version)
        if minor is None:
            raise ValueError(f"not a Kubernetes version: {version!r}")
        if len(_MINORS) < 256:  # shipped versions only in practice; bounded all the same
            _MINORS[version] = minor
    return minor


_SERVED: dict[str, dict[tuple[str, str], str]] = {}


def _definitions(version: str) -> dict:
    """The version's definitions: those the core schemas already hold, else read."""
    schemas = loaded(version)
    if schemas is not None:
        return schemas.definitions
    directory = dir_for(version)
    if directory is None:
        return {}
    with open(os.path.join(directory, "_definitions.json"), encoding="utf-8") as fh:
        return json.load(fh).get("$defs", {})


def served(version: str) -> dict[tuple[str, str], str]:
    """(apiVersion, kind) -> the kind's description, for what Kubernetes ``version`` serves.
    From :data:`SERVED_FILE` when the version's schemas are not in memory: there, of the
    description, only its deprecation notice (what :func:`judge` reads of it), else "".

    A kind counts only under its own type (``io.k8s.api.apps.v1.Deployment``),
    not the meta kinds every group version lists (WatchEvent, DeleteOptions).
    """
    found = _SERVED.get(version)
    if found is not None:
        return found
    shipped = shipped_table().served(version) if loaded(version) is None else None
    if shipped is not None:
        _SERVED[version] = shipped
        return shipped
    found = {}
    defs = _definitions(version)
    if defs:
        for name, d in defs.items():
            for gvk in d.get("x-kubernetes-group-version-kind") or []:
                kind = gvk.get("kind", "")
                if not name.endswith("." + kind):
                    continue
                group, ver = gvk.get("group", ""), gvk.get("version", "")
                found[(f"{group}/{ver}" if group else ver, kind)] = d.get("description") or ""
    _SERVED[version] = found
    return found


# a "kind" key's string value in a definitions file, read as bytes (every served kind is
# written so: tests/test_kube_apis_kinds.py checks it on the installed schemas)
_KIND_TEXT = re.compile(rb'"kind"\s*:\s*"([^"\\]*)"')
_KINDS: dict[str, frozenset[str] | None] = {}
#: the kinds each version's definitions file names, and its API groups, for one
#: kubernetes-validate release (tools/gen_kube_kinds.py): scanning the 13 files (17 MB)
#: costs ~15 ms in every process that meets a kind the chosen version does not serve
KINDS_FILE = bundled("kube-kinds.json")
#: what each version serves, with deprecation notices (tools/gen_kube_kinds.py)
SERVED_FILE = bundled("kube-served.json")


def kinds_named(version: str) -> frozenset[str] | None:
    """Every kind a version's definitions file names, found in its text without parsing it
    (a few milliseconds; parsing and indexing it takes several times that, and most
    calls of :func:`history` are for a kind no shipped version has, a CRD of a
    ``*.k8s.io`` group such as the Gateway API's): a kind not named is not served.
    None when the file cannot be read (:func:`served` then says what it says). Taken
    from :data:`KINDS_FILE` when it was made from the installed kubernetes-validate."""
    if version not in _KINDS:
        shipped = shipped_table().kinds(version)
        _KINDS[version] = shipped if shipped is not None else scan_kinds(version)
    return _KINDS[version]


def scan_kinds(version: str) -> frozenset[str] | None:
    """:func:`kinds_named` read from the version's definitions file itself."""
    directory = dir_for(version)
    if directory is None:
        return frozenset()
    try:
        with open(os.path.join(directory, "_definitions.json"), "rb") as fh:
            text = fh.read()
        return frozenset(m.decode("utf-8") for m in _KIND_TEXT.findall(text))
    except (OSError, UnicodeDecodeError):
        return None


def kinds_stamp() -> str | None:
    """What :data:`KINDS_FILE` must have been made from: the installed kubernetes-validate,
    by the one ``kubernetes_validate-<release>.dist-info`` beside its package (as
    importlib.metadata finds it; importing that costs a run ~10 ms, see
    core.entry_points). None when there is not exactly one (each version is scanned)."""
    root = schema_root()
    if root is None:
        return None
    site = os.path.dirname(os.path.dirname(root))
    prefix, suffix = "kubernetes_validate-", ".dist-info"
    try:
        found = [n for n in os.listdir(site) if n.startswith(prefix) and n.endswith(suffix)]
    except OSError:
        return None
    return f"kubernetes-validate {found[0][len(prefix) : -len(suffix)]}" if len(found) == 1 else None


class ShippedTable:
    """The tables made ahead, read: by version, the kinds its definitions file names and
    its API groups (``CoreSchemas.groups``), both in :data:`KINDS_FILE` (small, read by
    most runs: the schema registry rules out a CRD's kind by them), and what it serves
    (:func:`served`, descriptions cut to their deprecation notice: :data:`SERVED_FILE`,
    read only when first asked for: a cold run parses the definitions anyway), each
    version's taken from the JSON when first asked for. Empty when a file is missing,
    damaged, or made from another kubernetes-validate than the installed one; a version
    whose entries are not well formed is not in it either: each version's definitions
    file is read then."""

    def __init__(
        self, kinds: dict | None = None, served_file: Path | None = None, groups: dict | None = None
    ):
        self._kinds = kinds if isinstance(kinds, dict) else {}
        self._groups = groups if isinstance(groups, dict) else {}
        self._served_file = served_file
        self._served: dict | None = None  # as read
        self._made: dict[str, frozenset[str] | None] = {}
        self._made_groups: dict[str, frozenset[str] | None] = {}
        self._made_served: dict[str, dict | None] = {}

    def versions(self) -> list[str]:
        return [v for v in self._kinds if self.kinds(v) is not None]

    def kinds(self, version: str) -> frozenset[str] | None:
        if version not in self._made:
            names = self._kinds.get(version)
            self._made[version] = frozenset(names) if _strings(names) else None
        return self._made[version]

    def groups(self, version: str) -> frozenset[str] | None:
        if version not in self._made_groups:
            known = self._groups.get(version)
            ok = self.kinds(version) is not None and _strings(known)
            self._made_groups[version] = frozenset(known) if ok else None
        return self._made_groups[version]

    def served(self, version: str) -> dict[tuple[str, str], str] | None:
        if version not in self._made_served:
            pairs = self._read_served().get(version)
            ok = self.kinds(version) is not None and isinstance(pairs, list)
            ok = ok and all(isinstance(p, list) and len(p) == 3 and _strings(p) for p in pairs)
            self._made_served[version] = {(a, k): notice for a, k, notice in pairs} if ok else None
        return self._made_served[version]

    def _read_served(self) -> dict:
        if self._served is None:
            payload = _read_stamped(self._served_file) if self._served_file is not None else None
            served = payload.get("served") if payload is not None else None
            self._served = served if isinstance(served, dict) else {}
        return self._served


def _read_stamped(path: Path) -> dict | None:
    """A table's JSON, when it was made from the installed kubernetes-validate."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return payload if isinstance(payload, dict) and payload.get("stamp") == kinds_stamp() else None


@functools.lru_cache(maxsize=1)
def shipped_table() -> ShippedTable:
    payload = _read_stamped(KINDS_FILE)
    if payload is None:
        return ShippedTable()
    return ShippedTable(payload.get("kinds"), SERVED_FILE, payload.get("groups"))


def _strings(values) -> bool:
    return isinstance(values, list) and all(isinstance(v, str) for v in values)


def shipped_kinds() -> dict[str, frozenset[str]]:
    """:data:`KINDS_FILE`'s kinds by version (:class:`ShippedTable`)."""
    table = shipped_table()
    return {version: table.kinds(version) for version in table.versions()}


def served_groups(version: str) -> frozenset[str]:
    """The API groups Kubernetes ``version`` serves (``CoreSchemas.groups``), from
    :data:`KINDS_FILE` when the version's schemas are not in memory."""
    if loaded(version) is None:
        shipped = shipped_table().groups(version)
        if shipped is not None:
            return shipped
    return core_schemas(version).groups()


def deprecation_notice(description: str) -> str:
    """What :func:`judge` reads of a kind's description: its deprecation notice, or ""."""
    m = _DEPRECATED.search(description)
    return m.group(0) if m is not None else ""


def history(api_version: str, kind: str) -> list[str]:
    """The shipped Kubernetes minors that serve apiVersion/kind, oldest first."""
    out = []
    for v in available_versions():
        if v not in _SERVED and loaded(v) is None:  # not in memory: is the kind named at all?
            names = kinds_named(v)
            if names is not None and kind not in names:
                continue
        if (api_version, kind) in served(v):
            out.append(v)
    return out


def is_kubernetes_group(group: str, version: str) -> bool:
    """Could Kubernetes serve ``group``? The groups the chosen version serves, the
    retired ones, and Kubernetes' own naming: the legacy groups without a dot and
    ``*.k8s.io``. Cheap on purpose: a CRD's group (cert-manager.io, ...) is
    rejected without reading the other versions' schemas."""
    return (
        group in served_groups(version)
        or group in RETIRED_GROUPS
        or "." not in group
        or group.endswith(".k8s.io")
    )


_BY_KIND: dict[str, dict[str, list[str]]] = {}


def _api_versions(kind: str, version: str) -> list[str]:
    """The apiVersions under which Kubernetes ``version`` serves ``kind``."""
    index = _BY_KIND.get(version)
    if index is None:
        index = _BY_KIND[version] = {}
        for a, k in served(version):
            index.setdefault(k, []).append(a)
    return index.get(kind, [])


def _stability(api_version: str) -> tuple:
    m = _STABILITY.match(api_version.rpartition("/")[2])
    if m is None:
        return (0, 0, 0)
    rank = {"alpha": 1, "beta": 2, None: 3}[m.group(2)]
    return (rank, int(m.group(1)), int(m.group(3) or 0))


def replacement(kind: str, group: str, version: str) -> str:
    """The most stable apiVersion of ``kind`` that Kubernetes ``version`` serves,
    in ``group`` when it has one, as ``"apiVersion Kind"``; "" when none."""
    candidates = _api_versions(kind, version)
    if not candidates:
        return ""
    same = [a for a in candidates if a.rpartition("/")[0] == group]
    best = max(same or candidates, key=lambda a: (_stability(a), a))
    return f"{best} {kind}"


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0]


def judge(api_version: str, kind: str, version: str) -> KubeApi | None:
    """What Kubernetes ``version`` (a shipped minor, "1.34") does with apiVersion/kind,
    when it is deprecated or no longer served; None otherwise (served, not a
    Kubernetes API, or not served yet)."""
    versions = available_versions()
    if not versions or version not in versions:
        return None
    group = _group(api_version)
    now = served(version)
    description = now.get((api_version, kind))
    if description is not None:
        m = _DEPRECATED.search(description)
        if m is not None:
            use = _USE.search(m.group(3) or "")
            instead = replacement(use.group(1), "", version) if use else ""
            since = (int(m.group(1)), int(m.group(2)))
            return KubeApi(api_version, kind, "deprecated", since, instead, versions[0])
        mine, key = _minor(version), (api_version, kind)
        gone = [v for v in versions if _minor(v) > mine and key not in served(v)]
        if not gone:
            return None
        instead = replacement(kind, group, version)
        if instead == f"{api_version} {kind}":  # nothing else served yet: what the removal brings
            instead = replacement(kind, group, gone[0])
        return KubeApi(api_version, kind, "removed-later", _minor(gone[0]), instead, versions[0])
    if not is_kubernetes_group(group, version):
        return None  # not a Kubernetes API group: a CRD's business
    instead = replacement(kind, group, version)
    older = [v for v in history(api_version, kind) if _minor(v) < _minor(version)]
    if older:
        after = [v for v in versions if _minor(v) > _minor(older[-1])]
        return KubeApi(api_version, kind, "removed", _minor(after[0]), instead, versions[0])
    if history(api_version, kind) or not instead:
        return None  # served only by newer versions (not yet introduced), or an unknown kind
    return KubeApi(api_version, kind, "removed-before", None, instead, versions[0])
