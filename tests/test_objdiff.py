"""The rendered diff (``gitops-lint diff``): the engine, its formats, and a run on a
Git repository made at test time (a base commit and a head commit)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitops_lint.report.diff_formats import FORMATS as DIFF_FORMATS
from gitops_lint.report.diff_formats import to_json, to_markdown, to_text, to_unified
from gitops_lint.report.objdiff import (
    ADDED,
    CHANGED,
    REMOVED,
    REORDERED,
    ObjectKey,
    diff_objects,
    diff_snapshots,
    key_of,
    strip_noise,
)
from tests.helpers import run_cli, write_tree

SECRET = "Zq8vN3xPq7LmW2rT"  # a value that looks like a secret (the redactor taints it)
NEW_SECRET = "Hy6tR4eWq9ZpL3mK"


def deployment(image="nginx:1.0", containers=None, labels=None, annotations=None, replicas=1) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "apps", "labels": labels or {"app": "web"}},
        "spec": {
            "replicas": replicas,
            "template": {
                "metadata": {"annotations": annotations or {}},
                "spec": {"containers": containers or [{"name": "app", "image": image}]},
            },
        },
    }


def secret(**data) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "apps"},
        "stringData": data,
    }


def snap(*objects: dict, ks: str = "flux-system/apps", cluster: str = "clusters/dev") -> dict:
    return {cluster: {ks: {key_of(o): o for o in objects}}}


def lines(diffs) -> list[str]:
    return to_text(diffs).splitlines()


# -- the engine -------------------------------------------------------------------
def test_added_removed_changed():
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "apps"}}
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "apps"}}
    diffs = diff_snapshots(snap(deployment(), cm), snap(deployment(replicas=2), svc))
    ks = diffs[0].kustomizations[0]
    assert {(o.key.kind, o.change) for o in ks.objects} == {
        ("ConfigMap", REMOVED),
        ("Service", ADDED),
        ("Deployment", CHANGED),
    }
    assert "    ~ Deployment/apps/web" in lines(diffs)
    assert "        spec.replicas: 1 -> 2" in lines(diffs)


def test_unchanged_is_not_listed():
    assert diff_snapshots(snap(deployment()), snap(deployment())) == []
    assert lines([]) == ["No rendered object changes."]


def test_a_changed_image_is_one_line():
    fields = diff_objects(deployment("nginx:1.0"), deployment("nginx:1.1"))
    assert len(fields) == 1
    assert (fields[0].path, fields[0].before, fields[0].after) == (
        "spec.template.spec.containers[name=app].image",
        "nginx:1.0",
        "nginx:1.1",
    )


def test_a_reordered_list_is_one_line_not_churn():
    a = [{"name": "app", "image": "x", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}]
    b = [{"name": "app", "image": "x", "env": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]}]
    fields = diff_objects(deployment(containers=a), deployment(containers=b))
    assert [(f.path, f.change) for f in fields] == [
        ("spec.template.spec.containers[name=app].env", REORDERED)
    ]
    # and a change inside a reordered list is still the one field
    c = [{"name": "app", "image": "x", "env": [{"name": "B", "value": "3"}, {"name": "A", "value": "1"}]}]
    fields = diff_objects(deployment(containers=a), deployment(containers=c))
    assert [f.path for f in fields if f.change == CHANGED] == [
        "spec.template.spec.containers[name=app].env[name=B].value"
    ]


def test_lists_matched_by_other_identifiers():
    a = {"ports": [{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 443, "protocol": "TCP"}]}
    b = {"ports": [{"containerPort": 443, "protocol": "TCP"}, {"containerPort": 80, "protocol": "UDP"}]}
    fields = diff_objects(a, b)
    assert [(f.path, f.change) for f in fields] == [
        ("ports[containerPort=80].protocol", CHANGED),
        ("ports", REORDERED),
    ]


def test_chart_bump_noise_is_stripped_and_configurable():
    before = deployment(
        labels={"app": "web", "helm.sh/chart": "web-1.0", "app.kubernetes.io/version": "1.0"},
        annotations={"checksum/config": "abc"},
    )
    after = deployment(
        labels={"app": "web", "helm.sh/chart": "web-1.1", "app.kubernetes.io/version": "1.1"},
        annotations={"checksum/config": "def"},
    )
    assert diff_snapshots(snap(before), snap(after)) == []
    kept = diff_snapshots(snap(before), snap(after), noise=())
    assert len(kept[0].kustomizations[0].objects[0].fields) == 3
    custom = diff_snapshots(snap(before), snap(after), noise=("helm.sh/*",))
    assert {f.path for f in custom[0].kustomizations[0].objects[0].fields} == {
        'metadata.labels["app.kubernetes.io/version"]',
        'spec.template.metadata.annotations["checksum/config"]',
    }
    # a values key named like a label elsewhere is not noise
    assert strip_noise({"spec": {"values": {"helm.sh/chart": 1}}}, ("helm.sh/chart",)) == {
        "spec": {"values": {"helm.sh/chart": 1}}
    }


def test_secret_values_are_hidden_in_every_format():
    diffs = diff_snapshots(
        snap(secret(password=SECRET, user="app")),
        snap(secret(password=NEW_SECRET, user="app", token=NEW_SECRET + "x")),
    )
    text = to_text(diffs)
    assert "stringData.password: (changed, value hidden)" in text
    assert "stringData.token: (added, value hidden)" in text
    outputs = [render(diffs) for _, render in sorted(DIFF_FORMATS.items())]
    for out in outputs:
        assert SECRET not in out and NEW_SECRET not in out, out
        assert SECRET[:8] not in out and NEW_SECRET[:8] not in out
    unified = to_unified(diffs)
    assert "+  password: (value hidden, changed)" in unified
    assert "-  password: (value hidden)" in unified
    doc = json.loads(to_json(diffs))
    field = doc["clusters"][0]["kustomizations"][0]["objects"][0]["fields"][0]
    assert field == {"path": "stringData.password", "change": "changed", "hidden": True}


def test_every_printed_value_passes_the_redactor():
    before = deployment(containers=[{"name": "app", "image": "x", "args": ["--db=postgres://u:old@db"]}])
    after = deployment(containers=[{"name": "app", "image": "x", "args": [f"--db=postgres://u:{SECRET}@db"]}])
    diffs = diff_snapshots(snap(before), snap(after))

    def redact(text: str) -> str:
        return text.replace(SECRET, "***")

    for fmt in DIFF_FORMATS.values():
        out = fmt(diffs, redact)
        assert SECRET not in out and "***" in out, fmt


def test_added_and_removed_kustomizations_and_clusters():
    d = deployment()
    diffs = diff_snapshots(
        snap(d), {"clusters/dev": {"flux-system/apps": {key_of(d): d}, "flux-system/new": {}}}
    )
    assert [(k.name, k.change) for k in diffs[0].kustomizations] == [("flux-system/new", ADDED)]
    gone = diff_snapshots(snap(d), {})
    assert gone[0].change == REMOVED and gone[0].kustomizations[0].objects[0].change == REMOVED


def test_markdown_sections_and_size_limit():
    objs = {f"flux-system/ks{i}": {} for i in range(40)}
    head = {
        "c": {k: {key_of(deployment(image=f"n:{i}")): deployment(image=f"n:{i}")} for i, k in enumerate(objs)}
    }
    base = {"c": {k: {key_of(deployment()): deployment()} for k in objs}}
    diffs = diff_snapshots(base, head)
    full = to_markdown(diffs)
    assert full.count("<details>") == 40 and full.count("</details>") == 40
    short = to_markdown(diffs, limit=2000)
    assert len(short) <= 2000
    shown = short.count("<details>")
    assert 0 < shown < 40
    assert f"_Truncated: {40 - shown} more Kustomizations not shown" in short


def test_markdown_fence_cannot_be_closed_by_a_value():
    before = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "a"}}
    after = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "```\n<b>x"}}
    out = to_markdown(diff_snapshots(snap(before), snap(after)))
    assert "````diff" in out


def test_json_is_stable_and_deterministic():
    a = snap(deployment(), secret(password=SECRET))
    b = snap(deployment(image="nginx:2"), secret(password=NEW_SECRET))
    first = to_json(diff_snapshots(a, b))
    reordered = {c: {k: dict(reversed(v.items())) for k, v in ks.items()} for c, ks in b.items()}
    assert to_json(diff_snapshots(a, reordered)) == first
    doc = json.loads(first)
    assert doc["version"] == 1
    assert doc["summary"] == {"added": 0, "changed": 2, "clusters": 1, "kustomizations": 1, "removed": 0}


def test_group_is_part_of_the_identity():
    v1 = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    other = {"apiVersion": "other.io/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert key_of(v1) != key_of(other)
    assert key_of(v1) == ObjectKey("example.com", "Widget", "", "w")
    # a version bump in one group is a change of the object, not a remove and an add
    v2 = dict(v1, apiVersion="example.com/v2")
    diffs = diff_snapshots(snap(v1), snap(v2))
    assert [(f.path, f.change) for f in diffs[0].kustomizations[0].objects[0].fields] == [
        ("apiVersion", CHANGED)
    ]


_scalars = st.one_of(st.integers(-3, 3), st.text("ab", max_size=2), st.booleans(), st.none())
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["name", "a", "b"]), inner, max_size=3)
    ),
    max_leaves=12,
)


@pytest.mark.slow
@given(_values, _values)
def test_property_no_change_iff_equal(a, b):
    """The diff is empty exactly when the objects are equal up to the order of identified entries."""
    fields = diff_objects({"spec": a}, {"spec": b})
    if a == b:
        assert fields == []
    else:
        assert fields, (a, b)
    assert diff_objects({"spec": a}, {"spec": a}) == []


# -- end to end, on a Git repository ------------------------------------------------
GOTK = {
    "clusters/dev/flux-system/gotk-components.yaml": (
        "# Flux Version: v2.7.0\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n"
    ),
    "clusters/dev/flux-system/gotk-sync.yaml": """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m0s
  ref:
    branch: main
  url: ssh://git@github.com/example/fleet
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 10m0s
  path: ./clusters/dev
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
""",
    "clusters/dev/flux-system/kustomization.yaml": (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources:\n  - gotk-components.yaml\n  - gotk-sync.yaml\n"
    ),
}


def flux_ks(name: str, path: str, variables: dict | None = None) -> str:
    text = f"""\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {name}
  namespace: flux-system
