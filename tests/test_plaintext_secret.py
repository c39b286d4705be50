"""plaintext-secret: what SOPS protects, what it does not, and where the finding points."""

from __future__ import annotations

import base64

import pytest

from gitops_lint.lint import Linter
from gitops_lint.load.config import load_config
from gitops_lint.load.sops import SopsConfig, SopsRules, dotenv_metadata, has_sops_marker
from gitops_lint.model.secrets import ENCRYPTED, PLAINTEXT, REFERENCE, VARIABLE, classify
from gitops_lint.vocabulary import vocabulary
from tests.helpers import least_seconds, lint_repo, write_tree

ENC = "ENC[AES256_GCM,data:ZTl0Yi1nYWNqYQ==,iv:rUwYwxc0ILe19vAm=,tag:t+yioBJuD+G5nk7w1yuUJw==,type:str]"
MAC = (
    "ENC[AES256_GCM,data:JPtiqEeZdkjjhTJkc6CeoLHS,iv:p8ZCCGkZn1XuevBW=,tag:S67MarlmR/ZeGuujQw1QNg==,type:str]"
)


def secret(body: str, sops: str | None = None) -> str:
    text = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: default\n{body}"
    if sops is not None:
        text += f"sops:\n  mac: {MAC}\n  lastmodified: '2025-06-12T09:41:27Z'\n  version: 3.10.2\n{sops}"
    return text


def findings(tmp_path, files: dict[str, str]) -> list[str]:
    result = lint_repo(write_tree(tmp_path, files))
    return [f"{f.file}:{f.line} {f.message}" for f in result.findings if f.rule == "plaintext-secret"]


@pytest.mark.parametrize(
    "value,status",
    [
        ("", "empty"),
        ("   ", "empty"),
        (ENC, ENCRYPTED),
        ("${db_password}", VARIABLE),
        ("${a}${B_2}", VARIABLE),
        ("$${not_substituted}", VARIABLE),
        ("${a:=hunter2-default}", PLAINTEXT),  # the default is a value in Git
        ("postgres://u:${pw}@db", PLAINTEXT),  # only variable-only values are fine
        ("op://vault/1password connect/token", REFERENCE),
        ("ref+vault://secret/data/db#password", REFERENCE),
        ("<path:kv/data/db#password>", REFERENCE),
        ("hunter2", PLAINTEXT),
        ("ENC[not really]", PLAINTEXT),
    ],
)
def test_value_classes(value, status):
    assert classify(value) == status


def test_should_be_encrypted_follows_sops_order():
    # every component of the path counts, regexes are unanchored (sops.go shouldBeEncrypted)
    assert SopsRules(encrypted_regex="^(data|stringData)$").should_be_encrypted(("stringData", "x"))
    assert not SopsRules(encrypted_regex="^(data|stringData)$").should_be_encrypted(("metadata", "name"))
    assert SopsRules(encrypted_regex="data").should_be_encrypted(("metadata", "name"))  # unanchored
    assert not SopsRules(unencrypted_suffix="_unencrypted").should_be_encrypted(("data", "a_unencrypted"))
    assert not SopsRules(unencrypted_suffix="_unencrypted").should_be_encrypted(("x_unencrypted", "a"))
    assert SopsRules(encrypted_suffix="_enc").should_be_encrypted(("data", "pw_enc"))
    assert not SopsRules(encrypted_suffix="_enc").should_be_encrypted(("data", "pw"))
    assert not SopsRules(unencrypted_regex="^user$").should_be_encrypted(("data", "user"))
    assert SopsRules().should_be_encrypted(("anything",))


def test_sops_markers_of_every_format():
    assert has_sops_marker(b"a: ENC[x]\nsops:\n    mac: ENC[AES256_GCM,data:x]\n")
    assert has_sops_marker(b'{"data": "ENC[x]", "sops": {"mac": "ENC[AES256_GCM,data:x]"}}')
    assert has_sops_marker(b"A=ENC[x]\nsops_mac=ENC[AES256_GCM,data:x]\n")
    assert has_sops_marker(b"[app]\npw = ENC[x]\n[sops]\nmac = ENC[x]\n")
    assert not has_sops_marker(b"A=1\nB=2\n")
    meta = dotenv_metadata(f"A={ENC}\nsops_mac={MAC}\nsops_encrypted_regex=^PASS\n")
    assert meta == {"mac": MAC, "encrypted_regex": "^PASS"}


