"""kube_apis.history skips a shipped version whose definitions file does not name the kind.

The premise, checked here on the installed kubernetes-validate schemas: every kind a
version serves is written as a ``"kind": "Name"`` string in its ``_definitions.json``,
so the text scan never misses a served kind; and the shortcut gives what reading every
version gives.
"""

from __future__ import annotations

import json

import pytest

from gitops_lint.schema import kube_apis
from gitops_lint.schema.core import available_versions

pytestmark = pytest.mark.skipif(not available_versions(), reason="kubernetes-validate not installed")


def test_every_served_kind_is_named_in_its_file():
    for version in available_versions():
        names = kube_apis.kinds_named(version)
        assert names is not None
        missing = {kind for _, kind in kube_apis.served(version)} - names
        assert not missing, (version, sorted(missing)[:5])


def test_history_with_the_shortcut_is_history_without_it(monkeypatch):
    cases = [
        ("gateway.networking.k8s.io/v1", "HTTPRoute"),  # no shipped version serves it
        ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema"),  # served, then removed
        ("apps/v1", "Deployment"),
        ("policy/v1beta1", "PodDisruptionBudget"),  # removed before the oldest shipped version
    ]
    fast = [kube_apis.history(a, k) for a, k in cases]
    monkeypatch.setattr(kube_apis, "kinds_named", lambda version: None)  # read every version
    assert fast == [kube_apis.history(a, k) for a, k in cases]
    assert fast[0] == [] and fast[2] == available_versions() and fast[1]


# -- the table made ahead (schemas/kube-kinds.json, tools/gen_kube_kinds.py) ---------------


@pytest.fixture
def fresh_kinds(monkeypatch):
    """No kinds looked up yet in this process."""
    monkeypatch.setattr(kube_apis, "_KINDS", {})
    kube_apis.shipped_table.cache_clear()
    yield
    monkeypatch.undo()  # the test's own replacements too, then the table read again
    kube_apis.shipped_table.cache_clear()


def test_the_shipped_table_is_what_the_installed_schemas_name(fresh_kinds):
    shipped = kube_apis.shipped_kinds()
    if not shipped:
        pytest.skip(
            f"schemas/kube-kinds.json is not for {kube_apis.kinds_stamp()}: run tools/gen_kube_kinds.py"
        )
    assert sorted(shipped) == available_versions()
    for version in available_versions():
        assert shipped[version] == kube_apis.scan_kinds(version), version
        assert kube_apis.kinds_named(version) is shipped[version]


def test_a_table_of_another_release_or_a_damaged_one_is_not_used(fresh_kinds, monkeypatch, tmp_path):
    version = available_versions()[-1]
    monkeypatch.setattr(kube_apis, "kinds_stamp", lambda: "kubernetes-validate 0.0.1")
    assert kube_apis.shipped_kinds() == {}
    assert kube_apis.shipped_table().groups(version) is None
    assert kube_apis.kinds_named(version) == kube_apis.scan_kinds(version)
    monkeypatch.undo()
    stamp = kube_apis.kinds_stamp()
    wrong_kind = json.dumps({"stamp": stamp, "kinds": {"1.30": [1]}, "groups": {"1.30": ["apps"]}})
    # groups of a version whose kinds are not there, or not a list of strings: not used
    wrong_group = json.dumps({"stamp": stamp, "kinds": {version: ["Pod"]}, "groups": {version: ["", 1]}})
    no_groups = json.dumps({"stamp": stamp, "kinds": {version: ["Pod"]}})
    for text in ("{", "[]", '{"stamp": 1}', wrong_kind, wrong_group, no_groups):
        damaged = tmp_path / "kube-kinds.json"
        damaged.write_text(text)
        monkeypatch.setattr(kube_apis, "KINDS_FILE", damaged)
        kube_apis.shipped_table.cache_clear()
        assert kube_apis.shipped_kinds() in ({}, {version: frozenset({"Pod"})}), text
        assert kube_apis.shipped_table().groups(version) is None, text
        assert kube_apis.shipped_table().groups("1.30") is None, text


