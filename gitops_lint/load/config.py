"""`.gitops-lint.yaml` / `[tool.gitops-lint]`: read, validate, merge with flags.

A bad config stops the run (exit 2) with the file, the line and what was
expected: a linter that silently ignores a misspelt `ignore:` would report
things the user believes are suppressed, or worse, hide nothing they think
is hidden.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from ..core.data import Severity
from ..core.errors import ConfigError, InternalError
from ..core.fs import FileTooLarge, OutsideRoot, RepoFS
from ..core.versions import kube_minor, parse_flux_version

if TYPE_CHECKING:  # a repository without a config file (a warm hit) needs no YAML parser
    from .bootstrap import Bootstrap
    from .suppress import RuleNames

CONFIG_FILE = ".gitops-lint.yaml"


@dataclass(frozen=True)
class Vocabulary:
    """What a config may name that later stages of the pipeline define.

    The config is read first, before discovery, the schemas or the rules exist,
    yet it names rules (``rules:``, ``ignore:``) and a Kubernetes version that
    must have schemas. The command line passes both in (see
    ``gitops_lint.vocabulary``); each is asked for only when the config uses it.
    """

    rules: RuleNames
    kube_versions: Callable[[], Sequence[str]]  # minors with schemas, oldest first ("1.25", ...)


@dataclass
class IgnoreEntry:
    rule: str | None
    path: str | None

    def matches(self, rule: str, code: str, file: str | None) -> bool:
        if self.rule and self.rule not in (rule, code):
            return False
        if self.path:
            return file is not None and fnmatchcase(file, self.path)
        return True


@dataclass
class Config:
    source: str | None = None
    kube_version: str | None = None  # None: the newest schemas kubernetes-validate ships
    flux_version: str | None = None
    fail_on: Severity = Severity.ERROR
    # rule name or code -> severity, or None for "off"
    rules: dict[str, Severity | None] = field(default_factory=dict)
    external: set[str] = field(default_factory=set)  # "Kind/namespace/name"
    variables: dict[str, dict[str, str]] = field(default_factory=dict)
    global_variables: dict[str, str] = field(default_factory=dict)  # --var
    crd_providers: dict[str, str] = field(default_factory=dict)
    schemas: list[str] = field(default_factory=list)
    ignore: list[IgnoreEntry] = field(default_factory=list)
    select: set[str] | None = None
    deselect: set[str] = field(default_factory=set)
    max_file_bytes: int = 10 * 1024 * 1024
    renderer: str = "builtin"  # --renderer: builtin, kubectl or kustomize (command line only)
    bootstrap: Bootstrap | None = None  # what the repository does not say about its sync
    walk_limit: int | None = None  # YAML files discovery may list (a guessed root; command line only)

    def rule_enabled(self, name: str, code: str) -> bool:
        if self.select is not None and not (
            {name, code} & self.select or any(code.startswith(s) for s in self.select)
        ):
            return False
        if {name, code} & self.deselect or any(code.startswith(s) for s in self.deselect):
            return False
        return all(not (key in self.rules and self.rules[key] is None) for key in (name, code))

    def severity_for(self, name: str, code: str, default: Severity) -> Severity:
        for key in (name, code):
            sev = self.rules.get(key)
            if sev is not None:
                return sev
        return default

    def is_ignored(self, rule: str, code: str, file: str | None) -> bool:
        return any(entry.matches(rule, code, file) for entry in self.ignore)


_SEVERITIES = {"error", "warning", "info"}
_KEYS = {
    "kube-version",
    "flux-version",
    "fail-on",
    "rules",
    "external",
    "variables",
    "crd-providers",
    "schemas",
    "ignore",
    "max-file-size",
    "bootstrap",
}


class _Positions:
    """Line lookups into the config's YAML, for error messages."""

    def __init__(self, text: str | None):
        self.root = None
        if text is not None:
            import yaml

            from .loader import FastLoader, compose_docs

            try:
                loader = FastLoader(text)
                nodes = compose_docs(loader)
                loader.dispose()
                self.root = nodes[0] if nodes else None
            except (yaml.YAMLError, RecursionError):  # positions only: the config was parsed already
                self.root = None

    def line(self, *path) -> int:
        node, line = self.root, 1
        for step in path:
            if node is None:
                break
            nxt = None
            if hasattr(node, "value") and isinstance(node.value, list):
                if isinstance(step, int):
                    if step < len(node.value):
                        nxt = node.value[step]
                else:
                    for k, v in node.value:
                        if getattr(k, "value", None) == step:
                            line = k.start_mark.line + 1
                            nxt = v
                            break
            if nxt is None:
                break
            node = nxt
            line = node.start_mark.line + 1
        return line


