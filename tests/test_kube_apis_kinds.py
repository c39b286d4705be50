"""kube_apis.history skips a shipped version whose definitions file does not name the kind.

The premise, checked here on the installed kubernetes-validate schemas: every kind a
version serves is written as a ``"kind": "Name"`` string in its ``_definitions.json``,
so the text scan never misses a served kind; and the shortcut gives what reading every
version gives.
"""

from __future__ import annotations

import pytest

from gitops_lint.schema import kube_apis
from gitops_lint.schema.core import available_versions

pytestmark = pytest.mark.skipif(not available_versions(), reason="kubernetes-validate not installed")


def test_every_served_kind_is_named_in_its_file():
    for version in available_versions():
        names = kube_apis._kinds_named(version)
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
    monkeypatch.setattr(kube_apis, "_kinds_named", lambda version: None)  # read every version
    assert fast == [kube_apis.history(a, k) for a, k in cases]
    assert fast[0] == [] and fast[2] == available_versions() and fast[1]
