"""``--fix``: safe, mechanical edits for findings whose remedy is unambiguous.

A fixer is keyed by rule name. It receives the finding (rule, file, line,
object) and the file it points at, parsed with ruamel.yaml's round-trip
loader, and returns the edits it wants (set a scalar, insert a key) or the
reason it leaves the finding alone. Fixers never look at a rule's message
text, only at the finding's position and object and at the document itself,
so a rule's wording can change freely.

Edits are applied to the file's text at the positions ruamel.yaml reports,
not by re-dumping the document: everything outside the edited scalar or the
inserted line stays byte for byte as it was (comments, key order, quoting,
indentation, line endings, document markers). After each edit, the new text
is parsed again and must equal the old data with exactly the intended
changes; otherwise nothing is written for that finding. It is parsed by
gitops-lint's own loader where that loader and ruamel.yaml read the file
before the edit as the same data (ruamel.yaml is pure Python: 2 ms for a
600-byte file, twenty times libyaml), by ruamel.yaml everywhere else
(:func:`_verified`).

A fix must never leave a repository kustomize refuses: adding ``namespace:
ns1`` to one of two same-named objects gives both one identity. Before
anything is written (or shown by ``--diff``), the repository is linted again
as it would be after the fixes, through a read-only overlay of the fixed
texts (:class:`OverlayFS`), by the rules that say a build or an apply breaks
(:data:`BREAKING`). A fixed file whose changes add such a finding is not
fixed: its fixes are reported as left, with the finding that refused them.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import stat
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .core.data import FLUX_KS_GROUP, Finding, Severity, group_of
from .core.fs import FileTooLarge, OutsideRoot, RepoFS
from .schema.deprecations import flux_api_introduced

if TYPE_CHECKING:
    from .load.loader import LoadedFile

# -- edits -------------------------------------------------------------------


@dataclass(frozen=True)
class SetScalar:
    """Replace the scalar at ``path`` (keys from the document root) with ``value``."""

    doc: int
    path: tuple
    value: Any
    text: str  # the YAML text of the new value, written in the old quoting style


@dataclass(frozen=True)
class InsertKey:
    """Insert ``key: text`` into the block mapping at ``path``, on its own line after ``after``."""

    doc: int
    path: tuple
    after: str
    key: str
    value: Any
    text: str


Edit = SetScalar | InsertKey


@dataclass(frozen=True)
class Leave:
    """A fixable finding that is left alone, and why."""

    reason: str


@dataclass
class Applied:
    finding: Finding
    description: str


@dataclass
class Left:
    finding: Finding
    reason: str


@dataclass
class FixReport:
    applied: list[Applied] = field(default_factory=list)
    left: list[Left] = field(default_factory=list)
    unfixable: int = 0  # findings of rules that have no fixer
    before: dict[str, str] = field(default_factory=dict)  # file -> text, for changed files
    after: dict[str, str] = field(default_factory=dict)

    def diff(self) -> str:
        out = []
        for path in sorted(self.after):
            out.extend(
                difflib.unified_diff(
                    self.before[path].splitlines(keepends=True),
                    self.after[path].splitlines(keepends=True),
                    fromfile=f"a/{path}",
                    tofile=f"b/{path}",
                )
            )
        return "".join(
            line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in out
        )

    def summary_lines(self) -> list[str]:
        lines = [
            f"fixed {a.finding.file}:{a.finding.line} {a.finding.rule}: {a.description}" for a in self.applied
        ]
        lines += [f"left {x.finding.file}:{x.finding.line} {x.finding.rule}: {x.reason}" for x in self.left]
        lines.append(
            f"{len(self.applied)} fixed, {len(self.left)} left"
            + (f", {self.unfixable} without an automatic fix" if self.unfixable else "")
            + f"; {len(self.after)} file{'s' * (len(self.after) != 1)} changed."
        )
        return lines


# -- the parsed file a fixer works on ------------------------------------------


def _yaml():
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.allow_duplicate_keys = True
    return y


def _refusals() -> tuple[type[BaseException], ...]:
    """What ruamel raises on YAML it refuses (some that libyaml accepts), or that nests too
    deep; its constructors convert scalars with Python's conversions (ValueError).
    Anything else is a bug of gitops-lint, not a file that cannot be edited."""
    from ruamel.yaml import YAMLError

    return (YAMLError, ValueError, RecursionError)


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


class SourceFile:
    """One YAML file: its text and its round-trip documents (with positions)."""

    def __init__(self, rel: str, text: str, *, parse: bool = True):
        self.rel = rel
        self.text = text
        # ruamel.yaml's parse (a pure-Python parser: milliseconds for the smallest file), now;
        # without ``parse`` (:meth:`edited`), at first use: a file's last edit is never read back
        self._docs: list[Any] | None = list(_yaml().load_all(text)) if parse else None
        self._plain_docs: list[Any] | None = None
        self._agrees: bool | None = None  # loader_agrees(), asked once
        self.lines = text.splitlines(keepends=True)
        # namespaces named by the other YAML files of this file's directory (set by the driver)
        self.directory_namespaces: Callable[[], set[str]] = set
        # the Flux minor of the finding's cluster (None: unknown): a replacement
        # apiVersion that Flux does not serve yet would break the apply
        self.flux_version: tuple[int, int] | None = None

    @classmethod
    def edited(cls, rel: str, text: str, data: list[Any]) -> SourceFile:
        """The file after an edit :func:`_verified` checked (``data``: its documents as it
        verified them): parsed by ruamel.yaml only if a later fix of it needs positions."""
        src = cls(rel, text, parse=False)
        src._plain_docs = data
        src._agrees = True  # the loader read its text as ``data``: what the verification checked
        return src

    @property
    def docs(self) -> list[Any]:
        if self._docs is None:
            self._docs = list(_yaml().load_all(self.text))
        return self._docs

    def plain(self) -> list[Any]:
        """The documents as plain data (:func:`_plain`), made once."""
        if self._plain_docs is None:
            self._plain_docs = [_plain(d) for d in self.docs]
        return self._plain_docs

    def loader_agrees(self) -> bool:
        """Whether gitops-lint's loader reads the text as exactly the data :meth:`plain` holds
        (:func:`_verified`), asked once per text: a file edited several times is checked
        once, and each edit the loader verified leaves a text it read so."""
        if self._agrees is None:
            from .load.loader import parse_text

            loaded = parse_text(self.text, self.rel, kyaml=False)
            self._agrees = not loaded.errors and [d.data for d in loaded.documents] == self.plain()
        return self._agrees

    @property
    def newline(self) -> str:
        return "\r\n" if "\r\n" in self.text else "\n"

    def start_line(self, index: int) -> int:
        """1-based line of a document's first node."""
        doc = self.docs[index]
        lc = getattr(doc, "lc", None)
        return (lc.line + 1) if lc is not None and lc.line is not None else 1

    def doc_for(self, finding: Finding, match: Callable[[Any], bool] | None = None) -> int | None:
        """The document a finding points at: among those ``match`` accepts (or all), the one
        that holds the finding's object when exactly one does, else the last that starts at
        or before the finding's line."""
        if self._docs is None and not any(
            isinstance(d, dict) and (match is None or match(d)) for d in self.plain()
        ):
            # an edited file none of whose documents can be it (the same object's finding in
            # another cluster, fixed already): known from its data, without ruamel.yaml
            return None
        candidates = [
            i for i, d in enumerate(self.docs) if isinstance(d, dict) and (match is None or match(d))
        ]
        if not candidates:
            return None
        if finding.object is not None:
            named = [
                i
                for i in candidates
                if _meta(self.docs[i]).get("name") == finding.object.name
                and self.docs[i].get("kind") == finding.object.kind
            ]
            if len(named) == 1:
                return named[0]
            if named:
                candidates = named
        before = [i for i in candidates if self.start_line(i) <= finding.line]
        return before[-1] if before else candidates[0]


