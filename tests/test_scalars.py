"""Plain scalars are typed as kustomize types them (go-yaml v3), not as PyYAML's YAML 1.1.

The oracle is ``kubectl kustomize``: a ConfigMap-shaped object whose values
are generated plain scalars is built by kubectl; the value our loader reads
from the file must be the value kubectl prints (read back).
"""

from __future__ import annotations

import math
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint.load.goyaml import go_int
from gitops_lint.load.loader import parse_text
from tests.conftest import needs_kubectl


def _read(text: str) -> dict:
    loaded = parse_text(text, "test.yaml")
    assert not loaded.errors, loaded.errors
    return loaded.documents[0].data


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", "yes"),
        ("on", "on"),
        ("y", "y"),
        ("No", "No"),
        ("True", True),
        ("FALSE", False),
        ("~", None),
        ("Null", None),
        ("0123", 83),  # Go's base-0 octal
        ("0o17", 15),
        ("0x1F", 31),
        ("0b101", 5),
        ("1_000", 1000),
        ("-42", -42),
        ("1e3", 1000.0),
        ("09", 9.0),  # not octal, not an int: a float in Go
        ("2024-01-01", "2024-01-01T00:00:00Z"),  # kustomize's JSON round trip: RFC 3339
        ("2001-12-14 21:59:43.10", "2001-12-14T21:59:43.1Z"),
        ("2001-12-14t21:59:43.10-05:00", "2001-12-14T21:59:43.1-05:00"),
        ("0000-02-29", "0000-02-29T00:00:00Z"),
        ("2024-02-30", "2024-02-30"),  # not a date: text
        ("12:30", "12:30"),  # no sexagesimal numbers in YAML 1.2
        ("1.5", 1.5),
        (".inf", math.inf),
        ("18446744073709551615", 18446744073709551615),  # uint64 max still an int
        ("18446744073709551616", 1.8446744073709552e19),
    ],
)
def test_plain_scalars_follow_go_yaml_v3(text, value):
    assert _read(f"k: {text}\n")["k"] == value


def test_quoted_scalars_are_strings():
    assert _read("a: 'yes'\nb: \"0123\"\nc: '1e3'\n") == {"a": "yes", "b": "0123", "c": "1e3"}


def test_explicit_int_tag_is_honoured():
    assert _read('k: !!int "0o10"\n')["k"] == 8
    assert go_int("0o10") == 8 and go_int("08") is None


# NaN and infinities are left out: kustomize's JSON round trip refuses them
_SCALAR = st.one_of(
    st.text(alphabet="0123456789+-._eExXoObByYnNtTrRuUfFaAlLsS~:", min_size=1, max_size=8),
    st.dates().map(str),
    st.datetimes().map(lambda d: d.isoformat(sep=" ")),
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
).filter(
    lambda s: (
        not s.startswith(("-", ":", "~~"))
        and not s.endswith(":")
        and not any(w in s.lower() for w in ("nan", "inf"))
        and ": " not in s
    )
)


@needs_kubectl
@settings(max_examples=25, deadline=None)
@given(st.lists(_SCALAR, min_size=1, max_size=30))
def test_generated_scalars_read_as_kubectl_kustomize_reads_them(tmp_path_factory, values):
    root = tmp_path_factory.mktemp("scalars")
    body = "".join(f"  k{i}: {v}\n" for i, v in enumerate(values))
    text = f"apiVersion: example.com/v1\nkind: Thing\nmetadata:\n  name: x\nspec:\n{body}"
    (root / "thing.yaml").write_text(text)
    (root / "kustomization.yaml").write_text("resources: [thing.yaml]\n")
    proc = subprocess.run(["kubectl", "kustomize", str(root)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert _read(text)["spec"] == _read(proc.stdout)["spec"]
