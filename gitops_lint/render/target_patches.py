"""A kustomization's patches and replacements.

``patchesStrategicMerge``, ``patches`` (a strategic merge patch or a JSON 6902
patch, told apart as kustomize does, with or without a target selector),
``patchesJson6902`` and ``replacements``: reading each entry (a file or
inline), checking it as kustomize does, and applying it to the accumulated
resources. The transformer order itself is ``kustomize._Target.transform``'s.
"""

from __future__ import annotations

import json

from ..load.loader import parse_text
from . import kustfile, smp
from .json6902 import apply_ops
from .replacements import apply_replacement
from .resource import Res, ResId, split_api_version
from .selector import Selector, select
from .target_base import NO_API_VERSION, Acc, Skip, TargetBase, invalid_object
from .types import ERROR, EXTERNAL


class Patches(TargetBase):
    """The patch part of a kustomization's build (see ``kustomize._Target``)."""

    def patch_docs(self, entry: dict, where: tuple) -> list:
        """The YAML documents of a patch (``path`` file or inline ``patch``)."""
        path, inline = entry.get("path"), entry.get("patch")
        if path and inline:
            self.issue(ERROR, "patch and path can't be set at the same time", *where)
            raise Skip
        if path:
            rel = self.resolve_file(path, where, "patch file")
            if rel is None:
                raise Skip
            # through the document cache: parsed once, and a file that does not
            # parse is reported by the pipeline (yaml-syntax), not here
            lf = self.cache.load(rel, manifest=False)
            if lf.errors:
                raise Skip
            return [d.data for d in lf.documents]
        if isinstance(inline, str) and inline.strip():
            stripped = inline.lstrip()
            if stripped.startswith("["):
                try:
                    ops = json.loads(stripped)
                except ValueError:
                    ops = None
                if isinstance(ops, list):
                    return [ops]
            docs, error = self.run.k.inline_patch(inline)
            if error is not None:
                self.issue(ERROR, f"unable to parse SM or JSON patch: {error}", *where)
                raise Skip
            return docs
        self.issue(ERROR, "must specify one of patch and path", *where)
        raise Skip

    def parse_patch(self, docs: list, where: tuple):
        """('json', ops) or ('smp', [patch dicts]), as kustomize tells them apart."""
        if docs and isinstance(docs[0], list):
            return "json", docs[0]
        patches = []
        for doc in docs:
            if not isinstance(doc, dict):
                self.issue(ERROR, "unable to parse SM or JSON patch", *where)
                raise Skip
            problem = invalid_object(doc)
            if problem and problem is not NO_API_VERSION:
                self.issue(ERROR, f"unable to parse SM or JSON patch: {problem}", *where)
                raise Skip
            patches.append(doc)
        if not patches:
            self.issue(ERROR, "patch appears to be empty", *where)
            raise Skip
        return "smp", patches

    def patch(self, acc: Acc, entry: object, where: tuple) -> None:
        if not isinstance(entry, dict):
            self.issue(ERROR, "invalid patch entry: expected a mapping with patch or path", *where)
            return
        kind, content = self.parse_patch(self.patch_docs(entry, where), where)
        target = entry.get("target")
        selector = Selector.parse(target) if isinstance(target, dict) else None
        options = entry.get("options") if isinstance(entry.get("options"), dict) else {}
        if kind == "json":
            if selector is None:
                self.issue(ERROR, "must specify a target for JSON patch", *where)
                return
            for res in select(acc.resources, selector):
                res.store_previous_id()
                apply_ops(res.obj, content)
            return
        self.apply_smp(acc, content, selector, where, options)

    def apply_smp(
        self, acc: Acc, patches: list[dict], selector: Selector | None, where: tuple, options: dict
    ) -> None:
        allow_name = options.get("allowNameChange") is True
        allow_kind = options.get("allowKindChange") is True
        if selector is None:
            for patch in patches:
                pid = _patch_id(patch)
                name = pid.name  # every id match compares names first: the cheap test
                matches = [r for r in acc.resources if r.has_name(name) and r.any_id_matches(pid.equals)]
                if not matches and acc.remote:
                    # the target may be in a remote resource, which is not fetched
                    self.issue(
                        EXTERNAL,
                        f"patch target {pid.display()} is not among the local resources; it may be in "
                        "a remote resource, which is not fetched, so the patch is not checked",
                        *where,
                    )
                    continue
                if len(matches) != 1:
                    what = "no matches" if not matches else "multiple matches"
                    self.issue(
                        ERROR,
                        f"{what} for Id {pid.display()}; failed to find unique target for patch",
                        *where,
                    )
                    continue
                self.apply_one(acc, matches[0], patch, allow_name, allow_kind, self.run.schemas)
            return
        for res in select(acc.resources, selector):
            for patch in patches:
                if res not in acc.resources:
                    break
                self.apply_one(acc, res, patch, allow_name, allow_kind, self.run.schemas)

    @staticmethod
    def apply_one(
        acc: Acc, res: Res, patch: dict, allow_name: bool, allow_kind: bool, schemas: dict | None = None
    ) -> None:
        name, namespace, kind = res.name, res.namespace, res.kind
        if allow_name or allow_kind:
            res.store_previous_id()
        patch = dict(patch)
        patch["apiVersion"] = res.obj.get("apiVersion")
        if res.empty_nulls:
            key = (str(res.obj.get("apiVersion", "")), res.kind)
            res.drop_empty_nulls(schemas.get(key) if schemas is not None else smp.schema_for(*key))
        result = smp.apply_patch(res.obj, patch, schemas)
        if result is None:
            acc.resources.remove(res)
            return
        res.obj = result
        if not allow_kind:
            result["kind"] = kind
        if not allow_name:
            res.set_name(name)
        res.set_namespace(namespace)

    def patches_strategic_merge(self, acc: Acc) -> None:
        entries = self.items("patchesStrategicMerge")
        for i, entry in enumerate(entries):
            where = ("patchesStrategicMerge", i)
            if not isinstance(entry, str):
                self.issue(ERROR, "invalid patchesStrategicMerge entry", *where)
                continue
            inline = parse_text(entry, self.kfile)
            docs = [d.data for d in inline.documents]
            if not inline.errors and docs and all(isinstance(d, dict) and d.get("kind") for d in docs):
                patches = docs
            else:
                try:
                    kind, patches = self.parse_patch(self.patch_docs({"path": entry}, where), where)
                except Skip:
                    continue
                if kind != "smp":
                    self.issue(ERROR, "patchesStrategicMerge entry is not a strategic merge patch", *where)
                    continue
            self.guard(lambda p=patches, w=where: self.apply_smp(acc, p, None, w, {}), where)

    def patch_json6902(self, acc: Acc, entry: object, where: tuple) -> None:
        if not isinstance(entry, dict):
            self.issue(ERROR, "invalid patchesJson6902 entry", *where)
            return
        target = entry.get("target")
        if not isinstance(target, dict):
            self.issue(ERROR, "must specify a target for patch", *where)
            return
        kind, content = self.parse_patch(self.patch_docs(entry, where), where)
        if kind != "json":
            self.issue(ERROR, "patchesJson6902 entry is not a JSON patch", *where)
            return
        for res in select(acc.resources, Selector.parse(target)):
            apply_ops(res.obj, content)

    def replacement(self, acc: Acc, entry: object, where: tuple) -> None:
        if not isinstance(entry, dict):
            self.issue(ERROR, "invalid replacements entry", *where)
            return
        specs: list = [entry]
        if entry.get("path"):
            rel = self.resolve_file(entry["path"], where, "replacement file")
            if rel is None:
                return
            specs = []
            for doc in self.cache.load(rel).documents:
                entries = doc.data if isinstance(doc.data, list) else [doc.data]
                for value in entries:
                    if value is None:
                        continue
                    # typed as kustomize's yaml.Unmarshal types it: downstream trusts the types
                    spec, errors = kustfile.decode_as(value, kustfile.REPLACEMENT, "Replacement", "")
                    for _, message in errors[:1]:
                        self.issue(ERROR, f"replacement file {entry['path']}: {message}", *where)
                        return
                    specs.append(spec)
        for spec in specs:
            if isinstance(spec, dict):
                apply_replacement(acc.resources, spec)


def _patch_id(patch: dict) -> ResId:
    group, version = split_api_version(patch.get("apiVersion"))
    meta = patch.get("metadata") if isinstance(patch.get("metadata"), dict) else {}
    return ResId(
        group,
        version,
        str(patch.get("kind") or ""),
        str(meta.get("namespace") or ""),
        str(meta.get("name") or ""),
    )