def _meta(doc: Any) -> dict:
    meta = doc.get("metadata") if isinstance(doc, dict) else None
    return meta if isinstance(meta, dict) else {}


def _node(doc: Any, path: tuple) -> Any:
    for key in path:
        doc = doc[key]
    return doc


# -- applying edits to text ------------------------------------------------------

_PLAIN_END = re.compile(r"\s+#|\s*$")


def _scalar_span(line: str, col: int) -> tuple[int, int] | None:
    """Column span of the scalar token starting at ``col`` (quoted or plain, one line)."""
    if col >= len(line):
        return None
    quote = line[col]
    if quote in "\"'":
        i = col + 1
        while i < len(line):
            if line[i] == quote:
                if quote == "'" and line[i + 1 : i + 2] == "'":
                    i += 2
                    continue
                return col, i + 1
            if quote == '"' and line[i] == "\\":
                i += 1
            i += 1
        return None
    if quote in "|>[{&*!":
        return None  # block scalars, flow collections, anchors, tags: not a one-line plain scalar
    body = line[col:].rstrip("\r\n")
    m = _PLAIN_END.search(body)
    end = col + (m.start() if m else len(body))
    return (col, end) if end > col else None


def _apply(src: SourceFile, edit: Edit) -> str:
    lines = list(src.lines)
    doc = src.docs[edit.doc]
    if isinstance(edit, SetScalar):
        parent = _node(doc, edit.path[:-1])
        line, col = parent.lc.value(edit.path[-1])
        span = _scalar_span(lines[line], col)
        if span is None:
            raise _Refused("the value is not a one-line scalar")
        old = lines[line][span[0] : span[1]]
        new = edit.text
        if old[:1] in "\"'" and new[:1] not in "\"'":
            new = f"{old[0]}{new}{old[0]}"  # keep the author's quoting
        lines[line] = lines[line][: span[0]] + new + lines[line][span[1] :]
        return "".join(lines)
    mapping = _node(doc, edit.path)
    if getattr(mapping, "fa", None) is not None and mapping.fa.flow_style():
        raise _Refused("the mapping is written in flow style")
    kline, kcol = mapping.lc.key(edit.after)
    vline, vcol = mapping.lc.value(edit.after)
    if vline != kline or _scalar_span(lines[vline], vcol) is None:
        raise _Refused(f"{edit.after!r} does not hold a one-line scalar")
    nl = src.newline
    if not lines[kline].endswith(("\n", "\r")):
        lines[kline] += nl
    lines.insert(kline + 1, " " * kcol + f"{edit.key}: {edit.text}{nl}")
    return "".join(lines)


