"""A warm run after any sequence of edits prints what a run without the cache prints.

The finer caches (parsed files, kept builds, substitutions, schema and CEL verdicts) are
keyed by content: a key that names less than what the result was made of serves a stale
result after some edit and not after others (an object kept by reference whose document
changed under the same record text was one). Hypothesis draws sequences of edits of a
small repository that has each kind of input those keys are made of: a CRD and its
custom resources, post-build variables inline and from a ConfigMap and a Secret, a
SOPS-encrypted Secret (kept by reference), a plaintext one, a HelmRelease, a file no
build reads, a CEL rule, a ``.sops.yaml``, a ``.sourceignore``, a config file, the Flux
Kustomization's patches and target namespace, a kustomize Component, a chart the CRD
charts table knows and a custom resource of its groups, a ConfigMap or Secret generator
and its file, a suspended Kustomization, a dependsOn cycle; after each edit a run with the
cache and one with ``--no-cache`` must print
the same, byte for byte, in both formats. A second test lints two clusters that share
the builds with other variables, in one process or two (workers render a share of the
clusters and hand back what they kept: ``Linter._build_share``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.schema import cel
from tests.helpers import KUSTOMIZATION, gotk, ks, run_cli, widget_crd, write_tree

pytestmark = pytest.mark.usefixtures("cache_on")

# cel-python raises the recursion limit when its environment is made (once a process):
# made here, not inside an example, where Hypothesis would see the limit change
cel._environment()

#: each slot of the repository and the texts it can hold (the first one is the start)
SLOTS: dict[str, tuple[str, ...]] = {
    "max": ("10", "0", "100"),  # the CRD's maximum of spec.size
    "size": ("'3'", "'30'", "abc"),  # the inline variable SIZE
    "a": ("1", "20", "${SIZE}", "${FROM_MAP}"),  # widget a's spec.size as written
    "map": ("'4'", "'40'", "four"),  # FROM_MAP, a ConfigMap's value
    "type": ("Opaque", "5", "${LABEL}", "kubernetes.io/tls"),  # the SOPS Secret's type
    "token": ("ENC[AES256_GCM,data:pX2Fh0g=,iv:zu=,tag:Ct=,type:str]", "${TOKEN}", "12345"),
    "tokvar": ("Zq8vN3xR2mW7pL4k", "short"),  # TOKEN, a Secret's value (plaintext)
    "from": ("map", "map+secret"),  # where else the apps' variables come from
    "plain": ("a", "1", "x: [1]"),  # a ConfigMap's data value as written (1: not a string)
    "creds": ("yes", "no"),  # whether the apps list the SOPS Secret
    "chart": ("1.2.3", "${SIZE}", "not a version"),  # the HelmRelease's chart version
    "unread": ("0", "1", "2"),  # a comment in a file no build reads
    "depends": ("crds", "none"),  # apps depend on the CRD's Kustomization, or nothing
    "prod": ("'5'", "'50'", "'3'"),  # SIZE in the second cluster (clusters/prod)
    "jobs": ("1", "2"),  # the processes that share the clusters (GITOPS_LINT_JOBS)
    # a file added (or removed again): in the first cluster's directory, which Flux lists;
    # beside the apps, listed by no kustomization; a Kustomization and the directory it applies
    "extra": ("none", "listed", "unlisted", "kustomization"),
    "target": ("entries", "root"),  # what is linted: the clusters, or the root (the hook's way)
    "cel": ("none", "rule"),  # a CEL validation rule in the CRD (its verdicts are kept too)
    "sops": ("none", "tokens"),  # a .sops.yaml whose creation rule names the tokens' file
    "ignore": ("none", "extra"),  # a .sourceignore beside the first cluster's files
    "config": ("none", "rules"),  # a .gitops-lint.yaml that turns a rule off and one down
    # the apps' Kustomization: a patch (strategic merge or JSON 6902), a target namespace
    "patch": ("none", "merge", "json6902"),
    "namespace": ("none", "team"),
    "component": ("none", "labels"),  # a kustomize Component the apps' kustomization takes
    # cert-manager's chart (the CRD charts table) beside the CRD, and a Certificate in the apps
    "certs": ("none", "enabled", "disabled"),
    # a kustomize generator the apps take, and what its file holds (a secretGenerator's
    # source is a Secret's values: a build that reads one is never kept)
    "generator": ("none", "configmap", "secret"),
    "genfile": ("A=1\n", "A=Zq8vN3xR2mW7pL4k\n", "A=${SIZE}\n"),
    "suspend": ("false", "true"),  # the apps' Kustomization suspended
    "cycle": ("none", "cycle"),  # the CRDs' Kustomization depending on the apps'
}

SOPS = """sops:
  lastmodified: "2024-01-01T00:00:00Z"
  mac: ENC[AES256_GCM,data:abc=,iv:def=,tag:ghi=,type:str]
  encrypted_regex: ^(data|stringData)$
  version: 3.8.1
