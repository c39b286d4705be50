"""Regenerate schemas/kube-kinds.json, the kinds each Kubernetes version's schemas name,
and schemas/kube-served.json, the apiVersion/kinds it serves (with their deprecation
notices) and its API groups.

``kube_apis.history`` skips a version whose definitions file does not name a kind
(most kinds it is asked about are CRDs no version serves). Scanning the installed
kubernetes-validate's 13 definitions files (17 MB) for their kinds costs ~15 ms in
every process that asks; the table is stamped with the kubernetes-validate release
it was made from, and a stamp that does not match the installed one makes
gitops-lint scan the files itself, as before. What each version serves and its groups
spare a run the ~10 ms of parsing the chosen version's definitions file when no
object needs a core schema compiled (kube_apis.served, kube_apis.served_groups).
Run after moving kubernetes-validate's pin (tests/test_kube_apis_kinds.py says when
the tables are stale).

    python tools/gen_kube_kinds.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gitops_lint.schema import kube_apis  # noqa: E402
from gitops_lint.schema.core import CoreSchemas, available_versions  # noqa: E402
from gitops_lint.schema.kube_apis import KINDS_FILE, SERVED_FILE, kinds_stamp, scan_kinds  # noqa: E402


def main() -> int:
    kinds, served, groups = {}, {}, {}
    kube_apis.shipped_table.cache_clear()
    kube_apis.shipped_table = kube_apis.ShippedTable  # empty: read every version's own file
    for version in available_versions():
        names = scan_kinds(version)
        if names is None:
            print(f"{version}: definitions file not readable", file=sys.stderr)
            return 1
        kinds[version] = sorted(names)
        served[version] = sorted(
            [a, k, kube_apis.deprecation_notice(d)] for (a, k), d in kube_apis.served(version).items()
        )
        groups[version] = sorted(CoreSchemas(version).groups())
    stamp = kinds_stamp()
    for path, payload in (
        (KINDS_FILE, {"stamp": stamp, "kinds": kinds, "groups": groups}),
        (SERVED_FILE, {"stamp": stamp, "served": served}),
    ):
        path.write_text(json.dumps(payload, separators=(",", ":"), sort_keys=True) + "\n")
        print(f"wrote {path} ({path.stat().st_size} bytes) for {stamp}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