def test_creation_rule_matching_is_relative_to_the_config_and_first_match_wins():
    config = SopsConfig.from_data(
        "k8s/.sops.yaml",
        {"creation_rules": [{"path_regex": r".*\.sops\.yaml$"}, {"path_regex": ".*.yaml"}, {}]},
    )
    assert config.rule_for("k8s/a/b.sops.yaml").index == 0
    assert config.rule_for("k8s/a/deploy.yaml").index == 1
    assert config.rule_for("k8s/notes.txt").index == 2  # no path_regex: matches everything
    assert config.rule_for("other/x.sops.yaml") is None  # relative to the config's directory
    anchored = SopsConfig.from_data("k8s/.sops.yaml", {"creation_rules": [{"path_regex": "^apps/"}]})
    assert anchored.rule_for("k8s/apps/x.yaml").index == 0  # the config's directory is stripped


def test_plaintext_secret_reported_at_the_key_never_with_the_value(tmp_path):
    data = base64.b64encode(b"token-v4lue-in-clear").decode()
    out = findings(
        tmp_path,
        {
            "s.yaml": secret(
                f"stringData:\n  empty: ''\n  password: hunter2-clear\n  url: ${{db_url}}\ndata:\n  token: {data}\n"
            )
        },
    )
    assert [o.split(" ", 1)[0] for o in out] == ["s.yaml:8", "s.yaml:11"]
    assert "'password'" in out[0] and "'token'" in out[1]
    assert not any("hunter2" in o or "token-v4lue" in o or data in o for o in out)


def test_fully_encrypted_secret_is_fine_and_keys_added_in_clear_are_not(tmp_path):
    sops = "  encrypted_regex: ^(data|stringData)$\n"
    assert findings(tmp_path / "a", {"s.yaml": secret(f"stringData:\n  pw: {ENC}\n  none: ''\n", sops)}) == []
    out = findings(
        tmp_path / "b", {"s.yaml": secret(f"stringData:\n  pw: {ENC}\n  extra: added-v4lue\n", sops)}
    )
    assert len(out) == 1 and "'extra'" in out[0] and "added after encryption" in out[0]


def test_value_left_in_clear_by_the_files_own_sops_settings(tmp_path):
    # the author's settings encrypt pw and leave the user name in clear: a choice, not a leak
    sops = "  unencrypted_suffix: _unencrypted\n"
    assert (
        findings(
            tmp_path / "a", {"s.yaml": secret(f"stringData:\n  pw: {ENC}\n  user_unencrypted: admin\n", sops)}
        )
        == []
    )
    sops = "  encrypted_regex: ^(userKey)$\n"
    assert (
        findings(
            tmp_path / "b", {"s.yaml": secret(f"stringData:\n  userID: admin\n  userKey: {ENC}\n", sops)}
        )
        == []
    )
    # settings that reach no value of the Secret (^data$, but the Secret uses stringData):
    # the whole Secret is in clear, one warning for it
    sops = "  encrypted_regex: ^data$\n"
    result = lint_repo(
        write_tree(tmp_path / "c", {"s.yaml": secret("stringData:\n  a: v4lue-1\n  b: v4lue-2\n", sops)})
    )
    hits = [f for f in result.findings if f.rule == "plaintext-secret"]
    assert [(f.line, f.severity.name) for f in hits] == [(7, "WARNING")]
    assert "every value of this object" in hits[0].message and "encrypted_regex: ^data$" in hits[0].message
    assert "v4lue" not in hits[0].message


def test_data_value_that_is_a_sops_file_is_encrypted(tmp_path):
    sops_env = f"A={ENC}\nsops_mac={MAC}\nsops_version=3.10.2\n"
    value = base64.b64encode(sops_env.encode()).decode()
    assert findings(tmp_path, {"s.yaml": secret(f"data:\n  app.env: {value}\n")}) == []


