"""``gitops-lint schemas import CRD.yaml... --out DIR``: CRDs to JSON Schema files.

One file per served version, named ``{kind}-{group}-{version}.json`` in
lowercase (the convention kubeconform users know), holding exactly what the
schema rule validates with: the CRD's ``openAPIV3Schema`` converted as for a
CRD found in the repository. Crossplane XRDs give their composite and claim
kinds. A directory of such files is used through ``schemas:`` in the config.
"""

from __future__ import annotations

import json
import os

import yaml

from ..load.loader import FastLoader
from .crd import TOO_COMPLEX, convert, crd_versions
from .registry import is_crd, is_xrd, schema_file_name
from .xrd import xrd_versions


class ImportError_(Exception):
    """A file that cannot be imported (one line, with the file)."""


def schemas_of(doc) -> list[tuple[str, str, dict]]:
    """(apiVersion, kind, json_schema) for a CRD or XRD document; [] for anything else."""
    if not isinstance(doc, dict):
        return []
    if is_crd(doc):
        return [(a, k, convert(s)) for a, k, _, s in crd_versions(doc) if isinstance(s, dict)]
    if is_xrd(doc):
        return [(a, k, s) for a, k, _, s in xrd_versions(doc)]
    return []


def import_files(paths: list[str], out: str) -> list[str]:
    """Write the schemas of every CRD in ``paths``; the written file names, sorted."""
    written: dict[str, dict] = {}
    for path in paths:
        try:
            with open(path, encoding="utf-8") as fh:
                docs = list(yaml.load_all(fh, Loader=FastLoader))  # noqa: S506 - a safe loader
        except OSError as exc:
            raise ImportError_(f"{path}: cannot read: {exc.strerror or exc}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f":{mark.line + 1}" if mark else ""
            raise ImportError_(f"{path}{line}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
        except UnicodeDecodeError:
            raise ImportError_(f"{path}: not UTF-8 text") from None
        found = 0
        for doc in _flatten(docs):
            for api_version, kind, schema in schemas_of(doc):
                if TOO_COMPLEX in schema:
                    raise ImportError_(
                        f"{path}: {kind}: schema too complex to import ({schema[TOO_COMPLEX]})"
                    )
                schema = dict(schema)
                schema["x-kubernetes-group-version-kind"] = [
                    {
                        "group": api_version.rpartition("/")[0],
                        "version": api_version.rpartition("/")[2],
                        "kind": kind,
                    }
                ]
                written[schema_file_name(api_version, kind)] = schema
                found += 1
        if not found:
            raise ImportError_(f"{path}: no CustomResourceDefinition with a schema")
    os.makedirs(out, exist_ok=True)
    for name, schema in sorted(written.items()):
        with open(os.path.join(out, name), "w", encoding="utf-8") as fh:
            json.dump(schema, fh, indent=1, sort_keys=True, default=str)
            fh.write("\n")
    return sorted(written)


def _flatten(docs):
    for doc in docs:
        if isinstance(doc, dict) and doc.get("kind") == "List" and isinstance(doc.get("items"), list):
            yield from doc["items"]
        else:
            yield doc
