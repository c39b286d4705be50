"""Substitution sources: unknown values, producers, missing sources, ``$$``, render order.

Each fixture under tests/fixtures/sub-* is one class of false finding seen on
real repositories (issue "Accuracy I" classes 3-5, "Accuracy III" point 9).
"""

from __future__ import annotations

import base64
import json
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.substitute.engine import Variables, _notes, substitute_object, substitute_string
from gitops_lint.substitute.envsubst import UNKNOWN
from gitops_lint.substitute.sources import SourceIndex, manifest_facts
from tests.conftest import FIXTURES
from tests.helpers import GOTK, ks, lint_repo, run_cli, write_tree

MINE = ("unresolved-variable", "missing-substitution-source", "invalid-substitution", "schema")
ENC = "ENC[AES256_GCM,data:c2VjcmV0,iv:aXZpdml2aXZpdml2,tag:dGFndGFndGFndGFn,type:str]"


def mine(result) -> list[str]:
    return sorted(f"{f.file}:{f.line} {f.rule} {f.severity.label}" for f in result.findings if f.rule in MINE)


# -- class 3: SOPS-encrypted values are unknown, never substituted ------------------


def test_sops_encrypted_values_are_not_substituted_nor_judged():
    result = lint_repo(FIXTURES / "sub-sops-values")
    assert mine(result) == []
    assert all("ENC[" not in f.message for f in result.findings)


def test_sops_ciphertext_never_reaches_json_output():
    root = str(FIXTURES / "sub-sops-values")
    code, out, _ = run_cli("--format", "json", "--root", root, root + "/clusters/dev")
    assert "AES256_GCM" not in out and json.loads(out)["version"] == 1


def test_manifest_facts_keep_keys_of_encrypted_values_unknown():
    facts = manifest_facts(
        {
            "kind": "Secret",
            "data": {"PLAIN": base64.b64encode(b"v1").decode(), "ENCRYPTED": ENC, "BROKEN": "%%%"},
            "stringData": {"S_PLAIN": "v2", "S_ENC": ENC},
        }
    )
    assert dict(facts.values) == {"PLAIN": "v1", "S_PLAIN": "v2"}
    assert facts.unknown == {"ENCRYPTED", "BROKEN", "S_ENC"} and not facts.open
    cm = manifest_facts({"kind": "ConfigMap", "data": {"A": "1", "B": ENC}})
    assert dict(cm.values) == {"A": "1"} and cm.unknown == {"B"}


def test_unknown_value_leaves_every_form_as_written():
    variables = Variables({"SET": "x", "SECRET": UNKNOWN})
    obj = {"a": "web.${SECRET}", "b": "${SECRET:=d}", "c": "${SECRET^^}-${SET}", "d": "${SET}"}
    out = substitute_object(obj, variables)
    assert out.obj == {"a": "web.${SECRET}", "b": "${SECRET:=d}", "c": "${SECRET^^}-x", "d": "x"}
    assert [(u.name, u.path) for u in out.unknown] == [
        ("SECRET", ("a",)),
        ("SECRET", ("b",)),
        ("SECRET", ("c",)),
    ]
    assert out.unresolved == []


def test_open_source_makes_undefined_names_unknown_not_unresolved():
    out = substitute_object({"a": "${ANY}", "b": "${KNOWN}"}, Variables({"KNOWN": "k"}, open=True))
    assert out.obj == {"a": "${ANY}", "b": "k"}
    assert [u.name for u in out.unknown] == ["ANY"] and out.unresolved == []
    closed = substitute_object({"a": "${ANY}"}, Variables({"KNOWN": "k"}))
    assert [u.name for u in closed.unresolved] == ["ANY"] and closed.unknown == []


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["${A}", "${B:=x}", "${A:-${B}}", "${C^^}", "${#A}", "text", " ", ":", "-", "}", "a${"]
        ),
        max_size=8,
    )
)
def test_with_every_value_unknown_the_text_is_unchanged(pieces):
    text = "".join(pieces)
    result, unresolved, errors = substitute_string(text, Variables({}, open=True))
    if errors:
        return  # Flux rejects the text: invalid-substitution's business
    assert result == text and unresolved == []


# -- class 4: sources made outside Git, or by an object of the cluster ---------------


