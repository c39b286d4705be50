"""The core Kubernetes schemas accept every real object of a core kind in the corpus.

Issue 12, class 1: the schema inliner dropped JSON Schema keywords
(``description``, ``x-kubernetes-list-type``, ...) from every mapping,
including ``properties`` maps where they are field names, so every
CustomResourceDefinition with a described schema and every PriorityClass with
a ``description`` failed "unknown field". Real repositories deploy these
objects today, so an "unknown field" on any of them is a false error of the
schemas, not of the repository. Read straight from the files (no rendering),
each distinct file once, so the whole corpus takes a few seconds.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter

import pytest
import yaml

from gitops_lint.schema.core import core_schemas, resolve_version
from gitops_lint.schema.validator import Validator
from tests.conftest import CORPUS

# what Flux removes before applying: the SOPS metadata of an encrypted document
_REMOVED_BY_FLUX = ("sops",)


def _corpus_core_objects(core) -> list[tuple[str, dict]]:
    kinds = sorted({kind for _, kind in core.kinds()})
    has_core_kind = re.compile(
        rb"^kind:\s*[\"']?(?:" + b"|".join(re.escape(k.encode()) for k in kinds) + rb")[\"']?\s*$", re.M
    )
    seen: set[bytes] = set()
    found = []
    for directory, _, files in sorted(os.walk(CORPUS)):
        for name in sorted(files):
            if not name.endswith((".yaml", ".yml")):
                continue
            path = os.path.join(directory, name)
            with open(path, "rb") as fh:
                data = fh.read()
            digest = hashlib.sha256(data).digest()
            if digest in seen or not has_core_kind.search(data):
                continue
            seen.add(digest)
            try:
                docs = list(yaml.load_all(data, Loader=yaml.CSafeLoader))
            except yaml.YAMLError:
                continue  # a Helm template or a broken file: not an object
            for doc in docs:
                if isinstance(doc, dict) and core.has(str(doc.get("apiVersion")), str(doc.get("kind"))):
                    found.append((os.path.relpath(path, CORPUS), doc))
    return found


@pytest.mark.slow
def test_every_core_object_of_the_corpus_has_only_known_fields(corpus):
    core = core_schemas(resolve_version(None))
    objects = _corpus_core_objects(core)
    validators: dict[tuple[str, str], Validator] = {}
    kinds: Counter = Counter()
    false_errors = []
    for path, doc in objects:
        key = (doc["apiVersion"], doc["kind"])
        kinds[key] += 1
        validator = validators.get(key)
        if validator is None:
            validator = validators[key] = Validator(core.schema(*key), f"Kubernetes {core.version}")
        obj = {k: v for k, v in doc.items() if k not in _REMOVED_BY_FLUX}
        false_errors += [
            f"{path}: {e.message}" for e in validator.errors(obj) if "unknown field" in e.message
        ]
    # the corpus holds these kinds (distinct files); without them the test would prove nothing
    assert kinds[("apiextensions.k8s.io/v1", "CustomResourceDefinition")] == 128
    assert kinds[("scheduling.k8s.io/v1", "PriorityClass")] == 17
    assert (len(objects), len(kinds)) == (2196, 38), kinds
    assert false_errors == []


@pytest.mark.parametrize(
    ("api_version", "kind", "field_path"),
    [
        ("scheduling.k8s.io/v1", "PriorityClass", ("description",)),
        # JSONSchemaProps: every keyword is a field of a CRD's schema
        (
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            ("spec", "versions", "schema", "openAPIV3Schema", "x-kubernetes-list-type"),
        ),
    ],
)
def test_fields_named_like_keywords_are_kept(api_version, kind, field_path):
    schema = core_schemas(resolve_version(None)).schema(api_version, kind)
    node = schema
    for step in field_path[:-1]:
        node = node.get("items", node)["properties"][step]
    assert field_path[-1] in node.get("items", node)["properties"]
