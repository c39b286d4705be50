"""missing-crd's typo search measures each (word, served name) pair once per process.

Every cluster of a repository asks which served group an unserved one misspells,
against mostly the same served groups (issue 18: on hmcts's 16 clusters the edit
distances were most of the rule's time). ``distance`` is pure, so it is remembered.
"""

from __future__ import annotations

from gitops_lint.model.crd_evidence import distance, near


def test_a_pair_is_measured_once():
    served = [f"group{i}.example.com" for i in range(30)] + ["cert-manager.io"]
    assert near("cert-manger.io", served) == ["cert-manager.io"]
    before = distance.cache_info().misses
    assert near("cert-manger.io", served) == ["cert-manager.io"]
    assert distance.cache_info().misses == before


def test_distance_is_still_the_capped_osa_distance():
    assert distance("abc", "abc") == 0
    assert distance("abc", "acb") == 1  # a transposition
    assert distance("abc", "xyz") == 3  # capped at limit + 1
    assert distance("a", "abcd") == 3
    assert distance("kitten", "sitting", 3) == 3