class _Refused(Exception):
    pass


def _expected(src: SourceFile, edit: Edit) -> list[Any]:
    docs = [_plain(d) for d in src.docs]  # a copy: src.plain() is the data before the edit
    target = _node(docs[edit.doc], edit.path[:-1] if isinstance(edit, SetScalar) else edit.path)
    if isinstance(edit, SetScalar):
        target[str(edit.path[-1])] = edit.value
    else:
        target[edit.key] = edit.value
    return docs


def apply_edits(src: SourceFile, edits: list[Edit]) -> SourceFile:
    """The file after ``edits``, each verified by parsing the result again."""
    for edit in edits:
        expected = _expected(src, edit)
        text = _apply(src, edit)
        after = _verified(src, text, expected)
        if after is None:
            try:
                after = SourceFile(src.rel, text)
            except _refusals() as exc:  # the edit broke the YAML: never write that
                raise _Refused(f"the edited file would not parse ({type(exc).__name__})") from None
            if after.plain() != expected:
                raise _Refused("the edit would change more than the intended value")
        src = after
    return src


def _verified(src: SourceFile, text: str, expected: list[Any]) -> SourceFile | None:
    """The file after an edit, verified by gitops-lint's own loader (libyaml: a tenth of a
    millisecond where ruamel.yaml takes two), or None: ruamel.yaml verifies it then, as it
    always did. Only where both parsers read the file before the edit as the same data, so
    that either one reading the edited text as the data intended says the same."""
    from .load.loader import parse_text

    if not src.loader_agrees():
        return None
    after = parse_text(text, src.rel, kyaml=False)
    if after.errors or [d.data for d in after.documents] != expected:
        return None
    return SourceFile.edited(src.rel, text, expected)


# -- fixers ------------------------------------------------------------------------

Fixer = Callable[[SourceFile, Finding], "list[Edit] | Leave"]
FIXERS: dict[str, Fixer] = {}


def fixer(rule: str) -> Callable[[Fixer], Fixer]:
    def register(fn: Fixer) -> Fixer:
        FIXERS[rule] = fn
        return fn

    return register


