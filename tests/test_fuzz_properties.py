"""Properties over arbitrary input (the suite's share of fuzzing; fuzz/ runs longer).

Any bytes as a YAML file of a repository: exit 0 or 1, a valid JSON report,
no exception. Any secret value: absent from every output format.
"""

from __future__ import annotations

import base64
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gitops_lint.core.redact import secret_like
from gitops_lint.load.loader import parse_text
from gitops_lint.report import FORMATS
from tests.helpers import ks, lint_repo, run_cli

pytestmark = pytest.mark.slow  # hundreds of generated repositories

KS = ks("apps", "./apps", extra="  postBuild:\n    substitute: {cluster: dev}\n")
YAMLISH = st.sampled_from(
    [
        b"a: ",
        b"- ",
        b"\n",
        b"  ",
        b"&a ",
        b"*a",
        b"[",
        b"]",
        b"{",
        b"}",
        b"kind: Secret\n",
        b"apiVersion: v1\n",
        b"stringData:\n  k: ",
        b"${x}",
        b"$${y}",
        b"${a:=b}",
        b"!!python/object ",
        b"!tag ",
        b"---\n",
        b"'",
        b'"',
        b"resources: [",
        b"ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]",
        b"sops:\n  mac: ENC[",
        b"\xff",
        b"\t",
        b"<<: *a\n",
        b"../",
        b"/etc/passwd",
        b"#",
    ]
)
FILE_BYTES = st.one_of(st.binary(max_size=300), st.lists(YAMLISH, max_size=40).map(b"".join))
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _repo(files: dict[str, bytes]) -> Path:
    root = Path(tempfile.mkdtemp(prefix="gl-prop-"))
    (root / ".git").mkdir()
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(content)
    return root


def _cleanup(root: Path) -> None:
    import shutil

    shutil.rmtree(root, ignore_errors=True)


@SETTINGS
@given(manifest=FILE_BYTES, kustomization=FILE_BYTES, env=st.binary(max_size=80))
def test_any_bytes_as_repository_files_give_exit_0_or_1_and_a_valid_report(manifest, kustomization, env):
    root = _repo(
        {
            "clusters/c/apps.yaml": KS.encode(),
            "apps/app.yaml": manifest,
            "apps/kustomization.yaml": b"resources: [app.yaml]\nsecretGenerator: [{name: g, envs: [a.env]}]\n"
            + kustomization,
            "apps/a.env": env,
        }
    )
    try:
        code, out, err = run_cli(str(root), "--root", str(root), "--format", "json")
        assert code in (0, 1), err
        assert "Traceback" not in err and "internal error" not in err
        report = json.loads(out)
        assert report["version"] == 1 and isinstance(report["findings"], list)
        assert report["summary"]["errors"] == sum(f["severity"] == "error" for f in report["findings"])
    finally:
        _cleanup(root)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_loads_into_documents_or_errors(text):
    loaded = parse_text(text.replace("\x00", ""), "f.yaml")
    assert all(e.line >= 1 and isinstance(e.message, str) for e in loaded.errors)


# values the redactor takes as secrets (gitops_lint.core.redact.secret_like: shorter or plainer ones are
# ordinary words, never masked), none of them a piece of the fixture's own names
_NAMES = (
    KS + "apiVersion kind Secret metadata stringData data b64 resources secretGenerator literals"
).lower()
SECRET = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters="'\"\\#$"),
    min_size=8,
    max_size=30,
).filter(lambda s: secret_like(s) and s.strip().lower() not in _NAMES)


@SETTINGS
@given(value=SECRET, key=st.from_regex(r"[a-z][a-z0-9_.-]{0,10}", fullmatch=True), literal=SECRET)
def test_no_secret_value_in_any_output_format(value, key, literal):
    assume(value not in key and literal not in key)  # a mapping key is a name, public
    outputs = _outputs(value, key, literal)
    # what the reports say anyway (a hash, a URL) when the values are something else
    baseline = "".join(_outputs("Qz" * 5, key, "Wv" * 5).values())
    for fmt, text in outputs.items():
        for secret in (value, literal):
            for form in (secret, base64.b64encode(secret.encode()).decode()):
                assert form not in text or form in baseline, fmt


def _outputs(value: str, key: str, literal: str) -> dict[str, str]:
    quoted = value.replace("'", "''")
    root = _repo(
        {
            "clusters/c/apps.yaml": KS.encode(),
            "apps/s.yaml": (
                "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: d}\n"
                f"stringData:\n  {key}: '{quoted}'\n"
                f"data:\n  b64: {base64.b64encode(value.encode()).decode()}\n"
            ).encode(),
            "apps/kustomization.yaml": (
                f"resources: [s.yaml]\nsecretGenerator:\n  - name: g\n    literals: ['k={literal}', '{literal}']\n"
            ).encode(),
        }
    )
    try:
        result = lint_repo(root)
        assert any(f.rule == "plaintext-secret" for f in result.findings)
        return {fmt: render(result.findings, result.summary) for fmt, render in sorted(FORMATS.items())}
    finally:
        _cleanup(root)