spec:
  interval: 10m
  path: {path}
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
"""
    if variables:
        text += "  postBuild:\n    substitute:\n" + "".join(
            f'      {k}: "{v}"\n' for k, v in variables.items()
        )
    return text


APP_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: apps
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: app
          image: nginx:1.0
          env:
            - name: LOG_LEVEL
              value: ${log_level}
"""


def base_files() -> dict[str, str]:
    files = dict(GOTK)
    files["clusters/dev/apps.yaml"] = flux_ks("apps", "./apps", {"log_level": "info"})
    files["apps/kustomization.yaml"] = (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources:\n  - deployment.yaml\n  - config.yaml\n  - secret.yaml\n"
        "patches:\n  - patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: 2\n"
        "    target:\n      kind: Deployment\n      name: web\n"
    )
    files["apps/deployment.yaml"] = APP_DEPLOYMENT
    files["apps/config.yaml"] = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: old-config\n  namespace: apps\ndata:\n  a: b\n"
    )
    files["apps/secret.yaml"] = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: apps\n"
        f"stringData:\n  password: {SECRET}\n"
    )
    return files


def head_changes() -> dict[str, str | None]:
    """The head commit: each change the issue lists (None removes the file)."""
    return {
        # an added Kustomization
        "clusters/dev/monitoring.yaml": flux_ks("monitoring", "./monitoring"),
        "monitoring/kustomization.yaml": (
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - sa.yaml\n"
        ),
        "monitoring/sa.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: agent\n  namespace: monitoring\n",
        # a changed patch (replicas 2 -> 3) and a removed object (config.yaml)
        "apps/kustomization.yaml": base_files()["apps/kustomization.yaml"]
        .replace("value: 2", "value: 3")
        .replace("  - config.yaml\n", ""),
        "apps/config.yaml": None,
        # a changed substitution value
        "clusters/dev/apps.yaml": flux_ks("apps", "./apps", {"log_level": "debug"}),
        # a Secret change
        "apps/secret.yaml": base_files()["apps/secret.yaml"].replace(SECRET, NEW_SECRET),
    }