def _fail(source: str, pos: _Positions, path: tuple, message: str):
    raise ConfigError(f"{source}:{pos.line(*path)}: {message}")


def _parse_severity(value, source, pos, path) -> Severity | None:
    if value is False or (isinstance(value, str) and value.lower() == "off"):
        return None
    if isinstance(value, str) and value.lower() in _SEVERITIES:
        return Severity.parse(value)
    _fail(source, pos, path, f"expected one of error, warning, info, off; got {value!r}")
    return None


def _vocabulary(known: Vocabulary | None) -> Vocabulary:
    if known is None:  # a caller's bug, not the user's: the config names what nobody passed in
        raise InternalError("parse_config: the config names rules or a kube-version; pass known=")
    return known


def _rule_name(value, source, pos, path, names: RuleNames) -> str:
    """The rule a config entry names (a name or code, any case), or a config error.

    A misspelt rule in ``rules:`` or ``ignore:`` would silently change nothing.
    """
    name = names.canonical(str(value)) if isinstance(value, str) else None
    if name is None:
        _fail(
            source,
            pos,
            path,
            f"unknown rule {value!r}{names.suggestion(str(value))} (see `gitops-lint rules`)",
        )
    return name  # type: ignore[return-value]


def kube_version_problem(text: str, shipped: Sequence[str]) -> str | None:
    """Why ``text`` is not a Kubernetes version gitops-lint has schemas for, or None.

    The core schemas come from kubernetes-validate (``shipped``: the minors it
    ships, oldest first); a version it does not ship would silently be linted
    against another one.
    """
    want = kube_minor(text)
    if want is None:
        return "expected a Kubernetes version such as 1.33" + (
            f" (shipped: {', '.join(shipped)})" if shipped else ""
        )
    if shipped and f"{want[0]}.{want[1]}" not in shipped:
        return f"no schemas shipped for it (shipped: {', '.join(shipped)})"
    return None


def _schema_dir_problem(root: str, directory: str) -> str | None:
    fs = RepoFS(root)
    try:
        if fs.isdir(directory):
            return None
        return "is not a directory" if fs.exists(directory) else "does not exist"
    except OutsideRoot:
        return "is outside the repository root"


def parse_config(
    data, source: str, text: str | None = None, root: str | None = None, *, known: Vocabulary | None = None
) -> Config:
    """The config ``data`` (parsed YAML or TOML) says, or a :class:`ConfigError` with its line.

    ``known`` is what the config may name (rules, Kubernetes versions); only a
    config that names one needs it.
    """
    pos = _Positions(text)
    cfg = Config(source=source)
    if data is None:
        return cfg
    if not isinstance(data, dict):
        _fail(source, pos, (), "expected a mapping of settings")
    for key, value in data.items():
        if key not in _KEYS:
            _fail(
                source,
                pos,
                (key,),
                f"unknown setting {key!r} (expected one of {', '.join(sorted(_KEYS))})",
            )
        if key in ("kube-version", "flux-version"):
            if isinstance(value, float):
                # 1.30 would read as 1.3: a version must be written as a string
                _fail(source, pos, (key,), f'{key} expects a quoted version string such as "{value}"')
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                _fail(source, pos, (key,), f'{key} expects a version string such as "1.33"')
            text_value = str(value)
            if key == "kube-version":
                problem = kube_version_problem(text_value, _vocabulary(known).kube_versions())
                if problem:
                    _fail(source, pos, (key,), f"kube-version {text_value!r}: {problem}")
                cfg.kube_version = text_value
            else:
                if parse_flux_version(text_value) is None:
                    _fail(source, pos, (key,), f'flux-version expects a version such as "2.9", not {value!r}')
                cfg.flux_version = text_value
        elif key == "fail-on":
            sev = _parse_severity(value, source, pos, (key,))
            if sev is None:
                _fail(source, pos, (key,), "fail-on expects error, warning or info")
            cfg.fail_on = sev
        elif key == "rules":
            if not isinstance(value, dict):
                _fail(
                    source,
                    pos,
                    (key,),
                    "rules expects a mapping of rule name to error|warning|info|off",
                )
            for rule, sev in value.items():
                name = _rule_name(rule, source, pos, (key, rule), _vocabulary(known).rules)
                cfg.rules[name] = _parse_severity(sev, source, pos, (key, rule))
        elif key == "external":
            if not isinstance(value, list):
                _fail(source, pos, (key,), "external expects a list of Kind/namespace/name")
            for i, item in enumerate(value):
                if not isinstance(item, str) or item.count("/") != 2:
                    _fail(source, pos, (key, i), f"expected Kind/namespace/name, got {item!r}")
                cfg.external.add(item)
        elif key == "variables":
            if not isinstance(value, dict):
                _fail(
                    source,
                    pos,
                    (key,),
                    "variables expects a mapping of Kind/namespace/name to values",
                )
            for ref, values in value.items():
                if not isinstance(ref, str) or ref.count("/") != 2:
                    _fail(source, pos, (key, ref), f"expected Kind/namespace/name, got {ref!r}")
                if not isinstance(values, dict):
                    _fail(source, pos, (key, ref), "expected a mapping of variable name to value")
                cfg.variables[ref] = {str(k): "" if v is None else str(v) for k, v in values.items()}
        elif key == "crd-providers":
            if not isinstance(value, dict):
                _fail(
                    source,
                    pos,
                    (key,),
                    "crd-providers expects a mapping of API group to Kind/namespace/name",
                )
            cfg.crd_providers = {str(k): str(v) for k, v in value.items()}
        elif key == "schemas":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                _fail(source, pos, (key,), "schemas expects a list of directories")
            cfg.schemas = list(value)
            if root is not None:
                for i, directory in enumerate(cfg.schemas):
                    problem = _schema_dir_problem(root, directory)
                    if problem:
                        _fail(source, pos, (key, i), f"schemas: {directory!r} {problem}")
        elif key == "ignore":
            if not isinstance(value, list):
                _fail(source, pos, (key,), "ignore expects a list of {rule: RULE, path: GLOB}")
            for i, item in enumerate(value):
                if not isinstance(item, dict) or not set(item) <= {"rule", "path"} or not item:
                    _fail(source, pos, (key, i), "expected {rule: RULE, path: GLOB}")
                rule = item.get("rule")
                if rule is not None:
                    rule = _rule_name(rule, source, pos, (key, i, "rule"), _vocabulary(known).rules)
                cfg.ignore.append(IgnoreEntry(rule, item.get("path")))
        elif key == "max-file-size":
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                _fail(source, pos, (key,), "max-file-size expects a positive number of bytes")
            cfg.max_file_bytes = value
        elif key == "bootstrap":
            from .bootstrap import parse_bootstrap

            cfg.bootstrap, where, problem = parse_bootstrap(value)
            if cfg.bootstrap is None:
                _fail(source, pos, (key, *where), problem)
    return cfg