def test_producers_make_sources_present_and_one_warning_per_missing_source():
    result = lint_repo(FIXTURES / "sub-producers")
    assert mine(result) == [
        "clusters/dev/apps.yaml:19 missing-substitution-source warning",
        "clusters/dev/apps.yaml:53 unresolved-variable info",
    ]
    (warning,) = [f for f in result.findings if f.rule == "missing-substitution-source"]
    assert (
        "2 Kustomizations" in warning.message
        and "external: [ConfigMap/flux-system/terraform-vars]" in warning.message
    )
    infos = [f for f in result.findings if f.rule == "unresolved-variable"]
    assert len(infos) == 1 and infos[0].severity.label == "info" and "CLUSTER_DOMAIN" in infos[0].message


def test_declared_external_source_is_silent(tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "sub-producers", root)
    (root / ".gitops-lint.yaml").write_text(
        "external:\n  - ConfigMap/flux-system/terraform-vars\n"
        "variables:\n  Secret/team-a/cluster-secrets:\n    CLUSTER_DOMAIN: example.org\n"
    )
    result = lint_repo(root)
    assert [f for f in result.findings if f.rule in MINE and f.severity.label != "info"] == []


def _index(*objs) -> SourceIndex:
    index = SourceIndex()
    for obj in objs:
        index.add(obj, obj.get("metadata", {}).get("namespace", ""))
    return index


def test_external_secret_keys_closed_with_data_open_with_data_from():
    es = {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "app", "namespace": "ns"},
        "spec": {"data": [{"secretKey": "TOKEN"}]},
    }
    facts = _index(es).lookup("Secret", "ns", "app")
    assert facts.unknown == {"TOKEN"} and not facts.open and facts.values == ()
    es["spec"]["dataFrom"] = [{"extract": {"key": "x"}}]
    assert _index(es).lookup("Secret", "ns", "app").open
    es["spec"]["target"] = {"name": "other", "creationPolicy": "None"}
    assert _index(es).lookup("Secret", "ns", "other") is None


def test_cluster_external_secret_follows_namespace_selectors():
    ces = {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ClusterExternalSecret",
        "metadata": {"name": "shared"},
        "spec": {
            "namespaceSelectors": [
                {"matchExpressions": [{"key": "off", "operator": "NotIn", "values": ["true"]}]}
            ],
            "externalSecretSpec": {
                "target": {"name": "cluster-secrets"},
                "dataFrom": [{"extract": {"key": "k"}}],
            },
        },
    }
    excluded = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "labels": {"off": "true"}}}
    included = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}}
    index = _index(ces, excluded, included)
    assert index.lookup("Secret", "a", "cluster-secrets") is None
    assert index.lookup("Secret", "b", "cluster-secrets").open
    # a namespace that Git does not hold may carry any labels: the Secret may be there
    assert index.lookup("Secret", "elsewhere", "cluster-secrets") is not None


def test_sealed_secret_and_certificate_produce_their_secrets():
    sealed = {
        "apiVersion": "bitnami.com/v1alpha1",
        "kind": "SealedSecret",
        "metadata": {"name": "db", "namespace": "ns"},
        "spec": {"encryptedData": {"PASSWORD": "AgB..."}},
    }
    cert = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "web", "namespace": "ns"},
        "spec": {"secretName": "web-tls"},
    }
    index = _index(sealed, cert)
    assert index.lookup("Secret", "ns", "db").unknown == {"PASSWORD"}
    assert {"tls.crt", "tls.key"} <= index.lookup("Secret", "ns", "web-tls").unknown


# -- class 5: $$ -------------------------------------------------------------------


def test_dollars_warn_only_for_a_shell_pid_in_unescaped_text():
    result = lint_repo(FIXTURES / "sub-dollars")
    assert mine(result) == ["apps/kustomization.yaml:7 invalid-substitution warning"]


def test_dollars_notes():
    from gitops_lint.substitute import envsubst

    def note(text):
        return [n[2] for n in _notes(text, envsubst.parse(text)) if n[0] == "dollars"]

    assert note("echo $$ > /tmp/pid") == [1]
    assert note("rm /tmp/x.$$; echo $HOME") == [1]
    assert note("rate(x[$$__interval]) by ($$service)") == []
    assert note("kill $$; echo $$HOME") == []  # the author escapes for Flux: $$ is meant as $
    assert note("$$$$") == []


# -- Accuracy III point 9: facts of the whole cluster, not of the render order --------


def test_source_created_by_a_later_kustomization_is_present():
    result = lint_repo(FIXTURES / "sub-order")
    assert mine(result) == []