def git(root: Path, *args: str) -> None:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "HOME": str(root),
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with a base commit (tag ``base``) and the head's changes committed."""
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    root = tmp_path / "repo"
    root.mkdir()
    write_tree(root, base_files())
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "tag", "base")
    for rel, text in head_changes().items():
        if text is None:
            (root / rel).unlink()
        else:
            write_tree(root, {rel: text})
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "head")
    return root


@pytest.fixture
def base_dir(repo: Path, tmp_path: Path) -> Path:
    """The base commit's tree, written out (what ``--base`` reads from the object store)."""
    out = tmp_path / "base"
    out.mkdir()
    archive = subprocess.run(["git", "archive", "base"], cwd=repo, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive, check=True)
    return out


def _diff(repo: Path, base_dir: Path, *extra: str) -> tuple[int, str, str]:
    return run_cli(
        "diff", "--base-dir", str(base_dir), "--root", str(repo), str(repo / "clusters/dev"), *extra
    )


EXPECTED_TEXT = """\
cluster clusters/dev
  Kustomization flux-system/apps
    - ConfigMap/apps/old-config
    ~ Secret/apps/db
        stringData.password: (changed, value hidden)
    ~ Deployment/apps/web
        spec.replicas: 2 -> 3
        spec.template.spec.containers[name=app].env[name=LOG_LEVEL].value: info -> debug
  Kustomization flux-system/flux-system
    ~ Kustomization/flux-system/apps
        spec.postBuild.substitute.log_level: info -> debug
    + Kustomization/flux-system/monitoring
  Kustomization flux-system/monitoring (new)
    + ServiceAccount/monitoring/agent
2 added, 3 changed, 1 removed objects in 3 Kustomizations of 1 cluster.
"""