"""


PATCHES = {
    "none": "",
    "merge": "  patches:\n    - patch: '{apiVersion: v1, kind: ConfigMap, metadata: {name: plain}, data: {b: c}}'\n",
    "json6902": "  patches:\n    - target: {kind: ConfigMap, name: plain}\n"
    "      patch: '[{op: add, path: /data/b, value: \"${SIZE}\"}]'\n",
}
GENERATORS = {
    "none": "",
    "configmap": "configMapGenerator:\n  - {name: generated, namespace: default, envs: [gen.env]}\n",
    "secret": "secretGenerator:\n  - {name: generated, namespace: default, envs: [gen.env]}\n",
}
CERTIFICATE = """---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web, namespace: default}
spec: {secretName: web-tls, dnsNames: [example.com], issuerRef: {name: ca, kind: ClusterIssuer}}
"""
CERT_MANAGER = """apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: cert-manager, namespace: default}
spec:
  interval: 10m
  chart:
    spec:
      chart: cert-manager
      version: "1.16.0"
      sourceRef: {kind: HelmRepository, name: charts, namespace: flux-system}
  values: {crds: {enabled: ENABLED}}
"""


def _cluster(s: dict[str, str], name: str, size: str) -> dict[str, str]:
    post = (
        f"  postBuild:\n    substitute: {{SIZE: {size}, LABEL: label-x}}\n"
        "    substituteFrom:\n      - {kind: ConfigMap, name: vars}\n"
        + ("      - {kind: Secret, name: tokens}\n" if s["from"] == "map+secret" else "")
        + PATCHES[s["patch"]]
        + ("  targetNamespace: team\n" if s["namespace"] == "team" else "")
    )
    depends = ["crds"] if s["depends"] == "crds" else []
    base = f"clusters/{name}"
    if s["suspend"] == "true":
        post += "  suspend: true\n"
    return {
        **gotk(name),
        f"{base}/crds.yaml": ks("crds", "./crds", depends=["apps"] if s["cycle"] == "cycle" else []),
        f"{base}/apps.yaml": ks("apps", "./apps", depends=depends, extra=post),
        f"{base}/vars.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: vars, namespace: flux-system}\n"
        f"data: {{FROM_MAP: {s['map']}}}\n",
        f"{base}/tokens.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: tokens, namespace: flux-system}\n"
        f"stringData: {{TOKEN: {s['tokvar']}}}\n",
    }


def tree(s: dict[str, str], clusters: tuple[str, ...] = ("dev",)) -> dict[str, str]:
    files = {}
    for name in clusters:
        files.update(_cluster(s, name, s["size"] if name == "dev" else s["prod"]))
    files.update(
        {
            "crds/kustomization.yaml": KUSTOMIZATION
            + (
                "resources: [widget.yaml, cert-manager.yaml]\n"
                if s["certs"] != "none"
                else "resources: [widget.yaml]\n"
            ),
            "crds/cert-manager.yaml": CERT_MANAGER.replace(
                "ENABLED", "true" if s["certs"] == "enabled" else "false"
            ),
            "crds/widget.yaml": widget_crd(
                "              type: object\n"
                + (CEL_RULE if s["cel"] == "rule" else "")
                + "              properties:\n"
                + f"                size: {{type: integer, maximum: {s['max']}}}\n"
            ),
            "apps/kustomization.yaml": KUSTOMIZATION
            + "resources: [widgets.yaml, plain.yaml, release.yaml"
            + (", creds.yaml" if s["creds"] == "yes" else "")
            + (", certificate.yaml]\n" if s["certs"] != "none" else "]\n")
            + ("components: [../component]\n" if s["component"] == "labels" else "")
            + GENERATORS[s["generator"]],
            "apps/gen.env": s["genfile"],
            "apps/certificate.yaml": CERTIFICATE,
            "component/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
            "labels:\n  - pairs: {team: apps}\n",
            "apps/widgets.yaml": "".join(
                f"---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: {n}, namespace: default}}\n"
                f"spec:\n  size: {size}\n"
                for n, size in (("a", s["a"]), ("b", "${SIZE}"), ("c", "2"))
            ),
            "apps/plain.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain, namespace: default}\n"
            f"data:\n  a: {s['plain']}\n",
            "apps/creds.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: default}\n"
            f"type: {s['type']}\nstringData:\n  token: {s['token']}\n" + SOPS,
            "apps/release.yaml": """apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: web, namespace: default}
spec:
  interval: 10m
  chart:
    spec:
      chart: web
      version: "VERSION"
      sourceRef: {kind: HelmRepository, name: charts, namespace: flux-system}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: charts, namespace: flux-system}
