"""duplicate-object: identities as Flux applies them, one finding per written copy."""

from __future__ import annotations

from tests.helpers import GOTK, ks, lint_repo, write_tree

CONFIG = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: flux-system\n{meta}data:\n  a: b\n"


def dupes(root):
    return [
        (f"{f.file}:{f.line}", f.message) for f in lint_repo(root).findings if f.rule == "duplicate-object"
    ]


def subst(**values) -> str:
    return "  postBuild:\n    substitute:\n" + "".join(f"      {k}: {v}\n" for k, v in values.items())


def test_names_that_differ_after_substitution_are_distinct(tmp_path):
    root = write_tree(
        tmp_path,
        {
            **GOTK,
            "clusters/dev/runners.yaml": ks("a", "./shared", extra=subst(NAME="alpha"))
            + "---\n"
            + ks("b", "./shared", extra=subst(NAME="beta")),
            "shared/cm.yaml": CONFIG.format(name="runner-${NAME}", meta=""),
        },
    )
    assert dupes(root) == []


def test_a_name_holding_an_unresolved_variable_is_not_a_proven_duplicate(tmp_path):
    # both Kustomizations define other variables than the file uses: the name stays unknown
    root = write_tree(
        tmp_path,
        {
            **GOTK,
            "clusters/dev/runners.yaml": ks("a", "./shared", extra=subst(OTHER="alpha"))
            + "---\n"
            + ks("b", "./shared", extra=subst(OTHER="beta")),
            "shared/cm.yaml": CONFIG.format(name="runner-${NAME}", meta=""),
        },
    )
    assert dupes(root) == []


def test_a_shared_file_applied_by_many_is_one_finding(tmp_path):
    root = write_tree(
        tmp_path,
        {
            **GOTK,
            "clusters/dev/apps.yaml": "---\n".join(ks(n, "./shared") for n in ("a", "b", "c", "d")),
            "shared/cm.yaml": CONFIG.format(name="settings", meta=""),
        },
    )
    ((pos, message),) = dupes(root)
    assert pos == "shared/cm.yaml:1"
    assert "applied by Kustomizations flux-system/b, flux-system/c, flux-system/d and also by" in message


def test_copies_flux_does_not_take_over_are_no_claim(tmp_path):
    meta = "  annotations:\n    kustomize.toolkit.fluxcd.io/ssa: IfNotPresent\n"
    root = write_tree(
        tmp_path,
        {
            **GOTK,
            "clusters/dev/apps.yaml": ks("a", "./shared") + "---\n" + ks("b", "./shared"),
            "shared/cm.yaml": CONFIG.format(name="settings", meta=f"{meta}"),
        },
    )
    assert dupes(root) == []


def test_bootstrap_kustomization_named_otherwise_is_not_a_second_owner(tmp_path):
    # gotk-sync.yaml names its Kustomization cluster-config, not flux-system: it is the
    # bootstrap Kustomization, not a child applying the entry a second time
    sync = GOTK["clusters/dev/flux-system/gotk-sync.yaml"].replace(
        "kind: Kustomization\nmetadata:\n  name: flux-system",
        "kind: Kustomization\nmetadata:\n  name: cluster-config",
    )
    root = write_tree(
        tmp_path,
        {
            **GOTK,
            "clusters/dev/flux-system/gotk-sync.yaml": sync,
            "clusters/dev/settings.yaml": CONFIG.format(name="settings", meta=""),
        },
    )
    assert dupes(root) == []
