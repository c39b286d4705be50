"""plaintext-secret: what SOPS protects, what it does not, and where the finding points."""

from __future__ import annotations

import base64

import pytest

from gitops_lint.secrets import ENCRYPTED, PLAINTEXT, REFERENCE, VARIABLE, classify
from gitops_lint.sops import SopsConfig, SopsRules, dotenv_metadata, has_sops_marker
from tests.helpers import lint_repo, write_tree

ENC = "ENC[AES256_GCM,data:ZTl0Yi1nYWNqYQ==,iv:rUwYwxc0ILe19vAm=,tag:t+yioBJuD+G5nk7w1yuUJw==,type:str]"
MAC = "ENC[AES256_GCM,data:JPtiqEeZdkjjhTJkc6CeoLHS,iv:p8ZCCGkZn1XuevBW=,tag:S67MarlmR/ZeGuujQw1QNg==,type:str]"


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


def test_creation_rule_matching_and_designation():
    config = SopsConfig.from_data(
        "k8s/.sops.yaml",
        {"creation_rules": [{"path_regex": r".*\.sops\.yaml$"}, {"path_regex": ".*.yaml"}, {}]},
    )
    assert config.rule_for("k8s/a/b.sops.yaml").index == 0 and config.rules[0].designates
    # Flux's guide rule says *how* to encrypt, not that every YAML file is encrypted
    assert config.rule_for("k8s/a/deploy.yaml").index == 1 and not config.rules[1].designates
    assert config.rule_for("k8s/notes.txt").index == 2 and not config.rules[2].designates
    assert config.rule_for("other/x.sops.yaml") is None  # relative to the config's directory


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
    out = findings(tmp_path / "b", {"s.yaml": secret(f"stringData:\n  pw: {ENC}\n  extra: added-v4lue\n", sops)})
    assert len(out) == 1 and "'extra'" in out[0] and "added after encryption" in out[0]


def test_value_left_in_clear_by_the_files_own_sops_settings(tmp_path):
    out = findings(
        tmp_path,
        {"s.yaml": secret(f"stringData:\n  pw: {ENC}\n  user_unencrypted: admin\n", "  unencrypted_suffix: _unencrypted\n")},
    )
    assert len(out) == 1 and "unencrypted_suffix: _unencrypted leaves this value unencrypted" in out[0]


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
    out = findings(tmp_path, files)
    assert len(out) == 1 and out[0].startswith("a.env:1 ") and "encrypted_regex: ^PASS$" in out[0]


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
    }
    out = findings(tmp_path, files)
    assert len(out) == 1 and out[0].startswith("secrets/config.yaml:1 ") and "creation rule 1" in out[0]


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