def test_secret_generator_literals_envs_and_files(tmp_path):
    files = {
        "kustomization.yaml": (
            "secretGenerator:\n"
            "  - name: clear\n"
            "    literals: [a=lit-v4lue, empty=, 'var=${x}']\n"
            "    envs: [clear.env]\n"
            "    files: [key.pem, empty.txt]\n"
            "  - name: encrypted\n"
            "    envs: [enc.env]\n"
            "    files: [cfg=enc.json, bin=enc.bin]\n"
        ),
        "clear.env": "# c\nA=\nB=env-v4lue\n",
        "key.pem": "-----BEGIN PRIVATE KEY-----\nabc\n",
        "empty.txt": "",
        "enc.env": f"B={ENC}\nsops_mac={MAC}\n",
        "enc.json": f'{{"a": "{ENC}", "sops": {{"mac": "{MAC}"}}}}',
        "enc.bin": f'{{\n\t"data": "{ENC}",\n\t"sops": {{\n\t\t"mac": "{MAC}"\n\t}}\n}}',
    }
    out = findings(tmp_path, files)
    assert [o.split(" ", 1)[0] for o in out] == ["clear.env:3", "key.pem:1", "kustomization.yaml:3"]
    assert "literal 'a'" in out[2]
    assert not any("v4lue" in o or "PRIVATE" in o for o in out)


def test_partially_encrypted_env_file(tmp_path):
    env = f"USER=admin\nPASS={ENC}\nsops_mac={MAC}\nsops_encrypted_regex=^PASS$\n"
    files = {"kustomization.yaml": "secretGenerator:\n  - {name: g, envs: [a.env]}\n", "a.env": env}
    assert findings(tmp_path / "a", files) == []  # USER left in clear by the author's regex
    env = f"USER=admin\nPASS=added-v4lue\nTOKEN={ENC}\nsops_mac={MAC}\nsops_encrypted_regex=^(PASS|TOKEN)$\n"
    files["a.env"] = env
    out = findings(tmp_path / "b", files)
    assert len(out) == 1 and out[0].startswith("a.env:2 ") and "added after encryption" in out[0]


def test_helm_values_embedded_secret_and_password_keys(tmp_path):
    hr = (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: app, namespace: apps}\n"
        "spec:\n  values:\n    grafana:\n      adminPassword: admin-v4lue\n      password: not-a-known-shape\n"
        "    rootPassword: ${root_pw}\n"
        "    extraObjects:\n      - apiVersion: v1\n        kind: Secret\n        metadata: {name: extra}\n"
        "        stringData: {token: embedded-v4lue}\n"
    )
    out = findings(tmp_path, {"hr.yaml": hr})
    assert [o.split(" ", 1)[0] for o in out] == ["hr.yaml:7", "hr.yaml:14"]
    assert "values key grafana.adminPassword" in out[0] and "Secret extra" in out[1]


def test_sops_yaml_designation(tmp_path):
    files = {
        ".sops.yaml": "creation_rules:\n  - path_regex: secrets/.*\n  - path_regex: .*.yaml\n    encrypted_regex: ^(data|stringData)$\n",
        "secrets/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
        "apps/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata: {a: b}\n",
        "apps/kustomization.yaml": "resources: [config.yaml]\n",
        "secrets/db.yaml": secret(f"stringData:\n  pw: {ENC}\n", ""),  # the repository uses rule 1
    }
    out = findings(tmp_path, files)
    assert len(out) == 1 and out[0].startswith("secrets/config.yaml:1 ") and "creation rule 1" in out[0]


def test_designation_parses_only_files_that_can_be_encrypted(tmp_path):
    """Linting one cluster: the rule still designates (another cluster's file is encrypted),
    and the other cluster's CRD bundle, which names sops only inside its CRDs, is not parsed
    (nor counted) to learn that it is not encrypted."""
    crd = (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata:\n  name: kustomizations.kustomize.toolkit.fluxcd.io\n"
        "spec:\n  names:\n    kind: Kustomization\n"
        "  description: decryption provider, only sops is supported\n"
    )
    files = {
        ".sops.yaml": "creation_rules:\n  - path_regex: .*.yaml\n    encrypted_regex: ^(data|stringData)$\n",
        "clusters/a/kustomization.yaml": "resources: [s.yaml]\n",
        "clusters/a/s.yaml": secret("stringData:\n  password: hunter2-clear\n"),
        "clusters/b/flux-system/gotk-components.yaml": crd,
        "clusters/b/db.yaml": secret(f"stringData:\n  pw: {ENC}\n", ""),
    }
    root = write_tree(tmp_path, files)
    linter = Linter(str(root), load_config(str(root), known=vocabulary()))
    result = linter.run([str(root / "clusters/a")])
    out = [f"{f.file}:{f.line} {f.message}" for f in result.findings if f.rule == "plaintext-secret"]
    assert len(out) == 1 and out[0].startswith("clusters/a/s.yaml:7 ") and "creation rule 1" in out[0]
    # the encrypted file was parsed to designate the rule; the CRD bundle was not
    assert sorted(linter.cache.files) == [
        "clusters/a/kustomization.yaml",
        "clusters/a/s.yaml",
        "clusters/b/db.yaml",
    ]
    assert result.summary["files"] == 3


