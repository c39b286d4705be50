"""Expand flux-operator ResourceSets into the objects flux-operator applies.

A ResourceSet (``fluxcd.controlplane.io/v1``) generates objects from
``spec.resources`` / ``spec.resourcesTemplate`` (or ``spec.steps``) over its
inputs, the way flux-operator's ``internal/builder/resourceset.go`` does:

* inputs: ``spec.inputs`` and the ``exportedInputs`` of the
  ResourceSetInputProviders in ``spec.inputsFrom`` (same namespace), each
  input annotated with its ``provider``; combined by ``spec.inputStrategy``
  (``Flatten``: concatenated, the ResourceSet's own first, then providers
  sorted by kind, namespace, name; ``Permute``: the cartesian product, each
  provider's input scoped under its normalised name, with an ``id``);
* each ``spec.resources`` entry is written as YAML (sigs.k8s.io/yaml: keys
  sorted), rendered as a Go template with ``<< >>`` delimiters per input, and
  read back as YAML, so ``<< inputs.port >>`` becomes a number where it
  prints one; ``resourcesTemplate`` is rendered per input as a multi-document
  stream;
* objects annotated ``fluxcd.controlplane.io/reconcile: disabled`` are
  dropped, duplicates (group, kind, namespace, name) kept once, the ones of
  ``spec.resources`` first; ``commonMetadata`` is applied.

Only inputs that are in Git can be known: a ``Static`` provider exports its
``defaultValues`` (plus an ``id`` flux-operator derives from the object's UID,
which gitops-lint replaces with a stand-in); every other provider type
(GitHub pull requests, OCI tags, ...) reads the outside world, so a ResourceSet
using one is not expanded and is reported as not verifiable. So is one whose
template needs something :mod:`gotemplate` does not evaluate. A ResourceSet
rendered by a Flux Kustomization with ``postBuild`` has had its ``${VAR}``
substituted before it gets here, as in the cluster.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import yaml

from ..core.data import FLUX_OPERATOR_GROUP, group_of, is_kind

PROVIDER_KIND = "ResourceSetInputProvider"
MAX_PERMUTATIONS = 10_000  # flux-operator internal/inputs/permuter.go
MAX_OBJECTS = 20_000


def is_resourceset(obj: dict) -> bool:
    return is_kind(obj, FLUX_OPERATOR_GROUP, "ResourceSet")


def is_disabled(obj: dict) -> bool:
    meta = obj.get("metadata")
    ann = meta.get("annotations") if isinstance(meta, dict) else None
    return (
        isinstance(ann, dict) and str(ann.get(f"{FLUX_OPERATOR_GROUP}/reconcile", "")).lower() == "disabled"
    )


@dataclass
class Generated:
    """One object a ResourceSet generates, and the field it was written in."""

    obj: dict
    path: (
        tuple  # ("spec", "resources", i) or ("spec", "resourcesTemplate") (under a step when steps are used)
    )


@dataclass
class Expansion:
    objects: list[Generated] = field(default_factory=list)
    # why the ResourceSet could not be expanded (None: it was)
    unverifiable: str | None = None


def _adler32(text: str) -> str:
    return str(zlib.adler32(text.encode("utf-8")))


def _spec(obj: dict) -> dict:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def _meta(obj: dict) -> tuple[str, str]:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def _normalize_name(name: str) -> str:
    """internal/inputs/permuter.go normalizeObjectName."""
    name = name.lower().replace("-", "_")
    name = re.sub(r"[^a-z0-9_]", "", name)
    return "_".join(w for w in name.split("_") if w)


def _provider_block(kind: str, api_version: str, namespace: str, name: str) -> dict:
    return {"apiVersion": api_version, "kind": kind, "name": name, "namespace": namespace}


ProviderLookup = Callable[[str, str], "dict | None"]


def _provider_inputs(
    rs: dict, find: ProviderLookup
) -> tuple[list[tuple[str, tuple, list[dict]]], str | None]:
    """(name, sort key, inputs) per provider in spec.inputsFrom; or why they are unknowable."""
    ns, _ = _meta(rs)
    out = []
    for i, ref in enumerate(_spec(rs).get("inputsFrom") or []):
        if not isinstance(ref, dict):
            continue
        if ref.get("selector") is not None and not ref.get("name"):
            return [], f"spec.inputsFrom[{i}] selects providers by label: their inputs are not checked"
        name = str(ref.get("name") or "")
        provider = find(ns, name)
        if provider is None:
            return [], (
                f"ResourceSetInputProvider {ns}/{name} (spec.inputsFrom[{i}]) is not in this cluster's "
                "manifests: the objects it would generate are not checked"
            )
        pspec = _spec(provider)
        ptype = str(pspec.get("type") or "")
        if ptype != "Static":
            return [], (
                f"ResourceSetInputProvider {ns}/{name} is of type {ptype or '(none)'}: its inputs come from "
                "outside Git, so the objects it would generate are not checked"
            )
        defaults = pspec.get("defaultValues")
        values = dict(defaults) if isinstance(defaults, dict) else {}
        # flux-operator sets id to the adler32 of the provider's UID, which Git does not hold
        values.setdefault("id", _adler32(f"{ns}/{name}"))
        api_version = str(provider.get("apiVersion") or f"{FLUX_OPERATOR_GROUP}/v1")
        values["provider"] = _provider_block(PROVIDER_KIND, api_version, ns, name)
        out.append((name, (api_version, PROVIDER_KIND, ns, name), [values]))
    return out, None


def combined_inputs(rs: dict, find: ProviderLookup) -> tuple[list[dict] | None, bool, str | None]:
    """The input sets the templates see, whether inputsFrom is used, and why unknowable.

    Mirrors internal/inputs/combine.go: the ResourceSet's own inputs first,
    then each provider's, sorted by kind, namespace and name.
    """
    spec = _spec(rs)
    ns, name = _meta(rs)
    api_version = str(rs.get("apiVersion") or f"{FLUX_OPERATOR_GROUP}/v1")
    providers, why = _provider_inputs(rs, find)
    if why:
        return None, True, why
    own = []
    for i, item in enumerate(spec.get("inputs") or []):
        if not isinstance(item, dict):
            return None, False, f"spec.inputs[{i}] is not a map"
        values = dict(item)
        values.setdefault("id", _adler32(f"{ns}/{name}/{i}"))
        values["provider"] = _provider_block("ResourceSet", api_version, ns, name)
        own.append(values)
    providers.sort(key=lambda p: p[1])
    groups = [(name, own), *((n, inputs) for n, _, inputs in providers)]
    strategy = spec.get("inputStrategy")
    strategy_name = strategy.get("name") if isinstance(strategy, dict) else strategy
    uses_providers = bool(spec.get("inputsFrom"))
    if strategy_name in (None, "", "Flatten"):
        return [inp for _, inputs in groups for inp in inputs], uses_providers, None
    if strategy_name != "Permute":
        return None, uses_providers, f"spec.inputStrategy {strategy_name!r} is not one flux-operator knows"
    include_empty = isinstance(strategy, dict) and strategy.get("includeEmptyProviders") is True
    scoped = []
    total = 1
    for pname, inputs in groups:
        if not inputs and not include_empty:
            continue
        key = _normalize_name(pname)
        if not key:
            return None, uses_providers, f"provider name {pname!r} normalises to nothing"
        total *= len(inputs)
        if total > MAX_PERMUTATIONS:
            return None, uses_providers, f"more than {MAX_PERMUTATIONS} input permutations"
        scoped.append((key, inputs))
    perms: list[dict] = []

    def walk(i: int, chosen: list[tuple[str, int, dict]]) -> None:
        if i == len(scoped):
            if chosen:
                perm = {k: v for k, _, v in chosen}
                perm["id"] = _adler32("/".join(f"{k}={idx}" for k, idx, _ in chosen))
                perms.append(perm)
            return
        key, inputs = scoped[i]
        for idx, inp in enumerate(inputs):
            walk(i + 1, [*chosen, (key, idx, inp)])

    walk(0, [])
    return perms, uses_providers, None


def _documents(text: str) -> list:
    from .gotemplate import TemplateError

    try:
        return [d for d in yaml.load_all(text, Loader=yaml.CSafeLoader) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1} of the rendered output)" if mark is not None else ""
        raise TemplateError(f"the rendered template is not valid YAML{where}") from None


def _build(spec: dict, inputs: list[dict], path: tuple) -> list[Generated]:
    """builder.BuildResourceSet for one set of resources/resourcesTemplate."""
    from .gotemplate import TemplateError, Unsupported, render, to_yaml

    objects: list[Generated] = []
    seen: set[tuple] = set()
    runs = inputs or [None]

    def add(obj, where: tuple, dedup: bool) -> None:
        if not isinstance(obj, dict):
            raise TemplateError("a generated document is not an object")
        if is_disabled(obj):
            return
        ns, name = _meta(obj)
        key = (group_of(str(obj.get("apiVersion") or "")), str(obj.get("kind") or ""), ns, name)
        if dedup and key in seen:
            return
        seen.add(key)
        objects.append(Generated(obj, where))
        if len(objects) > MAX_OBJECTS:
            raise Unsupported(f"more than {MAX_OBJECTS} generated objects")

    for i, tmpl in enumerate(spec.get("resources") or []):
        text = to_yaml(tmpl)
        for inp in runs:
            docs = _documents(render(text, inp))
            if len(docs) != 1:
                raise TemplateError(f"spec.resources[{i}] does not render to one object")
            add(docs[0], (*path, "resources", i), dedup=inputs != [])
    template = spec.get("resourcesTemplate")
    if isinstance(template, str) and template:
        for inp in runs:
            for doc in _documents(render(template, inp)):
                add(doc, (*path, "resourcesTemplate"), dedup=True)
    return objects


def _common_metadata(objects: list[Generated], spec: dict) -> None:
    common = spec.get("commonMetadata")
    if not isinstance(common, dict):
        return
    for gen in objects:
        meta = gen.obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            continue
        for key in ("labels", "annotations"):
            extra = common.get(key)
            if isinstance(extra, dict) and extra:
                current = meta.get(key) if isinstance(meta.get(key), dict) else {}
                meta[key] = {**current, **{str(k): str(v) for k, v in extra.items()}}


def expand(rs: dict, find: ProviderLookup) -> Expansion:
    """The objects flux-operator generates from ResourceSet ``rs``.

    ``find(namespace, name)`` returns a ResourceSetInputProvider manifest of
    the cluster, or None.
    """
    # imported here: a run renders a ResourceSet only where a repository has one (~1.5 ms)
    from .gotemplate import TemplateError, Unsupported

    spec = _spec(rs)
    inputs, uses_providers, why = combined_inputs(rs, find)
    if why:
        return Expansion(unverifiable=why)
    if uses_providers and not inputs:
        return Expansion()  # flux-operator reconciles an empty set
    try:
        steps = spec.get("steps")
        if isinstance(steps, list) and steps:
            objects = []
            for i, step in enumerate(steps):
                if isinstance(step, dict):
                    objects.extend(_build(step, inputs or [], ("spec", "steps", i)))
        else:
            objects = _build(spec, inputs or [], ("spec",))
    except Unsupported as exc:
        return Expansion(unverifiable=f"its template is not evaluated by gitops-lint ({exc})")
    except TemplateError as exc:
        return Expansion(unverifiable=f"its template could not be rendered ({exc})")
    except RecursionError:
        return Expansion(unverifiable="its template nests too deeply")
    _common_metadata(objects, spec)
    return Expansion(objects)