def _is_flux_ks(doc: Any) -> bool:
    return doc.get("kind") == "Kustomization" and group_of(str(doc.get("apiVersion") or "")) == FLUX_KS_GROUP


@fixer("crd-prune")
def fix_crd_prune(src: SourceFile, finding: Finding) -> list[Edit] | Leave:
    """``spec.prune: false`` on the Flux Kustomization that applies CRDs with pruning on.

    The alternative remedy, annotating each CRD ``kustomize.toolkit.fluxcd.io/prune:
    disabled``, keeps pruning for the rest of the layer but touches files the layer may
    share with others; the CRD layer's own switch is the one-line, local change.
    """
    i = src.doc_for(finding, _is_flux_ks)
    if i is None:
        return Leave("no Flux Kustomization in the file the finding points at")
    doc = src.docs[i]
    spec = doc.get("spec")
    if not isinstance(spec, dict) or "prune" not in spec:
        return Leave("the Kustomization has no spec.prune of its own here (set by a patch or default?)")
    if spec["prune"] is not True:
        return Leave(f"spec.prune is {spec['prune']!r} in the file, not true (substituted or patched?)")
    return [SetScalar(i, ("spec", "prune"), False, "false")]


# apiVersion replacements that keep every field of the object meaning the same, keyed by
# (old apiVersion, kind); the value is the new apiVersion and the spec fields the new
# version removed (an object that uses one is left for a person). Flux: the API
# migration notes of each release (FLUX-SEMANTICS.md 4.1/4.2: v2.0 Kustomization and
# GitRepository v1, v2.3 HelmRelease v2 and HelmRepository/HelmChart v1, v2.4 Bucket v1,
# v2.6 OCIRepository v1, v2.7 image-automation v1); Kubernetes: the deprecated API migration guide, only the moves
# that renamed nothing.
_FLUX_SOURCE = ("GitRepository", "HelmRepository", "HelmChart", "Bucket", "OCIRepository")
_REMOVED_SOURCE = {
    "GitRepository": ("spec.gitImplementation", "spec.accessFrom"),
    "HelmRepository": ("spec.accessFrom",),
    "HelmChart": ("spec.valuesFile", "spec.accessFrom"),
    "Bucket": ("spec.accessFrom",),
    "OCIRepository": (),
}
_REMOVED_KS = ("spec.validation", "spec.patchesStrategicMerge", "spec.patchesJson6902")
_REMOVED_HR = (
    "spec.chart.spec.valuesFile",
    "spec.postRenderers[].kustomize.patchesStrategicMerge",
    "spec.postRenderers[].kustomize.patchesJson6902",
)

API_REPLACEMENTS: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    **{
        (f"kustomize.toolkit.fluxcd.io/{v}", "Kustomization"): ("kustomize.toolkit.fluxcd.io/v1", _REMOVED_KS)
        for v in ("v1beta1", "v1beta2")
    },
    **{
        (f"source.toolkit.fluxcd.io/{v}", kind): ("source.toolkit.fluxcd.io/v1", _REMOVED_SOURCE[kind])
        for v in ("v1beta1", "v1beta2")
        for kind in _FLUX_SOURCE
    },
    **{
        (f"helm.toolkit.fluxcd.io/{v}", "HelmRelease"): ("helm.toolkit.fluxcd.io/v2", _REMOVED_HR)
        for v in ("v2beta1", "v2beta2")
    },
    **{
        (f"image.toolkit.fluxcd.io/{v}", kind): ("image.toolkit.fluxcd.io/v1", ())
        for v in ("v1beta2",)
        for kind in ("ImageRepository", "ImagePolicy", "ImageUpdateAutomation")
    },
    ("notification.toolkit.fluxcd.io/v1beta2", "Receiver"): ("notification.toolkit.fluxcd.io/v1", ()),
    # Alert/Provider have no v1: v1beta3 is current (Flux 2.2). Fields whose meaning moved
    # are treated as removed, so an object that uses them is left for a person.
    ("notification.toolkit.fluxcd.io/v1beta2", "Alert"): (
        "notification.toolkit.fluxcd.io/v1beta3",
        ("spec.summary",),
    ),
    ("notification.toolkit.fluxcd.io/v1beta2", "Provider"): (
        "notification.toolkit.fluxcd.io/v1beta3",
        ("spec.interval",),
    ),
    ("batch/v1beta1", "CronJob"): ("batch/v1", ()),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler"): ("autoscaling/v2", ()),
    ("policy/v1beta1", "PodDisruptionBudget"): ("policy/v1", ()),
    ("rbac.authorization.k8s.io/v1beta1", "Role"): ("rbac.authorization.k8s.io/v1", ()),
    ("rbac.authorization.k8s.io/v1beta1", "RoleBinding"): ("rbac.authorization.k8s.io/v1", ()),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRole"): ("rbac.authorization.k8s.io/v1", ()),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding"): ("rbac.authorization.k8s.io/v1", ()),
    ("scheduling.k8s.io/v1beta1", "PriorityClass"): ("scheduling.k8s.io/v1", ()),
    ("coordination.k8s.io/v1beta1", "Lease"): ("coordination.k8s.io/v1", ()),
    ("storage.k8s.io/v1beta1", "CSIStorageCapacity"): ("storage.k8s.io/v1", ()),
    ("storage.k8s.io/v1beta1", "StorageClass"): ("storage.k8s.io/v1", ()),
    ("node.k8s.io/v1beta1", "RuntimeClass"): ("node.k8s.io/v1", ()),
}