def test_suppression_comment_and_config(tmp_path):
    body = "metadata:\n  name: s\n  # gitops-lint: disable=plaintext-secret\nstringData: {pw: x-v4lue}\n"
    assert findings(tmp_path / "a", {"s.yaml": "apiVersion: v1\nkind: Secret\n" + body}) == []
    files = {
        ".gitops-lint.yaml": "ignore:\n  - {rule: plaintext-secret, path: 'tests/**'}\n",
        "tests/s.yaml": secret("stringData: {pw: x-v4lue}\n"),
    }
    assert findings(tmp_path / "b", files) == []


def test_example_repository_secrets_are_sops_encrypted():
    from tests.conftest import FIXTURES

    result = lint_repo(FIXTURES / "example")
    assert [f for f in result.findings if f.rule == "plaintext-secret"] == []


# -- class 2: .sops.yaml creation rules read as SOPS reads them -------------------------

NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {}\n"
KS = "resources: [{}]\n"


def cluster_dir_rule_repo(tmp_path):
    """A creation rule for a whole cluster directory (how to encrypt, not "all encrypted")."""
    return write_tree(
        tmp_path,
        {
            ".sops.yaml": (
                "creation_rules:\n  - path_regex: clusters/utility/.*\\.ya?ml\n"
                '    encrypted_regex: "^(data|stringData)$"\n    age: age1xyz\n'
            ),
            "clusters/utility/apps/kustomization.yaml": KS.format(
                "namespace.yaml, repo.yaml, es.yaml, hr.yaml, cm.yaml"
            ),
            "clusters/utility/apps/namespace.yaml": NS.format("tools"),
            "clusters/utility/apps/repo.yaml": (
                "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: r, namespace: tools}\n"
                "spec: {url: 'https://charts.example.com', interval: 1h}\n"
            ),
            "clusters/utility/apps/es.yaml": (
                "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: e, namespace: tools}\n"
                "spec:\n  target:\n    template:\n      data:\n        API_KEY: '{{ .API_KEY }}'\n"
            ),
            "clusters/utility/apps/hr.yaml": (
                "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: h, namespace: tools}\n"
                "spec:\n  values:\n    persistence:\n      data:\n        type: emptyDir\n"
            ),
            "clusters/utility/apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
        },
    )


def test_creation_rule_for_a_directory_designates_nothing(tmp_path):
    # the rule covers kustomization.yaml, which can never be encrypted: it says how to
    # encrypt, so a Namespace, a HelmRepository, a ConfigMap there are fine
    assert findings(cluster_dir_rule_repo(tmp_path), {}) == []


def test_plain_secret_under_a_creation_rule_names_it(tmp_path):
    root = cluster_dir_rule_repo(tmp_path)
    write_tree(root, {"clusters/utility/apps/s.yaml": secret("stringData:\n  password: hunter2-clear\n")})
    out = findings(root, {})
    assert len(out) == 1 and out[0].startswith("clusters/utility/apps/s.yaml:7 ")
    assert "creation rule 1" in out[0] and "encrypts this key" in out[0] and "hunter2" not in out[0]


