"""``core.data.ObjectRef``: its key, made once and kept beside the fields, changes nothing
that compares, hashes, orders, prints, copies or pickles a ref."""

from __future__ import annotations

import copy
import dataclasses
import pickle

from gitops_lint.core.data import ObjectRef


def test_the_key_is_the_fields_and_changes_no_comparison():
    asked = ObjectRef("Deployment", "apps", "web", "apps/v1")
    fresh = ObjectRef("Deployment", "apps", "web", "apps/v1")
    assert asked.key() == ("apps", "Deployment", "apps", "web") and asked.key() is asked.key()
    assert asked == fresh and hash(asked) == hash(fresh) and repr(asked) == repr(fresh)
    assert sorted([asked, ObjectRef("Deployment", "apps", "api", "apps/v1")])[1] is asked
    assert ObjectRef("Service", "", "x", "v1").key() == ("", "Service", "", "x")


def test_a_copy_a_pickle_and_a_replacement_have_their_own_fields_key():
    ref = ObjectRef("HelmRelease", "flux-system", "cilium", "helm.toolkit.fluxcd.io/v2")
    ref.key()
    for other in (copy.deepcopy(ref), pickle.loads(pickle.dumps(ref))):
        assert other == ref and other.key() == ref.key()
    moved = dataclasses.replace(ref, namespace="kube-system", api_version="helm.toolkit.fluxcd.io/v2beta1")
    assert moved.key() == ("helm.toolkit.fluxcd.io", "HelmRelease", "kube-system", "cilium")
    assert dataclasses.asdict(ref) == {
        "kind": "HelmRelease",
        "namespace": "flux-system",
        "name": "cilium",
        "api_version": "helm.toolkit.fluxcd.io/v2",
    }