def _uses(doc: Any, dotted: str) -> bool:
    """True when the document sets the field ``a.b[].c`` (``[]``: any item of a list)."""
    nodes = [doc]
    for part in dotted.split("."):
        many = part.endswith("[]")
        key = part[:-2] if many else part
        nxt = []
        for n in nodes:
            if isinstance(n, dict) and key in n:
                v = n[key]
                nxt.extend(v if many and isinstance(v, list) else [] if many else [v])
        nodes = nxt
    return bool(nodes)


@fixer("deprecated-api")
def fix_deprecated_api(src: SourceFile, finding: Finding) -> list[Edit] | Leave:
    """The same object under the replacement apiVersion, when no field changed meaning."""
    want = finding.object

    def match(doc: Any) -> bool:
        if want is None:
            return True
        return doc.get("kind") == want.kind and (
            not want.api_version or doc.get("apiVersion") == want.api_version
        )

    i = src.doc_for(finding, match)
    if i is None:
        return Leave("no document of that apiVersion and kind in the file")
    doc = src.docs[i]
    old, kind = str(doc.get("apiVersion") or ""), str(doc.get("kind") or "")
    replacement = API_REPLACEMENTS.get((old, kind))
    if replacement is None:
        return Leave(f"no field-compatible replacement known for {old} {kind}")
    new, removed = replacement
    since = flux_api_introduced(new, kind)
    if src.flux_version is not None and since is not None and since > src.flux_version:
        return Leave(f"{new} is served from Flux {since[0]}.{since[1]}; this cluster runs an older Flux")
    used = [f for f in removed if _uses(doc, f)]
    if used:
        return Leave(f"{new} removed {', '.join(used)}: migrate by hand")
    return [SetScalar(i, ("apiVersion",), new, new)]


@fixer("missing-namespace")
def fix_missing_namespace(src: SourceFile, finding: Finding) -> list[Edit] | Leave:
    """``metadata.namespace`` from the objects beside it, when they agree on exactly one.

    The objects of the same file (else of the same directory) that name a namespace are
    the evidence; none, or two different ones, is ambiguous and left for a person.
    """
    i = src.doc_for(finding)
    if i is None:
        return Leave("no object in the file the finding points at")
    doc = src.docs[i]
    meta = doc.get("metadata")
    if not isinstance(meta, dict) or "name" not in meta:
        return Leave("the object has no block metadata with a name to place the namespace beside")
    if meta.get("namespace"):
        return Leave("the object already names a namespace in the file")
    found = {
        str(_meta(d).get("namespace")) for j, d in enumerate(src.docs) if j != i and _meta(d).get("namespace")
    }
    where = "file"
    if not found:
        found = src.directory_namespaces()
        where = "directory"
    if len(found) != 1:
        detail = (
            f"the objects of its {where} name {', '.join(sorted(found))}"
            if found
            else "nothing in its file or directory names a namespace"
        )
        return Leave(f"no unambiguous default namespace ({detail})")
    (namespace,) = found
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", namespace):
        return Leave(f"the namespace of the objects beside it, {namespace!r}, is not a plain name")
    return [InsertKey(i, ("metadata",), "name", "namespace", namespace, namespace)]