def test_designated_file_reports_only_values_sops_would_encrypt(tmp_path):
    files = {
        ".sops.yaml": (
            "creation_rules:\n  - path_regex: talos/.*\\.sops\\.ya?ml$\n"
            "  - path_regex: kubernetes/.*\\.sops\\.ya?ml$\n    encrypted_regex: ^(data|stringData)$\n"
        ),
        "kubernetes/kustomization.yaml": KS.format("ns.sops.yaml, cm.sops.yaml, empty.sops.yaml"),
        # no data or stringData key: nothing SOPS would encrypt, nothing to flag
        "kubernetes/ns.sops.yaml": NS.format("a"),
        # only empty values and ${var}s where SOPS encrypts
        "kubernetes/empty.sops.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: e}\ndata:\n  a: ''\n  b: ${B}\n",
        # a value SOPS would encrypt, at any depth below data
        "kubernetes/cm.sops.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  token: t0ken-v4lue\n",
        # no encrypted_regex: every leaf, lists included
        "talos/secrets.sops.yaml": "cluster:\n  secrets:\n    - bootstraptoken: b00t-v4lue\n",
        # the repository encrypts files with both rules
        "kubernetes/db.sops.yaml": secret(f"stringData:\n  pw: {ENC}\n", ""),
        "talos/other.sops.yaml": f"token: {ENC}\nsops:\n  mac: {MAC}\n",
    }
    out = findings(tmp_path, files)
    assert [o.split(" ", 1)[0] for o in out] == ["kubernetes/cm.sops.yaml:5", "talos/secrets.sops.yaml:3"]
    assert "which encrypts key data.token" in out[0] and "cluster.secrets.bootstraptoken" in out[1]
    assert not any("v4lue" in o for o in out)


def test_rule_no_file_was_encrypted_with_designates_nothing(tmp_path):
    # a rule for every helmrelease.yaml says how to encrypt one, if it ever holds a secret
    files = {
        ".sops.yaml": "creation_rules:\n  - path_regex: helmrelease\\.yaml$\n    encrypted_regex: ^(secret|password)$\n",
        "apps/a/helmrelease.yaml": (
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: a, namespace: a}\n"
            "spec:\n  values:\n    secret:\n      create: false\n      name: a-credentials\n"
        ),
    }
    assert findings(tmp_path, files) == []


def test_sops_walk_follows_tree_walk_branch():
    from gitops_lint.load.sops import leaves

    doc = {"a": [{"b": "x"}, "y"], "n": None, "sops": {"mac": "m"}, "c": {"sops": 1}}
    assert list(leaves(doc)) == [
        (("a", "b"), ("a", 0, "b"), "x"),
        (("a",), ("a", 1), "y"),
        (("c", "sops"), ("c", "sops"), 1),  # only the top-level sops key is metadata
    ]
    rules = SopsRules(encrypted_regex="^(data|stringData)$")
    assert rules.should_be_encrypted(("spec", "values", "data", "type"))  # any depth counts
    assert not SopsRules(encrypted_comment_regex="sops:enc").should_be_encrypted(("data", "a"))


def test_go_regex_flags_inside_a_group():
    from gitops_lint.load.sops import go_regex

    pattern = go_regex("((?i)(pass|secret($|[^N])|key|^data$))")
    assert pattern is not None
    assert pattern.search("DB_PASSWORD") and pattern.search("apiKey") and pattern.search("data")
    assert not pattern.search("secretName") and not pattern.search("metadata")
    assert go_regex("a|(?i)B").search("b") and not go_regex("a|(?i)B").search("A")


def test_clear_values_added_to_an_encrypted_configmap(tmp_path):
    doc = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\n"
        f"data:\n  a: {ENC}\n  b: added-v4lue\n  c: ''\n"
        f"sops:\n  mac: {MAC}\n  version: 3.10.2\n  encrypted_regex: ^data$\n"
    )
    out = findings(tmp_path, {"cm.yaml": doc})
    assert len(out) == 1 and out[0].startswith("cm.yaml:6 ") and "ConfigMap default/c: key data.b" in out[0]
    assert "fails to decrypt" in out[0]


# -- class 9: what SOPS encrypted is exactly one ENC[...] token -------------------------


@pytest.mark.parametrize(
    "value",
    [
        ENC + " hunter2",
        ENC + "hunter2",
        "x" + ENC,
        "ENC[AES256_GCM,data:,iv:a,tag:b,type:str]",
        "ENC[AES256_GCM,data:a,b,iv:a,tag:b,type:str]",
        "ENC[AES256_GCM,data:ab,iv:a,tag:b,type:str] ENC[AES256_GCM,data:ab,iv:a,tag:b,type:str]",
    ],
)
def test_a_value_that_only_starts_like_ciphertext_is_plaintext(value):
    assert classify(value) == PLAINTEXT


