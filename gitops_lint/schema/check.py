"""Validate a cluster's rendered objects once; the three schema rules read the result.

Only what Flux Kustomizations render is here (``cluster.objects``): a
HelmRelease's chart is never templated offline. Errors that concern a value
still holding ``${var}`` are left to unresolved-variable, SOPS ciphertext
(``ENC[...]``) is what Flux decrypts before applying, and ResourceSet
templates (``<< inputs.x >>``) are filled in by the Flux Operator later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..core.data import RenderedObject
from .crd import pattern_errors
from .debug_log import DebugLog
from .registry import SchemaRegistry, is_crd
from .validator import SchemaError, dotted

if TYPE_CHECKING:
    from ..core.fs import RepoFS
    from ..load.config import Config
    from ..model.cluster import Cluster

log = DebugLog("gitops_lint.schema")

#: the schema verdicts kept between runs (``celcache.KeptVerdicts`` of the ``schema`` side
#: entry: ``valid``, ``add_valid``), set by the lint run while it has a warm cache
kept = None


@dataclass
class ClusterSchemas:
    registry: SchemaRegistry
    errors: list[tuple[RenderedObject, SchemaError]] = field(default_factory=list)
    unknown: list[RenderedObject] = field(default_factory=list)
    validated: int = 0


def _deferred(value) -> bool:
    if isinstance(value, str):
        return "${" in value or value.startswith("ENC[") or "<<" in value
    return False


def _skip(err: SchemaError) -> bool:
    if _deferred(err.value) or (err.key is not None and _deferred(err.key)):
        return True
    return any(isinstance(step, str) and _deferred(step) for step in err.path)


def validate_cluster(cluster: Cluster, fs: RepoFS, config: Config) -> ClusterSchemas:
    """Every rendered object of ``cluster`` against its schema (the rules read
    it as ``Context.schemas``, built once per cluster)."""
    registry = SchemaRegistry(config.kube_version, cluster.objects, config.schemas, fs)
    result = ClusterSchemas(registry)
    verdicts = kept
    for ro in cluster.objects:
        obj = ro.obj
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str) or not api_version or not kind:
            continue  # yaml-syntax's business
        if _deferred(api_version) or _deferred(kind):
            continue  # SOPS-encrypted (or templated) apiVersion/kind: known once Flux decrypts it
        # an object a run before found valid against the same schema is valid (celcache)
        identity = registry.identity(api_version, kind) if verdicts is not None else None
        content = ro.content_key() if identity is not None else None
        if content is not None and verdicts.valid(identity[0], content[0]):
            result.validated += 1
            continue
        validator, _ = registry.lookup(api_version, kind)
        if validator is None:
            result.unknown.append(ro)
            continue
        if "sops" in obj:
            obj = {k: v for k, v in obj.items() if k != "sops"}  # removed when Flux decrypts
        try:
            errors = validator.errors(obj, redact=kind == "Secret")
        # The schema is the repository's (a CRD, a config's schema file): a malformed one
        # (``enum: 3``, ``maxLength: "5"``, ``properties: {a: 3}``) fails inside jsonschema
        # or the fast validator as TypeError/AttributeError, which no narrower list tells
        # from a bug without a metaschema check that would change verdicts. It yields no
        # finding, only "not validated" (debug log), and is the one broad catch kept here.
        except Exception as exc:  # noqa: BLE001 - see above
            log.debug("schema of %s %s not evaluable: %s", api_version, kind, exc)
            continue
        if is_crd(obj):
            # the API server compiles every pattern with Go's regexp and refuses the CRD
            errors = errors + [SchemaError(p, f"{dotted(p)}: {m}") for p, m in pattern_errors(obj)]
        result.validated += 1
        unresolved = {tuple(path) for _, path in ro.unresolved}
        reported = [
            err for err in errors if not (_skip(err) or any(err.path[: len(p)] == p for p in unresolved))
        ]
        if not reported and content is not None:
            # nothing to report, as of a valid object: an error only at a value Flux fills in
            # later (a ``${var}`` no source fills, a SOPS value) is a function of the object
            # and the variables too, which the content key names (its substitution's record
            # is kept under the same key, buildcache.KeptSubstitutions). ``texts``: what the
            # key was made of besides kept texts, the object's and the CRD's variables
            texts = content[1] if identity[1] in ("", content[1]) else f"{content[1]}\n{identity[1]}"
            verdicts.add_valid(identity[0], content[0], texts)
        result.errors.extend((ro, err) for err in reported)
    return result