# -- driver ----------------------------------------------------------------------------


class FileStore:
    """Reads and writes files of the repository, never outside its root."""

    def __init__(self, root: str):
        self.root = os.path.realpath(root)

    def path(self, rel: str) -> str:
        full = os.path.realpath(os.path.join(self.root, rel))
        if os.path.commonpath([full, self.root]) != self.root:
            raise _Refused("the file is outside the repository root")
        return full

    def read(self, rel: str) -> str:
        with open(self.path(rel), encoding="utf-8", newline="") as fh:
            return fh.read()

    def write(self, rel: str, text: str) -> None:
        """Replace ``rel`` atomically, never writing through a link.

        The repository is a stranger's pull request: a committed symlink where the
        temporary file goes, or as the file itself, must not send the write
        elsewhere. The temporary file is created new (``O_EXCL``, which also refuses
        a symlink there) beside the file, then renamed over it.
        """
        if os.path.islink(os.path.join(self.root, rel)):
            raise _Refused("the file is a symlink: fix the file it points to")
        path = self.path(rel)
        mode = stat.S_IMODE(os.stat(path).st_mode) if os.path.exists(path) else 0o644
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        for attempt in range(100):
            tmp = os.path.join(
                os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}-{attempt}.gitops-lint-fix"
            )
            try:
                fd = os.open(tmp, flags, mode)
                break
            except FileExistsError:
                continue
        else:
            raise _Refused("no temporary file could be created beside it")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def _directory_namespaces(store: FileStore, rel: str, memo: dict[str, set[str]]) -> set[str]:
    """Namespaces named by the other YAML files of ``rel``'s directory (for missing-namespace)."""
    d = os.path.dirname(rel)
    if d in memo:
        return memo[d]
    found: set[str] = set()
    try:
        names = sorted(os.listdir(store.path(d or ".")))
    except (OSError, _Refused):
        names = []
    for name in names:
        other = os.path.join(d, name) if d else name
        if other == rel or not name.endswith((".yaml", ".yml")):
            continue
        try:
            docs = list(_yaml().load_all(store.read(other)))
        except (OSError, _Refused, *_refusals()):  # unreadable, outside the root, not YAML ruamel reads
            continue
        found.update(str(_meta(x).get("namespace")) for x in docs if _meta(x).get("namespace"))
    memo[d] = found
    return found


def plan_fixes(
    root: str,
    findings: list[Finding],
    flux_versions: dict[str | None, tuple[int, int]] | None = None,
    *,
    config=None,
    paths: list[str] | None = None,
    verify: bool = True,
    baseline: list[Finding] | None = None,
    parsed: Mapping[str, LoadedFile] | None = None,
    builds=None,
) -> FixReport:
    """Work out every fix without writing: the report holds each changed file's text.

    ``flux_versions`` maps a finding's cluster to the Flux minor it runs, so that a
    fix never writes an apiVersion that Flux does not serve. With ``verify`` (the
    default) the fixed repository is linted before anything is written, and the
    fixes of a file that would break a build are left (:func:`verify_builds`);
    ``config`` and ``paths`` are the run's (default: the root's config, the root),
    ``baseline`` its findings when ``findings`` are not all of them, ``parsed`` the files
    it parsed (``DocumentCache.files``), which the verifying lints take for the files the
    fixes leave as they are instead of parsing them again, ``builds`` its warm cache
    (``cache.RunCache``) once it stored the run's builds, which they reuse where no
    fixed file is read.
    """
    store = FileStore(root)
    report = FixReport()
    sources: dict[str, SourceFile] = {}
    memo: dict[str, set[str]] = {}
    for f in findings:
        fx = FIXERS.get(f.rule)
        if fx is None:
            report.unfixable += 1
            continue
        if not f.file:
            report.left.append(Left(f, "the finding has no file"))
            continue
        try:
            if f.file not in sources:
                text = store.read(f.file)
                report.before.setdefault(f.file, text)
                sources[f.file] = SourceFile(f.file, text)
            src = sources[f.file]
            src.directory_namespaces = lambda rel=f.file: _directory_namespaces(store, rel, memo)
            src.flux_version = (flux_versions or {}).get(f.cluster)
            result = fx(src, f)
            if isinstance(result, Leave):
                report.left.append(Left(f, result.reason))
                continue
            sources[f.file] = apply_edits(src, result)
            report.applied.append(Applied(f, _describe(result)))
        except _Refused as exc:
            report.left.append(Left(f, str(exc)))
        except (OSError, UnicodeDecodeError) as exc:
            report.left.append(Left(f, f"cannot read the file ({type(exc).__name__})"))
        except _refusals() as exc:  # ruamel refuses some YAML that libyaml accepted
            report.left.append(Left(f, f"cannot edit the file safely ({type(exc).__name__})"))
    for rel, src in sources.items():
        if src.text != report.before[rel]:
            report.after[rel] = src.text
    report.before = {k: v for k, v in report.before.items() if k in report.after}
    if verify and report.after:
        verify_builds(root, report, config, paths, baseline, parsed, builds)
    return report