def test_ciphertext_of_every_type_and_a_trailing_newline_is_encrypted():
    for kind in ("str", "int", "int64", "float", "bytes", "bool", "comment"):
        assert classify(ENC.replace("type:str", f"type:{kind}")) == ENCRYPTED
    assert classify(ENC + "\n") == ENCRYPTED  # a block scalar's line break holds nothing


def test_ciphertext_test_is_linear():
    import time

    hostile = [
        "ENC[AES256_GCM,data:" + "a,iv:a,tag:" * 20000,
        "ENC[AES256_GCM,data:a,iv:a,tag:a,type:" + "a" * 200000,
    ]
    for value in hostile:
        assert classify(value) == PLAINTEXT
    assert least_seconds(lambda: [classify(v) for v in hostile], clock=time.perf_counter) < 0.5


def test_ciphertext_token_property():
    from hypothesis import given
    from hypothesis import strategies as st

    b64 = st.text("ABCxyz019+/", min_size=1, max_size=20).map(lambda s: s + "==")

    @given(b64, b64, b64, st.sampled_from(["str", "int", "bool"]), st.text(max_size=10))
    def prop(data, iv, tag, kind, tail):
        token = f"ENC[AES256_GCM,data:{data},iv:{iv},tag:{tag},type:{kind}]"
        assert classify(token) == ENCRYPTED
        expected = ENCRYPTED if tail.strip() == "" else PLAINTEXT
        assert classify(token + tail) == expected

    prop()


def test_generator_file_of_document_markers_and_comments_is_empty(tmp_path):
    files = {
        "kustomization.yaml": "secretGenerator:\n  - name: g\n    files: [a.yaml, b.yaml, c.yaml, d.txt]\n",
        "a.yaml": "---\n",
        "b.yaml": "...\n",
        "c.yaml": "# placeholder, filled by CI\n---\n\n...\n",
        "d.txt": "#hunter2\n",  # not a comment: may be a password
    }
    out = findings(tmp_path, files)
    assert [o.split(" ", 1)[0] for o in out] == ["d.txt:1"]


# -- Secret values that are settings, not credentials -------------------------------------


def test_documented_settings_of_a_secret_are_not_leaks(tmp_path):
    argo = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: repo\n  namespace: argocd\n"
        "  labels:\n    argocd.argoproj.io/secret-type: repository\n"
        "stringData:\n  type: git\n  url: https://github.com/example/apps.git\n  project: default\n"
        "  enableOCI: 'true'\n  password: hunter2-clear\n"
        "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: argocd\n"
        "  labels:\n    argocd.argoproj.io/secret-type: repo-creds\n"
        "stringData:\n  url: https://bot:t0ken-v4lue@git.example.com/\n"
    )
    azure = secret(
        "stringData:\n  AZURE_CLIENT_ID: 0d0af39b-0c24-4942-53d3-84f9d25390de\n"
        "  AZURE_TENANT_ID: 1c1f75ec-6c66-b3e3-c3c1-a093fd7be9bb\n"
        "  AZURE_CLIENT_SECRET: s3cret-v4lue\n  SYNC_PERIOD: 12h\n  WORKERS: '3'\n  ENABLED: 'True'\n"
        "  PIN: '4711'\n"
    )
    out = findings(tmp_path, {"argo.yaml": argo, "azure.yaml": azure})
    assert [o.split(" ", 2)[:2] for o in out] == [
        ["argo.yaml:13", "Secret"],
        ["argo.yaml:23", "Secret"],
        ["azure.yaml:9", "Secret"],
        ["azure.yaml:13", "Secret"],
    ]
    assert (
        "'password'" in out[0] and "'url'" in out[1] and "AZURE_CLIENT_SECRET" in out[2] and "'PIN'" in out[3]
    )


def test_a_setting_added_in_clear_still_breaks_decryption(tmp_path):
    sops = "  encrypted_regex: ^(data|stringData)$\n"
    out = findings(tmp_path, {"s.yaml": secret(f"stringData:\n  pw: {ENC}\n  enabled: 'true'\n", sops)})
    assert len(out) == 1 and "'enabled'" in out[0] and "fails to decrypt" in out[0]