def test_order_of_kustomizations_does_not_change_findings(tmp_path):
    src = FIXTURES / "sub-order"
    text = (src / "clusters/dev/apps.yaml").read_text()
    head, first, second = text.split("apiVersion: kustomize.toolkit.fluxcd.io/v1")
    swapped = tmp_path / "swapped"
    shutil.copytree(src, swapped)
    (swapped / "clusters/dev/apps.yaml").write_text(
        head + "apiVersion: kustomize.toolkit.fluxcd.io/v1" + second.rstrip("-\n") + "\n---\n"
        "apiVersion: kustomize.toolkit.fluxcd.io/v1" + first.rstrip("-\n") + "\n"
    )
    assert mine(lint_repo(swapped)) == mine(lint_repo(src)) == []


# -- unresolved-variable: one finding per variable and document; assumed versions -----


def test_unresolved_variable_once_per_document_and_says_version_assumed(tmp_path):
    files = dict(GOTK)
    files["clusters/dev/apps.yaml"] = ks(
        "apps", "./apps", extra="  postBuild:\n    substitute:\n      A: a\n"
    )
    files["apps/rule.yaml"] = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rules\n  namespace: default\n"
        "data:\n  one: ${MISSING}\n  two: x-${MISSING}\n  three: ${OTHER}\n"
    )
    result = lint_repo(write_tree(tmp_path, files))
    found = [f for f in result.findings if f.rule == "unresolved-variable"]
    assert sorted(f.message.split(" ")[0] for f in found) == ["${MISSING}", "${OTHER}"]
    assert all("assumed" in f.message for f in found)
    assert any("1 more use" in f.message for f in found)


def test_stand_in_var_fills_an_unknown_value(tmp_path):
    root = str(FIXTURES / "sub-sops-values")
    args = ("--format", "json", "--root", root, root + "/clusters/dev")
    code, out, _ = run_cli("--var", "SECRET_REPLICAS=many", *args)
    found = [(f["rule"], f["file"], f["line"]) for f in json.loads(out)["findings"]]
    # the stand-in is substituted, so the field is judged: "many" is no integer
    assert found == [("schema", "apps/site.yaml", 8)]


def test_missing_source_names_a_manifest_no_kustomization_applies(tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "sub-producers", root)
    (root / "bootstrap").mkdir()
    (root / "bootstrap/vars.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: terraform-vars\n  namespace: flux-system\n"
        "data:\n  TF_REGION: eu\n"
    )
    (root / "bootstrap/broken.yaml").write_text("terraform-vars: [\n")
    result = lint_repo(root)
    (warning,) = [f for f in result.findings if f.rule == "missing-substitution-source"]
    assert "bootstrap/vars.yaml has a manifest of it" in warning.message
    # read apart from the linted files: no finding for a broken file it looked at
    assert not [f for f in result.findings if f.file and f.file.startswith("bootstrap/")]


@pytest.mark.parametrize(
    "obj,where",
    [
        (
            {
                "apiVersion": "secrets.infisical.com/v1alpha1",
                "kind": "InfisicalSecret",
                "metadata": {"name": "i", "namespace": "apps"},
                "spec": {"managedSecretReference": {"secretName": "db", "secretNamespace": "data"}},
            },
            ("data", "db"),
        ),
        (
            {
                "apiVersion": "secrets.doppler.com/v1alpha1",
                "kind": "DopplerSecret",
                "metadata": {"name": "d", "namespace": "apps"},
                "spec": {"managedSecret": {"name": "api"}},
            },
            ("apps", "api"),
        ),
    ],
    ids=["infisical", "doppler"],
)
def test_secret_managers_produce_the_secret_they_name(obj, where):
    from gitops_lint.substitute.sources import PRODUCERS

    group = obj["apiVersion"].split("/")[0]
    ((ns, name, facts),) = list(PRODUCERS[(group, obj["kind"])](obj))
    assert (ns, name) == where and facts.open


def test_a_missing_source_after_a_null_entry_is_reported_at_its_own_entry(tmp_path):
    """The decoded spec drops a null list entry; the finding must still point at the
    entry that names the absent ConfigMap (line 14), not at the one before it."""
    from tests.helpers import ks, lint_repo, write_tree

    extra = "  postBuild:\n    substituteFrom:\n      -\n      - kind: ConfigMap\n        name: absent\n"
    write_tree(
        tmp_path,
        {
            "clusters/dev/apps.yaml": ks("apps", "./apps", extra=extra),
            "apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\n",
        },
    )
    result = lint_repo(tmp_path, "clusters/dev")
    found = [f for f in result.findings if f.rule == "missing-substitution-source"]
    assert [(f.file, f.line) for f in found] == [("clusters/dev/apps.yaml", 14)]
