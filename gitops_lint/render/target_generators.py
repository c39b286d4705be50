"""A kustomization's generators: ``configMapGenerator`` and ``secretGenerator``.

kustomize's ``runGenerators``: each entry makes a ConfigMap or Secret from
literals, env files and files (``generatorOptions`` and the entry's own
``options`` merged), then joins the accumulated resources as kustomize's
``appendReplaceOrMerge`` does (``behavior`` create, merge or replace). The
objects themselves are made by ``generators``; this reads the sources and
places the result.
"""

from __future__ import annotations

import posixpath

from ..core.data import Origin
from ..core.fs import OutsideRoot
from .generators import (
    GeneratorError,
    make_object,
    merge_options,
    parse_env,
    parse_file_source,
    parse_literal,
)
from .resource import Res
from .target_base import Acc, Skip, TargetBase
from .types import ERROR


class Generators(TargetBase):
    """The generator part of a kustomization's build (see ``kustomize._Target``)."""

    def generate(self, acc: Acc) -> None:
        global_opts = self.kdata.get("generatorOptions")
        for field_name, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
            for i, args in enumerate(self.items(field_name)):
                where = (field_name, i)
                if not isinstance(args, dict):
                    self.issue(ERROR, f"invalid {field_name} entry", *where)
                    continue
                try:
                    res = self.make_generated(kind, args, global_opts, where)
                except Skip:
                    continue
                except GeneratorError as exc:
                    self.issue(ERROR, str(exc), *where)
                    continue
                self.absorb(acc, res, where)

    def read_source(self, path: str, where: tuple, what: str) -> bytes:
        rel = self.resolve_file(path, where, what)
        if rel is None:
            raise Skip
        try:
            return self.fs.read_bytes(rel)
        except (OSError, OutsideRoot, Exception) as exc:  # FileTooLarge and friends
            self.issue(ERROR, f"cannot read {path}: {exc}", *where)
            raise Skip from None

    def make_generated(self, kind: str, args: dict, global_opts: object, where: tuple) -> Res:
        pairs: list[tuple[str, bytes | str]] = []
        envs = [e for e in args.get("envs") or [] if e]
        if args.get("env"):
            envs.append(args["env"])
        for j, env in enumerate(envs):
            raw = self.read_source(str(env), (*where, "envs", j), "env file")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise GeneratorError(f"env file {env} has invalid utf8 bytes") from None
            pairs.extend(parse_env(text))
        for literal in args.get("literals") or []:
            pairs.append(parse_literal(str(literal)))
        for j, source in enumerate(args.get("files") or []):
            key, path = parse_file_source(str(source))
            pairs.append((key, self.read_source(path, (*where, "files", j), "file")))
        options = merge_options(args.get("options"), global_opts)
        obj = make_object(kind, args, pairs, options)
        file, line, _ = self.pos(*where)
        doc_index = self.korigin.doc_index if self.korigin is not None else 0
        note = None
        if self.run.origin_notes:
            configured_in = posixpath.relpath(self.kfile, self.run.top_dir or ".")
            note = f"configuredIn: {configured_in}\nconfiguredBy:\n  apiVersion: builtin\n  kind: {kind}Generator\n"
        behavior = str(args.get("behavior") or "create")
        if behavior not in ("create", "merge", "replace"):
            raise GeneratorError(f"invalid behavior {behavior!r}: must be create, merge or replace")
        return Res(
            obj,
            Origin(file, line, doc_index),
            needs_hash=options.get("disableNameSuffixHash") is not True,
            behavior=behavior,
            generated=True,
            origin_note=note,
        )

    def absorb(self, acc: Acc, res: Res, where: tuple) -> None:
        """appendReplaceOrMerge: a generated object joins the accumulated resources."""
        rid = res.cur_id()
        matches = [r for r in acc.resources if r.any_id_matches(rid.equals)]
        if not matches:
            if res.behavior in ("merge", "replace"):
                self.issue(ERROR, f"id {rid.display()} does not exist; cannot merge or replace", *where)
                return
            acc.resources.append(res)
            return
        if len(matches) > 1:
            self.issue(ERROR, f"found multiple objects that could accept merge of {rid.display()}", *where)
            return
        old = matches[0]
        if res.behavior == "create":
            self.issue(ERROR, f"id {rid.display()} exists; behavior must be merge or replace", *where)
            return
        meta, old_meta = res.meta(), old.meta()
        labels = {**old.labels(), **res.labels()}
        annotations = {**old.annotations(), **res.annotations()}
        for key, value in (("labels", labels), ("annotations", annotations)):
            if value:
                meta[key] = value
            else:
                meta.pop(key, None)
        res.set_name(str(old_meta.get("name", "")))
        res.set_namespace(str(old_meta.get("namespace") or ""))
        # kustomize hashes a merged or replaced object only if both generators asked for it
        needs_hash, behavior = res.needs_hash and old.needs_hash, res.behavior
        res.copy_bookkeeping_from(old)
        res.needs_hash = needs_hash
        if behavior == "merge":
            for key in ("data", "binaryData"):
                merged = {}
                if isinstance(old.obj.get(key), dict):
                    merged.update(old.obj[key])
                if isinstance(res.obj.get(key), dict):
                    merged.update(res.obj[key])
                if merged:
                    res.obj[key] = merged
        acc.resources[acc.resources.index(old)] = res