def test_the_stamp_is_the_installed_release_read_without_importlib_metadata():
    """kinds_stamp finds the release as importlib.metadata would, without its import (a
    run pays ~10 ms for it, see core.entry_points)."""
    import subprocess
    import sys
    from importlib import metadata

    assert kube_apis.kinds_stamp() == f"kubernetes-validate {metadata.version('kubernetes-validate')}"
    code = (
        "import sys\nfrom gitops_lint.schema import kube_apis\nkube_apis.kinds_stamp()\n"
        "print('importlib.metadata' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def _from_files(monkeypatch) -> None:
    """Every version's own definitions file read, not the table."""
    monkeypatch.setattr(kube_apis, "shipped_table", kube_apis.ShippedTable)
    monkeypatch.setattr(kube_apis, "_SERVED", {})
    monkeypatch.setattr(kube_apis, "_BY_KIND", {})
    monkeypatch.setattr(kube_apis, "_KINDS", {})


def test_what_the_table_says_each_version_serves_is_what_its_file_says(fresh_kinds, monkeypatch):
    from gitops_lint.schema.core import CoreSchemas

    table = kube_apis.shipped_table()
    if not table.versions():
        pytest.skip(
            f"schemas/kube-kinds.json is not for {kube_apis.kinds_stamp()}: run tools/gen_kube_kinds.py"
        )
    _from_files(monkeypatch)
    for version in available_versions():
        served = kube_apis.served(version)
        assert table.served(version) == {k: kube_apis.deprecation_notice(d) for k, d in served.items()}, (
            version
        )
        assert table.groups(version) == CoreSchemas(version).groups(), version
    assert any(table.served(v)[k] for v in available_versions() for k in table.served(v))  # notices kept


def test_judge_with_the_table_is_judge_without_it(fresh_kinds, monkeypatch):
    if not kube_apis.shipped_table().versions():
        pytest.skip("schemas/kube-kinds.json is not for the installed kubernetes-validate")
    versions = available_versions()
    pairs = sorted({k for v in versions for k in kube_apis.shipped_table().served(v)})[::5]
    pairs += [("extensions/v1beta1", "Ingress"), ("apps/v1beta1", "Deployment"), ("example.com/v1", "Widget")]
    cases = [(a, k, v) for a, k in pairs for v in (versions[0], versions[len(versions) // 2], versions[-1])]
    fast = [kube_apis.judge(*case) for case in cases]
    assert {kube_apis.served_groups(v) == kube_apis.shipped_table().groups(v) for v in versions} == {True}
    _from_files(monkeypatch)
    assert fast == [kube_apis.judge(*case) for case in cases]
    assert sum(j is not None for j in fast) > 10  # deprecations and removals among them


def test_a_served_table_of_another_release_or_a_damaged_one_is_not_used(fresh_kinds, monkeypatch, tmp_path):
    version = available_versions()[-1]
    groups = kube_apis.shipped_table().groups(version)
    for text in ("{", '{"stamp": "kubernetes-validate 0.0.1", "served": {}}', '{"stamp": 1}'):
        damaged = tmp_path / "kube-served.json"
        damaged.write_text(text)
        monkeypatch.setattr(kube_apis, "SERVED_FILE", damaged)
        monkeypatch.setattr(kube_apis, "_SERVED", {})
        kube_apis.shipped_table.cache_clear()
        assert kube_apis.shipped_table().served(version) is None, text
        # the groups are the kinds table's, which a damaged served table does not touch
        assert kube_apis.shipped_table().groups(version) == groups, text
        descriptions = kube_apis.served(version)  # read from the version's own file
        assert any(len(d) > 200 for d in descriptions.values()), text  # whole, not cut to a notice


# -- a CRD's kind named like a core kind (schema.registry._named) --------------------------


def test_every_pair_the_core_schemas_hold_is_looked_up_and_no_other_group_is():
    """``registry._named`` may rule a kind out only where ``CoreSchemas.has`` would: every
    pair of a version's index passes it; the same kind in a group the version does not
    serve never does, and the version does not have it."""
    from gitops_lint.schema.core import core_schemas
    from gitops_lint.schema.registry import _named

    versions = available_versions()
    for version in {versions[0], versions[-1]}:
        core = core_schemas(version)
        pairs = sorted(core._index)
        assert pairs
        for api_version, kind in pairs:
            assert _named(version, api_version, kind), (version, api_version, kind)
            foreign = f"example.azure.com/v1api{api_version.rpartition('/')[2]}"
            assert not _named(version, foreign, kind)
            assert not core.has(foreign, kind)


def test_a_crd_kind_named_like_a_core_kind_reads_no_core_schemas(monkeypatch):
    """Azure Service Bus's ``Namespace``: no schema, found without parsing the version's
    definitions (a run whose other objects all have kept verdicts parsed them for it)."""
    from gitops_lint.schema import registry
    from gitops_lint.schema.core import resolve_version

    version = resolve_version(None)
    if kube_apis.loaded(version) is None and kube_apis.shipped_table().groups(version) is None:
        pytest.skip("no shipped table of served groups for the installed kubernetes-validate")

    def refused(version):
        raise AssertionError("the core schemas were read")

    with monkeypatch.context() as m:
        m.setattr(registry, "core_schemas", refused)
        found = registry.SchemaRegistry(version)
        assert found.lookup("servicebus.azure.com/v1api20211101", "Namespace") == (None, "")
        assert found.lookup("rbac.example.io/v1", "Role") == (None, "")
        with pytest.raises(AssertionError):  # the core group's Namespace is read from them
            found.lookup("v1", "Namespace")
    validator, source = registry.SchemaRegistry(version).lookup("v1", "Namespace")
    assert validator is not None and source == f"Kubernetes {version}"