# -- the fixed repository must still build ---------------------------------------------

# the rules whose findings say a build or an apply breaks: a fix must add none of them
BREAKING = ("yaml-syntax", "missing-path", "kustomize-build", "duplicate-object")


class OverlayFS(RepoFS):
    """The repository as it would be after the fixes: ``texts`` stand in for the files'
    content, read-only (nothing is written; every other read goes to the disk)."""

    def __init__(self, root: str, max_file_bytes: int, texts: dict[str, str]):
        super().__init__(root, max_file_bytes)
        self._texts = {self.real(rel): text.encode("utf-8") for rel, text in texts.items()}

    def overlays(self, rel: str) -> bool:
        """Whether the overlay replaces the content of ``rel`` (through any symlink)."""
        try:
            return self.real(rel) in self._texts
        except OutsideRoot:
            return False

    def overlaid(self) -> set[str]:
        """The root-relative real paths of the files whose content the overlay replaces."""
        return {self._from_root(real) for real in self._texts}

    def untouched(self, files: Mapping[str, LoadedFile]) -> dict[str, LoadedFile]:
        """``files`` (parsed from the disk) but those whose content the overlay replaces."""
        return {rel: loaded for rel, loaded in files.items() if not self.overlays(rel)}

    def _read_bytes(self, rel: str) -> bytes:
        # every read of a file's content: read_bytes, and what derive asks of it (discovery's
        # filters, whether a file may hold a suppression comment or SOPS metadata)
        data = self._texts.get(self.real(rel))
        if data is None:
            return super()._read_bytes(rel)
        if len(data) > self.max_file_bytes:
            raise FileTooLarge(f"{len(data)} bytes, limit {self.max_file_bytes}")
        return data


def _breakage(
    root: str,
    config,
    paths: list[str],
    texts: dict[str, str],
    said: dict[tuple, str] | None = None,
    parsed: Mapping[str, LoadedFile] | None = None,
    builds=None,
) -> Counter:
    """The findings of :data:`BREAKING` rules, with ``texts`` overlaid, by what they say
    (line numbers left out: an inserted line moves every finding below it). ``parsed``:
    files already parsed from the disk, taken for every file ``texts`` leaves alone."""
    from .lint import Linter
    from .load.loader import DocumentCache

    linter = Linter(root, config)
    if texts:
        fs = linter.fs = OverlayFS(root, config.max_file_bytes, texts)
        linter.cache = DocumentCache(fs, reuse=fs.untouched(parsed) if parsed else None)
        if builds is not None:  # the walk's hashes but the fixed files': a build reading one is made
            # (the walk hashed only files reached through directories: each its own real path)
            fixed = fs.overlaid()
            hashes = builds.file_hashes()
            linter.builds_from = (builds, {rel: h for rel, h in hashes.items() if rel not in fixed})
    result = linter.run(paths)
    return _breaking(result.findings, said)


def _breaking(findings: list[Finding], said: dict[tuple, str] | None = None) -> Counter:
    found: Counter = Counter()
    for f in findings:
        if f.rule in BREAKING and f.severity > Severity.INFO:
            # no severity: the config may change it, and an info line never breaks anything
            key = (f.rule, f.file, f.cluster, _NUMBERS.sub("N", f.message))
            found[key] += 1
            if said is not None:
                said.setdefault(key, f"{f.file}:{f.line}: {f.message}")
    return found


