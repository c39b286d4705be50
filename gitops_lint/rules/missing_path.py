"""GL104 missing-path: a path Flux or kustomize needs does not exist, or leaves the root.

``spec.path`` missing fails the Kustomization (``kustomization path not
found``); a missing ``resources``/``components`` entry or patch file fails
the kustomize build. Paths that escape the source root are refused by Flux's
secure filesystem and are never read here either.
"""

from __future__ import annotations

from ..core.data import Severity
from ..discover.sources import ESCAPE, MISSING
from ..render.types import ESCAPE as BUILD_ESCAPE
from ..render.types import MISSING as BUILD_MISSING
from .base import Context, Hit, Rule


def check(ctx: Context):
    cluster = ctx.cluster
    for ks in sorted(cluster.kustomizations.values(), key=lambda k: k.ref):
        src = ks.source
        if src is None:
            continue
        raw = ks.fields.path if ks.fields.path is not None else "./"
        if src.status == MISSING:
            yield Hit(
                f"spec.path {raw!r} does not exist in {src.detail}",
                origin=ks.origin,
                path=("spec", "path"),
                object=ks.ref,
            )
        elif src.status == ESCAPE:
            yield Hit(
                f"spec.path {raw!r} leaves the repository root (Flux's secure filesystem refuses it)",
                origin=ks.origin,
                path=("spec", "path"),
                object=ks.ref,
            )
        for issue in ks.build_issues:
            if issue.kind in (BUILD_MISSING, BUILD_ESCAPE):
                yield Hit(issue.message, file=issue.file, line=issue.line, column=issue.column)


RULE = Rule("missing-path", "GL104", Severity.ERROR, "a path does not exist or escapes the root", check)
