"""``--fix`` and ``--diff``: exact, byte-for-byte edits that keep everything else.

The fixers are tested directly with constructed findings (the rules they serve
may be built by others), then end to end through the command line where the
rule is registered.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gitops_lint.core.data import Finding, ObjectRef, Severity
from gitops_lint.fix import API_REPLACEMENTS, FIXERS, plan_fixes, write_fixes
from gitops_lint.rules import all_rules
from tests.conftest import FIXTURES
from tests.helpers import lint_repo, run_cli, write_tree

CRDS_LAYER = """\
# layer 2: the CRDs, applied before anything that uses them
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: crds   # keep this name
  namespace: flux-system
spec:
  interval: 1h
  path: ./crds
  prune: true    # TODO: should this prune?
  sourceRef:
    kind: GitRepository
    name: flux-system
"""

CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""


def finding(rule: str, file: str, line: int, obj: ObjectRef | None = None) -> Finding:
    return Finding(rule, "GL000", Severity.ERROR, "constructed", file, line, 1, obj)


def fix_files(root: Path, findings: list[Finding]):
    report = plan_fixes(str(root), findings)
    write_fixes(str(root), report)
    return report


def test_crd_prune_sets_false_and_keeps_every_other_byte(tmp_path):
    write_tree(tmp_path, {"clusters/dev/crds.yaml": CRDS_LAYER})
    obj = ObjectRef("Kustomization", "flux-system", "crds", "kustomize.toolkit.fluxcd.io/v1")
    report = fix_files(tmp_path, [finding("crd-prune", "clusters/dev/crds.yaml", 10, obj)])
    after = (tmp_path / "clusters/dev/crds.yaml").read_bytes()
    assert after == CRDS_LAYER.replace("prune: true    # TODO", "prune: false    # TODO").encode()
    assert [a.description for a in report.applied] == ["set spec.prune to false"] and not report.left


def test_crd_prune_leaves_a_value_it_cannot_see(tmp_path):
    text = CRDS_LAYER.replace("prune: true", 'prune: "${PRUNE}"')
    write_tree(tmp_path, {"ks.yaml": text})
    report = fix_files(tmp_path, [finding("crd-prune", "ks.yaml", 10)])
    assert (tmp_path / "ks.yaml").read_text() == text and not report.after
    assert "not true" in report.left[0].reason


def test_deprecated_api_keeps_quotes_comments_and_crlf(tmp_path):
    text = (
        "---\r\n# the app source\r\n"
        'apiVersion: "source.toolkit.fluxcd.io/v1beta2"  # old\r\n'
        "kind: GitRepository\r\nmetadata:\r\n  name: app\r\n  namespace: flux-system\r\n"
        "spec:\r\n  interval: 5m\r\n  url: https://example.com/app.git\r\n  ref: {branch: main}\r\n"
        "---\r\napiVersion: 'helm.toolkit.fluxcd.io/v2beta1'\r\nkind: HelmRelease\r\nmetadata:\r\n  name: app\r\n"
        "spec:\r\n  chart:\r\n    spec:\r\n      chart: app\r\n      valuesFile: values-prod.yaml\r\n"
    )
    write_tree(tmp_path, {})
    (tmp_path / "src.yaml").write_bytes(text.encode())
    git = ObjectRef("GitRepository", "flux-system", "app", "source.toolkit.fluxcd.io/v1beta2")
    hr = ObjectRef("HelmRelease", "", "app", "helm.toolkit.fluxcd.io/v2beta1")
    report = fix_files(
        tmp_path,
        [finding("deprecated-api", "src.yaml", 3, git), finding("deprecated-api", "src.yaml", 13, hr)],
    )
    expected = text.replace('"source.toolkit.fluxcd.io/v1beta2"', '"source.toolkit.fluxcd.io/v1"')
    assert (tmp_path / "src.yaml").read_bytes() == expected.encode()
    assert len(report.applied) == 1
    (left,) = report.left
    assert left.finding.object == hr and "spec.chart.spec.valuesFile" in left.reason


@pytest.mark.parametrize(("old", "kind"), sorted(API_REPLACEMENTS))
def test_every_replacement_moves_to_a_newer_version_of_the_same_group(old, kind):
    new, _removed = API_REPLACEMENTS[(old, kind)]
    assert new.rsplit("/", 1)[0] == old.rsplit("/", 1)[0] and new != old


def test_deprecated_api_is_left_where_the_cluster_flux_does_not_serve_the_replacement(tmp_path):
    # source.toolkit.fluxcd.io/v1 HelmRepository arrives with Flux 2.3: on a 2.2
    # cluster the rewrite would make the apply fail, so the fix is left
    text = "apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: HelmRepository\nmetadata:\n  name: r\n"
    write_tree(tmp_path, {"repo.yaml": text})
    obj = ObjectRef("HelmRepository", "", "r", "source.toolkit.fluxcd.io/v1beta2")
    old = Finding("deprecated-api", "GL503", Severity.WARNING, "constructed", "repo.yaml", 1, 1, obj, "c22")
    report = plan_fixes(str(tmp_path), [old], {"c22": (2, 2)})
    assert report.applied == [] and "served from Flux 2.3" in report.left[0].reason
    report = plan_fixes(str(tmp_path), [old], {"c22": (2, 3)})
    assert len(report.applied) == 1


def test_deprecated_api_without_replacement_is_left(tmp_path):
    text = "apiVersion: networking.k8s.io/v1beta1\nkind: Ingress\nmetadata:\n  name: web\n"
    write_tree(tmp_path, {"ing.yaml": text})
    report = fix_files(
        tmp_path,
        [
            finding(
                "deprecated-api", "ing.yaml", 1, ObjectRef("Ingress", "", "web", "networking.k8s.io/v1beta1")
            )
        ],
    )
    assert (tmp_path / "ing.yaml").read_text() == text
    assert "no field-compatible replacement" in report.left[0].reason


def test_missing_namespace_from_the_objects_beside_it(tmp_path):
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings  # app settings\n  labels:\n    app: web\n"
        "data:\n  a: b\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: web\n"
    )
    write_tree(tmp_path, {"apps/web.yaml": text})
    report = fix_files(
        tmp_path,
        [finding("missing-namespace", "apps/web.yaml", 1, ObjectRef("ConfigMap", "", "settings", "v1"))],
    )
    assert (tmp_path / "apps/web.yaml").read_text() == text.replace(
        "  name: settings  # app settings\n", "  name: settings  # app settings\n  namespace: web\n"
    )
    assert report.applied[0].description == "added metadata.namespace: web"


def test_missing_namespace_uses_the_directory_and_refuses_ambiguity(tmp_path):
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
    write_tree(
        tmp_path,
        {
            "one/cm.yaml": cm,
            "one/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  namespace: one\n",
            "two/cm.yaml": cm,
            "two/x.yaml": "kind: Service\nmetadata:\n  name: x\n  namespace: a\n---\nkind: Service\nmetadata:\n  name: y\n  namespace: b\n",
            "three/cm.yaml": cm,
        },
    )
    ref = ObjectRef("ConfigMap", "", "a", "v1")
    report = fix_files(
        tmp_path, [finding("missing-namespace", f"{d}/cm.yaml", 1, ref) for d in ("one", "two", "three")]
    )
    assert (tmp_path / "one/cm.yaml").read_text() == cm + "  namespace: one\n"
    assert (tmp_path / "two/cm.yaml").read_text() == cm and (tmp_path / "three/cm.yaml").read_text() == cm
    reasons = sorted(x.reason for x in report.left)
    assert reasons == [
        "no unambiguous default namespace (nothing in its file or directory names a namespace)",
        "no unambiguous default namespace (the objects of its directory name a, b)",
    ]


def test_flow_style_metadata_is_left_untouched(tmp_path):
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: x\n"
    write_tree(tmp_path, {"f.yaml": text})
    report = fix_files(
        tmp_path, [finding("missing-namespace", "f.yaml", 1, ObjectRef("ConfigMap", "", "a", "v1"))]
    )
    assert (tmp_path / "f.yaml").read_text() == text
    assert "flow style" in report.left[0].reason


def test_outside_root_and_unparsable_files_are_left(tmp_path):
    write_tree(tmp_path, {"bad.yaml": "a: [\n"})
    report = fix_files(
        tmp_path, [finding("crd-prune", "../etc/passwd", 1), finding("crd-prune", "bad.yaml", 1)]
    )
    assert not report.after and len(report.left) == 2


def _crd_repo(root: Path) -> Path:
    return write_tree(
        root,
        {
            ".gitops-lint.yaml": "fail-on: error\n",
            "clusters/dev/crds.yaml": CRDS_LAYER,
            "crds/widgets.yaml": CRD,
        },
    )


def test_diff_writes_nothing_and_fix_writes_the_same_change(tmp_path):
    if "crd-prune" not in {r.name for r in all_rules()}:
        pytest.skip("rule crd-prune is not registered yet")
    root = _crd_repo(tmp_path)
    before = (root / "clusters/dev/crds.yaml").read_bytes()
    code, out, err = run_cli(str(root / "clusters/dev"), "--root", str(root), "--diff")
    assert code == 1 and (root / "clusters/dev/crds.yaml").read_bytes() == before
    assert (
        "-  prune: true    # TODO: should this prune?\n+  prune: false    # TODO: should this prune?\n" in out
    )
    assert "fixed clusters/dev/crds.yaml:10 crd-prune: set spec.prune to false" in err
    code, out, err = run_cli(str(root / "clusters/dev"), "--root", str(root), "--fix")
    assert code == 0, out + err
    assert (root / "clusters/dev/crds.yaml").read_bytes() == before.replace(b"prune: true ", b"prune: false ")
    assert "crd-prune" not in out and "1 fixed, 0 left" in err
    code, out, _ = run_cli(str(root / "clusters/dev"), "--root", str(root), "--diff")
    assert code == 0 and out == ""


def _comment_lines(root: Path) -> dict[str, list[str]]:
    return {
        str(p.relative_to(root)): [
            ln.strip() for ln in p.read_text().splitlines() if ln.strip().startswith("#")
        ]
        for p in sorted(root.rglob("*.y*ml"))
    }


@pytest.mark.parametrize("rule", sorted(FIXERS))
def test_fix_on_the_rule_fixture_lints_clean_for_that_rule(rule, tmp_path):
    """--fix on the defect fixture of each fixable rule: no finding of that rule is left
    (or each one left has a reason), and every comment line survives."""
    fixture = FIXTURES / "defects" / rule
    if rule not in {r.name for r in all_rules()} or not fixture.is_dir():
        pytest.skip(f"rule {rule} or its fixture tests/fixtures/defects/{rule} is not there yet")
    root = tmp_path / rule
    shutil.copytree(fixture, root, ignore=shutil.ignore_patterns("expected.txt"))
    comments = _comment_lines(root)
    before = [f for f in lint_repo(root).findings if f.rule == rule]
    assert before, f"the {rule} fixture has no {rule} finding"
    report = plan_fixes(str(root), before)
    write_fixes(str(root), report)
    after = [f for f in lint_repo(root).findings if f.rule == rule]
    assert len(after) == len(report.left), (after, report.left)
    assert report.applied
    assert _comment_lines(root) == comments


def test_fix_never_writes_through_a_committed_symlink(tmp_path):
    # a stranger's pull request commits links where the temporary file would go
    # (old and new names) to a file outside the root: the write must not follow them
    import os

    repo = write_tree(tmp_path / "repo", {"clusters/dev/crds.yaml": CRDS_LAYER})
    outside = tmp_path / "outside.txt"
    outside.write_text("untouched\n")
    target = repo / "clusters/dev/crds.yaml"
    (repo / "clusters/dev/crds.yaml.gitops-lint-fix").symlink_to(outside)
    for attempt in range(3):
        (repo / f"clusters/dev/.crds.yaml.{os.getpid()}-{attempt}.gitops-lint-fix").symlink_to(outside)
    obj = ObjectRef("Kustomization", "flux-system", "crds", "kustomize.toolkit.fluxcd.io/v1")
    report = plan_fixes(str(repo), [finding("crd-prune", "clusters/dev/crds.yaml", 12, obj)])
    assert write_fixes(str(repo), report) == []
    assert outside.read_text() == "untouched\n"
    assert not target.is_symlink() and "prune: false" in target.read_text()


def test_fix_refuses_a_file_that_is_a_symlink(tmp_path):
    repo = write_tree(tmp_path, {"real/crds.yaml": CRDS_LAYER})
    (repo / "clusters/dev").mkdir(parents=True)
    (repo / "clusters/dev/crds.yaml").symlink_to(repo / "real/crds.yaml")
    obj = ObjectRef("Kustomization", "flux-system", "crds", "kustomize.toolkit.fluxcd.io/v1")
    report = plan_fixes(str(repo), [finding("crd-prune", "clusters/dev/crds.yaml", 12, obj)])
    refused = write_fixes(str(repo), report)
    assert refused and "symlink" in refused[0]
    assert (repo / "real/crds.yaml").read_text() == CRDS_LAYER


# -- each edit verified: by gitops-lint's loader where it reads the file as ruamel.yaml does --
def _ruamel_parses(monkeypatch) -> list[str]:
    from gitops_lint import fix

    parsed: list[str] = []
    real = fix._yaml

    class Counting:
        def load_all(self, text):
            parsed.append(text)
            return real().load_all(text)

    monkeypatch.setattr(fix, "_yaml", Counting)
    return parsed


def test_an_edit_both_parsers_would_accept_is_not_parsed_again_by_ruamel(monkeypatch):
    from gitops_lint import fix

    parsed = _ruamel_parses(monkeypatch)
    text = "apiVersion: helm.toolkit.fluxcd.io/v2beta1  # old\nkind: HelmRelease\n---\na: 1\n"
    src = fix.SourceFile("a.yaml", text)
    edit = fix.SetScalar(0, ("apiVersion",), "helm.toolkit.fluxcd.io/v2", "helm.toolkit.fluxcd.io/v2")
    after = fix.apply_edits(src, [edit])
    assert after.text == text.replace("v2beta1", "v2")
    assert parsed == [text]  # the file as it was, not as edited
    assert after.docs[0]["apiVersion"] == "helm.toolkit.fluxcd.io/v2"  # read when asked
    assert parsed == [text, after.text]


@pytest.mark.parametrize(
    "text",
    [
        "a: b\na: c\nk: v\n",  # a duplicate key: ruamel.yaml takes it, the loader refuses it
        "k: v\nt: 2001-12-14\n",  # a timestamp: ruamel.yaml's datetime, the loader's string
        "k: v\nmode: 0755\n",  # YAML 1.2's decimal 755 to ruamel.yaml, go-yaml's octal to the loader
    ],
)
def test_where_the_parsers_differ_ruamel_verifies_the_edit_as_before(monkeypatch, text):
    from gitops_lint import fix

    parsed = _ruamel_parses(monkeypatch)
    src = fix.SourceFile("a.yaml", text)
    after = fix.apply_edits(src, [fix.SetScalar(0, ("k",), "w", "w")])
    assert after.text == text.replace("k: v", "k: w")
    assert parsed == [text, after.text]


def test_an_edit_the_loader_reads_otherwise_than_intended_is_refused_as_before(monkeypatch):
    """The loader's verdict only ever takes ruamel.yaml's place when the edit is what was
    intended; otherwise ruamel.yaml decides, and refuses what it always refused."""
    from gitops_lint import fix

    parsed = _ruamel_parses(monkeypatch)
    src = fix.SourceFile("a.yaml", "k: v\n")
    with pytest.raises(fix._Refused):
        fix.apply_edits(src, [fix.SetScalar(0, ("k",), "a: b", "a: b")])
    with pytest.raises(fix._Refused):
        fix.apply_edits(src, [fix.SetScalar(0, ("k",), "w", "[w]")])
    assert parsed == ["k: v\n", "k: a: b\n", "k: [w]\n"]  # the file, then each edited text


def test_the_fixed_tree_is_read_whole_through_its_overlay(tmp_path):
    """What the lints of the fixed tree derive of a file (discovery's filters, whether it may
    hold a suppression comment) is derived of the fixed text, as its reads are."""
    from gitops_lint.discover.entries import sync_filter
    from gitops_lint.fix import OverlayFS
    from gitops_lint.load.suppress import mentions_gitops_lint, read_text

    (tmp_path / "a.yaml").write_text("kind: ConfigMap\n")
    fixed = "kind: GitRepository  # gitops-lint: disable-line=schema\n"
    fs = OverlayFS(str(tmp_path), 1 << 20, {"a.yaml": fixed})
    assert fs.read_bytes("a.yaml") == fixed.encode()
    assert fs.derive("a.yaml", mentions_gitops_lint) is True
    assert read_text(fs, "a.yaml") == fixed
    assert fs.derive("a.yaml", sync_filter) == sync_filter(fixed.encode())


def test_the_same_objects_finding_in_another_cluster_needs_no_ruamel_parse(monkeypatch):
    """A file's object fixed for one cluster's finding: the same finding of another cluster
    finds no document of the old apiVersion in the edited data, without ruamel.yaml; a
    finding of another document of the file is fixed from ruamel.yaml's parse as before."""
    from gitops_lint import fix

    parsed = _ruamel_parses(monkeypatch)
    text = (
        "apiVersion: helm.toolkit.fluxcd.io/v2beta1\nkind: HelmRelease\nmetadata: {name: a}\n"
        "---\napiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: HelmRepository\nmetadata: {name: b}\n"
    )

    def finding(kind: str, api: str, name: str, line: int, cluster: str) -> Finding:
        ref = ObjectRef(kind, "default", name, api)
        return Finding("deprecated-api", "GL701", Severity.WARNING, "m", "a.yaml", line, 1, ref, cluster)

    release = ("HelmRelease", "helm.toolkit.fluxcd.io/v2beta1", "a", 1)
    repository = ("HelmRepository", "source.toolkit.fluxcd.io/v1beta2", "b", 5)
    src = fix.SourceFile("a.yaml", text)
    once = fix.apply_edits(src, fix.fix_deprecated_api(src, finding(*release, "dev")))
    assert parsed == [text]
    again = fix.fix_deprecated_api(once, finding(*release, "prod"))
    assert isinstance(again, fix.Leave) and parsed == [text]
    assert again == fix.fix_deprecated_api(fix.SourceFile("a.yaml", once.text), finding(*release, "prod"))
    count = len(parsed)
    other = fix.fix_deprecated_api(once, finding(*repository, "dev"))
    assert parsed[count:] == [once.text]  # a document to fix: ruamel.yaml reads the edited file
    assert other == fix.fix_deprecated_api(fix.SourceFile("a.yaml", once.text), finding(*repository, "dev"))
    fixed = fix.apply_edits(once, other).text
    assert "helm.toolkit.fluxcd.io/v2\n" in fixed and "source.toolkit.fluxcd.io/v1\n" in fixed
