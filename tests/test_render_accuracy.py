"""Classes of difference from ``kubectl kustomize`` found on the shared corpus.

Each render case below is also built by kubectl in ``test_render_differential``
(where kubectl is installed); these tests pin the behaviour without it.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.core.fs import RepoFS
from gitops_lint.load.goyaml import kyaml_folded
from gitops_lint.load.loader import DocumentCache, parse_text
from gitops_lint.render.kustomize import Kustomizer
from gitops_lint.render.types import ERROR, EXTERNAL
from tests.conftest import PROJECT
from tests.helpers import write_tree

CASES = PROJECT / "tests" / "render_cases"


def build(root, path: str = ""):
    fs = RepoFS(str(root))
    return Kustomizer(fs, DocumentCache(fs)).build(path)


def by_name(result) -> dict[str, dict]:
    return {r.obj["metadata"]["name"]: r.obj for r in result.resources}


# -- folded block scalars: go-yaml v3's extra line break ---------------------------------

# (YAML body of a folded scalar, libyaml's value, kubectl kustomize's value)
FOLDED = [
    (">\n  a\n  b\n    c\n  d\n", "a b\n  c\nd\n", "a b\n\n  c\nd\n"),
    (">\n  a\n    c\n    d\n  e\n", "a\n  c\n  d\ne\n", "a\n\n  c\n  d\ne\n"),
    (">\n  a\n\n    c\n  d\n", "a\n\n  c\nd\n", "a\n\n\n  c\nd\n"),
    (">2\n    c\n  d\n", "  c\nd\n", "  c\nd\n"),  # no line before the more-indented one
    (">-\n  a\n    c\n\n  d\n", "a\n  c\n\nd", "a\n\n  c\n\nd"),
    (">\n  a\n  \ttab\n  b\n", "a\n\ttab\nb\n", "a\n\n\ttab\nb\n"),  # a tab is a blank too
    (">\n  a\n    c\n   x\n  d\n", "a\n  c\n x\nd\n", "a\n\n  c\n x\nd\n"),  # more to more: none
    (">+\n  a\n    c\n", "a\n  c\n", "a\n\n  c\n"),
    ("|\n  a\n    c\n  d\n", "a\n  c\nd\n", "a\n  c\nd\n"),  # literal: untouched
]


@pytest.mark.parametrize("body,libyaml,kustomize", FOLDED)
def test_folded_scalars_read_as_kustomize_reads_resources(body, libyaml, kustomize) -> None:
    text = f"k: {body}"
    assert parse_text(text, "x.yaml", kyaml=False).documents[0].data["k"] == libyaml
    assert parse_text(text, "x.yaml").documents[0].data["k"] == kustomize


def test_a_kustomization_file_folds_as_libyaml(tmp_path) -> None:
    # sigs.k8s.io/yaml (go-yaml v2) decodes it: no extra line break
    text = "commonAnnotations:\n  note: >\n    a\n      b\n"
    write_tree(tmp_path, {"kustomization.yaml": text, "res.yaml": text})
    cache = DocumentCache(RepoFS(str(tmp_path)))
    assert cache.load("kustomization.yaml").documents[0].data["commonAnnotations"]["note"] == "a\n  b\n"
    assert cache.load("res.yaml").documents[0].data["commonAnnotations"]["note"] == "a\n\n  b\n"


_LINE = st.text(alphabet="ab \t", min_size=1, max_size=6).filter(lambda s: s.strip())


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_LINE, st.just("")), max_size=8))
def test_kyaml_folding_only_adds_line_breaks(lines) -> None:
    value = "\n".join(lines)
    out = kyaml_folded(value)
    assert out.replace("\n", "") == value.replace("\n", "")
    # one break per normal -> more-indented step, none where no line starts with a blank
    steps = 0
    previous = None
    for line in lines:
        if line:
            if previous is not None and previous[0] not in " \t" and line[0] in " \t":
                steps += 1
            previous = line
    assert out.count("\n") - value.count("\n") == steps


def test_render_case_folded() -> None:
    result = build(CASES, "folded")
    assert not result.issues
    cm = by_name(result)["c"]
    assert cm["data"]["a"] == "a b\n\n  c\nd\n"
    assert cm["metadata"]["annotations"]["note"] == "a\n  b\nc\n"


# -- a strategic merge patch drops fields written without a value ------------------------


def test_smp_drops_the_targets_empty_valued_fields() -> None:
    objects = by_name(build(CASES, "patches/empty-null"))
    values = objects["j"]["spec"]["values"]
    assert "e" not in values  # `e:` dropped
    assert values["lst"] == [{"empty": None, "sub": {"empty": None, "keep": 1}}]  # a plain list: kept
    assert values["q"] == ""
    assert "a" not in objects["c"]["data"]  # `a:` in a ConfigMap patched too
    container = objects["d"]["spec"]["template"]["spec"]["containers"][0]
    assert container == {"name": "a", "image": "a", "env": [{"name": "A"}]}  # merged by key: walked
    assert objects["d"]["spec"]["template"]["spec"]["nodeSelector"] == {}


def test_explicit_nulls_survive_a_patch(tmp_path) -> None:
    write_tree(
        tmp_path,
        {
            "hr.yaml": "apiVersion: x.io/v1\nkind: R\nmetadata: {name: r}\nspec:\n  a: ~\n  b: null\n  c:\n",
            "p.yaml": "apiVersion: x.io/v1\nkind: R\nmetadata: {name: r}\nspec:\n  d: 1\n",
            "kustomization.yaml": "resources: [hr.yaml]\npatches:\n  - path: p.yaml\n",
        },
    )
    assert build(tmp_path).resources[0].obj["spec"] == {"a": None, "b": None, "d": 1}


def test_without_a_patch_empty_values_stay(tmp_path) -> None:
    write_tree(
        tmp_path,
        {
            "hr.yaml": "apiVersion: x.io/v1\nkind: R\nmetadata: {name: r}\nspec:\n  c:\n",
            "kustomization.yaml": "resources: [hr.yaml]\n",
        },
    )
    assert build(tmp_path).resources[0].obj["spec"] == {"c": None}


# -- a custom kind named Namespace ------------------------------------------------------


def test_only_the_core_namespace_is_renamed_and_sorted_first() -> None:
    result = build(CASES, "namespace-kinds")
    assert not result.issues
    assert [(r.obj["apiVersion"], r.obj["metadata"]["name"]) for r in result.resources] == [
        ("v1", "opal"),
        ("other.io/v1", "plain"),
        ("servicebus.azure.com/v1api20211101", "${NAMESPACE}-servicebus"),
        ("v1", "cm"),
    ]


# -- images: a containers map is no container list ----------------------------------------


def test_image_transformer_skips_a_containers_map() -> None:
    result = build(CASES, "images-values")
    assert not result.issues
    values = result.resources[0].obj["spec"]["values"]
    assert values["containers"] == {"main": {"image": "nginx:1.0"}}
    assert values["list"]["containers"][0]["image"] == "nginx:2.0"


def test_a_non_scalar_image_is_still_an_error(tmp_path) -> None:
    write_tree(
        tmp_path,
        {
            "d.yaml": "apiVersion: x.io/v1\nkind: R\nmetadata: {name: r}\n"
            "spec:\n  containers:\n    - image: {repository: nginx}\n",
            "kustomization.yaml": "resources: [d.yaml]\nimages:\n  - name: nginx\n    newTag: '2'\n",
        },
    )
    assert [i.kind for i in build(tmp_path).issues] == [ERROR]


# -- a target that may be remote is not "no matches" ---------------------------------------


def test_patch_and_replicas_target_in_an_unfetched_remote_base() -> None:
    result = build(CASES, "remote-patch")
    assert [i.kind for i in result.issues] == [EXTERNAL, EXTERNAL, EXTERNAL]
    assert "may be in a remote resource" in result.issues[1].message


def test_remote_base_of_a_child_makes_the_parent_unsure(tmp_path) -> None:
    write_tree(
        tmp_path,
        {
            "base/kustomization.yaml": "resources:\n  - github.com/example/repo//deploy?ref=v1\n",
            "overlay/kustomization.yaml": "resources: [../base]\npatches:\n  - path: p.yaml\n",
            "overlay/p.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
        },
    )
    assert [i.kind for i in build(tmp_path, "overlay").issues] == [EXTERNAL, EXTERNAL]


def test_without_remote_resources_no_match_stays_an_error(tmp_path) -> None:
    write_tree(
        tmp_path,
        {
            "kustomization.yaml": "resources: [cm.yaml]\npatches:\n  - path: p.yaml\n",
            "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
            "p.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
        },
    )
    issues = build(tmp_path).issues
    assert [i.kind for i in issues] == [ERROR]
    assert issues[0].message.startswith("no matches for Id apps/v1 Deployment web")


def test_labels_fields_of_the_wrong_type_is_a_build_error_not_a_crash(tmp_path):
    # kubectl: "cannot unmarshal number into Go struct field Label.labels.fields"
    from tests.helpers import run_cli, write_tree

    write_tree(
        tmp_path,
        {
            "kustomization.yaml": "resources: [cm.yaml]\nlabels:\n  - pairs: {a: b}\n    fields: 1\n",
            "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
        },
    )
    code, out, err = run_cli("build", str(tmp_path), "--root", str(tmp_path))
    assert "internal error" not in err
    assert "cannot unmarshal number into Go struct field Label.labels.fields" in out + err


def test_an_issue_of_an_entry_the_flux_kustomization_adds_is_at_that_entry(tmp_path):
    """A component or patch that Flux merges into the build is reported where the Flux
    Kustomization writes it (its position looked up only when there is an issue)."""
    from tests.helpers import GOTK, ks, run_cli

    extra = (
        "  components:\n    - ../components/missing\n  patches:\n    - patch: |\n"
        "        - op: replace\n          path: /data/nothere/x\n          value: b\n"
        "      target:\n        kind: ConfigMap\n"
    )
    files = dict(GOTK)
    files["clusters/dev/apps.yaml"] = ks("apps", "./apps", extra=extra)
    files["apps/kustomization.yaml"] = "resources:\n  - cm.yaml\n"
    files["apps/cm.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: default\n"
    root = write_tree(tmp_path, files)
    lines = files["clusters/dev/apps.yaml"].splitlines()
    component = next(i for i, t in enumerate(lines, 1) if "../components/missing" in t)
    patch = next(i for i, t in enumerate(lines, 1) if "- patch: |" in t)
    _, out, _ = run_cli("--no-cache", "--format", "concise", "--root", str(root), str(root))
    assert f"clusters/dev/apps.yaml:{component}:7: error GL104 component ../components/missing" in out
    assert f"clusters/dev/apps.yaml:{patch}:7: error GL105 replace operation does not apply" in out
