"""GL001 yaml-syntax: a manifest Flux would read does not parse.

Only files Flux would read count (rendered resources, patch files, files of a
generated kustomization): a broken Helm template or CI file elsewhere in the
repository never reaches kustomize-controller.
"""

from __future__ import annotations

import posixpath

from ..core.data import Severity
from ..load.suppress import RuleNames, directive_problems
from . import all_rules
from .base import REPOSITORY, Context, Hit, Rule

KUSTOMIZATION_FILES = {"kustomization.yaml", "kustomization.yml", "Kustomization"}


def check(ctx: Context):
    # a suppression comment that names no rule silences nothing: say so where it is written
    for file, comment, why in directive_problems(ctx.fs, ctx.cache.files.keys(), RuleNames(all_rules)):
        yield Hit(why, severity=Severity.WARNING, file=file, line=comment.line, column=comment.column)
    for rel, why in sorted(ctx.fs.unreadable.items()):
        yield Hit(
            f"directory {rel or '.'} cannot be read ({why}): the files in it are not linted",
            severity=Severity.WARNING,
            file=rel or ".",
            line=1,
        )
    for rel in sorted(ctx.cache.used & ctx.cache.files.keys()):
        loaded = ctx.cache.files[rel]
        for err in loaded.errors:
            yield Hit(err.message, file=err.file, line=err.line, column=err.column)
        if posixpath.basename(rel) in KUSTOMIZATION_FILES or rel not in ctx.cache.manifests:
            continue
        for doc in loaded.documents:
            data = doc.data
            if not isinstance(data, dict):
                continue
            missing = [k for k in ("apiVersion", "kind") if not data.get(k)]
            if missing:
                yield Hit(
                    f"document has no {' or '.join(missing)}: kustomize-controller fails to decode it "
                    "as a Kubernetes object",
                    origin=doc.origin,
                )


RULE = Rule(
    "yaml-syntax",
    "GL001",
    Severity.ERROR,
    "a manifest does not parse as Kubernetes YAML",
    check,
    REPOSITORY,
)