_NUMBERS = re.compile(r"\d+")


def _checks_every_breaking_rule(config) -> bool:
    """Did a run with ``config`` report every :data:`BREAKING` finding (no rule off, none ignored)?"""
    from .rules import all_rules

    codes = {r.name: r.code for r in all_rules() if r.name in BREAKING}
    return all(config.rule_enabled(name, code) for name, code in codes.items()) and not any(
        entry.rule is None or entry.rule in codes or entry.rule in codes.values() for entry in config.ignore
    )


def verify_builds(
    root: str,
    report: FixReport,
    config=None,
    paths: list[str] | None = None,
    baseline: list[Finding] | None = None,
    parsed: Mapping[str, LoadedFile] | None = None,
    builds=None,
) -> None:
    """Leave the fixes that would make kustomize (or the apply) refuse what it accepted.

    The repository is linted as it is and as it would be (all fixed files
    overlaid). When the fixes add a :data:`BREAKING` finding, each fixed file
    is tried alone and the fixes of a file that adds one are left with the
    finding as the reason; the rest are tried together once more, and left
    all when they still break something together. ``baseline``, the findings
    of the run the fixes come from (same config and paths), stands in for the
    lint as it is when that run reported every breaking rule; ``parsed``, the files it
    parsed, is parsed again only where a fix changes it; ``builds``, the run's warm cache
    after it stored its builds, are built again only where a build reads a fixed file.
    """
    from dataclasses import replace as dc_replace

    from .load.config import load_config
    from .vocabulary import vocabulary

    base = config if config is not None else load_config(root, known=vocabulary())
    # every breaking rule, whatever the config turns off or ignores: the promise is kustomize's
    checking = dc_replace(
        base, select=set(BREAKING), deselect=set(), rules={}, ignore=[], fail_on=base.fail_on
    )
    paths = paths or [root]
    if baseline is not None and _checks_every_breaking_rule(base):
        before = _breaking(baseline)
    else:
        before = _breakage(root, checking, paths, {})

    said: dict[tuple, str] = {}

    def added(texts: dict[str, str]) -> list[tuple]:
        return sorted((_breakage(root, checking, paths, texts, said, parsed, builds) - before).elements())

    if not added(report.after):
        return
    refused: dict[str, str] = {}
    for rel in sorted(report.after):
        new = added({rel: report.after[rel]})
        if new:
            refused[rel] = f"refused: with this fix, {new[0][0]} would report {said[new[0]][:240]}"
    rest = {rel: text for rel, text in report.after.items() if rel not in refused}
    if rest and added(rest):
        for rel in rest:
            refused[rel] = "refused: together with the other fixes it would break a build"
    for rel, reason in refused.items():
        del report.after[rel]
        report.before.pop(rel, None)
        kept = []
        for a in report.applied:
            if a.finding.file == rel:
                report.left.append(Left(a.finding, reason))
            else:
                kept.append(a)
        report.applied = kept


def write_fixes(root: str, report: FixReport) -> list[str]:
    """Write every fixed file; the files refused, each with its reason, for the user."""
    store = FileStore(root)
    refused = []
    for rel in sorted(report.after):
        try:
            store.write(rel, report.after[rel])
        except _Refused as exc:
            refused.append(f"not written {rel}: {exc}")
    return refused


def _describe(edits: list[Edit]) -> str:
    parts = []
    for e in edits:
        if isinstance(e, SetScalar):
            parts.append(f"set {'.'.join(map(str, e.path))} to {e.text}")
        else:
            parts.append(f"added {'.'.join(map(str, (*e.path, e.key)))}: {e.text}")
    return "; ".join(parts)


def fixable_rules() -> list[str]:
    return sorted(FIXERS)


__all__ = [
    "API_REPLACEMENTS",
    "FIXERS",
    "FixReport",
    "InsertKey",
    "Leave",
    "SetScalar",
    "SourceFile",
    "apply_edits",
    "fixable_rules",
    "plan_fixes",
    "write_fixes",
]