def test_end_to_end_text(repo: Path, base_dir: Path):
    code, out, err = _diff(repo, base_dir)
    assert code == 0, err
    assert out == EXPECTED_TEXT, out
    assert SECRET not in out + err and NEW_SECRET not in out + err


def test_end_to_end_formats_hide_the_secret(repo: Path, base_dir: Path):
    for fmt in sorted(DIFF_FORMATS):
        code, out, err = _diff(repo, base_dir, "--format", fmt)
        assert code == 0, err
        assert SECRET[:8] not in out + err and NEW_SECRET[:8] not in out + err, fmt
        assert "Deployment" in out
    code, out, _ = _diff(repo, base_dir, "--format", "unified")
    assert "-  replicas: 2\n+  replicas: 3" in out
    assert "+++ /dev/null" in out  # the removed ConfigMap


def test_end_to_end_no_change_is_empty(repo: Path):
    code, out, _ = run_cli("diff", "--base-dir", str(repo), "--root", str(repo), str(repo / "clusters/dev"))
    assert (code, out) == (0, "No rendered object changes.\n")


def test_end_to_end_from_a_git_ref(repo: Path):
    pytest.importorskip("gitops_lint.gitref")  # lands with --new-only (issue 19 point 2)
    code, out, err = run_cli("diff", "--base", "base", "--root", str(repo), str(repo / "clusters/dev"))
    assert code == 0, err
    assert out == EXPECTED_TEXT, out


