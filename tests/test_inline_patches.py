"""An inline patch text is parsed once per run, whichever Kustomizations repeat it.

Flux merges a Kustomization's ``spec.patches`` into each build of it, and sibling
Kustomizations (one per cluster, per app) repeat the same few texts: hmcts parsed
21 texts 348 times. The documents and the parse error of a text do not depend on
the file it is written in; what does (the issue's position) is still each
Kustomization's own.
"""

from __future__ import annotations

from gitops_lint import lint
from gitops_lint.load.config import load_config
from gitops_lint.render import kustomize, target_patches
from gitops_lint.vocabulary import vocabulary
from tests.helpers import GOTK, ks, lint_repo, write_tree

PATCH = """  patches:
    - target: {kind: ConfigMap}
      patch: |
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: any
        data:
          added: "yes"
"""
BROKEN = """  patches:
    - target: {kind: ConfigMap}
      patch: |
        data: [unclosed
"""
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: default\ndata:\n  a: b\n"


def _fleet(tmp_path, patch: str):
    files = dict(GOTK)
    for name in ("one", "two", "three"):
        files[f"clusters/dev/{name}.yaml"] = ks(name, f"./{name}", extra=patch)
        files[f"{name}/cm.yaml"] = CM.format(name=name)
    return write_tree(tmp_path, files)


def _objects(root):
    cfg = load_config(str(root), known=vocabulary())
    [cluster] = lint.Linter(str(root), cfg).build_clusters([str(root)])
    return {ro.ref.name: ro.obj for ro in cluster.objects if ro.obj.get("kind") == "ConfigMap"}


def test_a_repeated_inline_patch_is_parsed_once(tmp_path, monkeypatch):
    root = _fleet(tmp_path, PATCH)
    parsed: list[str] = []
    original = target_patches.parse_text

    def counting(text, file, **how):
        parsed.append(text)
        return original(text, file, **how)

    monkeypatch.setattr(kustomize, "parse_text", counting, raising=False)
    monkeypatch.setattr(target_patches, "parse_text", counting)
    objects = _objects(root)
    assert {name: obj["data"] for name, obj in objects.items()} == {
        name: {"a": "b", "added": "yes"} for name in ("one", "two", "three")
    }
    assert len([t for t in parsed if "added" in t]) == 1


def test_each_object_owns_its_patch(tmp_path):
    """The parsed documents are handed out as copies: a patch applied to one build
    leaves the next build's patch as written."""
    root = _fleet(tmp_path, PATCH)
    objects = _objects(root)
    assert len({id(obj["data"]) for obj in objects.values()}) == 3


def test_a_broken_inline_patch_is_reported_at_each_kustomization(tmp_path):
    root = _fleet(tmp_path, BROKEN)
    result = lint_repo(root)
    hits = sorted(
        (f.file, f.line) for f in result.findings if "unable to parse SM or JSON patch" in f.message
    )
    assert hits == sorted((f"clusters/dev/{n}.yaml", 12) for n in ("one", "two", "three"))
