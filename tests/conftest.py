"""Shared test set-up: hypothesis profiles and small helpers.

CI runs with HYPOTHESIS_PROFILE=ci: derandomized, so a run never flakes.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

# the suite writes no warm-run cache (gitops_lint.cache) into tests/fixtures or the checkout;
# tests/test_cache.py turns it on for its own copies
os.environ["GITOPS_LINT_NO_CACHE"] = "1"

PROJECT = Path(__file__).resolve().parent.parent
FIXTURES = PROJECT / "tests" / "fixtures"
CORPUS = PROJECT.parent / "shared" / "corpus"


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    return CORPUS


def kubectl_available() -> bool:
    return shutil.which("kubectl") is not None