def test_diff_needs_a_base(repo: Path):
    code, _, err = run_cli("diff", "--root", str(repo), str(repo / "clusters/dev"))
    assert code == 2 and "diff needs --base REF" in err


def test_a_regenerated_configmap_is_one_changed_object():
    def cm(name: str, color: str) -> dict:
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"color": color}}

    diffs = diff_snapshots(snap(cm("ui-8b24mcc865", "red")), snap(cm("ui-6k9mgtf48c", "green")))
    (obj,) = diffs[0].kustomizations[0].objects
    assert obj.change == CHANGED and obj.key.name == "ui-6k9mgtf48c"
    assert [(f.path, f.before, f.after) for f in obj.fields] == [
        ("data.color", "red", "green"),
        ("metadata.name", "ui-8b24mcc865", "ui-6k9mgtf48c"),
    ]
    # a name without kustomize's hash suffix is a remove and an add
    diffs = diff_snapshots(snap(cm("ui-one", "red")), snap(cm("ui-two", "red")))
    assert sorted(o.change for o in diffs[0].kustomizations[0].objects) == [ADDED, REMOVED]


def test_readme_shows_the_real_markdown_diff(tmp_path: Path):
    """README "Rendered diff": the example repository with its podinfo colour changed."""
    from tests.conftest import PROJECT

    example = PROJECT / "tests" / "fixtures" / "example"
    base, head = tmp_path / "base", tmp_path / "head"
    shutil.copytree(example, base)
    shutil.copytree(example, head)
    kfile = head / "apps" / "base" / "podinfo" / "kustomization.yaml"
    text = kfile.read_text()
    assert "PODINFO_UI_COLOR=#34577c" in text
    kfile.write_text(text.replace("PODINFO_UI_COLOR=#34577c", "PODINFO_UI_COLOR=#2f855a"))
    code, out, err = run_cli(
        "diff",
        "--base-dir",
        str(base),
        "--root",
        str(head),
        str(head / "clusters/mycluster-0"),
        "--format",
        "markdown",
    )
    assert code == 0, err
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- diff-example:start -->\n", 1)[1].split("<!-- diff-example:end -->", 1)[0]
    shown = "".join(line[2:] if line.startswith("> ") else line[1:] for line in block.splitlines(True))
    assert shown == out


def test_a_substituted_secret_value_is_redacted(tmp_path: Path):
    """A value from a Secret (substituteFrom) that reaches a ConfigMap is masked on both sides."""

    def tree(root: Path, password: str) -> None:
        files = dict(GOTK)
        files["clusters/dev/vars.yaml"] = (
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: vars\n  namespace: flux-system\n"
            f"stringData:\n  db_password: {password}\n"
        )
        files["clusters/dev/apps.yaml"] = flux_ks("apps", "./apps") + (
            "  postBuild:\n    substituteFrom:\n      - kind: Secret\n        name: vars\n"
        )
        files["apps/kustomization.yaml"] = (
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - cm.yaml\n"
        )
        files["apps/cm.yaml"] = (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: db\n  namespace: apps\n"
            "data:\n  url: postgres://app:${db_password}@db:5432/app\n"
        )
        write_tree(root, files)

    base, head = tmp_path / "base", tmp_path / "head"
    tree(base, SECRET)
    tree(head, NEW_SECRET)
    for fmt in ("text", "json", "markdown", "unified"):
        code, out, err = run_cli(
            "diff", "--base-dir", str(base), "--root", str(head), str(head / "clusters/dev"), "--format", fmt
        )
        assert code == 0, err
        assert ("ConfigMap" if fmt == "json" else "ConfigMap/apps/db") in out, out
        assert SECRET[:8] not in out + err and NEW_SECRET[:8] not in out + err, (fmt, out)
        # the change is listed, its values masked (unified: both sides mask to the same text)
        assert ("changed in values not shown (redacted)" if fmt == "unified" else "app:***@db") in out, out