def test_designated_file_of_settings_only_is_fine(tmp_path):
    files = {
        ".sops.yaml": "creation_rules:\n  - path_regex: \\.sops\\.yaml$\n    encrypted_regex: ^(data|stringData|spec)$\n",
        "apps/kustomization.yaml": KS.format("repo.sops.yaml, flags.sops.yaml, db.sops.yaml"),
        "apps/db.sops.yaml": secret(f"stringData:\n  pw: {ENC}\n", ""),
        "apps/repo.sops.yaml": (
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: repo\n  labels: {argocd.argoproj.io/secret-type: repository}\n"
            "stringData:\n  url: https://github.com/example/apps.git\n  type: git\n"
        ),
        "apps/flags.sops.yaml": "apiVersion: example.com/v1\nkind: Flags\nmetadata: {name: f}\nspec:\n  debug: true\n  interval: 5m\n",
    }
    assert findings(tmp_path, files) == []


def test_redactor_masks_what_may_be_secret_not_what_the_author_left_public(tmp_path):
    from gitops_lint.lint import Linter
    from gitops_lint.load.config import load_config
    from tests.helpers import ks

    sops = "  encrypted_regex: ^(userKey)$\n"
    files = {
        "clusters/dev/apps.yaml": ks("apps", "./apps", extra="  decryption: {provider: sops}\n"),
        "apps/kustomization.yaml": "resources: [ceph.yaml, clear.yaml, argo.yaml]\n",
        "apps/ceph.yaml": secret(f"stringData:\n  userID: ceph-user-name\n  userKey: {ENC}\n", sops),
        "apps/clear.yaml": secret("stringData:\n  token: clear-t0ken-value\n").replace("name: s", "name: t"),
        "apps/argo.yaml": (
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: repo\n  namespace: argocd\n"
            "  labels: {argocd.argoproj.io/secret-type: repository}\n"
            "stringData:\n  url: https://git.example.com/apps.git\n"
        ),
    }
    root = str(write_tree(tmp_path, files))
    linter = Linter(root, load_config(root))
    linter.run([root])
    assert linter.redactor.is_secret("clear-t0ken-value")
    assert not linter.redactor.is_secret("ceph-user-name")
    assert not linter.redactor.is_secret("https://git.example.com/apps.git")


@pytest.mark.parametrize(
    "value,status",
    [
        ("s3:${SECRET_S3_ENDPOINT}/restic/${APP}", VARIABLE),
        ("https://${DOMAIN}:8443/path", VARIABLE),
        ("${USER}:${PASS}", VARIABLE),
        ("postgres://app:hunter2-clear@${HOST}/db", PLAINTEXT),
        ("s3cr3tpassw0rd${SUFFIX}", PLAINTEXT),
    ],
)
def test_templated_value_is_a_variable_only_with_short_literal_text(value, status):
    # Flux fills the ${var}s; literal text long enough to be a credential is in Git
    assert classify(value) == status


@pytest.mark.parametrize(
    "field", ["secretGenerator", "SecretGenerator", "SECRETGENERATOR", "ſecretGenerator"]
)
def test_secret_generator_field_matched_as_kustomize_matches_it(tmp_path, field):
    """encoding/json matches field names case-insensitively (Go's EqualFold, where the
    long s folds onto s): the inventory skips decoding a kustomization only when no
    key can be secretGenerator."""
    files = {"kustomization.yaml": f"{field}:\n  - name: clear\n    literals: [a=lit-v4lue]\n"}
    out = findings(tmp_path, files)
    assert [o.split(" ", 1)[0] for o in out] == ["kustomization.yaml:3"]


def test_a_kustomization_without_a_generator_is_not_decoded_for_secrets(tmp_path, monkeypatch):
    from gitops_lint.core.fs import RepoFS
    from gitops_lint.load.loader import DocumentCache
    from gitops_lint.model.secrets import SecretInventory
    from gitops_lint.render import kustfile

    write_tree(tmp_path, {"kustomization.yaml": "resources: [cm.yaml]\nconfigMapGenerator: [{name: c}]\n"})
    decoded = []
    real = kustfile.decode
    monkeypatch.setattr(kustfile, "decode", lambda data: decoded.append(data) or real(data))
    cache = DocumentCache(RepoFS(str(tmp_path)))
    cache.load("kustomization.yaml")
    assert SecretInventory(cache.fs, cache).values() == []
    assert decoded == []
