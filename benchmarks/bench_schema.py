"""Schema validation speed: gitops-lint against kubernetes-validate on the same documents.

    python benchmarks/bench_schema.py [--runs 5] [--copies 4] [--kube-version 1.33]

The documents are every core-kind object (one kubernetes-validate has a
schema for) in the YAML of ../shared/corpus, each repeated ``--copies`` times (default 60)
under a new name, written ``--per-file`` documents to a file (default 10) in a temporary directory.
Both tools validate exactly those files, strictly, for the same Kubernetes
version, each as a whole process (interpreter start included), median of
``--runs``:

- ``kubernetes-validate --strict -k VERSION --quiet FILE...``
- ``python -m gitops_lint DIR --root DIR --select schema --kube-version VERSION``
  (the directory is linted as a cluster without kustomization.yaml, so Flux's
  generated kustomization applies every file, and the schema rule validates
  each object once).

Both must agree that the documents are valid (the corpus is), so the
comparison is of validating, not of reporting.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from gitops_lint.schema.core import core_schemas  # noqa: E402


def documents(corpus: Path, version: str) -> list[dict]:
    core = core_schemas(version)
    out = []
    for path in sorted(corpus.rglob("*.y*ml")):
        try:
            docs = list(yaml.load_all(path.read_bytes(), Loader=yaml.CSafeLoader))
        except yaml.YAMLError:
            continue
        for d in docs:
            if not isinstance(d, dict) or not isinstance(d.get("metadata"), dict):
                continue
            if not core.has(str(d.get("apiVersion")), str(d.get("kind"))):
                continue
            text = json.dumps(d, default=str)
            if "${" in text or "sops" in d or "ENC[" in text:
                continue  # substitution and SOPS are Flux's business, not a plain validator's
            if core_validator_errors(core, d):
                continue  # keep documents both tools accept
            out.append(d)
    return out


def core_validator_errors(core, d) -> bool:
    from gitops_lint.schema.validator import Validator

    return bool(Validator(core.schema(d["apiVersion"], d["kind"]), "bench").errors(d))


def _write(root: Path, index: int, batch: list[dict]) -> str:
    path = root / f"docs-{index:05d}.yaml"
    path.write_text(yaml.safe_dump_all(batch, sort_keys=False))
    return str(path)


def timed(cmd: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start, proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--copies", type=int, default=60)
    ap.add_argument("--kube-version", default="1.33")
    ap.add_argument("--per-file", type=int, default=10, help="documents per file (--- separated)")
    ap.add_argument("--corpus", default=str(HERE.parent.parent / "shared" / "corpus"))
    args = ap.parse_args()
    # next to this interpreter first: a virtualenv that is not activated is not on PATH
    local = Path(sys.executable).parent / "kubernetes-validate"
    kv = str(local) if local.is_file() else shutil.which("kubernetes-validate")
    if kv is None:
        sys.exit("kubernetes-validate is not installed")
    docs = documents(Path(args.corpus), args.kube_version)
    if not docs:
        sys.exit(f"no core-kind documents under {args.corpus}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = []
        batch: list[dict] = []
        for copy in range(args.copies):
            for i, d in enumerate(docs):
                d = json.loads(json.dumps(d, default=str))
                d["metadata"]["name"] = f"{d['metadata'].get('name', 'x')}-{copy}-{i}"
                batch.append(d)
                if len(batch) == args.per_file:
                    files.append(_write(root, len(files), batch))
                    batch = []
        if batch:
            files.append(_write(root, len(files), batch))
        n = args.copies * len(docs)
        gl_cmd = [
            sys.executable,
            "-m",
            "gitops_lint",
            str(root),
            "--root",
            str(root),
            "--select",
            "schema",
            "--kube-version",
            args.kube_version,
            "--format",
            "json",
        ]
        kv_cmd = [kv, "--strict", "-k", args.kube_version, "--quiet", *files]
        gl = [timed(gl_cmd) for _ in range(args.runs)]
        kvr = [timed(kv_cmd) for _ in range(args.runs)]
        if any(rc for _, rc in gl) or any(rc for _, rc in kvr):
            print(
                f"exit codes differ from 0: gitops-lint {[rc for _, rc in gl]}, "
                f"kubernetes-validate {[rc for _, rc in kvr]}"
            )
        gl_t = statistics.median(t for t, _ in gl)
        kv_t = statistics.median(t for t, _ in kvr)
        print(
            f"{n} documents ({len(docs)} distinct core-kind documents of the corpus x {args.copies}), "
            f"Kubernetes {args.kube_version}, strict, median of {args.runs} whole-process runs"
        )
        print(f"  kubernetes-validate  {kv_t:8.3f} s  {n / kv_t:8.0f} docs/s")
        print(f"  gitops-lint          {gl_t:8.3f} s  {n / gl_t:8.0f} docs/s")
        print(f"  ratio                {kv_t / gl_t:8.1f}x")


if __name__ == "__main__":
    main()