def test_helmrelease_values_are_field_paths_and_text_a_line_diff():
    def hr(replicas: int, config: str) -> dict:
        return {
            "apiVersion": "helm.toolkit.fluxcd.io/v2",
            "kind": "HelmRelease",
            "metadata": {"name": "app", "namespace": "apps"},
            "spec": {"values": {"replicas": replicas, "config": config}},
        }

    diffs = diff_snapshots(snap(hr(1, "a: 1\nb: 2\nc: 3\n")), snap(hr(2, "a: 1\nb: 5\nc: 3\n")))
    text = to_text(diffs)
    assert "        spec.values.replicas: 1 -> 2" in text
    assert "        spec.values.config: (text changed)" in text
    assert "          -b: 2\n          +b: 5" in text


def test_control_characters_are_escaped():
    before = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k\x1b[31m": "a"}}
    after = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
        "data": {"k\x1b[31m": "b\x1b]0;x\x07"},
    }
    diffs = diff_snapshots(snap(before), snap(after))
    for fmt in (to_text, to_markdown, to_unified):
        out = fmt(diffs)
        assert "\x1b" not in out and "\x07" not in out, fmt
    assert (
        "\x1b"
        in json.loads(to_json(diffs))["clusters"][0]["kustomizations"][0]["objects"][0]["fields"][0]["path"]
    )


def test_exit_code_and_size_options(repo: Path, base_dir: Path):
    assert _diff(repo, base_dir, "--exit-code")[0] == 1
    assert _diff(repo, base_dir)[0] == 0
    code, out, _ = run_cli(
        "diff", "--base-dir", str(repo), "--root", str(repo), str(repo / "clusters/dev"), "--exit-code"
    )
    assert (code, out) == (0, "No rendered object changes.\n")
    code, _, err = _diff(repo, base_dir, "--format", "markdown", "--max-size", "10")
    assert code == 2 and "--max-size 10" in err


def test_an_object_moved_between_kustomizations_says_where():
    d = deployment()
    base = {"c": {"flux-system/a": {key_of(d): d}, "flux-system/b": {}}}
    head = {"c": {"flux-system/a": {}, "flux-system/b": {key_of(d): d}}}
    text = to_text(diff_snapshots(base, head))
    assert "    - Deployment/apps/web (moved to Kustomization flux-system/b)" in text
    assert "    + Deployment/apps/web (moved from Kustomization flux-system/a)" in text
    doc = json.loads(to_json(diff_snapshots(base, head)))
    objs = [o for k in doc["clusters"][0]["kustomizations"] for o in k["objects"]]
    assert [o.get("movedTo") or o.get("movedFrom") for o in objs] == ["flux-system/b", "flux-system/a"]


def test_a_renamed_file_changes_nothing_rendered(tmp_path: Path):
    base, head = tmp_path / "base", tmp_path / "head"
    write_tree(base, base_files())
    files = base_files()
    files["apps/web.yaml"] = files.pop("apps/deployment.yaml")
    files["apps/kustomization.yaml"] = files["apps/kustomization.yaml"].replace("deployment.yaml", "web.yaml")
    write_tree(head, files)
    code, out, err = run_cli("diff", "--base-dir", str(base), "--root", str(head), str(head / "clusters/dev"))
    assert (code, out) == (0, "No rendered object changes.\n"), err


@pytest.mark.slow
@given(
    st.lists(
        st.tuples(st.text("abc", min_size=1, max_size=3), _scalars), max_size=6, unique_by=lambda t: t[0]
    ),
    st.randoms(),
)
def test_property_a_reorder_is_at_most_one_line(entries, rnd):
    env = [{"name": n, "value": v} for n, v in entries]
    shuffled = list(env)
    rnd.shuffle(shuffled)
    fields = diff_objects({"env": env}, {"env": shuffled})
    assert [f.change for f in fields] == ([REORDERED] if shuffled != env else [])