def load_config(root: str, explicit: str | None = None, *, known: Vocabulary | None = None) -> Config:
    """The config for a repository: ``--config``, else `.gitops-lint.yaml`, else pyproject.

    A config found in the repository is read like every other file of it (it may be
    an attacker's pull request): through the confined reader, so a symlink out of
    the root is refused, and under the same size limit. ``--config`` is the user's
    own choice and is read as given. ``known``: what the config may name
    (``gitops_lint.vocabulary.vocabulary()``).
    """
    if explicit:
        return _load_yaml_config(explicit, os.path.basename(explicit), root, known)
    fs = RepoFS(root)
    if _exists(fs, CONFIG_FILE):
        return _parse_yaml_config(_read(fs, CONFIG_FILE), CONFIG_FILE, root, known)
    if _exists(fs, "pyproject.toml"):
        try:
            import tomllib  # type: ignore[import-not-found]
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib  # type: ignore[no-redef]
        try:
            data = tomllib.loads(_read(fs, "pyproject.toml"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"pyproject.toml:1: {exc}") from None
        section = data.get("tool", {}).get("gitops-lint")
        if section is not None:
            return parse_config(section, "pyproject.toml [tool.gitops-lint]", root=root, known=known)
    return Config()


def _exists(fs: RepoFS, rel: str) -> bool:
    try:
        return fs.exists(rel)
    except OutsideRoot:
        return True  # a symlink out of the root: refused with its reason by _read


def _read(fs: RepoFS, rel: str) -> str:
    try:
        return fs.read_bytes(rel).decode("utf-8")
    except OutsideRoot:
        raise ConfigError(
            f"{rel}:1: refused: it is a symlink to a file outside the repository root"
        ) from None
    except FileTooLarge as exc:
        raise ConfigError(f"{rel}:1: refused: the file is too large ({exc})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{rel}:1: cannot read config: {type(exc).__name__}") from None


def _load_yaml_config(path: str, display: str, root: str | None, known: Vocabulary | None) -> Config:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{display}:1: cannot read config: {exc}") from None
    return _parse_yaml_config(text, display, root, known)


def _parse_yaml_config(text: str, display: str, root: str | None, known: Vocabulary | None) -> Config:
    # the loader every manifest goes through: duplicate keys, alias bombs and
    # deep nesting are refused with their line before anything walks the data
    from .loader import parse_text

    loaded = parse_text(text, display)
    if loaded.errors:
        err = loaded.errors[0]
        raise ConfigError(f"{display}:{err.line}: invalid YAML: {err.message}")
    data = loaded.documents[0].data if loaded.documents else None
    return parse_config(data, display, text, root, known=known)