spec: {interval: 1h, url: "https://charts.example.com"}
""".replace("VERSION", s["chart"]),
            "docs/notes.yaml": f"# not read by any build\nnote: {s['unread']}\n",
            **EXTRA[s["extra"]],
            **({".sops.yaml": SOPS_CONFIG} if s["sops"] == "tokens" else {}),
            **({"clusters/dev/.sourceignore": "extra.yaml\n"} if s["ignore"] == "extra" else {}),
            **({".gitops-lint.yaml": CONFIG} if s["config"] == "rules" else {}),
        }
    )
    return files


CEL_RULE = "              x-kubernetes-validations:\n                - {rule: 'self.size != 20', message: not twenty}\n"
SOPS_CONFIG = "creation_rules:\n  - {path_regex: tokens\\.yaml$, encrypted_regex: ^stringData$}\n"
CONFIG = "rules: {crd-prune: off, plaintext-secret: warning}\n"
CONFIGMAP = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: NAME, namespace: default}\ndata: {a: '${SIZE}'}\n"
)
EXTRA: dict[str, dict[str, str]] = {
    "none": {},
    "listed": {"clusters/dev/extra.yaml": CONFIGMAP.replace("NAME", "extra")},
    "unlisted": {"apps/unlisted.yaml": CONFIGMAP.replace("NAME", "unlisted")},
    "kustomization": {
        "clusters/dev/more.yaml": ks("more", "./more", extra="  postBuild:\n    substitute: {SIZE: '7'}\n"),
        "more/kustomization.yaml": KUSTOMIZATION + "resources: [more.yaml]\n",
        "more/more.yaml": CONFIGMAP.replace("NAME", "more") + "---\n" + CONFIGMAP.replace("NAME", "plain"),
    },
}


def sync_tree(root: Path, files: dict[str, str]) -> None:
    """``root`` holding ``files`` and nothing else (its Git directory and cache aside)."""
    write_tree(root, files)
    for path in sorted(root.rglob("*"), reverse=True):
        rel = path.relative_to(root).as_posix()
        if rel.split("/")[0] in (".git", ".gitops-lint-cache"):
            continue
        if path.is_file() and rel not in files:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def both(
    root: Path, clusters: tuple[str, ...] = ("dev",), jobs: str = "1", target: str = "entries"
) -> dict[str, tuple[tuple[int, str, str], tuple[int, str, str]]]:
    """By format, the report of a run with the cache and of one without (exit status,
    stdout, stderr), ``jobs`` processes sharing the clusters; ``target``: the clusters
    linted, or the root (every entry discovery finds, every YAML file judged)."""
    out = {}
    before = os.environ.get("GITOPS_LINT_JOBS")
    os.environ["GITOPS_LINT_JOBS"] = jobs
    try:
        for fmt in ("json", "text"):
            linted = [str(root / "clusters" / c) for c in clusters] if target == "entries" else [str(root)]
            args = (*linted, "--root", str(root), "--format", fmt)
            out[fmt] = (run_cli(*args), run_cli(*args, "--no-cache"))
    finally:
        if before is None:
            del os.environ["GITOPS_LINT_JOBS"]
        else:
            os.environ["GITOPS_LINT_JOBS"] = before
    return out


edits = st.lists(
    st.sampled_from(sorted(SLOTS)).flatmap(
        lambda slot: st.tuples(st.just(slot), st.sampled_from(SLOTS[slot]))
    ),
    min_size=1,
    max_size=8,
)


def nudge(root: Path, n: int) -> None:
    """A comment added to a file of the cluster's own build: the run misses its whole-run
    entry and serves the apps' and the CRD's kept builds, their objects keyed by content."""
    with open(root / "clusters/dev/vars.yaml", "a", encoding="utf-8") as fh:
        fh.write(f"# nudge {n}\n")


def check_edits(steps: list[tuple[str, str]], clusters: tuple[str, ...]) -> None:
    state = {slot: values[0] for slot, values in SLOTS.items()}

    def assert_same(label: str) -> None:
        for fmt, (warm, cold) in both(root, clusters, state["jobs"], state["target"]).items():
            assert warm == cold, f"{fmt} report after {label}"

    with tempfile.TemporaryDirectory() as tmp:
        root = write_tree(Path(tmp) / "repo", tree(state, clusters))
        (root / ".git").mkdir()
        assert_same("the first run")  # every build new
        nudge(root, 0)
        assert_same("a nudge")  # builds served: their objects' results kept
        for i, (slot, value) in enumerate(steps, 1):
            state[slot] = value
            sync_tree(root, tree(state, clusters))
            assert_same(f"{steps[:i]}")
            nudge(root, i)  # what the edit's run built anew is served now
            assert_same(f"{steps[:i]} and a nudge")


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(edits)
def test_a_warm_run_after_any_edits_prints_what_a_cold_run_prints(steps):
    check_edits(steps, ("dev",))


@pytest.mark.slow
@settings(max_examples=10, deadline=None)
@given(edits)
def test_two_clusters_in_one_process_or_two_print_what_a_cold_run_prints(steps):
    check_edits(steps, ("dev", "prod"))
